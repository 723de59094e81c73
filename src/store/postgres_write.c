/*
 * postgres_write.c - the write kinds of the PostgreSQL backend (store.h).
 *
 * Each function runs on a writer thread's connection inside the transaction
 * postgres.c opened; it commits on BA_OK and rolls back on anything else, so
 * a function may change rows and then fail and none of its changes stay.
 * The semantics are those of the SQLite backend (sqlite_write.c).
 *
 * Unlike SQLite's single writer, several transactions - from this process's
 * writers and from other bioauthd instances - run at once (READ COMMITTED),
 * so every check-then-change holds a lock on what it checked:
 *  - a /start challenge is consumed by one conditional UPDATE (... AND NOT
 *    consumed); a concurrent consumer waits for the row and then finds it
 *    consumed;
 *  - a refresh token is read FOR UPDATE before it is marked rotated, so of
 *    two concurrent exchanges the second sees the first's rotation (and
 *    treats it as reuse);
 *  - a key's failure counter and lock are read FOR UPDATE;
 *  - client-made challenges, ids and key ids rely on unique keys (INSERT ...
 *    ON CONFLICT DO NOTHING reports the loser);
 *  - the per-user key count takes a transaction-scoped advisory lock on
 *    (app, user), and signing-key rotation locks the signing_keys table, so
 *    the count or the set of current keys cannot change until commit.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "store/lockout.h"
#include "store/postgres_internal.h"

enum {
	W_AUDIT_INSERT,
	W_APP_INSERT, W_APP_RES_INSERT, W_APP_DELETE, W_APP_SET_SECRET,
	W_USER_INSERT, W_USER_DELETE, W_USER_DEL_AUTHS, W_USER_DEL_SESSIONS, W_USER_DEL_CHALS,
	W_AUTH_LOCK, W_AUTH_EXISTS, W_AUTH_COUNT, W_AUTH_INSERT, W_AUTH_DELETE,
	W_AUTH_STATE_GET, W_AUTH_FAIL_SET, W_AUTH_SUCCESS_SET,
	W_CHAL_INSERT, W_CHAL_CONSUME, W_CHAL_STATE, W_CC_INSERT,
	W_SESSION_INSERT, W_SESSION_ADD_FACTORS, W_SESSION_GET, W_SESSION_REVOKE,
	W_REFRESH_INSERT, W_REFRESH_LOOKUP, W_REFRESH_MARK, W_REFRESH_DEL_SESSION,
	W_SKEY_LOCK, W_SKEY_RETIRE, W_SKEY_INSERT, W_SKEY_HAS_CURRENT, W_JTI_INSERT,
	W_PURGE_CHAL, W_PURGE_REFRESH, W_PURGE_SESSIONS, W_PURGE_JTI, W_PURGE_SKEYS,
	W_SKEY_RESEAL,
	W__COUNT
};

const struct pg_stmt pg_write_stmts[] = {
	[W_AUDIT_INSERT] = { "w_audit_insert",
		"INSERT INTO audit (time, event, outcome, reason, app_id, user_id, key_id,"
		" client_attributes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id" },
	[W_APP_INSERT] = { "w_app_insert",
		"INSERT INTO apps (app_id, name, client_id, client_secret_hash, access_ttl, id_ttl,"
		" refresh_ttl, allow_client_challenges, max_authenticators, created_at)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING" },
	[W_APP_RES_INSERT] = { "w_app_res_insert",
		"INSERT INTO app_resources (app_id, pos, uri) VALUES ($1, $2, $3)" },
	[W_APP_DELETE] = { "w_app_delete",
		"DELETE FROM apps WHERE app_id = $1" },
	[W_APP_SET_SECRET] = { "w_app_set_secret",
		"UPDATE apps SET client_secret_hash = $2 WHERE app_id = $1" },
	[W_USER_INSERT] = { "w_user_insert",
		"INSERT INTO users (user_id, username, password_hash, created_at, updated_at)"
		" VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING" },
	[W_USER_DELETE] = { "w_user_delete",
		"DELETE FROM users WHERE user_id = $1" },
	[W_USER_DEL_AUTHS] = { "w_user_del_auths",
		"DELETE FROM authenticators WHERE user_id = $1" },
	[W_USER_DEL_SESSIONS] = { "w_user_del_sessions",
		"DELETE FROM sessions WHERE user_id = $1" },
	[W_USER_DEL_CHALS] = { "w_user_del_chals",
		"DELETE FROM challenges WHERE user_id = $1" },
	[W_AUTH_LOCK] = { "w_auth_lock",
		"SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))" },
	[W_AUTH_EXISTS] = { "w_auth_exists",
		"SELECT true FROM authenticators WHERE app_id = $1 AND public_key_id = $2" },
	[W_AUTH_COUNT] = { "w_auth_count",
		"SELECT count(*) FROM authenticators WHERE app_id = $1 AND user_id = $2" },
	[W_AUTH_INSERT] = { "w_auth_insert",
		"INSERT INTO authenticators (app_id, public_key_id, user_id, key_type, public_key,"
		" os, encryption_type, device_id, display_name, challenge, attestation,"
		" created_at, last_used_at, failed_count, locked_until)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
		" ON CONFLICT DO NOTHING" },
	[W_AUTH_DELETE] = { "w_auth_delete",
		"DELETE FROM authenticators WHERE app_id = $1 AND public_key_id = $2"
		" AND ($3::text IS NULL OR user_id = $3)" },
	[W_AUTH_STATE_GET] = { "w_auth_state_get",
		"SELECT user_id, failed_count, locked_until FROM authenticators"
		" WHERE app_id = $1 AND public_key_id = $2 FOR UPDATE" },
	[W_AUTH_FAIL_SET] = { "w_auth_fail_set",
		"UPDATE authenticators SET failed_count = $3, locked_until = $4"
		" WHERE app_id = $1 AND public_key_id = $2" },
	[W_AUTH_SUCCESS_SET] = { "w_auth_success_set",
		"UPDATE authenticators SET failed_count = 0, locked_until = 0, last_used_at = $3"
		" WHERE app_id = $1 AND public_key_id = $2" },
	[W_CHAL_INSERT] = { "w_chal_insert",
		"INSERT INTO challenges (challenge, app_id, user_id, device_id, approval_data,"
		" created_at, expires_at, consumed) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
		" ON CONFLICT DO NOTHING" },
	[W_CHAL_CONSUME] = { "w_chal_consume",
		"UPDATE challenges SET consumed = true WHERE challenge = $1 AND app_id = $2"
		" AND user_id = $3 AND NOT consumed AND expires_at > $4" },
	[W_CHAL_STATE] = { "w_chal_state",
		"SELECT app_id, user_id, consumed, expires_at FROM challenges WHERE challenge = $1" },
	[W_CC_INSERT] = { "w_cc_insert",
		"INSERT INTO client_challenges (app_id, key_id, hash, used_at)"
		" VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING" },
	[W_SESSION_INSERT] = { "w_session_insert",
		"INSERT INTO sessions (session_id, app_id, user_id, factors, org_id,"
		" client_attributes, created_at, auth_time, expires_at, revoked)"
		" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, false) ON CONFLICT DO NOTHING" },
	[W_SESSION_ADD_FACTORS] = { "w_session_add_factors",
		"UPDATE sessions SET factors = factors | $4, auth_time = $5,"
		" org_id = coalesce($6, org_id), client_attributes = coalesce($7, client_attributes)"
		" WHERE session_id = $1 AND app_id = $2 AND user_id = $3 AND NOT revoked"
		" AND expires_at > $5" },
	[W_SESSION_GET] = { "w_session_get",
		"SELECT " PG_SESSION_COLS " FROM sessions WHERE session_id = $1" },
	[W_SESSION_REVOKE] = { "w_session_revoke",
		"UPDATE sessions SET revoked = true WHERE session_id = $1"
		" AND ($2::text IS NULL OR app_id = $2)" },
	[W_REFRESH_INSERT] = { "w_refresh_insert",
		"INSERT INTO refresh_tokens (hash, session_id, created_at, expires_at, rotated)"
		" VALUES ($1, $2, $3, $4, false) ON CONFLICT DO NOTHING" },
	[W_REFRESH_LOOKUP] = { "w_refresh_lookup",
		"SELECT r.session_id, r.expires_at, r.rotated, s.app_id, s.revoked, s.expires_at"
		" FROM refresh_tokens r JOIN sessions s ON s.session_id = r.session_id"
		" WHERE r.hash = $1 FOR UPDATE OF r" },
	[W_REFRESH_MARK] = { "w_refresh_mark",
		"UPDATE refresh_tokens SET rotated = true WHERE hash = $1 AND NOT rotated" },
	[W_REFRESH_DEL_SESSION] = { "w_refresh_del_session",
		"DELETE FROM refresh_tokens WHERE session_id = $1" },
	[W_SKEY_LOCK] = { "w_skey_lock",
		"LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE" },
	[W_SKEY_RETIRE] = { "w_skey_retire",
		"UPDATE signing_keys SET retired_at = $1 WHERE retired_at = 0" },
	[W_SKEY_INSERT] = { "w_skey_insert",
		"INSERT INTO signing_keys (kid, alg, private_pem, created_at, retired_at)"
		" VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING" },
	[W_SKEY_RESEAL] = { "w_skey_reseal",
		"UPDATE signing_keys SET private_pem = $2 WHERE kid = $1" },
	[W_SKEY_HAS_CURRENT] = { "w_skey_has_current",
		"SELECT 1 FROM signing_keys WHERE retired_at = 0 LIMIT 1" },
	[W_JTI_INSERT] = { "w_jti_insert",
		"INSERT INTO revoked_tokens (jti, expires_at) VALUES ($1, $2)"
		" ON CONFLICT (jti) DO UPDATE"
		" SET expires_at = greatest(revoked_tokens.expires_at, excluded.expires_at)" },
	[W_PURGE_CHAL] = { "w_purge_chal",
		"DELETE FROM challenges WHERE expires_at < $1" },
	[W_PURGE_REFRESH] = { "w_purge_refresh",
		"DELETE FROM refresh_tokens WHERE expires_at < $1" },
	[W_PURGE_SESSIONS] = { "w_purge_sessions",
		"DELETE FROM sessions WHERE expires_at < $1" },
	[W_PURGE_JTI] = { "w_purge_jti",
		"DELETE FROM revoked_tokens WHERE expires_at < $1" },
	[W_PURGE_SKEYS] = { "w_purge_skeys",
		"DELETE FROM signing_keys WHERE retired_at <> 0 AND retired_at < $1" },
};
const size_t pg_write_stmts_n = W__COUNT;

/* `t`, or the current time when `t` is 0. */
static int64_t or_now(int64_t t)
{
	return t != 0 ? t : (int64_t)time(NULL);
}

