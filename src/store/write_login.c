/*
 * write_login.c - the write kinds of logins, sessions and refresh tokens
 * (SW_LOGIN, SW_REFRESH_ROTATE, SW_SESSION_REVOKE; store.h), written once
 * for both backends. Whether a challenge may be consumed and whether a
 * session is live are decided by the domain's rules (domain/challenges.h,
 * domain/sessions.h), the same ones the handlers ask before they submit.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "domain/challenges.h"
#include "domain/sessions.h"
#include "store/read.h"
#include "store/write.h"

static bool all_zero(const uint8_t *b, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= b[i];
	return acc == 0;
}

/*
 * Consumes the /start challenge of a login in one conditional UPDATE; only
 * when that changes nothing is the challenge read, and the domain's rule
 * tells why (unknown: INVALID_CHALLENGE).
 */
static int consume_challenge(struct store_tx *tx, const struct store_login *l)
{
	struct model_challenge c = { 0 };
	struct tx_binds b = { 0 };
	int r;

	tx_text(&b, l->start_challenge);
	tx_text(&b, l->app_id);
	tx_text(&b, l->user_id);
	tx_int(&b, l->now);
	r = wr_changed(tx, ST_CHAL_CONSUME, &b);
	if (r != BA_ERR_NOT_FOUND)
		return r;
	b.n = 1;
	r = wr_row(tx, ST_CHAL_STATE, &b);
	if (r != BA_OK)
		return r == BA_ERR_NOT_FOUND ? BA_ERR_INVALID_CHALLENGE : r;
	if ((r = tx->ops->col_text(tx, 0, &c.app_id)) == BA_OK &&
	    (r = tx->ops->col_text(tx, 1, &c.user_id)) == BA_OK &&
	    (r = tx->ops->col_bool(tx, 2, &c.consumed)) == BA_OK &&
	    (r = tx->ops->col_int(tx, 3, &c.expires_at)) == BA_OK) {
		r = challenges_usable(&c, l->app_id, l->user_id, NULL, l->now, NULL);
		if (r == BA_OK)   /* consumed by a concurrent login in between */
			r = BA_ERR_CHALLENGE_REUSED;
	}
	model_challenge_clear(&c);
	return r;
}

/* Checks the key of a login (locking its row where the dialect locks) and
 * records its successful use: NOT_FOUND unless user_id's, KEY_LOCKED.
 * key->created_at and key->enrol_factors receive the key's. The usual case
 * is one UPDATE ... RETURNING; only when it changes nothing is the key's
 * state read to tell why. */
static int login_key(struct store_tx *tx, const struct store_login *l,
                     struct model_authenticator *key)
{
	struct tx_binds b = { 0 };
	char *owner = NULL;
	int64_t locked_until = 0, enrol = 0;
	int r;

	tx_text(&b, l->app_id);
	tx_text(&b, l->key_id);
	tx_int(&b, l->now);
	tx_text(&b, l->user_id);
	r = wr_row(tx, ST_AUTHENTICATOR_SUCCESS_TAKE, &b);
	if (r == BA_OK && (r = tx->ops->col_int(tx, 0, &key->created_at)) == BA_OK &&
	    (r = tx->ops->col_int(tx, 1, &enrol)) == BA_OK)
		key->enrol_factors = (unsigned)enrol;
	if (r != BA_ERR_NOT_FOUND)
		return r;
	b.n = 2;
	if ((r = wr_row(tx, ST_AUTHENTICATOR_STATE_GET, &b)) != BA_OK ||
	    (r = tx->ops->col_text(tx, 0, &owner)) != BA_OK ||
	    (r = tx->ops->col_int(tx, 2, &locked_until)) != BA_OK ||
	    (r = tx->ops->col_int(tx, 3, &key->created_at)) != BA_OK ||
	    (r = tx->ops->col_int(tx, 4, &enrol)) != BA_OK)
		goto out;
	key->enrol_factors = (unsigned)enrol;
	if (owner == NULL || strcmp(owner, l->user_id) != 0)
		r = BA_ERR_NOT_FOUND;
	else if (locked_until > l->now)
		r = BA_ERR_KEY_LOCKED;
	if (r != BA_OK)
		goto out;
	tx_int(&b, l->now);
	r = wr_later(tx, ST_AUTHENTICATOR_SUCCESS_SET, &b, 0);
out:
	free(owner);
	return r;
}

/* Reads session `sid` as this transaction sees it into *out (owned), with
 * statement ST_SESSION_GET or ST_SESSION_LOCK. */
static int session_load(struct store_tx *tx, enum st_id id, const char *sid,
                        struct model_session *out)
{
	struct tx_binds b = { 0 };
	int r;

	memset(out, 0, sizeof(*out));
	tx_text(&b, sid);
	if ((r = wr_row(tx, id, &b)) != BA_OK)
		return r;
	return store_row_session(tx, out);
}

/* Adds the login's factors (and its org_id / client_attributes when set)
 * to a live session of the same app and user; NOT_FOUND otherwise. Whether
 * the session then holds independent factors (FACTOR_MFA) is the domain's
 * rule, told the login's key (`key`, NULL for none). */
