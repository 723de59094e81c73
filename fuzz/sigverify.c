/*
 * sigverify.c - fuzzes device-signature decoding and verification
 * (src/crypto/sigverify.c, src/crypto/ecsig.c) with a fixed EC P-256 key
 * and a fixed RSA-2048 key.
 *
 * Input: [2 control bytes][selector][msg length][msg][rest...].
 * Selector bit 0: the key (EC, RSA); bits 1-3: the scheme
 * (enum sig_scheme, 5..7 = ANY); bits 4-5: the mode:
 *  0  sig_verify_scheme(key, scheme, msg, rest as signature bytes);
 *  1  sig_verify_b64(key, msg, rest as base64 text);
 *  2  sign msg with the private key (EC: DER ECDSA; RSA: PKCS#1 v1.5, or
 *     PSS when bit 6 is set) and check that the signature verifies in
 *     every form the server accepts (DER, raw r||s, base64 with CR/LF
 *     inserted at a position taken from rest) and under the right schemes
 *     only, and that one flipped bit (position from rest) of the signature
 *     or of the message makes it fail;
 *  3  ecsig_der_to_raw / ecsig_raw_to_der on rest: strict DER has exactly
 *     one encoding, so each direction round-trips, and the reader accepts
 *     exactly what OpenSSL's d2i_ECDSA_SIG reads and re-encodes to the
 *     same bytes.
 */
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <string.h>

#include "common/error.h"
#include "crypto/ecsig.h"
#include "crypto/encoding.h"
#include "crypto/keytype.h"
#include "crypto/pubkey.h"
#include "fuzz_common.h"

struct sv_key {
	EVP_PKEY *priv;
	struct pubkey pub;
};

static struct sv_key sv_keys[2];

/* Loads the fixed private key and its public half as pubkey_from_der sees
 * a stored key. */
static void
sv_load(struct sv_key *k, const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	unsigned char *der = NULL;
	int n;

	if (bio == NULL || (k->priv = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)) == NULL ||
	    (n = i2d_PUBKEY(k->priv, &der)) <= 0 ||
	    pubkey_from_der(der, (size_t)n, &k->pub) != BA_OK) {
		fprintf(stderr, "sigverify: cannot load a fixed key\n");
		abort();
	}
	OPENSSL_free(der);
	BIO_free(bio);
}

/* Signs SHA-256 of msg (harness side, injection disarmed). */
static size_t
sv_sign(EVP_PKEY *pkey, bool pss, const uint8_t *msg, size_t msg_len, uint8_t *sig, size_t cap)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	size_t n = cap;

	if (m == NULL || EVP_DigestSignInit(m, &pctx, EVP_sha256(), NULL, pkey) != 1 ||
	    (pss && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	             EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) != 1 ||
	             EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) != 1)) ||
	    EVP_DigestSign(m, sig, &n, msg, msg_len) != 1) {
		fprintf(stderr, "sigverify: signing failed\n");
		abort();
	}
	EVP_MD_CTX_free(m);
	return n;
}

/* Verifies under injection; true when it must be judged (no failure hit). */
static bool
sv_verify(const struct pubkey *k, enum sig_scheme scheme, const uint8_t *msg, size_t msg_len,
          const uint8_t *sig, size_t sig_len, int *r)
{
	fuzz_alloc_begin();
	*r = sig_verify_scheme(k, scheme, msg, msg_len, sig, sig_len);
	if (fuzz_alloc_end()) {
		FUZZ_CHECK(*r == BA_OK || *r == BA_ERR_INVALID_SIGNATURE || *r == BA_ERR_NOMEM);
		return false;
	}
	return true;
}

#define SV_EXPECT(k, scheme, msg, mlen, sig, slen, want) do { \
	int sv_r_; \
	if (sv_verify((k), (scheme), (msg), (mlen), (sig), (slen), &sv_r_)) \
		FUZZ_CHECK(sv_r_ == (want)); \
} while (0)

