/*
 * test_store.c - the store interface, method by method and write kind by
 * write kind, with every error code store.h documents. Backend-agnostic:
 * BIOAUTH_TEST_DB selects the database (see store_testlib.h). The
 * authentication writes (failures, login, refresh, sessions) are in
 * test_store_login.c; concurrency, durability and storage faults in
 * test_store_concurrency.c.
 */
#define _XOPEN_SOURCE 700
#include "store_testlib.h"
#include "domain/apps.h"
#include "domain/contact.h"

/* --- model helpers --- */

static void test_model_copy_clear(void **state)
{
	struct model_app a = {0}, b;
	struct model_session s = {0}, t;

	(void)state;
	a.app_id = strdup("a1");
	a.name = strdup("n");
	a.client_id = strdup("c");
	a.resources[0] = strdup("https://r");
	a.n_resources = 1;
	a.max_authenticators = 7;
	memset(a.client_secret_hash, 1, MODEL_HASH_LEN);
	assert_int_equal(model_app_copy(&b, &a), BA_OK);
	assert_string_equal(b.app_id, "a1");
	assert_string_equal(b.resources[0], "https://r");
	assert_ptr_not_equal(b.resources[0], a.resources[0]);
	assert_int_equal(b.max_authenticators, 7);
	assert_memory_equal(b.client_secret_hash, a.client_secret_hash, MODEL_HASH_LEN);
	model_app_clear(&a);
	model_app_clear(&b);
	assert_null(b.app_id);
	assert_int_equal(b.n_resources, 0);
	assert_int_equal(b.client_secret_hash[0], 0);
	model_app_clear(&b); /* a cleared struct clears again */

	s.session_id = strdup("s1");
	s.app_id = strdup("a1");
	s.user_id = strdup("u1");
	s.factors = FACTOR_PWD;
	assert_int_equal(model_session_copy(&t, &s), BA_OK);
	assert_string_equal(t.user_id, "u1");
	assert_null(t.org_id);
	assert_int_equal(t.factors, FACTOR_PWD);
	model_session_clear(&s);
	model_session_clear(&t);
	assert_null(t.session_id);
}

/* --- open, ready, migrate --- */

static void test_ready_migrate(void **state)
{
	int version = -1;

	(void)state;
	assert_int_equal(S->ops->ready(S), BA_OK);
	assert_int_equal(S->ops->migrate(S, &version), BA_OK);
	assert_true(version >= 1);
	assert_int_equal(S->ops->ready(S), BA_OK);
}

/* --- apps --- */

static void test_apps(void **state)
{
	char app[ID_LEN], client[ID_LEN], other[ID_LEN];
	struct store_write w = {.kind = SW_APP_CREATE};
	struct model_app a;
	struct model_app *list;
	size_t n, found = 0;

	(void)state;
	mk_app(app, client, 10);
	assert_int_equal(store_app_get(S, app, &a), BA_OK);
	assert_string_equal(a.client_id, client);
	assert_string_equal(a.name, "Test app");
	assert_int_equal(a.n_resources, 2);
	assert_string_equal(a.resources[0], "https://api.example.test/one");
	assert_string_equal(a.resources[1], "https://api.example.test/two");
	assert_true(a.allow_client_challenges);
	assert_int_equal(a.max_authenticators, 10);
	assert_int_equal(a.client_secret_hash[0], 0x5a);
	model_app_clear(&a);
	assert_int_equal(store_app_get_by_client_id(S, client, &a), BA_OK);
	assert_string_equal(a.app_id, app);
	model_app_clear(&a);
	assert_int_equal(store_app_list(S, &list, &n), BA_OK);
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i].app_id, app) == 0 && list[i].n_resources == 2)
			found++;
	assert_int_equal(found, 1);
	store_free_apps(list, n);

	/* duplicate app_id, then duplicate client_id */
	uid(other, "client");
	w.in.app.app_id = app;
	w.in.app.name = "dup";
	w.in.app.client_id = other;
	assert_int_equal(wsync(&w), BA_ERR_CONFLICT);
	uid(other, "app");
	w.in.app.app_id = other;
	w.in.app.client_id = client;
	assert_int_equal(wsync(&w), BA_ERR_CONFLICT);
	assert_int_equal(store_app_get(S, other, &a), BA_ERR_NOT_FOUND);

	memset(&w, 0, sizeof(w));
	w.kind = SW_APP_SET_SECRET;
	w.in.app_secret.app_id = app;
	memset(w.in.app_secret.secret_hash, 0x77, MODEL_HASH_LEN);
	assert_int_equal(wsync(&w), BA_OK);
	assert_int_equal(store_app_get(S, app, &a), BA_OK);
	assert_int_equal(a.client_secret_hash[31], 0x77);
	model_app_clear(&a);
	w.in.app_secret.app_id = other;
	assert_int_equal(wsync(&w), BA_ERR_NOT_FOUND);

	memset(&w, 0, sizeof(w));
	w.kind = SW_APP_DELETE;
	w.in.app_id = app;
	assert_int_equal(wsync(&w), BA_OK);
	assert_int_equal(store_app_get(S, app, &a), BA_ERR_NOT_FOUND);
	assert_int_equal(store_app_get_by_client_id(S, client, &a), BA_ERR_NOT_FOUND);
	assert_int_equal(wsync(&w), BA_ERR_NOT_FOUND);
}

