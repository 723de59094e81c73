/*
 * attest.c - bioauth-device as an attesting phone, under a local test
 * attestation CA (`attest-ca init --dir D`):
 *  - Android (`keygen --attest android-key`): a Keystore-style certificate
 *    chain for the new key whose leaf carries a KeyDescription built for it
 *    (TEE, origin GENERATED, purpose SIGN, fingerprint authentication,
 *    verified boot): base64 of {"format": "android-key", "x5c": [leaf,
 *    intermediate, root]};
 *  - iOS (`keygen --attest apple-appattest`): an App Attest key made for the
 *    occasion, its attestation object (CBOR, as Apple's service returns it,
 *    the credential certificate issued by the test intermediate) and the
 *    assertion by that key over the registered key's SubjectPublicKeyInfo:
 *    base64 of {"format": "apple-appattest", "key_id", "attestation",
 *    "assertion"}.
 * Both are the `attestation_encoded_result` payloads bioauth verifies
 * (src/attest/attest.h). A server trusts the CA with
 * `--attestation-trust-anchors D/root.pem` (or `bioauthctl attestation
 * verify --trust-anchors D/root.pem`). OpenSSL and libcbor.
 */
#include <cbor.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define OID_KEY_DESCRIPTION "1.3.6.1.4.1.11129.2.1.17"
#define OID_APPLE_NONCE "1.2.840.113635.100.8.2"
#define ATTEST_APP_PACKAGE "com.example.bioauth"
#define APPATTEST_FLAG_ATTESTED 0x40
#define APPATTEST_RECEIPT "bioauth-device test receipt"
#define KD_MAX 2048

static const char usage_attest_ca[] =
	"usage: bioauth-device attest-ca init --dir D\n"
	"\n"
	"Creates a local test attestation CA in D (made if missing): root.pem and\n"
	"root.key (EC P-256, self-signed), intermediate.pem and intermediate.key,\n"
	"keys readable by the owner only. `keygen --attest android-key|apple-appattest\n"
	"--attest-ca D` then issues Keystore-style chains or App Attest objects under\n"
	"it; bioauth trusts them with\n"
	"--attestation-trust-anchors D/root.pem. Prints {dir, root, intermediate}.\n"
	"Refuses a directory that already holds a CA.\n";

/* ---- a small DER writer ------------------------------------------------ */

struct dw {
	uint8_t b[KD_MAX];
	size_t n;
	bool err;
};

static void dw_bytes(struct dw *w, const void *p, size_t n)
{
	if (w->err || n > sizeof(w->b) - w->n) {
		w->err = true;
		return;
	}
	memcpy(w->b + w->n, p, n);
	w->n += n;
}

/* Appends one TLV: identifier (class/constructed bits in `id`, tag number
 * `tag`, high-tag form above 30), definite length, body. */
static void dw_tlv(struct dw *w, uint8_t id, uint32_t tag, const void *body, size_t n)
{
	uint8_t h[16];
	size_t k = 0;

	if (tag < 31) {
		h[k++] = (uint8_t)(id | tag);
	} else {
		uint8_t t[5];
		size_t m = 0;
		h[k++] = (uint8_t)(id | 0x1f);
		do {
			t[m++] = (uint8_t)(tag & 0x7f);
			tag >>= 7;
		} while (tag != 0);
		while (m > 0) {
			m--;
			h[k++] = (uint8_t)(t[m] | (m > 0 ? 0x80 : 0));
		}
	}
	if (n < 128) {
		h[k++] = (uint8_t)n;
	} else if (n < 256) {
		h[k++] = 0x81;
		h[k++] = (uint8_t)n;
	} else {
		h[k++] = 0x82;
		h[k++] = (uint8_t)(n >> 8);
		h[k++] = (uint8_t)n;
	}
	dw_bytes(w, h, k);
	dw_bytes(w, body, n);
}

/* Appends a non-negative INTEGER (or ENUMERATED with tag 10). */
static void dw_uint(struct dw *w, uint32_t tag, uint64_t v)
{
	uint8_t b[9];
	size_t n = 0;

	for (int i = 7; i >= 0; i--) {
		uint8_t byte = (uint8_t)(v >> (8 * i));
		if (n == 0 && byte == 0 && i > 0)
			continue;
		if (n == 0 && (byte & 0x80))
			b[n++] = 0;
		b[n++] = byte;
	}
	dw_tlv(w, 0x00, tag, b, n);
}

