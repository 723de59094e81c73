/*
 * seedgen.c - writes the seed corpora of fuzz/corpus/<harness>/ (`make
 * fuzz-seeds`): realistic, valid inputs made with the project's own code -
 * request bodies of each endpoint, the fixed keys in every accepted
 * encoding, real signatures, JWTs from jws_sign and claims of tokens from
 * tokens_issue_client / tokens_issue_user, a sample config file. Built with
 * the normal (uninstrumented) library; every seed starts with the two
 * control bytes 00 00 (no allocation-failure injection, fuzz_common.h).
 *
 * Usage: fuzz-seedgen DIR   (writes DIR/<harness>/<name>)
 */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "attest/attest.h"
#include "crypto/ecsig.h"
#include "crypto/encoding.h"
#include "domain/tokens.h"
#include "fuzz_support.c"

static const char *sg_dir;
static int sg_count;

/* Writes DIR/h/name = 00 00 || prefix[plen] || body[blen]. */
static void
sg_put(const char *h, const char *name, const void *prefix, size_t plen,
       const void *body, size_t blen)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", sg_dir, h);
	if (mkdir(path, 0755) != 0 && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s/%s", sg_dir, h, name);
	f = fopen(path, "wb");
	if (f == NULL || fwrite("\0\0", 1, 2, f) != 2 ||
	    (plen > 0 && fwrite(prefix, 1, plen, f) != plen) ||
	    (blen > 0 && fwrite(body, 1, blen, f) != blen) || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
	sg_count++;
}

/* Same with a one-byte selector and a text body. */
static void
sg_text(const char *h, const char *name, unsigned sel, const char *text)
{
	uint8_t s = (uint8_t)sel;

	sg_put(h, name, &s, 1, text, strlen(text));
}

static void
sg_die(const char *what)
{
	fprintf(stderr, "fuzz-seedgen: %s failed\n", what);
	exit(1);
}

static EVP_PKEY *
sg_priv(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k = bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	if (k == NULL)
		sg_die("key load");
	return k;
}

/* DER SPKI of a key; *n bytes, OPENSSL_free it. */
static uint8_t *
sg_spki(EVP_PKEY *k, size_t *n)
{
	unsigned char *der = NULL;
	int len = i2d_PUBKEY(k, &der);

	if (len <= 0)
		sg_die("i2d_PUBKEY");
	*n = (size_t)len;
	return der;
}

static char *
sg_b64(const uint8_t *p, size_t n, bool url)
{
	char *s = NULL;

	if ((url ? b64url_encode(p, n, &s) : b64_encode(p, n, &s)) != BA_OK)
		sg_die("base64");
	return s;
}

/* Base64 wrapped every 64 characters with CRLF (Android Base64.DEFAULT). */
static char *
sg_wrap(const char *b64)
{
	size_t n = strlen(b64), i, o = 0;
	char *w = malloc(n + n / 32 + 3);

	if (w == NULL)
		sg_die("malloc");
	for (i = 0; i < n; i++) {
		w[o++] = b64[i];
		if (i % 64 == 63) {
			w[o++] = '\r';
			w[o++] = '\n';
		}
	}
	w[o] = '\0';
	return w;
}

static size_t
sg_sign(EVP_PKEY *k, int pad, const char *msg, uint8_t *sig, size_t cap)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	size_t n = cap;

	if (m == NULL || EVP_DigestSignInit(m, &pctx, EVP_sha256(), NULL, k) != 1 ||
	    (pad != 0 && EVP_PKEY_CTX_set_rsa_padding(pctx, pad) != 1) ||
	    (pad == RSA_PKCS1_PSS_PADDING && EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) != 1) ||
	    EVP_DigestSign(m, sig, &n, (const uint8_t *)msg, strlen(msg)) != 1)
		sg_die("sign");
	EVP_MD_CTX_free(m);
	return n;
}

/* --- per harness --- */

static char *sg_ec_b64, *sg_rsa_b64, *sg_rsa_pkcs1_b64, *sg_ec_point_b64;

