/*
 * sdk_testlib.h - helpers shared by the libbioauth-device unit tests
 * (test_sdk_*.c): parse exported public keys and verify signatures with
 * plain OpenSSL, the way a server would, and manage temporary directories.
 * Everything is static inline so that a test file may use any subset.
 */
#ifndef BIOAUTH_TEST_SDK_TESTLIB_H
#define BIOAUTH_TEST_SDK_TESTLIB_H

#include <dirent.h>
#include <fcntl.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bioauth_device.h"

/* An EC P-256 public key from a raw 65-byte point; NULL if not on the curve. */
static inline EVP_PKEY *sdk_test_ec_from_point(const uint8_t *pt, size_t len)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *pk = NULL;
	OSSL_PARAM params[] = {
		OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)(uintptr_t)"P-256", 0),
		OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)(uintptr_t)pt, len),
		OSSL_PARAM_END,
	};

	if (ctx == NULL)
		return NULL;
	if (EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pk = NULL;
	EVP_PKEY_CTX_free(ctx);
	if (pk != NULL) {
		EVP_PKEY_CTX *chk = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);

		if (chk == NULL || EVP_PKEY_public_check(chk) != 1) {
			EVP_PKEY_free(pk);
			pk = NULL;
		}
		EVP_PKEY_CTX_free(chk);
	}
	return pk;
}

/* A public key from DER SubjectPublicKeyInfo; NULL unless all bytes used. */
static inline EVP_PKEY *sdk_test_from_spki(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	EVP_PKEY *pk = d2i_PUBKEY(NULL, &p, (long)len);

	if (pk != NULL && p != der + len) {
		EVP_PKEY_free(pk);
		pk = NULL;
	}
	return pk;
}

/* An RSA public key from DER PKCS#1 RSAPublicKey; NULL unless all bytes used. */
static inline EVP_PKEY *sdk_test_rsa_from_pkcs1(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	EVP_PKEY *pk = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)len);

	if (pk != NULL && p != der + len) {
		EVP_PKEY_free(pk);
		pk = NULL;
	}
	return pk;
}

/* DER ECDSA signature from raw r||s (64 bytes); malloc'd via OpenSSL. */
static inline int sdk_test_raw_to_der(const uint8_t *raw, size_t len, unsigned char **der,
                                      size_t *der_len)
{
	ECDSA_SIG *sig;
	BIGNUM *r, *s;
	int n;

	if (len != 64)
		return 0;
	sig = ECDSA_SIG_new();
	r = BN_bin2bn(raw, 32, NULL);
	s = BN_bin2bn(raw + 32, 32, NULL);
	if (sig == NULL || r == NULL || s == NULL || ECDSA_SIG_set0(sig, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(sig);
		return 0;
	}
	*der = NULL;
	n = i2d_ECDSA_SIG(sig, der);
	ECDSA_SIG_free(sig);
	if (n <= 0)
		return 0;
	*der_len = (size_t)n;
	return 1;
}

/*
 * Verifies sig over SHA-256(msg) with pub. rsa_padding: 0 for EC,
 * RSA_PKCS1_PADDING, or RSA_PKCS1_PSS_PADDING (MGF1-SHA-256, salt 32, the
 * salt length enforced). Returns 1 if valid, 0 otherwise.
 */
static inline int sdk_test_verify(EVP_PKEY *pub, const void *msg, size_t msg_len,
                                  const uint8_t *sig, size_t sig_len, int rsa_padding)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int ok = 0;

	if (m == NULL)
		return 0;
	if (EVP_DigestVerifyInit_ex(m, &pctx, "SHA256", NULL, NULL, pub, NULL) != 1)
		goto out;
	if (rsa_padding == RSA_PKCS1_PADDING &&
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)
		goto out;
	if (rsa_padding == RSA_PKCS1_PSS_PADDING &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) != 1 ||
	     EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, "SHA256", NULL) != 1))
		goto out;
	ok = EVP_DigestVerify(m, sig, sig_len, msg, msg_len) == 1;
out:
	EVP_MD_CTX_free(m);
	return ok;
}

/* Standard base64 decode (padding required) for checking *_b64 output. */
static inline int sdk_test_b64_decode(const char *in, uint8_t **out, size_t *out_len)
{
	size_t len = strlen(in), pad = 0;
	uint8_t *buf;
	int n;

	if (len % 4 != 0)
		return 0;
	if (len > 0 && in[len - 1] == '=')
		pad++;
	if (len > 1 && in[len - 2] == '=')
		pad++;
	buf = malloc(len / 4 * 3 + 1);
	if (buf == NULL)
		return 0;
	n = EVP_DecodeBlock(buf, (const unsigned char *)in, (int)len);
	if (n < 0 || (size_t)n < pad) {
		free(buf);
		return 0;
	}
	*out = buf;
	*out_len = (size_t)n - pad;
	return 1;
}

/* A fresh private temporary directory (mkdtemp); path copied into buf. */
static inline int sdk_test_mkdtemp(char *buf, size_t size)
{
	const char *base = getenv("TMPDIR");

	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	if ((size_t)snprintf(buf, size, "%s/bioauth-sdk-test-XXXXXX", base) >= size)
		return 0;
	return mkdtemp(buf) != NULL;
}

/* rm -rf of a directory tree made by the tests (no symlinks followed). */
static inline void sdk_test_rmtree(const char *path)
{
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (lstat(path, &st) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	chmod(path, 0700);
	d = opendir(path);
	if (d != NULL) {
		while ((de = readdir(d)) != NULL) {
			char child[4096];

			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			if ((size_t)snprintf(child, sizeof(child), "%s/%s", path, de->d_name) <
			    sizeof(child))
				sdk_test_rmtree(child);
		}
		closedir(d);
	}
	rmdir(path);
}

/* Reads a whole small file into a malloc'd buffer (NUL-terminated). */
static inline char *sdk_test_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;

	if (f == NULL)
		return NULL;
	buf = malloc(65536 + 1);
	if (buf == NULL) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, 65536, f);
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Writes len bytes to path (created/truncated) with the given mode. */
static inline int sdk_test_write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = write(fd, data, len);
	if (fchmod(fd, mode) != 0) {
		close(fd);
		return 0;
	}
	close(fd);
	return n >= 0 && (size_t)n == len;
}

#endif
