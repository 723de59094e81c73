/*
 * apple.c - Apple App Attest: the attestation object's nine checks, then
 * the assertion that binds the registered key to the attested app
 * instance.
 */
#include <stdlib.h>
#include <string.h>

#include <cbor.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "attest/anchors.h"
#include "attest/attest.h"
#include "attest/cbor_guard.h"
#include "attest/chain.h"
#include "attest/der.h"

#define CBOR_MAX_BYTES (32u * 1024u)
#define CBOR_MAX_DEPTH 4
#define CBOR_MAX_ITEMS 64
#define AUTH_DATA_MIN 37                 /* rpIdHash, flags, counter */
#define FLAG_ATTESTED 0x40

/* 1.2.840.113635.100.8.2, DER contents. */
static const uint8_t oid_apple_nonce[] = {
	0x2a, 0x86, 0x48, 0x86, 0xf7, 0x63, 0x64, 0x08, 0x02,
};
static const uint8_t aaguid_dev[16] = "appattestdevelop";
static const uint8_t aaguid_prod[16] = "appattest\0\0\0\0\0\0";

/* Parses bounded CBOR with libcbor into *out: ATTEST_OK, ATTEST_MALFORMED
 * (malformed or too large) or ATTEST_INTERNAL (libcbor out of memory). */
static enum attest_reason load(const uint8_t *p, size_t len, cbor_item_t **out)
{
	struct cbor_load_result res;

	*out = NULL;
	if (p == NULL || len == 0 || len > CBOR_MAX_BYTES ||
	    !cbor_guard(p, len, CBOR_MAX_DEPTH, CBOR_MAX_ITEMS))
		return ATTEST_MALFORMED;
	*out = cbor_load(p, len, &res);
	if (*out != NULL)
		return ATTEST_OK;
	return res.error.code == CBOR_ERR_MEMERROR ? ATTEST_INTERNAL : ATTEST_MALFORMED;
}

/* The value of text key `name` in map `m`; NULL when absent or when the
 * key occurs twice (which value counts would be a guess). */
static cbor_item_t *map_get(cbor_item_t *m, const char *name)
{
	size_t nl = strlen(name);
	cbor_item_t *v = NULL;

	if (m == NULL || !cbor_isa_map(m))
		return NULL;
	struct cbor_pair *pairs = cbor_map_handle(m);
	for (size_t i = 0; i < cbor_map_size(m); i++) {
		cbor_item_t *k = pairs[i].key;
		if (cbor_isa_string(k) && cbor_string_is_definite(k) &&
		    cbor_string_length(k) == nl &&
		    memcmp(cbor_string_handle(k), name, nl) == 0) {
			if (v != NULL)
				return NULL;
			v = pairs[i].value;
		}
	}
	return v;
}

/* A definite byte string's bytes, or false. */
static bool bytes_of(cbor_item_t *it, const uint8_t **p, size_t *len)
{
	if (it == NULL || !cbor_isa_bytestring(it) || !cbor_bytestring_is_definite(it))
		return false;
	*p = cbor_bytestring_handle(it);
	*len = cbor_bytestring_length(it);
	return *p != NULL || *len == 0;
}

/* out = SHA-256(a || b); false on a library failure. */
static bool sha256_2(const uint8_t *a, size_t al, const uint8_t *b, size_t bl,
                     uint8_t out[32])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	bool ok = c != NULL && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
	          EVP_DigestUpdate(c, a, al) == 1 && EVP_DigestUpdate(c, b, bl) == 1 &&
	          EVP_DigestFinal_ex(c, out, NULL) == 1;

	EVP_MD_CTX_free(c);
	return ok;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The nonce extension: SEQUENCE { [1] EXPLICIT OCTET STRING (32) }. */
static bool nonce_of(X509 *leaf, const uint8_t **nonce)
{
	int count;
	const ASN1_OCTET_STRING *ext = attest_cert_ext(leaf, oid_apple_nonce,
	                                                      sizeof(oid_apple_nonce), &count);
	struct der in, seq, tagged, oct;

	if (ext == NULL || count != 1)
		return false;
	in.p = ASN1_STRING_get0_data(ext);
	in.len = (size_t)ASN1_STRING_length(ext);
	if (!der_expect(&in, DER_UNIVERSAL, 16, true, &seq) || in.len != 0 ||
	    !der_expect(&seq, DER_CONTEXT, 1, true, &tagged) || seq.len != 0 ||
	    !der_expect(&tagged, DER_UNIVERSAL, 4, false, &oct) || tagged.len != 0 ||
	    oct.len != 32)
		return false;
	*nonce = oct.p;
	return true;
}

