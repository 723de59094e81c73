/*
 * challenges.h - the rules of a /start challenge.
 *
 * A challenge issued by /start may be signed once, by the user and app it
 * was issued to (and the device, when it was issued for one), before it
 * expires. The authenticate handler asks before it verifies a signature;
 * the store's SW_LOGIN asks again inside the transaction that consumes the
 * challenge, so both decide by this one rule.
 */
#ifndef BIOAUTH_DOMAIN_CHALLENGES_H
#define BIOAUTH_DOMAIN_CHALLENGES_H

#include <stdint.h>

#include "domain/model.h"

/*
 * Whether challenge `c` may be used now by (app_id, user_id) with a key of
 * device `device_id` (NULL: a key registered without device_id). A challenge
 * without device_id fits every key; one bound to a device needs a key with
 * exactly that device_id. Returns BA_OK, or, checked in this order:
 * BA_ERR_INVALID_CHALLENGE (another app, user or device),
 * BA_ERR_CHALLENGE_REUSED (already consumed),
 * BA_ERR_CHALLENGE_EXPIRED (expires_at <= now).
 * *why (when not NULL) receives a static message for the refusal, or NULL.
 */
int challenges_usable(const struct model_challenge *c, const char *app_id, const char *user_id,
                      const char *device_id, int64_t now, const char **why);

#endif
