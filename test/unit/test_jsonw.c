/*
 * test_jsonw.c - the fixed-buffer JSON object writer (src/common/jsonw.c):
 * what it writes is the JSON jansson reads back to the same values, it
 * refuses what does not fit and strings that are not UTF-8.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <string.h>

#include "common/jsonw.h"

static void
test_object_reads_back(void **state)
{
	static const char *const amr[] = { "pwd", "mobile_biometrics" };
	/* quote, backslash, control characters, DEL, 2- and 4-byte UTF-8 */
	static const char odd[] = "a\"b\\c\n\r\t\x01\x1f\x7f é 😀 /";
	char buf[512];
	struct jsonw w;
	json_t *o, *a;
	size_t n;

	(void)state;
	jsonw_begin(&w, buf, sizeof(buf));
	jsonw_str(&w, "iss", "https://id.example/oidc");
	jsonw_str(&w, "odd", odd);
	jsonw_int(&w, "iat", 1764000000);
	jsonw_int(&w, "neg", INT64_MIN);
	jsonw_str_array(&w, "amr", amr, 2);
	jsonw_str_array(&w, "none", amr, 0);
	n = jsonw_end(&w);
	assert_int_equal(n, strlen(buf));
	o = json_loadb(buf, n, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(o);
	assert_int_equal(json_object_size(o), 6);
	assert_string_equal(json_string_value(json_object_get(o, "iss")), "https://id.example/oidc");
	assert_string_equal(json_string_value(json_object_get(o, "odd")), odd);
	assert_true(json_integer_value(json_object_get(o, "iat")) == 1764000000);
	assert_true(json_integer_value(json_object_get(o, "neg")) == INT64_MIN);
	a = json_object_get(o, "amr");
	assert_int_equal(json_array_size(a), 2);
	assert_string_equal(json_string_value(json_array_get(a, 1)), "mobile_biometrics");
	assert_int_equal(json_array_size(json_object_get(o, "none")), 0);
	json_decref(o);

	jsonw_begin(&w, buf, sizeof(buf));
	assert_int_equal(jsonw_end(&w), 2);
	assert_string_equal(buf, "{}");
}

static void
test_refusals(void **state)
{
	static const char *const bad[] = {
		"\xc3",              /* truncated sequence */
		"\xc0\xaf",          /* overlong '/' */
		"\xed\xa0\x80",      /* UTF-16 surrogate */
		"\xf4\x90\x80\x80",  /* above U+10FFFF */
		"\xff",
	};
	char buf[64];
	struct jsonw w;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		jsonw_begin(&w, buf, sizeof(buf));
		jsonw_str(&w, "k", bad[i]);
		jsonw_int(&w, "after", 1);
		assert_int_equal(jsonw_end(&w), 0);
	}
	jsonw_begin(&w, buf, sizeof(buf));
	jsonw_str(&w, "k", NULL);
	assert_int_equal(jsonw_end(&w), 0);

	/* exactly full: {"k":"<n x a>"} and its NUL fill the buffer */
	for (size_t len = 0; len + 9 <= sizeof(buf); len++) {
		char val[64];
		size_t need = len + 8 + 1;

		memset(val, 'a', len);
		val[len] = '\0';
		jsonw_begin(&w, buf, need);
		jsonw_str(&w, "k", val);
		assert_int_equal(jsonw_end(&w), need - 1);
		jsonw_begin(&w, buf, need - 1);
		jsonw_str(&w, "k", val);
		assert_int_equal(jsonw_end(&w), 0);
	}
	jsonw_begin(&w, buf, 0);
	assert_int_equal(jsonw_end(&w), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_object_reads_back),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
