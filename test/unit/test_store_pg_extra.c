/*
 * test_store_pg_extra.c - what only the PostgreSQL backend has: several
 * store instances (as several bioauthd processes) racing conditional writes
 * on one database, lock timeouts, the password kept out of logs, concurrent
 * first-time migrations, and surviving a lost or restarted server.
 *
 * Runs when BIOAUTH_TEST_DB is a postgres:// URL and skips otherwise. The
 * tests that need a new database, kill connections, stop the server or
 * leave fake signing keys do so on a private throwaway cluster
 * (scripts/pg-test-cluster.sh, run from the repository root), never on the
 * database under BIOAUTH_TEST_DB.
 */
#define _XOPEN_SOURCE 700
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <libpq-fe.h>

#include "store_testlib.h"

#define THREADS 20

static char g_priv_dir[256];   /* the private cluster, started on first use */
static char g_priv_url[512];

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int extra_group_setup(void **state)
{
	if (group_setup(state) != 0)
		return -1;
	if (g_sqlite)
		fprintf(stderr, "test_store_pg_extra: BIOAUTH_TEST_DB is not a postgres:// URL; "
		                "skipping the PostgreSQL-only tests\n");
	return 0;
}

/* Runs `scripts/pg-test-cluster.sh CMD DIR`; its first output line (the
 * URL) goes to `url` when not NULL. 0 on success. */
