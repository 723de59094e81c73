/*
 * keyring.c - cached, shared snapshots of the signing keys (see keyring.h).
 *
 * A keyset is immutable once built and reference-counted, so request threads
 * sign and verify without holding a lock; a reload builds a new keyset and
 * swaps the pointer under the keyring mutex.
 */
#include "domain/keyring.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "common/log.h"
#include "common/secret.h"
#include "crypto/rand.h"

struct keyset {
	atomic_int refs;
	struct jws_key **keys;     /* verifying keys, newest first */
	size_t n;
	const struct jws_key *signer;
	char *jwks;                /* rendered once per snapshot */
	int64_t loaded_at;
};

/* Reloads for unknown kids happen at most this often (seconds): a flood of
 * forged tokens costs one small read per interval. */
#define FORCED_RELOAD_INTERVAL 0.25

struct keyring {
	struct store *store;
	const struct config *cfg;
	struct seal_keys *secrets;
	pthread_mutex_t mu;
	struct keyset *current;
	bool reloading;
	double forced_at;          /* last reload for an unknown kid (monotonic) */
};

static int64_t
now_seconds(void)
{
	return (int64_t)time(NULL);
}

int64_t
keyring_max_token_ttl(const struct config *cfg)
{
	int64_t m = cfg->access_token_ttl;

	if (cfg->client_token_ttl > m)
		m = cfg->client_token_ttl;
	if (cfg->id_token_ttl > m)
		m = cfg->id_token_ttl;
	return m;
}

static void
keyset_free(struct keyset *ks)
{
	if (ks == NULL)
		return;
	for (size_t i = 0; i < ks->n; i++)
		jws_key_free(ks->keys[i]);
	free(ks->keys);
	free(ks->jwks);
	free(ks);
}

void
keyset_release(struct keyset *ks)
{
	if (ks != NULL && atomic_fetch_sub(&ks->refs, 1) == 1)
		keyset_free(ks);
}

/* Renders {"keys":[...]} from the public JWKs of ks->keys. */
static int
render_jwks(struct keyset *ks)
{
	json_t *doc = json_object(), *arr = json_array();
	int r = BA_ERR_NOMEM;

	if (doc == NULL || arr == NULL)
		goto out;
	for (size_t i = 0; i < ks->n; i++) {
		char *text = NULL;
		json_t *jwk;

		if ((r = jws_key_public_jwk(ks->keys[i], &text)) != BA_OK)
			goto out;
		jwk = json_loads(text, 0, NULL);
		free(text);
		r = BA_ERR_NOMEM;
		if (jwk == NULL || json_array_append_new(arr, jwk) != 0)
			goto out;
	}
	if (json_object_set(doc, "keys", arr) != 0)
		goto out;
	ks->jwks = json_dumps(doc, JSON_COMPACT);
	r = ks->jwks != NULL ? BA_OK : BA_ERR_NOMEM;
out:
	json_decref(arr);
	json_decref(doc);
	return r;
}

/*
 * The private key of a stored row as PEM (*pem malloc'd, secret_free it):
 * unsealed, or as stored when it is still in clear (a database from before
 * sealing; keyring_open seals it). BA_ERR_CONFIG (logged) when no secret
 * unseals it.
 */
static int
row_pem(const struct seal_keys *sk, const struct model_signing_key *row, char **pem)
{
	int r;

	*pem = NULL;
	if (!seal_is_sealed(row->private_pem)) {
		*pem = strdup(row->private_pem);
		return *pem != NULL ? BA_OK : BA_ERR_NOMEM;
	}
	r = seal_decrypt(sk, row->kid, row->private_pem, pem);
	if (r == BA_ERR_CONFIG)
		log_write(LOG_ERROR, "signing key does not unseal with any secret of the "
		          "secrets file (wrong or missing secret)", "kid", row->kid, NULL);
	return r;
}

/*
 * Builds a keyset from the stored keys: the newest current key signs; keys
 * retired less than the longest token lifetime ago still verify. Sets
 * *have_signer to whether a current key exists. With `strict`, a key that
 * does not unseal fails the load (BA_ERR_CONFIG); otherwise it is left out.
 */
