/*
 * test_store_login.c - the authentication writes of the store: failure
 * counting and lockout, SW_LOGIN with each of its parts and error codes,
 * refresh-token rotation with reuse detection, session revocation.
 * Backend-agnostic like test_store.c (BIOAUTH_TEST_DB, see store_testlib.h).
 */
#define _XOPEN_SOURCE 700
#include <limits.h>

#include "store_testlib.h"
#include "store/lockout.h"

/* --- failures, lockout --- */

static void test_signature_failure_lock(void **state)
{
	char app[ID_LEN], user[ID_LEN], key[ID_LEN], sid[ID_LEN], other[ID_LEN];
	struct model_audit ev = {.event = "authenticate", .outcome = "failure",
	                         .reason = "invalid_signature"};
	struct store_audit_filter f = {0};
	struct store_write w;
	struct model_authenticator a;
	struct model_audit *list;
	size_t n;
	int64_t now = time(NULL);

	(void)state;
	mk_app(app, NULL, 10);
	mk_user(user);
	assert_int_equal(mk_key(app, user, key, 10, now), BA_OK);
	for (int i = 1; i <= 3; i++) {
		memset(&w, 0, sizeof(w));
		w.kind = SW_SIGNATURE_FAILURE;
		w.in.signature_failure.app_id = app;
		w.in.signature_failure.key_id = key;
		w.in.signature_failure.now = now;
		w.in.signature_failure.threshold = 3;
		w.in.signature_failure.lock_seconds = 60;
		ev.app_id = app;
		ev.user_id = user;
		ev.key_id = key;
		w.audit = &ev;
		assert_int_equal(wsync(&w), BA_OK);
		assert_true(ev.id > 0);
		assert_int_equal(w.out.locked, i == 3);
		if (i < 3) {
			assert_int_equal(store_authenticator_get(S, app, key, &a), BA_OK);
			assert_int_equal(a.failed_count, i);
			assert_int_equal(a.locked_until, 0);
			model_authenticator_clear(&a);
		}
	}
	assert_int_equal(w.out.locked_until, now + 60);
	assert_int_equal(store_authenticator_get(S, app, key, &a), BA_OK);
	assert_int_equal(a.locked_until, now + 60);
	model_authenticator_clear(&a);

	/* three failure events and one lock event, the lock newest */
	f.user_id = user;
	assert_int_equal(store_audit_list(S, &f, &list, &n), BA_OK);
	assert_int_equal(n, 4);
	assert_string_equal(list[0].event, "lock");
	assert_string_equal(list[0].key_id, key);
	assert_string_equal(list[0].app_id, app);
	assert_string_equal(list[1].event, "authenticate");
	assert_string_equal(list[1].reason, "invalid_signature");
	store_free_audit(list, n);

	/* locked: a login with the key fails and changes nothing */
	login_init(&w, app, user, sid, NULL, now + 10);
	w.in.login.key_id = key;
	assert_int_equal(wsync(&w), BA_ERR_KEY_LOCKED);
	assert_null(w.out.session.session_id);
	{
		struct model_session s;

		assert_int_equal(store_session_get(S, sid, &s), BA_ERR_NOT_FOUND);
	}
	/* after the lock a login works and resets the key */
	login_init(&w, app, user, sid, NULL, now + 61);
	w.in.login.key_id = key;
	assert_int_equal(wsync(&w), BA_OK);
	model_session_clear(&w.out.session);
	assert_int_equal(store_authenticator_get(S, app, key, &a), BA_OK);
	assert_int_equal(a.failed_count, 0);
	assert_true(a.locked_until <= now + 61);
	assert_int_equal(a.last_used_at, now + 61);
	model_authenticator_clear(&a);

	/* unknown key */
	memset(&w, 0, sizeof(w));
	w.kind = SW_SIGNATURE_FAILURE;
	w.in.signature_failure.app_id = app;
	uid(other, "key");
	w.in.signature_failure.key_id = other;
	w.in.signature_failure.now = now;
	w.in.signature_failure.threshold = 3;
	assert_int_equal(wsync(&w), BA_ERR_NOT_FOUND);
}

