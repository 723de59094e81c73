/*
 * test_pubkey.c - device public key parsing (src/crypto/pubkey.c).
 *
 * Fixtures are made in the test with OpenSSL (generated keys, keys built
 * from chosen RSA moduli and exponents) and a small DER writer for the
 * malformed encodings.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "common/error.h"
#include "crypto/encoding.h"
#include "crypto/keytype.h"
#include "crypto/pubkey.h"

struct buf {
	uint8_t *p;
	size_t n;
};

static void
buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->n = 0;
}

static struct buf
spki_of(EVP_PKEY *pkey)
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(pkey, &der);
	struct buf b;

	assert_true(n > 0);
	b.p = malloc((size_t)n);
	assert_non_null(b.p);
	memcpy(b.p, der, (size_t)n);
	b.n = (size_t)n;
	OPENSSL_free(der);
	return b;
}

static struct buf
pkcs1_of(EVP_PKEY *pkey)
{
	unsigned char *der = NULL;
	int n = i2d_PublicKey(pkey, &der);
	struct buf b;

	assert_true(n > 0);
	b.p = malloc((size_t)n);
	assert_non_null(b.p);
	memcpy(b.p, der, (size_t)n);
	b.n = (size_t)n;
	OPENSSL_free(der);
	return b;
}

/* The uncompressed point of an EC key. */
static struct buf
point_of(EVP_PKEY *pkey)
{
	struct buf b;

	b.p = malloc(200);
	assert_non_null(b.p);
	assert_int_equal(EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY,
	                                                 b.p, 200, &b.n), 1);
	return b;
}

/* DER TLV with a definite, minimal length. */
static struct buf
tlv(uint8_t tag, const uint8_t *content, size_t len)
{
	struct buf b;
	size_t h = 2;

	if (len >= 256)
		h = 4;
	else if (len >= 128)
		h = 3;
	b.p = malloc(h + len);
	assert_non_null(b.p);
	b.p[0] = tag;
	if (h == 2) {
		b.p[1] = (uint8_t)len;
	} else if (h == 3) {
		b.p[1] = 0x81;
		b.p[2] = (uint8_t)len;
	} else {
		b.p[1] = 0x82;
		b.p[2] = (uint8_t)(len >> 8);
		b.p[3] = (uint8_t)len;
	}
	if (len > 0)
		memcpy(b.p + h, content, len);
	b.n = h + len;
	return b;
}

static struct buf
concat(struct buf a, struct buf b)
{
	struct buf c;

	c.n = a.n + b.n;
	c.p = malloc(c.n);
	assert_non_null(c.p);
	memcpy(c.p, a.p, a.n);
	memcpy(c.p + a.n, b.p, b.n);
	return c;
}

/* Parses base64 (standard alphabet, padded) of the bytes. */
static int
parse_b64(const uint8_t *der, size_t n, int expected, struct pubkey *k)
{
	char *b64;
	int r;

	assert_int_equal(b64_encode(der, n, &b64), BA_OK);
	r = pubkey_parse(b64, strlen(b64), expected, k);
	free(b64);
	return r;
}

/* PEM text with the given label around the bytes, lines of 64. */
static char *
pem_of(const char *label, const uint8_t *der, size_t n, const char *eol)
{
	char *b64, *out;
	size_t len, i, o = 0;

	assert_int_equal(b64_encode(der, n, &b64), BA_OK);
	len = strlen(b64);
	out = malloc(len * 2 + 200);
	assert_non_null(out);
	o += (size_t)sprintf(out + o, "-----BEGIN %s-----%s", label, eol);
	for (i = 0; i < len; i += 64)
		o += (size_t)sprintf(out + o, "%.64s%s", b64 + i, eol);
	sprintf(out + o, "-----END %s-----%s", label, eol);
	free(b64);
	return out;
}

/* An RSA public key with the given modulus and exponent, unchecked. */
static EVP_PKEY *
rsa_from_ne(const BIGNUM *n, const BIGNUM *e)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params;
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *pkey = NULL;

	assert_non_null(bld);
	assert_non_null(ctx);
	assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n), 1);
	assert_int_equal(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e), 1);
	params = OSSL_PARAM_BLD_to_param(bld);
	assert_non_null(params);
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params), 1);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

