/*
 * sigverify.c - verification of device signatures over challenges.
 *
 * Decisions (docs/API.md "Key and signature formats"):
 *
 *  - ECDSA P-256/SHA-256. A signature that is strict DER (ecsig.c: no BER,
 *    no trailing bytes, no negative or non-minimal integers) is verified as
 *    DER. A signature of exactly 64 bytes is (also) verified as raw r||s.
 *    Nothing else is tried: a 64-byte blob that is not strict DER is only
 *    ever raw, so a malformed DER encoding cannot become valid through the
 *    fallback unless its 64 bytes happen to be a valid r||s signature of the
 *    same message under the same key - which is a genuine signature. Strict
 *    DER is at least 8 and at most 72 bytes for P-256, so a raw signature is
 *    misread as DER only if its first bytes form a complete DER structure
 *    (probability < 2^-40); it is then still tried as raw.
 *  - RSA. PKCS#1 v1.5 with SHA-256 (the DigestInfo must carry the NULL
 *    parameters: OpenSSL refuses the legacy form without it), then PSS with
 *    SHA-256, MGF1-SHA-256 and a salt of exactly 32 bytes - the salt length
 *    iOS (SecKey rsaSignatureMessagePSSSHA256) and Android
 *    (SHA256withRSA/PSS) use. Other salt lengths are refused: a verifier that
 *    accepted any salt length would accept signatures no supported device
 *    makes. The signature must be exactly as long as the modulus.
 *  - The EVP contexts (digest, padding, PSS parameters) are set up in
 *    sigctx.c: prepared once per key for keys from the stored-key cache
 *    and copied per verification, else made per verification.
 *  - Because a key does not record which RSA scheme its device uses, a valid
 *    PKCS#1 v1.5 signature is accepted where a PSS one was expected and the
 *    other way round. Wycheproof marks such "WrongPrimitive" vectors
 *    invalid; test_sigverify.c lists them. sig_verify_scheme checks one
 *    scheme alone.
 */
#ifndef OPENSSL_NO_DEPRECATED
#define OPENSSL_NO_DEPRECATED
#endif
#include "crypto/pubkey.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "common/error.h"
#include "crypto/ecsig.h"
#include "crypto/encoding.h"
#include "crypto/keytype.h"
#include "crypto/sigctx.h"

#define P256_RAW_SIG_LEN 64
/* Longest signature (RSA-4096 is 512 bytes) and its base64 text. */
#define SIG_MAX_LEN 512
#define SIG_MAX_B64 2048

/*
 * One EVP verification of `sig` over SHA-256(msg) with k's key: `kind` is
 * SIGCTX_VERIFY (ECDSA, or RSA PKCS#1 v1.5) or SIGCTX_VERIFY_PSS. The
 * context is a copy of the one prepared for the key (k->ctx, from the
 * stored-key cache) or made here. BA_OK when valid, BA_ERR_NOMEM when
 * memory ran out before verifying, else BA_ERR_INVALID_SIGNATURE.
 */
static int
evp_verify(const struct pubkey *k, enum sigctx_kind kind, const uint8_t *msg, size_t msg_len,
           const uint8_t *sig, size_t sig_len)
{
	EVP_MD_CTX *mctx = NULL;
	int r;

	r = sigctx_get(k->ctx, k->pkey, kind, &mctx);
	if (r != BA_OK)
		return r == BA_ERR_NOMEM ? r : BA_ERR_INVALID_SIGNATURE;
	r = EVP_DigestVerify(mctx, sig, sig_len, msg, msg_len) == 1 ?
	    BA_OK : BA_ERR_INVALID_SIGNATURE;
	ERR_clear_error();
	EVP_MD_CTX_free(mctx);
	return r;
}

/* ECDSA with the signature read as strict DER. */
static int
verify_ec_der(const struct pubkey *k, const uint8_t *msg, size_t msg_len,
              const uint8_t *sig, size_t sig_len)
{
	uint8_t raw[P256_RAW_SIG_LEN];

	if (ecsig_der_to_raw(sig, sig_len, P256_RAW_SIG_LEN / 2, raw) != BA_OK)
		return BA_ERR_INVALID_SIGNATURE;
	return evp_verify(k, SIGCTX_VERIFY, msg, msg_len, sig, sig_len);
}

