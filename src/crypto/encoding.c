/*
 * encoding.c - strict base64 (RFC 4648 sections 4 and 5).
 *
 * One decoder serves both alphabets. It accepts only the alphabet's
 * characters, '=' only as trailing padding that completes the last quantum,
 * no whitespace, and a last character whose unused low bits are zero, so
 * every byte string has exactly one accepted encoding per alphabet and
 * padding choice.
 */
#include "crypto/encoding.h"

#include <stdlib.h>
#include <string.h>

#include "common/error.h"

enum alphabet { ALPHA_STD, ALPHA_URL };
enum padding { PAD_OPTIONAL, PAD_FORBIDDEN };

static const char std_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char url_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* The 6-bit value of `c` in the alphabet, or -1. */
static int
sextet(unsigned char c, enum alphabet a)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (a == ALPHA_STD) {
		if (c == '+')
			return 62;
		if (c == '/')
			return 63;
	} else {
		if (c == '-')
			return 62;
		if (c == '_')
			return 63;
	}
	return -1;
}

/*
 * Decodes `len` characters of `in` in alphabet `a` under padding rule `pad`.
 * On BA_OK *out is a malloc'd buffer (at least one byte, even for empty
 * output) holding *out_len bytes. Any deviation from the canonical encoding
 * is BA_ERR_INVALID_REQUEST.
 */
static int
decode(const char *in, size_t len, enum alphabet a, enum padding pad,
       uint8_t **out, size_t *out_len)
{
	size_t body = len, npad = 0, rem, n, i, o = 0;
	uint32_t acc = 0;
	uint8_t *buf;

	*out = NULL;
	*out_len = 0;
	if (in == NULL && len != 0)
		return BA_ERR_INVALID_REQUEST;
	if (len > ENCODING_MAX_INPUT)
		return BA_ERR_INVALID_REQUEST;
	while (body > 0 && in[body - 1] == '=' && npad < 3) {
		body--;
		npad++;
	}
	rem = body % 4;
	if (rem == 1)
		return BA_ERR_INVALID_REQUEST;
	if (npad > 0) {
		/* Padding must exist, be allowed and complete the last quantum. */
		if (pad == PAD_FORBIDDEN || rem == 0 || npad != 4 - rem)
			return BA_ERR_INVALID_REQUEST;
	}
	n = body / 4 * 3 + (rem == 0 ? 0 : rem - 1);
	buf = malloc(n > 0 ? n : 1);
	if (buf == NULL)
		return BA_ERR_NOMEM;
	for (i = 0; i < body; i++) {
		int v = sextet((unsigned char)in[i], a);

		if (v < 0)
			goto bad;
		acc = (acc << 6) | (uint32_t)v;
		if (i % 4 == 3) {
			buf[o++] = (uint8_t)(acc >> 16);
			buf[o++] = (uint8_t)(acc >> 8);
			buf[o++] = (uint8_t)acc;
			acc = 0;
		}
	}
	if (rem == 2) {
		/* 12 bits: one byte, the low 4 bits must be zero. */
		if (acc & 0x0f)
			goto bad;
		buf[o++] = (uint8_t)(acc >> 4);
	} else if (rem == 3) {
		/* 18 bits: two bytes, the low 2 bits must be zero. */
		if (acc & 0x03)
			goto bad;
		buf[o++] = (uint8_t)(acc >> 10);
		buf[o++] = (uint8_t)(acc >> 2);
	}
	*out = buf;
	*out_len = o;
	return BA_OK;
bad:
	free(buf);
	return BA_ERR_INVALID_REQUEST;
}

/*
 * Base64 of either alphabet, padding optional. The alphabet is chosen by
 * the characters present: '+' or '/' means standard, '-' or '_' URL-safe,
 * both kinds in one string is an error.
 */
int
b64_decode_any(const char *in, size_t len, uint8_t **out, size_t *out_len)
{
	int has_std = 0, has_url = 0;
	size_t i;

	if (out == NULL || out_len == NULL)
		return BA_ERR_INVALID_REQUEST;
	*out = NULL;
	*out_len = 0;
	if ((in == NULL && len != 0) || len > ENCODING_MAX_INPUT)
		return BA_ERR_INVALID_REQUEST;
	for (i = 0; i < len; i++) {
		if (in[i] == '+' || in[i] == '/')
			has_std = 1;
		else if (in[i] == '-' || in[i] == '_')
			has_url = 1;
	}
	if (has_std && has_url)
		return BA_ERR_INVALID_REQUEST;
	return decode(in, len, has_url ? ALPHA_URL : ALPHA_STD, PAD_OPTIONAL,
	              out, out_len);
}