static bool all_zero(const uint8_t *b, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= b[i];
	return acc == 0;
}

/* Runs write statement `st`; *res (when res is not NULL) receives the
 * result, otherwise it is freed. */
static int run(struct pg_conn *pc, int st, const struct pg_params *p, PGresult **res)
{
	PGresult *r;
	int rc = pg_exec(pc, &pg_write_stmts[st], p, &r);

	if (res != NULL)
		*res = r;
	else
		PQclear(r);
	return rc;
}

/* Runs `st` and turns "no row changed" (or returned) into NOT_FOUND. */
static int run_changed(struct pg_conn *pc, int st, const struct pg_params *p)
{
	PGresult *r;
	int rc = pg_exec(pc, &pg_write_stmts[st], p, &r);

	if (rc == BA_OK && strcmp(PQcmdTuples(r), "0") == 0)
		rc = BA_ERR_NOT_FOUND;
	PQclear(r);
	return rc;
}

/* Runs an INSERT ... ON CONFLICT DO NOTHING and turns "nothing inserted"
 * into `taken` (a unique key of the row exists). A missing parent row
 * (foreign key) is NOT_FOUND. */
static int run_insert(struct pg_conn *pc, int st, const struct pg_params *p, int taken)
{
	PGresult *r;
	int rc = pg_exec(pc, &pg_write_stmts[st], p, &r);

	if (rc == BA_OK && strcmp(PQcmdTuples(r), "0") == 0)
		rc = taken;
	PQclear(r);
	return rc;
}

