/*
 * sqlite_internal.h - shared state of the SQLite backend (sqlite*.c only).
 *
 * One writer thread owns the read-write connection and applies queued writes
 * in batches (group commit); a checkpointer thread with its own connection
 * copies the WAL back into the database file; a small pool of read-only
 * connections serves reads. Every connection caches its prepared statements,
 * indexed by `enum sq_stmt` (the backend's own statements: transactions,
 * schema, reads) and then by `enum st_id` (the shared write statements).
 */
#ifndef BIOAUTH_STORE_SQLITE_INTERNAL_H
#define BIOAUTH_STORE_SQLITE_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store/store.h"

/* Internal write kinds, outside enum store_write_kind's range. */
#define SQ_KIND_PROBE 0        /* ready(): prove the write path works */
#define SQ_KIND_MIGRATE 1000   /* migrate(): apply pending migrations */

/* Most rows one list read returns (a cap, not a page size). */
#define SQ_LIST_MAX (1u << 20)

/* Statement cache slots. Each slot has exactly one SQL text. */
enum sq_stmt {
	/* transaction control (writer) */
	SQ_BEGIN, SQ_COMMIT, SQ_ROLLBACK, SQ_SAVEPOINT, SQ_RELEASE, SQ_ROLLBACK_TO,
	SQ_SP_LOGIN, SQ_SP_LOGIN_RELEASE, SQ_SP_LOGIN_ROLLBACK,
	SQ_READ_BEGIN, SQ_READ_END,
	/* schema */
	SQ_VERSION_GET, SQ_VERSION_TABLE_EXISTS, SQ_VERSION_INSERT, SQ_PROBE,
	/* reads */
	SQ_APP_GET, SQ_APP_GET_BY_CLIENT, SQ_APP_LIST, SQ_APP_RESOURCES,
	SQ_USER_GET, SQ_USER_GET_BY_NAME, SQ_USER_LIST,
	SQ_USER_GET_BY_EMAIL, SQ_USER_GET_BY_PHONE, SQ_SETTING_GET,
	SQ_AUTH_GET, SQ_AUTH_LIST_APP_USER, SQ_AUTH_LIST_USER, SQ_AUTH_LIST_APP,
	SQ_AUTH_LIST_ALL,
	SQ_CHAL_GET, SQ_SESSION_GET, SQ_REFRESH_GET, SQ_SKEY_LIST, SQ_JTI_GET,
	SQ_AUDIT_LIST, SQ_AUDIT_LIST_USER, SQ_AUDIT_LIST_APP, SQ_AUDIT_LIST_USER_APP,
	SQ__COUNT   /* the write statements (statements.h) follow: SQ__COUNT + st_id */
};

#include "store/statements.h"

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

/* One queued write. */
struct sq_item {
	struct store_write *w;
	store_done_fn done;
	void *arg;
	int rc;
	struct sq_item *next;
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

	/* writer: everything below `mu` is guarded by it */
	struct sq_conn wconn;         /* owned by the writer thread once started */
	int w_frames;                 /* WAL frames after wconn's last commit (its thread) */
	int w_hard_at;                /* WAL frames at which the writer empties the WAL */
	pthread_t writer;
	bool writer_started;
	pthread_mutex_t mu;
	pthread_cond_t cv;            /* signals the writer: work or stop */
	struct sq_item *head, *tail;
	size_t queued;
	bool stopping;
	bool fault;                   /* write path failed with a storage fault */
	bool probe_inflight;
	struct store_write probe;     /* SQ_KIND_PROBE, submitted by ready() */
	double last_write;            /* monotonic time the writer last ran a batch */
	int version;                  /* schema version after the last migration */

	/* read pool */
	pthread_mutex_t pool_mu;
	pthread_cond_t pool_cv;
	struct sq_conn *readers;
	bool *reader_busy;
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
/* Reader checkout/checkin (blocks while every reader is busy). */
struct sq_conn *sq_reader_get(struct sq_store *s);
void sq_reader_put(struct sq_store *s, struct sq_conn *c);

/* Binding and column helpers (bind: NULL strings bind SQL NULL). */
int sq_bind_text(sqlite3_stmt *st, int i, const char *v);
int sq_bind_blob(sqlite3_stmt *st, int i, const void *v, size_t n);
int sq_bind_int64(sqlite3_stmt *st, int i, int64_t v);
/* Copies column i into *out (NULL when SQL NULL); false on NOMEM. */
bool sq_col_str(sqlite3_stmt *st, int i, char **out);
/* Copies a fixed-size blob column; false when its size is not n. */
bool sq_col_fixed(sqlite3_stmt *st, int i, uint8_t *out, size_t n);

/* --- sqlite_migrations.c --- */

/* Brings the schema of `c` (inside a write transaction) to the newest
 * version; *version receives it. BA_ERR_STORE_UNAVAILABLE when the database
 * is newer than this program. */
int sq_migrate_apply(struct sq_conn *c, int *version);
/* Reads the schema version (0 for a new database). */
int sq_version_read(struct sq_conn *c, int *version);
int sq_latest_version(void);

/* --- sqlite_read.c --- */

/* Reads one session by id on `c` (any thread's connection). */
int sq_session_load(struct sq_conn *c, const char *session_id, struct model_session *out);

int sq_app_get(struct store *s, const char *app_id, struct model_app *out);
int sq_app_get_by_client_id(struct store *s, const char *client_id, struct model_app *out);
int sq_app_list(struct store *s, struct model_app **out, size_t *n);
int sq_user_get(struct store *s, const char *user_id, struct model_user *out);
int sq_user_get_by_username(struct store *s, const char *username, struct model_user *out);
int sq_user_list(struct store *s, struct model_user **out, size_t *n);
int sq_user_get_by_email_key(struct store *s, const char *email_key, struct model_user *out);
int sq_user_get_by_phone(struct store *s, const char *phone, struct model_user *out);
int sq_authenticator_get(struct store *s, const char *app_id, const char *key_id,
                         struct model_authenticator *out);
int sq_authenticator_list(struct store *s, const char *app_id, const char *user_id,
                          struct model_authenticator **out, size_t *n);
int sq_challenge_get(struct store *s, const char *challenge, struct model_challenge *out);
int sq_session_get(struct store *s, const char *session_id, struct model_session *out);
int sq_refresh_get(struct store *s, const uint8_t hash[MODEL_HASH_LEN], struct model_refresh *out);
int sq_signing_key_list(struct store *s, struct model_signing_key **out, size_t *n);
int sq_token_is_revoked(struct store *s, const char *jti, bool *revoked);
int sq_setting_get(struct store *s, const char *name, char **value);
int sq_audit_list(struct store *s, const struct store_audit_filter *f,
                  struct model_audit **out, size_t *n);

/* --- sqlite_tx.c --- */

/* Applies one write (a store_write_kind, SQ_KIND_PROBE or SQ_KIND_MIGRATE)
 * on the writer connection through the shared write logic (write.h), inside
 * a savepoint the caller releases on BA_OK or *keep and rolls back
 * otherwise. Fills w->out. */
int sq_apply(struct sq_store *s, struct store_write *w, bool *keep);

#endif