static int cluster(const char *cmd, const char *dir, char *url, size_t cap)
{
	char line[600], buf[600] = "";
	FILE *f;
	int st;

	snprintf(line, sizeof(line), "scripts/pg-test-cluster.sh %s '%s'", cmd, dir);
	f = popen(line, "r");
	if (f == NULL)
		return -1;
	if (fgets(buf, sizeof(buf), f) == NULL)
		buf[0] = '\0';
	while (fgetc(f) != EOF)
		;
	st = pclose(f);
	buf[strcspn(buf, "\r\n")] = '\0';
	if (url != NULL)
		snprintf(url, cap, "%s", buf);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static int extra_group_teardown(void **state)
{
	if (g_priv_dir[0] != '\0') {
		cluster("stop", g_priv_dir, NULL, 0);
		rm_tree(g_priv_dir);
	}
	return group_teardown(state);
}

/* Starts (once) the private cluster this file may stop and break. */
static void need_private_cluster(void)
{
	if (g_priv_dir[0] != '\0')
		return;
	snprintf(g_priv_dir, sizeof(g_priv_dir), "/tmp/bioauth-pgx-XXXXXX");
	assert_non_null(mkdtemp(g_priv_dir));
	assert_int_equal(cluster("start", g_priv_dir, g_priv_url, sizeof(g_priv_url)), 0);
	assert_true(strncmp(g_priv_url, "postgres://", 11) == 0);
}

static int open_url(const char *url, int pool, int busy_ms, struct store **out)
{
	struct store_options opt = {.durable = true, .pool_size = pool,
	                            .busy_timeout_ms = busy_ms, .max_batch = 64};

	return store_open(url, &opt, out);
}

/* Opens the test database twice, like two bioauthd instances. */
static void two_instances(struct store *inst[2])
{
	assert_int_equal(open_url(g_url, 4, 5000, &inst[0]), BA_OK);
	assert_int_equal(open_url(g_url, 4, 5000, &inst[1]), BA_OK);
}

/* --- racing conditional writes across instances --- */

struct racer {
	struct store *s;
	pthread_barrier_t *go;
	struct store_write w;
	char sid[ID_LEN];
	char key[ID_LEN];
	uint8_t next[MODEL_HASH_LEN];
	int rc;
};

static void *race_main(void *arg)
{
	struct racer *r = arg;

	pthread_barrier_wait(r->go);
	r->rc = store_write_sync(r->s, &r->w);
	return NULL;
}

/* Runs the THREADS prepared writes at once, alternating instances. */
static void race(struct racer *r, struct store *inst[2])
{
	pthread_barrier_t go;
	pthread_t t[THREADS];

	pthread_barrier_init(&go, NULL, THREADS);
	for (int i = 0; i < THREADS; i++) {
		r[i].go = &go;
		r[i].s = inst[i % 2];
		assert_int_equal(pthread_create(&t[i], NULL, race_main, &r[i]), 0);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&go);
}

/* One /start challenge presented 20 times over two instances: one login. */
static void test_instances_challenge(void **state)
{
	struct store *inst[2];
	struct racer *r = calloc(THREADS, sizeof(*r));
	char app[ID_LEN], user[ID_LEN], ch[ID_LEN];
	struct model_challenge c;
	int ok = 0, reused = 0;
	int64_t now = time(NULL);

	(void)state;
	if (g_sqlite) {
		free(r);   /* skip() does not return */
		skip();
	}
	assert_non_null(r);
	two_instances(inst);
	S = inst[0];
	mk_app(app, NULL, 10);
	mk_user(user);
	mk_challenge(app, user, ch, now + 300);
	for (int i = 0; i < THREADS; i++) {
		rand_hash(r[i].next);
		login_init(&r[i].w, app, user, r[i].sid, r[i].next, now);
		r[i].w.in.login.start_challenge = ch;
	}
	race(r, inst);
	for (int i = 0; i < THREADS; i++) {
		ok += r[i].rc == BA_OK;
		reused += r[i].rc == BA_ERR_CHALLENGE_REUSED;
		model_session_clear(&r[i].w.out.session);
	}
	assert_int_equal(ok, 1);
	assert_int_equal(reused, THREADS - 1);
	assert_int_equal(store_challenge_get(inst[1], ch, &c), BA_OK);
	assert_true(c.consumed);
	model_challenge_clear(&c);
	S = NULL;
	store_close(inst[0]);
	store_close(inst[1]);
	free(r);
}

/* One refresh token exchanged 20 times over two instances: one rotation,
 * one reuse detection, the rest find the token gone. */
static void test_instances_refresh(void **state)
{
	struct store *inst[2];
	struct racer *r = calloc(THREADS, sizeof(*r));
	char app[ID_LEN], user[ID_LEN], sid[ID_LEN];
	uint8_t rt[MODEL_HASH_LEN];
	struct model_session s;
	int rotated = 0, reuse = 0, invalid = 0;
	int64_t now = time(NULL);

	(void)state;
	if (g_sqlite) {
		free(r);   /* skip() does not return */
		skip();
	}
	assert_non_null(r);
	two_instances(inst);
	S = inst[1];
	mk_app(app, NULL, 10);
	mk_user(user);
	mk_session(app, user, sid, rt, now);
	for (int i = 0; i < THREADS; i++) {
		r[i].w.kind = SW_REFRESH_ROTATE;
		r[i].w.in.refresh.app_id = app;
		memcpy(r[i].w.in.refresh.old_hash, rt, MODEL_HASH_LEN);
		rand_hash(r[i].w.in.refresh.next.hash);
		r[i].w.in.refresh.next.expires_at = now + 3600;
		r[i].w.in.refresh.now = now;
	}
	race(r, inst);
	for (int i = 0; i < THREADS; i++) {
		rotated += r[i].rc == BA_OK && !r[i].w.out.reuse_detected;
		reuse += r[i].rc == BA_OK && r[i].w.out.reuse_detected;
		invalid += r[i].rc == BA_ERR_INVALID_GRANT;
		model_session_clear(&r[i].w.out.session);
	}
	assert_int_equal(rotated, 1);
	assert_int_equal(reuse, 1);
	assert_int_equal(invalid, THREADS - 2);
	assert_int_equal(store_session_get(inst[0], sid, &s), BA_OK);
	assert_true(s.revoked);
	model_session_clear(&s);
	S = NULL;
	store_close(inst[0]);
	store_close(inst[1]);
	free(r);
}

/* 20 registrations of distinct keys for one user with a limit of 3, over
 * two instances: exactly 3 keys exist afterwards. */
static void test_instances_max_keys(void **state)
{
	struct store *inst[2];
	struct racer *r = calloc(THREADS, sizeof(*r));
	char app[ID_LEN], user[ID_LEN];
	struct model_authenticator *list;
	size_t n;
	int ok = 0, full = 0;

	(void)state;
	if (g_sqlite) {
		free(r);   /* skip() does not return */
		skip();
	}
	assert_non_null(r);
	two_instances(inst);
	S = inst[0];
	mk_app(app, NULL, 3);
	mk_user(user);
	for (int i = 0; i < THREADS; i++) {
		struct model_authenticator *a = &r[i].w.in.authenticator.a;

		uid(r[i].key, "key");
		r[i].w.kind = SW_AUTHENTICATOR_CREATE;
		a->app_id = app;
		a->user_id = user;
		a->public_key_id = r[i].key;
		a->key_type = KEY_TYPE_EC;
		a->public_key_der = (uint8_t *)(uintptr_t)g_der;
		a->public_key_der_len = sizeof(g_der);
		a->os = "iOS";
		r[i].w.in.authenticator.max_per_user = 3;
	}
	race(r, inst);
	for (int i = 0; i < THREADS; i++) {
		ok += r[i].rc == BA_OK;
		full += r[i].rc == BA_ERR_MAX_AUTHENTICATORS;
	}
	assert_int_equal(ok, 3);
	assert_int_equal(full, THREADS - 3);
	assert_int_equal(store_authenticator_list(inst[1], app, user, &list, &n), BA_OK);
	assert_int_equal(n, 3);
	store_free_authenticators(list, n);
	S = NULL;
	store_close(inst[0]);
	store_close(inst[1]);
	free(r);
}

/* --- lock order across instances --- */

/* Deadlocks PostgreSQL detected in the test database so far, as its
 * statistics report them once the backends that hit them exited or
 * flushed (pg_stat_database; polled until two reads a second apart
 * agree). */
static long deadlocks_seen(void)
{
	PGconn *c = PQconnectdb(g_url);
	long prev = -1, cur = -1;

	assert_int_equal(PQstatus(c), CONNECTION_OK);
	for (int i = 0; i < 15 && (cur < 0 || cur != prev); i++) {
		PGresult *r;

		if (i > 0)
			sleep(1);
		prev = cur;
		PQclear(PQexec(c, "SELECT pg_stat_clear_snapshot()"));
		r = PQexec(c, "SELECT deadlocks FROM pg_stat_database"
		              " WHERE datname = current_database()");
		assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
		cur = atol(PQgetvalue(r, 0, 0));
		PQclear(r);
	}
	PQfinish(c);
	return cur;
}

struct reg {
	struct store_write w;
	char key[ID_LEN];
	char chal[ID_LEN];
	uint8_t hash[MODEL_HASH_LEN];
	int rc;
	pthread_mutex_t *mu;
	pthread_cond_t *cv;
	int *done;
};

static void reg_done(struct store_write *w, int rc, void *arg)
{
	struct reg *g = arg;

	(void)w;
	pthread_mutex_lock(g->mu);
	g->rc = rc;
	(*g->done)++;
	pthread_cond_broadcast(g->cv);
	pthread_mutex_unlock(g->mu);
}

#define LOCK_USERS 12
#define LOCK_ROUNDS 15

/*
 * Registrations of the same users submitted in one burst to two instances,
 * in opposite orders, each consuming a /start challenge: each instance's
 * writers apply theirs in batches, and batches that locked users (and the
 * app's challenge_usage row) in batch order formed cycles PostgreSQL
 * broke after deadlock_timeout. Batches take their locks in one global
 * order, so no deadlock is counted and every registration succeeds.
 */
static void test_instances_lock_order(void **state)
{
	enum { N = 2 * LOCK_USERS };
	struct store *inst[2];
	struct reg *g = calloc(N, sizeof(*g));
	char app[ID_LEN], users[LOCK_USERS][ID_LEN];
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
	long before;
	int done;

	(void)state;
	if (g_sqlite) {
		free(g);
		skip();
	}
	assert_non_null(g);
	two_instances(inst);
	S = inst[0];
	mk_app(app, NULL, 0);
	for (int u = 0; u < LOCK_USERS; u++)
		mk_user(users[u]);
	before = deadlocks_seen();
	for (int round = 0; round < LOCK_ROUNDS; round++) {
		for (int i = 0; i < N; i++) {
			/* instance 0 in user order, instance 1 in reverse */
			const char *user = users[i < LOCK_USERS ? i : N - 1 - i];
			struct model_authenticator *a = &g[i].w.in.authenticator.a;

			memset(&g[i].w, 0, sizeof(g[i].w));
			mk_challenge(app, user, g[i].chal, time(NULL) + 300);
			uid(g[i].key, "key");
			rand_hash(g[i].hash);
			g[i].w.kind = SW_AUTHENTICATOR_CREATE;
			a->app_id = app;
			a->user_id = (char *)(uintptr_t)user;
			a->public_key_id = g[i].key;
			a->key_type = KEY_TYPE_EC;
			a->public_key_der = (uint8_t *)(uintptr_t)g_der;
			a->public_key_der_len = sizeof(g_der);
			a->os = "iOS";
			a->challenge = g[i].chal;
			g[i].w.in.authenticator.challenge_hash = g[i].hash;
			g[i].rc = -1;
			g[i].mu = &mu;
			g[i].cv = &cv;
			g[i].done = &done;
		}
		done = 0;
		for (int i = 0; i < N; i++)
			assert_int_equal(store_submit(inst[i < LOCK_USERS ? 0 : 1], &g[i].w, reg_done,
			                              &g[i]), BA_OK);
		pthread_mutex_lock(&mu);
		while (done < N)
			pthread_cond_wait(&cv, &mu);
		pthread_mutex_unlock(&mu);
		for (int i = 0; i < N; i++)
			assert_int_equal(g[i].rc, BA_OK);
	}
	S = NULL;
	store_close(inst[0]);
	store_close(inst[1]);
	assert_int_equal(deadlocks_seen() - before, 0);
	free(g);
}

/* 20 signing-key rotations over two instances leave exactly one current
 * key. On the private cluster: the keys are fake, and a database a server
 * uses must not get a fake current key. */
static void test_instances_key_rotation(void **state)
{
	struct store *inst[2];
	struct racer *r = calloc(THREADS, sizeof(*r));
	struct model_signing_key *keys;
	size_t n, current = 0, ours = 0;

	(void)state;
	if (g_sqlite) {
		free(r);   /* skip() does not return */
		skip();
	}
	assert_non_null(r);
	need_private_cluster();
	assert_int_equal(open_url(g_priv_url, 4, 5000, &inst[0]), BA_OK);
	assert_int_equal(open_url(g_priv_url, 4, 5000, &inst[1]), BA_OK);
	for (int i = 0; i < THREADS; i++) {
		uid(r[i].key, "kid");
		r[i].w.kind = SW_SIGNING_KEY_ROTATE;
		r[i].w.in.signing_key.kid = r[i].key;
		r[i].w.in.signing_key.alg = "ES256";
		r[i].w.in.signing_key.private_pem = "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n";
		r[i].w.in.signing_key.created_at = time(NULL);
	}
	race(r, inst);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(r[i].rc, BA_OK);
	assert_int_equal(store_signing_key_list(inst[0], &keys, &n), BA_OK);
	for (size_t i = 0; i < n; i++) {
		current += keys[i].retired_at == 0;
		ours += strstr(keys[i].kid, g_run) != NULL;
	}
	assert_int_equal(current, 1);
	assert_int_equal(ours, THREADS);
	store_free_signing_keys(keys, n);
	store_close(inst[0]);
	store_close(inst[1]);
	free(r);
}

/* --- errors --- */

/* A table locked by someone else past busy_timeout_ms: the write and the
 * read fail with STORE_UNAVAILABLE (lock_timeout, 55P03) and change
 * nothing; once the lock is gone the same write succeeds. */
static void test_lock_timeout(void **state)
{
	struct store *s;
	struct store_write w = {.kind = SW_USER_CREATE};
	struct model_user u;
	char user[ID_LEN];
	PGconn *c;
	PGresult *res;
	double t0;

	(void)state;
	if (g_sqlite)
		skip();
	assert_int_equal(open_url(g_url, 2, 300, &s), BA_OK);
	c = PQconnectdb(g_url);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	res = PQexec(c, "BEGIN; LOCK TABLE users IN ACCESS EXCLUSIVE MODE");
	assert_int_equal(PQresultStatus(res), PGRES_COMMAND_OK);
	PQclear(res);

	uid(user, "user");
	w.in.user.user_id = user;
	t0 = now_s();
	assert_int_equal(store_write_sync(s, &w), BA_ERR_STORE_UNAVAILABLE);
	assert_true(now_s() - t0 < 3.0);
	assert_int_equal(store_user_get(s, user, &u), BA_ERR_STORE_UNAVAILABLE);

	res = PQexec(c, "ROLLBACK");
	PQclear(res);
	PQfinish(c);
	assert_int_equal(store_user_get(s, user, &u), BA_ERR_NOT_FOUND);
	assert_int_equal(store_write_sync(s, &w), BA_OK);
	assert_int_equal(store_user_get(s, user, &u), BA_OK);
	model_user_clear(&u);
	store_close(s);
}

/* A wrong password: open fails with STORE_UNAVAILABLE, says why on stderr,
 * and the password appears nowhere in what it logged. */
static void test_password_not_logged(void **state)
{
	static const char secret[] = "Wr0ng-S3cret-pw";
	char url[600], path[] = "/tmp/bioauth-pglog-XXXXXX", logbuf[8192];
	const char *at, *slash;
	struct store *s = NULL;
	int fd, saved;
	ssize_t n;

	(void)state;
	if (g_sqlite)
		skip();
	/* postgres://user:pass@host... -> postgres://user:<secret>@host... */
	slash = strstr(g_url, "://");
	at = strrchr(g_url, '@');
	assert_non_null(slash);
	if (at == NULL)
		skip();
	{
		const char *colon = memchr(slash + 3, ':', (size_t)(at - slash - 3));
		size_t user_end = colon != NULL ? (size_t)(colon - g_url) : (size_t)(at - g_url);

		snprintf(url, sizeof(url), "%.*s:%s%s", (int)user_end, g_url, secret, at);
	}
	fd = mkstemp(path);
	assert_true(fd >= 0);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	assert_int_equal(open_url(url, 2, 1000, &s), BA_ERR_STORE_UNAVAILABLE);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	assert_null(s);
	lseek(fd, 0, SEEK_SET);
	n = read(fd, logbuf, sizeof(logbuf) - 1);
	close(fd);
	unlink(path);
	assert_true(n > 0);
	logbuf[n] = '\0';
	assert_non_null(strstr(logbuf, "unreachable"));
	assert_null(strstr(logbuf, secret));
}

/* --- on the private cluster: first open, lost connections, restarts --- */

struct opener {
	pthread_barrier_t *go;
	struct store *s;
	int rc;
};

static void *open_main(void *arg)
{
	struct opener *o = arg;

	pthread_barrier_wait(o->go);
	o->rc = open_url(g_priv_url, 2, 5000, &o->s);
	return NULL;
}

/* Runs one SQL query on the private cluster; returns the first value as a
 * number (or -1). */
static long long priv_query(const char *sql)
{
	PGconn *c = PQconnectdb(g_priv_url);
	PGresult *res;
	long long v = -1;

	assert_int_equal(PQstatus(c), CONNECTION_OK);
	res = PQexec(c, sql);
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0)
		v = atoll(PQgetvalue(res, 0, 0));
	PQclear(res);
	PQfinish(c);
	return v;
}

