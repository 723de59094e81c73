/*
 * token_cache.h - access tokens whose signature this process has verified.
 *
 * A backend presents the same client access token on every request for the
 * token's whole lifetime; verifying its signature each time was about 12 %
 * of the CPU of an authentication (docs/PERFORMANCE.md). This per-process
 * cache remembers, for a token that passed tokens_verify_access(), the
 * parsed claims, the kid of the key that verified it and when that was. It
 * replaces only the signature check and the claim parsing:
 *
 *  - an entry is used at most cfg->key_cache_seconds after it was verified
 *    (the staleness bound the keyring already states; 0 turns the cache
 *    off), and only while the keyset in use still holds the key of its kid,
 *    so a key dropped from the keyset stops verifying at once;
 *  - the time rules (tokens_check_time) are applied on every use;
 *  - everything the caller checks against the store after verification
 *    (app, audience, revocation, session, kind) stays per request.
 *
 * Keys are the SHA-256 of the exact compact JWT bytes; the JWT text itself is
 * never stored. Only verified tokens are inserted, so a flood of invalid
 * tokens costs a hash and a probe each and stores nothing. Fixed size
 * (TOKEN_CACHE_ENTRIES), thread-safe.
 */
#ifndef BIOAUTH_DOMAIN_TOKEN_CACHE_H
#define BIOAUTH_DOMAIN_TOKEN_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "common/config.h"
#include "crypto/jws.h"
#include "domain/tokens.h"

/* TOKEN_CACHE_ENTRIES entries in sets of TOKEN_CACHE_WAYS, the set chosen
 * by the first 8 bytes of the digest (token_cache.c explains the eviction). */
#define TOKEN_CACHE_ENTRIES 4096
#define TOKEN_CACHE_WAYS 4

/*
 * Looks `jwt` up at time `now`.
 * BA_OK: a copy of the claims of an entry verified in the last
 *   cfg->key_cache_seconds (0 <= now - verified < key_cache_seconds), whose
 *   kid `lookup(kid, arg)` still knows, and that passes tokens_check_time at
 *   `now`; *out is filled (token_claims_clear it).
 * BA_ERR_INVALID_TOKEN: cached, but fails the time rules at `now` (exactly
 *   what a full verification would answer).
 * BA_ERR_NOT_FOUND: not cached, stale, its key is gone or the cache is off:
 *   verify the token and token_cache_put() it.
 * BA_ERR_NOMEM: copying the claims failed.
 * *out is zeroed on every result but BA_OK.
 */
int token_cache_get(const struct config *cfg, const char *jwt, size_t len, int64_t now,
                    jws_key_lookup_fn lookup, void *arg, struct token_claims *out);

/*
 * Remembers that `jwt` was verified at `now` by the key `kid`, with claims
 * `c` (copied). Replaces an older entry of the same token. Does nothing when
 * the cache is off (cfg->key_cache_seconds == 0) or the claims are larger
 * than an entry holds (such a token is simply verified every time). Call it
 * only after tokens_verify_access() returned BA_OK for these very bytes.
 */
void token_cache_put(const struct config *cfg, const char *jwt, size_t len, int64_t now,
                     const char *kid, const struct token_claims *c);

/* Number of occupied entries (at most TOKEN_CACHE_ENTRIES), for tests. */
size_t token_cache_count(void);

/* Drops every entry and frees its memory (process shutdown, tests). */
void token_cache_flush(void);

#endif