/* The lockout rule itself (lockout.c), as both backends apply it. */
static void test_lockout_rule(void **state)
{
	struct lockout lo;

	(void)state;
	/* below the threshold: counted, nothing locked, locked_until kept */
	lockout_after_failure(0, 0, 1000, 3, 60, &lo);
	assert_true(lo.store);
	assert_false(lo.locked);
	assert_false(lo.lock_event);
	assert_int_equal(lo.failed_count, 1);
	assert_int_equal(lo.locked_until, 0);
	lockout_after_failure(1, 900, 1000, 3, 60, &lo); /* an old, ended lock */
	assert_true(lo.store);
	assert_false(lo.locked);
	assert_int_equal(lo.failed_count, 2);
	assert_int_equal(lo.locked_until, 900);

	/* reaching the threshold locks, restarts the count, asks for an event */
	lockout_after_failure(2, 0, 1000, 3, 60, &lo);
	assert_true(lo.store);
	assert_true(lo.locked);
	assert_true(lo.lock_event);
	assert_int_equal(lo.failed_count, 0);
	assert_int_equal(lo.locked_until, 1060);
	lockout_after_failure(7, 0, 1000, 3, 60, &lo); /* past it (threshold lowered) */
	assert_true(lo.lock_event);
	assert_int_equal(lo.failed_count, 0);
	lockout_after_failure(0, 0, 1000, 1, 60, &lo);
	assert_true(lo.lock_event);

	/* a key locked at `now` stays exactly as it is */
	lockout_after_failure(0, 1060, 1059, 3, 60, &lo);
	assert_false(lo.store);
	assert_true(lo.locked);
	assert_false(lo.lock_event);
	assert_int_equal(lo.failed_count, 0);
	assert_int_equal(lo.locked_until, 1060);
	/* ... until its lock ends: locked_until == now is not locked */
	lockout_after_failure(0, 1060, 1060, 3, 60, &lo);
	assert_true(lo.store);
	assert_false(lo.locked);
	assert_int_equal(lo.failed_count, 1);

	/* threshold 0 (or below): never locks */
	lockout_after_failure(99, 0, 1000, 0, 60, &lo);
	assert_true(lo.store);
	assert_false(lo.locked);
	assert_int_equal(lo.failed_count, 100);
	lockout_after_failure(5, 0, 1000, -1, 60, &lo);
	assert_false(lo.locked);

	/* bounds: no overflow of the count or of the lock end */
	lockout_after_failure(INT_MAX, 0, 1000, 0, 60, &lo);
	assert_int_equal(lo.failed_count, INT_MAX);
	lockout_after_failure(0, 0, INT64_MAX - 10, 1, 60, &lo);
	assert_true(lo.locked);
	assert_true(lo.locked_until == INT64_MAX);
	lockout_after_failure(0, 0, 1000, 1, -5, &lo);
	assert_int_equal(lo.locked_until, 1000);
}

/* One SW_SIGNATURE_FAILURE on (app, key) at `now`; returns its rc. */
static int fail_once(const char *app, const char *user, const char *key, int64_t now,
                     int threshold, int64_t lock_seconds, struct store_write *w)
{
	static struct model_audit ev;

	memset(&ev, 0, sizeof(ev));
	ev.event = "authenticate";
	ev.outcome = "failure";
	ev.reason = "invalid_signature";
	ev.app_id = (char *)(uintptr_t)app;
	ev.user_id = (char *)(uintptr_t)user;
	ev.key_id = (char *)(uintptr_t)key;
	memset(w, 0, sizeof(*w));
	w->kind = SW_SIGNATURE_FAILURE;
	w->in.signature_failure.app_id = app;
	w->in.signature_failure.key_id = key;
	w->in.signature_failure.now = now;
	w->in.signature_failure.threshold = threshold;
	w->in.signature_failure.lock_seconds = lock_seconds;
	w->audit = &ev;
	return wsync(w);
}

/* Counts the audit events of `user` named `event`. */
static size_t count_events(const char *user, const char *event)
{
	struct store_audit_filter f = {.user_id = user};
	struct model_audit *list;
	size_t n, k = 0;

	assert_int_equal(store_audit_list(S, &f, &list, &n), BA_OK);
	for (size_t i = 0; i < n; i++)
		k += strcmp(list[i].event, event) == 0;
	store_free_audit(list, n);
	return k;
}

static void expect_key(const char *app, const char *key, int failed, int64_t locked_until)
{
	struct model_authenticator a;

	assert_int_equal(store_authenticator_get(S, app, key, &a), BA_OK);
	assert_int_equal(a.failed_count, failed);
	assert_true(a.locked_until == locked_until);
	model_authenticator_clear(&a);
}

