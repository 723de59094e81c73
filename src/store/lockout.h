/*
 * lockout.h - what a failed signature does to an authenticator's lock state.
 *
 * The store's write logic (write.c, for both backends) counts failed
 * signatures per authenticator and locks the key at the app's threshold: it
 * reads the key's state, asks lockout_after_failure() what to do, and
 * writes the result in the same transaction; the rule lives here once.
 */
#ifndef BIOAUTH_STORE_LOCKOUT_H
#define BIOAUTH_STORE_LOCKOUT_H

#include <stdbool.h>
#include <stdint.h>

struct lockout {
	bool store;            /* write failed_count and locked_until back */
	bool locked;           /* the key is locked after this failure */
	bool lock_event;       /* this failure locked it: record a "lock" event */
	int failed_count;      /* the key's new failure count */
	int64_t locked_until;  /* the key's new lock end (unix seconds) */
};

/*
 * Decides the outcome of one failed signature of a key whose stored
 * state is (failed_count, locked_until), at time `now`:
 *  - a key locked at `now` (locked_until > now) stays as it is: nothing to
 *    store, locked, no lock event (the failure itself is still audited);
 *  - otherwise the failure is counted; when `threshold` > 0 and the count
 *    reaches it, the key is locked until now + lock_seconds, its count
 *    starts again from zero, and a lock event is due;
 *  - below the threshold (or with threshold <= 0: never lock) only the
 *    count changes; locked_until keeps its (past) value.
 * The count stops at INT_MAX and the lock end at INT64_MAX instead of
 * overflowing; a negative lock_seconds counts as 0. Never fails.
 */
void lockout_after_failure(int failed_count, int64_t locked_until, int64_t now, int threshold,
                           int64_t lock_seconds, struct lockout *out);

#endif
