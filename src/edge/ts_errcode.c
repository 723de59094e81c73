/*
 * ts_errcode.c - the `ts_error_code` of every error body: enum ba_err mapped
 * to the code Transmit's API documents for the same failure, so that client
 * code written for Transmit that switches on `ts_error_code` keeps working.
 *
 * Where Transmit documents a code for the failure (system_invalid_input,
 * auth_invalid_key_encoding, auth_invalid_key_type,
 * auth_max_authenticators_count_exceeded) that code is used; the other rows
 * follow the same `system_` / `auth_` naming. The table is documented in
 * docs/openapi.yaml (components.schemas.Error); change both together.
 */
#include "edge/errmap.h"

#include <stddef.h>

#include "common/error.h"

static const char *const table[BA_ERR__COUNT] = {
	[BA_ERR_INTERNAL] = "system_internal_error",
	[BA_ERR_NOMEM] = "system_internal_error",
	[BA_ERR_INVALID_REQUEST] = "system_invalid_input",
	[BA_ERR_NOT_FOUND] = "system_not_found",
	[BA_ERR_CONFLICT] = "system_conflict",
	[BA_ERR_STORE_UNAVAILABLE] = "system_service_unavailable",
	[BA_ERR_INVALID_KEY_ENCODING] = "auth_invalid_key_encoding",
	[BA_ERR_INVALID_KEY_TYPE] = "auth_invalid_key_type",
	[BA_ERR_INVALID_SIGNATURE] = "auth_invalid_signature",
	[BA_ERR_INVALID_TOKEN] = "system_unauthorized",
	[BA_ERR_WRONG_TOKEN_KIND] = "system_forbidden",
	[BA_ERR_FORBIDDEN] = "system_forbidden",
	[BA_ERR_CHALLENGE_EXPIRED] = "auth_challenge_expired",
	[BA_ERR_CHALLENGE_REUSED] = "auth_challenge_reused",
	[BA_ERR_KEY_LOCKED] = "auth_key_locked",
	[BA_ERR_MAX_AUTHENTICATORS] = "auth_max_authenticators_count_exceeded",
	[BA_ERR_PAYLOAD_TOO_LARGE] = "system_invalid_input",
	[BA_ERR_UNSUPPORTED_MEDIA_TYPE] = "system_invalid_input",
	[BA_ERR_METHOD_NOT_ALLOWED] = "system_method_not_allowed",
	[BA_ERR_ROUTE_NOT_FOUND] = "system_not_found",
	[BA_ERR_INVALID_CREDENTIALS] = "auth_invalid_credentials",
	[BA_ERR_INVALID_CLIENT] = "system_unauthorized",
	[BA_ERR_INVALID_GRANT] = "auth_invalid_grant",
	[BA_ERR_INVALID_TARGET] = "system_invalid_input",
	[BA_ERR_UNSUPPORTED_GRANT_TYPE] = "system_invalid_input",
	[BA_ERR_CHALLENGE_NOT_ALLOWED] = "auth_challenge_not_allowed",
	[BA_ERR_RATE_LIMITED] = "system_rate_limited",
	[BA_ERR_INVALID_CHALLENGE] = "auth_invalid_challenge",
	[BA_ERR_REQUEST_TIMEOUT] = "system_invalid_input",
	[BA_ERR_HEADER_TOO_LARGE] = "system_invalid_input",
	[BA_ERR_CONFIG] = "system_internal_error",
	[BA_ERR_IO] = "system_internal_error",
	[BA_ERR_INVALID_ATTESTATION] = "auth_invalid_attestation",
	[BA_ERR_BIOMETRIC_REQUIRED] = "auth_biometric_required",
	[BA_ERR_TOO_MANY_ATTEMPTS] = "auth_too_many_attempts",
	[BA_ERR_CHALLENGE_QUOTA] = "system_rate_limited",
	[BA_ERR_APPROVAL_DATA_QUOTA] = "system_rate_limited",
	[BA_ERR_USERS_API_FORBIDDEN] = "system_forbidden",
};

const char *
errmap_ts_code(int err)
{
	if (err <= BA_OK || err >= BA_ERR__COUNT || table[err] == NULL)
		return "system_internal_error";
	return table[err];
}
