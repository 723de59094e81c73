/*
 * test_ecsig.c - the DER <-> r||s conversions of ECDSA signatures
 * (src/crypto/ecsig.c): every DER signature of Wycheproof's P-256 vectors
 * gets the verdict OpenSSL's reader gives once a re-encoding must return
 * the input (d2i_ECDSA_SIG + i2d_ECDSA_SIG, the strict reading bioauth
 * used before its own), every accepted one round-trips, every r||s of the
 * P1363 vectors is written as i2d_ECDSA_SIG writes it, and the DER edge
 * cases each have a named test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>

#include "common/error.h"
#include "crypto/ecsig.h"

#define WP_DIR "test/vectors/wycheproof/"

/* The reference: OpenSSL's reader, and the input must be the one DER
 * encoding of what it read. true when der is a strict DER signature whose
 * integers fit `half` bytes; their r||s then in raw. */
static bool
reference_der_to_raw(const uint8_t *der, size_t len, size_t half, uint8_t *raw)
{
	const unsigned char *p = der;
	unsigned char *re = NULL;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)len);
	const BIGNUM *r, *s;
	bool ok = false;
	int n;

	if (sig == NULL || p != der + len)
		goto out;
	n = i2d_ECDSA_SIG(sig, &re);
	if (n <= 0 || (size_t)n != len || memcmp(re, der, len) != 0)
		goto out;
	ECDSA_SIG_get0(sig, &r, &s);
	if (BN_is_negative(r) || BN_is_negative(s) ||
	    (size_t)BN_num_bytes(r) > half || (size_t)BN_num_bytes(s) > half)
		goto out;
	ok = BN_bn2binpad(r, raw, (int)half) >= 0 && BN_bn2binpad(s, raw + half, (int)half) >= 0;
out:
	ERR_clear_error();
	OPENSSL_free(re);
	ECDSA_SIG_free(sig);
	return ok;
}

/* i2d_ECDSA_SIG of r||s into out (ECSIG_DER_MAX bytes); its length. */
static size_t
reference_raw_to_der(const uint8_t *raw, size_t raw_len, uint8_t *out)
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(raw, (int)(raw_len / 2), NULL);
	BIGNUM *s = BN_bin2bn(raw + raw_len / 2, (int)(raw_len / 2), NULL);
	unsigned char *enc = NULL;
	int n;

	assert_non_null(sig);
	assert_non_null(r);
	assert_non_null(s);
	assert_int_equal(ECDSA_SIG_set0(sig, r, s), 1);
	n = i2d_ECDSA_SIG(sig, &enc);
	assert_true(n > 0 && n <= ECSIG_DER_MAX);
	memcpy(out, enc, (size_t)n);
	OPENSSL_free(enc);
	ECDSA_SIG_free(sig);
	return (size_t)n;
}

/* The bytes of a Wycheproof hex string (OPENSSL_free them); NULL for "". */
static uint8_t *
unhex(const json_t *test, const char *key, size_t *len)
{
	const char *hex = json_string_value(json_object_get(test, key));
	long n = 0;
	uint8_t *b;

	assert_non_null(hex);
	*len = 0;
	if (hex[0] == '\0')
		return NULL;
	b = OPENSSL_hexstr2buf(hex, &n);
	assert_non_null(b);
	*len = (size_t)n;
	return b;
}

/* Calls fn(sig, len) for the signature of every test of a vector file. */
static int
each_signature(const char *file, void (*fn)(const uint8_t *, size_t, const char *))
{
	char path[256];
	json_error_t err;
	json_t *root, *group, *test;
	size_t gi, ti;
	int count = 0;

	snprintf(path, sizeof(path), WP_DIR "%s", file);
	root = json_load_file(path, 0, &err);
	if (root == NULL) {
		print_error("%s: %s (run the tests from the repository root)\n", path, err.text);
		fail();
	}
	json_array_foreach(json_object_get(root, "testGroups"), gi, group) {
		json_array_foreach(json_object_get(group, "tests"), ti, test) {
			size_t len;
			uint8_t *sig = unhex(test, "sig", &len);

			fn(sig, len, json_string_value(json_object_get(test, "result")));
			OPENSSL_free(sig);
			count++;
		}
	}
	assert_int_equal(count, (int)json_integer_value(json_object_get(root, "numberOfTests")));
	json_decref(root);
	return count;
}

static int der_accepted, der_refused;

