/*
 * write.c - the write kinds of store.h, written once for both backends
 * against the transaction interface (tx.h); the login, session and refresh
 * kinds are in write_login.c.
 *
 * Every function runs inside the savepoint (or, alone in its batch, the
 * transaction) the write queue opened for the write (queue.h): it may
 * change rows and then fail, and the queue rolls its changes back.
 * Conditional writes check and change in the one transaction; on SQLite the
 * single writer makes that atomic, on PostgreSQL the row and advisory locks
 * of the PostgreSQL statements do (statements.c; docs/ARCHITECTURE.md).
 */
#include "store/write.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "common/error.h"
#include "domain/contact.h"
#include "domain/password_guard.h"
#include "domain/sessions.h"
#include "store/lockout.h"

int64_t wr_or_now(int64_t t)
{
	return t != 0 ? t : (int64_t)time(NULL);
}

int wr_run(struct store_tx *tx, enum st_id id, const struct tx_binds *b)
{
	return tx->ops->run(tx, id, b, NULL);
}

int wr_changed(struct store_tx *tx, enum st_id id, const struct tx_binds *b)
{
	int r = tx->ops->run(tx, id, b, NULL);

	if (r == BA_OK && tx->ops->changes(tx) == 0)
		r = BA_ERR_NOT_FOUND;
	return r;
}

int wr_insert(struct store_tx *tx, enum st_id id, const struct tx_binds *b, int taken)
{
	int r = tx->ops->run(tx, id, b, NULL);

	if (r == BA_ERR_CONFLICT || (r == BA_OK && tx->ops->changes(tx) == 0))
		r = taken;
	return r;
}

int wr_row(struct store_tx *tx, enum st_id id, const struct tx_binds *b)
{
	bool row = false;
	int r = tx->ops->run(tx, id, b, &row);

	return r == BA_OK && !row ? BA_ERR_NOT_FOUND : r;
}

int wr_later(struct store_tx *tx, enum st_id id, const struct tx_binds *b, int taken)
{
	if (tx->ops->run_later != NULL)
		return tx->ops->run_later(tx, id, b, taken, NULL);
	return taken != 0 ? wr_insert(tx, id, b, taken) : wr_run(tx, id, b);
}

int wr_later_id(struct store_tx *tx, enum st_id id, const struct tx_binds *b, int64_t *id_out)
{
	int r;

	if (tx->ops->run_later != NULL)
		return tx->ops->run_later(tx, id, b, 0, id_out);
	r = wr_row(tx, id, b);
	if (r == BA_OK)
		r = tx->ops->col_int(tx, 0, id_out);
	return r == BA_ERR_NOT_FOUND ? BA_ERR_INTERNAL : r;
}

int wr_settle(struct store_tx *tx, int r)
{
	int rs = tx->ops->settle != NULL ? tx->ops->settle(tx) : BA_OK;

	return rs != BA_OK ? rs : r;
}

int wr_user_hold(struct store_tx *tx, const char *user_id, const char *password_hash, int gone)
{
	struct tx_binds b = { 0 };
	char *stored = NULL;
	size_t n;
	int r;

	tx_text(&b, user_id);
	if (password_hash == NULL) {
		/* only whether the row is there: "no row" reads as `gone` */
		if (tx->ops->run_later != NULL)
			return tx->ops->run_later(tx, ST_USER_HOLD, &b, gone, NULL);
		r = wr_row(tx, ST_USER_HOLD, &b);
		return r == BA_ERR_NOT_FOUND ? gone : r;
	}
	if ((r = wr_row(tx, ST_USER_HOLD, &b)) != BA_OK)
		return r == BA_ERR_NOT_FOUND ? gone : r;
	if ((r = tx->ops->col_text(tx, 0, &stored)) != BA_OK)
		return r;
	n = strlen(password_hash);
	if (stored == NULL || strlen(stored) != n || CRYPTO_memcmp(stored, password_hash, n) != 0)
		r = gone;
	if (stored != NULL)
		OPENSSL_cleanse(stored, strlen(stored));
	free(stored);
	return r;
}

/* An audit event as the write logic inserts it (borrowed strings). */
struct audit_view {
	int64_t time;
	const char *event, *outcome, *reason, *app_id, *user_id, *key_id, *client_attributes;
};

static struct audit_view audit_view_of(const struct model_audit *e)
{
	struct audit_view v = {
		e->time, e->event, e->outcome, e->reason, e->app_id, e->user_id, e->key_id,
		e->client_attributes,
	};

	return v;
}

/* Inserts event `v`; *id (when not NULL) receives its id, by the
 * transaction's commit at the latest (wr_later_id). */
static int audit_insert(struct store_tx *tx, const struct audit_view *v, int64_t *id)
{
	struct tx_binds b = { 0 };

	if (v->event == NULL || v->outcome == NULL)
		return BA_ERR_INVALID_REQUEST;
	tx_int(&b, wr_or_now(v->time));
	tx_text(&b, v->event);
	tx_text(&b, v->outcome);
	tx_text(&b, v->reason);
	tx_text(&b, v->app_id);
	tx_text(&b, v->user_id);
	tx_text(&b, v->key_id);
	tx_text(&b, v->client_attributes);
	if (id != NULL)
		return wr_later_id(tx, ST_AUDIT_INSERT, &b, id);
	return wr_later(tx, ST_AUDIT_INSERT, &b, 0);
}

/* --- apps and users --- */

/* Replaces the attestation policy (JSON text, NULL = default) of app_id;
 * NOT_FOUND for an unknown app. */
static int app_set_attestation(struct store_tx *tx, const char *app_id, const char *policy)
{
	struct tx_binds b = { 0 };

	tx_text(&b, app_id);
	tx_text(&b, policy);
	return wr_changed(tx, ST_APP_SET_ATTESTATION, &b);
}

