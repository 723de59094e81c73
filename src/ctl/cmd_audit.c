/*
 * cmd_audit.c - bioauthctl audit: the audit trail of registrations,
 * authentications, deletions and lockouts, newest first.
 */
#define _XOPEN_SOURCE 700
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "ctl/ctl.h"

/* Unix seconds, or an RFC 3339 UTC time "YYYY-MM-DDTHH:MM:SSZ". */
static bool
parse_time(const char *s, int64_t *out)
{
	struct tm tm;
	char *end;
	long long v = strtoll(s, &end, 10);

	if (*s != '\0' && *end == '\0' && v >= 0) {
		*out = v;
		return true;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end != '\0')
		return false;
	*out = (int64_t)timegm(&tm);
	return true;
}

static int
audit(struct ctl *c, const struct ctl_command *cmd, int argc, char **argv)
{
	const char *user = NULL, *app = NULL, *since = NULL, *limit = NULL;
	const struct ctl_opt opts[] = {
		{ "--user", "U", "only events of this user_id", &user, NULL, NULL, 0, NULL },
		{ "--app", "A", "only events of this app_id", &app, NULL, NULL, 0, NULL },
		{ "--since", "T", "only events at or after T (Unix seconds or "
		  "YYYY-MM-DDTHH:MM:SSZ)", &since, NULL, NULL, 0, NULL },
		{ "--limit", "N", "at most N events (default 1000)", &limit, NULL, NULL, 0, NULL },
		{ NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL },
	};
	struct store_audit_filter f = {0};
	struct model_audit *ev = NULL;
	size_t n = 0;
	struct store *s;
	json_t *arr;
	int rc, r;

	if ((rc = ctl_parse(c, cmd, argc, argv, opts, NULL, 0)) != CTL_CONTINUE)
		return rc;
	if (since != NULL && !parse_time(since, &f.since))
		return ctl_usage_error(c, "audit: --since: expected Unix seconds or YYYY-MM-DDTHH:MM:SSZ");
	if (limit != NULL) {
		char *end;
		long long v = strtoll(limit, &end, 10);

		if (*limit == '\0' || *end != '\0' || v <= 0 || v > 1000000)
			return ctl_usage_error(c, "audit: --limit: expected 1-1000000");
		f.limit = (size_t)v;
	}
	f.user_id = user;
	f.app_id = app;
	if (ctl_store(c, &s) != BA_OK)
		return CTL_EXIT_FAIL;
	if ((r = store_audit_list(s, &f, &ev, &n)) != BA_OK)
		return ctl_fail(c, r, "audit");
	arr = json_array();
	for (size_t i = 0; arr != NULL && i < n; i++) {
		const struct model_audit *e = &ev[i];
		json_t *attrs = e->client_attributes != NULL ?
		                json_loads(e->client_attributes, 0, NULL) : NULL;

		json_array_append_new(arr, json_pack("{s:I, s:I, s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:o?}",
		    "id", (json_int_t)e->id, "time", (json_int_t)e->time, "event", e->event,
		    "outcome", e->outcome, "reason", e->reason, "app_id", e->app_id,
		    "user_id", e->user_id, "key_id", e->key_id, "client_attributes", attrs));
	}
	store_free_audit(ev, n);
	return ctl_print(c, arr);
}

const struct ctl_command ctl_audit_commands[] = {
	{ "audit", NULL, audit, "[--user U] [--app A] [--since T] [--limit N]",
	  "show the audit trail, newest first" },
	{ NULL, NULL, NULL, NULL, NULL },
};
