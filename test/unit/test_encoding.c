/*
 * test_encoding.c - strict base64/base64url (src/crypto/encoding.c) and the
 * random/hash helpers (src/crypto/rand.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "crypto/digest.h"
#include "crypto/encoding.h"
#include "crypto/rand.h"

/* RFC 4648 section 10. */
static const struct {
	const char *plain, *std, *url;
} rfc4648[] = {
	{ "", "", "" },
	{ "f", "Zg==", "Zg" },
	{ "fo", "Zm8=", "Zm8" },
	{ "foo", "Zm9v", "Zm9v" },
	{ "foob", "Zm9vYg==", "Zm9vYg" },
	{ "fooba", "Zm9vYmE=", "Zm9vYmE" },
	{ "foobar", "Zm9vYmFy", "Zm9vYmFy" },
};

static void
expect_decode_any(const char *in, const void *want, size_t want_len)
{
	uint8_t *out = NULL;
	size_t n = 0;

	if (b64_decode_any(in, strlen(in), &out, &n) != BA_OK) {
		print_error("refused: \"%s\"\n", in);
		fail();
	}
	assert_non_null(out);
	assert_int_equal(n, want_len);
	if (want_len > 0)
		assert_memory_equal(out, want, want_len);
	free(out);
}

static void
expect_any_refused(const char *in, size_t len)
{
	uint8_t *out = (uint8_t *)1;
	size_t n = 99;

	if (b64_decode_any(in, len, &out, &n) != BA_ERR_INVALID_REQUEST) {
		print_error("accepted: \"%.*s\"\n", (int)len, in);
		fail();
	}
	assert_null(out);
	assert_int_equal(n, 0);
}

static void
expect_url_refused(const char *in)
{
	uint8_t *out = NULL;
	size_t n = 0;

	if (b64url_decode(in, strlen(in), &out, &n) != BA_ERR_INVALID_REQUEST) {
		print_error("b64url accepted: \"%s\"\n", in);
		fail();
	}
	assert_null(out);
}

static void
test_rfc4648_vectors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
		const char *p = rfc4648[i].plain;
		char *s;
		uint8_t *out;
		size_t n;

		assert_int_equal(b64_encode((const uint8_t *)p, strlen(p), &s), BA_OK);
		assert_string_equal(s, rfc4648[i].std);
		free(s);
		assert_int_equal(b64url_encode((const uint8_t *)p, strlen(p), &s), BA_OK);
		assert_string_equal(s, rfc4648[i].url);
		free(s);
		/* Padded and unpadded both decode with decode_any. */
		expect_decode_any(rfc4648[i].std, p, strlen(p));
		expect_decode_any(rfc4648[i].url, p, strlen(p));
		assert_int_equal(b64url_decode(rfc4648[i].url, strlen(rfc4648[i].url), &out, &n), BA_OK);
		assert_int_equal(n, strlen(p));
		if (n > 0)
			assert_memory_equal(out, p, n);
		free(out);
	}
}

static void
test_alphabets(void **state)
{
	static const uint8_t hi[] = { 0xfb, 0xff, 0xbf };
	char *s;
	uint8_t *out;
	size_t n;

	(void)state;
	assert_int_equal(b64_encode(hi, sizeof(hi), &s), BA_OK);
	assert_string_equal(s, "+/+/");
	free(s);
	assert_int_equal(b64url_encode(hi, sizeof(hi), &s), BA_OK);
	assert_string_equal(s, "-_-_");
	free(s);
	expect_decode_any("+/+/", hi, sizeof(hi));
	expect_decode_any("-_-_", hi, sizeof(hi));
	/* Mixed alphabets. */
	expect_any_refused("+_+_", 4);
	expect_any_refused("-/-/", 4);
	/* b64url refuses the standard alphabet and padding. */
	expect_url_refused("+/+/");
	expect_url_refused("Zg==");
	expect_url_refused("Zm8=");
	assert_int_equal(b64url_decode("-_-_", 4, &out, &n), BA_OK);
	assert_int_equal(n, 3);
	assert_memory_equal(out, hi, 3);
	free(out);
}