/* Key ID: SHA-256 of the leaf's uncompressed P-256 point (copied to
 * point[]). */
static enum attest_reason key_id_of(X509 *leaf, uint8_t out[32], uint8_t point[65])
{
	ASN1_OBJECT *alg = NULL;
	const unsigned char *pk = NULL;
	int pklen = 0;

	if (!X509_PUBKEY_get0_param(&alg, &pk, &pklen, NULL, X509_get_X509_PUBKEY(leaf)))
		return ATTEST_MALFORMED;
	if (OBJ_obj2nid(alg) != NID_X9_62_id_ecPublicKey)
		return ATTEST_UNSUPPORTED_KEY_ALGORITHM;
	if (pklen != 65 || pk[0] != 0x04)
		return ATTEST_MALFORMED;
	memcpy(point, pk, 65);
	return SHA256(pk, 65, out) != NULL ? ATTEST_OK : ATTEST_INTERNAL;
}

/* Step 6: rpIdHash against the allowed app IDs; records the match. */
static enum attest_reason check_app(const uint8_t *rp_id_hash,
                                    const struct attest_input *in,
                                    const struct attest_policy *pol,
                                    struct attest_verdict *v)
{
	uint8_t h[32];

	for (size_t i = 0; i < pol->n_apple_app_ids; i++) {
		const char *id = pol->apple_app_ids[i];
		if (SHA256((const unsigned char *)id, strlen(id), h) == NULL)
			return ATTEST_INTERNAL;
		if (CRYPTO_memcmp(h, rp_id_hash, 32) == 0) {
			snprintf(v->facts.app_id, sizeof(v->facts.app_id), "%s", id);
			return ATTEST_OK;
		}
	}
	return (in->skip & ATTEST_SKIP_APP_ID) ? ATTEST_OK : ATTEST_APP_ID_MISMATCH;
}

/* The binding assertion: signature by the attested key over
 * SHA-256(authenticatorData || SHA-256(clientData)), same rpIdHash,
 * counter above the previous one. */
static enum attest_reason check_assertion(const uint8_t *asn, size_t asn_len,
                                          X509 *leaf, const uint8_t *rp_id_hash,
                                          const struct attest_input *in,
                                          struct attest_verdict *v)
{
	cbor_item_t *root;
	enum attest_reason r = load(asn, asn_len, &root);
	const uint8_t *sig, *ad, *cd = in->assertion_client_data;
	size_t sig_len, ad_len, cd_len = in->assertion_client_data_len;
	uint8_t cd_hash[32], nonce[32];
	EVP_MD_CTX *md = NULL;
	EVP_PKEY *key = NULL;

	if (cd == NULL) {
		cd = in->public_key;
		cd_len = in->public_key_len;
	}
	if (r != ATTEST_OK)
		goto out;
	r = ATTEST_MALFORMED;
	if (!bytes_of(map_get(root, "signature"), &sig, &sig_len) ||
	    !bytes_of(map_get(root, "authenticatorData"), &ad, &ad_len) ||
	    ad_len < AUTH_DATA_MIN || cd == NULL)
		goto out;
	md = EVP_MD_CTX_new();
	if (md == NULL || SHA256(cd, cd_len, cd_hash) == NULL ||
	    !sha256_2(ad, ad_len, cd_hash, sizeof(cd_hash), nonce)) {
		r = ATTEST_INTERNAL;
		goto out;
	}
	if ((r = attest_cert_key(leaf, &key, ATTEST_MALFORMED)) != ATTEST_OK)
		goto out;
	ERR_clear_error();
	if (EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestVerify(md, sig, sig_len, nonce, sizeof(nonce)) != 1) {
		r = attest_ossl_oom() ? ATTEST_INTERNAL : ATTEST_ASSERTION_SIGNATURE_INVALID;
		goto out;
	}
	if (CRYPTO_memcmp(ad, rp_id_hash, 32) != 0) {
		r = ATTEST_APP_ID_MISMATCH;
		goto out;
	}
	v->facts.assertion_counter = be32(ad + 33);
	r = v->facts.assertion_counter > in->previous_counter ? ATTEST_OK
	                                                      : ATTEST_ASSERTION_COUNTER;
out:
	ERR_clear_error();
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	if (root != NULL)
		cbor_decref(&root);
	return r;
}

