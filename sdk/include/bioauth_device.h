/*
 * bioauth_device.h - libbioauth-device, the device side of bioauth mobile
 * biometrics.
 *
 * A phone keeps a private key behind a biometric check, gives the server its
 * public key once (POST /v1/auth/mobile-biometrics/register) and later signs
 * the challenge of a login with it. This library does the same on an ordinary
 * computer, so that a backend can be built and tested before any mobile code
 * exists, and so that tests have a "device" that is not the server:
 *
 *  - generate an EC P-256 (default) or RSA 2048 key pair, labelled with the
 *    platform it imitates (iOS or Android);
 *  - keep it in a keystore directory: one file per key, mode 0600, written
 *    atomically, the private key encrypted at rest (PKCS#8, AES-256-CBC with
 *    an scrypt-derived key) when a passphrase is given;
 *  - export the public key exactly as that platform sends it (iOS: the raw
 *    65-byte uncompressed EC point, or the DER PKCS#1 RSAPublicKey; Android:
 *    DER SubjectPublicKeyInfo for both), as bytes or standard base64;
 *  - sign a challenge (SHA-256) the way that platform signs: ECDSA as DER
 *    (both platforms) or raw r||s; RSA as PKCS#1 v1.5 (Android) or PSS with
 *    MGF1-SHA-256 and a 32-byte salt (iOS);
 *  - list and delete keys.
 *
 * Conventions, valid for every function below:
 *  - Every function that can fail returns a bioauth_err; BIOAUTH_OK is 0.
 *    On failure, output parameters are set to NULL/0 and nothing is leaked.
 *  - Passing NULL where an object or output pointer is required gives
 *    BIOAUTH_ERR_INVALID_ARG; the library never aborts and never exits,
 *    also not when memory runs out (BIOAUTH_ERR_NOMEM).
 *  - Objects are opaque handles made by a `_new`/`_generate`/`_load`
 *    function and released by the matching `_free`, which accepts NULL.
 *  - Buffers and strings the library returns are owned by the caller and
 *    released with bioauth_buffer_free().
 *  - Secrets (private keys, decrypted key files, passphrase copies) are wiped
 *    with OPENSSL_cleanse before their memory is released.
 *  - Handles are not synchronised: use one handle from one thread at a time.
 *    Different handles may be used from different threads.
 *  - The library uses OpenSSL 3 (libcrypto) only.
 *
 * Key ids (the `publicKeyId` sent to the server) are 1-128 characters from
 * [A-Za-z0-9_.-], not starting with '.'; a generated id is 22 random
 * base64url characters (128 bits).
 */
#ifndef BIOAUTH_DEVICE_H
#define BIOAUTH_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BIOAUTH_DEVICE_VERSION "0.1.0"

/* Longest key id, without the terminating NUL. */
#define BIOAUTH_KEY_ID_MAX 128
/* Longest passphrase accepted, in bytes. */
#define BIOAUTH_PASSPHRASE_MAX 1024

/*
 * The one error enum of the library. Values are stable: new codes are
 * appended, none is ever renumbered.
 */
typedef enum bioauth_err {
	BIOAUTH_OK = 0,
	BIOAUTH_ERR_INVALID_ARG = 1,        /* NULL handle/output, bad enum, bad key id */
	BIOAUTH_ERR_NOMEM = 2,              /* allocation failed */
	BIOAUTH_ERR_CRYPTO = 3,             /* unexpected OpenSSL failure */
	BIOAUTH_ERR_IO = 4,                 /* file or directory operation failed */
	BIOAUTH_ERR_NOT_FOUND = 5,          /* no key with that id in the keystore */
	BIOAUTH_ERR_EXISTS = 6,             /* a key with that id already exists */
	BIOAUTH_ERR_PERMISSIONS = 7,        /* key file/keystore open to group/other, or not ours */
	BIOAUTH_ERR_CORRUPT = 8,            /* key file malformed, truncated or inconsistent */
	BIOAUTH_ERR_BAD_PASSPHRASE = 9,     /* the passphrase does not decrypt the key */
	BIOAUTH_ERR_PASSPHRASE_REQUIRED = 10, /* the key is encrypted and no passphrase was given */
	BIOAUTH_ERR_UNSUPPORTED = 11,       /* format not available for this key type */
	BIOAUTH_ERR_TOO_LARGE = 12,         /* input over a documented limit */
	BIOAUTH_ERR__COUNT                  /* keep last */
} bioauth_err;

