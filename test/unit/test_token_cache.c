/*
 * test_token_cache.c - the verified-access-token cache
 * (src/domain/token_cache.c) and the time rules it shares with
 * tokens_verify_access (tokens_check_time in src/domain/tokens.c).
 *
 * Most tests feed the cache made-up claims and an injected `now`; one
 * issues real tokens with a keyring on a temporary SQLite database and
 * checks that a hit returns exactly what a full verification returns.
 */
#define _XOPEN_SOURCE 700   /* nftw */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/config.h"
#include "common/error.h"
#include "crypto/digest.h"
#include "domain/keyring.h"
#include "domain/token_cache.h"
#include "domain/tokens.h"
#include "store/store.h"

#define T0 1800000000   /* an arbitrary "now" */
#define KID "k_current"

static struct config g_cfg;

/* The cache's lookup: knows KID and "k_other" unless told otherwise. */
static struct jws_key g_key = { .kid = (char *)(uintptr_t)KID };
static atomic_bool g_key_gone;

static const struct jws_key *
fake_lookup(const char *kid, void *arg)
{
	(void)arg;
	if (atomic_load(&g_key_gone) && strcmp(kid, KID) == 0)
		return NULL;
	return strcmp(kid, KID) == 0 || strcmp(kid, "k_other") == 0 ? &g_key : NULL;
}

static int
setup(void **state)
{
	(void)state;
	memset(&g_cfg, 0, sizeof(g_cfg));
	g_cfg.issuer = (char *)(uintptr_t)"https://issuer.example.test/oidc";
	g_cfg.clock_leeway = 30;
	g_cfg.key_cache_seconds = 3600;
	atomic_store(&g_key_gone, false);
	token_cache_flush();
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	token_cache_flush();
	return 0;
}

/* Claims with every string set from `tag` (sid only for user tokens). */
static void
mk_claims(struct token_claims *c, const char *tag, enum token_kind kind, int64_t exp)
{
	char buf[128];

	memset(c, 0, sizeof(*c));
	c->kind = kind;
	snprintf(buf, sizeof(buf), "sub-%s", tag);
	c->sub = strdup(buf);
	snprintf(buf, sizeof(buf), "https://api.example.test/%s", tag);
	c->aud = strdup(buf);
	snprintf(buf, sizeof(buf), "client-%s", tag);
	c->client_id = strdup(buf);
	snprintf(buf, sizeof(buf), "app-%s", tag);
	c->app_id = strdup(buf);
	snprintf(buf, sizeof(buf), "jti-%s", tag);
	c->jti = strdup(buf);
	if (kind == TOKEN_USER) {
		snprintf(buf, sizeof(buf), "sid-%s", tag);
		c->sid = strdup(buf);
		c->factors = FACTOR_PWD | FACTOR_MOBILE_BIOMETRICS;
	}
	c->iat = T0 - 10;
	c->exp = exp;
	assert_non_null(c->sub);
	assert_non_null(c->jti);
}

static void
assert_same_string(const char *a, const char *b)
{
	if (a == NULL || b == NULL) {
		assert_null(a);
		assert_null(b);
		return;
	}
	assert_string_equal(a, b);
	assert_ptr_not_equal(a, b);     /* a copy, never the cache's memory */
}

static void
assert_same_claims(const struct token_claims *a, const struct token_claims *b)
{
	assert_int_equal(a->kind, b->kind);
	assert_same_string(a->sub, b->sub);
	assert_same_string(a->aud, b->aud);
	assert_same_string(a->client_id, b->client_id);
	assert_same_string(a->app_id, b->app_id);
	assert_same_string(a->sid, b->sid);
	assert_same_string(a->jti, b->jti);
	assert_int_equal(a->iat, b->iat);
	assert_int_equal(a->exp, b->exp);
	assert_int_equal(a->nbf, b->nbf);
	assert_int_equal(a->factors, b->factors);
}

static int
get(const char *jwt, int64_t now, struct token_claims *out)
{
	return token_cache_get(&g_cfg, jwt, strlen(jwt), now, fake_lookup, NULL, out);
}

