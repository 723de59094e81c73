/*
 * test_sdk_keys.c - libbioauth-device keys in memory: every public key
 * export format and every signature format must parse back and verify with
 * plain OpenSSL exactly as a server reads what a phone sends; formats that
 * do not fit a key are refused; misuse (NULL, bad enums) is an error, not a
 * crash.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "sdk_testlib.h"

static const char challenge[] = "Yx3-challenge-from-start_0123456789abcdef";

/* One key of each type and platform, generated once for the whole group. */
struct fixture {
	bioauth_key *ec_ios;
	bioauth_key *ec_android;
	bioauth_key *rsa_ios;
	bioauth_key *rsa_android;
};

static struct fixture fx;

static int group_setup(void **state)
{
	(void)state;
	if (bioauth_key_generate(BIOAUTH_KEY_EC, BIOAUTH_PLATFORM_IOS, NULL, &fx.ec_ios) != BIOAUTH_OK ||
	    bioauth_key_generate(BIOAUTH_KEY_EC, BIOAUTH_PLATFORM_ANDROID, "ec-android",
	                         &fx.ec_android) != BIOAUTH_OK ||
	    bioauth_key_generate(BIOAUTH_KEY_RSA, BIOAUTH_PLATFORM_IOS, "rsa-ios", &fx.rsa_ios) != BIOAUTH_OK ||
	    bioauth_key_generate(BIOAUTH_KEY_RSA, BIOAUTH_PLATFORM_ANDROID, "rsa-android",
	                         &fx.rsa_android) != BIOAUTH_OK)
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	bioauth_key_free(fx.ec_ios);
	bioauth_key_free(fx.ec_android);
	bioauth_key_free(fx.rsa_ios);
	bioauth_key_free(fx.rsa_android);
	return 0;
}

/* The SPKI of a key, parsed: the reference every other export must match. */
static EVP_PKEY *spki_of(const bioauth_key *k)
{
	uint8_t *der = NULL;
	size_t len = 0;
	EVP_PKEY *pk;

	assert_int_equal(bioauth_key_export_public(k, BIOAUTH_PUBKEY_SPKI, &der, &len), BIOAUTH_OK);
	pk = sdk_test_from_spki(der, len);
	bioauth_buffer_free(der);
	assert_non_null(pk);
	return pk;
}

static void test_generate_properties(void **state)
{
	const char *id;
	size_t i;

	(void)state;
	id = bioauth_key_get_id(fx.ec_ios);
	assert_non_null(id);
	assert_int_equal(strlen(id), 22);     /* 16 random bytes, base64url */
	for (i = 0; id[i] != '\0'; i++)
		assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
		                       id[i]));
	assert_true(bioauth_key_id_valid(id));
	assert_string_equal(bioauth_key_get_id(fx.ec_android), "ec-android");
	assert_int_equal(bioauth_key_get_type(fx.ec_ios), BIOAUTH_KEY_EC);
	assert_int_equal(bioauth_key_get_type(fx.rsa_ios), BIOAUTH_KEY_RSA);
	assert_int_equal(bioauth_key_get_platform(fx.ec_ios), BIOAUTH_PLATFORM_IOS);
	assert_int_equal(bioauth_key_get_platform(fx.rsa_android), BIOAUTH_PLATFORM_ANDROID);
	assert_true(bioauth_key_get_created_at(fx.ec_ios) > 1600000000);
}

static void test_random_ids_differ(void **state)
{
	bioauth_key *a = NULL, *b = NULL;

	(void)state;
	assert_int_equal(bioauth_key_generate(BIOAUTH_KEY_EC, BIOAUTH_PLATFORM_IOS, NULL, &a), BIOAUTH_OK);
	assert_int_equal(bioauth_key_generate(BIOAUTH_KEY_EC, BIOAUTH_PLATFORM_IOS, NULL, &b), BIOAUTH_OK);
	assert_string_not_equal(bioauth_key_get_id(a), bioauth_key_get_id(b));
	bioauth_key_free(a);
	bioauth_key_free(b);
}