/* Key algorithms the library generates. */
typedef enum bioauth_key_type {
	BIOAUTH_KEY_EC = 1,   /* ECDSA on NIST P-256 (secp256r1); the default */
	BIOAUTH_KEY_RSA = 2   /* RSA, 2048-bit modulus, e = 65537 */
} bioauth_key_type;

/* The phone platform a key imitates; it picks the default formats. */
typedef enum bioauth_platform {
	BIOAUTH_PLATFORM_IOS = 1,
	BIOAUTH_PLATFORM_ANDROID = 2
} bioauth_platform;

/* How a public key is exported. */
typedef enum bioauth_pubkey_format {
	BIOAUTH_PUBKEY_DEFAULT = 0, /* as the key's platform sends it */
	BIOAUTH_PUBKEY_IOS = 1,     /* EC: raw 65-byte 0x04||X||Y; RSA: DER PKCS#1 RSAPublicKey */
	BIOAUTH_PUBKEY_SPKI = 2     /* DER SubjectPublicKeyInfo (Android getEncoded()) */
} bioauth_pubkey_format;

/* How a signature is produced. Every format hashes the message with SHA-256. */
typedef enum bioauth_sig_format {
	BIOAUTH_SIG_DEFAULT = 0,    /* EC: DER; RSA: PKCS#1 v1.5 on Android, PSS on iOS */
	BIOAUTH_SIG_EC_DER = 1,     /* ECDSA, DER SEQUENCE{r,s} (X9.62) */
	BIOAUTH_SIG_EC_RAW = 2,     /* ECDSA, raw 64 bytes r||s, each 32 bytes big-endian */
	BIOAUTH_SIG_RSA_PKCS1 = 3,  /* RSASSA-PKCS1-v1_5 with SHA-256 */
	BIOAUTH_SIG_RSA_PSS = 4     /* RSASSA-PSS, SHA-256, MGF1-SHA-256, salt 32 bytes */
} bioauth_sig_format;

/* A keystore directory (opaque). */
typedef struct bioauth_keystore bioauth_keystore;
/* A key pair held in memory (opaque). */
typedef struct bioauth_key bioauth_key;

/*
 * What bioauth_keystore_list() reports about one key file, read from the
 * file's header without decrypting the private key. When `status` is not
 * BIOAUTH_OK the file could not be read (bad permissions, corrupt header)
 * and only `key_id` is meaningful.
 */
typedef struct bioauth_key_info {
	char key_id[BIOAUTH_KEY_ID_MAX + 1];
	bioauth_key_type type;
	bioauth_platform platform;
	int encrypted;              /* 1 if the private key needs a passphrase */
	int64_t created_at;         /* Unix seconds */
	bioauth_err status;
} bioauth_key_info;

/* ---- errors and names ------------------------------------------------- */

/*
 * Returns a static, human-readable description of `err` ("key not found",
 * ...). Never NULL: unknown values give "unknown error".
 */
const char *bioauth_strerror(bioauth_err err);

/*
 * Returns the static wire name of a key type: "ec" or "rsa" (the values of
 * the register call's `encryptionType`), or NULL for an invalid value.
 */
const char *bioauth_key_type_name(bioauth_key_type type);

/*
 * Parses "ec" or "rsa" (exact, lower case) into *out. Returns BIOAUTH_OK, or
 * BIOAUTH_ERR_INVALID_ARG for any other string or a NULL argument.
 */
bioauth_err bioauth_key_type_parse(const char *name, bioauth_key_type *out);

/*
 * Returns the static wire name of a platform: "ios" or "android" (the values
 * of the register call's `os`), or NULL for an invalid value.
 */
const char *bioauth_platform_name(bioauth_platform platform);

/*
 * Parses "ios" or "android" (exact, lower case) into *out. Returns
 * BIOAUTH_OK, or BIOAUTH_ERR_INVALID_ARG for any other string or NULL.
 */
bioauth_err bioauth_platform_parse(const char *name, bioauth_platform *out);

/*
 * Returns 1 if `key_id` is a valid key id (see the top of this file), else 0
 * (also for NULL).
 */
int bioauth_key_id_valid(const char *key_id);

/*
 * Releases a buffer or string returned by this library (exported keys,
 * signatures, base64 text, lists). Accepts NULL.
 */
