/*
 * test_sigverify.c - device signature verification (src/crypto/sigverify.c)
 * against every Wycheproof vector of the algorithms bioauth accepts, through
 * the path the server uses: the vector's key goes through pubkey_from_der
 * (and must give the same key via pubkey_parse of its PEM, PKCS#1 or raw
 * point), the signature through sig_verify and sig_verify_b64.
 *
 * Verdicts:
 *  - "valid"   -> accepted.
 *  - "invalid" -> rejected, with one documented exception: sig_verify
 *    accepts both RSA schemes for a key (the key does not record which one
 *    its device uses, see sigverify.c), so a vector flagged WrongPrimitive
 *    that is a *valid signature of the other scheme* is accepted by
 *    sig_verify. These are listed in cross_scheme[] by file and tcId, the
 *    test asserts sig_verify accepts exactly them, and that the
 *    single-scheme verifier (sig_verify_scheme) rejects them.
 *  - "acceptable" -> the decision of the table below, per flag:
 *
 *      flag          decision  why
 *      -----------   --------  ------------------------------------------
 *      MissingNull   reject    PKCS#1 v1.5 DigestInfo without the NULL
 *                              parameters is a legacy encoding no phone
 *                              produces; OpenSSL refuses it and so do we.
 *
 *    An acceptable vector with a flag missing from the table fails the test:
 *    new vectors need a written decision.
 *
 * Each file is also run through its one scheme with sig_verify_scheme
 * (ECDSA_DER, ECDSA_RAW, RSA_PKCS1, RSA_PSS), which must match Wycheproof on
 * every vector without exception. Counts are printed per file.
 *
 * The key is also loaded as authentication loads it, through the stored-key
 * cache (pubkey_from_stored), which keeps verification contexts prepared
 * once per key (src/crypto/sigctx.c); sig_verify and sig_verify_scheme with
 * that key must give the same verdict as with pubkey_from_der's key (whose
 * contexts are made per call) on every vector.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "common/error.h"
#include "crypto/ecsig.h"
#include "crypto/encoding.h"
#include "crypto/keytype.h"
#include "crypto/pubkey.h"

#define WP_DIR "test/vectors/wycheproof/"

static const struct {
	const char *flag;
	int accept;
} acceptable_policy[] = {
	{ "MissingNull", 0 },
};

static const struct {
	const char *file;
	int tc_id;
} cross_scheme[] = {
	/* RSASSA-PSS (SHA-256, MGF1-SHA-256, salt 32): a valid PSS signature. */
	{ "rsa_signature_2048_sha256_test.json", 257 },
	/* PKCS#1 v1.5 with SHA-256: a valid PKCS#1 signature. */
	{ "rsa_pss_2048_sha256_mgf1_32_test.json", 108 },
};

