/*
 * appattest.c - fuzzes the Apple App Attest verifier (src/attest/apple.c)
 * and the CBOR pre-scan in front of libcbor (src/attest/cbor_guard.c).
 *
 * Input: [2 control bytes][selector][2-byte big-endian length L]
 * [attestation object, L bytes][assertion, the rest]. The verifier runs at
 * the time of the ios-14.4 seed with its clientDataHash, key ID, app ID
 * (development) and assertion clientData, so the seed is accepted and
 * mutations reach every step. Selector bits leave checks out so that
 * mutated authenticator data gets past the nonce: 1 challenge, 2 key ID,
 * 4 assertion, 8 app ID, 16 environment. Bit 32 instead runs cbor_guard
 * alone on everything after the selector.
 *
 * Properties: the reason is one of the catalogue and the verdict's; never
 * ATTEST_INTERNAL unless an allocation failed, and a failed allocation
 * gives ATTEST_INTERNAL or the verdict without it, never one of its own;
 * an accepted object is a Secure Enclave key whose key ID is the expected
 * one (unless skipped);
 * cbor_guard accepts nothing shorter than its item.
 */
#include <string.h>

#include "attest/attest.h"
#include "attest/cbor_guard.h"
#include "fuzz_common.h"

#define AA_AT 1611404013   /* 2021-01-23T12:13:33Z */

static const uint8_t aa_cdh[32] = {   /* SHA-256("wurzelpfropf") */
	0x8b, 0xe6, 0x5c, 0xca, 0x51, 0x5a, 0xd0, 0x97, 0xc9, 0x53, 0x96, 0x7d, 0x18, 0xd6, 0x35, 0xd8,
	0x6d, 0xd7, 0x8a, 0x14, 0x2e, 0xd3, 0xd0, 0x77, 0x52, 0x6b, 0xed, 0x11, 0xc6, 0xbe, 0xc6, 0x7b,
};
static const uint8_t aa_key_id[32] = {
	0x62, 0x66, 0xc9, 0x3b, 0x8c, 0x79, 0x9c, 0x41, 0xd4, 0xbe, 0x77, 0x29, 0xf7, 0x37, 0x56, 0xb9,
	0x56, 0x63, 0x34, 0x11, 0x0c, 0x80, 0x99, 0xf7, 0x71, 0xd4, 0x93, 0xa0, 0x05, 0xd0, 0x7b, 0x73,
};

FUZZ_TARGET(appattest)
{
	static const char *const aa_ids[] = { "6MURL8TA57.de.vincent-haupert.apple-appattest-poc" };
	struct attest_input in;
	struct attest_policy pol;
	struct attest_verdict v;
	uint8_t sel;
	size_t att_len;

	alloc_fail_install();
	fuzz_warm_up();
	fuzz_take_alloc_control(&data, &size);
	sel = fuzz_take_u8(&data, &size);
	if (sel & 32) {
		if (cbor_guard(data, size, 4, 64))
			FUZZ_CHECK(size > 0 && !cbor_guard(data, size - 1, 4, 64));
		return 0;
	}
	att_len = (size_t)fuzz_take_u8(&data, &size) << 8;
	att_len |= fuzz_take_u8(&data, &size);
	if (att_len > size)
		att_len = size;

	memset(&in, 0, sizeof(in));
	memset(&pol, 0, sizeof(pol));
	in.at = AA_AT;
	in.client_data_hash = aa_cdh;
	in.assertion_client_data = (const uint8_t *)"wurzelpfropf";
	in.assertion_client_data_len = 12;
	in.skip = (unsigned)(sel & 31);
	pol.apple_app_ids = aa_ids;
	pol.n_apple_app_ids = 1;
	pol.apple_environment = ATTEST_ENV_DEVELOPMENT;

	fuzz_alloc_begin();
	enum attest_reason r = attest_verify_apple(data, att_len, aa_key_id, sizeof(aa_key_id),
	                                           data + att_len, size - att_len, &in, &pol, &v);
	bool failed = fuzz_alloc_end();
	FUZZ_CHECK(r == v.reason && (unsigned)r < ATTEST_REASON__COUNT);
	FUZZ_CHECK(failed || r != ATTEST_INTERNAL);
	if (failed && r != ATTEST_INTERNAL) {
		struct attest_verdict v2;
		FUZZ_CHECK(attest_verify_apple(data, att_len, aa_key_id, sizeof(aa_key_id),
		                               data + att_len, size - att_len, &in, &pol, &v2) == r);
	}
	FUZZ_CHECK(v.facts.format == ATTEST_FORMAT_APPLE_APPATTEST);
	if (r == ATTEST_OK) {
		FUZZ_CHECK(v.facts.security_level == ATTEST_LEVEL_SECURE_ENCLAVE);
		if (!(in.skip & ATTEST_SKIP_KEY_ID))
			FUZZ_CHECK(memcmp(v.facts.key_id, aa_key_id, 32) == 0);
		if (!(in.skip & ATTEST_SKIP_ASSERTION))
			FUZZ_CHECK(v.facts.assertion_counter > 0);
	}
	return 0;
}
