/*
 * store_testlib.h - helpers shared by the store tests (test_store.c,
 * test_store_concurrency.c). Header-only so nothing is linked into the other
 * unit test binaries.
 *
 * The tests are backend-agnostic: with BIOAUTH_TEST_DB set (a SQLite path or
 * a postgres:// URL) they run against that database, otherwise against a
 * fresh SQLite file in a temporary directory. Every entity they create has a
 * name unique to the run, so they also pass on a database that is not empty.
 */
#ifndef BIOAUTH_TEST_STORE_TESTLIB_H
#define BIOAUTH_TEST_STORE_TESTLIB_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <ftw.h>

#include <cmocka.h>
#include <openssl/rand.h>

#include "common/error.h"
#include "common/metrics.h"
#include "store/store.h"

#define ID_LEN 96

static char g_dir[256];       /* temp dir of the default SQLite database */
static char g_url[512];       /* database under test */
static char g_run[24];        /* unique per run */
static bool g_sqlite;
static struct store *S;       /* opened by store_setup() */
static atomic_ulong g_seq;
static const uint8_t g_der[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86,
                                0x48, 0xce, 0x3d, 0x02, 0x01, 0x00, 0xff};

/* A name unique to this run: "<what>-<run>-<n>". */
static inline void uid(char *buf, const char *what)
{
	snprintf(buf, ID_LEN, "%s-%s-%lu", what, g_run, (unsigned long)atomic_fetch_add(&g_seq, 1));
}

static inline void rand_hash(uint8_t h[MODEL_HASH_LEN])
{
	assert_int_equal(RAND_bytes(h, MODEL_HASH_LEN), 1);
}

static inline int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline void rm_tree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Group setup: picks the database and a run id. */
static inline int group_setup(void **state)
{
	const char *env = getenv("BIOAUTH_TEST_DB");
	uint8_t rnd[6];

	(void)state;
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return -1;
	snprintf(g_run, sizeof(g_run), "%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2],
	         rnd[3], rnd[4], rnd[5]);
	if (env != NULL && env[0] != '\0') {
		snprintf(g_url, sizeof(g_url), "%s", env);
	} else {
		snprintf(g_dir, sizeof(g_dir), "/tmp/bioauth-store-XXXXXX");
		if (mkdtemp(g_dir) == NULL)
			return -1;
		snprintf(g_url, sizeof(g_url), "%s/test.db", g_dir);
	}
	g_sqlite = strncmp(g_url, "postgres://", 11) != 0 && strncmp(g_url, "postgresql://", 13) != 0;
	return 0;
}

static inline int group_teardown(void **state)
{
	(void)state;
	if (g_dir[0] != '\0')
		rm_tree(g_dir);
	return 0;
}

static inline int open_store(bool durable, struct store **out)
{
	struct store_options opt = {.durable = durable, .pool_size = 4,
	                            .busy_timeout_ms = 5000, .max_batch = 256};

	return store_open(g_url, &opt, out);
}

static inline int store_setup(void **state)
{
	(void)state;
	return open_store(false, &S) == BA_OK ? 0 : -1;
}

static inline int store_teardown(void **state)
{
	(void)state;
	store_close(S);
	S = NULL;
	return 0;
}

static inline int wsync(struct store_write *w)
{
	return store_write_sync(S, w);
}

/* Creates an app allowing `max_auth` keys per user; ids into app_id/client_id. */
static inline void mk_app(char *app_id, char *client_id, int max_auth)
{
	struct store_write w = {.kind = SW_APP_CREATE};
	char cid[ID_LEN];

	uid(app_id, "app");
	uid(client_id != NULL ? client_id : cid, "client");
	w.in.app.app_id = app_id;
	w.in.app.name = "Test app";
	w.in.app.client_id = client_id != NULL ? client_id : cid;
	w.in.app.resources[0] = "https://api.example.test/one";
	w.in.app.resources[1] = "https://api.example.test/two";
	w.in.app.n_resources = 2;
	w.in.app.allow_client_challenges = true;
	w.in.app.max_authenticators = max_auth;
	w.in.app.max_challenges = 1000;
	w.in.app.max_approval_data_bytes = 1 << 20;
	w.in.app.users_api = USERS_API_ALL;
	w.in.app.created_at = time(NULL);
	memset(w.in.app.client_secret_hash, 0x5a, MODEL_HASH_LEN);
	assert_int_equal(wsync(&w), BA_OK);
}

static inline void mk_user(char *user_id)
{
	struct store_write w = {.kind = SW_USER_CREATE};

	uid(user_id, "user");
	w.in.user.user_id = user_id;
	w.in.user.created_at = time(NULL);
	w.in.user.updated_at = w.in.user.created_at;
	assert_int_equal(wsync(&w), BA_OK);
}

/* Registers key `key_id` (made unique) for user in app; returns the rc. */
static inline int mk_key(const char *app_id, const char *user_id, char *key_id, int max, int64_t created)
{
	struct store_write w = {.kind = SW_AUTHENTICATOR_CREATE};

	uid(key_id, "key");
	w.in.authenticator.a.app_id = (char *)(uintptr_t)app_id;
	w.in.authenticator.a.user_id = (char *)(uintptr_t)user_id;
	w.in.authenticator.a.public_key_id = key_id;
	w.in.authenticator.a.key_type = KEY_TYPE_EC;
	w.in.authenticator.a.public_key_der = (uint8_t *)(uintptr_t)g_der;
	w.in.authenticator.a.public_key_der_len = sizeof(g_der);
	w.in.authenticator.a.os = "Android";
	w.in.authenticator.a.created_at = created;
	w.in.authenticator.max_per_user = max;
	return wsync(&w);
}

/* Creates a /start challenge (made unique) expiring at `expires`. */
static inline void mk_challenge(const char *app_id, const char *user_id, char *ch, int64_t expires)
{
	struct store_write w = {.kind = SW_CHALLENGE_CREATE};

	uid(ch, "chal");
	w.in.challenge.challenge = ch;
	w.in.challenge.app_id = (char *)(uintptr_t)app_id;
	w.in.challenge.user_id = (char *)(uintptr_t)user_id;
	w.in.challenge.created_at = time(NULL);
	w.in.challenge.expires_at = expires;
	assert_int_equal(wsync(&w), BA_OK);
}

/* Fills an SW_LOGIN creating session `sid` (made unique) with refresh `rt`. */
static inline void login_init(struct store_write *w, const char *app_id, const char *user_id,
                       char *sid, const uint8_t rt[MODEL_HASH_LEN], int64_t now)
{
	memset(w, 0, sizeof(*w));
	w->kind = SW_LOGIN;
	w->in.login.app_id = app_id;
	w->in.login.user_id = user_id;
	w->in.login.now = now;
	uid(sid, "ses");
	w->in.login.session.session_id = sid;
	w->in.login.session.factors = FACTOR_MOBILE_BIOMETRICS;
	w->in.login.session.expires_at = now + 3600;
	if (rt != NULL) {
		memcpy(w->in.login.refresh.hash, rt, MODEL_HASH_LEN);
		w->in.login.refresh.expires_at = now + 3600;
	}
}

/* A logged-in session of user in app with refresh token `rt`. */
static inline void mk_session(const char *app_id, const char *user_id, char *sid,
                       uint8_t rt[MODEL_HASH_LEN], int64_t now)
{
	struct store_write w;

	rand_hash(rt);
	login_init(&w, app_id, user_id, sid, rt, now);
	w.in.login.session.factors = FACTOR_PWD;
	assert_int_equal(wsync(&w), BA_OK);
	model_session_clear(&w.out.session);
}

#endif
