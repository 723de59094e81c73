/*
 * read.c - the reads of store_ops (store.h), written once for both
 * backends (read.h). One row decoder per entity reads the columns in the
 * order of that entity's column list in statements.c.
 */
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "store/read.h"

/* Decodes the current row of `tx` into `elem`, clearing it on failure. */
typedef int (*row_fn)(struct store_tx *tx, void *elem);

/* An int column that must fit an int. */
static int col_int32(struct store_tx *tx, int col, int *out)
{
	int64_t v = 0;
	int r = tx->ops->col_int(tx, col, &v);

	*out = 0;
	if (r == BA_OK && (v < INT32_MIN || v > INT32_MAX))
		r = BA_ERR_INTERNAL;
	if (r == BA_OK)
		*out = (int)v;
	return r;
}

/* A blob column of exactly MODEL_HASH_LEN bytes. */
static int col_hash(struct store_tx *tx, int col, uint8_t out[MODEL_HASH_LEN])
{
	uint8_t *b = NULL;
	size_t len = 0;
	int r = tx->ops->col_blob(tx, col, &b, &len);

	memset(out, 0, MODEL_HASH_LEN);
	if (r == BA_OK && (b == NULL || len != MODEL_HASH_LEN))
		r = BA_ERR_INTERNAL;
	if (r == BA_OK)
		memcpy(out, b, MODEL_HASH_LEN);
	free(b);
	return r;
}

/* --- row decoders, one per entity --- */

static int row_app(struct store_tx *tx, struct model_app *a)
{
	const struct tx_ops *o = tx->ops;
	int64_t users_api = 0;
	int r;

	if ((r = o->col_text(tx, 0, &a->app_id)) != BA_OK ||
	    (r = o->col_text(tx, 1, &a->name)) != BA_OK ||
	    (r = o->col_text(tx, 2, &a->client_id)) != BA_OK ||
	    (r = col_hash(tx, 3, a->client_secret_hash)) != BA_OK ||
	    (r = o->col_int(tx, 4, &a->access_ttl)) != BA_OK ||
	    (r = o->col_int(tx, 5, &a->id_ttl)) != BA_OK ||
	    (r = o->col_int(tx, 6, &a->refresh_ttl)) != BA_OK ||
	    (r = o->col_bool(tx, 7, &a->allow_client_challenges)) != BA_OK ||
	    (r = col_int32(tx, 8, &a->max_authenticators)) != BA_OK ||
	    (r = o->col_int(tx, 9, &a->created_at)) != BA_OK ||
	    (r = o->col_text(tx, 10, &a->attestation_policy)) != BA_OK ||
	    (r = col_int32(tx, 11, &a->min_client_challenge_bytes)) != BA_OK ||
	    (r = o->col_bool(tx, 12, &a->require_biometric_to_enrol)) != BA_OK ||
	    (r = o->col_int(tx, 13, &a->max_challenges)) != BA_OK ||
	    (r = o->col_int(tx, 14, &a->max_approval_data_bytes)) != BA_OK ||
	    (r = o->col_int(tx, 15, &a->refresh_reuse_interval)) != BA_OK ||
	    (r = o->col_int(tx, 16, &users_api)) != BA_OK)
		model_app_clear(a);
	else
		a->users_api = (unsigned)users_api & USERS_API_ALL;
	return r;
}

static int row_user(struct store_tx *tx, void *elem)
{
	const struct tx_ops *o = tx->ops;
	struct model_user *u = elem;
	int r;

	if ((r = o->col_text(tx, 0, &u->user_id)) != BA_OK ||
	    (r = o->col_text(tx, 1, &u->username)) != BA_OK ||
	    (r = o->col_text(tx, 2, &u->password_hash)) != BA_OK ||
	    (r = o->col_int(tx, 3, &u->created_at)) != BA_OK ||
	    (r = o->col_int(tx, 4, &u->updated_at)) != BA_OK ||
	    (r = o->col_text(tx, 5, &u->email)) != BA_OK ||
	    (r = o->col_bool(tx, 6, &u->email_verified)) != BA_OK ||
	    (r = o->col_text(tx, 7, &u->phone_number)) != BA_OK ||
	    (r = o->col_bool(tx, 8, &u->phone_number_verified)) != BA_OK ||
	    (r = o->col_text(tx, 9, &u->name)) != BA_OK ||
	    (r = o->col_text(tx, 10, &u->external_user_id)) != BA_OK ||
	    (r = o->col_text(tx, 11, &u->custom_data)) != BA_OK ||
	    (r = o->col_bool(tx, 12, &u->password_force_replace)) != BA_OK)
		model_user_clear(u);
	return r;
}