static void
check_der(const uint8_t *sig, size_t len, const char *result)
{
	static const uint8_t none[1];
	uint8_t raw[64], ref[64], der[ECSIG_DER_MAX];
	size_t dl;
	bool ours, theirs;

	if (sig == NULL)
		sig = none;
	ours = ecsig_der_to_raw(sig, len, 32, raw) == BA_OK;
	theirs = len > 0 && reference_der_to_raw(sig, len, 32, ref);
	assert_int_equal(ours, theirs);
	if (strcmp(result, "valid") == 0)
		assert_true(ours);
	if (!ours) {
		der_refused++;
		return;
	}
	der_accepted++;
	assert_memory_equal(raw, ref, 64);
	assert_int_equal(ecsig_raw_to_der(raw, 64, der, &dl), BA_OK);
	assert_int_equal(dl, len);
	assert_memory_equal(der, sig, len);
}

static void
test_wycheproof_der(void **state)
{
	int n;

	(void)state;
	n = each_signature("ecdsa_secp256r1_sha256_test.json", check_der);
	printf("ecsig DER: %d signatures, %d read, %d refused, all as OpenSSL's strict reading\n",
	       n, der_accepted, der_refused);
	assert_true(der_accepted > 0 && der_refused > 0);
}

static void
check_raw(const uint8_t *sig, size_t len, const char *result)
{
	uint8_t der[ECSIG_DER_MAX], ref[ECSIG_DER_MAX], back[64];
	size_t dl, rl;

	(void)result;
	if (sig == NULL || len != 64)
		return;
	assert_int_equal(ecsig_raw_to_der(sig, len, der, &dl), BA_OK);
	rl = reference_raw_to_der(sig, len, ref);
	assert_int_equal(dl, rl);
	assert_memory_equal(der, ref, dl);
	assert_int_equal(ecsig_der_to_raw(der, dl, 32, back), BA_OK);
	assert_memory_equal(back, sig, 64);
}

static void
test_wycheproof_p1363(void **state)
{
	(void)state;
	each_signature("ecdsa_secp256r1_sha256_p1363_test.json", check_raw);
}

/* DER of r = 1, s = 2 and the variants of it a strict reader refuses. */
static void
test_der_edges(void **state)
{
	static const struct {
		const char *what;
		uint8_t der[12];
		size_t len;
		bool ok;
	} c[] = {
		{ "minimal", { 0x30, 6, 2, 1, 1, 2, 1, 2 }, 8, true },
		{ "zero r", { 0x30, 6, 2, 1, 0, 2, 1, 2 }, 8, true },
		{ "trailing byte", { 0x30, 6, 2, 1, 1, 2, 1, 2, 0 }, 9, false },
		{ "byte after s in the sequence", { 0x30, 7, 2, 1, 1, 2, 1, 2, 0 }, 9, false },
		{ "sequence too long", { 0x30, 7, 2, 1, 1, 2, 1, 2 }, 8, false },
		{ "sequence too short", { 0x30, 5, 2, 1, 1, 2, 1, 2 }, 8, false },
		{ "long-form length below 128", { 0x30, 0x81, 6, 2, 1, 1, 2, 1, 2 }, 9, false },
		{ "indefinite length", { 0x30, 0x80, 2, 1, 1, 2, 1, 2, 0, 0 }, 10, false },
		{ "integer long-form length", { 0x30, 7, 2, 0x81, 1, 1, 2, 1, 2 }, 9, false },
		{ "empty integer", { 0x30, 5, 2, 0, 2, 1, 2 }, 7, false },
		{ "negative r", { 0x30, 6, 2, 1, 0x81, 2, 1, 2 }, 8, false },
		{ "leading zero", { 0x30, 7, 2, 2, 0, 1, 2, 1, 2 }, 9, false },
		{ "wrong sequence tag", { 0x31, 6, 2, 1, 1, 2, 1, 2 }, 8, false },
		{ "wrong integer tag", { 0x30, 6, 3, 1, 1, 2, 1, 2 }, 8, false },
		{ "one integer", { 0x30, 3, 2, 1, 1 }, 5, false },
		{ "s runs past the end", { 0x30, 6, 2, 1, 1, 2, 2, 2 }, 8, false },
		{ "truncated", { 0x30, 6, 2, 1, 1, 2 }, 6, false },
	};
	uint8_t raw[64], ref[64];

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		bool ours = ecsig_der_to_raw(c[i].der, c[i].len, 32, raw) == BA_OK;

		if (ours != c[i].ok)
			print_error("%s: %s\n", c[i].what, ours ? "read" : "refused");
		assert_int_equal(ours, c[i].ok);
		assert_int_equal(reference_der_to_raw(c[i].der, c[i].len, 32, ref), c[i].ok);
		if (ours)
			assert_memory_equal(raw, ref, 64);
	}
	/* The arguments. */
	assert_int_equal(ecsig_der_to_raw(c[0].der, 0, 32, raw), BA_ERR_INVALID_SIGNATURE);
	assert_int_equal(ecsig_der_to_raw(c[0].der, c[0].len, 0, raw), BA_ERR_INVALID_SIGNATURE);
	assert_int_equal(ecsig_der_to_raw(NULL, 8, 32, raw), BA_ERR_INVALID_SIGNATURE);
}

