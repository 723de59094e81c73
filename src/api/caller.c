/*
 * caller.c - caller authentication: who is calling, by bearer token or
 * by OAuth client credentials (caller.h).
 */
#include "api/caller.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api/ctx.h"
#include "common/error.h"
#include "common/secret.h"
#include "crypto/encoding.h"
#include "domain/apps.h"
#include "domain/keyring.h"
#include "domain/sessions.h"
#include "domain/token_cache.h"
#include "edge/form.h"

#define BEARER_REALM "Bearer realm=\"bioauth\""

void
caller_clear(struct caller *c)
{
	model_app_clear(&c->app);
	token_claims_clear(&c->token);
}

void
api_reply_store_error(struct req *r, int err)
{
	req_reply_error(r, err, NULL);
}

/* 401 with an RFC 6750 challenge. */
static bool
deny_token(struct req *r, const char *description)
{
	char hdr[160];

	snprintf(hdr, sizeof(hdr), BEARER_REALM ", error=\"invalid_token\"");
	req_add_header(r, "WWW-Authenticate", hdr);
	req_reply_error(r, BA_ERR_INVALID_TOKEN, description);
	return false;
}

/* Extracts the token of "Bearer <token>" (RFC 6750 2.1: scheme
 * case-insensitive, one token68; surrounding whitespace is not part of the
 * field value, RFC 9110 5.5). */
static const char *
bearer_token(const char *hdr, size_t *len)
{
	const char *t;

	if (hdr == NULL || strncasecmp(hdr, "Bearer ", 7) != 0)
		return NULL;
	t = hdr + 7;
	t += strspn(t, " \t");
	*len = strcspn(t, " \t");
	if (*len == 0 || t[*len + strspn(t + *len, " \t")] != '\0')
		return NULL;
	return t;
}

static bool
audience_ok(const struct config *cfg, const struct model_app *app, const char *aud)
{
	if (strcmp(aud, cfg->issuer) == 0)
		return true;
	return apps_resource_allowed(app, aud);
}

/* For user tokens: the session must exist, be live and belong to the token. */
static int
check_session(struct bioauth_ctx *ctx, const struct token_claims *t, int64_t now)
{
	struct model_session s = {0};
	int r = store_session_get(ctx->store, t->sid, &s);

	if (r == BA_ERR_NOT_FOUND)
		return BA_ERR_INVALID_TOKEN;
	if (r != BA_OK)
		return r;
	if (!sessions_live(&s, t->app_id, t->sub, now))
		r = BA_ERR_INVALID_TOKEN;
	model_session_clear(&s);
	return r;
}

/*
 * The verified-token cache answers first (a token verified in the last
 * key_cache_seconds by a key still in this keyset, within its time rules);
 * otherwise the signature is verified and a success is remembered. The
 * store checks of the callers run on every request either way.
 */
int
api_verify_access(struct bioauth_ctx *ctx, const char *jwt, size_t len, int64_t now,
                  struct token_claims *out)
{
	struct keyset *ks = keyring_acquire(ctx->keys);
	const struct jws_key *key = NULL;
	int rc = token_cache_get(ctx->cfg, jwt, len, now, keyset_lookup, ks, out);

	if (rc != BA_ERR_NOT_FOUND && rc != BA_ERR_NOMEM)
		goto out;
	rc = tokens_verify_access_key(ctx->cfg, ks, jwt, len, now, out, &key);
	/* Signed by a key another instance created moments ago? Reload once
	 * (rate-limited) instead of waiting for the cache to expire. */
	if (rc != BA_OK && keyring_refresh_for_unknown_kid(ctx->keys)) {
		keyset_release(ks);
		ks = keyring_acquire(ctx->keys);
		rc = tokens_verify_access_key(ctx->cfg, ks, jwt, len, now, out, &key);
	}
	if (rc == BA_OK)
		token_cache_put(ctx->cfg, jwt, len, now, key->kid, out);
out:
	keyset_release(ks);
	return rc;
}