static uint8_t *
hex_decode(const char *hex, size_t *len)
{
	size_t n = strlen(hex), i;
	uint8_t *out;

	assert_int_equal(n % 2, 0);
	out = malloc(n / 2 + 1);
	assert_non_null(out);
	for (i = 0; i < n / 2; i++) {
		unsigned int v;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
	*len = n / 2;
	return out;
}

static const char *
jstr(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	assert_non_null(s);
	return s;
}

static int
has_flag(const json_t *test, const char *flag)
{
	size_t i;
	json_t *f;

	json_array_foreach(json_object_get(test, "flags"), i, f) {
		if (strcmp(json_string_value(f), flag) == 0)
			return 1;
	}
	return 0;
}

static int
is_cross_scheme(const char *file, int tc_id)
{
	size_t i;

	for (i = 0; i < sizeof(cross_scheme) / sizeof(cross_scheme[0]); i++) {
		if (strcmp(cross_scheme[i].file, file) == 0 && cross_scheme[i].tc_id == tc_id)
			return 1;
	}
	return 0;
}

/* The decision for an "acceptable" vector; fails on a flag without one. */
static int
acceptable_decision(const json_t *test)
{
	size_t i, j;
	json_t *f;
	int decided = -1;

	json_array_foreach(json_object_get(test, "flags"), i, f) {
		for (j = 0; j < sizeof(acceptable_policy) / sizeof(acceptable_policy[0]); j++) {
			if (strcmp(json_string_value(f), acceptable_policy[j].flag) != 0)
				continue;
			/* Several flags must not disagree. */
			if (decided >= 0)
				assert_int_equal(decided, acceptable_policy[j].accept);
			decided = acceptable_policy[j].accept;
		}
	}
	if (decided < 0) {
		print_error("tcId %d: acceptable vector without a written decision\n",
		            (int)json_integer_value(json_object_get(test, "tcId")));
		fail();
	}
	return decided;
}

/* Same key through the text paths devices use; all must normalise alike. */
static void
check_key_forms(const json_t *group, const struct pubkey *k)
{
	struct pubkey k2;
	const json_t *asn = json_object_get(group, "publicKeyAsn");
	const json_t *pk = json_object_get(group, "publicKey");
	const char *pem = jstr(group, "publicKeyPem");
	uint8_t *bin;
	size_t n;
	char *b64;

	assert_int_equal(pubkey_parse(pem, strlen(pem), k->key_type, &k2), BA_OK);
	assert_int_equal(k2.der_len, k->der_len);
	assert_memory_equal(k2.der, k->der, k->der_len);
	pubkey_clear(&k2);

	if (asn != NULL) {
		/* PKCS#1 RSAPublicKey, as iOS exports it. */
		bin = hex_decode(json_string_value(asn), &n);
	} else {
		/* Raw uncompressed point, as iOS exports P-256 keys. */
		bin = hex_decode(jstr(pk, "uncompressed"), &n);
	}
	assert_int_equal(b64url_encode(bin, n, &b64), BA_OK);
	assert_int_equal(pubkey_parse(b64, strlen(b64), 0, &k2), BA_OK);
	assert_int_equal(k2.key_type, k->key_type);
	assert_int_equal(k2.der_len, k->der_len);
	assert_memory_equal(k2.der, k->der, k->der_len);
	pubkey_clear(&k2);
	free(b64);
	free(bin);
}

struct wp_counts {
	int total, valid, invalid, acceptable, accepted_acceptable;
	int any_mismatch, scheme_mismatch, cross_scheme_seen, stored_mismatch;
};

/*
 * Runs every vector of `file` through sig_verify (and sig_verify_b64) and
 * through sig_verify_scheme(`scheme`), and checks the verdicts.
 */
static void
run_wycheproof(const char *label, const char *file, int key_type, enum sig_scheme scheme)
{
	char path[256];
	json_error_t err;
	json_t *root, *groups, *group, *tests, *test;
	size_t gi, ti;
	struct wp_counts c = { 0 };

	snprintf(path, sizeof(path), WP_DIR "%s", file);
	root = json_load_file(path, 0, &err);
	if (root == NULL) {
		print_error("%s: %s (run the tests from the repository root)\n", path, err.text);
		fail();
	}
	groups = json_object_get(root, "testGroups");
	assert_true(json_array_size(groups) > 0);
	json_array_foreach(groups, gi, group) {
		struct pubkey k, ks;
		uint8_t *kder;
		size_t kder_len;

		kder = hex_decode(jstr(group, "publicKeyDer"), &kder_len);
		assert_int_equal(pubkey_from_der(kder, kder_len, &k), BA_OK);
		assert_int_equal(k.key_type, key_type);
		assert_null(k.ctx);
		assert_int_equal(pubkey_from_stored(kder, kder_len, &ks), BA_OK);
		assert_int_equal(ks.key_type, key_type);
		assert_non_null(ks.ctx);
		free(kder);
		check_key_forms(group, &k);

		tests = json_object_get(group, "tests");
		json_array_foreach(tests, ti, test) {
			const char *result = jstr(test, "result");
			int tc = (int)json_integer_value(json_object_get(test, "tcId"));
			uint8_t *msg, *sig;
			size_t msg_len, sig_len;
			char *sig_b64;
			int want, want_any, any, one, b64r;

			msg = hex_decode(jstr(test, "msg"), &msg_len);
			sig = hex_decode(jstr(test, "sig"), &sig_len);
			c.total++;
			if (strcmp(result, "valid") == 0) {
				c.valid++;
				want = 1;
			} else if (strcmp(result, "invalid") == 0) {
				c.invalid++;
				want = 0;
			} else {
				assert_string_equal(result, "acceptable");
				c.acceptable++;
				want = acceptable_decision(test);
				c.accepted_acceptable += want;
			}
			want_any = want;
			if (is_cross_scheme(file, tc)) {
				assert_string_equal(result, "invalid");
				assert_true(has_flag(test, "WrongPrimitive"));
				want_any = 1;
				c.cross_scheme_seen++;
			}

			any = sig_verify(&k, msg, msg_len, sig, sig_len);
			one = sig_verify_scheme(&k, scheme, msg, msg_len, sig, sig_len);
			/* Prepared contexts decide exactly alike. */
			if (sig_verify(&ks, msg, msg_len, sig, sig_len) != any ||
			    sig_verify_scheme(&ks, scheme, msg, msg_len, sig, sig_len) != one) {
				c.stored_mismatch++;
				print_error("%s tcId %d (%s): the stored-key cache's key differs\n",
				            file, tc, result);
			}
			assert_true(any == BA_OK || any == BA_ERR_INVALID_SIGNATURE);
			assert_true(one == BA_OK || one == BA_ERR_INVALID_SIGNATURE);
			if ((any == BA_OK) != want_any) {
				c.any_mismatch++;
				print_error("%s tcId %d (%s): sig_verify %s\n", file, tc, result,
				            any == BA_OK ? "accepted" : "rejected");
			}
			if ((one == BA_OK) != want) {
				c.scheme_mismatch++;
				print_error("%s tcId %d (%s): sig_verify_scheme %s\n", file, tc,
				            result, one == BA_OK ? "accepted" : "rejected");
			}
			/* The base64 entry point gives the same verdict. */
			assert_int_equal(b64_encode(sig, sig_len, &sig_b64), BA_OK);
			b64r = sig_verify_b64(&k, msg, msg_len, sig_b64, strlen(sig_b64));
			assert_int_equal(b64r, any);
			free(sig_b64);
			free(msg);
			free(sig);
		}
		pubkey_clear(&k);
		pubkey_clear(&ks);
	}
	pubkey_cache_flush();
	printf("%s (%s): %d vectors (%d valid, %d invalid, %d acceptable of which %d "
	       "accepted); sig_verify: %d mismatches (+%d documented cross-scheme "
	       "accepts); single scheme: %d mismatches; stored-key cache: %d differences\n",
	       label, file, c.total, c.valid, c.invalid, c.acceptable,
	       c.accepted_acceptable, c.any_mismatch, c.cross_scheme_seen,
	       c.scheme_mismatch, c.stored_mismatch);
	assert_int_equal(c.total, (int)json_integer_value(json_object_get(root, "numberOfTests")));
	assert_int_equal(c.any_mismatch, 0);
	assert_int_equal(c.scheme_mismatch, 0);
	assert_int_equal(c.stored_mismatch, 0);
	json_decref(root);
}

static void
test_wycheproof_ecdsa_der(void **state)
{
	(void)state;
	run_wycheproof("ecdsa DER", "ecdsa_secp256r1_sha256_test.json",
	               KEY_TYPE_EC, SIG_SCHEME_ECDSA_DER);
}

static void
test_wycheproof_ecdsa_p1363(void **state)
{
	(void)state;
	run_wycheproof("ecdsa raw r||s", "ecdsa_secp256r1_sha256_p1363_test.json",
	               KEY_TYPE_EC, SIG_SCHEME_ECDSA_RAW);
}

static void
test_wycheproof_rsa_pkcs1(void **state)
{
	(void)state;
	run_wycheproof("rsa PKCS#1 v1.5", "rsa_signature_2048_sha256_test.json",
	               KEY_TYPE_RSA, SIG_SCHEME_RSA_PKCS1);
}

static void
test_wycheproof_rsa_pss(void **state)
{
	(void)state;
	run_wycheproof("rsa PSS", "rsa_pss_2048_sha256_mgf1_32_test.json",
	               KEY_TYPE_RSA, SIG_SCHEME_RSA_PSS);
}

/* ---- direct tests with generated keys ---------------------------------- */

/* A struct pubkey for a generated key, through pubkey_parse of its SPKI. */
static void
load_pub(EVP_PKEY *pkey, struct pubkey *k)
{
	unsigned char *der = NULL;
	char *b64;
	int n = i2d_PUBKEY(pkey, &der);

	assert_true(n > 0);
	assert_int_equal(b64_encode(der, (size_t)n, &b64), BA_OK);
	assert_int_equal(pubkey_parse(b64, strlen(b64), 0, k), BA_OK);
	free(b64);
	OPENSSL_free(der);
}

/* Signs msg with SHA-256; rsa_padding 0 for EC, salt for PSS. */
static uint8_t *
sign(EVP_PKEY *pkey, int rsa_padding, int salt, const char *msg, size_t *sig_len)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *p = NULL;
	uint8_t *sig;

	assert_non_null(m);
	assert_int_equal(EVP_DigestSignInit_ex(m, &p, "SHA256", NULL, NULL, pkey, NULL), 1);
	if (rsa_padding != 0)
		assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(p, rsa_padding), 1);
	if (rsa_padding == RSA_PKCS1_PSS_PADDING)
		assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(p, salt), 1);
	assert_int_equal(EVP_DigestSign(m, NULL, sig_len, (const uint8_t *)msg, strlen(msg)), 1);
	sig = malloc(*sig_len);
	assert_non_null(sig);
	assert_int_equal(EVP_DigestSign(m, sig, sig_len, (const uint8_t *)msg, strlen(msg)), 1);
	EVP_MD_CTX_free(m);
	return sig;
}

