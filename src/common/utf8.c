/*
 * utf8.c - strict UTF-8 validation (RFC 3629, Table 3-7 of Unicode).
 */
#include "common/utf8.h"

size_t
utf8_seq_len(const unsigned char *p, size_t avail)
{
	unsigned char c = p[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, k;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;      /* no overlong 3-byte forms */
	else if (c == 0xed)
		hi = 0x9f;      /* no UTF-16 surrogates */
	else if (c == 0xf0)
		lo = 0x90;      /* no overlong 4-byte forms */
	else if (c == 0xf4)
		hi = 0x8f;      /* nothing above U+10FFFF */
	if (avail < n || p[1] < lo || p[1] > hi)
		return 0;
	for (k = 2; k < n; k++)
		if ((p[k] & 0xc0) != 0x80)
			return 0;
	return n;
}

bool
utf8_valid(const void *s, size_t len)
{
	const unsigned char *p = s;
	size_t i = 0;

	while (i < len) {
		size_t n = p[i] < 0x80 ? 1 : utf8_seq_len(p + i, len - i);

		if (n == 0)
			return false;
		i += n;
	}
	return true;
}
