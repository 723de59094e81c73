/*
 * sigctx.h - OpenSSL 3 signature contexts prepared once per key and copied
 * for each signature or verification, and the SHA-256 EVP_MD fetched once
 * per process. Internal to src/crypto (jws.c, jwk.c, sigverify.c,
 * pubkey.c, pubkey_cache.c).
 *
 * Why: OpenSSL 3.0 looks algorithms up by name, in lock-protected hash
 * tables, every time a digest-sign or digest-verify context is initialised:
 * the digest twice (EVP_DigestSignInit fetches it by name even when given
 * an EVP_MD, then the provider's own init fetches it again) and the
 * signature algorithm. Copying an initialised context (EVP_MD_CTX_copy_ex,
 * i.e. EVP_PKEY_CTX_dup: up-references and the provider's dupctx) looks
 * nothing up. A prepared context is never used itself, only copied, one
 * copy per call, so threads never share a context in use: a prepared set
 * is immutable and shared by every thread holding a reference.
 */
#ifndef BIOAUTH_CRYPTO_SIGCTX_H
#define BIOAUTH_CRYPTO_SIGCTX_H

#include <openssl/evp.h>

/*
 * What a context does. The algorithm follows from the key: P-256 and RSA
 * use SHA-256, Ed25519 no digest; RSA signs and verifies PKCS#1 v1.5, or
 * PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt (SIGCTX_VERIFY_PSS,
 * RSA keys only).
 */
enum sigctx_kind {
	SIGCTX_SIGN = 0,
	SIGCTX_VERIFY = 1,
	SIGCTX_VERIFY_PSS = 2,
};
#define SIGCTX_KINDS 3
#define SIGCTX_BIT(kind) (1u << (unsigned)(kind))

/* The prepared contexts of one key, reference-counted. */
struct sigctx_set;

/* The SHA-256 EVP_MD, fetched at first use; NULL when the fetch fails (it
 * is tried again at the next call). Valid until sig_cleanup(). */
const EVP_MD *sigctx_sha256(void);

/*
 * Prepares a context of each kind in `kinds` (SIGCTX_BIT mask) for pkey.
 * A kind that cannot be prepared (a key type without it, memory) is left
 * out and sigctx_get() makes that context per call, as without a set.
 * NULL when nothing could be prepared. The set holds its own references
 * to pkey.
 */
struct sigctx_set *sigctx_set_new(EVP_PKEY *pkey, unsigned kinds);
/* Another reference (s may be NULL; returns s). */
struct sigctx_set *sigctx_set_ref(struct sigctx_set *s);
void sigctx_set_release(struct sigctx_set *s);

/*
 * A context of `kind` for one operation on pkey, ready for EVP_DigestSign
 * or EVP_DigestVerify (one call); EVP_MD_CTX_free it. A copy of the
 * prepared one when `s` (may be NULL) was made for this pkey and holds
 * that kind, else a fresh one. BA_OK, BA_ERR_NOMEM (allocation or copy
 * failed) or BA_ERR_INTERNAL (the key cannot do `kind`).
 */
int sigctx_get(const struct sigctx_set *s, EVP_PKEY *pkey, enum sigctx_kind kind,
               EVP_MD_CTX **out);

#endif
