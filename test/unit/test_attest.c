/*
 * test_attest.c - key attestation verification (src/attest/) over the real
 * vectors of test/vectors/attestation/: every Android chain and Apple App
 * Attest object at its manifest's verifyAt gets its expected verdict and
 * reason, plus derived negatives (other challenge, key, app, environment,
 * today's time, revoked serial, untrusted root) and the policy checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ctype.h>

#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "attest/attest.h"
#include "attest/cbor_guard.h"
#include "attest/keydesc.h"
#include "common/error.h"
#include "crypto/encoding.h"

#define VEC "test/vectors/attestation/"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* A PEM chain, leaf first, as DER buffers. */
struct chain {
	size_t n;
	uint8_t *der[ATTEST_MAX_CHAIN];
	size_t len[ATTEST_MAX_CHAIN];
	uint8_t *leaf_spki;
	size_t leaf_spki_len;
};

static void chain_load(const char *path, struct chain *c)
{
	size_t len;
	char *pem = slurp(path, &len);
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	X509 *x;

	memset(c, 0, sizeof(*c));
	assert_non_null(bio);
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		unsigned char *d = NULL;
		int n = i2d_X509(x, &d);
		assert_true(n > 0 && c->n < ATTEST_MAX_CHAIN);
		c->der[c->n] = malloc((size_t)n);
		memcpy(c->der[c->n], d, (size_t)n);
		c->len[c->n++] = (size_t)n;
		OPENSSL_free(d);
		if (c->n == 1) {
			unsigned char *s = NULL;
			int sn = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &s);
			assert_true(sn > 0);
			c->leaf_spki = malloc((size_t)sn);
			memcpy(c->leaf_spki, s, (size_t)sn);
			c->leaf_spki_len = (size_t)sn;
			OPENSSL_free(s);
		}
		X509_free(x);
	}
	ERR_clear_error();
	BIO_free(bio);
	free(pem);
	assert_true(c->n > 0);
}

static void chain_free(struct chain *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->der[i]);
	free(c->leaf_spki);
	memset(c, 0, sizeof(*c));
}

static uint8_t *unhex(const char *h, size_t *len)
{
	size_t n = strlen(h) / 2;
	uint8_t *b = malloc(n + 1);

	assert_non_null(b);
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		assert_int_equal(sscanf(h + 2 * i, "%2x", &v), 1);
		b[i] = (uint8_t)v;
	}
	*len = n;
	return b;
}

static time_t at(const char *rfc3339)
{
	time_t t;

	assert_true(attest_time_parse(rfc3339, &t));
	return t;
}

static const struct attest_policy no_policy;

/* Verifies the chain at `path` with the leaf's own key as registered key. */
static enum attest_reason verify_chain(const char *path, const char *when,
                                       const char *challenge_hex,
                                       const struct attest_policy *pol,
                                       const struct attest_revocation *rl,
                                       const struct attest_anchors *anchors,
                                       struct attest_verdict *v)
{
	struct chain c;
	struct attest_input in;
	size_t clen = 0;
	uint8_t *ch = unhex(challenge_hex, &clen);

	chain_load(path, &c);
	memset(&in, 0, sizeof(in));
	in.at = at(when);
	in.challenge = ch;
	in.challenge_len = clen;
	in.public_key = c.leaf_spki;
	in.public_key_len = c.leaf_spki_len;
	in.revocation = rl;
	in.android_anchors = anchors;
	enum attest_reason r = attest_verify_android((const uint8_t *const *)c.der, c.len,
	                                             c.n, &in, pol, v);
	chain_free(&c);
	free(ch);
	return r;
}

/* The first word of a manifest verdict ("accept", "attestation_x: ..."). */
static void expected_reason(const char *verdict, char *out, size_t cap)
{
	size_t n = strcspn(verdict, " :");
	if (strncmp(verdict, "accept", 6) == 0)
		snprintf(out, cap, "ok");
	else
		snprintf(out, cap, "%.*s", (int)n, verdict);
}

static enum attest_level level_named(const char *s)
{
	if (strcmp(s, "STRONG_BOX") == 0)
		return ATTEST_LEVEL_STRONGBOX;
	if (strcmp(s, "TRUSTED_ENVIRONMENT") == 0)
		return ATTEST_LEVEL_TEE;
	return ATTEST_LEVEL_SOFTWARE;
}

/* Every Android chain with a verifyAt gets the manifest's verdict. */
static void test_android_vectors(void **state)
{
	(void)state;
	json_t *m = json_load_file(VEC "android/manifest.json", 0, NULL), *e;
	size_t i, checked = 0, accepted = 0;

	assert_non_null(m);
	json_array_foreach(json_object_get(m, "vectors"), i, e) {
		const char *file = json_string_value(json_object_get(e, "file"));
		const char *when = json_string_value(json_object_get(e, "verifyAt"));
		const char *ch = json_string_value(json_object_get(e, "expectedChallengeHex"));
		const char *verdict = json_string_value(json_object_get(e, "expected_default_verdict"));
		json_t *facts = json_object_get(e, "facts");
		char path[512], want[64];
		struct attest_verdict v;

		if (when == NULL || ch == NULL || verdict == NULL)
			continue;
		snprintf(path, sizeof(path), VEC "android/%s", file);
		expected_reason(verdict, want, sizeof(want));
		verify_chain(path, when, ch, &no_policy, NULL, NULL, &v);
		if (strcmp(attest_reason_name(v.reason), want) != 0)
			fail_msg("%s: got %s (%s), want %s", file, attest_reason_name(v.reason),
			         v.facts.detail, want);
		if (v.reason == ATTEST_OK) {
			const char *lvl = json_string_value(json_object_get(facts,
			                                    "attestationSecurityLevel"));
			assert_int_equal(v.facts.security_level, level_named(lvl));
			assert_int_equal(v.facts.attestation_version,
			                 json_integer_value(json_object_get(facts, "attestationVersion")));
			bool want_rkp = strcmp(json_string_value(json_object_get(e, "provisioning")),
			                       "RKP") == 0;
			assert_int_equal(v.facts.factory_provisioned, !want_rkp);
			accepted++;
		}
		checked++;
	}
	assert_int_equal(checked, 13);
	assert_int_equal(accepted, 8);
	json_decref(m);
}

#define CAIMAN VEC "android/keyattestation/caiman/sdk36/TEE_EC_RKP.pem"
#define CAIMAN_AT "2025-09-26T15:31:20.964Z"
#define CAIMAN_CH "64363838643736332d363131382d346361362d393462322d653663643965643765346534"
#define BLUELINE VEC "android/keyattestation/blueline/sdk28/TEE_EC_NONE.pem"
#define BLUELINE_AT "2018-09-28T23:40:35.062Z"
#define SB_USERAUTH VEC "android/keyattestation/blueline/sdk28/SB_RSA_NONE_USERAUTH.pem"
#define SB_USERAUTH_AT "2020-08-29T08:21:07.129Z"
#define CHALLENGE_HEX "6368616c6c656e6765"
#define TODAY "2026-12-04T00:00:00Z"

