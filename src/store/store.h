/*
 * store.h - the storage interface of bioauth.
 *
 * Everything above this header is free of SQL. A backend (sqlite.c,
 * postgres.c) fills a `struct store_ops` table; store_open() picks one from
 * the database URL: "postgres://" or "postgresql://" selects PostgreSQL,
 * anything else is a SQLite file path. The layers above call the store
 * through the typed store_*() functions below (store_session_get(),
 * store_submit(), ...), never through the table.
 *
 * Reads are synchronous and may be called from any thread at once.
 *
 * Writes are described by a `struct store_write` (a tagged union of the
 * domain's state changes) and submitted asynchronously: store_submit() queues
 * the write and returns at once; the backend later calls `done` exactly once,
 * from one of its own threads, after the write is durable (committed and
 * fsync'd when durability is on) or has failed. Each write is atomic: all of
 * its changes, including its optional audit event, apply or none do. This lets
 * the SQLite backend share one commit (one fsync) among many concurrent
 * writes (group commit) while HTTP workers stay free (the edge suspends the
 * connection until `done`). store_write_sync() wraps submit + wait for
 * callers that may block (bioauthctl, tests, start-up).
 *
 * Conditional writes (consume a challenge, rotate a refresh token, register
 * a key id) check and change state in one atomic step inside the backend, so
 * concurrent requests - also across several bioauthd processes on one
 * PostgreSQL database - cannot both succeed.
 *
 * The write logic (write.c, write_login.c) and the reads (read.c) are
 * written once for both backends against a narrow statement interface
 * (tx.h) and one statement table (statements.c), and so is the schema
 * (migrations.c); a backend keeps its connections, pooling, locking,
 * retries and error mapping.
 *
 * Return codes: BA_OK; BA_ERR_NOT_FOUND; BA_ERR_CONFLICT; BA_ERR_NOMEM;
 * BA_ERR_STORE_UNAVAILABLE (database unreachable, read-only, disk full,
 * locked past the busy timeout); BA_ERR_INTERNAL; plus the per-write codes
 * documented below. Backends report each commit to metrics_observe_commit()
 * (src/common/metrics.h).
 */
#ifndef BIOAUTH_STORE_STORE_H
#define BIOAUTH_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain/model.h"

struct store;

struct store_options {
	bool durable;        /* fsync before acknowledging a write (default true) */
	int pool_size;       /* PostgreSQL connections; SQLite read connections */
	int busy_timeout_ms; /* how long to wait on a locked database */
	int max_batch;       /* most writes shared by one commit (SQLite) */
};

