/*
 * ecsig.c - conversions between DER and r||s ECDSA signatures.
 *
 * A small bounded reader and writer of the one DER shape an ECDSA
 * signature has (X9.62):
 *
 *   30 len  02 len r  02 len s
 *
 * The reader takes exactly the bytes DER allows: definite lengths in their
 * shortest form (short form below 128, one length byte 0x81 for 128..255;
 * no input is long enough for more), INTEGERs non-empty, non-negative and
 * minimal (a leading 00 only before a byte with its top bit set), nothing
 * after the second INTEGER or after the SEQUENCE. Each of these is one of
 * the BER variants Wycheproof's DER vectors exercise; test_ecsig.c checks
 * the reader against OpenSSL's d2i_ECDSA_SIG followed by a re-encoding
 * that must give back the input (the earlier implementation). Neither
 * direction allocates: a signature is converted on the stack.
 */
#include "crypto/ecsig.h"

#include <string.h>

#include "common/error.h"

#define DER_SEQUENCE 0x30
#define DER_INTEGER 0x02

/*
 * Reads a DER length at der[*pos] (der_len bytes in all) into *len and
 * advances *pos past it. Only the shortest form is accepted; false when
 * it is not, or when the length runs past the input.
 */
static bool
read_len(const uint8_t *der, size_t der_len, size_t *pos, size_t *len)
{
	size_t p = *pos, n;

	if (p >= der_len)
		return false;
	n = der[p++];
	if (n == 0x81) {
		/* Long form with one byte: only for 128..255. */
		if (p >= der_len || der[p] < 0x80)
			return false;
		n = der[p++];
	} else if (n >= 0x80) {
		/* Indefinite, or a long form of two or more bytes: no input
		 * under ECSIG_MAX_LEN needs one. */
		return false;
	}
	if (n > der_len - p)
		return false;
	*pos = p;
	*len = n;
	return true;
}

/*
 * Reads one minimal non-negative DER INTEGER at der[*pos] and writes its
 * magnitude left-padded to `half` bytes into out. False when it is not an
 * INTEGER, is empty, negative, non-minimal, longer than `half` bytes or
 * runs past der_len.
 */
static bool
read_int(const uint8_t *der, size_t der_len, size_t *pos, size_t half, uint8_t *out)
{
	size_t p = *pos, len;

	if (p >= der_len || der[p++] != DER_INTEGER)
		return false;
	if (!read_len(der, der_len, &p, &len) || len == 0)
		return false;
	if (der[p] & 0x80)
		return false;                     /* negative */
	if (der[p] == 0x00 && len > 1) {
		if (!(der[p + 1] & 0x80))
			return false;             /* non-minimal */
		p++;
		len--;
	}
	if (len > half)
		return false;
	memset(out, 0, half - len);
	memcpy(out + (half - len), der + p, len);
	*pos = p + len;
	return true;
}

int
ecsig_der_to_raw(const uint8_t *der, size_t der_len, size_t half, uint8_t *raw)
{
	size_t pos = 0, len;

	if (der == NULL || raw == NULL || der_len == 0 || der_len > ECSIG_MAX_LEN ||
	    half == 0 || half > ECSIG_MAX_LEN / 2)
		return BA_ERR_INVALID_SIGNATURE;
	if (der[pos++] != DER_SEQUENCE || !read_len(der, der_len, &pos, &len) ||
	    pos + len != der_len)
		return BA_ERR_INVALID_SIGNATURE;
	if (!read_int(der, der_len, &pos, half, raw) ||
	    !read_int(der, der_len, &pos, half, raw + half) || pos != der_len)
		return BA_ERR_INVALID_SIGNATURE;
	return BA_OK;
}

/* Writes a DER length (n < 65536) at out, returns the bytes written. */
static size_t
write_len(uint8_t *out, size_t n)
{
	if (n < 0x80) {
		out[0] = (uint8_t)n;
		return 1;
	}
	if (n <= 0xff) {
		out[0] = 0x81;
		out[1] = (uint8_t)n;
		return 2;
	}
	out[0] = 0x82;
	out[1] = (uint8_t)(n >> 8);
	out[2] = (uint8_t)(n & 0xff);
	return 3;
}

