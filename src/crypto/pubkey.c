/*
 * pubkey.c - parsing and normalising the public keys devices register.
 *
 * Every accepted key ends up as an EVP_PKEY plus its canonical DER
 * SubjectPublicKeyInfo, which is what the store keeps. The rules, beyond
 * what pubkey.h lists:
 *
 *  - Text is PEM ("PUBLIC KEY" = SPKI, "RSA PUBLIC KEY" = PKCS#1; surrounding
 *    whitespace and line breaks allowed) or base64 of either alphabet,
 *    padding optional, CR/LF ignored. Longer than PUBKEY_MAX_TEXT: refused.
 *  - DER must be canonical: an SPKI must be byte-for-byte the SPKI we would
 *    write for the key (so BER lengths, an absent NULL in the RSA algorithm
 *    identifier, or anything after the structure are INVALID_KEY_ENCODING),
 *    and a PKCS#1 RSAPublicKey must re-encode to itself.
 *  - EC: id-ecPublicKey with the named curve prime256v1 only; explicit
 *    curve parameters (even ones describing P-256), other named curves and
 *    other algorithms (Ed25519, RSA-PSS, DSA...) are INVALID_KEY_TYPE. The
 *    point must be uncompressed (0x04||X||Y, 65 bytes) and pass
 *    EVP_PKEY_public_check_quick (on the curve, not infinity; see
 *    ec_from_point for why that is a full check on P-256); otherwise
 *    INVALID_KEY_ENCODING.
 *  - RSA: modulus of 2048..4096 bits and public exponent e with e odd and
 *    3 <= e < 2^256 (the upper bound is NIST SP 800-56B's; e = 3 is allowed
 *    because Wycheproof's valid PKCS#1 vectors use it and a device key only
 *    protects its own user; phones use 65537). Outside that:
 *    INVALID_KEY_TYPE. An even modulus is INVALID_KEY_ENCODING (not an RSA
 *    key at all).
 *  - A valid key of the other type than `expected_type` is INVALID_KEY_TYPE.
 */
#ifndef OPENSSL_NO_DEPRECATED
#define OPENSSL_NO_DEPRECATED
#endif
#include "crypto/pubkey.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

#include "common/error.h"
#include "crypto/encoding.h"
#include "crypto/keytype.h"
#include "crypto/sigctx.h"

#define P256_POINT_LEN 65
#define RSA_MIN_BITS 2048
#define RSA_MAX_BITS 4096
#define RSA_MAX_E_BITS 256

/*
 * The canonical DER SubjectPublicKeyInfo of a P-256 key is these 26 bytes
 * (SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING of 66
 * bytes, no unused bits }) followed by the 65-byte uncompressed point:
 * exactly what i2d_PUBKEY writes (test_pubkey checks it). Matching these
 * bytes is therefore the same as decoding the SPKI and comparing its
 * re-encoding, without OpenSSL 3's decoder and encoder, which cost about
 * four fifths of parsing a key (docs/PERFORMANCE.md).
 */
static const uint8_t p256_spki_prefix[] = {
	0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
};
#define P256_SPKI_LEN (sizeof(p256_spki_prefix) + P256_POINT_LEN)

/* Which DER structures an input may hold. */
enum der_form {
	FORM_ANY,   /* base64: raw EC point, SPKI or PKCS#1 */
	FORM_SPKI,  /* PEM "PUBLIC KEY" or a stored key */
	FORM_PKCS1, /* PEM "RSA PUBLIC KEY" */
};

static const struct {
	const char *begin, *end;
	enum der_form form;
} pem_labels[] = {
	{ "-----BEGIN PUBLIC KEY-----", "-----END PUBLIC KEY-----", FORM_SPKI },
	{ "-----BEGIN RSA PUBLIC KEY-----", "-----END RSA PUBLIC KEY-----", FORM_PKCS1 },
};

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
has_prefix(const char *s, size_t n, const char *prefix)
{
	size_t pl = strlen(prefix);

	return n >= pl && memcmp(s, prefix, pl) == 0;
}

static int
has_suffix(const char *s, size_t n, const char *suffix)
{
	size_t sl = strlen(suffix);

	return n >= sl && memcmp(s + n - sl, suffix, sl) == 0;
}