enum store_write_kind {
	SW_APP_CREATE = 1,       /* app: insert; CONFLICT if app_id/client_id exist */
	SW_APP_DELETE,           /* app_id: delete app and everything of it; NOT_FOUND */
	SW_APP_SET_SECRET,       /* app_id, secret_hash; NOT_FOUND */
	SW_USER_CREATE,          /* user: CONFLICT if user_id, username, email
	                            (case-insensitively) or phone_number exist */
	SW_USER_DELETE,          /* user_id: also its authenticators and sessions; NOT_FOUND */
	SW_AUTHENTICATOR_CREATE, /* CONFLICT if (app, publicKeyId) exists;
	                            MAX_AUTHENTICATORS if the user already has
	                            `max_per_user` keys in this app; with
	                            `challenge_hash` set, the register challenge
	                            is single-use per app (else CHALLENGE_REUSED)
	                            and a /start challenge of the user with
	                            that text is consumed; INVALID_TOKEN if the
	                            user is gone or `session_id` (when set) is
	                            not live; BIOMETRIC_REQUIRED if
	                            `require_biometric`, the user has a key and
	                            the session lacks the biometric factor */
	SW_AUTHENTICATOR_DELETE, /* (app_id, key_id, user_id); NOT_FOUND if that
	                            user has no such key in that app */
	SW_CHALLENGE_CREATE,     /* challenge: insert; CONFLICT on duplicate,
	                            NOT_FOUND if the user is gone;
	                            CHALLENGE_QUOTA / APPROVAL_DATA_QUOTA when
	                            the app's unconsumed, unexpired challenges
	                            would pass its max_challenges or
	                            max_approval_data_bytes */
	SW_SIGNATURE_FAILURE,    /* a failed signature on (app, key): count it and
	                            lock at `threshold`; out.locked tells */
	SW_LOGIN,                /* a successful authentication, see below */
	SW_REFRESH_ROTATE,       /* exchange a refresh token, see below */
	SW_SESSION_REVOKE,       /* (app_id, session_id): revoke session and its
	                            refresh tokens; NOT_FOUND */
	SW_SIGNING_KEY_ROTATE,   /* insert key; every other current key gets
	                            retired_at = key.created_at */
	SW_TOKEN_REVOKE,         /* remember a revoked access-token jti until exp */
	SW_AUDIT,                /* just the audit event */
	SW_PURGE,                /* delete expired challenges, refresh tokens,
	                            sessions, revoked jtis and retired signing keys
	                            older than `before` */
	SW_SIGNING_KEY_FIRST,    /* signing_key: insert it unless a current key
	                            exists (then CONFLICT, nothing written), so
	                            instances starting together make one key */
	SW_SIGNING_KEY_RESEAL,   /* signing_key: set private_pem of kid (the key
	                            sealed anew, keyring.h); NOT_FOUND when no
	                            such kid. Nothing else of the row changes */
	SW_SIGNING_KEY_REVOKE,   /* signing_key_revoke: delete key `kid` at once
	                            (a compromised key: out of the JWKS, its
	                            tokens refused); when it is the current key,
	                            `next` becomes current first (INVALID_REQUEST
	                            without one) and out.key_replaced is set.
	                            NOT_FOUND when no such kid */
	SW_APP_SET_ATTESTATION,  /* app_attestation: replace the app's policy
	                            (NULL = default); NOT_FOUND */
	SW_APP_SET_MIN_CHALLENGE, /* (app_id, bytes 1..1024): the app's floor of
	                            client-made challenges; NOT_FOUND */
	SW_SETTING_SET,          /* (name, value, now): insert or replace one
	                            setting of the deployment (STORE_SETTING_*) */
	SW_APP_SET_LIMITS,       /* app (app_id and the fields named): set its
	                            require_biometric_to_enrol, max_challenges
	                            (>= 1), max_approval_data_bytes,
	                            refresh_reuse_interval and users_api;
	                            NOT_FOUND */
	SW_PASSWORD_ATTEMPT,     /* password_attempt: counts one attempt, or
	                            TOO_MANY_ATTEMPTS (nothing counted) with
	                            out.retry_after, see below */
};

/*
 * SW_PASSWORD_ATTEMPT: the per-user count (and, with has_ip, the per-(user,
 * IP) count) of domain/password_guard.h, times in unix milliseconds
 * (now_ms). When password_guard_wait() of a
 * count - the user's with max_failures, or with has_ip the (user, IP)
 * one's with max_failures and the user's with PASSWORD_GUARD_USER_FACTOR
 * times it - is not 0, the attempt is refused: TOO_MANY_ATTEMPTS,
 * out.retry_after = the longest wait in whole seconds, rounded up.
 * Otherwise each count gains one attempt at `now_ms`. A successful login resets them (store_login).
 */
struct store_password_attempt {
	uint8_t user_key[MODEL_HASH_LEN];
	uint8_t ip_key[MODEL_HASH_LEN];
	bool has_ip;
	int64_t now_ms;
	int max_failures;
	int64_t max_wait;
};

/* Names of the settings rows. */
#define STORE_SETTING_ISSUER "issuer"   /* the --issuer bioauthd last started with */

