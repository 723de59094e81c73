/*
 * test_store_concurrency.c - the store under concurrent use: conditional
 * writes raced by threads, per-write isolation inside a shared commit,
 * close() draining the queue, group commit with durability on, background
 * checkpoints (SQLite), and storage faults (SQLite: unusable paths, a
 * read-only database file).
 * Backend-agnostic like test_store.c (BIOAUTH_TEST_DB, see store_testlib.h).
 */
#define _XOPEN_SOURCE 700
#include <pthread.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "store_testlib.h"

#define RACERS 8

/* --- racing one conditional write --- */

struct racer {
	pthread_barrier_t *go;
	struct store_write w;
	char sid[ID_LEN];
	uint8_t next[MODEL_HASH_LEN];
	int rc;
};

static void *race_main(void *arg)
{
	struct racer *r = arg;

	pthread_barrier_wait(r->go);
	r->rc = store_write_sync(S, &r->w);
	return NULL;
}

/* Runs the RACERS prepared writes at once. */
static void race(struct racer *r)
{
	pthread_barrier_t go;
	pthread_t t[RACERS];

	pthread_barrier_init(&go, NULL, RACERS);
	for (int i = 0; i < RACERS; i++) {
		r[i].go = &go;
		assert_int_equal(pthread_create(&t[i], NULL, race_main, &r[i]), 0);
	}
	for (int i = 0; i < RACERS; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&go);
}

/* 8 threads present one /start challenge: exactly one login succeeds. */
static void test_login_race(void **state)
{
	char app[ID_LEN], user[ID_LEN], ch[ID_LEN];
	struct racer r[RACERS];
	struct model_session s;
	int ok = 0, reused = 0, sessions = 0;
	int64_t now = time(NULL);

	(void)state;
	mk_app(app, NULL, 10);
	mk_user(user);
	mk_challenge(app, user, ch, now + 300);
	memset(r, 0, sizeof(r));
	for (int i = 0; i < RACERS; i++) {
		rand_hash(r[i].next);
		login_init(&r[i].w, app, user, r[i].sid, r[i].next, now);
		r[i].w.in.login.start_challenge = ch;
	}
	race(r);
	for (int i = 0; i < RACERS; i++) {
		ok += r[i].rc == BA_OK;
		reused += r[i].rc == BA_ERR_CHALLENGE_REUSED;
		if (store_session_get(S, r[i].sid, &s) == BA_OK) {
			sessions++;
			assert_int_equal(r[i].rc, BA_OK);
			model_session_clear(&s);
		}
		model_session_clear(&r[i].w.out.session);
	}
	assert_int_equal(ok, 1);
	assert_int_equal(reused, RACERS - 1);
	assert_int_equal(sessions, 1);
}

/* 8 threads present one refresh token: one rotation, one reuse detection
 * (which kills the session), and the rest find a dead token. */
static void test_refresh_race(void **state)
{
	char app[ID_LEN], user[ID_LEN], sid[ID_LEN];
	uint8_t rt[MODEL_HASH_LEN];
	struct racer r[RACERS];
	struct model_session s;
	int rotated = 0, reuse = 0, invalid = 0;
	int64_t now = time(NULL);

	(void)state;
	mk_app(app, NULL, 10);
	mk_user(user);
	mk_session(app, user, sid, rt, now);
	memset(r, 0, sizeof(r));
	for (int i = 0; i < RACERS; i++) {
		r[i].w.kind = SW_REFRESH_ROTATE;
		r[i].w.in.refresh.app_id = app;
		memcpy(r[i].w.in.refresh.old_hash, rt, MODEL_HASH_LEN);
		rand_hash(r[i].w.in.refresh.next.hash);
		r[i].w.in.refresh.next.expires_at = now + 3600;
		r[i].w.in.refresh.now = now;
	}
	race(r);
	for (int i = 0; i < RACERS; i++) {
		rotated += r[i].rc == BA_OK && !r[i].w.out.reuse_detected;
		reuse += r[i].rc == BA_OK && r[i].w.out.reuse_detected;
		invalid += r[i].rc == BA_ERR_INVALID_GRANT;
		model_session_clear(&r[i].w.out.session);
	}
	assert_int_equal(rotated, 1);
	assert_int_equal(reuse, 1);
	assert_int_equal(invalid, RACERS - 2);
	assert_int_equal(store_session_get(S, sid, &s), BA_OK);
	assert_true(s.revoked);
	model_session_clear(&s);
}