/* Deleting an app takes its keys, challenges, sessions and tokens along. */
static void test_app_delete_cascades(void **state)
{
	char app[ID_LEN], user[ID_LEN], key[ID_LEN], ch[ID_LEN], sid[ID_LEN];
	uint8_t rt[MODEL_HASH_LEN];
	struct store_write w = {.kind = SW_APP_DELETE};
	struct model_authenticator a;
	struct model_challenge c;
	struct model_session s;
	struct model_refresh r;
	int64_t now = time(NULL);

	(void)state;
	mk_app(app, NULL, 10);
	mk_user(user);
	assert_int_equal(mk_key(app, user, key, 10, now), BA_OK);
	mk_challenge(app, user, ch, now + 300);
	mk_session(app, user, sid, rt, now);
	w.in.app_id = app;
	assert_int_equal(wsync(&w), BA_OK);
	assert_int_equal(store_authenticator_get(S, app, key, &a), BA_ERR_NOT_FOUND);
	assert_int_equal(store_challenge_get(S, ch, &c), BA_ERR_NOT_FOUND);
	assert_int_equal(store_session_get(S, sid, &s), BA_ERR_NOT_FOUND);
	assert_int_equal(store_refresh_get(S, rt, &r), BA_ERR_NOT_FOUND);
}

/* The per-app floor of client-made challenges (default 1, set by
 * SW_APP_SET_MIN_CHALLENGE, NOT_FOUND for no such app) and the settings
 * rows (SW_SETTING_SET replaces, setting_get reads). */
static void test_app_floor_and_settings(void **state)
{
	char app[ID_LEN], name[ID_LEN];
	struct store_write w = {.kind = SW_APP_SET_MIN_CHALLENGE};
	struct model_app a;
	char *v = NULL;

	(void)state;
	mk_app(app, NULL, 10);
	assert_int_equal(store_app_get(S, app, &a), BA_OK);
	assert_int_equal(a.min_client_challenge_bytes, 1);
	model_app_clear(&a);
	w.in.app_min_challenge.app_id = app;
	w.in.app_min_challenge.bytes = 24;
	assert_int_equal(wsync(&w), BA_OK);
	assert_int_equal(store_app_get(S, app, &a), BA_OK);
	assert_int_equal(a.min_client_challenge_bytes, 24);
	model_app_clear(&a);
	w.in.app_min_challenge.bytes = 0;
	assert_int_equal(wsync(&w), BA_ERR_INVALID_REQUEST);
	w.in.app_min_challenge.bytes = 1025;
	assert_int_equal(wsync(&w), BA_ERR_INVALID_REQUEST);
	w.in.app_min_challenge.app_id = "app-that-is-not-there";
	w.in.app_min_challenge.bytes = 8;
	assert_int_equal(wsync(&w), BA_ERR_NOT_FOUND);

	uid(name, "setting");
	assert_int_equal(store_setting_get(S, name, &v), BA_ERR_NOT_FOUND);
	assert_null(v);
	memset(&w, 0, sizeof(w));
	w.kind = SW_SETTING_SET;
	w.in.setting.name = name;
	w.in.setting.value = "https://one.example";
	assert_int_equal(wsync(&w), BA_OK);
	assert_int_equal(store_setting_get(S, name, &v), BA_OK);
	assert_string_equal(v, "https://one.example");
	free(v);
	w.in.setting.value = "https://two.example";
	w.in.setting.now = 42;
	assert_int_equal(wsync(&w), BA_OK);
	assert_int_equal(store_setting_get(S, name, &v), BA_OK);
	assert_string_equal(v, "https://two.example");
	free(v);
	w.in.setting.value = NULL;
	assert_int_equal(wsync(&w), BA_ERR_INVALID_REQUEST);
}

/* --- users --- */

/* Transmit's user fields round-trip; email (by its lower-case key) and
 * phone number are unique and looked up. */