static int session_extend(struct store_tx *tx, const struct store_login *l,
                          const struct model_authenticator *key)
{
	struct model_session cur;
	struct tx_binds b = { 0 };
	unsigned factors = 0;
	int r = session_load(tx, ST_SESSION_LOCK, l->existing_session_id, &cur);

	if (r != BA_OK)
		return r;
	if (!sessions_live(&cur, l->app_id, l->user_id, l->now))
		r = BA_ERR_NOT_FOUND;
	else
		factors = sessions_add_factors(cur.factors, l->session.factors, cur.created_at, key);
	model_session_clear(&cur);
	if (r != BA_OK)
		return r;
	tx_text(&b, l->existing_session_id);
	tx_int(&b, (int64_t)factors);
	tx_int(&b, l->now);
	tx_text(&b, l->session.org_id);
	tx_text(&b, l->session.client_attributes);
	return wr_later(tx, ST_SESSION_ADD_FACTORS, &b, 0);
}

/* Inserts the login's new session; *out (owned) receives its row as
 * inserted, without reading it back (the insert may still be held back:
 * wr_later). */
static int session_insert(struct store_tx *tx, const struct store_login *l,
                          struct model_session *out)
{
	const struct model_session *s = &l->session;
	struct model_session row = *s;
	struct tx_binds b = { 0 };
	int r;

	row.app_id = (char *)(uintptr_t)l->app_id;
	row.user_id = (char *)(uintptr_t)l->user_id;
	row.factors = s->factors & ~(unsigned)FACTOR_MFA;   /* one login: one factor */
	row.created_at = s->created_at != 0 ? s->created_at : l->now;
	row.auth_time = l->now;
	row.revoked = false;
	tx_text(&b, row.session_id);
	tx_text(&b, row.app_id);
	tx_text(&b, row.user_id);
	tx_int(&b, (int64_t)row.factors);
	tx_text(&b, row.org_id);
	tx_text(&b, row.client_attributes);
	tx_int(&b, row.created_at);
	tx_int(&b, row.auth_time);
	tx_int(&b, row.expires_at);
	r = wr_later(tx, ST_SESSION_INSERT, &b, BA_ERR_CONFLICT);   /* unknown app: NOT_FOUND */
	return r == BA_OK ? model_session_copy(out, &row) : r;
}

static int refresh_insert(struct store_tx *tx, const struct model_refresh *rt,
                          const char *session_id, int64_t now)
{
	struct tx_binds b = { 0 };

	tx_blob(&b, rt->hash, MODEL_HASH_LEN);
	tx_text(&b, session_id);
	tx_int(&b, rt->created_at != 0 ? rt->created_at : now);
	tx_int(&b, rt->expires_at);
	return wr_later(tx, ST_REFRESH_INSERT, &b, BA_ERR_CONFLICT);
}

/* SW_LOGIN: every part that is set, in the order store.h lists them. The
 * statements whose result is only checked for an error (wr_later) travel
 * with the next one whose result is read: on PostgreSQL a login with a
 * client challenge and a new session pays one round trip for the key's
 * row; a /start challenge adds one, an extended session one. In a batch
 * wr_login settles the rest before it returns (one more round trip), so
 * that login() rolls back everything of a refused login to its
 * savepoint; a login alone in its transaction (tx.h `lone`) leaves them
 * to go with its audit event and COMMIT, where a refusal fails the
 * COMMIT and the queue records the login's failure alone
 * (store_apply_refused). */
static int login_steps(struct store_tx *tx, struct store_write *w)
{
	const struct store_login *l = &w->in.login;
	struct model_authenticator key = { 0 };
	const char *sid = NULL;
	int r;

	if (l->app_id == NULL || l->user_id == NULL || (l->has_client_challenge && l->key_id == NULL))
		return BA_ERR_INVALID_REQUEST;
	/* the user first, as a user deletion locks it first (no deadlock) */
	if ((r = wr_user_hold(tx, l->user_id, l->password_hash, BA_ERR_INVALID_CREDENTIALS)) != BA_OK)
		return r;
	if (l->start_challenge != NULL && (r = consume_challenge(tx, l)) != BA_OK)
		return r;
	/* Lock the key's row before inserting its (key, challenge) pair: on
	 * PostgreSQL the pair's foreign key would share-lock the row first, and
	 * two logins of one key upgrading share locks to FOR UPDATE deadlock. */
	if (l->key_id != NULL && (r = login_key(tx, l, &key)) != BA_OK)
		return r;
	if (l->has_client_challenge) {
		struct tx_binds b = { 0 };

		tx_text(&b, l->app_id);
		tx_text(&b, l->key_id);
		tx_blob(&b, l->client_challenge_hash, MODEL_HASH_LEN);
		tx_int(&b, l->now);
		r = wr_later(tx, ST_CC_INSERT, &b, BA_ERR_CHALLENGE_REUSED);   /* unknown key: NOT_FOUND */
		if (r != BA_OK)
			return r;
		memset(&b, 0, sizeof(b));
		tx_text(&b, l->app_id);
		tx_blob(&b, l->client_challenge_key, MODEL_HASH_LEN);
		tx_blob(&b, l->client_challenge_hash, MODEL_HASH_LEN);
		tx_int(&b, l->now);
		if ((r = wr_later(tx, ST_UC_INSERT, &b, BA_ERR_CHALLENGE_REUSED)) != BA_OK)
			return r;
	}
	if (l->existing_session_id != NULL) {
		sid = l->existing_session_id;
		r = session_extend(tx, l, l->key_id != NULL ? &key : NULL);
	} else if (l->session.session_id != NULL) {
		sid = l->session.session_id;
		r = session_insert(tx, l, &w->out.session);
	} else {
		r = BA_OK;
	}
	if (r == BA_OK && !all_zero(l->refresh.hash, MODEL_HASH_LEN))
		r = sid != NULL ? refresh_insert(tx, &l->refresh, sid, l->now) : BA_ERR_INVALID_REQUEST;
	if (r == BA_OK && l->password_reset != NULL)
		r = wr_password_reset(tx, l->password_reset);
	if (r == BA_OK && l->existing_session_id != NULL)
		r = session_load(tx, ST_SESSION_GET, sid, &w->out.session);
	return r;
}

