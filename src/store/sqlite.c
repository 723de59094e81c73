/*
 * sqlite.c - the SQLite store backend: connections, the steps of the
 * shared write queue, the checkpointer, the read pool, open/close/ready/
 * migrate.
 *
 * Writes: the shared write queue (queue.h) with one writer thread, which
 * owns the only read-write connection; it takes every queued write (up to
 * max_batch), runs BEGIN IMMEDIATE, applies each write inside its own
 * SAVEPOINT when there are several (a failing write is rolled back alone
 * and gets its own rc), COMMITs once (one fsync for the whole batch with
 * synchronous=FULL), and only then calls the done callbacks. If the transaction as a whole fails,
 * every write of the batch fails with the storage error.
 *
 * Checkpoints: no commit runs one (wal_autocheckpoint=0), so a commit costs
 * its WAL append and fsync only.
 * A WAL hook on the writer connection reports the WAL's length after each
 * commit to a checkpointer thread, which copies the WAL back into the
 * database file from its own connection with PASSIVE checkpoints (they
 * never block the writer or readers): each time the WAL grew by CKPT_PAGES
 * frames, and CKPT_PERIOD_SECONDS after a commit otherwise.
 *
 * SQLite rewinds the WAL (writes it again from the start) only when a write
 * transaction begins while every frame is checkpointed. Under a steady load
 * the writer starts its next batch right after a commit, before the
 * checkpointer can copy that commit's frames, so the WAL would never be
 * rewound. So once the WAL holds REWIND_PAGES frames and the checkpointer
 * has copied all but the last few batches, the writer copies, between two
 * batches, what is left so that its next batch rewinds. That catch-up is
 * the one checkpoint work in the login path, and its cost is mostly fixed
 * (the syncs of the WAL and of the database file that end any checkpoint,
 * whatever it copied): every write queued meanwhile waits it out. So the
 * writer rewinds only every REWIND_PAGES frames (4 × CKPT_PAGES: a quarter
 * of the catch-ups of rewinding every CKPT_PAGES frames; docs/PERFORMANCE.md,
 * "Round 6: authenticate's tail"), while the checkpointer still copies every
 * CKPT_PAGES frames, so that the rest stays a few batches.
 *
 * The bound: should the catch-up keep failing (readers holding old
 * snapshots, a disk slower than the write rate), from REWIND_PAGES +
 * CKPT_PAGES frames on the writer copies whatever the checkpointer has not,
 * and from CKPT_HARD_PAGES frames (2 × REWIND_PAGES: 63 MiB with 2 KiB
 * pages, 126 MiB with 4 KiB ones) it waits for a TRUNCATE checkpoint before
 * its next batch: back-pressure instead of a WAL without bound (a reader
 * that outlasts the busy timeout lets it grow by CKPT_PAGES more per try).
 * A rewind also cuts a file grown past WAL_KEEP_BYTES back to it
 * (journal_size_limit).
 *
 * A checkpoint copies each page once however many frames of the WAL hold
 * it, so the long WAL (SQLite's autocheckpoint runs every 1,000 frames)
 * copies the often-written pages (B-tree roots and inner pages, the tails
 * of the append-only tables) fewer times: about half of the checkpoint
 * work of the inline autocheckpoint under a login load.
 *
 * At most one checkpoint runs at a time (ck_run): the checkpointer waits
 * for its turn, the writer's catch-up skips a turn, its TRUNCATE waits.
 *
 * Reads: a pool of read-only connections in WAL mode. Each read starts a
 * fresh snapshot, so it sees every write whose done callback already ran.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "common/log.h"
#include "common/metrics.h"
#include "common/thread_name.h"
#include "store/migrations.h"
#include "store/queue.h"
#include "store/sqlite_internal.h"
#include "store/write.h"

/* pool_size: read connections; max_batch: unbounded but by the queue */
static const struct store_limits limits = { 4, 64, 256, STORE_MAX_QUEUE };

