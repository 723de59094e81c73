/*
 * keydesc.c - fuzzes the Android side of key attestation (src/attest/):
 * the KeyDescription parser, the payload decoder and the chain verifier.
 *
 * Input: [2 control bytes][selector][bytes]. Selector & 3:
 *  0: bytes are a KeyDescription (keydesc_parse, then the
 *     AttestationApplicationId readers on what it found);
 *  1: bytes are attestation_encoded_result (attest_payload_parse; with
 *     selector bit 2, attest_payload_parse_json on the bytes as JSON; with
 *     bit 3, attest_evaluate in the mode of bits 4-5);
 *  2/3: bytes are a chain, each certificate as [2-byte big-endian length]
 *     [DER] (attest_verify_android with the built-in anchors, at the time
 *     of the caiman seed, challenge and key checks skipped with bit 2).
 *
 * Properties: everything parsed lies inside the input; versions are 1-400;
 * a package name is NUL-terminated within its buffer; a reason is one of
 * the catalogue, and ATTEST_INTERNAL only after an injected allocation
 * failure, which gives ATTEST_INTERNAL or the verdict of the same chain
 * without it (never a verdict of its own); a payload that failed to parse holds nothing.
 */
#include <string.h>

#include "attest/attest.h"
#include "attest/keydesc.h"
#include "fuzz_common.h"

#define KD_CAIMAN_AT 1758900680   /* 2025-09-26T15:31:20Z */

static bool kd_inside(const struct der *d, const uint8_t *data, size_t size)
{
	return d->len == 0 || (d->p >= data && d->p + d->len <= data + size);
}

static void kd_parse(const uint8_t *data, size_t size)
{
	struct keydesc kd;
	char pkg[64];
	static const uint8_t digest[32];

	if (!keydesc_parse(data, size, &kd))
		return;
	FUZZ_CHECK(kd.attestation_version >= 1 && kd.attestation_version <= 400);
	FUZZ_CHECK(kd_inside(&kd.challenge, data, size));
	const struct keydesc_authlist *lists[2] = { &kd.sw, &kd.hw };
	for (int i = 0; i < 2; i++) {
		if (!lists[i]->has_app_id)
			continue;
		FUZZ_CHECK(kd_inside(&lists[i]->app_id, data, size));
		if (keydesc_first_package(&lists[i]->app_id, pkg, sizeof(pkg)))
			FUZZ_CHECK(memchr(pkg, '\0', sizeof(pkg)) != NULL);
		(void)keydesc_app_matches(&lists[i]->app_id, "com.example", 11, digest);
	}
}

static void kd_payload(const uint8_t *data, size_t size, bool json)
{
	struct attest_payload p;
	enum attest_reason r;

	fuzz_alloc_begin();
	r = json ? attest_payload_parse_json((const char *)data, size, &p)
	         : attest_payload_parse((const char *)data, size, &p);
	bool failed = fuzz_alloc_end();
	FUZZ_CHECK(r == ATTEST_OK || r == ATTEST_MISSING || r == ATTEST_MALFORMED ||
	           r == ATTEST_FORMAT_UNSUPPORTED || (failed && r == ATTEST_INTERNAL));
	if (failed && r != ATTEST_INTERNAL) {
		struct attest_payload p2;
		FUZZ_CHECK((json ? attest_payload_parse_json((const char *)data, size, &p2)
		                 : attest_payload_parse((const char *)data, size, &p2)) == r);
		attest_payload_clear(&p2);
	}
	if (r != ATTEST_OK)
		FUZZ_CHECK(p.n_certs == 0 && p.attestation == NULL && p.key_id == NULL);
	if (r == ATTEST_OK && p.format == ATTEST_FORMAT_ANDROID_KEY)
		FUZZ_CHECK(p.n_certs >= 1 && p.n_certs <= ATTEST_MAX_CHAIN);
	attest_payload_clear(&p);
}

/* The registration rule on an arbitrary payload: mode none never
 * refuses, and nothing forged verifies. */