static void test_android_negatives(void **state)
{
	(void)state;
	struct attest_verdict v;
	struct chain c;
	struct attest_input in;

	/* Other challenge. */
	assert_int_equal(verify_chain(CAIMAN, CAIMAN_AT, "00", &no_policy, NULL, NULL, &v),
	                 ATTEST_CHALLENGE_MISMATCH);
	/* Same length, last byte changed. */
	assert_int_equal(verify_chain(CAIMAN, CAIMAN_AT,
	                              "64363838643736332d363131382d346361362d393462322d653663643965643765346535",
	                              &no_policy, NULL, NULL, &v), ATTEST_CHALLENGE_MISMATCH);
	/* Today: the RKP intermediates have expired; a factory chain's
	 * intermediates are not checked, and the leaf never is. */
	assert_int_equal(verify_chain(CAIMAN, TODAY, CAIMAN_CH, &no_policy, NULL, NULL, &v),
	                 ATTEST_CERT_EXPIRED);
	assert_int_equal(verify_chain(BLUELINE, TODAY, CHALLENGE_HEX, &no_policy, NULL, NULL, &v),
	                 ATTEST_OK);
	/* A factory chain after its intermediates expired (2028) is accepted,
	 * as Google's verifier accepts it; before they existed it is not. */
	assert_int_equal(verify_chain(BLUELINE, "2030-01-01T00:00:00Z", CHALLENGE_HEX, &no_policy,
	                              NULL, NULL, &v), ATTEST_OK);
	assert_int_equal(verify_chain(BLUELINE, "2017-01-01T00:00:00Z", CHALLENGE_HEX, &no_policy,
	                              NULL, NULL, &v), ATTEST_CERT_EXPIRED);
	assert_string_equal(v.facts.detail, "certificate 1 not yet valid");
	/* Before the RKP intermediates existed. */
	assert_int_equal(verify_chain(CAIMAN, "2020-01-01T00:00:00Z", CAIMAN_CH, &no_policy,
	                              NULL, NULL, &v), ATTEST_CERT_EXPIRED);

	/* Other registered key. */
	chain_load(CAIMAN, &c);
	struct chain other;
	chain_load(BLUELINE, &other);
	memset(&in, 0, sizeof(in));
	in.at = at(CAIMAN_AT);
	in.challenge = (const uint8_t *)"d688d763-6118-4ca6-94b2-e6cd9ed7e4e4";
	in.challenge_len = strlen((const char *)in.challenge);
	in.public_key = other.leaf_spki;
	in.public_key_len = other.leaf_spki_len;
	assert_int_equal(attest_verify_android((const uint8_t *const *)c.der, c.len, c.n,
	                                       &in, &no_policy, &v), ATTEST_KEY_MISMATCH);
	/* No registered key at all is a mismatch too, unless skipped. */
	in.public_key = NULL;
	in.public_key_len = 0;
	assert_int_equal(attest_verify_android((const uint8_t *const *)c.der, c.len, c.n,
	                                       &in, &no_policy, &v), ATTEST_KEY_MISMATCH);
	in.skip = ATTEST_SKIP_PUBLIC_KEY;
	assert_int_equal(attest_verify_android((const uint8_t *const *)c.der, c.len, c.n,
	                                       &in, &no_policy, &v), ATTEST_OK);
	/* Chain sent without its root: the top verifies under the pinned key. */
	in.skip = 0;
	in.public_key = c.leaf_spki;
	in.public_key_len = c.leaf_spki_len;
	assert_int_equal(attest_verify_android((const uint8_t *const *)c.der, c.len, c.n - 1,
	                                       &in, &no_policy, &v), ATTEST_OK);
	/* Leaf alone: nothing links it to an anchor. */
	assert_int_equal(attest_verify_android((const uint8_t *const *)c.der, c.len, 1,
	                                       &in, &no_policy, &v), ATTEST_UNTRUSTED_ROOT);
	/* A missing link: the leaf's issuer is not the next certificate. */
	const uint8_t *gap[2] = { c.der[0], c.der[2] };
	size_t gap_len[2] = { c.len[0], c.len[2] };
	assert_int_equal(attest_verify_android(gap, gap_len, 2, &in, &no_policy, &v),
	                 ATTEST_CHAIN_INVALID);
	/* Links out of order: the first certificate is not the registered key. */
	const uint8_t *swapped[2] = { c.der[1], c.der[0] };
	size_t swapped_len[2] = { c.len[1], c.len[0] };
	assert_int_equal(attest_verify_android(swapped, swapped_len, 2, &in, &no_policy, &v),
	                 ATTEST_KEY_MISMATCH);
	/* Truncated certificate. */
	size_t short_len[ATTEST_MAX_CHAIN];
	memcpy(short_len, c.len, sizeof(short_len));
	short_len[1] -= 1;
	assert_int_equal(attest_verify_android((const uint8_t *const *)c.der, short_len, c.n,
	                                       &in, &no_policy, &v), ATTEST_MALFORMED);
	chain_free(&other);

	/* Revoked: the status list names the intermediate's serial. */
	X509 *x;
	const unsigned char *p = c.der[1];
	x = d2i_X509(NULL, &p, (long)c.len[1]);
	assert_non_null(x);
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = BN_bn2hex(bn);
	for (char *q = hex; *q; q++)
		*q = (char)tolower((unsigned char)*q);
	char *h = hex;
	while (*h == '0' && h[1] != '\0')
		h++;
	char json[256];
	snprintf(json, sizeof(json),
	         "{\"entries\": {\"%s\": {\"status\": \"REVOKED\", \"reason\": \"KEY_COMPROMISE\"}}}", h);
	struct attest_revocation *rl = NULL;
	assert_int_equal(attest_revocation_from_json(json, strlen(json), &rl), BA_OK);
	assert_int_equal(verify_chain(CAIMAN, CAIMAN_AT, CAIMAN_CH, &no_policy, rl, NULL, &v),
	                 ATTEST_REVOKED);
	assert_int_equal(verify_chain(BLUELINE, BLUELINE_AT, CHALLENGE_HEX, &no_policy, rl,
	                              NULL, &v), ATTEST_OK);
	attest_revocation_free(rl);
	OPENSSL_free(hex);
	BN_free(bn);
	X509_free(x);
	chain_free(&c);
}

/* Google's sample status list lists the suspended test certificate. */
static void test_revocation_sample(void **state)
{
	(void)state;
	size_t len;
	char *text = slurp(VEC "android/revocation/status-sample.json", &len);
	struct attest_revocation *rl = NULL;
	struct chain c;

	assert_int_equal(attest_revocation_from_json(text, len, &rl), BA_OK);
	chain_load(VEC "android/revocation/suspended-cert-cc66e9a93713b6e643b26c15879786f7.pem", &c);
	const unsigned char *p = c.der[0];
	X509 *x = d2i_X509(NULL, &p, (long)c.len[0]);
	const ASN1_INTEGER *sn = X509_get0_serialNumber(x);
	assert_true(attest_revocation_listed(rl, ASN1_STRING_get0_data(sn),
	                                     (size_t)ASN1_STRING_length(sn)));
	static const uint8_t other[] = { 0x00, 0xcc, 0x66 };
	assert_false(attest_revocation_listed(rl, other, sizeof(other)));
	static const uint8_t listed[] = { 0x5c, 0xb8, 0x5c, 0xe7, 0x6a, 0x59, 0x07, 0x85 };
	assert_true(attest_revocation_listed(rl, listed, sizeof(listed)) ==
	            (strstr(text, "\"5cb85ce76a590785\"") != NULL));
	X509_free(x);
	chain_free(&c);
	attest_revocation_free(rl);
	free(text);
	/* Not the status format. */
	assert_int_equal(attest_revocation_from_json("[]", 2, &rl), BA_ERR_CONFIG);
	assert_int_equal(attest_revocation_from_json("{\"entries\":{\"XYZ\":{\"status\":\"REVOKED\"}}}",
	                 44, &rl), BA_ERR_CONFIG);
	assert_null(rl);
}

static struct attest_anchors *anchors_from(const char *path)
{
	size_t len;
	char *pem = slurp(path, &len);
	struct attest_anchors *a = NULL;

	assert_int_equal(attest_anchors_from_pem(pem, len, &a), BA_OK);
	free(pem);
	return a;
}

/* Anchors replace the defaults: a software root trusted on purpose, a
 * private test root; Google chains are then untrusted. */
