/*
 * sqlite_read.c - the read methods of the SQLite backend.
 *
 * Each read checks out a pooled read-only connection, runs its prepared
 * statements and returns the connection. A read made of one statement runs
 * in autocommit (the statement is its own snapshot); one that needs several
 * statements to agree (an app and its resources) runs them inside one read
 * transaction, opened with a prepared BEGIN and ended by sq_reader_put()
 * with a prepared ROLLBACK. Results are copied into the
 * caller's structs; the caller clears them.
 */
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "store/sqlite_internal.h"

#define APP_COLS \
	"app_id, name, client_id, client_secret_hash, access_ttl, id_ttl, " \
	"refresh_ttl, allow_client_challenges, max_authenticators, created_at, " \
	"require_biometric_to_enrol"
#define USER_COLS "user_id, username, password_hash, created_at, updated_at"
#define AUTH_COLS \
	"app_id, public_key_id, user_id, key_type, public_key, os, encryption_type, " \
	"device_id, display_name, challenge, attestation, created_at, last_used_at, " \
	"failed_count, locked_until"
#define CHAL_COLS \
	"challenge, app_id, user_id, device_id, approval_data, created_at, expires_at, consumed"
#define SESSION_COLS \
	"session_id, app_id, user_id, factors, org_id, client_attributes, " \
	"created_at, auth_time, expires_at, revoked"
#define AUDIT_COLS \
	"id, time, event, outcome, reason, app_id, user_id, key_id, client_attributes"

/* Fills one element of a growing list; each row filler has this shape. */
typedef int (*row_fn)(sqlite3_stmt *st, void *elem);

/*
 * Steps `st` to the end, appending one `size`-byte element per row (filled
 * by `fill`) to a calloc'd array. Stops at SQ_LIST_MAX rows. On error the
 * partial array is freed with `clear` on each element.
 */
static int collect(sqlite3_stmt *st, size_t size, row_fn fill, void (*clear)(void *),
                   void **out, size_t *n)
{
	unsigned char *arr = NULL;
	size_t len = 0, cap = 0;
	int r = BA_OK, rc = SQLITE_DONE;

	*out = NULL;
	*n = 0;
	while (len < SQ_LIST_MAX && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (len == cap) {
			size_t ncap = cap == 0 ? 16 : cap * 2;
			unsigned char *na = realloc(arr, ncap * size);

			if (na == NULL) {
				r = BA_ERR_NOMEM;
				goto out;
			}
			memset(na + cap * size, 0, (ncap - cap) * size);
			arr = na;
			cap = ncap;
		}
		r = fill(st, arr + len * size);
		if (r != BA_OK)
			goto out;
		len++;
	}
	if (len < SQ_LIST_MAX && rc != SQLITE_DONE)
		r = sq_err(rc) != BA_OK ? sq_err(rc) : BA_ERR_INTERNAL;
out:
	if (r != BA_OK) {
		for (size_t i = 0; i <= len && i < cap; i++)
			clear(arr + i * size);
		free(arr);
		return r;
	}
	*out = arr;
	*n = len;
	return BA_OK;
}

/* Steps `st` once: BA_OK on a row, NOT_FOUND when none, else the error. */
static int step_one(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	if (rc == SQLITE_ROW)
		return BA_OK;
	if (rc == SQLITE_DONE)
		return BA_ERR_NOT_FOUND;
	return sq_err(rc) != BA_OK ? sq_err(rc) : BA_ERR_INTERNAL;
}

/* --- row fillers --- */

static int row_app(sqlite3_stmt *st, void *elem)
{
	struct model_app *a = elem;

	if (!sq_col_str(st, 0, &a->app_id) || !sq_col_str(st, 1, &a->name) ||
	    !sq_col_str(st, 2, &a->client_id))
		return BA_ERR_NOMEM;
	if (!sq_col_fixed(st, 3, a->client_secret_hash, MODEL_HASH_LEN))
		return BA_ERR_INTERNAL;
	a->access_ttl = sqlite3_column_int64(st, 4);
	a->id_ttl = sqlite3_column_int64(st, 5);
	a->refresh_ttl = sqlite3_column_int64(st, 6);
	a->allow_client_challenges = sqlite3_column_int(st, 7) != 0;
	a->max_authenticators = sqlite3_column_int(st, 8);
	a->created_at = sqlite3_column_int64(st, 9);
	a->require_biometric_to_enrol = sqlite3_column_int(st, 10) != 0;
	return BA_OK;
}

