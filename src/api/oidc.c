/*
 * oidc.c - the OAuth 2.0 / OpenID Connect endpoints: token (client
 * credentials and refresh), discovery, JWKS, introspection (RFC 7662) and
 * revocation (RFC 7009). Errors use the RFC 6749 shape.
 */
#include "api/oidc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/caller.h"
#include "api/ctx.h"
#include "api/tokens_reply.h"
#include "common/error.h"
#include "common/secret.h"
#include "crypto/digest.h"
#include "domain/apps.h"
#include "domain/keyring.h"
#include "domain/sessions.h"

static void
client_credentials(struct req *r, struct caller *c)
{
	struct bioauth_ctx *ctx = req_ctx(r);
	const char *resource = req_form(r, "resource");
	struct keyset *ks;
	char *access = NULL;
	int64_t expires_in = 0;
	int rc;

	if (resource != NULL && !apps_resource_allowed(&c->app, resource)) {
		req_reply_oauth_error(r, BA_ERR_INVALID_TARGET,
		                      "resource is not one of the app's resources");
		return;
	}
	if (resource == NULL)
		resource = tokens_default_audience(ctx->cfg, &c->app);
	ks = keyring_acquire(ctx->keys);
	rc = tokens_issue_client(ctx->cfg, ks, &c->app, resource, (int64_t)time(NULL),
	                         &access, &expires_in);
	keyset_release(ks);
	if (rc != BA_OK) {
		req_reply_oauth_error(r, rc, NULL);
		return;
	}
	api_reply_token_body(r, SHAPE_OAUTH, access, NULL, NULL, expires_in, NULL);
	secret_free(access);
}

void
api_oidc_token(struct req *r)
{
	const char *grant = req_form(r, "grant_type");
	struct caller c;

	if (grant == NULL) {
		req_reply_oauth_error(r, BA_ERR_INVALID_REQUEST, "grant_type is required");
		return;
	}
	if (strcmp(grant, "client_credentials") != 0 && strcmp(grant, "refresh_token") != 0) {
		req_reply_oauth_error(r, BA_ERR_UNSUPPORTED_GRANT_TYPE,
		                      "supported grant types: client_credentials, refresh_token");
		return;
	}
	if (!api_require_client(r, &c))
		return;
	if (strcmp(grant, "client_credentials") == 0) {
		client_credentials(r, &c);
	} else {
		const char *rt = req_form(r, "refresh_token");

		if (rt == NULL || rt[0] == '\0')
			req_reply_oauth_error(r, BA_ERR_INVALID_REQUEST, "refresh_token is required");
		else
			api_refresh(r, &c.app, rt, SHAPE_OAUTH);
	}
	caller_clear(&c);
}

/* An endpoint URL: --public-url joined with the route's path. */
static json_t *
endpoint(const char *base, const char *path)
{
	char buf[1024];

	snprintf(buf, sizeof(buf), "%s%s", base, path);
	return json_string(buf);
}

/*
 * The discovery document. `issuer` is --issuer as configured (an identifier
 * that need not be a URL bioauthd serves); every endpoint is a route of
 * bioauthd under --public-url, so the document never names a URL that
 * 404s whatever the issuer is.
 */
void
api_oidc_discovery(struct req *r)
{
	const struct config *cfg = req_ctx(r)->cfg;
	const char *iss = cfg->issuer, *base = cfg->public_url;
	json_t *doc;

	doc = json_pack("{s:s, s:o, s:o, s:o, s:o, s:[s], s:[s,s], s:[s], s:[s,s,s], s:[s,s],"
	                " s:[s,s], s:[s,s], s:[s,s,s,s], s:b}",
	                "issuer", iss,
	                "token_endpoint", endpoint(base, "/oidc/token"),
	                "jwks_uri", endpoint(base, "/oidc/jwks"),
	                "introspection_endpoint", endpoint(base, "/oidc/token/introspection"),
	                "revocation_endpoint", endpoint(base, "/oidc/token/revocation"),
	                "response_types_supported", "id_token",
	                "grant_types_supported", "client_credentials", "refresh_token",
	                "subject_types_supported", "public",
	                "id_token_signing_alg_values_supported", "ES256", "RS256", "EdDSA",
	                "token_endpoint_auth_methods_supported", "client_secret_basic", "client_secret_post",
	                "introspection_endpoint_auth_methods_supported", "client_secret_basic", "client_secret_post",
	                "revocation_endpoint_auth_methods_supported", "client_secret_basic", "client_secret_post",
	                "claims_supported", "username", "org_id", "organization", "approval_data",
	                "claims_parameter_supported", 1);
	if (doc == NULL) {
		req_reply_error(r, BA_ERR_NOMEM, NULL);
		return;
	}
	req_add_header(r, "Cache-Control", "public, max-age=3600");
	req_reply_json(r, 200, doc);
}

