/*
 * test_json_in.c - checked JSON body parsing and the typed field decoder
 * (src/edge/json_in.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "edge/form.h"
#include "edge/json_in.h"

/* Parses `len` bytes and expects a rejection whose message holds `needle`. */
static void
reject_n(const char *body, size_t len, int depth, const char *needle)
{
	char msg[256];
	json_t *j = NULL;
	int rc = json_in_parse(body, len, depth, &j, msg, sizeof(msg));

	if (rc != BA_ERR_INVALID_REQUEST || j != NULL ||
	    strstr(msg, needle) == NULL) {
		print_error("body %.40s: rc=%d msg=\"%s\" (wanted \"%s\")\n",
		            body, rc, msg, needle);
		fail();
	}
}

static void
reject(const char *body, const char *needle)
{
	reject_n(body, strlen(body), 32, needle);
}

static json_t *
accept(const char *body, int depth)
{
	char msg[256];
	json_t *j = NULL;
	int rc = json_in_parse(body, strlen(body), depth, &j, msg, sizeof(msg));

	if (rc != BA_OK) {
		print_error("refused %.60s: %s\n", body, msg);
		fail();
	}
	assert_true(json_is_object(j));
	return j;
}

static void
test_parse_rejects(void **state)
{
	(void)state;
	reject("", "must be a JSON object");
	reject("not json", "not valid JSON");
	reject("{\"a\":1", "truncated");
	reject("{\"a\":1} x", "unexpected data after");
	reject("[1,2]", "must be a JSON object");
	reject("\"str\"", "must be a JSON object");
	reject("42", "must be a JSON object");
	reject("null", "must be a JSON object");
	reject("{\"a\":1,\"a\":2}", "duplicate key");
	reject("{\"a\":{\"b\":1,\"b\":1}}", "duplicate key");
	reject("{\"a\":\"x\\u0000y\"}", "\\u0000");
	reject("{\"a\":\"\xff\"}", "not valid UTF-8");
	reject("{\"a\":\"\xc0\xaf\"}", "not valid UTF-8");       /* overlong '/' */
	reject("{\"a\":\"\xed\xa0\x80\"}", "not valid UTF-8");   /* surrogate */
	reject("{\"a\":\"\xf4\x90\x80\x80\"}", "not valid UTF-8");/* > U+10FFFF */
	reject("{\"a\":\"\xe2\x82\"}", "not valid UTF-8");       /* truncated */
	reject("{\"a\":99999999999999999999999}", "out of range");
	reject_n("{\"a\":\"x\0y\"}", 11, 32, "NUL byte");
}

/* Builds n nested arrays inside {"a": ...}: depth n + 1. */
static char *
nested(size_t n, char open, char close)
{
	char *s = malloc(2 * n + 16);
	size_t i, k = 0;

	assert_non_null(s);
	memcpy(s, "{\"a\":", 5);
	k = 5;
	for (i = 0; i < n; i++)
		s[k++] = open;
	for (i = 0; i < n; i++)
		s[k++] = close;
	s[k++] = '}';
	s[k] = '\0';
	return s;
}

