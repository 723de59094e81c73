/*
 * keyfile.c - the on-disk format of one key.
 *
 * A key file is text: a fixed header of "name: value" lines, a blank line,
 * then one PEM block holding the private key as PKCS#8:
 *
 *     bioauth-device-key 1
 *     id: 3q2-7wQzQ0e0X9l1mS1nGA
 *     type: ec
 *     platform: ios
 *     created: 1767225600
 *     encrypted: yes
 *     sha256: 5f0c...(64 hex digits)
 *
 *     -----BEGIN ENCRYPTED PRIVATE KEY-----
 *     ...
 *     -----END ENCRYPTED PRIVATE KEY-----
 *
 * Unencrypted keys use a "PRIVATE KEY" block. Encrypted keys are PKCS#8
 * EncryptedPrivateKeyInfo with PBES2: scrypt (N=2^14, r=8, p=1, 16-byte
 * random salt) and AES-256-CBC, the same as `openssl pkcs8 -topk8 -scrypt`,
 * so `openssl pkey -in <(sed '1,/^$/d' KEYFILE)` reads it. `sha256` is the
 * digest of the DER inside the PEM block: any damage to the body is reported
 * as corruption, never mistaken for a wrong passphrase. The parser is
 * strict: lines in this order, nothing after the PEM block, the id must match
 * the file name and the key must match the declared type.
 */
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MAGIC_LINE "bioauth-device-key 1"
#define HEADER_LINE_MAX 256
#define SALT_LEN 16
#define DIGEST_LEN 32

/* Lower-case hex SHA-256 of data into hex[65]. */
static int sha256_hex(const unsigned char *data, size_t len, char hex[DIGEST_LEN * 2 + 1])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[DIGEST_LEN];
	size_t i;

	if (EVP_Digest(data, len, md, NULL, EVP_sha256(), NULL) != 1)
		return 0;
	for (i = 0; i < DIGEST_LEN; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 0x0f];
	}
	hex[DIGEST_LEN * 2] = '\0';
	return 1;
}

/*
 * The DER of the PEM block: PKCS#8 PrivateKeyInfo, or with a passphrase an
 * EncryptedPrivateKeyInfo (PBES2, scrypt, AES-256-CBC, random salt and IV).
 * *der is OpenSSL-allocated; free it with OPENSSL_clear_free.
 */
static bioauth_err key_der(EVP_PKEY *pkey, const char *pass, size_t pass_len,
                           unsigned char **der, size_t *der_len)
{
	bioauth_err r = BIOAUTH_ERR_CRYPTO;
	unsigned char salt[SALT_LEN];
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	X509_ALGOR *pbe = NULL;
	X509_SIG *enc = NULL;
	int n;

	*der = NULL;
	p8 = EVP_PKEY2PKCS8(pkey);
	if (p8 == NULL)
		goto out;
	if (pass != NULL) {
		if (RAND_bytes(salt, sizeof(salt)) != 1)
			goto out;
		pbe = PKCS5_pbe2_set_scrypt(EVP_aes_256_cbc(), salt, (int)sizeof(salt), NULL,
		                            BDEV_SCRYPT_N, BDEV_SCRYPT_R, BDEV_SCRYPT_P);
		if (pbe == NULL)
			goto out;
		enc = PKCS8_set0_pbe(pass, (int)pass_len, p8, pbe);
		if (enc == NULL)
			goto out;
		pbe = NULL;   /* now owned by enc */
		n = i2d_X509_SIG(enc, der);
	} else {
		n = i2d_PKCS8_PRIV_KEY_INFO(p8, der);
	}
	if (n <= 0 || *der == NULL)
		goto out;
	*der_len = (size_t)n;
	r = BIOAUTH_OK;
out:
	X509_ALGOR_free(pbe);
	X509_SIG_free(enc);
	PKCS8_PRIV_KEY_INFO_free(p8);   /* clears the private key */
	return r;
}

