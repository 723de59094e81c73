/*
 * jsonw.c - a flat JSON object into a fixed buffer (jsonw.h).
 */
#include "common/jsonw.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/utf8.h"

/* Appends n bytes, keeping one byte for the final NUL. */
static void
put(struct jsonw *w, const char *s, size_t n)
{
	if (w->err)
		return;
	if (n >= w->cap - w->len) {
		w->err = true;
		return;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

/* Appends s as a quoted JSON string. */
static void
put_string(struct jsonw *w, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;

	put(w, "\"", 1);
	while (*p != '\0' && !w->err) {
		unsigned char c = *p;
		const unsigned char *run = p;
		char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

		/* a run of plain ASCII in one copy */
		while (*p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
			p++;
		if (p > run) {
			put(w, (const char *)run, (size_t)(p - run));
			continue;
		}
		if (c == '"' || c == '\\') {
			esc[1] = (char)c;
			put(w, esc, 2);
		} else if (c == '\n' || c == '\r' || c == '\t') {
			esc[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
			put(w, esc, 2);
		} else if (c < 0x20) {
			put(w, esc, 6);
		} else {
			size_t len = utf8_seq_len(p, SIZE_MAX);

			if (len == 0) {
				w->err = true;
				return;
			}
			put(w, (const char *)p, len);
			p += len;
			continue;
		}
		p++;
	}
	put(w, "\"", 1);
}

/* Appends the separator and "key": */
static void
put_key(struct jsonw *w, const char *key)
{
	if (!w->first)
		put(w, ",", 1);
	w->first = false;
	put(w, "\"", 1);
	put(w, key, strlen(key));
	put(w, "\":", 2);
}

void
jsonw_begin(struct jsonw *w, char *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->err = buf == NULL || cap == 0;
	w->first = true;
	put(w, "{", 1);
}

void
jsonw_str(struct jsonw *w, const char *key, const char *val)
{
	put_key(w, key);
	if (val == NULL)
		w->err = true;
	else
		put_string(w, val);
}

void
jsonw_int(struct jsonw *w, const char *key, int64_t val)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%" PRId64, val);

	put_key(w, key);
	put(w, num, (size_t)n);
}

void
jsonw_str_array(struct jsonw *w, const char *key, const char *const *vals, size_t n)
{
	put_key(w, key);
	put(w, "[", 1);
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			put(w, ",", 1);
		if (vals[i] == NULL)
			w->err = true;
		else
			put_string(w, vals[i]);
	}
	put(w, "]", 1);
}

size_t
jsonw_end(struct jsonw *w)
{
	put(w, "}", 1);
	if (w->err)
		return 0;
	w->buf[w->len] = '\0';
	return w->len;
}
