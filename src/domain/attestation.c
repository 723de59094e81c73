/*
 * attestation.c - an app's attestation policy, the server-wide anchors and
 * revocation list, and the verdict a registration stores (see
 * attestation.h).
 */
#include "domain/attestation.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>


#include "common/error.h"
#include "common/file.h"
#include "common/log.h"

/* Largest anchors or status-list file read, in bytes. */
#define MAX_FILE (8u * 1024u * 1024u)
#define MAX_APP_ID 255

/* --------------------------------------------------------------- policy */

static const char *const mode_names[] = {
	[ATTEST_MODE_OPTIONAL] = "optional",
	[ATTEST_MODE_NONE] = "none",
	[ATTEST_MODE_REQUIRED] = "required",
};

void
attestation_policy_clear(struct attestation_policy *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < ATTESTATION_MAX_APP_IDS; i++) {
		free(p->android[i]);
		free(p->apple[i]);
	}
	memset(p, 0, sizeof(*p));
}

/* Copies the strings of JSON array `arr` into dst[] (at most
 * ATTESTATION_MAX_APP_IDS, each 1..MAX_APP_ID bytes, Android ones of the
 * form PACKAGE:DIGEST). */
static int
take_ids(json_t *arr, bool android, char **dst, size_t *n)
{
	json_t *v;
	size_t i;

	if (!json_is_array(arr) || json_array_size(arr) > ATTESTATION_MAX_APP_IDS)
		return BA_ERR_INVALID_REQUEST;
	json_array_foreach(arr, i, v) {
		const char *s = json_string_value(v);
		size_t len = s != NULL ? strlen(s) : 0;
		const char *colon = s != NULL ? strchr(s, ':') : NULL;

		if (len == 0 || len > MAX_APP_ID)
			return BA_ERR_INVALID_REQUEST;
		if (android && (colon == NULL || colon == s || colon[1] == '\0'))
			return BA_ERR_INVALID_REQUEST;
		if (!android && strchr(s, '.') == NULL)
			return BA_ERR_INVALID_REQUEST;
		if ((dst[i] = strdup(s)) == NULL)
			return BA_ERR_NOMEM;
		*n = i + 1;
	}
	return BA_OK;
}

/* Index of `s` in names[0..n), or -1. */
static int
name_index(const char *s, const char *const *names, size_t n)
{
	for (size_t i = 0; s != NULL && i < n; i++)
		if (names[i] != NULL && strcmp(s, names[i]) == 0)
			return (int)i;
	return -1;
}

static int
take_member(struct attestation_policy *p, const char *key, json_t *v)
{
	static const char *const envs[] = { "production", "development" };
	static const char *const levels[] = { "tee", "strongbox" };
	int i;

	if (strcmp(key, "mode") == 0) {
		if ((i = name_index(json_string_value(v), mode_names, 3)) < 0)
			return BA_ERR_INVALID_REQUEST;
		p->mode = (enum attest_mode)i;
	} else if (strcmp(key, "min_security_level") == 0) {
		if ((i = name_index(json_string_value(v), levels, 2)) < 0)
			return BA_ERR_INVALID_REQUEST;
		p->p.min_security_level = i == 0 ? ATTEST_LEVEL_TEE : ATTEST_LEVEL_STRONGBOX;
	} else if (strcmp(key, "apple_environment") == 0) {
		if ((i = name_index(json_string_value(v), envs, 2)) < 0)
			return BA_ERR_INVALID_REQUEST;
		p->p.apple_environment = i == 0 ? ATTEST_ENV_PRODUCTION : ATTEST_ENV_DEVELOPMENT;
	} else if (strcmp(key, "require_user_auth") == 0 && json_is_boolean(v)) {
		p->p.require_user_auth = json_is_true(v);
	} else if (strcmp(key, "require_biometric") == 0 && json_is_boolean(v)) {
		p->p.require_biometric = json_is_true(v);
	} else if (strcmp(key, "require_verified_boot") == 0 && json_is_boolean(v)) {
		p->p.require_verified_boot = json_is_true(v);
	} else if (strcmp(key, "android_apps") == 0) {
		return take_ids(v, true, p->android, &p->p.n_android_apps);
	} else if (strcmp(key, "apple_app_ids") == 0) {
		return take_ids(v, false, p->apple, &p->p.n_apple_app_ids);
	} else {
		return BA_ERR_INVALID_REQUEST;
	}
	return BA_OK;
}