/* Appends [tag] EXPLICIT around the contents of `inner`. */
static void dw_explicit(struct dw *w, uint32_t tag, const struct dw *inner)
{
	if (inner->err)
		w->err = true;
	dw_tlv(w, 0xa0, tag, inner->b, inner->n);
}

static void dw_tagged_uint(struct dw *w, uint32_t tag, uint64_t v)
{
	struct dw in = {0};

	dw_uint(&in, 2, v);
	dw_explicit(w, tag, &in);
}

/*
 * The KeyDescription of a key of `algorithm` (KeyMint: 3 EC, 1 RSA) and
 * `key_size` bits, attesting `challenge`: KeyMint 2 (version 200) in a TEE,
 * the key generated for signing, usable after a fingerprint, on a locked
 * device with verified boot, for the app ATTEST_APP_PACKAGE.
 */
static bool key_description(uint64_t algorithm, uint64_t key_size, const char *challenge,
                            struct dw *out)
{
	struct dw sw = {0}, hw = {0}, t = {0}, set = {0}, rot = {0}, app = {0}, pkgs = {0},
	          pkg = {0}, digests = {0}, seq = {0};
	uint8_t zero[32] = {0}, digest[32];

	/* softwareEnforced: creationDateTime [701], attestationApplicationId [709]. */
	dw_tagged_uint(&sw, 701, (uint64_t)time(NULL) * 1000);
	dw_tlv(&pkg, 0x00, 4, ATTEST_APP_PACKAGE, strlen(ATTEST_APP_PACKAGE));
	dw_uint(&pkg, 2, 1);
	dw_tlv(&pkgs, 0x20, 16, pkg.b, pkg.n);
	SHA256((const unsigned char *)"bioauth-device test signing certificate", 39, digest);
	dw_tlv(&digests, 0x00, 4, digest, sizeof(digest));
	dw_tlv(&app, 0x20, 17, pkgs.b, pkgs.n);
	dw_tlv(&app, 0x20, 17, digests.b, digests.n);
	dw_tlv(&seq, 0x20, 16, app.b, app.n);
	dw_tlv(&t, 0x00, 4, seq.b, seq.n);
	dw_explicit(&sw, 709, &t);

	/* hardwareEnforced, in ascending tag order. */
	dw_uint(&set, 2, 2);                                   /* SIGN */
	memset(&t, 0, sizeof(t));
	dw_tlv(&t, 0x20, 17, set.b, set.n);
	dw_explicit(&hw, 1, &t);                               /* purpose */
	dw_tagged_uint(&hw, 2, algorithm);
	dw_tagged_uint(&hw, 3, key_size);
	dw_tagged_uint(&hw, 504, 2);                           /* userAuthType: FINGERPRINT */
	dw_tagged_uint(&hw, 505, 30);                          /* authTimeout (s) */
	dw_tagged_uint(&hw, 702, 0);                           /* origin: GENERATED */
	dw_tlv(&rot, 0x00, 4, zero, sizeof(zero));             /* verifiedBootKey */
	dw_tlv(&rot, 0x00, 1, "\xff", 1);                      /* deviceLocked */
	dw_uint(&rot, 10, 0);                                  /* verifiedBootState: VERIFIED */
	dw_tlv(&rot, 0x00, 4, zero, sizeof(zero));             /* verifiedBootHash */
	memset(&t, 0, sizeof(t));
	dw_tlv(&t, 0x20, 16, rot.b, rot.n);
	dw_explicit(&hw, 704, &t);                             /* rootOfTrust */

