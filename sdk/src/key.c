/*
 * key.c - key pairs in memory: generation, public key export in the iOS and
 * Android encodings, and signing of challenges (docs/API.md "Key and
 * signature formats").
 */
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

#define EC_POINT_LEN 65   /* 0x04 || X(32) || Y(32) */
#define EC_COORD_LEN 32
#define PSS_SALT_LEN 32

/*
 * Checks that pkey is what a key of `type` must be: an EC key on P-256, or a
 * plain RSA key (not an RSA-PSS-restricted one) of 2048 to 4096 bits.
 * Returns BIOAUTH_OK or BIOAUTH_ERR_CORRUPT.
 */
bioauth_err bdev_key_check_pkey(EVP_PKEY *pkey, bioauth_key_type type)
{
	char group[64];
	size_t glen = 0;
	int bits;

	if (pkey == NULL)
		return BIOAUTH_ERR_CORRUPT;
	switch (type) {
	case BIOAUTH_KEY_EC:
		if (!EVP_PKEY_is_a(pkey, "EC"))
			return BIOAUTH_ERR_CORRUPT;
		if (EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
		                                   sizeof(group), &glen) != 1)
			return BIOAUTH_ERR_CORRUPT;
		if (strcmp(group, "prime256v1") != 0 && strcmp(group, "P-256") != 0)
			return BIOAUTH_ERR_CORRUPT;
		return BIOAUTH_OK;
	case BIOAUTH_KEY_RSA:
		if (!EVP_PKEY_is_a(pkey, "RSA") || EVP_PKEY_is_a(pkey, "RSA-PSS"))
			return BIOAUTH_ERR_CORRUPT;
		bits = EVP_PKEY_get_bits(pkey);
		if (bits < 2048 || bits > 4096)
			return BIOAUTH_ERR_CORRUPT;
		return BIOAUTH_OK;
	}
	return BIOAUTH_ERR_CORRUPT;
}

/*
 * Wraps an EVP_PKEY into a new bioauth_key. Ownership of pkey passes to this
 * function in every case: it is either in *out or freed. EC keys are set to
 * export uncompressed points, as iOS does.
 */
bioauth_err bdev_key_wrap(EVP_PKEY *pkey, bioauth_key_type type, bioauth_platform platform,
                          const char *id, int64_t created_at, bioauth_key **out)
{
	bioauth_err r = BIOAUTH_ERR_CRYPTO;
	bioauth_key *k = NULL;

	if (out != NULL)
		*out = NULL;
	if (out == NULL || pkey == NULL || !bioauth_key_id_valid(id)) {
		r = BIOAUTH_ERR_INVALID_ARG;
		goto out;
	}
	if (type == BIOAUTH_KEY_EC &&
	    EVP_PKEY_set_utf8_string_param(pkey, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
	                                   "uncompressed") != 1)
		goto out;
	k = calloc(1, sizeof(*k));
	if (k == NULL) {
		r = BIOAUTH_ERR_NOMEM;
		goto out;
	}
	memcpy(k->id, id, strlen(id) + 1);
	k->type = type;
	k->platform = platform;
	k->created_at = created_at;
	k->pkey = pkey;
	pkey = NULL;
	*out = k;
	r = BIOAUTH_OK;
out:
	EVP_PKEY_free(pkey);
	return r;
}

static int type_valid(bioauth_key_type type)
{
	return type == BIOAUTH_KEY_EC || type == BIOAUTH_KEY_RSA;
}

static int platform_valid(bioauth_platform platform)
{
	return platform == BIOAUTH_PLATFORM_IOS || platform == BIOAUTH_PLATFORM_ANDROID;
}

/* A random key id: 16 bytes from the CSPRNG as 22 base64url characters. */
static bioauth_err random_key_id(char id[BIOAUTH_KEY_ID_MAX + 1])
{
	unsigned char rnd[BDEV_KEY_ID_RANDOM_BYTES];
	char *s = NULL;
	bioauth_err r;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return BIOAUTH_ERR_CRYPTO;
	r = bdev_b64url_encode(rnd, sizeof(rnd), &s);
	if (r != BIOAUTH_OK)
		return r;
	memcpy(id, s, strlen(s) + 1);
	free(s);
	return BIOAUTH_OK;
}

