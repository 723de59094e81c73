/*
 * challenges.c - the rules of a /start challenge (challenges.h).
 */
#include "domain/challenges.h"

#include <stddef.h>
#include <string.h>

#include "common/error.h"

static int
refuse(int rc, const char *message, const char **why)
{
	if (why != NULL)
		*why = message;
	return rc;
}

int
challenges_usable(const struct model_challenge *c, const char *app_id, const char *user_id,
                  const char *device_id, int64_t now, const char **why)
{
	if (why != NULL)
		*why = NULL;
	if (c->app_id == NULL || c->user_id == NULL || strcmp(c->app_id, app_id) != 0 ||
	    strcmp(c->user_id, user_id) != 0 ||
	    (c->device_id != NULL && (device_id == NULL || strcmp(c->device_id, device_id) != 0)))
		return refuse(BA_ERR_INVALID_CHALLENGE,
		              "the challenge was issued for another user or device", why);
	if (c->consumed)
		return refuse(BA_ERR_CHALLENGE_REUSED, "the challenge was already used", why);
	if (c->expires_at <= now)
		return refuse(BA_ERR_CHALLENGE_EXPIRED, "the challenge has expired", why);
	return BA_OK;
}
