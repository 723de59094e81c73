/*
 * fuzz_support.c - fixed keys, the default configuration and a real keyring
 * for the harnesses (see fuzz_common.h). Everything here is set up once,
 * with allocation-failure injection disarmed, and kept for the life of the
 * process.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "api/ctx.h"
#include "common/error.h"
#include "crypto/encoding.h"
#include "crypto/pubkey.h"
#include "edge/internal.h"
#include "domain/tokens.h"
#include "domain/model.h"
#include "store/store.h"
#include "fuzz_common.h"

/* Keys made for the fuzz harnesses only (openssl genpkey); they protect
 * nothing. */
const char fuzz_ec_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgG9BaH7n61XMrujVd\n"
	"6HJuYWtiwD59diB7Q02OLVTN1y+hRANCAARFzGY5cxVRtqmg5FELmCIZH0wEZWVc\n"
	"PepoE95aJcWlpNZo+LKKRtoSdNsx3xCgjL7JkkWcZgFmY+G93AklMHzs\n"
	"-----END PRIVATE KEY-----\n";

const char fuzz_rsa_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDA8wiarE31vg4G\n"
	"KEcnICWXkGwEN/k57wucsaDSjnL+bB7OhyKZ113gGFskimQNvMR4NpYFrawGCQq2\n"
	"a/mU1j0rGiYnAbENPPTgvvqlMN8Do4YDsb5QAtIGwJPRJIuORU1cg1Gv//pD7jsj\n"
	"pBBH7kfSQfbUtZBDnKJy9hBAoC7zOLTtZcS+ZjAcjj5R89CIaC2+7piaadxIx1ZF\n"
	"fvRrt6IVB3cWAO9cDGS1ISYn7AxG6L0j3Ehpi7x40mVyR1wkU3aJWyZLEXapuMY1\n"
	"u+ffQaDNikYSCxZktHk8AzerX8JhQifd2wg/622YZFToE8vrZweC2uPO98SIOHZr\n"
	"8C+Q+Z8TAgMBAAECggEAHEeis7Tcak+0U3+0yg3CpL/ErSudCjo4m/tG5IV/Yj3r\n"
	"l/6jeiPgPPek6CqmdoL70tjBTUzCoVHS8aDKwF9UMMyQ2fe8AQI1q/kh2HNcxHZD\n"
	"rqfvCmAXc2jnYWh3Ud9jctNGdkLQ5gL1RQiHYFuSyETlzhBceCRthOb+w9IWf4xH\n"
	"NYbPZQEmekpvq+HSEzJkc9T3mce68CEaiq+nZ1lZE7zBeo4cQeDWBp782mODzQ7V\n"
	"T+LeB+Ujn/ArDlUFYAA7igNcvu+5S6zd2EtKv626lbtI4YMDnGW3PPFFLf1Kvu96\n"
	"8m1/s8gT00VoewGPi52sqGwCU86Fw63HkE8ILQr34QKBgQD1MdGDCd4lKEQT3i4o\n"
	"sK/rtJwiA0YqqYI7rneQvgciMn8i6mikS1ENFLXl8FwExBTr9S2cQXH3ZlS5Fbwz\n"
	"5OWxtytQliv/1KohPx7cy9+9x7dNH7W5uyg+iRMFeVt5Oeq9cZI/qyy+qOMIFJbi\n"
	"9FQ7WCUvCi8Q3NnIh2esRNv0oQKBgQDJc85wUsyvFqVJuBtC1VlBTSp86dtGs1Lx\n"
	"2HdWDz18xxlwnMSGtiQmxpjCQKQUV30Y0MIM3hk5EgRGvV22CFnOTWmHNdYsZciG\n"
	"Jmi5tbQLyYCMzPiSZNTuQjB2cVPwxYZaGfkQ01QFh62nlvmOpvQWe0//bJXPINkY\n"
	"k241VwoDMwKBgG+FaTWgl1lvJweiVnxLYLhkPV96/b8JuiJLCDbdN4FmVk0bMN0J\n"
	"JKQ+dz1ORYwlYx6vNT+MxLkx4fcM27z+rzpVhW3x37FMmNTmULM8R1eaLtT1R0Ji\n"
	"zbsjvXMP73sDzLC9pzcuM/vD9P8H3lj7qBQV01PB3gZdbPC4JX9FEoYBAoGAUEVm\n"
	"4vb7PGEnp4JGypC8qfqXjYKZr0hRKrD4jEAyXf/vsSGmZY86RIEp6W1cdAaQgEze\n"
	"pcXyAv2c2psmNhyJvFy4Sfo3xyUfi+TOIgG3JmM6Z+Bcw+iNuAqDyQ5LRktOx6RF\n"
	"zGCIwFNZ7MeJ1T/NTw//xmV8JDaQiuxkI7j08mUCgYEAwM2W9IvMaIuS8V34Xwzl\n"
	"hSBB8JUokr11f5A71vffquii+TbsT7dxMMNgursz9DUObf+lKqvTqx9Iz35NdNwk\n"
	"nMc08dqtrD44LAzunn9UbROb8imE5wyjvIQ+dZEt3O/mhdrfAQB4y61/7nOnms9C\n"
	"EI0llAzAEH20cAVJy+v6f/Q=\n"
	"-----END PRIVATE KEY-----\n";

