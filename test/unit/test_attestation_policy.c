/*
 * test_attestation_policy.c - src/domain/attestation.c: an app's stored
 * attestation policy (parse, canonical JSON, refusals), the verdict a
 * registration records (hwk only for keys an Android chain verified in
 * secure hardware) and its view.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "domain/attestation.h"

static void
test_defaults(void **state)
{
	struct attestation_policy p;
	char *json = NULL;

	(void)state;
	assert_int_equal(attestation_policy_parse(NULL, &p), BA_OK);
	assert_int_equal(p.mode, ATTEST_MODE_OPTIONAL);
	assert_int_equal(p.p.min_security_level, ATTEST_LEVEL_TEE);
	assert_false(p.p.require_user_auth || p.p.require_biometric || p.p.require_verified_boot);
	assert_int_equal(p.p.n_android_apps, 0);
	assert_int_equal(p.p.n_apple_app_ids, 0);
	assert_int_equal(p.p.apple_environment, ATTEST_ENV_PRODUCTION);
	assert_int_equal(attestation_policy_json(&p, &json), BA_OK);
	assert_string_equal(json,
	    "{\"android_apps\":[],\"apple_app_ids\":[],\"apple_environment\":\"production\","
	    "\"min_security_level\":\"tee\",\"mode\":\"optional\",\"require_biometric\":false,"
	    "\"require_user_auth\":false,\"require_verified_boot\":false}");
	free(json);
	attestation_policy_clear(&p);
	/* an empty object is the defaults too */
	assert_int_equal(attestation_policy_parse("{}", &p), BA_OK);
	assert_int_equal(p.mode, ATTEST_MODE_OPTIONAL);
	attestation_policy_clear(&p);
}

static void
test_round_trip(void **state)
{
	static const char text[] =
	    "{\"mode\":\"required\",\"min_security_level\":\"strongbox\","
	    "\"require_user_auth\":true,\"require_biometric\":true,"
	    "\"require_verified_boot\":true,\"android_apps\":[\"com.a:QUJD\",\"com.b:REVG\"],"
	    "\"apple_app_ids\":[\"TEAM.com.a\"],\"apple_environment\":\"development\"}";
	struct attestation_policy p, q;
	char *json = NULL, *again = NULL;

	(void)state;
	assert_int_equal(attestation_policy_parse(text, &p), BA_OK);
	assert_int_equal(p.mode, ATTEST_MODE_REQUIRED);
	assert_int_equal(p.p.min_security_level, ATTEST_LEVEL_STRONGBOX);
	assert_true(p.p.require_user_auth && p.p.require_biometric && p.p.require_verified_boot);
	assert_int_equal(p.p.n_android_apps, 2);
	assert_string_equal(p.p.android_apps[1], "com.b:REVG");
	assert_int_equal(p.p.n_apple_app_ids, 1);
	assert_string_equal(p.p.apple_app_ids[0], "TEAM.com.a");
	assert_int_equal(p.p.apple_environment, ATTEST_ENV_DEVELOPMENT);
	assert_int_equal(attestation_policy_json(&p, &json), BA_OK);
	assert_int_equal(attestation_policy_parse(json, &q), BA_OK);
	assert_int_equal(attestation_policy_json(&q, &again), BA_OK);
	assert_string_equal(json, again);
	free(json);
	free(again);
	attestation_policy_clear(&p);
	attestation_policy_clear(&q);
}

/* 17 Apple app IDs, one more than a policy holds */
static const char too_many[] =
    "{\"apple_app_ids\":[\"a.b\",\"a.b\",\"a.b\",\"a.b\",\"a.b\",\"a.b\",\"a.b\","
    "\"a.b\",\"a.b\",\"a.b\",\"a.b\",\"a.b\",\"a.b\",\"a.b\",\"a.b\",\"a.b\",\"a.b\"]}";

static void
test_refusals(void **state)
{
	static const char *const bad[] = {
		"", "[]", "not json", "{\"mode\":\"sometimes\"}", "{\"mode\":1}",
		"{\"min_security_level\":\"software\"}", "{\"apple_environment\":\"beta\"}",
		"{\"require_biometric\":\"yes\"}", "{\"unknown\":true}",
		"{\"android_apps\":[\"no-colon\"]}", "{\"android_apps\":[\":x\"]}",
		"{\"android_apps\":[\"com.a:\"]}", "{\"android_apps\":\"com.a:x\"}",
		"{\"apple_app_ids\":[\"nodot\"]}", "{\"apple_app_ids\":[1]}",
		"{\"mode\":\"none\",\"mode\":\"required\"}", too_many,
	};
	struct attestation_policy p;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(attestation_policy_parse(bad[i], &p), BA_ERR_INVALID_REQUEST);
		attestation_policy_clear(&p);
	}
}