static void
put(const char *jwt, int64_t now, const struct token_claims *c)
{
	token_cache_put(&g_cfg, jwt, strlen(jwt), now, KID, c);
}

/* --- tokens_check_time ------------------------------------------------- */

static void
test_check_time_boundaries(void **state)
{
	struct token_claims c;

	(void)state;
	memset(&c, 0, sizeof(c));
	c.iat = T0;
	c.exp = T0 + 100;
	assert_int_equal(tokens_check_time(&g_cfg, &c, T0), BA_OK);
	/* exp must be > now - leeway */
	assert_int_equal(tokens_check_time(&g_cfg, &c, T0 + 129), BA_OK);
	assert_int_equal(tokens_check_time(&g_cfg, &c, T0 + 130), BA_ERR_INVALID_TOKEN);
	/* iat and nbf at most now + leeway */
	assert_int_equal(tokens_check_time(&g_cfg, &c, T0 - 30), BA_OK);
	assert_int_equal(tokens_check_time(&g_cfg, &c, T0 - 31), BA_ERR_INVALID_TOKEN);
	c.nbf = T0 + 50;
	assert_int_equal(tokens_check_time(&g_cfg, &c, T0 + 20), BA_OK);
	assert_int_equal(tokens_check_time(&g_cfg, &c, T0 + 19), BA_ERR_INVALID_TOKEN);
	/* extreme claims do not overflow */
	c.nbf = 0;
	c.exp = INT64_MIN;
	assert_int_equal(tokens_check_time(&g_cfg, &c, T0), BA_ERR_INVALID_TOKEN);
	c.exp = INT64_MAX;
	c.iat = INT64_MAX;
	assert_int_equal(tokens_check_time(&g_cfg, &c, T0), BA_ERR_INVALID_TOKEN);
	c.iat = INT64_MIN;
	assert_int_equal(tokens_check_time(&g_cfg, &c, T0), BA_OK);
}

/* --- hits and misses --------------------------------------------------- */

static void
test_hit_returns_same_claims(void **state)
{
	struct token_claims client, user, out;

	(void)state;
	mk_claims(&client, "client", TOKEN_CLIENT, T0 + 3600);
	client.nbf = T0 - 5;
	mk_claims(&user, "user", TOKEN_USER, T0 + 3600);
	assert_int_equal(get("a.b.c", T0, &out), BA_ERR_NOT_FOUND);
	assert_null(out.sub);
	put("a.b.c", T0, &client);
	put("a.b.d", T0, &user);
	assert_int_equal(token_cache_count(), 2);

	assert_int_equal(get("a.b.c", T0 + 1, &out), BA_OK);
	assert_same_claims(&out, &client);
	assert_null(out.sid);
	token_claims_clear(&out);
	assert_int_equal(get("a.b.d", T0 + 1, &out), BA_OK);
	assert_same_claims(&out, &user);
	token_claims_clear(&out);

	/* put again (re-verified): still one entry, the new claims */
	token_claims_clear(&client);
	mk_claims(&client, "client2", TOKEN_CLIENT, T0 + 7200);
	put("a.b.c", T0 + 2, &client);
	assert_int_equal(token_cache_count(), 2);
	assert_int_equal(get("a.b.c", T0 + 3, &out), BA_OK);
	assert_same_claims(&out, &client);
	token_claims_clear(&out);
	token_claims_clear(&client);
	token_claims_clear(&user);
}

static void
test_only_exact_bytes_hit(void **state)
{
	static const char *near[] = { "hdr.payload.sig", "hdr.payload.sih", "hdr.payload.si",
	                              "hdr.payload.sig ", "Hdr.payload.sig", "hdr.payloaD.sig" };
	struct token_claims c, out;

	(void)state;
	mk_claims(&c, "x", TOKEN_CLIENT, T0 + 3600);
	put(near[0], T0, &c);
	assert_int_equal(get(near[0], T0, &out), BA_OK);
	token_claims_clear(&out);
	for (size_t i = 1; i < sizeof(near) / sizeof(near[0]); i++) {
		assert_int_equal(get(near[i], T0, &out), BA_ERR_NOT_FOUND);
		assert_null(out.sub);
	}
	/* the length is part of the key: a prefix of the cached token misses */
	assert_int_equal(token_cache_get(&g_cfg, near[0], 5, T0, fake_lookup, NULL, &out),
	                 BA_ERR_NOT_FOUND);
	token_claims_clear(&c);
}