static int row_user(sqlite3_stmt *st, void *elem)
{
	struct model_user *u = elem;

	if (!sq_col_str(st, 0, &u->user_id) || !sq_col_str(st, 1, &u->username) ||
	    !sq_col_str(st, 2, &u->password_hash))
		return BA_ERR_NOMEM;
	u->created_at = sqlite3_column_int64(st, 3);
	u->updated_at = sqlite3_column_int64(st, 4);
	return BA_OK;
}

static int row_auth(sqlite3_stmt *st, void *elem)
{
	struct model_authenticator *a = elem;
	int len;

	if (!sq_col_str(st, 0, &a->app_id) || !sq_col_str(st, 1, &a->public_key_id) ||
	    !sq_col_str(st, 2, &a->user_id) || !sq_col_str(st, 5, &a->os) ||
	    !sq_col_str(st, 6, &a->encryption_type) || !sq_col_str(st, 7, &a->device_id) ||
	    !sq_col_str(st, 8, &a->display_name) || !sq_col_str(st, 9, &a->challenge) ||
	    !sq_col_str(st, 10, &a->attestation))
		return BA_ERR_NOMEM;
	a->key_type = sqlite3_column_int(st, 3);
	len = sqlite3_column_bytes(st, 4);
	if (len > 0) {
		const void *b = sqlite3_column_blob(st, 4);

		a->public_key_der = malloc((size_t)len);
		if (b == NULL || a->public_key_der == NULL)
			return BA_ERR_NOMEM;
		memcpy(a->public_key_der, b, (size_t)len);
		a->public_key_der_len = (size_t)len;
	}
	a->created_at = sqlite3_column_int64(st, 11);
	a->last_used_at = sqlite3_column_int64(st, 12);
	a->failed_count = sqlite3_column_int(st, 13);
	a->locked_until = sqlite3_column_int64(st, 14);
	return BA_OK;
}

static int row_chal(sqlite3_stmt *st, struct model_challenge *c)
{
	if (!sq_col_str(st, 0, &c->challenge) || !sq_col_str(st, 1, &c->app_id) ||
	    !sq_col_str(st, 2, &c->user_id) || !sq_col_str(st, 3, &c->device_id) ||
	    !sq_col_str(st, 4, &c->approval_data))
		return BA_ERR_NOMEM;
	c->created_at = sqlite3_column_int64(st, 5);
	c->expires_at = sqlite3_column_int64(st, 6);
	c->consumed = sqlite3_column_int(st, 7) != 0;
	return BA_OK;
}

static int row_session(sqlite3_stmt *st, struct model_session *s)
{
	if (!sq_col_str(st, 0, &s->session_id) || !sq_col_str(st, 1, &s->app_id) ||
	    !sq_col_str(st, 2, &s->user_id) || !sq_col_str(st, 4, &s->org_id) ||
	    !sq_col_str(st, 5, &s->client_attributes))
		return BA_ERR_NOMEM;
	s->factors = (unsigned)sqlite3_column_int64(st, 3);
	s->created_at = sqlite3_column_int64(st, 6);
	s->auth_time = sqlite3_column_int64(st, 7);
	s->expires_at = sqlite3_column_int64(st, 8);
	s->revoked = sqlite3_column_int(st, 9) != 0;
	return BA_OK;
}

