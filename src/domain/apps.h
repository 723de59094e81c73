/*
 * apps.h - registered applications (OAuth clients): creation, client-secret
 * rotation, client authentication and resource (audience) checks.
 *
 * Writes come as "prepare" functions: they validate, generate identifiers and
 * secrets, and fill a `struct store_write` that the caller submits
 * (req_submit() in handlers, store_write_sync() in bioauthctl). The write
 * then owns heap memory; release it with apps_write_clear() after the write
 * is done (or was never submitted).
 */
#ifndef BIOAUTH_DOMAIN_APPS_H
#define BIOAUTH_DOMAIN_APPS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/config.h"
#include "domain/model.h"
#include "store/store.h"

#define APPS_NAME_MAX 128           /* bytes */
#define APPS_RESOURCE_MAX 512       /* bytes per resource URI */
#define APPS_CLIENT_ID_MAX 256      /* longer client_ids are never looked up */
#define APPS_SECRET_MAX 512         /* longer secrets never authenticate */
#define APPS_CLIENT_CHALLENGE_MAX 1024 /* bytes of a client-made challenge */
/* Defaults of an app's quotas on its outstanding /start challenges (and of
 * the apps a database had before them, migration 5): generous, so that only
 * a flood reaches them. */
#define APPS_DEFAULT_MAX_CHALLENGES 1000000
#define APPS_DEFAULT_MAX_APPROVAL_DATA_BYTES 268435456   /* 256 MiB */
#define APPS_REFRESH_REUSE_MAX 300  /* seconds; longer defeats reuse detection */

/*
 * Prepares SW_APP_CREATE for a new app named `name` (printable UTF-8,
 * 1..128 bytes) with `n` resource URIs (absolute, no fragment, <=512 bytes
 * each, at most MODEL_MAX_RESOURCES, no duplicates; the first is the default
 * audience; n may be 0). Generates app_id "app_" + 16 random bytes
 * (base64url), a random client_id and a 32-byte client secret, of which only
 * the SHA-256 goes into the write. Defaults: max_authenticators from cfg,
 * allow_client_challenges true, token lifetimes 0 (server default), the
 * APPS_DEFAULT_* challenge quotas, refresh_reuse_interval 0, every Users
 * API call allowed, created_at now.
 * On BA_OK `w` is filled (clear it with apps_write_clear()) and
 * *client_secret_out receives the malloc'd plaintext secret, to be shown once
 * and freed with secret_free() (common/secret.h).
 * Errors: BA_ERR_INVALID_REQUEST (bad name or resources), BA_ERR_NOMEM,
 * BA_ERR_INTERNAL; `w` is then zeroed and *client_secret_out NULL.
 */
int apps_prepare_create(const char *name, const char *const *resources,
                        size_t n, const struct config *cfg,
                        struct store_write *w, char **client_secret_out);

/* Prepares SW_APP_SET_SECRET: a new random client secret for `app_id`
 * (borrowed: it must outlive the write). *secret_out as for create.
 * BA_ERR_INVALID_REQUEST when app_id is NULL or empty. The store answers
 * BA_ERR_NOT_FOUND for an unknown app. */
int apps_prepare_rotate_secret(const char *app_id, struct store_write *w,
                               char **secret_out);

/* Prepares SW_APP_SET_MIN_CHALLENGE: the shortest client-made challenge
 * the app `app_id` (borrowed) accepts, 1..APPS_CLIENT_CHALLENGE_MAX bytes
 * (else BA_ERR_INVALID_REQUEST). The store answers BA_ERR_NOT_FOUND for an
 * unknown app. */
int apps_prepare_set_min_challenge(const char *app_id, int bytes, struct store_write *w);

/* Prepares SW_APP_SET_LIMITS from `app` (read from the store, then changed
 * by the caller; borrowed: it must outlive the write). BA_ERR_INVALID_REQUEST
 * when a value is out of range (max_challenges < 1, a negative byte quota,
 * a reuse interval outside 0..APPS_REFRESH_REUSE_MAX). */
int apps_prepare_set_limits(const struct model_app *app, struct store_write *w);

/* The shortest client-made challenge `app` accepts (1 unless set). */
int apps_client_challenge_floor(const struct model_app *app);

/* Prepares SW_APP_DELETE for `app_id` (borrowed). BA_ERR_INVALID_REQUEST
 * when app_id is NULL or empty. */
int apps_prepare_delete(const char *app_id, struct store_write *w);

/* Releases what an apps_prepare_* function put into `w` and zeroes it.
 * Safe on a zeroed write. */
void apps_write_clear(struct store_write *w);


/*
 * Authenticates an OAuth client. Looks the app up by `client_id` and
 * compares SHA-256(`secret`) with the stored hash in constant time. An
 * unknown client, a wrong, missing or over-long secret all give
 * BA_ERR_INVALID_CLIENT, and the secret is hashed and compared in every case
 * so that the only timing difference is the lookup itself.
 * BA_ERR_STORE_UNAVAILABLE and other store errors pass through.
 * On BA_OK *out holds the app (clear it with model_app_clear()); otherwise
 * *out is zeroed.
 */
int apps_authenticate(struct store *store, const char *client_id,
                      const char *secret, struct model_app *out);

/* True when `resource` is exactly one of the app's resources. */
bool apps_resource_allowed(const struct model_app *app, const char *resource);

/* The app's default audience (its first resource), or NULL when it has
 * none. Borrowed from `app`. */
const char *apps_default_resource(const struct model_app *app);

#endif