/* iOS EC export: exactly the 65-byte uncompressed point, on P-256, equal to
 * the point inside the SPKI; the default export of an iOS key. */
static void test_export_ec_ios_raw_point(void **state)
{
	uint8_t *pt = NULL, *spki = NULL, *dflt = NULL;
	size_t pt_len = 0, spki_len = 0, dflt_len = 0;
	EVP_PKEY *from_pt, *ref;

	(void)state;
	assert_int_equal(bioauth_key_export_public(fx.ec_ios, BIOAUTH_PUBKEY_IOS, &pt, &pt_len), BIOAUTH_OK);
	assert_int_equal(pt_len, 65);
	assert_int_equal(pt[0], 0x04);
	from_pt = sdk_test_ec_from_point(pt, pt_len);
	assert_non_null(from_pt);
	ref = spki_of(fx.ec_ios);
	assert_int_equal(EVP_PKEY_eq(from_pt, ref), 1);

	assert_int_equal(bioauth_key_export_public(fx.ec_ios, BIOAUTH_PUBKEY_SPKI, &spki, &spki_len), BIOAUTH_OK);
	assert_int_equal(spki_len, 91);
	assert_memory_equal(spki + 26, pt, 65);

	assert_int_equal(bioauth_key_export_public(fx.ec_ios, BIOAUTH_PUBKEY_DEFAULT, &dflt, &dflt_len), BIOAUTH_OK);
	assert_int_equal(dflt_len, 65);
	assert_memory_equal(dflt, pt, 65);

	/* A point off the curve is refused by the same parser (the test can fail). */
	pt[64] ^= 0x01;
	assert_null(sdk_test_ec_from_point(pt, pt_len));

	EVP_PKEY_free(from_pt);
	EVP_PKEY_free(ref);
	bioauth_buffer_free(pt);
	bioauth_buffer_free(spki);
	bioauth_buffer_free(dflt);
}

/* Android export (both types): DER SPKI, the default of an Android key. */
static void test_export_spki_android(void **state)
{
	const bioauth_key *keys[2] = {fx.ec_android, fx.rsa_android};
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		uint8_t *der = NULL;
		size_t len = 0;
		EVP_PKEY *pk;

		assert_int_equal(bioauth_key_export_public(keys[i], BIOAUTH_PUBKEY_DEFAULT, &der, &len), BIOAUTH_OK);
		pk = sdk_test_from_spki(der, len);
		assert_non_null(pk);
		assert_true(EVP_PKEY_is_a(pk, i == 0 ? "EC" : "RSA"));
		assert_int_equal(EVP_PKEY_get_bits(pk), i == 0 ? 256 : 2048);
		EVP_PKEY_free(pk);
		bioauth_buffer_free(der);
	}
}

/* iOS RSA export: DER PKCS#1 RSAPublicKey (not SPKI), same key as the SPKI. */
static void test_export_rsa_ios_pkcs1(void **state)
{
	uint8_t *der = NULL;
	size_t len = 0;
	EVP_PKEY *pk, *ref;

	(void)state;
	assert_int_equal(bioauth_key_export_public(fx.rsa_ios, BIOAUTH_PUBKEY_DEFAULT, &der, &len), BIOAUTH_OK);
	/* PKCS#1 is SEQUENCE { INTEGER n, INTEGER e }: no AlgorithmIdentifier. */
	assert_null(sdk_test_from_spki(der, len));
	pk = sdk_test_rsa_from_pkcs1(der, len);
	assert_non_null(pk);
	assert_int_equal(EVP_PKEY_get_bits(pk), 2048);
	ref = spki_of(fx.rsa_ios);
	assert_int_equal(EVP_PKEY_eq(pk, ref), 1);
	{
		BIGNUM *e = NULL;

		assert_int_equal(EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &e), 1);
		assert_true(BN_is_word(e, 65537));
		BN_free(e);
	}
	EVP_PKEY_free(pk);
	EVP_PKEY_free(ref);
	bioauth_buffer_free(der);
}