static int app_create(struct store_tx *tx, const struct model_app *a)
{
	struct tx_binds b = { 0 };
	int r;

	if (a->app_id == NULL || a->name == NULL || a->client_id == NULL ||
	    a->n_resources > MODEL_MAX_RESOURCES)
		return BA_ERR_INVALID_REQUEST;
	tx_text(&b, a->app_id);
	tx_text(&b, a->name);
	tx_text(&b, a->client_id);
	tx_blob(&b, a->client_secret_hash, MODEL_HASH_LEN);
	tx_int(&b, a->access_ttl);
	tx_int(&b, a->id_ttl);
	tx_int(&b, a->refresh_ttl);
	tx_bool(&b, a->allow_client_challenges);
	tx_int(&b, a->max_authenticators);
	tx_int(&b, wr_or_now(a->created_at));
	tx_int(&b, a->min_client_challenge_bytes > 0 ? a->min_client_challenge_bytes : 1);
	tx_bool(&b, a->require_biometric_to_enrol);
	tx_int(&b, a->max_challenges);
	tx_int(&b, a->max_approval_data_bytes);
	tx_int(&b, a->refresh_reuse_interval);
	tx_int(&b, (int64_t)(a->users_api & USERS_API_ALL));
	r = wr_insert(tx, ST_APP_INSERT, &b, BA_ERR_CONFLICT);   /* app_id or client_id taken */
	if (r == BA_OK) {
		struct tx_binds u = { 0 };

		tx_text(&u, a->app_id);
		r = wr_run(tx, ST_APP_USAGE_INSERT, &u);
	}
	for (size_t i = 0; r == BA_OK && i < a->n_resources; i++) {
		struct tx_binds q = { 0 };

		if (a->resources[i] == NULL)
			return BA_ERR_INVALID_REQUEST;
		tx_text(&q, a->app_id);
		tx_int(&q, (int64_t)i);
		tx_text(&q, a->resources[i]);
		r = wr_run(tx, ST_APP_RES_INSERT, &q);
	}
	if (r == BA_OK && a->attestation_policy != NULL)
		r = app_set_attestation(tx, a->app_id, a->attestation_policy);
	return r;
}

/* Runs `id` with the one text parameter `v`; NOT_FOUND when it changed
 * nothing and `must_change`. */
static int by_text(struct store_tx *tx, enum st_id id, const char *v, bool must_change)
{
	struct tx_binds b = { 0 };

	tx_text(&b, v);
	return must_change ? wr_changed(tx, id, &b) : wr_run(tx, id, &b);
}

static int app_set_secret(struct store_tx *tx, const char *app_id, const uint8_t *hash)
{
	struct tx_binds b = { 0 };

	tx_text(&b, app_id);
	tx_blob(&b, hash, MODEL_HASH_LEN);
	return wr_changed(tx, ST_APP_SET_SECRET, &b);
}

/* SW_APP_SET_MIN_CHALLENGE: 1..1024 bytes, NOT_FOUND for an unknown app. */
static int app_set_min_challenge(struct store_tx *tx, const struct store_write *w)
{
	struct tx_binds b = { 0 };
	int bytes = w->in.app_min_challenge.bytes;

	if (w->in.app_min_challenge.app_id == NULL || bytes < 1 || bytes > 1024)
		return BA_ERR_INVALID_REQUEST;
	tx_text(&b, w->in.app_min_challenge.app_id);
	tx_int(&b, bytes);
	return wr_changed(tx, ST_APP_SET_MIN_CHALLENGE, &b);
}

/* SW_APP_SET_LIMITS: the app's enrolment rule, challenge quotas, refresh
 * reuse interval and Users API permissions, all at once; NOT_FOUND. */
static int app_set_limits(struct store_tx *tx, const struct model_app *a)
{
	struct tx_binds b = { 0 };

	if (a->app_id == NULL || a->max_challenges < 1 || a->max_approval_data_bytes < 0 ||
	    a->refresh_reuse_interval < 0)
		return BA_ERR_INVALID_REQUEST;
	tx_text(&b, a->app_id);
	tx_bool(&b, a->require_biometric_to_enrol);
	tx_int(&b, a->max_challenges);
	tx_int(&b, a->max_approval_data_bytes);
	tx_int(&b, a->refresh_reuse_interval);
	tx_int(&b, (int64_t)(a->users_api & USERS_API_ALL));
	return wr_changed(tx, ST_APP_SET_LIMITS, &b);
}

/* SW_SETTING_SET: inserts or replaces one setting. */
static int setting_set(struct store_tx *tx, const struct store_write *w)
{
	struct tx_binds b = { 0 };

	if (w->in.setting.name == NULL || w->in.setting.value == NULL)
		return BA_ERR_INVALID_REQUEST;
	tx_text(&b, w->in.setting.name);
	tx_text(&b, w->in.setting.value);
	tx_int(&b, wr_or_now(w->in.setting.now));
	return wr_run(tx, ST_SETTING_SET, &b);
}

/* Inserts a user; CONFLICT when its user_id, username, email (compared by
 * its key, contact_email_key()) or phone number is taken. An email the
 * domain did not validate is INVALID_REQUEST. */
