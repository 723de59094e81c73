/*
 * password.h - Argon2id password hashing for the first factor.
 *
 * Hashes are libargon2's encoded strings ("$argon2id$v=19$m=19456,t=2,p=1$
 * salt$hash"), so the parameters travel with each hash and can be raised
 * later without invalidating stored passwords. Passwords are checked here, in
 * C, never in SQL. Every function is thread-safe.
 */
#ifndef BIOAUTH_DOMAIN_PASSWORD_H
#define BIOAUTH_DOMAIN_PASSWORD_H

#include <stddef.h>

#define PASSWORD_MAX_LEN 1024   /* bytes; longer passwords are refused */

/* Argon2id parameters (see password.c for why these values). */
#define PASSWORD_T_COST 2u
#define PASSWORD_M_COST 19456u  /* KiB */
#define PASSWORD_PARALLELISM 1u
#define PASSWORD_SALT_LEN 16u
#define PASSWORD_HASH_LEN 32u

/* Hashes `pw` (1..PASSWORD_MAX_LEN bytes, NUL-terminated) with a fresh random
 * salt. *encoded receives a malloc'd encoded string the caller frees.
 * BA_OK; BA_ERR_INVALID_REQUEST (empty or too long); BA_ERR_NOMEM;
 * BA_ERR_INTERNAL. */
int password_hash(const char *pw, char **encoded);

/* Checks `pw` against an encoded hash made by password_hash(). BA_OK on a
 * match; BA_ERR_INVALID_CREDENTIALS on a mismatch, a NULL argument or a
 * password over the cap; BA_ERR_NOMEM; BA_ERR_INTERNAL when `encoded` is not
 * a valid Argon2id string. */
int password_verify(const char *encoded, const char *pw);

/* Spends the same work as password_verify() against a process-wide dummy
 * hash and always returns BA_ERR_INVALID_CREDENTIALS, so that a login with
 * an unknown user costs as much as one with a wrong password. */
int password_verify_dummy(const char *pw);

#endif
