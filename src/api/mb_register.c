/*
 * mb_register.c - registering, listing and deleting mobile-biometrics keys.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "api/caller.h"
#include "api/ctx.h"
#include "api/input.h"
#include "api/mobile_biometrics.h"
#include "common/error.h"
#include "crypto/digest.h"
#include "crypto/encoding.h"
#include "crypto/pubkey.h"
#include "domain/attestation.h"
#include "edge/errmap.h"

#define MAX_KEY_TEXT 16384
#define MAX_ID 256
#define MAX_ATTESTATION 16384

json_t *
api_authenticator_json(const struct model_authenticator *a)
{
	char *pk = NULL, created[32], used[32];
	json_t *o;

	if (b64_encode(a->public_key_der, a->public_key_der_len, &pk) != BA_OK)
		return NULL;
	o = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s, s:s, s:s?, s:b, s:o}",
	              "publicKeyId", a->public_key_id, "user_id", a->user_id,
	              "keyType", a->key_type == KEY_TYPE_RSA ? "rsa" : "ec",
	              "os", a->os, "encryptionType", a->encryption_type,
	              "device_id", a->device_id, "displayName", a->display_name,
	              "publicKey", pk, "created_at", api_time(a->created_at, created),
	              "last_used_at", a->last_used_at > 0 ? api_time(a->last_used_at, used) : NULL,
	              "locked", a->locked_until > (int64_t)time(NULL),
	              "attestation", attestation_verdict_view(a->attestation_verdict));
	free(pk);
	return o;
}

struct register_in {
	const char *public_key;
	const char *public_key_id;
	const char *os;
	const char *encryption_type;
	const char *challenge;
	const char *attestation;
	const char *device_id;
	const char *display_name;
};

struct register_state {
	struct caller caller;
	struct store_write w;
	struct model_audit audit;
	/* key attestation, verified off the HTTP workers (attest_job) */
	struct attestation_ctx *attest;
	struct attestation_policy policy;
	struct attestation_result result;
	uint8_t challenge_hash[MODEL_HASH_LEN];
	time_t now;
	char reason[64];         /* audit reason of a refusal */
};

static void
register_state_free(void *p)
{
	struct register_state *st = p;

	caller_clear(&st->caller);
	attestation_policy_clear(&st->policy);
	attestation_result_clear(&st->result);
	/* the app and user ids are borrowed from the caller */
	st->w.in.authenticator.a.app_id = NULL;
	st->w.in.authenticator.a.user_id = NULL;
	model_authenticator_clear(&st->w.in.authenticator.a);
	free(st);
}

static void
register_done(struct req *r, struct store_write *w, int rc)
{
	json_t *body;

	if (rc == BA_ERR_CONFLICT) {
		req_reply_error(r, rc, "publicKeyId is already registered in this app");
		return;
	}
	if (rc == BA_ERR_MAX_AUTHENTICATORS) {
		req_reply_error(r, rc, "the user has the most authenticators this app allows");
		return;
	}
	if (rc != BA_OK) {
		req_reply_error(r, rc, NULL);
		return;
	}
	if ((body = api_authenticator_json(&w->in.authenticator.a)) == NULL)
		req_reply_error(r, BA_ERR_NOMEM, NULL);
	else
		req_reply_json(r, 200, body);
}

/* "ec" / "rsa" (any case) -> KEY_TYPE_*; absent -> 0 (any). -1 if unknown. */
static int
expected_key_type(const char *encryption_type)
{
	if (encryption_type == NULL)
		return 0;
	if (strcasecmp(encryption_type, "ec") == 0 || strcasecmp(encryption_type, "ecdsa") == 0)
		return KEY_TYPE_EC;
	if (strcasecmp(encryption_type, "rsa") == 0)
		return KEY_TYPE_RSA;
	return -1;
}

static int
dup_opt(const char *s, char **out)
{
	*out = NULL;
	if (s == NULL)
		return BA_OK;
	return (*out = strdup(s)) != NULL ? BA_OK : BA_ERR_NOMEM;
}