/* --- asynchronous submits --- */

struct waiter {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int done;
};

struct async_write {
	struct store_write w;
	struct waiter *wt;
	char id[ID_LEN];
	int rc;
	int calls;
};

static void async_done(struct store_write *w, int rc, void *arg)
{
	struct async_write *a = arg;

	(void)w;
	pthread_mutex_lock(&a->wt->mu);
	a->rc = rc;
	a->calls++;
	a->wt->done++;
	pthread_cond_broadcast(&a->wt->cv);
	pthread_mutex_unlock(&a->wt->mu);
}

static void waiter_init(struct waiter *wt)
{
	memset(wt, 0, sizeof(*wt));
	pthread_mutex_init(&wt->mu, NULL);
	pthread_cond_init(&wt->cv, NULL);
}

static void waiter_wait(struct waiter *wt, int n)
{
	pthread_mutex_lock(&wt->mu);
	while (wt->done < n)
		pthread_cond_wait(&wt->cv, &wt->mu);
	pthread_mutex_unlock(&wt->mu);
}

static void waiter_fini(struct waiter *wt)
{
	pthread_cond_destroy(&wt->cv);
	pthread_mutex_destroy(&wt->mu);
}

/* A USER_CREATE of a fresh id (or of `dup` when not NULL). */
static void async_user(struct async_write *a, struct waiter *wt, const char *dup)
{
	memset(a, 0, sizeof(*a));
	a->wt = wt;
	a->rc = -1;
	if (dup != NULL)
		snprintf(a->id, sizeof(a->id), "%s", dup);
	else
		uid(a->id, "user");
	a->w.kind = SW_USER_CREATE;
	a->w.in.user.user_id = a->id;
	a->w.in.user.created_at = time(NULL);
}

/* Writes submitted in one burst share commits; a failing one (a duplicate)
 * is rolled back alone and the others commit. */
static void test_batch_isolation(void **state)
{
	enum { N = 60 };
	struct async_write *a = calloc(N, sizeof(*a));
	struct waiter wt;
	struct model_user u;

	(void)state;
	assert_non_null(a);
	waiter_init(&wt);
	for (int i = 0; i < N; i++)
		async_user(&a[i], &wt, i % 3 == 2 ? a[i - 1].id : NULL);
	for (int i = 0; i < N; i++)
		assert_int_equal(store_submit(S, &a[i].w, async_done, &a[i]), BA_OK);
	waiter_wait(&wt, N);
	/* Of each duplicate pair (i-1, i) exactly one commits and the other
	 * gets CONFLICT alone. Which one depends on the backend: SQLite's single
	 * writer keeps submission order, PostgreSQL's writers race. */
	for (int i = 0; i < N; i++) {
		assert_int_equal(a[i].calls, 1);
		if (i % 3 == 0)
			assert_int_equal(a[i].rc, BA_OK);
		if (i % 3 == 2) {
			int first = a[i - 1].rc, second = a[i].rc;

			assert_true((first == BA_OK && second == BA_ERR_CONFLICT) ||
			            (first == BA_ERR_CONFLICT && second == BA_OK));
		}
		assert_int_equal(store_user_get(S, a[i].id, &u), BA_OK);
		model_user_clear(&u);
	}
	waiter_fini(&wt);
	free(a);
}

struct async_login {
	struct store_write w;
	struct model_audit ev;
	struct waiter *wt;
	char sid[ID_LEN];
	uint8_t rt[MODEL_HASH_LEN];
	int rc;
	int calls;
};

static void login_done(struct store_write *w, int rc, void *arg)
{
	struct async_login *a = arg;

	(void)w;
	pthread_mutex_lock(&a->wt->mu);
	a->rc = rc;
	a->calls++;
	a->wt->done++;
	pthread_cond_broadcast(&a->wt->cv);
	pthread_mutex_unlock(&a->wt->mu);
}

/*
 * Logins with client challenges submitted in one burst, every third
 * replaying the previous one's challenge: the replay is refused
 * (CHALLENGE_REUSED) alone, with its failure event, while the logins
 * around it in the same batch commit their sessions - on PostgreSQL their
 * inserts travel held back in shared round trips, and each outcome must
 * still reach its own write.
 */