static int user_create(struct store_tx *tx, const struct model_user *u)
{
	struct tx_binds b = { 0 };
	char key[CONTACT_EMAIL_MAX + 1];

	if (u->user_id == NULL ||
	    (u->email != NULL && !contact_email_key(u->email, key, sizeof(key))))
		return BA_ERR_INVALID_REQUEST;
	tx_text(&b, u->user_id);
	tx_text(&b, u->username);
	tx_text(&b, u->password_hash);
	tx_int(&b, wr_or_now(u->created_at));
	tx_int(&b, u->updated_at != 0 ? u->updated_at : wr_or_now(u->created_at));
	tx_text(&b, u->email);
	tx_text(&b, u->email != NULL ? key : NULL);
	tx_text(&b, u->phone_number);
	tx_text(&b, u->name);
	tx_text(&b, u->external_user_id);
	tx_text(&b, u->custom_data);
	tx_bool(&b, u->password_force_replace);
	return wr_insert(tx, ST_USER_INSERT, &b, BA_ERR_CONFLICT);
}

/* Deletes the user and its authenticators, sessions (and so their refresh
 * tokens) and challenges in every app. */
static int user_delete(struct store_tx *tx, const char *user_id)
{
	static const enum st_id also[] = { ST_USER_DEL_AUTHENTICATORS, ST_USER_DEL_SESSIONS,
	                                   ST_USER_DEL_CHALS };
	int r = by_text(tx, ST_USER_DELETE, user_id, true);

	for (size_t i = 0; r == BA_OK && i < sizeof(also) / sizeof(also[0]); i++)
		r = by_text(tx, also[i], user_id, false);
	return r;
}

/* --- authenticators --- */

/* Session `sid` must be, as this transaction sees it, a live session of
 * `app_id` and `user_id`: INVALID_TOKEN otherwise; *factors receives its
 * factors. */
static int session_still_live(struct store_tx *tx, const char *sid, const char *app_id,
                              const char *user_id, int64_t now, unsigned *factors)
{
	int64_t f = 0;
	struct model_session s = { 0 };
	struct tx_binds b = { 0 };
	bool revoked = false;
	int r;

	tx_text(&b, sid);
	r = wr_row(tx, ST_SESSION_GET, &b);
	if (r == BA_OK &&
	    (r = tx->ops->col_text(tx, 1, &s.app_id)) == BA_OK &&
	    (r = tx->ops->col_text(tx, 2, &s.user_id)) == BA_OK &&
	    (r = tx->ops->col_int(tx, 3, &f)) == BA_OK &&
	    (r = tx->ops->col_int(tx, 8, &s.expires_at)) == BA_OK &&
	    (r = tx->ops->col_bool(tx, 9, &revoked)) == BA_OK) {
		s.revoked = revoked;
		*factors = (unsigned)f;
		if (!sessions_live(&s, app_id, user_id, now))
			r = BA_ERR_INVALID_TOKEN;
	}
	model_session_clear(&s);
	return r == BA_ERR_NOT_FOUND ? BA_ERR_INVALID_TOKEN : r;
}

/*
 * Registers a key: CONFLICT when (app, key id) exists, MAX_AUTHENTICATORS
 * when the user already has `max` (> 0) keys in the app, NOT_FOUND for an
 * unknown app (foreign key), INVALID_TOKEN when the user no longer exists
 * or `session_id` (when set: the session of the caller's token) is no
 * longer a live session of the user. The key records that session's
 * factors (enrol_factors). With `require_biometric`, a user who already has
 * a key in the app needs a session holding the biometric factor
 * (BIOMETRIC_REQUIRED). ST_AUTHENTICATOR_LOCK keeps the count exact against
 * concurrent registrations of the same user where transactions overlap.
 */
/* Stores the attestation verdict and App Attest state of a new key. */
static int authenticator_set_attestation(struct store_tx *tx, const struct model_authenticator *a)
{
	struct tx_binds b = { 0 };

	if (a->attestation_verdict == NULL)
		return BA_OK;
	tx_text(&b, a->app_id);
	tx_text(&b, a->public_key_id);
	tx_text(&b, a->attestation_verdict);
	tx_bool(&b, a->hwk);
	tx_blob(&b, a->appattest_key, a->appattest_key_len);
	tx_int(&b, a->appattest_counter);
	tx_blob(&b, a->appattest_receipt, a->appattest_receipt_len);
	return wr_changed(tx, ST_AUTHENTICATOR_SET_ATTESTATION, &b);
}

/*
 * Uses up the register challenge of `a` (hash = SHA-256 of its text): once
 * per app, else CHALLENGE_REUSED; a /start challenge of the same app and
 * user with that text is consumed, and one already consumed is
 * CHALLENGE_REUSED too. A challenge that is no /start challenge of this
 * user (made by the app's backend) is just recorded.
 */
static int register_challenge_use(struct store_tx *tx, const struct model_authenticator *a,
                                  const uint8_t *hash)
{
	struct tx_binds b = { 0 };
	struct model_challenge c = { 0 };
	int64_t now = wr_or_now(a->created_at);
	int r;

	tx_text(&b, a->app_id);
	tx_blob(&b, hash, MODEL_HASH_LEN);
	tx_int(&b, now);
	if ((r = wr_later(tx, ST_REG_CHAL_INSERT, &b, BA_ERR_CHALLENGE_REUSED)) != BA_OK ||
	    a->challenge == NULL)
		return r;
	memset(&b, 0, sizeof(b));
	tx_text(&b, a->challenge);
	tx_text(&b, a->app_id);
	tx_text(&b, a->user_id);
	tx_int(&b, INT64_MIN);   /* an expired /start challenge is consumed as well */
	r = wr_changed(tx, ST_CHAL_CONSUME, &b);
	if (r != BA_ERR_NOT_FOUND)
		return r;
	b.n = 1;
	if ((r = wr_row(tx, ST_CHAL_STATE, &b)) != BA_OK)
		return r == BA_ERR_NOT_FOUND ? BA_OK : r;
	if ((r = tx->ops->col_text(tx, 0, &c.app_id)) == BA_OK &&
	    (r = tx->ops->col_text(tx, 1, &c.user_id)) == BA_OK &&
	    (r = tx->ops->col_bool(tx, 2, &c.consumed)) == BA_OK &&
	    c.consumed && c.app_id != NULL && c.user_id != NULL &&
	    strcmp(c.app_id, a->app_id) == 0 && strcmp(c.user_id, a->user_id) == 0)
		r = BA_ERR_CHALLENGE_REUSED;
	model_challenge_clear(&c);
	return r;
}