static void test_user_transmit_fields(void **state)
{
	char u1[ID_LEN], u2[ID_LEN], local[ID_LEN], email[ID_LEN + 32], upper[ID_LEN + 32],
	     key[ID_LEN + 32], phone[24];
	struct store_write w = {.kind = SW_USER_CREATE};
	struct model_user u;

	(void)state;
	uid(u1, "tu");
	uid(u2, "tu");
	uid(local, "Mail");
	snprintf(email, sizeof(email), "%s@Example.COM", local);
	for (size_t i = 0; i <= strlen(email); i++)
		upper[i] = (char)(email[i] >= 'a' && email[i] <= 'z' ? email[i] - 32 : email[i]);
	assert_true(contact_email_key(email, key, sizeof(key)));
	snprintf(phone, sizeof(phone), "+1%010lu", (unsigned long)(atomic_fetch_add(&g_seq, 1) +
	         (unsigned long)time(NULL) % 1000000000UL));
	w.in.user.user_id = u1;
	w.in.user.email = email;
	w.in.user.phone_number = phone;
	w.in.user.name = "{\"first_name\":\"Ada\"}";
	w.in.user.external_user_id = "ext-1";
	w.in.user.custom_data = "{\"tier\":\"gold\"}";
	w.in.user.password_force_replace = true;
	assert_int_equal(wsync(&w), BA_OK);

	assert_int_equal(store_user_get(S, u1, &u), BA_OK);
	assert_string_equal(u.email, email);
	assert_false(u.email_verified);
	assert_string_equal(u.phone_number, phone);
	assert_false(u.phone_number_verified);
	assert_string_equal(u.name, "{\"first_name\":\"Ada\"}");
	assert_string_equal(u.external_user_id, "ext-1");
	assert_string_equal(u.custom_data, "{\"tier\":\"gold\"}");
	assert_true(u.password_force_replace);
	model_user_clear(&u);
	assert_int_equal(store_user_get_by_email_key(S, key, &u), BA_OK);
	assert_string_equal(u.user_id, u1);
	model_user_clear(&u);
	assert_int_equal(store_user_get_by_email_key(S, email, &u), BA_ERR_NOT_FOUND);
	assert_int_equal(store_user_get_by_phone(S, phone, &u), BA_OK);
	assert_string_equal(u.user_id, u1);
	model_user_clear(&u);
	assert_int_equal(store_user_get_by_phone(S, "+10000000000", &u), BA_ERR_NOT_FOUND);

	/* the same address in other letters, or the same phone: CONFLICT */
	w.in.user.user_id = u2;
	w.in.user.email = upper;
	w.in.user.phone_number = NULL;
	assert_int_equal(wsync(&w), BA_ERR_CONFLICT);
	w.in.user.email = NULL;
	w.in.user.phone_number = phone;
	assert_int_equal(wsync(&w), BA_ERR_CONFLICT);
	/* an address the domain would refuse never reaches the table */
	w.in.user.email = "no at sign";
	w.in.user.phone_number = NULL;
	assert_int_equal(wsync(&w), BA_ERR_INVALID_REQUEST);
	w.in.user.email = NULL;
	w.in.user.name = w.in.user.external_user_id = w.in.user.custom_data = NULL;
	w.in.user.password_force_replace = false;
	assert_int_equal(wsync(&w), BA_OK);
	assert_int_equal(store_user_get(S, u2, &u), BA_OK);
	assert_null(u.email);
	assert_null(u.phone_number);
	assert_null(u.name);
	assert_false(u.password_force_replace);
	model_user_clear(&u);
}

static void test_users(void **state)
{
	char u1[ID_LEN], u2[ID_LEN], u3[ID_LEN], name[ID_LEN], app[ID_LEN], key[ID_LEN],
	     sid[ID_LEN];
	uint8_t rt[MODEL_HASH_LEN];
	struct store_write w = {.kind = SW_USER_CREATE};
	struct model_user u;
	struct model_user *list;
	struct model_authenticator a;
	struct model_session s;
	size_t n, found = 0;
	int64_t now = time(NULL);

	(void)state;
	uid(u1, "user");
	uid(name, "name");
	w.in.user.user_id = u1;
	w.in.user.username = name;
	w.in.user.password_hash = "$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA";
	w.in.user.created_at = now;
	w.in.user.updated_at = now + 1;
	assert_int_equal(wsync(&w), BA_OK);
	assert_int_equal(wsync(&w), BA_ERR_CONFLICT);          /* same user_id */
	uid(u2, "user");
	w.in.user.user_id = u2;
	assert_int_equal(wsync(&w), BA_ERR_CONFLICT);          /* same username */
	w.in.user.username = NULL;
	w.in.user.password_hash = NULL;
	assert_int_equal(wsync(&w), BA_OK);
	uid(u3, "user");
	w.in.user.user_id = u3;
	assert_int_equal(wsync(&w), BA_OK);                    /* NULL usernames don't clash */

	assert_int_equal(store_user_get(S, u1, &u), BA_OK);
	assert_string_equal(u.username, name);
	assert_string_equal(u.password_hash, "$argon2id$v=19$m=65536,t=3,p=1$c2FsdA$aGFzaA");
	assert_int_equal(u.created_at, now);
	assert_int_equal(u.updated_at, now + 1);
	model_user_clear(&u);
	assert_int_equal(store_user_get_by_username(S, name, &u), BA_OK);
	assert_string_equal(u.user_id, u1);
	model_user_clear(&u);
	assert_int_equal(store_user_get(S, u2, &u), BA_OK);
	assert_null(u.username);
	assert_null(u.password_hash);
	model_user_clear(&u);
	assert_int_equal(store_user_list(S, &list, &n), BA_OK);
	for (size_t i = 0; i < n; i++)
		found += strcmp(list[i].user_id, u1) == 0 || strcmp(list[i].user_id, u2) == 0 ||
		         strcmp(list[i].user_id, u3) == 0;
	assert_int_equal(found, 3);
	store_free_users(list, n);

	/* deleting a user removes its keys and sessions */
	mk_app(app, NULL, 10);
	assert_int_equal(mk_key(app, u1, key, 10, now), BA_OK);
	mk_session(app, u1, sid, rt, now);
	memset(&w, 0, sizeof(w));
	w.kind = SW_USER_DELETE;
	w.in.user_id = u1;
	assert_int_equal(wsync(&w), BA_OK);
	assert_int_equal(store_user_get(S, u1, &u), BA_ERR_NOT_FOUND);
	assert_int_equal(store_user_get_by_username(S, name, &u), BA_ERR_NOT_FOUND);
	assert_int_equal(store_authenticator_get(S, app, key, &a), BA_ERR_NOT_FOUND);
	assert_int_equal(store_session_get(S, sid, &s), BA_ERR_NOT_FOUND);
	assert_int_equal(wsync(&w), BA_ERR_NOT_FOUND);
}