static void
sv_consistency(const struct sv_key *k, bool pss, uint8_t *msg, size_t msg_len,
               const uint8_t *rest, size_t rest_len)
{
	uint8_t sig[600], raw[64];
	size_t n, pos = rest_len > 0 ? rest[0] : 0, pos2 = rest_len > 1 ? rest[1] : 0;
	char *b64 = NULL, *wrapped;
	size_t blen, cut;
	bool ec = k->pub.key_type == KEY_TYPE_EC;
	int r;

	n = sv_sign(k->priv, pss && !ec, msg, msg_len, sig, sizeof(sig));
	SV_EXPECT(&k->pub, SIG_SCHEME_ANY, msg, msg_len, sig, n, BA_OK);
	if (ec) {
		SV_EXPECT(&k->pub, SIG_SCHEME_ECDSA_DER, msg, msg_len, sig, n, BA_OK);
		FUZZ_CHECK(ecsig_der_to_raw(sig, n, 32, raw) == BA_OK);
		SV_EXPECT(&k->pub, SIG_SCHEME_ANY, msg, msg_len, raw, 64, BA_OK);
		SV_EXPECT(&k->pub, SIG_SCHEME_ECDSA_RAW, msg, msg_len, raw, 64, BA_OK);
		SV_EXPECT(&k->pub, SIG_SCHEME_RSA_PKCS1, msg, msg_len, sig, n,
		          BA_ERR_INVALID_SIGNATURE);
	} else {
		SV_EXPECT(&k->pub, pss ? SIG_SCHEME_RSA_PSS : SIG_SCHEME_RSA_PKCS1,
		          msg, msg_len, sig, n, BA_OK);
		SV_EXPECT(&k->pub, pss ? SIG_SCHEME_RSA_PKCS1 : SIG_SCHEME_RSA_PSS,
		          msg, msg_len, sig, n, BA_ERR_INVALID_SIGNATURE);
		SV_EXPECT(&k->pub, SIG_SCHEME_ECDSA_DER, msg, msg_len, sig, n,
		          BA_ERR_INVALID_SIGNATURE);
	}
	/* Base64 with a line break, as Android's Base64.DEFAULT wraps. */
	FUZZ_CHECK(b64_encode(sig, n, &b64) == BA_OK);
	blen = strlen(b64);
	cut = pos % (blen + 1);
	wrapped = malloc(blen + 3);
	if (wrapped == NULL)
		abort();
	memcpy(wrapped, b64, cut);
	memcpy(wrapped + cut, "\r\n", 2);
	memcpy(wrapped + cut + 2, b64 + cut, blen - cut + 1);
	fuzz_alloc_begin();
	r = sig_verify_b64(&k->pub, msg, msg_len, wrapped, blen + 2);
	if (!fuzz_alloc_end())
		FUZZ_CHECK(r == BA_OK);
	free(wrapped);
	free(b64);
	/* One flipped bit breaks it. */
	sig[pos % n] ^= (uint8_t)(1u << (pos2 & 7));
	SV_EXPECT(&k->pub, SIG_SCHEME_ANY, msg, msg_len, sig, n, BA_ERR_INVALID_SIGNATURE);
	sig[pos % n] ^= (uint8_t)(1u << (pos2 & 7));
	if (msg_len > 0) {
		msg[pos2 % msg_len] ^= (uint8_t)(1u << (pos & 7));
		SV_EXPECT(&k->pub, SIG_SCHEME_ANY, msg, msg_len, sig, n, BA_ERR_INVALID_SIGNATURE);
	}
}

/* OpenSSL's verdict on b as a strict DER signature of P-256 width: read,
 * re-encoded to the same bytes, both integers non-negative and at most 32
 * bytes. The r||s in raw when true. (An allocation failure inside counts
 * as a refusal: callers only compare when none was injected.) */
static bool
sv_reference_der(const uint8_t *b, size_t n, uint8_t raw[64])
{
	const unsigned char *p = b;
	unsigned char *re = NULL;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)n);
	const BIGNUM *r, *s;
	bool ok = false;
	int len;

	if (sig == NULL || p != b + n)
		goto out;
	len = i2d_ECDSA_SIG(sig, &re);
	if (len <= 0 || (size_t)len != n || memcmp(re, b, n) != 0)
		goto out;
	ECDSA_SIG_get0(sig, &r, &s);
	ok = !BN_is_negative(r) && !BN_is_negative(s) &&
	     BN_bn2binpad(r, raw, 32) == 32 && BN_bn2binpad(s, raw + 32, 32) == 32;
