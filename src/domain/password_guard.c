/*
 * password_guard.c - slowing down password guessing per user
 * (password_guard.h).
 */
#include "domain/password_guard.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto/digest.h"

int64_t
password_guard_wait(int64_t failures, int64_t last_ms, int64_t now_ms, int threshold,
                    int64_t max_wait)
{
	int64_t over, delay = 1, until;

	if (threshold < 1 || failures < threshold || max_wait < 1)
		return 0;
	if (max_wait > INT64_MAX / 2000)
		max_wait = INT64_MAX / 2000;
	over = failures - threshold;
	while (over-- > 0 && delay < max_wait)
		delay *= 2;
	if (delay > max_wait)
		delay = max_wait;
	delay *= 1000;
	if (last_ms > INT64_MAX - delay || now_ms < last_ms)
		return delay;   /* concurrent attempts counted out of order, or a clock stepped back */
	until = last_ms + delay;
	return until > now_ms ? until - now_ms : 0;
}

int64_t
password_guard_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* SHA-256 over tag, then each part as 4-byte big-endian length + bytes. */
static void
key_of(char tag, const char *a, const char *b, uint8_t out[MODEL_HASH_LEN])
{
	const char *parts[2] = { a, b };
	unsigned char buf[1 + 2 * (4 + 1024)];
	size_t n = 0;

	buf[n++] = (unsigned char)tag;
	for (size_t i = 0; i < 2 && parts[i] != NULL; i++) {
		size_t len = strlen(parts[i]);

		if (len > 1024)
			len = 1024;   /* callers cap usernames and IPs far below */
		buf[n++] = (unsigned char)(len >> 24);
		buf[n++] = (unsigned char)(len >> 16);
		buf[n++] = (unsigned char)(len >> 8);
		buf[n++] = (unsigned char)len;
		memcpy(buf + n, parts[i], len);
		n += len;
	}
	sha256(buf, n, out);
}

void
password_guard_keys(const char *username, const char *ip, uint8_t user_key[MODEL_HASH_LEN],
                    uint8_t ip_key[MODEL_HASH_LEN], bool *has_ip)
{
	key_of('u', username, NULL, user_key);
	*has_ip = ip != NULL;
	if (ip != NULL)
		key_of('i', username, ip, ip_key);
	else
		memset(ip_key, 0, MODEL_HASH_LEN);
}

char *
password_guard_ip(const char *client_attributes)
{
	json_t *o, *v;
	const char *s;
	char *out = NULL;

	if (client_attributes == NULL ||
	    (o = json_loads(client_attributes, JSON_REJECT_DUPLICATES, NULL)) == NULL)
		return NULL;
	v = json_object_get(o, "ip_address");
	s = json_string_value(v);
	if (s != NULL && s[0] != '\0' && json_string_length(v) <= PASSWORD_GUARD_IP_MAX &&
	    strlen(s) == json_string_length(v))
		out = strdup(s);
	json_decref(o);
	return out;
}