/* A cached token past its exp is refused by the same rule (and leeway) a
 * full verification applies, however recently it was verified. */
static void
test_expired_entry_refused(void **state)
{
	struct token_claims c, out;

	(void)state;
	mk_claims(&c, "exp", TOKEN_CLIENT, T0 + 10);
	put("tok.exp.sig", T0, &c);
	assert_int_equal(get("tok.exp.sig", T0 + 39, &out), BA_OK);
	token_claims_clear(&out);
	assert_int_equal(get("tok.exp.sig", T0 + 40, &out), BA_ERR_INVALID_TOKEN);
	assert_null(out.sub);
	g_cfg.clock_leeway = 0;
	assert_int_equal(get("tok.exp.sig", T0 + 9, &out), BA_OK);
	token_claims_clear(&out);
	assert_int_equal(get("tok.exp.sig", T0 + 10, &out), BA_ERR_INVALID_TOKEN);

	/* nbf (and iat) in the future are refused too */
	token_claims_clear(&c);
	mk_claims(&c, "nbf", TOKEN_USER, T0 + 3600);
	c.nbf = T0 + 100;
	put("tok.nbf.sig", T0, &c);
	assert_int_equal(get("tok.nbf.sig", T0, &out), BA_ERR_INVALID_TOKEN);
	assert_int_equal(get("tok.nbf.sig", T0 + 100, &out), BA_OK);
	token_claims_clear(&out);
	token_claims_clear(&c);
}

/* An entry is used only while 0 <= now - verified < key_cache_seconds. */
static void
test_staleness_bound(void **state)
{
	struct token_claims c, out;

	(void)state;
	g_cfg.key_cache_seconds = 5;
	mk_claims(&c, "stale", TOKEN_CLIENT, T0 + 3600);
	put("tok.stale.sig", T0, &c);
	assert_int_equal(get("tok.stale.sig", T0, &out), BA_OK);
	token_claims_clear(&out);
	assert_int_equal(get("tok.stale.sig", T0 + 4, &out), BA_OK);
	token_claims_clear(&out);
	assert_int_equal(get("tok.stale.sig", T0 + 5, &out), BA_ERR_NOT_FOUND);
	assert_null(out.sub);
	assert_int_equal(get("tok.stale.sig", T0 + 500, &out), BA_ERR_NOT_FOUND);
	/* a clock stepped back does not stretch the bound */
	assert_int_equal(get("tok.stale.sig", T0 - 1, &out), BA_ERR_NOT_FOUND);
	/* re-verified at T0+5: usable until T0+9 */
	put("tok.stale.sig", T0 + 5, &c);
	assert_int_equal(get("tok.stale.sig", T0 + 9, &out), BA_OK);
	token_claims_clear(&out);
	assert_int_equal(get("tok.stale.sig", T0 + 10, &out), BA_ERR_NOT_FOUND);
	/* a shorter bound applies to entries already cached */
	g_cfg.key_cache_seconds = 1;
	assert_int_equal(get("tok.stale.sig", T0 + 6, &out), BA_ERR_NOT_FOUND);
	token_claims_clear(&c);
}

static void
test_off_with_zero_seconds(void **state)
{
	struct token_claims c, out;

	(void)state;
	mk_claims(&c, "off", TOKEN_CLIENT, T0 + 3600);
	put("tok.on.sig", T0, &c);
	g_cfg.key_cache_seconds = 0;
	put("tok.off.sig", T0, &c);
	assert_int_equal(token_cache_count(), 1);
	assert_int_equal(get("tok.off.sig", T0, &out), BA_ERR_NOT_FOUND);
	/* an entry made while the cache was on is not used either */
	assert_int_equal(get("tok.on.sig", T0, &out), BA_ERR_NOT_FOUND);
	token_claims_clear(&c);
}

