/*
 * postgres_internal.h - shared state of the PostgreSQL backend (postgres*.c
 * only).
 *
 * The store holds a pool of libpq connections: a few belong to the writer
 * threads of the shared write queue (queue.h), which take a share of the
 * queued writes and run them in one transaction, each write under its own
 * savepoint (group commit: one WAL flush for the batch, and PostgreSQL
 * shares flushes among the writers' concurrent commits too); the rest serve
 * reads, checked out one at a time. Every connection prepares every
 * statement of the tables below when it connects. A connection that fails is
 * re-established on its next use, with a bounded backoff between attempts so
 * that requests fail fast (BA_ERR_STORE_UNAVAILABLE) while the server is
 * unreachable.
 */
#ifndef BIOAUTH_STORE_POSTGRES_INTERNAL_H
#define BIOAUTH_STORE_POSTGRES_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "store/backend.h"
#include "store/queue.h"
#include "store/store.h"
#include "store/tx.h"

/* A private return code: the transaction hit a deadlock or serialization
 * failure and may be run again (the write queue's QUEUE_RETRY). Never
 * leaves the backend. */
#define PG_RETRY QUEUE_RETRY

/* One pooled connection; used by one thread at a time. */
struct pg_conn {
	PGconn *c;
	int64_t retry_at_ms;   /* no reconnect attempt before (monotonic ms) */
	int backoff_ms;        /* next delay after a failed attempt */
	bool prepared;         /* every statement is prepared on `c` */
};

/* The most statements a writer's transaction holds back. */
#define PG_MAX_PENDING 16

/* A statement held back: a control statement `sql` (a static text), or
 * prepared statement `id` with its own copy of its parameters (`buf`,
 * wiped and freed when it is forgotten) and, as run_later() tells (tx.h),
 * its "no row changed" code `taken`. `whole`: its failure breaks the
 * transaction (the batch's locks, an audit insert); `strict`: sent in its
 * strict form (st_pg_has_strict()), so its `taken` aborts the
 * transaction; `id_out`: where the integer its one row returns goes. */
struct pg_pending {
	const char *sql;
	enum st_id id;
	int taken;
	bool whole;
	bool strict;
	int64_t *id_out;
	int n;
	const char *v[TX_MAX_BINDS];
	int len[TX_MAX_BINDS];
	int fmt[TX_MAX_BINDS];
	char *buf;
	size_t buf_len;
};

/*
 * The statement interface (tx.h) on one connection. On a writer's
 * connection the control statements (BEGIN, SAVEPOINT, RELEASE) and the
 * statements of run_later() are held back in `pending` and sent in one
 * pipeline with the next statement (or COMMIT), so that they cost no round
 * trip of their own (postgres_tx.c).
 */
struct pg_tx {
	struct store_tx base;      /* must be first */
	struct pg_conn *pc;
	struct pg_store *s;        /* the store, to reconnect */
	bool writer;               /* a writer's connection: controls held back */
	PGresult *res;             /* result of the last run(), or NULL */
	int row;                   /* current row of res */
	struct pg_pending pending[PG_MAX_PENDING];   /* in order */
	int n_pending;
	bool broken;               /* a `whole` statement failed: roll back */
	int savepoints;            /* set and not yet released or rolled back */
};

/* A writer thread's context in the write queue: its connection. */
struct pg_writer {
	struct pg_store *s;
	struct pg_conn conn;
	struct pg_tx tx;           /* the statement interface on conn */
};

struct pg_store {
	struct store base;            /* must be first */
	char *url;                    /* holds the password: wiped on free */
	struct store_options opt;
	bool schema_ready;            /* migrations ran: statements can be prepared */
	atomic_bool down;             /* a failed connect was logged, no success since */

	/* writes: one context per writer thread of the queue (base.q) */
	struct pg_writer *writers;
	int n_writers;

	/* read pool */
	struct store_pool pool;
	struct pg_conn *readers;
	struct pg_tx *reader_tx;      /* readers[i] lent to read.c as reader_tx[i] */
	int n_readers;
};

/* --- postgres.c: connections, execution, errors --- */

/* Makes `pc` usable, reconnecting when it is down and its backoff passed.
 * BA_OK or BA_ERR_STORE_UNAVAILABLE. */
int pg_conn_ensure(struct pg_store *s, struct pg_conn *pc);
/* Forgets a connection that failed so the next pg_conn_ensure() reconnects
 * at once. */
void pg_conn_drop(struct pg_conn *pc);
/* Runs a parameterless statement (BEGIN, COMMIT, DDL...) on `c`, whose rows
 * are ignored: BA_OK or pg_map_error()'s code, logged as `what`. */
int pg_exec_simple(PGconn *c, const char *sql, const char *what);
/* Maps a failed result (NULL = no result) on `c` to a BA_* code or
 * PG_RETRY; logs unexpected failures with the statement name only. */
int pg_map_error(PGconn *c, const PGresult *r, const char *what);
/* True when the code says the connection itself was lost. */
bool pg_conn_lost(const struct pg_conn *pc);

/* --- postgres_migrations.c --- */

/* Brings the schema to the newest version under a session advisory lock, so
 * that instances starting together apply each migration once; *version
 * receives the version. BA_ERR_STORE_UNAVAILABLE when the database is newer
 * than this program knows. Runs on an unprepared connection. */
int pg_migrate_conn(PGconn *c, int *version);

/* --- postgres_tx.c --- */

/* Makes `x` the statement interface on writer connection `pc` of `s`. */
void pg_tx_writer(struct pg_tx *x, struct pg_store *s, struct pg_conn *pc);
/* On a writer's connection: holds back control statement `sql` (a static
 * text without result rows) to go with the next round trip. */
int pg_tx_defer(struct pg_tx *x, const char *sql);
/* The prepared name of statement id's strict form (st_pg_has_strict())
 * into buf (of PG_STRICT_NAME_MAX bytes). */
#define PG_STRICT_NAME_MAX 64
void pg_strict_name(enum st_id id, char *buf, size_t size);
/* COMMIT on a writer's connection, with what is held back - first sending
 * alone any held-back statement whose refusal would not abort the
 * transaction (a "no row" `taken` of a statement without a strict form),
 * so that a refusal always leaves the COMMIT unsent or failed: BA_OK with
 * *res holding COMMIT's result, or the first failure (then nothing was
 * committed, unless the connection was lost: BA_ERR_STORE_UNAVAILABLE). */
int pg_tx_commit(struct pg_tx *x, PGresult **res);
/* Sends the held-back control statements and then `sql` in one round trip.
 * BA_OK with *res (when not NULL) holding the result of `sql` (PQclear it),
 * or the first failure, mapped (pg_map_error). */
int pg_tx_control(struct pg_tx *x, const char *sql, PGresult **res);
/* Forgets the held-back statements (the transaction ends unsent or is
 * rolled back anyway) and that the transaction broke. */
void pg_tx_forget(struct pg_tx *x);
/* Holds back the batch's lock statement (ST_BATCH_LOCK) with the locks of
 * writes ws[0..n) (store_lock_keys), unless they name fewer than two; its
 * failure breaks the transaction. BA_OK or BA_ERR_NOMEM. */
int pg_tx_lock_batch(struct pg_tx *x, struct store_write *const *ws, size_t n);
/* True while BEGIN is still held back: nothing of the transaction reached
 * the server. */
bool pg_tx_unsent(const struct pg_tx *x);
/* store_ops.reader_get / reader_put: a pooled read connection. */
struct store_tx *pg_read_get(struct store *s);
void pg_read_put(struct store *s, struct store_tx *tx);

#endif
