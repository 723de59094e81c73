/*
 * seal.c - AES-256-GCM sealing of signing keys under system secrets
 * (seal.h).
 */
#ifndef OPENSSL_NO_DEPRECATED
#define OPENSSL_NO_DEPRECATED
#endif
#include "crypto/seal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/error.h"
#include "common/secret.h"
#include "crypto/encoding.h"
#include "crypto/rand.h"

#define PREFIX "sealed.v1."
#define PREFIX_LEN (sizeof(PREFIX) - 1)
#define KEY_LEN 32
#define ID_LEN 8
#define NONCE_LEN 12
#define TAG_LEN 16
#define SECRET_MIN 32
#define SECRET_MAX 1024
#define PLAIN_MAX 65536

struct seal_keys {
	size_t n;
	uint8_t key[SEAL_MAX_SECRETS][KEY_LEN];
	uint8_t id[SEAL_MAX_SECRETS][ID_LEN];
};

/* HMAC-SHA256(secret, label) into out (32 bytes). */
static int
derive(const char *secret, size_t len, const char *label, uint8_t out[32])
{
	unsigned int n = 32;

	if (HMAC(EVP_sha256(), secret, (int)len, (const unsigned char *)label, strlen(label),
	         out, &n) == NULL || n != 32) {
		ERR_clear_error();
		return BA_ERR_INTERNAL;
	}
	return BA_OK;
}

int
seal_keys_parse(const char *text, size_t len, struct seal_keys **out, const char **why)
{
	struct seal_keys *k;
	size_t i = 0;
	int r = BA_ERR_CONFIG;

	*out = NULL;
	*why = NULL;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return BA_ERR_NOMEM;
	while (i < len) {
		const char *line = text + i;
		size_t n = 0, j;
		uint8_t id[32];

		while (i + n < len && text[i + n] != '\n')
			n++;
		i += n + 1;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (n == 0 || line[0] == '#')
			continue;
		for (j = 0; j < n; j++) {
			if (line[j] < 0x21 || line[j] > 0x7e) {
				*why = "a secret holds a space or a non-ASCII character";
				goto out;
			}
		}
		if (n < SECRET_MIN || n > SECRET_MAX) {
			*why = "a secret is shorter than 32 or longer than 1024 characters";
			goto out;
		}
		if (k->n == SEAL_MAX_SECRETS) {
			*why = "more than 16 secrets";
			goto out;
		}
		if ((r = derive(line, n, "bioauth seal key v1", k->key[k->n])) != BA_OK ||
		    (r = derive(line, n, "bioauth seal id v1", id)) != BA_OK)
			goto out;
		memcpy(k->id[k->n], id, ID_LEN);
		OPENSSL_cleanse(id, sizeof(id));
		k->n++;
		r = BA_ERR_CONFIG;
	}
	if (k->n == 0) {
		*why = "no secret in the secrets file";
		goto out;
	}
	*out = k;
	k = NULL;
	r = BA_OK;
out:
	seal_keys_free(k);
	return r;
}

void
seal_keys_free(struct seal_keys *k)
{
	if (k == NULL)
		return;
	OPENSSL_cleanse(k, sizeof(*k));
	free(k);
}

int
seal_secret_generate(char **line)
{
	uint8_t raw[32];
	char *b64 = NULL, *out;
	int r;

	*line = NULL;
	if ((r = rand_bytes(raw, sizeof(raw))) != BA_OK)
		return r;
	r = b64url_encode(raw, sizeof(raw), &b64);
	OPENSSL_cleanse(raw, sizeof(raw));
	if (r != BA_OK)
		return r;
	if ((out = malloc(strlen(b64) + 2)) == NULL) {
		secret_free(b64);
		return BA_ERR_NOMEM;
	}
	strcpy(out, b64);
	strcat(out, "\n");
	secret_free(b64);
	*line = out;
	return BA_OK;
}

bool
seal_is_sealed(const char *text)
{
	return text != NULL && strncmp(text, PREFIX, PREFIX_LEN) == 0;
}

/* One AES-256-GCM pass: encrypt (enc = 1) or decrypt and check the tag
 * (enc = 0). in/out of `len` bytes; tag read or written. */
static int
gcm(int enc, const uint8_t key[KEY_LEN], const uint8_t nonce[NONCE_LEN], const char *aad,
    const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[TAG_LEN])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = 0, r = enc ? BA_ERR_INTERNAL : BA_ERR_CONFIG;

	if (c == NULL)
		return BA_ERR_NOMEM;
	if (len > PLAIN_MAX ||
	    EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, NONCE_LEN, NULL) != 1 ||
	    EVP_CipherInit_ex(c, NULL, NULL, key, nonce, enc) != 1 ||
	    EVP_CipherUpdate(c, NULL, &n, (const uint8_t *)aad, (int)strlen(aad)) != 1 ||
	    EVP_CipherUpdate(c, out, &n, in, (int)len) != 1)
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) != 1)
		goto out;
	if (EVP_CipherFinal_ex(c, out + n, &n) != 1)
		goto out;
	if (enc && EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) != 1)
		goto out;
	r = BA_OK;