static int row_authenticator(struct store_tx *tx, void *elem)
{
	const struct tx_ops *o = tx->ops;
	struct model_authenticator *a = elem;
	int r;

	if ((r = o->col_text(tx, 0, &a->app_id)) != BA_OK ||
	    (r = o->col_text(tx, 1, &a->public_key_id)) != BA_OK ||
	    (r = o->col_text(tx, 2, &a->user_id)) != BA_OK ||
	    (r = col_int32(tx, 3, &a->key_type)) != BA_OK ||
	    (r = o->col_blob(tx, 4, &a->public_key_der, &a->public_key_der_len)) != BA_OK ||
	    (r = o->col_text(tx, 5, &a->os)) != BA_OK ||
	    (r = o->col_text(tx, 6, &a->encryption_type)) != BA_OK ||
	    (r = o->col_text(tx, 7, &a->device_id)) != BA_OK ||
	    (r = o->col_text(tx, 8, &a->display_name)) != BA_OK ||
	    (r = o->col_text(tx, 9, &a->challenge)) != BA_OK ||
	    (r = o->col_text(tx, 10, &a->attestation)) != BA_OK ||
	    (r = o->col_int(tx, 11, &a->created_at)) != BA_OK ||
	    (r = o->col_int(tx, 12, &a->last_used_at)) != BA_OK ||
	    (r = col_int32(tx, 13, &a->failed_count)) != BA_OK ||
	    (r = o->col_int(tx, 14, &a->locked_until)) != BA_OK ||
	    (r = o->col_text(tx, 15, &a->attestation_verdict)) != BA_OK ||
	    (r = o->col_bool(tx, 16, &a->hwk)) != BA_OK ||
	    (r = o->col_int(tx, 17, &a->appattest_counter)) != BA_OK)
		model_authenticator_clear(a);
	return r;
}

/* A challenge from CHAL_COLS starting at column `at`. */
static int row_challenge_at(struct store_tx *tx, int at, struct model_challenge *c)
{
	const struct tx_ops *o = tx->ops;
	int r;

	if ((r = o->col_text(tx, at, &c->challenge)) != BA_OK ||
	    (r = o->col_text(tx, at + 1, &c->app_id)) != BA_OK ||
	    (r = o->col_text(tx, at + 2, &c->user_id)) != BA_OK ||
	    (r = o->col_text(tx, at + 3, &c->device_id)) != BA_OK ||
	    (r = o->col_text(tx, at + 4, &c->approval_data)) != BA_OK ||
	    (r = o->col_int(tx, at + 5, &c->created_at)) != BA_OK ||
	    (r = o->col_int(tx, at + 6, &c->expires_at)) != BA_OK ||
	    (r = o->col_bool(tx, at + 7, &c->consumed)) != BA_OK)
		model_challenge_clear(c);
	return r;
}

static int row_challenge(struct store_tx *tx, void *elem)
{
	return row_challenge_at(tx, 0, elem);
}

int store_row_session(struct store_tx *tx, struct model_session *out)
{
	const struct tx_ops *o = tx->ops;
	int64_t factors = 0;
	int r;

	if ((r = o->col_text(tx, 0, &out->session_id)) != BA_OK ||
	    (r = o->col_text(tx, 1, &out->app_id)) != BA_OK ||
	    (r = o->col_text(tx, 2, &out->user_id)) != BA_OK ||
	    (r = o->col_int(tx, 3, &factors)) != BA_OK ||
	    (r = o->col_text(tx, 4, &out->org_id)) != BA_OK ||
	    (r = o->col_text(tx, 5, &out->client_attributes)) != BA_OK ||
	    (r = o->col_int(tx, 6, &out->created_at)) != BA_OK ||
	    (r = o->col_int(tx, 7, &out->auth_time)) != BA_OK ||
	    (r = o->col_int(tx, 8, &out->expires_at)) != BA_OK ||
	    (r = o->col_bool(tx, 9, &out->revoked)) != BA_OK) {
		model_session_clear(out);
		return r;
	}
	out->factors = (unsigned)factors;
	return BA_OK;
}