int
attestation_policy_parse(const char *json, struct attestation_policy *out)
{
	json_t *root = NULL, *v;
	const char *key;
	int rc = BA_OK;

	memset(out, 0, sizeof(*out));
	out->p.min_security_level = ATTEST_LEVEL_TEE;
	out->p.android_apps = (const char *const *)out->android;
	out->p.apple_app_ids = (const char *const *)out->apple;
	if (json == NULL)
		return BA_OK;
	if ((root = json_loads(json, JSON_REJECT_DUPLICATES, NULL)) == NULL ||
	    !json_is_object(root)) {
		rc = BA_ERR_INVALID_REQUEST;
		goto out;
	}
	json_object_foreach(root, key, v)
		if ((rc = take_member(out, key, v)) != BA_OK)
			break;
out:
	json_decref(root);
	return rc;
}

static json_t *
ids_json(char *const *ids, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < n; i++)
		if (json_array_append_new(a, json_string(ids[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

int
attestation_policy_json(const struct attestation_policy *p, char **out)
{
	json_t *o;

	*out = NULL;
	o = json_pack("{s:s, s:s, s:b, s:b, s:b, s:o, s:o, s:s}",
	    "mode", mode_names[p->mode <= ATTEST_MODE_REQUIRED ? p->mode : 0],
	    "min_security_level",
	    p->p.min_security_level == ATTEST_LEVEL_STRONGBOX ? "strongbox" : "tee",
	    "require_user_auth", p->p.require_user_auth,
	    "require_biometric", p->p.require_biometric,
	    "require_verified_boot", p->p.require_verified_boot,
	    "android_apps", ids_json(p->android, p->p.n_android_apps),
	    "apple_app_ids", ids_json(p->apple, p->p.n_apple_app_ids),
	    "apple_environment",
	    p->p.apple_environment == ATTEST_ENV_DEVELOPMENT ? "development" : "production");
	if (o == NULL)
		return BA_ERR_NOMEM;
	*out = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return *out != NULL ? BA_OK : BA_ERR_NOMEM;
}

/* ---------------------------------------------------- server-wide state */

struct attestation_ctx {
	struct attest_anchors *anchors;      /* NULL = built-in */
	char *revocation_path;               /* NULL = none configured */
	int64_t revocation_max_age;          /* seconds; 0 = any age */
	/* Verifications read the list under list_lock (shared); a reload,
	 * one at a time under reload_lock, swaps it under list_lock
	 * (exclusive), so verifications run in parallel and never see a
	 * freed list. */
	pthread_mutex_t reload_lock;         /* guards mtime and size */
	pthread_rwlock_t list_lock;          /* guards revocation, loaded_mtime */
	struct attest_revocation *revocation;
	struct timespec revocation_mtime;    /* of the file last read */
	off_t revocation_size;
	time_t loaded_mtime;                 /* of the list in use */
};

/* Rereads the revocation list when its file changed since the last read.
 * A file that vanished or no longer parses keeps the previous list (with a
 * log line). Nothing to do without --attestation-revocation-list. */
static void
revocation_refresh(struct attestation_ctx *a)
{
	struct attest_revocation *r = NULL, *old;
	struct stat st;
	char *text = NULL;
	size_t len = 0;

	if (a->revocation_path == NULL)
		return;
	pthread_mutex_lock(&a->reload_lock);
	if (stat(a->revocation_path, &st) != 0 ||
	    (st.st_mtim.tv_sec == a->revocation_mtime.tv_sec &&
	     st.st_mtim.tv_nsec == a->revocation_mtime.tv_nsec &&
	     st.st_size == a->revocation_size))
		goto out;
	/* tried once per change of the file, whatever comes of it */
	a->revocation_mtime = st.st_mtim;
	a->revocation_size = st.st_size;
	if (file_read_all(a->revocation_path, MAX_FILE, &text, &len) != BA_OK ||
	    attest_revocation_from_json(text, len, &r) != BA_OK) {
		log_write(LOG_WARN, "attestation revocation list not reloaded",
		          "file", a->revocation_path, NULL);
		goto out;
	}
	pthread_rwlock_wrlock(&a->list_lock);
	old = a->revocation;
	a->revocation = r;
	a->loaded_mtime = st.st_mtim.tv_sec;
	pthread_rwlock_unlock(&a->list_lock);
	attest_revocation_free(old);
out:
	pthread_mutex_unlock(&a->reload_lock);
	free(text);
}

int
attestation_ctx_open(const struct config *cfg, struct attestation_ctx **out)
{
	struct attestation_ctx *a = calloc(1, sizeof(*a));
	char *text = NULL;
	size_t len = 0;
	int rc = BA_ERR_NOMEM;

	*out = NULL;
	if (a == NULL)
		return BA_ERR_NOMEM;
	if (pthread_mutex_init(&a->reload_lock, NULL) != 0) {
		free(a);
		return BA_ERR_NOMEM;
	}
	if (pthread_rwlock_init(&a->list_lock, NULL) != 0) {
		pthread_mutex_destroy(&a->reload_lock);
		free(a);
		return BA_ERR_NOMEM;
	}
	a->revocation_max_age = cfg->attestation_revocation_max_age;
	if (cfg->attestation_trust_anchors != NULL) {
		rc = file_read_all(cfg->attestation_trust_anchors, MAX_FILE, &text, &len);
		if (rc == BA_OK)
			rc = attest_anchors_from_pem(text, len, &a->anchors);
		if (rc == BA_ERR_IO)
			rc = BA_ERR_CONFIG;
		if (rc != BA_OK) {
			log_write(LOG_ERROR, "attestation trust anchors: no readable PEM certificate",
			          "file", cfg->attestation_trust_anchors, NULL);
			goto out;
		}
	}
	if (cfg->attestation_revocation_list != NULL) {
		if ((a->revocation_path = strdup(cfg->attestation_revocation_list)) == NULL) {
			rc = BA_ERR_NOMEM;
			goto out;
		}
		rc = BA_ERR_CONFIG;
		revocation_refresh(a);
		if (a->revocation == NULL) {
			log_write(LOG_ERROR, "attestation revocation list: not a status list",
			          "file", a->revocation_path, NULL);
			goto out;
		}
	}
	rc = BA_OK;
	*out = a;
	a = NULL;
out:
	free(text);
	attestation_ctx_free(a);
	return rc;
}

void
attestation_ctx_free(struct attestation_ctx *a)
{
	if (a == NULL)
		return;
	attest_anchors_free(a->anchors);
	attest_revocation_free(a->revocation);
	free(a->revocation_path);
	pthread_rwlock_destroy(&a->list_lock);
	pthread_mutex_destroy(&a->reload_lock);
	free(a);
}

/* ------------------------------------------------------- registration */

void
attestation_result_clear(struct attestation_result *res)
{
	if (res == NULL)
		return;
	free(res->receipt);
	memset(res, 0, sizeof(*res));
}

/* Verifies under the server-wide anchors and the revocation list as it is
 * now (reread first when its file changed). */
static void
evaluate_with_list(struct attestation_ctx *a, const struct attestation_policy *policy,
                   const char *encoded, struct attest_input *in, time_t now,
                   struct attestation_result *res)
{
	bool stale;

	in->android_anchors = a->anchors;
	in->apple_anchors = a->anchors;
	revocation_refresh(a);
	pthread_rwlock_rdlock(&a->list_lock);
	in->revocation = a->revocation;
	stale = a->revocation_max_age > 0 &&
	        (int64_t)now - (int64_t)a->loaded_mtime > a->revocation_max_age;
	res->reason = attest_evaluate(policy->mode, encoded, strlen(encoded), in, &policy->p,
	                              &res->v, &res->status);
	pthread_rwlock_unlock(&a->list_lock);
	if (res->reason == ATTEST_OK && stale && policy->mode == ATTEST_MODE_REQUIRED) {
		/* Fail closed: a list that stopped being refreshed may miss a
		 * revocation. */
		res->reason = ATTEST_REVOKED;
		res->v.reason = ATTEST_REVOKED;
		snprintf(res->v.facts.detail, sizeof(res->v.facts.detail),
		         "revocation list older than %lld seconds", (long long)a->revocation_max_age);
	}
}

int
attestation_register(struct attestation_ctx *a, const struct attestation_policy *policy,
                     const char *encoded, const char *challenge,
                     const uint8_t *spki, size_t spki_len, time_t now,
                     struct attestation_result *res)
{
	struct attest_input in;

	memset(res, 0, sizeof(*res));
	memset(&in, 0, sizeof(in));
	in.at = now;
	in.challenge = (const uint8_t *)(challenge != NULL ? challenge : "");
	in.challenge_len = challenge != NULL ? strlen(challenge) : 0;
	in.public_key = spki;
	in.public_key_len = spki_len;
	if (a != NULL && encoded != NULL && encoded[0] != '\0' && policy->mode != ATTEST_MODE_NONE)
		evaluate_with_list(a, policy, encoded, &in, now, res);
	else   /* nothing to verify, or no server-wide settings: built-in roots */
		res->reason = attest_evaluate(policy->mode, encoded,
		                              encoded != NULL ? strlen(encoded) : 0, &in,
		                              &policy->p, &res->v, &res->status);
	if (res->reason == ATTEST_INTERNAL)
		return BA_ERR_INTERNAL;
	if (res->reason == ATTEST_OK && res->status == ATTEST_STATUS_VERIFIED &&
	    res->v.facts.format == ATTEST_FORMAT_APPLE_APPATTEST) {
		struct attest_payload p;
		enum attest_reason r = attest_payload_parse(encoded, strlen(encoded), &p);

		if (r == ATTEST_OK)
			r = attest_apple_receipt(p.attestation, p.attestation_len,
			                         &res->receipt, &res->receipt_len);
		attest_payload_clear(&p);
		if (r == ATTEST_INTERNAL)
			return BA_ERR_NOMEM;
		/* no receipt (ATTEST_MALFORMED): nothing to keep */
	}
	return BA_OK;
}

/*
 * Whether verified evidence `f` proves the registered key itself lives in
 * secure hardware (RFC 8176 `hwk`): an Android Keystore chain certifies the
 * registered key at TEE or StrongBox level. App Attest certifies the app's
 * own App Attest key, in the Secure Enclave, and ties the registered key to
 * that app instance, but says nothing of where the registered key lives (an
 * RSA key cannot be in the Secure Enclave at all): no `hwk` for it.
 */
static bool
proves_hardware_key(const struct attest_facts *f)
{
	return f->format == ATTEST_FORMAT_ANDROID_KEY &&
	       (f->security_level == ATTEST_LEVEL_TEE ||
	        f->security_level == ATTEST_LEVEL_STRONGBOX);
}

int
attestation_record(struct attestation_result *res, struct model_authenticator *a)
{
	const struct attest_facts *f = &res->v.facts;
	bool verified = res->status == ATTEST_STATUS_VERIFIED;
	json_t *o;

	o = json_pack("{s:s}", "status", attest_status_name(res->status));
	if (o == NULL)
		return BA_ERR_NOMEM;
	if (verified &&
	    (json_object_set_new(o, "format", json_string(attest_format_name(f->format))) != 0 ||
	     json_object_set_new(o, "security_level",
	                         json_string(attest_level_name(f->security_level))) != 0 ||
	     json_object_set_new(o, "user_auth_required", json_boolean(f->user_auth_required)) != 0 ||
	     json_object_set_new(o, "biometric", json_boolean(f->biometric)) != 0 ||
	     json_object_set_new(o, "verified_boot", json_boolean(f->verified_boot)) != 0 ||
	     (f->app_id[0] != '\0' &&
	      json_object_set_new(o, "app_id", json_string(f->app_id)) != 0))) {
		json_decref(o);
		return BA_ERR_NOMEM;
	}
	a->attestation_verdict = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (a->attestation_verdict == NULL)
		return BA_ERR_NOMEM;
	a->hwk = verified && proves_hardware_key(f);
	if (verified && f->format == ATTEST_FORMAT_APPLE_APPATTEST) {
		if ((a->appattest_key = malloc(sizeof(f->app_attest_key))) == NULL)
			return BA_ERR_NOMEM;
		memcpy(a->appattest_key, f->app_attest_key, sizeof(f->app_attest_key));
		a->appattest_key_len = sizeof(f->app_attest_key);
		a->appattest_counter = f->assertion_counter;
		a->appattest_receipt = res->receipt;
		a->appattest_receipt_len = res->receipt_len;
		res->receipt = NULL;
		res->receipt_len = 0;
	}
	return BA_OK;
}

json_t *
attestation_verdict_view(const char *stored)
{
	json_t *o;

	if (stored != NULL && (o = json_loads(stored, 0, NULL)) != NULL) {
		if (json_is_object(o))
			return o;
		json_decref(o);
	}
	return json_pack("{s:s}", "status", attest_status_name(ATTEST_STATUS_UNATTESTED));
}