enum attest_reason attest_verify_apple(const uint8_t *att, size_t att_len,
                                       const uint8_t *key_id, size_t key_id_len,
                                       const uint8_t *asn, size_t asn_len,
                                       const struct attest_input *in,
                                       const struct attest_policy *pol,
                                       struct attest_verdict *v)
{
	enum attest_reason r = ATTEST_MALFORMED;
	cbor_item_t *root = NULL, *fmt, *x5c;
	X509 *x[ATTEST_MAX_CHAIN];
	const uint8_t *der[ATTEST_MAX_CHAIN], *ad, *nonce_ext, *cdh = in->client_data_hash;
	size_t lens[ATTEST_MAX_CHAIN], n = 0, ad_len, decoded = 0;
	uint8_t cdh_buf[32], nonce[32], *kid = v->facts.key_id;

	memset(v, 0, sizeof(*v));
	v->facts.format = ATTEST_FORMAT_APPLE_APPATTEST;
	if (att == NULL || att_len == 0) {
		r = ATTEST_MISSING;
		goto out;
	}
	if ((r = load(att, att_len, &root)) != ATTEST_OK)
		goto out;
	r = ATTEST_MALFORMED;
	if (!cbor_isa_map(root))
		goto out;
	fmt = map_get(root, "fmt");
	if (fmt == NULL || !cbor_isa_string(fmt) || !cbor_string_is_definite(fmt))
		goto out;
	if (cbor_string_length(fmt) != 15 ||
	    memcmp(cbor_string_handle(fmt), "apple-appattest", 15) != 0) {
		r = ATTEST_FORMAT_UNSUPPORTED;
		goto out;
	}
	x5c = map_get(map_get(root, "attStmt"), "x5c");
	if (x5c == NULL || !cbor_isa_array(x5c) || cbor_array_size(x5c) < 1 ||
	    cbor_array_size(x5c) > ATTEST_MAX_CHAIN ||
	    !bytes_of(map_get(root, "authData"), &ad, &ad_len))
		goto out;
	n = cbor_array_size(x5c);
	for (size_t i = 0; i < n; i++)
		if (!bytes_of(cbor_array_handle(x5c)[i], &der[i], &lens[i]))
			goto out;
	v->facts.chain_length = n;
	v->facts.security_level = ATTEST_LEVEL_SECURE_ENCLAVE;
	decoded = n;
	if ((r = attest_certs_decode(der, lens, n, x)) != ATTEST_OK)
		goto out;
	/* 1. Chain to the App Attestation root, every certificate in date. */
	for (size_t i = 0; i + 1 < n; i++) {
		if ((r = attest_link_ok(x[i], x[i + 1])) != ATTEST_OK) {
			attest_detail(v, "certificate %zu: issuer name or signature", i);
			goto out;
		}
	}
	if ((r = attest_anchors_trust(in->apple_anchors, true, x[n - 1])) != ATTEST_OK)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (!attest_cert_valid_at(x[i], in->at)) {
			attest_detail(v, "certificate %zu outside its validity", i);
			r = ATTEST_CERT_EXPIRED;
			goto out;
		}
	}
	/* 2-4. nonce = SHA-256(authData || clientDataHash) is the leaf's. */
	if (cdh == NULL && in->challenge != NULL) {
		if (SHA256(in->challenge, in->challenge_len, cdh_buf) == NULL) {
			r = ATTEST_INTERNAL;
			goto out;
		}
		cdh = cdh_buf;
	}
	if (!nonce_of(x[0], &nonce_ext)) {
		r = ATTEST_EXTENSION_MISSING;
		goto out;
	}
	if (!(in->skip & ATTEST_SKIP_CHALLENGE)) {
		if (cdh == NULL) {
			r = ATTEST_CHALLENGE_MISMATCH;
			goto out;
		}
		if (!sha256_2(ad, ad_len, cdh, 32, nonce)) {
			r = ATTEST_INTERNAL;
			goto out;
		}
		if (CRYPTO_memcmp(nonce, nonce_ext, 32) != 0) {
			r = ATTEST_CHALLENGE_MISMATCH;
			goto out;
		}
	}
	/* 5. Key ID = SHA-256 of the leaf's public point. */
	if ((r = key_id_of(x[0], kid, v->facts.app_attest_key)) != ATTEST_OK)
		goto out;
	if (!(in->skip & ATTEST_SKIP_KEY_ID) &&
	    (key_id == NULL || key_id_len != 32 || CRYPTO_memcmp(key_id, kid, 32) != 0)) {
		r = ATTEST_KEY_ID_MISMATCH;
		goto out;
	}
	/* 6. rpIdHash; 7. counter 0; 8. aaguid; 9. credential ID. */
	if (ad_len < AUTH_DATA_MIN + 18 || !(ad[32] & FLAG_ATTESTED)) {
		r = ATTEST_MALFORMED;
		goto out;
	}
	if ((r = check_app(ad, in, pol, v)) != ATTEST_OK)
		goto out;
	if (be32(ad + 33) != 0) {
		r = ATTEST_COUNTER_NONZERO;
		goto out;
	}
	const uint8_t *aaguid = ad + 37;
	bool dev = memcmp(aaguid, aaguid_dev, 16) == 0;
	bool prod = memcmp(aaguid, aaguid_prod, 16) == 0;
	if ((!dev && !prod) || (!(in->skip & ATTEST_SKIP_ENVIRONMENT) &&
	    dev != (pol->apple_environment == ATTEST_ENV_DEVELOPMENT))) {
		attest_detail(v, "authenticator is %s", dev ? "development"
		              : prod ? "production" : "unknown");
		r = ATTEST_ENVIRONMENT;
		goto out;
	}
	size_t cred_len = (size_t)ad[53] << 8 | ad[54];
	if (cred_len != 32 || ad_len - 55 < cred_len ||
	    CRYPTO_memcmp(ad + 55, kid, 32) != 0) {
		r = ATTEST_KEY_ID_MISMATCH;
		goto out;
	}
	/* The binding assertion. */
	if (in->skip & ATTEST_SKIP_ASSERTION)
		r = ATTEST_OK;
	else
		r = check_assertion(asn, asn_len, x[0], ad, in, v);