/* Inserts audit event `e` and stores its new id in e->id. */
static int audit_insert(struct pg_conn *pc, struct model_audit *e)
{
	struct pg_params p = { 0 };
	PGresult *res;
	int r;

	if (e->event == NULL || e->outcome == NULL)
		return BA_ERR_INVALID_REQUEST;
	pgp_int(&p, or_now(e->time));
	pgp_text(&p, e->event);
	pgp_text(&p, e->outcome);
	pgp_text(&p, e->reason);
	pgp_text(&p, e->app_id);
	pgp_text(&p, e->user_id);
	pgp_text(&p, e->key_id);
	pgp_text(&p, e->client_attributes);
	r = run(pc, W_AUDIT_INSERT, &p, &res);
	if (r != BA_OK)
		return r;
	r = PQntuples(res) == 1 ? pg_col_int(res, 0, 0, &e->id) : BA_ERR_INTERNAL;
	PQclear(res);
	return r;
}

/* ------------------------------------------------------- apps and users */

static int app_create(struct pg_conn *pc, const struct model_app *a)
{
	struct pg_params p = { 0 };
	int r;

	if (a->app_id == NULL || a->name == NULL || a->client_id == NULL ||
	    a->n_resources > MODEL_MAX_RESOURCES)
		return BA_ERR_INVALID_REQUEST;
	pgp_text(&p, a->app_id);
	pgp_text(&p, a->name);
	pgp_text(&p, a->client_id);
	pgp_bytes(&p, a->client_secret_hash, MODEL_HASH_LEN);
	pgp_int(&p, a->access_ttl);
	pgp_int(&p, a->id_ttl);
	pgp_int(&p, a->refresh_ttl);
	pgp_bool(&p, a->allow_client_challenges);
	pgp_int(&p, a->max_authenticators);
	pgp_int(&p, or_now(a->created_at));
	r = run_insert(pc, W_APP_INSERT, &p, BA_ERR_CONFLICT);   /* app_id or client_id taken */
	for (size_t i = 0; r == BA_OK && i < a->n_resources; i++) {
		struct pg_params q = { 0 };

		if (a->resources[i] == NULL)
			return BA_ERR_INVALID_REQUEST;
		pgp_text(&q, a->app_id);
		pgp_int(&q, (int64_t)i);
		pgp_text(&q, a->resources[i]);
		r = run(pc, W_APP_RES_INSERT, &q, NULL);
	}
	return r;
}

