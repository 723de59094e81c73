/*
 * login.c - committing a successful authentication and answering with tokens.
 */
#include "api/login.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/ctx.h"
#include "api/input.h"
#include "api/tokens_reply.h"
#include "common/error.h"
#include "common/secret.h"
#include "crypto/rand.h"
#include "domain/apps.h"
#include "domain/sessions.h"
#include "domain/tokens.h"

#define MAX_ATTRIBUTES_LEN 4096
#define MAX_OPTION_LEN 256

static void
login_free(void *p)
{
	struct login *l = p;

	caller_clear(&l->caller);
	free(l->user_id);
	free(l->username);
	free(l->audience);
	free(l->org_id);
	free(l->client_attributes);
	free(l->session_id);
	free(l->key_id);
	free(l->start_challenge);
	free(l->approval_data);
	secret_free(l->refresh_token);
	secret_free(l->password_hash);
	free(l->login_session_id);
	model_refresh_clear(&l->login_refresh);
	model_session_clear(&l->w.out.session);
	free(l->audit_reason);
	free(l);
}

struct login *
login_attach(struct req *r, char *event)
{
	struct login *l = calloc(1, sizeof(*l));

	if (l == NULL) {
		req_reply_error(r, BA_ERR_NOMEM, NULL);
		return NULL;
	}
	l->event = event;
	req_set_state(r, l, login_free);
	return l;
}

char *
api_json_object_text(json_t *obj, size_t max)
{
	char *s = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);

	if (s != NULL && strlen(s) > max) {
		free(s);
		return NULL;
	}
	return s;
}

/* An optional string option: absent is fine; present must be a non-empty
 * string of at most MAX_OPTION_LEN bytes. */
static bool
opt_string(struct req *r, json_t *body, const char *name, char **out)
{
	json_t *v = json_object_get(body, name);
	char msg[96];

	if (v == NULL || json_is_null(v))
		return true;
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) > MAX_OPTION_LEN) {
		snprintf(msg, sizeof(msg), "%s: must be a non-empty string of at most %d bytes",
		         name, MAX_OPTION_LEN);
		req_reply_error(r, BA_ERR_INVALID_REQUEST, msg);
		return false;
	}
	if ((*out = strdup(json_string_value(v))) == NULL) {
		req_reply_error(r, BA_ERR_NOMEM, NULL);
		return false;
	}
	return true;
}

/* OIDC `claims` request parameter: {"id_token": {"username": null, ...}}.
 * Unsupported claims are ignored, as OIDC Core 5.5 asks. */
static bool
parse_claims(struct req *r, json_t *body, unsigned *bits)
{
	json_t *claims = json_object_get(body, "claims"), *idt, *v;
	const char *name;

	if (claims == NULL || json_is_null(claims))
		return true;
	if (!json_is_object(claims)) {
		req_reply_error(r, BA_ERR_INVALID_REQUEST, "claims: must be an object");
		return false;
	}
	idt = json_object_get(claims, "id_token");
	if (idt == NULL || json_is_null(idt))
		return true;
	if (!json_is_object(idt)) {
		req_reply_error(r, BA_ERR_INVALID_REQUEST, "claims.id_token: must be an object");
		return false;
	}
	json_object_foreach(idt, name, v) {
		if (strcmp(name, "username") == 0)
			*bits |= CLAIM_USERNAME;
		else if (strcmp(name, "org_id") == 0)
			*bits |= CLAIM_ORG_ID;
		else if (strcmp(name, "organization") == 0)
			*bits |= CLAIM_ORGANIZATION;
		else if (strcmp(name, "approval_data") == 0)
			*bits |= CLAIM_APPROVAL_DATA;
	}
	return true;
}

struct login_objs {
	json_t *claims, *attrs;
};

bool
login_parse_options(struct req *r, json_t *body, struct login *l)
{
	struct bioauth_ctx *ctx = req_ctx(r);
	struct login_objs objs = {0};
	static const struct json_in_field obj_fields[] = {
		{ "claims", JIN_OBJECT, false, 0, offsetof(struct login_objs, claims) },
		{ "client_attributes", JIN_OBJECT, false, 0, offsetof(struct login_objs, attrs) },
	};
	json_t *attrs;
	const char *aud;

	/* Through the field table first: a form body gives these objects as
	 * JSON text, which the decoder puts in place in `body`. */
	if (!api_decode(r, obj_fields, 2, &objs))
		return false;
	attrs = objs.attrs;
	if (!opt_string(r, body, "resource", &l->audience) ||
	    !opt_string(r, body, "org_id", &l->org_id) ||
	    !opt_string(r, body, "session_id", &l->session_id) ||
	    !parse_claims(r, body, &l->claims))
		return false;
	if (l->audience != NULL && !apps_resource_allowed(&l->caller.app, l->audience)) {
		req_reply_error(r, BA_ERR_INVALID_TARGET, "resource: not one of the app's resources");
		return false;
	}
	if (l->audience == NULL) {
		aud = tokens_default_audience(ctx->cfg, &l->caller.app);
		if ((l->audience = strdup(aud)) == NULL) {
			req_reply_error(r, BA_ERR_NOMEM, NULL);
			return false;
		}
	}
	if (attrs != NULL && !json_is_null(attrs)) {
		if (!json_is_object(attrs)) {
			req_reply_error(r, BA_ERR_INVALID_REQUEST, "client_attributes: must be an object");
			return false;
		}
		if ((l->client_attributes = api_json_object_text(attrs, MAX_ATTRIBUTES_LEN)) == NULL) {
			req_reply_error(r, BA_ERR_INVALID_REQUEST, "client_attributes: too large");
			return false;
		}
	}
	return true;
}

