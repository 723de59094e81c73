/*
 * test_form.c - application/x-www-form-urlencoded parsing and
 * percent-decoding (src/edge/form.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "edge/form.h"

static struct form *
parse_ok(const char *body)
{
	struct form *f = NULL;
	char msg[256];
	int rc = form_parse(body, strlen(body), &f, msg, sizeof(msg));

	if (rc != BA_OK) {
		print_error("refused \"%s\": %s\n", body, msg);
		fail();
	}
	assert_non_null(f);
	return f;
}

static void
parse_bad(const char *body, const char *needle)
{
	struct form *f = NULL;
	char msg[256];
	int rc = form_parse(body, strlen(body), &f, msg, sizeof(msg));

	if (rc != BA_ERR_INVALID_REQUEST || f != NULL || strstr(msg, needle) == NULL) {
		print_error("\"%.60s\": rc=%d msg=\"%s\" (wanted \"%s\")\n", body,
		            rc, msg, needle);
		fail();
	}
}

static void
test_parse(void **state)
{
	struct form *f;

	(void)state;
	f = parse_ok("grant_type=client_credentials&resource=https%3A%2F%2Fapi"
	             ".example%2Fv1&scope=a+b%20c&empty=&bare");
	assert_int_equal(form_count(f), 5);
	assert_string_equal(form_get(f, "grant_type"), "client_credentials");
	assert_string_equal(form_get(f, "resource"), "https://api.example/v1");
	assert_string_equal(form_get(f, "scope"), "a b c");
	assert_string_equal(form_get(f, "empty"), "");
	assert_string_equal(form_get(f, "bare"), "");
	assert_null(form_get(f, "missing"));
	assert_null(form_get(f, "Grant_type"));  /* names are case-sensitive */
	assert_string_equal(form_name(f, 0), "grant_type");
	assert_null(form_name(f, 5));
	form_free(f);

	/* Encoded names, '=' inside values, stray '&', UTF-8. */
	f = parse_ok("&a%5Fb=x%3Dy=z&&c=%C3%A9&");
	assert_int_equal(form_count(f), 2);
	assert_string_equal(form_get(f, "a_b"), "x=y=z");
	assert_string_equal(form_get(f, "c"), "\xc3\xa9");
	form_free(f);

	f = parse_ok("");
	assert_int_equal(form_count(f), 0);
	form_free(f);
	form_free(NULL);
}

static void
test_parse_errors(void **state)
{
	char big[8192];
	size_t i, k = 0;

	(void)state;
	parse_bad("a=1&a=2", "a: parameter is repeated");
	parse_bad("a=1&b=2&a=1", "a: parameter is repeated");
	parse_bad("a%3D=1&a%3d=2", "parameter is repeated");
	parse_bad("=x", "empty name");
	parse_bad("a=%zz", "a: malformed value");
	parse_bad("a=%4", "a: malformed value");
	parse_bad("a=%", "a: malformed value");
	parse_bad("a=x%00y", "a: malformed value");
	parse_bad("a=%ff", "a: malformed value");      /* invalid UTF-8 */
	parse_bad("a=%C0%AF", "a: malformed value");   /* overlong */
	parse_bad("%zz=1", "malformed form parameter name");

	/* Too many parameters. */
	for (i = 0; i <= FORM_MAX_PARAMS; i++)
		k += (size_t)snprintf(big + k, sizeof(big) - k, "p%zu=1&", i);
	parse_bad(big, "too many form parameters");

	/* Over-long name. */
	memset(big, 'n', FORM_MAX_NAME + 1);
	memcpy(big + FORM_MAX_NAME + 1, "=1", 3);
	parse_bad(big, "name too long");
}

static void
test_decode_component(void **state)
{
	char *out = NULL;

	(void)state;
	assert_int_equal(form_decode_component("a+b%2Bc%25", 10, &out), BA_OK);
	assert_string_equal(out, "a b+c%");
	free(out);
	/* Only `len` bytes are read. */
	assert_int_equal(form_decode_component("abc%zz", 3, &out), BA_OK);
	assert_string_equal(out, "abc");
	free(out);
	assert_int_equal(form_decode_component("", 0, &out), BA_OK);
	assert_string_equal(out, "");
	free(out);
	assert_int_equal(form_decode_component("%G0", 3, &out),
	                 BA_ERR_INVALID_REQUEST);
	assert_null(out);
	assert_int_equal(form_decode_component("a%00", 4, &out),
	                 BA_ERR_INVALID_REQUEST);
	assert_null(out);
}

static void
test_path_segment(void **state)
{
	char *out = NULL;

	(void)state;
	assert_int_equal(form_decode_path_segment("user%20one+x", 12, &out), BA_OK);
	assert_string_equal(out, "user one+x");   /* '+' is literal in paths */
	free(out);
	assert_int_equal(form_decode_path_segment("a%2Fb", 5, &out),
	                 BA_ERR_INVALID_REQUEST);
	assert_null(out);
	assert_int_equal(form_decode_path_segment("a%2fb", 5, &out),
	                 BA_ERR_INVALID_REQUEST);
	assert_int_equal(form_decode_path_segment("%00", 3, &out),
	                 BA_ERR_INVALID_REQUEST);
	assert_int_equal(form_decode_path_segment("%", 1, &out),
	                 BA_ERR_INVALID_REQUEST);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_decode_component),
		cmocka_unit_test(test_path_segment),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