static void
test_ec_der_and_raw(void **state)
{
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	const char *msg = "challenge-0123456789abcdef";
	const uint8_t *m = (const uint8_t *)msg;
	struct pubkey k;
	uint8_t raw[64], *der, *longer;
	size_t der_len;
	char *b64;

	(void)state;
	assert_non_null(pkey);
	load_pub(pkey, &k);
	assert_int_equal(k.key_type, KEY_TYPE_EC);
	der = sign(pkey, 0, 0, msg, &der_len);

	assert_int_equal(sig_verify(&k, m, strlen(msg), der, der_len), BA_OK);
	assert_int_equal(sig_verify_scheme(&k, SIG_SCHEME_ECDSA_DER, m, strlen(msg), der, der_len), BA_OK);
	assert_int_equal(sig_verify_scheme(&k, SIG_SCHEME_ECDSA_RAW, m, strlen(msg), der, der_len),
	                 BA_ERR_INVALID_SIGNATURE);
	/* Another message. */
	assert_int_equal(sig_verify(&k, m, strlen(msg) - 1, der, der_len), BA_ERR_INVALID_SIGNATURE);

	/* Raw r||s of the same signature. */
	assert_int_equal(ecsig_der_to_raw(der, der_len, 32, raw), BA_OK);
	assert_int_equal(sig_verify(&k, m, strlen(msg), raw, sizeof(raw)), BA_OK);
	assert_int_equal(sig_verify_scheme(&k, SIG_SCHEME_ECDSA_DER, m, strlen(msg), raw, sizeof(raw)),
	                 BA_ERR_INVALID_SIGNATURE);
	raw[63] ^= 1;
	assert_int_equal(sig_verify(&k, m, strlen(msg), raw, sizeof(raw)), BA_ERR_INVALID_SIGNATURE);
	raw[63] ^= 1;
	/* 63 or 65 raw bytes are not a signature. */
	assert_int_equal(sig_verify(&k, m, strlen(msg), raw, 63), BA_ERR_INVALID_SIGNATURE);

	/* DER with a trailing byte. */
	longer = malloc(der_len + 1);
	assert_non_null(longer);
	memcpy(longer, der, der_len);
	longer[der_len] = 0;
	assert_int_equal(sig_verify(&k, m, strlen(msg), longer, der_len + 1), BA_ERR_INVALID_SIGNATURE);
	free(longer);

	/* Base64 forms: standard, URL-safe without padding, with line breaks. */
	assert_int_equal(b64_encode(der, der_len, &b64), BA_OK);
	assert_int_equal(sig_verify_b64(&k, m, strlen(msg), b64, strlen(b64)), BA_OK);
	free(b64);
	assert_int_equal(b64url_encode(raw, sizeof(raw), &b64), BA_OK);
	assert_int_equal(sig_verify_b64(&k, m, strlen(msg), b64, strlen(b64)), BA_OK);
	free(b64);
	{
		char wrapped[200];
		char *std;

		assert_int_equal(b64_encode(raw, sizeof(raw), &std), BA_OK);
		snprintf(wrapped, sizeof(wrapped), "%.40s\r\n%s\n", std, std + 40);
		assert_int_equal(sig_verify_b64(&k, m, strlen(msg), wrapped, strlen(wrapped)), BA_OK);
		snprintf(wrapped, sizeof(wrapped), "%.40s %s", std, std + 40);
		assert_int_equal(sig_verify_b64(&k, m, strlen(msg), wrapped, strlen(wrapped)),
		                 BA_ERR_INVALID_SIGNATURE);
		free(std);
	}
	assert_int_equal(sig_verify_b64(&k, m, strlen(msg), "!!!!", 4), BA_ERR_INVALID_SIGNATURE);
	assert_int_equal(sig_verify_b64(&k, m, strlen(msg), "", 0), BA_ERR_INVALID_SIGNATURE);
	/* No key, no signature. */
	assert_int_equal(sig_verify(NULL, m, strlen(msg), der, der_len), BA_ERR_INVALID_SIGNATURE);
	assert_int_equal(sig_verify(&k, m, strlen(msg), NULL, 0), BA_ERR_INVALID_SIGNATURE);

	free(der);
	pubkey_clear(&k);
	EVP_PKEY_free(pkey);
}

