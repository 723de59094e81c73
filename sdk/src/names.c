/*
 * names.c - error strings, wire names of enums, key id rules and base64 for
 * libbioauth-device.
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const err_text[BIOAUTH_ERR__COUNT] = {
	[BIOAUTH_OK] = "success",
	[BIOAUTH_ERR_INVALID_ARG] = "invalid argument",
	[BIOAUTH_ERR_NOMEM] = "out of memory",
	[BIOAUTH_ERR_CRYPTO] = "cryptographic library failure",
	[BIOAUTH_ERR_IO] = "file or directory operation failed",
	[BIOAUTH_ERR_NOT_FOUND] = "key not found",
	[BIOAUTH_ERR_EXISTS] = "a key with this id already exists",
	[BIOAUTH_ERR_PERMISSIONS] = "unsafe permissions or ownership (group/other access or not owned by the user)",
	[BIOAUTH_ERR_CORRUPT] = "key file is corrupt or truncated",
	[BIOAUTH_ERR_BAD_PASSPHRASE] = "wrong passphrase",
	[BIOAUTH_ERR_PASSPHRASE_REQUIRED] = "key is encrypted, a passphrase is required",
	[BIOAUTH_ERR_UNSUPPORTED] = "format not supported for this key type",
	[BIOAUTH_ERR_TOO_LARGE] = "input too large",
};

const char *bioauth_strerror(bioauth_err err)
{
	if ((int)err < 0 || (int)err >= BIOAUTH_ERR__COUNT || err_text[err] == NULL)
		return "unknown error";
	return err_text[err];
}

const char *bioauth_key_type_name(bioauth_key_type type)
{
	switch (type) {
	case BIOAUTH_KEY_EC: return "ec";
	case BIOAUTH_KEY_RSA: return "rsa";
	}
	return NULL;
}

bioauth_err bioauth_key_type_parse(const char *name, bioauth_key_type *out)
{
	if (name == NULL || out == NULL)
		return BIOAUTH_ERR_INVALID_ARG;
	if (strcmp(name, "ec") == 0) {
		*out = BIOAUTH_KEY_EC;
		return BIOAUTH_OK;
	}
	if (strcmp(name, "rsa") == 0) {
		*out = BIOAUTH_KEY_RSA;
		return BIOAUTH_OK;
	}
	return BIOAUTH_ERR_INVALID_ARG;
}

const char *bioauth_platform_name(bioauth_platform platform)
{
	switch (platform) {
	case BIOAUTH_PLATFORM_IOS: return "ios";
	case BIOAUTH_PLATFORM_ANDROID: return "android";
	}
	return NULL;
}

bioauth_err bioauth_platform_parse(const char *name, bioauth_platform *out)
{
	if (name == NULL || out == NULL)
		return BIOAUTH_ERR_INVALID_ARG;
	if (strcmp(name, "ios") == 0) {
		*out = BIOAUTH_PLATFORM_IOS;
		return BIOAUTH_OK;
	}
	if (strcmp(name, "android") == 0) {
		*out = BIOAUTH_PLATFORM_ANDROID;
		return BIOAUTH_OK;
	}
	return BIOAUTH_ERR_INVALID_ARG;
}

/*
 * A key id names a file in the keystore, so it is restricted to a portable
 * file-name alphabet and may not start with '.' (no hidden files, no "..").
 */
int bioauth_key_id_valid(const char *key_id)
{
	size_t i;

	if (key_id == NULL || key_id[0] == '\0' || key_id[0] == '.')
		return 0;
	for (i = 0; key_id[i] != '\0'; i++) {
		char c = key_id[i];

		if (i >= BIOAUTH_KEY_ID_MAX)
			return 0;
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
			return 0;
	}
	return 1;
}

void bioauth_buffer_free(void *buf)
{
	free(buf);
}

/*
 * Standard base64 with padding via EVP_EncodeBlock (no line breaks). The
 * input length is capped so that the output size arithmetic and the int
 * argument of EVP_EncodeBlock cannot overflow.
 */
bioauth_err bdev_b64_encode(const uint8_t *in, size_t len, char **out)
{
	char *s;
	size_t cap;
	int n;

	if (out == NULL || (in == NULL && len > 0))
		return BIOAUTH_ERR_INVALID_ARG;
	*out = NULL;
	if (len > (size_t)1 << 28)
		return BIOAUTH_ERR_TOO_LARGE;
	cap = (len + 2) / 3 * 4 + 1;
	s = malloc(cap);
	if (s == NULL)
		return BIOAUTH_ERR_NOMEM;
	n = EVP_EncodeBlock((unsigned char *)s, in, (int)len);
	if (n < 0 || (size_t)n >= cap) {
		free(s);
		return BIOAUTH_ERR_CRYPTO;
	}
	s[n] = '\0';
	*out = s;
	return BIOAUTH_OK;
}

/* Base64url without padding: the standard encoding, translated and trimmed. */
bioauth_err bdev_b64url_encode(const uint8_t *in, size_t len, char **out)
{
	bioauth_err r;
	char *s;
	size_t i;

	r = bdev_b64_encode(in, len, &s);
	if (r != BIOAUTH_OK)
		return r;
	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] == '+')
			s[i] = '-';
		else if (s[i] == '/')
			s[i] = '_';
		else if (s[i] == '=') {
			s[i] = '\0';
			break;
		}
	}
	*out = s;
	return BIOAUTH_OK;
}