static void
sg_keys(void)
{
	EVP_PKEY *ec = sg_priv(fuzz_ec_pem), *rsa = sg_priv(fuzz_rsa_pem);
	uint8_t *der, point[65], *p1 = NULL;
	size_t n;
	int p1n;
	char *pem, *w;
	size_t plen = sizeof(point);

	der = sg_spki(ec, &n);
	sg_ec_b64 = sg_b64(der, n, false);
	sg_put("pubkey", "ec-spki-der", "\x04", 1, der, n);
	OPENSSL_free(der);
	if (EVP_PKEY_get_octet_string_param(ec, "encoded-pub-key", point, sizeof(point), &plen) != 1)
		sg_die("EC point");
	sg_ec_point_b64 = sg_b64(point, plen, false);
	der = sg_spki(rsa, &n);
	sg_rsa_b64 = sg_b64(der, n, false);
	sg_put("pubkey", "rsa-spki-der", "\x04", 1, der, n);
	OPENSSL_free(der);
	p1n = i2d_PublicKey(rsa, &p1);
	if (p1n <= 0)
		sg_die("i2d_PublicKey");
	sg_rsa_pkcs1_b64 = sg_b64(p1, (size_t)p1n, false);

	sg_text("pubkey", "ec-spki-b64", 1, sg_ec_b64);
	sg_text("pubkey", "ec-point-b64", 1, sg_ec_point_b64);
	sg_text("pubkey", "rsa-spki-b64", 2, sg_rsa_b64);
	sg_text("pubkey", "rsa-pkcs1-b64-any", 0, sg_rsa_pkcs1_b64);
	w = sg_wrap(sg_rsa_b64);
	sg_text("pubkey", "rsa-spki-b64-crlf", 0, w);
	free(w);
	{
		char *u;
		der = sg_spki(ec, &n);
		u = sg_b64(der, n, true);
		sg_text("pubkey", "ec-spki-b64url", 0, u);
		free(u);
		OPENSSL_free(der);
	}
	pem = malloc(4096);
	if (pem == NULL)
		sg_die("malloc");
	w = sg_wrap(sg_ec_b64);
	snprintf(pem, 4096, "-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----\n", w);
	sg_text("pubkey", "ec-pem", 0, pem);
	free(w);
	w = sg_wrap(sg_rsa_pkcs1_b64);
	snprintf(pem, 4096, "-----BEGIN RSA PUBLIC KEY-----\r\n%s\r\n-----END RSA PUBLIC KEY-----", w);
	sg_text("pubkey", "rsa-pkcs1-pem", 2, pem);
	free(w);
	free(pem);
	OPENSSL_free(p1);

	/* sigverify: [sel][mlen][msg][sig] */
	{
		static const char msg[] = "4f1c9e2ab7d8c3e5f6a7b8c9d0e1f2a3";
		uint8_t sig[600], raw[64], pre[2 + sizeof(msg)];
		size_t sn;
		char *b;

		pre[1] = (uint8_t)strlen(msg);
		memcpy(pre + 2, msg, strlen(msg));
		sn = sg_sign(ec, 0, msg, sig, sizeof(sig));
		pre[0] = 0x00;   /* EC, ANY, raw bytes */
		sg_put("sigverify", "ec-der", pre, 2 + strlen(msg), sig, sn);
		pre[0] = 0x02;   /* EC, ECDSA_DER */
		sg_put("sigverify", "ec-der-scheme", pre, 2 + strlen(msg), sig, sn);
		if (ecsig_der_to_raw(sig, sn, 32, raw) != BA_OK)
			sg_die("ecsig");
		pre[0] = 0x04;   /* EC, ECDSA_RAW */
		sg_put("sigverify", "ec-raw", pre, 2 + strlen(msg), raw, 64);
		pre[0] = 0x30;   /* ecsig round trips */
		sg_put("sigverify", "ecsig-der", pre, 2, sig, sn);
		b = sg_b64(sig, sn, false);
		pre[0] = 0x10;   /* EC, base64 */
		sg_put("sigverify", "ec-der-b64", pre, 2 + strlen(msg), b, strlen(b));
		free(b);
		sn = sg_sign(rsa, RSA_PKCS1_PADDING, msg, sig, sizeof(sig));
		pre[0] = 0x07;   /* RSA, PKCS1 */
		sg_put("sigverify", "rsa-pkcs1", pre, 2 + strlen(msg), sig, sn);
		b = sg_b64(sig, sn, false);
		w = sg_wrap(b);
		pre[0] = 0x11;   /* RSA, base64 with CRLF */
		sg_put("sigverify", "rsa-pkcs1-b64-crlf", pre, 2 + strlen(msg), w, strlen(w));
		free(w);
		free(b);
		sn = sg_sign(rsa, RSA_PKCS1_PSS_PADDING, msg, sig, sizeof(sig));
		pre[0] = 0x09;   /* RSA, PSS */
		sg_put("sigverify", "rsa-pss", pre, 2 + strlen(msg), sig, sn);
		pre[0] = 0x20;   /* sign-and-check, EC */
		sg_put("sigverify", "consistency-ec", pre, 2 + strlen(msg), "\x05\x03", 2);
		pre[0] = 0x61;   /* sign-and-check, RSA PSS */
		sg_put("sigverify", "consistency-rsa-pss", pre, 2 + strlen(msg), "\x40\x07", 2);
		pre[0] = 0x21;   /* sign-and-check, RSA PKCS1 */
		sg_put("sigverify", "consistency-rsa", pre, 2 + strlen(msg), "\x11\x02", 2);
	}
	EVP_PKEY_free(ec);
	EVP_PKEY_free(rsa);
}

