/*
 * pubkey.h - public keys registered by devices (docs/API.md "Key and
 * signature formats").
 *
 * Accepted input: base64 (either alphabet, padding optional, CR/LF line
 * breaks ignored) or PEM of
 *  - EC P-256: DER SubjectPublicKeyInfo, or the raw 65-byte uncompressed point;
 *  - RSA 2048..4096 bits: DER SubjectPublicKeyInfo or DER PKCS#1 RSAPublicKey.
 * Errors: BA_ERR_INVALID_KEY_ENCODING (not base64/PEM/DER, trailing bytes,
 * point not on the curve, compressed/odd-length point) and
 * BA_ERR_INVALID_KEY_TYPE (another curve or algorithm, RSA size out of range,
 * exponent even, < 3 or >= 2^256 - see pubkey.c, a type contradicting
 * `expected`).
 */
#ifndef BIOAUTH_CRYPTO_PUBKEY_H
#define BIOAUTH_CRYPTO_PUBKEY_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

/* Longest key text (base64 or PEM) or DER accepted. */
#define PUBKEY_MAX_TEXT 16384

struct sigctx_set;

struct pubkey {
	int key_type;      /* KEY_TYPE_EC or KEY_TYPE_RSA (crypto/keytype.h) */
	EVP_PKEY *pkey;
	uint8_t *der;      /* normalised DER SubjectPublicKeyInfo, malloc'd */
	size_t der_len;
	/* Verification contexts prepared for pkey (src/crypto/sigctx.h), a
	 * reference; NULL = made per verification. Set by pubkey_from_stored. */
	struct sigctx_set *ctx;
};

/* Parses device key text. expected_type: 0 = any, else KEY_TYPE_*. */
int pubkey_parse(const char *text, size_t len, int expected_type, struct pubkey *out);
/* Loads a stored DER SPKI (as produced by pubkey_parse). */
int pubkey_from_der(const uint8_t *der, size_t len, struct pubkey *out);
void pubkey_clear(struct pubkey *k);

/* pubkey_from_der() for the hot path: the parsed key comes from a bounded
 * in-process cache keyed by the SHA-256 of `der` (pubkey_cache.c), with
 * its verification contexts prepared once (ctx). *out has its own
 * references and no der (der NULL); pubkey_clear() it. */
int pubkey_from_stored(const uint8_t *der, size_t len, struct pubkey *out);
/* Frees every cached key (at exit, so leak checkers see a clean heap). */
void pubkey_cache_flush(void);
/* Frees the SHA-256 EVP_MD that signing and verification (here and in
 * jws.c) fetch once per process. At exit, when no other thread signs or
 * verifies; a later use fetches it again. */
void sig_cleanup(void);

/*
 * Verifies `sig` over SHA-256 of `msg`. EC: DER or raw 64-byte r||s.
 * RSA: PKCS#1 v1.5 or PSS (SHA-256, MGF1-SHA-256, salt length 32).
 * BA_OK if valid, BA_ERR_INVALID_SIGNATURE otherwise (BA_ERR_NOMEM when
 * memory runs out, which is not a failed signature). Details in sigverify.c.
 */
int sig_verify(const struct pubkey *k, const uint8_t *msg, size_t msg_len,
               const uint8_t *sig, size_t sig_len);
/*
 * One signature scheme only (sig_verify tries every scheme of the key's
 * type). For callers that know the scheme, and for the Wycheproof tests that
 * show each scheme alone gives exactly the expected verdicts.
 */
enum sig_scheme {
	SIG_SCHEME_ANY = 0,       /* what sig_verify does */
	SIG_SCHEME_ECDSA_DER = 1, /* strict DER ECDSA-Sig-Value */
	SIG_SCHEME_ECDSA_RAW = 2, /* exactly 64 bytes r||s */
	SIG_SCHEME_RSA_PKCS1 = 3, /* PKCS#1 v1.5, SHA-256 */
	SIG_SCHEME_RSA_PSS = 4,   /* PSS, SHA-256, MGF1-SHA-256, salt 32 */
};
int sig_verify_scheme(const struct pubkey *k, enum sig_scheme scheme,
                      const uint8_t *msg, size_t msg_len,
                      const uint8_t *sig, size_t sig_len);
/* Same with the signature as base64 (either alphabet, padding optional,
 * CR/LF ignored); undecodable base64 is BA_ERR_INVALID_SIGNATURE. */
int sig_verify_b64(const struct pubkey *k, const uint8_t *msg, size_t msg_len,
                   const char *sig_b64, size_t sig_b64_len);

#endif
