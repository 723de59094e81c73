/*
 * cryptobound.c - the crypto bound of bioauth's endpoints, measured with the
 * same OpenSSL 3 EVP calls the server makes (src/crypto/sigctx.c, jws.c,
 * sigverify.c, pubkey_cache.c), single-threaded.
 *
 * How the server calls OpenSSL: each key gets its signing or verification
 * context initialised once (EVP_Digest{Sign,Verify}Init with the SHA-256
 * EVP_MD fetched once, EVP_MD_CTX_FLAG_FINALISE) - the server's signing
 * key when the keyring loads it, a device key when the stored-key cache
 * parses it - and every signature or verification copies that context
 * (EVP_MD_CTX_new + EVP_MD_CTX_copy_ex) and makes one EVP_DigestSign or
 * EVP_DigestVerify call into a buffer of EVP_PKEY_get_size() bytes. The
 * contexts are prepared here once, outside the timed loops, as there.
 *
 * Per request:
 *  - client_credentials: one ES256 sign (the client access token);
 *  - authenticate: one P-256 ECDSA-SHA256 verify (the device's signature
 *    over the challenge) and two ES256 signs (access and ID token);
 *  - authenticate as implemented: the above plus what bioauthd does per
 *    request around it: the verified-token cache lookup of the bearer
 *    client token (SHA-256 of the compact token; its signature was verified
 *    once, src/domain/token_cache.c) and the stored-key cache lookup of the
 *    device key (SHA-256 of its DER SubjectPublicKeyInfo, a reference to the
 *    cached key).
 *
 * Each sequence runs in a loop for --seconds of CPU time and is reported
 * as requests per CPU-second (per core, whatever else shares the machine), and multiplied by the core count (an upper bound
 * that assumes nothing else runs on the machine). Output: one JSON object.
 */
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct keys {
	EVP_PKEY *signer;      /* the server's ES256 signing key */
	EVP_PKEY *device;      /* a device key (private half only used to sign) */
	EVP_MD *sha256;        /* fetched once, as sigctx_sha256() does */
	EVP_MD_CTX *signer_sign;    /* prepared contexts, only ever copied */
	EVP_MD_CTX *device_verify;
	unsigned char *device_spki;
	int device_spki_len;
	unsigned char challenge_sig[80];
	size_t challenge_sig_len;
};

/* Sizes close to the real signing inputs (header.payload, base64url). */
static unsigned char access_input[560];
static unsigned char id_input[420];
static unsigned char bearer_token[630];   /* header.payload.signature */
static const char challenge[] = "bL3xq0oUAn2c6o3c8yYQYl1fvnR9C-zqv0m6dPfT4Pk";

/* CPU time of this process: the rates stay per core even when other
 * programs share the machine (they would halve a wall-clock rate). */
static double
cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static _Noreturn void
fail(const char *what)
{
	fprintf(stderr, "cryptobound: %s failed\n", what);
	exit(1);
}

static EVP_PKEY *
p256_keygen(void)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");

	if (k == NULL)
		fail("EVP_EC_gen");
	return k;
}

/* A context prepared once per key as sigctx.c does it (init_ctx). */
static EVP_MD_CTX *
prepare(EVP_PKEY *k, const EVP_MD *md, bool sign)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();

	if (m == NULL)
		fail("EVP_MD_CTX_new");
	EVP_MD_CTX_set_flags(m, EVP_MD_CTX_FLAG_FINALISE);
	if ((sign ? EVP_DigestSignInit(m, NULL, md, NULL, k) :
	            EVP_DigestVerifyInit(m, NULL, md, NULL, k)) != 1)
		fail("prepare");
	return m;
}

/* One ES256 sign as jws.c does it: a copy of the key's prepared context,
 * one EVP_DigestSign into a buffer of the key's maximum signature size. */
static void
es256_sign(const EVP_MD_CTX *prepared, const unsigned char *in, size_t len, unsigned char *sig,
           size_t *sig_len)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	size_t n = 72;         /* EVP_PKEY_get_size() of a P-256 key */

	if (m == NULL || EVP_MD_CTX_copy_ex(m, prepared) != 1 ||
	    EVP_DigestSign(m, sig, &n, in, len) != 1)
		fail("ES256 sign");
	*sig_len = n;
	EVP_MD_CTX_free(m);
}

/* One ECDSA-SHA256 verify as sigverify.c / jws.c do it. */
static void
es256_verify(const EVP_MD_CTX *prepared, const unsigned char *in, size_t len,
             const unsigned char *sig, size_t sig_len)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();

	if (m == NULL || EVP_MD_CTX_copy_ex(m, prepared) != 1 ||
	    EVP_DigestVerify(m, sig, sig_len, in, len) != 1)
		fail("ES256 verify");
	EVP_MD_CTX_free(m);
}

static void
one_client_credentials(struct keys *K)
{
	unsigned char sig[80];
	size_t n;

	es256_sign(K->signer_sign, access_input, sizeof(access_input), sig, &n);
}

static void
one_authenticate(struct keys *K)
{
	unsigned char sig[80];
	size_t n;

	es256_verify(K->device_verify, (const unsigned char *)challenge, strlen(challenge),
	             K->challenge_sig, K->challenge_sig_len);
	es256_sign(K->signer_sign, access_input, sizeof(access_input), sig, &n);
	es256_sign(K->signer_sign, id_input, sizeof(id_input), sig, &n);
}

