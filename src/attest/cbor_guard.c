/*
 * cbor_guard.c - bounded CBOR pre-scan, see cbor_guard.h.
 */
#include "attest/cbor_guard.h"

#define GUARD_MAX_DEPTH 16

/* Reads one item head at p[*i]: major type and argument. */
static bool head(const uint8_t *p, size_t len, size_t *i, unsigned *major, uint64_t *arg)
{
	if (*i >= len)
		return false;
	uint8_t b = p[(*i)++];
	unsigned ai = b & 0x1f, n;

	*major = b >> 5;
	if (ai < 24) {
		*arg = ai;
		return true;
	}
	switch (ai) {
	case 24: n = 1; break;
	case 25: n = 2; break;
	case 26: n = 4; break;
	case 27: n = 8; break;
	default: return false;          /* reserved, or indefinite length */
	}
	if (len - *i < n)
		return false;
	*arg = 0;
	for (unsigned k = 0; k < n; k++)
		*arg = (*arg << 8) | p[(*i)++];
	return true;
}

bool cbor_guard(const uint8_t *p, size_t len, unsigned max_depth, size_t max_items)
{
	uint64_t pending[GUARD_MAX_DEPTH + 1];  /* items still owed per level */
	unsigned depth = 0;
	size_t i = 0, items = 0;

	if (max_depth > GUARD_MAX_DEPTH)
		max_depth = GUARD_MAX_DEPTH;
	pending[0] = 1;
	while (depth > 0 || pending[0] > 0) {
		if (pending[depth] == 0) {
			depth--;
			continue;
		}
		pending[depth]--;
		unsigned major;
		uint64_t arg;
		if (++items > max_items || !head(p, len, &i, &major, &arg))
			return false;
		switch (major) {
		case 2:
		case 3:
			if (arg > len - i)
				return false;
			i += (size_t)arg;
			break;
		case 4:
		case 5:
		case 6:
			if (major == 5 && arg > UINT64_MAX / 2)
				return false;
			if (depth == max_depth)
				return false;
			pending[++depth] = major == 5 ? arg * 2 : major == 6 ? 1 : arg;
			if (pending[depth] > max_items)
				return false;
			break;
		default:                        /* integers, simple values, floats */
			break;
		}
	}
	return i == len;
}