static int authenticator_create(struct store_tx *tx, const struct model_authenticator *a, int max,
                                const uint8_t *chal_hash, const char *session_id,
                                bool require_biometric)
{
	struct tx_binds k = { 0 }, p = { 0 };
	unsigned factors = 0;
	int64_t count = 0;
	int r;

	if (a->app_id == NULL || a->public_key_id == NULL || a->user_id == NULL ||
	    a->public_key_der == NULL || a->public_key_der_len == 0)
		return BA_ERR_INVALID_REQUEST;
	/* the user first: a user deletion locks the user's row first too */
	if ((r = wr_user_hold(tx, a->user_id, NULL, BA_ERR_INVALID_TOKEN)) != BA_OK)
		return r;
	if (session_id != NULL &&
	    (r = session_still_live(tx, session_id, a->app_id, a->user_id, wr_or_now(0),
	                            &factors)) != BA_OK)
		return r;
	tx_text(&k, a->app_id);
	tx_text(&k, a->user_id);
	if ((r = wr_later(tx, ST_AUTHENTICATOR_LOCK, &k, 0)) != BA_OK)
		return r;
	tx_text(&p, a->app_id);
	tx_text(&p, a->public_key_id);
	r = wr_row(tx, ST_AUTHENTICATOR_EXISTS, &p);
	if (r != BA_ERR_NOT_FOUND)
		return r == BA_OK ? BA_ERR_CONFLICT : r;
	if (max > 0 || require_biometric) {
		if ((r = wr_row(tx, ST_AUTHENTICATOR_COUNT, &k)) != BA_OK ||
		    (r = tx->ops->col_int(tx, 0, &count)) != BA_OK)
			return r == BA_ERR_NOT_FOUND ? BA_ERR_INTERNAL : r;
		if (max > 0 && count >= max)
			return BA_ERR_MAX_AUTHENTICATORS;
		if (require_biometric && count > 0 && !(factors & FACTOR_MOBILE_BIOMETRICS))
			return BA_ERR_BIOMETRIC_REQUIRED;
	}
	memset(&p, 0, sizeof(p));
	tx_text(&p, a->app_id);
	tx_text(&p, a->public_key_id);
	tx_text(&p, a->user_id);
	tx_int(&p, a->key_type);
	tx_blob(&p, a->public_key_der, a->public_key_der_len);
	tx_text(&p, a->os);
	tx_text(&p, a->encryption_type);
	tx_text(&p, a->device_id);
	tx_text(&p, a->display_name);
	tx_text(&p, a->challenge);
	tx_text(&p, a->attestation);
	tx_int(&p, wr_or_now(a->created_at));
	tx_int(&p, a->last_used_at);
	tx_int(&p, a->failed_count);
	tx_int(&p, a->locked_until);
	tx_int(&p, (int64_t)factors);
	if ((r = wr_later(tx, ST_AUTHENTICATOR_INSERT, &p, BA_ERR_CONFLICT)) != BA_OK)
		return r;
	if (chal_hash != NULL && (r = register_challenge_use(tx, a, chal_hash)) != BA_OK)
		return r;
	return authenticator_set_attestation(tx, a);
}

static int authenticator_delete(struct store_tx *tx, const char *app_id, const char *key_id,
                                const char *user_id)
{
	struct tx_binds b = { 0 };

	tx_text(&b, app_id);
	tx_text(&b, key_id);
	tx_text(&b, user_id);
	return wr_changed(tx, ST_AUTHENTICATOR_DELETE, &b);
}

/*
 * Counts a failed signature, locking the key at the threshold, as
 * lockout_after_failure() decides, and records w->audit; when this failure
 * locked the key, a "lock" audit event (outcome "success") follows it.
 */
static int signature_failure(struct store_tx *tx, struct store_write *w)
{
	const char *app_id = w->in.signature_failure.app_id, *key_id = w->in.signature_failure.key_id;
	int64_t now = wr_or_now(w->in.signature_failure.now), locked_until = 0, failed = 0;
	struct tx_binds b = { 0 };
	char *user = NULL;
	struct lockout lo;
	int r;

	tx_text(&b, app_id);
	tx_text(&b, key_id);
	if ((r = wr_row(tx, ST_AUTHENTICATOR_STATE_GET, &b)) != BA_OK ||
	    (r = tx->ops->col_text(tx, 0, &user)) != BA_OK ||
	    (r = tx->ops->col_int(tx, 1, &failed)) != BA_OK ||
	    (r = tx->ops->col_int(tx, 2, &locked_until)) != BA_OK)
		goto out;
	lockout_after_failure((int)failed, locked_until, now, w->in.signature_failure.threshold,
	                      w->in.signature_failure.lock_seconds, &lo);
	w->out.locked = lo.locked;
	w->out.locked_until = lo.locked ? lo.locked_until : 0;
	if (w->audit != NULL) {
		struct audit_view v = audit_view_of(w->audit);

		if ((r = audit_insert(tx, &v, &w->audit->id)) != BA_OK)
			goto out;
	}
	if (lo.lock_event) {
		struct audit_view lock = {
			.time = now, .event = "lock", .outcome = "success",
			.app_id = app_id, .key_id = key_id, .user_id = user,
			.client_attributes = w->audit != NULL ? w->audit->client_attributes : NULL,
		};

		if ((r = audit_insert(tx, &lock, NULL)) != BA_OK)
			goto out;
	}
	if (lo.store) {
		tx_int(&b, lo.failed_count);
		tx_int(&b, lo.locked_until);
		r = wr_run(tx, ST_AUTHENTICATOR_FAIL_SET, &b);
	}
out:
	free(user);
	return r;
}

