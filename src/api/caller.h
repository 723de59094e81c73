/*
 * caller.h - caller authentication, who is calling: a bearer token for the
 * /v1 API, the OAuth client's credentials for the /oidc endpoints. (The
 * user's authentication - a signature by one of their authenticators, a
 * password - is the handlers' business: mb_authenticate.c, password.c.)
 *
 * Both functions reply to the request themselves when they fail (with the
 * status and error body the error catalogue documents) and return false; the
 * handler then just returns.
 */
#ifndef BIOAUTH_API_CALLER_H
#define BIOAUTH_API_CALLER_H

#include <stdbool.h>

#include "domain/tokens.h"
#include "edge/http.h"
#include "domain/model.h"

struct caller {
	struct model_app app;        /* the token's (or client's) app */
	struct token_claims token;   /* bearer claims; zeroed for a client */
};

void caller_clear(struct caller *c);

/*
 * Checks `Authorization: Bearer <jwt>`: signature by a published key, iss,
 * exp/iat/nbf with leeway, the app still exists and owns the token's
 * client_id, aud is one of the app's resources or the issuer, the token is
 * not revoked, and for user tokens the session is live. A valid token of the
 * other kind than `want` is 403 wrong_token_kind; anything else 401
 * invalid_token with a WWW-Authenticate challenge (RFC 6750).
 */
bool api_require_bearer(struct req *r, enum token_kind want, struct caller *out);

/*
 * Authenticates the OAuth client of an /oidc request by HTTP Basic
 * (RFC 6749 2.3.1, form-encoded id and secret) or by client_id/client_secret
 * form parameters; using both is invalid_request. Failure is 401
 * invalid_client, with `WWW-Authenticate: Basic` when Basic was used.
 */
bool api_require_client(struct req *r, struct caller *out);

struct bioauth_ctx;

/* tokens_verify_access() with the server's keys, answered from the
 * verified-token cache when this process verified these very bytes within
 * --key-cache-seconds (domain/token_cache.h); a token signed by a key this
 * process has not loaded yet (rotated by another instance within the key
 * cache period) triggers one rate-limited reload and a second try. */
int api_verify_access(struct bioauth_ctx *ctx, const char *jwt, size_t len, int64_t now,
                      struct token_claims *out);

/* Replies with the JSON error of `err` (503 for an unavailable store). */
void api_reply_store_error(struct req *r, int err);

#endif
