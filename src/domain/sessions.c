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

unsigned
sessions_add_factors(unsigned had, unsigned adding, int64_t session_created,
                     const struct model_authenticator *key)
{
	unsigned out = had | (adding & (FACTOR_PWD | FACTOR_MOBILE_BIOMETRICS | FACTOR_HWK));

	/* a key: independent of a password session only if it predates the
	 * session or was registered from a biometric session */
	if ((adding & FACTOR_MOBILE_BIOMETRICS) && (had & FACTOR_PWD) && key != NULL &&
	    (key->created_at < session_created || (key->enrol_factors & FACTOR_MOBILE_BIOMETRICS)))
		out |= FACTOR_MFA;
	/* a password added to a biometric-only session: the backend sets
	 * passwords, a session cannot */
	if ((adding & FACTOR_PWD) && (had & FACTOR_MOBILE_BIOMETRICS) && !(had & FACTOR_PWD))
		out |= FACTOR_MFA;
	return out;
}