static int row_skey(sqlite3_stmt *st, void *elem)
{
	struct model_signing_key *k = elem;

	if (!sq_col_str(st, 0, &k->kid) || !sq_col_str(st, 1, &k->alg) ||
	    !sq_col_str(st, 2, &k->private_pem))
		return BA_ERR_NOMEM;
	k->created_at = sqlite3_column_int64(st, 3);
	k->retired_at = sqlite3_column_int64(st, 4);
	return BA_OK;
}

static int row_audit(sqlite3_stmt *st, void *elem)
{
	struct model_audit *e = elem;

	if (!sq_col_str(st, 2, &e->event) || !sq_col_str(st, 3, &e->outcome) ||
	    !sq_col_str(st, 4, &e->reason) || !sq_col_str(st, 5, &e->app_id) ||
	    !sq_col_str(st, 6, &e->user_id) || !sq_col_str(st, 7, &e->key_id) ||
	    !sq_col_str(st, 8, &e->client_attributes))
		return BA_ERR_NOMEM;
	e->id = sqlite3_column_int64(st, 0);
	e->time = sqlite3_column_int64(st, 1);
	return BA_OK;
}

static void clear_app(void *p) { model_app_clear(p); }
static void clear_user(void *p) { model_user_clear(p); }
static void clear_auth(void *p) { model_authenticator_clear(p); }
static void clear_skey(void *p) { model_signing_key_clear(p); }
static void clear_audit(void *p) { model_audit_clear(p); }

/* --- apps --- */

/* Loads the resource URIs of `a` (already holding app_id). */
static int load_resources(struct sq_conn *c, struct model_app *a)
{
	sqlite3_stmt *st = sq_prepare(c, SQ_APP_RESOURCES,
	                              "SELECT uri FROM app_resources WHERE app_id = ?1 ORDER BY pos");
	int rc = SQLITE_DONE;

	if (st == NULL)
		return sq_conn_err(c);
	sq_bind_text(st, 1, a->app_id);
	while (a->n_resources < MODEL_MAX_RESOURCES && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (!sq_col_str(st, 0, &a->resources[a->n_resources]))
			return BA_ERR_NOMEM;
		a->n_resources++;
	}
	if (a->n_resources < MODEL_MAX_RESOURCES && rc != SQLITE_DONE)
		return sq_conn_err(c);
	return BA_OK;
}

/* One app by `key` through statement `id` (by app_id or client_id). */
static int app_get_by(struct store *st, enum sq_stmt id, const char *sql, const char *key,
                      struct model_app *out)
{
	struct sq_store *s = (struct sq_store *)st;
	struct sq_conn *c = sq_reader_get(s);
	sqlite3_stmt *q;
	int r;

	memset(out, 0, sizeof(*out));
	r = sq_exec(c, SQ_READ_BEGIN, "BEGIN");
	if (r != BA_OK)
		goto out;
	q = sq_prepare(c, id, sql);
	if (q == NULL) {
		r = sq_conn_err(c);
		goto out;
	}
	sq_bind_text(q, 1, key);
	r = step_one(q);
	if (r == BA_OK)
		r = row_app(q, out);
	if (r == BA_OK)
		r = load_resources(c, out);
out:
	sq_reader_put(s, c); /* ends the read transaction */
	if (r != BA_OK)
		model_app_clear(out);
	return r;
}

int sq_app_get(struct store *s, const char *app_id, struct model_app *out)
{
	return app_get_by(s, SQ_APP_GET, "SELECT " APP_COLS " FROM apps WHERE app_id = ?1",
	                  app_id, out);
}

int sq_app_get_by_client_id(struct store *s, const char *client_id, struct model_app *out)
{
	return app_get_by(s, SQ_APP_GET_BY_CLIENT,
	                  "SELECT " APP_COLS " FROM apps WHERE client_id = ?1", client_id, out);
}