int wr_login(struct store_tx *tx, struct store_write *w)
{
	int r = login_steps(tx, w);

	/* alone in its transaction, what went through may ride with the
	 * COMMIT (tx.h `lone`): a refusal there fails the COMMIT */
	return r == BA_OK && tx->lone ? r : wr_settle(tx, r);
}

/*
 * Revokes a session (of `app_id`, NULL = any) and drops its refresh tokens;
 * NOT_FOUND if there is no such session (the write is then undone with
 * its savepoint, the deleted tokens included). The tokens go first: a
 * rotation locks its token's row and then the session's (write.c's lock
 * order), so taking them in the other order could deadlock with it.
 */
int wr_session_revoke(struct store_tx *tx, const char *app_id, const char *session_id)
{
	struct tx_binds b = { 0 };
	int r;

	tx_text(&b, session_id);
	if ((r = wr_run(tx, ST_REFRESH_DEL_SESSION, &b)) != BA_OK)
		return r;
	tx_text(&b, app_id);
	return wr_changed(tx, ST_SESSION_REVOKE, &b);
}

/*
 * SW_REFRESH_ROTATE, see store.h. Where transactions overlap the token's row
 * is locked while it is checked, so of two concurrent exchanges of one
 * token the second sees the first's rotation and revokes the session.
 */
int wr_refresh_rotate(struct store_tx *tx, struct store_write *w)
{
	const struct store_refresh_rotate *rr = &w->in.refresh;
	struct model_session s = { 0 };
	struct tx_binds b = { 0 };
	int64_t rt_exp = 0, rotated_at = 0;
	bool rotated = false;
	char *sid = NULL;
	int r;

	tx_blob(&b, rr->old_hash, MODEL_HASH_LEN);
	r = wr_row(tx, ST_REFRESH_LOOKUP, &b);
	if (r != BA_OK)
		return r == BA_ERR_NOT_FOUND ? BA_ERR_INVALID_GRANT : r;
	if ((r = tx->ops->col_text(tx, 0, &sid)) != BA_OK ||
	    (r = tx->ops->col_int(tx, 1, &rt_exp)) != BA_OK ||
	    (r = tx->ops->col_bool(tx, 2, &rotated)) != BA_OK ||
	    (r = tx->ops->col_text(tx, 3, &s.app_id)) != BA_OK ||
	    (r = tx->ops->col_bool(tx, 4, &s.revoked)) != BA_OK ||
	    (r = tx->ops->col_int(tx, 5, &s.expires_at)) != BA_OK ||
	    (r = tx->ops->col_int(tx, 6, &rotated_at)) != BA_OK)
		goto out;
	if (sid == NULL || rt_exp <= rr->now || !sessions_live(&s, rr->app_id, NULL, rr->now)) {
		r = BA_ERR_INVALID_GRANT;
		goto out;
	}
	if (rotated && (rr->reuse_interval <= 0 || rr->now - rotated_at > rr->reuse_interval)) {
		/* Reuse of a spent token: someone else holds a copy. */
		w->out.reuse_detected = true;
		r = wr_session_revoke(tx, NULL, sid);
	} else {
		/* A reuse within the app's interval (a client's retry) gets a
		 * new pair of the same session; the token stays as rotated. */
		if (!rotated) {
			tx_int(&b, rr->now);
			r = wr_changed(tx, ST_REFRESH_MARK, &b);
		}
		if (r == BA_OK)
			r = all_zero(rr->next.hash, MODEL_HASH_LEN) ? BA_ERR_INVALID_REQUEST :
			    refresh_insert(tx, &rr->next, sid, wr_or_now(rr->now));
	}
	if (r == BA_OK)
		r = session_load(tx, ST_SESSION_GET, sid, &w->out.session);
out:
	model_session_clear(&s);
	free(sid);
	return wr_settle(tx, r);
}