/*
 * Failures on a locked key are audited but change nothing (no count, no new
 * lock event, the lock end stays); once the lock ends, counting starts again
 * from zero and the next threshold locks again. Threshold 0 never locks.
 */
static void test_signature_failure_while_locked(void **state)
{
	char app[ID_LEN], user[ID_LEN], key[ID_LEN], key2[ID_LEN];
	struct store_write w;
	int64_t now = time(NULL);

	(void)state;
	mk_app(app, NULL, 10);
	mk_user(user);
	assert_int_equal(mk_key(app, user, key, 10, now), BA_OK);
	assert_int_equal(fail_once(app, user, key, now, 2, 100, &w), BA_OK);
	assert_false(w.out.locked);
	assert_int_equal(fail_once(app, user, key, now, 2, 100, &w), BA_OK);
	assert_true(w.out.locked);
	assert_true(w.out.locked_until == now + 100);
	expect_key(app, key, 0, now + 100);

	/* while locked: the failure is recorded, the key state is not touched */
	assert_int_equal(fail_once(app, user, key, now + 50, 2, 100, &w), BA_OK);
	assert_true(w.out.locked);
	assert_true(w.out.locked_until == now + 100);
	assert_true(w.audit->id > 0);
	assert_int_equal(fail_once(app, user, key, now + 99, 2, 5, &w), BA_OK);
	assert_true(w.out.locked_until == now + 100);
	expect_key(app, key, 0, now + 100);
	assert_int_equal(count_events(user, "authenticate"), 4);
	assert_int_equal(count_events(user, "lock"), 1);

	/* the lock ended (locked_until == now is not locked): counting again */
	assert_int_equal(fail_once(app, user, key, now + 100, 2, 100, &w), BA_OK);
	assert_false(w.out.locked);
	assert_int_equal(w.out.locked_until, 0);
	expect_key(app, key, 1, now + 100);
	assert_int_equal(fail_once(app, user, key, now + 101, 2, 100, &w), BA_OK);
	assert_true(w.out.locked);
	assert_true(w.out.locked_until == now + 201);
	expect_key(app, key, 0, now + 201);
	assert_int_equal(count_events(user, "lock"), 2);

	/* threshold 0: counted, never locked */
	assert_int_equal(mk_key(app, user, key2, 10, now), BA_OK);
	for (int i = 1; i <= 4; i++) {
		assert_int_equal(fail_once(app, user, key2, now, 0, 100, &w), BA_OK);
		assert_false(w.out.locked);
	}
	expect_key(app, key2, 4, 0);
	assert_int_equal(count_events(user, "lock"), 2);
}

/* --- login --- */

