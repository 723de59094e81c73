/*
 * postgres_tx.c - the statement interface (tx.h) on PostgreSQL
 * connections: the writers' entry point into the shared write logic, and
 * the read connections lent to the shared reads (read.c).
 *
 * Every statement of the shared table that has PostgreSQL text is prepared
 * on each connection when it connects (postgres.c); results come in
 * binary format and are read by type.
 *
 * On a writer's connection the control statements of the write queue and of
 * SW_LOGIN (BEGIN, SAVEPOINT, RELEASE) answer nothing the write logic
 * reads, so they are held back and sent in one libpq pipeline with the next
 * statement whose result is read (or with COMMIT): a write pays one round
 * trip per statement it runs. The statements the write logic gives to
 * run_later() (tx.h: inserts and updates whose result is only checked) are
 * held back the same way, with a copy of their parameters, and so is the
 * batch's lock statement (pg_tx_lock_batch). Their results are still
 * checked, in order, and the first failure is the one reported, as if each
 * had been sent alone; a failed statement skips the rest of its pipeline
 * just as it would have failed the transaction. A SAVEPOINT followed at
 * once by its RELEASE or ROLLBACK TO (a write that ran nothing) is dropped
 * unsent. A ROLLBACK TO is not held back: the queue needs to know it worked.
 *
 * A write alone in its transaction (tx.h `lone`) may leave what it held
 * back to the COMMIT's pipeline (pg_tx_commit). Its inserts are then held
 * in their strict form (st_pg_has_strict(): without ON CONFLICT DO
 * NOTHING), so that a refusal (a taken key) fails the statement and the
 * aborted pipeline skips the COMMIT; a held-back check that refuses by
 * finding no row (ST_USER_HOLD) would not, so pg_tx_commit sends such a
 * one before the COMMIT.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/error.h"
#include "common/log.h"
#include "store/postgres_internal.h"
#include "store/write.h"

/* PostgreSQL type oids of the columns we read (pg_type.dat). */
#define OID_BOOL 16
#define OID_BYTEA 17
#define OID_INT8 20
#define OID_INT4 23
#define OID_TEXT 25
#define OID_VARCHAR 1043

/* The most parameters of one statement; strings and integers go as text,
 * bytea in binary. */
struct params {
	const char *v[TX_MAX_BINDS];
	int len[TX_MAX_BINDS];
	int fmt[TX_MAX_BINDS];
	char num[TX_MAX_BINDS][24];
};

static int to_params(const struct tx_binds *b, struct params *p)
{
	if (b->overflow)
		return BA_ERR_INTERNAL;
	for (int i = 0; i < b->n; i++) {
		p->v[i] = NULL;
		p->len[i] = 0;
		p->fmt[i] = 0;
		switch (b->v[i].type) {
		case TX_NULL: break;
		case TX_TEXT: p->v[i] = b->v[i].text; break;
		case TX_INT:
			snprintf(p->num[i], sizeof(p->num[i]), "%" PRId64, b->v[i].i);
			p->v[i] = p->num[i];
			break;
		case TX_BOOL: p->v[i] = b->v[i].i != 0 ? "t" : "f"; break;
		case TX_BLOB:
			if (b->v[i].len > (size_t)INT32_MAX)
				return BA_ERR_INTERNAL;
			p->v[i] = b->v[i].blob;
			p->len[i] = (int)b->v[i].len;
			p->fmt[i] = 1;
			break;
		}
	}
	return BA_OK;
}

/* Runs prepared statement `id` with `b` (NULL = none) on `pc`, results in
 * binary format. On BA_OK *res holds the result (PQclear it); otherwise
 * the failure is mapped (pg_map_error) and *res is NULL. */