/*
 * SW_LOGIN applies, atomically, every part that is set:
 *  - always: user_id must exist, with `password_hash` when that is set
 *    (else INVALID_CREDENTIALS); no row is committed for a deleted user.
 *  - password_reset: those password attempt counts are deleted.
 *  - start_challenge: the /start challenge must exist for app_id and user_id,
 *    be unconsumed (else CHALLENGE_REUSED) and unexpired at `now` (else
 *    CHALLENGE_EXPIRED); it becomes consumed. Unknown or of another user/app:
 *    INVALID_CHALLENGE.
 *  - client_challenge_hash: the (app, key_id, SHA-256 of a client-made
 *    challenge) pair is recorded, and so is (app, client_challenge_key =
 *    SHA-256 of the key's SPKI, challenge hash), which outlives the key;
 *    CHALLENGE_REUSED if either already was.
 *  - key_id: the authenticator (app_id, key_id) of user_id must still exist
 *    (else NOT_FOUND) and not be locked at `now` (else KEY_LOCKED); its failure
 *    count is reset and last_used_at = now.
 *  - existing_session_id: that session must be live (not revoked, not expired
 *    at now) and of the same app and user (else NOT_FOUND); its factors gain
 *    `session.factors`, auth_time = now, and a non-NULL `session.org_id` /
 *    `session.client_attributes` replace the stored ones. Otherwise
 *    `session` is inserted.
 *    Either way out.session receives the stored session.
 *  - refresh: inserted, bound to the session.
 * Refused with a per-write code (not STORE_UNAVAILABLE, NOMEM or INTERNAL),
 * none of the above stays, and `audit`, when set, is recorded as the
 * refusal instead - outcome "failure", reason ba_strerror(code) - in the
 * same commit; `done` then gets the refusal code. A refused login is so
 * one commit, like a successful one.
 */
struct store_login {
	const char *app_id;
	const char *user_id;
	int64_t now;
	const char *start_challenge;       /* may be NULL */
	const char *key_id;                /* may be NULL (password login) */
	bool has_client_challenge;
	uint8_t client_challenge_hash[MODEL_HASH_LEN];
	uint8_t client_challenge_key[MODEL_HASH_LEN];   /* SHA-256 of the key's SPKI */
	const char *existing_session_id;   /* may be NULL */
	struct model_session session;      /* new session, or factors to add */
	struct model_refresh refresh;
	/* The password hash a password login verified (NULL otherwise): the
	 * user must still have it when the login commits. */
	const char *password_hash;
	/* A password login's attempt counts, deleted when it commits (NULL:
	 * none). */
	const struct store_password_attempt *password_reset;
};

/*
 * SW_REFRESH_ROTATE: the token with old_hash must exist, be unexpired at now,
 * and its session live. If it was already rotated more than reuse_interval
 * seconds before now (always, with 0), the session is revoked (committed)
 * and out.reuse_detected is set with BA_OK. Otherwise it is marked rotated
 * at now (a reuse within the interval leaves it as it is), `next` is
 * inserted for the same session, out.session is filled.
 * Unknown, expired, or session gone: INVALID_GRANT.
 * When app_id is set, a token of another app is INVALID_GRANT too.
 */
struct store_refresh_rotate {
	const char *app_id;
	uint8_t old_hash[MODEL_HASH_LEN];
	struct model_refresh next;         /* session_id filled by the store */
	int64_t now;
	int64_t reuse_interval;            /* the app's refresh_reuse_interval */
};

