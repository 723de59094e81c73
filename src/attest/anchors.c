/*
 * anchors.c - pinned trust-anchor keys: loading from PEM and the trust
 * decision for the top of a chain.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "attest/anchors.h"
#include "attest/attest.h"
#include "attest/chain.h"
#include "common/error.h"

#define MAX_ANCHORS 64

struct attest_anchors {
	size_t n;
	uint8_t *spki[MAX_ANCHORS];
	size_t len[MAX_ANCHORS];
};

void attest_anchors_free(struct attest_anchors *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->n; i++)
		free(a->spki[i]);
	free(a);
}

int attest_anchors_from_pem(const char *pem, size_t len, struct attest_anchors **out)
{
	int r = BA_ERR_CONFIG;
	struct attest_anchors *a = NULL;
	BIO *bio = NULL;
	X509 *x = NULL;

	*out = NULL;
	if (len > INT32_MAX)
		goto out;
	a = calloc(1, sizeof(*a));
	bio = BIO_new_mem_buf(pem, (int)len);
	if (a == NULL || bio == NULL) {
		r = BA_ERR_NOMEM;
		goto out;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		unsigned char *der = NULL;
		int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
		X509_free(x);
		x = NULL;
		if (n <= 0 || a->n == MAX_ANCHORS) {
			OPENSSL_free(der);
			goto out;
		}
		a->spki[a->n] = malloc((size_t)n);
		if (a->spki[a->n] == NULL) {
			OPENSSL_free(der);
			r = BA_ERR_NOMEM;
			goto out;
		}
		memcpy(a->spki[a->n], der, (size_t)n);
		a->len[a->n++] = (size_t)n;
		OPENSSL_free(der);
	}
	ERR_clear_error();
	if (a->n == 0)
		goto out;
	*out = a;
	a = NULL;
	r = BA_OK;
out:
	attest_anchors_free(a);
	BIO_free(bio);
	return r;
}

/* ATTEST_OK when the key `spki` is pinned as `anchor` or `top` verifies
 * under it; ATTEST_UNTRUSTED_ROOT or ATTEST_INTERNAL otherwise. */
static enum attest_reason trusted_by(const uint8_t *spki, size_t spki_len, X509 *top,
                                     const uint8_t *anchor, size_t anchor_len)
{
	if (spki_len == anchor_len && CRYPTO_memcmp(spki, anchor, anchor_len) == 0)
		return ATTEST_OK;
	const unsigned char *p = anchor;
	ERR_clear_error();
	EVP_PKEY *k = d2i_PUBKEY(NULL, &p, (long)anchor_len);
	bool ok = k != NULL && X509_verify(top, k) == 1;
	EVP_PKEY_free(k);
	if (ok)
		return ATTEST_OK;
	return attest_ossl_oom() ? ATTEST_INTERNAL : ATTEST_UNTRUSTED_ROOT;
}

enum attest_reason attest_anchors_trust(const struct attest_anchors *a, bool apple, X509 *top)
{
	unsigned char *spki = NULL;
	int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(top), &spki);
	enum attest_reason r = ATTEST_INTERNAL;       /* re-encoding a decoded key */

	if (n <= 0) {
		ERR_clear_error();
		goto out;
	}
	r = ATTEST_UNTRUSTED_ROOT;
	if (a != NULL) {
		for (size_t i = 0; i < a->n && r == ATTEST_UNTRUSTED_ROOT; i++)
			r = trusted_by(spki, (size_t)n, top, a->spki[i], a->len[i]);
	} else {
		const struct attest_anchor_key *d = apple ? attest_default_apple_anchors
		                                          : attest_default_android_anchors;
		size_t dn = apple ? attest_default_apple_anchors_n
		                  : attest_default_android_anchors_n;
		for (size_t i = 0; i < dn && r == ATTEST_UNTRUSTED_ROOT; i++)
			r = trusted_by(spki, (size_t)n, top, d[i].spki, d[i].len);
	}
out:
	OPENSSL_free(spki);
	return r;
}
