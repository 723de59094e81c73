/*
 * test_errmap.c - the error catalogue (src/edge/errmap.c): every enum
 * ba_err maps to a sane HTTP status and error_code, the statuses follow
 * docs/API.md "HTTP API", and 5xx rows never carry details.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "common/error.h"
#include "edge/errmap.h"

/* error_code and OAuth error strings are lower-case snake_case. */
static int
is_code(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || *s == '_'))
			return 0;
	return 1;
}

static void
test_every_value(void **state)
{
	int e;

	(void)state;
	for (e = 1; e < BA_ERR__COUNT; e++) {
		const struct errmap_entry *m = errmap_get(e);

		assert_non_null(m);
		if (m->status < 400 || m->status > 599 || !is_code(m->code) ||
		    !is_code(m->oauth) || m->message == NULL ||
		    m->message[0] == '\0') {
			print_error("bad row for %d (%s)\n", e, ba_strerror(e));
			fail();
		}
		if (m->status >= 500) {
			/* One generic text; nothing about the failure leaks. */
			assert_true(strcmp(m->message, "internal error") == 0 ||
			            strcmp(m->message, "storage unavailable") == 0);
		} else if (strcmp(m->code, ba_strerror(e)) != 0) {
			/* Client errors use the catalogue names of error.c. */
			print_error("%d: code %s != %s\n", e, m->code, ba_strerror(e));
			fail();
		}
	}
}

static void
test_statuses(void **state)
{
	static const struct { int err; unsigned status; const char *code; } want[] = {
		{ BA_ERR_INVALID_REQUEST, 400, "invalid_request" },
		{ BA_ERR_INVALID_KEY_ENCODING, 400, "invalid_key_encoding" },
		{ BA_ERR_INVALID_KEY_TYPE, 400, "invalid_key_type" },
		{ BA_ERR_INVALID_TOKEN, 401, "invalid_token" },
		{ BA_ERR_INVALID_SIGNATURE, 401, "invalid_signature" },
		{ BA_ERR_INVALID_CREDENTIALS, 401, "invalid_credentials" },
		{ BA_ERR_WRONG_TOKEN_KIND, 403, "wrong_token_kind" },
		{ BA_ERR_FORBIDDEN, 403, "forbidden" },
		{ BA_ERR_NOT_FOUND, 404, "not_found" },
		{ BA_ERR_ROUTE_NOT_FOUND, 404, "not_found" },
		{ BA_ERR_METHOD_NOT_ALLOWED, 405, "method_not_allowed" },
		{ BA_ERR_CONFLICT, 409, "conflict" },
		{ BA_ERR_PAYLOAD_TOO_LARGE, 413, "payload_too_large" },
		{ BA_ERR_UNSUPPORTED_MEDIA_TYPE, 415, "unsupported_media_type" },
		{ BA_ERR_HEADER_TOO_LARGE, 431, "header_too_large" },
		{ BA_ERR_KEY_LOCKED, 429, "key_locked" },
		{ BA_ERR_RATE_LIMITED, 429, "rate_limited" },
		{ BA_ERR_INTERNAL, 500, "internal_error" },
		{ BA_ERR_NOMEM, 500, "internal_error" },
		{ BA_ERR_CONFIG, 500, "internal_error" },
		{ BA_ERR_IO, 500, "internal_error" },
		{ BA_ERR_INVALID_ATTESTATION, 400, "invalid_attestation" },
		{ BA_ERR_STORE_UNAVAILABLE, 503, "storage_unavailable" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct errmap_entry *m = errmap_get(want[i].err);
		if (m->status != want[i].status || strcmp(m->code, want[i].code) != 0) {
			print_error("%s: %u %s, wanted %u %s\n",
			            ba_strerror(want[i].err), m->status, m->code,
			            want[i].status, want[i].code);
			fail();
		}
	}
}

static void
test_oauth(void **state)
{
	static const struct { int err; unsigned status; const char *oauth; } want[] = {
		{ BA_ERR_INVALID_CLIENT, 401, "invalid_client" },
		{ BA_ERR_INVALID_GRANT, 400, "invalid_grant" },
		{ BA_ERR_INVALID_TARGET, 400, "invalid_target" },
		{ BA_ERR_UNSUPPORTED_GRANT_TYPE, 400, "unsupported_grant_type" },
		{ BA_ERR_INVALID_REQUEST, 400, "invalid_request" },
		{ BA_ERR_INTERNAL, 500, "server_error" },
		{ BA_ERR_STORE_UNAVAILABLE, 503, "temporarily_unavailable" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct errmap_entry *m = errmap_get(want[i].err);
		assert_int_equal(m->status, want[i].status);
		assert_string_equal(m->oauth, want[i].oauth);
	}
}

static void
test_out_of_range(void **state)
{
	(void)state;
	/* BA_OK and unknown values are bugs: answered as a generic 500. */
	assert_int_equal(errmap_get(BA_OK)->status, 500);
	assert_int_equal(errmap_get(-1)->status, 500);
	assert_int_equal(errmap_get(BA_ERR__COUNT)->status, 500);
	assert_int_equal(errmap_get(100000)->status, 500);
	assert_string_equal(errmap_get(100000)->message, "internal error");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_value),
		cmocka_unit_test(test_statuses),
		cmocka_unit_test(test_oauth),
		cmocka_unit_test(test_out_of_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