static void kd_evaluate(const uint8_t *data, size_t size, unsigned mode)
{
	struct attest_input in;
	struct attest_verdict v;
	enum attest_status st;
	static const struct attest_policy pol;

	memset(&in, 0, sizeof(in));
	in.at = KD_CAIMAN_AT;
	in.challenge = (const uint8_t *)"d688d763-6118-4ca6-94b2-e6cd9ed7e4e4";
	in.challenge_len = 36;
	fuzz_alloc_begin();
	enum attest_reason r = attest_evaluate((enum attest_mode)(mode % 3), (const char *)data,
	                                       size, &in, &pol, &v, &st);
	bool failed = fuzz_alloc_end();
	FUZZ_CHECK((unsigned)r < ATTEST_REASON__COUNT && (failed || r != ATTEST_INTERNAL));
	if (failed && r != ATTEST_INTERNAL) {
		struct attest_verdict v2;
		enum attest_status st2;
		FUZZ_CHECK(attest_evaluate((enum attest_mode)(mode % 3), (const char *)data, size,
		                           &in, &pol, &v2, &st2) == r && st2 == st);
	}
	if (mode % 3 == ATTEST_MODE_NONE)
		FUZZ_CHECK(r == ATTEST_OK && st != ATTEST_STATUS_VERIFIED);
	if (size == 0)
		FUZZ_CHECK(st == ATTEST_STATUS_UNATTESTED);
	if (r == ATTEST_OK && st == ATTEST_STATUS_VERIFIED)
		FUZZ_CHECK(v.facts.security_level >= ATTEST_LEVEL_TEE ||
		           v.facts.format == ATTEST_FORMAT_APPLE_APPATTEST);
}

static void kd_chain(const uint8_t *data, size_t size, bool skip)
{
	const uint8_t *certs[ATTEST_MAX_CHAIN];
	size_t lens[ATTEST_MAX_CHAIN], n = 0;
	struct attest_input in;
	struct attest_policy pol;
	struct attest_verdict v;

	while (size >= 2 && n < ATTEST_MAX_CHAIN) {
		size_t len = (size_t)data[0] << 8 | data[1];
		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		certs[n] = data;
		lens[n++] = len;
		data += len;
		size -= len;
	}
	memset(&in, 0, sizeof(in));
	memset(&pol, 0, sizeof(pol));
	in.at = KD_CAIMAN_AT;
	in.challenge = (const uint8_t *)"d688d763-6118-4ca6-94b2-e6cd9ed7e4e4";
	in.challenge_len = 36;
	if (skip)
		in.skip = ATTEST_SKIP_CHALLENGE | ATTEST_SKIP_PUBLIC_KEY;
	fuzz_alloc_begin();
	enum attest_reason r = attest_verify_android(certs, lens, n, &in, &pol, &v);
	bool failed = fuzz_alloc_end();
	FUZZ_CHECK(r == v.reason && (unsigned)r < ATTEST_REASON__COUNT);
	FUZZ_CHECK(failed || r != ATTEST_INTERNAL);
	if (failed && r != ATTEST_INTERNAL) {
		/* A failed allocation is bioauth's own: it gives ATTEST_INTERNAL
		 * or changes nothing, never another verdict. */
		struct attest_verdict v2;
		FUZZ_CHECK(attest_verify_android(certs, lens, n, &in, &pol, &v2) == r);
	}
	FUZZ_CHECK(v.facts.format == ATTEST_FORMAT_ANDROID_KEY);
	FUZZ_CHECK(memchr(v.facts.app_id, '\0', sizeof(v.facts.app_id)) != NULL);
	if (r == ATTEST_OK)
		FUZZ_CHECK(v.facts.security_level >= ATTEST_LEVEL_TEE);
}

FUZZ_TARGET(keydesc)
{
	uint8_t sel;

	alloc_fail_install();
	fuzz_warm_up();
	fuzz_take_alloc_control(&data, &size);
	sel = fuzz_take_u8(&data, &size);
	switch (sel & 3) {
	case 0:
		kd_parse(data, size);
		break;
	case 1:
		if (sel & 8)
			kd_evaluate(data, size, (unsigned)(sel >> 4) & 3);
		else
			kd_payload(data, size, (sel & 4) != 0);
		break;
	default:
		kd_chain(data, size, (sel & 4) != 0);
		break;
	}
	return 0;
}
