/*
 * encoding.c - fuzzes the strict base64 codecs (src/crypto/encoding.c).
 *
 * Input: [2 control bytes][bytes...], used both as text to decode and as
 * data to encode.
 *
 * Properties (encoding.h promises one accepted encoding per alphabet and
 * padding choice):
 *  - b64url_decode(x) accepted => b64url_encode of the result is x;
 *  - b64_decode_any(x) accepted => x is, up to the alphabet and optional
 *    padding, b64_encode of the result (and b64url_decode agrees on the
 *    same bytes whenever x is URL-safe and unpadded);
 *  - b64_decode_any_lines(x) = b64_decode_any(x without CR and LF);
 *  - for any bytes d: decode(encode(d)) = d in both alphabets, and
 *    b64_decode_any accepts both encodings.
 */
#include <string.h>

#include "common/error.h"
#include "crypto/encoding.h"
#include "fuzz_common.h"

/* x with '-' '_' mapped to '+' '/' and trailing '=' dropped (harness
 * memory). */
static char *
enc_normalise(const char *x, size_t n)
{
	char *s = fuzz_strndup((const uint8_t *)x, n);
	size_t i;

	for (i = 0; i < n; i++)
		s[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
	while (n > 0 && s[n - 1] == '=')
		s[--n] = '\0';
	return s;
}

static bool
enc_same(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

FUZZ_TARGET(encoding)
{
	const char *x;
	uint8_t *d_url = NULL, *d_any = NULL, *d_lines = NULL, *d_strip = NULL;
	uint8_t *back = NULL;
	size_t n_url = 0, n_any = 0, n_lines = 0, n_strip = 0, n_back = 0, i, k;
	char *e_std = NULL, *e_url = NULL, *stripped, *norm, *norm_e;
	int r_url, r_any, r_lines, r_estd, r_eurl;
	bool failed;

	alloc_fail_install();
	fuzz_warm_up();
	fuzz_take_alloc_control(&data, &size);
	x = (const char *)data;

	fuzz_alloc_begin();
	r_url = b64url_decode(x, size, &d_url, &n_url);
	r_any = b64_decode_any(x, size, &d_any, &n_any);
	r_lines = b64_decode_any_lines(x, size, &d_lines, &n_lines);
	r_estd = b64_encode(data, size, &e_std);
	r_eurl = b64url_encode(data, size, &e_url);
	failed = fuzz_alloc_end();

	FUZZ_CHECK(r_url == BA_OK || r_url == BA_ERR_INVALID_REQUEST || (failed && r_url == BA_ERR_NOMEM));
	FUZZ_CHECK(r_any == BA_OK || r_any == BA_ERR_INVALID_REQUEST || (failed && r_any == BA_ERR_NOMEM));
	FUZZ_CHECK((r_url == BA_OK) == (d_url != NULL) && (r_any == BA_OK) == (d_any != NULL));
	if (failed)
		goto out;

	if (r_url == BA_OK) {
		char *again = NULL;
		FUZZ_CHECK(b64url_encode(d_url, n_url, &again) == BA_OK);
		FUZZ_CHECK(strlen(again) == size && memcmp(again, x, size) == 0);
		free(again);
		/* URL-safe unpadded text: b64_decode_any reads the same bytes. */
		FUZZ_CHECK(r_any == BA_OK && enc_same(d_any, n_any, d_url, n_url));
	}
	if (r_any == BA_OK) {
		char *again = NULL;
		FUZZ_CHECK(b64_encode(d_any, n_any, &again) == BA_OK);
		norm = enc_normalise(x, size);
		norm_e = enc_normalise(again, strlen(again));
		FUZZ_CHECK(strcmp(norm, norm_e) == 0);
		free(norm);
		free(norm_e);
		free(again);
	}

	/* _lines = any over the text without CR/LF. */
	stripped = fuzz_strndup(data, size);
	for (i = k = 0; i < size; i++)
		if (x[i] != '\r' && x[i] != '\n')
			stripped[k++] = x[i];
	FUZZ_CHECK((b64_decode_any(stripped, k, &d_strip, &n_strip) == BA_OK) == (r_lines == BA_OK));
	if (r_lines == BA_OK)
		FUZZ_CHECK(enc_same(d_lines, n_lines, d_strip, n_strip));
	free(stripped);

	/* encode -> decode is the identity. */
	FUZZ_CHECK(r_estd == BA_OK && r_eurl == BA_OK);
	FUZZ_CHECK(b64_decode_any(e_std, strlen(e_std), &back, &n_back) == BA_OK &&
	           enc_same(back, n_back, data, size));
	free(back);
	back = NULL;
	FUZZ_CHECK(b64url_decode(e_url, strlen(e_url), &back, &n_back) == BA_OK &&
	           enc_same(back, n_back, data, size));
	free(back);
	back = NULL;
	FUZZ_CHECK(b64_decode_any(e_url, strlen(e_url), &back, &n_back) == BA_OK &&
	           enc_same(back, n_back, data, size));
	free(back);
out:
	free(d_url);
	free(d_any);
	free(d_lines);
	free(d_strip);
	free(e_std);
	free(e_url);
	return 0;
}