/* Six instances starting together on a new database: every one opens, and
 * each migration is recorded once. */
static void test_concurrent_first_open(void **state)
{
	enum { N = 6 };
	struct opener o[N];
	pthread_t t[N];
	pthread_barrier_t go;
	int version = 0;

	(void)state;
	if (g_sqlite)
		skip();
	need_private_cluster();
	pthread_barrier_init(&go, NULL, N);
	for (int i = 0; i < N; i++) {
		o[i].go = &go;
		o[i].s = NULL;
		assert_int_equal(pthread_create(&t[i], NULL, open_main, &o[i]), 0);
	}
	for (int i = 0; i < N; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&go);
	for (int i = 0; i < N; i++)
		assert_int_equal(o[i].rc, BA_OK);
	assert_int_equal(o[0].s->ops->migrate(o[0].s, &version), BA_OK);
	assert_true(version >= 1);
	assert_int_equal(priv_query("SELECT count(*) FROM schema_version"), version);
	assert_int_equal(priv_query("SELECT count(DISTINCT version) FROM schema_version"), version);
	for (int i = 0; i < N; i++)
		store_close(o[i].s);
}

/* The server drops every connection of the store (as on a failover or an
 * idle timeout): the next reads and writes succeed on fresh connections
 * without an error reaching the caller - also a write whose whole
 * transaction goes in the COMMIT's round trip (an audit event alone),
 * which is never sent twice and so must find its connection lost before
 * it is sent. */