void bioauth_buffer_free(void *buf);

/* ---- keys in memory ---------------------------------------------------- */

/*
 * Generates a fresh key pair of `type` for `platform`. `key_id` is copied;
 * NULL asks for a random id. The key is held in memory only; store it with
 * bioauth_keystore_save().
 * Returns BIOAUTH_OK and *out (free with bioauth_key_free), or
 * BIOAUTH_ERR_INVALID_ARG (bad enum, invalid key id, NULL out),
 * BIOAUTH_ERR_NOMEM or BIOAUTH_ERR_CRYPTO.
 */
bioauth_err bioauth_key_generate(bioauth_key_type type, bioauth_platform platform,
                                 const char *key_id, bioauth_key **out);

/* Releases a key, wiping its private part. Accepts NULL. */
void bioauth_key_free(bioauth_key *key);

/*
 * Returns the key's id (a string owned by the key, valid until
 * bioauth_key_free), or NULL if key is NULL.
 */
const char *bioauth_key_get_id(const bioauth_key *key);

/* Returns the key's type, or 0 if key is NULL. */
bioauth_key_type bioauth_key_get_type(const bioauth_key *key);

/* Returns the key's platform, or 0 if key is NULL. */
bioauth_platform bioauth_key_get_platform(const bioauth_key *key);

/* Returns the key's creation time (Unix seconds), or 0 if key is NULL. */
int64_t bioauth_key_get_created_at(const bioauth_key *key);

/*
 * Exports the public key in `format` (BIOAUTH_PUBKEY_DEFAULT = as the key's
 * platform sends it). On BIOAUTH_OK, *out is a malloc'd buffer of *out_len
 * bytes owned by the caller (bioauth_buffer_free). Fails with
 * BIOAUTH_ERR_INVALID_ARG (NULL argument, unknown format), BIOAUTH_ERR_NOMEM
 * or BIOAUTH_ERR_CRYPTO.
 */
bioauth_err bioauth_key_export_public(const bioauth_key *key, bioauth_pubkey_format format,
                                      uint8_t **out, size_t *out_len);

/*
 * Same as bioauth_key_export_public(), encoded as standard base64 with
 * padding and no line breaks: the `publicKey` value of the register call.
 * *out is a NUL-terminated string owned by the caller (bioauth_buffer_free).
 */
bioauth_err bioauth_key_export_public_b64(const bioauth_key *key, bioauth_pubkey_format format,
                                          char **out);

/*
 * Signs SHA-256(msg) with the key. `msg` is the challenge exactly as the
 * server gave it (its UTF-8 bytes); msg_len may be 0 (msg may then be NULL).
 * `format` must suit the key type (EC_* for EC keys, RSA_* for RSA keys;
 * DEFAULT picks the platform's), else BIOAUTH_ERR_UNSUPPORTED. On
 * BIOAUTH_OK, *sig is a malloc'd buffer of *sig_len bytes owned by the caller
 * (bioauth_buffer_free). ECDSA signatures are randomised (a fresh nonce each
 * time). Other failures: BIOAUTH_ERR_INVALID_ARG, BIOAUTH_ERR_NOMEM,
 * BIOAUTH_ERR_CRYPTO.
 */
bioauth_err bioauth_key_sign(const bioauth_key *key, const uint8_t *msg, size_t msg_len,
                             bioauth_sig_format format, uint8_t **sig, size_t *sig_len);

/*
 * Same as bioauth_key_sign(), encoded as standard base64 with padding: the
 * `signature` value of the authenticate call. *out is a NUL-terminated string
 * owned by the caller (bioauth_buffer_free).
 */
bioauth_err bioauth_key_sign_b64(const bioauth_key *key, const uint8_t *msg, size_t msg_len,
                                 bioauth_sig_format format, char **out);

/* ---- the keystore ------------------------------------------------------ */

/*
 * Opens the keystore directory `dir`, creating it (mode 0700, parents not
 * created) when it does not exist. An existing directory must be owned by the
 * calling user and not writable by group or other, else
 * BIOAUTH_ERR_PERMISSIONS. `dir` is copied. Returns BIOAUTH_OK and *out (free
 * with bioauth_keystore_free), or BIOAUTH_ERR_INVALID_ARG, BIOAUTH_ERR_NOMEM,
 * BIOAUTH_ERR_TOO_LARGE (path over 4064 bytes), BIOAUTH_ERR_IO (cannot
 * create, missing parent, not a directory) or BIOAUTH_ERR_PERMISSIONS.
 */