/* Checkpoint policy (see the comment at the top). */
#define CKPT_PAGES 4000                 /* 8 MiB of WAL with 2 KiB pages, 16 with 4 */
#define REWIND_PAGES (4 * CKPT_PAGES)   /* 32 MiB of WAL with 2 KiB pages, 64 with 4 */
#define CKPT_HARD_PAGES (2 * REWIND_PAGES)
#define CKPT_PERIOD_SECONDS 2
#define WAL_KEEP_BYTES "67108864"       /* 64 MiB */

/*
 * Page size of a database this store creates. A login writes a few hundred
 * bytes of rows spread over a dozen table and index pages, and each commit
 * writes every page it touched to the WAL (and the checkpoint copies it
 * again): smaller pages write fewer bytes per login (docs/PERFORMANCE.md,
 * "Round 4"). An existing database keeps the page size it was created with
 * (SQLite changes it only by VACUUM outside WAL mode).
 */
#define SQ_PAGE_SIZE "2048"

/* --- errors, statements, binding --- */

int sq_err(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return BA_OK;
	case SQLITE_NOMEM:
		return BA_ERR_NOMEM;
	case SQLITE_CONSTRAINT:
		if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
			return BA_ERR_NOT_FOUND;
		if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE)
			return BA_ERR_CONFLICT;
		return BA_ERR_INTERNAL;
	case SQLITE_FULL:
	case SQLITE_READONLY:
	case SQLITE_IOERR:
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
	case SQLITE_NOTADB:
	case SQLITE_CORRUPT:
	case SQLITE_PROTOCOL:
	case SQLITE_NOLFS:
		return BA_ERR_STORE_UNAVAILABLE;
	default:
		return BA_ERR_INTERNAL;
	}
}

int sq_conn_err(const struct sq_conn *c)
{
	int r = sq_err(sqlite3_extended_errcode(c->db));

	return r == BA_OK ? BA_ERR_INTERNAL : r;
}