/* --- authenticators --- */

static void test_authenticators(void **state)
{
	char app[ID_LEN], app2[ID_LEN], user[ID_LEN], user2[ID_LEN], k1[ID_LEN], k2[ID_LEN],
	     k3[ID_LEN], kx[ID_LEN];
	struct store_write w = {.kind = SW_AUTHENTICATOR_CREATE};
	struct model_authenticator a;
	struct model_authenticator *list;
	size_t n;
	int64_t now = time(NULL);

	(void)state;
	mk_app(app, NULL, 2);
	mk_app(app2, NULL, 2);
	mk_user(user);
	mk_user(user2);
	assert_int_equal(mk_key(app, user, k1, 2, now + 5), BA_OK);
	assert_int_equal(mk_key(app, user, k2, 2, now + 1), BA_OK);
	assert_int_equal(mk_key(app, user, k3, 2, now), BA_ERR_MAX_AUTHENTICATORS);
	assert_int_equal(mk_key(app, user2, kx, 2, now), BA_OK); /* limit is per user */
	assert_int_equal(mk_key(app2, user, k3, 2, now + 9), BA_OK); /* and per app */

	/* every field round-trips */
	w.in.authenticator.a.app_id = app;
	w.in.authenticator.a.user_id = user2;
	uid(kx, "key");
	w.in.authenticator.a.public_key_id = kx;
	w.in.authenticator.a.key_type = KEY_TYPE_RSA;
	w.in.authenticator.a.public_key_der = (uint8_t *)(uintptr_t)g_der;
	w.in.authenticator.a.public_key_der_len = sizeof(g_der);
	w.in.authenticator.a.os = "iOS";
	w.in.authenticator.a.encryption_type = "rsa";
	w.in.authenticator.a.device_id = "dev-1";
	w.in.authenticator.a.display_name = "My phone";
	w.in.authenticator.a.challenge = "reg-challenge";
	w.in.authenticator.a.attestation = "att";
	w.in.authenticator.a.created_at = now;
	w.in.authenticator.max_per_user = 0; /* no limit */
	assert_int_equal(wsync(&w), BA_OK);
	assert_int_equal(wsync(&w), BA_ERR_CONFLICT);
	w.in.authenticator.a.user_id = user; /* same key id, other user: still taken */
	assert_int_equal(wsync(&w), BA_ERR_CONFLICT);
	assert_int_equal(store_authenticator_get(S, app, kx, &a), BA_OK);
	assert_string_equal(a.app_id, app);
	assert_string_equal(a.user_id, user2);
	assert_string_equal(a.public_key_id, kx);
	assert_int_equal(a.key_type, KEY_TYPE_RSA);
	assert_int_equal(a.public_key_der_len, sizeof(g_der));
	assert_memory_equal(a.public_key_der, g_der, sizeof(g_der));
	assert_string_equal(a.os, "iOS");
	assert_string_equal(a.encryption_type, "rsa");
	assert_string_equal(a.device_id, "dev-1");
	assert_string_equal(a.display_name, "My phone");
	assert_string_equal(a.challenge, "reg-challenge");
	assert_string_equal(a.attestation, "att");
	assert_int_equal(a.created_at, now);
	assert_int_equal(a.last_used_at, 0);
	assert_int_equal(a.failed_count, 0);
	assert_int_equal(a.locked_until, 0);
	model_authenticator_clear(&a);
	assert_int_equal(store_authenticator_get(S, app2, kx, &a), BA_ERR_NOT_FOUND);

	/* lists, ordered by created_at */
	assert_int_equal(store_authenticator_list(S, app, user, &list, &n), BA_OK);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].public_key_id, k2);
	assert_string_equal(list[1].public_key_id, k1);
	assert_memory_equal(list[0].public_key_der, g_der, sizeof(g_der));
	store_free_authenticators(list, n);
	assert_int_equal(store_authenticator_list(S, NULL, user, &list, &n), BA_OK);
	assert_int_equal(n, 3);
	assert_string_equal(list[2].public_key_id, k3);
	assert_string_equal(list[2].app_id, app2);
	store_free_authenticators(list, n);
	assert_int_equal(store_authenticator_list(S, app2, user2, &list, &n), BA_OK);
	assert_int_equal(n, 0);
	store_free_authenticators(list, n);

	/* delete: only the owner's key */
	memset(&w, 0, sizeof(w));
	w.kind = SW_AUTHENTICATOR_DELETE;
	w.in.authenticator_delete.app_id = app;
	w.in.authenticator_delete.key_id = k1;
	w.in.authenticator_delete.user_id = user2;
	assert_int_equal(wsync(&w), BA_ERR_NOT_FOUND);
	w.in.authenticator_delete.app_id = app2;
	w.in.authenticator_delete.user_id = user;
	assert_int_equal(wsync(&w), BA_ERR_NOT_FOUND);
	w.in.authenticator_delete.app_id = app;
	assert_int_equal(wsync(&w), BA_OK);
	assert_int_equal(wsync(&w), BA_ERR_NOT_FOUND);
	assert_int_equal(store_authenticator_get(S, app, k1, &a), BA_ERR_NOT_FOUND);
	/* a free slot again */
	assert_int_equal(mk_key(app, user, k3, 2, now), BA_OK);
}