static void test_login_start_challenge(void **state)
{
	char app[ID_LEN], user[ID_LEN], user2[ID_LEN], key[ID_LEN], ch[ID_LEN], old[ID_LEN],
	     sid[ID_LEN], bogus[ID_LEN];
	uint8_t rt[MODEL_HASH_LEN];
	struct store_write w;
	struct model_challenge c;
	struct model_session s;
	struct model_refresh r;
	int64_t now = time(NULL);

	(void)state;
	mk_app(app, NULL, 10);
	mk_user(user);
	mk_user(user2);
	assert_int_equal(mk_key(app, user, key, 10, now), BA_OK);
	mk_challenge(app, user, ch, now + 300);
	mk_challenge(app, user, old, now - 1);

	/* a login with a missing key fails as a whole: the challenge survives */
	rand_hash(rt);
	login_init(&w, app, user, sid, rt, now);
	w.in.login.start_challenge = ch;
	w.in.login.key_id = "no-such-key";
	assert_int_equal(wsync(&w), BA_ERR_NOT_FOUND);
	assert_int_equal(store_challenge_get(S, ch, &c), BA_OK);
	assert_false(c.consumed);
	model_challenge_clear(&c);
	assert_int_equal(store_refresh_get(S, rt, &r), BA_ERR_NOT_FOUND);

	/* another user's challenge; an unknown one; an expired one */
	login_init(&w, app, user2, sid, rt, now);
	w.in.login.start_challenge = ch;
	assert_int_equal(wsync(&w), BA_ERR_INVALID_CHALLENGE);
	uid(bogus, "chal");
	login_init(&w, app, user, sid, rt, now);
	w.in.login.start_challenge = bogus;
	assert_int_equal(wsync(&w), BA_ERR_INVALID_CHALLENGE);
	login_init(&w, app, user, sid, rt, now);
	w.in.login.start_challenge = old;
	assert_int_equal(wsync(&w), BA_ERR_CHALLENGE_EXPIRED);

	/* success */
	login_init(&w, app, user, sid, rt, now);
	w.in.login.start_challenge = ch;
	w.in.login.key_id = key;
	w.in.login.session.org_id = "org-1";
	w.in.login.session.client_attributes = "{\"ip\":\"127.0.0.1\"}";
	assert_int_equal(wsync(&w), BA_OK);
	assert_string_equal(w.out.session.session_id, sid);
	assert_string_equal(w.out.session.app_id, app);
	assert_string_equal(w.out.session.user_id, user);
	assert_int_equal(w.out.session.factors, FACTOR_MOBILE_BIOMETRICS);
	assert_string_equal(w.out.session.org_id, "org-1");
	assert_int_equal(w.out.session.auth_time, now);
	assert_int_equal(w.out.session.expires_at, now + 3600);
	assert_false(w.out.session.revoked);
	model_session_clear(&w.out.session);
	assert_int_equal(store_challenge_get(S, ch, &c), BA_OK);
	assert_true(c.consumed);
	model_challenge_clear(&c);
	assert_int_equal(store_session_get(S, sid, &s), BA_OK);
	assert_string_equal(s.client_attributes, "{\"ip\":\"127.0.0.1\"}");
	model_session_clear(&s);
	assert_int_equal(store_refresh_get(S, rt, &r), BA_OK);
	assert_string_equal(r.session_id, sid);
	assert_false(r.rotated);
	assert_int_equal(r.expires_at, now + 3600);
	assert_memory_equal(r.hash, rt, MODEL_HASH_LEN);
	model_refresh_clear(&r);

	/* the challenge is spent */
	rand_hash(rt);
	login_init(&w, app, user, sid, rt, now);
	w.in.login.start_challenge = ch;
	assert_int_equal(wsync(&w), BA_ERR_CHALLENGE_REUSED);
	assert_int_equal(store_session_get(S, sid, &s), BA_ERR_NOT_FOUND);
}

static void test_login_client_challenge(void **state)
{
	char app[ID_LEN], user[ID_LEN], k1[ID_LEN], k2[ID_LEN], k3[ID_LEN], sid[ID_LEN];
	uint8_t h[MODEL_HASH_LEN], spki1[MODEL_HASH_LEN], spki2[MODEL_HASH_LEN];
	struct store_write w;
	int64_t now = time(NULL);

	(void)state;
	mk_app(app, NULL, 10);
	mk_user(user);
	assert_int_equal(mk_key(app, user, k1, 10, now), BA_OK);
	assert_int_equal(mk_key(app, user, k2, 10, now), BA_OK);
	assert_int_equal(mk_key(app, user, k3, 10, now), BA_OK);
	rand_hash(h);
	rand_hash(spki1);
	rand_hash(spki2);
	for (int i = 0; i < 2; i++) {
		login_init(&w, app, user, sid, NULL, now);
		w.in.login.key_id = k1;
		w.in.login.has_client_challenge = true;
		memcpy(w.in.login.client_challenge_hash, h, MODEL_HASH_LEN);
		memcpy(w.in.login.client_challenge_key, spki1, MODEL_HASH_LEN);
		assert_int_equal(wsync(&w), i == 0 ? BA_OK : BA_ERR_CHALLENGE_REUSED);
		model_session_clear(&w.out.session);
	}
	/* the same challenge with another key is another pair */
	login_init(&w, app, user, sid, NULL, now);
	w.in.login.key_id = k2;
	w.in.login.has_client_challenge = true;
	memcpy(w.in.login.client_challenge_hash, h, MODEL_HASH_LEN);
	memcpy(w.in.login.client_challenge_key, spki2, MODEL_HASH_LEN);
	assert_int_equal(wsync(&w), BA_OK);
	model_session_clear(&w.out.session);
	/* ... unless it has the same public key (SPKI hash) under another id */
	login_init(&w, app, user, sid, NULL, now);
	w.in.login.key_id = k3;
	w.in.login.has_client_challenge = true;
	memcpy(w.in.login.client_challenge_hash, h, MODEL_HASH_LEN);
	memcpy(w.in.login.client_challenge_key, spki1, MODEL_HASH_LEN);
	assert_int_equal(wsync(&w), BA_ERR_CHALLENGE_REUSED);
	model_session_clear(&w.out.session);
}

