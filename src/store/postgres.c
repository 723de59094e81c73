/*
 * postgres.c - the PostgreSQL store backend: connection pool, reconnects,
 * statement execution, error mapping and the steps the shared write queue
 * (queue.h) runs on a writer's connection.
 *
 * The URL ("postgres://user:pass@host:port/db?..." or "postgresql://...") is
 * handed to libpq as a connection URI, so the usual PG* environment variables
 * fill what it leaves out. Of opt->pool_size connections (default 4), half
 * (at least one) belong to writer threads and the rest (at least one) serve
 * reads. A writer of the shared queue takes a share of the queued writes
 * (at most opt->max_batch, default 64) and runs them in one transaction,
 * each under its own savepoint, so that one failing write is undone alone
 * while the batch shares one COMMIT and one WAL flush (group commit, as in
 * the SQLite backend); PostgreSQL also groups the flushes of the writers' concurrent
 * commits, and of other bioauthd instances'. Within one batch writes apply
 * in submission order; writes taken by different writers, submitted without
 * waiting for each other's `done`, may commit in any order.
 *
 * A lost connection is re-established on its next use; while the server is
 * unreachable, attempts are spaced by a backoff (100 ms doubling to 2 s) and
 * each use in between fails at once with BA_ERR_STORE_UNAVAILABLE. A write
 * whose transaction fails is rolled back by the server, so nothing is ever
 * half-applied; a write whose COMMIT got no answer is reported unavailable
 * (it may or may not have committed, but entirely or not at all). A
 * deadlock or serialization failure (PG_RETRY) runs the write again in the
 * next transaction; a lost connection fails the writes of its transaction
 * and the rest of the batch runs again on a fresh one (queue.h).
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "common/error.h"
#include "common/log.h"
#include "common/metrics.h"
#include "store/postgres_internal.h"
#include "store/write.h"

#define BACKOFF_FIRST_MS 100
#define BACKOFF_MAX_MS 2000
/* pool_size: every connection, half of them writers */
static const struct store_limits limits = { 4, 256, 64, 1024 };

/* ----------------------------------------------------------- connections */

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* NOTICEs ("relation already exists, skipping") are not worth a log line. */
static void quiet_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* Copies libpq's last error message of `c` without its trailing newline. */
static void conn_error_text(PGconn *c, char *buf, size_t cap)
{
	const char *m = c != NULL ? PQerrorMessage(c) : "out of memory";
	size_t n;

	snprintf(buf, cap, "%s", m);
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (buf[i] == '\n')
			buf[i] = ' ';
}

/*
 * Opens a new libpq connection for `s`. The URL comes after our defaults in
 * the keyword list, so parameters of the URL win; PGCONNECT_TIMEOUT wins over
 * our 2 s connect timeout. Returns the connection (CONNECTION_OK) or NULL,
 * with the reason in `err`.
 */
static PGconn *conn_open(const struct pg_store *s, char *err, size_t cap)
{
	const char *kw[8], *val[8];
	int n = 0;
	PGconn *c;

	if (getenv("PGCONNECT_TIMEOUT") == NULL) {
		kw[n] = "connect_timeout";
		val[n++] = "2";
	}
	kw[n] = "keepalives_idle";
	val[n++] = "30";
	kw[n] = "keepalives_interval";
	val[n++] = "10";
	kw[n] = "keepalives_count";
	val[n++] = "3";
	kw[n] = "fallback_application_name";
	val[n++] = "bioauthd";
	kw[n] = "dbname";
	val[n++] = s->url;
	kw[n] = NULL;
	val[n] = NULL;

	c = PQconnectdbParams(kw, val, 1);
	if (c == NULL || PQstatus(c) != CONNECTION_OK) {
		conn_error_text(c, err, cap);
		PQfinish(c);
		return NULL;
	}
	PQsetNoticeProcessor(c, quiet_notice, NULL);
	return c;
}

/* Session settings of a fresh connection: lock wait bound, and no WAL flush
 * wait when durability is off. */
static int conn_setup(const struct pg_store *s, struct pg_conn *pc)
{
	char sql[160];

	snprintf(sql, sizeof(sql), "SET lock_timeout = %d; SET synchronous_commit = %s",
	         s->opt.busy_timeout_ms, s->opt.durable ? "on" : "off");
	return pg_exec_simple(pc->c, sql, sql);
}

