/*
 * keydesc.c - lenient parser of the Android KeyDescription, see keydesc.h.
 */
#include <string.h>

#include <openssl/crypto.h>

#include "attest/keydesc.h"

#define TAG_PURPOSE 1
#define TAG_ALGORITHM 2
#define TAG_NO_AUTH_REQUIRED 503
#define TAG_USER_AUTH_TYPE 504
#define TAG_ORIGIN 702
#define TAG_ROOT_OF_TRUST 704
#define TAG_APP_ID 709

#define ASN1_BOOLEAN 1
#define ASN1_INTEGER 2
#define ASN1_OCTET_STRING 4
#define ASN1_NULL 5
#define ASN1_ENUMERATED 10
#define ASN1_SEQUENCE 16
#define ASN1_SET 17

/* An INTEGER or ENUMERATED (devices use both for enums). */
static bool read_uint(struct der *in, uint64_t *out)
{
	struct der_tlv t;

	if (!der_next(in, &t) || t.cls != DER_UNIVERSAL || t.constructed ||
	    (t.tag != ASN1_INTEGER && t.tag != ASN1_ENUMERATED))
		return false;
	return der_uint(&t.body, out);
}

/* RootOfTrust ::= SEQUENCE { verifiedBootKey OCTET STRING, deviceLocked
 * BOOLEAN, verifiedBootState ENUMERATED, [verifiedBootHash OCTET STRING] } */
static bool parse_root_of_trust(struct der body, struct keydesc_authlist *a)
{
	struct der seq, f;

	if (!der_expect(&body, DER_UNIVERSAL, ASN1_SEQUENCE, true, &seq) ||
	    !der_expect(&seq, DER_UNIVERSAL, ASN1_OCTET_STRING, false, &f) ||
	    !der_expect(&seq, DER_UNIVERSAL, ASN1_BOOLEAN, false, &f) ||
	    !der_bool(&f, &a->device_locked) ||
	    !read_uint(&seq, &a->verified_boot_state))
		return false;
	a->has_root_of_trust = true;
	return true;
}

/* One tagged entry of an AuthorizationList ([tag] EXPLICIT value). */
static bool parse_entry(const struct der_tlv *t, struct keydesc_authlist *a)
{
	struct der body = t->body, set, v;
	uint64_t u;

	switch (t->tag) {
	case TAG_PURPOSE:
		if (!der_expect(&body, DER_UNIVERSAL, ASN1_SET, true, &set))
			return false;
		while (set.len > 0) {
			if (!read_uint(&set, &u))
				return false;
			if (u < 32)
				a->purposes |= 1u << u;
		}
		return true;
	case TAG_ALGORITHM:
		a->has_algorithm = true;
		return read_uint(&body, &a->algorithm);
	case TAG_ORIGIN:
		a->has_origin = true;
		return read_uint(&body, &a->origin);
	case TAG_USER_AUTH_TYPE:
		a->has_user_auth_type = true;
		return read_uint(&body, &a->user_auth_type);
	case TAG_NO_AUTH_REQUIRED:
		a->no_auth_required = true;
		return der_expect(&body, DER_UNIVERSAL, ASN1_NULL, false, &v);
	case TAG_ROOT_OF_TRUST:
		return parse_root_of_trust(body, a);
	case TAG_APP_ID:
		if (!der_expect(&body, DER_UNIVERSAL, ASN1_OCTET_STRING, false, &v))
			return false;
		a->has_app_id = true;
		a->app_id = v;
		return true;
	default:
		return true;                 /* a field bioauth does not check */
	}
}

/* The bit of a tag bioauth reads, for spotting duplicates; 0 for others. */
static uint32_t tag_bit(uint32_t tag)
{
	switch (tag) {
	case TAG_PURPOSE: return 1u << 0;
	case TAG_ALGORITHM: return 1u << 1;
	case TAG_NO_AUTH_REQUIRED: return 1u << 2;
	case TAG_USER_AUTH_TYPE: return 1u << 3;
	case TAG_ORIGIN: return 1u << 4;
	case TAG_ROOT_OF_TRUST: return 1u << 5;
	case TAG_APP_ID: return 1u << 6;
	default: return 0;
	}
}