static void test_batch_login_refusals(void **state)
{
	enum { N = 45 };
	struct async_login *a = calloc(N, sizeof(*a));
	char app[ID_LEN], user[ID_LEN], key[ID_LEN];
	char event[] = "authenticate", outcome[] = "success";
	uint8_t spki[MODEL_HASH_LEN];
	int64_t now = time(NULL);
	struct waiter wt;

	(void)state;
	assert_non_null(a);
	mk_app(app, NULL, 10);
	mk_user(user);
	assert_int_equal(mk_key(app, user, key, 10, now), BA_OK);
	rand_hash(spki);
	waiter_init(&wt);
	for (int i = 0; i < N; i++) {
		struct store_login *l = &a[i].w.in.login;

		rand_hash(a[i].rt);
		login_init(&a[i].w, app, user, a[i].sid, a[i].rt, now);
		l->key_id = key;
		l->has_client_challenge = true;
		if (i % 3 == 2)
			memcpy(l->client_challenge_hash, a[i - 1].w.in.login.client_challenge_hash,
			       MODEL_HASH_LEN);
		else
			rand_hash(l->client_challenge_hash);
		memcpy(l->client_challenge_key, spki, MODEL_HASH_LEN);
		a[i].ev.time = now;
		a[i].ev.event = event;
		a[i].ev.outcome = outcome;
		a[i].ev.app_id = app;
		a[i].ev.user_id = user;
		a[i].w.audit = &a[i].ev;
		a[i].wt = &wt;
		a[i].rc = -1;
	}
	for (int i = 0; i < N; i++)
		assert_int_equal(store_submit(S, &a[i].w, login_done, &a[i]), BA_OK);
	waiter_wait(&wt, N);
	for (int i = 0; i < N; i++) {
		struct model_session s;
		int expect = BA_OK;

		assert_int_equal(a[i].calls, 1);
		if (i % 3 != 0) {
			/* of a pair, one commits, the other is the replay */
			int other = a[i % 3 == 1 ? i + 1 : i - 1].rc;

			assert_true((a[i].rc == BA_OK && other == BA_ERR_CHALLENGE_REUSED) ||
			            (a[i].rc == BA_ERR_CHALLENGE_REUSED && other == BA_OK));
			expect = a[i].rc;
		}
		assert_int_equal(a[i].rc, expect);
		assert_true(a[i].ev.id > 0);
		if (expect == BA_OK) {
			assert_string_equal(a[i].w.out.session.session_id, a[i].sid);
			assert_int_equal(store_session_get(S, a[i].sid, &s), BA_OK);
			model_session_clear(&s);
		} else {
			assert_null(a[i].w.out.session.session_id);
			assert_int_equal(store_session_get(S, a[i].sid, &s), BA_ERR_NOT_FOUND);
		}
		model_session_clear(&a[i].w.out.session);
	}
	waiter_fini(&wt);
	free(a);
}

/*
 * Writes refused before they run any statement (no user_id), in a burst
 * with writes that commit: each refused one gets INVALID_REQUEST alone and
 * every other commits - whether the refused one opens a batch, sits inside
 * it or the whole burst is refused (on PostgreSQL its savepoint, and a
 * BEGIN nothing followed, are never sent).
 */
static void test_batch_refused_early(void **state)
{
	enum { N = 60 };
	struct async_write *a = calloc(N, sizeof(*a));
	struct waiter wt;
	struct model_user u;

	(void)state;
	assert_non_null(a);
	for (int round = 0; round < 2; round++) {
		waiter_init(&wt);
		for (int i = 0; i < N; i++) {
			async_user(&a[i], &wt, NULL);
			if (round == 1 || i % 3 == 0)
				a[i].w.in.user.user_id = NULL;
		}
		for (int i = 0; i < N; i++)
			assert_int_equal(store_submit(S, &a[i].w, async_done, &a[i]), BA_OK);
		waiter_wait(&wt, N);
		for (int i = 0; i < N; i++) {
			bool refused = a[i].w.in.user.user_id == NULL;

			assert_int_equal(a[i].calls, 1);
			assert_int_equal(a[i].rc, refused ? BA_ERR_INVALID_REQUEST : BA_OK);
			assert_int_equal(store_user_get(S, a[i].id, &u),
			                 refused ? BA_ERR_NOT_FOUND : BA_OK);
			model_user_clear(&u);
		}
		waiter_fini(&wt);
	}
	free(a);
}

