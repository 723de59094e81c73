/*
 * test_factors_and_guard.c - two domain rules of issue 15: when a session's
 * factors are independent (sessions_add_factors, domain/sessions.h) and
 * how long a password attempt waits (password_guard_wait,
 * domain/password_guard.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "domain/password_guard.h"
#include "domain/sessions.h"

static void
test_key_after_password_session_is_not_mfa(void **state)
{
	struct model_authenticator k = { .created_at = 100, .enrol_factors = FACTOR_PWD };
	unsigned f;

	(void)state;
	/* session created at 100, key registered in the same second by it */
	f = sessions_add_factors(FACTOR_PWD, FACTOR_MOBILE_BIOMETRICS, 100, &k);
	assert_int_equal(f, FACTOR_PWD | FACTOR_MOBILE_BIOMETRICS);
	k.created_at = 150;
	assert_false(sessions_add_factors(FACTOR_PWD, FACTOR_MOBILE_BIOMETRICS, 100, &k) & FACTOR_MFA);
	/* no key known: never mfa for a biometric factor */
	assert_false(sessions_add_factors(FACTOR_PWD, FACTOR_MOBILE_BIOMETRICS, 100, NULL) & FACTOR_MFA);
}

static void
test_independent_factors_are_mfa(void **state)
{
	struct model_authenticator k = { .created_at = 99, .enrol_factors = FACTOR_PWD };

	(void)state;
	assert_true(sessions_add_factors(FACTOR_PWD, FACTOR_MOBILE_BIOMETRICS, 100, &k) & FACTOR_MFA);
	k.created_at = 150;
	k.enrol_factors = FACTOR_MOBILE_BIOMETRICS;
	assert_true(sessions_add_factors(FACTOR_PWD, FACTOR_MOBILE_BIOMETRICS, 100, &k) & FACTOR_MFA);
	assert_true(sessions_add_factors(FACTOR_MOBILE_BIOMETRICS, FACTOR_PWD, 100, NULL) & FACTOR_MFA);
	/* one factor twice, or a first factor, is never mfa */
	assert_int_equal(sessions_add_factors(FACTOR_PWD, FACTOR_PWD, 100, NULL), FACTOR_PWD);
	assert_int_equal(sessions_add_factors(0, FACTOR_MOBILE_BIOMETRICS, 100, &k),
	                 FACTOR_MOBILE_BIOMETRICS);
	/* a password added to a session already holding both adds nothing */
	assert_false(sessions_add_factors(FACTOR_PWD | FACTOR_MOBILE_BIOMETRICS, FACTOR_PWD, 100,
	                                  NULL) & FACTOR_MFA);
	/* mfa, once there, stays; adding never takes it as input */
	assert_true(sessions_add_factors(FACTOR_PWD | FACTOR_MOBILE_BIOMETRICS | FACTOR_MFA, 0, 100,
	                                 NULL) & FACTOR_MFA);
	assert_false(sessions_add_factors(0, FACTOR_MFA, 100, NULL) & FACTOR_MFA);
}

static void
test_wait_doubles_and_caps(void **state)
{
	(void)state;
	assert_int_equal(password_guard_wait(4, 1000, 1000, 5, 900), 0);
	assert_int_equal(password_guard_wait(5, 1000, 1000, 5, 900), 1000);
	assert_int_equal(password_guard_wait(5, 1000, 1400, 5, 900), 600);
	assert_int_equal(password_guard_wait(5, 1000, 2000, 5, 900), 0);
	assert_int_equal(password_guard_wait(6, 1000, 1000, 5, 900), 2000);
	assert_int_equal(password_guard_wait(8, 1000, 1000, 5, 900), 8000);
	assert_int_equal(password_guard_wait(20, 1000, 1000, 5, 900), 900000);
	assert_int_equal(password_guard_wait(INT64_MAX, 1000, 1000, 5, 900), 900000);
	assert_int_equal(password_guard_wait(9, INT64_MAX, 0, 5, 900), 16000);
	assert_int_equal(password_guard_wait(9, 0, 0, 0, 900), 0);
	/* stamped before the last counted attempt: the delay, not more */
	assert_int_equal(password_guard_wait(5, 1400, 1000, 5, 900), 1000);
	assert_int_equal(password_guard_wait(6, 5000, 0, 5, 900), 2000);
}

static void
test_keys_and_ip(void **state)
{
	uint8_t u1[32], i1[32], u2[32], i2[32];
	bool has = false;
	char *ip;

	(void)state;
	password_guard_keys("alice", "1.2.3.4", u1, i1, &has);
	assert_true(has);
	password_guard_keys("alice", NULL, u2, i2, &has);
	assert_false(has);
	assert_memory_equal(u1, u2, 32);
	assert_memory_not_equal(u1, i1, 32);
	/* the parts are length-prefixed: ("ab", "c") is not ("a", "bc") */
	password_guard_keys("ab", "c", u1, i1, &has);
	password_guard_keys("a", "bc", u2, i2, &has);
	assert_memory_not_equal(i1, i2, 32);

	ip = password_guard_ip("{\"ip_address\":\"203.0.113.7\"}");
	assert_non_null(ip);
	assert_string_equal(ip, "203.0.113.7");
	free(ip);
	assert_null(password_guard_ip(NULL));
	assert_null(password_guard_ip("{\"ip_address\":7}"));
	assert_null(password_guard_ip("{\"ip_address\":\"\"}"));
	assert_null(password_guard_ip("{\"ip_address\":\"a\\u0000b\"}"));
	assert_null(password_guard_ip("{\"ip_address\":\"1\",\"ip_address\":\"2\"}"));
	assert_null(password_guard_ip("{\"ip_address\":\"0123456789012345678901234567890123456789"
	                              "01234567890123456789012345\"}"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_after_password_session_is_not_mfa),
		cmocka_unit_test(test_independent_factors_are_mfa),
		cmocka_unit_test(test_wait_doubles_and_caps),
		cmocka_unit_test(test_keys_and_ip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
