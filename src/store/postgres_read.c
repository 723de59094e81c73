/*
 * postgres_read.c - the reads of the PostgreSQL backend.
 *
 * Each read is one prepared statement on a pooled read connection (one
 * statement sees one snapshot, so an app and its resources are read with a
 * join rather than two queries). Results come in binary format; the column
 * readers of postgres.c check each column's type and size. Orders match the
 * SQLite backend: `seq` plays SQLite's rowid.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/error.h"
#include "store/postgres_internal.h"

#define APP_COLS \
	"a.app_id, a.name, a.client_id, a.client_secret_hash, a.access_ttl, a.id_ttl," \
	" a.refresh_ttl, a.allow_client_challenges, a.max_authenticators, a.created_at," \
	" a.require_biometric_to_enrol," \
	" r.pos, r.uri FROM apps a LEFT JOIN app_resources r ON r.app_id = a.app_id"
#define USER_COLS "user_id, username, password_hash, created_at, updated_at"
#define AUTH_COLS \
	"app_id, public_key_id, user_id, key_type, public_key, os, encryption_type," \
	" device_id, display_name, challenge, attestation, created_at, last_used_at," \
	" failed_count, locked_until"
#define CHAL_COLS \
	"challenge, app_id, user_id, device_id, approval_data, created_at, expires_at, consumed"
#define AUDIT_COLS \
	"id, time, event, outcome, reason, app_id, user_id, key_id, client_attributes"

enum {
	R_APP_GET, R_APP_GET_BY_CLIENT, R_APP_LIST,
	R_USER_GET, R_USER_GET_BY_NAME, R_USER_LIST,
	R_AUTH_GET, R_AUTH_LIST_APP_USER, R_AUTH_LIST_USER, R_AUTH_LIST_APP, R_AUTH_LIST_ALL,
	R_CHAL_GET, R_SESSION_GET, R_REFRESH_GET, R_SKEY_LIST, R_JTI_GET,
	R_AUDIT_LIST, R_AUDIT_LIST_USER, R_AUDIT_LIST_APP, R_AUDIT_LIST_USER_APP,
	R__COUNT
};

const struct pg_stmt pg_read_stmts[] = {
	[R_APP_GET] = { "r_app_get",
		"SELECT " APP_COLS " WHERE a.app_id = $1 ORDER BY r.pos" },
	[R_APP_GET_BY_CLIENT] = { "r_app_get_by_client",
		"SELECT " APP_COLS " WHERE a.client_id = $1 ORDER BY r.pos" },
	[R_APP_LIST] = { "r_app_list",
		"SELECT " APP_COLS " ORDER BY a.created_at, a.app_id, r.pos" },
	[R_USER_GET] = { "r_user_get",
		"SELECT " USER_COLS " FROM users WHERE user_id = $1" },
	[R_USER_GET_BY_NAME] = { "r_user_get_by_name",
		"SELECT " USER_COLS " FROM users WHERE username = $1" },
	[R_USER_LIST] = { "r_user_list",
		"SELECT " USER_COLS " FROM users ORDER BY created_at, user_id" },
	[R_AUTH_GET] = { "r_auth_get",
		"SELECT " AUTH_COLS " FROM authenticators WHERE app_id = $1 AND public_key_id = $2" },
	[R_AUTH_LIST_APP_USER] = { "r_auth_list_app_user",
		"SELECT " AUTH_COLS " FROM authenticators WHERE app_id = $1 AND user_id = $2"
		" ORDER BY created_at, seq" },
	[R_AUTH_LIST_USER] = { "r_auth_list_user",
		"SELECT " AUTH_COLS " FROM authenticators WHERE user_id = $1"
		" ORDER BY created_at, seq" },
	[R_AUTH_LIST_APP] = { "r_auth_list_app",
		"SELECT " AUTH_COLS " FROM authenticators WHERE app_id = $1"
		" ORDER BY created_at, seq" },
	[R_AUTH_LIST_ALL] = { "r_auth_list_all",
		"SELECT " AUTH_COLS " FROM authenticators ORDER BY created_at, seq" },
	[R_CHAL_GET] = { "r_chal_get",
		"SELECT " CHAL_COLS " FROM challenges WHERE challenge = $1" },
	[R_SESSION_GET] = { "r_session_get",
		"SELECT " PG_SESSION_COLS " FROM sessions WHERE session_id = $1" },
	[R_REFRESH_GET] = { "r_refresh_get",
		"SELECT hash, session_id, created_at, expires_at, rotated"
		" FROM refresh_tokens WHERE hash = $1" },
	[R_SKEY_LIST] = { "r_skey_list",
		"SELECT kid, alg, private_pem, created_at, retired_at FROM signing_keys"
		" ORDER BY created_at DESC, seq DESC" },
	[R_JTI_GET] = { "r_jti_get",
		"SELECT true FROM revoked_tokens WHERE jti = $1" },
	[R_AUDIT_LIST] = { "r_audit_list",
		"SELECT " AUDIT_COLS " FROM audit WHERE time >= $1"
		" ORDER BY id DESC LIMIT $2" },
	[R_AUDIT_LIST_USER] = { "r_audit_list_user",
		"SELECT " AUDIT_COLS " FROM audit WHERE time >= $1 AND user_id = $3"
		" ORDER BY id DESC LIMIT $2" },
	[R_AUDIT_LIST_APP] = { "r_audit_list_app",
		"SELECT " AUDIT_COLS " FROM audit WHERE time >= $1 AND app_id = $3"
		" ORDER BY id DESC LIMIT $2" },
	[R_AUDIT_LIST_USER_APP] = { "r_audit_list_user_app",
		"SELECT " AUDIT_COLS " FROM audit WHERE time >= $1 AND user_id = $3"
		" AND app_id = $4 ORDER BY id DESC LIMIT $2" },
};
const size_t pg_read_stmts_n = R__COUNT;

static struct pg_store *pg(struct store *s)
{
	return (struct pg_store *)s;
}

/* ---------------------------------------------------------------- rows */