/* Prepares the strict form of statement `id` (st_pg_strict_sql()) under
 * its own name (pg_strict_name()). */
static int prepare_strict(struct pg_conn *pc, enum st_id id)
{
	char name[PG_STRICT_NAME_MAX];
	char *sql = st_pg_strict_sql(id);
	PGresult *res;
	int r = BA_OK;

	if (sql == NULL)
		return BA_ERR_NOMEM;
	pg_strict_name(id, name, sizeof(name));
	res = PQprepare(pc->c, name, sql, 0, NULL);
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK)
		r = pg_map_error(pc->c, res, name);
	PQclear(res);
	free(sql);
	return r;
}

/* Prepares every statement of the shared table (statements.h) on `pc`, in
 * PostgreSQL's text (st_pg_sql()), and the strict form of each insert
 * that has one: BA_OK or the mapped error (a retryable failure counts as
 * BA_ERR_STORE_UNAVAILABLE). */
static int prepare_all(struct pg_conn *pc)
{
	int r = BA_OK;

	for (int i = 0; r == BA_OK && i < ST__COUNT; i++) {
		char *sql = st_pg_sql((enum st_id)i);
		PGresult *res;

		if (sql == NULL)
			return BA_ERR_NOMEM;
		res = PQprepare(pc->c, st_table[i].name, sql, 0, NULL);
		if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK)
			r = pg_map_error(pc->c, res, st_table[i].name);
		PQclear(res);
		free(sql);
		if (r == BA_OK && st_pg_has_strict((enum st_id)i))
			r = prepare_strict(pc, (enum st_id)i);
	}
	if (r == BA_OK)
		pc->prepared = true;
	return r == PG_RETRY ? BA_ERR_STORE_UNAVAILABLE : r;
}

void pg_conn_drop(struct pg_conn *pc)
{
	PQfinish(pc->c);
	pc->c = NULL;
	pc->prepared = false;
	pc->retry_at_ms = 0;
}

bool pg_conn_lost(const struct pg_conn *pc)
{
	return pc->c == NULL || PQstatus(pc->c) != CONNECTION_OK;
}

/*
 * Makes `pc` usable: connected, set up and - once the schema is migrated -
 * with every statement prepared. A connection found broken is replaced at
 * once; after a failed attempt the next waits out the backoff, and uses in
 * between fail immediately. The first failed attempt of an outage and the
 * first success after it are logged once per store. Returns BA_OK or
 * BA_ERR_STORE_UNAVAILABLE (or BA_ERR_INTERNAL when a statement does not
 * prepare).
 */
int pg_conn_ensure(struct pg_store *s, struct pg_conn *pc)
{
	char err[256];
	int r;

	/* broken, or left inside a transaction by a ROLLBACK that failed */
	if (pc->c != NULL && (PQstatus(pc->c) != CONNECTION_OK ||
	                      PQtransactionStatus(pc->c) != PQTRANS_IDLE))
		pg_conn_drop(pc);
	if (pc->c != NULL && (pc->prepared || !s->schema_ready))
		return BA_OK;
	if (pc->c == NULL) {
		int64_t now = mono_ms();

		if (now < pc->retry_at_ms)
			return BA_ERR_STORE_UNAVAILABLE;
		pc->c = conn_open(s, err, sizeof(err));
		if (pc->c == NULL)
			goto fail;
		r = conn_setup(s, pc);
		if (r != BA_OK) {
			conn_error_text(pc->c, err, sizeof(err));
			pg_conn_drop(pc);
			goto fail;
		}
	}
	if (s->schema_ready && !pc->prepared) {
		r = prepare_all(pc);
		if (r != BA_OK) {
			conn_error_text(pc->c, err, sizeof(err));
			pg_conn_drop(pc);
			if (r != BA_ERR_STORE_UNAVAILABLE)
				return r;
			goto fail;
		}
	}
	if (atomic_exchange(&s->down, false))
		log_write(LOG_INFO, "store: database reachable again", NULL);
	pc->backoff_ms = 0;
	pc->retry_at_ms = 0;
	return BA_OK;

fail:
	if (!atomic_exchange(&s->down, true))
		log_write(LOG_WARN, "store: database unreachable", "error", err, NULL);
	pc->backoff_ms = pc->backoff_ms == 0 ? BACKOFF_FIRST_MS : pc->backoff_ms * 2;
	if (pc->backoff_ms > BACKOFF_MAX_MS)
		pc->backoff_ms = BACKOFF_MAX_MS;
	pc->retry_at_ms = mono_ms() + pc->backoff_ms;
	return BA_ERR_STORE_UNAVAILABLE;
}

