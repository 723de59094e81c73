/*
 * maintenance.h - bioauthd's housekeeping thread: purges expired challenges,
 * refresh tokens, sessions, revoked token ids and signing keys that can no
 * longer verify a live token.
 */
#ifndef BIOAUTH_SERVER_MAINTENANCE_H
#define BIOAUTH_SERVER_MAINTENANCE_H

#include "common/config.h"
#include "domain/keyring.h"
#include "store/store.h"

struct maintenance;

/* Starts the thread (first purge a minute after start, then every ten
 * minutes); `keys` (which seals rotated keys) must outlive it. BA_OK or
 * BA_ERR_INTERNAL. */
int maintenance_start(struct store *s, const struct config *cfg, struct keyring *keys,
                      struct maintenance **out);
/* Wakes and joins the thread. NULL is fine. */
void maintenance_stop(struct maintenance *m);

#endif
