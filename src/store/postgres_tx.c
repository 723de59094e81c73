/*
 * postgres_tx.c - the statement interface (tx.h) on PostgreSQL
 * connections: the writers' entry point into the shared write logic, and
 * the read connections lent to the shared reads (read.c).
 *
 * Every statement of the shared table that has PostgreSQL text is prepared
 * on each connection when it connects (pg_prepare_writes); results come in
 * binary format and are read with the pg_col_* readers.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/error.h"
#include "store/postgres_internal.h"
#include "store/write.h"

static void to_params(const struct tx_binds *b, struct pg_params *p)
{
	memset(p, 0, sizeof(*p));
	p->overflow = b->overflow;
	for (int i = 0; i < b->n; i++) {
		switch (b->v[i].type) {
		case TX_NULL: pgp_text(p, NULL); break;
		case TX_TEXT: pgp_text(p, b->v[i].text); break;
		case TX_INT: pgp_int(p, b->v[i].i); break;
		case TX_BOOL: pgp_bool(p, b->v[i].i != 0); break;
		case TX_BLOB: pgp_bytes(p, b->v[i].blob, b->v[i].len); break;
		}
	}
}

/* Runs `st` on a read connection (autocommit), retrying once on a fresh
 * connection when the old one turned out to be lost while idle. */
static int read_exec(struct pg_tx *x, const struct pg_stmt *st, const struct pg_params *p)
{
	int r = BA_ERR_STORE_UNAVAILABLE;

	for (int attempt = 0; attempt < 2; attempt++) {
		bool was_up = x->pc->c != NULL;

		r = pg_conn_ensure(x->s, x->pc);
		if (r != BA_OK)
			break;
		r = pg_exec(x->pc, st, p, &x->res);
		if (r == BA_OK || !was_up || !pg_conn_lost(x->pc))
			break;
		pg_conn_drop(x->pc);
	}
	return r == PG_RETRY ? BA_ERR_STORE_UNAVAILABLE : r;
}

static int run(struct store_tx *t, enum st_id id, const struct tx_binds *b, bool *row)
{
	struct pg_tx *x = (struct pg_tx *)t;
	struct pg_stmt st = { st_table[id].name, st_table[id].pg };
	struct pg_params p;
	int r;

	PQclear(x->res);
	x->res = NULL;
	x->row = 0;
	if (row != NULL)
		*row = false;
	if (st.sql == NULL)
		return BA_OK;
	if (b != NULL)
		to_params(b, &p);
	if (x->s != NULL)
		r = read_exec(x, &st, b != NULL ? &p : NULL);
	else
		r = pg_exec(x->pc, &st, b != NULL ? &p : NULL, &x->res);
	if (r == BA_OK && row != NULL)
		*row = PQntuples(x->res) > 0;
	return r;
}

static int64_t changes(struct store_tx *t)
{
	struct pg_tx *x = (struct pg_tx *)t;

	return x->res != NULL ? strtoll(PQcmdTuples(x->res), NULL, 10) : 0;
}

static bool has_row(const struct pg_tx *x)
{
	return x->res != NULL && x->row < PQntuples(x->res);
}

static int col_int(struct store_tx *t, int col, int64_t *out)
{
	struct pg_tx *x = (struct pg_tx *)t;

	*out = 0;
	return has_row(x) ? pg_col_int(x->res, x->row, col, out) : BA_ERR_INTERNAL;
}

static int col_bool(struct store_tx *t, int col, bool *out)
{
	struct pg_tx *x = (struct pg_tx *)t;

	*out = false;
	return has_row(x) ? pg_col_bool(x->res, x->row, col, out) : BA_ERR_INTERNAL;
}

static int col_text(struct store_tx *t, int col, char **out)
{
	struct pg_tx *x = (struct pg_tx *)t;

	*out = NULL;
	return has_row(x) ? pg_col_str(x->res, x->row, col, out) : BA_ERR_INTERNAL;
}

static int col_blob(struct store_tx *t, int col, uint8_t **out, size_t *len)
{
	struct pg_tx *x = (struct pg_tx *)t;

	*out = NULL;
	*len = 0;
	return has_row(x) ? pg_col_bytes(x->res, x->row, col, out, len) : BA_ERR_INTERNAL;
}

static int next(struct store_tx *t, bool *row)
{
	struct pg_tx *x = (struct pg_tx *)t;

	if (has_row(x))
		x->row++;
	*row = has_row(x);
	return BA_OK;
}

/* The result's values are writable memory of ours until PQclear. */
static void wipe(struct store_tx *t, int col)
{
	struct pg_tx *x = (struct pg_tx *)t;

	for (int i = 0; x->res != NULL && i < PQntuples(x->res); i++)
		OPENSSL_cleanse(PQgetvalue(x->res, i, col), (size_t)PQgetlength(x->res, i, col));
}

static int savepoint(struct store_tx *t, enum tx_savepoint op)
{
	struct pg_tx *x = (struct pg_tx *)t;

	switch (op) {
	case TX_SP_BEGIN: return pg_exec_simple(x->pc, "SAVEPOINT login");
	case TX_SP_RELEASE: return pg_exec_simple(x->pc, "RELEASE SAVEPOINT login");
	case TX_SP_ROLLBACK: return pg_exec_simple(x->pc, "ROLLBACK TO SAVEPOINT login");
	}
	return BA_ERR_INTERNAL;
}

static const struct tx_ops pg_tx_ops = {
	run, changes, col_int, col_bool, col_text, col_blob, next, wipe, savepoint,
};

int pg_apply(struct pg_conn *pc, struct store_write *w, bool *keep)
{
	struct pg_tx x = { { &pg_tx_ops }, pc, NULL, NULL, 0 };
	int r = store_apply(&x.base, w, keep);

	PQclear(x.res);
	return r;
}

struct store_tx *pg_read_get(struct store *st)
{
	struct pg_store *s = (struct pg_store *)st;
	struct pg_conn *pc = pg_reader_get(s);
	struct pg_tx *x = &s->reader_tx[pc - s->readers];

	*x = (struct pg_tx){ { &pg_tx_ops }, pc, s, NULL, 0 };
	return &x->base;
}

void pg_read_put(struct store *s, struct store_tx *t)
{
	struct pg_tx *x = (struct pg_tx *)t;

	PQclear(x->res);
	x->res = NULL;
	pg_reader_put((struct pg_store *)s, x->pc);
}

int pg_prepare_writes(struct pg_conn *pc)
{
	int r = BA_OK;

	for (size_t i = 0; r == BA_OK && i < ST__COUNT; i++) {
		if (st_table[i].pg != NULL)
			r = pg_prepare(pc, st_table[i].name, st_table[i].pg);
	}
	return r;
}