	memset(&seq, 0, sizeof(seq));
	dw_uint(&seq, 2, 200);                                 /* attestationVersion */
	dw_uint(&seq, 10, 1);                                  /* attestationSecurityLevel: TEE */
	dw_uint(&seq, 2, 200);                                 /* keyMintVersion */
	dw_uint(&seq, 10, 1);                                  /* keyMintSecurityLevel: TEE */
	dw_tlv(&seq, 0x00, 4, challenge, strlen(challenge));   /* attestationChallenge */
	dw_tlv(&seq, 0x00, 4, "", 0);                          /* uniqueId */
	dw_tlv(&seq, 0x20, 16, sw.b, sw.n);
	dw_tlv(&seq, 0x20, 16, hw.b, hw.n);
	memset(out, 0, sizeof(*out));
	dw_tlv(out, 0x20, 16, seq.b, seq.n);
	return !(sw.err || hw.err || set.err || rot.err || app.err || pkgs.err || pkg.err ||
	         digests.err || seq.err || t.err || out->err);
}

/* ---- certificates ------------------------------------------------------ */

/*
 * Issues a certificate for `pub` named `cn`, signed by `issuer_key` under
 * `issuer` (NULL: self-signed), valid from an hour ago for `days`; a CA when
 * `ca`. `ext_value` (may be NULL) becomes a non-critical extension of OID
 * `ext_oid` (the KeyDescription, the App Attest nonce). NULL on failure.
 */
static X509 *issue(EVP_PKEY *pub, const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
                   bool ca, long days, const char *ext_oid, const struct dw *ext_value)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_NAME_new();
	BIGNUM *serial = BN_new();
	X509V3_CTX ctx;
	X509_EXTENSION *ext = NULL;
	ASN1_OBJECT *obj = NULL;
	ASN1_OCTET_STRING *val = NULL;
	bool ok = false;

	if (x == NULL || name == NULL || serial == NULL ||
	    !X509_set_version(x, 2) || !BN_rand(serial, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) ||
	    BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)) == NULL ||
	    !X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_subject_name(x, name) ||
	    !X509_set_issuer_name(x, issuer != NULL ? X509_get_subject_name(issuer) : name) ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), days * 86400) == NULL ||
	    !X509_set_pubkey(x, pub))
		goto out;
	X509V3_set_ctx(&ctx, issuer != NULL ? issuer : x, x, NULL, NULL, 0);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
	                          ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
	if (ext == NULL || !X509_add_ext(x, ext, -1))
		goto out;
	X509_EXTENSION_free(ext);
	ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_key_usage,
	                          ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
	if (ext == NULL || !X509_add_ext(x, ext, -1))
		goto out;
	if (ext_value != NULL) {
		X509_EXTENSION_free(ext);
		ext = NULL;
		obj = OBJ_txt2obj(ext_oid, 1);
		val = ASN1_OCTET_STRING_new();
		if (obj == NULL || val == NULL || ext_value->err ||
		    !ASN1_OCTET_STRING_set(val, ext_value->b, (int)ext_value->n) ||
		    (ext = X509_EXTENSION_create_by_OBJ(NULL, obj, 0, val)) == NULL ||
		    !X509_add_ext(x, ext, -1))
			goto out;
	}
	ok = X509_sign(x, issuer_key, EVP_sha256()) > 0;
out:
	X509_EXTENSION_free(ext);
	ASN1_OBJECT_free(obj);
	ASN1_OCTET_STRING_free(val);
	BN_free(serial);
	X509_NAME_free(name);
	if (!ok) {
		X509_free(x);
		x = NULL;
	}
	return x;
}

/* Writes `pem` of key or certificate to dir/name with `mode`, refusing to
 * replace a file. 0 or -1 (printed). */