/*
 * Fills `a` from rows [*row, ...) of an APP_COLS result that share one
 * app_id (one row per resource, or a single row with NULL pos when the app
 * has none) and advances *row past them.
 */
static int rows_app(const PGresult *r, int *row, struct model_app *a)
{
	int n = PQntuples(r), first = *row, rc;
	const char *id = PQgetvalue(r, first, 0);

	memset(a, 0, sizeof(*a));
	if ((rc = pg_col_str(r, first, 0, &a->app_id)) != BA_OK ||
	    (rc = pg_col_str(r, first, 1, &a->name)) != BA_OK ||
	    (rc = pg_col_str(r, first, 2, &a->client_id)) != BA_OK ||
	    (rc = pg_col_hash(r, first, 3, a->client_secret_hash)) != BA_OK ||
	    (rc = pg_col_int(r, first, 4, &a->access_ttl)) != BA_OK ||
	    (rc = pg_col_int(r, first, 5, &a->id_ttl)) != BA_OK ||
	    (rc = pg_col_int(r, first, 6, &a->refresh_ttl)) != BA_OK ||
	    (rc = pg_col_bool(r, first, 7, &a->allow_client_challenges)) != BA_OK ||
	    (rc = pg_col_int32(r, first, 8, &a->max_authenticators)) != BA_OK ||
	    (rc = pg_col_int(r, first, 9, &a->created_at)) != BA_OK ||
	    (rc = pg_col_bool(r, first, 10, &a->require_biometric_to_enrol)) != BA_OK)
		goto fail;
	for (; *row < n && strcmp(PQgetvalue(r, *row, 0), id) == 0; (*row)++) {
		if (PQgetisnull(r, *row, 12) || a->n_resources >= MODEL_MAX_RESOURCES)
			continue;
		rc = pg_col_str(r, *row, 12, &a->resources[a->n_resources]);
		if (rc != BA_OK)
			goto fail;
		a->n_resources++;
	}
	return BA_OK;
fail:
	model_app_clear(a);
	return rc;
}

