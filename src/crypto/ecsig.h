/*
 * ecsig.h - ECDSA signature encodings: DER ECDSA-Sig-Value (X9.62, what
 * Android and iOS produce) and fixed-width r||s (IEEE P1363, what JWS ES256
 * and iOS raw signatures use). Internal to src/crypto.
 */
#ifndef BIOAUTH_CRYPTO_ECSIG_H
#define BIOAUTH_CRYPTO_ECSIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest DER or raw signature handled (P-521 DER is at most 139 bytes). */
#define ECSIG_MAX_LEN 256

/*
 * Strict DER ECDSA-Sig-Value to r||s, each integer left-padded to `half`
 * bytes (32 for P-256) in raw[0 .. 2*half). BER forms, trailing bytes,
 * negative or non-minimal integers and integers longer than `half` are
 * refused. BA_OK or BA_ERR_INVALID_SIGNATURE.
 */
int ecsig_der_to_raw(const uint8_t *der, size_t der_len, size_t half, uint8_t *raw);

/* Longest DER ecsig_raw_to_der writes: the r||s of ECSIG_MAX_LEN bytes,
 * two 128-byte INTEGERs with a leading 00 each (30 82 0108, 2 x 02 81 81). */
#define ECSIG_DER_MAX 268

/* r||s (raw_len even, at most ECSIG_MAX_LEN) to DER in der, which holds
 * ECSIG_DER_MAX bytes; its length in *der_len. Allocates nothing.
 * BA_OK or BA_ERR_INVALID_SIGNATURE. */
int ecsig_raw_to_der(const uint8_t *raw, size_t raw_len, uint8_t der[ECSIG_DER_MAX],
                     size_t *der_len);

/*
 * ECDSA signatures are malleable: (r, n - s) verifies wherever (r, s) does.
 * JWS tokens bioauth signs carry the low form (s <= n/2, as in BIP 62 and
 * libsecp256k1) and their verification refuses the high twin, so a token
 * has exactly one valid encoding. Device signatures are not concerned.
 */
/* True when the s half of a P-256 r||s signature is above n/2. */
bool ecsig_p256_is_high_s(const uint8_t raw[64]);
/* Replaces a high s of a P-256 r||s signature with n - s (in place). */
void ecsig_p256_normalize_s(uint8_t raw[64]);

#endif
