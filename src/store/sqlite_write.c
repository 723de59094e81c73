/*
 * sqlite_write.c - the write kinds of the SQLite backend (store.h).
 *
 * Each function runs on the writer thread, on the read-write connection,
 * inside a SAVEPOINT that the caller (sqlite.c) releases on BA_OK and rolls
 * back on any other code - so a function may change rows and then fail, and
 * none of its changes stay. Conditional writes check and change in the one
 * transaction: the single writer makes them atomic against every other write.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "store/lockout.h"
#include "store/sqlite_internal.h"

/* `t`, or the current time when `t` is 0. */
static int64_t or_now(int64_t t)
{
	return t != 0 ? t : (int64_t)time(NULL);
}

/* Runs `st` to completion; BA_OK, or the mapped error of its connection. */
static int step_done(struct sq_conn *c, sqlite3_stmt *st)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	return rc == SQLITE_DONE ? BA_OK : sq_conn_err(c);
}

/* Runs `st` and turns "no row changed" into BA_ERR_NOT_FOUND. */
static int step_changed(struct sq_conn *c, sqlite3_stmt *st)
{
	int r = step_done(c, st);

	if (r == BA_OK && sqlite3_changes(c->db) == 0)
		r = BA_ERR_NOT_FOUND;
	return r;
}

/* Steps a query expected to return at most one row: BA_OK with a row,
 * BA_ERR_NOT_FOUND without. */
static int step_row(struct sq_conn *c, sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return BA_OK;
	return rc == SQLITE_DONE ? BA_ERR_NOT_FOUND : sq_conn_err(c);
}

static bool all_zero(const uint8_t *b, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= b[i];
	return acc == 0;
}

/* Prepares slot `id` into `st` or returns the connection's error. */
#define PREPARE(st, c, id, sql)                        \
	do {                                           \
		(st) = sq_prepare((c), (id), (sql));   \
		if ((st) == NULL)                      \
			return sq_conn_err(c);         \
	} while (0)

