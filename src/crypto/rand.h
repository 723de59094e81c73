/*
 * rand.h - random identifiers and secrets (OpenSSL's CSPRNG); SHA-256 is in
 * digest.h.
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

#endif