static void test_android_anchors(void **state)
{
	(void)state;
	struct attest_verdict v;
	struct attest_anchors *a = anchors_from(VEC "android/roots/android-software-root-ec.pem");

	/* Trusting the software root gets past the chain, and the software
	 * security level is what refuses it then. */
	assert_int_equal(verify_chain(VEC "android/keyattestation/marlin/sdk29/TEE_EC_NONE.pem",
	                              "2019-10-29T00:21:52Z", CHALLENGE_HEX, &no_policy, NULL, a, &v),
	                 ATTEST_SECURITY_LEVEL);
	assert_int_equal(v.facts.security_level, ATTEST_LEVEL_SOFTWARE);
	assert_int_equal(verify_chain(BLUELINE, BLUELINE_AT, CHALLENGE_HEX, &no_policy, NULL, a, &v),
	                 ATTEST_UNTRUSTED_ROOT);
	attest_anchors_free(a);

	/* The synthetic chain under its own "Test Root": the chain is fine,
	 * but its leaf's KeyDescription is a placeholder (an OCTET STRING). */
	a = anchors_from(VEC "android/keyattestation/p256_sha384_intermediate.pem");
	assert_int_equal(verify_chain(VEC "android/keyattestation/p256_sha384_intermediate.pem",
	                              "2025-01-01T00:00:00Z", "00", &no_policy, NULL, a, &v),
	                 ATTEST_MALFORMED);
	/* Its intermediate is neither factory (serialNumber) nor remotely
	 * provisioned: once expired (2034), it is refused. */
	assert_int_equal(verify_chain(VEC "android/keyattestation/p256_sha384_intermediate.pem",
	                              "2035-01-01T00:00:00Z", "00", &no_policy, NULL, a, &v),
	                 ATTEST_CERT_EXPIRED);
	assert_string_equal(v.facts.detail, "certificate 1 expired");
	attest_anchors_free(a);
	assert_int_equal(verify_chain(VEC "android/keyattestation/p256_sha384_intermediate.pem",
	                              "2025-01-01T00:00:00Z", "00", &no_policy, NULL, NULL, &v),
	                 ATTEST_UNTRUSTED_ROOT);
	/* The defaults include the 2016 RSA root's key: the 2016 certificate
	 * as sole anchor trusts the blueline chain (issued under it). */
	a = anchors_from(VEC "android/roots/google-root-rsa-2016.pem");
	assert_int_equal(verify_chain(BLUELINE, BLUELINE_AT, CHALLENGE_HEX, &no_policy, NULL, a, &v),
	                 ATTEST_OK);
	attest_anchors_free(a);
	a = NULL;
	assert_int_equal(attest_anchors_from_pem("nothing", 7, &a), BA_ERR_CONFIG);
	assert_null(a);
}

static void test_android_policy(void **state)
{
	(void)state;
	struct attest_verdict v;
	struct attest_policy pol;

	memset(&pol, 0, sizeof(pol));
	pol.require_user_auth = true;
	assert_int_equal(verify_chain(CAIMAN, CAIMAN_AT, CAIMAN_CH, &pol, NULL, NULL, &v),
	                 ATTEST_USER_AUTH_NOT_REQUIRED);
	assert_int_equal(verify_chain(SB_USERAUTH, SB_USERAUTH_AT, CHALLENGE_HEX, &pol, NULL, NULL, &v),
	                 ATTEST_OK);
	assert_true(v.facts.user_auth_required);
	assert_true(v.facts.biometric);          /* userAuthType 3: password | fingerprint */
	pol.require_biometric = true;
	assert_int_equal(verify_chain(SB_USERAUTH, SB_USERAUTH_AT, CHALLENGE_HEX, &pol, NULL, NULL, &v),
	                 ATTEST_OK);

	memset(&pol, 0, sizeof(pol));
	pol.require_biometric = true;
	assert_int_equal(verify_chain(BLUELINE, BLUELINE_AT, CHALLENGE_HEX, &pol, NULL, NULL, &v),
	                 ATTEST_USER_AUTH_NOT_REQUIRED);

	memset(&pol, 0, sizeof(pol));
	pol.require_verified_boot = true;
	assert_int_equal(verify_chain(BLUELINE, BLUELINE_AT, CHALLENGE_HEX, &pol, NULL, NULL, &v),
	                 ATTEST_ROOT_OF_TRUST);
	assert_int_equal(verify_chain(CAIMAN, CAIMAN_AT, CAIMAN_CH, &pol, NULL, NULL, &v), ATTEST_OK);
	assert_true(v.facts.verified_boot);

	memset(&pol, 0, sizeof(pol));
	pol.min_security_level = ATTEST_LEVEL_STRONGBOX;
	assert_int_equal(verify_chain(CAIMAN, CAIMAN_AT, CAIMAN_CH, &pol, NULL, NULL, &v),
	                 ATTEST_SECURITY_LEVEL);
	assert_int_equal(verify_chain(VEC "android/keyattestation/caiman/sdk36/SB_EC_RKP.pem",
	                              "2025-09-26T15:30:46.327Z",
	                              "37636361633165612d343834352d343832652d383538642d663666613961613863323935",
	                              &pol, NULL, NULL, &v), ATTEST_OK);
	assert_int_equal(v.facts.security_level, ATTEST_LEVEL_STRONGBOX);

	memset(&pol, 0, sizeof(pol));
	const char *apps[] = { "com.example.other:EDk47kU35Z6O55L2VFBPuDRvxrNG0LvEQV/DOfz8jsE=",
	                       "com.google.android.attestation:EDk47kU35Z6O55L2VFBPuDRvxrNG0LvEQV_DOfz8jsE" };
	pol.android_apps = apps;
	pol.n_android_apps = 1;
	assert_int_equal(verify_chain(CAIMAN, CAIMAN_AT, CAIMAN_CH, &pol, NULL, NULL, &v),
	                 ATTEST_APP_ID_MISMATCH);
	pol.n_android_apps = 2;
	assert_int_equal(verify_chain(CAIMAN, CAIMAN_AT, CAIMAN_CH, &pol, NULL, NULL, &v), ATTEST_OK);
	assert_string_equal(v.facts.app_id, "com.google.android.attestation");
	const char *wrong_digest[] = { "com.google.android.attestation:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=" };
	pol.android_apps = wrong_digest;
	pol.n_android_apps = 1;
	assert_int_equal(verify_chain(CAIMAN, CAIMAN_AT, CAIMAN_CH, &pol, NULL, NULL, &v),
	                 ATTEST_APP_ID_MISMATCH);
}

/* The leaf's KeyDescription of `path`, parsed. */
static bool parse_leaf_keydesc(const char *path, struct keydesc *kd, X509 **leaf)
{
	struct chain c;
	const unsigned char *p;
	ASN1_OBJECT *obj = OBJ_txt2obj("1.3.6.1.4.1.11129.2.1.17", 1);

	chain_load(path, &c);
	p = c.der[0];
	*leaf = d2i_X509(NULL, &p, (long)c.len[0]);
	chain_free(&c);
	int i = X509_get_ext_by_OBJ(*leaf, obj, -1);
	ASN1_OBJECT_free(obj);
	assert_true(i >= 0);
	ASN1_OCTET_STRING *d = X509_EXTENSION_get_data(X509_get_ext(*leaf, i));
	return keydesc_parse(ASN1_STRING_get0_data(d), (size_t)ASN1_STRING_length(d), kd);
}

