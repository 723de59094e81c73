/*
 * write.h - the store's write logic, written once for both backends.
 *
 * The shared write queue (queue.h) takes queued writes, opens a transaction
 * and, for each write of a batch, a savepoint; the backend calls
 * store_apply() with its transaction interface (tx.h), and the queue
 * releases the savepoint on BA_OK, or when store_apply() set *keep, and
 * rolls it back otherwise. The backends keep only connections, pooling,
 * locking, retries and error mapping.
 */
#ifndef BIOAUTH_STORE_WRITE_H
#define BIOAUTH_STORE_WRITE_H

#include <stdbool.h>

#include "store/store.h"
#include "store/tx.h"

/* Most writes a backend holds queued; a submit beyond it answers
 * BA_ERR_STORE_UNAVAILABLE. */
#define STORE_MAX_QUEUE 100000

/*
 * Applies `w` (any store_write_kind) on `tx` and then its audit event;
 * fills w->out. Returns the write's code. *keep is set when the write was
 * refused but what it wrote must be committed all the same: a refused
 * SW_LOGIN undoes its own changes and records w->audit as its failure
 * (outcome "failure", reason ba_strerror(code)) in the same transaction.
 */
int store_apply(struct store_tx *tx, struct store_write *w, bool *keep);

/*
 * A write alone in its transaction (tx->lone) refused with `code` at its
 * commit - a statement it left to the COMMIT failed, so nothing of it was
 * committed: records, in a new transaction, what such a refused write
 * keeps - for SW_LOGIN its audit event as the failure, as store_apply()
 * does for a login refused while it runs - and returns `code`. *keep tells
 * whether there is anything to commit.
 */
int store_apply_refused(struct store_tx *tx, struct store_write *w, int code, bool *keep);

/* A code that refuses the request (as opposed to a storage failure or a
 * retry, after which nothing may be committed). */
bool store_is_refusal(int r);

/* Forgets what a failed write put into w->out and w->audit->id. */
void store_write_out_reset(struct store_write *w);

/*
 * One resource a write locks where transactions overlap (PostgreSQL), for
 * the backend to lock a batch's resources up front in one global order
 * (postgres.c): named by its app ("" for none) and kind, then by a text
 * (`name`) or, when name is NULL, a MODEL_HASH_LEN-byte `hash`. Kind ""
 * with a user id is the (app, user) of registrations (ST_AUTHENTICATOR_LOCK).
 */
struct store_lock_key {
	const char *app, *kind, *name;
	const uint8_t *hash;
};

/* SW_LOGIN names the most: usage, key, session and two password counts. */
#define STORE_MAX_LOCK_KEYS 5

/* The resources `w` locks exclusively (see write.c): at most
 * STORE_MAX_LOCK_KEYS into `out`, their number returned (0 for a kind
 * outside the order). */
size_t store_lock_keys(const struct store_write *w, struct store_lock_key *out);

/* --- shared by write.c and write_login.c --- */

/* `t`, or the current time when `t` is 0. */
int64_t wr_or_now(int64_t t);
/* Runs `id`: plain; "no row changed" = NOT_FOUND; "no row inserted" or a
 * taken unique key = `taken`; "no row returned" = NOT_FOUND. */
int wr_run(struct store_tx *tx, enum st_id id, const struct tx_binds *b);
int wr_changed(struct store_tx *tx, enum st_id id, const struct tx_binds *b);
int wr_insert(struct store_tx *tx, enum st_id id, const struct tx_binds *b, int taken);
int wr_row(struct store_tx *tx, enum st_id id, const struct tx_binds *b);
/* Like wr_insert (`taken` != 0) or wr_run (`taken` 0), but the statement
 * may travel with the next one (tx.h run_later): its failure can come out
 * of the next wr_* call of the same write instead. */
int wr_later(struct store_tx *tx, enum st_id id, const struct tx_binds *b, int taken);
/* Runs insert `id`, which returns one row of one integer, into *id_out,
 * possibly as late as the transaction's next round trip (tx.h run_later);
 * for inserts that refuse nothing (audit events). */
int wr_later_id(struct store_tx *tx, enum st_id id, const struct tx_binds *b, int64_t *id_out);
/* Ends the statements wr_later() held back: `r` when they all went
 * through, else their first failure (which came first, so it wins). */
int wr_settle(struct store_tx *tx, int r);
/* The user a write commits rows for must exist (`gone` otherwise) and,
 * when `password_hash` is set, still have that password hash (the one a
 * login verified: a user deleted and re-created, or whose password changed
 * since, is `gone`). Where transactions overlap the user's row stays
 * share-locked until commit, so a user deletion cannot pass in between.
 * Without a password hash to compare the check may travel with the next
 * statement (wr_later), its `gone` coming out of that one. */
int wr_user_hold(struct store_tx *tx, const char *user_id, const char *password_hash, int gone);

/* write_login.c: the write kinds of logins, sessions and refresh tokens. */
int wr_login(struct store_tx *tx, struct store_write *w);
int wr_refresh_rotate(struct store_tx *tx, struct store_write *w);
int wr_session_revoke(struct store_tx *tx, const char *app_id, const char *session_id);

/* write.c: deletes the password attempt counts of `a` (a successful login). */
int wr_password_reset(struct store_tx *tx, const struct store_password_attempt *a);

#endif
