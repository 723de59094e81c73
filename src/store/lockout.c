/*
 * lockout.c - the lockout rule after a failed signature (lockout.h).
 */
#include <limits.h>
#include <string.h>

#include "store/lockout.h"

void lockout_after_failure(int failed_count, int64_t locked_until, int64_t now, int threshold,
                           int64_t lock_seconds, struct lockout *out)
{
	memset(out, 0, sizeof(*out));
	out->failed_count = failed_count;
	out->locked_until = locked_until;
	if (locked_until > now) {
		out->locked = true;
		return;
	}
	out->store = true;
	if (out->failed_count < INT_MAX)
		out->failed_count++;
	if (threshold > 0 && out->failed_count >= threshold) {
		if (lock_seconds < 0)
			lock_seconds = 0;
		out->failed_count = 0;
		out->locked_until = now > INT64_MAX - lock_seconds ? INT64_MAX : now + lock_seconds;
		out->locked = true;
		out->lock_event = true;
	}
}
