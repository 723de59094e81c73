/*
 * digest.c - SHA-256 and constant-time digest comparison.
 */
#ifndef OPENSSL_NO_DEPRECATED
#define OPENSSL_NO_DEPRECATED
#endif
#include "crypto/digest.h"

#include <stdlib.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "crypto/sigctx.h"

/*
 * SHA-256 of data into out, with the digest fetched once (sigctx.c) rather
 * than looked up by name per call. EVP_Digest fails only when memory is
 * exhausted; out then gets random bytes, so that digest matches nothing
 * stored or cached - not even another failed one, as all zeros would.
 * Without randomness either, the process cannot work safely: abort.
 */
void
sha256(const void *data, size_t len, uint8_t out[32])
{
	const EVP_MD *md = sigctx_sha256();
	unsigned int n = 0;

	if (md != NULL && EVP_Digest(data, len, out, &n, md, NULL) == 1 && n == 32)
		return;
	if (RAND_bytes(out, 32) != 1)
		abort();
}

int
digest_equal(const uint8_t a[32], const uint8_t b[32])
{
	return CRYPTO_memcmp(a, b, 32) == 0;
}
