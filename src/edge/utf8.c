/*
 * utf8.c - strict UTF-8 validation (RFC 3629, Table 3-7 of Unicode).
 */
#include "edge/utf8.h"

#include <stdint.h>

bool
utf8_valid(const void *s, size_t len)
{
	const uint8_t *p = s;
	size_t i = 0;

	while (i < len) {
		uint8_t c = p[i];
		uint8_t lo = 0x80, hi = 0xbf;
		size_t n, k;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			n = 2;
		else if (c >= 0xe0 && c <= 0xef)
			n = 3;
		else if (c >= 0xf0 && c <= 0xf4)
			n = 4;
		else
			return false;
		if (c == 0xe0)
			lo = 0xa0;      /* no overlong 3-byte forms */
		else if (c == 0xed)
			hi = 0x9f;      /* no UTF-16 surrogates */
		else if (c == 0xf0)
			lo = 0x90;      /* no overlong 4-byte forms */
		else if (c == 0xf4)
			hi = 0x8f;      /* nothing above U+10FFFF */
		if (len - i < n || p[i + 1] < lo || p[i + 1] > hi)
			return false;
		for (k = 2; k < n; k++)
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
		i += n;
	}
	return true;
}
