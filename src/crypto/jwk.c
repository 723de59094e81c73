/*
 * jwk.c - JWS signing keys: generation, PEM import/export, JWK (RFC 7517,
 * RFC 7518 section 6, RFC 8037) import/export.
 *
 * A jws_key always holds a key that fits its algorithm (ES256: P-256,
 * RS256: RSA of 2048..4096 bits, EdDSA: Ed25519); every constructor checks
 * this, so signing and verification never meet a mismatched key.
 */
#ifndef OPENSSL_NO_DEPRECATED
#define OPENSSL_NO_DEPRECATED
#endif
#include "crypto/jws.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "common/error.h"
#include "crypto/encoding.h"
#include "crypto/sigctx.h"

#define P256_COORD_LEN 32
#define ED25519_KEY_LEN 32
#define RSA_MIN_BITS 2048
#define RSA_MAX_BITS 4096
#define PEM_MAX_LEN 16384
#define JWK_MAX_LEN 16384

enum jws_alg
jws_alg_parse(const char *name)
{
	if (name == NULL)
		return 0;
	if (strcmp(name, "ES256") == 0)
		return JWS_ES256;
	if (strcmp(name, "RS256") == 0)
		return JWS_RS256;
	if (strcmp(name, "EdDSA") == 0)
		return JWS_EDDSA;
	return 0;
}

const char *
jws_alg_name(enum jws_alg alg)
{
	switch (alg) {
	case JWS_ES256:
		return "ES256";
	case JWS_RS256:
		return "RS256";
	case JWS_EDDSA:
		return "EdDSA";
	}
	return NULL;
}

/* BA_OK when pkey is a key for alg, else BA_ERR_INVALID_KEY_TYPE. */
static int
check_alg(const EVP_PKEY *pkey, enum jws_alg alg)
{
	char group[32];
	int bits;

	switch (alg) {
	case JWS_ES256:
		if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC ||
		    EVP_PKEY_get_group_name(pkey, group, sizeof(group), NULL) != 1 ||
		    strcmp(group, "prime256v1") != 0)
			break;
		return BA_OK;
	case JWS_RS256:
		bits = EVP_PKEY_get_bits(pkey);
		if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA ||
		    bits < RSA_MIN_BITS || bits > RSA_MAX_BITS)
			break;
		return BA_OK;
	case JWS_EDDSA:
		if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_ED25519)
			break;
		return BA_OK;
	}
	ERR_clear_error();
	return BA_ERR_INVALID_KEY_TYPE;
}

/*
 * Wraps pkey (ownership taken, also on error) into a new jws_key with a
 * copy of kid (NULL allowed).
 */
static int
key_wrap(enum jws_alg alg, const char *kid, EVP_PKEY *pkey, struct jws_key **out)
{
	struct jws_key *k;
	int r;

	*out = NULL;
	r = check_alg(pkey, alg);
	if (r != BA_OK) {
		EVP_PKEY_free(pkey);
		return r;
	}
	k = calloc(1, sizeof(*k));
	if (k == NULL || (kid != NULL && (k->kid = strdup(kid)) == NULL)) {
		free(k);
		EVP_PKEY_free(pkey);
		return BA_ERR_NOMEM;
	}
	k->alg = alg;
	k->pkey = pkey;
	/* Best effort: without it (memory) every signature makes its own
	 * context. A public key gets a signing context too; it fails at the
	 * first signature, as a fresh one would. */
	k->ctx = sigctx_set_new(pkey, SIGCTX_BIT(SIGCTX_SIGN) | SIGCTX_BIT(SIGCTX_VERIFY));
	*out = k;
	return BA_OK;
}

static int
kid_ok(const char *kid)
{
	return kid == NULL || strlen(kid) <= JWS_MAX_KID_LEN;
}

int
jws_key_generate(enum jws_alg alg, const char *kid, struct jws_key **out)
{
	EVP_PKEY *pkey = NULL;

	if (out == NULL)
		return BA_ERR_INVALID_REQUEST;
	*out = NULL;
	if (!kid_ok(kid))
		return BA_ERR_INVALID_REQUEST;
	switch (alg) {
	case JWS_ES256:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		break;
	case JWS_RS256:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)RSA_MIN_BITS);
		break;
	case JWS_EDDSA:
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		break;
	default:
		return BA_ERR_INVALID_REQUEST;
	}
	if (pkey == NULL) {
		ERR_clear_error();
		return BA_ERR_INTERNAL;
	}
	return key_wrap(alg, kid, pkey, out);
}

