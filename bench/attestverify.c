/*
 * attestverify.c - CPU time of one attestation verification (src/attest/)
 * on real vectors of test/vectors/attestation/: an Android remotely
 * provisioned EC chain (5 certificates), an Android factory RSA chain (4),
 * and an Apple App Attest object with its assertion. What /register will
 * pay per attested key. Prints microseconds of CPU per verification, one
 * line per vector. Run from the repository root:
 *
 *   make -C bench BUILD=../build OUT=work/bin work/bin/attestverify && bench/work/bin/attestverify
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "attest/attest.h"

#define VEC "test/vectors/attestation/"
#define ROUNDS 400

static double cpu_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void fail(const char *what)
{
	fprintf(stderr, "attestverify: %s failed\n", what);
	exit(1);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b;
	long n;

	if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0)
		fail(path);
	rewind(f);
	b = malloc((size_t)n + 1);
	if (b == NULL || fread(b, 1, (size_t)n, f) != (size_t)n)
		fail(path);
	fclose(f);
	*len = (size_t)n;
	return b;
}

/* A PEM chain as DER buffers; the leaf's SPKI into spki. */
static size_t load_chain(const char *path, uint8_t **der, size_t *lens,
                         uint8_t **spki, size_t *spki_len)
{
	size_t len, n = 0;
	uint8_t *pem = slurp(path, &len);
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	X509 *x;

	while (bio != NULL && n < ATTEST_MAX_CHAIN &&
	       (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		der[n] = NULL;
		int l = i2d_X509(x, &der[n]);
		if (l <= 0)
			fail("i2d_X509");
		lens[n] = (size_t)l;
		if (n == 0) {
			*spki = NULL;
			int s = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), spki);
			if (s <= 0)
				fail("i2d_X509_PUBKEY");
			*spki_len = (size_t)s;
		}
		X509_free(x);
		n++;
	}
	ERR_clear_error();
	BIO_free(bio);
	free(pem);
	return n;
}

static void bench_android(const char *name, const char *file, const char *when,
                          const char *challenge)
{
	uint8_t *der[ATTEST_MAX_CHAIN], *spki = NULL;
	size_t lens[ATTEST_MAX_CHAIN], spki_len = 0, n;
	struct attest_input in;
	struct attest_policy pol;
	struct attest_verdict v;

	n = load_chain(file, der, lens, &spki, &spki_len);
	memset(&in, 0, sizeof(in));
	memset(&pol, 0, sizeof(pol));
	if (!attest_time_parse(when, &in.at))
		fail("time");
	in.challenge = (const uint8_t *)challenge;
	in.challenge_len = strlen(challenge);
	in.public_key = spki;
	in.public_key_len = spki_len;
	double t0 = cpu_now();
	for (int i = 0; i < ROUNDS; i++)
		if (attest_verify_android((const uint8_t *const *)der, lens, n, &in, &pol, &v) != ATTEST_OK)
			fail(name);
	double us = (cpu_now() - t0) / ROUNDS * 1e6;
	printf("%-34s %3zu certs %8.0f us/verify\n", name, n, us);
	for (size_t i = 0; i < n; i++)
		OPENSSL_free(der[i]);
	OPENSSL_free(spki);
}

static void bench_apple(void)
{
	static const char *const ids[] = { "6MURL8TA57.de.vincent-haupert.apple-appattest-poc" };
	static const uint8_t key_id[32] = {
		0x62, 0x66, 0xc9, 0x3b, 0x8c, 0x79, 0x9c, 0x41, 0xd4, 0xbe, 0x77, 0x29, 0xf7, 0x37,
		0x56, 0xb9, 0x56, 0x63, 0x34, 0x11, 0x0c, 0x80, 0x99, 0xf7, 0x71, 0xd4, 0x93, 0xa0,
		0x05, 0xd0, 0x7b, 0x73,
	};
	size_t al, sl;
	uint8_t *att = slurp(VEC "apple/veehaitch/ios-14.4.attestation.cbor", &al);
	uint8_t *asn = slurp(VEC "apple/veehaitch/ios-14.4.assertion.cbor", &sl);
	struct attest_input in;
	struct attest_policy pol;
	struct attest_verdict v;

	memset(&in, 0, sizeof(in));
	memset(&pol, 0, sizeof(pol));
	if (!attest_time_parse("2021-01-23T12:13:33Z", &in.at))
		fail("time");
	in.challenge = (const uint8_t *)"wurzelpfropf";
	in.challenge_len = 12;
	in.assertion_client_data = in.challenge;
	in.assertion_client_data_len = in.challenge_len;
	pol.apple_app_ids = ids;
	pol.n_apple_app_ids = 1;
	pol.apple_environment = ATTEST_ENV_DEVELOPMENT;
	double t0 = cpu_now();
	for (int i = 0; i < ROUNDS; i++)
		if (attest_verify_apple(att, al, key_id, 32, asn, sl, &in, &pol, &v) != ATTEST_OK)
			fail("apple");
	double us = (cpu_now() - t0) / ROUNDS * 1e6;
	printf("%-34s %3d certs %8.0f us/verify\n", "apple ios-14.4 (+assertion)", 2, us);
	free(att);
	free(asn);
}

int main(void)
{
	bench_android("android caiman TEE EC (RKP)", VEC "android/keyattestation/caiman/sdk36/TEE_EC_RKP.pem",
	              "2025-09-26T15:31:20Z", "d688d763-6118-4ca6-94b2-e6cd9ed7e4e4");
	bench_android("android blueline TEE RSA (factory)",
	              VEC "android/keyattestation/blueline/sdk28/TEE_RSA_NONE.pem",
	              "2018-09-28T23:40:28Z", "challenge");
	bench_apple();
	return 0;
}
