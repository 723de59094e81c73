/*
 * sessions.h - the rules of a login session.
 *
 * A session is what a login creates and later logins extend; its access and
 * refresh tokens are good only while it is live. The same rule serves the
 * handlers (reading a session before they act) and the store's write logic
 * (checking it again inside the transaction that acts), so both decide alike.
 */
#ifndef BIOAUTH_DOMAIN_SESSIONS_H
#define BIOAUTH_DOMAIN_SESSIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "domain/model.h"

/*
 * True when `s` is live at `now`: not revoked and not expired
 * (expires_at > now), and, for each of `app_id` / `user_id` that is not
 * NULL, of that app / user.
 */
bool sessions_live(const struct model_session *s, const char *app_id, const char *user_id,
                   int64_t now);

/*
 * The factors a session holds after a login adds `adding` (FACTOR_*) to a
 * session holding `had`, created (its first factor established) at
 * `session_created`. FACTOR_MFA is added when the session then holds two
 * different factors and the new one is independent of the old: a password
 * always is (a session cannot set it); a biometric key (`key` not NULL)
 * only if it was registered before the session was created, or from a
 * session that already held a biometric factor. A key registered with the
 * password session itself proves nothing the password did not.
 */
unsigned sessions_add_factors(unsigned had, unsigned adding, int64_t session_created,
                              const struct model_authenticator *key);

#endif