/*
 * Takes one challenge of `bytes` approval_data from the quotas of its app
 * (the app's max_challenges and max_approval_data_bytes, as of this
 * transaction, against challenge_usage, which triggers keep: migration 5).
 * BA_OK, or CHALLENGE_QUOTA / APPROVAL_DATA_QUOTA when the app's
 * outstanding challenges would pass one. At a quota the app's expired
 * challenges are deleted first (their share given back), so only
 * unexpired, unconsumed challenges hold it. NOT_FOUND when the app is gone.
 */
static int challenge_quota_take(struct store_tx *tx, const char *app_id, int64_t bytes,
                                int64_t now)
{
	struct tx_binds b = { 0 };
	int64_t count = 0, used = 0, max = 0;
	int r;

	tx_text(&b, app_id);
	tx_int(&b, bytes);
	r = wr_changed(tx, ST_CHAL_QUOTA_TAKE, &b);
	if (r != BA_ERR_NOT_FOUND)
		return r;
	memset(&b, 0, sizeof(b));
	tx_text(&b, app_id);
	tx_int(&b, now);
	if ((r = wr_run(tx, ST_CHAL_RECLAIM, &b)) != BA_OK)
		return r;
	memset(&b, 0, sizeof(b));
	tx_text(&b, app_id);
	tx_int(&b, bytes);
	r = wr_changed(tx, ST_CHAL_QUOTA_TAKE, &b);
	if (r != BA_ERR_NOT_FOUND)
		return r;
	memset(&b, 0, sizeof(b));
	tx_text(&b, app_id);
	if ((r = wr_row(tx, ST_CHAL_QUOTA_GET, &b)) != BA_OK ||
	    (r = tx->ops->col_int(tx, 0, &count)) != BA_OK ||
	    (r = tx->ops->col_int(tx, 1, &used)) != BA_OK ||
	    (r = tx->ops->col_int(tx, 2, &max)) != BA_OK)
		return r;   /* no row: the app is gone, NOT_FOUND */
	return count >= max ? BA_ERR_CHALLENGE_QUOTA : BA_ERR_APPROVAL_DATA_QUOTA;
}

static int challenge_create(struct store_tx *tx, const struct model_challenge *ch)
{
	struct tx_binds b = { 0 };
	int64_t bytes;
	int r;

	if (ch->challenge == NULL || ch->app_id == NULL || ch->user_id == NULL)
		return BA_ERR_INVALID_REQUEST;
	/* A user who is gone is NOT_FOUND, as an unknown one. The check may be
	 * held back (tx.h run_later) and its code come out of the quota's
	 * first statement, whose NOT_FOUND means "full": INVALID_TOKEN, which
	 * the quota never answers, keeps the two apart until here. */
	if ((r = wr_user_hold(tx, ch->user_id, NULL, BA_ERR_INVALID_TOKEN)) != BA_OK)
		return r == BA_ERR_INVALID_TOKEN ? BA_ERR_NOT_FOUND : r;
	bytes = ch->approval_data != NULL ? (int64_t)strlen(ch->approval_data) : 0;
	if ((r = challenge_quota_take(tx, ch->app_id, bytes, wr_or_now(ch->created_at))) != BA_OK)
		return r == BA_ERR_INVALID_TOKEN ? BA_ERR_NOT_FOUND : r;
	tx_text(&b, ch->challenge);
	tx_text(&b, ch->app_id);
	tx_text(&b, ch->user_id);
	tx_text(&b, ch->device_id);
	tx_text(&b, ch->approval_data);
	tx_int(&b, wr_or_now(ch->created_at));
	tx_int(&b, ch->expires_at);
	tx_bool(&b, ch->consumed);
	return wr_later(tx, ST_CHAL_INSERT, &b, BA_ERR_CONFLICT);   /* unknown app: NOT_FOUND */
}

/* --- keys, revocations, purge --- */

/* SW_SIGNING_KEY_ROTATE (first = false) and SW_SIGNING_KEY_FIRST; ST_SKEY_LOCK
 * serialises rotations and first keys across instances. */
static int signing_key_rotate(struct store_tx *tx, const struct model_signing_key *k, bool first)
{
	int64_t created = wr_or_now(k->created_at);
	struct tx_binds b = { 0 };
	int r;

	if (k->kid == NULL || k->alg == NULL || k->private_pem == NULL)
		return BA_ERR_INVALID_REQUEST;
	if ((r = wr_run(tx, ST_SKEY_LOCK, NULL)) != BA_OK)
		return r;
	if (first) {
		r = wr_row(tx, ST_SKEY_HAS_CURRENT, NULL);
		if (r != BA_ERR_NOT_FOUND)
			return r == BA_OK ? BA_ERR_CONFLICT : r;
	} else {
		tx_int(&b, created);
		if ((r = wr_run(tx, ST_SKEY_RETIRE, &b)) != BA_OK)
			return r;
		memset(&b, 0, sizeof(b));
	}
	tx_text(&b, k->kid);
	tx_text(&b, k->alg);
	tx_text(&b, k->private_pem);
	tx_int(&b, created);
	tx_int(&b, k->retired_at);
	return wr_insert(tx, ST_SKEY_INSERT, &b, BA_ERR_CONFLICT);
}

/* SW_SIGNING_KEY_RESEAL: the private part of kid, and nothing else. */
static int signing_key_reseal(struct store_tx *tx, const struct model_signing_key *k)
{
	struct tx_binds b = { 0 };

	if (k->kid == NULL || k->private_pem == NULL)
		return BA_ERR_INVALID_REQUEST;
	tx_text(&b, k->kid);
	tx_text(&b, k->private_pem);
	return wr_changed(tx, ST_SKEY_RESEAL, &b);
}