static int row_session(struct store_tx *tx, void *elem)
{
	return store_row_session(tx, elem);
}

static int row_refresh(struct store_tx *tx, void *elem)
{
	const struct tx_ops *o = tx->ops;
	struct model_refresh *t = elem;
	int r;

	if ((r = col_hash(tx, 0, t->hash)) != BA_OK ||
	    (r = o->col_text(tx, 1, &t->session_id)) != BA_OK ||
	    (r = o->col_int(tx, 2, &t->created_at)) != BA_OK ||
	    (r = o->col_int(tx, 3, &t->expires_at)) != BA_OK ||
	    (r = o->col_bool(tx, 4, &t->rotated)) != BA_OK)
		model_refresh_clear(t);
	return r;
}

static int row_skey(struct store_tx *tx, void *elem)
{
	const struct tx_ops *o = tx->ops;
	struct model_signing_key *k = elem;
	int r;

	if ((r = o->col_text(tx, 0, &k->kid)) != BA_OK ||
	    (r = o->col_text(tx, 1, &k->alg)) != BA_OK ||
	    (r = o->col_text(tx, 2, &k->private_pem)) != BA_OK ||
	    (r = o->col_int(tx, 3, &k->created_at)) != BA_OK ||
	    (r = o->col_int(tx, 4, &k->retired_at)) != BA_OK)
		model_signing_key_clear(k);
	return r;
}

static int row_audit(struct store_tx *tx, void *elem)
{
	const struct tx_ops *o = tx->ops;
	struct model_audit *e = elem;
	int r;

	if ((r = o->col_int(tx, 0, &e->id)) != BA_OK ||
	    (r = o->col_int(tx, 1, &e->time)) != BA_OK ||
	    (r = o->col_text(tx, 2, &e->event)) != BA_OK ||
	    (r = o->col_text(tx, 3, &e->outcome)) != BA_OK ||
	    (r = o->col_text(tx, 4, &e->reason)) != BA_OK ||
	    (r = o->col_text(tx, 5, &e->app_id)) != BA_OK ||
	    (r = o->col_text(tx, 6, &e->user_id)) != BA_OK ||
	    (r = o->col_text(tx, 7, &e->key_id)) != BA_OK ||
	    (r = o->col_text(tx, 8, &e->client_attributes)) != BA_OK)
		model_audit_clear(e);
	return r;
}

/*
 * Decodes an app from the current row of an ST_R_APP_* result and its
 * resources from that row and the following ones of the same app_id (the
 * columns after APP_COLS are pos and uri); *row tells whether a row of
 * another app is current afterwards. `a` is cleared on failure.
 */
static int rows_app(struct store_tx *tx, struct model_app *a, bool *row)
{
	int r = row_app(tx, a);

	*row = false;
	while (r == BA_OK) {
		char *uri = NULL, *id = NULL;

		r = tx->ops->col_text(tx, 18, &uri);   /* APP_COLS are 0..16, pos 17 */
		if (uri != NULL && a->n_resources < MODEL_MAX_RESOURCES)
			a->resources[a->n_resources++] = uri;
		else
			free(uri);
		if (r == BA_OK)
			r = tx->ops->next(tx, row);
		if (r != BA_OK || !*row)
			break;
		r = tx->ops->col_text(tx, 0, &id);
		if (r == BA_OK && (id == NULL || strcmp(id, a->app_id) != 0)) {
			free(id);
			break;
		}
		free(id);
	}
	if (r != BA_OK)
		model_app_clear(a);
	return r;
}

/* --- read shapes --- */

/* Runs read statement `id` with `b` on a read connection of `s` and
 * decodes its single row into `out` (zeroed first): NOT_FOUND without one. */
static int get_one(struct store *s, enum st_id id, const struct tx_binds *b, row_fn fill,
                   void *out, size_t size)
{
	struct store_tx *tx = s->ops->reader_get(s);
	bool row = false;
	int r;

	memset(out, 0, size);
	r = tx->ops->run(tx, id, b, &row);
	if (r == BA_OK)
		r = row ? fill(tx, out) : BA_ERR_NOT_FOUND;
	s->ops->reader_put(s, tx);
	return r;
}

/*
 * Runs read statement `id` with `b` and returns every row (at most
 * STORE_LIST_MAX) as a calloc'd array of `size`-byte elements in *out and
 * their count in *n; NULL and 0 when empty. Columns listed in `wipe` (-1:
 * none) hold secrets: the backend's copy is wiped. On failure nothing is
 * returned and what was filled is cleared with `clear`.
 */