/* Inserts audit event `e` and stores its new id in e->id. */
static int audit_insert(struct sq_conn *c, struct model_audit *e)
{
	sqlite3_stmt *st;
	int r;

	if (e->event == NULL || e->outcome == NULL)
		return BA_ERR_INVALID_REQUEST;
	PREPARE(st, c, SQ_AUDIT_INSERT,
	        "INSERT INTO audit (time, event, outcome, reason, app_id, user_id, key_id,"
	        " client_attributes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
	sq_bind_int64(st, 1, or_now(e->time));
	sq_bind_text(st, 2, e->event);
	sq_bind_text(st, 3, e->outcome);
	sq_bind_text(st, 4, e->reason);
	sq_bind_text(st, 5, e->app_id);
	sq_bind_text(st, 6, e->user_id);
	sq_bind_text(st, 7, e->key_id);
	sq_bind_text(st, 8, e->client_attributes);
	r = step_done(c, st);
	if (r == BA_OK)
		e->id = (int64_t)sqlite3_last_insert_rowid(c->db);
	return r;
}

/* --- apps and users --- */

static int app_create(struct sq_conn *c, const struct model_app *a)
{
	sqlite3_stmt *st;
	int r;

	if (a->app_id == NULL || a->name == NULL || a->client_id == NULL ||
	    a->n_resources > MODEL_MAX_RESOURCES)
		return BA_ERR_INVALID_REQUEST;
	PREPARE(st, c, SQ_APP_INSERT,
	        "INSERT INTO apps (app_id, name, client_id, client_secret_hash, access_ttl, id_ttl,"
	        " refresh_ttl, allow_client_challenges, max_authenticators, created_at)"
	        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
	sq_bind_text(st, 1, a->app_id);
	sq_bind_text(st, 2, a->name);
	sq_bind_text(st, 3, a->client_id);
	sq_bind_blob(st, 4, a->client_secret_hash, MODEL_HASH_LEN);
	sq_bind_int64(st, 5, a->access_ttl);
	sq_bind_int64(st, 6, a->id_ttl);
	sq_bind_int64(st, 7, a->refresh_ttl);
	sq_bind_int64(st, 8, a->allow_client_challenges ? 1 : 0);
	sq_bind_int64(st, 9, a->max_authenticators);
	sq_bind_int64(st, 10, or_now(a->created_at));
	r = step_done(c, st);
	for (size_t i = 0; r == BA_OK && i < a->n_resources; i++) {
		if (a->resources[i] == NULL)
			return BA_ERR_INVALID_REQUEST;
		PREPARE(st, c, SQ_APP_RES_INSERT,
		        "INSERT INTO app_resources (app_id, pos, uri) VALUES (?1, ?2, ?3)");
		sq_bind_text(st, 1, a->app_id);
		sq_bind_int64(st, 2, (int64_t)i);
		sq_bind_text(st, 3, a->resources[i]);
		r = step_done(c, st);
	}
	return r;
}

static int app_delete(struct sq_conn *c, const char *app_id)
{
	sqlite3_stmt *st;

	PREPARE(st, c, SQ_APP_DELETE, "DELETE FROM apps WHERE app_id = ?1");
	sq_bind_text(st, 1, app_id);
	return step_changed(c, st); /* ON DELETE CASCADE does the rest */
}

static int app_set_secret(struct sq_conn *c, const char *app_id, const uint8_t *hash)
{
	sqlite3_stmt *st;

	PREPARE(st, c, SQ_APP_SET_SECRET, "UPDATE apps SET client_secret_hash = ?2 WHERE app_id = ?1");
	sq_bind_text(st, 1, app_id);
	sq_bind_blob(st, 2, hash, MODEL_HASH_LEN);
	return step_changed(c, st);
}

static int user_create(struct sq_conn *c, const struct model_user *u)
{
	sqlite3_stmt *st;

	if (u->user_id == NULL)
		return BA_ERR_INVALID_REQUEST;
	PREPARE(st, c, SQ_USER_INSERT,
	        "INSERT INTO users (user_id, username, password_hash, created_at, updated_at)"
	        " VALUES (?1, ?2, ?3, ?4, ?5)");
	sq_bind_text(st, 1, u->user_id);
	sq_bind_text(st, 2, u->username);
	sq_bind_text(st, 3, u->password_hash);
	sq_bind_int64(st, 4, or_now(u->created_at));
	sq_bind_int64(st, 5, u->updated_at != 0 ? u->updated_at : or_now(u->created_at));
	return step_done(c, st);
}

/* Deletes the user and its authenticators, sessions (and so their refresh
 * tokens) and challenges in every app. */
static int user_delete(struct sq_conn *c, const char *user_id)
{
	static const struct { enum sq_stmt id; const char *sql; } also[] = {
		{SQ_USER_DEL_AUTHS, "DELETE FROM authenticators WHERE user_id = ?1"},
		{SQ_USER_DEL_SESSIONS, "DELETE FROM sessions WHERE user_id = ?1"},
		{SQ_USER_DEL_CHALS, "DELETE FROM challenges WHERE user_id = ?1"},
	};
	sqlite3_stmt *st;
	int r;

	PREPARE(st, c, SQ_USER_DELETE, "DELETE FROM users WHERE user_id = ?1");
	sq_bind_text(st, 1, user_id);
	r = step_changed(c, st);
	for (size_t i = 0; r == BA_OK && i < sizeof(also) / sizeof(also[0]); i++) {
		PREPARE(st, c, also[i].id, also[i].sql);
		sq_bind_text(st, 1, user_id);
		r = step_done(c, st);
	}
	return r;
}

/* --- authenticators --- */

static int authenticator_create(struct sq_conn *c, const struct model_authenticator *a, int max)
{
	sqlite3_stmt *st;
	int r;

	if (a->app_id == NULL || a->public_key_id == NULL || a->user_id == NULL ||
	    a->public_key_der == NULL || a->public_key_der_len == 0)
		return BA_ERR_INVALID_REQUEST;
	PREPARE(st, c, SQ_AUTH_EXISTS,
	        "SELECT 1 FROM authenticators WHERE app_id = ?1 AND public_key_id = ?2");
	sq_bind_text(st, 1, a->app_id);
	sq_bind_text(st, 2, a->public_key_id);
	r = step_row(c, st);
	if (r != BA_ERR_NOT_FOUND)
		return r == BA_OK ? BA_ERR_CONFLICT : r;
	if (max > 0) {
		PREPARE(st, c, SQ_AUTH_COUNT,
		        "SELECT count(*) FROM authenticators WHERE app_id = ?1 AND user_id = ?2");
		sq_bind_text(st, 1, a->app_id);
		sq_bind_text(st, 2, a->user_id);
		r = step_row(c, st);
		if (r != BA_OK)
			return r;
		if (sqlite3_column_int64(st, 0) >= max)
			return BA_ERR_MAX_AUTHENTICATORS;
	}
	PREPARE(st, c, SQ_AUTH_INSERT,
	        "INSERT INTO authenticators (app_id, public_key_id, user_id, key_type, public_key,"
	        " os, encryption_type, device_id, display_name, challenge, attestation,"
	        " created_at, last_used_at, failed_count, locked_until)"
	        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)");
	sq_bind_text(st, 1, a->app_id);
	sq_bind_text(st, 2, a->public_key_id);
	sq_bind_text(st, 3, a->user_id);
	sq_bind_int64(st, 4, a->key_type);
	sq_bind_blob(st, 5, a->public_key_der, a->public_key_der_len);
	sq_bind_text(st, 6, a->os);
	sq_bind_text(st, 7, a->encryption_type);
	sq_bind_text(st, 8, a->device_id);
	sq_bind_text(st, 9, a->display_name);
	sq_bind_text(st, 10, a->challenge);
	sq_bind_text(st, 11, a->attestation);
	sq_bind_int64(st, 12, or_now(a->created_at));
	sq_bind_int64(st, 13, a->last_used_at);
	sq_bind_int64(st, 14, a->failed_count);
	sq_bind_int64(st, 15, a->locked_until);
	return step_done(c, st); /* unknown app: foreign key -> NOT_FOUND */
}

static int authenticator_delete(struct sq_conn *c, const char *app_id, const char *key_id,
                                const char *user_id)
{
	sqlite3_stmt *st;

	PREPARE(st, c, SQ_AUTH_DELETE,
	        "DELETE FROM authenticators WHERE app_id = ?1 AND public_key_id = ?2"
	        " AND (?3 IS NULL OR user_id = ?3)");
	sq_bind_text(st, 1, app_id);
	sq_bind_text(st, 2, key_id);
	sq_bind_text(st, 3, user_id);
	return step_changed(c, st);
}

/* Reads user_id (copied to *user when asked), failed_count, locked_until. */
static int auth_state(struct sq_conn *c, const char *app_id, const char *key_id,
                      char **user, int *failed, int64_t *locked_until)
{
	sqlite3_stmt *st;
	int r;

	PREPARE(st, c, SQ_AUTH_STATE_GET,
	        "SELECT user_id, failed_count, locked_until FROM authenticators"
	        " WHERE app_id = ?1 AND public_key_id = ?2");
	sq_bind_text(st, 1, app_id);
	sq_bind_text(st, 2, key_id);
	r = step_row(c, st);
	if (r != BA_OK)
		return r;
	if (user != NULL && !sq_col_str(st, 0, user))
		return BA_ERR_NOMEM;
	*failed = sqlite3_column_int(st, 1);
	*locked_until = sqlite3_column_int64(st, 2);
	return BA_OK;
}

/*
 * Counts a failed signature, locking the key at the threshold, as
 * lockout_after_failure() decides, and records w->audit; when this failure
 * locked the key, a "lock" audit event (outcome "success") follows it.
 */
static int auth_failure(struct sq_conn *c, struct store_write *w)
{
	const char *app_id = w->in.auth_failure.app_id, *key_id = w->in.auth_failure.key_id;
	int64_t now = or_now(w->in.auth_failure.now), locked_until = 0;
	char *user = NULL;
	struct lockout lo;
	sqlite3_stmt *st;
	int failed = 0, r;

	r = auth_state(c, app_id, key_id, &user, &failed, &locked_until);
	if (r != BA_OK)
		goto out;
	lockout_after_failure(failed, locked_until, now, w->in.auth_failure.threshold,
	                      w->in.auth_failure.lock_seconds, &lo);
	w->out.locked = lo.locked;
	w->out.locked_until = lo.locked ? lo.locked_until : 0;
	if (w->audit != NULL && (r = audit_insert(c, w->audit)) != BA_OK)
		goto out;
	if (lo.lock_event) {
		struct model_audit lock = {
			.time = now, .event = "lock", .outcome = "success",
			.app_id = (char *)(uintptr_t)app_id, .key_id = (char *)(uintptr_t)key_id,
			.user_id = user,
			.client_attributes = w->audit != NULL ? w->audit->client_attributes : NULL,
		};

		r = audit_insert(c, &lock);
		if (r != BA_OK)
			goto out;
	}
	if (!lo.store)
		goto out;
	st = sq_prepare(c, SQ_AUTH_FAIL_SET,
	                "UPDATE authenticators SET failed_count = ?3, locked_until = ?4"
	                " WHERE app_id = ?1 AND public_key_id = ?2");
	if (st == NULL) {
		r = sq_conn_err(c);
		goto out;
	}
	sq_bind_text(st, 1, app_id);
	sq_bind_text(st, 2, key_id);
	sq_bind_int64(st, 3, lo.failed_count);
	sq_bind_int64(st, 4, lo.locked_until);
	r = step_done(c, st);
out:
	free(user);
	return r;
}

/* --- challenges --- */

static int challenge_create(struct sq_conn *c, const struct model_challenge *ch)
{
	sqlite3_stmt *st;

	if (ch->challenge == NULL || ch->app_id == NULL || ch->user_id == NULL)
		return BA_ERR_INVALID_REQUEST;
	PREPARE(st, c, SQ_CHAL_INSERT,
	        "INSERT INTO challenges (challenge, app_id, user_id, device_id, approval_data,"
	        " created_at, expires_at, consumed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
	sq_bind_text(st, 1, ch->challenge);
	sq_bind_text(st, 2, ch->app_id);
	sq_bind_text(st, 3, ch->user_id);
	sq_bind_text(st, 4, ch->device_id);
	sq_bind_text(st, 5, ch->approval_data);
	sq_bind_int64(st, 6, or_now(ch->created_at));
	sq_bind_int64(st, 7, ch->expires_at);
	sq_bind_int64(st, 8, ch->consumed ? 1 : 0);
	return step_done(c, st);
}

/* Consumes the /start challenge of a login (see store.h, SW_LOGIN). */
static int consume_challenge(struct sq_conn *c, const struct store_login *l)
{
	sqlite3_stmt *st;
	const char *app, *user;
	int r;

	PREPARE(st, c, SQ_CHAL_STATE,
	        "SELECT app_id, user_id, consumed, expires_at FROM challenges WHERE challenge = ?1");
	sq_bind_text(st, 1, l->start_challenge);
	r = step_row(c, st);
	if (r != BA_OK)
		return r == BA_ERR_NOT_FOUND ? BA_ERR_INVALID_CHALLENGE : r;
	app = (const char *)sqlite3_column_text(st, 0);
	user = (const char *)sqlite3_column_text(st, 1);
	if (app == NULL || user == NULL || strcmp(app, l->app_id) != 0 ||
	    strcmp(user, l->user_id) != 0)
		return BA_ERR_INVALID_CHALLENGE;
	if (sqlite3_column_int(st, 2) != 0)
		return BA_ERR_CHALLENGE_REUSED;
	if (sqlite3_column_int64(st, 3) <= l->now)
		return BA_ERR_CHALLENGE_EXPIRED;
	PREPARE(st, c, SQ_CHAL_CONSUME,
	        "UPDATE challenges SET consumed = 1 WHERE challenge = ?1 AND consumed = 0");
	sq_bind_text(st, 1, l->start_challenge);
	r = step_changed(c, st);
	return r == BA_ERR_NOT_FOUND ? BA_ERR_CHALLENGE_REUSED : r;
}

/* --- sessions and login --- */

/* Checks the key of a login and records its successful use. */
static int login_key(struct sq_conn *c, const struct store_login *l)
{
	sqlite3_stmt *st;
	char *owner = NULL;
	int failed = 0, r;
	int64_t locked_until = 0;

	r = auth_state(c, l->app_id, l->key_id, &owner, &failed, &locked_until);
	if (r != BA_OK)
		goto out;
	if (owner == NULL || strcmp(owner, l->user_id) != 0) {
		r = BA_ERR_NOT_FOUND;
		goto out;
	}
	if (locked_until > l->now) {
		r = BA_ERR_KEY_LOCKED;
		goto out;
	}
	st = sq_prepare(c, SQ_AUTH_SUCCESS_SET,
	                "UPDATE authenticators SET failed_count = 0, locked_until = 0,"
	                " last_used_at = ?3 WHERE app_id = ?1 AND public_key_id = ?2");
	if (st == NULL) {
		r = sq_conn_err(c);
		goto out;
	}
	sq_bind_text(st, 1, l->app_id);
	sq_bind_text(st, 2, l->key_id);
	sq_bind_int64(st, 3, l->now);
	r = step_done(c, st);
out:
	free(owner);
	return r;
}

/* Adds the login's factors to a live session of the same app and user. */
static int session_extend(struct sq_conn *c, const struct store_login *l)
{
	struct model_session cur;
	sqlite3_stmt *st;
	int r = sq_session_load(c, l->existing_session_id, &cur);

	if (r != BA_OK)
		return r;
	if (cur.revoked || cur.expires_at <= l->now || strcmp(cur.app_id, l->app_id) != 0 ||
	    strcmp(cur.user_id, l->user_id) != 0)
		r = BA_ERR_NOT_FOUND;
	model_session_clear(&cur);
	if (r != BA_OK)
		return r;
	PREPARE(st, c, SQ_SESSION_ADD_FACTORS,
	        "UPDATE sessions SET factors = factors | ?2, auth_time = ?3,"
	        " org_id = coalesce(?4, org_id),"
	        " client_attributes = coalesce(?5, client_attributes) WHERE session_id = ?1");
	sq_bind_text(st, 1, l->existing_session_id);
	sq_bind_int64(st, 2, (int64_t)l->session.factors);
	sq_bind_int64(st, 3, l->now);
	sq_bind_text(st, 4, l->session.org_id);
	sq_bind_text(st, 5, l->session.client_attributes);
	return step_done(c, st);
}

static int session_insert(struct sq_conn *c, const struct store_login *l)
{
	const struct model_session *s = &l->session;
	sqlite3_stmt *st;

	PREPARE(st, c, SQ_SESSION_INSERT,
	        "INSERT INTO sessions (session_id, app_id, user_id, factors, org_id,"
	        " client_attributes, created_at, auth_time, expires_at, revoked)"
	        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0)");
	sq_bind_text(st, 1, s->session_id);
	sq_bind_text(st, 2, l->app_id);
	sq_bind_text(st, 3, l->user_id);
	sq_bind_int64(st, 4, (int64_t)s->factors);
	sq_bind_text(st, 5, s->org_id);
	sq_bind_text(st, 6, s->client_attributes);
	sq_bind_int64(st, 7, s->created_at != 0 ? s->created_at : l->now);
	sq_bind_int64(st, 8, l->now);
	sq_bind_int64(st, 9, s->expires_at);
	return step_done(c, st);
}

static int refresh_insert(struct sq_conn *c, const struct model_refresh *rt,
                          const char *session_id, int64_t now)
{
	sqlite3_stmt *st;

	PREPARE(st, c, SQ_REFRESH_INSERT,
	        "INSERT INTO refresh_tokens (hash, session_id, created_at, expires_at, rotated)"
	        " VALUES (?1, ?2, ?3, ?4, 0)");
	sq_bind_blob(st, 1, rt->hash, MODEL_HASH_LEN);
	sq_bind_text(st, 2, session_id);
	sq_bind_int64(st, 3, rt->created_at != 0 ? rt->created_at : now);
	sq_bind_int64(st, 4, rt->expires_at);
	return step_done(c, st);
}

/* SW_LOGIN: every part that is set, in the order store.h lists them. */
static int login(struct sq_conn *c, struct store_write *w)
{
	struct store_login *l = &w->in.login;
	const char *sid = NULL;
	sqlite3_stmt *st;
	int r;

	if (l->app_id == NULL || l->user_id == NULL || (l->has_client_challenge && l->key_id == NULL))
		return BA_ERR_INVALID_REQUEST;
	if (l->start_challenge != NULL && (r = consume_challenge(c, l)) != BA_OK)
		return r;
	if (l->has_client_challenge) {
		PREPARE(st, c, SQ_CC_INSERT,
		        "INSERT INTO client_challenges (app_id, key_id, hash, used_at)"
		        " VALUES (?1, ?2, ?3, ?4)");
		sq_bind_text(st, 1, l->app_id);
		sq_bind_text(st, 2, l->key_id);
		sq_bind_blob(st, 3, l->client_challenge_hash, MODEL_HASH_LEN);
		sq_bind_int64(st, 4, l->now);
		r = step_done(c, st);
		if (r != BA_OK)
			return r == BA_ERR_CONFLICT ? BA_ERR_CHALLENGE_REUSED : r;
	}
	if (l->key_id != NULL && (r = login_key(c, l)) != BA_OK)
		return r;
	if (l->existing_session_id != NULL) {
		sid = l->existing_session_id;
		r = session_extend(c, l);
	} else if (l->session.session_id != NULL) {
		sid = l->session.session_id;
		r = session_insert(c, l);
	} else {
		r = BA_OK;
	}
	if (r == BA_OK && !all_zero(l->refresh.hash, MODEL_HASH_LEN))
		r = sid != NULL ? refresh_insert(c, &l->refresh, sid, l->now) : BA_ERR_INVALID_REQUEST;
	if (r == BA_OK && sid != NULL)
		r = sq_session_load(c, sid, &w->out.session);
	return r;
}

/* Revokes a session and drops its refresh tokens; NOT_FOUND if no row. */
static int session_revoke(struct sq_conn *c, const char *app_id, const char *session_id)
{
	sqlite3_stmt *st;
	int r;

	PREPARE(st, c, SQ_SESSION_REVOKE,
	        "UPDATE sessions SET revoked = 1 WHERE session_id = ?1 AND (?2 IS NULL OR app_id = ?2)");
	sq_bind_text(st, 1, session_id);
	sq_bind_text(st, 2, app_id);
	r = step_changed(c, st);
	if (r != BA_OK)
		return r;
	PREPARE(st, c, SQ_REFRESH_DEL_SESSION, "DELETE FROM refresh_tokens WHERE session_id = ?1");
	sq_bind_text(st, 1, session_id);
	return step_done(c, st);
}

/* SW_REFRESH_ROTATE, see store.h. */
static int refresh_rotate(struct sq_conn *c, struct store_write *w)
{
	struct store_refresh_rotate *rr = &w->in.refresh;
	char *sid = NULL;
	sqlite3_stmt *st;
	bool rotated, live;
	int r;

	st = sq_prepare(c, SQ_REFRESH_LOOKUP,
	                "SELECT r.session_id, r.expires_at, r.rotated, s.app_id, s.revoked,"
	                " s.expires_at FROM refresh_tokens r"
	                " JOIN sessions s ON s.session_id = r.session_id WHERE r.hash = ?1");
	if (st == NULL)
		return sq_conn_err(c);
	sq_bind_blob(st, 1, rr->old_hash, MODEL_HASH_LEN);
	r = step_row(c, st);
	if (r != BA_OK)
		return r == BA_ERR_NOT_FOUND ? BA_ERR_INVALID_GRANT : r;
	live = sqlite3_column_int64(st, 1) > rr->now && sqlite3_column_int(st, 4) == 0 &&
	       sqlite3_column_int64(st, 5) > rr->now;
	if (rr->app_id != NULL) {
		const char *app = (const char *)sqlite3_column_text(st, 3);

		live = live && app != NULL && strcmp(app, rr->app_id) == 0;
	}
	rotated = sqlite3_column_int(st, 2) != 0;
	if (!live)
		return BA_ERR_INVALID_GRANT;
	if (!sq_col_str(st, 0, &sid))
		return BA_ERR_NOMEM;
	if (rotated) {
		/* Reuse of a spent token: someone else holds a copy. */
		w->out.reuse_detected = true;
		r = session_revoke(c, NULL, sid);
	} else {
		st = sq_prepare(c, SQ_REFRESH_MARK,
		                "UPDATE refresh_tokens SET rotated = 1 WHERE hash = ?1 AND rotated = 0");
		if (st == NULL) {
			r = sq_conn_err(c);
			goto out;
		}
		sq_bind_blob(st, 1, rr->old_hash, MODEL_HASH_LEN);
		r = step_changed(c, st);
		if (r == BA_OK)
			r = all_zero(rr->next.hash, MODEL_HASH_LEN) ? BA_ERR_INVALID_REQUEST :
			    refresh_insert(c, &rr->next, sid, or_now(rr->now));
	}
	if (r == BA_OK)
		r = sq_session_load(c, sid, &w->out.session);
out:
	free(sid);
	return r;
}

/* --- keys, revocations, purge --- */

/* SW_SIGNING_KEY_ROTATE (first = false) and SW_SIGNING_KEY_FIRST. */
static int signing_key_rotate(struct sq_conn *c, const struct model_signing_key *k, bool first)
{
	int64_t created = or_now(k->created_at);
	sqlite3_stmt *st;
	int r;

	if (k->kid == NULL || k->alg == NULL || k->private_pem == NULL)
		return BA_ERR_INVALID_REQUEST;
	if (first) {
		PREPARE(st, c, SQ_SKEY_HAS_CURRENT,
		        "SELECT 1 FROM signing_keys WHERE retired_at = 0 LIMIT 1");
		r = step_row(c, st);
		if (r != BA_ERR_NOT_FOUND)
			return r == BA_OK ? BA_ERR_CONFLICT : r;
	} else {
		PREPARE(st, c, SQ_SKEY_RETIRE, "UPDATE signing_keys SET retired_at = ?1 WHERE retired_at = 0");
		sq_bind_int64(st, 1, created);
		r = step_done(c, st);
		if (r != BA_OK)
			return r;
	}
	PREPARE(st, c, SQ_SKEY_INSERT,
	        "INSERT INTO signing_keys (kid, alg, private_pem, created_at, retired_at)"
	        " VALUES (?1, ?2, ?3, ?4, ?5)");
	sq_bind_text(st, 1, k->kid);
	sq_bind_text(st, 2, k->alg);
	sq_bind_text(st, 3, k->private_pem);
	sq_bind_int64(st, 4, created);
	sq_bind_int64(st, 5, k->retired_at);
	return step_done(c, st);
}

/* SW_SIGNING_KEY_RESEAL: the private part of kid, and nothing else. */
static int signing_key_reseal(struct sq_conn *c, const struct model_signing_key *k)
{
	sqlite3_stmt *st;

	if (k->kid == NULL || k->private_pem == NULL)
		return BA_ERR_INVALID_REQUEST;
	PREPARE(st, c, SQ_SKEY_RESEAL, "UPDATE signing_keys SET private_pem = ?2 WHERE kid = ?1");
	sq_bind_text(st, 1, k->kid);
	sq_bind_text(st, 2, k->private_pem);
	return step_changed(c, st);
}

static int token_revoke(struct sq_conn *c, const char *jti, int64_t expires_at)
{
	sqlite3_stmt *st;

	if (jti == NULL)
		return BA_ERR_INVALID_REQUEST;
	PREPARE(st, c, SQ_JTI_INSERT,
	        "INSERT INTO revoked_tokens (jti, expires_at) VALUES (?1, ?2)"
	        " ON CONFLICT (jti) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)");
	sq_bind_text(st, 1, jti);
	sq_bind_int64(st, 2, expires_at);
	return step_done(c, st);
}

static int purge(struct sq_conn *c, int64_t before)
{
	static const struct { enum sq_stmt id; const char *sql; } q[] = {
		{SQ_PURGE_CHAL, "DELETE FROM challenges WHERE expires_at < ?1"},
		{SQ_PURGE_REFRESH, "DELETE FROM refresh_tokens WHERE expires_at < ?1"},
		{SQ_PURGE_SESSIONS, "DELETE FROM sessions WHERE expires_at < ?1"},
		{SQ_PURGE_JTI, "DELETE FROM revoked_tokens WHERE expires_at < ?1"},
		{SQ_PURGE_SKEYS, "DELETE FROM signing_keys WHERE retired_at <> 0 AND retired_at < ?1"},
	};
	sqlite3_stmt *st;
	int r = BA_OK;

	for (size_t i = 0; r == BA_OK && i < sizeof(q) / sizeof(q[0]); i++) {
		PREPARE(st, c, q[i].id, q[i].sql);
		sq_bind_int64(st, 1, before);
		r = step_done(c, st);
	}
	return r;
}

static int probe(struct sq_conn *c)
{
	sqlite3_stmt *st;

	PREPARE(st, c, SQ_PROBE, "UPDATE store_health SET probed_at = ?1 WHERE id = 1");
	sq_bind_int64(st, 1, (int64_t)time(NULL));
	return step_changed(c, st);
}

static int migrate(struct sq_store *s)
{
	int version = 0;
	int r = sq_migrate_apply(&s->wconn, &version);

	pthread_mutex_lock(&s->mu);
	s->version = version;
	pthread_mutex_unlock(&s->mu);
	return r;
}

/* Dispatches one write, then adds its audit event; see sqlite_internal.h. */
int sq_apply(struct sq_store *s, struct store_write *w)
{
	struct sq_conn *c = &s->wconn;
	int r;

	model_session_clear(&w->out.session);
	w->out.locked = false;
	w->out.locked_until = 0;
	w->out.reuse_detected = false;
	switch ((int)w->kind) {
	case SQ_KIND_PROBE: r = probe(c); break;
	case SQ_KIND_MIGRATE: r = migrate(s); break;
	case SW_APP_CREATE: r = app_create(c, &w->in.app); break;
	case SW_APP_DELETE: r = app_delete(c, w->in.app_id); break;
	case SW_APP_SET_SECRET:
		r = app_set_secret(c, w->in.app_secret.app_id, w->in.app_secret.secret_hash);
		break;
	case SW_USER_CREATE: r = user_create(c, &w->in.user); break;
	case SW_USER_DELETE: r = user_delete(c, w->in.user_id); break;
	case SW_AUTHENTICATOR_CREATE:
		r = authenticator_create(c, &w->in.authenticator.a, w->in.authenticator.max_per_user);
		break;
	case SW_AUTHENTICATOR_DELETE:
		r = authenticator_delete(c, w->in.authenticator_delete.app_id,
		                         w->in.authenticator_delete.key_id,
		                         w->in.authenticator_delete.user_id);
		break;
	case SW_CHALLENGE_CREATE: r = challenge_create(c, &w->in.challenge); break;
	case SW_AUTH_FAILURE: r = auth_failure(c, w); break;
	case SW_LOGIN: r = login(c, w); break;
	case SW_REFRESH_ROTATE: r = refresh_rotate(c, w); break;
	case SW_SESSION_REVOKE:
		r = session_revoke(c, w->in.session_revoke.app_id, w->in.session_revoke.session_id);
		break;
	case SW_SIGNING_KEY_ROTATE: r = signing_key_rotate(c, &w->in.signing_key, false); break;
	case SW_SIGNING_KEY_FIRST: r = signing_key_rotate(c, &w->in.signing_key, true); break;
	case SW_SIGNING_KEY_RESEAL: r = signing_key_reseal(c, &w->in.signing_key); break;
	case SW_TOKEN_REVOKE:
		r = token_revoke(c, w->in.token_revoke.jti, w->in.token_revoke.expires_at);
		break;
	case SW_AUDIT: r = w->audit != NULL ? BA_OK : BA_ERR_INVALID_REQUEST; break;
	case SW_PURGE: r = purge(c, w->in.purge.before); break;
	default: r = BA_ERR_INVALID_REQUEST; break;
	}
	/* AUTH_FAILURE inserts its event itself, before its "lock" event */
	if (r == BA_OK && w->audit != NULL && (int)w->kind != SQ_KIND_PROBE &&
	    (int)w->kind != SQ_KIND_MIGRATE && w->kind != SW_AUTH_FAILURE)
		r = audit_insert(c, w->audit);
	return r;
}