/* SW_SIGNING_KEY_REVOKE: under the rotation lock, `next` replaces `kid` as
 * the current key when `kid` is current, then `kid` is deleted. */
static int signing_key_revoke(struct store_tx *tx, struct store_write *w)
{
	const char *kid = w->in.signing_key_revoke.kid;
	struct tx_binds b = { 0 };
	int64_t retired_at = 0;
	int r;

	if (kid == NULL)
		return BA_ERR_INVALID_REQUEST;
	if ((r = wr_run(tx, ST_SKEY_LOCK, NULL)) != BA_OK)
		return r;
	tx_text(&b, kid);
	if ((r = wr_row(tx, ST_SKEY_STATE, &b)) != BA_OK ||
	    (r = tx->ops->col_int(tx, 0, &retired_at)) != BA_OK)
		return r;
	if (retired_at == 0) {
		/* signing_key_rotate retakes the lock this transaction holds. */
		if (w->in.signing_key_revoke.next.kid == NULL)
			return BA_ERR_INVALID_REQUEST;
		r = signing_key_rotate(tx, &w->in.signing_key_revoke.next, false);
		if (r != BA_OK)
			return r;
		w->out.key_replaced = true;
	}
	return wr_changed(tx, ST_SKEY_DELETE, &b);
}

static int token_revoke(struct store_tx *tx, const char *jti, int64_t expires_at)
{
	struct tx_binds b = { 0 };

	if (jti == NULL)
		return BA_ERR_INVALID_REQUEST;
	tx_text(&b, jti);
	tx_int(&b, expires_at);
	return wr_run(tx, ST_JTI_INSERT, &b);
}

static int purge(struct store_tx *tx, int64_t before)
{
	static const enum st_id q[] = {
		ST_PURGE_CHAL, ST_PURGE_REFRESH, ST_PURGE_SESSIONS, ST_PURGE_JTI, ST_PURGE_SKEYS,
	};
	int r = BA_OK;

	for (size_t i = 0; r == BA_OK && i < sizeof(q) / sizeof(q[0]); i++) {
		struct tx_binds b = { 0 };

		tx_int(&b, before);
		r = wr_run(tx, q[i], &b);
	}
	if (r == BA_OK) {
		struct tx_binds b = { 0 };

		/* attempts are timed in milliseconds */
		tx_int(&b, before > INT64_MAX / 1000 || before < PASSWORD_GUARD_FORGET ? 0 :
		       (before - PASSWORD_GUARD_FORGET) * 1000);
		r = wr_run(tx, ST_PURGE_PWA, &b);
	}
	return r;
}

/* --- password attempts --- */

/* The wait one count `key` imposes at `now` with `threshold` (0 when it
 * has no row). */
static int pwa_wait(struct store_tx *tx, const uint8_t *key, const struct store_password_attempt *a,
                    int threshold, int64_t *wait)
{
	struct tx_binds b = { 0 };
	int64_t failures = 0, last_at = 0;
	int r;

	*wait = 0;
	tx_blob(&b, key, MODEL_HASH_LEN);
	r = wr_row(tx, ST_PWA_GET, &b);
	if (r == BA_ERR_NOT_FOUND)
		return BA_OK;
	if (r != BA_OK || (r = tx->ops->col_int(tx, 0, &failures)) != BA_OK ||
	    (r = tx->ops->col_int(tx, 1, &last_at)) != BA_OK)
		return r;
	*wait = password_guard_wait(failures, last_at, a->now_ms, threshold, a->max_wait);
	return BA_OK;
}

static int pwa_count(struct store_tx *tx, const uint8_t *key, int64_t now)
{
	struct tx_binds b = { 0 };

	tx_blob(&b, key, MODEL_HASH_LEN);
	tx_int(&b, now);
	return wr_run(tx, ST_PWA_COUNT, &b);
}

/* SW_PASSWORD_ATTEMPT, see store.h. */
static int password_attempt(struct store_tx *tx, struct store_write *w)
{
	const struct store_password_attempt *a = &w->in.password_attempt;
	int user_threshold = a->max_failures;
	int64_t wu = 0, wi = 0;
	int r;

	if (a->has_ip)
		user_threshold = a->max_failures > INT32_MAX / PASSWORD_GUARD_USER_FACTOR ?
		                 INT32_MAX : a->max_failures * PASSWORD_GUARD_USER_FACTOR;
	if ((r = pwa_wait(tx, a->user_key, a, user_threshold, &wu)) != BA_OK ||
	    (a->has_ip && (r = pwa_wait(tx, a->ip_key, a, a->max_failures, &wi)) != BA_OK))
		return r;
	if (wu > 0 || wi > 0) {
		w->out.retry_after = ((wu > wi ? wu : wi) + 999) / 1000;
		return BA_ERR_TOO_MANY_ATTEMPTS;
	}
	if ((r = pwa_count(tx, a->user_key, a->now_ms)) != BA_OK)
		return r;
	return a->has_ip ? pwa_count(tx, a->ip_key, a->now_ms) : BA_OK;
}

int wr_password_reset(struct store_tx *tx, const struct store_password_attempt *a)
{
	struct tx_binds b = { 0 };
	int r;

	tx_blob(&b, a->user_key, MODEL_HASH_LEN);
	if ((r = wr_later(tx, ST_PWA_DELETE, &b, 0)) != BA_OK || !a->has_ip)
		return r;
	memset(&b, 0, sizeof(b));
	tx_blob(&b, a->ip_key, MODEL_HASH_LEN);
	return wr_later(tx, ST_PWA_DELETE, &b, 0);
}