static int write_pem(const char *dir, const char *name, mode_t mode, EVP_PKEY *key, X509 *cert)
{
	char path[4096];
	int fd, ok;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
	if (fd < 0) {
		cli_err("cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	f = fdopen(fd, "w");
	if (f == NULL) {
		close(fd);
		return -1;
	}
	ok = key != NULL ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL)
	                 : PEM_write_X509(f, cert);
	if (fclose(f) != 0 || !ok) {
		cli_err("cannot write %s", path);
		return -1;
	}
	return 0;
}

static EVP_PKEY *read_key(const char *dir, const char *name)
{
	char path[4096];
	FILE *f;
	EVP_PKEY *k;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	return k;
}

static X509 *read_cert(const char *dir, const char *name)
{
	char path[4096];
	FILE *f;
	X509 *x;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	return x;
}

int cmd_attest_ca(int argc, char **argv)
{
	struct cli_opt opts[] = { {"dir", 1, NULL} };
	EVP_PKEY *root_key = NULL, *int_key = NULL;
	X509 *root = NULL, *inter = NULL;
	const char *dir;
	int help, rc;

	if (argc < 1 || strcmp(argv[0], "init") != 0) {
		if (argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0)) {
			fputs(usage_attest_ca, stdout);
			return CLI_EXIT_OK;
		}
		cli_err("usage: bioauth-device attest-ca init --dir D (see --help)");
		return CLI_EXIT_USAGE;
	}
	rc = cli_parse(argc - 1, argv + 1, opts, 1, &help);
	if (rc != 0)
		return rc;
	if (help) {
		fputs(usage_attest_ca, stdout);
		return CLI_EXIT_OK;
	}
	dir = cli_get(opts, 1, "dir");
	if (dir == NULL) {
		cli_err("--dir D is required");
		return CLI_EXIT_USAGE;
	}
	rc = CLI_EXIT_FAIL;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		cli_err("cannot create %s: %s", dir, strerror(errno));
		goto out;
	}
	root_key = EVP_EC_gen("P-256");
	int_key = EVP_EC_gen("P-256");
	if (root_key == NULL || int_key == NULL ||
	    (root = issue(root_key, "bioauth-device test attestation root", NULL, root_key,
	                  true, 3650, NULL, NULL)) == NULL ||
	    (inter = issue(int_key, "bioauth-device test attestation intermediate", root,
	                   root_key, true, 3650, NULL, NULL)) == NULL) {
		cli_err("cannot make the CA certificates");
		goto out;
	}
	if (write_pem(dir, "root.key", 0600, root_key, NULL) != 0 ||
	    write_pem(dir, "root.pem", 0644, NULL, root) != 0 ||
	    write_pem(dir, "intermediate.key", 0600, int_key, NULL) != 0 ||
	    write_pem(dir, "intermediate.pem", 0644, NULL, inter) != 0)
		goto out;
	rc = cli_print_json(json_pack("{s:s, s:s, s:s}", "dir", dir, "root", "root.pem",
	                              "intermediate", "intermediate.pem"));
out:
	ERR_clear_error();
	EVP_PKEY_free(root_key);
	EVP_PKEY_free(int_key);
	X509_free(root);
	X509_free(inter);
	return rc;
}

/* Standard base64 of n bytes, malloc'd; NULL on failure. */
static char *b64_of(const uint8_t *p, size_t n)
{
	char *s;

	if (n > INT_MAX / 2 || (s = malloc(4 * ((n + 2) / 3) + 1)) == NULL)
		return NULL;
	EVP_EncodeBlock((unsigned char *)s, p, (int)n);
	return s;
}

/* Standard base64 of a certificate's DER, malloc'd. */
static char *cert_b64(X509 *x)
{
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);
	char *s = n > 0 ? b64_of(der, (size_t)n) : NULL;

	OPENSSL_free(der);
	return s;
}

/* The payload bioauth reads: standard base64 of the compact JSON text of
 * `payload` (released here; NULL is a failure). malloc'd; NULL on failure. */
static char *payload_b64(json_t *payload)
{
	char *text = payload != NULL ? json_dumps(payload, JSON_COMPACT) : NULL;
	char *out = text != NULL ? b64_of((const uint8_t *)text, strlen(text)) : NULL;

	json_decref(payload);
	free(text);
	return out;
}

/* The test CA of a directory: what issues the attested keys' certificates. */
struct test_ca {
	EVP_PKEY *int_key;
	X509 *inter, *root;
};

static void ca_clear(struct test_ca *ca)
{
	EVP_PKEY_free(ca->int_key);
	X509_free(ca->inter);
	X509_free(ca->root);
	memset(ca, 0, sizeof(*ca));
}

/* Reads the intermediate's key and certificate and the root from `dir`.
 * false after printing the error (ca cleared). */
static bool ca_load(const char *dir, struct test_ca *ca)
{
	ca->int_key = read_key(dir, "intermediate.key");
	ca->inter = read_cert(dir, "intermediate.pem");
	ca->root = read_cert(dir, "root.pem");
	if (ca->int_key != NULL && ca->inter != NULL && ca->root != NULL)
		return true;
	cli_err("cannot read the attestation CA in %s (run attest-ca init --dir %s)", dir, dir);
	ca_clear(ca);
	return false;
}