static void test_connections_killed(void **state)
{
	struct store *s;
	char app[ID_LEN], user[ID_LEN];
	struct model_app a;
	long long killed;

	(void)state;
	if (g_sqlite)
		skip();
	need_private_cluster();
	assert_int_equal(open_url(g_priv_url, 4, 5000, &s), BA_OK);
	S = s;
	mk_app(app, NULL, 10);
	killed = priv_query("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
	                    " WHERE application_name = 'bioauthd' AND pid <> pg_backend_pid()");
	assert_int_equal(killed, 4);
	usleep(100 * 1000);
	for (int i = 0; i < 8; i++) {
		struct model_audit ev = {.event = "test", .outcome = "failure"};
		struct store_write w = {.kind = SW_AUDIT, .audit = &ev};

		assert_int_equal(store_write_sync(s, &w), BA_OK);
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(store_app_get(s, app, &a), BA_OK);
		model_app_clear(&a);
		mk_user(user);
	}
	assert_int_equal(s->ops->ready(s), BA_OK);
	S = NULL;
	store_close(s);
}

/* Writers keep their connections from one transaction to the next: the
 * check for a connection the server closed while idle (postgres.c
 * w_begin) never takes a healthy one for closed - lone writes, whose
 * COMMIT goes in one pipeline with their statements, and batches. */
