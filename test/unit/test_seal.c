/*
 * test_seal.c - sealing of signing keys (src/crypto/seal.c): round trip,
 * rotation of secrets, and refusal of a wrong secret, another kid, an
 * altered text and malformed secrets files.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/secret.h"
#include "crypto/seal.h"

#define S1 "s1-0123456789abcdefghijklmnopqrstuvwxyz"
#define S2 "s2-0123456789abcdefghijklmnopqrstuvwxyz"
#define PEM "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49\n-----END PRIVATE KEY-----\n"

static struct seal_keys *
keys(const char *text)
{
	struct seal_keys *k = NULL;
	const char *why = NULL;

	assert_int_equal(seal_keys_parse(text, strlen(text), &k, &why), BA_OK);
	assert_non_null(k);
	return k;
}

static void
expect_opens(const struct seal_keys *k, const char *aad, const char *sealed, const char *want)
{
	char *plain = NULL;

	assert_int_equal(seal_decrypt(k, aad, sealed, &plain), BA_OK);
	assert_string_equal(plain, want);
	secret_free(plain);
}

static void
expect_refused(const struct seal_keys *k, const char *aad, const char *sealed, int want)
{
	char *plain = NULL;

	assert_int_equal(seal_decrypt(k, aad, sealed, &plain), want);
	assert_null(plain);
}

static void
test_round_trip_and_fresh_nonces(void **state)
{
	struct seal_keys *k = keys(S1 "\n");
	char *a = NULL, *b = NULL;

	(void)state;
	assert_int_equal(seal_encrypt(k, "k_1", PEM, &a), BA_OK);
	assert_int_equal(seal_encrypt(k, "k_1", PEM, &b), BA_OK);
	assert_true(seal_is_sealed(a));
	assert_false(seal_is_sealed(PEM));
	assert_null(strstr(a, "PRIVATE"));
	assert_string_not_equal(a, b);   /* a fresh nonce each time */
	expect_opens(k, "k_1", a, PEM);
	expect_opens(k, "k_1", b, PEM);
	assert_true(seal_is_current(k, a));
	free(a);
	free(b);
	seal_keys_free(k);
}

static void
test_refuses_wrong_secret_kid_and_tampering(void **state)
{
	struct seal_keys *k = keys(S1), *other = keys(S2);
	char *a = NULL;
	size_t n;

	(void)state;
	assert_int_equal(seal_encrypt(k, "k_1", PEM, &a), BA_OK);
	expect_refused(other, "k_1", a, BA_ERR_CONFIG);        /* wrong secret */
	expect_refused(k, "k_2", a, BA_ERR_CONFIG);            /* moved to another kid */
	expect_refused(k, "k_1", PEM, BA_ERR_INVALID_REQUEST); /* not sealed */
	expect_refused(k, "k_1", "sealed.v1.AAAA", BA_ERR_CONFIG);
	expect_refused(k, "k_1", "sealed.v1.!!", BA_ERR_CONFIG);
	/* one altered character anywhere in the body */
	n = strlen(a);
	for (size_t i = strlen("sealed.v1."); i < n; i++) {
		char keep = a[i];

		a[i] = keep == 'A' ? 'B' : 'A';
		{
			char *plain = NULL;

			assert_int_not_equal(seal_decrypt(k, "k_1", a, &plain), BA_OK);
			assert_null(plain);
		}
		a[i] = keep;
	}
	expect_opens(k, "k_1", a, PEM);
	free(a);
	seal_keys_free(k);
	seal_keys_free(other);
}

static void
test_rotation(void **state)
{
	struct seal_keys *old = keys(S1 "\n"), *both = keys("# new first\n" S2 "\r\n\n" S1 "\n");
	char *a = NULL, *b = NULL;

	(void)state;
	assert_int_equal(seal_encrypt(old, "k", PEM, &a), BA_OK);
	expect_opens(both, "k", a, PEM);          /* every secret unseals */
	assert_false(seal_is_current(both, a));   /* rewrap would redo it */
	assert_int_equal(seal_encrypt(both, "k", PEM, &b), BA_OK);
	assert_true(seal_is_current(both, b));    /* the first secret seals */
	expect_refused(old, "k", b, BA_ERR_CONFIG);
	free(a);
	free(b);
	seal_keys_free(old);
	seal_keys_free(both);
}

static void
test_parse_refusals(void **state)
{
	static const char *const bad[] = {
		"", "\n\n", "# only a comment\n", "short\n",
		"with space 0123456789abcdefghijklmnopqrstuvwxyz\n",
		"caf\xc3\xa9-0123456789abcdefghijklmnopqrstuvwxyz\n",
	};
	struct seal_keys *k = NULL;
	const char *why = NULL;
	char many[17 * 41 + 1] = "";
	char *line = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(seal_keys_parse(bad[i], strlen(bad[i]), &k, &why), BA_ERR_CONFIG);
		assert_null(k);
		assert_non_null(why);
	}
	for (int i = 0; i < 17; i++)
		strcat(many, S1 "\n");
	assert_int_equal(seal_keys_parse(many, strlen(many), &k, &why), BA_ERR_CONFIG);
	/* a generated secret is one valid line */
	assert_int_equal(seal_secret_generate(&line), BA_OK);
	assert_int_equal(strlen(line), 44);
	assert_int_equal(seal_keys_parse(line, strlen(line), &k, &why), BA_OK);
	seal_keys_free(k);
	secret_free(line);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_and_fresh_nonces),
		cmocka_unit_test(test_refuses_wrong_secret_kid_and_tampering),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_parse_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