static int by_id(struct pg_conn *pc, int st, const char *id)
{
	struct pg_params p = { 0 };

	pgp_text(&p, id);
	return run_changed(pc, st, &p);
}

static int app_set_secret(struct pg_conn *pc, const char *app_id, const uint8_t *hash)
{
	struct pg_params p = { 0 };

	pgp_text(&p, app_id);
	pgp_bytes(&p, hash, MODEL_HASH_LEN);
	return run_changed(pc, W_APP_SET_SECRET, &p);
}

static int user_create(struct pg_conn *pc, const struct model_user *u)
{
	struct pg_params p = { 0 };

	if (u->user_id == NULL)
		return BA_ERR_INVALID_REQUEST;
	pgp_text(&p, u->user_id);
	pgp_text(&p, u->username);
	pgp_text(&p, u->password_hash);
	pgp_int(&p, or_now(u->created_at));
	pgp_int(&p, u->updated_at != 0 ? u->updated_at : or_now(u->created_at));
	return run_insert(pc, W_USER_INSERT, &p, BA_ERR_CONFLICT);   /* user_id or username taken */
}

/* Deletes the user and its authenticators, sessions (and so their refresh
 * tokens) and challenges in every app. */
static int user_delete(struct pg_conn *pc, const char *user_id)
{
	static const int also[] = { W_USER_DEL_AUTHS, W_USER_DEL_SESSIONS, W_USER_DEL_CHALS };
	int r = by_id(pc, W_USER_DELETE, user_id);

	for (size_t i = 0; r == BA_OK && i < sizeof(also) / sizeof(also[0]); i++) {
		struct pg_params p = { 0 };

		pgp_text(&p, user_id);
		r = run(pc, also[i], &p, NULL);
	}
	return r;
}

/* ------------------------------------------------------- authenticators */

/*
 * Registers a key: CONFLICT when (app, key id) exists, MAX_AUTHENTICATORS
 * when the user already has `max` (> 0) keys in the app, NOT_FOUND for an
 * unknown app. The advisory lock on (app, user) makes the count exact
 * against concurrent registrations of the same user.
 */
static int authenticator_create(struct pg_conn *pc, const struct model_authenticator *a, int max)
{
	struct pg_params k = { 0 }, p = { 0 };
	PGresult *res;
	int64_t count = 0;
	int r;

	if (a->app_id == NULL || a->public_key_id == NULL || a->user_id == NULL ||
	    a->public_key_der == NULL || a->public_key_der_len == 0)
		return BA_ERR_INVALID_REQUEST;
	pgp_text(&k, a->app_id);
	pgp_text(&k, a->user_id);
	r = run(pc, W_AUTH_LOCK, &k, NULL);
	if (r != BA_OK)
		return r;
	pgp_text(&p, a->app_id);
	pgp_text(&p, a->public_key_id);
	r = run_changed(pc, W_AUTH_EXISTS, &p);
	if (r != BA_ERR_NOT_FOUND)
		return r == BA_OK ? BA_ERR_CONFLICT : r;
	if (max > 0) {
		r = run(pc, W_AUTH_COUNT, &k, &res);
		if (r != BA_OK)
			return r;
		r = PQntuples(res) == 1 ? pg_col_int(res, 0, 0, &count) : BA_ERR_INTERNAL;
		PQclear(res);
		if (r != BA_OK)
			return r;
		if (count >= max)
			return BA_ERR_MAX_AUTHENTICATORS;
	}
	memset(&p, 0, sizeof(p));
	pgp_text(&p, a->app_id);
	pgp_text(&p, a->public_key_id);
	pgp_text(&p, a->user_id);
	pgp_int(&p, a->key_type);
	pgp_bytes(&p, a->public_key_der, a->public_key_der_len);
	pgp_text(&p, a->os);
	pgp_text(&p, a->encryption_type);
	pgp_text(&p, a->device_id);
	pgp_text(&p, a->display_name);
	pgp_text(&p, a->challenge);
	pgp_text(&p, a->attestation);
	pgp_int(&p, or_now(a->created_at));
	pgp_int(&p, a->last_used_at);
	pgp_int(&p, a->failed_count);
	pgp_int(&p, a->locked_until);
	return run_insert(pc, W_AUTH_INSERT, &p, BA_ERR_CONFLICT);   /* unknown app: NOT_FOUND */
}

static int authenticator_delete(struct pg_conn *pc, const char *app_id, const char *key_id,
                                const char *user_id)
{
	struct pg_params p = { 0 };

	pgp_text(&p, app_id);
	pgp_text(&p, key_id);
	pgp_text(&p, user_id);
	return run_changed(pc, W_AUTH_DELETE, &p);
}