/*
 * Serialises the key into a secure-memory BIO and copies it out. *out is
 * malloc'd and holds private key material (encrypted or not): the caller
 * wipes it (OPENSSL_cleanse) before free().
 */
bioauth_err bdev_keyfile_encode(const bioauth_key *key, const char *pass, size_t pass_len,
                                char **out, size_t *out_len)
{
	bioauth_err r = BIOAUTH_ERR_CRYPTO;
	char hex[DIGEST_LEN * 2 + 1];
	unsigned char *der = NULL;
	size_t der_len = 0;
	BIO *bio = NULL;
	char *data = NULL, *copy = NULL;
	long n;

	if (key == NULL || key->pkey == NULL || out == NULL || out_len == NULL ||
	    (pass != NULL && pass_len == 0))
		return BIOAUTH_ERR_INVALID_ARG;
	*out = NULL;
	*out_len = 0;
	if (pass != NULL && pass_len > BIOAUTH_PASSPHRASE_MAX)
		return BIOAUTH_ERR_TOO_LARGE;

	r = key_der(key->pkey, pass, pass_len, &der, &der_len);
	if (r != BIOAUTH_OK)
		goto out;
	r = BIOAUTH_ERR_CRYPTO;
	if (der_len > BDEV_KEYFILE_MAX || !sha256_hex(der, der_len, hex))
		goto out;
	bio = BIO_new(BIO_s_secmem());
	if (bio == NULL)
		goto out;
	if (BIO_printf(bio, MAGIC_LINE "\nid: %s\ntype: %s\nplatform: %s\ncreated: %lld\n"
	                    "encrypted: %s\nsha256: %s\n\n",
	               key->id, bioauth_key_type_name(key->type),
	               bioauth_platform_name(key->platform), (long long)key->created_at,
	               pass != NULL ? "yes" : "no", hex) <= 0)
		goto out;
	if (PEM_write_bio(bio, pass != NULL ? "ENCRYPTED PRIVATE KEY" : "PRIVATE KEY", "", der,
	                  (long)der_len) <= 0)
		goto out;
	n = BIO_get_mem_data(bio, &data);
	if (n <= 0 || data == NULL || n > BDEV_KEYFILE_MAX)
		goto out;
	copy = malloc((size_t)n);
	if (copy == NULL) {
		r = BIOAUTH_ERR_NOMEM;
		goto out;
	}
	memcpy(copy, data, (size_t)n);
	*out = copy;
	*out_len = (size_t)n;
	r = BIOAUTH_OK;
out:
	if (der != NULL)
		OPENSSL_clear_free(der, der_len);
	BIO_free(bio);                  /* secure memory, cleared on free */
	if (r != BIOAUTH_OK)
		ERR_clear_error();
	return r;
}

/*
 * Reads the line starting at *pos (it must end with '\n' and be shorter than
 * HEADER_LINE_MAX), checks that it starts with `prefix`, and copies the rest
 * into val. Returns 1 on success, 0 when malformed.
 */
static int header_line(const char *buf, size_t len, size_t *pos, const char *prefix,
                       char *val, size_t val_size)
{
	size_t plen = strlen(prefix);
	const char *start = buf + *pos;
	const char *nl;
	size_t line_len;

	if (*pos >= len)
		return 0;
	nl = memchr(start, '\n', len - *pos < HEADER_LINE_MAX ? len - *pos : HEADER_LINE_MAX);
	if (nl == NULL)
		return 0;
	line_len = (size_t)(nl - start);
	if (line_len < plen || memcmp(start, prefix, plen) != 0)
		return 0;
	if (line_len - plen >= val_size)
		return 0;
	memcpy(val, start + plen, line_len - plen);
	val[line_len - plen] = '\0';
	if (memchr(val, '\0', line_len - plen) != NULL)
		return 0;
	*pos += line_len + 1;
	return 1;
}

/* A decimal, non-negative int64 without sign or leading garbage. */
static int parse_time(const char *s, int64_t *out)
{
	int64_t v = 0;
	size_t i;

	if (s[0] == '\0' || strlen(s) > 18)
		return 0;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 1;
}