static int row_user(const PGresult *r, int row, void *out)
{
	struct model_user *u = out;
	int rc;

	if ((rc = pg_col_str(r, row, 0, &u->user_id)) != BA_OK ||
	    (rc = pg_col_str(r, row, 1, &u->username)) != BA_OK ||
	    (rc = pg_col_str(r, row, 2, &u->password_hash)) != BA_OK ||
	    (rc = pg_col_int(r, row, 3, &u->created_at)) != BA_OK ||
	    (rc = pg_col_int(r, row, 4, &u->updated_at)) != BA_OK)
		model_user_clear(u);
	return rc;
}

static int row_auth(const PGresult *r, int row, void *out)
{
	struct model_authenticator *a = out;
	int rc;

	if ((rc = pg_col_str(r, row, 0, &a->app_id)) != BA_OK ||
	    (rc = pg_col_str(r, row, 1, &a->public_key_id)) != BA_OK ||
	    (rc = pg_col_str(r, row, 2, &a->user_id)) != BA_OK ||
	    (rc = pg_col_int32(r, row, 3, &a->key_type)) != BA_OK ||
	    (rc = pg_col_bytes(r, row, 4, &a->public_key_der, &a->public_key_der_len)) != BA_OK ||
	    (rc = pg_col_str(r, row, 5, &a->os)) != BA_OK ||
	    (rc = pg_col_str(r, row, 6, &a->encryption_type)) != BA_OK ||
	    (rc = pg_col_str(r, row, 7, &a->device_id)) != BA_OK ||
	    (rc = pg_col_str(r, row, 8, &a->display_name)) != BA_OK ||
	    (rc = pg_col_str(r, row, 9, &a->challenge)) != BA_OK ||
	    (rc = pg_col_str(r, row, 10, &a->attestation)) != BA_OK ||
	    (rc = pg_col_int(r, row, 11, &a->created_at)) != BA_OK ||
	    (rc = pg_col_int(r, row, 12, &a->last_used_at)) != BA_OK ||
	    (rc = pg_col_int32(r, row, 13, &a->failed_count)) != BA_OK ||
	    (rc = pg_col_int(r, row, 14, &a->locked_until)) != BA_OK)
		model_authenticator_clear(a);
	return rc;
}

static int row_challenge(const PGresult *r, int row, void *out)
{
	struct model_challenge *c = out;
	int rc;

	if ((rc = pg_col_str(r, row, 0, &c->challenge)) != BA_OK ||
	    (rc = pg_col_str(r, row, 1, &c->app_id)) != BA_OK ||
	    (rc = pg_col_str(r, row, 2, &c->user_id)) != BA_OK ||
	    (rc = pg_col_str(r, row, 3, &c->device_id)) != BA_OK ||
	    (rc = pg_col_str(r, row, 4, &c->approval_data)) != BA_OK ||
	    (rc = pg_col_int(r, row, 5, &c->created_at)) != BA_OK ||
	    (rc = pg_col_int(r, row, 6, &c->expires_at)) != BA_OK ||
	    (rc = pg_col_bool(r, row, 7, &c->consumed)) != BA_OK)
		model_challenge_clear(c);
	return rc;
}

int pg_row_session(const PGresult *r, int row, struct model_session *out)
{
	int64_t factors = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = pg_col_str(r, row, 0, &out->session_id)) != BA_OK ||
	    (rc = pg_col_str(r, row, 1, &out->app_id)) != BA_OK ||
	    (rc = pg_col_str(r, row, 2, &out->user_id)) != BA_OK ||
	    (rc = pg_col_int(r, row, 3, &factors)) != BA_OK ||
	    (rc = pg_col_str(r, row, 4, &out->org_id)) != BA_OK ||
	    (rc = pg_col_str(r, row, 5, &out->client_attributes)) != BA_OK ||
	    (rc = pg_col_int(r, row, 6, &out->created_at)) != BA_OK ||
	    (rc = pg_col_int(r, row, 7, &out->auth_time)) != BA_OK ||
	    (rc = pg_col_int(r, row, 8, &out->expires_at)) != BA_OK ||
	    (rc = pg_col_bool(r, row, 9, &out->revoked)) != BA_OK) {
		model_session_clear(out);
		return rc;
	}
	out->factors = (unsigned)factors;
	return BA_OK;
}