/* The base64 form is standard base64 with padding of the same bytes. */
static void test_export_b64_matches_bytes(void **state)
{
	const bioauth_key *keys[4] = {fx.ec_ios, fx.ec_android, fx.rsa_ios, fx.rsa_android};
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		uint8_t *der = NULL, *dec = NULL;
		size_t len = 0, dec_len = 0;
		char *b64 = NULL;

		assert_int_equal(bioauth_key_export_public(keys[i], BIOAUTH_PUBKEY_DEFAULT, &der, &len), BIOAUTH_OK);
		assert_int_equal(bioauth_key_export_public_b64(keys[i], BIOAUTH_PUBKEY_DEFAULT, &b64), BIOAUTH_OK);
		assert_int_equal(strlen(b64) % 4, 0);
		assert_null(strpbrk(b64, "-_\n"));
		assert_true(sdk_test_b64_decode(b64, &dec, &dec_len));
		assert_int_equal(dec_len, len);
		assert_memory_equal(dec, der, len);
		free(dec);
		bioauth_buffer_free(der);
		bioauth_buffer_free(b64);
	}
}

/* EC DER signatures (default on both platforms) verify; tampering fails. */
static void test_sign_ec_der(void **state)
{
	const bioauth_key *keys[2] = {fx.ec_ios, fx.ec_android};
	size_t i;

	(void)state;
	for (i = 0; i < 2; i++) {
		uint8_t *sig = NULL, *sig2 = NULL;
		size_t len = 0, len2 = 0;
		EVP_PKEY *pub = spki_of(keys[i]);
		const unsigned char *p;
		ECDSA_SIG *parsed;

		assert_int_equal(bioauth_key_sign(keys[i], (const uint8_t *)challenge, strlen(challenge),
		                                  BIOAUTH_SIG_DEFAULT, &sig, &len), BIOAUTH_OK);
		p = sig;
		parsed = d2i_ECDSA_SIG(NULL, &p, (long)len);
		assert_non_null(parsed);          /* it is DER, not raw */
		assert_ptr_equal(p, sig + len);
		ECDSA_SIG_free(parsed);
		assert_true(sdk_test_verify(pub, challenge, strlen(challenge), sig, len, 0));
		assert_false(sdk_test_verify(pub, "other", 5, sig, len, 0));
		assert_int_equal(bioauth_key_sign(keys[i], (const uint8_t *)challenge, strlen(challenge),
		                                  BIOAUTH_SIG_EC_DER, &sig2, &len2), BIOAUTH_OK);
		assert_true(sdk_test_verify(pub, challenge, strlen(challenge), sig2, len2, 0));
		sig[len - 1] ^= 0x01;
		assert_false(sdk_test_verify(pub, challenge, strlen(challenge), sig, len, 0));
		EVP_PKEY_free(pub);
		bioauth_buffer_free(sig);
		bioauth_buffer_free(sig2);
	}
}

/* Raw r||s: exactly 64 bytes, and the same (r, s) verifies as DER. */
static void test_sign_ec_raw(void **state)
{
	uint8_t *sig = NULL;
	unsigned char *der = NULL;
	size_t len = 0, der_len = 0;
	EVP_PKEY *pub = spki_of(fx.ec_ios);
	int i;

	(void)state;
	for (i = 0; i < 8; i++) {  /* several nonces: some r or s have leading zeros */
		assert_int_equal(bioauth_key_sign(fx.ec_ios, (const uint8_t *)challenge, strlen(challenge),
		                                  BIOAUTH_SIG_EC_RAW, &sig, &len), BIOAUTH_OK);
		assert_int_equal(len, 64);
		assert_true(sdk_test_raw_to_der(sig, len, &der, &der_len));
		assert_true(sdk_test_verify(pub, challenge, strlen(challenge), der, der_len, 0));
		OPENSSL_free(der);
		sig[10] ^= 0x40;
		assert_true(sdk_test_raw_to_der(sig, len, &der, &der_len));
		assert_false(sdk_test_verify(pub, challenge, strlen(challenge), der, der_len, 0));
		OPENSSL_free(der);
		bioauth_buffer_free(sig);
	}
	EVP_PKEY_free(pub);
}