out:
	attest_certs_free(x, decoded);
	if (root != NULL)
		cbor_decref(&root);
	v->reason = r;
	return r;
}

enum attest_reason attest_apple_receipt(const uint8_t *att, size_t att_len,
                                        uint8_t **out, size_t *len)
{
	cbor_item_t *root;
	const uint8_t *p;
	enum attest_reason r = load(att, att_len, &root);

	*out = NULL;
	*len = 0;
	if (r != ATTEST_OK)
		goto out;
	r = ATTEST_MALFORMED;
	if (!bytes_of(map_get(map_get(root, "attStmt"), "receipt"), &p, len) ||
	    *len == 0)
		goto out;
	if ((*out = malloc(*len)) == NULL) {
		r = ATTEST_INTERNAL;
		goto out;
	}
	memcpy(*out, p, *len);
	r = ATTEST_OK;
out:
	if (r != ATTEST_OK)
		*len = 0;
	if (root != NULL)
		cbor_decref(&root);
	return r;
}

enum attest_reason attest_verify_payload(const struct attest_payload *p,
                                         const struct attest_input *in,
                                         const struct attest_policy *pol,
                                         struct attest_verdict *v)
{
	memset(v, 0, sizeof(*v));
	switch (p->format) {
	case ATTEST_FORMAT_ANDROID_KEY:
		return attest_verify_android((const uint8_t *const *)p->certs, p->cert_lens,
		                             p->n_certs, in, pol, v);
	case ATTEST_FORMAT_APPLE_APPATTEST:
		return attest_verify_apple(p->attestation, p->attestation_len, p->key_id,
		                           p->key_id_len, p->assertion, p->assertion_len,
		                           in, pol, v);
	default:
		v->reason = ATTEST_FORMAT_UNSUPPORTED;
		return v->reason;
	}
}