/* close() finishes every queued write before it returns. */
static void test_close_drains(void **state)
{
	enum { N = 300 };
	struct async_write *a = calloc(N, sizeof(*a));
	struct waiter wt;
	struct store *s2;
	struct model_user u;

	(void)state;
	assert_non_null(a);
	waiter_init(&wt);
	assert_int_equal(open_store(true, &s2), BA_OK);
	for (int i = 0; i < N; i++) {
		async_user(&a[i], &wt, NULL);
		assert_int_equal(store_submit(s2, &a[i].w, async_done, &a[i]), BA_OK);
	}
	store_close(s2);
	assert_int_equal(wt.done, N);
	for (int i = 0; i < N; i++) {
		assert_int_equal(a[i].calls, 1);
		assert_int_equal(a[i].rc, BA_OK);
		assert_int_equal(store_user_get(S, a[i].id, &u), BA_OK);
		model_user_clear(&u);
	}
	waiter_fini(&wt);
	free(a);
}

/* --- group commit --- */

#define GC_THREADS 16
#define GC_WRITES 50

struct gc_thread {
	struct store *s;
	pthread_barrier_t *go;
	char ids[GC_WRITES][ID_LEN];
	int rc[GC_WRITES];
};

static void *gc_main(void *arg)
{
	struct gc_thread *t = arg;

	pthread_barrier_wait(t->go);
	for (int i = 0; i < GC_WRITES; i++) {
		struct store_write w = {.kind = SW_USER_CREATE};

		w.in.user.user_id = t->ids[i];
		w.in.user.created_at = time(NULL);
		t->rc[i] = store_write_sync(t->s, &w);
	}
	return NULL;
}

/*
 * 16 threads x 50 durable writes: every acknowledged write is there after
 * reopening, and (SQLite) several writes shared each commit.
 */
static void test_group_commit(void **state)
{
	struct gc_thread *t = calloc(GC_THREADS, sizeof(*t));
	pthread_t tid[GC_THREADS];
	pthread_barrier_t go;
	unsigned long long c0, w0, c1, w1;
	struct store *s2;
	struct model_user u;
	double ratio;

	(void)state;
	assert_non_null(t);
	store_close(S); /* reopened at the end, to check what is on disk */
	S = NULL;
	assert_int_equal(open_store(true, &s2), BA_OK);
	pthread_barrier_init(&go, NULL, GC_THREADS);
	metrics_commit_totals(&c0, &w0);
	for (int i = 0; i < GC_THREADS; i++) {
		t[i].s = s2;
		t[i].go = &go;
		for (int j = 0; j < GC_WRITES; j++)
			uid(t[i].ids[j], "gc");
		assert_int_equal(pthread_create(&tid[i], NULL, gc_main, &t[i]), 0);
	}
	for (int i = 0; i < GC_THREADS; i++)
		pthread_join(tid[i], NULL);
	metrics_commit_totals(&c1, &w1);
	pthread_barrier_destroy(&go);
	store_close(s2);

	assert_true(c1 > c0);
	assert_true(w1 - w0 >= GC_THREADS * GC_WRITES);
	ratio = (double)(w1 - w0) / (double)(c1 - c0);
	print_message("group commit: %llu writes in %llu commits = %.2f writes/commit\n",
	              w1 - w0, c1 - c0, ratio);
	if (g_sqlite)
		assert_true(ratio > 1.0);

	assert_int_equal(open_store(true, &S), BA_OK);
	for (int i = 0; i < GC_THREADS; i++) {
		for (int j = 0; j < GC_WRITES; j++) {
			assert_int_equal(t[i].rc[j], BA_OK);
			assert_int_equal(store_user_get(S, t[i].ids[j], &u), BA_OK);
			model_user_clear(&u);
		}
	}
	free(t);
}

/* --- checkpoints (SQLite) --- */

/*
 * How many users whose id starts with `prefix` the database file itself
 * holds, ignoring the WAL (immutable=1): what checkpoints copied so far.
 * -1 when the file cannot be read.
 */
static int checkpointed_users(const char *path, const char *prefix)
{
	char uri[700], like[ID_LEN + 2];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int n = -1;

	snprintf(uri, sizeof(uri), "file:%s?immutable=1", path);
	snprintf(like, sizeof(like), "%s%%", prefix);
	if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT count(*) FROM users WHERE user_id LIKE ?1", -1, &st,
	                       NULL) == SQLITE_OK &&
	    sqlite3_bind_text(st, 1, like, -1, SQLITE_STATIC) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/*
 * A few writes, far below the WAL size that triggers a checkpoint, reach the
 * database file within seconds anyway (the checkpointer's periodic pass;
 * the writer itself never checkpoints them), and close() leaves no WAL.
 */