static int
load_keyset(struct keyring *kr, struct keyset **out, bool *have_signer, bool strict)
{
	struct model_signing_key *rows = NULL;
	struct keyset *ks = NULL;
	size_t n = 0;
	int64_t now = now_seconds(), horizon = keyring_max_token_ttl(kr->cfg);
	int r;

	*have_signer = false;
	if ((r = store_signing_key_list(kr->store, &rows, &n)) != BA_OK)
		goto out;
	r = BA_ERR_NOMEM;
	if ((ks = calloc(1, sizeof(*ks))) == NULL ||
	    (ks->keys = calloc(n + 1, sizeof(*ks->keys))) == NULL)
		goto out;
	atomic_init(&ks->refs, 1);
	ks->loaded_at = now;
	for (size_t i = 0; i < n; i++) {
		struct jws_key *k = NULL;
		enum jws_alg alg = jws_alg_parse(rows[i].alg);
		bool current = rows[i].retired_at == 0;
		char *pem = NULL;
		int pr;

		if (!current && rows[i].retired_at + horizon <= now)
			continue;
		if ((pr = row_pem(kr->secrets, &rows[i], &pem)) != BA_OK) {
			if (strict || pr == BA_ERR_NOMEM) {
				r = pr;
				goto out;
			}
			continue;
		}
		pr = alg == 0 ? BA_ERR_CONFIG : jws_key_from_pem(alg, rows[i].kid, pem, &k);
		secret_free(pem);
		if (pr != BA_OK) {
			log_write(LOG_ERROR, "signing key unusable", "kid", rows[i].kid, NULL);
			continue;
		}
		ks->keys[ks->n++] = k;
		/* rows are newest first, so the first current key is the signer */
		if (current && ks->signer == NULL)
			ks->signer = k;
	}
	*have_signer = ks->signer != NULL;
	if ((r = render_jwks(ks)) != BA_OK)
		goto out;
	*out = ks;
	ks = NULL;
	r = BA_OK;
out:
	keyset_free(ks);
	store_free_signing_keys(rows, n);
	return r;
}

int
keyring_prepare_rotate(enum jws_alg alg, int64_t now, const struct seal_keys *sk,
                       struct store_write *w, char **kid_out)
{
	struct jws_key *k = NULL;
	char *kid = NULL, *pem = NULL, *alg_name = NULL, *kid_copy = NULL, *clear = NULL;
	int r;

	*kid_out = NULL;
	if ((r = rand_token("k_", 12, &kid)) != BA_OK)
		goto out;
	if ((r = jws_key_generate(alg, kid, &k)) != BA_OK)
		goto out;
	if ((r = jws_key_private_pem(k, &clear)) != BA_OK)
		goto out;
	if ((r = seal_encrypt(sk, kid, clear, &pem)) != BA_OK)
		goto out;
	r = BA_ERR_NOMEM;
	if ((alg_name = strdup(jws_alg_name(alg))) == NULL || (kid_copy = strdup(kid)) == NULL)
		goto out;
	memset(w, 0, sizeof(*w));
	w->kind = SW_SIGNING_KEY_ROTATE;
	w->in.signing_key.kid = kid;
	w->in.signing_key.alg = alg_name;
	w->in.signing_key.private_pem = pem;
	w->in.signing_key.created_at = now;
	*kid_out = kid_copy;
	kid = alg_name = pem = kid_copy = NULL;
	r = BA_OK;
out:
	jws_key_free(k);
	free(kid);
	free(alg_name);
	free(kid_copy);
	secret_free(clear);
	free(pem);
	return r;
}