/* --- challenges --- */

static void test_challenges(void **state)
{
	char app[ID_LEN], user[ID_LEN], ch[ID_LEN];
	struct store_write w = {.kind = SW_CHALLENGE_CREATE};
	struct model_challenge c;
	int64_t now = time(NULL);

	(void)state;
	mk_app(app, NULL, 10);
	mk_user(user);
	uid(ch, "chal");
	w.in.challenge.challenge = ch;
	w.in.challenge.app_id = app;
	w.in.challenge.user_id = user;
	w.in.challenge.device_id = "dev-9";
	w.in.challenge.approval_data = "{\"amount\":\"10\"}";
	w.in.challenge.created_at = now;
	w.in.challenge.expires_at = now + 300;
	assert_int_equal(wsync(&w), BA_OK);
	assert_int_equal(wsync(&w), BA_ERR_CONFLICT);
	assert_int_equal(store_challenge_get(S, ch, &c), BA_OK);
	assert_string_equal(c.app_id, app);
	assert_string_equal(c.user_id, user);
	assert_string_equal(c.device_id, "dev-9");
	assert_string_equal(c.approval_data, "{\"amount\":\"10\"}");
	assert_int_equal(c.created_at, now);
	assert_int_equal(c.expires_at, now + 300);
	assert_false(c.consumed);
	model_challenge_clear(&c);
	uid(ch, "chal");
	assert_int_equal(store_challenge_get(S, ch, &c), BA_ERR_NOT_FOUND);
}

/* Creates a challenge of `app` for `user` with `approval` (may be NULL)
 * expiring at `expires`; the store's answer. */
static int quota_chal(const char *app, const char *user, const char *approval, int64_t expires,
                      char *ch)
{
	struct store_write w = {.kind = SW_CHALLENGE_CREATE};

	uid(ch, "chal");
	w.in.challenge.challenge = ch;
	w.in.challenge.app_id = (char *)(uintptr_t)app;
	w.in.challenge.user_id = (char *)(uintptr_t)user;
	w.in.challenge.approval_data = (char *)(uintptr_t)approval;
	w.in.challenge.created_at = time(NULL);
	w.in.challenge.expires_at = expires;
	return wsync(&w);
}

/* The app's quotas on outstanding challenges: taken at creation, given
 * back when a challenge is consumed or deleted (triggers), expired ones
 * reclaimed at the quota; SW_APP_SET_LIMITS changes them. */
