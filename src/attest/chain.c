/*
 * chain.c - certificate helpers shared by the verifiers, see chain.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509v3.h>

#include "attest/chain.h"

#define MAX_CERT_DER (16u * 1024u)

bool attest_ossl_oom(void)
{
	unsigned long e;
	bool oom = false;

	while ((e = ERR_get_error()) != 0)
		if (ERR_GET_REASON(e) == ERR_GET_REASON(ERR_R_MALLOC_FAILURE))
			oom = true;
	return oom;
}

enum attest_reason attest_certs_decode(const uint8_t *const *der, const size_t *lens,
                                       size_t n, X509 **x)
{
	for (size_t i = 0; i < n; i++)
		x[i] = NULL;
	ERR_clear_error();
	for (size_t i = 0; i < n; i++) {
		const unsigned char *p = der[i];
		if (lens[i] == 0 || lens[i] > MAX_CERT_DER)
			return ATTEST_MALFORMED;
		x[i] = d2i_X509(NULL, &p, (long)lens[i]);
		if (x[i] == NULL || p != der[i] + lens[i])
			return attest_ossl_oom() ? ATTEST_INTERNAL : ATTEST_MALFORMED;
	}
	return ATTEST_OK;
}

void attest_certs_free(X509 **x, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		X509_free(x[i]);
		x[i] = NULL;
	}
}

enum attest_reason attest_cert_key(X509 *x, EVP_PKEY **out, enum attest_reason undecodable)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	int n;

	*out = X509_get0_pubkey(x);
	if (*out != NULL) {
		EVP_PKEY_up_ref(*out);
		return ATTEST_OK;
	}
	/* d2i_X509 keeps a certificate whose key it could not decode (an
	 * unknown algorithm, or an allocation failure): decode it again. */
	ERR_clear_error();
	n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	if (n <= 0) {
		ERR_clear_error();
		return ATTEST_INTERNAL;
	}
	p = der;
	*out = d2i_PUBKEY(NULL, &p, n);
	OPENSSL_free(der);
	if (*out != NULL)
		return ATTEST_OK;
	return attest_ossl_oom() ? ATTEST_INTERNAL : undecodable;
}

enum attest_reason attest_link_ok(X509 *child, X509 *issuer)
{
	EVP_PKEY *k = NULL;
	enum attest_reason r;

	if (X509_NAME_cmp(X509_get_issuer_name(child), X509_get_subject_name(issuer)) != 0)
		return ATTEST_CHAIN_INVALID;
	if ((r = attest_cert_key(issuer, &k, ATTEST_CHAIN_INVALID)) != ATTEST_OK)
		return r;
	ERR_clear_error();
	r = X509_verify(child, k) == 1 ? ATTEST_OK
	    : attest_ossl_oom() ? ATTEST_INTERNAL : ATTEST_CHAIN_INVALID;
	EVP_PKEY_free(k);
	return r;
}

enum attest_validity attest_cert_validity(X509 *x, time_t at)
{
	time_t t = at;

	/* X509_cmp_time: -1 before `t`, 1 after, 0 on a malformed time. */
	if (X509_cmp_time(X509_get0_notBefore(x), &t) >= 0)
		return ATTEST_NOT_YET_VALID;
	if (X509_cmp_time(X509_get0_notAfter(x), &t) <= 0)
		return ATTEST_EXPIRED;
	return ATTEST_VALID;
}

bool attest_cert_valid_at(X509 *x, time_t at)
{
	return attest_cert_validity(x, at) == ATTEST_VALID;
}

const ASN1_OCTET_STRING *attest_cert_ext(X509 *x, const uint8_t *oid, size_t oid_len,
                                         int *count)
{
	const ASN1_OCTET_STRING *v = NULL;

	*count = 0;
	for (int i = 0; i < X509_get_ext_count(x); i++) {
		const ASN1_OBJECT *o = X509_EXTENSION_get_object(X509_get_ext(x, i));
		if ((size_t)OBJ_length(o) == oid_len && memcmp(OBJ_get0_data(o), oid, oid_len) == 0) {
			if (v == NULL)
				v = X509_EXTENSION_get_data(X509_get_ext(x, i));
			(*count)++;
		}
	}
	return v;
}

void attest_detail(struct attest_verdict *v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v->facts.detail, sizeof(v->facts.detail), fmt, ap);
	va_end(ap);
}