/*
 * Turns key text into DER bytes and the structures they may hold. *der is
 * malloc'd. BA_ERR_INVALID_KEY_ENCODING for text that is neither a PEM
 * public key nor base64.
 */
static int
text_to_der(const char *text, size_t len, uint8_t **der, size_t *der_len,
            enum der_form *form)
{
	size_t b = 0, e = len, i;
	int r;

	while (b < e && is_space(text[b]))
		b++;
	while (e > b && is_space(text[e - 1]))
		e--;
	if (!has_prefix(text + b, e - b, "-----BEGIN ")) {
		/* Plain base64: whitespace other than line breaks is refused. */
		*form = FORM_ANY;
		r = b64_decode_any_lines(text, len, der, der_len);
		return r == BA_ERR_NOMEM ? r : r != BA_OK ? BA_ERR_INVALID_KEY_ENCODING : BA_OK;
	}
	for (i = 0; i < sizeof(pem_labels) / sizeof(pem_labels[0]); i++) {
		size_t bl = strlen(pem_labels[i].begin), el = strlen(pem_labels[i].end);

		if (e - b < bl + el || !has_prefix(text + b, e - b, pem_labels[i].begin) ||
		    !has_suffix(text + b, e - b, pem_labels[i].end))
			continue;
		*form = pem_labels[i].form;
		r = b64_decode_any_lines(text + b + bl, e - b - bl - el, der, der_len);
		return r == BA_ERR_NOMEM ? r : r != BA_OK ? BA_ERR_INVALID_KEY_ENCODING : BA_OK;
	}
	return BA_ERR_INVALID_KEY_ENCODING;
}

/*
 * An EC P-256 public key from the uncompressed point `pt`. Refuses any
 * other length or form and points that fail OpenSSL's public key check.
 */
static int
ec_from_point(const uint8_t *pt, size_t len, EVP_PKEY **out)
{
	OSSL_PARAM_BLD *bld = NULL;
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL, *check = NULL;
	EVP_PKEY *pkey = NULL;
	int r = BA_ERR_INVALID_KEY_ENCODING;

	if (len != P256_POINT_LEN || pt[0] != 0x04)
		return BA_ERR_INVALID_KEY_ENCODING;
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, len) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1) {
		r = BA_ERR_INTERNAL;
		goto out;
	}
	/* fromdata already refuses most off-curve points; the check is
	 * explicit. The quick check (on the curve, not infinity, coordinates
	 * in range) is the whole of it for P-256: its cofactor is 1, so every
	 * such point has the group's prime order, and the full check's
	 * multiplication by that order (most of its cost) proves nothing more
	 * (NIST SP 800-56A 5.6.2.3.4, partial validation of an ECC key). */
	if (EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		goto out;
	check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (check == NULL) {
		r = BA_ERR_INTERNAL;
		goto out;
	}
	if (EVP_PKEY_public_check_quick(check) != 1)
		goto out;
	*out = pkey;
	pkey = NULL;
	r = BA_OK;
out:
	ERR_clear_error();
	EVP_PKEY_CTX_free(check);
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return r;
}

/* The size and exponent rules of the file comment. */
static int
rsa_check(const EVP_PKEY *pkey)
{
	BIGNUM *n = NULL, *e = NULL;
	int bits, r = BA_ERR_INVALID_KEY_TYPE;

	if (!EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &n) ||
	    !EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &e)) {
		r = BA_ERR_INVALID_KEY_ENCODING;
		goto out;
	}
	if (BN_is_negative(n) || !BN_is_odd(n)) {
		r = BA_ERR_INVALID_KEY_ENCODING;
		goto out;
	}
	bits = BN_num_bits(n);
	if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS)
		goto out;
	if (BN_is_negative(e) || !BN_is_odd(e) || BN_cmp(e, BN_value_one()) == 0 ||
	    BN_num_bits(e) > RSA_MAX_E_BITS)
		goto out;
	r = BA_OK;
out:
	BN_free(n);
	BN_free(e);
	return r;
}

/*
 * An RSA public key from a DER PKCS#1 RSAPublicKey that must re-encode to
 * exactly the input (no trailing bytes, no BER, no negative integers).
 */