out:
	ERR_clear_error();
	OPENSSL_free(re);
	ECDSA_SIG_free(sig);
	return ok;
}

/* Strict DER <-> r||s round trips. Neither direction allocates. */
static void
sv_ecsig(const uint8_t *b, size_t n)
{
	uint8_t raw[ECSIG_MAX_LEN], raw2[ECSIG_MAX_LEN], der[ECSIG_DER_MAX];
	size_t der_len = 0;
	int r1, r2;

	r1 = ecsig_der_to_raw(b, n, 32, raw);
	r2 = ecsig_raw_to_der(b, n, der, &der_len);
	if (n > 0 && n <= ECSIG_MAX_LEN) {
		uint8_t ref[64];
		bool ref_ok, failed;

		fuzz_alloc_begin();
		ref_ok = sv_reference_der(b, n, ref);
		failed = fuzz_alloc_end();
		if (!failed) {
			FUZZ_CHECK(ref_ok == (r1 == BA_OK));
			FUZZ_CHECK(!ref_ok || memcmp(ref, raw, 64) == 0);
		}
	}
	if (r1 == BA_OK) {
		uint8_t back[ECSIG_DER_MAX];
		size_t back_len = 0;
		FUZZ_CHECK(ecsig_raw_to_der(raw, 64, back, &back_len) == BA_OK);
		FUZZ_CHECK(back_len == n && memcmp(back, b, n) == 0);
	}
	if (r2 == BA_OK) {
		FUZZ_CHECK(n % 2 == 0 && n <= ECSIG_MAX_LEN && der_len <= ECSIG_DER_MAX);
		/* The DER of the widest r||s (2 x 128 bytes) is longer than
		 * ECSIG_MAX_LEN, which der_to_raw refuses: only shorter ones
		 * come back (P-256's are 64 bytes). */
		if (der_len <= ECSIG_MAX_LEN) {
			FUZZ_CHECK(ecsig_der_to_raw(der, der_len, n / 2, raw2) == BA_OK);
			FUZZ_CHECK(memcmp(raw2, b, n) == 0);
		}
	} else {
		FUZZ_CHECK(n == 0 || n % 2 != 0 || n > ECSIG_MAX_LEN);
	}
}

FUZZ_TARGET(sigverify)
{
	static bool loaded;
	const struct sv_key *k;
	uint8_t sel, *msg;
	const uint8_t *m;
	size_t mlen;
	enum sig_scheme scheme;
	bool failed;
	int r;

	alloc_fail_install();
	fuzz_warm_up();
	if (!loaded) {
		sv_load(&sv_keys[0], fuzz_ec_pem);
		sv_load(&sv_keys[1], fuzz_rsa_pem);
		loaded = true;
	}
	fuzz_take_alloc_control(&data, &size);
	sel = fuzz_take_u8(&data, &size);
	m = fuzz_take(&data, &size, fuzz_take_u8(&data, &size), &mlen);
	msg = (uint8_t *)fuzz_strndup(m, mlen);   /* owned copy: mode 2 flips bits */
	k = &sv_keys[sel & 1];
	scheme = (enum sig_scheme)((sel >> 1) & 7);
	if (scheme > SIG_SCHEME_RSA_PSS)
		scheme = SIG_SCHEME_ANY;

	switch ((sel >> 4) & 3) {
	case 0:
		fuzz_alloc_begin();
		r = sig_verify_scheme(&k->pub, scheme, msg, mlen, data, size);
		failed = fuzz_alloc_end();
		FUZZ_CHECK(r == BA_OK || r == BA_ERR_INVALID_SIGNATURE || (failed && r == BA_ERR_NOMEM));
		break;
	case 1:
		fuzz_alloc_begin();
		r = sig_verify_b64(&k->pub, msg, mlen, (const char *)data, size);
		failed = fuzz_alloc_end();
		FUZZ_CHECK(r == BA_OK || r == BA_ERR_INVALID_SIGNATURE || (failed && r == BA_ERR_NOMEM));
		break;
	case 2:
		sv_consistency(k, (sel & 0x40) != 0, msg, mlen, data, size);
		break;
	default:
		sv_ecsig(data, size);
		break;
	}
	free(msg);
	return 0;
}