static void test_keydesc_lenient(void **state)
{
	(void)state;
	struct keydesc kd;
	X509 *leaf = NULL;

	/* allowWhileOnBody [506] is skipped; tags out of order parse. */
	assert_true(parse_leaf_keydesc(VEC "android/keyattestation/allow_while_on_body.pem", &kd, &leaf));
	assert_true(kd.hw.purposes & (1u << KM_PURPOSE_SIGN));
	X509_free(leaf);
	assert_true(parse_leaf_keydesc(VEC "android/keyattestation/invalid/tags_not_in_ascending_order.pem",
	                               &kd, &leaf));
	assert_int_equal(kd.hw.origin, KM_ORIGIN_GENERATED);
	assert_true(kd.hw.has_root_of_trust);
	X509_free(leaf);
	/* deviceLocked encoded 0x01 (not DER's 0xff) reads as true. */
	assert_true(parse_leaf_keydesc(VEC "android/keyattestation/invalid/malformed_rot_device_locked.pem",
	                               &kd, &leaf));
	assert_true(kd.hw.device_locked);
	assert_int_equal(kd.attestation_version, 3);
	X509_free(leaf);

	/* Versions outside 1-400 and truncated input are refused. */
	static const uint8_t v0[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };
	assert_false(keydesc_parse(v0, sizeof(v0), &kd));
	static const uint8_t v401[] = { 0x30, 0x04, 0x02, 0x02, 0x01, 0x91 };
	assert_false(keydesc_parse(v401, sizeof(v401), &kd));
	static const uint8_t trunc[] = { 0x30, 0x10, 0x02, 0x01, 0x03 };
	assert_false(keydesc_parse(trunc, sizeof(trunc), &kd));
	static const uint8_t indefinite[] = { 0x30, 0x80, 0x02, 0x01, 0x03, 0x00, 0x00 };
	assert_false(keydesc_parse(indefinite, sizeof(indefinite), &kd));

	/* hardwareEnforced { [702] origin GENERATED } parses; the same list
	 * with [702] twice (the second saying IMPORTED) is refused. */
	static const uint8_t one_origin[] = {
		0x30, 0x1b, 0x02, 0x01, 0x03, 0x0a, 0x01, 0x01, 0x02, 0x01, 0x04,
		0x0a, 0x01, 0x01, 0x04, 0x00, 0x04, 0x00, 0x30, 0x00,
		0x30, 0x07, 0xbf, 0x85, 0x3e, 0x03, 0x02, 0x01, 0x00,
	};
	assert_true(keydesc_parse(one_origin, sizeof(one_origin), &kd));
	assert_true(kd.hw.has_origin);
	assert_int_equal(kd.hw.origin, KM_ORIGIN_GENERATED);
	static const uint8_t two_origins[] = {
		0x30, 0x22, 0x02, 0x01, 0x03, 0x0a, 0x01, 0x01, 0x02, 0x01, 0x04,
		0x0a, 0x01, 0x01, 0x04, 0x00, 0x04, 0x00, 0x30, 0x00,
		0x30, 0x0e, 0xbf, 0x85, 0x3e, 0x03, 0x02, 0x01, 0x00,
		0xbf, 0x85, 0x3e, 0x03, 0x02, 0x01, 0x02,
	};
	assert_false(keydesc_parse(two_origins, sizeof(two_origins), &kd));
	/* Two [1] purpose SETs (ENCRYPT, then SIGN) are refused, not merged. */
	static const uint8_t two_purposes[] = {
		0x30, 0x22, 0x02, 0x01, 0x03, 0x0a, 0x01, 0x01, 0x02, 0x01, 0x04,
		0x0a, 0x01, 0x01, 0x04, 0x00, 0x04, 0x00, 0x30, 0x00,
		0x30, 0x0e, 0xa1, 0x05, 0x31, 0x03, 0x02, 0x01, 0x00,
		0xa1, 0x05, 0x31, 0x03, 0x02, 0x01, 0x02,
	};
	assert_false(keydesc_parse(two_purposes, sizeof(two_purposes), &kd));
	/* One [1] purpose SET with both is fine. */
	static const uint8_t purposes[] = {
		0x30, 0x1e, 0x02, 0x01, 0x03, 0x0a, 0x01, 0x01, 0x02, 0x01, 0x04,
		0x0a, 0x01, 0x01, 0x04, 0x00, 0x04, 0x00, 0x30, 0x00,
		0x30, 0x0a, 0xa1, 0x08, 0x31, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x02,
	};
	assert_true(keydesc_parse(purposes, sizeof(purposes), &kd));
	assert_int_equal(kd.hw.purposes, (1u << 0) | (1u << KM_PURPOSE_SIGN));
}

/* A certificate for `key` named CN=subject, issued by CN=issuer and signed
 * by `signer`, valid for an hour either side of now, with the
 * KeyDescription `kd` (NULL: none; `copies` of it otherwise). */
static X509 *make_cert(EVP_PKEY *key, const char *subject, const char *issuer,
                       EVP_PKEY *signer, const uint8_t *kd, size_t kd_len, int copies)
{
	X509 *x = X509_new();
	X509_NAME *n;

	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 7), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), -3600));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
	assert_int_equal(X509_set_pubkey(x, key), 1);
	for (int i = 0; i < 2; i++) {
		n = X509_NAME_new();
		assert_non_null(n);
		assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
		                 (const unsigned char *)(i == 0 ? subject : issuer), -1, -1, 0), 1);
		assert_int_equal(i == 0 ? X509_set_subject_name(x, n) : X509_set_issuer_name(x, n), 1);
		X509_NAME_free(n);
	}
	for (int i = 0; kd != NULL && i < copies; i++) {
		ASN1_OBJECT *o = OBJ_txt2obj("1.3.6.1.4.1.11129.2.1.17", 1);
		ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
		assert_true(o != NULL && os != NULL && ASN1_OCTET_STRING_set(os, kd, (int)kd_len) == 1);
		X509_EXTENSION *e = X509_EXTENSION_create_by_OBJ(NULL, o, 0, os);
		assert_non_null(e);
		assert_int_equal(X509_add_ext(x, e, -1), 1);
		X509_EXTENSION_free(e);
		ASN1_OCTET_STRING_free(os);
		ASN1_OBJECT_free(o);
	}
	assert_true(X509_sign(x, signer, EVP_sha256()) > 0);
	return x;
}

/* Verifies [leaf, attested, root] under `root` as the only anchor. */
static enum attest_reason verify_synthetic(X509 *leaf, X509 *mid, X509 *root,
                                           struct attest_verdict *v)
{
	X509 *xs[3] = { leaf, mid, root };
	uint8_t *der[3] = { NULL, NULL, NULL };
	size_t len[3];
	struct attest_anchors *a = NULL;
	struct attest_input in;
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem;

	assert_non_null(bio);
	assert_int_equal(PEM_write_bio_X509(bio, root), 1);
	long pem_len = BIO_get_mem_data(bio, &pem);
	assert_int_equal(attest_anchors_from_pem(pem, (size_t)pem_len, &a), BA_OK);
	for (int i = 0; i < 3; i++) {
		int n = i2d_X509(xs[i], &der[i]);
		assert_true(n > 0);
		len[i] = (size_t)n;
	}
	memset(&in, 0, sizeof(in));
	in.at = time(NULL);
	in.skip = ATTEST_SKIP_CHALLENGE | ATTEST_SKIP_PUBLIC_KEY;
	in.android_anchors = a;
	enum attest_reason r = attest_verify_android((const uint8_t *const *)der, len, 3, &in,
	                                             &no_policy, v);
	for (int i = 0; i < 3; i++)
		OPENSSL_free(der[i]);
	attest_anchors_free(a);
	BIO_free(bio);
	return r;
}

/* The KeyDescription belongs on the leaf only: a key that holds an attested
 * certificate must not be able to sign a new "leaf" below it with a
 * KeyDescription of its choosing (chain extension). */