/* RSA PKCS#1 v1.5 (Android default) verifies only as PKCS#1 v1.5. */
static void test_sign_rsa_pkcs1(void **state)
{
	uint8_t *sig = NULL, *sig2 = NULL;
	size_t len = 0, len2 = 0;
	EVP_PKEY *pub = spki_of(fx.rsa_android);

	(void)state;
	assert_int_equal(bioauth_key_sign(fx.rsa_android, (const uint8_t *)challenge, strlen(challenge),
	                                  BIOAUTH_SIG_DEFAULT, &sig, &len), BIOAUTH_OK);
	assert_int_equal(len, 256);
	assert_true(sdk_test_verify(pub, challenge, strlen(challenge), sig, len, RSA_PKCS1_PADDING));
	assert_false(sdk_test_verify(pub, challenge, strlen(challenge), sig, len, RSA_PKCS1_PSS_PADDING));
	assert_false(sdk_test_verify(pub, "x", 1, sig, len, RSA_PKCS1_PADDING));
	/* Deterministic: the same message gives the same PKCS#1 v1.5 signature. */
	assert_int_equal(bioauth_key_sign(fx.rsa_android, (const uint8_t *)challenge, strlen(challenge),
	                                  BIOAUTH_SIG_RSA_PKCS1, &sig2, &len2), BIOAUTH_OK);
	assert_int_equal(len2, len);
	assert_memory_equal(sig, sig2, len);
	EVP_PKEY_free(pub);
	bioauth_buffer_free(sig);
	bioauth_buffer_free(sig2);
}

/* RSA PSS (iOS default): SHA-256, MGF1-SHA-256, salt 32; the salt length is
 * checked by the verifier; also verifies against the PKCS#1-parsed key. */
static void test_sign_rsa_pss(void **state)
{
	uint8_t *sig = NULL, *pkcs1 = NULL, *sig2 = NULL;
	size_t len = 0, pkcs1_len = 0, len2 = 0;
	EVP_PKEY *pub;

	(void)state;
	assert_int_equal(bioauth_key_export_public(fx.rsa_ios, BIOAUTH_PUBKEY_IOS, &pkcs1, &pkcs1_len), BIOAUTH_OK);
	pub = sdk_test_rsa_from_pkcs1(pkcs1, pkcs1_len);
	assert_non_null(pub);
	assert_int_equal(bioauth_key_sign(fx.rsa_ios, (const uint8_t *)challenge, strlen(challenge),
	                                  BIOAUTH_SIG_DEFAULT, &sig, &len), BIOAUTH_OK);
	assert_int_equal(len, 256);
	assert_true(sdk_test_verify(pub, challenge, strlen(challenge), sig, len, RSA_PKCS1_PSS_PADDING));
	assert_false(sdk_test_verify(pub, challenge, strlen(challenge), sig, len, RSA_PKCS1_PADDING));
	/* PSS is randomised: a second signature differs and verifies too. */
	assert_int_equal(bioauth_key_sign(fx.rsa_ios, (const uint8_t *)challenge, strlen(challenge),
	                                  BIOAUTH_SIG_RSA_PSS, &sig2, &len2), BIOAUTH_OK);
	assert_memory_not_equal(sig, sig2, len);
	assert_true(sdk_test_verify(pub, challenge, strlen(challenge), sig2, len2, RSA_PKCS1_PSS_PADDING));
	/* An Android RSA key can be asked for PSS explicitly. */
	bioauth_buffer_free(sig2);
	sig2 = NULL;
	assert_int_equal(bioauth_key_sign(fx.rsa_android, (const uint8_t *)challenge, strlen(challenge),
	                                  BIOAUTH_SIG_RSA_PSS, &sig2, &len2), BIOAUTH_OK);
	{
		EVP_PKEY *apub = spki_of(fx.rsa_android);

		assert_true(sdk_test_verify(apub, challenge, strlen(challenge), sig2, len2,
		                            RSA_PKCS1_PSS_PADDING));
		EVP_PKEY_free(apub);
	}
	EVP_PKEY_free(pub);
	bioauth_buffer_free(pkcs1);
	bioauth_buffer_free(sig);
	bioauth_buffer_free(sig2);
}