/*
 * An AuthorizationList: tags in any order, unknown ones skipped. A tag
 * bioauth reads that occurs twice is refused: which occurrence counts
 * would be a guess (Google's verifier keeps the last, our purposes would
 * merge), and KeyMint never emits one.
 */
static bool parse_authlist(struct der *in, struct keydesc_authlist *a)
{
	struct der seq;
	struct der_tlv t;
	uint32_t seen = 0;

	memset(a, 0, sizeof(*a));
	if (!der_expect(in, DER_UNIVERSAL, ASN1_SEQUENCE, true, &seq))
		return false;
	while (seq.len > 0) {
		if (!der_next(&seq, &t) || t.cls != DER_CONTEXT || !t.constructed ||
		    (seen & tag_bit(t.tag)) != 0 || !parse_entry(&t, a))
			return false;
		seen |= tag_bit(t.tag);
	}
	return true;
}

bool keydesc_parse(const uint8_t *p, size_t len, struct keydesc *out)
{
	struct der in = { p, len }, seq, unique;

	memset(out, 0, sizeof(*out));
	if (!der_expect(&in, DER_UNIVERSAL, ASN1_SEQUENCE, true, &seq) || in.len != 0)
		return false;
	if (!read_uint(&seq, &out->attestation_version) ||
	    out->attestation_version < 1 || out->attestation_version > 400 ||
	    !read_uint(&seq, &out->attestation_security_level) ||
	    !read_uint(&seq, &out->keymint_version) ||
	    !read_uint(&seq, &out->keymint_security_level) ||
	    !der_expect(&seq, DER_UNIVERSAL, ASN1_OCTET_STRING, false, &out->challenge) ||
	    !der_expect(&seq, DER_UNIVERSAL, ASN1_OCTET_STRING, false, &unique) ||
	    !parse_authlist(&seq, &out->sw) || !parse_authlist(&seq, &out->hw))
		return false;
	return true;
}

/* AttestationApplicationId ::= SEQUENCE { packageInfos SET OF
 * AttestationPackageInfo, signatureDigests SET OF OCTET STRING };
 * AttestationPackageInfo ::= SEQUENCE { packageName OCTET STRING, version
 * INTEGER }. Splits it into its two SETs. */
static bool app_id_sets(const struct der *app_id, struct der *pkgs, struct der *digests)
{
	struct der in = *app_id, seq;

	return der_expect(&in, DER_UNIVERSAL, ASN1_SEQUENCE, true, &seq) &&
	       der_expect(&seq, DER_UNIVERSAL, ASN1_SET, true, pkgs) &&
	       der_expect(&seq, DER_UNIVERSAL, ASN1_SET, true, digests);
}

/* Reads the next package name from a packageInfos SET. */
static bool next_package(struct der *pkgs, struct der *name)
{
	struct der info;

	return der_expect(pkgs, DER_UNIVERSAL, ASN1_SEQUENCE, true, &info) &&
	       der_expect(&info, DER_UNIVERSAL, ASN1_OCTET_STRING, false, name);
}

bool keydesc_app_matches(const struct der *app_id, const char *package,
                         size_t package_len, const uint8_t digest[32])
{
	struct der pkgs, digests, name, d;
	bool pkg_ok = false, dig_ok = false;

	if (!app_id_sets(app_id, &pkgs, &digests))
		return false;
	while (pkgs.len > 0) {
		if (!next_package(&pkgs, &name))
			return false;
		if (name.len == package_len && memcmp(name.p, package, package_len) == 0)
			pkg_ok = true;
	}
	while (digests.len > 0) {
		if (!der_expect(&digests, DER_UNIVERSAL, ASN1_OCTET_STRING, false, &d))
			return false;
		if (d.len == 32 && CRYPTO_memcmp(d.p, digest, 32) == 0)
			dig_ok = true;
	}
	return pkg_ok && dig_ok;
}

bool keydesc_first_package(const struct der *app_id, char *buf, size_t cap)
{
	struct der pkgs, digests, name;

	if (cap == 0 || !app_id_sets(app_id, &pkgs, &digests) || pkgs.len == 0 ||
	    !next_package(&pkgs, &name))
		return false;
	size_t n = name.len < cap - 1 ? name.len : cap - 1;
	memcpy(buf, name.p, n);
	buf[n] = '\0';
	return true;
}