static int row_session(const PGresult *r, int row, void *out)
{
	return pg_row_session(r, row, out);
}

static int row_refresh(const PGresult *r, int row, void *out)
{
	struct model_refresh *t = out;
	int rc;

	if ((rc = pg_col_hash(r, row, 0, t->hash)) != BA_OK ||
	    (rc = pg_col_str(r, row, 1, &t->session_id)) != BA_OK ||
	    (rc = pg_col_int(r, row, 2, &t->created_at)) != BA_OK ||
	    (rc = pg_col_int(r, row, 3, &t->expires_at)) != BA_OK ||
	    (rc = pg_col_bool(r, row, 4, &t->rotated)) != BA_OK)
		model_refresh_clear(t);
	return rc;
}

static int row_skey(const PGresult *r, int row, void *out)
{
	struct model_signing_key *k = out;
	int rc;

	if ((rc = pg_col_str(r, row, 0, &k->kid)) != BA_OK ||
	    (rc = pg_col_str(r, row, 1, &k->alg)) != BA_OK ||
	    (rc = pg_col_str(r, row, 2, &k->private_pem)) != BA_OK ||
	    (rc = pg_col_int(r, row, 3, &k->created_at)) != BA_OK ||
	    (rc = pg_col_int(r, row, 4, &k->retired_at)) != BA_OK)
		model_signing_key_clear(k);
	return rc;
}

static int row_audit(const PGresult *r, int row, void *out)
{
	struct model_audit *e = out;
	int rc;

	if ((rc = pg_col_int(r, row, 0, &e->id)) != BA_OK ||
	    (rc = pg_col_int(r, row, 1, &e->time)) != BA_OK ||
	    (rc = pg_col_str(r, row, 2, &e->event)) != BA_OK ||
	    (rc = pg_col_str(r, row, 3, &e->outcome)) != BA_OK ||
	    (rc = pg_col_str(r, row, 4, &e->reason)) != BA_OK ||
	    (rc = pg_col_str(r, row, 5, &e->app_id)) != BA_OK ||
	    (rc = pg_col_str(r, row, 6, &e->user_id)) != BA_OK ||
	    (rc = pg_col_str(r, row, 7, &e->key_id)) != BA_OK ||
	    (rc = pg_col_str(r, row, 8, &e->client_attributes)) != BA_OK)
		model_audit_clear(e);
	return rc;
}

/* Wipes the private key PEMs a signing-key result holds before it is freed
 * (the PGresult owns its memory; its values are writable). */
static void wipe_result_column(PGresult *r, int col)
{
	for (int i = 0; i < PQntuples(r); i++)
		OPENSSL_cleanse(PQgetvalue(r, i, col), (size_t)PQgetlength(r, i, col));
}

/* ----------------------------------------------------------- read shapes */

typedef int (*row_fn)(const PGresult *r, int row, void *out);

/*
 * Runs `st` and fills *out from its single row (NOT_FOUND without one).
 * `out` is zeroed first and left cleared on failure by `fn`.
 */
static int get_one(struct store *s, int st, const struct pg_params *p, size_t size,
                   row_fn fn, void *out)
{
	PGresult *res;
	int r;

	memset(out, 0, size);
	r = pg_read(pg(s), &pg_read_stmts[st], p, &res);
	if (r != BA_OK)
		return r;
	r = PQntuples(res) == 0 ? BA_ERR_NOT_FOUND : fn(res, 0, out);
	PQclear(res);
	return r;
}

/*
 * Runs `st` and returns every row (at most PG_LIST_MAX) as a calloc'd array
 * of `size`-byte elements in *out and their count in *n; NULL and 0 when
 * empty. On failure the filled elements are cleared with `clr` and nothing
 * is returned.
 */