/* Reads and locks a key's state: user_id (copied to *user when asked),
 * failed_count, locked_until. NOT_FOUND without such key. */
static int auth_state(struct pg_conn *pc, const char *app_id, const char *key_id,
                      char **user, int *failed, int64_t *locked_until)
{
	struct pg_params p = { 0 };
	PGresult *res;
	int r;

	pgp_text(&p, app_id);
	pgp_text(&p, key_id);
	r = run(pc, W_AUTH_STATE_GET, &p, &res);
	if (r != BA_OK)
		return r;
	if (PQntuples(res) == 0)
		r = BA_ERR_NOT_FOUND;
	else if ((user == NULL || (r = pg_col_str(res, 0, 0, user)) == BA_OK) &&
	         (r = pg_col_int32(res, 0, 1, failed)) == BA_OK)
		r = pg_col_int(res, 0, 2, locked_until);
	PQclear(res);
	return r;
}

static int auth_state_set(struct pg_conn *pc, const char *app_id, const char *key_id,
                          int failed, int64_t locked_until)
{
	struct pg_params p = { 0 };

	pgp_text(&p, app_id);
	pgp_text(&p, key_id);
	pgp_int(&p, failed);
	pgp_int(&p, locked_until);
	return run(pc, W_AUTH_FAIL_SET, &p, NULL);
}

/*
 * Counts a failed signature, locking the key at the threshold, as
 * lockout_after_failure() decides, and records w->audit; when this failure
 * locked the key, a "lock" audit event (outcome "success") follows it.
 */
static int auth_failure(struct pg_conn *pc, struct store_write *w)
{
	const char *app_id = w->in.auth_failure.app_id, *key_id = w->in.auth_failure.key_id;
	int64_t now = or_now(w->in.auth_failure.now), locked_until = 0;
	char *user = NULL;
	struct lockout lo;
	int failed = 0, r;

	r = auth_state(pc, app_id, key_id, &user, &failed, &locked_until);
	if (r != BA_OK)
		goto out;
	lockout_after_failure(failed, locked_until, now, w->in.auth_failure.threshold,
	                      w->in.auth_failure.lock_seconds, &lo);
	w->out.locked = lo.locked;
	w->out.locked_until = lo.locked ? lo.locked_until : 0;
	if (w->audit != NULL && (r = audit_insert(pc, w->audit)) != BA_OK)
		goto out;
	if (lo.lock_event) {
		struct model_audit lock = {
			.time = now, .event = "lock", .outcome = "success",
			.app_id = (char *)(uintptr_t)app_id, .key_id = (char *)(uintptr_t)key_id,
			.user_id = user,
			.client_attributes = w->audit != NULL ? w->audit->client_attributes : NULL,
		};

		r = audit_insert(pc, &lock);
		if (r != BA_OK)
			goto out;
	}
	if (lo.store)
		r = auth_state_set(pc, app_id, key_id, lo.failed_count, lo.locked_until);
out:
	free(user);
	return r;
}

/* ------------------------------------------------------------ challenges */

static int challenge_create(struct pg_conn *pc, const struct model_challenge *ch)
{
	struct pg_params p = { 0 };

	if (ch->challenge == NULL || ch->app_id == NULL || ch->user_id == NULL)
		return BA_ERR_INVALID_REQUEST;
	pgp_text(&p, ch->challenge);
	pgp_text(&p, ch->app_id);
	pgp_text(&p, ch->user_id);
	pgp_text(&p, ch->device_id);
	pgp_text(&p, ch->approval_data);
	pgp_int(&p, or_now(ch->created_at));
	pgp_int(&p, ch->expires_at);
	pgp_bool(&p, ch->consumed);
	return run_insert(pc, W_CHAL_INSERT, &p, BA_ERR_CONFLICT);   /* unknown app: NOT_FOUND */
}

/*
 * Consumes the /start challenge of a login in one conditional UPDATE; only
 * when that changes nothing is the challenge read to tell why (unknown or
 * another user's: INVALID_CHALLENGE; consumed: REUSED; expired: EXPIRED).
 */