static int get_list(struct store *s, enum st_id id, const struct tx_binds *b, size_t size,
                    row_fn fill, void (*clear)(void *), int wipe, void **out, size_t *n)
{
	struct store_tx *tx = s->ops->reader_get(s);
	unsigned char *arr = NULL;
	size_t len = 0, cap = 0;
	bool row = false;
	int r;

	*out = NULL;
	*n = 0;
	r = tx->ops->run(tx, id, b, &row);
	while (r == BA_OK && row && len < STORE_LIST_MAX) {
		if (len == cap) {
			size_t ncap = cap == 0 ? 16 : cap * 2;
			unsigned char *na = realloc(arr, ncap * size);

			if (na == NULL) {
				r = BA_ERR_NOMEM;
				break;
			}
			memset(na + cap * size, 0, (ncap - cap) * size);
			arr = na;
			cap = ncap;
		}
		r = fill(tx, arr + len * size);
		if (r == BA_OK) {
			len++;
			r = tx->ops->next(tx, &row);
		}
	}
	if (wipe >= 0)
		tx->ops->wipe(tx, wipe);
	s->ops->reader_put(s, tx);
	if (r != BA_OK) {
		for (size_t i = 0; i < len; i++)
			clear(arr + i * size);
		free(arr);
		return r;
	}
	*out = arr;
	*n = len;
	return BA_OK;
}

/* get_one() with the one text parameter `key`. */
static int get_by_text(struct store *s, enum st_id id, const char *key, row_fn fill,
                       void *out, size_t size)
{
	struct tx_binds b = { 0 };

	tx_text(&b, key);
	return get_one(s, id, &b, fill, out, size);
}

static void clear_user(void *p) { model_user_clear(p); }
static void clear_authenticator(void *p) { model_authenticator_clear(p); }
static void clear_skey(void *p) { model_signing_key_clear(p); }
static void clear_audit(void *p) { model_audit_clear(p); }

/* --- apps --- */

/* One app by app_id or client_id (statement `id`, with `b`), with its
 * resources; with `revoked`, the flag in column 19 of its first row
 * (ST_R_APP_GET_CALLER). */
static int app_get_by(struct store *s, enum st_id id, const struct tx_binds *b,
                      struct model_app *out, bool *revoked)
{
	struct store_tx *tx = s->ops->reader_get(s);
	bool row = false;
	int r = tx->ops->run(tx, id, b, &row);

	if (r == BA_OK && !row)
		r = BA_ERR_NOT_FOUND;
	if (r == BA_OK && revoked != NULL)
		r = tx->ops->col_bool(tx, 19, revoked);   /* APP_COLS 0..16, pos, uri */
	if (r == BA_OK)
		r = rows_app(tx, out, &row);
	s->ops->reader_put(s, tx);
	return r;
}

/* app_get_by() with the one text parameter `key`. */
static int app_get_by_text(struct store *s, enum st_id id, const char *key,
                           struct model_app *out)
{
	struct tx_binds b = { 0 };

	memset(out, 0, sizeof(*out));
	if (key == NULL)
		return BA_ERR_NOT_FOUND;
	tx_text(&b, key);
	return app_get_by(s, id, &b, out, NULL);
}

int store_app_get(struct store *s, const char *app_id, struct model_app *out)
{
	return app_get_by_text(s, ST_R_APP_GET, app_id, out);
}

int store_app_get_by_client_id(struct store *s, const char *client_id,
                                    struct model_app *out)
{
	return app_get_by_text(s, ST_R_APP_GET_BY_CLIENT, client_id, out);
}

int store_app_get_for_token(struct store *s, const char *app_id, const char *jti,
                            struct model_app *out, bool *revoked)
{
	struct tx_binds b = { 0 };

	memset(out, 0, sizeof(*out));
	*revoked = false;
	if (app_id == NULL || jti == NULL)
		return BA_ERR_NOT_FOUND;
	tx_text(&b, app_id);
	tx_text(&b, jti);
	return app_get_by(s, ST_R_APP_GET_CALLER, &b, out, revoked);
}