bool
api_require_bearer(struct req *r, enum token_kind want, struct caller *out)
{
	struct bioauth_ctx *ctx = req_ctx(r);
	const char *jwt;
	size_t len = 0;
	int64_t now = (int64_t)time(NULL);
	bool revoked = false;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((jwt = bearer_token(req_header(r, "Authorization"), &len)) == NULL) {
		req_add_header(r, "WWW-Authenticate", BEARER_REALM);
		req_reply_error(r, BA_ERR_INVALID_TOKEN, "a Bearer access token is required");
		return false;
	}
	rc = api_verify_access(ctx, jwt, len, now, &out->token);
	if (rc != BA_OK)
		return deny_token(r, "the access token is invalid or expired");

	/* the token's app and its revocation: one read */
	rc = store_app_get_for_token(ctx->store, out->token.app_id, out->token.jti, &out->app,
	                             &revoked);
	if (rc == BA_ERR_NOT_FOUND ||
	    (rc == BA_OK && (revoked || strcmp(out->app.client_id, out->token.client_id) != 0 ||
	                     !audience_ok(ctx->cfg, &out->app, out->token.aud))))
		rc = BA_ERR_INVALID_TOKEN;
	if (rc == BA_OK && out->token.kind == TOKEN_USER)
		rc = check_session(ctx, &out->token, now);
	if (rc == BA_OK && out->token.kind != want) {
		req_reply_error(r, BA_ERR_WRONG_TOKEN_KIND, want == TOKEN_USER ?
		                "this endpoint requires a user access token" :
		                "this endpoint requires a client access token");
		rc = BA_ERR_WRONG_TOKEN_KIND;
	} else if (rc == BA_ERR_INVALID_TOKEN) {
		deny_token(r, "the access token is not valid for this server");
	} else if (rc != BA_OK) {
		api_reply_store_error(r, rc);
	}
	if (rc != BA_OK) {
		caller_clear(out);
		return false;
	}
	return true;
}

/*
 * Decodes "Basic base64(id:secret)" into malloc'd, form-decoded id and
 * secret. BA_ERR_INVALID_CLIENT when malformed.
 */
static int
parse_basic(const char *hdr, char **id, char **secret)
{
	uint8_t *raw = NULL;
	size_t raw_len = 0;
	char *colon;
	int r = BA_ERR_INVALID_CLIENT;

	*id = *secret = NULL;
	if (strncasecmp(hdr, "Basic ", 6) != 0)
		goto out;
	hdr += 6;
	while (*hdr == ' ')
		hdr++;
	if (b64_decode_any(hdr, strlen(hdr), &raw, &raw_len) != BA_OK)
		goto out;
	if (memchr(raw, '\0', raw_len) != NULL ||
	    (colon = memchr(raw, ':', raw_len)) == NULL)
		goto out;
	*colon = '\0';
	if (form_decode_component((const char *)raw, (size_t)(colon - (char *)raw), id) != BA_OK ||
	    form_decode_component(colon + 1, raw_len - (size_t)(colon + 1 - (char *)raw), secret) != BA_OK)
		goto out;
	r = BA_OK;
out:
	if (raw != NULL) {
		OPENSSL_cleanse(raw, raw_len);
		free(raw);
	}
	if (r != BA_OK) {
		free(*id);
		secret_free(*secret);
		*id = *secret = NULL;
	}
	return r;
}

bool
api_require_client(struct req *r, struct caller *out)
{
	struct bioauth_ctx *ctx = req_ctx(r);
	const char *hdr = req_header(r, "Authorization");
	const char *form_id = req_form(r, "client_id"), *form_secret = req_form(r, "client_secret");
	char *id = NULL, *secret = NULL;
	bool basic = hdr != NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if (basic && form_secret != NULL) {
		req_reply_oauth_error(r, BA_ERR_INVALID_REQUEST,
		                      "use one client authentication method, not two");
		return false;
	}
	if (basic) {
		rc = parse_basic(hdr, &id, &secret);
		if (rc == BA_OK && form_id != NULL && strcmp(form_id, id) != 0)
			rc = BA_ERR_INVALID_CLIENT;
	} else if (form_id != NULL && form_secret != NULL) {
		rc = ((id = strdup(form_id)) != NULL && (secret = strdup(form_secret)) != NULL) ?
		     BA_OK : BA_ERR_NOMEM;
	} else {
		rc = BA_ERR_INVALID_CLIENT;
	}
	if (rc == BA_OK)
		rc = apps_authenticate(ctx->store, id, secret, &out->app);
	free(id);
	secret_free(secret);
	if (rc == BA_OK)
		return true;
	if (rc == BA_ERR_INVALID_CLIENT) {
		if (basic)
			req_add_header(r, "WWW-Authenticate", "Basic realm=\"bioauth\"");
		req_reply_oauth_error(r, BA_ERR_INVALID_CLIENT, "client authentication failed");
	} else {
		req_reply_oauth_error(r, rc, NULL);
	}
	return false;
}