/* PEM passphrase callback: there is none (never prompt on a terminal). */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/*
 * A private key PEM (PKCS#8, or OpenSSL's traditional forms), else a public
 * key PEM ("PUBLIC KEY"). Encrypted PEM is refused.
 */
int
jws_key_from_pem(enum jws_alg alg, const char *kid, const char *pem, struct jws_key **out)
{
	BIO *bio = NULL;
	EVP_PKEY *pkey = NULL;
	size_t len;

	if (out == NULL)
		return BA_ERR_INVALID_REQUEST;
	*out = NULL;
	if (pem == NULL || jws_alg_name(alg) == NULL || !kid_ok(kid))
		return BA_ERR_INVALID_REQUEST;
	len = strlen(pem);
	if (len == 0 || len > PEM_MAX_LEN)
		return BA_ERR_INVALID_KEY_ENCODING;
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio == NULL)
		return BA_ERR_NOMEM;
	pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	if (pkey == NULL) {
		BIO_free(bio);
		bio = BIO_new_mem_buf(pem, (int)len);
		if (bio == NULL)
			return BA_ERR_NOMEM;
		pkey = PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL);
	}
	BIO_free(bio);
	ERR_clear_error();
	if (pkey == NULL)
		return BA_ERR_INVALID_KEY_ENCODING;
	return key_wrap(alg, kid, pkey, out);
}

/* Wipes and frees a decoded JWK member. */
static void
bytes_free(uint8_t *p, size_t len)
{
	if (p != NULL) {
		OPENSSL_cleanse(p, len);
		free(p);
	}
}

/*
 * The base64url member `name` of a JWK, decoded into a malloc'd buffer.
 * Absent: BA_ERR_NOT_FOUND. Present but not a string, or not strict
 * base64url, or (when want_len != 0) of another length: encoding error.
 */
static int
jwk_bytes(const json_t *jwk, const char *name, size_t want_len, uint8_t **out, size_t *len)
{
	const json_t *v = json_object_get(jwk, name);
	int r;

	*out = NULL;
	*len = 0;
	if (v == NULL)
		return BA_ERR_NOT_FOUND;
	if (!json_is_string(v))
		return BA_ERR_INVALID_KEY_ENCODING;
	r = b64url_decode(json_string_value(v), json_string_length(v), out, len);
	if (r != BA_OK)
		return r == BA_ERR_NOMEM ? r : BA_ERR_INVALID_KEY_ENCODING;
	if (*len == 0 || (want_len != 0 && *len != want_len)) {
		bytes_free(*out, *len);
		*out = NULL;
		return BA_ERR_INVALID_KEY_ENCODING;
	}
	return BA_OK;
}

/*
 * Builds a key of `type` from params: a key pair when `priv` (then the
 * private and public halves must match: EVP_PKEY_pairwise_check), else a
 * public key that must pass EVP_PKEY_public_check.
 */
static int
key_fromdata(const char *type, OSSL_PARAM_BLD *bld, int priv, EVP_PKEY **out)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY_CTX *check = NULL;
	int r = BA_ERR_INVALID_KEY_ENCODING;

	*out = NULL;
	if (params == NULL || ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1) {
		r = BA_ERR_INTERNAL;
		goto out;
	}
	if (EVP_PKEY_fromdata(ctx, out, priv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
	                      params) != 1)
		goto out;
	check = EVP_PKEY_CTX_new_from_pkey(NULL, *out, NULL);
	if (check == NULL) {
		r = BA_ERR_INTERNAL;
		goto out;
	}
	if ((priv ? EVP_PKEY_pairwise_check(check) : EVP_PKEY_public_check(check)) != 1)
		goto out;
	r = BA_OK;
out:
	if (r != BA_OK) {
		EVP_PKEY_free(*out);
		*out = NULL;
	}
	ERR_clear_error();
	EVP_PKEY_CTX_free(check);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return r;
}

