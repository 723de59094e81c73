/*
 * secret.c - see secret.h.
 */
#include "common/secret.h"

#include <string.h>

#include <openssl/crypto.h>

void
secret_free(char *s)
{
	if (s != NULL)
		OPENSSL_clear_free(s, strlen(s));
}