/* Stores a first signing key; the caller reloads afterwards. */
static int
create_first_key(struct keyring *kr)
{
	struct store_write w;
	enum jws_alg alg = jws_alg_parse(kr->cfg->signing_alg);
	char *kid = NULL;
	int r;

	if (alg == 0)
		return BA_ERR_CONFIG;
	if ((r = keyring_prepare_rotate(alg, now_seconds(), kr->secrets, &w, &kid)) != BA_OK)
		return r;
	/* Another instance starting at the same moment may win: then its key
	 * is the first one, and ours is not stored. */
	w.kind = SW_SIGNING_KEY_FIRST;
	r = store_write_sync(kr->store, &w);
	if (r == BA_OK)
		log_write(LOG_INFO, "signing key created", "kid", kid, "alg", kr->cfg->signing_alg, NULL);
	else if (r == BA_ERR_CONFLICT)
		r = BA_OK;
	model_signing_key_clear(&w.in.signing_key);
	free(kid);
	return r;
}

/*
 * Seals `row` anew under the first secret and writes it back
 * (SW_SIGNING_KEY_RESEAL) when it is in clear, or when `rewrap` and it is
 * sealed under another secret. *done tells whether it was written. A key
 * purged meanwhile (NOT_FOUND) is no error.
 */
static int
reseal_row(struct store *s, const struct seal_keys *sk, const struct model_signing_key *row,
           bool rewrap, bool *done)
{
	struct store_write w;
	char *pem = NULL, *sealed = NULL;
	int r;

	*done = false;
	if (seal_is_sealed(row->private_pem) &&
	    (!rewrap || seal_is_current(sk, row->private_pem)))
		return BA_OK;
	if ((r = row_pem(sk, row, &pem)) != BA_OK)
		return r;
	r = seal_encrypt(sk, row->kid, pem, &sealed);
	secret_free(pem);
	if (r != BA_OK)
		return r;
	memset(&w, 0, sizeof(w));
	w.kind = SW_SIGNING_KEY_RESEAL;
	w.in.signing_key.kid = row->kid;
	w.in.signing_key.private_pem = sealed;
	r = store_write_sync(s, &w);
	free(sealed);
	if (r == BA_ERR_NOT_FOUND)
		return BA_OK;
	*done = r == BA_OK;
	return r;
}

/* Every stored key through reseal_row; *count counts the writes. */
static int
reseal_all(struct store *s, const struct seal_keys *sk, bool rewrap, size_t *count)
{
	struct model_signing_key *rows = NULL;
	size_t n = 0;
	int r;

	*count = 0;
	if ((r = store_signing_key_list(s, &rows, &n)) != BA_OK)
		return r;
	for (size_t i = 0; r == BA_OK && i < n; i++) {
		bool done = false;

		r = reseal_row(s, sk, &rows[i], rewrap, &done);
		if (done) {
			log_write(LOG_INFO, rewrap ? "signing key rewrapped" :
			          "signing key stored in clear: sealed", "kid", rows[i].kid, NULL);
			(*count)++;
		}
	}
	store_free_signing_keys(rows, n);
	return r;
}

/* Seals the keys a database from before sealing holds in clear. */
static int
seal_clear_keys(struct keyring *kr)
{
	size_t count = 0;

	return reseal_all(kr->store, kr->secrets, false, &count);
}

int
keyring_rewrap(struct store *s, const struct seal_keys *sk, size_t *rewrapped)
{
	return reseal_all(s, sk, true, rewrapped);
}

int
keyring_open(struct store *s, const struct config *cfg, struct keyring **out)
{
	struct keyring *kr;
	struct keyset *ks = NULL;
	bool have_signer = false;
	int r;

	*out = NULL;
	if ((kr = calloc(1, sizeof(*kr))) == NULL)
		return BA_ERR_NOMEM;
	kr->store = s;
	kr->cfg = cfg;
	pthread_mutex_init(&kr->mu, NULL);
	if ((r = keyring_secrets_load(cfg, true, &kr->secrets)) != BA_OK)
		goto out;
	if ((r = seal_clear_keys(kr)) != BA_OK)
		goto out;
	if ((r = load_keyset(kr, &ks, &have_signer, true)) != BA_OK)
		goto out;
	if (!have_signer) {
		keyset_release(ks);
		ks = NULL;
		if ((r = create_first_key(kr)) != BA_OK)
			goto out;
		if ((r = load_keyset(kr, &ks, &have_signer, true)) != BA_OK)
			goto out;
		if (!have_signer) {
			r = BA_ERR_INTERNAL;
			goto out;
		}
	}
	kr->current = ks;
	ks = NULL;
	*out = kr;
	kr = NULL;
	r = BA_OK;
out:
	keyset_release(ks);
	keyring_free(kr);
	return r;
}

