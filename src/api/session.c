/*
 * session.c - POST /v1/auth/token/refresh and POST /v1/auth/session/logout
 * (client token).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "api/auth.h"
#include "api/ctx.h"
#include "api/input.h"
#include "api/tokens_reply.h"
#include "api/users.h"
#include "common/error.h"

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
