/*
 * pubkey_cache.c - parsed device keys, cached by the SHA-256 of their DER.
 *
 * Every authentication loads the stored public key. Parsing it again each
 * time (OpenSSL 3 decoders, the point check, the canonical re-encoding) was
 * the largest non-crypto cost of an authentication in the profile of
 * docs/PERFORMANCE.md. The stored DER is the cache key, so a key that was
 * deleted and registered again with other bytes can never hit a stale
 * entry; an EVP_PKEY is immutable and reference-counted, so threads share
 * it safely. Direct-mapped and bounded: a collision simply replaces.
 *
 * Each entry also keeps the key's verification contexts prepared once
 * (sigctx.h: EC, or RSA PKCS#1 v1.5 and PSS), so a verification copies one
 * instead of looking the algorithms up in OpenSSL again; the set is as
 * immutable and reference-counted as the key.
 */
#include <openssl/evp.h>
#include <pthread.h>
#include <string.h>

#include "common/error.h"
#include "crypto/digest.h"
#include "crypto/keytype.h"
#include "crypto/pubkey.h"
#include "crypto/sigctx.h"

#define SLOTS 4096          /* a few MiB at most (a P-256 entry: the key and
                             * ~1 KiB of prepared contexts) */
#define STRIPES 64

struct slot {
	uint8_t digest[32];
	EVP_PKEY *pkey;         /* NULL = empty */
	int key_type;
	struct sigctx_set *ctx; /* may be NULL (then made per call) */
};

static struct slot slots[SLOTS];
static pthread_mutex_t stripes[STRIPES];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void
init_stripes(void)
{
	for (size_t i = 0; i < STRIPES; i++)
		pthread_mutex_init(&stripes[i], NULL);
}

int
pubkey_from_stored(const uint8_t *der, size_t len, struct pubkey *out)
{
	uint8_t digest[32];
	size_t i;
	struct slot *s;
	pthread_mutex_t *mu;
	struct pubkey fresh;
	EVP_PKEY *evicted = NULL;
	struct sigctx_set *evicted_ctx = NULL;
	int r;

	memset(out, 0, sizeof(*out));
	if (der == NULL || len == 0 || len > PUBKEY_MAX_TEXT)
		return BA_ERR_INVALID_KEY_ENCODING;
	pthread_once(&once, init_stripes);
	sha256(der, len, digest);
	memcpy(&i, digest, sizeof(i));
	s = &slots[i % SLOTS];
	mu = &stripes[(i % SLOTS) % STRIPES];

	pthread_mutex_lock(mu);
	if (s->pkey != NULL && memcmp(s->digest, digest, sizeof(digest)) == 0 &&
	    EVP_PKEY_up_ref(s->pkey) == 1) {
		out->pkey = s->pkey;
		out->key_type = s->key_type;
		out->ctx = sigctx_set_ref(s->ctx);
		pthread_mutex_unlock(mu);
		return BA_OK;
	}
	pthread_mutex_unlock(mu);

	if ((r = pubkey_from_der(der, len, &fresh)) != BA_OK)
		return r;
	free(fresh.der);
	fresh.der = NULL;
	fresh.der_len = 0;
	/* Prepared before the key is shared: then only ever copied. */
	fresh.ctx = sigctx_set_new(fresh.pkey, fresh.key_type == KEY_TYPE_RSA ?
	                           SIGCTX_BIT(SIGCTX_VERIFY) | SIGCTX_BIT(SIGCTX_VERIFY_PSS) :
	                           SIGCTX_BIT(SIGCTX_VERIFY));
	pthread_mutex_lock(mu);
	if (EVP_PKEY_up_ref(fresh.pkey) == 1) {
		evicted = s->pkey;
		evicted_ctx = s->ctx;
		s->pkey = fresh.pkey;
		s->key_type = fresh.key_type;
		s->ctx = sigctx_set_ref(fresh.ctx);
		memcpy(s->digest, digest, sizeof(digest));
	}
	pthread_mutex_unlock(mu);
	sigctx_set_release(evicted_ctx);
	EVP_PKEY_free(evicted);
	*out = fresh;
	return BA_OK;
}

void
pubkey_cache_flush(void)
{
	pthread_once(&once, init_stripes);
	for (size_t i = 0; i < SLOTS; i++) {
		pthread_mutex_t *mu = &stripes[i % STRIPES];

		pthread_mutex_lock(mu);
		sigctx_set_release(slots[i].ctx);
		slots[i].ctx = NULL;
		EVP_PKEY_free(slots[i].pkey);
		slots[i].pkey = NULL;
		pthread_mutex_unlock(mu);
	}
}