static void test_checkpoint_background(void **state)
{
	enum { N = 20 };
	char path[600], wal[620], prefix[ID_LEN];
	struct store_options opt = {.durable = true, .pool_size = 2};
	struct store *s2 = NULL;
	int seen = -1;

	(void)state;
	if (!g_sqlite || g_dir[0] == '\0')
		skip();
	snprintf(path, sizeof(path), "%s/ckpt.db", g_dir);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	uid(prefix, "ckpt");
	assert_int_equal(store_open(path, &opt, &s2), BA_OK);
	for (int i = 0; i < N; i++) {
		struct store_write w = {.kind = SW_USER_CREATE};
		char id[2 * ID_LEN];

		snprintf(id, sizeof(id), "%s-%d", prefix, i);
		w.in.user.user_id = id;
		assert_int_equal(store_write_sync(s2, &w), BA_OK);
	}
	assert_int_equal(access(wal, F_OK), 0);
	for (int i = 0; i < 200 && seen != N; i++) {
		seen = checkpointed_users(path, prefix);
		if (seen != N)
			usleep(50000);
	}
	assert_int_equal(seen, N);
	store_close(s2);
	assert_int_equal(access(wal, F_OK), -1);
	assert_int_equal(checkpointed_users(path, prefix), N);
}

struct wal_load {
	struct store *s;
	int writes;
	int rc;
};

static void *wal_load_main(void *arg)
{
	struct wal_load *l = arg;
	char *attrs = malloc(3500);

	if (attrs == NULL) {
		l->rc = BA_ERR_NOMEM;
		return NULL;
	}
	memset(attrs, 'x', 3499);
	attrs[3499] = '\0';
	for (int i = 0; i < l->writes && l->rc == BA_OK; i++) {
		struct model_audit ev = {.event = "test", .outcome = "success",
		                         .client_attributes = attrs};
		struct store_write w = {.kind = SW_AUDIT, .audit = &ev};

		l->rc = store_write_sync(l->s, &w);
	}
	free(attrs);
	return NULL;
}

static atomic_int g_wal_stop;
static off_t g_wal_max;

static void *wal_watch_main(void *arg)
{
	const char *wal = arg;
	struct stat sb;

	while (!g_wal_stop) {
		if (stat(wal, &sb) == 0 && sb.st_size > g_wal_max)
			g_wal_max = sb.st_size;
		usleep(1000);
	}
	return NULL;
}

/*
 * Writes without a pause from several threads (about 125 MiB of WAL frames
 * in all): the WAL is still rewound, and never passes the store's hard
 * limit (32,000 frames, about 63 MiB with 2 KiB pages, plus one batch).
 * With checkpoints left to the background thread alone, the WAL is never
 * rewound under such a load and grows with every write.
 */
