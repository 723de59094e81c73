/*
 * keyparse.c - CPU time of pubkey_parse() (src/crypto/pubkey.c) on the key
 * forms devices register: a P-256 DER SubjectPublicKeyInfo and a raw
 * uncompressed point (both base64), and an RSA-2048 SPKI. What
 * registration pays per key, and authentication per key the stored-key
 * cache has not seen yet. Fresh keys each run; prints microseconds of CPU
 * per parse, one line per form.
 *
 *   make -C bench BUILD=../build OUT=work/bin work/bin/keyparse && bench/work/bin/keyparse
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "common/error.h"
#include "crypto/encoding.h"
#include "crypto/pubkey.h"

static double
cpu_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void
fail(const char *what)
{
	fprintf(stderr, "keyparse: %s failed\n", what);
	exit(1);
}

/* base64 of `der` into *out. */
static char *
b64_of(const unsigned char *der, size_t len)
{
	char *out = NULL;

	if (b64_encode(der, len, &out) != BA_OK)
		fail("b64_encode");
	return out;
}

/* Parses `text` for about `seconds` of CPU; prints microseconds per parse. */
static void
measure(const char *label, const char *text, double seconds)
{
	double t0 = cpu_now(), t;
	long n = 0;

	do {
		struct pubkey k;

		if (pubkey_parse(text, strlen(text), 0, &k) != BA_OK)
			fail(label);
		pubkey_clear(&k);
		n++;
	} while ((t = cpu_now() - t0) < seconds);
	printf("%-28s %8.1f us CPU per parse (%ld parses)\n", label, t / (double)n * 1e6, n);
}

int
main(int argc, char **argv)
{
	double seconds = argc == 3 && strcmp(argv[1], "--seconds") == 0 ? atof(argv[2]) : 2.0;
	EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	unsigned char *der = NULL, point[65];
	size_t plen = 0;
	char *spki_ec, *raw_ec, *spki_rsa;
	int n;

	if (ec == NULL || rsa == NULL || seconds <= 0 || seconds > 60)
		fail("setup");
	if ((n = i2d_PUBKEY(ec, &der)) <= 0)
		fail("i2d_PUBKEY");
	spki_ec = b64_of(der, (size_t)n);
	OPENSSL_free(der);
	der = NULL;
	if (EVP_PKEY_get_octet_string_param(ec, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point),
	                                    &plen) != 1 || plen != sizeof(point))
		fail("point");
	raw_ec = b64_of(point, plen);
	if ((n = i2d_PUBKEY(rsa, &der)) <= 0)
		fail("i2d_PUBKEY");
	spki_rsa = b64_of(der, (size_t)n);
	OPENSSL_free(der);

	measure("P-256 SPKI (base64)", spki_ec, seconds);
	measure("P-256 raw point (base64)", raw_ec, seconds);
	measure("RSA-2048 SPKI (base64)", spki_rsa, seconds);
	free(spki_ec);
	free(raw_ec);
	free(spki_rsa);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(rsa);
	return 0;
}
