/*
 * token_cache.c - verified access tokens, cached by the SHA-256 of their
 * compact bytes (see token_cache.h for what a hit does and does not skip).
 *
 * Layout: TOKEN_CACHE_ENTRIES entries in SETS sets of WAYS entries; the
 * first bytes of the digest pick the set, so a lookup hashes the token and
 * compares at most WAYS digests under one of STRIPES mutexes. An entry keeps
 * the scalar claims inline and the string claims (plus the kid) in one
 * malloc'd block of at most TEXT_MAX bytes, so the whole cache holds at most
 * TOKEN_CACHE_ENTRIES * (sizeof(struct entry) + TEXT_MAX) bytes, a few
 * hundred KiB in practice (a bioauth token's strings are ~200 bytes).
 *
 * Eviction, within the set of the new token: the entry of the same token if
 * present (re-verified: replaced), else an empty way, else an entry that can
 * no longer be used (older than key_cache_seconds, or expired), else the
 * least recently used one (each set counts its lookups; a hit stamps its
 * entry). So a backend's token in steady use stays cached while a flood of
 * other valid tokens churns through the other ways; and as only verified
 * tokens are inserted, each replacing within a fixed table, nothing grows
 * whatever clients send.
 */
#include "domain/token_cache.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "crypto/digest.h"

#define WAYS TOKEN_CACHE_WAYS
#define SETS (TOKEN_CACHE_ENTRIES / WAYS)
#define STRIPES 64
#define TEXT_MAX 2048       /* sub, aud, client_id, app_id, sid, jti, kid + NULs */
#define N_STRINGS 7

struct entry {
	uint8_t digest[32];
	int64_t verified_at;
	int64_t iat, exp, nbf;
	enum token_kind kind;
	unsigned factors;
	char *text;             /* NULL = empty; the strings, NUL-separated */
	size_t text_len;
	uint64_t used;          /* the set's clock at the last hit or insert */
};

static struct entry entries[SETS][WAYS];
static uint64_t clocks[SETS];   /* per set, under its stripe */
static pthread_mutex_t stripes[STRIPES];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void
init_stripes(void)
{
	for (size_t i = 0; i < STRIPES; i++)
		pthread_mutex_init(&stripes[i], NULL);
}

static size_t
set_of(const uint8_t digest[32])
{
	uint64_t v;

	memcpy(&v, digest, sizeof(v));
	return (size_t)(v % SETS);
}

/* Whether an entry verified at `verified_at` may still be used at `now`:
 * 0 <= now - verified_at < key_cache_seconds (no overflow for any values). */
static bool
fresh(const struct config *cfg, int64_t verified_at, int64_t now)
{
	return cfg->key_cache_seconds > 0 && now >= verified_at &&
	       (uint64_t)now - (uint64_t)verified_at < (uint64_t)cfg->key_cache_seconds;
}

/* The scalar claims of `e` as a token_claims (strings NULL), for the time rules. */
static struct token_claims
times_of(const struct entry *e)
{
	struct token_claims t;

	memset(&t, 0, sizeof(t));
	t.iat = e->iat;
	t.exp = e->exp;
	t.nbf = e->nbf;
	return t;
}

static int
dup_string(const char *s, char **out)
{
	if (s[0] == '\0')
		return BA_OK;   /* absent (sid of a client token): stays NULL */
	*out = strdup(s);
	return *out != NULL ? BA_OK : BA_ERR_NOMEM;
}

int
token_cache_get(const struct config *cfg, const char *jwt, size_t len, int64_t now,
                jws_key_lookup_fn lookup, void *arg, struct token_claims *out)
{
	uint8_t digest[32];
	char text[TEXT_MAX];
	const char *str[N_STRINGS];
	struct entry hit;
	struct token_claims t;
	bool found = false;
	size_t set;
	int r;

	memset(out, 0, sizeof(*out));
	if (cfg->key_cache_seconds <= 0 || jwt == NULL || len == 0)
		return BA_ERR_NOT_FOUND;
	pthread_once(&once, init_stripes);
	sha256(jwt, len, digest);
	set = set_of(digest);

	pthread_mutex_lock(&stripes[set % STRIPES]);
	for (size_t w = 0; w < WAYS; w++) {
		struct entry *e = &entries[set][w];

		if (e->text != NULL && digest_equal(e->digest, digest)) {
			e->used = ++clocks[set];
			hit = *e;
			memcpy(text, e->text, e->text_len);
			found = true;
			break;
		}
	}
	pthread_mutex_unlock(&stripes[set % STRIPES]);

	if (!found || !fresh(cfg, hit.verified_at, now))
		return BA_ERR_NOT_FOUND;
	/* text holds exactly N_STRINGS NUL-terminated strings (token_cache_put) */
	str[0] = text;
	for (size_t i = 1; i < N_STRINGS; i++)
		str[i] = str[i - 1] + strlen(str[i - 1]) + 1;
	if (lookup(str[6], arg) == NULL)
		return BA_ERR_NOT_FOUND;        /* the key left the keyset */
	t = times_of(&hit);
	if (tokens_check_time(cfg, &t, now) != BA_OK)
		return BA_ERR_INVALID_TOKEN;

	out->kind = hit.kind;
	out->iat = hit.iat;
	out->exp = hit.exp;
	out->nbf = hit.nbf;
	out->factors = hit.factors;
	if ((r = dup_string(str[0], &out->sub)) != BA_OK ||
	    (r = dup_string(str[1], &out->aud)) != BA_OK ||
	    (r = dup_string(str[2], &out->client_id)) != BA_OK ||
	    (r = dup_string(str[3], &out->app_id)) != BA_OK ||
	    (r = dup_string(str[4], &out->sid)) != BA_OK ||
	    (r = dup_string(str[5], &out->jti)) != BA_OK) {
		token_claims_clear(out);
		return r;
	}
	return BA_OK;
}

