/*
 * attest.c - bioauth-device as an attesting Android phone: a local test
 * attestation CA (`attest-ca init --dir D`) and, for `keygen --attest
 * android-key --attest-ca D --challenge C`, a Keystore-style certificate
 * chain for the new key whose leaf carries a KeyDescription built for it
 * (TEE, origin GENERATED, purpose SIGN, fingerprint authentication, verified
 * boot). The result is the `attestation_encoded_result` payload bioauth
 * verifies (src/attest/attest.h): base64 of {"format": "android-key",
 * "x5c": [leaf, intermediate, root]}. A server trusts the CA with
 * `--attestation-trust-anchors D/root.pem` (or `bioauthctl attestation
 * verify --trust-anchors D/root.pem`). OpenSSL only.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/bn.h>
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
#define ATTEST_APP_PACKAGE "com.example.bioauth"
#define KD_MAX 2048

static const char usage_attest_ca[] =
	"usage: bioauth-device attest-ca init --dir D\n"
	"\n"
	"Creates a local test attestation CA in D (made if missing): root.pem and\n"
	"root.key (EC P-256, self-signed), intermediate.pem and intermediate.key,\n"
	"keys readable by the owner only. `keygen --attest android-key --attest-ca D`\n"
	"then issues Keystore-style chains under it; bioauth trusts them with\n"
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
 * `ca`. `kd` (may be NULL) becomes the KeyDescription extension. NULL on
 * failure.
 */
static X509 *issue(EVP_PKEY *pub, const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
                   bool ca, long days, const struct dw *kd)
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
	if (kd != NULL) {
		X509_EXTENSION_free(ext);
		ext = NULL;
		obj = OBJ_txt2obj(OID_KEY_DESCRIPTION, 1);
		val = ASN1_OCTET_STRING_new();
		if (obj == NULL || val == NULL || !ASN1_OCTET_STRING_set(val, kd->b, (int)kd->n) ||
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
	                  true, 3650, NULL)) == NULL ||
	    (inter = issue(int_key, "bioauth-device test attestation intermediate", root,
	                   root_key, true, 3650, NULL)) == NULL) {
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

/* Standard base64 of a DER certificate, malloc'd. */
static char *cert_b64(X509 *x)
{
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);
	char *s = NULL;

	if (n > 0 && (s = malloc(4 * (((size_t)n + 2) / 3) + 1)) != NULL)
		EVP_EncodeBlock((unsigned char *)s, der, n);
	OPENSSL_free(der);
	return s;
}

char *cli_android_attestation(const bioauth_key *key, const char *ca_dir, const char *challenge)
{
	uint8_t *spki = NULL;
	size_t spki_len = 0;
	const unsigned char *p;
	EVP_PKEY *pub = NULL, *int_key = NULL;
	X509 *root = NULL, *inter = NULL, *leaf = NULL;
	struct dw kd;
	json_t *payload = NULL, *x5c;
	char *text = NULL, *out = NULL;
	bool ec = bioauth_key_get_type(key) == BIOAUTH_KEY_EC;

	if (bioauth_key_export_public(key, BIOAUTH_PUBKEY_SPKI, &spki, &spki_len) != BIOAUTH_OK)
		goto out;
	p = spki;
	pub = d2i_PUBKEY(NULL, &p, (long)spki_len);
	int_key = read_key(ca_dir, "intermediate.key");
	inter = read_cert(ca_dir, "intermediate.pem");
	root = read_cert(ca_dir, "root.pem");
	if (pub == NULL || int_key == NULL || inter == NULL || root == NULL) {
		cli_err("cannot read the attestation CA in %s (run attest-ca init --dir %s)",
		        ca_dir, ca_dir);
		goto out;
	}
	if (!key_description(ec ? 3 : 1, (uint64_t)EVP_PKEY_get_bits(pub), challenge, &kd) ||
	    (leaf = issue(pub, "Android Keystore Key", inter, int_key, false, 365, &kd)) == NULL) {
		cli_err("cannot issue the attestation certificate");
		goto out;
	}
	payload = json_object();
	x5c = json_array();
	if (payload == NULL || json_object_set_new(payload, "x5c", x5c) != 0 ||
	    json_object_set_new(payload, "format", json_string("android-key")) != 0)
		goto out;
	X509 *chain[3] = { leaf, inter, root };
	for (int i = 0; i < 3; i++) {
		char *b = cert_b64(chain[i]);
		int bad = b == NULL || json_array_append_new(x5c, json_string(b)) != 0;
		free(b);
		if (bad)
			goto out;
	}
	text = json_dumps(payload, JSON_COMPACT);
	if (text == NULL || (out = malloc(4 * ((strlen(text) + 2) / 3) + 1)) == NULL)
		goto out;
	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)text, (int)strlen(text));
out:
	ERR_clear_error();
	json_decref(payload);
	free(text);
	bioauth_buffer_free(spki);
	EVP_PKEY_free(pub);
	EVP_PKEY_free(int_key);
	X509_free(root);
	X509_free(inter);
	X509_free(leaf);
	return out;
}
