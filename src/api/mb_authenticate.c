/*
 * mb_authenticate.c - challenges (/start) and signature authentication.
 *
 * The signature is verified on the worker thread before anything is
 * written; the store then consumes the challenge and creates the session in
 * one atomic write (SW_LOGIN), so a challenge is accepted once even when two
 * requests race with it, also across bioauthd instances.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/caller.h"
#include "api/ctx.h"
#include "api/input.h"
#include "api/login.h"
#include "api/mobile_biometrics.h"
#include "common/error.h"
#include "crypto/digest.h"
#include "crypto/pubkey.h"
#include "crypto/rand.h"
#include "domain/apps.h"
#include "domain/challenges.h"
#include "domain/users.h"

#define MAX_ID 256
#define MAX_APPROVAL_ENTRIES 10
#define MAX_APPROVAL_KEY 64
#define MAX_APPROVAL_VALUE 1024
#define MAX_CLIENT_CHALLENGE APPS_CLIENT_CHALLENGE_MAX
#define MAX_SIGNATURE_B64 4096

struct start_in {
	const char *user_id;
	const char *identifier;
	const char *identifier_type;
	const char *device_id;
	json_t *approval_data;
	int64_t timeout;
	bool has_timeout;
};

struct start_state {
	struct caller caller;
	struct store_write w;
};

static void
start_state_free(void *p)
{
	struct start_state *st = p;
	struct model_challenge *c = &st->w.in.challenge;

	c->app_id = NULL;   /* borrowed from the caller */
	model_challenge_clear(c);
	caller_clear(&st->caller);
	free(st);
}

/* approval_data: a flat object of at most 10 string values whose keys are
 * [A-Za-z0-9_.-]{1,64}. */