/* Copies the request into the stored authenticator. */
static int
fill_authenticator(struct register_state *st, const struct register_in *in,
                   struct pubkey *pk, int64_t now)
{
	struct model_authenticator *a = &st->w.in.authenticator.a;
	int rc;

	a->app_id = st->caller.app.app_id;
	a->user_id = st->caller.token.sub;
	a->key_type = pk->key_type;
	a->public_key_der = pk->der;
	a->public_key_der_len = pk->der_len;
	pk->der = NULL;
	a->created_at = now;
	if ((rc = dup_opt(in->public_key_id, &a->public_key_id)) != BA_OK ||
	    (rc = dup_opt(in->os, &a->os)) != BA_OK ||
	    (rc = dup_opt(in->encryption_type, &a->encryption_type)) != BA_OK ||
	    (rc = dup_opt(in->device_id, &a->device_id)) != BA_OK ||
	    (rc = dup_opt(in->display_name, &a->display_name)) != BA_OK ||
	    (rc = dup_opt(in->challenge, &a->challenge)) != BA_OK ||
	    (rc = dup_opt(in->attestation, &a->attestation)) != BA_OK)
		return rc;
	return BA_OK;
}

/* The refusal of a registration's attestation, once its audit event is
 * written: 400 invalid_attestation with the catalogue `reason`. */
static void
refusal_done(struct req *r, struct store_write *w, int rc)
{
	struct register_state *st = req_state(r);
	const struct errmap_entry *e = errmap_get(BA_ERR_INVALID_ATTESTATION);
	const char *detail = st->result.v.facts.detail;
	json_t *body;

	(void)w;
	if (rc != BA_OK) {
		req_reply_error(r, rc, NULL);
		return;
	}
	body = json_pack("{s:s, s:s, s:s, s:s}", "error_code", e->code,
	                 "message", detail[0] != '\0' ? detail : e->message,
	                 "ts_error_code", "auth_invalid_attestation",
	                 "reason", attest_reason_name(st->result.reason));
	if (body == NULL)
		req_reply_error(r, BA_ERR_NOMEM, NULL);
	else
		req_reply_json(r, e->status, body);
}

/* Records what attestation decided and submits the registration, or the
 * refusal's audit event. */
static void
register_submit(struct req *r, struct register_state *st)
{
	struct model_authenticator *a = &st->w.in.authenticator.a;
	bool verified = st->result.status == ATTEST_STATUS_VERIFIED;
	int rc;

	if (st->result.reason == ATTEST_OK && verified &&
	    (a->challenge == NULL || a->challenge[0] == '\0')) {
		/* evidence over no challenge could be replayed */
		st->result.reason = ATTEST_CHALLENGE_MISMATCH;
		snprintf(st->result.v.facts.detail, sizeof(st->result.v.facts.detail),
		         "attested registrations need a challenge");
	}
	if (st->result.reason != ATTEST_OK) {
		st->audit.outcome = "failure";
		snprintf(st->reason, sizeof(st->reason), "%s",
		         attest_reason_name(st->result.reason));
		st->audit.reason = st->reason;
		st->w.kind = SW_AUDIT;   /* the authenticator stays unwritten */
		req_submit(r, &st->w, refusal_done);
		return;
	}
	if ((rc = attestation_record(&st->result, a)) != BA_OK) {
		req_reply_error(r, rc, NULL);
		return;
	}
	st->audit.reason = verified ? "attestation_verified" :
	                   st->result.status == ATTEST_STATUS_UNVERIFIED ?
	                   "attestation_unverified" : "attestation_unattested";
	if (verified) {
		sha256(a->challenge, strlen(a->challenge), st->challenge_hash);
		st->w.in.authenticator.challenge_hash = st->challenge_hash;
	}
	req_submit(r, &st->w, register_done);
}

