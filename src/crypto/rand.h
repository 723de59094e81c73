/*
 * rand.h - random identifiers and secrets (OpenSSL's CSPRNG) and SHA-256.
 */
#ifndef BIOAUTH_CRYPTO_RAND_H
#define BIOAUTH_CRYPTO_RAND_H

#include <stddef.h>
#include <stdint.h>

/* Fills buf; BA_OK or BA_ERR_INTERNAL. */
int rand_bytes(uint8_t *buf, size_t len);
/* A base64url string of `nbytes` random bytes, optionally prefixed
 * ("app_" ...). *out malloc'd. BA_OK, BA_ERR_NOMEM, BA_ERR_INTERNAL. */
int rand_token(const char *prefix, size_t nbytes, char **out);
/* SHA-256 of data into out[32]. */
void sha256(const void *data, size_t len, uint8_t out[32]);
/* Constant-time equality of two 32-byte digests. */
int digest_equal(const uint8_t a[32], const uint8_t b[32]);

#endif
