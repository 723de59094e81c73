/*
 * sqlite_tx.c - the statement interface (tx.h) on SQLite connections: the
 * writer's entry point into the shared write logic, and the read
 * connections lent to the shared reads (read.c).
 *
 * Statements of the shared table are cached on the connection after the
 * backend's own slots (SQ__COUNT + id) and reset by sq_reset_used().
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "store/sqlite_internal.h"
#include "store/write.h"

/* Binds `b` to `st` (NULL = nothing); the values stay the caller's. */
static int bind_all(sqlite3_stmt *st, const struct tx_binds *b)
{
	int rc = SQLITE_OK;

	if (b == NULL)
		return BA_OK;
	if (b->overflow)
		return BA_ERR_INTERNAL;
	for (int i = 0; rc == SQLITE_OK && i < b->n; i++) {
		switch (b->v[i].type) {
		case TX_NULL: rc = sqlite3_bind_null(st, i + 1); break;
		case TX_TEXT: rc = sqlite3_bind_text(st, i + 1, b->v[i].text, -1, SQLITE_STATIC); break;
		case TX_INT:
		case TX_BOOL: rc = sqlite3_bind_int64(st, i + 1, (sqlite3_int64)b->v[i].i); break;
		case TX_BLOB:
			rc = sqlite3_bind_blob64(st, i + 1, b->v[i].blob, (sqlite3_uint64)b->v[i].len,
			                         SQLITE_STATIC);
			break;
		}
	}
	return sq_err(rc);
}

static int run(struct store_tx *t, enum st_id id, const struct tx_binds *b, bool *row)
{
	struct sq_tx *x = (struct sq_tx *)t;
	const char *sql = st_table[id].sqlite;
	sqlite3_stmt *st;
	int r;

	x->row = NULL;
	x->changes = 0;
	if (row != NULL)
		*row = false;
	if (sql == NULL)
		return BA_OK;   /* a step SQLite's single writer does without */
	if ((st = sq_prepare(x->c, SQ__COUNT + (int)id, sql)) == NULL)
		return sq_conn_err(x->c);
	if ((r = bind_all(st, b)) != BA_OK)
		return r;
	r = sqlite3_step(st);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return sq_conn_err(x->c);
	x->changes = sqlite3_changes64(x->c->db);
	if (r == SQLITE_ROW) {
		x->row = st;
		if (row != NULL)
			*row = true;
	}
	return BA_OK;
}

static int64_t changes(struct store_tx *t)
{
	return ((struct sq_tx *)t)->changes;
}

static int col_int(struct store_tx *t, int col, int64_t *out)
{
	struct sq_tx *x = (struct sq_tx *)t;

	*out = 0;
	if (x->row == NULL)
		return BA_ERR_INTERNAL;
	*out = sqlite3_column_int64(x->row, col);
	return BA_OK;
}

static int col_bool(struct store_tx *t, int col, bool *out)
{
	int64_t v;
	int r = col_int(t, col, &v);

	*out = r == BA_OK && v != 0;
	return r;
}

static int col_text(struct store_tx *t, int col, char **out)
{
	struct sq_tx *x = (struct sq_tx *)t;
	const unsigned char *v;

	*out = NULL;
	if (x->row == NULL)
		return BA_ERR_INTERNAL;
	if (sqlite3_column_type(x->row, col) == SQLITE_NULL)
		return BA_OK;
	if ((v = sqlite3_column_text(x->row, col)) == NULL)
		return BA_ERR_NOMEM;
	*out = strdup((const char *)v);
	return *out != NULL ? BA_OK : BA_ERR_NOMEM;
}

static int col_blob(struct store_tx *t, int col, uint8_t **out, size_t *len)
{
	struct sq_tx *x = (struct sq_tx *)t;
	int n;

	*out = NULL;
	*len = 0;
	if (x->row == NULL)
		return BA_ERR_INTERNAL;
	n = sqlite3_column_bytes(x->row, col);
	if (n <= 0)
		return BA_OK;
	if ((*out = malloc((size_t)n)) == NULL)
		return BA_ERR_NOMEM;
	memcpy(*out, sqlite3_column_blob(x->row, col), (size_t)n);
	*len = (size_t)n;
	return BA_OK;
}

static int next(struct store_tx *t, bool *row)
{
	struct sq_tx *x = (struct sq_tx *)t;
	int r;

	*row = false;
	if (x->row == NULL)
		return BA_OK;
	r = sqlite3_step(x->row);
	if (r == SQLITE_ROW) {
		*row = true;
		return BA_OK;
	}
	x->row = NULL;
	return r == SQLITE_DONE ? BA_OK : sq_conn_err(x->c);
}

/* SQLite's copy of a value is its own (const) memory: nothing to wipe. */
static void wipe(struct store_tx *t, int col)
{
	(void)t;
	(void)col;
}

static int savepoint(struct store_tx *t, enum tx_savepoint op)
{
	struct sq_tx *x = (struct sq_tx *)t;
	int r;

	x->row = NULL;
	sq_reset_used(x->c);   /* no statement stays pending across it */
	switch (op) {
	case TX_SP_BEGIN: return sq_exec(x->c, SQ_SAVEPOINT, "SAVEPOINT w");
	case TX_SP_RELEASE: return sq_exec(x->c, SQ_RELEASE, "RELEASE w");
	case TX_SP_ROLLBACK:
		r = sq_exec(x->c, SQ_ROLLBACK_TO, "ROLLBACK TO w");
		return r == BA_OK ? sq_exec(x->c, SQ_RELEASE, "RELEASE w") : r;
	}
	return BA_ERR_INTERNAL;
}

static const struct tx_ops sq_tx_ops = {
	run, changes, col_int, col_bool, col_text, col_blob, next, wipe, savepoint,
};

struct store_tx *sq_tx_on(struct sq_tx *x, struct sq_conn *c)
{
	*x = (struct sq_tx){ { &sq_tx_ops }, c, NULL, 0 };
	return &x->base;
}

struct store_tx *sq_read_get(struct store *st)
{
	struct sq_store *s = (struct sq_store *)st;
	int i = store_pool_get(&s->pool);

	return sq_tx_on(&s->reader_tx[i], &s->readers[i]);
}

void sq_read_put(struct store *st, struct store_tx *t)
{
	struct sq_store *s = (struct sq_store *)st;
	struct sq_conn *c = ((struct sq_tx *)t)->c;

	sq_reset_used(c);
	if (!sqlite3_get_autocommit(c->db))   /* never keep a snapshot: it pins the WAL */
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	store_pool_put(&s->pool, (int)(c - s->readers));
}

static int probe(struct sq_conn *c)
{
	sqlite3_stmt *st = sq_prepare(c, SQ_PROBE, "UPDATE store_health SET probed_at = ?1 WHERE id = 1");
	int r;

	if (st == NULL)
		return sq_conn_err(c);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)time(NULL));
	r = sqlite3_step(st);
	if (r != SQLITE_DONE)
		return sq_conn_err(c);
	return sqlite3_changes(c->db) > 0 ? BA_OK : BA_ERR_NOT_FOUND;
}

static int migrate(struct sq_store *s)
{
	int version = 0;
	int r = sq_migrate_apply(&s->wconn, &version);

	atomic_store(&s->version, version);
	return r;
}

int sq_apply(struct sq_store *s, struct store_write *w, bool *keep)
{
	*keep = false;
	if ((int)w->kind == SQ_KIND_PROBE)
		return probe(&s->wconn);
	if ((int)w->kind == SQ_KIND_MIGRATE)
		return migrate(s);
	return store_apply(sq_tx_on(&s->wtx, &s->wconn), w, keep);
}