static void test_wal_bounded(void **state)
{
	enum { THREADS = 8, WRITES = 2000 };
	char path[600], wal[620];
	struct store_options opt = {.durable = false, .pool_size = 2};
	struct wal_load l[THREADS];
	pthread_t t[THREADS], watch;
	struct store *s2 = NULL;

	(void)state;
	if (!g_sqlite || g_dir[0] == '\0')
		skip();
	snprintf(path, sizeof(path), "%s/walsize.db", g_dir);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	assert_int_equal(store_open(path, &opt, &s2), BA_OK);
	g_wal_stop = 0;
	g_wal_max = 0;
	assert_int_equal(pthread_create(&watch, NULL, wal_watch_main, wal), 0);
	for (int i = 0; i < THREADS; i++) {
		l[i] = (struct wal_load){.s = s2, .writes = WRITES, .rc = BA_OK};
		assert_int_equal(pthread_create(&t[i], NULL, wal_load_main, &l[i]), 0);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	g_wal_stop = 1;
	pthread_join(watch, NULL);
	store_close(s2);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(l[i].rc, BA_OK);
	print_message("largest WAL during %d writes: %.1f MiB\n", THREADS * WRITES,
	              (double)g_wal_max / 1048576.0);
	assert_true(g_wal_max > 0);
	assert_true(g_wal_max < (off_t)70 << 20);
	assert_int_equal(access(wal, F_OK), -1);
}

/*
 * A reader of another process keeps an old snapshot while the store writes
 * well over 64 MiB of WAL frames: no checkpoint can copy past that
 * snapshot, so the WAL grows past the store's limit (the writer's attempts
 * to empty it wait out the busy timeout and writes go on). Once the reader
 * is gone, the next writes bring the file back to at most 64 MiB.
 */
static void test_wal_shrinks_after_reader(void **state)
{
	enum { THREADS = 4, WRITES = 1100, MAX_ROUNDS = 8 };
	char path[600], wal[620];
	struct store_options opt = {.durable = false, .pool_size = 2, .busy_timeout_ms = 100};
	struct wal_load l[THREADS];
	pthread_t t[THREADS];
	struct store *s2 = NULL;
	sqlite3 *reader = NULL;
	struct stat sb;

	(void)state;
	if (!g_sqlite || g_dir[0] == '\0')
		skip();
	snprintf(path, sizeof(path), "%s/walpin.db", g_dir);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	assert_int_equal(store_open(path, &opt, &s2), BA_OK);
	assert_int_equal(sqlite3_open(path, &reader), SQLITE_OK);
	assert_int_equal(sqlite3_exec(reader, "BEGIN; SELECT count(*) FROM users", NULL, NULL, NULL),
	                 SQLITE_OK);
	/* How many bytes of WAL a write makes depends on how many writes
	 * share a commit (their pages are written once per commit), which
	 * depends on the machine's scheduling: write in rounds until the WAL
	 * is well past the limit. */
	for (int round = 0; round < MAX_ROUNDS; round++) {
		for (int i = 0; i < THREADS; i++) {
			l[i] = (struct wal_load){.s = s2, .writes = WRITES, .rc = BA_OK};
			assert_int_equal(pthread_create(&t[i], NULL, wal_load_main, &l[i]), 0);
		}
		for (int i = 0; i < THREADS; i++)
			pthread_join(t[i], NULL);
		for (int i = 0; i < THREADS; i++)
			assert_int_equal(l[i].rc, BA_OK);
		assert_int_equal(stat(wal, &sb), 0);
		if (sb.st_size > (off_t)68 << 20)
			break;
	}
	print_message("WAL with a reader pinning it: %.1f MiB\n", (double)sb.st_size / 1048576.0);
	assert_true(sb.st_size > (off_t)64 << 20);

	assert_int_equal(sqlite3_exec(reader, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(reader);
	l[0] = (struct wal_load){.s = s2, .writes = 50, .rc = BA_OK};
	wal_load_main(&l[0]);
	assert_int_equal(l[0].rc, BA_OK);
	assert_int_equal(stat(wal, &sb), 0);
	print_message("WAL once the reader is gone: %.1f MiB\n", (double)sb.st_size / 1048576.0);
	assert_true(sb.st_size <= (off_t)65 << 20);
	store_close(s2);
}

/* --- storage faults (SQLite) --- */

static void test_open_unusable(void **state)
{
	char path[600];
	struct store *s2 = NULL;
	FILE *f;

	(void)state;
	/* a postgres URL goes to PostgreSQL (nothing listens on port 1), never
	 * to a SQLite file of that name */
	assert_int_equal(store_open("postgresql://127.0.0.1:1/bioauth", NULL, &s2),
	                 BA_ERR_STORE_UNAVAILABLE);
	assert_null(s2);
	assert_int_equal(access("postgresql:", F_OK), -1);
	if (!g_sqlite || g_dir[0] == '\0')
		skip();
	assert_int_equal(store_open("/nonexistent-bioauth-dir/sub/x.db", NULL, &s2),
	                 BA_ERR_STORE_UNAVAILABLE);
	assert_null(s2);
	assert_int_equal(store_open(g_dir, NULL, &s2), BA_ERR_STORE_UNAVAILABLE);
	snprintf(path, sizeof(path), "%s/garbage.db", g_dir);
	f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < 256; i++)
		fputs("this is not a database file\n", f);
	fclose(f);
	assert_int_equal(store_open(path, NULL, &s2), BA_ERR_STORE_UNAVAILABLE);
	assert_null(s2);
	assert_int_not_equal(store_open("", NULL, &s2), BA_OK);
}

/* Another process holds the write lock past the busy timeout: the write
 * fails with STORE_UNAVAILABLE, ready() reports it, and once the lock is
 * gone ready() recovers by itself (its probe write commits). */
static void test_busy_then_recovers(void **state)
{
	struct store_options opt = {.durable = true, .busy_timeout_ms = 100};
	struct store_write w = {.kind = SW_USER_CREATE};
	struct model_user u;
	struct store *s2 = NULL;
	sqlite3 *db = NULL;
	char user[ID_LEN];
	int ready = BA_ERR_INTERNAL;

	(void)state;
	if (!g_sqlite)
		skip();
	assert_int_equal(store_open(g_url, &opt, &s2), BA_OK);
	assert_int_equal(s2->ops->ready(s2), BA_OK);
	assert_int_equal(sqlite3_open(g_url, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	uid(user, "user");
	w.in.user.user_id = user;
	assert_int_equal(store_write_sync(s2, &w), BA_ERR_STORE_UNAVAILABLE);
	assert_int_not_equal(s2->ops->ready(s2), BA_OK);
	assert_int_equal(store_user_get(s2, user, &u), BA_ERR_NOT_FOUND); /* reads work */
	assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	for (int i = 0; i < 300 && ready != BA_OK; i++) {
		ready = s2->ops->ready(s2);
		if (ready != BA_OK)
			usleep(10000);
	}
	assert_int_equal(ready, BA_OK);
	assert_int_equal(store_write_sync(s2, &w), BA_OK);
	store_close(s2);
}

/* Runs the rest of the test as an unprivileged user when we are root (root
 * ignores file modes); returns false if that is impossible. */
static bool drop_privileges(void)
{
	if (geteuid() != 0)
		return true;
	return setegid(65534) == 0 && seteuid(65534) == 0;
}

static void restore_privileges(void)
{
	if (getuid() == 0) {
		assert_int_equal(seteuid(0), 0);
		assert_int_equal(setegid(0), 0);
	}
}

/* A read-only database file: reads work, writes fail with
 * STORE_UNAVAILABLE, and ready() says the store is not ready. */
static void test_readonly_file(void **state)
{
	char dir[300], path[400], app[ID_LEN], user[ID_LEN];
	struct store_write w = {.kind = SW_USER_CREATE};
	struct store *s2 = NULL;
	struct model_app a;
	struct model_user u;
	bool dropped;

	(void)state;
	if (!g_sqlite || g_dir[0] == '\0')
		skip();
	snprintf(dir, sizeof(dir), "%s/ro", g_dir);
	snprintf(path, sizeof(path), "%s/ro.db", dir);
	assert_int_equal(mkdir(dir, 0777), 0);
	assert_int_equal(chmod(dir, 0777), 0); /* -wal and -shm may be created */
	assert_int_equal(chmod(g_dir, 0755), 0);
	{
		struct store *keep = S;
		char saved[sizeof(g_url)];

		memcpy(saved, g_url, sizeof(saved));
		snprintf(g_url, sizeof(g_url), "%s", path);
		assert_int_equal(open_store(true, &S), BA_OK);
		mk_app(app, NULL, 10);
		store_close(S);
		S = keep;
		memcpy(g_url, saved, sizeof(saved));
	}
	assert_int_equal(chmod(path, 0444), 0);

	dropped = drop_privileges();
	if (dropped) {
		struct store_options opt = {.durable = true};

		assert_int_equal(store_open(path, &opt, &s2), BA_OK);
		assert_int_equal(store_app_get(s2, app, &a), BA_OK);
		model_app_clear(&a);
		assert_int_not_equal(s2->ops->ready(s2), BA_OK);
		uid(user, "user");
		w.in.user.user_id = user;
		assert_int_equal(store_write_sync(s2, &w), BA_ERR_STORE_UNAVAILABLE);
		assert_int_equal(store_user_get(s2, user, &u), BA_ERR_NOT_FOUND);
		assert_int_not_equal(s2->ops->ready(s2), BA_OK);
		store_close(s2);
	}
	restore_privileges();
	if (!dropped)
		skip();
}

#define T(f) cmocka_unit_test_setup_teardown(f, store_setup, store_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_login_race),
		T(test_refresh_race),
		T(test_batch_isolation),
		T(test_batch_refused_early),
		T(test_batch_login_refusals),
		T(test_close_drains),
		T(test_group_commit),
		T(test_checkpoint_background),
		T(test_wal_bounded),
		T(test_wal_shrinks_after_reader),
		T(test_open_unusable),
		T(test_busy_then_recovers),
		T(test_readonly_file),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