int sq_app_list(struct store *st, struct model_app **out, size_t *n)
{
	struct sq_store *s = (struct sq_store *)st;
	struct sq_conn *c = sq_reader_get(s);
	sqlite3_stmt *q;
	void *arr = NULL;
	int r;

	*out = NULL;
	*n = 0;
	r = sq_exec(c, SQ_READ_BEGIN, "BEGIN");
	if (r != BA_OK)
		goto out;
	q = sq_prepare(c, SQ_APP_LIST, "SELECT " APP_COLS " FROM apps ORDER BY created_at, app_id");
	if (q == NULL) {
		r = sq_conn_err(c);
		goto out;
	}
	r = collect(q, sizeof(struct model_app), row_app, clear_app, &arr, n);
	for (size_t i = 0; r == BA_OK && i < *n; i++)
		r = load_resources(c, (struct model_app *)arr + i);
	if (r != BA_OK) {
		store_free_apps(arr, *n);
		arr = NULL;
		*n = 0;
	}
	*out = arr;
out:
	sq_reader_put(s, c);
	return r;
}

/* --- single-row reads --- */

/*
 * Runs the single-row read `sql` with text parameters p1 (and p2 if not
 * NULL), filling `out` with `fill`; `clear` undoes a partial fill.
 */
static int get_one(struct store *st, enum sq_stmt id, const char *sql, const char *p1,
                   const char *p2, row_fn fill, void (*clear)(void *), void *out)
{
	struct sq_store *s = (struct sq_store *)st;
	struct sq_conn *c = sq_reader_get(s);
	sqlite3_stmt *q = sq_prepare(c, id, sql);
	int r;

	if (q == NULL) {
		r = sq_conn_err(c);
		goto out;
	}
	sq_bind_text(q, 1, p1);
	if (p2 != NULL)
		sq_bind_text(q, 2, p2);
	r = step_one(q);
	if (r == BA_OK)
		r = fill(q, out);
	if (r != BA_OK)
		clear(out);
out:
	sq_reader_put(s, c);
	return r;
}

int sq_user_get(struct store *s, const char *user_id, struct model_user *out)
{
	memset(out, 0, sizeof(*out));
	return get_one(s, SQ_USER_GET, "SELECT " USER_COLS " FROM users WHERE user_id = ?1",
	               user_id, NULL, row_user, clear_user, out);
}

int sq_user_get_by_username(struct store *s, const char *username, struct model_user *out)
{
	memset(out, 0, sizeof(*out));
	return get_one(s, SQ_USER_GET_BY_NAME, "SELECT " USER_COLS " FROM users WHERE username = ?1",
	               username, NULL, row_user, clear_user, out);
}

int sq_authenticator_get(struct store *s, const char *app_id, const char *key_id,
                         struct model_authenticator *out)
{
	memset(out, 0, sizeof(*out));
	if (app_id == NULL || key_id == NULL)
		return BA_ERR_NOT_FOUND;
	return get_one(s, SQ_AUTH_GET,
	               "SELECT " AUTH_COLS " FROM authenticators"
	               " WHERE app_id = ?1 AND public_key_id = ?2",
	               app_id, key_id, row_auth, clear_auth, out);
}

static int row_chal_v(sqlite3_stmt *st, void *elem) { return row_chal(st, elem); }
static void clear_chal(void *p) { model_challenge_clear(p); }

int sq_challenge_get(struct store *s, const char *challenge, struct model_challenge *out)
{
	memset(out, 0, sizeof(*out));
	return get_one(s, SQ_CHAL_GET, "SELECT " CHAL_COLS " FROM challenges WHERE challenge = ?1",
	               challenge, NULL, row_chal_v, clear_chal, out);
}

int sq_session_load(struct sq_conn *c, const char *session_id, struct model_session *out)
{
	sqlite3_stmt *q = sq_prepare(c, SQ_SESSION_GET,
	                             "SELECT " SESSION_COLS " FROM sessions WHERE session_id = ?1");
	int r;

	memset(out, 0, sizeof(*out));
	if (q == NULL)
		return sq_conn_err(c);
	sq_bind_text(q, 1, session_id);
	r = step_one(q);
	if (r == BA_OK)
		r = row_session(q, out);
	sqlite3_reset(q);
	if (r != BA_OK)
		model_session_clear(out);
	return r;
}