char *cli_android_attestation(const bioauth_key *key, const char *ca_dir, const char *challenge)
{
	uint8_t *spki = NULL;
	size_t spki_len = 0;
	const unsigned char *p;
	EVP_PKEY *pub = NULL;
	struct test_ca ca = {0};
	X509 *leaf = NULL;
	struct dw kd;
	json_t *payload = NULL, *x5c;
	char *out = NULL;
	bool ec = bioauth_key_get_type(key) == BIOAUTH_KEY_EC;

	if (bioauth_key_export_public(key, BIOAUTH_PUBKEY_SPKI, &spki, &spki_len) != BIOAUTH_OK)
		goto out;
	p = spki;
	if ((pub = d2i_PUBKEY(NULL, &p, (long)spki_len)) == NULL || !ca_load(ca_dir, &ca))
		goto out;
	if (!key_description(ec ? 3 : 1, (uint64_t)EVP_PKEY_get_bits(pub), challenge, &kd) ||
	    (leaf = issue(pub, "Android Keystore Key", ca.inter, ca.int_key, false, 365,
	                  OID_KEY_DESCRIPTION, &kd)) == NULL) {
		cli_err("cannot issue the attestation certificate");
		goto out;
	}
	payload = json_object();
	x5c = json_array();
	if (payload == NULL || json_object_set_new(payload, "x5c", x5c) != 0 ||
	    json_object_set_new(payload, "format", json_string("android-key")) != 0)
		goto out;
	X509 *chain[3] = { leaf, ca.inter, ca.root };
	for (int i = 0; i < 3; i++) {
		char *b = cert_b64(chain[i]);
		int bad = b == NULL || json_array_append_new(x5c, json_string(b)) != 0;
		free(b);
		if (bad)
			goto out;
	}
	out = payload_b64(payload);
	payload = NULL;
out:
	ERR_clear_error();
	json_decref(payload);
	bioauth_buffer_free(spki);
	EVP_PKEY_free(pub);
	ca_clear(&ca);
	X509_free(leaf);
	return out;
}

/* ---- App Attest -------------------------------------------------------- */

/* Adds key => value to map `m` and drops the caller's references to both
 * (either may be NULL, a build that failed: then false). */
static bool cbor_put(cbor_item_t *m, cbor_item_t *key, cbor_item_t *value)
{
	bool ok = m != NULL && key != NULL && value != NULL &&
	          cbor_map_add(m, (struct cbor_pair){ .key = key, .value = value });

	if (key != NULL)
		cbor_decref(&key);
	if (value != NULL)
		cbor_decref(&value);
	return ok;
}

/* Serializes `item` (released here; NULL is a failure) into a new buffer
 * (*out, free()). false on failure. */
static bool cbor_encode(cbor_item_t *item, unsigned char **out, size_t *len)
{
	size_t cap = 0;

	*out = NULL;
	*len = item != NULL ? cbor_serialize_alloc(item, out, &cap) : 0;
	if (item != NULL)
		cbor_decref(&item);
	if (*len == 0) {
		free(*out);
		*out = NULL;
	}
	return *len > 0;
}

/* Appends the COSE_Key of P-256 point `pt` (0x04 || X || Y) to w:
 * {1 (kty): 2 (EC2), 3 (alg): -7 (ES256), -1 (crv): 1 (P-256), -2: X, -3: Y}. */
static bool cose_key(const uint8_t pt[65], struct dw *w)
{
	cbor_item_t *m = cbor_new_definite_map(5);
	unsigned char *b = NULL;
	size_t n;
	bool ok = cbor_put(m, cbor_build_uint8(1), cbor_build_uint8(2)) &&
	          cbor_put(m, cbor_build_uint8(3), cbor_build_negint8(6)) &&
	          cbor_put(m, cbor_build_negint8(0), cbor_build_uint8(1)) &&
	          cbor_put(m, cbor_build_negint8(1), cbor_build_bytestring(pt + 1, 32)) &&
	          cbor_put(m, cbor_build_negint8(2), cbor_build_bytestring(pt + 33, 32));

	if (!ok) {
		if (m != NULL)
			cbor_decref(&m);
		return false;
	}
	if (!cbor_encode(m, &b, &n))
		return false;
	dw_bytes(w, b, n);
	free(b);
	return !w->err;
}

