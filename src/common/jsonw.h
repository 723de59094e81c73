/*
 * jsonw.h - one flat JSON object written into a caller's fixed buffer,
 * without allocating: the JWT claims and headers bioauthd signs on every
 * token (domain/tokens.c, crypto/jws.c), where building and dumping a
 * jansson tree cost most of a token's heap allocations.
 *
 *   struct jsonw w;
 *   jsonw_begin(&w, buf, sizeof(buf));
 *   jsonw_str(&w, "iss", issuer);
 *   jsonw_int(&w, "iat", now);
 *   len = jsonw_end(&w);      // 0: did not fit, or a string was not UTF-8
 *
 * Strings are escaped as JSON requires (quote, backslash, control
 * characters); valid UTF-8 passes through, invalid UTF-8 is an error (as
 * jansson refuses it). Keys are the caller's literals, written as given.
 * After an error every call does nothing and jsonw_end returns 0.
 */
#ifndef BIOAUTH_COMMON_JSONW_H
#define BIOAUTH_COMMON_JSONW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jsonw {
	char *buf;
	size_t cap;
	size_t len;
	bool err;
	bool first;
};

void jsonw_begin(struct jsonw *w, char *buf, size_t cap);
void jsonw_str(struct jsonw *w, const char *key, const char *val);
void jsonw_int(struct jsonw *w, const char *key, int64_t val);
/* "key":["a","b",...] */
void jsonw_str_array(struct jsonw *w, const char *key, const char *const *vals, size_t n);
/* Closes the object and NUL-terminates it: its length, or 0 on error. */
size_t jsonw_end(struct jsonw *w);

#endif