/* kty "EC", crv "P-256": x, y and optionally d. */
static int
jwk_ec(const json_t *jwk, EVP_PKEY **out)
{
	uint8_t *x = NULL, *y = NULL, *d = NULL, pt[1 + 2 * P256_COORD_LEN];
	size_t xl = 0, yl = 0, dl = 0;
	const char *crv = json_string_value(json_object_get(jwk, "crv"));
	OSSL_PARAM_BLD *bld = NULL;
	BIGNUM *dbn = NULL;
	int r;

	if (crv == NULL)
		return BA_ERR_INVALID_KEY_ENCODING;
	if (strcmp(crv, "P-256") != 0)
		return BA_ERR_INVALID_KEY_TYPE;
	if ((r = jwk_bytes(jwk, "x", P256_COORD_LEN, &x, &xl)) != BA_OK ||
	    (r = jwk_bytes(jwk, "y", P256_COORD_LEN, &y, &yl)) != BA_OK) {
		if (r == BA_ERR_NOT_FOUND)
			r = BA_ERR_INVALID_KEY_ENCODING;
		goto out;
	}
	r = jwk_bytes(jwk, "d", P256_COORD_LEN, &d, &dl);
	if (r != BA_OK && r != BA_ERR_NOT_FOUND)
		goto out;
	pt[0] = 0x04;
	memcpy(pt + 1, x, P256_COORD_LEN);
	memcpy(pt + 1 + P256_COORD_LEN, y, P256_COORD_LEN);
	r = BA_ERR_INTERNAL;
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt)))
		goto out;
	if (d != NULL) {
		dbn = BN_secure_new();
		if (dbn == NULL || BN_bin2bn(d, (int)dl, dbn) == NULL ||
		    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, dbn))
			goto out;
	}
	r = key_fromdata("EC", bld, d != NULL, out);
out:
	OSSL_PARAM_BLD_free(bld);
	BN_clear_free(dbn);
	bytes_free(x, xl);
	bytes_free(y, yl);
	bytes_free(d, dl);
	return r;
}

/* kty "RSA": n, e, and for a private key d, p, q, dp, dq and qi (RFC 7518
 * 6.3.2 lets producers omit the last five; we require them). */
static int
jwk_rsa(const json_t *jwk, EVP_PKEY **out)
{
	static const struct {
		const char *jwk, *param;
	} fields[] = {
		{ "n", OSSL_PKEY_PARAM_RSA_N },
		{ "e", OSSL_PKEY_PARAM_RSA_E },
		{ "d", OSSL_PKEY_PARAM_RSA_D },
		{ "p", OSSL_PKEY_PARAM_RSA_FACTOR1 },
		{ "q", OSSL_PKEY_PARAM_RSA_FACTOR2 },
		{ "dp", OSSL_PKEY_PARAM_RSA_EXPONENT1 },
		{ "dq", OSSL_PKEY_PARAM_RSA_EXPONENT2 },
		{ "qi", OSSL_PKEY_PARAM_RSA_COEFFICIENT1 },
	};
	enum { NFIELDS = sizeof(fields) / sizeof(fields[0]) };
	BIGNUM *bn[NFIELDS] = { NULL };
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	size_t i, present = 0;
	int r = BA_ERR_INTERNAL;

	if (bld == NULL)
		return BA_ERR_NOMEM;
	for (i = 0; i < NFIELDS; i++) {
		uint8_t *b = NULL;
		size_t bl = 0;

		r = jwk_bytes(jwk, fields[i].jwk, 0, &b, &bl);
		if (r == BA_ERR_NOT_FOUND)
			continue;
		if (r != BA_OK)
			goto out;
		r = BA_ERR_NOMEM;
		bn[i] = i < 2 ? BN_new() : BN_secure_new();
		if (bn[i] == NULL || BN_bin2bn(b, (int)bl, bn[i]) == NULL) {
			bytes_free(b, bl);
			goto out;
		}
		bytes_free(b, bl);
		present |= (size_t)1 << i;
	}
	/* n and e; then d, p, q, dp, dq, qi all or none. */
	r = BA_ERR_INVALID_KEY_ENCODING;
	if ((present & 3) != 3 || ((present >> 2) != 0 && (present >> 2) != 0x3f))
		goto out;
	r = BA_ERR_INTERNAL;
	for (i = 0; i < NFIELDS; i++) {
		if (bn[i] != NULL && !OSSL_PARAM_BLD_push_BN(bld, fields[i].param, bn[i]))
			goto out;
	}
	r = key_fromdata("RSA", bld, (present & 4) != 0, out);
out:
	for (i = 0; i < NFIELDS; i++)
		BN_clear_free(bn[i]);
	OSSL_PARAM_BLD_free(bld);
	return r;
}

