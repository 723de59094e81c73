/*
 * form.h - application/x-www-form-urlencoded bodies (RFC 6749 requests).
 *
 * '+' is a space, %XX is a byte; an invalid escape, a decoded NUL byte,
 * invalid UTF-8, an empty name or a repeated parameter is an error (RFC 6749
 * 3.1: parameters must not be repeated). Parameters are capped in number
 * and name length; values are bounded by the body limit. Values are wiped
 * when the form is freed, since they carry secrets and refresh tokens.
 */
#ifndef BIOAUTH_EDGE_FORM_H
#define BIOAUTH_EDGE_FORM_H

#include <stddef.h>

#define FORM_MAX_PARAMS 64
#define FORM_MAX_NAME 128

struct form;

/* Parses `len` bytes of `body` into *out. BA_OK; BA_ERR_INVALID_REQUEST with
 * a one-line reason in msg (msglen bytes, NUL-terminated); BA_ERR_NOMEM. An
 * empty body is a valid empty form. */
int form_parse(const char *body, size_t len, struct form **out,
               char *msg, size_t msglen);
/* The decoded value of `name`, or NULL when absent. Borrowed from `f`. */
const char *form_get(const struct form *f, const char *name);
/* Number of parameters, and the i-th name (for diagnostics; never values). */
size_t form_count(const struct form *f);
const char *form_name(const struct form *f, size_t i);
/* Wipes every value and frees. NULL is fine. */
void form_free(struct form *f);

/* Decodes one form component (`+` and %XX) of `len` bytes into a malloc'd
 * NUL-terminated *out. BA_OK; BA_ERR_INVALID_REQUEST on a bad escape, a
 * decoded NUL or invalid UTF-8; BA_ERR_NOMEM. */
int form_decode_component(const char *s, size_t len, char **out);

/* Decodes a URL path segment: %XX only ('+' stays '+'). Same errors; a
 * decoded '/' is also invalid (it would change the path's structure). */
int form_decode_path_segment(const char *s, size_t len, char **out);

#endif