/* --- dispatch --- */

bool store_is_refusal(int r)
{
	return r > 0 && r != BA_ERR_STORE_UNAVAILABLE && r != BA_ERR_NOMEM && r != BA_ERR_INTERNAL;
}

/* A login refused with `code`, with nothing of it left in the
 * transaction: its audit event becomes the failure (outcome "failure",
 * reason the code's name), to be committed (*keep). Returns `code`. */
static int login_failure(struct store_tx *tx, struct store_write *w, int code, bool *keep)
{
	struct audit_view v = audit_view_of(w->audit);
	int r;

	model_session_clear(&w->out.session);
	v.outcome = "failure";
	v.reason = ba_strerror(code);
	if ((r = audit_insert(tx, &v, &w->audit->id)) != BA_OK)
		return r;
	*keep = true;
	return code;
}

/* SW_LOGIN: refused, what it wrote is undone and its audit event becomes
 * the failure, committed with the refusal (one commit). A backend with
 * undo() (PostgreSQL) rolls the login back to the queue's savepoint, or
 * the lone login's whole transaction; otherwise the login sets a savepoint
 * of its own, released in store_apply(). */
static int login(struct store_tx *tx, struct store_write *w, bool *keep)
{
	bool own_savepoint = tx->ops->undo == NULL;
	int r, rr;

	if (own_savepoint && (r = tx->ops->savepoint(tx, TX_SP_BEGIN)) != BA_OK)
		return r;
	r = wr_login(tx, w);
	if (r == BA_OK || !store_is_refusal(r) || w->audit == NULL)
		return r;   /* the queue's savepoint or transaction ends it */
	rr = own_savepoint ? tx->ops->savepoint(tx, TX_SP_ROLLBACK) : tx->ops->undo(tx);
	if (rr != BA_OK)
		return rr;
	return login_failure(tx, w, r, keep);
}

/*
 * The resources of the global lock order on PostgreSQL (store_lock_keys;
 * postgres.c takes a batch's keys, sorted, before its first write):
 *  - (app, user) of a registration: ST_AUTHENTICATOR_LOCK, which keeps
 *    the user's key count exact;
 *  - an app's challenge_usage row ("usage"): taken by a /start's quota and
 *    by every consumption of a /start challenge (the trigger of migration
 *    5), so by logins and registrations that consume one;
 *  - a key's row ("key:" and its id): locked by logins and signature
 *    failures (ST_AUTHENTICATOR_STATE_GET), deleted, or inserted by a
 *    registration (a second insert of the same id waits for the first);
 *  - a session's row (extended by a login, revoked), a refresh token's row
 *    (rotated) and a password-attempt count (counted, reset by a login).
 * Other locks conflict with none of these writes: users' rows and apps'
 * rows are only share-locked (FOR KEY SHARE, foreign keys), a /start
 * challenge's row is only taken with its app's usage row, the new rows a
 * write inserts are its own.
 *
 * Why no cycle remains: a transaction that locks two or more of these
 * resources first takes all their advisory keys, in ascending order, in
 * one statement, and holds them to its end. Every other holder of such a
 * resource either holds its key too - so a transaction that holds the key
 * never waits for the resource - or locks that one resource and no other
 * (a lone write with one key), and then waits for none of them. So every
 * wait among them is a wait for a key, by a transaction that holds only
 * smaller keys; a cycle would need a key smaller than itself. Left outside
 * the order, as deadlocks PostgreSQL detects and the queue retries: writes
 * that lock rows they learn of only while running - a purge, a user's or
 * app's deletion (their challenges, keys and sessions), the session
 * revoked when a spent refresh token is reused - and inserts of a value
 * another transaction is inserting (replays).
 */
static size_t key_text(struct store_lock_key *k, const char *app, const char *kind,
                       const char *name)
{
	if (name == NULL)
		return 0;
	*k = (struct store_lock_key){ app != NULL ? app : "", kind, name, NULL };
	return 1;
}

static size_t key_hash(struct store_lock_key *k, const char *kind, const uint8_t *hash)
{
	*k = (struct store_lock_key){ "", kind, NULL, hash };
	return 1;
}

size_t store_lock_keys(const struct store_write *w, struct store_lock_key *out)
{
	size_t n = 0;

	switch (w->kind) {
	case SW_AUTHENTICATOR_CREATE: {
		const struct model_authenticator *a = &w->in.authenticator.a;

		if (a->app_id == NULL)
			break;
		n += key_text(&out[n], a->app_id, "", a->user_id);
		n += key_text(&out[n], a->app_id, "key:", a->public_key_id);
		if (w->in.authenticator.challenge_hash != NULL && a->challenge != NULL)
			n += key_text(&out[n], a->app_id, "usage", "");
		break;
	}
	case SW_CHALLENGE_CREATE:
		if (w->in.challenge.app_id != NULL)
			n += key_text(&out[n], w->in.challenge.app_id, "usage", "");
		break;
	case SW_LOGIN: {
		const struct store_login *l = &w->in.login;

		if (l->app_id == NULL)
			break;
		if (l->start_challenge != NULL)
			n += key_text(&out[n], l->app_id, "usage", "");
		n += key_text(&out[n], l->app_id, "key:", l->key_id);
		n += key_text(&out[n], "", "session:", l->existing_session_id);
		if (l->password_reset != NULL) {
			n += key_hash(&out[n], "pwa:", l->password_reset->user_key);
			if (l->password_reset->has_ip)
				n += key_hash(&out[n], "pwa:", l->password_reset->ip_key);
		}
		break;
	}
	case SW_SIGNATURE_FAILURE:
		if (w->in.signature_failure.app_id != NULL)
			n += key_text(&out[n], w->in.signature_failure.app_id, "key:",
			              w->in.signature_failure.key_id);
		break;
	case SW_AUTHENTICATOR_DELETE:
		if (w->in.authenticator_delete.app_id != NULL)
			n += key_text(&out[n], w->in.authenticator_delete.app_id, "key:",
			              w->in.authenticator_delete.key_id);
		break;
	case SW_REFRESH_ROTATE: n += key_hash(&out[n], "refresh:", w->in.refresh.old_hash); break;
	case SW_SESSION_REVOKE:
		n += key_text(&out[n], "", "session:", w->in.session_revoke.session_id);
		break;
	case SW_PASSWORD_ATTEMPT:
		n += key_hash(&out[n], "pwa:", w->in.password_attempt.user_key);
		if (w->in.password_attempt.has_ip)
			n += key_hash(&out[n], "pwa:", w->in.password_attempt.ip_key);
		break;
	default: break;
	}
	return n;
}