static void
sg_json_in(void)
{
	char body[20000];

	/* selectors: users 0, password 1, refresh 2, logout 3, start 4,
	 * register 5, authenticate 6, delete 7 (routes.c order); second byte
	 * = chunking. */
	sg_put("json_in", "users", "\x00\x35", 2,
	       "{\"user_id\":\"alice\",\"username\":\"alice@example.com\"}", 51);
	sg_put("json_in", "users-generated-id", "\x00\x00", 2, "{\"username\":\"bob\"}", 18);
	snprintf(body, sizeof(body), "{\"username\":\"ada\",\"email\":\"Ada.L@Example.com\","
	         "\"phone_number\":\"+14155550100\",\"credentials\":{\"force_replace\":false},"
	         "\"name\":{\"first_name\":\"Ada\"},\"external_user_id\":\"crm-7\","
	         "\"custom_data\":{\"tier\":\"gold\"}}");
	sg_put("json_in", "users-transmit", "\x00\x21", 2, body, strlen(body));
	snprintf(body, sizeof(body), "{\"username\":\"alice@example.com\",\"password\":"
	         "\"correct horse battery staple\",\"resource\":\"https://api.example.com\","
	         "\"claims\":{\"id_token\":{\"username\":null,\"org_id\":null}},"
	         "\"org_id\":\"org-1\",\"client_attributes\":{\"ip\":\"203.0.113.7\"}}");
	sg_put("json_in", "password", "\x01\x88", 2, body, strlen(body));
	sg_put("json_in", "refresh", "\x02\x11", 2,
	       "{\"refresh_token\":\"rt_Zk3p9Qw2x7Lm0Vb8Nc4Hs6Jd1Fg5Ta\"}", 52);
	sg_put("json_in", "logout", "\x03\x00", 2, "{\"session_id\":\"ses_8d2kQ0vXbT\"}", 31);
	snprintf(body, sizeof(body), "{\"user_id\":\"alice\",\"device_id\":\"pixel-8\","
	         "\"approval_data\":{\"amount\":\"10.00\",\"payee\":\"ACME\"},\"timeout\":120}");
	sg_put("json_in", "start", "\x04\x52", 2, body, strlen(body));
	snprintf(body, sizeof(body), "{\"publicKey\":\"%s\",\"publicKeyId\":\"key-1\","
	         "\"os\":\"Android\",\"encryptionType\":\"ec\",\"device_id\":\"pixel-8\","
	         "\"displayName\":\"Alice's phone\"}", sg_ec_b64);
	sg_put("json_in", "register-ec", "\x05\x33", 2, body, strlen(body));
	snprintf(body, sizeof(body), "{\"publicKey\":\"%s\",\"publicKeyId\":\"key-2\","
	         "\"os\":\"iOS\",\"encryptionType\":\"RSA\",\"challenge\":\"c-123\","
	         "\"attestation_encoded_result\":\"YXR0ZXN0\"}", sg_rsa_pkcs1_b64);
	sg_put("json_in", "register-rsa", "\x05\x00", 2, body, strlen(body));
	snprintf(body, sizeof(body), "{\"user_id\":\"alice\",\"key_id\":\"key-1\","
	         "\"challenge\":\"4f1c9e2ab7d8c3e5f6a7b8c9d0e1f2a3\",\"signature\":"
	         "\"MEUCIQDx3mW0bq2lC8y4f2iYt0kI5o1rV8qk9sJ2u3fX4eLh7wIgT9k2m5s8n1q4r7u0x3z6c9f2i5l8o1r4u7x0a3d6g9j=\","
	         "\"resource\":\"https://api.example.com\"}");
	sg_put("json_in", "authenticate", "\x06\xf0", 2, body, strlen(body));
	sg_put("json_in", "delete", "\x07\x00", 2, "{\"publicKeyId\":\"key-1\"}", 23);
	sg_put("json_in", "duplicate-key", "\x00\x00", 2, "{\"user_id\":\"a\",\"user_id\":\"b\"}", 29);
	memset(body, '[', 40);
	sg_put("json_in", "deep", "\x03\x00", 2, body, 40);
}

