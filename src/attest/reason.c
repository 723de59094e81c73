/*
 * reason.c - the names of attestation reasons, formats and levels: the
 * `reason` catalogue clients and operators see.
 */
#include "attest/attest.h"
#include "common/error.h"

/*
 * The catalogue: the fixed list of docs/openapi.yaml, plus assertion_counter_not_increasing
 * (an App Attest assertion whose counter is not above the one stored, i.e.
 * a replayed or cloned assertion). "internal_error" names ATTEST_INTERNAL
 * for logs only: it is bioauth's failure, not a reason (see attest_error).
 */
static const char *const reasons[ATTEST_REASON__COUNT] = {
	[ATTEST_OK] = "ok",
	[ATTEST_MISSING] = "attestation_missing",
	[ATTEST_MALFORMED] = "attestation_malformed",
	[ATTEST_FORMAT_UNSUPPORTED] = "attestation_format_unsupported",
	[ATTEST_KEY_MISMATCH] = "attestation_key_mismatch",
	[ATTEST_UNTRUSTED_ROOT] = "attestation_untrusted_root",
	[ATTEST_CHAIN_INVALID] = "attestation_chain_invalid",
	[ATTEST_CERT_EXPIRED] = "attestation_cert_expired",
	[ATTEST_REVOKED] = "attestation_revoked",
	[ATTEST_EXTENSION_MISSING] = "attestation_extension_missing",
	[ATTEST_CHALLENGE_MISMATCH] = "attestation_challenge_mismatch",
	[ATTEST_SECURITY_LEVEL] = "attestation_security_level",
	[ATTEST_KEY_ORIGIN] = "attestation_key_origin",
	[ATTEST_KEY_PURPOSE] = "attestation_key_purpose",
	[ATTEST_ROOT_OF_TRUST] = "attestation_root_of_trust",
	[ATTEST_USER_AUTH_NOT_REQUIRED] = "attestation_user_auth_not_required",
	[ATTEST_BIOMETRIC_NOT_BOUND] = "attestation_biometric_not_bound",
	[ATTEST_APP_ID_MISMATCH] = "attestation_app_id_mismatch",
	[ATTEST_ENVIRONMENT] = "attestation_environment",
	[ATTEST_KEY_ID_MISMATCH] = "attestation_key_id_mismatch",
	[ATTEST_COUNTER_NONZERO] = "attestation_counter_nonzero",
	[ATTEST_UNSUPPORTED_KEY_ALGORITHM] = "attestation_unsupported_key_algorithm",
	[ATTEST_ASSERTION_SIGNATURE_INVALID] = "assertion_signature_invalid",
	[ATTEST_ASSERTION_COUNTER] = "assertion_counter_not_increasing",
	[ATTEST_INTERNAL] = "internal_error",
};

const char *attest_reason_name(enum attest_reason r)
{
	if ((unsigned)r >= ATTEST_REASON__COUNT)
		return "internal_error";
	return reasons[r];
}

int attest_error(enum attest_reason r)
{
	return r == ATTEST_INTERNAL || (unsigned)r >= ATTEST_REASON__COUNT ? BA_ERR_INTERNAL : BA_OK;
}

const char *attest_format_name(enum attest_format f)
{
	switch (f) {
	case ATTEST_FORMAT_ANDROID_KEY: return "android-key";
	case ATTEST_FORMAT_APPLE_APPATTEST: return "apple-appattest";
	default: return "none";
	}
}

const char *attest_level_name(enum attest_level l)
{
	switch (l) {
	case ATTEST_LEVEL_SOFTWARE: return "software";
	case ATTEST_LEVEL_TEE: return "tee";
	case ATTEST_LEVEL_STRONGBOX: return "strongbox";
	case ATTEST_LEVEL_SECURE_ENCLAVE: return "secure_enclave";
	default: return "unknown";
	}
}