/* A 2048-bit RSASSA-PSS key (SPKI algorithm id-RSASSA-PSS). */
static EVP_PKEY *
rsa_pss_keygen(void)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA-PSS", NULL);
	EVP_PKEY *pkey = NULL;

	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_keygen_init(ctx), 1);
	assert_int_equal(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048), 1);
	assert_int_equal(EVP_PKEY_keygen(ctx, &pkey), 1);
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

/* Result of parsing the SPKI of an RSA key with a random odd modulus of
 * `bits` bits (top bit set) and exponent `e`. */
static int
parse_rsa_bits(int bits, unsigned long e_word, int bottom)
{
	BIGNUM *n = BN_new(), *e = BN_new();
	EVP_PKEY *pkey;
	struct buf spki;
	struct pubkey k;
	int r;

	assert_non_null(n);
	assert_non_null(e);
	assert_int_equal(BN_rand(n, bits, BN_RAND_TOP_ONE, bottom), 1);
	if (bottom == BN_RAND_BOTTOM_ANY)
		assert_int_equal(BN_clear_bit(n, 0), 1);
	assert_int_equal(BN_set_word(e, e_word), 1);
	pkey = rsa_from_ne(n, e);
	spki = spki_of(pkey);
	r = parse_b64(spki.p, spki.n, 0, &k);
	if (r == BA_OK) {
		assert_int_equal(k.key_type, KEY_TYPE_RSA);
		assert_int_equal(k.der_len, spki.n);
		assert_memory_equal(k.der, spki.p, spki.n);
	} else {
		assert_null(k.pkey);
		assert_null(k.der);
	}
	pubkey_clear(&k);
	buf_free(&spki);
	EVP_PKEY_free(pkey);
	BN_free(n);
	BN_free(e);
	return r;
}

static void
test_ec_forms(void **state)
{
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	struct buf spki, pt;
	struct pubkey k, k2;
	char *b64, *pem, wrapped[400];
	size_t i, o;

	(void)state;
	assert_non_null(pkey);
	spki = spki_of(pkey);
	pt = point_of(pkey);
	assert_int_equal(spki.n, 91);
	assert_int_equal(pt.n, 65);

	/* DER SPKI, standard base64 with padding. */
	assert_int_equal(parse_b64(spki.p, spki.n, 0, &k), BA_OK);
	assert_int_equal(k.key_type, KEY_TYPE_EC);
	assert_non_null(k.pkey);
	assert_int_equal(k.der_len, spki.n);
	assert_memory_equal(k.der, spki.p, spki.n);

	/* URL-safe without padding, and with the expected type given. */
	assert_int_equal(b64url_encode(spki.p, spki.n, &b64), BA_OK);
	assert_int_equal(pubkey_parse(b64, strlen(b64), KEY_TYPE_EC, &k2), BA_OK);
	assert_memory_equal(k2.der, k.der, k.der_len);
	pubkey_clear(&k2);
	free(b64);

	/* Standard alphabet without padding: 91 bytes -> 122 chars + "==". */
	assert_int_equal(b64_encode(spki.p, spki.n, &b64), BA_OK);
	assert_int_equal(b64[strlen(b64) - 1], '=');
	assert_int_equal(pubkey_parse(b64, strlen(b64) - 2, 0, &k2), BA_OK);
	assert_memory_equal(k2.der, k.der, k.der_len);
	pubkey_clear(&k2);

	/* Wrapped every 64 characters with LF, as Android Base64.DEFAULT. */
	for (i = 0, o = 0; b64[i] != '\0'; i++) {
		if (i > 0 && i % 64 == 0)
			wrapped[o++] = '\n';
		wrapped[o++] = b64[i];
	}
	wrapped[o++] = '\n';
	wrapped[o] = '\0';
	assert_int_equal(pubkey_parse(wrapped, o, 0, &k2), BA_OK);
	assert_memory_equal(k2.der, k.der, k.der_len);
	pubkey_clear(&k2);
	/* A space or tab inside base64 is refused. */
	wrapped[10] = ' ';
	assert_int_equal(pubkey_parse(wrapped, o, 0, &k2), BA_ERR_INVALID_KEY_ENCODING);
	free(b64);

	/* Raw uncompressed point (iOS): normalised to the same SPKI. */
	assert_int_equal(parse_b64(pt.p, pt.n, 0, &k2), BA_OK);
	assert_int_equal(k2.key_type, KEY_TYPE_EC);
	assert_int_equal(k2.der_len, spki.n);
	assert_memory_equal(k2.der, spki.p, spki.n);
	pubkey_clear(&k2);

	/* PEM, LF and CRLF, with surrounding whitespace. */
	pem = pem_of("PUBLIC KEY", spki.p, spki.n, "\n");
	assert_int_equal(pubkey_parse(pem, strlen(pem), 0, &k2), BA_OK);
	assert_memory_equal(k2.der, spki.p, spki.n);
	pubkey_clear(&k2);
	free(pem);
	pem = pem_of("PUBLIC KEY", spki.p, spki.n, "\r\n");
	snprintf(wrapped, sizeof(wrapped), "  \n%s\n\t", pem);
	assert_int_equal(pubkey_parse(wrapped, strlen(wrapped), KEY_TYPE_EC, &k2), BA_OK);
	assert_memory_equal(k2.der, spki.p, spki.n);
	pubkey_clear(&k2);
	free(pem);

	/* The stored form loads back. */
	assert_int_equal(pubkey_from_der(k.der, k.der_len, &k2), BA_OK);
	assert_int_equal(k2.key_type, KEY_TYPE_EC);
	assert_memory_equal(k2.der, k.der, k.der_len);
	pubkey_clear(&k2);
	/* ... but a stored key is an SPKI, not a raw point. */
	assert_int_equal(pubkey_from_der(pt.p, pt.n, &k2), BA_ERR_INVALID_KEY_ENCODING);

	pubkey_clear(&k);
	pubkey_clear(&k); /* clearing twice is harmless */
	pubkey_clear(NULL);
	buf_free(&spki);
	buf_free(&pt);
	EVP_PKEY_free(pkey);
}