static void
test_depth(void **state)
{
	char *ok = nested(31, '[', ']');   /* object + 31 arrays = 32 */
	char *deep = nested(32, '[', ']'); /* 33 */
	char *objs;
	json_t *j;

	(void)state;
	j = accept(ok, 32);
	json_decref(j);
	reject_n(deep, strlen(deep), 32, "deeper than 32");
	free(ok);
	free(deep);

	/* Nested objects count the same way. */
	objs = strdup("{\"a\":{\"a\":{\"a\":{}}}}"); /* depth 4 */
	j = accept(objs, 4);
	json_decref(j);
	reject_n(objs, strlen(objs), 3, "deeper than 3");
	free(objs);

	/* Brackets inside strings are not nesting. */
	j = accept("{\"a\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\\"[[[[\"}", 2);
	json_decref(j);

	assert_true(json_in_depth_ok("[[]]", 4, 2));
	assert_false(json_in_depth_ok("[[[]]]", 6, 2));
	assert_true(json_in_depth_ok("\"\\\"[[[\"", 7, 0));
}

/* A megabyte of "[" is refused by the pre-scan, quickly and without
 * recursion (a recursive parser would overflow the stack under ASan). */
static void
test_depth_bomb(void **state)
{
	size_t n = 1 << 20, i;
	char *bomb = malloc(n);

	(void)state;
	assert_non_null(bomb);
	for (i = 0; i < n; i++)
		bomb[i] = i % 2 ? '[' : '{';
	bomb[0] = '{';
	reject_n(bomb, n, 32, "deeper than 32");
	for (i = 0; i < n; i++)
		bomb[i] = '[';
	reject_n(bomb, n, 32, "deeper than 32");
	free(bomb);
}

struct sample {
	const char *user_id;
	const char *name;
	const char *note;
	int64_t timeout;
	bool has_timeout;
	bool flag;
	json_t *claims;
	json_t *list;
};

static const struct json_in_field sample_fields[] = {
	{ "user_id", JIN_STRING, true, 8, offsetof(struct sample, user_id) },
	{ "name", JIN_STRING, false, 0, offsetof(struct sample, name) },
	{ "note", JIN_STRING, false, 0, offsetof(struct sample, note), 0, 0, 0,
	  true },
	{ "timeout", JIN_INT, false, 0, offsetof(struct sample, timeout),
	  JIN_HAS(struct sample, has_timeout), 1, 3600 },
	{ "flag", JIN_BOOL, false, 0, offsetof(struct sample, flag) },
	{ "claims", JIN_OBJECT, false, 0, offsetof(struct sample, claims) },
	{ "list", JIN_ARRAY, false, 2, offsetof(struct sample, list) },
};
#define N_SAMPLE (sizeof(sample_fields) / sizeof(sample_fields[0]))

/* Decodes `body` into a fresh struct; returns rc, message in msg. */
static int
decode(const char *body, struct sample *out, char *msg, size_t msglen,
       json_t **keep)
{
	char pmsg[256];
	json_t *j = NULL;
	int rc = json_in_parse(body, strlen(body), 32, &j, pmsg, sizeof(pmsg));

	assert_int_equal(rc, BA_OK);
	memset(out, 0, sizeof(*out));
	out->timeout = -7;
	rc = json_in_decode(j, sample_fields, N_SAMPLE, out, msg, msglen);
	*keep = j;
	return rc;
}

static void
expect_field_error(const char *body, const char *want)
{
	struct sample s;
	char msg[256];
	json_t *j;
	int rc = decode(body, &s, msg, sizeof(msg), &j);

	if (rc != BA_ERR_INVALID_REQUEST || strcmp(msg, want) != 0) {
		print_error("%s: rc=%d msg=\"%s\" (wanted \"%s\")\n", body, rc,
		            msg, want);
		fail();
	}
	json_decref(j);
}

static void
test_decode_ok(void **state)
{
	struct sample s;
	char msg[256];
	json_t *j;

	(void)state;
	assert_int_equal(decode("{\"user_id\":\"u1\",\"unknown\":[1,{}],"
	                        "\"timeout\":60,\"flag\":true,\"claims\":{},"
	                        "\"name\":null,\"note\":\"\",\"list\":[1,2]}",
	                        &s, msg, sizeof(msg), &j), BA_OK);
	assert_string_equal(s.user_id, "u1");
	assert_null(s.name);
	assert_string_equal(s.note, "");
	assert_int_equal(s.timeout, 60);
	assert_true(s.has_timeout);
	assert_true(s.flag);
	assert_true(json_is_object(s.claims));
	assert_int_equal(json_array_size(s.list), 2);
	json_decref(j);

	/* Optional fields absent: untouched INT, flag false, NULL pointers. */
	assert_int_equal(decode("{\"user_id\":\"12345678\"}", &s, msg, sizeof(msg),
	                        &j), BA_OK);
	assert_int_equal(s.timeout, -7);
	assert_false(s.has_timeout);
	assert_null(s.claims);
	assert_null(s.list);
	json_decref(j);

	/* Multi-byte UTF-8 counts bytes: 4 x 2 bytes = 8, fits. */
	assert_int_equal(decode("{\"user_id\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}",
	                        &s, msg, sizeof(msg), &j), BA_OK);
	json_decref(j);
}

static void
test_decode_errors(void **state)
{
	(void)state;
	expect_field_error("{}", "user_id: is required");
	expect_field_error("{\"user_id\":null}", "user_id: is required");
	expect_field_error("{\"user_id\":\"\"}", "user_id: must be a non-empty string");
	expect_field_error("{\"user_id\":5}", "user_id: must be a non-empty string");
	expect_field_error("{\"user_id\":[\"a\"]}", "user_id: must be a non-empty string");
	expect_field_error("{\"user_id\":\"123456789\"}",
	                   "user_id: is too long (max 8 bytes)");
	expect_field_error("{\"user_id\":\"u\",\"name\":\"\"}",
	                   "name: must be a non-empty string");
	expect_field_error("{\"user_id\":\"u\",\"note\":1}", "note: must be a string");
	expect_field_error("{\"user_id\":\"u\",\"timeout\":\"60\"}",
	                   "timeout: must be an integer");
	expect_field_error("{\"user_id\":\"u\",\"timeout\":60.5}",
	                   "timeout: must be an integer");
	expect_field_error("{\"user_id\":\"u\",\"timeout\":0}",
	                   "timeout: must be between 1 and 3600");
	expect_field_error("{\"user_id\":\"u\",\"timeout\":3601}",
	                   "timeout: must be between 1 and 3600");
	expect_field_error("{\"user_id\":\"u\",\"flag\":\"true\"}",
	                   "flag: must be a boolean");
	expect_field_error("{\"user_id\":\"u\",\"claims\":[]}",
	                   "claims: must be an object");
	expect_field_error("{\"user_id\":\"u\",\"list\":{}}", "list: must be an array");
	expect_field_error("{\"user_id\":\"u\",\"list\":[1,2,3]}",
	                   "list: has too many elements (max 2)");
}


/* Decodes a form body with the sample table (form mode); returns rc. */
static int
decode_form(const char *body, struct sample *out, char *msg, size_t msglen,
            json_t **keep)
{
	struct form *f = NULL;
	json_t *j = NULL;
	char pmsg[256];
	int rc = form_parse(body, strlen(body), &f, pmsg, sizeof(pmsg));

	assert_int_equal(rc, BA_OK);
	assert_int_equal(json_in_from_form(f, &j), BA_OK);
	form_free(f);
	memset(out, 0, sizeof(*out));
	out->timeout = -7;
	rc = json_in_decode_form(j, sample_fields, N_SAMPLE, 4, out, msg, msglen);
	*keep = j;
	return rc;
}

static void
expect_form_error(const char *body, const char *want)
{
	struct sample s;
	char msg[256];
	json_t *j;
	int rc = decode_form(body, &s, msg, sizeof(msg), &j);

	if (rc != BA_ERR_INVALID_REQUEST || strcmp(msg, want) != 0) {
		print_error("%s: rc=%d msg=\"%s\" (wanted \"%s\")\n", body, rc, msg, want);
		fail();
	}
	json_decref(j);
}

/* A form goes through the same table: typed fields read from their text,
 * objects as JSON text put in place in the object, the same limits. */
static void
test_decode_form(void **state)
{
	struct sample s;
	char msg[256];
	json_t *j;

	(void)state;
	assert_int_equal(decode_form("user_id=u1&timeout=60&flag=true&"
	                             "claims=%7B%22id_token%22%3A%7B%7D%7D&list=%5B1%5D&name=a+b",
	                             &s, msg, sizeof(msg), &j), BA_OK);
	assert_string_equal(s.user_id, "u1");
	assert_string_equal(s.name, "a b");
	assert_true(s.has_timeout);
	assert_int_equal(s.timeout, 60);
	assert_true(s.flag);
	assert_true(json_is_object(s.claims));
	assert_ptr_equal(json_object_get(j, "claims"), s.claims);
	assert_true(json_is_array(s.list));
	json_decref(j);

	expect_form_error("user_id=", "user_id: must be a non-empty string");
	expect_form_error("user_id=u&timeout=6e1", "timeout: must be an integer");
	expect_form_error("user_id=u&timeout=+60", "timeout: must be an integer");
	expect_form_error("user_id=u&timeout=060", "timeout: must be an integer");
	expect_form_error("user_id=u&timeout=99999999999999999999", "timeout: must be an integer");
	expect_form_error("user_id=u&timeout=0", "timeout: must be between 1 and 3600");
	expect_form_error("user_id=u&flag=1", "flag: must be a boolean");
	expect_form_error("user_id=u&claims=%5B%5D", "claims: must be an object");
	expect_form_error("user_id=u&claims=%7B", "claims: must be an object (JSON text in a form)");
	expect_form_error("user_id=u&claims=%7B%22a%22%3A1%2C%22a%22%3A2%7D",
	                  "claims: must be an object (JSON text in a form)");
	expect_form_error("user_id=u&claims=%7B%22a%22%3A%7B%22b%22%3A%7B%22c%22%3A%7B%7D%7D%7D%7D",
	                  "claims: must be an object (JSON text in a form)");
	expect_form_error("user_id=u&list=%5B1%2C2%2C3%5D", "list: has too many elements (max 2)");
	expect_form_error("user_id=toolongvalue", "user_id: is too long (max 8 bytes)");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_rejects),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_depth_bomb),
		cmocka_unit_test(test_decode_ok),
		cmocka_unit_test(test_decode_errors),
		cmocka_unit_test(test_decode_form),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