static int get_list(struct store *s, int st, const struct pg_params *p, size_t size,
                    row_fn fn, void (*clr)(void *), void **out, size_t *n)
{
	PGresult *res;
	unsigned char *arr = NULL;
	size_t rows, i = 0;
	int r;

	*out = NULL;
	*n = 0;
	r = pg_read(pg(s), &pg_read_stmts[st], p, &res);
	if (r != BA_OK)
		return r;
	rows = (size_t)PQntuples(res);
	if (rows > PG_LIST_MAX)
		rows = PG_LIST_MAX;
	if (rows > 0) {
		arr = calloc(rows, size);
		if (arr == NULL) {
			r = BA_ERR_NOMEM;
			goto out;
		}
	}
	for (i = 0; i < rows; i++) {
		r = fn(res, (int)i, arr + i * size);
		if (r != BA_OK)
			goto out;
	}
	*out = arr;
	*n = rows;
	arr = NULL;
	r = BA_OK;
out:
	if (arr != NULL) {
		while (i-- > 0)
			clr(arr + i * size);
		free(arr);
	}
	if (st == R_SKEY_LIST)
		wipe_result_column(res, 2);
	PQclear(res);
	return r;
}

/* ----------------------------------------------------------------- apps */

static int app_get_by(struct store *s, int st, const char *key, struct model_app *out)
{
	struct pg_params p = { 0 };
	PGresult *res;
	int row = 0, r;

	memset(out, 0, sizeof(*out));
	if (key == NULL)
		return BA_ERR_NOT_FOUND;
	pgp_text(&p, key);
	r = pg_read(pg(s), &pg_read_stmts[st], &p, &res);
	if (r != BA_OK)
		return r;
	r = PQntuples(res) == 0 ? BA_ERR_NOT_FOUND : rows_app(res, &row, out);
	PQclear(res);
	return r;
}

int pg_app_get(struct store *s, const char *app_id, struct model_app *out)
{
	return app_get_by(s, R_APP_GET, app_id, out);
}

int pg_app_get_by_client_id(struct store *s, const char *client_id, struct model_app *out)
{
	return app_get_by(s, R_APP_GET_BY_CLIENT, client_id, out);
}

/* Every app, ordered by creation; one result row per resource. */
int pg_app_list(struct store *s, struct model_app **out, size_t *n)
{
	struct model_app *arr = NULL;
	PGresult *res;
	size_t count = 0, cap;
	int row = 0, rows, r;

	*out = NULL;
	*n = 0;
	r = pg_read(pg(s), &pg_read_stmts[R_APP_LIST], NULL, &res);
	if (r != BA_OK)
		return r;
	rows = PQntuples(res);
	cap = (size_t)rows;     /* apps <= rows */
	if (cap > PG_LIST_MAX)
		cap = PG_LIST_MAX;
	if (cap > 0) {
		arr = calloc(cap, sizeof(*arr));
		if (arr == NULL) {
			r = BA_ERR_NOMEM;
			goto out;
		}
	}
	while (row < rows && count < cap) {
		r = rows_app(res, &row, &arr[count]);
		if (r != BA_OK)
			goto out;
		count++;
	}
	*out = arr;
	*n = count;
	arr = NULL;
	r = BA_OK;
out:
	store_free_apps(arr, count);
	PQclear(res);
	return r;
}

/* ---------------------------------------------------------------- users */

static void clear_user(void *p) { model_user_clear(p); }
static void clear_auth(void *p) { model_authenticator_clear(p); }
static void clear_skey(void *p) { model_signing_key_clear(p); }
static void clear_audit(void *p) { model_audit_clear(p); }

int pg_user_get(struct store *s, const char *user_id, struct model_user *out)
{
	struct pg_params p = { 0 };

	pgp_text(&p, user_id);
	return get_one(s, R_USER_GET, &p, sizeof(*out), row_user, out);
}

int pg_user_get_by_username(struct store *s, const char *username, struct model_user *out)
{
	struct pg_params p = { 0 };

	pgp_text(&p, username);
	return get_one(s, R_USER_GET_BY_NAME, &p, sizeof(*out), row_user, out);
}

int pg_user_list(struct store *s, struct model_user **out, size_t *n)
{
	void *arr;
	int r = get_list(s, R_USER_LIST, NULL, sizeof(**out), row_user, clear_user, &arr, n);

	*out = arr;
	return r;
}

/* ------------------------------------------------------- authenticators */