static int
rsa_from_pkcs1(const uint8_t *der, size_t len, EVP_PKEY **out)
{
	const unsigned char *p = der;
	unsigned char *re = NULL;
	EVP_PKEY *pkey = NULL;
	int relen, r = BA_ERR_INVALID_KEY_ENCODING;

	if (len == 0 || len > PUBKEY_MAX_TEXT)
		return BA_ERR_INVALID_KEY_ENCODING;
	pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)len);
	if (pkey == NULL || p != der + len)
		goto out;
	relen = i2d_PublicKey(pkey, &re);
	if (relen <= 0 || (size_t)relen != len || memcmp(re, der, len) != 0)
		goto out;
	r = rsa_check(pkey);
	if (r != BA_OK)
		goto out;
	*out = pkey;
	pkey = NULL;
out:
	ERR_clear_error();
	OPENSSL_free(re);
	EVP_PKEY_free(pkey);
	return r;
}

/*
 * A key from a DER SubjectPublicKeyInfo: the algorithm identifier decides
 * between EC P-256, RSA and "another type"; the key inside is parsed by
 * ec_from_point or rsa_from_pkcs1. Canonical form is checked by the caller.
 */
static int
from_spki(const uint8_t *der, size_t len, EVP_PKEY **out)
{
	const unsigned char *p = der;
	X509_PUBKEY *xpk = NULL;
	ASN1_OBJECT *alg_obj = NULL;
	const unsigned char *pk = NULL;
	int pklen = 0, ptype = 0, r = BA_ERR_INVALID_KEY_ENCODING;
	const void *pval = NULL;
	X509_ALGOR *alg = NULL;

	if (len == 0 || len > PUBKEY_MAX_TEXT)
		return BA_ERR_INVALID_KEY_ENCODING;
	xpk = d2i_X509_PUBKEY(NULL, &p, (long)len);
	if (xpk == NULL || p != der + len)
		goto out;
	if (X509_PUBKEY_get0_param(&alg_obj, &pk, &pklen, &alg, xpk) != 1 || pklen < 0)
		goto out;
	X509_ALGOR_get0(NULL, &ptype, &pval, alg);
	switch (OBJ_obj2nid(alg_obj)) {
	case NID_X9_62_id_ecPublicKey:
		if (ptype != V_ASN1_OBJECT ||
		    OBJ_obj2nid((const ASN1_OBJECT *)pval) != NID_X9_62_prime256v1) {
			r = BA_ERR_INVALID_KEY_TYPE;
			goto out;
		}
		r = ec_from_point(pk, (size_t)pklen, out);
		break;
	case NID_rsaEncryption:
		if (ptype != V_ASN1_NULL)
			goto out;
		r = rsa_from_pkcs1(pk, (size_t)pklen, out);
		break;
	default:
		r = BA_ERR_INVALID_KEY_TYPE;
		break;
	}
out:
	ERR_clear_error();
	X509_PUBKEY_free(xpk);
	return r;
}

/* Fills out->key_type and out->der (canonical SPKI, malloc'd) for an EC
 * P-256 key from its uncompressed point, as i2d_PUBKEY would. */
static int
normalise_p256(const uint8_t point[P256_POINT_LEN], struct pubkey *out)
{
	out->key_type = KEY_TYPE_EC;
	out->der = malloc(P256_SPKI_LEN);
	if (out->der == NULL)
		return BA_ERR_NOMEM;
	memcpy(out->der, p256_spki_prefix, sizeof(p256_spki_prefix));
	memcpy(out->der + sizeof(p256_spki_prefix), point, P256_POINT_LEN);
	out->der_len = P256_SPKI_LEN;
	return BA_OK;
}

/* Fills out->key_type and out->der (canonical SPKI, malloc'd) for an RSA
 * key. */
static int
normalise_rsa(EVP_PKEY *pkey, struct pubkey *out)
{
	unsigned char *enc = NULL;
	int n;

	out->key_type = KEY_TYPE_RSA;
	n = i2d_PUBKEY(pkey, &enc);
	if (n <= 0) {
		ERR_clear_error();
		return BA_ERR_INTERNAL;
	}
	out->der = malloc((size_t)n);
	if (out->der == NULL) {
		OPENSSL_free(enc);
		return BA_ERR_NOMEM;
	}
	memcpy(out->der, enc, (size_t)n);
	out->der_len = (size_t)n;
	OPENSSL_free(enc);
	return BA_OK;
}

/*
 * The key held by `der` in one of the structures `form` allows, checked as
 * the file comment says, into *out (zeroed first; left zeroed on error).
 */
