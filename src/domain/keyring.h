/*
 * keyring.h - the server's JWS signing keys.
 *
 * Keys live in the store (so every bioauthd instance shares them); the
 * keyring caches an immutable snapshot ("keyset") and reloads it from the
 * store when it is older than cfg->key_cache_seconds, so a rotation done by
 * another process (bioauthctl signing-key rotate, another instance) is
 * honoured within that bound. A keyset holds the current signer (the newest
 * key without retired_at) and every retired key that may still have signed a
 * live token (retired_at + the longest token lifetime > now); only those
 * verify and only those are published in the JWKS.
 *
 * Private keys are stored only sealed (seal.h) under the first secret of
 * the secrets file, with the kid as associated data. A key found in clear
 * (stored before sealing existed) is sealed and written back when the
 * keyring opens.
 */
#ifndef BIOAUTH_DOMAIN_KEYRING_H
#define BIOAUTH_DOMAIN_KEYRING_H

#include <stdbool.h>
#include <stdint.h>

#include "common/config.h"
#include "crypto/jws.h"
#include "crypto/seal.h"
#include "store/store.h"

struct keyring;
struct keyset;

/*
 * The secrets that seal the keys: cfg->secrets_file, or on SQLite the file
 * `secrets` in the database's directory (the data directory for the
 * default database), made with one fresh secret (0600, O_EXCL|O_NOFOLLOW)
 * when it does not exist and `create` is true. PostgreSQL needs
 * --secrets-file. BA_ERR_CONFIG (logged) when no usable file exists.
 */
int keyring_secrets_load(const struct config *cfg, bool create, struct seal_keys **out);

/*
 * Loads the secrets (made if needed) and the keys; seals keys found in
 * clear; when no current key exists, creates one with cfg->signing_alg
 * and stores it. BA_ERR_CONFIG (logged, naming the kid) when a stored key
 * does not unseal with any secret. `s` and `cfg` must outlive the keyring.
 */
int keyring_open(struct store *s, const struct config *cfg, struct keyring **out);
void keyring_free(struct keyring *kr);

/* A reference to the current snapshot (reloaded first if stale); never NULL
 * after a successful keyring_open. Release it with keyset_release(). */
struct keyset *keyring_acquire(struct keyring *kr);
void keyset_release(struct keyset *ks);
/* The secrets the keyring seals with (for keyring_prepare_rotate). */
const struct seal_keys *keyring_secrets(const struct keyring *kr);
/* Forces the next keyring_acquire() to reload from the store. */
void keyring_invalidate(struct keyring *kr);

/*
 * For a token whose kid this process does not know yet (a key rotated by
 * another instance within the cache period): reloads the keys now, at most
 * once per second, and returns true when the reload brought a key that was
 * not there before - the caller then verifies again with a fresh keyset.
 */
bool keyring_refresh_for_unknown_kid(struct keyring *kr);

/* The key that signs new tokens. */
const struct jws_key *keyset_signer(const struct keyset *ks);
/* A key that may verify tokens, or NULL. Matches jws_key_lookup_fn. */
const struct jws_key *keyset_lookup(const char *kid, void *ks);
/* The JWKS document {"keys":[...]} of the verifying keys; malloc'd. */
int keyset_jwks(const struct keyset *ks, char **json);

/* Fills `w` with a SW_SIGNING_KEY_ROTATE of a fresh key of `alg` created at
 * `now`, sealed under the first secret of `sk`; the new key becomes the
 * signer and the previous ones retire. *kid_out (malloc'd) names the new
 * key. Clear w->in.signing_key after the write. */
int keyring_prepare_rotate(enum jws_alg alg, int64_t now, const struct seal_keys *sk,
                           struct store_write *w, char **kid_out);

/*
 * Seals again under the first secret every stored key that is in clear or
 * sealed under another secret (SW_SIGNING_KEY_RESEAL, one write per key);
 * *rewrapped counts them. BA_ERR_CONFIG when a key unseals with none of
 * the secrets (nothing is written for it).
 */
int keyring_rewrap(struct store *s, const struct seal_keys *sk, size_t *rewrapped);

/* The longest lifetime of any token this server signs (seconds). */
int64_t keyring_max_token_ttl(const struct config *cfg);

#endif
