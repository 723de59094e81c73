/*
 * seal.h - encryption of the signing keys at rest (AES-256-GCM, OpenSSL
 * EVP) under system secrets.
 *
 * A secrets file holds one or more secrets, one a line (blank lines and
 * lines starting with '#' are skipped; a secret is 32-1024 printable ASCII
 * characters, e.g. 32 random bytes in base64url as seal_secret_generate
 * makes). The first secret seals; every secret unseals, so secrets rotate:
 * put a new one first, rewrap, then drop the old one.
 *
 * Each secret gives a 256-bit key, HMAC-SHA256(secret, "bioauth seal key
 * v1"), and an 8-byte key id, the first bytes of HMAC-SHA256(secret,
 * "bioauth seal id v1"), that tells which secret sealed a text. A sealed
 * text is "sealed.v1." followed by base64url(id || 12-byte nonce ||
 * ciphertext || 16-byte tag); the associated data (the key's kid) binds it
 * to its row, so a sealed key moved to another kid does not unseal.
 */
#ifndef BIOAUTH_CRYPTO_SEAL_H
#define BIOAUTH_CRYPTO_SEAL_H

#include <stdbool.h>
#include <stddef.h>

#define SEAL_MAX_SECRETS 16
#define SEAL_SECRETS_FILE_MAX 65536

struct seal_keys;

/* Parses the text of a secrets file. BA_OK, BA_ERR_CONFIG (no secret, a
 * secret too short or long, more than SEAL_MAX_SECRETS), BA_ERR_NOMEM, or
 * BA_ERR_INTERNAL when OpenSSL fails to derive a key (also for lack of
 * memory); *why names the problem on BA_ERR_CONFIG. */
int seal_keys_parse(const char *text, size_t len, struct seal_keys **out, const char **why);
/* Wipes and frees; NULL is fine. */
void seal_keys_free(struct seal_keys *k);

/* A new secrets-file line: 32 random bytes in base64url and "\n";
 * malloc'd, release with secret_free. */
int seal_secret_generate(char **line);

/* True when `text` is a sealed text (starts with "sealed.v1."). */
bool seal_is_sealed(const char *text);

/* Seals the NUL-terminated `plain` under the first secret with `aad` as
 * associated data; *out malloc'd. BA_OK, BA_ERR_NOMEM, BA_ERR_INTERNAL. */
int seal_encrypt(const struct seal_keys *k, const char *aad, const char *plain, char **out);

/*
 * Opens a sealed text; *plain malloc'd and NUL-terminated (release with
 * secret_free). BA_ERR_CONFIG when no secret of `k` sealed it or it does
 * not authenticate (wrong secret, altered text, another aad),
 * BA_ERR_INVALID_REQUEST when it is not a sealed text, BA_ERR_NOMEM.
 */
int seal_decrypt(const struct seal_keys *k, const char *aad, const char *sealed, char **plain);

/* True when `sealed` was sealed under the first secret of `k` (rewrap
 * leaves those alone). */
bool seal_is_current(const struct seal_keys *k, const char *sealed);

#endif