static void
test_strictness(void **state)
{
	static const char *const bad[] = {
		"Z",          /* a lone sextet */
		"Zm9vY",      /* 5 chars: 1 mod 4 */
		"Zg=",        /* incomplete padding */
		"Zg===",      /* too much padding */
		"Zm8==",
		"Zm9v=",      /* padding after a full quantum */
		"====",
		"=",
		"Zg==Zg==",   /* padding in the middle */
		"Zh==",       /* non-zero trailing bits (12 -> 8) */
		"Zh",
		"Zm9=",       /* non-zero trailing bits (18 -> 16) */
		"Zm9",
		" Zg==",      /* whitespace anywhere */
		"Zg== ",
		"Zg\n==",
		"Zm9v\r\n",
		"Zm9v\t",
		"Zm.v",       /* characters outside both alphabets */
		"Zm9v\xff",
		"Zm~v",
	};
	size_t i;
	uint8_t *out;
	size_t n;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_any_refused(bad[i], strlen(bad[i]));
	/* An embedded NUL is just another bad character. */
	expect_any_refused("Zm\0v", 4);
	expect_url_refused("Zh");
	expect_url_refused("Zm9");
	expect_url_refused("Z");
	/* NULL with a length. */
	assert_int_equal(b64_decode_any(NULL, 4, &out, &n), BA_ERR_INVALID_REQUEST);
	assert_int_equal(b64url_decode(NULL, 4, &out, &n), BA_ERR_INVALID_REQUEST);
	/* Empty input is the empty string. */
	assert_int_equal(b64_decode_any("", 0, &out, &n), BA_OK);
	assert_int_equal(n, 0);
	free(out);
}

static void
test_lines(void **state)
{
	uint8_t *out;
	size_t n;

	(void)state;
	assert_int_equal(b64_decode_any_lines("Zm9v\r\nYmFy\n", 11, &out, &n), BA_OK);
	assert_int_equal(n, 6);
	assert_memory_equal(out, "foobar", 6);
	free(out);
	assert_int_equal(b64_decode_any_lines("Zm9v YmFy", 9, &out, &n), BA_ERR_INVALID_REQUEST);
	assert_int_equal(b64_decode_any_lines("Zm9v\tYmFy", 9, &out, &n), BA_ERR_INVALID_REQUEST);
	assert_int_equal(b64_decode_any_lines("Zm\n9=", 5, &out, &n), BA_ERR_INVALID_REQUEST);
}

/* Every byte value, every length up to 100, both alphabets round-trip. */
static void
test_roundtrip(void **state)
{
	uint8_t in[256];
	size_t len, i;

	(void)state;
	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(255 - i);
	for (len = 0; len <= 100; len++) {
		const uint8_t *src = in + (len * 7) % 150;
		char *s;
		uint8_t *out;
		size_t n;

		assert_int_equal(b64_encode(src, len, &s), BA_OK);
		assert_int_equal(strlen(s), (len + 2) / 3 * 4);
		assert_int_equal(b64_decode_any(s, strlen(s), &out, &n), BA_OK);
		assert_int_equal(n, len);
		if (len > 0)
			assert_memory_equal(out, src, len);
		free(out);
		free(s);

		assert_int_equal(b64url_encode(src, len, &s), BA_OK);
		assert_null(strchr(s, '='));
		assert_int_equal(b64url_decode(s, strlen(s), &out, &n), BA_OK);
		assert_int_equal(n, len);
		if (len > 0)
			assert_memory_equal(out, src, len);
		free(out);
		free(s);
	}
}

