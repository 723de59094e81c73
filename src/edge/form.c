/*
 * form.c - application/x-www-form-urlencoded parsing and percent-decoding.
 *
 * A form is a small array of (name, value) pairs; lookups are linear, which
 * is the fastest choice for the handful of parameters an OAuth request has
 * (and the count is capped at FORM_MAX_PARAMS).
 */
#include "edge/form.h"

#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/utf8.h"

struct form_param {
	char *name;
	char *value;
	size_t value_len;
};

struct form {
	struct form_param p[FORM_MAX_PARAMS];
	size_t n;
};

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Shared decoder: `plus` turns '+' into a space (forms, not paths);
 * `no_slash` rejects a decoded '/' (path segments). The result is always
 * shorter than or as long as the input, so one allocation of len+1 bytes
 * suffices. On failure nothing is returned and the partial buffer is wiped
 * (it may hold part of a secret). */
static int
decode(const char *s, size_t len, bool plus, bool no_slash, char **out,
       size_t *out_len)
{
	char *buf;
	size_t i, j = 0;
	int r = BA_ERR_INVALID_REQUEST;

	*out = NULL;
	buf = malloc(len + 1);
	if (buf == NULL)
		return BA_ERR_NOMEM;
	for (i = 0; i < len; i++) {
		char c = s[i];
		if (c == '%') {
			int hi, lo;
			if (len - i < 3)
				goto out;
			hi = hexval(s[i + 1]);
			lo = hexval(s[i + 2]);
			if (hi < 0 || lo < 0)
				goto out;
			c = (char)(hi << 4 | lo);
			if (no_slash && c == '/')
				goto out;
			i += 2;
		} else if (plus && c == '+') {
			c = ' ';
		}
		if (c == '\0')
			goto out;
		buf[j++] = c;
	}
	buf[j] = '\0';
	if (!utf8_valid(buf, j))
		goto out;
	*out = buf;
	if (out_len != NULL)
		*out_len = j;
	buf = NULL;
	r = BA_OK;
out:
	if (buf != NULL) {
		OPENSSL_cleanse(buf, len + 1);
		free(buf);
	}
	return r;
}

int
form_decode_component(const char *s, size_t len, char **out)
{
	return decode(s, len, true, false, out, NULL);
}

int
form_decode_path_segment(const char *s, size_t len, char **out)
{
	return decode(s, len, false, true, out, NULL);
}

int
form_parse(const char *body, size_t len, struct form **out, char *msg,
           size_t msglen)
{
	struct form *f;
	size_t pos = 0;
	int r = BA_ERR_INVALID_REQUEST;

	*out = NULL;
	if (msglen > 0)
		msg[0] = '\0';
	f = calloc(1, sizeof(*f));
	if (f == NULL)
		return BA_ERR_NOMEM;
	while (pos < len) {
		const char *pair = body + pos;
		const char *amp = memchr(pair, '&', len - pos);
		size_t plen = amp != NULL ? (size_t)(amp - pair) : len - pos;
		const char *eq = memchr(pair, '=', plen);
		size_t nlen = eq != NULL ? (size_t)(eq - pair) : plen;
		struct form_param *p;
		size_t k;

		pos += plen + (amp != NULL ? 1 : 0);
		r = BA_ERR_INVALID_REQUEST;
		if (plen == 0)
			continue;  /* "a=1&&b=2" and a trailing '&' are harmless */
		if (nlen == 0) {
			snprintf(msg, msglen, "form parameter with an empty name");
			goto out;
		}
		if (nlen > FORM_MAX_NAME * 3) {
			snprintf(msg, msglen, "form parameter name too long");
			goto out;
		}
		if (f->n == FORM_MAX_PARAMS) {
			snprintf(msg, msglen, "too many form parameters (max %d)",
			         FORM_MAX_PARAMS);
			goto out;
		}
		p = &f->p[f->n];
		r = decode(pair, nlen, true, false, &p->name, NULL);
		if (r == BA_OK && strlen(p->name) > FORM_MAX_NAME) {
			snprintf(msg, msglen, "form parameter name too long");
			r = BA_ERR_INVALID_REQUEST;
			f->n++;  /* so that the name is freed */
			goto out;
		}
		if (r != BA_OK) {
			snprintf(msg, msglen, "malformed form parameter name "
			         "(bad %%-escape, NUL or invalid UTF-8)");
			goto out;
		}
		if (eq != NULL)
			r = decode(eq + 1, plen - nlen - 1, true, false, &p->value,
			           &p->value_len);
		else
			r = decode("", 0, true, false, &p->value, &p->value_len);
		f->n++;
		if (r != BA_OK) {
			if (r == BA_ERR_INVALID_REQUEST)
				snprintf(msg, msglen, "%.*s: malformed value (bad "
				         "%%-escape, NUL or invalid UTF-8)",
				         FORM_MAX_NAME, p->name);
			goto out;
		}
		for (k = 0; k + 1 < f->n; k++) {
			if (strcmp(f->p[k].name, p->name) == 0) {
				snprintf(msg, msglen, "%.*s: parameter is repeated",
				         FORM_MAX_NAME, p->name);
				r = BA_ERR_INVALID_REQUEST;
				goto out;
			}
		}
	}
	*out = f;
	f = NULL;
	r = BA_OK;
out:
	if (r == BA_ERR_NOMEM)
		snprintf(msg, msglen, "out of memory");
	form_free(f);
	return r;
}

const char *
form_get(const struct form *f, const char *name)
{
	size_t i;

	if (f == NULL || name == NULL)
		return NULL;
	for (i = 0; i < f->n; i++)
		if (strcmp(f->p[i].name, name) == 0)
			return f->p[i].value;
	return NULL;
}

size_t
form_count(const struct form *f)
{
	return f != NULL ? f->n : 0;
}

const char *
form_name(const struct form *f, size_t i)
{
	return f != NULL && i < f->n ? f->p[i].name : NULL;
}

void
form_free(struct form *f)
{
	size_t i;

	if (f == NULL)
		return;
	for (i = 0; i < f->n; i++) {
		free(f->p[i].name);
		if (f->p[i].value != NULL) {
			OPENSSL_cleanse(f->p[i].value, f->p[i].value_len);
			free(f->p[i].value);
		}
	}
	free(f);
}