struct store_write {
	enum store_write_kind kind;
	union {
		struct model_app app;                          /* APP_CREATE, APP_SET_LIMITS */
		struct { const char *app_id; uint8_t secret_hash[MODEL_HASH_LEN]; } app_secret;
		const char *app_id;                            /* APP_DELETE */
		struct model_user user;                        /* USER_CREATE */
		const char *user_id;                           /* USER_DELETE */
		struct { struct model_authenticator a; int max_per_user;
		         const uint8_t *challenge_hash; /* SHA-256 or NULL */
		         const char *session_id;      /* may be NULL */
		         bool require_biometric; } authenticator;
		struct { const char *app_id, *policy; } app_attestation;
		struct { const char *app_id, *key_id, *user_id; } authenticator_delete;
		struct model_challenge challenge;              /* CHALLENGE_CREATE */
		struct { const char *app_id, *key_id; int64_t now;
		         int threshold; int64_t lock_seconds; } signature_failure;
		struct store_login login;
		struct store_refresh_rotate refresh;
		struct { const char *app_id, *session_id; } session_revoke;
		struct model_signing_key signing_key;          /* SIGNING_KEY_ROTATE, _FIRST, _RESEAL */
		struct { const char *kid; struct model_signing_key next; } signing_key_revoke;
		struct { const char *jti; int64_t expires_at; } token_revoke;
		struct { int64_t before; } purge;
		struct { const char *app_id; int bytes; } app_min_challenge;
		struct { const char *name, *value; int64_t now; } setting;
		struct store_password_attempt password_attempt;
	} in;
	/* Optional: inserted in the same transaction as the write (for SW_AUDIT,
	 * the write itself). For SW_SIGNATURE_FAILURE the store adds a "lock" event
	 * when the key becomes locked. */
	struct model_audit *audit;
	struct {
		bool locked;                   /* AUTH_FAILURE: key is now locked */
		int64_t locked_until;
		bool reuse_detected;           /* REFRESH_ROTATE */
		bool key_replaced;             /* SIGNING_KEY_REVOKE: `next` is current */
		int64_t retry_after;           /* PASSWORD_ATTEMPT refused: seconds */
		struct model_session session;  /* LOGIN, REFRESH_ROTATE; owned, clear it */
	} out;
};

typedef void (*store_done_fn)(struct store_write *w, int rc, void *arg);

struct store_tx;

struct store_audit_filter {
	const char *user_id;   /* NULL = any */
	const char *app_id;    /* NULL = any */
	int64_t since;         /* 0 = from the start */
	size_t limit;          /* 0 = 1000 */
};

struct store_ops {
	const char *name;   /* "sqlite", "postgres" */

	/* Opens and migrates; *out owns its threads and connections. */
	int (*open)(const char *url, const struct store_options *opt, struct store **out);
	/* Finishes every submitted write (calling its done), then frees. NULL ok. */
	void (*close)(struct store *s);
	/* BA_OK when a trivial read and the write path work. */
	int (*ready)(struct store *s);
	/* Applies pending migrations; BA_OK if none. Reports the version. */
	int (*migrate)(struct store *s, int *version);

	/* For the reads (read.c) only: lends a read connection as the
	 * statement interface of tx.h (waiting while every one is busy), and
	 * takes it back. */
	struct store_tx *(*reader_get)(struct store *s);
	void (*reader_put)(struct store *s, struct store_tx *tx);
};

struct store_queue;

/* A store handle: the backend's table and write queue (queue.h; every
 * backend has one), followed by its private state. */
struct store {
	const struct store_ops *ops;
	struct store_queue *q;
};

extern const struct store_ops store_sqlite_ops;
extern const struct store_ops store_postgres_ops;

/* Picks the backend for `url` and opens it. */
int store_open(const char *url, const struct store_options *opt, struct store **out);
void store_close(struct store *s);

/* Submits `w` and blocks until it is done; returns its rc. */
int store_write_sync(struct store *s, struct store_write *w);

/*
 * The calls the layers above make (src/edge, src/api, src/domain, src/ctl,
 * src/server). Nothing outside src/store reaches into s->ops. The first
 * ones are the operations of `store_ops`, each calling s's backend, with
 * the contract written at the operation above.
 */
const char *store_backend_name(const struct store *s);  /* "sqlite", "postgres" */
int store_ready(struct store *s);
int store_migrate(struct store *s, int *version);
/* Queues `w` on s's write queue: store_queue_submit() (queue.h). */
int store_submit(struct store *s, struct store_write *w, store_done_fn done, void *arg);
/*
 * The reads, written once for both backends (read.c) on the read
 * connections the backend lends (reader_get / reader_put): they fill *out
 * (the caller clears it) and return NOT_FOUND when it is absent.
 */
int store_app_get(struct store *s, const char *app_id, struct model_app *out);
int store_app_get_by_client_id(struct store *s, const char *client_id, struct model_app *out);
int store_app_list(struct store *s, struct model_app **out, size_t *n);
int store_user_get(struct store *s, const char *user_id, struct model_user *out);
int store_user_get_by_username(struct store *s, const char *username, struct model_user *out);
/* By the key of an email address (contact_email_key(), domain/contact.h)
 * and by phone number (E.164). */