static void test_android_chain_extension(void **state)
{
	(void)state;
	/* TEE, hardwareEnforced { [1] purpose SIGN, [702] origin GENERATED } */
	static const uint8_t kd[] = {
		0x30, 0x22, 0x02, 0x01, 0x03, 0x0a, 0x01, 0x01, 0x02, 0x01, 0x04,
		0x0a, 0x01, 0x01, 0x04, 0x00, 0x04, 0x00, 0x30, 0x00,
		0x30, 0x0e, 0xa1, 0x05, 0x31, 0x03, 0x02, 0x01, 0x02,
		0xbf, 0x85, 0x3e, 0x03, 0x02, 0x01, 0x00,
	};
	struct attest_verdict v;
	EVP_PKEY *kr = EVP_EC_gen("P-256"), *ka = EVP_EC_gen("P-256"), *kl = EVP_EC_gen("P-256");
	assert_true(kr != NULL && ka != NULL && kl != NULL);
	X509 *root = make_cert(kr, "Test Root", "Test Root", kr, NULL, 0, 0);
	X509 *attested = make_cert(ka, "Attested Key", "Test Root", kr, kd, sizeof(kd), 1);
	X509 *forged = make_cert(kl, "Forged", "Attested Key", ka, kd, sizeof(kd), 1);
	X509 *plain = make_cert(ka, "Attested Key", "Test Root", kr, NULL, 0, 0);
	X509 *twice = make_cert(kl, "Forged", "Attested Key", ka, kd, sizeof(kd), 2);
	X509 *bare = make_cert(kl, "Forged", "Attested Key", ka, NULL, 0, 0);

	/* Control: the same chain with no KeyDescription above the leaf gets
	 * to the leaf's own checks (no rootOfTrust in this one). */
	assert_int_equal(verify_synthetic(forged, plain, root, &v), ATTEST_ROOT_OF_TRUST);
	assert_int_equal(verify_synthetic(forged, attested, root, &v), ATTEST_CHAIN_INVALID);
	assert_string_equal(v.facts.detail, "KeyDescription on certificate 1");
	/* A leaf without the extension, or with two. */
	assert_int_equal(verify_synthetic(bare, plain, root, &v), ATTEST_EXTENSION_MISSING);
	assert_int_equal(verify_synthetic(twice, plain, root, &v), ATTEST_EXTENSION_MISSING);
	/* Under another root: the anchor is the pinned key, not the name. */
	EVP_PKEY *kr2 = EVP_EC_gen("P-256");
	assert_non_null(kr2);
	X509 *root2 = make_cert(kr2, "Test Root", "Test Root", kr2, NULL, 0, 0);
	X509 *plain2 = make_cert(ka, "Attested Key", "Test Root", kr2, NULL, 0, 0);
	X509 *xs[3] = { forged, plain2, root2 };
	uint8_t *der[3];
	size_t len[3];
	struct attest_input in;
	struct attest_anchors *a = NULL;
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem;
	assert_int_equal(PEM_write_bio_X509(bio, root), 1);
	long pem_len = BIO_get_mem_data(bio, &pem);
	assert_int_equal(attest_anchors_from_pem(pem, (size_t)pem_len, &a), BA_OK);
	for (int i = 0; i < 3; i++) {
		der[i] = NULL;
		len[i] = (size_t)i2d_X509(xs[i], &der[i]);
	}
	memset(&in, 0, sizeof(in));
	in.at = time(NULL);
	in.skip = ATTEST_SKIP_CHALLENGE | ATTEST_SKIP_PUBLIC_KEY;
	in.android_anchors = a;
	assert_int_equal(attest_verify_android((const uint8_t *const *)der, len, 3, &in,
	                                       &no_policy, &v), ATTEST_UNTRUSTED_ROOT);
	for (int i = 0; i < 3; i++)
		OPENSSL_free(der[i]);
	attest_anchors_free(a);
	BIO_free(bio);

	X509 *all[] = { root, attested, forged, plain, twice, bare, root2, plain2 };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		X509_free(all[i]);
	EVP_PKEY_free(kr);
	EVP_PKEY_free(kr2);
	EVP_PKEY_free(ka);
	EVP_PKEY_free(kl);
}

/* --- Apple ------------------------------------------------------------ */

struct apple_vec {
	char *att, *asn;
	size_t att_len, asn_len;
	uint8_t *key_id, *cdh, *cd;
	size_t key_id_len, cdh_len, cd_len;
	char app_id[128];
	char when[64];
	bool dev;
	size_t receipt_bytes;
};

static void apple_load(const char *sidecar, struct apple_vec *a)
{
	char path[512], dir[256];
	json_t *j;

	memset(a, 0, sizeof(*a));
	snprintf(path, sizeof(path), VEC "apple/%s", sidecar);
	j = json_load_file(path, 0, NULL);
	assert_non_null(j);
	snprintf(dir, sizeof(dir), "%s", sidecar);
	*strrchr(dir, '/') = '\0';
	snprintf(path, sizeof(path), VEC "apple/%s/%s", dir,
	         json_string_value(json_object_get(j, "vector")));
	a->att = slurp(path, &a->att_len);
	snprintf(path, sizeof(path), VEC "apple/%s/%s", dir,
	         json_string_value(json_object_get(json_object_get(j, "assertion"), "vector")));
	a->asn = slurp(path, &a->asn_len);
	const char *s = json_string_value(json_object_get(j, "keyIdB64"));
	assert_int_equal(b64_decode_any(s, strlen(s), &a->key_id, &a->key_id_len), BA_OK);
	s = json_string_value(json_object_get(j, "clientDataHashB64"));
	assert_int_equal(b64_decode_any(s, strlen(s), &a->cdh, &a->cdh_len), BA_OK);
	s = json_string_value(json_object_get(json_object_get(j, "assertion"), "clientDataB64"));
	assert_int_equal(b64_decode_any(s, strlen(s), &a->cd, &a->cd_len), BA_OK);
	snprintf(a->app_id, sizeof(a->app_id), "%s", json_string_value(json_object_get(j, "appId")));
	snprintf(a->when, sizeof(a->when), "%s", json_string_value(json_object_get(j, "verifyAt")));
	a->dev = strcmp(json_string_value(json_object_get(j, "environment")), "development") == 0;
	a->receipt_bytes = (size_t)json_integer_value(json_object_get(json_object_get(j, "expected"),
	                                                              "receiptBytes"));
	json_decref(j);
}

static void apple_free(struct apple_vec *a)
{
	free(a->att);
	free(a->asn);
	free(a->key_id);
	free(a->cdh);
	free(a->cd);
}

static enum attest_reason apple_verify(const struct apple_vec *a, struct attest_input *in,
                                       const char *app_id, bool dev, struct attest_verdict *v)
{
	struct attest_policy pol;
	const char *ids[1] = { app_id };

	memset(&pol, 0, sizeof(pol));
	pol.apple_app_ids = ids;
	pol.n_apple_app_ids = 1;
	pol.apple_environment = dev ? ATTEST_ENV_DEVELOPMENT : ATTEST_ENV_PRODUCTION;
	return attest_verify_apple((const uint8_t *)a->att, a->att_len, a->key_id, a->key_id_len,
	                           (const uint8_t *)a->asn, a->asn_len, in, &pol, v);
}

static void apple_input(const struct apple_vec *a, struct attest_input *in)
{
	memset(in, 0, sizeof(*in));
	in->at = at(a->when);
	in->client_data_hash = a->cdh;
	in->assertion_client_data = a->cd;
	in->assertion_client_data_len = a->cd_len;
}

/* Every App Attest vector is accepted at its verifyAt, with its assertion,
 * and each derived negative gets its reason. */