/*
 * parse_der() recognises a canonical P-256 SPKI by its fixed 26-byte prefix
 * and writes the stored SPKI of a raw point as that prefix + the point,
 * without OpenSSL's decoder and encoder. Both must agree with OpenSSL for
 * any key: the SPKI and the raw point of fresh keys parse to exactly
 * i2d_PUBKEY's bytes, and the EVP_PKEY built re-encodes to them too.
 */
static void
test_ec_canonical_spki_matches_openssl(void **state)
{
	(void)state;
	for (int i = 0; i < 32; i++) {
		EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		struct buf spki, pt, again;
		struct pubkey k, k2;

		assert_non_null(pkey);
		spki = spki_of(pkey);
		pt = point_of(pkey);
		assert_int_equal(parse_b64(spki.p, spki.n, KEY_TYPE_EC, &k), BA_OK);
		assert_int_equal(parse_b64(pt.p, pt.n, KEY_TYPE_EC, &k2), BA_OK);
		assert_int_equal(k.der_len, spki.n);
		assert_memory_equal(k.der, spki.p, spki.n);
		assert_int_equal(k2.der_len, spki.n);
		assert_memory_equal(k2.der, spki.p, spki.n);
		again = spki_of(k.pkey);
		assert_int_equal(again.n, spki.n);
		assert_memory_equal(again.p, spki.p, spki.n);
		assert_int_equal(EVP_PKEY_eq(k.pkey, pkey), 1);
		assert_int_equal(EVP_PKEY_eq(k2.pkey, pkey), 1);
		pubkey_clear(&k2);
		/* RSA expected: the key type decides, as on the slow path */
		assert_int_equal(parse_b64(spki.p, spki.n, KEY_TYPE_RSA, &k2), BA_ERR_INVALID_KEY_TYPE);
		pubkey_clear(&k);
		buf_free(&again);
		buf_free(&spki);
		buf_free(&pt);
		EVP_PKEY_free(pkey);
	}
}