static void
test_rsa_pkcs1_and_pss(void **state)
{
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	const char *msg = "another challenge";
	const uint8_t *m = (const uint8_t *)msg;
	size_t n = strlen(msg), len;
	struct pubkey k, kec;
	uint8_t *sig;

	(void)state;
	assert_non_null(pkey);
	assert_non_null(ec);
	load_pub(pkey, &k);
	load_pub(ec, &kec);
	assert_int_equal(k.key_type, KEY_TYPE_RSA);

	sig = sign(pkey, RSA_PKCS1_PADDING, 0, msg, &len);
	assert_int_equal(sig_verify(&k, m, n, sig, len), BA_OK);
	assert_int_equal(sig_verify_scheme(&k, SIG_SCHEME_RSA_PKCS1, m, n, sig, len), BA_OK);
	assert_int_equal(sig_verify_scheme(&k, SIG_SCHEME_RSA_PSS, m, n, sig, len),
	                 BA_ERR_INVALID_SIGNATURE);
	/* The RSA signature under an EC key, and a truncated signature. */
	assert_int_equal(sig_verify(&kec, m, n, sig, len), BA_ERR_INVALID_SIGNATURE);
	assert_int_equal(sig_verify(&k, m, n, sig, len - 1), BA_ERR_INVALID_SIGNATURE);
	sig[10] ^= 0x40;
	assert_int_equal(sig_verify(&k, m, n, sig, len), BA_ERR_INVALID_SIGNATURE);
	free(sig);

	sig = sign(pkey, RSA_PKCS1_PSS_PADDING, 32, msg, &len);
	assert_int_equal(sig_verify(&k, m, n, sig, len), BA_OK);
	assert_int_equal(sig_verify_scheme(&k, SIG_SCHEME_RSA_PSS, m, n, sig, len), BA_OK);
	assert_int_equal(sig_verify_scheme(&k, SIG_SCHEME_RSA_PKCS1, m, n, sig, len),
	                 BA_ERR_INVALID_SIGNATURE);
	free(sig);

	/* Salt lengths other than 32 are refused (sigverify.c). */
	sig = sign(pkey, RSA_PKCS1_PSS_PADDING, 20, msg, &len);
	assert_int_equal(sig_verify(&k, m, n, sig, len), BA_ERR_INVALID_SIGNATURE);
	free(sig);
	sig = sign(pkey, RSA_PKCS1_PSS_PADDING, RSA_PSS_SALTLEN_MAX, msg, &len);
	assert_int_equal(sig_verify(&k, m, n, sig, len), BA_ERR_INVALID_SIGNATURE);
	free(sig);

	pubkey_clear(&k);
	pubkey_clear(&kec);
	EVP_PKEY_free(pkey);
	EVP_PKEY_free(ec);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wycheproof_ecdsa_der),
		cmocka_unit_test(test_wycheproof_ecdsa_p1363),
		cmocka_unit_test(test_wycheproof_rsa_pkcs1),
		cmocka_unit_test(test_wycheproof_rsa_pss),
		cmocka_unit_test(test_ec_der_and_raw),
		cmocka_unit_test(test_rsa_pkcs1_and_pss),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