static void test_apple_vectors(void **state)
{
	(void)state;
	json_t *m = json_load_file(VEC "apple/manifest.json", 0, NULL), *e;
	size_t i, checked = 0;
	static const uint8_t x_hash[32] = { 0 };
	uint8_t sha_x[32];

	SHA256((const unsigned char *)"x", 1, sha_x);
	(void)x_hash;
	assert_non_null(m);
	json_array_foreach(json_object_get(m, "vectors"), i, e) {
		struct apple_vec a;
		struct attest_input in;
		struct attest_verdict v;
		const char *file = json_string_value(json_object_get(e, "file"));

		apple_load(file, &a);
		assert_string_equal(json_string_value(json_object_get(e, "expected")), "accepted");
		apple_input(&a, &in);
		if (apple_verify(&a, &in, a.app_id, a.dev, &v) != ATTEST_OK)
			fail_msg("%s: %s (%s)", file, attest_reason_name(v.reason), v.facts.detail);
		assert_int_equal(v.facts.format, ATTEST_FORMAT_APPLE_APPATTEST);
		assert_int_equal(v.facts.security_level, ATTEST_LEVEL_SECURE_ENCLAVE);
		assert_string_equal(v.facts.app_id, a.app_id);
		assert_int_equal(v.facts.assertion_counter, 1);
		assert_memory_equal(v.facts.key_id, a.key_id, 32);
		uint8_t kid[32];
		SHA256(v.facts.app_attest_key, 65, kid);
		assert_memory_equal(kid, a.key_id, 32);
		uint8_t *receipt = NULL;
		size_t receipt_len = 0;
		assert_int_equal(attest_apple_receipt((const uint8_t *)a.att, a.att_len, &receipt,
		                                      &receipt_len), ATTEST_OK);
		assert_int_equal(receipt_len, a.receipt_bytes);
		assert_int_equal(receipt[0], 0x30);                    /* a CMS SignedData */
		free(receipt);
		assert_int_equal(attest_apple_receipt((const uint8_t *)a.asn, a.asn_len, &receipt,
		                                      &receipt_len), ATTEST_MALFORMED);
		assert_null(receipt);

		/* Other clientDataHash. */
		in.client_data_hash = sha_x;
		assert_int_equal(apple_verify(&a, &in, a.app_id, a.dev, &v), ATTEST_CHALLENGE_MISMATCH);
		apple_input(&a, &in);
		/* Other environment, other app. */
		assert_int_equal(apple_verify(&a, &in, a.app_id, !a.dev, &v), ATTEST_ENVIRONMENT);
		assert_int_equal(apple_verify(&a, &in, "ABCDE12345.com.example.other", a.dev, &v),
		                 ATTEST_APP_ID_MISMATCH);
		/* Other key ID. */
		assert_int_equal(attest_verify_apple((const uint8_t *)a.att, a.att_len, sha_x, 32,
		                 (const uint8_t *)a.asn, a.asn_len, &in,
		                 &(struct attest_policy){ .apple_app_ids = (const char *const[]){ a.app_id },
		                 .n_apple_app_ids = 1, .apple_environment = ATTEST_ENV_DEVELOPMENT }, &v),
		                 ATTEST_KEY_ID_MISMATCH);
		/* Today: the leaf has expired. */
		in.at = at(TODAY);
		assert_int_equal(apple_verify(&a, &in, a.app_id, a.dev, &v), ATTEST_CERT_EXPIRED);
		apple_input(&a, &in);
		/* The assertion over other client data (another registered key). */
		in.assertion_client_data = (const uint8_t *)"x";
		in.assertion_client_data_len = 1;
		assert_int_equal(apple_verify(&a, &in, a.app_id, a.dev, &v),
		                 ATTEST_ASSERTION_SIGNATURE_INVALID);
		apple_input(&a, &in);
		/* A replayed assertion. */
		in.previous_counter = 1;
		assert_int_equal(apple_verify(&a, &in, a.app_id, a.dev, &v), ATTEST_ASSERTION_COUNTER);
		apple_input(&a, &in);
		/* An untrusted root: Google's anchors. */
		struct attest_anchors *g = anchors_from(VEC "android/roots/google-hw-roots-all.pem");
		in.apple_anchors = g;
		assert_int_equal(apple_verify(&a, &in, a.app_id, a.dev, &v), ATTEST_UNTRUSTED_ROOT);
		attest_anchors_free(g);
		apple_input(&a, &in);
		/* The attestation object in place of the assertion. */
		assert_int_equal(attest_verify_apple((const uint8_t *)a.att, a.att_len, a.key_id, 32,
		                 (const uint8_t *)a.att, a.att_len, &in,
		                 &(struct attest_policy){ .apple_app_ids = (const char *const[]){ a.app_id },
		                 .n_apple_app_ids = 1, .apple_environment = ATTEST_ENV_DEVELOPMENT }, &v),
		                 ATTEST_MALFORMED);
		/* Truncated CBOR. */
		assert_int_equal(attest_verify_apple((const uint8_t *)a.att, a.att_len / 2, a.key_id, 32,
		                 (const uint8_t *)a.asn, a.asn_len, &in, &no_policy, &v), ATTEST_MALFORMED);
		apple_free(&a);
		checked++;
	}
	assert_int_equal(checked, 8);
	json_decref(m);
}

/* The challenge path: clientDataHash = SHA-256(challenge). */
static void test_apple_challenge(void **state)
{
	(void)state;
	struct apple_vec a;
	struct attest_input in;
	struct attest_verdict v;

	apple_load("veehaitch/ios-14.4.json", &a);
	apple_input(&a, &in);
	in.client_data_hash = NULL;
	in.challenge = (const uint8_t *)"wurzelpfropf";
	in.challenge_len = 12;
	assert_int_equal(apple_verify(&a, &in, a.app_id, true, &v), ATTEST_OK);
	in.challenge = (const uint8_t *)"wurzelpfropF";
	assert_int_equal(apple_verify(&a, &in, a.app_id, true, &v), ATTEST_CHALLENGE_MISMATCH);
	in.challenge = NULL;
	assert_int_equal(apple_verify(&a, &in, a.app_id, true, &v), ATTEST_CHALLENGE_MISMATCH);
	/* No allowed app at all. */
	in.challenge = (const uint8_t *)"wurzelpfropf";
	assert_int_equal(attest_verify_apple((const uint8_t *)a.att, a.att_len, a.key_id, 32,
	                 (const uint8_t *)a.asn, a.asn_len, &in, &no_policy, &v),
	                 ATTEST_APP_ID_MISMATCH);
	apple_free(&a);
}

/* Steps 7-9 and the authData flags, each on its own: authData bytes of a
 * real object changed one at a time (challenge skipped, as the nonce covers
 * authData), and an object repeating a map key. */
static void test_apple_authdata(void **state)
{
	(void)state;
	struct apple_vec a;
	struct attest_input in;
	struct attest_verdict v;
	uint8_t rp[32];

	apple_load("veehaitch/ios-14.4.json", &a);
	apple_input(&a, &in);
	in.skip = ATTEST_SKIP_CHALLENGE;
	assert_int_equal(apple_verify(&a, &in, a.app_id, a.dev, &v), ATTEST_OK);
	SHA256((const unsigned char *)a.app_id, strlen(a.app_id), rp);
	uint8_t *ad = NULL;
	for (size_t i = 0; ad == NULL && i + sizeof(rp) <= a.att_len; i++)
		if (memcmp(a.att + i, rp, sizeof(rp)) == 0)
			ad = (uint8_t *)a.att + i;
	assert_non_null(ad);
	assert_true((size_t)(ad - (uint8_t *)a.att) + 55 + 32 <= a.att_len);

	ad[36] ^= 1;                                       /* counter 1 */
	assert_int_equal(apple_verify(&a, &in, a.app_id, a.dev, &v), ATTEST_COUNTER_NONZERO);
	ad[36] ^= 1;
	ad[37 + 15] ^= 1;                                  /* aaguid */
	assert_int_equal(apple_verify(&a, &in, a.app_id, a.dev, &v), ATTEST_ENVIRONMENT);
	assert_string_equal(v.facts.detail, "authenticator is unknown");
	ad[37 + 15] ^= 1;
	ad[55 + 31] ^= 1;                                  /* credential ID */
	assert_int_equal(apple_verify(&a, &in, a.app_id, a.dev, &v), ATTEST_KEY_ID_MISMATCH);
	ad[55 + 31] ^= 1;
	ad[54] ^= 1;                                       /* credential ID length 33 */
	assert_int_equal(apple_verify(&a, &in, a.app_id, a.dev, &v), ATTEST_KEY_ID_MISMATCH);
	ad[54] ^= 1;
	ad[32] &= (uint8_t)~0x40;                          /* no attested credential */
	assert_int_equal(apple_verify(&a, &in, a.app_id, a.dev, &v), ATTEST_MALFORMED);
	ad[32] |= 0x40;
	ad[0] ^= 1;                                        /* rpIdHash */
	assert_int_equal(apple_verify(&a, &in, a.app_id, a.dev, &v), ATTEST_APP_ID_MISMATCH);
	ad[0] ^= 1;
	assert_int_equal(apple_verify(&a, &in, a.app_id, a.dev, &v), ATTEST_OK);

	/* A second "fmt" key: which one counts would be a guess. */
	assert_int_equal((uint8_t)a.att[0], 0xa3);
	static const uint8_t fmt2[] = { 0x63, 'f', 'm', 't', 0x6f, 'a', 'p', 'p', 'l', 'e', '-',
	                                'a', 'p', 'p', 'a', 't', 't', 'e', 's', 't' };
	char *dup = malloc(a.att_len + sizeof(fmt2));
	assert_non_null(dup);
	memcpy(dup, a.att, a.att_len);
	memcpy(dup + a.att_len, fmt2, sizeof(fmt2));
	dup[0] = (char)0xa4;
	free(a.att);
	a.att = dup;
	a.att_len += sizeof(fmt2);
	assert_int_equal(apple_verify(&a, &in, a.app_id, a.dev, &v), ATTEST_MALFORMED);
	apple_free(&a);
}

