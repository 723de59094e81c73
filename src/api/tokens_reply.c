/*
 * tokens_reply.c - token responses and the refresh-token exchange.
 */
#include "api/tokens_reply.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "api/caller.h"
#include "api/ctx.h"
#include "common/error.h"
#include "common/jsonw.h"
#include "common/secret.h"
#include "crypto/digest.h"
#include "crypto/rand.h"
#include "domain/keyring.h"

/* Length of s, 0 for NULL. */
static size_t
opt_len(const char *s)
{
	return s != NULL ? strlen(s) : 0;
}

void
api_reply_token_body(struct req *r, enum reply_shape shape, const char *access,
                     const char *id_token, const char *refresh_token,
                     int64_t expires_in, const char *session_id)
{
	/* The member names, quotes, separators and a 20-digit integer fit
	 * in 160 bytes; every string member is at most JWS_MAX_COMPACT_LEN
	 * (tokens) or far less, so the sum cannot overflow. Escaping never
	 * grows a token (base64url and dots) nor the ids bioauthd makes; an
	 * escaped member that does not fit fails jsonw_end. */
	size_t cap = 160 + opt_len(access) + opt_len(id_token) + opt_len(refresh_token) +
	             opt_len(session_id);
	char *buf = malloc(cap);
	struct jsonw w;
	size_t len = 0;

	if (buf != NULL) {
		jsonw_begin(&w, buf, cap);
		jsonw_str(&w, "access_token", access);
		if (id_token != NULL)
			jsonw_str(&w, "id_token", id_token);
		if (refresh_token != NULL)
			jsonw_str(&w, "refresh_token", refresh_token);
		jsonw_str(&w, "token_type", "Bearer");
		jsonw_int(&w, "expires_in", expires_in);
		if (session_id != NULL)
			jsonw_str(&w, "session_id", session_id);
		len = jsonw_end(&w);
	}
	if (len == 0) {
		if (shape == SHAPE_OAUTH)
			req_reply_oauth_error(r, BA_ERR_NOMEM, NULL);
		else
			req_reply_error(r, BA_ERR_NOMEM, NULL);
	} else {
		req_reply_text(r, 200, "application/json", buf, len);
	}
	if (buf != NULL) {
		OPENSSL_cleanse(buf, cap);
		free(buf);
	}
}

void
api_reply_tokens(struct req *r, const struct token_subject *subj,
                 const char *refresh_token, enum reply_shape shape)
{
	struct bioauth_ctx *ctx = req_ctx(r);
	struct keyset *ks = keyring_acquire(ctx->keys);
	char *access = NULL, *id_token = NULL;
	int64_t expires_in = 0;
	int rc;

	rc = tokens_issue_user(ctx->cfg, ks, subj, &access, &id_token, &expires_in);
	keyset_release(ks);
	if (rc != BA_OK) {
		if (shape == SHAPE_OAUTH)
			req_reply_oauth_error(r, rc, NULL);
		else
			req_reply_error(r, rc, NULL);
		return;
	}
	api_reply_token_body(r, shape, access, id_token, refresh_token, expires_in,
	                     shape == SHAPE_V1 ? subj->session->session_id : NULL);
	secret_free(access);
	secret_free(id_token);
}

int
api_new_refresh(const struct config *cfg, const struct model_app *app, int64_t now,
                char **token, struct model_refresh *rec)
{
	int r;

	memset(rec, 0, sizeof(*rec));
	if ((r = rand_token(NULL, 32, token)) != BA_OK)
		return r;
	sha256(*token, strlen(*token), rec->hash);
	rec->created_at = now;
	rec->expires_at = now + tokens_refresh_ttl(cfg, app);
	return BA_OK;
}

struct refresh_state {
	struct model_app app;
	char *next_token;
	struct store_write w;
	enum reply_shape shape;
};

static void
refresh_state_free(void *p)
{
	struct refresh_state *st = p;

	model_app_clear(&st->app);
	secret_free(st->next_token);
	model_refresh_clear(&st->w.in.refresh.next);
	model_session_clear(&st->w.out.session);
	free(st);
}

static void
refresh_fail(struct req *r, enum reply_shape shape, int rc, const char *why)
{
	if (shape == SHAPE_OAUTH)
		req_reply_oauth_error(r, rc, why);
	else
		req_reply_error(r, rc, why);
}

static void
refresh_done(struct req *r, struct store_write *w, int rc)
{
	struct refresh_state *st = req_state(r);
	struct bioauth_ctx *ctx = req_ctx(r);
	struct token_subject subj = {0};

	if (rc == BA_OK && w->out.reuse_detected) {
		refresh_fail(r, st->shape, BA_ERR_INVALID_GRANT,
		             "refresh token was already used; the session is revoked");
		return;
	}
	if (rc == BA_ERR_INVALID_GRANT || rc == BA_ERR_NOT_FOUND) {
		refresh_fail(r, st->shape, BA_ERR_INVALID_GRANT,
		             "refresh token is invalid, expired or revoked");
		return;
	}
	if (rc != BA_OK) {
		refresh_fail(r, st->shape, rc, NULL);
		return;
	}
	subj.app = &st->app;
	subj.session = &w->out.session;
	subj.audience = tokens_default_audience(ctx->cfg, &st->app);
	subj.now = w->in.refresh.now;
	api_reply_tokens(r, &subj, st->next_token, st->shape);
}

void
api_refresh(struct req *r, struct model_app *app, const char *refresh_token,
            enum reply_shape shape)
{
	struct bioauth_ctx *ctx = req_ctx(r);
	struct refresh_state *st = calloc(1, sizeof(*st));
	int64_t now = (int64_t)time(NULL);
	int rc;

	if (st == NULL) {
		model_app_clear(app);
		refresh_fail(r, shape, BA_ERR_NOMEM, NULL);
		return;
	}
	st->app = *app;
	memset(app, 0, sizeof(*app));
	st->shape = shape;
	req_set_state(r, st, refresh_state_free);

	st->w.kind = SW_REFRESH_ROTATE;
	st->w.in.refresh.app_id = st->app.app_id;
	st->w.in.refresh.now = now;
	st->w.in.refresh.reuse_interval = st->app.refresh_reuse_interval;
	sha256(refresh_token, strlen(refresh_token), st->w.in.refresh.old_hash);
	rc = api_new_refresh(ctx->cfg, &st->app, now, &st->next_token, &st->w.in.refresh.next);
	if (rc != BA_OK) {
		refresh_fail(r, shape, rc, NULL);
		return;
	}
	req_submit(r, &st->w, refresh_done);
}