/* digest.c's sha256(): one EVP_Digest with the digest fetched once. */
static void
digest(struct keys *K, const unsigned char *data, size_t len)
{
	unsigned char out[32];
	unsigned int n = 0;

	if (EVP_Digest(data, len, out, &n, K->sha256, NULL) != 1 || n != 32)
		fail("sha256");
}

/* The stored-key cache hit of pubkey_from_stored(): SHA-256 of the stored
 * DER and a reference to the cached key. */
static void
stored_key_lookup(struct keys *K)
{
	digest(K, K->device_spki, (size_t)K->device_spki_len);
	if (EVP_PKEY_up_ref(K->device) != 1)
		fail("stored key lookup");
	EVP_PKEY_free(K->device);
}

static void
one_authenticate_as_implemented(struct keys *K)
{
	unsigned char sig[80];
	size_t n;

	digest(K, bearer_token, sizeof(bearer_token));   /* token_cache_get() */
	stored_key_lookup(K);
	es256_verify(K->device_verify, (const unsigned char *)challenge, strlen(challenge),
	             K->challenge_sig, K->challenge_sig_len);
	es256_sign(K->signer_sign, access_input, sizeof(access_input), sig, &n);
	es256_sign(K->signer_sign, id_input, sizeof(id_input), sig, &n);
}

static void
one_sign(struct keys *K)
{
	unsigned char sig[80];
	size_t n;

	es256_sign(K->signer_sign, id_input, sizeof(id_input), sig, &n);
}

static void
one_verify(struct keys *K)
{
	es256_verify(K->device_verify, (const unsigned char *)challenge, strlen(challenge),
	             K->challenge_sig, K->challenge_sig_len);
}

/* Runs `fn` repeatedly for about `seconds` of CPU time; returns calls per
 * CPU second. */
static double
rate(void (*fn)(struct keys *), struct keys *K, double seconds)
{
	double t0 = cpu_s(), t;
	unsigned long n = 0;

	do {
		int i;

		for (i = 0; i < 50; i++)
			fn(K);
		n += 50;
		t = cpu_s();
	} while (t - t0 < seconds);
	return (double)n / (t - t0);
}

int
main(int argc, char **argv)
{
	struct keys K;
	double secs = 2.0;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	double sign, verify, cc, auth, auth_impl;
	unsigned char *p;

	if (argc == 3 && strcmp(argv[1], "--seconds") == 0)
		secs = atof(argv[2]);
	else if (argc != 1) {
		fprintf(stderr, "usage: cryptobound [--seconds S]\n");
		return 2;
	}
	if (secs <= 0 || secs > 60 || cores < 1)
		fail("arguments");
	memset(&K, 0, sizeof(K));
	memset(access_input, 'A', sizeof(access_input));
	memset(id_input, 'I', sizeof(id_input));
	memset(bearer_token, 'B', sizeof(bearer_token));
	K.signer = p256_keygen();
	K.device = p256_keygen();
	if ((K.sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL)
		fail("EVP_MD_fetch");
	K.signer_sign = prepare(K.signer, K.sha256, true);
	K.device_verify = prepare(K.device, K.sha256, false);
	K.device_spki_len = i2d_PUBKEY(K.device, NULL);
	if (K.device_spki_len <= 0 || (K.device_spki = malloc((size_t)K.device_spki_len)) == NULL)
		fail("i2d_PUBKEY");
	p = K.device_spki;
	i2d_PUBKEY(K.device, &p);
	{
		EVP_MD_CTX *device_sign = prepare(K.device, K.sha256, true);

		es256_sign(device_sign, (const unsigned char *)challenge, strlen(challenge),
		           K.challenge_sig, &K.challenge_sig_len);
		EVP_MD_CTX_free(device_sign);
	}

	rate(one_authenticate, &K, secs / 4);   /* warm up */
	sign = rate(one_sign, &K, secs);
	verify = rate(one_verify, &K, secs);
	cc = rate(one_client_credentials, &K, secs);
	auth = rate(one_authenticate, &K, secs);
	auth_impl = rate(one_authenticate_as_implemented, &K, secs);

	printf("{\"openssl\": \"%s\", \"cores\": %ld, \"seconds_per_test\": %.1f,\n"
	       " \"es256_sign_per_s\": %.0f, \"p256_verify_per_s\": %.0f,\n"
	       " \"client_credentials_per_core\": %.0f, \"client_credentials_all_cores\": %.0f,\n"
	       " \"authenticate_per_core\": %.0f, \"authenticate_all_cores\": %.0f,\n"
	       " \"authenticate_as_implemented_per_core\": %.0f,"
	       " \"authenticate_as_implemented_all_cores\": %.0f}\n",
	       OpenSSL_version(OPENSSL_VERSION), cores, secs, sign, verify,
	       cc, cc * (double)cores, auth, auth * (double)cores,
	       auth_impl, auth_impl * (double)cores);
	EVP_MD_CTX_free(K.signer_sign);
	EVP_MD_CTX_free(K.device_verify);
	EVP_MD_free(K.sha256);
	EVP_PKEY_free(K.signer);
	EVP_PKEY_free(K.device);
	free(K.device_spki);
	return 0;
}