sqlite3_stmt *sq_prepare(struct sq_conn *c, int id, const char *sql)
{
	sqlite3_stmt *st = c->st[id];

	if (st == NULL) {
		if (sqlite3_prepare_v3(c->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
			log_write(LOG_ERROR, "sqlite prepare failed", "error",
			          sqlite3_errmsg(c->db), NULL);
			return NULL;
		}
		c->st[id] = st;
	} else if (c->used[id]) {
		/* handed out before since the last sq_reset_used(); a slot
		 * not marked used was reset and unbound by it already */
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
	}
	if (!c->used[id]) {
		c->used[id] = 1;
		c->used_list[c->n_used++] = id;
	}
	return st;
}

void sq_reset_used(struct sq_conn *c)
{
	for (size_t i = 0; i < c->n_used; i++) {
		int id = c->used_list[i];

		sqlite3_reset(c->st[id]);
		sqlite3_clear_bindings(c->st[id]);
		c->used[id] = 0;
	}
	c->n_used = 0;
}

int sq_exec(struct sq_conn *c, enum sq_stmt id, const char *sql)
{
	sqlite3_stmt *st = sq_prepare(c, id, sql);
	int rc;

	if (st == NULL)
		return sq_conn_err(c);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? BA_OK : sq_conn_err(c);
}

/* --- connections --- */

static void conn_close(struct sq_conn *c)
{
	for (size_t i = 0; i < SQ_SLOTS; i++)
		sqlite3_finalize(c->st[i]);
	sqlite3_close(c->db);
	memset(c, 0, sizeof(*c));
}

enum conn_role { CONN_WRITER, CONN_READER, CONN_CHECKPOINTER };

/* Runs a pragma (constant text, no parameters) and ignores its rows. */
static bool pragma(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;
}

/*
 * Opens `path` on `c`: read-write (creating the file) for the writer,
 * read-write (never creating) for the checkpointer, read-only for readers.
 * Sets the pragmas each needs. Returns BA_OK or BA_ERR_STORE_UNAVAILABLE /
 * BA_ERR_NOMEM.
 */
static int conn_open(struct sq_conn *c, const char *path, const struct store_options *o,
                     enum conn_role role)
{
	int flags = SQLITE_OPEN_NOMUTEX;
	const char *sync = o->durable ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL";
	int r = BA_ERR_STORE_UNAVAILABLE;
	int rc;

	switch (role) {
	case CONN_WRITER: flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE; break;
	case CONN_CHECKPOINTER: flags |= SQLITE_OPEN_READWRITE; break;
	case CONN_READER: flags |= SQLITE_OPEN_READONLY; break;
	}

	memset(c, 0, sizeof(*c));
	rc = sqlite3_open_v2(path, &c->db, flags, NULL);
	if (rc != SQLITE_OK) {
		r = rc == SQLITE_NOMEM ? BA_ERR_NOMEM : BA_ERR_STORE_UNAVAILABLE;
		log_write(LOG_ERROR, "sqlite open failed", "path", path, "error",
		          c->db != NULL ? sqlite3_errmsg(c->db) : "out of memory", NULL);
		goto out;
	}
	sqlite3_extended_result_codes(c->db, 1);
	sqlite3_busy_timeout(c->db, o->busy_timeout_ms);
	if (role == CONN_WRITER) {
		/* No checkpoint in the commit path (see the top). The writer
		 * keeps its page cache across transactions: 8 MiB instead of
		 * 2 MiB saves it two thirds of its page reads on a login
		 * load (the index pages those writes touch at random). */
		if (!pragma(c->db, "PRAGMA foreign_keys=ON") || !pragma(c->db, sync) ||
		    !pragma(c->db, "PRAGMA wal_autocheckpoint=0") ||
		    !pragma(c->db, "PRAGMA journal_size_limit=" WAL_KEEP_BYTES) ||
		    !pragma(c->db, "PRAGMA cache_size=-8192"))
			goto fail;
		/* Takes effect only while the file is still empty. */
		if (!pragma(c->db, "PRAGMA page_size=" SQ_PAGE_SIZE))
			goto fail;
		/* Fails on a read-only file that is not in WAL mode yet; writes
		 * then fail and ready() says so, reads still work. */
		if (!pragma(c->db, "PRAGMA journal_mode=WAL") && !sqlite3_db_readonly(c->db, "main"))
			goto fail;
	} else if (role == CONN_CHECKPOINTER) {
		/* The checkpoint syncs the WAL before copying it and the
		 * database file after, as the writer's setting asks. */
		if (!pragma(c->db, sync))
			goto fail;
	}
	r = BA_OK;
	goto out;
fail:
	r = sq_conn_err(c);
	log_write(LOG_ERROR, "sqlite setup failed", "path", path, "error",
	          sqlite3_errmsg(c->db), NULL);
out:
	if (r != BA_OK)
		conn_close(c);
	return r;
}

/*
 * SQLite opens a connection read-only, silently, when the file was not
 * writable at the time; that connection never writes (or checkpoints)
 * again. Replaces `*c` (of `role`) by a fresh connection when it is
 * read-only and the fresh one is not, or when `*c` is not open; true when
 * it did. Called before each batch (the writer's) and each checkpoint (the
 * checkpointer's), so that fixing the file's permissions is enough to
 * recover.
 */
static bool reopen_if_readonly(struct sq_store *s, struct sq_conn *c, enum conn_role role)
{
	struct sq_conn fresh;

	if (c->db != NULL && sqlite3_db_readonly(c->db, "main") != 1)
		return false;
	if (conn_open(&fresh, s->path, &s->opt, role) != BA_OK)
		return false;
	if (c->db != NULL && sqlite3_db_readonly(fresh.db, "main") == 1) {
		conn_close(&fresh);
		return false;
	}
	conn_close(c);
	*c = fresh;
	return true;
}

/* --- the checkpointer --- */

/*
 * The writer connection's WAL hook: runs on the writer thread after every
 * commit, once the write lock is released, with the WAL's length in frames.
 * It only records that length and wakes the checkpointer when a checkpoint
 * is due (CKPT_PAGES frames more than the last checkpoint saw); it never
 * does I/O. It runs on the thread using the writer connection (the writer
 * thread, or sq_open() during the migration), the owner of s->w_frames.
 */
static int wal_hook(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct sq_store *s = arg;

	(void)db;
	(void)name;
	s->w_frames = frames;
	pthread_mutex_lock(&s->ck_mu);
	if (frames < s->ck_frames) {   /* the writer rewound the WAL */
		s->ck_next = CKPT_PAGES;
		s->ck_backfilled = 0;
	}
	s->ck_frames = frames;
	s->ck_commits++;
	if (frames >= s->ck_next && !s->ck_wake) {
		s->ck_wake = true;
		pthread_cond_signal(&s->ck_cv);
	}
	pthread_mutex_unlock(&s->ck_mu);
	return SQLITE_OK;
}

/*
 * Runs one PASSIVE checkpoint on the checkpointer's connection: it copies
 * what no reader still needs and never waits for the writer or readers.
 * Returns the WAL's length in frames as the checkpoint saw it, and in
 * *copied how many of them are now in the database file (0 and 0 when it
 * did not run). Failures are logged when they change; BUSY (a checkpoint
 * of another process is running) is not a failure.
 */
static int checkpoint_once(struct sq_store *s, int *copied, int *last_rc)
{
	int nlog = 0, nckpt = 0, rc;

	*copied = 0;
	(void)reopen_if_readonly(s, &s->ckconn, CONN_CHECKPOINTER);
	if (s->ckconn.db == NULL)
		return 0;
	pthread_mutex_lock(&s->ck_run);
	rc = sqlite3_wal_checkpoint_v2(s->ckconn.db, NULL, SQLITE_CHECKPOINT_PASSIVE, &nlog, &nckpt);
	pthread_mutex_unlock(&s->ck_run);
	if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != *last_rc)
		log_write(LOG_WARN, "sqlite checkpoint failed", "error", sqlite3_errmsg(s->ckconn.db),
		          NULL);
	*last_rc = rc;
	*copied = nckpt > 0 ? nckpt : 0;
	return nlog > 0 ? nlog : 0;
}