/* An entry whose key left the keyset is a miss (verify again: it fails). */
static void
test_key_gone_is_a_miss(void **state)
{
	struct token_claims c, out;

	(void)state;
	mk_claims(&c, "kid", TOKEN_CLIENT, T0 + 3600);
	put("tok.kid.sig", T0, &c);
	token_cache_put(&g_cfg, "tok.other.sig", 13, T0, "k_other", &c);
	token_cache_put(&g_cfg, "tok.unknown.sig", 15, T0, "k_unknown", &c);
	assert_int_equal(get("tok.kid.sig", T0, &out), BA_OK);
	token_claims_clear(&out);
	assert_int_equal(get("tok.unknown.sig", T0, &out), BA_ERR_NOT_FOUND);
	atomic_store(&g_key_gone, true);
	assert_int_equal(get("tok.kid.sig", T0, &out), BA_ERR_NOT_FOUND);
	assert_null(out.sub);
	assert_int_equal(get("tok.other.sig", T0, &out), BA_OK);
	token_claims_clear(&out);
	token_claims_clear(&c);
}

/* Claims larger than an entry holds are not cached (verified every time). */
static void
test_oversized_claims_not_cached(void **state)
{
	struct token_claims c, out;
	char *big = malloc(3000);

	(void)state;
	assert_non_null(big);
	memset(big, 'a', 2999);
	big[2999] = '\0';
	mk_claims(&c, "big", TOKEN_CLIENT, T0 + 3600);
	free(c.aud);
	c.aud = big;
	put("tok.big.sig", T0, &c);
	assert_int_equal(token_cache_count(), 0);
	assert_int_equal(get("tok.big.sig", T0, &out), BA_ERR_NOT_FOUND);
	/* and claims missing a required string are refused as well */
	free(c.aud);
	c.aud = NULL;
	put("tok.noaud.sig", T0, &c);
	assert_int_equal(token_cache_count(), 0);
	token_claims_clear(&c);
}

/* --- size and eviction ------------------------------------------------- */

static size_t
set_of(const char *jwt)
{
	uint8_t d[32];
	uint64_t v;

	sha256(jwt, strlen(jwt), d);
	memcpy(&v, d, sizeof(v));
	return (size_t)(v % (TOKEN_CACHE_ENTRIES / TOKEN_CACHE_WAYS));
}

/* Fills names[0..n) with distinct tokens of one set. */
static void
same_set_tokens(char names[][32], size_t n)
{
	size_t set = SIZE_MAX, found = 0;

	for (unsigned i = 0; found < n; i++) {
		char t[32];

		snprintf(t, sizeof(t), "tok.same.%u", i);
		if (set == SIZE_MAX)
			set = set_of(t);
		if (set_of(t) == set)
			memcpy(names[found++], t, sizeof(t));
	}
}

static void
test_bounded_size(void **state)
{
	struct token_claims c, out;
	char t[64];
	size_t hits = 0;

	(void)state;
	mk_claims(&c, "many", TOKEN_CLIENT, T0 + 3600);
	for (unsigned i = 0; i < 3 * TOKEN_CACHE_ENTRIES; i++) {
		snprintf(t, sizeof(t), "tok.many.%u", i);
		put(t, T0, &c);
		if (i % 1024 == 0)
			assert_true(token_cache_count() <= TOKEN_CACHE_ENTRIES);
	}
	assert_true(token_cache_count() <= TOKEN_CACHE_ENTRIES);
	/* nearly full (random sets), never more */
	assert_true(token_cache_count() > TOKEN_CACHE_ENTRIES * 9 / 10);
	/* the newest token of each set is always there */
	assert_int_equal(get(t, T0, &out), BA_OK);
	token_claims_clear(&out);
	for (unsigned i = 0; i < 3 * TOKEN_CACHE_ENTRIES; i++) {
		snprintf(t, sizeof(t), "tok.many.%u", i);
		if (get(t, T0, &out) == BA_OK) {
			hits++;
			token_claims_clear(&out);
		}
	}
	assert_int_equal(hits, token_cache_count());
	token_cache_flush();
	assert_int_equal(token_cache_count(), 0);
	token_claims_clear(&c);
}

