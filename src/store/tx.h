/*
 * tx.h - the narrow interface the store's logic runs statements on.
 *
 * The write kinds of store.h are written once (write.c, write_login.c),
 * against this interface; each backend implements it over its own
 * connection (sqlite_tx.c, postgres_tx.c). A statement is named by its id
 * in the one statement table (statements.h), which holds its text per
 * dialect; a statement without text in a dialect (a lock only PostgreSQL
 * needs) is an optional step: running it does nothing and succeeds.
 *
 * Calls run inside the transaction (and savepoint) the backend opened for
 * the write. After run() the columns of the statement's first row, if any,
 * are readable until the next run(); next() moves to the following row;
 * `changes` tells how many rows the last run() changed. Every call returns
 * a BA_* code (PostgreSQL may also return its private retry code, which the
 * write logic passes up untouched).
 *
 * run_later() lets a statement whose result is only checked travel with the
 * next one (fewer round trips on PostgreSQL); the write logic settles it
 * before its write ends, except in a write alone in its transaction
 * (`lone` below), which may leave it to the COMMIT.
 *
 * The reads (read.c) run on the same interface over a read connection the
 * backend lends (store_ops.reader_get); there every statement runs on its
 * own (autocommit) and the backend retries a lost connection.
 */
#ifndef BIOAUTH_STORE_TX_H
#define BIOAUTH_STORE_TX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/statements.h"

/* Typed parameters of one statement, numbered from 1 in bind order. */
#define TX_MAX_BINDS 16

enum tx_type { TX_NULL, TX_TEXT, TX_INT, TX_BOOL, TX_BLOB };

struct tx_binds {
	int n;
	bool overflow;
	struct {
		enum tx_type type;
		const char *text;
		int64_t i;
		const void *blob;
		size_t len;
	} v[TX_MAX_BINDS];
};

/* Appenders: a NULL text is SQL NULL. */
void tx_text(struct tx_binds *b, const char *s);
void tx_int(struct tx_binds *b, int64_t v);
void tx_bool(struct tx_binds *b, bool v);
void tx_blob(struct tx_binds *b, const void *p, size_t n);

enum tx_savepoint { TX_SP_BEGIN, TX_SP_RELEASE, TX_SP_ROLLBACK };

struct store_tx;

struct tx_ops {
	/* Runs statement `id` with `b` (NULL = none); *row (when not NULL)
	 * tells whether it returned a row. */
	int (*run)(struct store_tx *tx, enum st_id id, const struct tx_binds *b, bool *row);
	/* Rows changed by the last run(). */
	int64_t (*changes)(struct store_tx *tx);
	/* Columns of the current row: NULL reads as 0 / false / NULL. */
	int (*col_int)(struct store_tx *tx, int col, int64_t *out);
	int (*col_bool)(struct store_tx *tx, int col, bool *out);
	/* A heap copy of a text column into *out (NULL when SQL NULL). */
	int (*col_text)(struct store_tx *tx, int col, char **out);
	/* A heap copy of a blob column (NULL and 0 when SQL NULL). */
	int (*col_blob)(struct store_tx *tx, int col, uint8_t **out, size_t *len);
	/* Moves to the next row of the last run(); *row tells whether there
	 * is one. */
	int (*next)(struct store_tx *tx, bool *row);
	/* Wipes column `col` of every row of the last run() where the backend
	 * holds the result in memory of its own (PostgreSQL), for secrets. */
	void (*wipe)(struct store_tx *tx, int col);
	/* A savepoint: TX_SP_BEGIN sets one, TX_SP_RELEASE releases the
	 * newest, TX_SP_ROLLBACK undoes what ran since the newest and
	 * releases it. They nest: the queue sets one per write of a batch,
	 * SW_LOGIN one inside its write where the backend has no undo(). */
	int (*savepoint)(struct store_tx *tx, enum tx_savepoint op);
	/* Optional (NULL in both: the write logic runs such statements at
	 * once). Runs statement `id` whose result the write logic only checks: an
	 * error, or (with `taken` != 0) that it changed no row, which reads
	 * as `taken` (wr_insert). The backend may hold it back (PostgreSQL:
	 * in the pipeline of the next round trip); its outcome is then the
	 * code of the next run() or settle() - the first failure in the order
	 * the statements were given, as if each had run at once. It reads no
	 * row and leaves none readable. With `id_out`, an insert that
	 * returns one row of one integer (an audit event's id): the id
	 * reaches *id_out when the statement ran, which may be as late as
	 * the next round trip of the transaction (its COMMIT), after the
	 * write ended; since such an insert refuses nothing, its failure
	 * then breaks the transaction. */
	int (*run_later)(struct store_tx *tx, enum st_id id, const struct tx_binds *b, int taken,
	                 int64_t *id_out);
	/* Runs what run_later() held back: BA_OK or its first failure. A
	 * write settles before it ends (write.c), so that a failure is the
	 * failure of the write that gave the statement - unless it runs alone
	 * and went through (store_tx.lone): then the COMMIT carries it. */
	int (*settle)(struct store_tx *tx);
	/* Optional (NULL on SQLite: SW_LOGIN then sets a savepoint of its
	 * own). Undoes everything the current write ran: back to the newest
	 * savepoint, which stays set (the queue's, in a batch), or, when none
	 * is set (a write alone in its transaction), the whole transaction,
	 * which begins again empty. Lets a refused login keep its failure
	 * event without a savepoint (a subtransaction on PostgreSQL) of its
	 * own. */
	int (*undo)(struct store_tx *tx);
};

struct store_tx {
	const struct tx_ops *ops;
	/* Set by the write queue while a write runs alone in its transaction
	 * on a backend that learns a refusal at commit (queue.h
	 * apply_refused): the write may then leave what run_later() holds
	 * back unsettled, to go with the COMMIT; a refusal among it fails
	 * the COMMIT (nothing is committed) and the queue runs the write
	 * again as its refusal (store_apply_refused). */
	bool lone;
};

#endif