/*
 * The checkpointer thread: waits for the WAL hook's signal or, while
 * commits are not checkpointed yet, for CKPT_PERIOD_SECONDS; then
 * checkpoints. Stops when told to; close() makes the last checkpoint.
 */
static void *checkpointer_main(void *arg)
{
	struct sq_store *s = arg;
	unsigned long done_commits = 0;   /* the migration's commits count too */
	int last_rc = SQLITE_OK;

	thread_name_set("ba-checkpoint");
	pthread_mutex_lock(&s->ck_mu);
	for (;;) {
		int nlog, copied;

		while (!s->ck_wake && !s->ck_stopping) {
			struct timespec until;

			if (s->ck_commits == done_commits) {
				pthread_cond_wait(&s->ck_cv, &s->ck_mu);
				continue;
			}
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_sec += CKPT_PERIOD_SECONDS;
			if (pthread_cond_timedwait(&s->ck_cv, &s->ck_mu, &until) == ETIMEDOUT)
				break;
		}
		if (s->ck_stopping)
			break;
		s->ck_wake = false;
		done_commits = s->ck_commits;
		/* Next wake-up CKPT_PAGES frames later (not for what is
		 * committed while this one runs), unless the writer rewinds
		 * the WAL meanwhile (then the hook resets ck_next). */
		s->ck_next = s->ck_frames < INT32_MAX - CKPT_PAGES ? s->ck_frames + CKPT_PAGES
		                                                   : INT32_MAX;
		pthread_mutex_unlock(&s->ck_mu);
		nlog = checkpoint_once(s, &copied, &last_rc);
		pthread_mutex_lock(&s->ck_mu);
		if (s->ck_frames >= nlog)   /* else counted before a rewind */
			s->ck_backfilled = copied;
	}
	pthread_mutex_unlock(&s->ck_mu);
	return NULL;
}