static int exec(struct pg_conn *pc, enum st_id id, const struct tx_binds *b, PGresult **res)
{
	struct params p;
	PGresult *r;
	ExecStatusType t;
	int n = b != NULL ? b->n : 0, rc;

	*res = NULL;
	if (b != NULL && to_params(b, &p) != BA_OK) {
		log_write(LOG_ERROR, "store: bad parameters", "stmt", st_table[id].name, NULL);
		return BA_ERR_INTERNAL;
	}
	if (pc->c == NULL)
		return BA_ERR_STORE_UNAVAILABLE;
	r = PQexecPrepared(pc->c, st_table[id].name, n, n > 0 ? p.v : NULL, n > 0 ? p.len : NULL,
	                   n > 0 ? p.fmt : NULL, 1);
	t = r != NULL ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (t == PGRES_TUPLES_OK || t == PGRES_COMMAND_OK) {
		*res = r;
		return BA_OK;
	}
	rc = pg_map_error(pc->c, r, st_table[id].name);
	PQclear(r);
	return rc;
}

/* Forgets the held-back statements from index `from` on, wiping their
 * parameters. */
static void pending_drop(struct pg_tx *x, int from)
{
	for (int i = from; i < x->n_pending; i++) {
		if (x->pending[i].buf != NULL) {
			OPENSSL_cleanse(x->pending[i].buf, x->pending[i].buf_len);
			free(x->pending[i].buf);
		}
		x->pending[i] = (struct pg_pending){ 0 };
	}
	if (x->n_pending > from)
		x->n_pending = from;
}

static const char *pending_name(const struct pg_pending *e)
{
	return e->sql != NULL ? e->sql : st_table[e->id].name;
}

void pg_strict_name(enum st_id id, char *buf, size_t size)
{
	snprintf(buf, size, "%s_STRICT", st_table[id].name);
}

static bool pending_send(PGconn *c, const struct pg_pending *e)
{
	char strict[PG_STRICT_NAME_MAX];

	if (e->sql != NULL)
		return PQsendQueryParams(c, e->sql, 0, NULL, NULL, NULL, NULL, 0) == 1;
	if (e->strict)
		pg_strict_name(e->id, strict, sizeof(strict));
	return PQsendQueryPrepared(c, e->strict ? strict : st_table[e->id].name, e->n,
	                           e->n > 0 ? e->v : NULL, e->n > 0 ? e->len : NULL,
	                           e->n > 0 ? e->fmt : NULL, 1) == 1;
}

/* An int8 or int4 value in binary (big-endian) into *out. */
static int decode_int(const char *v, int n, int64_t *out)
{
	uint64_t u = 0;

	if (n != 8 && n != 4)
		return BA_ERR_INTERNAL;
	for (int i = 0; i < n; i++)
		u = (u << 8) | (unsigned char)v[i];
	*out = n == 4 ? (int32_t)(uint32_t)u : (int64_t)u;
	return BA_OK;
}

/* The integer of the first column of the first row of `r`. */
static int result_int(const PGresult *r, int64_t *out)
{
	if (PQntuples(r) < 1 || PQnfields(r) < 1 || PQgetisnull(r, 0, 0) ||
	    (PQftype(r, 0) != OID_INT8 && PQftype(r, 0) != OID_INT4))
		return BA_ERR_INTERNAL;
	return decode_int(PQgetvalue(r, 0, 0), PQgetlength(r, 0, 0), out);
}

/* Reads the one result of the next query of a pipeline into *out, and the
 * NULL that ends it; false when the answers are out of step with what was
 * sent (a lost connection, or a protocol surprise). */
static bool query_result(PGconn *c, PGresult **out)
{
	PGresult *extra;

	*out = PQgetResult(c);
	if (*out == NULL)
		return false;
	extra = PQgetResult(c);
	if (extra == NULL)
		return true;
	PQclear(extra);
	return false;
}

/*
 * One round trip on a writer's connection: the held-back statements and
 * then the last query - control statement `sql`, or (sql NULL) prepared
 * statement `id` with n parameters `p`, or none (id ST__COUNT) - in one
 * pipeline. Every result is checked in order (a held-back statement with a
 * `taken` code that changed no row, or hit a unique key, fails with it);
 * BA_OK with *res holding the last query's result, or the first failure
 * mapped (pg_map_error), *res NULL. The held-back statements are forgotten
 * once the server answered them; when the answers are out of step the
 * connection is dropped unless already lost, and BA_ERR_STORE_UNAVAILABLE
 * returned with the held-back statements kept.
 */