/* A second factor joins a live session of the same user and app. */
static void test_login_existing_session(void **state)
{
	char app[ID_LEN], app2[ID_LEN], user[ID_LEN], user2[ID_LEN], key[ID_LEN], sid[ID_LEN],
	     sid2[ID_LEN], unused[ID_LEN];
	uint8_t rt[MODEL_HASH_LEN], rt2[MODEL_HASH_LEN];
	struct store_write w;
	struct model_session s;
	struct model_refresh r;
	int64_t now = time(NULL);

	(void)state;
	mk_app(app, NULL, 10);
	mk_app(app2, NULL, 10);
	mk_user(user);
	mk_user(user2);
	assert_int_equal(mk_key(app, user, key, 10, now), BA_OK);
	mk_session(app, user, sid, rt, now - 100);

	rand_hash(rt2);
	login_init(&w, app, user, unused, rt2, now);
	w.in.login.key_id = key;
	w.in.login.existing_session_id = sid;
	assert_int_equal(wsync(&w), BA_OK);
	assert_string_equal(w.out.session.session_id, sid);
	assert_int_equal(w.out.session.factors, FACTOR_PWD | FACTOR_MOBILE_BIOMETRICS);
	assert_int_equal(w.out.session.auth_time, now);
	assert_int_equal(w.out.session.created_at, now - 100);
	model_session_clear(&w.out.session);
	assert_int_equal(store_session_get(S, unused, &s), BA_ERR_NOT_FOUND);
	assert_int_equal(store_refresh_get(S, rt2, &r), BA_OK); /* bound to sid */
	assert_string_equal(r.session_id, sid);
	model_refresh_clear(&r);

	/* not of this user, not of this app, expired, revoked: NOT_FOUND */
	login_init(&w, app, user2, unused, NULL, now);
	w.in.login.existing_session_id = sid;
	assert_int_equal(wsync(&w), BA_ERR_NOT_FOUND);
	login_init(&w, app2, user, unused, NULL, now);
	w.in.login.existing_session_id = sid;
	assert_int_equal(wsync(&w), BA_ERR_NOT_FOUND);
	login_init(&w, app, user, unused, NULL, now + 4000);
	w.in.login.existing_session_id = sid;
	assert_int_equal(wsync(&w), BA_ERR_NOT_FOUND);
	mk_session(app, user, sid2, rt2, now);
	memset(&w, 0, sizeof(w));
	w.kind = SW_SESSION_REVOKE;
	w.in.session_revoke.app_id = app;
	w.in.session_revoke.session_id = sid2;
	assert_int_equal(wsync(&w), BA_OK);
	login_init(&w, app, user, unused, NULL, now);
	w.in.login.existing_session_id = sid2;
	assert_int_equal(wsync(&w), BA_ERR_NOT_FOUND);
}

/* --- refresh tokens, sessions --- */

static void rotate_init(struct store_write *w, const char *app, const uint8_t *old,
                        uint8_t *next, int64_t now)
{
	memset(w, 0, sizeof(*w));
	w->kind = SW_REFRESH_ROTATE;
	w->in.refresh.app_id = app;
	memcpy(w->in.refresh.old_hash, old, MODEL_HASH_LEN);
	rand_hash(next);
	memcpy(w->in.refresh.next.hash, next, MODEL_HASH_LEN);
	w->in.refresh.next.expires_at = now + 3600;
	w->in.refresh.now = now;
}