static void
test_ec_rejections(void **state)
{
	EVP_PKEY *p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	EVP_PKEY *k1 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1");
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	EVP_PKEY *expl;
	struct buf spki, pt, b;
	struct pubkey k;
	uint8_t tmp[200];

	(void)state;
	assert_non_null(p256);
	assert_non_null(p384);
	assert_non_null(k1);
	assert_non_null(ed);

	/* Other curves and algorithms: type errors. */
	spki = spki_of(p384);
	assert_int_equal(parse_b64(spki.p, spki.n, 0, &k), BA_ERR_INVALID_KEY_TYPE);
	assert_null(k.pkey);
	buf_free(&spki);
	spki = spki_of(k1);
	assert_int_equal(parse_b64(spki.p, spki.n, 0, &k), BA_ERR_INVALID_KEY_TYPE);
	buf_free(&spki);
	spki = spki_of(ed);
	assert_int_equal(parse_b64(spki.p, spki.n, 0, &k), BA_ERR_INVALID_KEY_TYPE);
	buf_free(&spki);

	/* P-256 with explicit curve parameters. */
	expl = EVP_PKEY_dup(p256);
	assert_non_null(expl);
	assert_int_equal(EVP_PKEY_set_utf8_string_param(expl, OSSL_PKEY_PARAM_EC_ENCODING,
	                                                OSSL_PKEY_EC_ENCODING_EXPLICIT), 1);
	spki = spki_of(expl);
	assert_true(spki.n > 200); /* really carries the parameters */
	assert_int_equal(parse_b64(spki.p, spki.n, 0, &k), BA_ERR_INVALID_KEY_TYPE);
	buf_free(&spki);
	EVP_PKEY_free(expl);

	/* Point not on the curve: raw and inside an SPKI. */
	pt = point_of(p256);
	pt.p[64] ^= 1;
	assert_int_equal(parse_b64(pt.p, pt.n, 0, &k), BA_ERR_INVALID_KEY_ENCODING);
	spki = spki_of(p256);
	spki.p[spki.n - 1] ^= 1;
	assert_int_equal(parse_b64(spki.p, spki.n, 0, &k), BA_ERR_INVALID_KEY_ENCODING);
	spki.p[spki.n - 1] ^= 1;
	pt.p[64] ^= 1;

	/* The point at infinity, a compressed point, 64 bytes without 0x04,
	 * 66 bytes. */
	tmp[0] = 0x00;
	assert_int_equal(parse_b64(tmp, 1, 0, &k), BA_ERR_INVALID_KEY_ENCODING);
	memcpy(tmp, pt.p, 33);
	tmp[0] = (uint8_t)(0x02 | (pt.p[64] & 1));
	assert_int_equal(parse_b64(tmp, 33, 0, &k), BA_ERR_INVALID_KEY_ENCODING);
	assert_int_equal(parse_b64(pt.p + 1, 64, 0, &k), BA_ERR_INVALID_KEY_ENCODING);
	memcpy(tmp, pt.p, 65);
	tmp[65] = 0;
	assert_int_equal(parse_b64(tmp, 66, 0, &k), BA_ERR_INVALID_KEY_ENCODING);

	/* Compressed point inside an SPKI (the same algorithm identifier). */
	{
		struct buf bits, hdr, seq;
		uint8_t cbits[34];

		cbits[0] = 0; /* unused bits */
		memcpy(cbits + 1, tmp, 33);
		cbits[1] = (uint8_t)(0x02 | (pt.p[64] & 1));
		bits = tlv(0x03, cbits, sizeof(cbits));
		hdr.p = spki.p + 2;
		hdr.n = 21; /* AlgorithmIdentifier of the P-256 SPKI */
		b = concat(hdr, bits);
		seq = tlv(0x30, b.p, b.n);
		assert_int_equal(parse_b64(seq.p, seq.n, 0, &k), BA_ERR_INVALID_KEY_ENCODING);
		buf_free(&bits);
		buf_free(&b);
		buf_free(&seq);
	}

	/* Truncated, trailing byte, BER long-form length. */
	assert_int_equal(parse_b64(spki.p, spki.n - 1, 0, &k), BA_ERR_INVALID_KEY_ENCODING);
	assert_int_equal(parse_b64(spki.p, 20, 0, &k), BA_ERR_INVALID_KEY_ENCODING);
	memcpy(tmp, spki.p, spki.n);
	tmp[spki.n] = 0;
	assert_int_equal(parse_b64(tmp, spki.n + 1, 0, &k), BA_ERR_INVALID_KEY_ENCODING);
	assert_int_equal(pubkey_from_der(tmp, spki.n + 1, &k), BA_ERR_INVALID_KEY_ENCODING);
	tmp[0] = 0x30;
	tmp[1] = 0x81;
	tmp[2] = 0x59;
	memcpy(tmp + 3, spki.p + 2, spki.n - 2);
	assert_int_equal(parse_b64(tmp, spki.n + 1, 0, &k), BA_ERR_INVALID_KEY_ENCODING);
	assert_int_equal(pubkey_from_der(tmp, spki.n + 1, &k), BA_ERR_INVALID_KEY_ENCODING);

	/* Wrong expected type. */
	assert_int_equal(parse_b64(spki.p, spki.n, KEY_TYPE_RSA, &k), BA_ERR_INVALID_KEY_TYPE);
	assert_null(k.pkey);
	assert_null(k.der);
	assert_int_equal(parse_b64(pt.p, pt.n, KEY_TYPE_RSA, &k), BA_ERR_INVALID_KEY_TYPE);
	assert_int_equal(parse_b64(spki.p, spki.n, 99, &k), BA_ERR_INVALID_KEY_TYPE);

	/* An EC SPKI under the "RSA PUBLIC KEY" PEM label. */
	{
		char *pem = pem_of("RSA PUBLIC KEY", spki.p, spki.n, "\n");

		assert_int_equal(pubkey_parse(pem, strlen(pem), 0, &k), BA_ERR_INVALID_KEY_ENCODING);
		free(pem);
	}

	buf_free(&spki);
	buf_free(&pt);
	EVP_PKEY_free(p256);
	EVP_PKEY_free(p384);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(ed);
}