static void
test_record(void **state)
{
	struct attestation_result res;
	struct model_authenticator a;
	json_t *view;

	(void)state;
	/* verified in the TEE: the facts, and hwk */
	memset(&res, 0, sizeof(res));
	memset(&a, 0, sizeof(a));
	res.status = ATTEST_STATUS_VERIFIED;
	res.v.facts.format = ATTEST_FORMAT_ANDROID_KEY;
	res.v.facts.security_level = ATTEST_LEVEL_TEE;
	res.v.facts.biometric = true;
	strcpy(res.v.facts.app_id, "com.example");
	assert_int_equal(attestation_record(&res, &a), BA_OK);
	assert_true(a.hwk);
	assert_null(a.appattest_key);
	assert_string_equal(a.attestation_verdict,
	    "{\"app_id\":\"com.example\",\"biometric\":true,\"format\":\"android-key\","
	    "\"security_level\":\"tee\",\"status\":\"verified\",\"user_auth_required\":false,"
	    "\"verified_boot\":false}");
	model_authenticator_clear(&a);
	/* verified App Attest: key, counter and the receipt move to the key; no
	 * hwk, App Attest says nothing of where the registered key lives */
	res.v.facts.format = ATTEST_FORMAT_APPLE_APPATTEST;
	res.v.facts.security_level = ATTEST_LEVEL_SECURE_ENCLAVE;
	res.v.facts.assertion_counter = 7;
	res.v.facts.app_attest_key[0] = 0x04;
	res.receipt = malloc(3);
	assert_non_null(res.receipt);
	memcpy(res.receipt, "rcp", 3);
	res.receipt_len = 3;
	assert_int_equal(attestation_record(&res, &a), BA_OK);
	assert_false(a.hwk);
	assert_int_equal(a.appattest_key_len, 65);
	assert_int_equal(a.appattest_key[0], 0x04);
	assert_int_equal(a.appattest_counter, 7);
	assert_int_equal(a.appattest_receipt_len, 3);
	assert_null(res.receipt);
	model_authenticator_clear(&a);
	/* StrongBox: hwk; a software key or an unverified payload: no hwk */
	res.v.facts.security_level = ATTEST_LEVEL_STRONGBOX;
	res.v.facts.format = ATTEST_FORMAT_ANDROID_KEY;
	assert_int_equal(attestation_record(&res, &a), BA_OK);
	assert_true(a.hwk);
	model_authenticator_clear(&a);
	res.v.facts.security_level = ATTEST_LEVEL_SOFTWARE;
	res.v.facts.format = ATTEST_FORMAT_ANDROID_KEY;
	assert_int_equal(attestation_record(&res, &a), BA_OK);
	assert_false(a.hwk);
	model_authenticator_clear(&a);
	res.status = ATTEST_STATUS_UNVERIFIED;
	res.v.facts.security_level = ATTEST_LEVEL_TEE;
	assert_int_equal(attestation_record(&res, &a), BA_OK);
	assert_false(a.hwk);
	assert_string_equal(a.attestation_verdict, "{\"status\":\"unverified\"}");
	model_authenticator_clear(&a);
	attestation_result_clear(&res);
	/* the view of a key registered before attestation existed */
	view = attestation_verdict_view(NULL);
	assert_string_equal(json_string_value(json_object_get(view, "status")), "unattested");
	json_decref(view);
}

static void
test_register_without_server_settings(void **state)
{
	struct attestation_policy p;
	struct attestation_result res;
	static const uint8_t spki[] = { 0x30, 0x00 };

	(void)state;
	assert_int_equal(attestation_policy_parse("{\"mode\":\"required\"}", &p), BA_OK);
	assert_int_equal(attestation_register(NULL, &p, NULL, "c", spki, sizeof(spki), 0, &res),
	                 BA_OK);
	assert_int_equal(res.reason, ATTEST_MISSING);
	attestation_result_clear(&res);
	attestation_policy_clear(&p);
	assert_int_equal(attestation_policy_parse(NULL, &p), BA_OK);
	assert_int_equal(attestation_register(NULL, &p, "", "c", spki, sizeof(spki), 0, &res),
	                 BA_OK);
	assert_int_equal(res.reason, ATTEST_OK);
	assert_int_equal(res.status, ATTEST_STATUS_UNATTESTED);
	attestation_result_clear(&res);
	attestation_policy_clear(&p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_record),
		cmocka_unit_test(test_register_without_server_settings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