static int consume_challenge(struct pg_conn *pc, const struct store_login *l)
{
	struct pg_params p = { 0 }, q = { 0 };
	PGresult *res;
	char *app = NULL, *user = NULL;
	bool consumed = false;
	int64_t expires_at = 0;
	int r;

	pgp_text(&p, l->start_challenge);
	pgp_text(&p, l->app_id);
	pgp_text(&p, l->user_id);
	pgp_int(&p, l->now);
	r = run_changed(pc, W_CHAL_CONSUME, &p);
	if (r != BA_ERR_NOT_FOUND)
		return r;

	pgp_text(&q, l->start_challenge);
	r = run(pc, W_CHAL_STATE, &q, &res);
	if (r != BA_OK)
		return r;
	if (PQntuples(res) == 0) {
		r = BA_ERR_INVALID_CHALLENGE;
		goto out;
	}
	if ((r = pg_col_str(res, 0, 0, &app)) != BA_OK ||
	    (r = pg_col_str(res, 0, 1, &user)) != BA_OK ||
	    (r = pg_col_bool(res, 0, 2, &consumed)) != BA_OK ||
	    (r = pg_col_int(res, 0, 3, &expires_at)) != BA_OK)
		goto out;
	if (app == NULL || user == NULL || strcmp(app, l->app_id) != 0 ||
	    strcmp(user, l->user_id) != 0)
		r = BA_ERR_INVALID_CHALLENGE;
	else if (expires_at <= l->now && !consumed)
		r = BA_ERR_CHALLENGE_EXPIRED;
	else
		r = BA_ERR_CHALLENGE_REUSED;
out:
	free(app);
	free(user);
	PQclear(res);
	return r;
}

/* -------------------------------------------------- sessions and login */

/* Checks the key of a login (locking its row) and records its use. */
static int login_key(struct pg_conn *pc, const struct store_login *l)
{
	struct pg_params p = { 0 };
	char *owner = NULL;
	int failed = 0, r;
	int64_t locked_until = 0;

	r = auth_state(pc, l->app_id, l->key_id, &owner, &failed, &locked_until);
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
	pgp_text(&p, l->app_id);
	pgp_text(&p, l->key_id);
	pgp_int(&p, l->now);
	r = run(pc, W_AUTH_SUCCESS_SET, &p, NULL);
out:
	free(owner);
	return r;
}

/* Adds the login's factors (and its org_id / client_attributes when set)
 * to a live session of the same app and user: one conditional UPDATE,
 * NOT_FOUND when it matches nothing. */
static int session_extend(struct pg_conn *pc, const struct store_login *l)
{
	struct pg_params p = { 0 };

	pgp_text(&p, l->existing_session_id);
	pgp_text(&p, l->app_id);
	pgp_text(&p, l->user_id);
	pgp_int(&p, (int64_t)l->session.factors);
	pgp_int(&p, l->now);
	pgp_text(&p, l->session.org_id);
	pgp_text(&p, l->session.client_attributes);
	return run_changed(pc, W_SESSION_ADD_FACTORS, &p);
}

static int session_insert(struct pg_conn *pc, const struct store_login *l)
{
	const struct model_session *s = &l->session;
	struct pg_params p = { 0 };

	pgp_text(&p, s->session_id);
	pgp_text(&p, l->app_id);
	pgp_text(&p, l->user_id);
	pgp_int(&p, (int64_t)s->factors);
	pgp_text(&p, s->org_id);
	pgp_text(&p, s->client_attributes);
	pgp_int(&p, s->created_at != 0 ? s->created_at : l->now);
	pgp_int(&p, l->now);
	pgp_int(&p, s->expires_at);
	return run_insert(pc, W_SESSION_INSERT, &p, BA_ERR_CONFLICT);   /* unknown app: NOT_FOUND */
}

/* Reads session `sid` as this transaction sees it into *out. */
static int session_load(struct pg_conn *pc, const char *sid, struct model_session *out)
{
	struct pg_params p = { 0 };
	PGresult *res;
	int r;

	pgp_text(&p, sid);
	r = run(pc, W_SESSION_GET, &p, &res);
	if (r != BA_OK)
		return r;
	r = PQntuples(res) == 1 ? pg_row_session(res, 0, out) : BA_ERR_NOT_FOUND;
	PQclear(res);
	return r;
}

static int refresh_insert(struct pg_conn *pc, const struct model_refresh *rt,
                          const char *session_id, int64_t now)
{
	struct pg_params p = { 0 };

	pgp_bytes(&p, rt->hash, MODEL_HASH_LEN);
	pgp_text(&p, session_id);
	pgp_int(&p, rt->created_at != 0 ? rt->created_at : now);
	pgp_int(&p, rt->expires_at);
	return run_insert(pc, W_REFRESH_INSERT, &p, BA_ERR_CONFLICT);
}