/*
 * In a full set the victim is an unusable entry (expired or stale) before
 * any usable one, and otherwise the least recently used (a hit counts).
 */
static void
test_eviction_policy(void **state)
{
	char tok[TOKEN_CACHE_WAYS + 3][32];
	struct token_claims live, dead, out;

	(void)state;
	assert_true(TOKEN_CACHE_WAYS == 4);
	g_cfg.clock_leeway = 0;
	same_set_tokens(tok, TOKEN_CACHE_WAYS + 3);
	mk_claims(&live, "live", TOKEN_CLIENT, T0 + 3600);
	mk_claims(&dead, "dead", TOKEN_CLIENT, T0 + 4);
	put(tok[0], T0, &live);
	put(tok[1], T0, &live);
	put(tok[2], T0, &live);
	put(tok[3], T0, &live);
	/* tok[0] in use: tok[1] is now the least recently used */
	assert_int_equal(get(tok[0], T0, &out), BA_OK);
	token_claims_clear(&out);
	put(tok[4], T0, &live);
	assert_int_equal(get(tok[1], T0, &out), BA_ERR_NOT_FOUND);
	assert_int_equal(get(tok[0], T0, &out), BA_OK);
	token_claims_clear(&out);

	/* set now holds 0, 2, 3, 4 (2 least recently used); make 3 expire */
	put(tok[3], T0 + 1, &dead);
	assert_int_equal(get(tok[2], T0 + 1, &out), BA_OK);   /* 4 is now the LRU */
	token_claims_clear(&out);
	put(tok[5], T0 + 5, &live);     /* the expired tok[3] goes, not the LRU */
	assert_int_equal(get(tok[3], T0 + 1, &out), BA_ERR_NOT_FOUND);
	for (int i = 0; i < 6; i++) {
		if (i == 1 || i == 3)
			continue;
		assert_int_equal(get(tok[i], T0 + 5, &out), BA_OK);
		token_claims_clear(&out);
	}
	/* a stale entry (older than key_cache_seconds) goes before the LRU */
	g_cfg.key_cache_seconds = 10;
	put(tok[2], T0 + 7, &live);
	put(tok[4], T0 + 7, &live);
	put(tok[5], T0 + 7, &live);
	assert_int_equal(get(tok[0], T0 + 7, &out), BA_OK);   /* verified at T0: fresh */
	token_claims_clear(&out);
	put(tok[6], T0 + 10, &live);    /* tok[0] (T0) is stale at T0+10 */
	g_cfg.key_cache_seconds = 3600;
	assert_int_equal(get(tok[0], T0 + 7, &out), BA_ERR_NOT_FOUND);
	for (int i = 2; i < 7; i++) {
		if (i == 3)
			continue;
		assert_int_equal(get(tok[i], T0 + 10, &out), BA_OK);
		token_claims_clear(&out);
	}
	token_claims_clear(&live);
	token_claims_clear(&dead);
}

/* Many tokens, some sharing sets: each hit returns its own claims. */
static void
test_distinct_tokens_never_collide(void **state)
{
	enum { N = 3000 };
	char same[TOKEN_CACHE_WAYS][32];
	struct token_claims c, out;
	char t[64], tag[32];
	size_t hits = 0;

	(void)state;
	for (unsigned i = 0; i < N; i++) {
		snprintf(t, sizeof(t), "tok.distinct.%u", i);
		snprintf(tag, sizeof(tag), "%u", i);
		mk_claims(&c, tag, i % 2 ? TOKEN_USER : TOKEN_CLIENT, T0 + 3600);
		put(t, T0, &c);
		token_claims_clear(&c);
	}
	for (unsigned i = 0; i < N; i++) {
		snprintf(t, sizeof(t), "tok.distinct.%u", i);
		snprintf(tag, sizeof(tag), "jti-%u", i);
		if (get(t, T0, &out) != BA_OK)
			continue;
		hits++;
		assert_string_equal(out.jti, tag);
		assert_int_equal(out.kind, i % 2 ? TOKEN_USER : TOKEN_CLIENT);
		token_claims_clear(&out);
	}
	assert_true(hits > N * 9 / 10);

	/* a full set of tokens in one set: all present, each its own */
	token_cache_flush();
	same_set_tokens(same, TOKEN_CACHE_WAYS);
	for (int i = 0; i < TOKEN_CACHE_WAYS; i++) {
		snprintf(tag, sizeof(tag), "same%d", i);
		mk_claims(&c, tag, TOKEN_CLIENT, T0 + 3600);
		put(same[i], T0, &c);
		token_claims_clear(&c);
	}
	for (int i = 0; i < TOKEN_CACHE_WAYS; i++) {
		snprintf(tag, sizeof(tag), "jti-same%d", i);
		assert_int_equal(get(same[i], T0, &out), BA_OK);
		assert_string_equal(out.jti, tag);
		token_claims_clear(&out);
	}
}