/* ECDSA with the signature read as 64 bytes r||s. */
static int
verify_ec_raw(const struct pubkey *k, const uint8_t *msg, size_t msg_len,
              const uint8_t *sig, size_t sig_len)
{
	uint8_t der[ECSIG_DER_MAX];
	size_t der_len = 0;

	if (sig_len != P256_RAW_SIG_LEN ||
	    ecsig_raw_to_der(sig, sig_len, der, &der_len) != BA_OK)
		return BA_ERR_INVALID_SIGNATURE;
	return evp_verify(k, SIGCTX_VERIFY, msg, msg_len, der, der_len);
}

/*
 * Verifies with one scheme, or every scheme of the key's type for
 * SIG_SCHEME_ANY. BA_OK, BA_ERR_INVALID_SIGNATURE, or BA_ERR_NOMEM.
 */
int
sig_verify_scheme(const struct pubkey *k, enum sig_scheme scheme,
                  const uint8_t *msg, size_t msg_len,
                  const uint8_t *sig, size_t sig_len)
{
	int r;

	if (k == NULL || k->pkey == NULL || (msg == NULL && msg_len != 0) ||
	    sig == NULL || sig_len == 0 || sig_len > SIG_MAX_LEN)
		return BA_ERR_INVALID_SIGNATURE;
	if (k->key_type == KEY_TYPE_EC) {
		switch (scheme) {
		case SIG_SCHEME_ANY:
			r = verify_ec_der(k, msg, msg_len, sig, sig_len);
			if (r == BA_ERR_INVALID_SIGNATURE && sig_len == P256_RAW_SIG_LEN)
				r = verify_ec_raw(k, msg, msg_len, sig, sig_len);
			return r;
		case SIG_SCHEME_ECDSA_DER:
			return verify_ec_der(k, msg, msg_len, sig, sig_len);
		case SIG_SCHEME_ECDSA_RAW:
			return verify_ec_raw(k, msg, msg_len, sig, sig_len);
		default:
			return BA_ERR_INVALID_SIGNATURE;
		}
	}
	if (k->key_type != KEY_TYPE_RSA || sig_len != (size_t)EVP_PKEY_get_size(k->pkey))
		return BA_ERR_INVALID_SIGNATURE;
	switch (scheme) {
	case SIG_SCHEME_ANY:
		r = evp_verify(k, SIGCTX_VERIFY, msg, msg_len, sig, sig_len);
		if (r == BA_ERR_INVALID_SIGNATURE)
			r = evp_verify(k, SIGCTX_VERIFY_PSS, msg, msg_len, sig, sig_len);
		return r;
	case SIG_SCHEME_RSA_PKCS1:
		return evp_verify(k, SIGCTX_VERIFY, msg, msg_len, sig, sig_len);
	case SIG_SCHEME_RSA_PSS:
		return evp_verify(k, SIGCTX_VERIFY_PSS, msg, msg_len, sig, sig_len);
	default:
		return BA_ERR_INVALID_SIGNATURE;
	}
}

int
sig_verify(const struct pubkey *k, const uint8_t *msg, size_t msg_len,
           const uint8_t *sig, size_t sig_len)
{
	return sig_verify_scheme(k, SIG_SCHEME_ANY, msg, msg_len, sig, sig_len);
}

int
sig_verify_b64(const struct pubkey *k, const uint8_t *msg, size_t msg_len,
               const char *sig_b64, size_t sig_b64_len)
{
	uint8_t *sig = NULL;
	size_t sig_len = 0;
	int r;

	if (sig_b64 == NULL || sig_b64_len == 0 || sig_b64_len > SIG_MAX_B64)
		return BA_ERR_INVALID_SIGNATURE;
	r = b64_decode_any_lines(sig_b64, sig_b64_len, &sig, &sig_len);
	if (r != BA_OK)
		return r == BA_ERR_NOMEM ? r : BA_ERR_INVALID_SIGNATURE;
	r = sig_verify(k, msg, msg_len, sig, sig_len);
	free(sig);
	return r;
}