out:
	ERR_clear_error();
	EVP_CIPHER_CTX_free(c);
	return r;
}

int
seal_encrypt(const struct seal_keys *k, const char *aad, const char *plain, char **out)
{
	size_t len, total;
	uint8_t *buf = NULL;
	char *b64 = NULL;
	int r;

	*out = NULL;
	if (k == NULL || k->n == 0 || aad == NULL || plain == NULL)
		return BA_ERR_INTERNAL;
	len = strlen(plain);
	if (len > PLAIN_MAX)
		return BA_ERR_INTERNAL;
	total = ID_LEN + NONCE_LEN + len + TAG_LEN;
	if ((buf = malloc(total)) == NULL)
		return BA_ERR_NOMEM;
	memcpy(buf, k->id[0], ID_LEN);
	if ((r = rand_bytes(buf + ID_LEN, NONCE_LEN)) != BA_OK)
		goto out;
	if ((r = gcm(1, k->key[0], buf + ID_LEN, aad, (const uint8_t *)plain, len,
	             buf + ID_LEN + NONCE_LEN, buf + ID_LEN + NONCE_LEN + len)) != BA_OK)
		goto out;
	if ((r = b64url_encode(buf, total, &b64)) != BA_OK)
		goto out;
	r = BA_ERR_NOMEM;
	if ((*out = malloc(PREFIX_LEN + strlen(b64) + 1)) == NULL)
		goto out;
	memcpy(*out, PREFIX, PREFIX_LEN);
	strcpy(*out + PREFIX_LEN, b64);
	r = BA_OK;
out:
	free(b64);
	OPENSSL_cleanse(buf, total);
	free(buf);
	return r;
}

/* The decoded body of a sealed text, and the index of the secret whose id
 * it carries (-1 when none). */
static int
open_body(const struct seal_keys *k, const char *sealed, uint8_t **raw, size_t *raw_len,
          int *which)
{
	int r;

	*which = -1;
	if (!seal_is_sealed(sealed))
		return BA_ERR_INVALID_REQUEST;
	r = b64url_decode(sealed + PREFIX_LEN, strlen(sealed + PREFIX_LEN), raw, raw_len);
	if (r != BA_OK)
		return r == BA_ERR_NOMEM ? r : BA_ERR_CONFIG;
	if (*raw_len < ID_LEN + NONCE_LEN + TAG_LEN) {
		free(*raw);
		*raw = NULL;
		return BA_ERR_CONFIG;
	}
	for (size_t i = 0; k != NULL && i < k->n; i++) {
		if (CRYPTO_memcmp(*raw, k->id[i], ID_LEN) == 0) {
			*which = (int)i;
			break;
		}
	}
	return BA_OK;
}

int
seal_decrypt(const struct seal_keys *k, const char *aad, const char *sealed, char **plain)
{
	uint8_t *raw = NULL;
	size_t raw_len = 0, len;
	char *out = NULL;
	int which, r;

	*plain = NULL;
	if (aad == NULL)
		return BA_ERR_INTERNAL;
	if ((r = open_body(k, sealed, &raw, &raw_len, &which)) != BA_OK)
		return r;
	r = BA_ERR_CONFIG;
	if (which < 0)
		goto out;
	len = raw_len - ID_LEN - NONCE_LEN - TAG_LEN;
	r = BA_ERR_NOMEM;
	if ((out = malloc(len + 1)) == NULL)
		goto out;
	r = gcm(0, k->key[which], raw + ID_LEN, aad, raw + ID_LEN + NONCE_LEN, len, (uint8_t *)out,
	        raw + raw_len - TAG_LEN);
	if (r != BA_OK)
		goto out;
	out[len] = '\0';
	if (strlen(out) != len) {   /* a NUL inside: not a text we sealed */
		r = BA_ERR_CONFIG;
		goto out;
	}
	*plain = out;
	out = NULL;
out:
	if (out != NULL) {
		OPENSSL_cleanse(out, len);
		free(out);
	}
	free(raw);
	return r;
}

bool
seal_is_current(const struct seal_keys *k, const char *sealed)
{
	uint8_t *raw = NULL;
	size_t raw_len = 0;
	int which = -1;

	if (open_body(k, sealed, &raw, &raw_len, &which) != BA_OK)
		return false;
	free(raw);
	return which == 0;
}