/* --- threads ----------------------------------------------------------- */

#define THREADS 6
#define HOT 64
#define ROUNDS 20000

static atomic_int g_wrong;
static atomic_long g_hits;

struct worker_arg {
	unsigned id;
};

static void *
worker(void *p)
{
	struct worker_arg *a = p;
	unsigned seed = a->id * 7919u + 1;
	char t[64], tag[32];

	for (unsigned i = 0; i < ROUNDS; i++) {
		struct token_claims c, out;
		unsigned k;
		int r;

		seed = seed * 1103515245u + 12345u;
		k = (seed >> 8) % (HOT * 4);     /* a quarter of the tokens are hot */
		if (k >= HOT)
			k = HOT + (seed >> 4) % 100000;
		snprintf(t, sizeof(t), "tok.thread.%u", k);
		snprintf(tag, sizeof(tag), "t%u", k);
		r = token_cache_get(&g_cfg, t, strlen(t), T0, fake_lookup, NULL, &out);
		if (r == BA_OK) {
			char want[48];

			snprintf(want, sizeof(want), "jti-t%u", k);
			if (out.jti == NULL || strcmp(out.jti, want) != 0 ||
			    out.kind != (k % 2 ? TOKEN_USER : TOKEN_CLIENT))
				atomic_fetch_add(&g_wrong, 1);
			atomic_fetch_add(&g_hits, 1);
			token_claims_clear(&out);
		} else if (r == BA_ERR_NOT_FOUND) {
			memset(&c, 0, sizeof(c));
			mk_claims(&c, tag, k % 2 ? TOKEN_USER : TOKEN_CLIENT, T0 + 3600);
			token_cache_put(&g_cfg, t, strlen(t), T0, KID, &c);
			token_claims_clear(&c);
		} else {
			atomic_fetch_add(&g_wrong, 1);
		}
		if (a->id == 0 && i % 5000 == 4999)
			token_cache_flush();    /* flushing under load is safe too */
	}
	return NULL;
}

