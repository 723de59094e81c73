/*
 * evaluate.c - the registration rule: what an app's attestation mode
 * (none, optional, required) makes of a payload, see attest_evaluate().
 */
#include <string.h>

#include "attest/attest.h"

const char *attest_status_name(enum attest_status s)
{
	switch (s) {
	case ATTEST_STATUS_VERIFIED: return "verified";
	case ATTEST_STATUS_UNVERIFIED: return "unverified";
	default: return "unattested";
	}
}

enum attest_reason attest_evaluate(enum attest_mode mode, const char *encoded, size_t len,
                                   const struct attest_input *in,
                                   const struct attest_policy *policy,
                                   struct attest_verdict *v, enum attest_status *status)
{
	struct attest_payload p;
	enum attest_reason r;
	bool present = encoded != NULL && len > 0;

	memset(v, 0, sizeof(*v));
	*status = present ? ATTEST_STATUS_UNVERIFIED : ATTEST_STATUS_UNATTESTED;
	if (mode == ATTEST_MODE_NONE)
		return ATTEST_OK;
	if (!present) {
		v->reason = mode == ATTEST_MODE_REQUIRED ? ATTEST_MISSING : ATTEST_OK;
		return v->reason;
	}
	r = attest_payload_parse(encoded, len, &p);
	if (r == ATTEST_FORMAT_UNSUPPORTED) {
		/* Someone else's payload: kept unverified where that is allowed. */
		v->reason = mode == ATTEST_MODE_OPTIONAL ? ATTEST_OK : r;
		return v->reason;
	}
	if (r == ATTEST_OK)
		r = attest_verify_payload(&p, in, policy, v);
	attest_payload_clear(&p);
	if (r == ATTEST_OK)
		*status = ATTEST_STATUS_VERIFIED;
	v->reason = r;
	return r;
}