/* The reason catalogue is the documented list (docs/openapi.yaml) plus
 * assertion_counter_not_increasing; ATTEST_INTERNAL is not in it and maps
 * to an error (500), every verdict to BA_OK. */
static void test_reason_catalogue(void **state)
{
	(void)state;
	static const char *const catalogue[] = {
		"attestation_missing", "attestation_malformed", "attestation_format_unsupported",
		"attestation_key_mismatch", "attestation_untrusted_root", "attestation_chain_invalid",
		"attestation_cert_expired", "attestation_revoked", "attestation_extension_missing",
		"attestation_challenge_mismatch", "attestation_security_level",
		"attestation_key_origin", "attestation_key_purpose", "attestation_root_of_trust",
		"attestation_user_auth_not_required", "attestation_biometric_not_bound",
		"attestation_app_id_mismatch", "attestation_environment",
		"attestation_key_id_mismatch", "attestation_counter_nonzero",
		"attestation_unsupported_key_algorithm", "assertion_signature_invalid",
		"assertion_counter_not_increasing",
	};
	size_t seen = 0;

	assert_int_equal(attest_error(ATTEST_OK), BA_OK);
	assert_string_equal(attest_reason_name(ATTEST_OK), "ok");
	for (int r = ATTEST_OK + 1; r < ATTEST_REASON__COUNT; r++) {
		const char *name = attest_reason_name((enum attest_reason)r);
		bool listed = false;
		for (size_t i = 0; i < sizeof(catalogue) / sizeof(catalogue[0]); i++)
			listed = listed || strcmp(name, catalogue[i]) == 0;
		if (r == ATTEST_INTERNAL) {
			assert_false(listed);
			assert_int_equal(attest_error((enum attest_reason)r), BA_ERR_INTERNAL);
		} else {
			assert_true(listed);
			assert_int_equal(attest_error((enum attest_reason)r), BA_OK);
			seen++;
		}
	}
	assert_int_equal(seen, sizeof(catalogue) / sizeof(catalogue[0]));
	assert_int_equal(attest_error(ATTEST_REASON__COUNT), BA_ERR_INTERNAL);
}

/* --- Payload ---------------------------------------------------------- */

static char *b64_of(const void *p, size_t n, bool url)
{
	char *s = NULL;

	assert_int_equal(url ? b64url_encode(p, n, &s) : b64_encode(p, n, &s), BA_OK);
	return s;
}

static void test_payload_android(void **state)
{
	(void)state;
	struct chain c;
	struct attest_payload p;
	struct attest_input in;
	struct attest_verdict v;
	char json[16384];
	size_t o;

	chain_load(CAIMAN, &c);
	o = (size_t)snprintf(json, sizeof(json), "{\"format\": \"android-key\", \"x5c\": [");
	for (size_t i = 0; i < c.n; i++) {
		char *b = b64_of(c.der[i], c.len[i], i % 2 == 1);
		o += (size_t)snprintf(json + o, sizeof(json) - o, "%s\"%s\"", i ? "," : "", b);
		free(b);
	}
	o += (size_t)snprintf(json + o, sizeof(json) - o, "]}");
	for (int url = 0; url < 2; url++) {
		char *enc = b64_of(json, o, url);
		size_t elen = strlen(enc);
		while (elen > 0 && enc[elen - 1] == '=')
			elen--;                          /* padding optional */
		assert_int_equal(attest_payload_parse(enc, elen, &p), ATTEST_OK);
		assert_int_equal(p.format, ATTEST_FORMAT_ANDROID_KEY);
		assert_int_equal(p.n_certs, c.n);
		memset(&in, 0, sizeof(in));
		in.at = at(CAIMAN_AT);
		in.challenge = (const uint8_t *)"d688d763-6118-4ca6-94b2-e6cd9ed7e4e4";
		in.challenge_len = 36;
		in.public_key = c.leaf_spki;
		in.public_key_len = c.leaf_spki_len;
		assert_int_equal(attest_verify_payload(&p, &in, &no_policy, &v), ATTEST_OK);
		attest_payload_clear(&p);
		free(enc);
	}
	chain_free(&c);
}

static void test_payload_apple(void **state)
{
	(void)state;
	struct apple_vec a;
	struct attest_payload p;
	struct attest_input in;
	struct attest_verdict v;
	char *kid, *att, *asn, *json, *enc;

	apple_load("srinivas1729/rnclientattest-2024.json", &a);
	kid = b64_of(a.key_id, a.key_id_len, false);
	att = b64_of(a.att, a.att_len, true);
	asn = b64_of(a.asn, a.asn_len, false);
	size_t n = strlen(kid) + strlen(att) + strlen(asn) + 128;
	json = malloc(n);
	snprintf(json, n, "{\"format\":\"apple-appattest\",\"key_id\":\"%s\",\"attestation\":\"%s\","
	         "\"assertion\":\"%s\"}", kid, att, asn);
	enc = b64_of(json, strlen(json), false);
	assert_int_equal(attest_payload_parse(enc, strlen(enc), &p), ATTEST_OK);
	assert_int_equal(p.format, ATTEST_FORMAT_APPLE_APPATTEST);
	apple_input(&a, &in);
	const char *ids[] = { a.app_id };
	struct attest_policy pol = { .apple_app_ids = ids, .n_apple_app_ids = 1,
	                             .apple_environment = ATTEST_ENV_DEVELOPMENT };
	assert_int_equal(attest_verify_payload(&p, &in, &pol, &v), ATTEST_OK);
	attest_payload_clear(&p);
	free(enc);
	free(json);
	free(kid);
	free(att);
	free(asn);
	apple_free(&a);
}

static void test_payload_refusals(void **state)
{
	(void)state;
	struct attest_payload p;
	struct attest_verdict v;
	struct attest_input in;
	char *enc;

	/* Not bioauth's envelope: someone else's format. */
	assert_int_equal(attest_payload_parse("", 0, &p), ATTEST_MISSING);
	assert_int_equal(attest_payload_parse("!!!!", 4, &p), ATTEST_FORMAT_UNSUPPORTED);
	enc = b64_of("not json", 8, false);
	assert_int_equal(attest_payload_parse(enc, strlen(enc), &p), ATTEST_FORMAT_UNSUPPORTED);
	free(enc);
	static const char *foreign[] = { "{\"format\":1}", "[\"android-key\"]", "{}",
	                                 "{\"format\":\"android-key\",\"format\":\"apple-appattest\"}" };
	for (size_t i = 0; i < sizeof(foreign) / sizeof(foreign[0]); i++)
		assert_int_equal(attest_payload_parse_json(foreign[i], strlen(foreign[i]), &p),
		                 ATTEST_FORMAT_UNSUPPORTED);
	enc = b64_of("{\"format\":\"tpm\"}", 16, false);
	assert_int_equal(attest_payload_parse(enc, strlen(enc), &p), ATTEST_FORMAT_UNSUPPORTED);
	memset(&in, 0, sizeof(in));
	assert_int_equal(attest_verify_payload(&p, &in, &no_policy, &v), ATTEST_FORMAT_UNSUPPORTED);
	attest_payload_clear(&p);
	free(enc);
	static const char *bad[] = {
		"{\"format\":\"android-key\"}",
		"{\"format\":\"android-key\",\"x5c\":[]}",
		"{\"format\":\"android-key\",\"x5c\":[\"%%\"]}",
		"{\"format\":\"android-key\",\"x5c\":[1]}",
		"{\"format\":\"android-key\",\"x5c\":[\"AA\",\"AA\",\"AA\",\"AA\",\"AA\",\"AA\",\"AA\",\"AA\",\"AA\"]}",
		"{\"format\":\"apple-appattest\",\"key_id\":\"AA\",\"attestation\":\"AA\"}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(attest_payload_parse_json(bad[i], strlen(bad[i]), &p), ATTEST_MALFORMED);
		assert_int_equal(p.n_certs, 0);
	}
	/* A one-byte "certificate" decodes but is no certificate. */
	const char *one = "{\"format\":\"android-key\",\"x5c\":[\"AA\"]}";
	assert_int_equal(attest_payload_parse_json(one, strlen(one), &p), ATTEST_OK);
	assert_int_equal(attest_verify_payload(&p, &in, &no_policy, &v), ATTEST_MALFORMED);
	attest_payload_clear(&p);
	for (int r = 0; r < ATTEST_REASON__COUNT; r++)
		assert_non_null(attest_reason_name((enum attest_reason)r));
	assert_string_equal(attest_reason_name(ATTEST_UNSUPPORTED_KEY_ALGORITHM),
	                    "attestation_unsupported_key_algorithm");
}

