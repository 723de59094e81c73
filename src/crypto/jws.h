/*
 * jws.h - JWS compact serialization (RFC 7515) with ES256, RS256, EdDSA.
 *
 * A jws_key carries its algorithm; verification uses the key's algorithm
 * and refuses a token whose header names another one (so "none" and
 * RS256->HS256 confusion cannot happen).
 */
#ifndef BIOAUTH_CRYPTO_JWS_H
#define BIOAUTH_CRYPTO_JWS_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

enum jws_alg { JWS_ES256 = 1, JWS_RS256 = 2, JWS_EDDSA = 3 };

/* Longest compact JWS signed or verified, and longest kid. */
#define JWS_MAX_COMPACT_LEN 16384
#define JWS_MAX_KID_LEN 256

struct sigctx_set;

struct jws_key {
	char *kid;
	enum jws_alg alg;
	EVP_PKEY *pkey;     /* private for signing, public is enough to verify */
	/* Signing and verification contexts prepared once for pkey by the
	 * constructors below (src/crypto/sigctx.h) and copied per signature;
	 * NULL = made per call. Owned by the key. */
	struct sigctx_set *ctx;
};

/*
 * Key functions (src/crypto/jwk.c) return BA_OK, BA_ERR_INVALID_KEY_ENCODING
 * (unparsable PEM or JWK, private and public halves that do not match),
 * BA_ERR_INVALID_KEY_TYPE (not a key of the algorithm: ES256 = P-256,
 * RS256 = RSA 2048..4096 bits, EdDSA = Ed25519), BA_ERR_INVALID_REQUEST (bad
 * arguments, kid longer than JWS_MAX_KID_LEN), BA_ERR_NOMEM or
 * BA_ERR_INTERNAL.
 */

/* "ES256" -> JWS_ES256; 0 if unknown. And back (NULL if unknown). */
enum jws_alg jws_alg_parse(const char *name);
const char *jws_alg_name(enum jws_alg alg);

/* New key pair (P-256, RSA 2048, Ed25519) with the given kid (copied). */
int jws_key_generate(enum jws_alg alg, const char *kid, struct jws_key **out);
/* From a PKCS#8 PEM private key, or a public key PEM. */
int jws_key_from_pem(enum jws_alg alg, const char *kid, const char *pem, struct jws_key **out);
/* From a JWK JSON object text (public or private), for tests and tools. */
int jws_key_from_jwk(const char *jwk_json, size_t len, struct jws_key **out);
/* PKCS#8 PEM of the private key; *pem malloc'd, wipe with OPENSSL_cleanse. */
int jws_key_private_pem(const struct jws_key *k, char **pem);
/* The public JWK as JSON text {"kty","crv"/"n","x"/"e","y"?,"kid","alg","use":"sig"}. */
int jws_key_public_jwk(const struct jws_key *k, char **json);
void jws_key_free(struct jws_key *k);

/*
 * Signs: header {"alg":<k->alg>,"typ":typ,"kid":k->kid} (typ omitted when
 * NULL) and the payload bytes as given. *compact malloc'd.
 */
int jws_sign(const struct jws_key *k, const char *typ, const char *payload,
             size_t payload_len, char **compact);

/* Signs a caller-made protected header (for test vectors). */
int jws_sign_raw(const struct jws_key *k, const char *header_json, size_t header_len,
                 const char *payload, size_t payload_len, char **compact);

/* Looks up the key for `kid` (never NULL for a known kid); returns NULL when
 * unknown. The returned key must stay valid until jws_verify returns. */
typedef const struct jws_key *(*jws_key_lookup_fn)(const char *kid, void *arg);

/*
 * Verifies a compact JWS: three base64url segments, a JSON header with a
 * string "kid" known to `lookup` and an "alg" equal to that key's algorithm,
 * no "crit", a valid signature. On BA_OK *payload (malloc'd, NUL-terminated)
 * and optionally *typ (malloc'd, NULL if absent) are returned.
 * Errors: BA_ERR_INVALID_TOKEN for anything malformed or unverifiable.
 */
int jws_verify(const char *compact, size_t len, jws_key_lookup_fn lookup, void *arg,
               char **payload, size_t *payload_len, char **typ);

/* Verifies with one given key (RFC 7515 / JOSE cookbook vectors); the header
 * alg must match the key. kid is not required. */
int jws_verify_with_key(const char *compact, size_t len, const struct jws_key *k,
                        char **payload, size_t *payload_len);

/* The signature primitive under both: `sig` in JWS form (ES256: 64 bytes
 * r||s; RS256: PKCS#1 v1.5, modulus-sized; EdDSA: 64 bytes) over `input`
 * with k's algorithm. BA_OK or BA_ERR_INVALID_TOKEN. */
int jws_signature_verify(const struct jws_key *k, const uint8_t *input, size_t input_len,
                         const uint8_t *sig, size_t sig_len);

#endif