/*
 * Generates a key pair (EC P-256 or RSA 2048, e = 65537) with OpenSSL's
 * default provider. See the header for the contract.
 */
bioauth_err bioauth_key_generate(bioauth_key_type type, bioauth_platform platform,
                                 const char *key_id, bioauth_key **out)
{
	bioauth_err r = BIOAUTH_ERR_INVALID_ARG;
	char id[BIOAUTH_KEY_ID_MAX + 1];
	EVP_PKEY *pkey = NULL;

	if (out == NULL)
		return BIOAUTH_ERR_INVALID_ARG;
	*out = NULL;
	if (!type_valid(type) || !platform_valid(platform))
		goto out;
	if (key_id != NULL) {
		if (!bioauth_key_id_valid(key_id))
			goto out;
		memcpy(id, key_id, strlen(key_id) + 1);
	} else {
		r = random_key_id(id);
		if (r != BIOAUTH_OK)
			goto out;
	}
	if (type == BIOAUTH_KEY_EC)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	else
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (pkey == NULL) {
		r = BIOAUTH_ERR_CRYPTO;
		goto out;
	}
	r = bdev_key_wrap(pkey, type, platform, id, (int64_t)time(NULL), out);
out:
	return r;
}

void bioauth_key_free(bioauth_key *key)
{
	if (key == NULL)
		return;
	EVP_PKEY_free(key->pkey);   /* OpenSSL clears private key material */
	OPENSSL_cleanse(key, sizeof(*key));
	free(key);
}

const char *bioauth_key_get_id(const bioauth_key *key)
{
	return key == NULL ? NULL : key->id;
}

bioauth_key_type bioauth_key_get_type(const bioauth_key *key)
{
	return key == NULL ? (bioauth_key_type)0 : key->type;
}

bioauth_platform bioauth_key_get_platform(const bioauth_key *key)
{
	return key == NULL ? (bioauth_platform)0 : key->platform;
}

int64_t bioauth_key_get_created_at(const bioauth_key *key)
{
	return key == NULL ? 0 : key->created_at;
}

/* The raw uncompressed point of an EC key: exactly 65 bytes starting 0x04. */
static bioauth_err export_ec_point(EVP_PKEY *pkey, uint8_t **out, size_t *out_len)
{
	unsigned char buf[EC_POINT_LEN + 1];
	size_t len = 0;
	uint8_t *p;

	if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, buf,
	                                    sizeof(buf), &len) != 1)
		return BIOAUTH_ERR_CRYPTO;
	if (len != EC_POINT_LEN || buf[0] != 0x04)
		return BIOAUTH_ERR_CRYPTO;
	p = malloc(len);
	if (p == NULL)
		return BIOAUTH_ERR_NOMEM;
	memcpy(p, buf, len);
	*out = p;
	*out_len = len;
	return BIOAUTH_OK;
}

/*
 * DER output of i2d_PUBKEY (SPKI) or i2d_PublicKey (for RSA: PKCS#1
 * RSAPublicKey), copied into a malloc'd buffer so that the caller frees it
 * with free() rather than OPENSSL_free().
 */
static bioauth_err export_der(EVP_PKEY *pkey, int spki, uint8_t **out, size_t *out_len)
{
	unsigned char *der = NULL;
	uint8_t *p;
	int n;

	n = spki ? i2d_PUBKEY(pkey, &der) : i2d_PublicKey(pkey, &der);
	if (n <= 0 || der == NULL)
		return BIOAUTH_ERR_CRYPTO;
	p = malloc((size_t)n);
	if (p == NULL) {
		OPENSSL_free(der);
		return BIOAUTH_ERR_NOMEM;
	}
	memcpy(p, der, (size_t)n);
	OPENSSL_free(der);
	*out = p;
	*out_len = (size_t)n;
	return BIOAUTH_OK;
}

