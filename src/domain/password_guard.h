/*
 * password_guard.h - slowing down password guessing per user.
 *
 * Every password attempt is counted before the password is checked, per
 * user (keyed by the username as given, so an unknown username behaves
 * exactly like a known one) and, when the backend passes the end user's IP
 * address, per (user, IP). After `max_failures` consecutive counted
 * attempts without a success, each further attempt must wait 1 s, 2 s,
 * 4 s, ... (at most `max_wait`) after the previous one, or it is refused
 * with 429 too_many_attempts - even with the right password. A success
 * resets both counts. With an IP the per-(user, IP) count uses
 * `max_failures` and the per-user count PASSWORD_GUARD_USER_FACTOR times
 * it, so one guessing client cannot lock the user out everywhere. The
 * counts live in the store (write.c), so they hold across instances.
 */
#ifndef BIOAUTH_DOMAIN_PASSWORD_GUARD_H
#define BIOAUTH_DOMAIN_PASSWORD_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/model.h"

/* The per-user threshold is this many times --password-max-failures when
 * the attempts carry the client's IP address. */
#define PASSWORD_GUARD_USER_FACTOR 10
/* Longest client IP address text taken from client_attributes. */
#define PASSWORD_GUARD_IP_MAX 64
/* A count left alone this long (seconds) is forgotten by the purge. The
 * store keeps times of attempts in milliseconds. */
#define PASSWORD_GUARD_FORGET 86400

/*
 * Milliseconds an attempt at `now_ms` must still wait, given `failures`
 * counted attempts without success, the last at `last_ms` (times in unix
 * milliseconds): 0 below `threshold`, else what remains of
 * min(2^(failures - threshold), max_wait) seconds after last_ms, and
 * never more than that delay itself (an attempt stamped before last_ms,
 * as concurrent attempts applied out of arrival order are, waits the
 * whole delay rather than longer). Never overflows.
 */
int64_t password_guard_wait(int64_t failures, int64_t last_ms, int64_t now_ms, int threshold,
                            int64_t max_wait);

/* The current time in unix milliseconds. */
int64_t password_guard_now_ms(void);

/* The store keys of a username, and of (username, ip) when `ip` is not
 * NULL (*has_ip tells): SHA-256 of a tagged, length-prefixed encoding. */
void password_guard_keys(const char *username, const char *ip, uint8_t user_key[MODEL_HASH_LEN],
                         uint8_t ip_key[MODEL_HASH_LEN], bool *has_ip);

/* The "ip_address" string of client_attributes (JSON object text, may be
 * NULL) as a heap string, or NULL when absent, not a string, empty or
 * longer than PASSWORD_GUARD_IP_MAX. */
char *password_guard_ip(const char *client_attributes);

#endif