int pg_authenticator_get(struct store *s, const char *app_id, const char *key_id,
                         struct model_authenticator *out)
{
	struct pg_params p = { 0 };

	pgp_text(&p, app_id);
	pgp_text(&p, key_id);
	return get_one(s, R_AUTH_GET, &p, sizeof(*out), row_auth, out);
}

/* The keys of `user_id` (NULL = every user) in `app_id` (NULL = every app),
 * oldest first. */
int pg_authenticator_list(struct store *s, const char *app_id, const char *user_id,
                          struct model_authenticator **out, size_t *n)
{
	struct pg_params p = { 0 };
	void *arr;
	int st, r;

	if (app_id != NULL && user_id != NULL)
		st = R_AUTH_LIST_APP_USER;
	else if (user_id != NULL)
		st = R_AUTH_LIST_USER;
	else if (app_id != NULL)
		st = R_AUTH_LIST_APP;
	else
		st = R_AUTH_LIST_ALL;
	if (app_id != NULL)
		pgp_text(&p, app_id);
	if (user_id != NULL)
		pgp_text(&p, user_id);
	r = get_list(s, st, &p, sizeof(**out), row_auth, clear_auth, &arr, n);
	*out = arr;
	return r;
}

/* ------------------------------------------- challenges, sessions, tokens */

int pg_challenge_get(struct store *s, const char *challenge, struct model_challenge *out)
{
	struct pg_params p = { 0 };

	pgp_text(&p, challenge);
	return get_one(s, R_CHAL_GET, &p, sizeof(*out), row_challenge, out);
}

int pg_session_get(struct store *s, const char *session_id, struct model_session *out)
{
	struct pg_params p = { 0 };

	pgp_text(&p, session_id);
	return get_one(s, R_SESSION_GET, &p, sizeof(*out), row_session, out);
}

int pg_refresh_get(struct store *s, const uint8_t hash[MODEL_HASH_LEN], struct model_refresh *out)
{
	struct pg_params p = { 0 };

	pgp_bytes(&p, hash, MODEL_HASH_LEN);
	return get_one(s, R_REFRESH_GET, &p, sizeof(*out), row_refresh, out);
}

int pg_signing_key_list(struct store *s, struct model_signing_key **out, size_t *n)
{
	void *arr;
	int r = get_list(s, R_SKEY_LIST, NULL, sizeof(**out), row_skey, clear_skey, &arr, n);

	*out = arr;
	return r;
}

int pg_token_is_revoked(struct store *s, const char *jti, bool *revoked)
{
	struct pg_params p = { 0 };
	PGresult *res;
	int r;

	*revoked = false;
	pgp_text(&p, jti);
	r = pg_read(pg(s), &pg_read_stmts[R_JTI_GET], &p, &res);
	if (r != BA_OK)
		return r;
	*revoked = PQntuples(res) > 0;
	PQclear(res);
	return BA_OK;
}

/* Newest first, filtered by user and/or app and `since`; at most `limit`
 * (0 = 1000). */
int pg_audit_list(struct store *s, const struct store_audit_filter *f,
                  struct model_audit **out, size_t *n)
{
	const char *user = f != NULL ? f->user_id : NULL;
	const char *app = f != NULL ? f->app_id : NULL;
	size_t limit = f != NULL && f->limit != 0 ? f->limit : 1000;
	struct pg_params p = { 0 };
	void *arr;
	int st, r;

	if (limit > PG_LIST_MAX)
		limit = PG_LIST_MAX;
	if (user != NULL && app != NULL)
		st = R_AUDIT_LIST_USER_APP;
	else if (user != NULL)
		st = R_AUDIT_LIST_USER;
	else if (app != NULL)
		st = R_AUDIT_LIST_APP;
	else
		st = R_AUDIT_LIST;
	pgp_int(&p, f != NULL ? f->since : 0);
	pgp_int(&p, (int64_t)limit);
	if (user != NULL)
		pgp_text(&p, user);
	if (app != NULL)
		pgp_text(&p, app);
	r = get_list(s, st, &p, sizeof(**out), row_audit, clear_audit, &arr, n);
	*out = arr;
	return r;
}