static void
test_concurrent_use(void **state)
{
	pthread_t th[THREADS];
	struct worker_arg args[THREADS];

	(void)state;
	atomic_store(&g_wrong, 0);
	atomic_store(&g_hits, 0);
	for (unsigned i = 0; i < THREADS; i++) {
		args[i].id = i;
		assert_int_equal(pthread_create(&th[i], NULL, worker, &args[i]), 0);
	}
	for (unsigned i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(atomic_load(&g_wrong), 0);
	/* the hot tokens were found most of the time */
	assert_true(atomic_load(&g_hits) > THREADS * ROUNDS / 8);
	assert_true(token_cache_count() <= TOKEN_CACHE_ENTRIES);
}

/* --- real tokens ------------------------------------------------------- */

static char g_dir[64];

static int
rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Issues a client and a user token with a real keyring; the cache returns
 * what tokens_verify_access returns, and the kid that verified is known. */
static void
test_real_tokens_round_trip(void **state)
{
	struct store_options opt = { .durable = false, .pool_size = 2,
	                             .busy_timeout_ms = 5000, .max_batch = 16 };
	char url[128], *client = NULL, *access = NULL, *id_token = NULL;
	struct store *s = NULL;
	struct keyring *kr = NULL;
	struct keyset *ks;
	struct model_app app = { 0 };
	struct model_session sess = { 0 };
	struct token_subject subj = { 0 };
	struct token_claims v, out;
	const struct jws_key *key = NULL;
	int64_t exp_in = 0, now = (int64_t)time(NULL);

	(void)state;
	g_cfg.signing_alg = (char *)(uintptr_t)"ES256";
	g_cfg.tenant_id = (char *)(uintptr_t)"default";
	g_cfg.access_token_ttl = g_cfg.client_token_ttl = g_cfg.id_token_ttl = 600;
	g_cfg.key_cache_seconds = 5;
	snprintf(g_dir, sizeof(g_dir), "/tmp/bioauth-tc-XXXXXX");
	assert_non_null(mkdtemp(g_dir));
	snprintf(url, sizeof(url), "%s/t.db", g_dir);
	g_cfg.db = url;    /* the secrets file is made beside it */
	assert_int_equal(store_open(url, &opt, &s), BA_OK);
	assert_int_equal(keyring_open(s, &g_cfg, &kr), BA_OK);
	ks = keyring_acquire(kr);

	app.app_id = (char *)(uintptr_t)"app_1";
	app.name = (char *)(uintptr_t)"App";
	app.client_id = (char *)(uintptr_t)"client_1";
	app.resources[0] = (char *)(uintptr_t)"https://api.example.test";
	app.n_resources = 1;
	sess.session_id = (char *)(uintptr_t)"ses_1";
	sess.app_id = app.app_id;
	sess.user_id = (char *)(uintptr_t)"user_1";
	sess.factors = FACTOR_MOBILE_BIOMETRICS;
	subj.app = &app;
	subj.session = &sess;
	subj.audience = app.resources[0];
	subj.now = now;
	assert_int_equal(tokens_issue_client(&g_cfg, ks, &app, app.resources[0], now, &client,
	                                     &exp_in), BA_OK);
	assert_int_equal(tokens_issue_user(&g_cfg, ks, &subj, &access, &id_token, &exp_in), BA_OK);

	for (int i = 0; i < 2; i++) {
		const char *jwt = i == 0 ? client : access;

		assert_int_equal(token_cache_get(&g_cfg, jwt, strlen(jwt), now, keyset_lookup, ks, &out),
		                 BA_ERR_NOT_FOUND);
		assert_int_equal(tokens_verify_access_key(&g_cfg, ks, jwt, strlen(jwt), now, &v, &key),
		                 BA_OK);
		assert_non_null(key);
		assert_ptr_equal(keyset_lookup(key->kid, ks), key);
		assert_ptr_equal(key, keyset_signer(ks));
		token_cache_put(&g_cfg, jwt, strlen(jwt), now, key->kid, &v);
		assert_int_equal(token_cache_get(&g_cfg, jwt, strlen(jwt), now + 1, keyset_lookup, ks,
		                                 &out), BA_OK);
		assert_same_claims(&out, &v);
		assert_int_equal(out.kind, i == 0 ? TOKEN_CLIENT : TOKEN_USER);
		token_claims_clear(&out);
		token_claims_clear(&v);
	}
	/* an ID token never verifies as an access token, so it is never cached */
	assert_int_equal(tokens_verify_access_key(&g_cfg, ks, id_token, strlen(id_token), now, &v,
	                                          &key), BA_ERR_INVALID_TOKEN);
	assert_null(key);

	free(client);
	free(access);
	free(id_token);
	keyset_release(ks);
	keyring_free(kr);
	store_close(s);
	nftw(g_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_check_time_boundaries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hit_returns_same_claims, setup, teardown),
		cmocka_unit_test_setup_teardown(test_only_exact_bytes_hit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expired_entry_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_staleness_bound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_off_with_zero_seconds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_gone_is_a_miss, setup, teardown),
		cmocka_unit_test_setup_teardown(test_oversized_claims_not_cached, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bounded_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_eviction_policy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_distinct_tokens_never_collide, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_use, setup, teardown),
		cmocka_unit_test_setup_teardown(test_real_tokens_round_trip, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