/* The base64 signature decodes to a signature that verifies. */
static void test_sign_b64(void **state)
{
	EVP_PKEY *pub = spki_of(fx.ec_android);
	uint8_t *sig = NULL;
	size_t len = 0;
	char *b64 = NULL;

	(void)state;
	assert_int_equal(bioauth_key_sign_b64(fx.ec_android, (const uint8_t *)challenge,
	                                      strlen(challenge), BIOAUTH_SIG_DEFAULT, &b64), BIOAUTH_OK);
	assert_true(sdk_test_b64_decode(b64, &sig, &len));
	assert_true(sdk_test_verify(pub, challenge, strlen(challenge), sig, len, 0));
	free(sig);
	bioauth_buffer_free(b64);
	EVP_PKEY_free(pub);
}

/* An empty message is a valid (if odd) input: SHA-256 of nothing. */
static void test_sign_empty_message(void **state)
{
	EVP_PKEY *pub = spki_of(fx.ec_ios);
	uint8_t *sig = NULL;
	size_t len = 0;

	(void)state;
	assert_int_equal(bioauth_key_sign(fx.ec_ios, NULL, 0, BIOAUTH_SIG_EC_DER, &sig, &len), BIOAUTH_OK);
	assert_true(sdk_test_verify(pub, "", 0, sig, len, 0));
	bioauth_buffer_free(sig);
	EVP_PKEY_free(pub);
}

/* Formats that do not fit the key type are refused, outputs cleared. */
static void test_sign_format_mismatch(void **state)
{
	uint8_t *sig = (uint8_t *)"sentinel";
	size_t len = 99;

	(void)state;
	assert_int_equal(bioauth_key_sign(fx.ec_ios, (const uint8_t *)"m", 1, BIOAUTH_SIG_RSA_PSS, &sig, &len),
	                 BIOAUTH_ERR_UNSUPPORTED);
	assert_null(sig);
	assert_int_equal(len, 0);
	assert_int_equal(bioauth_key_sign(fx.ec_ios, (const uint8_t *)"m", 1, BIOAUTH_SIG_RSA_PKCS1, &sig, &len),
	                 BIOAUTH_ERR_UNSUPPORTED);
	assert_int_equal(bioauth_key_sign(fx.rsa_ios, (const uint8_t *)"m", 1, BIOAUTH_SIG_EC_DER, &sig, &len),
	                 BIOAUTH_ERR_UNSUPPORTED);
	assert_int_equal(bioauth_key_sign(fx.rsa_ios, (const uint8_t *)"m", 1, BIOAUTH_SIG_EC_RAW, &sig, &len),
	                 BIOAUTH_ERR_UNSUPPORTED);
	assert_int_equal(bioauth_key_sign(fx.rsa_ios, (const uint8_t *)"m", 1, (bioauth_sig_format)77, &sig, &len),
	                 BIOAUTH_ERR_INVALID_ARG);
	assert_null(sig);
}

