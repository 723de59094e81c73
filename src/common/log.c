/*
 * log.c - JSON-lines logging on stderr.
 *
 * Each call formats one complete line into a bounded stack buffer and hands
 * it to the kernel with a single write(2), so lines from concurrent threads
 * never interleave. Over-long values are truncated (and marked with "...")
 * rather than split across lines.
 */
#include "common/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/utf8.h"

#define LINE_MAX_BYTES 8192

static _Atomic int min_level = LOG_INFO;

static const char *const level_names[] = { "debug", "info", "warn", "error" };

void
log_set_level(enum log_level lvl)
{
	if (lvl < LOG_DEBUG || lvl > LOG_ERROR)
		lvl = LOG_INFO;
	atomic_store(&min_level, (int)lvl);
}

int
log_level_parse(const char *s, enum log_level *out)
{
	int i;

	if (s == NULL)
		return -1;
	for (i = 0; i <= LOG_ERROR; i++) {
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	if (strcmp(s, "warning") == 0) {
		*out = LOG_WARN;
		return 0;
	}
	return -1;
}

/* Line builder; `full` latches once the buffer (minus room for the closing
 * marker) is exhausted. `good` is the length after the last complete pair. */
struct line {
	char buf[LINE_MAX_BYTES];
	size_t len;
	size_t good;
	int full;
};

#define TRUNC_MARK ",\"truncated\":\"true\"}\n"
#define LINE_RESERVE (sizeof(TRUNC_MARK))
#define VALUE_MAX 2048 /* longest value (escaped bytes) before "..." */

static void
put_raw(struct line *l, const char *s, size_t n)
{
	if (l->full)
		return;
	if (n > sizeof(l->buf) - LINE_RESERVE - l->len) {
		l->full = 1;
		return;
	}
	memcpy(l->buf + l->len, s, n);
	l->len += n;
}

/* Appends `s` as the contents of a JSON string (without quotes): quote,
 * backslash and control characters escaped; valid UTF-8 passes through and
 * invalid bytes become '?', so the line is always valid JSON. At most `cap`
 * output bytes, then "...". */
static void
put_escaped(struct line *l, const char *s, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t start = l->len;

	while (*p != '\0' && !l->full) {
		unsigned char c = *p;
		char esc[8];
		size_t n = 0;

		if (l->len - start >= cap) {
			put_raw(l, "...", 3);
			return;
		}
		if (c == '"' || c == '\\') {
			esc[n++] = '\\';
			esc[n++] = (char)c;
		} else if (c == '\n') {
			esc[n++] = '\\';
			esc[n++] = 'n';
		} else if (c == '\r') {
			esc[n++] = '\\';
			esc[n++] = 'r';
		} else if (c == '\t') {
			esc[n++] = '\\';
			esc[n++] = 't';
		} else if (c < 0x20 || c == 0x7f) {
			esc[n++] = '\\';
			esc[n++] = 'u';
			esc[n++] = '0';
			esc[n++] = '0';
			esc[n++] = hex[c >> 4];
			esc[n++] = hex[c & 15];
		} else if (c < 0x80) {
			esc[n++] = (char)c;
		} else {
			size_t len = utf8_seq_len(p, SIZE_MAX);
			if (len > 0) {
				put_raw(l, (const char *)p, len);
				p += len;
				continue;
			}
			esc[n++] = '?';
		}
		put_raw(l, esc, n);
		p++;
	}
}

static void
put_pair(struct line *l, const char *key, const char *val)
{
	put_raw(l, ",\"", 2);
	put_escaped(l, key, 128);
	put_raw(l, "\":\"", 3);
	put_escaped(l, val, VALUE_MAX);
	put_raw(l, "\"", 1);
	if (!l->full)
		l->good = l->len;
}

/* Formats the current UTC time as 2026-11-28T10:00:00.123Z into buf[32]. */
static void
timestamp(char buf[32])
{
	struct timespec ts;
	struct tm tm;
	size_t n;
	long ms;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	ms = ts.tv_nsec / 1000000;

	n = strftime(buf, 24, "%Y-%m-%dT%H:%M:%S", &tm);
	buf[n++] = '.';
	buf[n++] = (char)('0' + ms / 100 % 10);
	buf[n++] = (char)('0' + ms / 10 % 10);
	buf[n++] = (char)('0' + ms % 10);
	buf[n++] = 'Z';
	buf[n] = '\0';
}

void
log_write(enum log_level lvl, const char *msg, ...)
{
	struct line l;
	char ts[32];
	va_list ap;
	const char *key;
	const char *p;
	size_t left;

	if ((int)lvl < atomic_load(&min_level))
		return;
	if (lvl < LOG_DEBUG || lvl > LOG_ERROR)
		lvl = LOG_ERROR;
	l.len = 0;
	l.good = 0;
	l.full = 0;
	timestamp(ts);
	put_raw(&l, "{\"ts\":\"", 7);
	put_raw(&l, ts, strlen(ts));
	put_raw(&l, "\",\"level\":\"", 11);
	put_raw(&l, level_names[lvl], strlen(level_names[lvl]));
	put_raw(&l, "\",\"msg\":\"", 9);
	put_escaped(&l, msg != NULL ? msg : "", 1024);
	put_raw(&l, "\"", 1);
	l.good = l.len; /* the header always fits: 1024 escaped bytes + ~60 */

	va_start(ap, msg);
	while (!l.full && (key = va_arg(ap, const char *)) != NULL) {
		const char *val = va_arg(ap, const char *);
		if (val != NULL)
			put_pair(&l, key, val);
	}
	va_end(ap);

	if (l.full) {
		/* Drop the partial pair, say so, close the object. */
		l.len = l.good;
		memcpy(l.buf + l.len, TRUNC_MARK, sizeof(TRUNC_MARK) - 1);
		l.len += sizeof(TRUNC_MARK) - 1;
	} else {
		memcpy(l.buf + l.len, "}\n", 2);
		l.len += 2;
	}

	/* One write(2); retry only the remainder on a short write or EINTR. */
	p = l.buf;
	left = l.len;
	while (left > 0) {
		ssize_t w = write(STDERR_FILENO, p, left);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		p += w;
		left -= (size_t)w;
	}
}