const char fuzz_ed_pem[] =
	"-----BEGIN PRIVATE KEY-----\n"
	"MC4CAQAwBQYDK2VwBCIEIFQRZ5HdStk0M379mh72h4Jv2840OmcDvlMSGi/gTgO3\n"
	"-----END PRIVATE KEY-----\n";

extern char **environ;

/* Drops every BIOAUTH_* variable so the defaults do not depend on the
 * caller's environment. */
static void
sup_clear_env(void)
{
	char name[128];
	size_t i = 0;

	while (environ[i] != NULL) {
		const char *eq = strchr(environ[i], '=');
		size_t n = eq != NULL ? (size_t)(eq - environ[i]) : strlen(environ[i]);

		if (strncmp(environ[i], "BIOAUTH_", 8) == 0 && n < sizeof(name)) {
			memcpy(name, environ[i], n);
			name[n] = '\0';
			unsetenv(name);
			i = 0;      /* environ changed under us */
			continue;
		}
		i++;
	}
}

static struct config sup_cfg;
static bool sup_cfg_ok;

const struct config *
fuzz_config(void)
{
	char *argv[] = { (char *)"bioauth-fuzz", NULL };
	int first = 0;
	bool help = false;

	if (sup_cfg_ok)
		return &sup_cfg;
	sup_clear_env();
	if (config_load(&sup_cfg, 1, argv, &first, &help, stderr) != BA_OK) {
		fprintf(stderr, "fuzz: cannot load the default configuration\n");
		abort();
	}
	/* No reload of the signing keys while fuzzing (reproducible runs). */
	sup_cfg.key_cache_seconds = 1000000000;
	sup_cfg_ok = true;
	return &sup_cfg;
}

static struct jws_key *sup_keys[3];

const struct jws_key *
fuzz_jws_key(enum jws_alg alg)
{
	static const struct { enum jws_alg alg; const char *kid; const char *pem; } def[3] = {
		{ JWS_ES256, "fuzz-es256", fuzz_ec_pem },
		{ JWS_RS256, "fuzz-rs256", fuzz_rsa_pem },
		{ JWS_EDDSA, "fuzz-eddsa", fuzz_ed_pem },
	};
	size_t i;

	for (i = 0; i < 3; i++) {
		if (def[i].alg != alg)
			continue;
		if (sup_keys[i] == NULL &&
		    jws_key_from_pem(def[i].alg, def[i].kid, def[i].pem, &sup_keys[i]) != BA_OK) {
			fprintf(stderr, "fuzz: cannot load the fixed %s key\n", def[i].kid);
			abort();
		}
		return sup_keys[i];
	}
	return NULL;
}