/* ------------------------------------------------------------- execution */

/*
 * SQLSTATE classes: lost or refused connections, exhausted resources (disk
 * full 53100, too many connections 53300), shutdown (57P01-57P03), lock
 * timeout (55P03), cancelled statements (57014), a read-only server (25006)
 * and I/O errors (58030) all mean "storage unavailable"; a unique violation
 * is a conflict, a foreign-key violation (unknown app, session or key) is
 * NOT_FOUND; deadlocks and serialization failures may be retried.
 * Anything else is a bug or a surprise and is logged - with the statement
 * name and SQLSTATE, and the server's message only when it cannot quote
 * data (classes 22 and 23 may quote parameter values).
 */
int pg_map_error(PGconn *c, const PGresult *r, const char *what)
{
	const char *state = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = NULL;
	char buf[256];

	if (c == NULL || PQstatus(c) != CONNECTION_OK)
		return BA_ERR_STORE_UNAVAILABLE;
	if (state != NULL) {
		if (strcmp(state, "23505") == 0)
			return BA_ERR_CONFLICT;
		if (strcmp(state, "23503") == 0)
			return BA_ERR_NOT_FOUND;    /* foreign key: the parent row is gone */
		if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0)
			return PG_RETRY;
		if (strncmp(state, "08", 2) == 0 || strncmp(state, "53", 2) == 0 ||
		    strcmp(state, "57P01") == 0 || strcmp(state, "57P02") == 0 ||
		    strcmp(state, "57P03") == 0 || strcmp(state, "55P03") == 0 ||
		    strcmp(state, "57014") == 0 || strcmp(state, "25006") == 0 ||
		    strcmp(state, "58030") == 0)
			return BA_ERR_STORE_UNAVAILABLE;
		if (strncmp(state, "22", 2) != 0 && strncmp(state, "23", 2) != 0)
			msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
	} else {
		conn_error_text(c, buf, sizeof(buf));
		msg = buf;
	}
	log_write(LOG_ERROR, "store: statement failed", "stmt", what,
	          "sqlstate", state, "error", msg, NULL);
	return BA_ERR_INTERNAL;
}

int pg_exec_simple(PGconn *c, const char *sql, const char *what)
{
	PGresult *r;
	ExecStatusType t;
	int rc = BA_OK;

	if (c == NULL)
		return BA_ERR_STORE_UNAVAILABLE;
	r = PQexec(c, sql);
	t = r != NULL ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (t != PGRES_TUPLES_OK && t != PGRES_COMMAND_OK)
		rc = pg_map_error(c, r, what);
	PQclear(r);
	return rc;
}

/* ------------------------------------------- writes: the queue's steps */

/*
 * Whether the server sent something on `pc` since its last result. An idle
 * connection outside a transaction is sent nothing (bioauthd never LISTENs)
 * but the end of its backend: the error of a terminated backend, then the
 * close. Polls without waiting; a false alarm costs one reconnection.
 */
static bool conn_closed_while_idle(const struct pg_conn *pc)
{
	struct pollfd p = {.fd = pc->c != NULL ? PQsocket(pc->c) : -1, .events = POLLIN};

	return p.fd >= 0 && poll(&p, 1, 0) > 0;
}

/* Opens a transaction on the writer's connection. BEGIN is held back to
 * go with the first statement (postgres_tx.c), which replaces a connection
 * found dead then once, since nothing of the transaction was sent on it -
 * unless that round trip also holds the COMMIT (a write that leaves all
 * to it), which is never sent twice. So a connection the server closed
 * while it was idle (a terminated backend, a restart) is found here first
 * and replaced (see conn_closed_while_idle). */