/* SW_LOGIN: every part that is set, in the order store.h lists them. */
static int login(struct pg_conn *pc, struct store_write *w)
{
	struct store_login *l = &w->in.login;
	const char *sid = NULL;
	int r;

	if (l->app_id == NULL || l->user_id == NULL || (l->has_client_challenge && l->key_id == NULL))
		return BA_ERR_INVALID_REQUEST;
	if (l->start_challenge != NULL && (r = consume_challenge(pc, l)) != BA_OK)
		return r;
	/* Lock the key's row before inserting its (key, challenge) pair: the
	 * pair's foreign key would share-lock the row first, and two logins of
	 * one key upgrading share locks to FOR UPDATE deadlock each other. */
	if (l->key_id != NULL && (r = login_key(pc, l)) != BA_OK)
		return r;
	if (l->has_client_challenge) {
		struct pg_params p = { 0 };

		pgp_text(&p, l->app_id);
		pgp_text(&p, l->key_id);
		pgp_bytes(&p, l->client_challenge_hash, MODEL_HASH_LEN);
		pgp_int(&p, l->now);
		r = run_insert(pc, W_CC_INSERT, &p, BA_ERR_CHALLENGE_REUSED);   /* unknown key: NOT_FOUND */
		if (r != BA_OK)
			return r;
	}
	if (l->existing_session_id != NULL) {
		sid = l->existing_session_id;
		r = session_extend(pc, l);
	} else if (l->session.session_id != NULL) {
		sid = l->session.session_id;
		r = session_insert(pc, l);
	} else {
		r = BA_OK;
	}
	if (r == BA_OK && !all_zero(l->refresh.hash, MODEL_HASH_LEN))
		r = sid != NULL ? refresh_insert(pc, &l->refresh, sid, l->now) : BA_ERR_INVALID_REQUEST;
	if (r == BA_OK && sid != NULL)
		r = session_load(pc, sid, &w->out.session);
	return r;
}

/* Revokes a session (of `app_id`, NULL = any) and drops its refresh tokens;
 * NOT_FOUND if there is no such session. */
static int session_revoke(struct pg_conn *pc, const char *app_id, const char *session_id)
{
	struct pg_params p = { 0 }, q = { 0 };
	int r;

	pgp_text(&p, session_id);
	pgp_text(&p, app_id);
	r = run_changed(pc, W_SESSION_REVOKE, &p);
	if (r != BA_OK)
		return r;
	pgp_text(&q, session_id);
	return run(pc, W_REFRESH_DEL_SESSION, &q, NULL);
}

/*
 * SW_REFRESH_ROTATE, see store.h. The token row is locked while it is
 * checked, so a concurrent exchange of the same token waits and then sees
 * it rotated: at most one exchange succeeds, the other revokes the session.
 */
static int refresh_rotate(struct pg_conn *pc, struct store_write *w)
{
	struct store_refresh_rotate *rr = &w->in.refresh;
	struct pg_params p = { 0 };
	PGresult *res = NULL;
	char *sid = NULL, *app = NULL;
	int64_t rt_exp = 0, s_exp = 0;
	bool rotated = false, s_revoked = false, live;
	int r;

	pgp_bytes(&p, rr->old_hash, MODEL_HASH_LEN);
	r = run(pc, W_REFRESH_LOOKUP, &p, &res);
	if (r != BA_OK)
		return r;
	if (PQntuples(res) == 0) {
		r = BA_ERR_INVALID_GRANT;
		goto out;
	}
	if ((r = pg_col_str(res, 0, 0, &sid)) != BA_OK ||
	    (r = pg_col_int(res, 0, 1, &rt_exp)) != BA_OK ||
	    (r = pg_col_bool(res, 0, 2, &rotated)) != BA_OK ||
	    (r = pg_col_str(res, 0, 3, &app)) != BA_OK ||
	    (r = pg_col_bool(res, 0, 4, &s_revoked)) != BA_OK ||
	    (r = pg_col_int(res, 0, 5, &s_exp)) != BA_OK)
		goto out;
	live = rt_exp > rr->now && !s_revoked && s_exp > rr->now;
	if (rr->app_id != NULL)
		live = live && app != NULL && strcmp(app, rr->app_id) == 0;
	if (!live || sid == NULL) {
		r = BA_ERR_INVALID_GRANT;
		goto out;
	}
	if (rotated) {
		/* Reuse of a spent token: someone else holds a copy. */
		w->out.reuse_detected = true;
		r = session_revoke(pc, NULL, sid);
	} else {
		r = run_changed(pc, W_REFRESH_MARK, &p);
		if (r == BA_OK)
			r = all_zero(rr->next.hash, MODEL_HASH_LEN) ? BA_ERR_INVALID_REQUEST :
			    refresh_insert(pc, &rr->next, sid, or_now(rr->now));
	}
	if (r == BA_OK)
		r = session_load(pc, sid, &w->out.session);
out:
	free(sid);
	free(app);
	PQclear(res);
	return r;
}

/* ------------------------------------------ keys, revocations, purge */

/* Retires every current signing key as of the new key's creation and
 * inserts it; the table lock keeps two concurrent rotations from both
 * leaving a current key. CONFLICT when the kid exists. */
/* SW_SIGNING_KEY_ROTATE (first = false) and SW_SIGNING_KEY_FIRST; the
 * table lock serialises rotations and first keys across instances. */