/*
 * Parses the header (see the top of the file) into h. Returns BIOAUTH_OK or
 * BIOAUTH_ERR_CORRUPT (wrong magic or order, unknown values, a missing line
 * end, an invalid id, no PEM block after the blank line).
 */
bioauth_err bdev_keyfile_parse_header(const char *buf, size_t len, struct bdev_keyfile_header *h)
{
	char val[HEADER_LINE_MAX];
	size_t pos = 0;

	if (buf == NULL || h == NULL)
		return BIOAUTH_ERR_INVALID_ARG;
	memset(h, 0, sizeof(*h));
	if (!header_line(buf, len, &pos, MAGIC_LINE, val, sizeof(val)) || val[0] != '\0')
		return BIOAUTH_ERR_CORRUPT;
	if (!header_line(buf, len, &pos, "id: ", val, sizeof(val)) || !bioauth_key_id_valid(val))
		return BIOAUTH_ERR_CORRUPT;
	memcpy(h->id, val, strlen(val) + 1);
	if (!header_line(buf, len, &pos, "type: ", val, sizeof(val)) ||
	    bioauth_key_type_parse(val, &h->type) != BIOAUTH_OK)
		return BIOAUTH_ERR_CORRUPT;
	if (!header_line(buf, len, &pos, "platform: ", val, sizeof(val)) ||
	    bioauth_platform_parse(val, &h->platform) != BIOAUTH_OK)
		return BIOAUTH_ERR_CORRUPT;
	if (!header_line(buf, len, &pos, "created: ", val, sizeof(val)) ||
	    !parse_time(val, &h->created_at))
		return BIOAUTH_ERR_CORRUPT;
	if (!header_line(buf, len, &pos, "encrypted: ", val, sizeof(val)))
		return BIOAUTH_ERR_CORRUPT;
	if (strcmp(val, "yes") == 0)
		h->encrypted = 1;
	else if (strcmp(val, "no") == 0)
		h->encrypted = 0;
	else
		return BIOAUTH_ERR_CORRUPT;
	if (!header_line(buf, len, &pos, "sha256: ", val, sizeof(val)) ||
	    strlen(val) != DIGEST_LEN * 2 || strspn(val, "0123456789abcdef") != DIGEST_LEN * 2)
		return BIOAUTH_ERR_CORRUPT;
	memcpy(h->sha256_hex, val, DIGEST_LEN * 2 + 1);
	if (!header_line(buf, len, &pos, "", val, sizeof(val)) || val[0] != '\0')
		return BIOAUTH_ERR_CORRUPT;
	if (len - pos < 11 || memcmp(buf + pos, "-----BEGIN ", 11) != 0)
		return BIOAUTH_ERR_CORRUPT;
	h->pem_offset = pos;
	return BIOAUTH_OK;
}

/*
 * Turns the DER of the PEM block into an EVP_PKEY: decrypts it when the
 * header says so. Returns BIOAUTH_OK and *out, BIOAUTH_ERR_CORRUPT (DER does
 * not parse or has trailing bytes, or the key inside is invalid),
 * BIOAUTH_ERR_PASSPHRASE_REQUIRED or BIOAUTH_ERR_BAD_PASSPHRASE.
 */
static bioauth_err der_to_pkey(const unsigned char *der, long der_len, int encrypted,
                               const char *pass, size_t pass_len, EVP_PKEY **out)
{
	bioauth_err r = BIOAUTH_ERR_CORRUPT;
	const unsigned char *p = der;
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	X509_SIG *enc = NULL;

	if (encrypted) {
		enc = d2i_X509_SIG(NULL, &p, der_len);
		if (enc == NULL || p != der + der_len)
			goto out;
		if (pass == NULL || pass_len == 0) {
			r = BIOAUTH_ERR_PASSPHRASE_REQUIRED;
			goto out;
		}
		if (pass_len > BIOAUTH_PASSPHRASE_MAX) {
			r = BIOAUTH_ERR_BAD_PASSPHRASE;
			goto out;
		}
		p8 = PKCS8_decrypt(enc, pass, (int)pass_len);
		if (p8 == NULL) {
			r = BIOAUTH_ERR_BAD_PASSPHRASE;
			goto out;
		}
	} else {
		p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, der_len);
		if (p8 == NULL || p != der + der_len)
			goto out;
	}
	*out = EVP_PKCS82PKEY(p8);
	if (*out == NULL)
		goto out;
	r = BIOAUTH_OK;