/* The minimal INTEGER content of the big-endian magnitude v[0 .. half):
 * its first non-zero byte (the last byte when all are zero) in *start, the
 * content length (one more when a 00 must precede a top bit) returned. */
static size_t
int_content(const uint8_t *v, size_t half, size_t *start)
{
	size_t i = 0;

	while (i + 1 < half && v[i] == 0)
		i++;
	*start = i;
	return half - i + ((v[i] & 0x80) ? 1 : 0);
}

/* Writes the INTEGER of v[0 .. half) at out, returns the bytes written. */
static size_t
write_int(uint8_t *out, const uint8_t *v, size_t half)
{
	size_t start, clen = int_content(v, half, &start), n = 0;

	out[n++] = DER_INTEGER;
	n += write_len(out + n, clen);
	if (clen > half - start)
		out[n++] = 0x00;
	memcpy(out + n, v + start, half - start);
	return n + (half - start);
}

/* Bytes a DER length of n takes. */
static size_t
len_size(size_t n)
{
	return n < 0x80 ? 1 : n <= 0xff ? 2 : 3;
}

int
ecsig_raw_to_der(const uint8_t *raw, size_t raw_len, uint8_t der[ECSIG_DER_MAX],
                 size_t *der_len)
{
	size_t half = raw_len / 2, start, rl, sl, body, n = 0;

	if (der_len == NULL)
		return BA_ERR_INVALID_SIGNATURE;
	*der_len = 0;
	if (der == NULL || raw == NULL || raw_len == 0 || raw_len % 2 != 0 ||
	    raw_len > ECSIG_MAX_LEN)
		return BA_ERR_INVALID_SIGNATURE;
	rl = int_content(raw, half, &start);
	sl = int_content(raw + half, half, &start);
	body = 1 + len_size(rl) + rl + 1 + len_size(sl) + sl;
	/* At most 2 x (1 + 2 + 129) = 264 for 128-byte halves. */
	if (1 + len_size(body) + body > ECSIG_DER_MAX)
		return BA_ERR_INVALID_SIGNATURE;
	der[n++] = DER_SEQUENCE;
	n += write_len(der + n, body);
	n += write_int(der + n, raw, half);
	n += write_int(der + n, raw + half, half);
	*der_len = n;
	return BA_OK;
}
/* (n - 1) / 2 for the P-256 group order n (FIPS 186-4 D.1.2.3), big-endian:
 * s is "low" when s <= this value. */
static const uint8_t p256_half_order[32] = {
	0x7f, 0xff, 0xff, 0xff, 0x80, 0x00, 0x00, 0x00,
	0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xde, 0x73, 0x7d, 0x56, 0xd3, 0x8b, 0xcf, 0x42,
	0x79, 0xdc, 0xe5, 0x61, 0x7e, 0x31, 0x92, 0xa8,
};

/* The P-256 group order n, big-endian. */
static const uint8_t p256_order[32] = {
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84,
	0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
};

bool
ecsig_p256_is_high_s(const uint8_t raw[64])
{
	const uint8_t *s = raw + 32;
	size_t i;

	/* Public values: a plain big-endian comparison. */
	for (i = 0; i < 32; i++) {
		if (s[i] != p256_half_order[i])
			return s[i] > p256_half_order[i];
	}
	return false;
}

void
ecsig_p256_normalize_s(uint8_t raw[64])
{
	uint8_t *s = raw + 32;
	unsigned borrow = 0;
	size_t i;

	if (!ecsig_p256_is_high_s(raw))
		return;
	/* s = n - s: s is in (n/2, n), so the result is in (0, n/2). */
	for (i = 32; i-- > 0;) {
		unsigned d = (unsigned)p256_order[i] - s[i] - borrow;

		s[i] = (uint8_t)(d & 0xffu);
		borrow = (d >> 8) & 1u;
	}
}