static void
test_caps(void **state)
{
	char *big = malloc(ENCODING_MAX_INPUT + 4);
	uint8_t *out;
	size_t n;
	char *s;

	(void)state;
	assert_non_null(big);
	memset(big, 'A', ENCODING_MAX_INPUT + 4);
	/* At the cap: decodes. One quantum more: refused. */
	assert_int_equal(b64_decode_any(big, ENCODING_MAX_INPUT, &out, &n), BA_OK);
	assert_int_equal(n, ENCODING_MAX_INPUT / 4 * 3);
	free(out);
	assert_int_equal(b64_decode_any(big, ENCODING_MAX_INPUT + 4, &out, &n), BA_ERR_INVALID_REQUEST);
	assert_int_equal(b64url_decode(big, ENCODING_MAX_INPUT + 4, &out, &n), BA_ERR_INVALID_REQUEST);
	assert_int_equal(b64_decode_any_lines(big, ENCODING_MAX_INPUT + 4, &out, &n),
	                 BA_ERR_INVALID_REQUEST);
	assert_int_equal(b64_encode((const uint8_t *)big, ENCODING_MAX_INPUT + 1, &s),
	                 BA_ERR_INVALID_REQUEST);
	assert_int_equal(b64url_encode((const uint8_t *)big, ENCODING_MAX_INPUT + 1, &s),
	                 BA_ERR_INVALID_REQUEST);
	assert_int_equal(b64_encode(NULL, 3, &s), BA_ERR_INVALID_REQUEST);
	assert_int_equal(b64_encode(NULL, 0, &s), BA_OK);
	assert_string_equal(s, "");
	free(s);
	free(big);
}

static void
test_rand(void **state)
{
	uint8_t a[32], b[32], *dec;
	char *t1, *t2;
	size_t n, i;

	(void)state;
	assert_int_equal(rand_bytes(a, sizeof(a)), BA_OK);
	assert_int_equal(rand_bytes(b, sizeof(b)), BA_OK);
	assert_memory_not_equal(a, b, sizeof(a));
	assert_int_equal(rand_bytes(NULL, 0), BA_OK);

	assert_int_equal(rand_token("app_", 32, &t1), BA_OK);
	assert_int_equal(rand_token("app_", 32, &t2), BA_OK);
	assert_int_equal(strlen(t1), 4 + 43);
	assert_memory_equal(t1, "app_", 4);
	assert_string_not_equal(t1, t2);
	for (i = 4; t1[i] != '\0'; i++)
		assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", t1[i]));
	assert_int_equal(b64url_decode(t1 + 4, strlen(t1 + 4), &dec, &n), BA_OK);
	assert_int_equal(n, 32);
	free(dec);
	free(t1);
	free(t2);
	assert_int_equal(rand_token(NULL, 16, &t1), BA_OK);
	assert_int_equal(strlen(t1), 22);
	free(t1);
	assert_int_equal(rand_token(NULL, 0, &t1), BA_ERR_INTERNAL);
	assert_null(t1);
}

static void
test_sha256_and_equal(void **state)
{
	/* FIPS 180-2 examples. */
	static const uint8_t abc[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde,
		0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
		0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
	};
	static const uint8_t empty[32] = {
		0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8,
		0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c,
		0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
	};
	uint8_t d[32], e[32];

	(void)state;
	sha256("abc", 3, d);
	assert_memory_equal(d, abc, 32);
	sha256("", 0, d);
	assert_memory_equal(d, empty, 32);

	assert_true(digest_equal(abc, abc));
	memcpy(e, abc, 32);
	e[0] ^= 1;
	assert_false(digest_equal(abc, e));
	e[0] ^= 1;
	e[31] ^= 0x80;
	assert_false(digest_equal(abc, e));
}

/* b64url_encode_into writes what b64url_encode returns, with its length. */
static void
test_encode_into(void **state)
{
	uint8_t in[100];
	char buf[200];
	char *s = NULL;

	(void)state;
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 37 + 11);
	for (size_t len = 0; len <= sizeof(in); len++) {
		memset(buf, 'X', sizeof(buf));
		assert_int_equal(b64url_encode(in, len, &s), BA_OK);
		assert_int_equal(b64url_encoded_len(len), strlen(s));
		assert_int_equal(b64url_encode_into(in, len, buf), strlen(s));
		assert_string_equal(buf, s);
		assert_int_equal(buf[strlen(s) + 1], 'X');
		free(s);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4648_vectors),
		cmocka_unit_test(test_alphabets),
		cmocka_unit_test(test_strictness),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_rand),
		cmocka_unit_test(test_sha256_and_equal),
		cmocka_unit_test(test_encode_into),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