/* out = SHA-256(a || SHA-256(b)): the App Attest nonce of authenticator
 * data `a` over client data `b`. false on failure. */
static bool appattest_nonce(const struct dw *a, const uint8_t *b, size_t bl, uint8_t out[32])
{
	uint8_t h[32];
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	bool ok = c != NULL && SHA256(b, bl, h) != NULL &&
	          EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
	          EVP_DigestUpdate(c, a->b, a->n) == 1 && EVP_DigestUpdate(c, h, 32) == 1 &&
	          EVP_DigestFinal_ex(c, out, NULL) == 1;

	EVP_MD_CTX_free(c);
	return ok && !a->err;
}

/* The attestation object: {"fmt": "apple-appattest", "attStmt": {"x5c":
 * [credential certificate, intermediate], "receipt"}, "authData"}. */
static bool appattest_object(X509 *leaf, X509 *inter, const struct dw *ad,
                             unsigned char **out, size_t *len)
{
	cbor_item_t *root = cbor_new_definite_map(3), *stmt = cbor_new_definite_map(2),
	            *x5c = cbor_new_definite_array(2);
	X509 *chain[2] = { leaf, inter };
	bool ok = root != NULL && stmt != NULL && x5c != NULL;

	for (int i = 0; ok && i < 2; i++) {
		unsigned char *der = NULL;
		int n = i2d_X509(chain[i], &der);
		cbor_item_t *b = n > 0 ? cbor_build_bytestring(der, (size_t)n) : NULL;
		ok = b != NULL && cbor_array_push(x5c, b);
		if (b != NULL)
			cbor_decref(&b);
		OPENSSL_free(der);
	}
	if (ok) {
		ok = cbor_put(stmt, cbor_build_string("x5c"), x5c) &&
		     cbor_put(stmt, cbor_build_string("receipt"),
		              cbor_build_bytestring((const unsigned char *)APPATTEST_RECEIPT,
		                                    strlen(APPATTEST_RECEIPT)));
		x5c = NULL;
	}
	if (ok) {
		ok = cbor_put(root, cbor_build_string("fmt"), cbor_build_string("apple-appattest")) &&
		     cbor_put(root, cbor_build_string("attStmt"), stmt) &&
		     cbor_put(root, cbor_build_string("authData"), cbor_build_bytestring(ad->b, ad->n));
		stmt = NULL;
	}
	if (x5c != NULL)
		cbor_decref(&x5c);
	if (stmt != NULL)
		cbor_decref(&stmt);
	if (!ok) {
		if (root != NULL)
			cbor_decref(&root);
		return false;
	}
	return cbor_encode(root, out, len);
}

/* The assertion of App Attest key `aa` over client data `cd`:
 * {"signature": ECDSA-SHA256 (DER) of SHA-256(authenticatorData ||
 * SHA-256(cd)), "authenticatorData": rpIdHash, flags, counter 1}. */
static bool appattest_assertion(EVP_PKEY *aa, const uint8_t rp_id_hash[32],
                                const uint8_t *cd, size_t cd_len,
                                unsigned char **out, size_t *len)
{
	static const uint8_t flags_counter[5] = { APPATTEST_FLAG_ATTESTED, 0, 0, 0, 1 };
	struct dw ad = {0};
	uint8_t nonce[32], sig[80];
	size_t sig_len = sizeof(sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	cbor_item_t *m = cbor_new_definite_map(2);
	bool ok;

	dw_bytes(&ad, rp_id_hash, 32);
	dw_bytes(&ad, flags_counter, sizeof(flags_counter));
	ok = md != NULL && m != NULL && appattest_nonce(&ad, cd, cd_len, nonce) &&
	     EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, aa) == 1 &&
	     EVP_DigestSign(md, sig, &sig_len, nonce, sizeof(nonce)) == 1 &&
	     cbor_put(m, cbor_build_string("signature"), cbor_build_bytestring(sig, sig_len)) &&
	     cbor_put(m, cbor_build_string("authenticatorData"),
	              cbor_build_bytestring(ad.b, ad.n));
	EVP_MD_CTX_free(md);
	if (!ok) {
		if (m != NULL)
			cbor_decref(&m);
		return false;
	}
	return cbor_encode(m, out, len);
}

