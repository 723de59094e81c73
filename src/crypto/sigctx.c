/*
 * sigctx.c - signature contexts prepared once per key, copied per
 * operation; the SHA-256 EVP_MD fetched once per process (see sigctx.h).
 *
 * The EVP_MD is published with a compare-and-swap rather than a run-once:
 * a fetch that fails (out of memory) is simply tried again by the next
 * caller, and sig_cleanup() can drop it at exit and a later use (unit
 * tests) fetches it again. Two threads racing at first use may both fetch;
 * the loser frees its copy.
 */
#ifndef OPENSSL_NO_DEPRECATED
#define OPENSSL_NO_DEPRECATED
#endif
#include "crypto/sigctx.h"

#include <stdatomic.h>
#include <stdlib.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "common/error.h"
#include "crypto/pubkey.h"

/* PSS salt length of the devices' RSA signatures (see sigverify.c). */
#define PSS_SALT_LEN 32

struct sigctx_set {
	atomic_int refs;
	EVP_PKEY *pkey;                  /* the key it was made for (the
	                                  * contexts hold the references) */
	EVP_MD_CTX *ctx[SIGCTX_KINDS];   /* NULL: made per call */
};

static _Atomic(EVP_MD *) sha256_md;

const EVP_MD *
sigctx_sha256(void)
{
	EVP_MD *md = atomic_load_explicit(&sha256_md, memory_order_acquire);
	EVP_MD *none = NULL;

	if (md != NULL)
		return md;
	md = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (md == NULL) {
		ERR_clear_error();
		return NULL;
	}
	if (!atomic_compare_exchange_strong_explicit(&sha256_md, &none, md,
	                                             memory_order_acq_rel,
	                                             memory_order_acquire)) {
		/* Another thread published first: use its EVP_MD. */
		EVP_MD_free(md);
		return none;
	}
	return md;
}

/* Declared in pubkey.h (next to pubkey_cache_flush, for bioauthd's exit). */
void
sig_cleanup(void)
{
	EVP_MD_free(atomic_exchange_explicit(&sha256_md, NULL, memory_order_acq_rel));
}

/*
 * Initialises the fresh context m for `kind` with pkey: digest-sign or
 * digest-verify with SHA-256 (none for Ed25519), RSA padding and PSS
 * parameters. 1 on success, 0 when the key cannot do `kind` or OpenSSL
 * fails (its error queue is left for the caller to clear).
 */
static int
init_ctx(EVP_MD_CTX *m, EVP_PKEY *pkey, enum sigctx_kind kind)
{
	EVP_PKEY_CTX *pctx = NULL;
	const EVP_MD *md = NULL;
	int id = EVP_PKEY_get_base_id(pkey);

	if (id != EVP_PKEY_EC && id != EVP_PKEY_RSA && id != EVP_PKEY_ED25519)
		return 0;
	if (kind == SIGCTX_VERIFY_PSS && id != EVP_PKEY_RSA)
		return 0;
	if (id != EVP_PKEY_ED25519 && (md = sigctx_sha256()) == NULL)
		return 0;
	/* One EVP_DigestSign/Verify per context: finalise in place instead
	 * of on a duplicate that would allow more data afterwards. */
	EVP_MD_CTX_set_flags(m, EVP_MD_CTX_FLAG_FINALISE);
	if (kind == SIGCTX_SIGN) {
		if (EVP_DigestSignInit(m, &pctx, md, NULL, pkey) != 1)
			return 0;
	} else if (EVP_DigestVerifyInit(m, &pctx, md, NULL, pkey) != 1) {
		return 0;
	}
	if (id != EVP_PKEY_RSA)
		return 1;
	if (kind != SIGCTX_VERIFY_PSS)
		return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
	return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
	       EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) == 1 &&
	       EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, PSS_SALT_LEN) == 1;
}

struct sigctx_set *
sigctx_set_new(EVP_PKEY *pkey, unsigned kinds)
{
	struct sigctx_set *s;
	int prepared = 0;

	if (pkey == NULL || (s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	atomic_init(&s->refs, 1);
	s->pkey = pkey;
	for (int kind = 0; kind < SIGCTX_KINDS; kind++) {
		EVP_MD_CTX *m;

		if ((kinds & SIGCTX_BIT(kind)) == 0 || (m = EVP_MD_CTX_new()) == NULL)
			continue;
		if (init_ctx(m, pkey, (enum sigctx_kind)kind)) {
			s->ctx[kind] = m;
			prepared++;
		} else {
			EVP_MD_CTX_free(m);
		}
	}
	ERR_clear_error();
	if (prepared == 0) {
		free(s);
		return NULL;
	}
	return s;
}

struct sigctx_set *
sigctx_set_ref(struct sigctx_set *s)
{
	if (s != NULL)
		atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
	return s;
}

void
sigctx_set_release(struct sigctx_set *s)
{
	if (s == NULL || atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
		return;
	for (int kind = 0; kind < SIGCTX_KINDS; kind++)
		EVP_MD_CTX_free(s->ctx[kind]);
	free(s);
}

int
sigctx_get(const struct sigctx_set *s, EVP_PKEY *pkey, enum sigctx_kind kind,
           EVP_MD_CTX **out)
{
	EVP_MD_CTX *m;
	int r = BA_ERR_NOMEM;

	*out = NULL;
	if (pkey == NULL || (unsigned)kind >= SIGCTX_KINDS)
		return BA_ERR_INTERNAL;
	if ((m = EVP_MD_CTX_new()) == NULL)
		return BA_ERR_NOMEM;
	if (s != NULL && s->pkey == pkey && s->ctx[kind] != NULL) {
		/* Fails only when an allocation does. */
		if (EVP_MD_CTX_copy_ex(m, s->ctx[kind]) != 1)
			goto out;
	} else if (!init_ctx(m, pkey, kind)) {
		r = BA_ERR_INTERNAL;
		goto out;
	}
	*out = m;
	m = NULL;
	r = BA_OK;
out:
	if (r != BA_OK)
		ERR_clear_error();
	EVP_MD_CTX_free(m);
	return r;
}