static void test_challenge_quotas(void **state)
{
	char app[ID_LEN], user[ID_LEN], ch[4][ID_LEN];
	struct model_challenge c = {0};
	struct store_write w;
	struct model_app a;
	int64_t now = time(NULL);

	(void)state;
	mk_app(app, NULL, 10);
	mk_user(user);
	assert_int_equal(store_app_get(S, app, &a), BA_OK);
	a.max_challenges = 2;
	a.max_approval_data_bytes = 20;
	a.refresh_reuse_interval = 5;
	a.users_api = USERS_API_READ;
	assert_int_equal(apps_prepare_set_limits(&a, &w), BA_OK);
	assert_int_equal(wsync(&w), BA_OK);
	model_app_clear(&a);
	assert_int_equal(store_app_get(S, app, &a), BA_OK);
	assert_int_equal(a.max_challenges, 2);
	assert_int_equal(a.max_approval_data_bytes, 20);
	assert_int_equal(a.refresh_reuse_interval, 5);
	assert_int_equal(a.users_api, USERS_API_READ);
	model_app_clear(&a);

	assert_int_equal(quota_chal(app, user, "{\"a\":\"0123456789\"}", now + 300, ch[0]), BA_OK);
	/* 16 + 16 bytes > 20 */
	assert_int_equal(quota_chal(app, user, "{\"a\":\"0123456789\"}", now + 300, ch[1]),
	                 BA_ERR_APPROVAL_DATA_QUOTA);
	assert_int_equal(quota_chal(app, user, NULL, now + 300, ch[1]), BA_OK);
	assert_int_equal(quota_chal(app, user, NULL, now + 300, ch[2]), BA_ERR_CHALLENGE_QUOTA);
	/* deleting the user deletes its challenges: both shares come back */
	memset(&w, 0, sizeof(w));
	w.kind = SW_USER_DELETE;
	w.in.user_id = user;
	assert_int_equal(wsync(&w), BA_OK);
	mk_user(user);
	assert_int_equal(quota_chal(app, user, NULL, now + 300, ch[0]), BA_OK);
	/* an expired one holds its share only until the quota is reached */
	assert_int_equal(quota_chal(app, user, NULL, now - 1, ch[1]), BA_OK);
	assert_int_equal(quota_chal(app, user, NULL, now + 300, ch[2]), BA_OK);
	assert_int_equal(store_challenge_get(S, ch[1], &c), BA_ERR_NOT_FOUND);
	assert_int_equal(quota_chal(app, user, NULL, now + 300, ch[3]), BA_ERR_CHALLENGE_QUOTA);
	/* a user who is gone: NOT_FOUND, and no share taken (on PostgreSQL
	 * the user check travels with the quota's statement; its "gone" must
	 * not read as "full") */
	memset(&w, 0, sizeof(w));
	w.kind = SW_USER_DELETE;
	w.in.user_id = user;
	assert_int_equal(wsync(&w), BA_OK);
	assert_int_equal(quota_chal(app, user, NULL, now + 300, ch[0]), BA_ERR_NOT_FOUND);
	assert_int_equal(store_challenge_get(S, ch[0], &c), BA_ERR_NOT_FOUND);
	mk_user(user);
	assert_int_equal(quota_chal(app, user, NULL, now + 300, ch[0]), BA_OK);
	assert_int_equal(quota_chal(app, user, NULL, now + 300, ch[1]), BA_OK);
	assert_int_equal(quota_chal(app, user, NULL, now + 300, ch[2]), BA_ERR_CHALLENGE_QUOTA);
}

/* --- signing keys, revoked tokens, audit, purge --- */

static void test_signing_keys(void **state)
{
	char k1[ID_LEN], k2[ID_LEN];
	struct store_write w = {.kind = SW_SIGNING_KEY_ROTATE};
	struct model_signing_key *list;
	size_t n, i1 = SIZE_MAX, i2 = SIZE_MAX;
	int64_t t = time(NULL) + 100000; /* newer than other runs' keys */

	(void)state;
	uid(k1, "kid");
	uid(k2, "kid");
	w.in.signing_key.kid = k1;
	w.in.signing_key.alg = "ES256";
	w.in.signing_key.private_pem = "-----BEGIN PRIVATE KEY-----\nA\n-----END PRIVATE KEY-----\n";
	w.in.signing_key.created_at = t;
	assert_int_equal(wsync(&w), BA_OK);
	w.in.signing_key.kid = k2;
	w.in.signing_key.alg = "RS256";
	w.in.signing_key.created_at = t + 10;
	assert_int_equal(wsync(&w), BA_OK);
	w.in.signing_key.created_at = t + 20;
	assert_int_equal(wsync(&w), BA_ERR_CONFLICT); /* and retires nothing */

	assert_int_equal(store_signing_key_list(S, &list, &n), BA_OK);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			assert_true(list[i - 1].created_at >= list[i].created_at);
		if (strcmp(list[i].kid, k1) == 0)
			i1 = i;
		if (strcmp(list[i].kid, k2) == 0)
			i2 = i;
		if (strcmp(list[i].kid, k2) != 0)
			assert_true(list[i].retired_at != 0);
	}
	assert_true(i2 < i1 && i1 < n);
	assert_int_equal(list[i2].retired_at, 0);
	assert_string_equal(list[i2].alg, "RS256");
	assert_int_equal(list[i1].retired_at, t + 10);
	assert_string_equal(list[i1].private_pem, w.in.signing_key.private_pem);
	store_free_signing_keys(list, n);
}

