/*
 * session.c - POST /v1/auth/token/refresh, POST /v1/auth/session/authenticate
 * and POST /v1/auth/session/logout (client token).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/caller.h"
#include "api/ctx.h"
#include "api/input.h"
#include "api/login.h"
#include "api/tokens_reply.h"
#include "api/users.h"
#include "common/error.h"
#include "store/store.h"

struct refresh_in {
	const char *refresh_token;
};

void
api_token_refresh(struct req *r)
{
	static const struct json_in_field fields[] = {
		{ "refresh_token", JIN_STRING, true, 512, offsetof(struct refresh_in, refresh_token) },
	};
	struct refresh_in in = {0};
	struct caller c;

	if (!api_require_bearer(r, TOKEN_CLIENT, &c))
		return;
	if (api_decode(r, fields, 1, &in))
		api_refresh(r, &c.app, in.refresh_token, SHAPE_V1);
	caller_clear(&c);
}

struct logout_state {
	struct caller caller;
	char *session_id;
	struct store_write w;
};

static void
logout_state_free(void *p)
{
	struct logout_state *st = p;

	caller_clear(&st->caller);
	free(st->session_id);
	free(st);
}

static void
logout_done(struct req *r, struct store_write *w, int rc)
{
	(void)w;
	if (rc != BA_OK)
		req_reply_error(r, rc, rc == BA_ERR_NOT_FOUND ? "no such session" : NULL);
	else
		req_reply_empty(r, 204);
}

struct logout_in {
	const char *session_id;
};

void
api_session_logout(struct req *r)
{
	static const struct json_in_field fields[] = {
		{ "session_id", JIN_STRING, true, 256, offsetof(struct logout_in, session_id) },
	};
	struct logout_in in = {0};
	struct logout_state *st = calloc(1, sizeof(*st));

	if (st == NULL) {
		req_reply_error(r, BA_ERR_NOMEM, NULL);
		return;
	}
	req_set_state(r, st, logout_state_free);
	if (!api_require_bearer(r, TOKEN_CLIENT, &st->caller) || !api_decode(r, fields, 1, &in))
		return;
	if ((st->session_id = strdup(in.session_id)) == NULL) {
		req_reply_error(r, BA_ERR_NOMEM, NULL);
		return;
	}
	st->w.kind = SW_SESSION_REVOKE;
	st->w.in.session_revoke.app_id = st->caller.app.app_id;
	st->w.in.session_revoke.session_id = st->session_id;
	req_submit(r, &st->w, logout_done);
}

struct session_auth_in {
	const char *session_id;
};

/*
 * POST /v1/auth/session/authenticate: new tokens for a live session of the
 * caller's app, without a new factor. It is a login on the existing session
 * (SW_LOGIN with existing_session_id, no factor added), so the session's
 * auth_time moves to now and a new refresh token is stored. An unknown,
 * ended, expired or foreign session is one answer: 404 with the catalogue's
 * text, so that a caller learns nothing about sessions of other apps.
 */
void
api_session_authenticate(struct req *r)
{
	static const struct json_in_field fields[] = {
		{ "session_id", JIN_STRING, true, 256, offsetof(struct session_auth_in, session_id) },
	};
	struct bioauth_ctx *ctx = req_ctx(r);
	struct session_auth_in in = {0};
	struct model_session s = {0};
	struct model_user u = {0};
	struct login *l;
	int rc;

	if ((l = login_attach(r, "session_authenticate")) == NULL)
		return;
	if (!api_require_bearer(r, TOKEN_CLIENT, &l->caller) ||
	    !api_decode(r, fields, 1, &in) || !login_parse_options(r, req_json(r), l))
		return;
	rc = store_session_get(ctx->store, in.session_id, &s);
	if (rc == BA_OK && (s.revoked || s.expires_at <= (int64_t)time(NULL) ||
	                    strcmp(s.app_id, l->caller.app.app_id) != 0))
		rc = BA_ERR_NOT_FOUND;
	if (rc == BA_OK)
		rc = store_user_get(ctx->store, s.user_id, &u);
	if (rc != BA_OK) {
		req_reply_error(r, rc, NULL);
		goto out;
	}
	/* login_parse_options copied session_id into l->session_id. */
	l->user_id = u.user_id;
	l->username = u.username;
	u.user_id = u.username = NULL;
	l->factor = 0;
	login_commit(r, l);
out:
	model_session_clear(&s);
	model_user_clear(&u);
}