/* Verifies the attestation of st (on the work pool). */
static int
attest_job(void *arg)
{
	struct register_state *st = arg;
	const struct model_authenticator *a = &st->w.in.authenticator.a;

	return attestation_register(st->attest, &st->policy, a->attestation, a->challenge,
	                            a->public_key_der, a->public_key_der_len, st->now,
	                            &st->result);
}

static void
attest_done(struct req *r, struct store_write *w, int rc)
{
	struct register_state *st = req_state(r);

	(void)w;
	if (rc != BA_OK) {
		req_reply_error(r, rc, NULL);
		return;
	}
	register_submit(r, st);
}

void
api_mb_register(struct req *r)
{
	static const struct json_in_field fields[] = {
		{ "publicKey", JIN_STRING, true, MAX_KEY_TEXT, offsetof(struct register_in, public_key) },
		{ "publicKeyId", JIN_STRING, true, MAX_ID, offsetof(struct register_in, public_key_id) },
		{ "os", JIN_STRING, true, 64, offsetof(struct register_in, os) },
		{ "encryptionType", JIN_STRING, false, 16, offsetof(struct register_in, encryption_type) },
		{ "challenge", JIN_STRING, false, 1024, offsetof(struct register_in, challenge) },
		{ "attestation_encoded_result", JIN_STRING, false, MAX_ATTESTATION,
		  offsetof(struct register_in, attestation) },
		{ "device_id", JIN_STRING, false, MAX_ID, offsetof(struct register_in, device_id) },
		{ "displayName", JIN_STRING, false, MAX_ID, offsetof(struct register_in, display_name) },
	};
	struct register_in in = {0};
	struct register_state *st = calloc(1, sizeof(*st));
	struct pubkey pk = {0};
	int64_t now = (int64_t)time(NULL);
	int expected, rc;

	if (st == NULL) {
		req_reply_error(r, BA_ERR_NOMEM, NULL);
		return;
	}
	req_set_state(r, st, register_state_free);
	if (!api_require_bearer(r, TOKEN_USER, &st->caller) ||
	    !api_decode(r, fields, sizeof(fields) / sizeof(fields[0]), &in))
		return;
	if ((expected = expected_key_type(in.encryption_type)) < 0) {
		req_reply_error(r, BA_ERR_INVALID_REQUEST, "encryptionType: must be \"ec\" or \"rsa\"");
		return;
	}
	rc = pubkey_parse(in.public_key, strlen(in.public_key), expected, &pk);
	if (rc == BA_ERR_INVALID_KEY_ENCODING) {
		req_reply_error(r, rc, "publicKey: not a base64 or PEM encoded P-256 or RSA public key");
		goto out;
	}
	if (rc == BA_ERR_INVALID_KEY_TYPE) {
		req_reply_error(r, rc, "publicKey: unsupported key type, curve or size, "
		                "or it contradicts encryptionType");
		goto out;
	}
	if (rc != BA_OK || (rc = fill_authenticator(st, &in, &pk, now)) != BA_OK) {
		req_reply_error(r, rc, NULL);
		goto out;
	}
	st->w.kind = SW_AUTHENTICATOR_CREATE;
	st->w.in.authenticator.max_per_user = st->caller.app.max_authenticators;
	st->w.in.authenticator.session_id = st->caller.token.sid;   /* still live at commit */
	st->w.in.authenticator.require_biometric = st->caller.app.require_biometric_to_enrol;
	st->audit.time = now;
	st->audit.event = "register";
	st->audit.outcome = "success";
	st->audit.app_id = st->caller.app.app_id;
	st->audit.user_id = st->caller.token.sub;
	st->audit.key_id = st->w.in.authenticator.a.public_key_id;
	st->w.audit = &st->audit;
	st->now = (time_t)now;
	st->attest = req_ctx(r)->attest;
	if ((rc = attestation_policy_parse(st->caller.app.attestation_policy, &st->policy)) != BA_OK) {
		req_reply_error(r, rc == BA_ERR_NOMEM ? rc : BA_ERR_INTERNAL, "stored attestation policy");
		goto out;
	}
	if (in.attestation != NULL && in.attestation[0] != '\0' &&
	    st->policy.mode != ATTEST_MODE_NONE) {
		/* parsing a chain and verifying its signatures: off the workers */
		req_defer(r, attest_job, st, attest_done);
		goto out;
	}
	if ((rc = attest_job(st)) != BA_OK) {
		req_reply_error(r, rc, NULL);
		goto out;
	}
	register_submit(r, st);
out:
	pubkey_clear(&pk);
}

