/*
 * tokens.h - the JWTs bioauth issues and accepts (docs/API.md "HTTP API").
 *
 * Access tokens follow RFC 9068 (header typ "at+jwt") with iss, sub, aud,
 * client_id, app_id, app_name, tid, iat, exp, jti and, for user tokens, sid
 * and amr. `sub` is the user_id for user tokens and the client_id for client
 * tokens. ID tokens (typ "JWT") carry iss, sub, aud (= client_id), iat, exp,
 * auth_time, amr, sid plus requested claims. All are signed by the keyset's
 * signer; verification takes the algorithm from the key (crypto/jws.h).
 */
#ifndef BIOAUTH_DOMAIN_TOKENS_H
#define BIOAUTH_DOMAIN_TOKENS_H

#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "domain/keyring.h"
#include "domain/model.h"

enum token_kind { TOKEN_CLIENT = 1, TOKEN_USER = 2 };

/* ID-token claims a request may ask for (OIDC `claims.id_token`). */
enum token_claim {
	CLAIM_USERNAME = 1u << 0,
	CLAIM_ORG_ID = 1u << 1,
	CLAIM_ORGANIZATION = 1u << 2,
	CLAIM_APPROVAL_DATA = 1u << 3,
};

/* What a user token pair is about. */
struct token_subject {
	const struct model_app *app;
	const struct model_session *session;
	const char *audience;       /* access-token aud (a resource of the app) */
	const char *username;       /* for CLAIM_USERNAME, may be NULL */
	const char *approval_data;  /* JSON object text from /start, may be NULL */
	unsigned claims;            /* enum token_claim bits requested */
	int64_t now;
};

struct token_claims {
	enum token_kind kind;
	char *sub;
	char *aud;
	char *client_id;
	char *app_id;
	char *sid;                  /* user tokens only */
	char *jti;
	int64_t iat;
	int64_t exp;
	int64_t nbf;                /* 0 when the token has none */
	unsigned factors;           /* from amr, user tokens only */
};

/* Lifetimes in effect for `app` (its override, else the server default). */
int64_t tokens_access_ttl(const struct config *cfg, const struct model_app *app);
int64_t tokens_id_ttl(const struct config *cfg, const struct model_app *app);
int64_t tokens_refresh_ttl(const struct config *cfg, const struct model_app *app);

/* The audience of tokens for `app` when the request names no resource. */
const char *tokens_default_audience(const struct config *cfg, const struct model_app *app);

/* A client access token (client_credentials). *access malloc'd. */
int tokens_issue_client(const struct config *cfg, const struct keyset *ks,
                        const struct model_app *app, const char *audience,
                        int64_t now, char **access, int64_t *expires_in);

/* A user access token and ID token for a session. Both malloc'd. */
int tokens_issue_user(const struct config *cfg, const struct keyset *ks,
                      const struct token_subject *subj, char **access,
                      char **id_token, int64_t *expires_in);

/* Verifies an access token: signature by a key of `ks`, typ at+jwt, iss,
 * exp and iat/nbf within cfg->clock_leeway, well-formed claims.
 * BA_OK fills *out (clear it); BA_ERR_INVALID_TOKEN otherwise. */
int tokens_verify_access(const struct config *cfg, struct keyset *ks,
                         const char *jwt, size_t len, int64_t now,
                         struct token_claims *out);
/* The same, and on BA_OK *key (when `key` is not NULL) is the keyset's key
 * that verified the signature: owned by `ks`, valid while the caller holds
 * it (the verified-token cache remembers its kid). */
int tokens_verify_access_key(const struct config *cfg, struct keyset *ks,
                             const char *jwt, size_t len, int64_t now,
                             struct token_claims *out, const struct jws_key **key);
/* The time rules of an access token at `now`: exp > now - leeway, iat and
 * nbf <= now + leeway (cfg->clock_leeway). BA_OK or BA_ERR_INVALID_TOKEN.
 * The one implementation, used on every verification and on every use of a
 * cached verification (domain/token_cache.h). */
int tokens_check_time(const struct config *cfg, const struct token_claims *c, int64_t now);
void token_claims_clear(struct token_claims *c);

/* Writes the amr names of `factors` into a JSON-free form: up to
 * TOKENS_MAX_AMR static strings ("pwd", "mobile_biometrics", "mfa" for
 * both, "hwk" for a key attested to live in secure hardware); returns the
 * count. */
#define TOKENS_MAX_AMR 4
size_t tokens_amr(unsigned factors, const char *names[TOKENS_MAX_AMR]);

#endif