bioauth_err bioauth_keystore_new(const char *dir, bioauth_keystore **out);

/* Releases a keystore handle (the directory is untouched). Accepts NULL. */
void bioauth_keystore_free(bioauth_keystore *ks);

/*
 * Returns the directory of the keystore (owned by the handle), or NULL if ks
 * is NULL.
 */
const char *bioauth_keystore_get_dir(const bioauth_keystore *ks);

/*
 * Computes the default keystore directory, "$HOME/.bioauth-device". *out is a
 * malloc'd string owned by the caller (bioauth_buffer_free). Fails with
 * BIOAUTH_ERR_NOT_FOUND when HOME is unset or empty, BIOAUTH_ERR_TOO_LARGE
 * when it is longer than 4000 bytes, or BIOAUTH_ERR_NOMEM.
 */
bioauth_err bioauth_keystore_default_dir(char **out);

/*
 * Writes `key` to the keystore as "<key_id>.key", mode 0600, through a
 * temporary file that is fsync'd and then linked into place, so a reader sees
 * either no file or the whole file. With a passphrase (1 to
 * BIOAUTH_PASSPHRASE_MAX bytes, any bytes), the private key is stored as an
 * encrypted PKCS#8 (scrypt N=2^14 r=8 p=1, AES-256-CBC); with passphrase NULL
 * it is stored unencrypted and protected by the file mode alone.
 * Returns BIOAUTH_OK, or BIOAUTH_ERR_EXISTS (an existing key is never
 * overwritten), BIOAUTH_ERR_INVALID_ARG, BIOAUTH_ERR_TOO_LARGE (passphrase),
 * BIOAUTH_ERR_IO, BIOAUTH_ERR_NOMEM or BIOAUTH_ERR_CRYPTO.
 */
bioauth_err bioauth_keystore_save(bioauth_keystore *ks, const bioauth_key *key,
                                  const char *passphrase, size_t passphrase_len);

/*
 * Loads the key `key_id` from the keystore. The file must be a regular file
 * owned by the calling user with no group/other permission bits
 * (BIOAUTH_ERR_PERMISSIONS otherwise; it is not read). `passphrase` is needed
 * only for an encrypted key and ignored otherwise.
 * Returns BIOAUTH_OK and *out (free with bioauth_key_free), or
 * BIOAUTH_ERR_NOT_FOUND, BIOAUTH_ERR_PASSPHRASE_REQUIRED,
 * BIOAUTH_ERR_BAD_PASSPHRASE (the passphrase does not decrypt the key),
 * BIOAUTH_ERR_CORRUPT (malformed, truncated, over 64 KiB, body not matching
 * the SHA-256 recorded in the header, or header and key disagree),
 * BIOAUTH_ERR_INVALID_ARG, BIOAUTH_ERR_IO, BIOAUTH_ERR_NOMEM.
 */
bioauth_err bioauth_keystore_load(bioauth_keystore *ks, const char *key_id,
                                  const char *passphrase, size_t passphrase_len,
                                  bioauth_key **out);

/*
 * Removes the key file of `key_id`. Returns BIOAUTH_OK, BIOAUTH_ERR_NOT_FOUND,
 * BIOAUTH_ERR_INVALID_ARG or BIOAUTH_ERR_IO. (The file is unlinked; its old
 * blocks are not overwritten - encrypt keys with a passphrase when that
 * matters.)
 */
bioauth_err bioauth_keystore_delete(bioauth_keystore *ks, const char *key_id);

/*
 * Lists the keys of the keystore, sorted by key id. Every "*.key" file with a
 * valid key id is reported, a file that cannot be read with its error in
 * `status`. On BIOAUTH_OK, *out is an array of *count entries owned by the
 * caller (bioauth_buffer_free), NULL when count is 0. At most 100000 entries
 * are read (BIOAUTH_ERR_TOO_LARGE beyond). Other failures:
 * BIOAUTH_ERR_INVALID_ARG, BIOAUTH_ERR_IO, BIOAUTH_ERR_NOMEM.
 */
bioauth_err bioauth_keystore_list(bioauth_keystore *ks, bioauth_key_info **out, size_t *count);

#ifdef __cplusplus
}
#endif

#endif
