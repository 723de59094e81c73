/*
 * sessions.c - the rules of a login session (sessions.h).
 */
#include "domain/sessions.h"

#include <string.h>

bool
sessions_live(const struct model_session *s, const char *app_id, const char *user_id,
              int64_t now)
{
	if (s->revoked || s->expires_at <= now)
		return false;
	if (app_id != NULL && (s->app_id == NULL || strcmp(s->app_id, app_id) != 0))
		return false;
	if (user_id != NULL && (s->user_id == NULL || strcmp(s->user_id, user_id) != 0))
		return false;
	return true;
}
