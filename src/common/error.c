#include "common/error.h"

#include <stddef.h>

static const char *const names[BA_ERR__COUNT] = {
	[BA_OK] = "ok",
	[BA_ERR_INTERNAL] = "internal_error",
	[BA_ERR_NOMEM] = "out_of_memory",
	[BA_ERR_INVALID_REQUEST] = "invalid_request",
	[BA_ERR_NOT_FOUND] = "not_found",
	[BA_ERR_CONFLICT] = "conflict",
	[BA_ERR_STORE_UNAVAILABLE] = "storage_unavailable",
	[BA_ERR_INVALID_KEY_ENCODING] = "invalid_key_encoding",
	[BA_ERR_INVALID_KEY_TYPE] = "invalid_key_type",
	[BA_ERR_INVALID_SIGNATURE] = "invalid_signature",
	[BA_ERR_INVALID_TOKEN] = "invalid_token",
	[BA_ERR_WRONG_TOKEN_KIND] = "wrong_token_kind",
	[BA_ERR_FORBIDDEN] = "forbidden",
	[BA_ERR_CHALLENGE_EXPIRED] = "challenge_expired",
	[BA_ERR_CHALLENGE_REUSED] = "challenge_reused",
	[BA_ERR_KEY_LOCKED] = "key_locked",
	[BA_ERR_MAX_AUTHENTICATORS] = "max_authenticators_exceeded",
	[BA_ERR_PAYLOAD_TOO_LARGE] = "payload_too_large",
	[BA_ERR_UNSUPPORTED_MEDIA_TYPE] = "unsupported_media_type",
	[BA_ERR_METHOD_NOT_ALLOWED] = "method_not_allowed",
	[BA_ERR_ROUTE_NOT_FOUND] = "not_found",
	[BA_ERR_INVALID_CREDENTIALS] = "invalid_credentials",
	[BA_ERR_INVALID_CLIENT] = "invalid_client",
	[BA_ERR_INVALID_GRANT] = "invalid_grant",
	[BA_ERR_INVALID_TARGET] = "invalid_target",
	[BA_ERR_UNSUPPORTED_GRANT_TYPE] = "unsupported_grant_type",
	[BA_ERR_CHALLENGE_NOT_ALLOWED] = "challenge_not_allowed",
	[BA_ERR_RATE_LIMITED] = "rate_limited",
	[BA_ERR_INVALID_CHALLENGE] = "invalid_challenge",
	[BA_ERR_REQUEST_TIMEOUT] = "request_timeout",
	[BA_ERR_HEADER_TOO_LARGE] = "header_too_large",
	[BA_ERR_CONFIG] = "invalid_config",
	[BA_ERR_IO] = "io_error",
	[BA_ERR_INVALID_ATTESTATION] = "invalid_attestation",
	[BA_ERR_BIOMETRIC_REQUIRED] = "biometric_required",
	[BA_ERR_TOO_MANY_ATTEMPTS] = "too_many_attempts",
	[BA_ERR_CHALLENGE_QUOTA] = "challenge_quota_exceeded",
	[BA_ERR_APPROVAL_DATA_QUOTA] = "approval_data_quota_exceeded",
	[BA_ERR_USERS_API_FORBIDDEN] = "users_api_forbidden",
};

const char *
ba_strerror(int err)
{
	if (err < 0 || err >= BA_ERR__COUNT || names[err] == NULL)
		return "internal_error";
	return names[err];
}
