/*
 * rand.c - random bytes and tokens from OpenSSL's CSPRNG.
 */
#ifndef OPENSSL_NO_DEPRECATED
#define OPENSSL_NO_DEPRECATED
#endif
#include "crypto/rand.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "common/error.h"
#include "crypto/encoding.h"

/* Largest token body; identifiers and secrets use 16..64 bytes. */
#define RAND_TOKEN_MAX_BYTES 1024
#define RAND_TOKEN_MAX_PREFIX 64

int
rand_bytes(uint8_t *buf, size_t len)
{
	if (len == 0)
		return BA_OK;
	if (buf == NULL || len > INT_MAX)
		return BA_ERR_INTERNAL;
	if (RAND_bytes(buf, (int)len) != 1)
		return BA_ERR_INTERNAL;
	return BA_OK;
}

/*
 * prefix (may be NULL) followed by the base64url encoding of `nbytes` random
 * bytes. The random bytes are wiped; *out is malloc'd and is a secret when
 * the caller uses it as one.
 */
int
rand_token(const char *prefix, size_t nbytes, char **out)
{
	uint8_t raw[RAND_TOKEN_MAX_BYTES];
	char *body = NULL, *s;
	size_t plen = prefix != NULL ? strlen(prefix) : 0, blen;
	int r;

	if (out == NULL)
		return BA_ERR_INTERNAL;
	*out = NULL;
	if (nbytes == 0 || nbytes > sizeof(raw) || plen > RAND_TOKEN_MAX_PREFIX)
		return BA_ERR_INTERNAL;
	r = rand_bytes(raw, nbytes);
	if (r != BA_OK)
		goto out;
	r = b64url_encode(raw, nbytes, &body);
	if (r != BA_OK)
		goto out;
	blen = strlen(body);
	s = malloc(plen + blen + 1);
	if (s == NULL) {
		r = BA_ERR_NOMEM;
		goto out;
	}
	if (plen > 0)
		memcpy(s, prefix, plen);
	memcpy(s + plen, body, blen + 1);
	*out = s;
	r = BA_OK;
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	if (body != NULL) {
		OPENSSL_cleanse(body, strlen(body));
		free(body);
	}
	return r;
}
