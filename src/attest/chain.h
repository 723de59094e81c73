/*
 * chain.h - certificate helpers shared by the Android and Apple verifiers
 * (internal to src/attest).
 */
#ifndef BIOAUTH_ATTEST_CHAIN_H
#define BIOAUTH_ATTEST_CHAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/x509.h>

#include "attest/attest.h"

/* Empties OpenSSL's error queue; true when it held an allocation failure
 * (bioauth's own failure, to report as ATTEST_INTERNAL, not a verdict). */
bool attest_ossl_oom(void);
/* Decodes n DER certificates (each consumed whole) into x[] (set to NULL
 * first; free with attest_certs_free). ATTEST_OK, ATTEST_MALFORMED or
 * ATTEST_INTERNAL. */
enum attest_reason attest_certs_decode(const uint8_t *const *der, const size_t *lens,
                                       size_t n, X509 **x);
void attest_certs_free(X509 **x, size_t n);
/* x's public key as a new reference in *out: ATTEST_OK, `undecodable`
 * when the key cannot be decoded, or ATTEST_INTERNAL. */
enum attest_reason attest_cert_key(X509 *x, EVP_PKEY **out, enum attest_reason undecodable);
/* One link: child's issuer name is issuer's subject and child's signature
 * verifies under issuer's key. ATTEST_OK, ATTEST_CHAIN_INVALID or
 * ATTEST_INTERNAL. */
enum attest_reason attest_link_ok(X509 *child, X509 *issuer);
enum attest_validity {
	ATTEST_VALID,
	ATTEST_NOT_YET_VALID,            /* before notBefore (or a bad time) */
	ATTEST_EXPIRED,                  /* after notAfter (or a bad time) */
};
/* Where `at` falls in x's validity period. */
enum attest_validity attest_cert_validity(X509 *x, time_t at);
/* notBefore < at < notAfter. */
bool attest_cert_valid_at(X509 *x, time_t at);
/* The value of the extension whose OID's DER contents are `oid` in x; NULL
 * when absent. *count gets how many times it occurs. Allocates nothing. */
const ASN1_OCTET_STRING *attest_cert_ext(X509 *x, const uint8_t *oid, size_t oid_len,
                                         int *count);
/* Writes a short note into v->facts.detail. */
void attest_detail(struct attest_verdict *v, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
