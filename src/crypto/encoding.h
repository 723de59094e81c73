/*
 * encoding.h - base64 (RFC 4648) in both alphabets.
 *
 * Decoders are strict: only the alphabet's characters, padding only at the
 * end and only when complete, no whitespace, non-zero trailing bits
 * rejected. Outputs are malloc'd and owned by the caller; encoders
 * NUL-terminate. All return BA_OK, BA_ERR_INVALID_REQUEST (bad input) or
 * BA_ERR_NOMEM.
 */
#ifndef BIOAUTH_CRYPTO_ENCODING_H
#define BIOAUTH_CRYPTO_ENCODING_H

#include <stddef.h>
#include <stdint.h>

/* Largest input accepted by every function here (decoded or encoded), in
 * bytes; larger inputs are BA_ERR_INVALID_REQUEST. Callers cap far lower. */
#define ENCODING_MAX_INPUT ((size_t)1 << 20)

/* Standard or URL-safe alphabet (not mixed), padding optional. */
int b64_decode_any(const char *in, size_t len, uint8_t **out, size_t *out_len);
/* The same, ignoring CR and LF anywhere (MIME-style line wrapping, as
 * Android's Base64.DEFAULT produces); any other whitespace is refused. */
int b64_decode_any_lines(const char *in, size_t len, uint8_t **out, size_t *out_len);
/* URL-safe alphabet, no padding (JWS segments). */
int b64url_decode(const char *in, size_t len, uint8_t **out, size_t *out_len);
int b64url_encode(const uint8_t *in, size_t len, char **out);
/* The length of len bytes in URL-safe base64 without padding, and the same
 * encoding written into out, which holds b64url_encoded_len(len) + 1 bytes
 * (NUL-terminated; no allocation): returns the encoded length. */
size_t b64url_encoded_len(size_t len);
size_t b64url_encode_into(const uint8_t *in, size_t len, char *out);
/* Standard alphabet with padding. */
int b64_encode(const uint8_t *in, size_t len, char **out);

#endif