/* kty "OKP", crv "Ed25519" (RFC 8037): x and optionally d. */
static int
jwk_okp(const json_t *jwk, EVP_PKEY **out)
{
	const char *crv = json_string_value(json_object_get(jwk, "crv"));
	uint8_t *x = NULL, *d = NULL, pub[ED25519_KEY_LEN];
	size_t xl = 0, dl = 0, pl = sizeof(pub);
	int r;

	*out = NULL;
	if (crv == NULL)
		return BA_ERR_INVALID_KEY_ENCODING;
	if (strcmp(crv, "Ed25519") != 0)
		return BA_ERR_INVALID_KEY_TYPE;
	if ((r = jwk_bytes(jwk, "x", ED25519_KEY_LEN, &x, &xl)) != BA_OK) {
		if (r == BA_ERR_NOT_FOUND)
			r = BA_ERR_INVALID_KEY_ENCODING;
		goto out;
	}
	r = jwk_bytes(jwk, "d", ED25519_KEY_LEN, &d, &dl);
	if (r == BA_ERR_NOT_FOUND) {
		*out = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, xl);
		r = *out != NULL ? BA_OK : BA_ERR_INVALID_KEY_ENCODING;
		goto out;
	}
	if (r != BA_OK)
		goto out;
	r = BA_ERR_INVALID_KEY_ENCODING;
	*out = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, d, dl);
	if (*out == NULL)
		goto out;
	/* The public half must be the one derived from d. */
	if (EVP_PKEY_get_raw_public_key(*out, pub, &pl) != 1 || pl != xl ||
	    CRYPTO_memcmp(pub, x, xl) != 0) {
		EVP_PKEY_free(*out);
		*out = NULL;
		goto out;
	}
	r = BA_OK;
out:
	ERR_clear_error();
	bytes_free(x, xl);
	bytes_free(d, dl);
	return r;
}

/*
 * A key from JWK text. The algorithm is the "alg" member when present (it
 * must be one we support and fit the key type), else the one of the key
 * type (EC -> ES256, RSA -> RS256, OKP -> EdDSA). "kid" is optional.
 */