/*
 * Called by the writer between batches; see the comment at the top. Once
 * the WAL holds REWIND_PAGES frames and the checkpointer has copied all
 * but CKPT_PAGES / 2 of them (or the WAL holds CKPT_PAGES more, whatever
 * it copied), copies the rest so that the next batch rewinds the WAL:
 * PASSIVE, skipped while the checkpointer is running (the next batch tries
 * again); a reader still using old frames only makes it stop short. From
 * CKPT_HARD_PAGES on, waits for the checkpointer, then for readers (busy
 * timeout), and empties the WAL (TRUNCATE); when a reader outlasts the
 * busy timeout, the next try waits until the WAL grew by another
 * CKPT_PAGES frames.
 */
static void wal_catch_up(struct sq_store *s)
{
	int frames = s->w_frames, copied;

	if (frames < CKPT_HARD_PAGES)
		s->w_hard_at = CKPT_HARD_PAGES;
	if (frames < REWIND_PAGES)
		return;
	pthread_mutex_lock(&s->ck_mu);
	copied = s->ck_backfilled;
	pthread_mutex_unlock(&s->ck_mu);
	if (copied > frames)   /* a count from before a rewind */
		copied = 0;
	if (frames - copied > CKPT_PAGES / 2 && frames < REWIND_PAGES + CKPT_PAGES)
		return;
	if (frames >= s->w_hard_at) {
		pthread_mutex_lock(&s->ck_run);
		if (sqlite3_wal_checkpoint_v2(s->wconn.db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL,
		                              NULL) != SQLITE_OK) {
			log_write(LOG_WARN, "sqlite WAL could not be emptied", "error",
			          sqlite3_errmsg(s->wconn.db), NULL);
			s->w_hard_at = frames < INT32_MAX - CKPT_PAGES ? frames + CKPT_PAGES : INT32_MAX;
		}
	} else if (pthread_mutex_trylock(&s->ck_run) == 0) {
		sqlite3_wal_checkpoint_v2(s->wconn.db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	} else {
		return;
	}
	pthread_mutex_unlock(&s->ck_run);
	s->w_frames = 0;   /* until the next commit tells */
}

/* --- the writer: the steps of the shared write queue (queue.h) --- */

/* Rolls back the writer's transaction unless SQLite already did. */
static void w_rollback(void *arg)
{
	struct sq_store *s = arg;

	if (!sqlite3_get_autocommit(s->wconn.db))
		sq_exec(&s->wconn, SQ_ROLLBACK, "ROLLBACK");
}

/* The code of every write of a failed transaction: a storage fault or
 * NOMEM as it is, anything else INTERNAL; logged. */
static int w_failure(void *arg, int why)
{
	struct sq_store *s = arg;

	if (why != BA_ERR_STORE_UNAVAILABLE && why != BA_ERR_NOMEM)
		why = BA_ERR_INTERNAL;
	log_write(LOG_ERROR, "sqlite batch failed", "error", ba_strerror(why),
	          "detail", sqlite3_errmsg(s->wconn.db), NULL);
	return why;
}

/* BEGIN IMMEDIATE, on a connection reopened first when it was read-only. */
static int w_begin(void *arg)
{
	struct sq_store *s = arg;
	int r;

	if (reopen_if_readonly(s, &s->wconn, CONN_WRITER)) {
		sqlite3_wal_hook(s->wconn.db, wal_hook, s);
		log_write(LOG_INFO, "sqlite database writable again", NULL);
	}
	r = sq_exec(&s->wconn, SQ_BEGIN, "BEGIN IMMEDIATE");
	if (r == BA_OK)
		return r;
	w_rollback(s);
	return w_failure(s, r);
}

/* Applies one write; a storage fault or internal failure of a client's
 * write (not of the probe) is logged with SQLite's message. */
static int w_apply(void *arg, struct store_write *w, bool *keep)
{
	struct sq_store *s = arg;
	int r = sq_apply(s, w, keep);

	sq_reset_used(&s->wconn);
	if ((r == BA_ERR_STORE_UNAVAILABLE || r == BA_ERR_INTERNAL) && !*keep &&
	    (int)w->kind != SQ_KIND_PROBE && !sqlite3_get_autocommit(s->wconn.db))
		log_write(LOG_ERROR, "sqlite write failed", "error", ba_strerror(r),
		          "detail", sqlite3_errmsg(s->wconn.db), NULL);
	return r;
}

static struct store_tx *w_tx(void *arg)
{
	struct sq_store *s = arg;

	return sq_tx_on(&s->wtx, &s->wconn);
}

/* SQLite rolled the whole transaction back (a full disk, an I/O error). */
static bool w_broken(void *arg)
{
	return sqlite3_get_autocommit(((struct sq_store *)arg)->wconn.db) != 0;
}

static int w_commit(void *arg)
{
	return sq_exec(&((struct sq_store *)arg)->wconn, SQ_COMMIT, "COMMIT");
}

static void w_after_batch(void *arg)
{
	wal_catch_up(arg);
}

/* A broken transaction (a full disk, an I/O error) fails its whole batch;
 * the WAL is caught up after each batch. */
static const struct store_queue_ops sq_queue_ops = {
	w_begin, w_apply, w_tx, w_broken, w_commit, w_rollback, w_failure, w_after_batch,
	true,
};

/* --- open, close, ready, migrate --- */

/*
 * BA_OK when a read works and the write path is healthy. When the last
 * write failed with a storage fault this returns BA_ERR_STORE_UNAVAILABLE
 * at once and queues a probe write; once a probe (or any write) commits,
 * ready() is BA_OK again. When no write ran for PROBE_IDLE_SECONDS it also
 * queues a probe, whose failure the next call reports. Never waits for the
 * writer.
 */
#define PROBE_IDLE_SECONDS 2.0
static int sq_ready(struct store *st)
{
	struct sq_store *s = (struct sq_store *)st;
	struct store_tx *tx = sq_read_get(st);
	int version = 0;
	int r = sq_version_read(((struct sq_tx *)tx)->c, &version);

	sq_read_put(st, tx);
	if (r != BA_OK)
		return r == BA_ERR_NOMEM ? r : BA_ERR_STORE_UNAVAILABLE;
	return store_queue_health(s->base.q, SQ_KIND_PROBE, PROBE_IDLE_SECONDS);
}

/* Applies pending migrations through the writer; reports the version. */
static int sq_migrate(struct store *st, int *version)
{
	struct sq_store *s = (struct sq_store *)st;
	struct store_write w;
	int r;

	memset(&w, 0, sizeof(w));
	w.kind = (enum store_write_kind)SQ_KIND_MIGRATE;
	r = store_write_sync(st, &w);
	if (version != NULL)
		*version = atomic_load(&s->version);
	return r;
}

/* Stops the writer after it drained the queue, then frees everything. */
static void sq_close(struct store *st)
{
	struct sq_store *s = (struct sq_store *)st;

	if (s == NULL)
		return;
	store_queue_free(s->base.q);
	if (s->checkpointer_started) {
		pthread_mutex_lock(&s->ck_mu);
		s->ck_stopping = true;
		pthread_cond_signal(&s->ck_cv);
		pthread_mutex_unlock(&s->ck_mu);
		pthread_join(s->checkpointer, NULL);
	}
	for (int i = 0; i < s->n_readers; i++)
		conn_close(&s->readers[i]);
	conn_close(&s->ckconn);
	/* Closed last, the writer's connection makes the final checkpoint
	 * and removes the WAL (SQLite does so for the last connection). */
	conn_close(&s->wconn);
	free(s->readers);
	free(s->reader_tx);
	pthread_cond_destroy(&s->ck_cv);
	pthread_mutex_destroy(&s->ck_mu);
	pthread_mutex_destroy(&s->ck_run);
	store_pool_destroy(&s->pool);
	free(s->path);
	free(s);
}

/* Migrates at open, before the writer thread exists. */
static int migrate_at_open(struct sq_store *s)
{
	struct sq_conn *c = &s->wconn;
	int version = 0;
	int r = sq_version_read(c, &version);

	if (r != BA_OK || version == migrations_latest())
		goto out;
	r = sq_exec(c, SQ_BEGIN, "BEGIN IMMEDIATE");
	if (r != BA_OK)
		goto out;
	r = sq_migrate_apply(c, &version);
	sq_reset_used(c);
	if (r == BA_OK)
		r = sq_exec(c, SQ_COMMIT, "COMMIT");
	if (r != BA_OK && !sqlite3_get_autocommit(c->db))
		sq_exec(c, SQ_ROLLBACK, "ROLLBACK");
out:
	atomic_store(&s->version, version);
	sq_reset_used(c);
	return r;
}

/*
 * Opens (creating if missing) the SQLite database at `path`, migrates it,
 * opens the read pool and starts the writer. BA_ERR_STORE_UNAVAILABLE when
 * the file cannot be opened or its schema is newer than this program. A
 * read-only file opens (reads work); its writes fail and ready() says so.
 */
static int sq_open(const char *path, const struct store_options *opt, struct store **out)
{
	struct sq_store *s;
	int r = BA_ERR_NOMEM;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return BA_ERR_NOMEM;
	s->base.ops = &store_sqlite_ops;
	store_options_fill(&s->opt, opt, &limits);
	pthread_mutex_init(&s->ck_mu, NULL);
	pthread_cond_init(&s->ck_cv, NULL);
	pthread_mutex_init(&s->ck_run, NULL);
	s->ck_next = CKPT_PAGES;
	s->w_hard_at = CKPT_HARD_PAGES;
	atomic_init(&s->version, 0);
	s->path = strdup(path);
	s->base.q = store_queue_new(&sq_queue_ops, (size_t)s->opt.max_batch);
	s->readers = calloc((size_t)s->opt.pool_size, sizeof(*s->readers));
	s->reader_tx = calloc((size_t)s->opt.pool_size, sizeof(*s->reader_tx));
	if (store_pool_init(&s->pool, s->opt.pool_size) != BA_OK || s->path == NULL ||
	    s->base.q == NULL || s->readers == NULL || s->reader_tx == NULL)
		goto out;

	r = conn_open(&s->wconn, path, &s->opt, CONN_WRITER);
	if (r != BA_OK)
		goto out;
	sqlite3_wal_hook(s->wconn.db, wal_hook, s);
	r = migrate_at_open(s);
	if (r != BA_OK) {
		log_write(LOG_ERROR, "sqlite migration failed", "path", path,
		          "error", ba_strerror(r), NULL);
		goto out;
	}
	if (sqlite3_db_readonly(s->wconn.db, "main") == 1) {
		store_queue_set_fault(s->base.q, true);
		log_write(LOG_WARN, "sqlite database is read-only", "path", path, NULL);
	}
	for (; s->n_readers < s->opt.pool_size; s->n_readers++) {
		r = conn_open(&s->readers[s->n_readers], path, &s->opt, CONN_READER);
		if (r != BA_OK)
			goto out;
	}
	r = conn_open(&s->ckconn, path, &s->opt, CONN_CHECKPOINTER);
	if (r != BA_OK)
		goto out;
	if (pthread_create(&s->checkpointer, NULL, checkpointer_main, s) != 0) {
		r = BA_ERR_INTERNAL;
		goto out;
	}
	s->checkpointer_started = true;
	r = store_queue_start(s->base.q, s, sizeof(*s), 1);
	if (r != BA_OK)
		goto out;
	*out = &s->base;
	r = BA_OK;
out:
	if (r != BA_OK)
		sq_close(&s->base);
	return r;
}

const struct store_ops store_sqlite_ops = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.ready = sq_ready,
	.migrate = sq_migrate,
	.reader_get = sq_read_get,
	.reader_put = sq_read_put,
};