static void
sg_form(void)
{
	sg_text("form", "client-credentials", 0,
	        "grant_type=client_credentials&client_id=app_1&client_secret=s3cr%2Bt%21&resource="
	        "https%3A%2F%2Fapi.example.com");
	sg_text("form", "refresh", 0,
	        "grant_type=refresh_token&refresh_token=rt_Zk3p9Qw2x7Lm0Vb8&scope=openid+profile");
	sg_text("form", "introspection", 2, "token=eyJhbGciOiJFUzI1NiJ9.e30.c2ln&token_type_hint=access_token");
	sg_text("form", "revocation", 2, "token=rt_abc&token_type_hint=refresh_token&client_id=app_1");
	sg_text("form", "component", 1, "caf%C3%A9+au+lait%21");
	sg_text("form", "component-encoded-slash", 1, "a%2Fb");
	sg_text("form", "repeated", 0, "a=1&a=2");
}

static void
sg_router(void)
{
	/* method: GET 0, POST 1, DELETE 2, HEAD 3, PUT 4 */
	sg_text("router", "healthz", 0, "/healthz");
	sg_text("router", "readyz-head", 3, "/readyz");
	sg_text("router", "user", 0, "/v1/users/alice%40example.com");
	sg_text("router", "user-delete", 2, "/v1/users/usr_8d2kQ0vXbT");
	sg_text("router", "authenticators", 0, "/v1/users/alice/authenticators");
	sg_text("router", "register", 1, "/v1/auth/mobile-biometrics/register");
	sg_text("router", "token", 1, "/oidc/token");
	sg_text("router", "discovery", 0, "/oidc/.well-known/openid-configuration");
	sg_text("router", "dotdot", 0, "/v1/users/%2e%2e/authenticators");
	sg_text("router", "method-not-allowed", 4, "/v1/users");
}

static void
sg_encoding(void)
{
	sg_put("encoding", "empty", NULL, 0, NULL, 0);
	sg_put("encoding", "padded", NULL, 0, "SGVsbG8gd29ybGQ=", 16);
	sg_put("encoding", "url", NULL, 0, "-_-_SGVsbG8", 11);
	sg_put("encoding", "std", NULL, 0, "+/+/SGVsbA==", 12);
	sg_put("encoding", "lines", NULL, 0, "SGVs\r\nbG8g\nd29y\r\nbGQ=", 22);
	sg_put("encoding", "bits", NULL, 0, "QR==", 4);
}

