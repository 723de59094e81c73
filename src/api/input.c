#include "api/input.h"

#include <time.h>

#include "api/ctx.h"
#include "common/error.h"

bool
api_decode(struct req *r, const struct json_in_field *fields, size_t n, void *out)
{
	char msg[160];
	int rc = req_json_from_form(r)
	         ? json_in_decode_form(req_json(r), fields, n,
	                               req_ctx(r)->cfg->json_max_depth, out, msg, sizeof(msg))
	         : json_in_decode(req_json(r), fields, n, out, msg, sizeof(msg));

	if (rc == BA_OK)
		return true;
	req_reply_error(r, rc, rc == BA_ERR_INVALID_REQUEST ? msg : NULL);
	return false;
}

const char *
api_time(int64_t t, char buf[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		buf[0] = '\0';
	return buf;
}
