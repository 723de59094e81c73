/*
 * digest.h - SHA-256 and the constant-time comparison of two digests.
 */
#ifndef BIOAUTH_CRYPTO_DIGEST_H
#define BIOAUTH_CRYPTO_DIGEST_H

#include <stddef.h>
#include <stdint.h>

/* SHA-256 of data into out[32]. */
void sha256(const void *data, size_t len, uint8_t out[32]);
/* Constant-time equality of two 32-byte digests. */
int digest_equal(const uint8_t a[32], const uint8_t b[32]);

#endif