/* Every app (at most STORE_LIST_MAX), ordered by creation. */
int store_app_list(struct store *s, struct model_app **out, size_t *n)
{
	struct store_tx *tx = s->ops->reader_get(s);
	struct model_app *arr = NULL;
	size_t len = 0, cap = 0;
	bool row = false;
	int r;

	*out = NULL;
	*n = 0;
	r = tx->ops->run(tx, ST_R_APP_LIST, NULL, &row);
	while (r == BA_OK && row && len < STORE_LIST_MAX) {
		if (len == cap) {
			size_t ncap = cap == 0 ? 16 : cap * 2;
			struct model_app *na = realloc(arr, ncap * sizeof(*arr));

			if (na == NULL) {
				r = BA_ERR_NOMEM;
				break;
			}
			arr = na;
			cap = ncap;
		}
		memset(&arr[len], 0, sizeof(arr[len]));
		r = rows_app(tx, &arr[len], &row);
		if (r == BA_OK)
			len++;
	}
	s->ops->reader_put(s, tx);
	if (r != BA_OK) {
		store_free_apps(arr, len);
		return r;
	}
	*out = arr;
	*n = len;
	return BA_OK;
}

/* --- users, authenticators --- */

int store_user_get(struct store *s, const char *user_id, struct model_user *out)
{
	return get_by_text(s, ST_R_USER_GET, user_id, row_user, out, sizeof(*out));
}

int store_user_get_by_username(struct store *s, const char *username,
                                    struct model_user *out)
{
	return get_by_text(s, ST_R_USER_GET_BY_NAME, username, row_user, out, sizeof(*out));
}

/* Transmit's lookups: by the key of an email (contact_email_key()) and by
 * phone number. */
int store_user_get_by_email_key(struct store *s, const char *email_key,
                                     struct model_user *out)
{
	return get_by_text(s, ST_R_USER_GET_BY_EMAIL_KEY, email_key, row_user, out, sizeof(*out));
}

int store_user_get_by_phone(struct store *s, const char *phone, struct model_user *out)
{
	return get_by_text(s, ST_R_USER_GET_BY_PHONE, phone, row_user, out, sizeof(*out));
}

int store_user_list(struct store *s, struct model_user **out, size_t *n)
{
	void *arr;
	int r = get_list(s, ST_R_USER_LIST, NULL, sizeof(**out), row_user, clear_user, -1,
	                 &arr, n);

	*out = arr;
	return r;
}

int store_authenticator_get(struct store *s, const char *app_id, const char *key_id,
                                 struct model_authenticator *out)
{
	struct tx_binds b = { 0 };

	memset(out, 0, sizeof(*out));
	if (app_id == NULL || key_id == NULL)
		return BA_ERR_NOT_FOUND;
	tx_text(&b, app_id);
	tx_text(&b, key_id);
	return get_one(s, ST_R_AUTHENTICATOR_GET, &b, row_authenticator, out, sizeof(*out));
}

int store_authenticator_get_with_challenge(struct store *s, const char *app_id,
                                          const char *key_id, const char *challenge,
                                          struct model_authenticator *out,
                                          struct model_challenge *chal, bool *has_chal)
{
	struct tx_binds b = { 0 };
	struct store_tx *tx;
	bool row = false;
	int r;

	memset(out, 0, sizeof(*out));
	memset(chal, 0, sizeof(*chal));
	*has_chal = false;
	if (app_id == NULL || key_id == NULL || challenge == NULL)
		return BA_ERR_NOT_FOUND;
	tx_text(&b, app_id);
	tx_text(&b, key_id);
	tx_text(&b, challenge);
	tx = s->ops->reader_get(s);
	r = tx->ops->run(tx, ST_R_AUTHENTICATOR_GET_CHAL, &b, &row);
	if (r == BA_OK && !row)
		r = BA_ERR_NOT_FOUND;
	if (r == BA_OK)
		r = row_authenticator(tx, out);
	if (r == BA_OK) {
		/* AUTHENTICATOR_READ_COLS are 0..17; CHAL_COLS follow, NULL
		 * without a challenge row (its key column is never NULL) */
		r = row_challenge_at(tx, 18, chal);
		*has_chal = r == BA_OK && chal->challenge != NULL;
		if (r == BA_OK && !*has_chal)
			model_challenge_clear(chal);
		if (r != BA_OK)
			model_authenticator_clear(out);
	}
	s->ops->reader_put(s, tx);
	return r;
}

/* The keys of `user_id` (NULL = every user) in `app_id` (NULL = every
 * app), oldest first. */