void
api_oidc_jwks(struct req *r)
{
	struct bioauth_ctx *ctx = req_ctx(r);
	struct keyset *ks = keyring_acquire(ctx->keys);
	char *json = NULL, cache[64];
	int rc = keyset_jwks(ks, &json);

	keyset_release(ks);
	if (rc != BA_OK) {
		req_reply_error(r, rc, NULL);
		return;
	}
	/* Clients may cache as long as a rotation takes to reach every instance. */
	snprintf(cache, sizeof(cache), "public, max-age=%lld", (long long)ctx->cfg->key_cache_seconds);
	req_add_header(r, "Cache-Control", cache);
	req_reply_text(r, 200, "application/jwk-set+json", json, strlen(json));
	free(json);
}

/* Fills an RFC 7662 response for an access token of the caller's app. */
static json_t *
introspect_access(struct bioauth_ctx *ctx, const struct caller *c, const char *token, int64_t now)
{
	struct token_claims t;
	struct model_session s = {0};
	bool revoked = false, live;
	json_t *out = NULL;
	int rc = api_verify_access(ctx, token, strlen(token), now, &t);

	if (rc != BA_OK)
		return NULL;
	live = strcmp(t.app_id, c->app.app_id) == 0 &&
	       store_token_is_revoked(ctx->store, t.jti, &revoked) == BA_OK && !revoked;
	if (live && t.kind == TOKEN_USER)
		live = store_session_get(ctx->store, t.sid, &s) == BA_OK &&
		       sessions_live(&s, NULL, NULL, now);
	if (live) {
		out = json_pack("{s:b, s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:s}",
		                "active", 1, "sub", t.sub, "aud", t.aud, "client_id", t.client_id,
		                "iss", ctx->cfg->issuer, "exp", (json_int_t)t.exp, "iat", (json_int_t)t.iat,
		                "jti", t.jti, "token_type", "Bearer");
		if (out != NULL && t.sid != NULL)
			json_object_set_new(out, "sid", json_string(t.sid));
	}
	model_session_clear(&s);
	token_claims_clear(&t);
	return out != NULL ? out : json_pack("{s:b}", "active", 0);
}

/* The same for a refresh token; NULL when `token` is no refresh token. */
static json_t *
introspect_refresh(struct bioauth_ctx *ctx, const struct caller *c, const char *token, int64_t now)
{
	struct model_refresh rt = {0};
	struct model_session s = {0};
	uint8_t hash[MODEL_HASH_LEN];
	json_t *out = NULL;

	sha256(token, strlen(token), hash);
	if (store_refresh_get(ctx->store, hash, &rt) != BA_OK)
		return NULL;
	if (!rt.rotated && rt.expires_at > now &&
	    store_session_get(ctx->store, rt.session_id, &s) == BA_OK &&
	    sessions_live(&s, c->app.app_id, NULL, now))
		out = json_pack("{s:b, s:s, s:s, s:s, s:I, s:I, s:s, s:s}",
		                "active", 1, "sub", s.user_id, "client_id", c->app.client_id,
		                "iss", ctx->cfg->issuer, "exp", (json_int_t)rt.expires_at,
		                "iat", (json_int_t)rt.created_at, "sid", s.session_id,
		                "token_type", "refresh_token");
	model_session_clear(&s);
	model_refresh_clear(&rt);
	return out != NULL ? out : json_pack("{s:b}", "active", 0);
}