static int round_trip(struct pg_tx *x, const char *sql, enum st_id id, int n,
                      const struct params *p, PGresult **res)
{
	PGconn *c = x->pc->c;
	PGresult *r = NULL;
	int rc = BA_OK;
	bool last = sql != NULL || id != ST__COUNT;
	const char *what = sql != NULL ? sql : last ? st_table[id].name : "held-back statements";

	*res = NULL;
	if (c == NULL)
		return BA_ERR_STORE_UNAVAILABLE;
	if (PQenterPipelineMode(c) != 1)
		goto out_of_step;
	for (int i = 0; i < x->n_pending; i++)
		if (!pending_send(c, &x->pending[i]))
			goto out_of_step;
	if (last && (sql != NULL ? PQsendQueryParams(c, sql, 0, NULL, NULL, NULL, NULL, 0) != 1 :
	             PQsendQueryPrepared(c, st_table[id].name, n, n > 0 ? p->v : NULL,
	                                 n > 0 ? p->len : NULL, n > 0 ? p->fmt : NULL, 1) != 1))
		goto out_of_step;
	if (PQpipelineSync(c) != 1)
		goto out_of_step;
	for (int i = 0; i < x->n_pending + (last ? 1 : 0); i++) {
		const struct pg_pending *e = i < x->n_pending ? &x->pending[i] : NULL;
		ExecStatusType t;

		if (!query_result(c, &r))
			goto out_of_step;
		t = PQresultStatus(r);
		if (t == PGRES_PIPELINE_ABORTED) {
			if (rc == BA_OK)   /* skipped, yet nothing before it failed */
				rc = BA_ERR_INTERNAL;
		} else if (t != PGRES_TUPLES_OK && t != PGRES_COMMAND_OK) {
			if (e != NULL && e->whole)
				x->broken = true;
			if (rc == BA_OK)
				rc = pg_map_error(c, r, e != NULL ? pending_name(e) : what);
			if (e != NULL && e->taken != 0 && rc == BA_ERR_CONFLICT)
				rc = e->taken;
		} else if (e != NULL && e->taken != 0 && rc == BA_OK &&
		           strcmp(PQcmdTuples(r), "0") == 0) {
			rc = e->taken;
		} else if (e != NULL && e->id_out != NULL && rc == BA_OK) {
			rc = result_int(r, e->id_out);
			x->broken = x->broken || rc != BA_OK;
		}
		if (e == NULL && rc == BA_OK) {
			*res = r;
			r = NULL;
		}
		PQclear(r);
		r = NULL;
	}
	r = PQgetResult(c);
	if (r == NULL || PQresultStatus(r) != PGRES_PIPELINE_SYNC)
		goto out_of_step;
	PQclear(r);
	r = NULL;
	if (PQexitPipelineMode(c) != 1)
		goto out_of_step;
	pending_drop(x, 0);
	return rc;

out_of_step:
	PQclear(r);
	PQclear(*res);
	*res = NULL;
	if (!pg_conn_lost(x->pc)) {
		log_write(LOG_ERROR, "store: pipeline out of step", "stmt", what, NULL);
		pg_conn_drop(x->pc);
	}
	return BA_ERR_STORE_UNAVAILABLE;
}

/*
 * Sends the held-back statements and the last query, if any (see
 * round_trip) on a writer's connection. While BEGIN is among them nothing
 * of the transaction reached the server, so a connection found lost then
 * is replaced once and the same sent again (a server restart between two
 * batches costs no write) - unless the last query is COMMIT: the server
 * may have committed before the connection went. Afterwards nothing stays
 * held back.
 */