/* NULL handles and outputs, bad enums and bad ids: errors, never crashes. */
static void test_misuse(void **state)
{
	bioauth_key *k = (bioauth_key *)(uintptr_t)1;
	uint8_t *buf = NULL;
	size_t len = 0;
	char *s = NULL;

	(void)state;
	assert_int_equal(bioauth_key_generate(BIOAUTH_KEY_EC, BIOAUTH_PLATFORM_IOS, NULL, NULL),
	                 BIOAUTH_ERR_INVALID_ARG);
	assert_int_equal(bioauth_key_generate((bioauth_key_type)0, BIOAUTH_PLATFORM_IOS, NULL, &k),
	                 BIOAUTH_ERR_INVALID_ARG);
	assert_null(k);
	assert_int_equal(bioauth_key_generate(BIOAUTH_KEY_EC, (bioauth_platform)9, NULL, &k),
	                 BIOAUTH_ERR_INVALID_ARG);
	assert_int_equal(bioauth_key_generate(BIOAUTH_KEY_EC, BIOAUTH_PLATFORM_IOS, "../evil", &k),
	                 BIOAUTH_ERR_INVALID_ARG);
	assert_int_equal(bioauth_key_generate(BIOAUTH_KEY_EC, BIOAUTH_PLATFORM_IOS, "", &k),
	                 BIOAUTH_ERR_INVALID_ARG);
	assert_null(k);

	assert_int_equal(bioauth_key_export_public(NULL, BIOAUTH_PUBKEY_SPKI, &buf, &len), BIOAUTH_ERR_INVALID_ARG);
	assert_int_equal(bioauth_key_export_public(fx.ec_ios, BIOAUTH_PUBKEY_SPKI, NULL, &len), BIOAUTH_ERR_INVALID_ARG);
	assert_int_equal(bioauth_key_export_public(fx.ec_ios, BIOAUTH_PUBKEY_SPKI, &buf, NULL), BIOAUTH_ERR_INVALID_ARG);
	assert_int_equal(bioauth_key_export_public(fx.ec_ios, (bioauth_pubkey_format)5, &buf, &len),
	                 BIOAUTH_ERR_INVALID_ARG);
	assert_null(buf);
	assert_int_equal(bioauth_key_export_public_b64(NULL, BIOAUTH_PUBKEY_SPKI, &s), BIOAUTH_ERR_INVALID_ARG);
	assert_int_equal(bioauth_key_export_public_b64(fx.ec_ios, BIOAUTH_PUBKEY_SPKI, NULL), BIOAUTH_ERR_INVALID_ARG);
	assert_null(s);

	assert_int_equal(bioauth_key_sign(NULL, (const uint8_t *)"m", 1, BIOAUTH_SIG_DEFAULT, &buf, &len),
	                 BIOAUTH_ERR_INVALID_ARG);
	assert_int_equal(bioauth_key_sign(fx.ec_ios, NULL, 5, BIOAUTH_SIG_DEFAULT, &buf, &len),
	                 BIOAUTH_ERR_INVALID_ARG);
	assert_int_equal(bioauth_key_sign(fx.ec_ios, (const uint8_t *)"m", 1, BIOAUTH_SIG_DEFAULT, NULL, &len),
	                 BIOAUTH_ERR_INVALID_ARG);
	assert_int_equal(bioauth_key_sign(fx.ec_ios, (const uint8_t *)"m", 1, BIOAUTH_SIG_DEFAULT, &buf, NULL),
	                 BIOAUTH_ERR_INVALID_ARG);
	assert_int_equal(bioauth_key_sign_b64(NULL, (const uint8_t *)"m", 1, BIOAUTH_SIG_DEFAULT, &s),
	                 BIOAUTH_ERR_INVALID_ARG);
	assert_int_equal(bioauth_key_sign_b64(fx.ec_ios, (const uint8_t *)"m", 1, BIOAUTH_SIG_DEFAULT, NULL),
	                 BIOAUTH_ERR_INVALID_ARG);

	assert_null(bioauth_key_get_id(NULL));
	assert_int_equal(bioauth_key_get_type(NULL), 0);
	assert_int_equal(bioauth_key_get_platform(NULL), 0);
	assert_int_equal(bioauth_key_get_created_at(NULL), 0);
	bioauth_key_free(NULL);
	bioauth_buffer_free(NULL);
}