/* Exports the public key; see the header for the contract. */
bioauth_err bioauth_key_export_public(const bioauth_key *key, bioauth_pubkey_format format,
                                      uint8_t **out, size_t *out_len)
{
	if (out != NULL)
		*out = NULL;
	if (out_len != NULL)
		*out_len = 0;
	if (key == NULL || key->pkey == NULL || out == NULL || out_len == NULL)
		return BIOAUTH_ERR_INVALID_ARG;
	if (format == BIOAUTH_PUBKEY_DEFAULT)
		format = key->platform == BIOAUTH_PLATFORM_IOS ? BIOAUTH_PUBKEY_IOS : BIOAUTH_PUBKEY_SPKI;
	switch (format) {
	case BIOAUTH_PUBKEY_IOS:
		if (key->type == BIOAUTH_KEY_EC)
			return export_ec_point(key->pkey, out, out_len);
		return export_der(key->pkey, 0, out, out_len);
	case BIOAUTH_PUBKEY_SPKI:
		return export_der(key->pkey, 1, out, out_len);
	case BIOAUTH_PUBKEY_DEFAULT:
		break;
	}
	return BIOAUTH_ERR_INVALID_ARG;
}

bioauth_err bioauth_key_export_public_b64(const bioauth_key *key, bioauth_pubkey_format format,
                                          char **out)
{
	uint8_t *der = NULL;
	size_t len = 0;
	bioauth_err r;

	if (out == NULL)
		return BIOAUTH_ERR_INVALID_ARG;
	*out = NULL;
	r = bioauth_key_export_public(key, format, &der, &len);
	if (r != BIOAUTH_OK)
		return r;
	r = bdev_b64_encode(der, len, out);
	free(der);
	return r;
}

/* Resolves BIOAUTH_SIG_DEFAULT and checks the format suits the key type. */
static bioauth_err resolve_sig_format(const bioauth_key *key, bioauth_sig_format *format)
{
	switch (*format) {
	case BIOAUTH_SIG_DEFAULT:
		if (key->type == BIOAUTH_KEY_EC)
			*format = BIOAUTH_SIG_EC_DER;
		else if (key->platform == BIOAUTH_PLATFORM_IOS)
			*format = BIOAUTH_SIG_RSA_PSS;
		else
			*format = BIOAUTH_SIG_RSA_PKCS1;
		return BIOAUTH_OK;
	case BIOAUTH_SIG_EC_DER:
	case BIOAUTH_SIG_EC_RAW:
		return key->type == BIOAUTH_KEY_EC ? BIOAUTH_OK : BIOAUTH_ERR_UNSUPPORTED;
	case BIOAUTH_SIG_RSA_PKCS1:
	case BIOAUTH_SIG_RSA_PSS:
		return key->type == BIOAUTH_KEY_RSA ? BIOAUTH_OK : BIOAUTH_ERR_UNSUPPORTED;
	}
	return BIOAUTH_ERR_INVALID_ARG;
}

/*
 * Converts a DER ECDSA signature into raw r||s (32 bytes each, big-endian,
 * left-padded). *out is malloc'd, EC_COORD_LEN * 2 bytes.
 */
static bioauth_err ecdsa_der_to_raw(const uint8_t *der, size_t der_len, uint8_t **out)
{
	bioauth_err r = BIOAUTH_ERR_CRYPTO;
	const unsigned char *p = der;
	const BIGNUM *br = NULL, *bs = NULL;
	ECDSA_SIG *sig = NULL;
	uint8_t *raw = NULL;

	if (der_len > 1024)
		goto out;
	sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	if (sig == NULL || p != der + der_len)
		goto out;
	ECDSA_SIG_get0(sig, &br, &bs);
	raw = malloc(EC_COORD_LEN * 2);
	if (raw == NULL) {
		r = BIOAUTH_ERR_NOMEM;
		goto out;
	}
	if (BN_bn2binpad(br, raw, EC_COORD_LEN) != EC_COORD_LEN ||
	    BN_bn2binpad(bs, raw + EC_COORD_LEN, EC_COORD_LEN) != EC_COORD_LEN)
		goto out;
	*out = raw;
	raw = NULL;
	r = BIOAUTH_OK;
out:
	free(raw);
	ECDSA_SIG_free(sig);
	return r;
}