/* Integers of 33 bytes (a 00 before a top bit) fit 32-byte halves; a
 * 33-byte magnitude does not. Lengths of 128 and more take the 0x81 form. */
static void
test_der_widths(void **state)
{
	uint8_t raw[ECSIG_MAX_LEN], der[ECSIG_DER_MAX], ref[ECSIG_DER_MAX], back[ECSIG_MAX_LEN];
	size_t dl, rl, half;

	(void)state;
	memset(raw, 0xff, 64);
	assert_int_equal(ecsig_raw_to_der(raw, 64, der, &dl), BA_OK);
	assert_int_equal(dl, 72);           /* 30 46, 2 x (02 21 00 ff..ff) */
	assert_int_equal(ecsig_der_to_raw(der, dl, 32, back), BA_OK);
	assert_memory_equal(back, raw, 64);
	/* The same integers do not fit 31-byte halves. */
	assert_int_equal(ecsig_der_to_raw(der, dl, 31, back), BA_ERR_INVALID_SIGNATURE);
	/* A minimal 33-byte magnitude (01 ff..ff) does not fit 32 bytes. */
	der[0] = 0x30;
	der[1] = 38;
	der[2] = 0x02;
	der[3] = 33;
	der[4] = 0x01;
	memset(der + 5, 0xff, 32);
	memcpy(der + 37, (const uint8_t[]){ 0x02, 1, 1 }, 3);
	assert_int_equal(ecsig_der_to_raw(der, 40, 32, back), BA_ERR_INVALID_SIGNATURE);
	assert_int_equal(ecsig_der_to_raw(der, 40, 33, back), BA_OK);
	assert_true(reference_der_to_raw(der, 40, 33, back));
	assert_false(reference_der_to_raw(der, 40, 32, back));
	/* Every width up to the largest, all-zero and all-ones halves. */
	for (half = 1; half <= ECSIG_MAX_LEN / 2; half++) {
		for (int fill = 0; fill < 3; fill++) {
			memset(raw, fill == 0 ? 0x00 : fill == 1 ? 0xff : 0x35, 2 * half);
			assert_int_equal(ecsig_raw_to_der(raw, 2 * half, der, &dl), BA_OK);
			rl = reference_raw_to_der(raw, 2 * half, ref);
			assert_int_equal(dl, rl);
			assert_memory_equal(der, ref, dl);
			if (dl <= ECSIG_MAX_LEN) {
				assert_int_equal(ecsig_der_to_raw(der, dl, half, back), BA_OK);
				assert_memory_equal(back, raw, 2 * half);
			} else {
				assert_int_equal(ecsig_der_to_raw(der, dl, half, back),
				                 BA_ERR_INVALID_SIGNATURE);
			}
		}
	}
	/* Odd, empty and oversized r||s. */
	assert_int_equal(ecsig_raw_to_der(raw, 63, der, &dl), BA_ERR_INVALID_SIGNATURE);
	assert_int_equal(dl, 0);
	assert_int_equal(ecsig_raw_to_der(raw, 0, der, &dl), BA_ERR_INVALID_SIGNATURE);
	assert_int_equal(ecsig_raw_to_der(raw, ECSIG_MAX_LEN + 2, der, &dl),
	                 BA_ERR_INVALID_SIGNATURE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wycheproof_der),
		cmocka_unit_test(test_wycheproof_p1363),
		cmocka_unit_test(test_der_edges),
		cmocka_unit_test(test_der_widths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