void
api_oidc_introspect(struct req *r)
{
	struct bioauth_ctx *ctx = req_ctx(r);
	const char *token = req_form(r, "token");
	int64_t now = (int64_t)time(NULL);
	struct caller c;
	json_t *out;

	if (!api_require_client(r, &c))
		return;
	if (token == NULL || token[0] == '\0') {
		caller_clear(&c);
		req_reply_oauth_error(r, BA_ERR_INVALID_REQUEST, "token is required");
		return;
	}
	/* A JWT has two dots; an opaque refresh token has none. */
	out = strchr(token, '.') != NULL ? introspect_access(ctx, &c, token, now)
	                                 : introspect_refresh(ctx, &c, token, now);
	caller_clear(&c);
	if (out == NULL)
		out = json_pack("{s:b}", "active", 0);
	req_reply_json(r, 200, out);
}

struct revoke_state {
	struct store_write w;
	char *session_id;
	char *app_id;
	char *jti;
};

static void
revoke_state_free(void *p)
{
	struct revoke_state *st = p;

	free(st->session_id);
	free(st->app_id);
	free(st->jti);
	free(st);
}

static void
revoke_done(struct req *r, struct store_write *w, int rc)
{
	(void)w;
	/* RFC 7009 2.2: an unknown or already revoked token is a success too */
	if (rc != BA_OK && rc != BA_ERR_NOT_FOUND)
		req_reply_oauth_error(r, rc, NULL);
	else
		req_reply_empty(r, 200);
}

/*
 * Works out what revoking `token` means for the caller's app: a refresh token
 * revokes its session; an access token is remembered as revoked until it
 * expires. Tokens of other apps and unknown tokens change nothing.
 */
static bool
plan_revocation(struct bioauth_ctx *ctx, const struct caller *c, const char *token,
                struct revoke_state *st)
{
	int64_t now = (int64_t)time(NULL);

	if (strchr(token, '.') != NULL) {
		struct token_claims t;
		bool mine = false;

		if (api_verify_access(ctx, token, strlen(token), now, &t) == BA_OK) {
			mine = strcmp(t.app_id, c->app.app_id) == 0;
			if (mine) {
				st->jti = t.jti;
				t.jti = NULL;
				st->w.kind = SW_TOKEN_REVOKE;
				st->w.in.token_revoke.jti = st->jti;
				/* remembered until the token could no longer pass */
				st->w.in.token_revoke.expires_at =
				    t.exp > INT64_MAX - ctx->cfg->clock_leeway ? INT64_MAX
				                                               : t.exp + ctx->cfg->clock_leeway;
			}
			token_claims_clear(&t);
		}
		return mine;
	} else {
		struct model_refresh rt = {0};
		struct model_session s = {0};
		uint8_t hash[MODEL_HASH_LEN];
		bool mine = false;

		sha256(token, strlen(token), hash);
		if (store_refresh_get(ctx->store, hash, &rt) == BA_OK &&
		    store_session_get(ctx->store, rt.session_id, &s) == BA_OK &&
		    strcmp(s.app_id, c->app.app_id) == 0) {
			mine = true;
			st->session_id = s.session_id;
			st->app_id = s.app_id;
			s.session_id = s.app_id = NULL;
			st->w.kind = SW_SESSION_REVOKE;
			st->w.in.session_revoke.app_id = st->app_id;
			st->w.in.session_revoke.session_id = st->session_id;
		}
		model_session_clear(&s);
		model_refresh_clear(&rt);
		return mine;
	}
}

void
api_oidc_revoke(struct req *r)
{
	const char *token = req_form(r, "token");
	struct revoke_state *st;
	struct caller c;
	bool act;

	if (!api_require_client(r, &c))
		return;
	if (token == NULL || token[0] == '\0') {
		caller_clear(&c);
		req_reply_oauth_error(r, BA_ERR_INVALID_REQUEST, "token is required");
		return;
	}
	if ((st = calloc(1, sizeof(*st))) == NULL) {
		caller_clear(&c);
		req_reply_oauth_error(r, BA_ERR_NOMEM, NULL);
		return;
	}
	req_set_state(r, st, revoke_state_free);
	act = plan_revocation(req_ctx(r), &c, token, st);
	caller_clear(&c);
	if (!act)
		req_reply_empty(r, 200);
	else
		req_submit(r, &st->w, revoke_done);
}
