/*
 * validate.c - printable UTF-8 and absolute-URI checks.
 */
#include "domain/validate.h"

#include <stdint.h>
#include <string.h>

/* Length of the well-formed UTF-8 sequence at p[0..n) (1..4), or 0 when it is
 * malformed; *cp receives the code point. Follows the table of well-formed
 * byte sequences in Unicode 15, section 3.9 (table 3-7). */
static size_t
utf8_seq(const unsigned char *p, size_t n, uint32_t *cp)
{
	unsigned char c = p[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t len, i;
	uint32_t v;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		v = c & 0x1fu;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		v = c & 0x0fu;
		if (c == 0xe0)
			lo = 0xa0;       /* no overlong forms */
		else if (c == 0xed)
			hi = 0x9f;       /* no surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		v = c & 0x07u;
		if (c == 0xf0)
			lo = 0x90;       /* no overlong forms */
		else if (c == 0xf4)
			hi = 0x8f;       /* nothing above U+10FFFF */
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		unsigned char b = p[i];
		if (i == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xbf))
			return 0;
		v = (v << 6) | (uint32_t)(b & 0x3fu);
	}
	*cp = v;
	return len;
}

/* True for the Unicode bidirectional formatting characters (UAX #9,
 * section 2: ALM, LRM, RLM, LRE..RLO, LRI..PDI), which can make one name
 * display as another ("Trojan Source", CVE-2021-42574). */
static bool
is_bidi_control(uint32_t cp)
{
	return cp == 0x061c || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* The checks of validate_text, plus refusing bidi controls when `no_bidi`
 * and the byte `forbid` (0: none). */
static bool
text_check(const char *s, size_t max_len, bool no_bidi, char forbid)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, i = 0;

	if (s == NULL)
		return false;
	n = strnlen(s, max_len + 1);
	if (n == 0 || n > max_len)
		return false;
	while (i < n) {
		uint32_t cp;
		size_t len = utf8_seq(p + i, n - i, &cp);

		if (len == 0)
			return false;
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
			return false;
		if (no_bidi && is_bidi_control(cp))
			return false;
		if (forbid != 0 && cp == (unsigned char)forbid)
			return false;
		i += len;
	}
	return true;
}

bool
validate_text(const char *s, size_t max_len)
{
	return text_check(s, max_len, false, 0);
}

bool
validate_name(const char *s, size_t max_len)
{
	return text_check(s, max_len, true, 0);
}

bool
validate_user_id(const char *s, size_t max_len)
{
	return text_check(s, max_len, true, '/');
}

static bool
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool
validate_absolute_uri(const char *s, size_t max_len)
{
	size_t n, i;

	if (s == NULL)
		return false;
	n = strnlen(s, max_len + 1);
	if (n == 0 || n > max_len || !is_alpha(s[0]))
		return false;
	for (i = 1; i < n && s[i] != ':'; i++) {
		char c = s[i];
		if (!is_alpha(c) && !(c >= '0' && c <= '9') &&
		    c != '+' && c != '-' && c != '.')
			return false;
	}
	if (i >= n || i + 1 >= n)   /* no ':' or nothing after it */
		return false;
	for (i++; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x21 || c > 0x7e || c == '#')
			return false;
	}
	return true;
}
