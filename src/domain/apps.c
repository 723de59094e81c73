/*
 * apps.c - registered applications: creation, secret rotation, client
 * authentication and resource checks.
 *
 * A client secret is 32 random bytes, shown once as base64url and stored only
 * as its SHA-256 (a high-entropy secret needs no slow hash). Authentication
 * hashes the presented secret and compares digests with CRYPTO_memcmp
 * (digest_equal), never the strings.
 */
#include "domain/apps.h"

#include <openssl/crypto.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "common/secret.h"
#include "crypto/digest.h"
#include "crypto/rand.h"
#include "domain/validate.h"

#define APP_ID_BYTES 16
#define CLIENT_ID_BYTES 16
#define SECRET_BYTES 32

void
apps_write_clear(struct store_write *w)
{
	if (w == NULL)
		return;
	if (w->kind == SW_APP_CREATE)
		model_app_clear(&w->in.app);
	OPENSSL_cleanse(w, sizeof(*w));   /* also the secret hash; zeroes w */
}

/* Makes a new secret: *secret receives the malloc'd base64url text, hash its
 * SHA-256. */
static int
new_secret(char **secret, uint8_t hash[MODEL_HASH_LEN])
{
	int r;

	*secret = NULL;
	if ((r = rand_token(NULL, SECRET_BYTES, secret)) != BA_OK)
		return r;
	sha256(*secret, strlen(*secret), hash);
	return BA_OK;
}

/* Checks the resource list of a new app: count, each an absolute URI of
 * bounded length, no duplicates. */
static bool
valid_resources(const char *const *resources, size_t n)
{
	size_t i, j;

	if (n > MODEL_MAX_RESOURCES || (n > 0 && resources == NULL))
		return false;
	for (i = 0; i < n; i++) {
		if (!validate_absolute_uri(resources[i], APPS_RESOURCE_MAX))
			return false;
		for (j = 0; j < i; j++)
			if (strcmp(resources[i], resources[j]) == 0)
				return false;
	}
	return true;
}

int
apps_prepare_create(const char *name, const char *const *resources, size_t n,
                    const struct config *cfg, struct store_write *w,
                    char **client_secret_out)
{
	struct model_app *a;
	char *secret = NULL;
	size_t i;
	int r = BA_ERR_INTERNAL;

	if (w == NULL || client_secret_out == NULL || cfg == NULL)
		return BA_ERR_INTERNAL;
	memset(w, 0, sizeof(*w));
	*client_secret_out = NULL;
	if (!validate_text(name, APPS_NAME_MAX) ||
	    !valid_resources(resources, n)) {
		r = BA_ERR_INVALID_REQUEST;
		goto out;
	}
	w->kind = SW_APP_CREATE;
	a = &w->in.app;
	if ((r = rand_token("app_", APP_ID_BYTES, &a->app_id)) != BA_OK ||
	    (r = rand_token(NULL, CLIENT_ID_BYTES, &a->client_id)) != BA_OK)
		goto out;
	if ((a->name = strdup(name)) == NULL) {
		r = BA_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < n; i++) {
		if ((a->resources[i] = strdup(resources[i])) == NULL) {
			r = BA_ERR_NOMEM;
			goto out;
		}
		a->n_resources = i + 1;
	}
	if ((r = new_secret(&secret, a->client_secret_hash)) != BA_OK)
		goto out;
	a->access_ttl = 0;
	a->id_ttl = 0;
	a->refresh_ttl = 0;
	a->allow_client_challenges = true;
	a->max_authenticators = cfg->max_authenticators;
	a->min_client_challenge_bytes = 1;
	a->max_challenges = APPS_DEFAULT_MAX_CHALLENGES;
	a->max_approval_data_bytes = APPS_DEFAULT_MAX_APPROVAL_DATA_BYTES;
	a->refresh_reuse_interval = 0;
	a->users_api = USERS_API_ALL;
	a->created_at = (int64_t)time(NULL);
	*client_secret_out = secret;
	secret = NULL;
	r = BA_OK;
out:
	if (r != BA_OK)
		apps_write_clear(w);
	secret_free(secret);
	return r;
}

int
apps_prepare_rotate_secret(const char *app_id, struct store_write *w,
                           char **secret_out)
{
	int r;

	if (w == NULL || secret_out == NULL)
		return BA_ERR_INTERNAL;
	memset(w, 0, sizeof(*w));
	*secret_out = NULL;
	if (app_id == NULL || app_id[0] == '\0')
		return BA_ERR_INVALID_REQUEST;
	w->kind = SW_APP_SET_SECRET;
	w->in.app_secret.app_id = app_id;
	if ((r = new_secret(secret_out, w->in.app_secret.secret_hash)) != BA_OK)
		apps_write_clear(w);
	return r;
}