/* The registration rule of each mode over: nothing, someone else's
 * payload, a verified one, a refused one. */
static void test_evaluate_modes(void **state)
{
	(void)state;
	struct chain c;
	struct attest_input in;
	struct attest_verdict v;
	enum attest_status st;
	char json[16384], *good, *foreign, *bad_apple;
	size_t o;

	chain_load(CAIMAN, &c);
	o = (size_t)snprintf(json, sizeof(json), "{\"format\": \"android-key\", \"x5c\": [");
	for (size_t i = 0; i < c.n; i++) {
		char *b = b64_of(c.der[i], c.len[i], false);
		o += (size_t)snprintf(json + o, sizeof(json) - o, "%s\"%s\"", i ? "," : "", b);
		free(b);
	}
	o += (size_t)snprintf(json + o, sizeof(json) - o, "]}");
	good = b64_of(json, o, false);
	foreign = b64_of("transmit-sdk-attestation", 24, false);
	/* A known format whose object says otherwise inside. */
	static const uint8_t fmt_none[] = { 0xa1, 0x63, 'f', 'm', 't', 0x64, 'n', 'o', 'n', 'e' };
	char *att = b64_of(fmt_none, sizeof(fmt_none), false);
	snprintf(json, sizeof(json), "{\"format\":\"apple-appattest\",\"key_id\":\"AAAA\","
	         "\"attestation\":\"%s\",\"assertion\":\"AAAA\"}", att);
	bad_apple = b64_of(json, strlen(json), false);
	free(att);

	memset(&in, 0, sizeof(in));
	in.at = at(CAIMAN_AT);
	in.challenge = (const uint8_t *)"d688d763-6118-4ca6-94b2-e6cd9ed7e4e4";
	in.challenge_len = 36;
	in.public_key = c.leaf_spki;
	in.public_key_len = c.leaf_spki_len;
	const struct { enum attest_mode mode; const char *payload; enum attest_reason r;
	               enum attest_status st; } cases[] = {
		{ ATTEST_MODE_NONE, NULL, ATTEST_OK, ATTEST_STATUS_UNATTESTED },
		{ ATTEST_MODE_NONE, foreign, ATTEST_OK, ATTEST_STATUS_UNVERIFIED },
		{ ATTEST_MODE_NONE, good, ATTEST_OK, ATTEST_STATUS_UNVERIFIED },
		{ ATTEST_MODE_OPTIONAL, NULL, ATTEST_OK, ATTEST_STATUS_UNATTESTED },
		{ ATTEST_MODE_OPTIONAL, "", ATTEST_OK, ATTEST_STATUS_UNATTESTED },
		{ ATTEST_MODE_OPTIONAL, foreign, ATTEST_OK, ATTEST_STATUS_UNVERIFIED },
		{ ATTEST_MODE_OPTIONAL, good, ATTEST_OK, ATTEST_STATUS_VERIFIED },
		{ ATTEST_MODE_OPTIONAL, bad_apple, ATTEST_FORMAT_UNSUPPORTED, ATTEST_STATUS_UNVERIFIED },
		{ ATTEST_MODE_REQUIRED, NULL, ATTEST_MISSING, ATTEST_STATUS_UNATTESTED },
		{ ATTEST_MODE_REQUIRED, foreign, ATTEST_FORMAT_UNSUPPORTED, ATTEST_STATUS_UNVERIFIED },
		{ ATTEST_MODE_REQUIRED, good, ATTEST_OK, ATTEST_STATUS_VERIFIED },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *pl = cases[i].payload;
		enum attest_reason r = attest_evaluate(cases[i].mode, pl, pl ? strlen(pl) : 0,
		                                       &in, &no_policy, &v, &st);
		if (r != cases[i].r || st != cases[i].st)
			fail_msg("case %zu: %s/%s", i, attest_reason_name(r), attest_status_name(st));
	}
	/* A verification failure is refused under optional and required. */
	in.challenge = (const uint8_t *)"other";
	in.challenge_len = 5;
	assert_int_equal(attest_evaluate(ATTEST_MODE_OPTIONAL, good, strlen(good), &in, &no_policy,
	                                 &v, &st), ATTEST_CHALLENGE_MISMATCH);
	assert_int_equal(attest_evaluate(ATTEST_MODE_REQUIRED, good, strlen(good), &in, &no_policy,
	                                 &v, &st), ATTEST_CHALLENGE_MISMATCH);
	assert_int_equal(v.facts.format, ATTEST_FORMAT_ANDROID_KEY);
	assert_string_equal(attest_status_name(ATTEST_STATUS_VERIFIED), "verified");
	free(good);
	free(foreign);
	free(bad_apple);
	chain_free(&c);
}

static void test_cbor_guard(void **state)
{
	(void)state;
	uint8_t deep[64];

	memset(deep, 0x81, sizeof(deep));        /* [[[[...]]]] */
	deep[63] = 0x00;
	assert_false(cbor_guard(deep, sizeof(deep), 4, 64));
	static const uint8_t ok[] = { 0xa1, 0x61, 'a', 0x82, 0x01, 0x42, 0xaa, 0xbb };
	assert_true(cbor_guard(ok, sizeof(ok), 4, 64));
	assert_false(cbor_guard(ok, sizeof(ok) - 1, 4, 64));           /* truncated */
	static const uint8_t trailing[] = { 0x01, 0x02 };
	assert_false(cbor_guard(trailing, sizeof(trailing), 4, 64));
	static const uint8_t indef[] = { 0x9f, 0x01, 0xff };
	assert_false(cbor_guard(indef, sizeof(indef), 4, 64));
	static const uint8_t huge[] = { 0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	assert_false(cbor_guard(huge, sizeof(huge), 4, 64));
	static const uint8_t long_str[] = { 0x5a, 0xff, 0xff, 0xff, 0xff, 0x00 };
	assert_false(cbor_guard(long_str, sizeof(long_str), 4, 64));
}

static void test_time_parse(void **state)
{
	(void)state;
	time_t t;

	assert_true(attest_time_parse("2020-08-29T08:21:14.215000Z", &t));
	assert_int_equal(t, 1598689274);
	assert_true(attest_time_parse("2020-08-29T10:21:14+02:00", &t));
	assert_int_equal(t, 1598689274);
	assert_false(attest_time_parse("2020-08-29 08:21:14Z", &t));
	assert_false(attest_time_parse("2020-08-29T08:21:14", &t));
	assert_false(attest_time_parse("2020-13-29T08:21:14Z", &t));
	assert_false(attest_time_parse("2020-08-29T08:21:14.Z", &t));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_android_vectors),
		cmocka_unit_test(test_android_negatives),
		cmocka_unit_test(test_revocation_sample),
		cmocka_unit_test(test_android_anchors),
		cmocka_unit_test(test_android_policy),
		cmocka_unit_test(test_keydesc_lenient),
		cmocka_unit_test(test_apple_vectors),
		cmocka_unit_test(test_apple_challenge),
		cmocka_unit_test(test_android_chain_extension),
		cmocka_unit_test(test_apple_authdata),
		cmocka_unit_test(test_reason_catalogue),
		cmocka_unit_test(test_payload_android),
		cmocka_unit_test(test_payload_apple),
		cmocka_unit_test(test_payload_refusals),
		cmocka_unit_test(test_evaluate_modes),
		cmocka_unit_test(test_cbor_guard),
		cmocka_unit_test(test_time_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
