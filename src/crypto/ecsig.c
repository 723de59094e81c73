/*
 * ecsig.c - conversions between DER and r||s ECDSA signatures.
 *
 * DER strictness comes from parsing with d2i_ECDSA_SIG and re-encoding:
 * OpenSSL reads an INTEGER's content bytes as an unsigned magnitude, so a
 * negative, zero-length or non-minimal integer, a long-form length or any
 * other BER variant re-encodes to different bytes and is refused.
 */
#ifndef OPENSSL_NO_DEPRECATED
#define OPENSSL_NO_DEPRECATED
#endif
#include "crypto/ecsig.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>

#include "common/error.h"

int
ecsig_der_to_raw(const uint8_t *der, size_t der_len, size_t half, uint8_t *raw)
{
	const unsigned char *p = der;
	unsigned char *re = NULL;
	ECDSA_SIG *sig = NULL;
	const BIGNUM *r, *s;
	int relen, rc = BA_ERR_INVALID_SIGNATURE;

	if (der == NULL || raw == NULL || der_len == 0 || der_len > ECSIG_MAX_LEN ||
	    half == 0 || half > ECSIG_MAX_LEN / 2)
		return BA_ERR_INVALID_SIGNATURE;
	sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	if (sig == NULL || p != der + der_len)
		goto out;
	relen = i2d_ECDSA_SIG(sig, &re);
	if (relen <= 0 || (size_t)relen != der_len || memcmp(re, der, der_len) != 0)
		goto out;
	ECDSA_SIG_get0(sig, &r, &s);
	if (BN_is_negative(r) || BN_is_negative(s) ||
	    (size_t)BN_num_bytes(r) > half || (size_t)BN_num_bytes(s) > half)
		goto out;
	if (BN_bn2binpad(r, raw, (int)half) < 0 ||
	    BN_bn2binpad(s, raw + half, (int)half) < 0)
		goto out;
	rc = BA_OK;
out:
	if (rc != BA_OK)
		ERR_clear_error();
	OPENSSL_free(re);
	ECDSA_SIG_free(sig);
	return rc;
}

int
ecsig_raw_to_der(const uint8_t *raw, size_t raw_len, uint8_t **der, size_t *der_len)
{
	ECDSA_SIG *sig = NULL;
	BIGNUM *r = NULL, *s = NULL;
	unsigned char *enc = NULL;
	int n, rc = BA_ERR_INVALID_SIGNATURE;
	size_t half = raw_len / 2;

	if (der == NULL || der_len == NULL)
		return BA_ERR_INVALID_SIGNATURE;
	*der = NULL;
	*der_len = 0;
	if (raw == NULL || raw_len == 0 || raw_len % 2 != 0 || raw_len > ECSIG_MAX_LEN)
		return BA_ERR_INVALID_SIGNATURE;
	rc = BA_ERR_NOMEM;
	r = BN_bin2bn(raw, (int)half, NULL);
	s = BN_bin2bn(raw + half, (int)half, NULL);
	sig = ECDSA_SIG_new();
	if (r == NULL || s == NULL || sig == NULL)
		goto out;
	if (ECDSA_SIG_set0(sig, r, s) != 1)
		goto out;
	r = s = NULL; /* owned by sig now */
	n = i2d_ECDSA_SIG(sig, &enc);
	if (n <= 0)
		goto out;
	*der = malloc((size_t)n);
	if (*der == NULL)
		goto out;
	memcpy(*der, enc, (size_t)n);
	*der_len = (size_t)n;
	rc = BA_OK;
out:
	if (rc != BA_OK)
		ERR_clear_error();
	OPENSSL_free(enc);
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(sig);
	return rc;
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
