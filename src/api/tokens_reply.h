/*
 * tokens_reply.h - issuing a session's tokens and the refresh-token exchange,
 * shared by the password, mobile-biometrics, /v1 refresh and /oidc/token
 * handlers.
 */
#ifndef BIOAUTH_API_TOKENS_REPLY_H
#define BIOAUTH_API_TOKENS_REPLY_H

#include <stdbool.h>

#include "domain/tokens.h"
#include "edge/http.h"
#include "domain/model.h"

enum reply_shape {
	SHAPE_V1,     /* {access_token,id_token,refresh_token,token_type,expires_in,session_id} */
	SHAPE_OAUTH,  /* RFC 6749 5.1: the same without session_id; errors RFC 6749 */
};

/*
 * Replies 200 with a token response: {"access_token", then "id_token" and
 * "refresh_token" when not NULL, "token_type":"Bearer", "expires_in", then
 * "session_id" when not NULL}, written straight into one buffer (no
 * jansson tree: a token's members are long strings that only need
 * escaping checks). Replies the NOMEM error (in `shape`'s form) when the
 * buffer cannot be had or a member is not UTF-8, as building a jansson
 * object would have.
 */
void api_reply_token_body(struct req *r, enum reply_shape shape, const char *access,
                          const char *id_token, const char *refresh_token,
                          int64_t expires_in, const char *session_id);

/* Mints the access and ID tokens of `subj` and replies 200 with them and
 * `refresh_token`. */
void api_reply_tokens(struct req *r, const struct token_subject *subj,
                      const char *refresh_token, enum reply_shape shape);

/* A new opaque refresh token (32 random bytes, base64url) and its record
 * (hash, times; session_id left NULL). *token malloc'd. */
int api_new_refresh(const struct config *cfg, const struct model_app *app, int64_t now,
                    char **token, struct model_refresh *rec);

/*
 * Exchanges `refresh_token` of `app` (copied): rotates it in the store and
 * replies with new tokens, or with invalid_grant (unknown, expired, revoked,
 * of another app, or reused - reuse revokes the session). Takes ownership of
 * `app`'s contents (the struct is moved and cleared).
 */
void api_refresh(struct req *r, struct model_app *app, const char *refresh_token,
                 enum reply_shape shape);

#endif