static int
parse_der(const uint8_t *der, size_t len, enum der_form form, int expected_type,
          struct pubkey *out)
{
	EVP_PKEY *pkey = NULL;
	const uint8_t *point = NULL;   /* set for EC keys */
	int r = BA_ERR_INVALID_KEY_ENCODING, spki = 0;

	memset(out, 0, sizeof(*out));
	if (len == 0)
		return BA_ERR_INVALID_KEY_ENCODING;
	if (form == FORM_ANY && len == P256_POINT_LEN && der[0] == 0x04) {
		point = der;
		r = ec_from_point(point, len, &pkey);
	} else if (form != FORM_PKCS1 && len == P256_SPKI_LEN &&
	           memcmp(der, p256_spki_prefix, sizeof(p256_spki_prefix)) == 0) {
		/* the canonical P-256 SPKI: only the point is left to check */
		point = der + sizeof(p256_spki_prefix);
		r = ec_from_point(point, P256_POINT_LEN, &pkey);
	} else if (form == FORM_PKCS1) {
		r = rsa_from_pkcs1(der, len, &pkey);
	} else {
		r = from_spki(der, len, &pkey);
		spki = 1;
		/* Base64 of a PKCS#1 RSAPublicKey (iOS) is not an SPKI. */
		if (r == BA_ERR_INVALID_KEY_ENCODING && form == FORM_ANY) {
			r = rsa_from_pkcs1(der, len, &pkey);
			spki = 0;
		}
	}
	if (r != BA_OK)
		goto out;
	if (point == NULL && EVP_PKEY_get_base_id(pkey) == EVP_PKEY_EC) {
		/* a valid P-256 key in an SPKI other than the canonical one
		 * (BER lengths, trailing bytes...): it would not re-encode to
		 * itself */
		r = BA_ERR_INVALID_KEY_ENCODING;
		goto out;
	}
	r = point != NULL ? normalise_p256(point, out) : normalise_rsa(pkey, out);
	if (r != BA_OK)
		goto out;
	if (spki && (out->der_len != len || memcmp(out->der, der, len) != 0)) {
		r = BA_ERR_INVALID_KEY_ENCODING;
		goto out;
	}
	if (expected_type != 0 && expected_type != out->key_type) {
		r = BA_ERR_INVALID_KEY_TYPE;
		goto out;
	}
	out->pkey = pkey;
	pkey = NULL;
	r = BA_OK;
out:
	EVP_PKEY_free(pkey);
	if (r != BA_OK)
		pubkey_clear(out);
	return r;
}

/*
 * Parses device key text (see pubkey.h and the file comment). On BA_OK *out
 * owns a key and its canonical DER; release with pubkey_clear.
 */
int
pubkey_parse(const char *text, size_t len, int expected_type, struct pubkey *out)
{
	uint8_t *der = NULL;
	size_t der_len = 0;
	enum der_form form = FORM_ANY;
	int r;

	if (out == NULL)
		return BA_ERR_INTERNAL;
	memset(out, 0, sizeof(*out));
	if (text == NULL || len == 0 || len > PUBKEY_MAX_TEXT)
		return BA_ERR_INVALID_KEY_ENCODING;
	if (expected_type != 0 && expected_type != KEY_TYPE_EC && expected_type != KEY_TYPE_RSA)
		return BA_ERR_INVALID_KEY_TYPE;
	r = text_to_der(text, len, &der, &der_len, &form);
	if (r != BA_OK)
		return r;
	r = parse_der(der, der_len, form, expected_type, out);
	free(der);
	return r;
}

/* A stored key: the canonical SPKI pubkey_parse produced. */
int
pubkey_from_der(const uint8_t *der, size_t len, struct pubkey *out)
{
	if (out == NULL)
		return BA_ERR_INTERNAL;
	memset(out, 0, sizeof(*out));
	if (der == NULL || len == 0 || len > PUBKEY_MAX_TEXT)
		return BA_ERR_INVALID_KEY_ENCODING;
	return parse_der(der, len, FORM_SPKI, 0, out);
}

void
pubkey_clear(struct pubkey *k)
{
	if (k == NULL)
		return;
	sigctx_set_release(k->ctx);
	EVP_PKEY_free(k->pkey);
	free(k->der);
	memset(k, 0, sizeof(*k));
}