static void test_token_revoke(void **state)
{
	char jti[ID_LEN];
	struct store_write w = {.kind = SW_TOKEN_REVOKE};
	bool revoked = true;

	(void)state;
	uid(jti, "jti");
	assert_int_equal(store_token_is_revoked(S, jti, &revoked), BA_OK);
	assert_false(revoked);
	w.in.token_revoke.jti = jti;
	w.in.token_revoke.expires_at = time(NULL) + 60;
	assert_int_equal(wsync(&w), BA_OK);
	assert_int_equal(wsync(&w), BA_OK); /* revoking twice is fine */
	assert_int_equal(store_token_is_revoked(S, jti, &revoked), BA_OK);
	assert_true(revoked);
}

/* The caller check's one read: the app with its resources and the
 * token's revocation, each as their own reads answer them. */
static void test_app_get_for_token(void **state)
{
	char app[ID_LEN], client[ID_LEN], other[ID_LEN], jti[ID_LEN];
	struct store_write w = {.kind = SW_TOKEN_REVOKE};
	struct model_app a;
	bool revoked = true;

	(void)state;
	mk_app(app, client, 10);
	uid(jti, "jti");
	assert_int_equal(store_app_get_for_token(S, app, jti, &a, &revoked), BA_OK);
	assert_false(revoked);
	assert_string_equal(a.app_id, app);
	assert_string_equal(a.client_id, client);
	assert_int_equal(a.n_resources, 2);
	assert_string_equal(a.resources[0], "https://api.example.test/one");
	assert_string_equal(a.resources[1], "https://api.example.test/two");
	assert_int_equal(a.max_authenticators, 10);
	model_app_clear(&a);

	w.in.token_revoke.jti = jti;
	w.in.token_revoke.expires_at = time(NULL) + 60;
	assert_int_equal(wsync(&w), BA_OK);
	assert_int_equal(store_app_get_for_token(S, app, jti, &a, &revoked), BA_OK);
	assert_true(revoked);
	assert_string_equal(a.client_id, client);
	assert_int_equal(a.n_resources, 2);
	model_app_clear(&a);

	/* an unknown app is NOT_FOUND, revoked token or not */
	uid(other, "app");
	assert_int_equal(store_app_get_for_token(S, other, jti, &a, &revoked),
	                 BA_ERR_NOT_FOUND);
	assert_null(a.app_id);
	memset(&w, 0, sizeof(w));
	w.kind = SW_APP_DELETE;
	w.in.app_id = app;
	assert_int_equal(wsync(&w), BA_OK);
	assert_int_equal(store_app_get_for_token(S, app, jti, &a, &revoked), BA_ERR_NOT_FOUND);
	assert_null(a.app_id);
}

static void test_audit(void **state)
{
	char app[ID_LEN], app2[ID_LEN], user[ID_LEN];
	struct model_audit ev[4] = {{0}};
	struct store_audit_filter f = {0};
	struct store_write w;
	struct model_audit *list;
	size_t n;
	int64_t now = time(NULL);

	(void)state;
	uid(app, "app");
	uid(app2, "app");
	uid(user, "user");
	for (int i = 0; i < 4; i++) {
		memset(&w, 0, sizeof(w));
		w.kind = SW_AUDIT;
		ev[i].time = now + i;
		ev[i].event = i < 3 ? "register" : "delete";
		ev[i].outcome = "success";
		ev[i].app_id = i == 2 ? app2 : app;
		ev[i].user_id = user;
		ev[i].key_id = "k";
		ev[i].client_attributes = i == 0 ? "{\"ua\":\"x\"}" : NULL;
		w.audit = &ev[i];
		assert_int_equal(wsync(&w), BA_OK);
		assert_true(ev[i].id > 0);
		if (i > 0)
			assert_true(ev[i].id > ev[i - 1].id);
	}
	f.user_id = user;
	assert_int_equal(store_audit_list(S, &f, &list, &n), BA_OK);
	assert_int_equal(n, 4);
	assert_int_equal(list[0].id, ev[3].id);                /* newest first */
	assert_string_equal(list[0].event, "delete");
	assert_string_equal(list[3].client_attributes, "{\"ua\":\"x\"}");
	assert_int_equal(list[3].time, now);
	assert_null(list[3].reason);
	store_free_audit(list, n);
	f.app_id = app2;
	assert_int_equal(store_audit_list(S, &f, &list, &n), BA_OK);
	assert_int_equal(n, 1);
	assert_int_equal(list[0].id, ev[2].id);
	store_free_audit(list, n);
	f.app_id = app;
	f.user_id = NULL;
	f.since = now + 1;
	assert_int_equal(store_audit_list(S, &f, &list, &n), BA_OK);
	assert_int_equal(n, 2);
	store_free_audit(list, n);
	f.since = 0;
	f.limit = 2;
	assert_int_equal(store_audit_list(S, &f, &list, &n), BA_OK);
	assert_int_equal(n, 2);
	assert_int_equal(list[1].id, ev[1].id);
	store_free_audit(list, n);

	/* SW_AUDIT needs its event; a failing write keeps its event out */
	memset(&w, 0, sizeof(w));
	w.kind = SW_AUDIT;
	assert_int_equal(wsync(&w), BA_ERR_INVALID_REQUEST);
	memset(&w, 0, sizeof(w));
	w.kind = SW_APP_DELETE;
	w.in.app_id = app; /* never created */
	ev[0].id = 0;
	ev[0].event = "app_delete";
	w.audit = &ev[0];
	assert_int_equal(wsync(&w), BA_ERR_NOT_FOUND);
	assert_int_equal(ev[0].id, 0);
	f.app_id = app;
	f.limit = 0;
	assert_int_equal(store_audit_list(S, &f, &list, &n), BA_OK);
	assert_int_equal(n, 3);
	store_free_audit(list, n);
}