static void test_refresh_rotate(void **state)
{
	char app[ID_LEN], app2[ID_LEN], user[ID_LEN], sid[ID_LEN], sid2[ID_LEN];
	uint8_t rt[MODEL_HASH_LEN], next[MODEL_HASH_LEN], next2[MODEL_HASH_LEN],
	        unknown[MODEL_HASH_LEN], rt2[MODEL_HASH_LEN];
	struct store_write w;
	struct model_refresh r;
	struct model_session s;
	int64_t now = time(NULL);

	(void)state;
	mk_app(app, NULL, 10);
	mk_app(app2, NULL, 10);
	mk_user(user);
	mk_session(app, user, sid, rt, now);

	rotate_init(&w, app2, rt, next, now);           /* another app's client */
	assert_int_equal(wsync(&w), BA_ERR_INVALID_GRANT);
	rotate_init(&w, app, rt, next, now + 3600);     /* expired */
	assert_int_equal(wsync(&w), BA_ERR_INVALID_GRANT);
	rand_hash(unknown);
	rotate_init(&w, app, unknown, next, now);
	assert_int_equal(wsync(&w), BA_ERR_INVALID_GRANT);

	rotate_init(&w, app, rt, next, now + 1);
	assert_int_equal(wsync(&w), BA_OK);
	assert_false(w.out.reuse_detected);
	assert_string_equal(w.out.session.session_id, sid);
	assert_string_equal(w.out.session.user_id, user);
	model_session_clear(&w.out.session);
	assert_int_equal(store_refresh_get(S, rt, &r), BA_OK);
	assert_true(r.rotated);
	model_refresh_clear(&r);
	assert_int_equal(store_refresh_get(S, next, &r), BA_OK);
	assert_false(r.rotated);
	assert_string_equal(r.session_id, sid);
	assert_int_equal(r.expires_at, now + 3601);
	model_refresh_clear(&r);

	rotate_init(&w, NULL, next, next2, now + 2);    /* app_id unset: any app */
	assert_int_equal(wsync(&w), BA_OK);
	model_session_clear(&w.out.session);

	/* reuse of rt: the session dies, committed, and the rc is OK */
	rotate_init(&w, app, rt, next, now + 3);
	assert_int_equal(wsync(&w), BA_OK);
	assert_true(w.out.reuse_detected);
	model_session_clear(&w.out.session);
	assert_int_equal(store_session_get(S, sid, &s), BA_OK);
	assert_true(s.revoked);
	model_session_clear(&s);
	rotate_init(&w, app, next2, next, now + 4);     /* the live token is dead too */
	assert_int_equal(wsync(&w), BA_ERR_INVALID_GRANT);
	assert_false(w.out.reuse_detected);

	/* an expired session and token */
	mk_session(app, user, sid2, rt2, now - 4000);
	rotate_init(&w, app, rt2, next, now);
	assert_int_equal(wsync(&w), BA_ERR_INVALID_GRANT);
}

static void test_session_revoke(void **state)
{
	char app[ID_LEN], app2[ID_LEN], user[ID_LEN], sid[ID_LEN], bogus[ID_LEN];
	uint8_t rt[MODEL_HASH_LEN], next[MODEL_HASH_LEN];
	struct store_write w = {.kind = SW_SESSION_REVOKE};
	struct model_session s;
	int64_t now = time(NULL);

	(void)state;
	mk_app(app, NULL, 10);
	mk_app(app2, NULL, 10);
	mk_user(user);
	mk_session(app, user, sid, rt, now);
	assert_int_equal(store_session_get(S, sid, &s), BA_OK);
	assert_false(s.revoked);
	assert_int_equal(s.factors, FACTOR_PWD);
	model_session_clear(&s);

	w.in.session_revoke.app_id = app2;
	w.in.session_revoke.session_id = sid;
	assert_int_equal(wsync(&w), BA_ERR_NOT_FOUND);
	uid(bogus, "ses");
	w.in.session_revoke.app_id = app;
	w.in.session_revoke.session_id = bogus;
	assert_int_equal(wsync(&w), BA_ERR_NOT_FOUND);
	w.in.session_revoke.session_id = sid;
	assert_int_equal(wsync(&w), BA_OK);
	assert_int_equal(store_session_get(S, sid, &s), BA_OK);
	assert_true(s.revoked);
	model_session_clear(&s);
	rotate_init(&w, app, rt, next, now);
	assert_int_equal(wsync(&w), BA_ERR_INVALID_GRANT);
}

/*
 * A refused SW_LOGIN is one commit: what it wrote is undone, and its audit
 * event is recorded as the refusal (outcome "failure", reason the error's
 * name) in that same commit.
 */