static int writer_exec(struct pg_tx *x, const char *sql, enum st_id id,
                       const struct tx_binds *b, PGresult **res)
{
	struct params p;
	int n = b != NULL ? b->n : 0, r;

	*res = NULL;
	if (b != NULL && to_params(b, &p) != BA_OK) {
		log_write(LOG_ERROR, "store: bad parameters", "stmt", st_table[id].name, NULL);
		pending_drop(x, 0);
		return BA_ERR_INTERNAL;
	}
	for (int attempt = 0;; attempt++) {
		bool unsent = pg_tx_unsent(x) && (sql == NULL || strcmp(sql, "COMMIT") != 0);

		r = round_trip(x, sql, id, n, &p, res);
		if (r == BA_OK || !unsent || attempt > 0 || !pg_conn_lost(x->pc))
			break;
		pg_conn_drop(x->pc);
		if ((r = pg_conn_ensure(x->s, x->pc)) != BA_OK)
			break;
	}
	pending_drop(x, 0);
	return r;
}

/* Sends what is held back, in one round trip. */
static int flush(struct pg_tx *x)
{
	PGresult *none = NULL;
	int r = writer_exec(x, NULL, ST__COUNT, NULL, &none);

	PQclear(none);
	return r;
}

/*
 * Holds back prepared statement `id` with a copy of `b` (see struct
 * pg_pending), first sending what is held back when there is no room.
 */
static int hold(struct pg_tx *x, enum st_id id, const struct tx_binds *b, int taken, bool whole,
                int64_t *id_out)
{
	struct params p;
	struct pg_pending *e;
	size_t total = 1, off = 0;
	int n = b != NULL ? b->n : 0, r;

	if (b != NULL && to_params(b, &p) != BA_OK) {
		log_write(LOG_ERROR, "store: bad parameters", "stmt", st_table[id].name, NULL);
		return BA_ERR_INTERNAL;
	}
	if (x->n_pending == PG_MAX_PENDING && (r = flush(x)) != BA_OK)
		return r;
	for (int i = 0; i < n; i++)
		if (p.v[i] != NULL)
			total += p.fmt[i] != 0 ? (size_t)p.len[i] : strlen(p.v[i]) + 1;
	e = &x->pending[x->n_pending];
	*e = (struct pg_pending){ .id = id, .taken = taken, .whole = whole, .id_out = id_out,
	                          .n = n };
	/* alone in its transaction the write may leave it to the COMMIT
	 * (tx.h `lone`): sent strict, a refusal skips the COMMIT */
	e->strict = x->base.lone && taken != 0 && st_pg_has_strict(id);
	if ((e->buf = malloc(total)) == NULL)
		return BA_ERR_NOMEM;
	e->buf_len = total;
	for (int i = 0; i < n; i++) {
		size_t k;

		e->fmt[i] = p.fmt[i];
		e->len[i] = p.len[i];
		if (p.v[i] == NULL)
			continue;
		k = p.fmt[i] != 0 ? (size_t)p.len[i] : strlen(p.v[i]) + 1;
		memcpy(e->buf + off, p.v[i], k);
		e->v[i] = e->buf + off;
		off += k;
	}
	x->n_pending++;
	return BA_OK;
}

int pg_tx_control(struct pg_tx *x, const char *sql, PGresult **res)
{
	PGresult *mine = NULL;
	int r = writer_exec(x, sql, ST__COUNT, NULL, res != NULL ? res : &mine);

	PQclear(mine);
	return r;
}

int pg_tx_commit(struct pg_tx *x, PGresult **res)
{
	int r;

	*res = NULL;
	for (int i = 0; i < x->n_pending; i++) {
		if (x->pending[i].taken != 0 && !x->pending[i].strict) {
			if ((r = flush(x)) != BA_OK)
				return r;
			break;
		}
	}
	return pg_tx_control(x, "COMMIT", res);
}

int pg_tx_defer(struct pg_tx *x, const char *sql)
{
	int r;

	if (x->n_pending == PG_MAX_PENDING && (r = flush(x)) != BA_OK)
		return r;
	x->pending[x->n_pending++] = (struct pg_pending){ .sql = sql };
	return BA_OK;
}