static void test_names(void **state)
{
	bioauth_key_type t;
	bioauth_platform p;
	int e;

	(void)state;
	assert_string_equal(bioauth_key_type_name(BIOAUTH_KEY_EC), "ec");
	assert_string_equal(bioauth_key_type_name(BIOAUTH_KEY_RSA), "rsa");
	assert_null(bioauth_key_type_name((bioauth_key_type)0));
	assert_string_equal(bioauth_platform_name(BIOAUTH_PLATFORM_IOS), "ios");
	assert_string_equal(bioauth_platform_name(BIOAUTH_PLATFORM_ANDROID), "android");
	assert_null(bioauth_platform_name((bioauth_platform)3));
	assert_int_equal(bioauth_key_type_parse("rsa", &t), BIOAUTH_OK);
	assert_int_equal(t, BIOAUTH_KEY_RSA);
	assert_int_equal(bioauth_key_type_parse("EC", &t), BIOAUTH_ERR_INVALID_ARG);
	assert_int_equal(bioauth_key_type_parse(NULL, &t), BIOAUTH_ERR_INVALID_ARG);
	assert_int_equal(bioauth_key_type_parse("ec", NULL), BIOAUTH_ERR_INVALID_ARG);
	assert_int_equal(bioauth_platform_parse("android", &p), BIOAUTH_OK);
	assert_int_equal(p, BIOAUTH_PLATFORM_ANDROID);
	assert_int_equal(bioauth_platform_parse("iOS", &p), BIOAUTH_ERR_INVALID_ARG);
	assert_int_equal(bioauth_platform_parse(NULL, &p), BIOAUTH_ERR_INVALID_ARG);
	for (e = 0; e < BIOAUTH_ERR__COUNT; e++) {
		assert_non_null(bioauth_strerror((bioauth_err)e));
		assert_string_not_equal(bioauth_strerror((bioauth_err)e), "unknown error");
	}
	assert_string_equal(bioauth_strerror((bioauth_err)-1), "unknown error");
	assert_string_equal(bioauth_strerror(BIOAUTH_ERR__COUNT), "unknown error");
}

static void test_key_id_rules(void **state)
{
	char long_id[BIOAUTH_KEY_ID_MAX + 2];

	(void)state;
	assert_true(bioauth_key_id_valid("a"));
	assert_true(bioauth_key_id_valid("Key_1.2-3"));
	assert_false(bioauth_key_id_valid(NULL));
	assert_false(bioauth_key_id_valid(""));
	assert_false(bioauth_key_id_valid(".hidden"));
	assert_false(bioauth_key_id_valid(".."));
	assert_false(bioauth_key_id_valid("a/b"));
	assert_false(bioauth_key_id_valid("a b"));
	assert_false(bioauth_key_id_valid("caf\xc3\xa9"));
	memset(long_id, 'k', sizeof(long_id));
	long_id[BIOAUTH_KEY_ID_MAX] = '\0';
	assert_true(bioauth_key_id_valid(long_id));
	long_id[BIOAUTH_KEY_ID_MAX] = 'k';
	long_id[BIOAUTH_KEY_ID_MAX + 1] = '\0';
	assert_false(bioauth_key_id_valid(long_id));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_generate_properties),
		cmocka_unit_test(test_random_ids_differ),
		cmocka_unit_test(test_export_ec_ios_raw_point),
		cmocka_unit_test(test_export_spki_android),
		cmocka_unit_test(test_export_rsa_ios_pkcs1),
		cmocka_unit_test(test_export_b64_matches_bytes),
		cmocka_unit_test(test_sign_ec_der),
		cmocka_unit_test(test_sign_ec_raw),
		cmocka_unit_test(test_sign_rsa_pkcs1),
		cmocka_unit_test(test_sign_rsa_pss),
		cmocka_unit_test(test_sign_b64),
		cmocka_unit_test(test_sign_empty_message),
		cmocka_unit_test(test_sign_format_mismatch),
		cmocka_unit_test(test_misuse),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_key_id_rules),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