void
login_set_audit(struct login *l, char *outcome, int err)
{
	free(l->audit_reason);
	l->audit_reason = err != BA_OK ? strdup(ba_strerror(err)) : NULL;
	memset(&l->audit, 0, sizeof(l->audit));
	l->audit.time = (int64_t)time(NULL);
	l->audit.event = l->event;
	l->audit.outcome = outcome;
	l->audit.reason = l->audit_reason;
	l->audit.app_id = l->caller.app.app_id;
	l->audit.user_id = l->user_id;
	l->audit.key_id = l->key_id;
	l->audit.client_attributes = l->client_attributes;
}

/* Answers a failed login once its audit event was written; the audit
 * write's own outcome does not change the answer. */
static void
reply_failure(struct req *r, struct store_write *w, int rc)
{
	struct login *l = req_state(r);

	(void)w;
	(void)rc;
	req_reply_error(r, l->fail_err, l->fail_message);
}

void
login_fail(struct req *r, struct login *l, int err, const char *message)
{
	l->fail_err = err;
	l->fail_message = message;
	login_set_audit(l, "failure", err);
	memset(&l->w, 0, sizeof(l->w));
	l->w.kind = SW_AUDIT;
	l->w.audit = &l->audit;
	req_submit(r, &l->w, reply_failure);
}

static void
login_done(struct req *r, struct store_write *w, int rc)
{
	struct login *l = req_state(r);
	struct bioauth_ctx *ctx = req_ctx(r);
	struct token_subject subj = {0};

	if (rc != BA_OK) {
		/* a refusal's failure audit event was committed with it (store.h) */
		req_reply_error(r, rc, NULL);
		return;
	}
	subj.app = &l->caller.app;
	subj.session = &w->out.session;
	subj.audience = l->audience;
	subj.username = l->username;
	subj.approval_data = l->approval_data;
	subj.claims = l->claims;
	subj.now = w->in.login.now;
	(void)ctx;
	api_reply_tokens(r, &subj, l->refresh_token, SHAPE_V1);
}

/* With session_id: it must be a live session of this user and app. */
static int
check_existing_session(struct bioauth_ctx *ctx, const struct login *l, int64_t now)
{
	struct model_session s = {0};
	int rc = store_session_get(ctx->store, l->session_id, &s);

	if (rc == BA_OK && !sessions_live(&s, l->caller.app.app_id, l->user_id, now))
		rc = BA_ERR_NOT_FOUND;
	model_session_clear(&s);
	return rc;
}

void
login_commit(struct req *r, struct login *l)
{
	struct bioauth_ctx *ctx = req_ctx(r);
	struct store_login *in = &l->w.in.login;
	int64_t now = (int64_t)time(NULL);
	int rc;

	if (l->session_id != NULL && (rc = check_existing_session(ctx, l, now)) != BA_OK) {
		if (rc == BA_ERR_NOT_FOUND)
			req_reply_error(r, BA_ERR_INVALID_REQUEST,
			                "session_id: not a live session of this user and app");
		else
			req_reply_error(r, rc, NULL);
		return;
	}
	memset(&l->w, 0, sizeof(l->w));
	l->w.kind = SW_LOGIN;
	in->app_id = l->caller.app.app_id;
	in->user_id = l->user_id;
	in->now = now;
	in->start_challenge = l->start_challenge;
	in->key_id = l->key_id;
	in->has_client_challenge = l->has_client_challenge;
	memcpy(in->client_challenge_hash, l->client_challenge_hash, MODEL_HASH_LEN);
	memcpy(in->client_challenge_key, l->client_challenge_key, MODEL_HASH_LEN);
	in->existing_session_id = l->session_id;
	in->password_hash = l->password_hash;
	in->password_reset = l->has_password_attempt ? &l->password_attempt : NULL;

	if ((rc = rand_token("ses_", 16, &l->login_session_id)) != BA_OK ||
	    (rc = api_new_refresh(ctx->cfg, &l->caller.app, now, &l->refresh_token,
	                          &l->login_refresh)) != BA_OK) {
		req_reply_error(r, rc, NULL);
		return;
	}
	/* everything in the write is borrowed from `l` */
	in->refresh = l->login_refresh;
	in->session.session_id = l->login_session_id;
	in->session.app_id = l->caller.app.app_id;
	in->session.user_id = l->user_id;
	in->session.factors = l->factor;
	in->session.org_id = l->org_id;
	in->session.client_attributes = l->client_attributes;
	in->session.created_at = now;
	in->session.auth_time = now;
	in->session.expires_at = now + tokens_refresh_ttl(ctx->cfg, &l->caller.app);

	login_set_audit(l, "success", BA_OK);
	l->w.audit = &l->audit;
	req_submit(r, &l->w, login_done);
}