void pg_tx_forget(struct pg_tx *x)
{
	pending_drop(x, 0);
	x->broken = false;
	x->savepoints = 0;
}

bool pg_tx_unsent(const struct pg_tx *x)
{
	return x->n_pending > 0 && x->pending[0].sql != NULL &&
	       strcmp(x->pending[0].sql, "BEGIN") == 0;
}

/* A PostgreSQL array literal of text elements, grown as needed. */
struct arr {
	char *s;
	size_t len, cap;
};

static bool arr_put(struct arr *a, const char *s, size_t n)
{
	if (a->len + n + 2 > a->cap) {
		size_t cap = (a->len + n + 2) * 2;
		char *t = realloc(a->s, cap);

		if (t == NULL)
			return false;
		a->s = t;
		a->cap = cap;
	}
	memcpy(a->s + a->len, s, n);
	a->len += n;
	a->s[a->len] = '\0';
	return true;
}

/* Appends one element: text `s`, or (s NULL) the hex of a hash. */
static bool arr_add(struct arr *a, const char *s, const uint8_t *hash)
{
	static const char hex[] = "0123456789abcdef";
	bool ok = arr_put(a, a->len == 0 ? "{\"" : ",\"", 2);

	for (size_t i = 0; ok && s != NULL && s[i] != '\0'; i++)
		ok = (s[i] == '"' || s[i] == '\\' ? arr_put(a, "\\", 1) : true) && arr_put(a, &s[i], 1);
	for (size_t i = 0; ok && s == NULL && i < MODEL_HASH_LEN; i++) {
		char h[2] = { hex[hash[i] >> 4], hex[hash[i] & 15] };

		ok = arr_put(a, h, 2);
	}
	return ok && arr_put(a, "\"", 1);
}

static bool same_key(const struct store_lock_key *a, const struct store_lock_key *b)
{
	if (strcmp(a->app, b->app) != 0 || strcmp(a->kind, b->kind) != 0)
		return false;
	if (a->name != NULL || b->name != NULL)
		return a->name != NULL && b->name != NULL && strcmp(a->name, b->name) == 0;
	return memcmp(a->hash, b->hash, MODEL_HASH_LEN) == 0;
}

int pg_tx_lock_batch(struct pg_tx *x, struct store_write *const *ws, size_t n)
{
	struct store_lock_key first = { 0 }, k[STORE_MAX_LOCK_KEYS];
	struct arr a[3] = { { 0 } };
	size_t count = 0;
	bool several = false, ok = true;
	int r = BA_ERR_NOMEM;

	for (size_t i = 0; ok && i < n; i++) {
		size_t m = store_lock_keys(ws[i], k);

		for (size_t j = 0; ok && j < m; j++, count++) {
			if (count == 0)
				first = k[j];
			else if (!several)
				several = !same_key(&first, &k[j]);
			ok = arr_add(&a[0], k[j].app, NULL) && arr_add(&a[1], k[j].kind, NULL) &&
			     arr_add(&a[2], k[j].name, k[j].hash);
		}
	}
	if (ok && several) {
		struct tx_binds b = { 0 };

		if (arr_put(&a[0], "}", 1) && arr_put(&a[1], "}", 1) && arr_put(&a[2], "}", 1)) {
			for (int i = 0; i < 3; i++)
				tx_text(&b, a[i].s);
			/* at once, with BEGIN: a failure (a deadlock with a write
			 * outside the order, a lock timeout) is the batch's, not
			 * its first write's */
			r = hold(x, ST_BATCH_LOCK, &b, 0, true, NULL);
			if (r == BA_OK)
				r = flush(x);
		}
	} else if (ok) {
		r = BA_OK;   /* one resource or none: no order to keep */
	}
	for (int i = 0; i < 3; i++)
		free(a[i].s);
	return r;
}