int sq_session_get(struct store *st, const char *session_id, struct model_session *out)
{
	struct sq_store *s = (struct sq_store *)st;
	struct sq_conn *c = sq_reader_get(s);
	int r = sq_session_load(c, session_id, out);

	sq_reader_put(s, c);
	return r;
}

int sq_refresh_get(struct store *st, const uint8_t hash[MODEL_HASH_LEN], struct model_refresh *out)
{
	struct sq_store *s = (struct sq_store *)st;
	struct sq_conn *c = sq_reader_get(s);
	sqlite3_stmt *q = sq_prepare(c, SQ_REFRESH_GET,
	                             "SELECT hash, session_id, created_at, expires_at, rotated"
	                             " FROM refresh_tokens WHERE hash = ?1");
	int r;

	memset(out, 0, sizeof(*out));
	if (q == NULL) {
		r = sq_conn_err(c);
		goto out;
	}
	sq_bind_blob(q, 1, hash, MODEL_HASH_LEN);
	r = step_one(q);
	if (r != BA_OK)
		goto out;
	if (!sq_col_fixed(q, 0, out->hash, MODEL_HASH_LEN)) {
		r = BA_ERR_INTERNAL;
		goto out;
	}
	if (!sq_col_str(q, 1, &out->session_id)) {
		r = BA_ERR_NOMEM;
		goto out;
	}
	out->created_at = sqlite3_column_int64(q, 2);
	out->expires_at = sqlite3_column_int64(q, 3);
	out->rotated = sqlite3_column_int(q, 4) != 0;
out:
	sq_reader_put(s, c);
	if (r != BA_OK)
		model_refresh_clear(out);
	return r;
}

int sq_token_is_revoked(struct store *st, const char *jti, bool *revoked)
{
	struct sq_store *s = (struct sq_store *)st;
	struct sq_conn *c = sq_reader_get(s);
	sqlite3_stmt *q = sq_prepare(c, SQ_JTI_GET, "SELECT 1 FROM revoked_tokens WHERE jti = ?1");
	int r;

	*revoked = false;
	if (q == NULL) {
		r = sq_conn_err(c);
		goto out;
	}
	sq_bind_text(q, 1, jti);
	r = step_one(q);
	*revoked = r == BA_OK;
	if (r == BA_ERR_NOT_FOUND)
		r = BA_OK;
out:
	sq_reader_put(s, c);
	return r;
}

/* --- lists --- */

/* Runs list statement `id` with up to two text parameters and collects it. */
static int list(struct store *st, enum sq_stmt id, const char *sql, const char *p1,
                const char *p2, size_t size, row_fn fill, void (*clear)(void *),
                void **out, size_t *n)
{
	struct sq_store *s = (struct sq_store *)st;
	struct sq_conn *c = sq_reader_get(s);
	sqlite3_stmt *q = sq_prepare(c, id, sql);
	int r;

	*out = NULL;
	*n = 0;
	if (q == NULL) {
		r = sq_conn_err(c);
		goto out;
	}
	if (p1 != NULL)
		sq_bind_text(q, 1, p1);
	if (p2 != NULL)
		sq_bind_text(q, 2, p2);
	r = collect(q, size, fill, clear, out, n);
out:
	sq_reader_put(s, c);
	return r;
}

int sq_user_list(struct store *s, struct model_user **out, size_t *n)
{
	void *arr;
	int r = list(s, SQ_USER_LIST, "SELECT " USER_COLS " FROM users ORDER BY created_at, user_id",
	             NULL, NULL, sizeof(**out), row_user, clear_user, &arr, n);

	*out = arr;
	return r;
}

/*
 * Lists authenticators of `user_id` in `app_id`; either may be NULL for
 * "any". Each combination has its own statement so it uses its index.
 */
int sq_authenticator_list(struct store *s, const char *app_id, const char *user_id,
                          struct model_authenticator **out, size_t *n)
{
	void *arr;
	int r;