int store_authenticator_list(struct store *s, const char *app_id, const char *user_id,
                                  struct model_authenticator **out, size_t *n)
{
	struct tx_binds b = { 0 };
	enum st_id id;
	void *arr;
	int r;

	if (app_id != NULL && user_id != NULL)
		id = ST_R_AUTHENTICATOR_LIST_APP_USER;
	else if (user_id != NULL)
		id = ST_R_AUTHENTICATOR_LIST_USER;
	else if (app_id != NULL)
		id = ST_R_AUTHENTICATOR_LIST_APP;
	else
		id = ST_R_AUTHENTICATOR_LIST_ALL;
	if (app_id != NULL)
		tx_text(&b, app_id);
	if (user_id != NULL)
		tx_text(&b, user_id);
	r = get_list(s, id, &b, sizeof(**out), row_authenticator, clear_authenticator, -1, &arr, n);
	*out = arr;
	return r;
}

/* --- challenges, sessions, tokens, keys, audit --- */

int store_challenge_get(struct store *s, const char *challenge,
                             struct model_challenge *out)
{
	return get_by_text(s, ST_R_CHAL_GET, challenge, row_challenge, out, sizeof(*out));
}

int store_session_get(struct store *s, const char *session_id,
                           struct model_session *out)
{
	return get_by_text(s, ST_SESSION_GET, session_id, row_session, out, sizeof(*out));
}

int store_refresh_get(struct store *s, const uint8_t hash[MODEL_HASH_LEN],
                           struct model_refresh *out)
{
	struct tx_binds b = { 0 };

	tx_blob(&b, hash, MODEL_HASH_LEN);
	return get_one(s, ST_R_REFRESH_GET, &b, row_refresh, out, sizeof(*out));
}

/* Every key, newest first; the private PEMs are wiped from the result. */
int store_signing_key_list(struct store *s, struct model_signing_key **out, size_t *n)
{
	void *arr;
	int r = get_list(s, ST_R_SKEY_LIST, NULL, sizeof(**out), row_skey, clear_skey, 2,
	                 &arr, n);

	*out = arr;
	return r;
}

int store_token_is_revoked(struct store *s, const char *jti, bool *revoked)
{
	struct store_tx *tx = s->ops->reader_get(s);
	struct tx_binds b = { 0 };
	int r;

	*revoked = false;
	tx_text(&b, jti);
	r = tx->ops->run(tx, ST_R_JTI_GET, &b, revoked);
	s->ops->reader_put(s, tx);
	return r;
}

/* One row of `settings`: *value a heap copy, NOT_FOUND when unset. */
int store_setting_get(struct store *s, const char *name, char **value)
{
	struct store_tx *tx = s->ops->reader_get(s);
	struct tx_binds b = { 0 };
	bool row = false;
	int r;

	*value = NULL;
	tx_text(&b, name);
	r = tx->ops->run(tx, ST_R_SETTING_GET, &b, &row);
	if (r == BA_OK && !row)
		r = BA_ERR_NOT_FOUND;
	if (r == BA_OK)
		r = tx->ops->col_text(tx, 0, value);
	s->ops->reader_put(s, tx);
	return r;
}

/* Newest first, filtered by user and/or app and `since`; at most `limit`
 * (0 = 1000). */
int store_audit_list(struct store *s, const struct store_audit_filter *f,
                          struct model_audit **out, size_t *n)
{
	const char *user = f != NULL ? f->user_id : NULL;
	const char *app = f != NULL ? f->app_id : NULL;
	size_t limit = f != NULL && f->limit != 0 ? f->limit : 1000;
	struct tx_binds b = { 0 };
	enum st_id id;
	void *arr;
	int r;

	if (limit > STORE_LIST_MAX)
		limit = STORE_LIST_MAX;
	if (user != NULL && app != NULL)
		id = ST_R_AUDIT_LIST_USER_APP;
	else if (user != NULL)
		id = ST_R_AUDIT_LIST_USER;
	else if (app != NULL)
		id = ST_R_AUDIT_LIST_APP;
	else
		id = ST_R_AUDIT_LIST;
	tx_int(&b, f != NULL ? f->since : 0);
	tx_int(&b, (int64_t)limit);
	if (user != NULL)
		tx_text(&b, user);
	if (app != NULL)
		tx_text(&b, app);
	r = get_list(s, id, &b, sizeof(**out), row_audit, clear_audit, -1, &arr, n);
	*out = arr;
	return r;
}