static bool
approval_data_ok(json_t *obj, char *msg, size_t cap)
{
	const char *k;
	json_t *v;

	if (json_object_size(obj) > MAX_APPROVAL_ENTRIES) {
		snprintf(msg, cap, "approval_data: at most %d entries", MAX_APPROVAL_ENTRIES);
		return false;
	}
	json_object_foreach(obj, k, v) {
		size_t len = strlen(k);

		if (len == 0 || len > MAX_APPROVAL_KEY || strspn(k,
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") != len) {
			snprintf(msg, cap, "approval_data: keys must be 1-%d characters of "
			         "A-Z a-z 0-9 _ . -", MAX_APPROVAL_KEY);
			return false;
		}
		if (!json_is_string(v) || json_string_length(v) > MAX_APPROVAL_VALUE) {
			snprintf(msg, cap, "approval_data: values must be strings of at most %d bytes",
			         MAX_APPROVAL_VALUE);
			return false;
		}
	}
	return true;
}

static void
start_done(struct req *r, struct store_write *w, int rc)
{
	json_t *body;

	if (rc == BA_ERR_CHALLENGE_QUOTA) {
		req_reply_error(r, rc, "the app has as many outstanding challenges as its quota "
		                "allows; use or let expire those it has");
		return;
	}
	if (rc == BA_ERR_APPROVAL_DATA_QUOTA) {
		req_reply_error(r, rc, "the approval_data of the app's outstanding challenges "
		                "would pass its quota of bytes; use or let expire those it has");
		return;
	}
	if (rc != BA_OK) {
		req_reply_error(r, rc, NULL);
		return;
	}
	if ((body = json_pack("{s:s}", "challenge", w->in.challenge.challenge)) == NULL)
		req_reply_error(r, BA_ERR_NOMEM, NULL);
	else
		req_reply_json(r, 200, body);
}

/*
 * The user a /start names: `user_id`, or `identifier` with `identifier_type`
 * "user_id", "username", "email" (compared case-insensitively) or
 * "phone_number" (the form of Transmit's API). An unknown user - a
 * malformed email or phone number included - is BA_ERR_NOT_FOUND whichever
 * way it was named. A missing identifier and a bad combination are answered
 * here (400) and give BA_ERR_INVALID_REQUEST.
 */
static int
find_start_user(struct req *r, const struct start_in *in, struct model_user *u)
{
	struct store *store = req_ctx(r)->store;
	const char *type = in->identifier_type;

	if (in->user_id != NULL && in->identifier == NULL && type == NULL)
		return store_user_get(store, in->user_id, u);
	if (in->user_id != NULL) {
		req_reply_error(r, BA_ERR_INVALID_REQUEST,
		                "user_id: give either user_id or identifier, not both");
		return BA_ERR_INVALID_REQUEST;
	}
	if (in->identifier == NULL) {
		req_reply_error(r, BA_ERR_INVALID_REQUEST,
		                type == NULL ? "user_id: is required" : "identifier: is required");
		return BA_ERR_INVALID_REQUEST;
	}
	if (type == NULL) {
		req_reply_error(r, BA_ERR_INVALID_REQUEST, "identifier_type: is required");
		return BA_ERR_INVALID_REQUEST;
	}
	if (strcmp(type, "user_id") == 0)
		return store_user_get(store, in->identifier, u);
	if (strcmp(type, "username") == 0)
		return store_user_get_by_username(store, in->identifier, u);
	if (strcmp(type, "email") == 0)
		return users_get_by_email(store, in->identifier, u);
	if (strcmp(type, "phone_number") == 0)
		return store_user_get_by_phone(store, in->identifier, u);
	req_reply_error(r, BA_ERR_INVALID_REQUEST,
	                "identifier_type: must be one of user_id, username, email, phone_number");
	return BA_ERR_INVALID_REQUEST;
}

void
api_mb_start(struct req *r)
{
	struct bioauth_ctx *ctx = req_ctx(r);
	const struct json_in_field fields[] = {
		{ "user_id", JIN_STRING, false, MAX_ID, offsetof(struct start_in, user_id) },
		{ "identifier", JIN_STRING, false, MAX_ID, offsetof(struct start_in, identifier) },
		{ "identifier_type", JIN_STRING, false, 32, offsetof(struct start_in, identifier_type) },
		{ "device_id", JIN_STRING, false, MAX_ID, offsetof(struct start_in, device_id) },
		{ "approval_data", JIN_OBJECT, false, 0, offsetof(struct start_in, approval_data) },
		{ "timeout", JIN_INT, false, 0, offsetof(struct start_in, timeout),
		  JIN_HAS(struct start_in, has_timeout), 1, ctx->cfg->challenge_max_ttl },
	};
	struct start_in in = {0};
	struct start_state *st = calloc(1, sizeof(*st));
	struct model_challenge *c;
	struct model_user u = {0};
	int64_t now = (int64_t)time(NULL);
	char msg[128];
	int rc;

	if (st == NULL) {
		req_reply_error(r, BA_ERR_NOMEM, NULL);
		return;
	}
	req_set_state(r, st, start_state_free);
	if (!api_require_bearer(r, TOKEN_CLIENT, &st->caller) ||
	    !api_decode(r, fields, sizeof(fields) / sizeof(fields[0]), &in))
		return;
	if (in.approval_data != NULL && !approval_data_ok(in.approval_data, msg, sizeof(msg))) {
		req_reply_error(r, BA_ERR_INVALID_REQUEST, msg);
		return;
	}
	rc = find_start_user(r, &in, &u);
	if (rc == BA_ERR_INVALID_REQUEST)
		goto out;
	if (rc != BA_OK) {
		req_reply_error(r, rc, rc == BA_ERR_NOT_FOUND ? "no such user" : NULL);
		goto out;
	}
	c = &st->w.in.challenge;
	st->w.kind = SW_CHALLENGE_CREATE;
	c->app_id = st->caller.app.app_id;
	c->created_at = now;
	/* Times are whole seconds and `now` is truncated: one more second so
	 * that a challenge lives at least `timeout` seconds, never less. */
	c->expires_at = now + (in.has_timeout ? in.timeout : ctx->cfg->challenge_ttl) + 1;
	rc = rand_token(NULL, 32, &c->challenge);
	if (rc == BA_OK && ((c->user_id = strdup(u.user_id)) == NULL ||
	    (in.device_id != NULL && (c->device_id = strdup(in.device_id)) == NULL)))
		rc = BA_ERR_NOMEM;
	if (rc == BA_OK && in.approval_data != NULL &&
	    (c->approval_data = api_json_object_text(in.approval_data, 65536)) == NULL)
		rc = BA_ERR_NOMEM;
	if (rc != BA_OK) {
		req_reply_error(r, rc, NULL);
		goto out;
	}
	req_submit(r, &st->w, start_done);
out:
	model_user_clear(&u);
}

struct authenticate_in {
	const char *user_id;
	const char *key_id;
	const char *challenge;
	const char *signature;
};

/* A failed signature: count it (maybe locking the key), audit, answer 401. */
static void
failure_done(struct req *r, struct store_write *w, int rc)
{
	(void)w;
	if (rc != BA_OK && rc != BA_ERR_NOT_FOUND)
		req_reply_error(r, rc, NULL);
	else
		req_reply_error(r, BA_ERR_INVALID_SIGNATURE, "the signature does not verify");
}

static void
record_bad_signature(struct req *r, struct login *l)
{
	const struct config *cfg = req_ctx(r)->cfg;

	login_set_audit(l, "failure", BA_ERR_INVALID_SIGNATURE);
	memset(&l->w, 0, sizeof(l->w));
	l->w.kind = SW_SIGNATURE_FAILURE;
	l->w.in.signature_failure.app_id = l->caller.app.app_id;
	l->w.in.signature_failure.key_id = l->key_id;
	l->w.in.signature_failure.now = l->audit.time;
	l->w.in.signature_failure.threshold = cfg->lockout_threshold;
	l->w.in.signature_failure.lock_seconds = cfg->lockout_seconds;
	l->w.audit = &l->audit;
	req_submit(r, &l->w, failure_done);
}

/*
 * Classifies the challenge: a /start challenge of this app and user that is
 * still usable (`c`, read with the key; has_chal false: no such /start
 * challenge), or a client-made one the app allows. Fills `l` accordingly,
 * taking what it keeps of `c`; returns BA_OK or the error to answer.
 */
static int
check_challenge(struct login *l, const char *challenge, const struct model_authenticator *a,
                struct model_challenge *c, bool has_chal, int64_t now, const char **why)
{
	size_t len = strlen(challenge);
	int rc = has_chal ? BA_OK : BA_ERR_NOT_FOUND;

	*why = NULL;
	/* Every accepted (key, challenge) pair is recorded, /start challenges
	 * included: once an expired /start challenge is purged, a replay of it
	 * would otherwise pass for a fresh client-made challenge. */
	l->has_client_challenge = true;
	sha256(challenge, len, l->client_challenge_hash);
	sha256(a->public_key_der, a->public_key_der_len, l->client_challenge_key);
	if (rc == BA_ERR_NOT_FOUND) {
		if (!l->caller.app.allow_client_challenges) {
			*why = "unknown challenge; this app accepts only challenges from /start";
			return BA_ERR_CHALLENGE_NOT_ALLOWED;
		}
		if (len < (size_t)apps_client_challenge_floor(&l->caller.app) ||
		    len > MAX_CLIENT_CHALLENGE) {
			*why = apps_client_challenge_floor(&l->caller.app) > 1
			       ? "challenge: a client-made challenge is shorter than this app's "
			         "minimum (--min-client-challenge-bytes) or longer than 1024 bytes"
			       : "challenge: a client-made challenge must be 1-1024 bytes";
			return BA_ERR_INVALID_REQUEST;
		}
		return BA_OK;
	}
	if (rc != BA_OK)
		return rc;
	rc = challenges_usable(c, l->caller.app.app_id, l->user_id, a->device_id, now, why);
	if (rc == BA_OK) {
		l->start_challenge = c->challenge;
		l->approval_data = c->approval_data;
		c->challenge = c->approval_data = NULL;
	}
	return rc;
}

/* The username, when the ID token should carry it. */
static int
load_username(struct bioauth_ctx *ctx, struct login *l)
{
	struct model_user u = {0};
	int rc;

	if (!(l->claims & CLAIM_USERNAME))
		return BA_OK;
	rc = store_user_get(ctx->store, l->user_id, &u);
	if (rc == BA_OK) {
		l->username = u.username;
		u.username = NULL;
	}
	model_user_clear(&u);
	return rc == BA_ERR_NOT_FOUND ? BA_OK : rc;
}

void
api_mb_authenticate(struct req *r)
{
	static const struct json_in_field fields[] = {
		{ "user_id", JIN_STRING, true, MAX_ID, offsetof(struct authenticate_in, user_id) },
		{ "key_id", JIN_STRING, true, MAX_ID, offsetof(struct authenticate_in, key_id) },
		{ "challenge", JIN_STRING, true, MAX_CLIENT_CHALLENGE,
		  offsetof(struct authenticate_in, challenge) },
		{ "signature", JIN_STRING, true, MAX_SIGNATURE_B64,
		  offsetof(struct authenticate_in, signature) },
	};
	struct bioauth_ctx *ctx = req_ctx(r);
	struct authenticate_in in = {0};
	struct model_authenticator a = {0};
	struct model_challenge c = {0};
	struct pubkey pk = {0};
	int64_t now = (int64_t)time(NULL);
	const char *why = NULL;
	bool has_chal = false;
	struct login *l;
	int rc;

	if ((l = login_attach(r, "authenticate")) == NULL)
		return;
	if (!api_require_bearer(r, TOKEN_CLIENT, &l->caller) ||
	    !api_decode(r, fields, sizeof(fields) / sizeof(fields[0]), &in) ||
	    !login_parse_options(r, req_json(r), l))
		return;
	if ((l->user_id = strdup(in.user_id)) == NULL || (l->key_id = strdup(in.key_id)) == NULL) {
		req_reply_error(r, BA_ERR_NOMEM, NULL);
		return;
	}
	l->factor = FACTOR_MOBILE_BIOMETRICS;

	/* Unknown key, another user's key and another app's key look the same.
	 * The challenge, if it is a /start one, comes in the same read. */
	rc = store_authenticator_get_with_challenge(ctx->store, l->caller.app.app_id, in.key_id,
	                                            in.challenge, &a, &c, &has_chal);
	if (rc == BA_OK && strcmp(a.user_id, in.user_id) != 0)
		rc = BA_ERR_NOT_FOUND;
	if (rc == BA_ERR_NOT_FOUND) {
		login_fail(r, l, rc, "no such authenticator for this user");
		goto out;
	}
	if (rc != BA_OK) {
		req_reply_error(r, rc, NULL);
		goto out;
	}
	if (a.hwk)   /* key attestation verified it in secure hardware */
		l->factor |= FACTOR_HWK;
	if (a.locked_until > now) {
		login_fail(r, l, BA_ERR_KEY_LOCKED, "too many failed signatures; the key is locked");
		goto out;
	}
	if ((rc = check_challenge(l, in.challenge, &a, &c, has_chal, now, &why)) != BA_OK) {
		login_fail(r, l, rc, why);
		goto out;
	}
	if ((rc = pubkey_from_stored(a.public_key_der, a.public_key_der_len, &pk)) != BA_OK) {
		req_reply_error(r, rc, NULL);
		goto out;
	}
	rc = sig_verify_b64(&pk, (const uint8_t *)in.challenge, strlen(in.challenge),
	                    in.signature, strlen(in.signature));
	if (rc == BA_ERR_INVALID_SIGNATURE) {
		record_bad_signature(r, l);
		goto out;
	}
	if (rc != BA_OK) {   /* out of memory: not the device's fault, no lockout count */
		req_reply_error(r, rc, NULL);
		goto out;
	}
	if ((rc = load_username(ctx, l)) != BA_OK) {
		req_reply_error(r, rc, NULL);
		goto out;
	}
	login_commit(r, l);
out:
	pubkey_clear(&pk);
	model_authenticator_clear(&a);
	model_challenge_clear(&c);
}