static void
sg_jws(void)
{
	static const enum jws_alg algs[3] = { JWS_ES256, JWS_RS256, JWS_EDDSA };
	const struct config *cfg = fuzz_config();
	struct keyset *ks = fuzz_keyset();
	struct model_app app = {0};
	struct model_session ses = {0};
	struct token_subject subj = {0};
	char *t, *id, *jwk, name[64];
	const char *d1, *d2;
	uint8_t *claims;
	size_t n, i;
	int64_t exp;

	for (i = 0; i < 3; i++) {
		const struct jws_key *k = fuzz_jws_key(algs[i]);
		uint8_t pre[2];

		if (jws_sign(k, i == 0 ? "at+jwt" : "JWT",
		             "{\"sub\":\"alice\",\"iat\":1700000000}", 32, &t) != BA_OK)
			sg_die("jws_sign");
		snprintf(name, sizeof(name), "verify-%s", jws_alg_name(k->alg));
		sg_text("jws", name, 0, t);
		snprintf(name, sizeof(name), "Bearer %s", t);
		sg_put("authz", jws_alg_name(k->alg), NULL, 0, name, strlen(name));
		free(t);
		pre[0] = (uint8_t)i;
		pre[1] = 6;
		snprintf(name, sizeof(name), "sign-%s", jws_alg_name(k->alg));
		{
			uint8_t p[64];
			p[0] = 1;
			memcpy(p + 1, pre, 2);
			memcpy(p + 3, "at+jwt{\"sub\":\"alice\"}", 21);
			sg_put("jws", name, NULL, 0, p, 24);
		}
		{
			char hdr[128];
			uint8_t p[256];
			size_t hl = (size_t)snprintf(hdr, sizeof(hdr),
			        "{\"alg\":\"%s\",\"kid\":\"%s\",\"typ\":\"JWT\"}",
			        jws_alg_name(k->alg), k->kid);
			p[0] = 2;
			p[1] = (uint8_t)i;
			p[2] = (uint8_t)(hl / 4);
			p[3] = (uint8_t)(hl % 4);
			memcpy(p + 4, hdr, hl);
			memcpy(p + 4 + hl, "{}", 2);
			snprintf(name, sizeof(name), "sign-raw-%s", jws_alg_name(k->alg));
			sg_put("jws", name, NULL, 0, p, 6 + hl);
		}
		if (jws_key_public_jwk(k, &jwk) != BA_OK)
			sg_die("jwk");
		snprintf(name, sizeof(name), "jwk-%s", jws_alg_name(k->alg));
		sg_text("jws", name, 3, jwk);
		free(jwk);
	}
	if (ks == NULL)
		sg_die("keyset");
	app.app_id = (char *)"app_1";
	app.name = (char *)"Demo";
	app.client_id = (char *)"cl_1";
	app.resources[0] = (char *)"https://api.example.com";
	app.n_resources = 1;
	if (tokens_issue_client(cfg, ks, &app, "https://api.example.com", 1700000000, &t, &exp) != BA_OK)
		sg_die("tokens_issue_client");
	sg_text("jws", "access-client-raw", 5, t);
	d1 = strchr(t, '.');
	d2 = strchr(d1 + 1, '.');
	if (b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &claims, &n) != BA_OK)
		sg_die("claims");
	sg_put("jws", "access-client-claims", "\x04\x00", 2, claims, n);
	free(claims);
	free(t);
	ses.session_id = (char *)"ses_1";
	ses.app_id = (char *)"app_1";
	ses.user_id = (char *)"alice";
	ses.factors = FACTOR_PWD | FACTOR_MOBILE_BIOMETRICS;
	ses.created_at = ses.auth_time = 1700000000;
	ses.expires_at = 1700000000 + 86400;
	subj.app = &app;
	subj.session = &ses;
	subj.audience = "https://api.example.com";
	subj.username = "alice@example.com";
	subj.claims = CLAIM_USERNAME;
	subj.now = 1700000000;
	if (tokens_issue_user(cfg, ks, &subj, &t, &id, &exp) != BA_OK)
		sg_die("tokens_issue_user");
	d1 = strchr(t, '.');
	d2 = strchr(d1 + 1, '.');
	if (b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &claims, &n) != BA_OK)
		sg_die("claims");
	sg_put("jws", "access-user-claims", "\x04\x00", 2, claims, n);
	free(claims);
	sg_text("jws", "id-token-raw", 5, id);
	free(t);
	free(id);
}

static void
sg_authz(void)
{
	char *b;

	b = sg_b64((const uint8_t *)"app_1:s3cr%2Bt", 14, false);
	{
		char h[128];
		snprintf(h, sizeof(h), "Basic %s", b);
		sg_put("authz", "basic", NULL, 0, h, strlen(h));
		snprintf(h, sizeof(h), "basic   %s", b);
		sg_put("authz", "basic-spaces", NULL, 0, h, strlen(h));
	}
	free(b);
	sg_put("authz", "bearer-garbage", NULL, 0, "Bearer  abc.def.ghi", 19);
}

