/*
 * internal.h - what the files of libbioauth-device share and the public
 * header does not show. Cross-file internal functions carry the prefix
 * `bdev_` so they cannot collide with the server's library when both are
 * linked into one test binary.
 */
#ifndef BIOAUTH_DEVICE_INTERNAL_H
#define BIOAUTH_DEVICE_INTERNAL_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

#include "bioauth_device.h"

/* Internal symbols stay out of the shared library's dynamic symbol table. */
#if defined(__GNUC__) || defined(__clang__)
#define BDEV_HIDDEN __attribute__((visibility("hidden")))
#else
#define BDEV_HIDDEN
#endif

/* Largest key file the keystore reads. */
#define BDEV_KEYFILE_MAX (64 * 1024)
/* Random bytes in a generated key id (22 base64url characters). */
#define BDEV_KEY_ID_RANDOM_BYTES 16
/* scrypt parameters of encrypted key files (16 MiB, as `openssl pkcs8 -scrypt`). */
#define BDEV_SCRYPT_N 16384
#define BDEV_SCRYPT_R 8
#define BDEV_SCRYPT_P 1

struct bioauth_key {
	char id[BIOAUTH_KEY_ID_MAX + 1];
	bioauth_key_type type;
	bioauth_platform platform;
	int64_t created_at;
	EVP_PKEY *pkey;            /* holds the private key */
};

/* The header of a key file (everything before the PEM block). */
struct bdev_keyfile_header {
	char id[BIOAUTH_KEY_ID_MAX + 1];
	bioauth_key_type type;
	bioauth_platform platform;
	int64_t created_at;
	int encrypted;
	char sha256_hex[65];       /* SHA-256 of the PEM block's DER, lower-case hex */
	size_t pem_offset;         /* where the PEM block starts in the file */
};

/* key.c */
/* BIOAUTH_OK if pkey is of `type` as this library makes it (EC: P-256;
 * RSA: 2048..4096 bits, not RSA-PSS-restricted), else BIOAUTH_ERR_CORRUPT. */
BDEV_HIDDEN bioauth_err bdev_key_check_pkey(EVP_PKEY *pkey, bioauth_key_type type);
/* Wraps pkey (ownership passes to the new key, also on failure) into a
 * bioauth_key. The id must be valid. */
BDEV_HIDDEN bioauth_err bdev_key_wrap(EVP_PKEY *pkey, bioauth_key_type type, bioauth_platform platform,
                          const char *id, int64_t created_at, bioauth_key **out);

/* names.c */
/* Standard base64 with padding, NUL-terminated, malloc'd. */
BDEV_HIDDEN bioauth_err bdev_b64_encode(const uint8_t *in, size_t len, char **out);
/* Base64url without padding, NUL-terminated, malloc'd. */
BDEV_HIDDEN bioauth_err bdev_b64url_encode(const uint8_t *in, size_t len, char **out);

/* keyfile.c */
/* Serialises key (+ optional passphrase) into the key file text: *out is
 * malloc'd, *out_len bytes, and must be released with
 * OPENSSL_clear_free(*out, *out_len). */
BDEV_HIDDEN bioauth_err bdev_keyfile_encode(const bioauth_key *key, const char *pass, size_t pass_len,
                                char **out, size_t *out_len);
/* Parses the header of a key file; BIOAUTH_ERR_CORRUPT when malformed. */
BDEV_HIDDEN bioauth_err bdev_keyfile_parse_header(const char *buf, size_t len, struct bdev_keyfile_header *h);
/* Parses a whole key file, checking its id against expected_id. */
BDEV_HIDDEN bioauth_err bdev_keyfile_decode(const char *buf, size_t len, const char *expected_id,
                                const char *pass, size_t pass_len, bioauth_key **out);

#endif