void
fuzz_jws_key_reload(enum jws_alg alg)
{
	size_t i = alg == JWS_ES256 ? 0 : alg == JWS_RS256 ? 1 : 2;

	jws_key_free(sup_keys[i]);
	sup_keys[i] = NULL;
	(void)fuzz_jws_key(alg);
}

const struct jws_key *
fuzz_jws_lookup(const char *kid, void *arg)
{
	static const enum jws_alg algs[3] = { JWS_ES256, JWS_RS256, JWS_EDDSA };
	size_t i;

	(void)arg;
	for (i = 0; i < 3; i++) {
		const struct jws_key *k = fuzz_jws_key(algs[i]);
		if (strcmp(k->kid, kid) == 0)
			return k;
	}
	return NULL;
}

static char sup_dir[256];
static struct store *sup_store;
static struct keyring *sup_keyring;
static struct keyset *sup_keyset;
static struct config sup_kcfg;   /* shares fuzz_config()'s strings */

/* Closes the store and removes its directory (atexit). */
static void
sup_keyset_cleanup(void)
{
	static const char *const files[] = { "db.sqlite", "db.sqlite-wal", "db.sqlite-shm",
	                                     "db.sqlite-journal", "secrets" };
	char p[300];
	size_t i;

	keyset_release(sup_keyset);
	keyring_free(sup_keyring);
	store_close(sup_store);
	sup_keyset = NULL;
	sup_keyring = NULL;
	sup_store = NULL;
	if (sup_dir[0] == '\0')
		return;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", sup_dir, files[i]);
		unlink(p);
	}
	rmdir(sup_dir);
}

struct keyset *
fuzz_keyset(void)
{
	static bool tried;
	struct store_options opt;
	struct store_write w;
	static char path[300];    /* sup_kcfg.db points here */
	char *kid = NULL;
	struct seal_keys *sk = NULL;
	const char *tmp = getenv("TMPDIR");
	int r;

	if (tried)
		return sup_keyset;
	tried = true;
	snprintf(sup_dir, sizeof(sup_dir), "%s/bioauth-fuzz.XXXXXX",
	         tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if (mkdtemp(sup_dir) == NULL) {
		sup_dir[0] = '\0';
		fprintf(stderr, "fuzz: no temporary directory; keyset modes skipped\n");
		return NULL;
	}
	atexit(sup_keyset_cleanup);
	snprintf(path, sizeof(path), "%s/db.sqlite", sup_dir);
	memset(&opt, 0, sizeof(opt));
	opt.durable = false;
	memset(&w, 0, sizeof(w));
	/* First an RS256 key, then rotated to ES256: both verify, and the
	 * signer is the fast one. */
	sup_kcfg = *fuzz_config();
	sup_kcfg.signing_alg = (char *)"RS256";
	sup_kcfg.db = path;     /* its secrets file is made beside it */
	if ((r = store_open(path, &opt, &sup_store)) != BA_OK ||
	    (r = keyring_open(sup_store, &sup_kcfg, &sup_keyring)) != BA_OK ||
	    (r = keyring_secrets_load(&sup_kcfg, false, &sk)) != BA_OK ||
	    (r = keyring_prepare_rotate(JWS_ES256, (int64_t)time(NULL), sk, &w, &kid)) != BA_OK ||
	    (r = store_write_sync(sup_store, &w)) != BA_OK) {
		fprintf(stderr, "fuzz: cannot set up the keyring (%s); keyset modes skipped\n",
		        ba_strerror(r));
		model_signing_key_clear(&w.in.signing_key);
		seal_keys_free(sk);
		free(kid);
		return NULL;
	}
	model_signing_key_clear(&w.in.signing_key);
	seal_keys_free(sk);
	free(kid);
	keyring_invalidate(sup_keyring);
	sup_keyset = keyring_acquire(sup_keyring);
	return sup_keyset;
}

static struct bioauth_ctx sup_ctx;
static struct http_server sup_srv;

struct req *
fuzz_req_new(const char *method, const char *path)
{
	struct req *r = calloc(1, sizeof(*r));

	if (r == NULL)
		abort();
	sup_ctx.cfg = fuzz_config();
	sup_srv.cfg = sup_ctx.cfg;
	sup_srv.ctx = &sup_ctx;
	r->srv = &sup_srv;
	snprintf(r->id, sizeof(r->id), "fuzz");
	snprintf(r->ip, sizeof(r->ip), "-");
	r->method = method;
	r->raw_path = strdup(path);
	if (r->raw_path == NULL)
		abort();
	atomic_store(&r->phase, PH_CREATED);
	return r;
}

/* Signs "warm" with pkey (PSS when asked) and verifies it with `pub`. */
static void
sup_warm_sig(EVP_PKEY *pkey, const struct pubkey *pub, bool pss)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	uint8_t sig[600];
	size_t n = sizeof(sig);

	if (m == NULL || EVP_DigestSignInit(m, &pctx, EVP_sha256(), NULL, pkey) != 1 ||
	    (pss && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	             EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) != 1)) ||
	    EVP_DigestSign(m, sig, &n, (const uint8_t *)"warm", 4) != 1 ||
	    sig_verify(pub, (const uint8_t *)"warm", 4, sig, n) != BA_OK) {
		fprintf(stderr, "fuzz: warm-up signature failed\n");
		abort();
	}
	EVP_MD_CTX_free(m);
}