static void
test_rsa_forms(void **state)
{
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	struct buf spki, pkcs1;
	struct pubkey k, k2;
	char *pem, *b64;

	(void)state;
	assert_non_null(pkey);
	spki = spki_of(pkey);
	pkcs1 = pkcs1_of(pkey);

	assert_int_equal(parse_b64(spki.p, spki.n, KEY_TYPE_RSA, &k), BA_OK);
	assert_int_equal(k.key_type, KEY_TYPE_RSA);
	assert_int_equal(k.der_len, spki.n);
	assert_memory_equal(k.der, spki.p, spki.n);

	/* PKCS#1 RSAPublicKey (iOS), base64url: normalised to the SPKI. */
	assert_int_equal(b64url_encode(pkcs1.p, pkcs1.n, &b64), BA_OK);
	assert_int_equal(pubkey_parse(b64, strlen(b64), 0, &k2), BA_OK);
	assert_int_equal(k2.key_type, KEY_TYPE_RSA);
	assert_int_equal(k2.der_len, spki.n);
	assert_memory_equal(k2.der, spki.p, spki.n);
	pubkey_clear(&k2);
	free(b64);

	/* Both PEM labels. */
	pem = pem_of("PUBLIC KEY", spki.p, spki.n, "\n");
	assert_int_equal(pubkey_parse(pem, strlen(pem), 0, &k2), BA_OK);
	assert_memory_equal(k2.der, spki.p, spki.n);
	pubkey_clear(&k2);
	free(pem);
	pem = pem_of("RSA PUBLIC KEY", pkcs1.p, pkcs1.n, "\r\n");
	assert_int_equal(pubkey_parse(pem, strlen(pem), KEY_TYPE_RSA, &k2), BA_OK);
	assert_memory_equal(k2.der, spki.p, spki.n);
	pubkey_clear(&k2);
	free(pem);
	/* Label and content must agree. */
	pem = pem_of("PUBLIC KEY", pkcs1.p, pkcs1.n, "\n");
	assert_int_equal(pubkey_parse(pem, strlen(pem), 0, &k2), BA_ERR_INVALID_KEY_ENCODING);
	free(pem);
	pem = pem_of("RSA PUBLIC KEY", spki.p, spki.n, "\n");
	assert_int_equal(pubkey_parse(pem, strlen(pem), 0, &k2), BA_ERR_INVALID_KEY_ENCODING);
	free(pem);
	/* Other PEM labels. */
	pem = pem_of("CERTIFICATE", spki.p, spki.n, "\n");
	assert_int_equal(pubkey_parse(pem, strlen(pem), 0, &k2), BA_ERR_INVALID_KEY_ENCODING);
	free(pem);
	pem = pem_of("EC PUBLIC KEY", spki.p, spki.n, "\n");
	assert_int_equal(pubkey_parse(pem, strlen(pem), 0, &k2), BA_ERR_INVALID_KEY_ENCODING);
	free(pem);
	/* A PEM without its END line. */
	pem = pem_of("PUBLIC KEY", spki.p, spki.n, "\n");
	*strstr(pem, "-----END") = '\0';
	assert_int_equal(pubkey_parse(pem, strlen(pem), 0, &k2), BA_ERR_INVALID_KEY_ENCODING);
	free(pem);

	/* Stored form. */
	assert_int_equal(pubkey_from_der(k.der, k.der_len, &k2), BA_OK);
	assert_int_equal(k2.key_type, KEY_TYPE_RSA);
	pubkey_clear(&k2);
	/* Stored keys are SPKI only. */
	assert_int_equal(pubkey_from_der(pkcs1.p, pkcs1.n, &k2), BA_ERR_INVALID_KEY_ENCODING);

	/* Wrong expected type. */
	assert_int_equal(parse_b64(pkcs1.p, pkcs1.n, KEY_TYPE_EC, &k2), BA_ERR_INVALID_KEY_TYPE);

	pubkey_clear(&k);
	buf_free(&spki);
	buf_free(&pkcs1);
	EVP_PKEY_free(pkey);
}

