/*
 * android.c - Android Key Attestation: the checks Google's own verifier
 * makes, in its order, then the app's policy.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "attest/anchors.h"
#include "attest/attest.h"
#include "attest/chain.h"
#include "attest/keydesc.h"
#include "common/error.h"
#include "crypto/encoding.h"

/* 1.3.6.1.4.1.11129.2.1.17, DER contents. */
static const uint8_t oid_key_description[] = {
	0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x01, 0x11,
};

/* Leaf key: EC or RSA (what bioauth registers); anything else, such as
 * ML-DSA, is a clean refusal. Then it must be the registered key. */
static enum attest_reason check_leaf_key(X509 *leaf, const struct attest_input *in)
{
	X509_PUBKEY *pub = X509_get_X509_PUBKEY(leaf);
	ASN1_OBJECT *alg = NULL;
	unsigned char *der = NULL;
	enum attest_reason r;

	if (pub == NULL || !X509_PUBKEY_get0_param(&alg, NULL, NULL, NULL, pub))
		return ATTEST_MALFORMED;
	int nid = OBJ_obj2nid(alg);
	if (nid != NID_X9_62_id_ecPublicKey && nid != NID_rsaEncryption)
		return ATTEST_UNSUPPORTED_KEY_ALGORITHM;
	if (in->skip & ATTEST_SKIP_PUBLIC_KEY)
		return ATTEST_OK;
	int n = i2d_X509_PUBKEY(pub, &der);
	if (n <= 0)
		return ATTEST_INTERNAL;
	r = in->public_key != NULL && (size_t)n == in->public_key_len &&
	    CRYPTO_memcmp(der, in->public_key, (size_t)n) == 0
	    ? ATTEST_OK : ATTEST_KEY_MISMATCH;
	OPENSSL_free(der);
	return r;
}

/* A remotely provisioned (RKP) chain has a Google "Droid CA" intermediate;
 * every other chain was provisioned in the factory. */
static bool is_rkp(X509 *const *x, size_t n)
{
	char buf[64];

	for (size_t i = 1; i < n; i++) {
		X509_NAME *s = X509_get_subject_name(x[i]);
		if (X509_NAME_get_text_by_NID(s, NID_organizationName, buf, sizeof(buf)) > 0 &&
		    strcmp(buf, "Google LLC") == 0 &&
		    X509_NAME_get_text_by_NID(s, NID_commonName, buf, sizeof(buf)) > 0 &&
		    strncmp(buf, "Droid CA", 8) == 0)
			return true;
	}
	return false;
}

/* The highest intermediate: the certificate under a self-issued root, or
 * the top of a chain sent without its root. */
static size_t top_intermediate(X509 *const *x, size_t n)
{
	X509 *top = x[n - 1];

	if (n > 1 && X509_NAME_cmp(X509_get_subject_name(top), X509_get_issuer_name(top)) == 0)
		return n - 2;
	return n - 1;
}

/*
 * Validity as Google's verifier checks it: never the leaf's (its dates are
 * set on the device) nor the root's; every intermediate must have started
 * its validity; its expiry is ignored only in a factory-provisioned chain
 * (highest intermediate named by a serialNumber attribute), whose keys
 * cannot be rotated.
 */
static enum attest_reason check_validity(X509 *const *x, size_t n, time_t at,
                                         struct attest_verdict *v)
{
	size_t top = top_intermediate(x, n);
	bool factory = top >= 1 &&
	               X509_NAME_get_index_by_NID(X509_get_subject_name(x[top]),
	                                          NID_serialNumber, -1) >= 0;

	for (size_t i = 1; i <= top; i++) {
		enum attest_validity val = attest_cert_validity(x[i], at);
		if (val == ATTEST_VALID || (val == ATTEST_EXPIRED && factory))
			continue;
		attest_detail(v, "certificate %zu %s", i,
		              val == ATTEST_EXPIRED ? "expired" : "not yet valid");
		return ATTEST_CERT_EXPIRED;
	}
	return ATTEST_OK;
}

static enum attest_level level_of(uint64_t km_level)
{
	switch (km_level) {
	case 0: return ATTEST_LEVEL_SOFTWARE;
	case 1: return ATTEST_LEVEL_TEE;
	case 2: return ATTEST_LEVEL_STRONGBOX;
	default: return ATTEST_LEVEL_UNKNOWN;
	}
}

/* One allowed-app entry "PACKAGE:SHA256B64" against the
 * AttestationApplicationId: ATTEST_OK, ATTEST_APP_ID_MISMATCH or
 * ATTEST_INTERNAL (decoding the digest ran out of memory). */
static enum attest_reason app_allowed(const struct der *app_id, const char *entry)
{
	const char *colon = strrchr(entry, ':');
	uint8_t *digest = NULL;
	size_t dlen = 0;
	enum attest_reason r = ATTEST_APP_ID_MISMATCH;

	if (colon == NULL || colon == entry)
		return r;
	int e = b64_decode_any(colon + 1, strlen(colon + 1), &digest, &dlen);
	if (e == BA_ERR_NOMEM)
		r = ATTEST_INTERNAL;
	else if (e == BA_OK && dlen == 32 &&
	         keydesc_app_matches(app_id, entry, (size_t)(colon - entry), digest))
		r = ATTEST_OK;
	free(digest);
	return r;
}

/* The checks on the parsed KeyDescription, then the policy's. */
static enum attest_reason check_keydesc(const struct keydesc *kd,
                                        const struct attest_input *in,
                                        const struct attest_policy *pol,
                                        struct attest_verdict *v)
{
	const struct keydesc_authlist *hw = &kd->hw;
	const struct der *app_id = hw->has_app_id ? &hw->app_id
	                           : kd->sw.has_app_id ? &kd->sw.app_id : NULL;
	struct attest_facts *f = &v->facts;

