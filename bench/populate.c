/*
 * populate.c - fills a bioauth database (a SQLite file or a postgres:// URL)
 * with many users and registered mobile-biometrics keys, fast, through the
 * public store interface (src/store/store.h): SW_USER_CREATE and
 * SW_AUTHENTICATOR_CREATE writes submitted asynchronously so the writer
 * thread(s) group thousands of them per transaction (on PostgreSQL, a pool
 * of 8 connections: 4 writers whose round trips overlap). Run it while
 * bioauthd is stopped (or at least idle); it opens the store with
 * durability off, as a bulk load would, and closes it (which drains and
 * commits) before exiting.
 *
 * Users are "<prefix>u<N>" and keys "<prefix>k<N>" with N zero-padded to 7
 * digits; user u owns keys u*K .. u*K+K-1. Key N's EC P-256 key pair is
 * pool[N % P]: generating a million key pairs would dominate the run and
 * changes nothing in how keys are looked up. The pool's private scalars are
 * written (hex, one per line) to --pool-out so the request generator can
 * sign challenges for any key. Prints a JSON summary (time, rate).
 */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "domain/model.h"
#include "store/store.h"

#define WINDOW 16384             /* writes in flight at most */

struct pool_key {
	uint8_t *der;
	size_t der_len;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long in_flight;
static long failures;
static int first_error;

static _Noreturn void
fail(const char *msg)
{
	fprintf(stderr, "populate: %s\n", msg);
	exit(1);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Called by the store's writer thread: frees the write, counts failures. */
static void
write_done(struct store_write *w, int rc, void *arg)
{
	(void)arg;
	if (w->kind == SW_USER_CREATE)
		model_user_clear(&w->in.user);
	else
		model_authenticator_clear(&w->in.authenticator.a);
	free(w);
	pthread_mutex_lock(&mu);
	if (rc != BA_OK) {
		failures++;
		if (first_error == 0)
			first_error = rc;
	}
	in_flight--;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
}

/* Waits until every write submitted so far is done. */
static void
drain(void)
{
	pthread_mutex_lock(&mu);
	while (in_flight > 0)
		pthread_cond_wait(&cv, &mu);
	pthread_mutex_unlock(&mu);
}

/* Submits `w` once fewer than WINDOW writes are pending. */
static void
submit(struct store *s, struct store_write *w)
{
	int rc;

	pthread_mutex_lock(&mu);
	while (in_flight >= WINDOW)
		pthread_cond_wait(&cv, &mu);
	in_flight++;
	pthread_mutex_unlock(&mu);
	if ((rc = store_submit(s, w, write_done, NULL)) != BA_OK) {
		fprintf(stderr, "populate: submit: %s\n", ba_strerror(rc));
		exit(1);
	}
}

static char *
xstrdup(const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		fail("out of memory");
	return d;
}

/* Generates the key pool; writes the private scalars to `path`. */
static struct pool_key *
make_pool(int n, const char *path)
{
	struct pool_key *pool = calloc((size_t)n, sizeof(*pool));
	FILE *f = fopen(path, "w");
	int i;

	if (pool == NULL || f == NULL)
		fail("cannot create the key pool");
	for (i = 0; i < n; i++) {
		EVP_PKEY *k = EVP_EC_gen("P-256");
		BIGNUM *d = NULL;
		unsigned char *enc = NULL;
		char *hex;
		int len;

		if (k == NULL || !EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_PRIV_KEY, &d))
			fail("key generation failed");
		if ((len = i2d_PUBKEY(k, &enc)) <= 0)
			fail("i2d_PUBKEY failed");
		pool[i].der = (uint8_t *)enc;
		pool[i].der_len = (size_t)len;
		if ((hex = BN_bn2hex(d)) == NULL)
			fail("out of memory");
		fprintf(f, "%s\n", hex);
		OPENSSL_free(hex);
		BN_clear_free(d);
		EVP_PKEY_free(k);
	}
	if (fclose(f) != 0)
		fail("cannot write the key pool");
	return pool;
}

int
main(int argc, char **argv)
{
	const char *db = NULL, *app_id = NULL, *pool_out = NULL, *prefix = "b";
	long keys = 0, per_user = 2, users, u;
	int pool_n = 256, i;
	struct store_options so = { .durable = false, .pool_size = 1,
	                            .busy_timeout_ms = 10000, .max_batch = 4096 };
	struct pool_key *pool;
	struct store *s = NULL;
	int64_t now = (int64_t)time(NULL);
	double t0, t1, t2;
	int rc;

	for (i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--db") == 0) db = argv[i + 1];
		else if (strcmp(argv[i], "--app-id") == 0) app_id = argv[i + 1];
		else if (strcmp(argv[i], "--keys") == 0) keys = atol(argv[i + 1]);
		else if (strcmp(argv[i], "--keys-per-user") == 0) per_user = atol(argv[i + 1]);
		else if (strcmp(argv[i], "--pool") == 0) pool_n = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--pool-out") == 0) pool_out = argv[i + 1];
		else if (strcmp(argv[i], "--prefix") == 0) prefix = argv[i + 1];
		else break;
	}
	if (i != argc || db == NULL || app_id == NULL || pool_out == NULL || keys <= 0 ||
	    keys > 100000000 || per_user < 1 || per_user > 10 || pool_n < 1 || pool_n > 100000 ||
	    strlen(prefix) > 32) {
		fprintf(stderr, "usage: populate --db FILE --app-id APP --keys N --pool-out FILE\n"
		                "                [--keys-per-user K (2)] [--pool P (256)] [--prefix S]\n");
		return 2;
	}
	users = (keys + per_user - 1) / per_user;
	if (strncmp(db, "postgres://", 11) == 0 || strncmp(db, "postgresql://", 13) == 0)
		so.pool_size = 8;
	t0 = now_s();
	pool = make_pool(pool_n, pool_out);
	t1 = now_s();
	if ((rc = store_open(db, &so, &s)) != BA_OK) {
		fprintf(stderr, "populate: cannot open %s: %s\n", db, ba_strerror(rc));
		return 1;
	}
	for (u = 0; u < users; u++) {
		struct store_write *w = calloc(1, sizeof(*w));
		char id[64];

		if (w == NULL)
			fail("out of memory");
		snprintf(id, sizeof(id), "%su%07ld", prefix, u);
		w->kind = SW_USER_CREATE;
		w->in.user.user_id = xstrdup(id);
		w->in.user.created_at = w->in.user.updated_at = now;
		submit(s, w);
	}
	/* A key needs its user committed first; on PostgreSQL the writes
	 * run on several connections, in no set order. */
	drain();
	for (u = 0; u < users; u++) {
		char id[64];
		long k;

		for (k = u * per_user; k < (u + 1) * per_user && k < keys; k++) {
			struct store_write *w;
			struct model_authenticator *a;
			const struct pool_key *pk = &pool[k % pool_n];

			if ((w = calloc(1, sizeof(*w))) == NULL)
				fail("out of memory");
			w->kind = SW_AUTHENTICATOR_CREATE;
			w->in.authenticator.max_per_user = 10;
			a = &w->in.authenticator.a;
			a->app_id = xstrdup(app_id);
			snprintf(id, sizeof(id), "%sk%07ld", prefix, k);
			a->public_key_id = xstrdup(id);
			snprintf(id, sizeof(id), "%su%07ld", prefix, u);
			a->user_id = xstrdup(id);
			a->key_type = KEY_TYPE_EC;
			if ((a->public_key_der = malloc(pk->der_len)) == NULL)
				fail("out of memory");
			memcpy(a->public_key_der, pk->der, pk->der_len);
			a->public_key_der_len = pk->der_len;
			a->os = xstrdup(k % 2 ? "android" : "ios");
			a->encryption_type = xstrdup("ec");
			a->created_at = now;
			submit(s, w);
		}
	}
	store_close(s);           /* drains the queue: every write is committed */
	t2 = now_s();
	if (failures != 0) {
		fprintf(stderr, "populate: %ld writes failed (first: %s)\n", failures,
		        ba_strerror(first_error));
		return 1;
	}
	printf("{\"keys\": %ld, \"users\": %ld, \"pool\": %d, \"keygen_s\": %.2f, "
	       "\"insert_s\": %.2f, \"keys_per_s\": %.0f}\n",
	       keys, users, pool_n, t1 - t0, t2 - t1, (double)keys / (t2 - t1));
	for (i = 0; i < pool_n; i++)
		OPENSSL_free(pool[i].der);
	free(pool);
	return 0;
}
