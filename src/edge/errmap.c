/*
 * errmap.c - every enum ba_err mapped to HTTP status, error_code and default
 * message. This table is the documented error catalogue of the API; change
 * a row only together with docs and tests.
 *
 * Status policy (docs/API.md "HTTP API"): 400 bad input; 401 missing/invalid
 * bearer token, failed signature, wrong credentials, failed client
 * authentication; 403 valid token of the wrong kind or of another app, or a
 * request the app's policy refuses; 404 unknown user/key/route; 405; 409
 * duplicate; 413; 415; 429 key locked or rate limited; 500 internal (a
 * generic message only: details go to the log); 503 storage unavailable.
 */
#include "edge/errmap.h"

#include <stddef.h>

#include "common/error.h"

#define INTERNAL_ROW { 500, "internal_error", "server_error", "internal error" }

static const struct errmap_entry table[BA_ERR__COUNT] = {
	[BA_OK] = INTERNAL_ROW, /* replying "error OK" is itself a bug */
	[BA_ERR_INTERNAL] = INTERNAL_ROW,
	[BA_ERR_NOMEM] = INTERNAL_ROW,
	[BA_ERR_INVALID_REQUEST] = { 400, "invalid_request", "invalid_request",
		"invalid request" },
	[BA_ERR_NOT_FOUND] = { 404, "not_found", "invalid_request",
		"not found" },
	[BA_ERR_CONFLICT] = { 409, "conflict", "invalid_request",
		"already exists" },
	[BA_ERR_STORE_UNAVAILABLE] = { 503, "storage_unavailable",
		"temporarily_unavailable", "storage unavailable" },
	[BA_ERR_INVALID_KEY_ENCODING] = { 400, "invalid_key_encoding",
		"invalid_request", "public key is not validly encoded" },
	[BA_ERR_INVALID_KEY_TYPE] = { 400, "invalid_key_type",
		"invalid_request", "public key type is not supported" },
	[BA_ERR_INVALID_SIGNATURE] = { 401, "invalid_signature",
		"invalid_grant", "signature verification failed" },
	[BA_ERR_INVALID_TOKEN] = { 401, "invalid_token", "invalid_token",
		"access token is missing, invalid or expired" },
	[BA_ERR_WRONG_TOKEN_KIND] = { 403, "wrong_token_kind",
		"insufficient_scope", "access token of the wrong kind" },
	[BA_ERR_FORBIDDEN] = { 403, "forbidden", "insufficient_scope",
		"not allowed for this app" },
	[BA_ERR_CHALLENGE_EXPIRED] = { 400, "challenge_expired",
		"invalid_grant", "challenge expired" },
	[BA_ERR_CHALLENGE_REUSED] = { 400, "challenge_reused",
		"invalid_grant", "challenge already used" },
	[BA_ERR_KEY_LOCKED] = { 429, "key_locked", "invalid_grant",
		"key is locked after repeated failures" },
	[BA_ERR_MAX_AUTHENTICATORS] = { 409, "max_authenticators_exceeded",
		"invalid_request", "too many authenticators for this user" },
	[BA_ERR_PAYLOAD_TOO_LARGE] = { 413, "payload_too_large",
		"invalid_request", "request body too large" },
	[BA_ERR_UNSUPPORTED_MEDIA_TYPE] = { 415, "unsupported_media_type",
		"invalid_request", "unsupported content type" },
	[BA_ERR_METHOD_NOT_ALLOWED] = { 405, "method_not_allowed",
		"invalid_request", "method not allowed" },
	[BA_ERR_ROUTE_NOT_FOUND] = { 404, "not_found", "invalid_request",
		"no such route" },
	[BA_ERR_INVALID_CREDENTIALS] = { 401, "invalid_credentials",
		"invalid_grant", "invalid username or password" },
	[BA_ERR_INVALID_CLIENT] = { 401, "invalid_client", "invalid_client",
		"client authentication failed" },
	[BA_ERR_INVALID_GRANT] = { 400, "invalid_grant", "invalid_grant",
		"invalid, expired or revoked grant" },
	[BA_ERR_INVALID_TARGET] = { 400, "invalid_target", "invalid_target",
		"resource not allowed for this client" },
	[BA_ERR_UNSUPPORTED_GRANT_TYPE] = { 400, "unsupported_grant_type",
		"unsupported_grant_type", "unsupported grant_type" },
	[BA_ERR_CHALLENGE_NOT_ALLOWED] = { 403, "challenge_not_allowed",
		"invalid_request", "client-made challenges are not allowed for "
		"this app" },
	[BA_ERR_RATE_LIMITED] = { 429, "rate_limited", "slow_down",
		"too many requests" },
	[BA_ERR_INVALID_CHALLENGE] = { 400, "invalid_challenge",
		"invalid_grant", "unknown challenge" },
	[BA_ERR_REQUEST_TIMEOUT] = { 408, "request_timeout", "invalid_request",
		"request timed out" },
	[BA_ERR_HEADER_TOO_LARGE] = { 431, "header_too_large",
		"invalid_request", "request header too large" },
	[BA_ERR_CONFIG] = INTERNAL_ROW,
	[BA_ERR_IO] = INTERNAL_ROW,
	[BA_ERR_INVALID_ATTESTATION] = { 400, "invalid_attestation", "invalid_request",
		"key attestation refused" },
	[BA_ERR_BIOMETRIC_REQUIRED] = { 403, "biometric_required", "invalid_request",
		"registering a further key needs a session with a biometric factor" },
	[BA_ERR_TOO_MANY_ATTEMPTS] = { 429, "too_many_attempts", "slow_down",
		"too many failed attempts; retry later" },
	[BA_ERR_CHALLENGE_QUOTA] = { 429, "challenge_quota_exceeded", "slow_down",
		"the app has too many outstanding challenges" },
	[BA_ERR_APPROVAL_DATA_QUOTA] = { 429, "approval_data_quota_exceeded", "slow_down",
		"the approval_data of the app's outstanding challenges is at its quota" },
	[BA_ERR_USERS_API_FORBIDDEN] = { 403, "users_api_forbidden", "invalid_request",
		"this app may not make this Users API call" },
};

const struct errmap_entry *
errmap_get(int err)
{
	static const struct errmap_entry internal = INTERNAL_ROW;

	if (err <= BA_OK || err >= BA_ERR__COUNT || table[err].code == NULL)
		return &internal;
	return &table[err];
}