static void test_login_refused_one_commit(void **state)
{
	char app[ID_LEN], user[ID_LEN], key[ID_LEN], ch[ID_LEN], sid[ID_LEN];
	char event[] = "authenticate", outcome[] = "success";
	struct store_audit_filter f = { 0 };
	unsigned long long c0, c1, w0, w1;
	struct model_audit ev = { 0 }, *list = NULL;
	struct model_challenge c;
	struct store_write w;
	int64_t now = time(NULL);
	size_t n = 0;

	(void)state;
	mk_app(app, NULL, 10);
	mk_user(user);
	assert_int_equal(mk_key(app, user, key, 10, now), BA_OK);
	mk_challenge(app, user, ch, now + 300);

	/* the challenge is consumed, then the key check refuses */
	login_init(&w, app, user, sid, NULL, now);
	w.in.login.start_challenge = ch;
	w.in.login.key_id = "no-such-key";
	ev.time = now;
	ev.event = event;
	ev.outcome = outcome;
	ev.app_id = app;
	ev.user_id = user;
	w.audit = &ev;
	metrics_commit_totals(&c0, &w0);
	assert_int_equal(wsync(&w), BA_ERR_NOT_FOUND);
	metrics_commit_totals(&c1, &w1);
	assert_int_equal(c1 - c0, 1);
	assert_true(ev.id > 0);

	assert_int_equal(store_challenge_get(S, ch, &c), BA_OK);
	assert_false(c.consumed);
	model_challenge_clear(&c);
	assert_int_equal(store_session_get(S, sid, &w.out.session),
	                 BA_ERR_NOT_FOUND);
	f.user_id = user;
	assert_int_equal(store_audit_list(S, &f, &list, &n), BA_OK);
	assert_int_equal(n, 1);
	assert_int_equal(list[0].id, ev.id);
	assert_string_equal(list[0].event, "authenticate");
	assert_string_equal(list[0].outcome, "failure");
	assert_string_equal(list[0].reason, ba_strerror(BA_ERR_NOT_FOUND));
	store_free_audit(list, n);
}

/* A login with key `key` signing client challenge `h` (its SPKI hash
 * `spki`), a new session and (rt not NULL) refresh token. */
static void cc_login(struct store_write *w, const char *app, const char *user, char *sid,
                     const uint8_t *rt, int64_t now, const char *key, const uint8_t *h,
                     const uint8_t *spki)
{
	login_init(w, app, user, sid, rt, now);
	w->in.login.key_id = key;
	w->in.login.has_client_challenge = true;
	memcpy(w->in.login.client_challenge_hash, h, MODEL_HASH_LEN);
	memcpy(w->in.login.client_challenge_key, spki, MODEL_HASH_LEN);
}

/*
 * A login refused by an insert whose result it only checks - a replayed
 * client challenge, a taken session id - is refused as a whole: on
 * PostgreSQL a login alone in its transaction sends those inserts with its
 * COMMIT, which their refusal skips, and the login then commits its
 * failure event alone. One commit, nothing of the login (its key's use,
 * session, refresh token, challenge pair) kept.
 */
static void test_login_refused_at_commit(void **state)
{
	char app[ID_LEN], user[ID_LEN], key[ID_LEN], sid[ID_LEN], sid2[ID_LEN], sid3[ID_LEN];
	uint8_t h[MODEL_HASH_LEN], h2[MODEL_HASH_LEN], spki[MODEL_HASH_LEN];
	uint8_t rt[MODEL_HASH_LEN], rt2[MODEL_HASH_LEN];
	char event[] = "authenticate", outcome[] = "success";
	struct store_audit_filter f = { 0 };
	unsigned long long c0, c1, w0, w1;
	struct model_audit ev = { 0 }, *list = NULL;
	struct model_authenticator a;
	struct model_session ses;
	struct model_refresh ref;
	struct store_write w;
	int64_t now = time(NULL);
	size_t n = 0;

	(void)state;
	mk_app(app, NULL, 10);
	mk_user(user);
	assert_int_equal(mk_key(app, user, key, 10, now), BA_OK);
	rand_hash(h);
	rand_hash(h2);
	rand_hash(spki);
	rand_hash(rt);
	rand_hash(rt2);
	cc_login(&w, app, user, sid, rt, now, key, h, spki);
	assert_int_equal(wsync(&w), BA_OK);
	model_session_clear(&w.out.session);

	/* the replay */
	cc_login(&w, app, user, sid2, rt2, now + 7, key, h, spki);
	ev.time = now + 7;
	ev.event = event;
	ev.outcome = outcome;
	ev.app_id = app;
	ev.user_id = user;
	w.audit = &ev;
	metrics_commit_totals(&c0, &w0);
	assert_int_equal(wsync(&w), BA_ERR_CHALLENGE_REUSED);
	metrics_commit_totals(&c1, &w1);
	assert_int_equal(c1 - c0, 1);
	assert_true(ev.id > 0);
	assert_null(w.out.session.session_id);
	assert_int_equal(store_session_get(S, sid2, &ses), BA_ERR_NOT_FOUND);
	assert_int_equal(store_refresh_get(S, rt2, &ref), BA_ERR_NOT_FOUND);
	assert_int_equal(store_authenticator_get(S, app, key, &a), BA_OK);
	assert_int_equal(a.last_used_at, now);   /* not the replay's */
	model_authenticator_clear(&a);
	f.user_id = user;
	assert_int_equal(store_audit_list(S, &f, &list, &n), BA_OK);
	assert_int_equal(n, 1);
	assert_int_equal(list[0].id, ev.id);
	assert_string_equal(list[0].outcome, "failure");
	assert_string_equal(list[0].reason, ba_strerror(BA_ERR_CHALLENGE_REUSED));
	store_free_audit(list, n);

	/* a new pair with a taken session id: refused, the pair not kept */
	cc_login(&w, app, user, sid3, NULL, now + 8, key, h2, spki);
	w.in.login.session.session_id = sid;
	assert_int_equal(wsync(&w), BA_ERR_CONFLICT);
	assert_null(w.out.session.session_id);
	assert_int_equal(store_session_get(S, sid, &ses), BA_OK);
	assert_int_equal(ses.auth_time, now);   /* the first login's, untouched */
	model_session_clear(&ses);
	cc_login(&w, app, user, sid3, NULL, now + 9, key, h2, spki);
	assert_int_equal(wsync(&w), BA_OK);
	model_session_clear(&w.out.session);
	assert_int_equal(store_authenticator_get(S, app, key, &a), BA_OK);
	assert_int_equal(a.last_used_at, now + 9);
	model_authenticator_clear(&a);
}

