/*
 * test_password.c - Argon2id hashing: round trip, mismatch, parameters,
 * length caps, the dummy verification and its cost.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "domain/password.h"

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
test_round_trip(void **state)
{
	char *enc = NULL;

	(void)state;
	assert_int_equal(password_hash("correct horse", &enc), BA_OK);
	assert_non_null(enc);
	/* The parameters travel with the hash. */
	assert_true(strncmp(enc, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0);
	assert_int_equal(password_verify(enc, "correct horse"), BA_OK);
	assert_int_equal(password_verify(enc, "correct horsf"),
	    BA_ERR_INVALID_CREDENTIALS);
	assert_int_equal(password_verify(enc, "correct hors"),
	    BA_ERR_INVALID_CREDENTIALS);
	assert_int_equal(password_verify(enc, ""), BA_ERR_INVALID_CREDENTIALS);
	assert_int_equal(password_verify(enc, NULL), BA_ERR_INVALID_CREDENTIALS);
	assert_int_equal(password_verify(NULL, "correct horse"),
	    BA_ERR_INVALID_CREDENTIALS);
	free(enc);
}

static void
test_salted(void **state)
{
	char *a = NULL, *b = NULL;

	(void)state;
	assert_int_equal(password_hash("same", &a), BA_OK);
	assert_int_equal(password_hash("same", &b), BA_OK);
	assert_string_not_equal(a, b);   /* fresh random salt each time */
	assert_int_equal(password_verify(a, "same"), BA_OK);
	assert_int_equal(password_verify(b, "same"), BA_OK);
	free(a);
	free(b);
}

static void
test_utf8_password(void **state)
{
	char *enc = NULL;

	(void)state;
	assert_int_equal(password_hash("p\xc3\xa4ssw\xc3\xb6rd \xf0\x9f\x94\x91", &enc),
	    BA_OK);
	assert_int_equal(password_verify(enc, "p\xc3\xa4ssw\xc3\xb6rd \xf0\x9f\x94\x91"),
	    BA_OK);
	assert_int_equal(password_verify(enc, "passwrd \xf0\x9f\x94\x91"),
	    BA_ERR_INVALID_CREDENTIALS);
	free(enc);
}

static void
test_length_caps(void **state)
{
	char *pw = malloc(PASSWORD_MAX_LEN + 2);
	char *enc = (char *)0x1;

	(void)state;
	assert_non_null(pw);
	memset(pw, 'a', PASSWORD_MAX_LEN);
	pw[PASSWORD_MAX_LEN] = '\0';
	assert_int_equal(password_hash(pw, &enc), BA_OK);   /* exactly the cap */
	assert_int_equal(password_verify(enc, pw), BA_OK);
	pw[PASSWORD_MAX_LEN] = 'a';
	pw[PASSWORD_MAX_LEN + 1] = '\0';
	/* One byte over: refused, and never equal to the capped one. */
	assert_int_equal(password_verify(enc, pw), BA_ERR_INVALID_CREDENTIALS);
	free(enc);
	enc = (char *)0x1;
	assert_int_equal(password_hash(pw, &enc), BA_ERR_INVALID_REQUEST);
	assert_null(enc);
	assert_int_equal(password_verify_dummy(pw), BA_ERR_INVALID_CREDENTIALS);
	enc = (char *)0x1;
	assert_int_equal(password_hash("", &enc), BA_ERR_INVALID_REQUEST);
	assert_null(enc);
	assert_int_equal(password_hash(NULL, &enc), BA_ERR_INVALID_REQUEST);
	free(pw);
}

static void
test_bad_encoded(void **state)
{
	(void)state;
	assert_int_equal(password_verify("not a hash", "pw"), BA_ERR_INTERNAL);
	assert_int_equal(password_verify("$argon2i$v=19$m=19456,t=2,p=1$"
	    "c2FsdHNhbHRzYWx0c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    "pw"), BA_ERR_INTERNAL);   /* argon2i, not argon2id */
}

static void
test_dummy(void **state)
{
	(void)state;
	assert_int_equal(password_verify_dummy("anything"),
	    BA_ERR_INVALID_CREDENTIALS);
	assert_int_equal(password_verify_dummy(""), BA_ERR_INVALID_CREDENTIALS);
	assert_int_equal(password_verify_dummy(NULL), BA_ERR_INVALID_CREDENTIALS);
}

/* The dummy path must cost a real verification: compare the best of a few
 * runs of each (the minimum is robust against a busy machine). Skipping the
 * Argon2 work would make the dummy thousands of times faster. */
static void
test_dummy_cost(void **state)
{
	double best_real = 1e9, best_dummy = 1e9, t;
	char *enc = NULL;
	int i;

	(void)state;
	assert_int_equal(password_hash("secret-pw", &enc), BA_OK);
	(void)password_verify_dummy("warm-up");   /* computes the dummy once */
	for (i = 0; i < 5; i++) {
		t = now_s();
		assert_int_equal(password_verify(enc, "wrong-pw"),
		    BA_ERR_INVALID_CREDENTIALS);
		t = now_s() - t;
		if (t < best_real)
			best_real = t;
		t = now_s();
		assert_int_equal(password_verify_dummy("wrong-pw"),
		    BA_ERR_INVALID_CREDENTIALS);
		t = now_s() - t;
		if (t < best_dummy)
			best_dummy = t;
	}
	print_message("verify %.1f ms, dummy %.1f ms\n", best_real * 1e3,
	    best_dummy * 1e3);
	assert_true(best_dummy > best_real * 0.5);
	assert_true(best_dummy < best_real * 2.0);
	free(enc);
}

static void *
dummy_thread(void *arg)
{
	int *rc = arg;

	*rc = password_verify_dummy("from a thread");
	return NULL;
}

/* Many threads may reach the lazily made dummy hash at once. */
static void
test_dummy_threads(void **state)
{
	pthread_t th[4];
	int rc[4], i;

	(void)state;
	for (i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, dummy_thread, &rc[i]), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(rc[i], BA_ERR_INVALID_CREDENTIALS);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dummy_threads),   /* first: races the init */
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_salted),
		cmocka_unit_test(test_utf8_password),
		cmocka_unit_test(test_length_caps),
		cmocka_unit_test(test_bad_encoded),
		cmocka_unit_test(test_dummy),
		cmocka_unit_test(test_dummy_cost),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
