/*
 * model.c - clearing and copying the entity structs of model.h.
 *
 * A `_clear` frees every member, wipes the secret ones first (client secret
 * hash, password hash, private key PEM, refresh token hash) and leaves the
 * struct zeroed so it can be reused. Clearing a zeroed struct is a no-op.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/error.h"
#include "common/secret.h"
#include "domain/model.h"

void model_app_clear(struct model_app *a)
{
	if (a == NULL)
		return;
	free(a->app_id);
	free(a->name);
	free(a->client_id);
	for (size_t i = 0; i < a->n_resources && i < MODEL_MAX_RESOURCES; i++)
		free(a->resources[i]);
	free(a->attestation_policy);
	OPENSSL_cleanse(a->client_secret_hash, sizeof(a->client_secret_hash));
	memset(a, 0, sizeof(*a));
}

void model_user_clear(struct model_user *u)
{
	if (u == NULL)
		return;
	free(u->user_id);
	free(u->username);
	secret_free(u->password_hash);
	free(u->email);
	free(u->phone_number);
	free(u->name);
	free(u->external_user_id);
	free(u->custom_data);
	memset(u, 0, sizeof(*u));
}

void model_authenticator_clear(struct model_authenticator *a)
{
	if (a == NULL)
		return;
	free(a->app_id);
	free(a->public_key_id);
	free(a->user_id);
	free(a->public_key_der);
	free(a->os);
	free(a->encryption_type);
	free(a->device_id);
	free(a->display_name);
	free(a->challenge);
	free(a->attestation);
	free(a->attestation_verdict);
	free(a->appattest_key);
	free(a->appattest_receipt);
	memset(a, 0, sizeof(*a));
}

void model_challenge_clear(struct model_challenge *c)
{
	if (c == NULL)
		return;
	free(c->challenge);
	free(c->app_id);
	free(c->user_id);
	free(c->device_id);
	free(c->approval_data);
	memset(c, 0, sizeof(*c));
}

void model_session_clear(struct model_session *s)
{
	if (s == NULL)
		return;
	free(s->session_id);
	free(s->app_id);
	free(s->user_id);
	free(s->org_id);
	free(s->client_attributes);
	memset(s, 0, sizeof(*s));
}

void model_refresh_clear(struct model_refresh *r)
{
	if (r == NULL)
		return;
	OPENSSL_cleanse(r->hash, sizeof(r->hash));
	free(r->session_id);
	memset(r, 0, sizeof(*r));
}

void model_signing_key_clear(struct model_signing_key *k)
{
	if (k == NULL)
		return;
	free(k->kid);
	free(k->alg);
	secret_free(k->private_pem);
	memset(k, 0, sizeof(*k));
}

void model_audit_clear(struct model_audit *e)
{
	if (e == NULL)
		return;
	free(e->event);
	free(e->outcome);
	free(e->reason);
	free(e->app_id);
	free(e->user_id);
	free(e->key_id);
	free(e->client_attributes);
	memset(e, 0, sizeof(*e));
}

/* Duplicates `src` into *dst (NULL stays NULL); returns false on NOMEM. */
static bool dup_str(char **dst, const char *src)
{
	*dst = NULL;
	if (src == NULL)
		return true;
	*dst = strdup(src);
	return *dst != NULL;
}

/*
 * Deep-copies an app. Returns BA_OK, or BA_ERR_NOMEM with *dst cleared.
 * BA_ERR_INVALID_REQUEST if src claims more than MODEL_MAX_RESOURCES.
 */
int model_app_copy(struct model_app *dst, const struct model_app *src)
{
	int r = BA_ERR_NOMEM;

	memset(dst, 0, sizeof(*dst));
	if (src->n_resources > MODEL_MAX_RESOURCES) {
		r = BA_ERR_INVALID_REQUEST;
		goto out;
	}
	if (!dup_str(&dst->app_id, src->app_id) || !dup_str(&dst->name, src->name) ||
	    !dup_str(&dst->client_id, src->client_id) ||
	    !dup_str(&dst->attestation_policy, src->attestation_policy))
		goto out;
	for (size_t i = 0; i < src->n_resources; i++) {
		dst->n_resources = i + 1;
		if (!dup_str(&dst->resources[i], src->resources[i]))
			goto out;
	}
	memcpy(dst->client_secret_hash, src->client_secret_hash, MODEL_HASH_LEN);
	dst->n_resources = src->n_resources;
	dst->access_ttl = src->access_ttl;
	dst->id_ttl = src->id_ttl;
	dst->refresh_ttl = src->refresh_ttl;
	dst->allow_client_challenges = src->allow_client_challenges;
	dst->require_biometric_to_enrol = src->require_biometric_to_enrol;
	dst->max_authenticators = src->max_authenticators;
	dst->max_challenges = src->max_challenges;
	dst->max_approval_data_bytes = src->max_approval_data_bytes;
	dst->refresh_reuse_interval = src->refresh_reuse_interval;
	dst->users_api = src->users_api;
	dst->created_at = src->created_at;
	r = BA_OK;
out:
	if (r != BA_OK)
		model_app_clear(dst);
	return r;
}

/* Deep-copies a session. Returns BA_OK, or BA_ERR_NOMEM with *dst cleared. */
int model_session_copy(struct model_session *dst, const struct model_session *src)
{
	int r = BA_ERR_NOMEM;

	memset(dst, 0, sizeof(*dst));
	if (!dup_str(&dst->session_id, src->session_id) ||
	    !dup_str(&dst->app_id, src->app_id) ||
	    !dup_str(&dst->user_id, src->user_id) ||
	    !dup_str(&dst->org_id, src->org_id) ||
	    !dup_str(&dst->client_attributes, src->client_attributes))
		goto out;
	dst->factors = src->factors;
	dst->created_at = src->created_at;
	dst->auth_time = src->auth_time;
	dst->expires_at = src->expires_at;
	dst->revoked = src->revoked;
	r = BA_OK;
out:
	if (r != BA_OK)
		model_session_clear(dst);
	return r;
}