/* An authentication's one read: the key, and the /start challenge the
 * client signed when there is one, each as their own reads answer them. */
static void test_key_with_challenge_read(void **state)
{
	char app[ID_LEN], user[ID_LEN], key[ID_LEN], ch[ID_LEN], other[ID_LEN];
	struct model_authenticator a, a1;
	struct model_challenge c, c1;
	int64_t now = time(NULL);
	bool has = true;

	(void)state;
	mk_app(app, NULL, 10);
	mk_user(user);
	assert_int_equal(mk_key(app, user, key, 10, now), BA_OK);
	mk_challenge(app, user, ch, now + 300);

	assert_int_equal(store_authenticator_get_with_challenge(S, app, key, ch, &a, &c, &has),
	                 BA_OK);
	assert_true(has);
	assert_int_equal(store_authenticator_get(S, app, key, &a1), BA_OK);
	assert_string_equal(a.public_key_id, a1.public_key_id);
	assert_string_equal(a.user_id, user);
	assert_int_equal(a.public_key_der_len, a1.public_key_der_len);
	assert_memory_equal(a.public_key_der, a1.public_key_der, a1.public_key_der_len);
	assert_int_equal(a.created_at, a1.created_at);
	assert_int_equal(a.locked_until, a1.locked_until);
	assert_int_equal(store_challenge_get(S, ch, &c1), BA_OK);
	assert_string_equal(c.challenge, ch);
	assert_string_equal(c.app_id, app);
	assert_string_equal(c.user_id, user);
	assert_int_equal(c.expires_at, c1.expires_at);
	assert_int_equal(c.created_at, c1.created_at);
	assert_false(c.consumed);
	model_authenticator_clear(&a);
	model_authenticator_clear(&a1);
	model_challenge_clear(&c);
	model_challenge_clear(&c1);

	/* a client-made challenge: the key alone */
	uid(other, "chal");
	assert_int_equal(store_authenticator_get_with_challenge(S, app, key, other, &a, &c, &has),
	                 BA_OK);
	assert_false(has);
	assert_null(c.challenge);
	assert_string_equal(a.public_key_id, key);
	model_authenticator_clear(&a);

	/* no key: NOT_FOUND, whatever the challenge */
	assert_int_equal(store_authenticator_get_with_challenge(S, app, "no-such-key", ch, &a, &c,
	                                                        &has), BA_ERR_NOT_FOUND);
	assert_false(has);
	assert_null(a.public_key_id);
	assert_null(c.challenge);
}

#define T(f) cmocka_unit_test_setup_teardown(f, store_setup, store_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lockout_rule),
		T(test_signature_failure_lock),
		T(test_signature_failure_while_locked),
		T(test_login_start_challenge),
		T(test_login_refused_one_commit),
		T(test_login_refused_at_commit),
		T(test_login_client_challenge),
		T(test_login_existing_session),
		T(test_refresh_rotate),
		T(test_session_revoke),
		T(test_key_with_challenge_read),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