static int w_begin(void *arg)
{
	struct pg_writer *wr = arg;
	int r;

	if (conn_closed_while_idle(&wr->conn))
		pg_conn_drop(&wr->conn);
	r = pg_conn_ensure(wr->s, &wr->conn);

	pg_tx_forget(&wr->tx);
	return r == BA_OK ? pg_tx_defer(&wr->tx, "BEGIN") : r;
}

static struct store_tx *w_tx(void *arg)
{
	return &((struct pg_writer *)arg)->tx.base;
}

/* Applies one write through the shared write logic (write.h). */
static int w_apply(void *arg, struct store_write *w, bool *keep)
{
	struct pg_writer *wr = arg;
	int r = store_apply(&wr->tx.base, w, keep);

	PQclear(wr->tx.res);
	wr->tx.res = NULL;
	return r;
}

/* Runs a lone write refused at its commit again as its refusal
 * (queue.h apply_refused). */
static int w_apply_refused(void *arg, struct store_write *w, int code, bool *keep)
{
	struct pg_writer *wr = arg;
	int r = store_apply_refused(&wr->tx.base, w, code, keep);

	PQclear(wr->tx.res);
	wr->tx.res = NULL;
	return r;
}

/* Lost, or the batch's lock statement failed (the transaction is
 * aborted past any savepoint). */
static bool w_broken(void *arg)
{
	struct pg_writer *wr = arg;

	return pg_conn_lost(&wr->conn) || wr->tx.broken;
}

/* Takes the batch's locks in one global order before its first write
 * (write.c, store_lock_keys: why no lock cycle remains between batches of
 * this or other instances); held back with the first statement. */
static int w_lock_batch(void *arg, struct store_write *const *ws, size_t n)
{
	return pg_tx_lock_batch(&((struct pg_writer *)arg)->tx, ws, n);
}

/* COMMIT, with what is held back (pg_tx_commit), checking that the server
 * really committed (an aborted transaction answers COMMIT with ROLLBACK). */
static int w_commit(void *arg)
{
	struct pg_writer *wr = arg;
	PGresult *res = NULL;
	int rc = pg_tx_commit(&wr->tx, &res);

	if (rc == BA_OK && strcmp(PQcmdStatus(res), "COMMIT") != 0)
		rc = BA_ERR_INTERNAL;
	PQclear(res);
	return rc;
}

/* A lost connection took its transaction along, one never sent has
 * nothing to roll back, and neither has one a failed COMMIT ended. */
static void w_rollback(void *arg)
{
	struct pg_writer *wr = arg;
	bool unsent = pg_tx_unsent(&wr->tx);

	pg_tx_forget(&wr->tx);
	if (!unsent && !pg_conn_lost(&wr->conn) &&
	    PQtransactionStatus(wr->conn.c) != PQTRANS_IDLE)
		(void)pg_exec_simple(wr->conn.c, "ROLLBACK", "ROLLBACK");
}

/* The code of the writes of a broken transaction: unavailable when the
 * connection is gone, else why it broke. */
static int w_failure(void *arg, int why)
{
	if (pg_conn_lost(&((struct pg_writer *)arg)->conn) || why == PG_RETRY)
		return BA_ERR_STORE_UNAVAILABLE;
	return why;
}

/* A lost connection fails its transaction's writes; the rest of the batch
 * runs again on a fresh one. */
static const struct store_queue_ops pg_queue_ops = {
	w_begin, w_apply, w_tx, w_broken, w_commit, w_rollback, w_failure, NULL, false,
	w_lock_batch, w_apply_refused,
};

/* ----------------------------------------------------------- open, close */

/* Stops the writers after they drained the queue, closes every connection
 * and frees `s`. Accepts a partly opened store. */
static void pg_close(struct store *st)
{
	struct pg_store *s = (struct pg_store *)st;

	if (s == NULL)
		return;
	store_queue_free(s->base.q);
	for (int i = 0; s->writers != NULL && i < s->n_writers; i++)
		PQfinish(s->writers[i].conn.c);
	for (int i = 0; i < s->n_readers; i++)
		PQfinish(s->readers[i].c);
	free(s->writers);
	free(s->readers);
	free(s->reader_tx);
	if (s->url != NULL) {
		OPENSSL_cleanse(s->url, strlen(s->url));
		free(s->url);
	}
	store_pool_destroy(&s->pool);
	free(s);
}

