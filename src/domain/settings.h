/*
 * settings.h - facts about the deployment kept in the database.
 *
 * bioauthd records the issuer it serves as each time it starts, so that
 * bioauthctl, which reads the same database but not the server's options,
 * mints tokens the server accepts.
 */
#ifndef BIOAUTH_DOMAIN_SETTINGS_H
#define BIOAUTH_DOMAIN_SETTINGS_H

#include <stdint.h>

#include "store/store.h"

/* Records `issuer` as the serving issuer (replacing an earlier one), at
 * `now`; writes nothing when it is already the recorded one. Blocks until
 * written: for start-up. BA_OK or the store's error. */
int settings_record_issuer(struct store *store, const char *issuer, int64_t now);

/* The issuer bioauthd last started with, in *out (free it).
 * BA_ERR_NOT_FOUND when no bioauthd has started on this database. */
int settings_served_issuer(struct store *store, char **out);

#endif