void
fuzz_warm_up(void)
{
	static bool done;
	static const char *const pems[2] = { fuzz_ec_pem, fuzz_rsa_pem };
	static const enum jws_alg algs[3] = { JWS_ES256, JWS_RS256, JWS_EDDSA };
	struct token_claims c;
	struct pubkey k;
	size_t i;

	if (done)
		return;
	done = true;
	(void)fuzz_config();
	for (i = 0; i < 2; i++) {
		BIO *bio = BIO_new_mem_buf(pems[i], -1);
		EVP_PKEY *pkey = bio != NULL ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
		unsigned char *der = NULL;
		char *b64 = NULL;
		int n = pkey != NULL ? i2d_PUBKEY(pkey, &der) : 0;

		if (n <= 0 || b64_encode(der, (size_t)n, &b64) != BA_OK ||
		    pubkey_parse(b64, strlen(b64), 0, &k) != BA_OK) {
			fprintf(stderr, "fuzz: warm-up key parse failed\n");
			abort();
		}
		sup_warm_sig(pkey, &k, false);
		if (k.key_type == KEY_TYPE_RSA)
			sup_warm_sig(pkey, &k, true);
		pubkey_clear(&k);
		free(b64);
		OPENSSL_free(der);
		EVP_PKEY_free(pkey);
		BIO_free(bio);
	}
	for (i = 0; i < 3; i++) {
		char *t = NULL, *p = NULL;

		if (jws_sign(fuzz_jws_key(algs[i]), "JWT", "{}", 2, &t) != BA_OK ||
		    jws_verify(t, strlen(t), fuzz_jws_lookup, NULL, &p, NULL, NULL) != BA_OK) {
			fprintf(stderr, "fuzz: warm-up JWS failed\n");
			abort();
		}
		free(t);
		free(p);
	}
	if (fuzz_keyset() != NULL) {
		char *t = NULL;

		if (jws_sign(keyset_signer(fuzz_keyset()), "at+jwt", "{}", 2, &t) == BA_OK)
			(void)tokens_verify_access(fuzz_config(), fuzz_keyset(), t, strlen(t),
			                           (int64_t)time(NULL), &c);
		token_claims_clear(&c);
		free(t);
	}
}