/* Runs `id` on a read connection (autocommit), retrying once on a fresh
 * connection when the old one turned out to be lost while idle. */
static int read_exec(struct pg_tx *x, enum st_id id, const struct tx_binds *b)
{
	int r = BA_ERR_STORE_UNAVAILABLE;

	for (int attempt = 0; attempt < 2; attempt++) {
		bool was_up = x->pc->c != NULL;

		r = pg_conn_ensure(x->s, x->pc);
		if (r != BA_OK)
			break;
		r = exec(x->pc, id, b, &x->res);
		if (r == BA_OK || !was_up || !pg_conn_lost(x->pc))
			break;
		pg_conn_drop(x->pc);
	}
	return r == PG_RETRY ? BA_ERR_STORE_UNAVAILABLE : r;
}

static int run(struct store_tx *t, enum st_id id, const struct tx_binds *b, bool *row)
{
	struct pg_tx *x = (struct pg_tx *)t;
	int r;

	PQclear(x->res);
	x->res = NULL;
	x->row = 0;
	if (row != NULL)
		*row = false;
	if (x->writer)
		r = writer_exec(x, NULL, id, b, &x->res);
	else
		r = read_exec(x, id, b);
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

/*
 * Column `col` of the current row (results are binary): *v points at its
 * value and *n holds its length, *v NULL when SQL NULL. BA_ERR_INTERNAL
 * without a row, or when the column's type is neither `oid` nor `oid2`.
 */
static int col_raw(const struct pg_tx *x, int col, Oid oid, Oid oid2, const char **v, int *n)
{
	*v = NULL;
	*n = 0;
	if (!has_row(x))
		return BA_ERR_INTERNAL;
	if (PQgetisnull(x->res, x->row, col))
		return BA_OK;
	if (PQftype(x->res, col) != oid && PQftype(x->res, col) != oid2)
		return BA_ERR_INTERNAL;
	*v = PQgetvalue(x->res, x->row, col);
	*n = PQgetlength(x->res, x->row, col);
	return BA_OK;
}

/* int8 or int4, big-endian. */
static int col_int(struct store_tx *t, int col, int64_t *out)
{
	const char *v;
	int n, r = col_raw((struct pg_tx *)t, col, OID_INT8, OID_INT4, &v, &n);

	*out = 0;
	if (r != BA_OK || v == NULL)
		return r;
	return decode_int(v, n, out);
}

static int col_bool(struct store_tx *t, int col, bool *out)
{
	const char *v;
	int n, r = col_raw((struct pg_tx *)t, col, OID_BOOL, OID_BOOL, &v, &n);

	*out = false;
	if (r != BA_OK || v == NULL)
		return r;
	if (n != 1)
		return BA_ERR_INTERNAL;
	*out = v[0] != 0;
	return BA_OK;
}

static int col_text(struct store_tx *t, int col, char **out)
{
	const char *v;
	int n, r = col_raw((struct pg_tx *)t, col, OID_TEXT, OID_VARCHAR, &v, &n);

	*out = NULL;
	if (r != BA_OK || v == NULL)
		return r;
	if ((*out = malloc((size_t)n + 1)) == NULL)
		return BA_ERR_NOMEM;
	memcpy(*out, v, (size_t)n);
	(*out)[n] = '\0';
	return BA_OK;
}

static int col_blob(struct store_tx *t, int col, uint8_t **out, size_t *len)
{
	const char *v;
	int n, r = col_raw((struct pg_tx *)t, col, OID_BYTEA, OID_BYTEA, &v, &n);

	*out = NULL;
	*len = 0;
	if (r != BA_OK || v == NULL)
		return r;
	if ((*out = malloc(n > 0 ? (size_t)n : 1)) == NULL)
		return BA_ERR_NOMEM;
	memcpy(*out, v, (size_t)n);
	*len = (size_t)n;
	return BA_OK;
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

/* Savepoints are only set on writers' connections (held back there). */
static int savepoint(struct store_tx *t, enum tx_savepoint op)
{
	static const char set[] = "SAVEPOINT w";
	struct pg_tx *x = (struct pg_tx *)t;
	bool just_set = x->n_pending > 0 && x->pending[x->n_pending - 1].sql == set;

	if (!x->writer)
		return BA_ERR_INTERNAL;
	if (op != TX_SP_BEGIN && x->savepoints > 0)
		x->savepoints--;
	if (op != TX_SP_BEGIN && just_set) {
		x->n_pending--;   /* nothing ran since it was set */
		return BA_OK;
	}
	switch (op) {
	case TX_SP_BEGIN: {
		int r = pg_tx_defer(x, set);

		x->savepoints += r == BA_OK;
		return r;
	}
	case TX_SP_RELEASE: return pg_tx_defer(x, "RELEASE SAVEPOINT w");
	case TX_SP_ROLLBACK: {
		int r = pg_tx_defer(x, "ROLLBACK TO SAVEPOINT w");

		return r == BA_OK ? pg_tx_control(x, "RELEASE SAVEPOINT w", NULL) : r;
	}
	}
	return BA_ERR_INTERNAL;
}

/* tx.h run_later: held back on a writer's connection (reads never
 * call it). */
static int run_later(struct store_tx *t, enum st_id id, const struct tx_binds *b, int taken,
                     int64_t *id_out)
{
	struct pg_tx *x = (struct pg_tx *)t;

	PQclear(x->res);
	x->res = NULL;
	x->row = 0;
	if (!x->writer)
		return BA_ERR_INTERNAL;
	return hold(x, id, b, taken, id_out != NULL, id_out);
}

/* tx.h settle: one round trip when a statement of run_later() is held
 * back; control statements alone stay held back. */
static int settle(struct store_tx *t)
{
	struct pg_tx *x = (struct pg_tx *)t;
	bool held = false;

	for (int i = 0; i < x->n_pending; i++)
		held = held || x->pending[i].sql == NULL;
	if (!held)
		return BA_OK;
	PQclear(x->res);
	x->res = NULL;
	x->row = 0;
	return flush(x);
}

/* tx.h undo: in a batch, ROLLBACK TO the queue's savepoint at once (the
 * queue needs to know it worked, as for TX_SP_ROLLBACK); a write alone in
 * its transaction holds back ROLLBACK and BEGIN, which go with its next
 * statement (a refused login's failure event: one round trip, then the
 * COMMIT). */
static int undo(struct store_tx *t)
{
	struct pg_tx *x = (struct pg_tx *)t;
	int r;

	PQclear(x->res);
	x->res = NULL;
	x->row = 0;
	if (!x->writer)
		return BA_ERR_INTERNAL;
	if (x->savepoints > 0)
		return pg_tx_control(x, "ROLLBACK TO SAVEPOINT w", NULL);
	if ((r = pg_tx_defer(x, "ROLLBACK")) != BA_OK)
		return r;
	return pg_tx_defer(x, "BEGIN");
}

static const struct tx_ops pg_tx_ops = {
	run, changes, col_int, col_bool, col_text, col_blob, next, wipe, savepoint, run_later,
	settle, undo,
};

void pg_tx_writer(struct pg_tx *x, struct pg_store *s, struct pg_conn *pc)
{
	*x = (struct pg_tx){ .base = { &pg_tx_ops }, .pc = pc, .s = s, .writer = true };
}

struct store_tx *pg_read_get(struct store *st)
{
	struct pg_store *s = (struct pg_store *)st;
	int i = store_pool_get(&s->pool);

	s->reader_tx[i] = (struct pg_tx){ .base = { &pg_tx_ops }, .pc = &s->readers[i], .s = s };
	return &s->reader_tx[i].base;
}

void pg_read_put(struct store *st, struct store_tx *t)
{
	struct pg_store *s = (struct pg_store *)st;
	struct pg_tx *x = (struct pg_tx *)t;

	PQclear(x->res);
	x->res = NULL;
	store_pool_put(&s->pool, (int)(x - s->reader_tx));
}