char *cli_appattest_attestation(const bioauth_key *key, const char *ca_dir,
                                const char *challenge, const char *app_id, bool development)
{
	static const uint8_t aaguid_dev[16] = "appattestdevelop";
	static const uint8_t aaguid_prod[16] = "appattest\0\0\0\0\0\0";
	static const uint8_t counter_zero[4] = { 0, 0, 0, 0 };
	static const uint8_t flags = APPATTEST_FLAG_ATTESTED, cred_len[2] = { 0, 32 };
	uint8_t *spki = NULL, point[65], key_id[32], rp_id_hash[32], nonce[32];
	size_t spki_len = 0, point_len = 0, att_len = 0, asn_len = 0;
	unsigned char *att = NULL, *asn = NULL;
	struct test_ca ca = {0};
	EVP_PKEY *aa = NULL;            /* the App Attest key: lives for this call */
	X509 *leaf = NULL;
	struct dw ad = {0}, oct = {0}, tagged = {0}, ext = {0};
	char *kid_b64 = NULL, *att_b64 = NULL, *asn_b64 = NULL, *out = NULL;

	if (!ca_load(ca_dir, &ca))
		goto out;
	if (bioauth_key_export_public(key, BIOAUTH_PUBKEY_SPKI, &spki, &spki_len) != BIOAUTH_OK ||
	    (aa = EVP_EC_gen("P-256")) == NULL ||
	    !EVP_PKEY_get_octet_string_param(aa, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point,
	                                     sizeof(point), &point_len) ||
	    point_len != sizeof(point) || point[0] != 0x04 ||
	    SHA256(point, sizeof(point), key_id) == NULL ||
	    SHA256((const unsigned char *)app_id, strlen(app_id), rp_id_hash) == NULL)
		goto fail;
	/* authData: rpIdHash, flags, counter 0, then the attested credential
	 * data: aaguid, credentialId (= key ID), its COSE key. */
	dw_bytes(&ad, rp_id_hash, sizeof(rp_id_hash));
	dw_bytes(&ad, &flags, 1);
	dw_bytes(&ad, counter_zero, sizeof(counter_zero));
	dw_bytes(&ad, development ? aaguid_dev : aaguid_prod, 16);
	dw_bytes(&ad, cred_len, sizeof(cred_len));
	dw_bytes(&ad, key_id, sizeof(key_id));
	if (!cose_key(point, &ad) ||
	    !appattest_nonce(&ad, (const uint8_t *)challenge, strlen(challenge), nonce))
		goto fail;
	/* The nonce extension: SEQUENCE { [1] EXPLICIT OCTET STRING nonce }. */
	dw_tlv(&oct, 0x00, 4, nonce, sizeof(nonce));
	dw_explicit(&tagged, 1, &oct);
	dw_tlv(&ext, 0x20, 16, tagged.b, tagged.n);
	if ((leaf = issue(aa, "bioauth-device App Attest key", ca.inter, ca.int_key, false, 365,
	                  OID_APPLE_NONCE, &ext)) == NULL ||
	    !appattest_object(leaf, ca.inter, &ad, &att, &att_len) ||
	    !appattest_assertion(aa, rp_id_hash, spki, spki_len, &asn, &asn_len) ||
	    (kid_b64 = b64_of(key_id, sizeof(key_id))) == NULL ||
	    (att_b64 = b64_of(att, att_len)) == NULL ||
	    (asn_b64 = b64_of(asn, asn_len)) == NULL ||
	    (out = payload_b64(json_pack("{s:s, s:s, s:s, s:s}", "format", "apple-appattest",
	                                 "key_id", kid_b64, "attestation", att_b64,
	                                 "assertion", asn_b64))) == NULL)
		goto fail;
	goto out;
fail:
	cli_err("cannot make the App Attest attestation");
out:
	ERR_clear_error();
	free(kid_b64);
	free(att_b64);
	free(asn_b64);
	free(att);
	free(asn);
	bioauth_buffer_free(spki);
	EVP_PKEY_free(aa);
	X509_free(leaf);
	ca_clear(&ca);
	return out;
}