void
keyring_free(struct keyring *kr)
{
	if (kr == NULL)
		return;
	keyset_release(kr->current);
	seal_keys_free(kr->secrets);
	pthread_mutex_destroy(&kr->mu);
	free(kr);
}

const struct seal_keys *
keyring_secrets(const struct keyring *kr)
{
	return kr->secrets;
}

void
keyring_invalidate(struct keyring *kr)
{
	pthread_mutex_lock(&kr->mu);
	kr->current->loaded_at = 0;
	pthread_mutex_unlock(&kr->mu);
}

/*
 * Returns the current keyset with a reference taken. When it is stale, one
 * caller reloads it (outside the lock, so others keep using the old
 * snapshot); a failed reload keeps the old snapshot and is retried later.
 */
struct keyset *
keyring_acquire(struct keyring *kr)
{
	struct keyset *ks, *fresh = NULL;
	bool reload = false, have_signer = false;

	pthread_mutex_lock(&kr->mu);
	if (!kr->reloading && now_seconds() - kr->current->loaded_at >= kr->cfg->key_cache_seconds) {
		kr->reloading = true;
		reload = true;
	}
	pthread_mutex_unlock(&kr->mu);

	if (reload && load_keyset(kr, &fresh, &have_signer, false) == BA_OK && !have_signer) {
		keyset_release(fresh);  /* every key retired: keep signing with the old one */
		fresh = NULL;
	}

	pthread_mutex_lock(&kr->mu);
	if (reload) {
		kr->reloading = false;
		if (fresh != NULL) {
			keyset_release(kr->current);
			kr->current = fresh;
		}
	}
	ks = kr->current;
	atomic_fetch_add(&ks->refs, 1);
	pthread_mutex_unlock(&kr->mu);
	return ks;
}

static const struct jws_key *
find_kid(const struct keyset *ks, const char *kid)
{
	for (size_t i = 0; i < ks->n; i++)
		if (strcmp(ks->keys[i]->kid, kid) == 0)
			return ks->keys[i];
	return NULL;
}

/* True when `fresh` has a kid that `old` lacks. */
static bool
has_new_kid(const struct keyset *old, const struct keyset *fresh)
{
	for (size_t i = 0; i < fresh->n; i++)
		if (find_kid(old, fresh->keys[i]->kid) == NULL)
			return true;
	return false;
}

bool
keyring_refresh_for_unknown_kid(struct keyring *kr)
{
	struct keyset *fresh = NULL;
	bool have_signer = false, changed = false;
	struct timespec ts;
	double now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	pthread_mutex_lock(&kr->mu);
	if (kr->reloading || now - kr->forced_at < FORCED_RELOAD_INTERVAL) {
		pthread_mutex_unlock(&kr->mu);
		return false;
	}
	kr->reloading = true;
	kr->forced_at = now;
	pthread_mutex_unlock(&kr->mu);

	if (load_keyset(kr, &fresh, &have_signer, false) != BA_OK || !have_signer) {
		keyset_release(fresh);
		fresh = NULL;
	}
	pthread_mutex_lock(&kr->mu);
	kr->reloading = false;
	if (fresh != NULL) {
		changed = has_new_kid(kr->current, fresh);
		keyset_release(kr->current);
		kr->current = fresh;
	}
	pthread_mutex_unlock(&kr->mu);
	return changed;
}

const struct jws_key *
keyset_signer(const struct keyset *ks)
{
	return ks->signer;
}

const struct jws_key *
keyset_lookup(const char *kid, void *arg)
{
	return find_kid(arg, kid);
}

int
keyset_jwks(const struct keyset *ks, char **json)
{
	*json = strdup(ks->jwks);
	return *json != NULL ? BA_OK : BA_ERR_NOMEM;
}