static void
sg_config(void)
{
	static const char file[] =
		"# bioauthd configuration\n"
		"listen = 127.0.0.1:9090\n"
		"issuer = \"https://auth.example.com/oidc/\"\n"
		"db = /var/lib/bioauth/bioauth.db\n"
		"tenant-id = acme\n"
		"signing-alg = RS256\n"
		"durable = yes\n"
		"threads = 4\n"
		"db-pool-size = 8\n"
		"access-token-ttl = 900\n"
		"refresh-token-ttl = 2592000\n"
		"challenge-ttl = 300\n"
		"challenge-max-ttl = 3600\n"
		"lockout-threshold = 5\n"
		"lockout-duration = 900\n"
		"clock-leeway = 30\n"
		"body-limit = 65536\n"
		"header-limit = 8192\n"
		"json-max-depth = 32\n"
		"connection-timeout = 30\n"
		"max-connections = 1024\n"
		"per-ip-connections = 64\n"
		"log-level = warn\n"
		"\n"
		"   # indented comment\n";
	static const char ipv6[] = "listen = [::1]:8443\ndb = postgresql://bio@localhost/bioauth\n";
	static const char argv[] = "--listen=127.0.0.1:9000\0--durable\0false\0--threads\0" "8"
	                           "\0--issuer=https://id.example.com\0serve";

	sg_text("config", "file", 0, file);
	sg_text("config", "file-ipv6-pg", 0, ipv6);
	sg_put("config", "argv", "\x01", 1, argv, sizeof(argv) - 1);
}

/* The contents of a vector file of test/vectors/attestation/ (run from the
 * repository root); exits on failure. */
static uint8_t *
sg_slurp(const char *rel, size_t *len)
{
	char path[512];
	FILE *f;
	uint8_t *b;
	long n;

	snprintf(path, sizeof(path), "test/vectors/attestation/%s", rel);
	f = fopen(path, "rb");
	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0) {
		perror(path);
		exit(1);
	}
	rewind(f);
	b = malloc((size_t)n + 1);
	if (b == NULL || fread(b, 1, (size_t)n, f) != (size_t)n) {
		perror(path);
		exit(1);
	}
	fclose(f);
	*len = (size_t)n;
	return b;
}

/* Android seeds from one PEM chain: its leaf's KeyDescription (selector 0),
 * the chain length-prefixed (2, and 6 with the checks skipped) and as a
 * payload (1: base64, 5: JSON text). */
static void
sg_android_chain(const char *rel, const char *name)
{
	size_t len, o = 0, jo = 0;
	uint8_t *pem = sg_slurp(rel, &len), chain[20000];
	char json[30000], seed[64], *b64 = NULL;
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	X509 *x;
	int i = 0;

	jo = (size_t)snprintf(json, sizeof(json), "{\"format\":\"android-key\",\"x5c\":[");
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		unsigned char *der = NULL;
		int n = i2d_X509(x, &der);
		if (n <= 0 || o + 2 + (size_t)n > sizeof(chain))
			exit(1);
		if (i == 0) {
			ASN1_OBJECT *kd = OBJ_txt2obj("1.3.6.1.4.1.11129.2.1.17", 1);
			int e = X509_get_ext_by_OBJ(x, kd, -1);
			ASN1_OBJECT_free(kd);
			ASN1_OCTET_STRING *d = X509_EXTENSION_get_data(X509_get_ext(x, e));
			snprintf(seed, sizeof(seed), "%s-keydesc", name);
			sg_put("keydesc", seed, "\x00", 1, ASN1_STRING_get0_data(d),
			       (size_t)ASN1_STRING_length(d));
		}
		chain[o++] = (uint8_t)(n >> 8);
		chain[o++] = (uint8_t)n;
		memcpy(chain + o, der, (size_t)n);
		o += (size_t)n;
		if (b64_encode(der, (size_t)n, &b64) != BA_OK)
			exit(1);
		jo += (size_t)snprintf(json + jo, sizeof(json) - jo, "%s\"%s\"", i ? "," : "", b64);
		free(b64);
		OPENSSL_free(der);
		X509_free(x);
		i++;
	}
	ERR_clear_error();
	jo += (size_t)snprintf(json + jo, sizeof(json) - jo, "]}");
	snprintf(seed, sizeof(seed), "%s-chain", name);
	sg_put("keydesc", seed, "\x02", 1, chain, o);
	snprintf(seed, sizeof(seed), "%s-chain-unchecked", name);
	sg_put("keydesc", seed, "\x06", 1, chain, o);
	snprintf(seed, sizeof(seed), "%s-payload-json", name);
	sg_put("keydesc", seed, "\x05", 1, json, jo);
	if (b64_encode((const uint8_t *)json, jo, &b64) != BA_OK)
		exit(1);
	snprintf(seed, sizeof(seed), "%s-payload", name);
	sg_text("keydesc", seed, 1, b64);
	snprintf(seed, sizeof(seed), "%s-evaluate-required", name);
	sg_text("keydesc", seed, 1 | 8 | (ATTEST_MODE_REQUIRED << 4), b64);
	free(b64);
	BIO_free(bio);
	free(pem);
}