static void test_purge(void **state)
{
	char app[ID_LEN], user[ID_LEN], ch_old[ID_LEN], ch_new[ID_LEN], s_old[ID_LEN],
	     s_new[ID_LEN], jti_old[ID_LEN], jti_new[ID_LEN], kid[ID_LEN];
	uint8_t rt_old[MODEL_HASH_LEN], rt_new[MODEL_HASH_LEN];
	struct store_write w;
	struct model_challenge c;
	struct model_session s;
	struct model_refresh r;
	struct model_signing_key *keys;
	size_t n;
	bool revoked, kid_left = false;
	int64_t now = time(NULL);

	(void)state;
	mk_app(app, NULL, 10);
	mk_user(user);
	mk_challenge(app, user, ch_old, now - 10);
	mk_challenge(app, user, ch_new, now + 300);
	mk_session(app, user, s_old, rt_old, now - 7200);   /* expired an hour ago */
	mk_session(app, user, s_new, rt_new, now);
	uid(jti_old, "jti");
	uid(jti_new, "jti");
	memset(&w, 0, sizeof(w));
	w.kind = SW_TOKEN_REVOKE;
	w.in.token_revoke.jti = jti_old;
	w.in.token_revoke.expires_at = now - 10;
	assert_int_equal(wsync(&w), BA_OK);
	w.in.token_revoke.jti = jti_new;
	w.in.token_revoke.expires_at = now + 60;
	assert_int_equal(wsync(&w), BA_OK);
	memset(&w, 0, sizeof(w));
	w.kind = SW_SIGNING_KEY_ROTATE;
	uid(kid, "kid");
	w.in.signing_key.kid = kid;
	w.in.signing_key.alg = "ES256";
	w.in.signing_key.private_pem = "pem";
	w.in.signing_key.created_at = now - 100;
	w.in.signing_key.retired_at = now - 50;          /* an old retired key */
	assert_int_equal(wsync(&w), BA_OK);

	memset(&w, 0, sizeof(w));
	w.kind = SW_PURGE;
	w.in.purge.before = now;
	assert_int_equal(wsync(&w), BA_OK);
	assert_int_equal(store_challenge_get(S, ch_old, &c), BA_ERR_NOT_FOUND);
	assert_int_equal(store_challenge_get(S, ch_new, &c), BA_OK);
	model_challenge_clear(&c);
	assert_int_equal(store_session_get(S, s_old, &s), BA_ERR_NOT_FOUND);
	assert_int_equal(store_refresh_get(S, rt_old, &r), BA_ERR_NOT_FOUND);
	assert_int_equal(store_session_get(S, s_new, &s), BA_OK);
	model_session_clear(&s);
	assert_int_equal(store_refresh_get(S, rt_new, &r), BA_OK);
	model_refresh_clear(&r);
	assert_int_equal(store_token_is_revoked(S, jti_old, &revoked), BA_OK);
	assert_false(revoked);
	assert_int_equal(store_token_is_revoked(S, jti_new, &revoked), BA_OK);
	assert_true(revoked);
	assert_int_equal(store_signing_key_list(S, &keys, &n), BA_OK);
	for (size_t i = 0; i < n; i++) {
		kid_left = kid_left || strcmp(keys[i].kid, kid) == 0;
		assert_true(keys[i].retired_at == 0 || keys[i].retired_at >= now);
	}
	assert_false(kid_left);
	store_free_signing_keys(keys, n);
}

#define T(f) cmocka_unit_test_setup_teardown(f, store_setup, store_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_model_copy_clear),
		T(test_ready_migrate),
		T(test_apps),
		T(test_app_delete_cascades),
		T(test_users),
		T(test_user_transmit_fields),
		T(test_app_floor_and_settings),
		T(test_authenticators),
		T(test_challenges),
		T(test_challenge_quotas),
		T(test_signing_keys),
		T(test_token_revoke),
		T(test_app_get_for_token),
		T(test_audit),
		T(test_purge),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