/*
 * Signs SHA-256(msg) with EVP_DigestSign. RSA padding is set on the signing
 * context; PSS uses MGF1-SHA-256 and a 32-byte salt, as iOS's
 * rsaSignatureMessagePSSSHA256 does. See the header for the contract.
 */
bioauth_err bioauth_key_sign(const bioauth_key *key, const uint8_t *msg, size_t msg_len,
                             bioauth_sig_format format, uint8_t **sig, size_t *sig_len)
{
	static const uint8_t empty[1] = {0};
	bioauth_err r = BIOAUTH_ERR_CRYPTO;
	EVP_MD_CTX *mctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	uint8_t *buf = NULL, *raw = NULL;
	size_t len = 0;

	if (sig != NULL)
		*sig = NULL;
	if (sig_len != NULL)
		*sig_len = 0;
	if (key == NULL || key->pkey == NULL || sig == NULL || sig_len == NULL ||
	    (msg == NULL && msg_len > 0))
		return BIOAUTH_ERR_INVALID_ARG;
	r = resolve_sig_format(key, &format);
	if (r != BIOAUTH_OK)
		return r;
	r = BIOAUTH_ERR_CRYPTO;
	if (msg == NULL)
		msg = empty;

	mctx = EVP_MD_CTX_new();
	if (mctx == NULL) {
		r = BIOAUTH_ERR_NOMEM;
		goto out;
	}
	if (EVP_DigestSignInit_ex(mctx, &pctx, "SHA256", NULL, NULL, key->pkey, NULL) != 1)
		goto out;
	if (format == BIOAUTH_SIG_RSA_PKCS1) {
		if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)
			goto out;
	} else if (format == BIOAUTH_SIG_RSA_PSS) {
		if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
		    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, PSS_SALT_LEN) != 1 ||
		    EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, "SHA256", NULL) != 1)
			goto out;
	}
	if (EVP_DigestSign(mctx, NULL, &len, msg, msg_len) != 1 || len == 0 || len > 4096)
		goto out;
	buf = malloc(len);
	if (buf == NULL) {
		r = BIOAUTH_ERR_NOMEM;
		goto out;
	}
	if (EVP_DigestSign(mctx, buf, &len, msg, msg_len) != 1)
		goto out;
	if (format == BIOAUTH_SIG_EC_RAW) {
		r = ecdsa_der_to_raw(buf, len, &raw);
		if (r != BIOAUTH_OK)
			goto out;
		free(buf);
		buf = raw;
		len = EC_COORD_LEN * 2;
	}
	*sig = buf;
	*sig_len = len;
	buf = NULL;
	r = BIOAUTH_OK;
out:
	free(buf);
	EVP_MD_CTX_free(mctx);   /* frees pctx too */
	if (r == BIOAUTH_ERR_CRYPTO)
		ERR_clear_error();
	return r;
}

bioauth_err bioauth_key_sign_b64(const bioauth_key *key, const uint8_t *msg, size_t msg_len,
                                 bioauth_sig_format format, char **out)
{
	uint8_t *sig = NULL;
	size_t len = 0;
	bioauth_err r;

	if (out == NULL)
		return BIOAUTH_ERR_INVALID_ARG;
	*out = NULL;
	r = bioauth_key_sign(key, msg, msg_len, format, &sig, &len);
	if (r != BIOAUTH_OK)
		return r;
	r = bdev_b64_encode(sig, len, out);
	free(sig);
	return r;
}