/* b64_decode_any on a copy of `in` without its CR and LF characters. */
int
b64_decode_any_lines(const char *in, size_t len, uint8_t **out, size_t *out_len)
{
	char *copy;
	size_t i, n = 0;
	int r;

	if (out == NULL || out_len == NULL)
		return BA_ERR_INVALID_REQUEST;
	*out = NULL;
	*out_len = 0;
	if ((in == NULL && len != 0) || len > ENCODING_MAX_INPUT)
		return BA_ERR_INVALID_REQUEST;
	copy = malloc(len > 0 ? len : 1);
	if (copy == NULL)
		return BA_ERR_NOMEM;
	for (i = 0; i < len; i++) {
		if (in[i] != '\r' && in[i] != '\n')
			copy[n++] = in[i];
	}
	r = b64_decode_any(copy, n, out, out_len);
	free(copy);
	return r;
}

int
b64url_decode(const char *in, size_t len, uint8_t **out, size_t *out_len)
{
	if (out == NULL || out_len == NULL)
		return BA_ERR_INVALID_REQUEST;
	return decode(in, len, ALPHA_URL, PAD_FORBIDDEN, out, out_len);
}

/* Length of the encoding of `len` bytes (without the NUL). */
static size_t
encoded_len(size_t len, int pad)
{
	size_t rem = len % 3;

	return len / 3 * 4 + (rem == 0 ? 0 : (pad ? 4 : rem + 1));
}

/* Encodes `len` bytes with `chars` into s, which holds encoded_len() + 1
 * bytes, padding with '=' when `pad`; NUL-terminates. */
static void
encode_into(const uint8_t *in, size_t len, const char *chars, int pad, char *s)
{
	size_t full = len / 3, rem = len % 3, n = encoded_len(len, pad), i, o = 0;

	for (i = 0; i < full * 3; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];

		s[o++] = chars[v >> 18 & 63];
		s[o++] = chars[v >> 12 & 63];
		s[o++] = chars[v >> 6 & 63];
		s[o++] = chars[v & 63];
	}
	if (rem > 0) {
		uint32_t v = (uint32_t)in[i] << 16;

		if (rem == 2)
			v |= (uint32_t)in[i + 1] << 8;
		s[o++] = chars[v >> 18 & 63];
		s[o++] = chars[v >> 12 & 63];
		if (rem == 2)
			s[o++] = chars[v >> 6 & 63];
		if (pad) {
			while (o < n)
				s[o++] = '=';
		}
	}
	s[o] = '\0';
}

/*
 * Encodes `len` bytes with `chars`, padding with '=' when `pad`. *out is a
 * malloc'd NUL-terminated string.
 */
static int
encode(const uint8_t *in, size_t len, const char *chars, int pad, char **out)
{
	char *s;

	if (out == NULL)
		return BA_ERR_INVALID_REQUEST;
	*out = NULL;
	if ((in == NULL && len != 0) || len > ENCODING_MAX_INPUT)
		return BA_ERR_INVALID_REQUEST;
	/* len <= 2^20, so this cannot overflow. */
	s = malloc(encoded_len(len, pad) + 1);
	if (s == NULL)
		return BA_ERR_NOMEM;
	encode_into(in, len, chars, pad, s);
	*out = s;
	return BA_OK;
}

size_t
b64url_encoded_len(size_t len)
{
	return encoded_len(len, 0);
}

size_t
b64url_encode_into(const uint8_t *in, size_t len, char *out)
{
	encode_into(in, len, url_chars, 0, out);
	return encoded_len(len, 0);
}

int
b64url_encode(const uint8_t *in, size_t len, char **out)
{
	return encode(in, len, url_chars, 0, out);
}

int
b64_encode(const uint8_t *in, size_t len, char **out)
{
	return encode(in, len, std_chars, 1, out);
}
