/*
 * queue.h - the write queue of both backends (queue.c): a bounded queue of
 * submitted writes; writer threads each take their share (what is queued
 * divided among the writers, at most max_batch) and settle it transaction
 * after transaction until every write has its code:
 *  - begin; a failed begin fails every write of the batch with its code;
 *  - each write under its own savepoint when the batch has several
 *    (released when the write succeeded or kept what it wrote, rolled back
 *    otherwise), so one failing write does not fail the others;
 *  - one commit (a lone write that failed is rolled back instead), then
 *    the done callbacks.
 * A lone write whose commit refused it (apply_refused) runs again as its
 * refusal in the next transaction.
 * A write answering QUEUE_RETRY (deadlock, serialization failure) ends the
 * transaction early: the writes before it commit, it and the rest run in
 * the next one; all of them do when the commit answers QUEUE_RETRY. A
 * write left unsettled QUEUE_ATTEMPTS times fails STORE_UNAVAILABLE. When
 * the transaction breaks (connection lost, rolled back by the database, a
 * savepoint or the commit failed) its writes that had succeeded fail with
 * `failure`'s code; the writes after it fail too (`whole_batch_fails`,
 * SQLite) or run in a new transaction (PostgreSQL: on a fresh connection).
 * A backend supplies the steps on its connection (store_queue_ops) and a
 * context per writer thread.
 */
#ifndef BIOAUTH_STORE_QUEUE_H
#define BIOAUTH_STORE_QUEUE_H

#include <stdbool.h>
#include <stddef.h>

#include "store/store.h"
#include "store/tx.h"

/* The code a step answers when the transaction hit a deadlock or a
 * serialization failure and may run again. Never reaches a done callback. */
#define QUEUE_RETRY (-1)

/* How many transactions in a row may leave a write unsettled. */
#define QUEUE_ATTEMPTS 4

/* The backend's steps, each called on a writer thread with that writer's
 * context `wr`. */
struct store_queue_ops {
	/* Opens a transaction (connecting first when needed): BA_OK, or the
	 * code every write of the batch gets. */
	int (*begin)(void *wr);
	/* Applies `w` (a store_write_kind or a private kind of the backend)
	 * inside the transaction; *keep as store_apply() (write.h). */
	int (*apply)(void *wr, struct store_write *w, bool *keep);
	/* The writer's statement interface, whose savepoint() the queue
	 * sets per write of a batch. */
	struct store_tx *(*tx)(void *wr);
	/* True when the transaction is gone: the connection was lost or the
	 * database rolled it back on its own. */
	bool (*broken)(void *wr);
	int (*commit)(void *wr);
	/* Rolls back the transaction when it is still open. */
	void (*rollback)(void *wr);
	/* Called after rollback() when the transaction broke because of
	 * `why`: the code its writes get. */
	int (*failure)(void *wr, int why);
	/* Optional: runs after each batch's done callbacks. */
	void (*after_batch)(void *wr);
	bool whole_batch_fails;
	/* Optional: called after begin() with the writes the transaction
	 * will apply, in order, before the first of them (PostgreSQL takes
	 * their locks in one global order there). BA_OK, or the code every
	 * one of them gets, as for begin(). */
	int (*lock_batch)(void *wr, struct store_write *const *ws, size_t n);
	/* Optional (PostgreSQL): lets a write alone in its transaction leave
	 * what it holds back to the commit (tx.h `lone`). When that commit
	 * answers a refusal (store_is_refusal) while the write had gone
	 * through and the transaction is not broken, nothing was committed:
	 * the queue rolls back and runs the write again, alone, through
	 * this instead of apply() - what a write refused with `code` keeps
	 * (store_apply_refused: a login's failure event), *keep as apply(). */
	int (*apply_refused)(void *wr, struct store_write *w, int code, bool *keep);
};

struct store_queue;

/* A queue handing at most `max_batch` writes to one transaction; NULL when
 * out of memory. Its writers start with store_queue_start(). */
struct store_queue *store_queue_new(const struct store_queue_ops *ops, size_t max_batch);
/* Starts n writer threads; writer i's context is the element i of the
 * array `ctx` of elements of `size` bytes (it must outlive the queue).
 * BA_OK or BA_ERR_INTERNAL/NOMEM (the writers started stay running until
 * store_queue_free()). */
int store_queue_start(struct store_queue *q, void *ctx, size_t size, int n);
/* Refuses new writes, lets the writers finish every queued one (calling
 * its done), joins them and frees `q`. NULL ok. */
void store_queue_free(struct store_queue *q);

/*
 * store_submit(): queues `w`; `done` runs later on a writer thread
 * exactly once, after the commit. When this returns an error (closing,
 * STORE_MAX_QUEUE writes queued, no memory) done is never called. `w` (and
 * what it points to) must stay valid until done.
 */
int store_queue_submit(struct store_queue *q, struct store_write *w, store_done_fn done,
                       void *arg);

/* Marks the write path faulty (a database found read-only at open). */
void store_queue_set_fault(struct store_queue *q, bool fault);
/*
 * BA_OK when the last batch did not fail with a storage fault and the
 * queue is open, BA_ERR_STORE_UNAVAILABLE otherwise. After a fault, and
 * when no batch ran for `idle_seconds`, it queues a write of the backend's
 * private kind `probe_kind` (one at a time) whose outcome the next call
 * reports. Never waits for the writers.
 */
int store_queue_health(struct store_queue *q, int probe_kind, double idle_seconds);

#endif