out:
	PKCS8_PRIV_KEY_INFO_free(p8);
	X509_SIG_free(enc);
	return r;
}

/* Checks that the private and public halves of pkey belong together. */
static int pairwise_ok(EVP_PKEY *pkey)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	int ok;

	if (ctx == NULL)
		return 0;
	ok = EVP_PKEY_pairwise_check(ctx) == 1;
	EVP_PKEY_CTX_free(ctx);
	return ok;
}

/*
 * Parses a whole key file. The PEM body is decoded into OpenSSL secure memory
 * and wiped when freed. See bioauth_keystore_load() for the error contract.
 */
bioauth_err bdev_keyfile_decode(const char *buf, size_t len, const char *expected_id,
                                const char *pass, size_t pass_len, bioauth_key **out)
{
	bioauth_err r = BIOAUTH_ERR_CORRUPT;
	struct bdev_keyfile_header h;
	char hex[DIGEST_LEN * 2 + 1];
	char *name = NULL, *pem_header = NULL;
	unsigned char *der = NULL;
	long der_len = 0;
	EVP_PKEY *pkey = NULL;
	BIO *bio = NULL;
	const char *want;

	if (out == NULL || buf == NULL || expected_id == NULL)
		return BIOAUTH_ERR_INVALID_ARG;
	*out = NULL;
	if (len > BDEV_KEYFILE_MAX)
		return BIOAUTH_ERR_CORRUPT;
	r = bdev_keyfile_parse_header(buf, len, &h);
	if (r != BIOAUTH_OK)
		goto out;
	r = BIOAUTH_ERR_CORRUPT;
	if (strcmp(h.id, expected_id) != 0)
		goto out;
	bio = BIO_new_mem_buf(buf + h.pem_offset, (int)(len - h.pem_offset));
	if (bio == NULL) {
		r = BIOAUTH_ERR_NOMEM;
		goto out;
	}
	if (PEM_read_bio_ex(bio, &name, &pem_header, &der, &der_len,
	                    PEM_FLAG_SECURE | PEM_FLAG_ONLY_B64) != 1)
		goto out;
	if (BIO_ctrl_pending(bio) != 0 || der_len <= 0 || pem_header[0] != '\0')
		goto out;
	want = h.encrypted ? "ENCRYPTED PRIVATE KEY" : "PRIVATE KEY";
	if (strcmp(name, want) != 0)
		goto out;
	if (!sha256_hex(der, (size_t)der_len, hex) ||
	    CRYPTO_memcmp(hex, h.sha256_hex, sizeof(hex)) != 0)
		goto out;
	r = der_to_pkey(der, der_len, h.encrypted, pass, pass_len, &pkey);
	if (r != BIOAUTH_OK)
		goto out;
	r = BIOAUTH_ERR_CORRUPT;
	if (bdev_key_check_pkey(pkey, h.type) != BIOAUTH_OK || !pairwise_ok(pkey))
		goto out;
	r = bdev_key_wrap(pkey, h.type, h.platform, h.id, h.created_at, out);
	pkey = NULL;   /* owned by bdev_key_wrap */
out:
	EVP_PKEY_free(pkey);
	OPENSSL_secure_free(name);
	OPENSSL_secure_free(pem_header);
	if (der != NULL)
		OPENSSL_secure_clear_free(der, (size_t)der_len);
	BIO_free(bio);
	OPENSSL_cleanse(&h, sizeof(h));
	if (r != BIOAUTH_OK)
		ERR_clear_error();
	return r;
}