static void
test_rsa_rejections(void **state)
{
	EVP_PKEY *small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	EVP_PKEY *good = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	EVP_PKEY *pss = rsa_pss_keygen();
	struct buf spki, pkcs1, b;
	struct pubkey k;
	BIGNUM *n = NULL, *e = BN_new();
	EVP_PKEY *weird;

	(void)state;
	assert_non_null(small);
	assert_non_null(good);
	assert_non_null(pss);
	assert_non_null(e);

	/* 1024 bits, as SPKI and PKCS#1. */
	spki = spki_of(small);
	assert_int_equal(parse_b64(spki.p, spki.n, 0, &k), BA_ERR_INVALID_KEY_TYPE);
	buf_free(&spki);
	pkcs1 = pkcs1_of(small);
	assert_int_equal(parse_b64(pkcs1.p, pkcs1.n, 0, &k), BA_ERR_INVALID_KEY_TYPE);
	buf_free(&pkcs1);

	/* RSASSA-PSS keys (id-RSASSA-PSS SPKI) are another algorithm. */
	spki = spki_of(pss);
	assert_int_equal(parse_b64(spki.p, spki.n, 0, &k), BA_ERR_INVALID_KEY_TYPE);
	buf_free(&spki);

	/* Sizes and exponents, on the real 2048-bit modulus. */
	assert_int_equal(EVP_PKEY_get_bn_param(good, OSSL_PKEY_PARAM_RSA_N, &n), 1);
	{
		static const struct {
			unsigned long e;
			int want;
		} cases[] = {
			{ 65537, BA_OK }, { 3, BA_OK }, { 17, BA_OK },
			{ 1, BA_ERR_INVALID_KEY_TYPE }, { 2, BA_ERR_INVALID_KEY_TYPE },
			{ 65536, BA_ERR_INVALID_KEY_TYPE }, { 0, BA_ERR_INVALID_KEY_TYPE },
		};
		size_t i;

		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			assert_int_equal(BN_set_word(e, cases[i].e), 1);
			weird = rsa_from_ne(n, e);
			spki = spki_of(weird);
			pkcs1 = pkcs1_of(weird);
			if (parse_b64(spki.p, spki.n, 0, &k) != cases[i].want ||
			    (pubkey_clear(&k), parse_b64(pkcs1.p, pkcs1.n, 0, &k)) != cases[i].want) {
				print_error("e = %lu\n", cases[i].e);
				fail();
			}
			pubkey_clear(&k);
			buf_free(&spki);
			buf_free(&pkcs1);
			EVP_PKEY_free(weird);
		}
		/* e = 2^256 + 1 is too large, 2^255 + 1 is fine. */
		assert_int_equal(BN_set_word(e, 1), 1);
		assert_int_equal(BN_set_bit(e, 256), 1);
		weird = rsa_from_ne(n, e);
		spki = spki_of(weird);
		assert_int_equal(parse_b64(spki.p, spki.n, 0, &k), BA_ERR_INVALID_KEY_TYPE);
		buf_free(&spki);
		EVP_PKEY_free(weird);
		assert_int_equal(BN_clear_bit(e, 256), 1);
		assert_int_equal(BN_set_bit(e, 255), 1);
		weird = rsa_from_ne(n, e);
		spki = spki_of(weird);
		assert_int_equal(parse_b64(spki.p, spki.n, 0, &k), BA_OK);
		pubkey_clear(&k);
		buf_free(&spki);
		EVP_PKEY_free(weird);
	}

	/* Modulus sizes at the edges (random odd moduli: parsing does not
	 * factor), and an even modulus. */
	assert_int_equal(parse_rsa_bits(2048, 65537, BN_RAND_BOTTOM_ODD), BA_OK);
	assert_int_equal(parse_rsa_bits(4096, 65537, BN_RAND_BOTTOM_ODD), BA_OK);
	assert_int_equal(parse_rsa_bits(3072, 65537, BN_RAND_BOTTOM_ODD), BA_OK);
	assert_int_equal(parse_rsa_bits(2047, 65537, BN_RAND_BOTTOM_ODD), BA_ERR_INVALID_KEY_TYPE);
	assert_int_equal(parse_rsa_bits(4097, 65537, BN_RAND_BOTTOM_ODD), BA_ERR_INVALID_KEY_TYPE);
	assert_int_equal(parse_rsa_bits(8192, 65537, BN_RAND_BOTTOM_ODD), BA_ERR_INVALID_KEY_TYPE);
	assert_int_equal(parse_rsa_bits(2048, 65537, BN_RAND_BOTTOM_ANY), BA_ERR_INVALID_KEY_ENCODING);

	/* Non-canonical DER. */
	spki = spki_of(good);
	pkcs1 = pkcs1_of(good);
	assert_int_equal(spki.n, 294);
	assert_int_equal(pkcs1.n, 270);
	{
		/* AlgorithmIdentifier without the NULL parameters. */
		static const uint8_t alg_no_null[] = {
			0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
		};
		struct buf alg = { (uint8_t *)(uintptr_t)alg_no_null, sizeof(alg_no_null) };
		struct buf bits = { spki.p + 4 + 15, spki.n - 4 - 15 };
		struct buf seq;

		b = concat(alg, bits);
		seq = tlv(0x30, b.p, b.n);
		assert_int_equal(parse_b64(seq.p, seq.n, 0, &k), BA_ERR_INVALID_KEY_ENCODING);
		buf_free(&seq);
		buf_free(&b);
	}
	{
		/* PKCS#1 with the modulus written as a negative INTEGER (its
		 * leading 0x00 dropped): OpenSSL would read the magnitude. */
		struct buf nint, eint, seq;
		uint8_t nbytes[256];

		assert_int_equal(BN_bn2binpad(n, nbytes, 256), 256);
		nint = tlv(0x02, nbytes, 256);
		eint = tlv(0x02, (const uint8_t *)"\x01\x00\x01", 3);
		b = concat(nint, eint);
		seq = tlv(0x30, b.p, b.n);
		assert_int_equal(parse_b64(seq.p, seq.n, 0, &k), BA_ERR_INVALID_KEY_ENCODING);
		buf_free(&seq);
		buf_free(&b);
		buf_free(&nint);
		buf_free(&eint);
	}
	{
		/* Trailing byte after PKCS#1 and after the SPKI; truncated. */
		uint8_t tmp[300];

		memcpy(tmp, pkcs1.p, pkcs1.n);
		tmp[pkcs1.n] = 0;
		assert_int_equal(parse_b64(tmp, pkcs1.n + 1, 0, &k), BA_ERR_INVALID_KEY_ENCODING);
		memcpy(tmp, spki.p, spki.n);
		tmp[spki.n] = 0;
		assert_int_equal(parse_b64(tmp, spki.n + 1, 0, &k), BA_ERR_INVALID_KEY_ENCODING);
		assert_int_equal(parse_b64(pkcs1.p, pkcs1.n - 1, 0, &k), BA_ERR_INVALID_KEY_ENCODING);
		assert_int_equal(parse_b64(spki.p, spki.n - 10, 0, &k), BA_ERR_INVALID_KEY_ENCODING);
	}

	buf_free(&spki);
	buf_free(&pkcs1);
	BN_free(n);
	BN_free(e);
	EVP_PKEY_free(small);
	EVP_PKEY_free(good);
	EVP_PKEY_free(pss);
}