int
apps_prepare_set_min_challenge(const char *app_id, int bytes, struct store_write *w)
{
	if (w == NULL)
		return BA_ERR_INTERNAL;
	memset(w, 0, sizeof(*w));
	if (app_id == NULL || app_id[0] == '\0' || bytes < 1 || bytes > APPS_CLIENT_CHALLENGE_MAX)
		return BA_ERR_INVALID_REQUEST;
	w->kind = SW_APP_SET_MIN_CHALLENGE;
	w->in.app_min_challenge.app_id = app_id;
	w->in.app_min_challenge.bytes = bytes;
	return BA_OK;
}

int
apps_prepare_set_limits(const struct model_app *app, struct store_write *w)
{
	if (w == NULL || app == NULL)
		return BA_ERR_INTERNAL;
	memset(w, 0, sizeof(*w));
	if (app->app_id == NULL || app->app_id[0] == '\0' || app->max_challenges < 1 ||
	    app->max_approval_data_bytes < 0 || app->refresh_reuse_interval < 0 ||
	    app->refresh_reuse_interval > APPS_REFRESH_REUSE_MAX ||
	    (app->users_api & ~(unsigned)USERS_API_ALL) != 0)
		return BA_ERR_INVALID_REQUEST;
	w->kind = SW_APP_SET_LIMITS;
	w->in.app = *app;   /* shallow: apps_write_clear() must not free it */
	return BA_OK;
}

int
apps_client_challenge_floor(const struct model_app *app)
{
	return app->min_client_challenge_bytes > 0 ? app->min_client_challenge_bytes : 1;
}

int
apps_prepare_delete(const char *app_id, struct store_write *w)
{
	if (w == NULL)
		return BA_ERR_INTERNAL;
	memset(w, 0, sizeof(*w));
	if (app_id == NULL || app_id[0] == '\0')
		return BA_ERR_INVALID_REQUEST;
	w->kind = SW_APP_DELETE;
	w->in.app_id = app_id;
	return BA_OK;
}

int
apps_authenticate(struct store *store, const char *client_id,
                  const char *secret, struct model_app *out)
{
	static const uint8_t no_hash[MODEL_HASH_LEN];
	uint8_t presented[MODEL_HASH_LEN];
	const uint8_t *expected = no_hash;
	bool found = false, secret_ok = true;
	size_t len;
	int r = BA_ERR_INTERNAL;

	memset(out, 0, sizeof(*out));
	if (client_id == NULL || client_id[0] == '\0' ||
	    strnlen(client_id, APPS_CLIENT_ID_MAX + 1) > APPS_CLIENT_ID_MAX) {
		secret_ok = false;  /* no such client can exist: skip lookup */
	} else {
		r = store_app_get_by_client_id(store, client_id, out);
		if (r == BA_OK) {
			found = true;
			expected = out->client_secret_hash;
		} else if (r != BA_ERR_NOT_FOUND) {
			goto out;
		}
	}
	/* Hash and compare whatever happened above. */
	if (secret == NULL) {
		secret = "";
		secret_ok = false;
	}
	len = strnlen(secret, APPS_SECRET_MAX + 1);
	if (len == 0 || len > APPS_SECRET_MAX) {
		secret_ok = false;
		if (len > APPS_SECRET_MAX)
			len = APPS_SECRET_MAX;
	}
	sha256(secret, len, presented);
	if (digest_equal(presented, expected) && found && secret_ok)
		r = BA_OK;
	else
		r = BA_ERR_INVALID_CLIENT;
out:
	OPENSSL_cleanse(presented, sizeof(presented));
	if (r != BA_OK)
		model_app_clear(out);
	return r;
}

bool
apps_resource_allowed(const struct model_app *app, const char *resource)
{
	size_t i;

	if (app == NULL || resource == NULL)
		return false;
	for (i = 0; i < app->n_resources && i < MODEL_MAX_RESOURCES; i++)
		if (app->resources[i] != NULL &&
		    strcmp(app->resources[i], resource) == 0)
			return true;
	return false;
}

const char *
apps_default_resource(const struct model_app *app)
{
	if (app == NULL || app->n_resources == 0)
		return NULL;
	return app->resources[0];
}