	if (app_id != NULL && user_id != NULL)
		r = list(s, SQ_AUTH_LIST_APP_USER,
		         "SELECT " AUTH_COLS " FROM authenticators WHERE app_id = ?1 AND user_id = ?2"
		         " ORDER BY created_at, rowid",
		         app_id, user_id, sizeof(**out), row_auth, clear_auth, &arr, n);
	else if (user_id != NULL)
		r = list(s, SQ_AUTH_LIST_USER,
		         "SELECT " AUTH_COLS " FROM authenticators WHERE user_id = ?1"
		         " ORDER BY created_at, rowid",
		         user_id, NULL, sizeof(**out), row_auth, clear_auth, &arr, n);
	else if (app_id != NULL)
		r = list(s, SQ_AUTH_LIST_APP,
		         "SELECT " AUTH_COLS " FROM authenticators WHERE app_id = ?1"
		         " ORDER BY created_at, rowid",
		         app_id, NULL, sizeof(**out), row_auth, clear_auth, &arr, n);
	else
		r = list(s, SQ_AUTH_LIST_ALL,
		         "SELECT " AUTH_COLS " FROM authenticators ORDER BY created_at, rowid",
		         NULL, NULL, sizeof(**out), row_auth, clear_auth, &arr, n);
	*out = arr;
	return r;
}

int sq_signing_key_list(struct store *s, struct model_signing_key **out, size_t *n)
{
	void *arr;
	int r = list(s, SQ_SKEY_LIST,
	             "SELECT kid, alg, private_pem, created_at, retired_at FROM signing_keys"
	             " ORDER BY created_at DESC, rowid DESC",
	             NULL, NULL, sizeof(**out), row_skey, clear_skey, &arr, n);

	*out = arr;
	return r;
}

/* Newest first, filtered by user and/or app and `since`; at most `limit`. */
int sq_audit_list(struct store *st, const struct store_audit_filter *f,
                  struct model_audit **out, size_t *n)
{
	struct sq_store *s = (struct sq_store *)st;
	struct sq_conn *c = sq_reader_get(s);
	const char *user = f != NULL ? f->user_id : NULL;
	const char *app = f != NULL ? f->app_id : NULL;
	size_t limit = f != NULL && f->limit != 0 ? f->limit : 1000;
	sqlite3_stmt *q;
	void *arr = NULL;
	int r;

	*out = NULL;
	*n = 0;
	if (limit > SQ_LIST_MAX)
		limit = SQ_LIST_MAX;
	if (user != NULL && app != NULL)
		q = sq_prepare(c, SQ_AUDIT_LIST_USER_APP,
		               "SELECT " AUDIT_COLS " FROM audit WHERE time >= ?1 AND user_id = ?3"
		               " AND app_id = ?4 ORDER BY id DESC LIMIT ?2");
	else if (user != NULL)
		q = sq_prepare(c, SQ_AUDIT_LIST_USER,
		               "SELECT " AUDIT_COLS " FROM audit WHERE time >= ?1 AND user_id = ?3"
		               " ORDER BY id DESC LIMIT ?2");
	else if (app != NULL)
		q = sq_prepare(c, SQ_AUDIT_LIST_APP,
		               "SELECT " AUDIT_COLS " FROM audit WHERE time >= ?1 AND app_id = ?4"
		               " ORDER BY id DESC LIMIT ?2");
	else
		q = sq_prepare(c, SQ_AUDIT_LIST,
		               "SELECT " AUDIT_COLS " FROM audit WHERE time >= ?1"
		               " ORDER BY id DESC LIMIT ?2");
	if (q == NULL) {
		r = sq_conn_err(c);
		goto out;
	}
	sq_bind_int64(q, 1, f != NULL ? f->since : 0);
	sq_bind_int64(q, 2, (int64_t)limit);
	if (user != NULL)
		sq_bind_text(q, 3, user);
	if (app != NULL)
		sq_bind_text(q, 4, app);
	r = collect(q, sizeof(struct model_audit), row_audit, clear_audit, &arr, n);
	*out = arr;
out:
	sq_reader_put(s, c);
	return r;
}