static void
test_garbage(void **state)
{
	static const char *const bad[] = {
		"", " ", "hello world", "@@@@", "AAAA", "AA==AA==",
		"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE+_", /* mixed alphabets */
		"-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n",
		"-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n",
	};
	struct pubkey k;
	uint8_t rnd[100];
	char *big;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (pubkey_parse(bad[i], strlen(bad[i]), 0, &k) != BA_ERR_INVALID_KEY_ENCODING) {
			print_error("accepted or misclassified: \"%s\"\n", bad[i]);
			fail();
		}
		assert_null(k.pkey);
		/* Garbage stays an encoding error when a type is expected. */
		assert_int_equal(pubkey_parse(bad[i], strlen(bad[i]), KEY_TYPE_EC, &k),
		                 BA_ERR_INVALID_KEY_ENCODING);
	}
	/* Random bytes, and DER of something else (an INTEGER). */
	for (i = 0; i < sizeof(rnd); i++)
		rnd[i] = (uint8_t)(i * 37 + 11);
	assert_int_equal(parse_b64(rnd, sizeof(rnd), 0, &k), BA_ERR_INVALID_KEY_ENCODING);
	assert_int_equal(parse_b64((const uint8_t *)"\x02\x01\x05", 3, 0, &k),
	                 BA_ERR_INVALID_KEY_ENCODING);
	assert_int_equal(pubkey_parse(NULL, 10, 0, &k), BA_ERR_INVALID_KEY_ENCODING);
	assert_int_equal(pubkey_from_der(NULL, 0, &k), BA_ERR_INVALID_KEY_ENCODING);

	/* Over the input cap. */
	big = malloc(PUBKEY_MAX_TEXT + 5);
	assert_non_null(big);
	memset(big, 'A', PUBKEY_MAX_TEXT + 4);
	big[PUBKEY_MAX_TEXT + 4] = '\0';
	assert_int_equal(pubkey_parse(big, PUBKEY_MAX_TEXT + 4, 0, &k), BA_ERR_INVALID_KEY_ENCODING);
	free(big);
}