static int signing_key_rotate(struct pg_conn *pc, const struct model_signing_key *k, bool first)
{
	int64_t created = or_now(k->created_at);
	struct pg_params p = { 0 }, q = { 0 };
	PGresult *res = NULL;
	int r;

	if (k->kid == NULL || k->alg == NULL || k->private_pem == NULL)
		return BA_ERR_INVALID_REQUEST;
	r = run(pc, W_SKEY_LOCK, NULL, NULL);
	if (r != BA_OK)
		return r;
	if (first) {
		r = run(pc, W_SKEY_HAS_CURRENT, NULL, &res);
		if (r == BA_OK && PQntuples(res) > 0)
			r = BA_ERR_CONFLICT;
		PQclear(res);
	} else {
		pgp_int(&p, created);
		r = run(pc, W_SKEY_RETIRE, &p, NULL);
	}
	if (r != BA_OK)
		return r;
	pgp_text(&q, k->kid);
	pgp_text(&q, k->alg);
	pgp_text(&q, k->private_pem);
	pgp_int(&q, created);
	pgp_int(&q, k->retired_at);
	return run_insert(pc, W_SKEY_INSERT, &q, BA_ERR_CONFLICT);
}

/* SW_SIGNING_KEY_RESEAL: the private part of kid, and nothing else. */
static int signing_key_reseal(struct pg_conn *pc, const struct model_signing_key *k)
{
	struct pg_params p = { 0 };

	if (k->kid == NULL || k->private_pem == NULL)
		return BA_ERR_INVALID_REQUEST;
	pgp_text(&p, k->kid);
	pgp_text(&p, k->private_pem);
	return run_changed(pc, W_SKEY_RESEAL, &p);
}

static int token_revoke(struct pg_conn *pc, const char *jti, int64_t expires_at)
{
	struct pg_params p = { 0 };

	if (jti == NULL)
		return BA_ERR_INVALID_REQUEST;
	pgp_text(&p, jti);
	pgp_int(&p, expires_at);
	return run(pc, W_JTI_INSERT, &p, NULL);
}

static int purge(struct pg_conn *pc, int64_t before)
{
	static const int q[] = {
		W_PURGE_CHAL, W_PURGE_REFRESH, W_PURGE_SESSIONS, W_PURGE_JTI, W_PURGE_SKEYS,
	};
	int r = BA_OK;

	for (size_t i = 0; r == BA_OK && i < sizeof(q) / sizeof(q[0]); i++) {
		struct pg_params p = { 0 };

		pgp_int(&p, before);
		r = run(pc, q[i], &p, NULL);
	}
	return r;
}

/* Dispatches one write, then adds its audit event; see postgres_internal.h. */
int pg_apply(struct pg_conn *pc, struct store_write *w)
{
	int r;

	switch (w->kind) {
	case SW_APP_CREATE: r = app_create(pc, &w->in.app); break;
	case SW_APP_DELETE: r = by_id(pc, W_APP_DELETE, w->in.app_id); break;
	case SW_APP_SET_SECRET:
		r = app_set_secret(pc, w->in.app_secret.app_id, w->in.app_secret.secret_hash);
		break;
	case SW_USER_CREATE: r = user_create(pc, &w->in.user); break;
	case SW_USER_DELETE: r = user_delete(pc, w->in.user_id); break;
	case SW_AUTHENTICATOR_CREATE:
		r = authenticator_create(pc, &w->in.authenticator.a, w->in.authenticator.max_per_user);
		break;
	case SW_AUTHENTICATOR_DELETE:
		r = authenticator_delete(pc, w->in.authenticator_delete.app_id,
		                         w->in.authenticator_delete.key_id,
		                         w->in.authenticator_delete.user_id);
		break;
	case SW_CHALLENGE_CREATE: r = challenge_create(pc, &w->in.challenge); break;
	case SW_AUTH_FAILURE: r = auth_failure(pc, w); break;
	case SW_LOGIN: r = login(pc, w); break;
	case SW_REFRESH_ROTATE: r = refresh_rotate(pc, w); break;
	case SW_SESSION_REVOKE:
		r = session_revoke(pc, w->in.session_revoke.app_id, w->in.session_revoke.session_id);
		break;
	case SW_SIGNING_KEY_ROTATE: r = signing_key_rotate(pc, &w->in.signing_key, false); break;
	case SW_SIGNING_KEY_FIRST: r = signing_key_rotate(pc, &w->in.signing_key, true); break;
	case SW_SIGNING_KEY_RESEAL: r = signing_key_reseal(pc, &w->in.signing_key); break;
	case SW_TOKEN_REVOKE:
		r = token_revoke(pc, w->in.token_revoke.jti, w->in.token_revoke.expires_at);
		break;
	case SW_AUDIT: r = w->audit != NULL ? BA_OK : BA_ERR_INVALID_REQUEST; break;
	case SW_PURGE: r = purge(pc, w->in.purge.before); break;
	default: r = BA_ERR_INVALID_REQUEST; break;
	}
	/* AUTH_FAILURE inserts its event itself, before its "lock" event */
	if (r == BA_OK && w->audit != NULL && w->kind != SW_AUTH_FAILURE)
		r = audit_insert(pc, w->audit);
	return r;
}