struct delete_in {
	const char *public_key_id;
};

struct delete_state {
	struct caller caller;
	char *key_id;
	struct store_write w;
	struct model_audit audit;
};

static void
delete_state_free(void *p)
{
	struct delete_state *st = p;

	caller_clear(&st->caller);
	free(st->key_id);
	free(st);
}

static void
delete_done(struct req *r, struct store_write *w, int rc)
{
	(void)w;
	if (rc == BA_ERR_NOT_FOUND)
		req_reply_error(r, rc, "the user has no key with this publicKeyId");
	else if (rc != BA_OK)
		req_reply_error(r, rc, NULL);
	else
		req_reply_empty(r, 204);
}

void
api_mb_delete(struct req *r)
{
	static const struct json_in_field fields[] = {
		{ "publicKeyId", JIN_STRING, true, MAX_ID, offsetof(struct delete_in, public_key_id) },
	};
	struct delete_in in = {0};
	struct delete_state *st = calloc(1, sizeof(*st));

	if (st == NULL) {
		req_reply_error(r, BA_ERR_NOMEM, NULL);
		return;
	}
	req_set_state(r, st, delete_state_free);
	if (!api_require_bearer(r, TOKEN_USER, &st->caller) || !api_decode(r, fields, 1, &in))
		return;
	if ((st->key_id = strdup(in.public_key_id)) == NULL) {
		req_reply_error(r, BA_ERR_NOMEM, NULL);
		return;
	}
	st->w.kind = SW_AUTHENTICATOR_DELETE;
	st->w.in.authenticator_delete.app_id = st->caller.app.app_id;
	st->w.in.authenticator_delete.key_id = st->key_id;
	st->w.in.authenticator_delete.user_id = st->caller.token.sub;
	st->audit.time = (int64_t)time(NULL);
	st->audit.event = "delete";
	st->audit.outcome = "success";
	st->audit.app_id = st->caller.app.app_id;
	st->audit.user_id = st->caller.token.sub;
	st->audit.key_id = st->key_id;
	st->w.audit = &st->audit;
	req_submit(r, &st->w, delete_done);
}

void
api_mb_list(struct req *r)
{
	struct bioauth_ctx *ctx = req_ctx(r);
	struct model_authenticator *list = NULL;
	size_t n = 0;
	struct caller c;
	json_t *arr = NULL, *body = NULL;
	int rc;

	if (!api_require_bearer(r, TOKEN_CLIENT, &c))
		return;
	rc = store_authenticator_list(ctx->store, c.app.app_id, req_param(r, 0), &list, &n);
	caller_clear(&c);
	if (rc != BA_OK) {
		req_reply_error(r, rc, NULL);
		return;
	}
	rc = BA_ERR_NOMEM;
	if ((arr = json_array()) == NULL)
		goto out;
	for (size_t i = 0; i < n; i++)
		if (json_array_append_new(arr, api_authenticator_json(&list[i])) != 0)
			goto out;
	if ((body = json_pack("{s:s, s:O}", "user_id", req_param(r, 0), "authenticators", arr)) == NULL)
		goto out;
	req_reply_json(r, 200, body);
	rc = BA_OK;
out:
	if (rc != BA_OK)
		req_reply_error(r, rc, NULL);
	json_decref(arr);
	store_free_authenticators(list, n);
}