void store_write_out_reset(struct store_write *w)
{
	model_session_clear(&w->out.session);
	w->out.locked = false;
	w->out.locked_until = 0;
	w->out.reuse_detected = false;
	w->out.key_replaced = false;
	w->out.retry_after = 0;
	if (w->audit != NULL)
		w->audit->id = 0;
}

int store_apply_refused(struct store_tx *tx, struct store_write *w, int code, bool *keep)
{
	*keep = false;
	store_write_out_reset(w);
	if (w->kind != SW_LOGIN || w->audit == NULL)
		return code;   /* nothing of a refused write stays */
	return login_failure(tx, w, code, keep);
}

int store_apply(struct store_tx *tx, struct store_write *w, bool *keep)
{
	int r;

	*keep = false;
	store_write_out_reset(w);
	switch (w->kind) {
	case SW_APP_CREATE: r = app_create(tx, &w->in.app); break;
	case SW_APP_DELETE: r = by_text(tx, ST_APP_DELETE, w->in.app_id, true); break;
	case SW_APP_SET_SECRET:
		r = app_set_secret(tx, w->in.app_secret.app_id, w->in.app_secret.secret_hash);
		break;
	case SW_USER_CREATE: r = user_create(tx, &w->in.user); break;
	case SW_USER_DELETE: r = user_delete(tx, w->in.user_id); break;
	case SW_AUTHENTICATOR_CREATE:
		r = authenticator_create(tx, &w->in.authenticator.a, w->in.authenticator.max_per_user,
		                         w->in.authenticator.challenge_hash,
		                         w->in.authenticator.session_id,
		                         w->in.authenticator.require_biometric);
		break;
	case SW_AUTHENTICATOR_DELETE:
		r = authenticator_delete(tx, w->in.authenticator_delete.app_id,
		                         w->in.authenticator_delete.key_id,
		                         w->in.authenticator_delete.user_id);
		break;
	case SW_CHALLENGE_CREATE: r = challenge_create(tx, &w->in.challenge); break;
	case SW_APP_SET_LIMITS: r = app_set_limits(tx, &w->in.app); break;
	case SW_SIGNATURE_FAILURE: r = signature_failure(tx, w); break;
	case SW_LOGIN: r = login(tx, w, keep); break;
	case SW_REFRESH_ROTATE: r = wr_refresh_rotate(tx, w); break;
	case SW_SESSION_REVOKE:
		r = wr_session_revoke(tx, w->in.session_revoke.app_id, w->in.session_revoke.session_id);
		break;
	case SW_SIGNING_KEY_ROTATE: r = signing_key_rotate(tx, &w->in.signing_key, false); break;
	case SW_SIGNING_KEY_FIRST: r = signing_key_rotate(tx, &w->in.signing_key, true); break;
	case SW_SIGNING_KEY_RESEAL: r = signing_key_reseal(tx, &w->in.signing_key); break;
	case SW_SIGNING_KEY_REVOKE: r = signing_key_revoke(tx, w); break;
	case SW_TOKEN_REVOKE:
		r = token_revoke(tx, w->in.token_revoke.jti, w->in.token_revoke.expires_at);
		break;
	case SW_APP_SET_ATTESTATION:
		r = app_set_attestation(tx, w->in.app_attestation.app_id, w->in.app_attestation.policy);
		break;
	case SW_AUDIT: r = w->audit != NULL ? BA_OK : BA_ERR_INVALID_REQUEST; break;
	case SW_PURGE: r = purge(tx, w->in.purge.before); break;
	case SW_APP_SET_MIN_CHALLENGE: r = app_set_min_challenge(tx, w); break;
	case SW_SETTING_SET: r = setting_set(tx, w); break;
	case SW_PASSWORD_ATTEMPT:
		r = password_attempt(tx, w);
		/* refused, it wrote nothing; kept so that out.retry_after stays */
		*keep = r == BA_ERR_TOO_MANY_ATTEMPTS;
		break;
	default: r = BA_ERR_INVALID_REQUEST; break;
	}
	/* What the write held back fails as its own; alone in its
	 * transaction a write that went through, or a login's kept refusal,
	 * leaves it to the COMMIT (tx.h `lone`). */
	if (!tx->lone || !(r == BA_OK || (w->kind == SW_LOGIN && *keep)))
		r = wr_settle(tx, r);
	/* AUTH_FAILURE inserts its event itself, before its "lock" event */
	if (r == BA_OK && w->audit != NULL && w->kind != SW_SIGNATURE_FAILURE) {
		struct audit_view v = audit_view_of(w->audit);

		r = audit_insert(tx, &v, &w->audit->id);
	}
	if (r == BA_OK && w->kind == SW_LOGIN && tx->ops->undo == NULL)
		r = tx->ops->savepoint(tx, TX_SP_RELEASE);   /* login()'s own */
	return r;
}