int
jws_key_from_jwk(const char *jwk_json, size_t len, struct jws_key **out)
{
	json_t *jwk = NULL;
	json_error_t jerr;
	const char *kty, *kid = NULL;
	const json_t *v;
	enum jws_alg alg;
	EVP_PKEY *pkey = NULL;
	int r = BA_ERR_INVALID_KEY_ENCODING;

	if (out == NULL)
		return BA_ERR_INVALID_REQUEST;
	*out = NULL;
	if (jwk_json == NULL || len == 0 || len > JWK_MAX_LEN)
		return BA_ERR_INVALID_KEY_ENCODING;
	jwk = json_loadb(jwk_json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (jwk == NULL || !json_is_object(jwk))
		goto out;
	kty = json_string_value(json_object_get(jwk, "kty"));
	if (kty == NULL)
		goto out;
	if ((v = json_object_get(jwk, "kid")) != NULL) {
		kid = json_string_value(v);
		if (kid == NULL || !kid_ok(kid)) {
			r = kid == NULL ? BA_ERR_INVALID_KEY_ENCODING : BA_ERR_INVALID_REQUEST;
			goto out;
		}
	}
	if (strcmp(kty, "EC") == 0) {
		alg = JWS_ES256;
		r = jwk_ec(jwk, &pkey);
	} else if (strcmp(kty, "RSA") == 0) {
		alg = JWS_RS256;
		r = jwk_rsa(jwk, &pkey);
	} else if (strcmp(kty, "OKP") == 0) {
		alg = JWS_EDDSA;
		r = jwk_okp(jwk, &pkey);
	} else {
		r = BA_ERR_INVALID_KEY_TYPE;
	}
	if (r != BA_OK)
		goto out;
	if ((v = json_object_get(jwk, "alg")) != NULL &&
	    (!json_is_string(v) || jws_alg_parse(json_string_value(v)) != alg)) {
		r = BA_ERR_INVALID_KEY_TYPE;
		goto out;
	}
	r = key_wrap(alg, kid, pkey, out);
	pkey = NULL;
out:
	EVP_PKEY_free(pkey);
	json_decref(jwk);
	return r;
}

int
jws_key_private_pem(const struct jws_key *k, char **pem)
{
	BIO *bio = NULL;
	char *data;
	long n;
	int r = BA_ERR_INVALID_REQUEST;

	if (pem == NULL)
		return BA_ERR_INVALID_REQUEST;
	*pem = NULL;
	if (k == NULL || k->pkey == NULL)
		return BA_ERR_INVALID_REQUEST;
	/* Secure-heap memory BIO: its buffer is wiped when freed. */
	bio = BIO_new(BIO_s_secmem());
	if (bio == NULL)
		return BA_ERR_NOMEM;
	if (PEM_write_bio_PrivateKey(bio, k->pkey, NULL, NULL, 0, NULL, NULL) != 1)
		goto out; /* a public-only key */
	n = BIO_get_mem_data(bio, &data);
	if (n <= 0) {
		r = BA_ERR_INTERNAL;
		goto out;
	}
	*pem = malloc((size_t)n + 1);
	if (*pem == NULL) {
		r = BA_ERR_NOMEM;
		goto out;
	}
	memcpy(*pem, data, (size_t)n);
	(*pem)[n] = '\0';
	r = BA_OK;
out:
	ERR_clear_error();
	BIO_free(bio);
	return r;
}

/* Adds the base64url of `len` bytes as member `name`. */
static int
set_b64(json_t *obj, const char *name, const uint8_t *bytes, size_t len)
{
	char *s = NULL;
	int r = b64url_encode(bytes, len, &s);

	if (r != BA_OK)
		return r;
	r = json_object_set_new(obj, name, json_string(s)) == 0 ? BA_OK : BA_ERR_NOMEM;
	free(s);
	return r;
}

/* Adds a big-endian unsigned integer parameter of pkey, in `pad` bytes
 * (0: minimal length), as member `name`. */
static int
set_bn(json_t *obj, const char *name, const EVP_PKEY *pkey, const char *param, int pad)
{
	BIGNUM *bn = NULL;
	uint8_t buf[RSA_MAX_BITS / 8];
	int n, r = BA_ERR_INTERNAL;

	if (EVP_PKEY_get_bn_param(pkey, param, &bn) != 1 ||
	    BN_num_bytes(bn) > (int)sizeof(buf) || pad > (int)sizeof(buf))
		goto out;
	n = pad > 0 ? BN_bn2binpad(bn, buf, pad) : BN_bn2bin(bn, buf);
	if (n <= 0)
		goto out;
	r = set_b64(obj, name, buf, (size_t)n);
out:
	ERR_clear_error();
	BN_free(bn);
	return r;
}

int
jws_key_public_jwk(const struct jws_key *k, char **json)
{
	json_t *obj = NULL;
	uint8_t raw[ED25519_KEY_LEN];
	size_t rl = sizeof(raw), need;
	int r = BA_ERR_NOMEM;

	if (json == NULL)
		return BA_ERR_INVALID_REQUEST;
	*json = NULL;
	if (k == NULL || k->pkey == NULL || jws_alg_name(k->alg) == NULL)
		return BA_ERR_INVALID_REQUEST;
	obj = json_object();
	if (obj == NULL)
		goto out;
	switch (k->alg) {
	case JWS_ES256:
		if (json_object_set_new(obj, "kty", json_string("EC")) != 0 ||
		    json_object_set_new(obj, "crv", json_string("P-256")) != 0)
			goto out;
		if ((r = set_bn(obj, "x", k->pkey, OSSL_PKEY_PARAM_EC_PUB_X, P256_COORD_LEN)) != BA_OK ||
		    (r = set_bn(obj, "y", k->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, P256_COORD_LEN)) != BA_OK)
			goto out;
		break;
	case JWS_RS256:
		if (json_object_set_new(obj, "kty", json_string("RSA")) != 0)
			goto out;
		if ((r = set_bn(obj, "n", k->pkey, OSSL_PKEY_PARAM_RSA_N, 0)) != BA_OK ||
		    (r = set_bn(obj, "e", k->pkey, OSSL_PKEY_PARAM_RSA_E, 0)) != BA_OK)
			goto out;
		break;
	case JWS_EDDSA:
		if (json_object_set_new(obj, "kty", json_string("OKP")) != 0 ||
		    json_object_set_new(obj, "crv", json_string("Ed25519")) != 0)
			goto out;
		if (EVP_PKEY_get_raw_public_key(k->pkey, raw, &rl) != 1 || rl != sizeof(raw)) {
			r = BA_ERR_INTERNAL;
			goto out;
		}
		if ((r = set_b64(obj, "x", raw, rl)) != BA_OK)
			goto out;
		break;
	}
	r = BA_ERR_NOMEM;
	if ((k->kid != NULL && json_object_set_new(obj, "kid", json_string(k->kid)) != 0) ||
	    json_object_set_new(obj, "alg", json_string(jws_alg_name(k->alg))) != 0 ||
	    json_object_set_new(obj, "use", json_string("sig")) != 0)
		goto out;
	/* Into a buffer of our own, so that the caller frees it with free(). */
	need = json_dumpb(obj, NULL, 0, JSON_COMPACT);
	if (need == 0 || (*json = malloc(need + 1)) == NULL)
		goto out;
	if (json_dumpb(obj, *json, need, JSON_COMPACT) != need) {
		free(*json);
		*json = NULL;
		r = BA_ERR_INTERNAL;
		goto out;
	}
	(*json)[need] = '\0';
	r = BA_OK;
out:
	ERR_clear_error();
	json_decref(obj);
	return r;
}

void
jws_key_free(struct jws_key *k)
{
	if (k == NULL)
		return;
	free(k->kid);
	sigctx_set_release(k->ctx);
	EVP_PKEY_free(k->pkey);
	free(k);
}