/*
 * Packs the strings of `c` and `kid` into one malloc'd block; NULL when one
 * is missing (a verified token always has them but sid), or the block would
 * exceed TEXT_MAX, or on allocation failure.
 */
static char *
pack_text(const struct token_claims *c, const char *kid, size_t *len)
{
	const char *str[N_STRINGS] = { c->sub, c->aud, c->client_id, c->app_id,
	                               c->sid != NULL ? c->sid : "", c->jti, kid };
	size_t n[N_STRINGS], total = 0;
	char *text, *p;

	for (size_t i = 0; i < N_STRINGS; i++) {
		if (str[i] == NULL || (i != 4 && str[i][0] == '\0'))
			return NULL;
		n[i] = strnlen(str[i], TEXT_MAX) + 1;
		total += n[i];          /* at most N_STRINGS * (TEXT_MAX + 1) */
		if (total > TEXT_MAX)
			return NULL;
	}
	if ((text = malloc(total)) == NULL)
		return NULL;
	p = text;
	for (size_t i = 0; i < N_STRINGS; i++) {
		memcpy(p, str[i], n[i]);
		p += n[i];
	}
	*len = total;
	return text;
}

/* The way of `set` the new entry for `digest` goes to (policy above). */
static size_t
pick_way(const struct config *cfg, const struct entry *set, const uint8_t digest[32], int64_t now)
{
	size_t victim = 0;
	bool victim_usable = true;

	for (size_t w = 0; w < WAYS; w++)
		if (set[w].text != NULL && digest_equal(set[w].digest, digest))
			return w;
	for (size_t w = 0; w < WAYS; w++) {
		struct token_claims t;
		bool usable;

		if (set[w].text == NULL)
			return w;
		t = times_of(&set[w]);
		usable = fresh(cfg, set[w].verified_at, now) && tokens_check_time(cfg, &t, now) == BA_OK;
		if (w == 0 || (victim_usable && !usable) ||
		    (victim_usable == usable && set[w].used < set[victim].used)) {
			victim = w;
			victim_usable = usable;
		}
	}
	return victim;
}

void
token_cache_put(const struct config *cfg, const char *jwt, size_t len, int64_t now,
                const char *kid, const struct token_claims *c)
{
	uint8_t digest[32];
	char *text, *evicted;
	size_t text_len = 0, set;
	struct entry *e;

	if (cfg->key_cache_seconds <= 0 || jwt == NULL || len == 0 || kid == NULL)
		return;
	if ((text = pack_text(c, kid, &text_len)) == NULL)
		return;
	pthread_once(&once, init_stripes);
	sha256(jwt, len, digest);
	set = set_of(digest);

	pthread_mutex_lock(&stripes[set % STRIPES]);
	e = &entries[set][pick_way(cfg, entries[set], digest, now)];
	evicted = e->text;
	memcpy(e->digest, digest, sizeof(digest));
	e->verified_at = now;
	e->iat = c->iat;
	e->exp = c->exp;
	e->nbf = c->nbf;
	e->kind = c->kind;
	e->factors = c->factors;
	e->text = text;
	e->text_len = text_len;
	e->used = ++clocks[set];
	pthread_mutex_unlock(&stripes[set % STRIPES]);
	free(evicted);
}

size_t
token_cache_count(void)
{
	size_t n = 0;

	pthread_once(&once, init_stripes);
	for (size_t s = 0; s < SETS; s++) {
		pthread_mutex_lock(&stripes[s % STRIPES]);
		for (size_t w = 0; w < WAYS; w++)
			n += entries[s][w].text != NULL;
		pthread_mutex_unlock(&stripes[s % STRIPES]);
	}
	return n;
}

void
token_cache_flush(void)
{
	pthread_once(&once, init_stripes);
	for (size_t s = 0; s < SETS; s++) {
		char *evicted[WAYS];

		pthread_mutex_lock(&stripes[s % STRIPES]);
		for (size_t w = 0; w < WAYS; w++) {
			evicted[w] = entries[s][w].text;
			memset(&entries[s][w], 0, sizeof(entries[s][w]));
		}
		clocks[s] = 0;
		pthread_mutex_unlock(&stripes[s % STRIPES]);
		for (size_t w = 0; w < WAYS; w++)
			free(evicted[w]);
	}
}
