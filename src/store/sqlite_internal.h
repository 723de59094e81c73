/*
 * sqlite_internal.h - shared state of the SQLite backend (sqlite*.c only).
 *
 * One writer thread owns the read-write connection and applies queued writes
 * in batches (group commit); a checkpointer thread with its own connection
 * copies the WAL back into the database file; a small pool of read-only
 * connections serves reads. Every connection caches its prepared statements,
 * indexed by `enum sq_stmt` (the backend's own statements: transactions,
 * schema) and then by `enum st_id` (the shared statements).
 */
#ifndef BIOAUTH_STORE_SQLITE_INTERNAL_H
#define BIOAUTH_STORE_SQLITE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store/backend.h"
#include "store/store.h"

/* Internal write kinds, outside enum store_write_kind's range. */
#define SQ_KIND_PROBE 0        /* ready(): prove the write path works */
#define SQ_KIND_MIGRATE 1000   /* migrate(): apply pending migrations */

/* Statement cache slots. Each slot has exactly one SQL text. */
enum sq_stmt {
	/* transaction control (writer) */
	SQ_BEGIN, SQ_COMMIT, SQ_ROLLBACK, SQ_SAVEPOINT, SQ_RELEASE, SQ_ROLLBACK_TO,
	/* schema */
	SQ_VERSION_GET, SQ_VERSION_TABLE_EXISTS, SQ_VERSION_INSERT, SQ_PROBE,
	SQ__COUNT   /* the shared statements (statements.h) follow: SQ__COUNT + st_id */
};

#include "store/tx.h"

#define SQ_SLOTS (SQ__COUNT + ST__COUNT)

/* A connection and its statement cache; used by one thread at a time. */
struct sq_conn {
	sqlite3 *db;
	sqlite3_stmt *st[SQ_SLOTS];
	/* slots handed out since the last sq_reset_used() */
	uint8_t used[SQ_SLOTS];
	int used_list[SQ_SLOTS];
	size_t n_used;
};

/* The statement interface (tx.h) on one connection. */
struct sq_tx {
	struct store_tx base;      /* must be first */
	struct sq_conn *c;
	sqlite3_stmt *row;         /* statement positioned on a row, or NULL */
	int64_t changes;
};

struct sq_store {
	struct store base;            /* must be first */
	char *path;
	struct store_options opt;

	/* checkpointer: everything below `ck_mu` is guarded by it */
	struct sq_conn ckconn;        /* owned by the checkpointer thread once started */
	pthread_t checkpointer;
	bool checkpointer_started;
	pthread_mutex_t ck_run;       /* held while a checkpoint runs (one at a time) */
	pthread_mutex_t ck_mu;
	pthread_cond_t ck_cv;         /* signals the checkpointer: WAL grew, or stop */
	int ck_frames;                /* frames in the WAL after the last commit */
	int ck_next;                  /* wake the checkpointer at this many frames */
	int ck_backfilled;            /* frames its last checkpoint copied (this WAL) */
	unsigned long ck_commits;     /* commits seen by the WAL hook */
	bool ck_wake;                 /* a checkpoint is due now */
	bool ck_stopping;

	/* writer: the queue's (base.q) one writer thread owns wconn once started */
	struct sq_conn wconn;
	struct sq_tx wtx;             /* the statement interface on wconn */
	int w_frames;                 /* WAL frames after wconn's last commit (its thread) */
	int w_hard_at;                /* WAL frames at which the writer empties the WAL */
	atomic_int version;           /* schema version after the last migration */

	/* read pool */
	struct store_pool pool;
	struct sq_conn *readers;
	struct sq_tx *reader_tx;      /* readers[i] lent to read.c as reader_tx[i] */
	int n_readers;
};

/* --- sqlite.c: connections, statements, errors --- */

/* Maps a SQLite (extended) result code to a BA_* code. */
int sq_err(int sqlite_rc);
/* The cached statement `id` of `c`, reset and unbound, preparing `sql` on
 * first use; NULL on failure (see sqlite3_errcode(c->db)). */
sqlite3_stmt *sq_prepare(struct sq_conn *c, int id, const char *sql);
/* Resets every statement handed out since the last call. */
void sq_reset_used(struct sq_conn *c);
/* Steps a statement that returns no row (or whose rows are ignored);
 * returns a BA_* code. */
int sq_exec(struct sq_conn *c, enum sq_stmt id, const char *sql);
/* The BA_* code for the last failure on `c`. */
int sq_conn_err(const struct sq_conn *c);


/* --- sqlite_migrations.c --- */

/* Brings the schema of `c` (inside a write transaction) to the newest
 * version; *version receives it. BA_ERR_STORE_UNAVAILABLE when the database
 * is newer than this program. */
int sq_migrate_apply(struct sq_conn *c, int *version);
/* Reads the schema version (0 for a new database). */
int sq_version_read(struct sq_conn *c, int *version);

/* --- sqlite_tx.c --- */

/* Applies one write (a store_write_kind, SQ_KIND_PROBE or SQ_KIND_MIGRATE)
 * on the writer connection through the shared write logic (write.h), inside
 * the transaction of the shared write queue (queue.h). Fills w->out. */
int sq_apply(struct sq_store *s, struct store_write *w, bool *keep);
/* Makes `x` the statement interface on `c`; returns it. */
struct store_tx *sq_tx_on(struct sq_tx *x, struct sq_conn *c);
/* store_ops.reader_get / reader_put: a pooled read connection. */
struct store_tx *sq_read_get(struct store *s);
void sq_read_put(struct store *s, struct store_tx *tx);

#endif