/*
 * Opens the database at `url`: connects, applies pending migrations under
 * the advisory lock, prepares the statements on every pooled connection and
 * starts the writer threads. BA_ERR_STORE_UNAVAILABLE when the server cannot
 * be reached (the reason is logged, never the password).
 */
static int pg_open(const char *url, const struct store_options *opt, struct store **out)
{
	struct pg_store *s;
	int pool, version = 0, r = BA_ERR_NOMEM;

	*out = NULL;
	if (!PQisthreadsafe())
		return BA_ERR_INTERNAL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return BA_ERR_NOMEM;
	s->base.ops = &store_postgres_ops;
	atomic_init(&s->down, false);
	store_options_fill(&s->opt, opt, &limits);
	pool = s->opt.pool_size;
	s->n_writers = pool / 2 > 0 ? pool / 2 : 1;
	s->n_readers = pool - s->n_writers > 0 ? pool - s->n_writers : 1;

	s->url = strdup(url);
	s->base.q = store_queue_new(&pg_queue_ops, (size_t)s->opt.max_batch);
	s->writers = calloc((size_t)s->n_writers, sizeof(*s->writers));
	s->readers = calloc((size_t)s->n_readers, sizeof(*s->readers));
	s->reader_tx = calloc((size_t)s->n_readers, sizeof(*s->reader_tx));
	if (store_pool_init(&s->pool, s->n_readers) != BA_OK || s->url == NULL ||
	    s->base.q == NULL || s->writers == NULL || s->readers == NULL || s->reader_tx == NULL)
		goto out;

	r = pg_conn_ensure(s, &s->readers[0]);
	if (r != BA_OK)
		goto out;
	r = pg_migrate_conn(s->readers[0].c, &version);
	if (r != BA_OK)
		goto out;
	s->schema_ready = true;
	for (int i = 0; i < s->n_readers; i++) {
		r = pg_conn_ensure(s, &s->readers[i]);
		if (r != BA_OK)
			goto out;
	}
	for (int i = 0; i < s->n_writers; i++) {
		s->writers[i].s = s;
		pg_tx_writer(&s->writers[i].tx, s, &s->writers[i].conn);
		r = pg_conn_ensure(s, &s->writers[i].conn);
		if (r != BA_OK)
			goto out;
	}
	r = store_queue_start(s->base.q, s->writers, sizeof(*s->writers), s->n_writers);
	if (r != BA_OK)
		goto out;
	*out = &s->base;
	s = NULL;
	r = BA_OK;
out:
	pg_close(s != NULL ? &s->base : NULL);
	return r;
}

/* BA_OK when the server answers and accepts writes (not a read-only
 * standby); fails fast while it is unreachable. */
static int pg_ready(struct store *st)
{
	struct store_tx *tx = pg_read_get(st);
	bool row = false, writable = false;
	int r = tx->ops->run(tx, ST_READY, NULL, &row);

	if (r == BA_OK && (!row || tx->ops->col_bool(tx, 0, &writable) != BA_OK))
		r = BA_ERR_INTERNAL;
	else if (r == BA_OK && !writable)
		r = BA_ERR_STORE_UNAVAILABLE;
	pg_read_put(st, tx);
	return r;
}

/* Applies pending migrations (normally none: open already did) on a read
 * connection and reports the schema version. */
static int pg_migrate(struct store *st, int *version)
{
	struct store_tx *tx = pg_read_get(st);
	struct pg_conn *pc = ((struct pg_tx *)tx)->pc;
	int v = 0, r;

	r = pg_conn_ensure((struct pg_store *)st, pc);
	if (r == BA_OK)
		r = pg_migrate_conn(pc->c, &v);
	pg_read_put(st, tx);
	if (version != NULL)
		*version = v;
	return r;
}

const struct store_ops store_postgres_ops = {
	.name = "postgres",
	.open = pg_open,
	.close = pg_close,
	.ready = pg_ready,
	.migrate = pg_migrate,
	.reader_get = pg_read_get,
	.reader_put = pg_read_put,
};