static void test_writers_keep_connections(void **state)
{
	static const char *backends =
		"SELECT sum(pid) * 1000 + count(*) FROM pg_stat_activity"
		" WHERE application_name = 'bioauthd'";
	struct store *s;
	char app[ID_LEN], user[ID_LEN];
	long long before;

	(void)state;
	if (g_sqlite)
		skip();
	need_private_cluster();
	assert_int_equal(open_url(g_priv_url, 4, 5000, &s), BA_OK);
	S = s;
	mk_app(app, NULL, 10);
	mk_user(user);
	before = priv_query(backends);
	for (int i = 0; i < 200; i++) {
		struct model_audit ev = {.event = "test", .outcome = "success"};
		struct store_write w = {.kind = SW_AUDIT, .audit = &ev};

		assert_int_equal(store_write_sync(s, &w), BA_OK);
		if (i % 20 == 0)
			mk_user(user);
	}
	assert_int_equal(priv_query(backends), before);
	S = NULL;
	store_close(s);
}

/* Polls ready() until it succeeds; returns the seconds it took (or -1). */
static double wait_ready(struct store *s, double limit)
{
	double t0 = now_s();

	while (now_s() - t0 < limit) {
		if (s->ops->ready(s) == BA_OK)
			return now_s() - t0;
		usleep(50 * 1000);
	}
	return -1;
}