/* Key attestation seeds: real Android chains and the ios-14.4 App Attest
 * object with its assertion (accepted at the harness's time). */
static void
sg_attest(void)
{
	size_t al, sl;
	uint8_t *att, *asn, *buf;

	sg_android_chain("android/keyattestation/caiman/sdk36/TEE_EC_RKP.pem", "caiman-tee");
	sg_android_chain("android/keyattestation/blueline/sdk28/SB_RSA_NONE_USERAUTH.pem",
	                 "blueline-sb-userauth");
	sg_android_chain("android/keyattestation/invalid/malformed_rot_device_locked.pem",
	                 "rot-device-locked-01");
	sg_android_chain("android/keyattestation/allow_while_on_body.pem", "allow-while-on-body");

	att = sg_slurp("apple/veehaitch/ios-14.4.attestation.cbor", &al);
	asn = sg_slurp("apple/veehaitch/ios-14.4.assertion.cbor", &sl);
	buf = malloc(3 + al + sl);
	if (buf == NULL)
		exit(1);
	buf[1] = (uint8_t)(al >> 8);
	buf[2] = (uint8_t)al;
	memcpy(buf + 3, att, al);
	memcpy(buf + 3 + al, asn, sl);
	buf[0] = 0;
	sg_put("appattest", "ios-14.4", NULL, 0, buf, 3 + al + sl);
	buf[0] = 1 | 2 | 4;
	sg_put("appattest", "ios-14.4-unchecked", NULL, 0, buf, 3 + al + sl);
	sg_put("appattest", "ios-14.4-cbor-guard", "\x20", 1, att, al);
	free(buf);
	free(att);
	free(asn);
}

/* Secrets files (fuzz/secrets.c): read directly (selector 0) and through
 * a file (1): one secret, two with comments and CRLF, and refused ones. */
static void
sg_secrets(void)
{
	static const struct { const char *name, *text; } s[] = {
		{ "one", "l5Yp2Uo0oC7yX4t3m2Z9eQk1h8RfGv6bNsJaWcDqEiM\n" },
		{ "two-commented-crlf", "# current\r\nl5Yp2Uo0oC7yX4t3m2Z9eQk1h8RfGv6bNsJaWcDqEiM\r\n"
		  "\r\n# old\r\nA0b1C2d3E4f5G6h7I8j9K0l1M2n3O4p5Q6r7S8t9\r\n" },
		{ "too-short", "short-secret\n" },
		{ "space", "l5Yp2Uo0oC7yX4t3m2Z9 eQk1h8RfGv6bNsJaWcDqEiM\n" },
		{ "empty", "\n# nothing\n" },
	};

	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		char name[64];

		sg_text("secrets", s[i].name, 0, s[i].text);
		snprintf(name, sizeof(name), "%s-file", s[i].name);
		sg_text("secrets", name, 1, s[i].text);
	}
}

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	sg_dir = argv[1];
	if (mkdir(sg_dir, 0755) != 0 && errno != EEXIST) {
		perror(sg_dir);
		return 1;
	}
	sg_keys();
	sg_json_in();
	sg_form();
	sg_router();
	sg_encoding();
	sg_jws();
	sg_authz();
	sg_config();
	sg_attest();
	sg_secrets();
	printf("fuzz-seedgen: %d seeds written under %s\n", sg_count, sg_dir);
	return 0;
}