	f->attestation_version = (long)kd->attestation_version;
	f->security_level = level_of(kd->attestation_security_level);
	f->user_auth_required = !hw->no_auth_required && hw->has_user_auth_type &&
	                        hw->user_auth_type != 0;
	f->biometric = f->user_auth_required &&
	               (hw->user_auth_type & KM_AUTH_FINGERPRINT) != 0;
	f->verified_boot = hw->has_root_of_trust && hw->device_locked &&
	                   hw->verified_boot_state == KM_BOOT_VERIFIED;
	if (app_id != NULL)
		keydesc_first_package(app_id, f->app_id, sizeof(f->app_id));

	if (!(in->skip & ATTEST_SKIP_CHALLENGE) &&
	    (in->challenge == NULL || kd->challenge.len != in->challenge_len ||
	     CRYPTO_memcmp(kd->challenge.p, in->challenge, in->challenge_len) != 0))
		return ATTEST_CHALLENGE_MISMATCH;
	if (kd->attestation_security_level != kd->keymint_security_level ||
	    f->security_level < ATTEST_LEVEL_TEE) {
		attest_detail(v, "attestation level %llu, KeyMint level %llu",
		              (unsigned long long)kd->attestation_security_level,
		              (unsigned long long)kd->keymint_security_level);
		return ATTEST_SECURITY_LEVEL;
	}
	if (pol->min_security_level > ATTEST_LEVEL_TEE &&
	    f->security_level < pol->min_security_level)
		return ATTEST_SECURITY_LEVEL;
	if (!hw->has_origin || hw->origin != KM_ORIGIN_GENERATED)
		return ATTEST_KEY_ORIGIN;
	if (!(hw->purposes & (1u << KM_PURPOSE_SIGN)))
		return ATTEST_KEY_PURPOSE;
	if (!hw->has_root_of_trust)
		return ATTEST_ROOT_OF_TRUST;

	if (pol->require_verified_boot && !f->verified_boot)
		return ATTEST_ROOT_OF_TRUST;
	if ((pol->require_user_auth || pol->require_biometric) && !f->user_auth_required)
		return ATTEST_USER_AUTH_NOT_REQUIRED;
	if (pol->require_biometric && !f->biometric)
		return ATTEST_BIOMETRIC_NOT_BOUND;
	if (pol->n_android_apps > 0) {
		enum attest_reason r = ATTEST_APP_ID_MISMATCH;
		for (size_t i = 0; i < pol->n_android_apps && r == ATTEST_APP_ID_MISMATCH &&
		                   app_id != NULL; i++)
			r = app_allowed(app_id, pol->android_apps[i]);
		return r;
	}
	return ATTEST_OK;
}

enum attest_reason attest_verify_android(const uint8_t *const *certs,
                                         const size_t *lens, size_t n,
                                         const struct attest_input *in,
                                         const struct attest_policy *pol,
                                         struct attest_verdict *v)
{
	X509 *x[ATTEST_MAX_CHAIN];
	struct keydesc kd;
	const ASN1_OCTET_STRING *ext;
	enum attest_reason r;
	int count = 0;
	size_t decoded = 0;

	memset(v, 0, sizeof(*v));
	v->facts.format = ATTEST_FORMAT_ANDROID_KEY;
	v->facts.chain_length = n;
	if (n == 0) {
		r = ATTEST_MISSING;
		goto out;
	}
	if (n > ATTEST_MAX_CHAIN) {
		r = ATTEST_MALFORMED;
		goto out;
	}
	decoded = n;
	if ((r = attest_certs_decode(certs, lens, n, x)) != ATTEST_OK)
		goto out;
	if ((r = check_leaf_key(x[0], in)) != ATTEST_OK)
		goto out;
	for (size_t i = 0; i + 1 < n; i++) {
		if ((r = attest_link_ok(x[i], x[i + 1])) != ATTEST_OK) {
			attest_detail(v, "certificate %zu: issuer name or signature", i);
			goto out;
		}
	}
	if ((r = attest_anchors_trust(in->android_anchors, false, x[n - 1])) != ATTEST_OK)
		goto out;
	v->facts.factory_provisioned = !is_rkp(x, n);
	if ((r = check_validity(x, n, in->at, v)) != ATTEST_OK)
		goto out;
	for (size_t i = 0; i < n && in->revocation != NULL; i++) {
		const ASN1_INTEGER *sn = X509_get0_serialNumber(x[i]);
		if (attest_revocation_listed(in->revocation, ASN1_STRING_get0_data(sn),
		                             (size_t)ASN1_STRING_length(sn))) {
			attest_detail(v, "certificate %zu is on the status list", i);
			r = ATTEST_REVOKED;
			goto out;
		}
	}
	for (size_t i = 1; i < n; i++) {
		if (attest_cert_ext(x[i], oid_key_description, sizeof(oid_key_description), &count) != NULL) {
			attest_detail(v, "KeyDescription on certificate %zu", i);
			r = ATTEST_CHAIN_INVALID;
			goto out;
		}
	}
	ext = attest_cert_ext(x[0], oid_key_description, sizeof(oid_key_description),
	                      &count);
	if (ext == NULL || count != 1) {
		r = ATTEST_EXTENSION_MISSING;
		goto out;
	}
	if (!keydesc_parse(ASN1_STRING_get0_data(ext), (size_t)ASN1_STRING_length(ext), &kd)) {
		attest_detail(v, "KeyDescription does not parse");
		r = ATTEST_MALFORMED;
		goto out;
	}
	r = check_keydesc(&kd, in, pol, v);
out:
	attest_certs_free(x, decoded);
	v->reason = r;
	return r;
}