/* The hot-path loader: the second load of the same DER shares the parsed
 * key; another key's DER never gets it; garbage is refused like
 * pubkey_from_der does; and the key verifies signatures of its owner. */
static void
test_stored_key_cache(void **state)
{
	EVP_PKEY *a = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *b = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	struct buf da, db;
	struct pubkey k1, k2, k3, bad;
	uint8_t sig[80], garbage[91];
	size_t siglen = sizeof(sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	da = spki_of(a);
	db = spki_of(b);
	assert_int_equal(pubkey_from_stored(da.p, da.n, &k1), BA_OK);
	assert_int_equal(pubkey_from_stored(da.p, da.n, &k2), BA_OK);
	assert_ptr_equal(k1.pkey, k2.pkey);
	assert_int_equal(k2.key_type, KEY_TYPE_EC);
	/* The prepared verification contexts are shared with the key. */
	assert_non_null(k1.ctx);
	assert_ptr_equal(k1.ctx, k2.ctx);
	assert_int_equal(pubkey_from_stored(db.p, db.n, &k3), BA_OK);
	assert_ptr_not_equal(k3.pkey, k1.pkey);
	assert_non_null(k3.ctx);
	assert_ptr_not_equal(k3.ctx, k1.ctx);
	assert_int_equal(EVP_PKEY_eq(k3.pkey, b), 1);
	memset(garbage, 0x30, sizeof(garbage));
	assert_int_not_equal(pubkey_from_stored(garbage, sizeof(garbage), &bad), BA_OK);

	assert_non_null(md);
	assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, a), 1);
	assert_int_equal(EVP_DigestSign(md, sig, &siglen, (const uint8_t *)"challenge", 9), 1);
	assert_int_equal(sig_verify(&k2, (const uint8_t *)"challenge", 9, sig, siglen), BA_OK);
	assert_int_equal(sig_verify(&k3, (const uint8_t *)"challenge", 9, sig, siglen),
	                 BA_ERR_INVALID_SIGNATURE);

	EVP_MD_CTX_free(md);
	pubkey_clear(&k1);
	pubkey_clear(&k2);
	pubkey_clear(&k3);
	pubkey_cache_flush();
	buf_free(&da);
	buf_free(&db);
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ec_forms),
		cmocka_unit_test(test_ec_canonical_spki_matches_openssl),
		cmocka_unit_test(test_ec_rejections),
		cmocka_unit_test(test_rsa_forms),
		cmocka_unit_test(test_rsa_rejections),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_stored_key_cache),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