int store_user_get_by_email_key(struct store *s, const char *email_key, struct model_user *out);
int store_user_get_by_phone(struct store *s, const char *phone, struct model_user *out);
int store_user_list(struct store *s, struct model_user **out, size_t *n);
int store_authenticator_get(struct store *s, const char *app_id, const char *key_id,
                            struct model_authenticator *out);
/* app_id NULL = every app. Ordered by created_at. */
int store_authenticator_list(struct store *s, const char *app_id, const char *user_id,
                             struct model_authenticator **out, size_t *n);
int store_challenge_get(struct store *s, const char *challenge, struct model_challenge *out);
/* store_authenticator_get() and store_challenge_get() of `challenge` in one
 * statement (one round trip, one snapshot), what an authentication reads:
 * NOT_FOUND without the key; with it, *has_chal tells whether *chal holds
 * the challenge (both cleared by the caller). */
int store_authenticator_get_with_challenge(struct store *s, const char *app_id,
                                          const char *key_id, const char *challenge,
                                          struct model_authenticator *out,
                                          struct model_challenge *chal, bool *has_chal);
int store_session_get(struct store *s, const char *session_id, struct model_session *out);
int store_refresh_get(struct store *s, const uint8_t hash[MODEL_HASH_LEN], struct model_refresh *out);
/* Every key, newest first. */
int store_signing_key_list(struct store *s, struct model_signing_key **out, size_t *n);
/* BA_OK + *revoked. */
int store_token_is_revoked(struct store *s, const char *jti, bool *revoked);
/* store_app_get() of `app_id` and store_token_is_revoked() of `jti` in
 * one statement (one round trip, one snapshot): what a bearer token's
 * caller check reads on every request. */
int store_app_get_for_token(struct store *s, const char *app_id, const char *jti,
                            struct model_app *out, bool *revoked);
/* One setting (STORE_SETTING_*): *value is a heap string (free it). */
int store_setting_get(struct store *s, const char *name, char **value);
/* Newest first. */
int store_audit_list(struct store *s, const struct store_audit_filter *f,
                     struct model_audit **out, size_t *n);

/* Frees arrays returned by the list reads (clearing every element). */
void store_free_apps(struct model_app *a, size_t n);
void store_free_users(struct model_user *u, size_t n);
void store_free_authenticators(struct model_authenticator *a, size_t n);
/* True when `url` names a PostgreSQL database ("postgres://" or
 * "postgresql://") rather than a SQLite file. */
bool store_url_is_postgres(const char *url);
void store_free_signing_keys(struct model_signing_key *k, size_t n);
void store_free_audit(struct model_audit *e, size_t n);

/* --- SQLite file operations (sqlite_backup.c) --- */
/* Takes an advisory lock (flock) on the SQLite file `path`, creating the
 * file if missing: shared for a server (several may share a file),
 * exclusive for a restore; never waits. *fd receives the descriptor that
 * holds it (close it only after the database is closed). BA_OK,
 * BA_ERR_CONFLICT when the other kind is held, BA_ERR_IO otherwise. */
int store_sqlite_lock(const char *path, bool exclusive, int *fd);
/* Copies the SQLite database `db` into the new file `to` with SQLite's
 * online backup API: a consistent snapshot while servers write, fsync'd
 * (file and directory), checked with PRAGMA quick_check, written under a
 * temporary name and renamed. Fills sha256_hex (65 bytes, the file's
 * SHA-256) and *bytes. BA_ERR_CONFLICT if `to` exists. */
int store_sqlite_backup(const char *db, const char *to, char sha256_hex[65],
                        int64_t *bytes);
/* Replaces the contents of the SQLite database `db` with the backup
 * `from` (checked first), holding the exclusive lock: BA_ERR_CONFLICT
 * while a server holds the database. */
int store_sqlite_restore(const char *from, const char *db);

#endif