/*
 * The server stops: ready() fails fast with STORE_UNAVAILABLE, and so do
 * writes and reads, leaving nothing behind. The server starts again: within
 * a few seconds everything works on the same store handle.
 */
static void test_server_restart(void **state)
{
	struct store *s;
	struct store_write w = {.kind = SW_USER_CREATE};
	struct model_user u;
	char user[ID_LEN], app[ID_LEN];
	struct model_app a;
	double t0, took;

	(void)state;
	if (g_sqlite)
		skip();
	need_private_cluster();
	assert_int_equal(open_url(g_priv_url, 4, 5000, &s), BA_OK);
	S = s;
	mk_app(app, NULL, 10);

	assert_int_equal(cluster("stop", g_priv_dir, NULL, 0), 0);
	for (int i = 0; i < 3; i++) {
		t0 = now_s();
		assert_int_equal(s->ops->ready(s), BA_ERR_STORE_UNAVAILABLE);
		assert_true(now_s() - t0 < 2.5);
	}
	uid(user, "user");
	w.in.user.user_id = user;
	for (int i = 0; i < 4; i++) {   /* every writer connection */
		t0 = now_s();
		assert_int_equal(store_write_sync(s, &w), BA_ERR_STORE_UNAVAILABLE);
		assert_true(now_s() - t0 < 2.5);
	}
	t0 = now_s();
	assert_int_equal(store_app_get(s, app, &a), BA_ERR_STORE_UNAVAILABLE);
	assert_true(now_s() - t0 < 2.5);

	assert_int_equal(cluster("start", g_priv_dir, NULL, 0), 0);
	took = wait_ready(s, 15.0);
	assert_true(took >= 0);
	assert_int_equal(store_user_get(s, user, &u), BA_ERR_NOT_FOUND);
	for (int i = 0; i < 4; i++) {
		struct store_write again = {.kind = SW_USER_CREATE};
		char id[ID_LEN];
		int rc = BA_ERR_STORE_UNAVAILABLE;

		uid(id, "user");
		again.in.user.user_id = id;
		/* a writer still in its backoff may refuse once, for < 2 s */
		for (int tries = 0; tries < 60 && rc == BA_ERR_STORE_UNAVAILABLE; tries++) {
			rc = store_write_sync(s, &again);
			if (rc == BA_ERR_STORE_UNAVAILABLE)
				usleep(50 * 1000);
		}
		assert_int_equal(rc, BA_OK);
		assert_int_equal(store_user_get(s, id, &u), BA_OK);
		model_user_clear(&u);
	}
	assert_int_equal(store_app_get(s, app, &a), BA_OK);
	model_app_clear(&a);
	S = NULL;
	store_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_instances_challenge),
		cmocka_unit_test(test_instances_refresh),
		cmocka_unit_test(test_instances_max_keys),
		cmocka_unit_test(test_instances_lock_order),
		cmocka_unit_test(test_lock_timeout),
		cmocka_unit_test(test_password_not_logged),
		cmocka_unit_test(test_concurrent_first_open),
		cmocka_unit_test(test_instances_key_rotation),
		cmocka_unit_test(test_connections_killed),
		cmocka_unit_test(test_writers_keep_connections),
		cmocka_unit_test(test_server_restart),
	};

	return cmocka_run_group_tests(tests, extra_group_setup, extra_group_teardown);
}
