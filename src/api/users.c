/*
 * users.c - Transmit's Users API (client token): POST /v1/users, GET
 * /v1/users/{user_id}, /v1/users/username/{username},
 * /v1/users/email/{email}, DELETE /v1/users/{user_id}. Users belong to the
 * tenant; any app of the deployment manages them. Answers carry the user
 * as {"result": user}.
 */
#include "api/users.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/caller.h"
#include "api/ctx.h"
#include "api/input.h"
#include "common/error.h"
#include "domain/contact.h"
#include "domain/password.h"
#include "domain/users.h"
#include "domain/validate.h"

/* A stored JSON object (name, custom_data) back as JSON; NULL (JSON null)
 * when absent or unreadable. */
static json_t *
stored_object(const char *text)
{
	json_t *v = text != NULL ? json_loads(text, JSON_REJECT_DUPLICATES, NULL) : NULL;

	return v != NULL ? v : json_null();
}

/* {value, <verified_name>} or JSON null for an absent value. */
static json_t *
contact(const char *value, const char *verified_name, bool verified)
{
	if (value == NULL)
		return json_null();
	return json_pack("{s:s, s:b}", "value", value, verified_name, verified);
}

/*
 * A user in the shape of Transmit's Users API: user_id, username, email
 * {value, email_verified}, phone_number {value, phone_number_verified},
 * name, external_user_id, custom_data (null when not set), status (bioauth
 * has no disabled users: "Active"), created_at and updated_at in epoch
 * milliseconds. NULL on allocation failure.
 */
static json_t *
user_json(const struct model_user *u)
{
	return json_pack("{s:s, s:s?, s:o, s:o, s:o, s:s?, s:o, s:s, s:I, s:I}",
	                 "user_id", u->user_id,
	                 "username", u->username,
	                 "email", contact(u->email, "email_verified", u->email_verified),
	                 "phone_number", contact(u->phone_number, "phone_number_verified",
	                                         u->phone_number_verified),
	                 "name", stored_object(u->name),
	                 "external_user_id", u->external_user_id,
	                 "custom_data", stored_object(u->custom_data),
	                 "status", "Active",
	                 "created_at", (json_int_t)(u->created_at * 1000),
	                 "updated_at", (json_int_t)(u->updated_at * 1000));
}

/* Replies `status` with {"result": user}. */
static void
reply_user(struct req *r, int status, const struct model_user *u)
{
	json_t *user = user_json(u), *body = NULL;

	if (user != NULL)
		body = json_pack("{s:o}", "result", user);
	if (body == NULL)
		req_reply_error(r, BA_ERR_NOMEM, NULL);
	else
		req_reply_json(r, status, body);
}

struct user_state {
	struct store_write w;
	char *user_id;
	struct users_new n;        /* strings borrowed from the body ... */
	char *name, *custom_data;  /* ... but these, serialised here */
	char msg[160];
};

static void
user_state_free(void *p)
{
	struct user_state *st = p;

	users_write_clear(&st->w);
	free(st->user_id);
	free(st->name);
	free(st->custom_data);
	free(st);
}

static struct user_state *
user_state_attach(struct req *r)
{
	struct user_state *st = calloc(1, sizeof(*st));

	if (st == NULL)
		req_reply_error(r, BA_ERR_NOMEM, NULL);
	else
		req_set_state(r, st, user_state_free);
	return st;
}

static void
create_done(struct req *r, struct store_write *w, int rc)
{
	if (rc == BA_ERR_CONFLICT) {
		req_reply_error(r, rc, "a user with this user_id, username, email or "
		                "phone_number already exists");
		return;
	}
	if (rc != BA_OK) {
		req_reply_error(r, rc, NULL);
		return;
	}
	reply_user(r, 201, &w->in.user);
}

struct create_in {
	const char *user_id;
	const char *username;
	const char *password;
	const char *email;
	const char *phone_number;
	const char *external_user_id;
	json_t *credentials;
	json_t *name;
	json_t *custom_data;
};

struct credentials_in {
	const char *password;
	bool force_replace;
};

/* Runs on the work pool: validation and the Argon2id hash of the password. */
static int
prepare_user(void *arg)
{
	struct user_state *st = arg;

	return users_prepare_new(&st->n, &st->w, st->msg, sizeof(st->msg));
}

static void
user_prepared(struct req *r, struct store_write *w, int rc)
{
	struct user_state *st = req_state(r);

	(void)w;
	if (rc == BA_ERR_RATE_LIMITED) {
		req_add_header(r, "Retry-After", "1");
		req_reply_error(r, rc, "too many password hashes in progress; retry shortly");
		return;
	}
	if (rc != BA_OK) {
		req_reply_error(r, rc, rc == BA_ERR_INVALID_REQUEST ? st->msg : NULL);
		return;
	}
	req_submit(r, &st->w, create_done);
}

/* name: an object of at most the string members first_name, last_name,
 * middle_name and title (1-256 bytes each), as Transmit's API has it. */
static bool
name_ok(json_t *name, char *msg, size_t cap)
{
	static const char *const parts[] = { "first_name", "last_name", "middle_name", "title" };
	const char *k;
	json_t *v;

	json_object_foreach(name, k, v) {
		size_t i;

		for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
			if (strcmp(k, parts[i]) == 0)
				break;
		if (i == sizeof(parts) / sizeof(parts[0])) {
			snprintf(msg, cap, "name: members are first_name, last_name, middle_name "
			         "and title");
			return false;
		}
		if (!json_is_string(v) || !validate_text(json_string_value(v), USERS_ID_MAX)) {
			snprintf(msg, cap, "name.%s: must be printable text of 1-%d bytes", parts[i],
			         USERS_ID_MAX);
			return false;
		}
	}
	return true;
}

/* The password: top-level `password` (bioauth's first form) or
 * credentials.password (Transmit's), not both. */
static bool
credentials_ok(struct create_in *in, struct users_new *n, char *msg, size_t cap)
{
	static const struct json_in_field fields[] = {
		{ "password", JIN_STRING, false, PASSWORD_MAX_LEN,
		  offsetof(struct credentials_in, password) },
		{ "force_replace", JIN_BOOL, false, 0, offsetof(struct credentials_in, force_replace) },
	};
	struct credentials_in c = { 0 };
	char sub[128];

	n->password = in->password;
	if (in->credentials == NULL)
		return true;
	if (json_in_decode(in->credentials, fields, 2, &c, sub, sizeof(sub)) != BA_OK) {
		snprintf(msg, cap, "credentials.%s", sub);
		return false;
	}
	if (c.password != NULL && in->password != NULL) {
		snprintf(msg, cap, "password: give either password or credentials.password, "
		         "not both");
		return false;
	}
	if (c.password != NULL)
		n->password = c.password;
	n->force_replace = c.force_replace;
	return true;
}

/* Serialises an optional object of the body into *out (NULL when absent). */
static int
object_text(json_t *obj, char **out)
{
	*out = NULL;
	if (obj != NULL && (*out = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS)) == NULL)
		return BA_ERR_NOMEM;
	return BA_OK;
}

/*
 * The bearer check of the Users API: a client token of an app whose
 * users_api permits `need` (enum model_users_api), else answered (401/403
 * as api_require_bearer(), or 403 users_api_forbidden) and false.
 */
static bool
require_users_api(struct req *r, unsigned need)
{
	struct caller c;
	bool ok;

	if (!api_require_bearer(r, TOKEN_CLIENT, &c))
		return false;
	ok = (c.app.users_api & need) == need;
	caller_clear(&c);
	if (!ok)
		req_reply_error(r, BA_ERR_USERS_API_FORBIDDEN, need == USERS_API_READ ?
		                "this app may not read users (bioauthctl app update --users-api)" :
		                need == USERS_API_CREATE ?
		                "this app may not create users (bioauthctl app update --users-api)" :
		                "this app may not delete users (bioauthctl app update --users-api)");
	return ok;
}

void
api_user_create(struct req *r)
{
	static const struct json_in_field fields[] = {
		{ "user_id", JIN_STRING, false, USERS_ID_MAX, offsetof(struct create_in, user_id) },
		{ "username", JIN_STRING, false, USERS_ID_MAX, offsetof(struct create_in, username) },
		{ "password", JIN_STRING, false, PASSWORD_MAX_LEN, offsetof(struct create_in, password) },
		{ "email", JIN_STRING, false, CONTACT_EMAIL_MAX, offsetof(struct create_in, email) },
		{ "phone_number", JIN_STRING, false, CONTACT_PHONE_MAX,
		  offsetof(struct create_in, phone_number) },
		{ "external_user_id", JIN_STRING, false, USERS_ID_MAX,
		  offsetof(struct create_in, external_user_id) },
		{ "credentials", JIN_OBJECT, false, 0, offsetof(struct create_in, credentials) },
		{ "name", JIN_OBJECT, false, 0, offsetof(struct create_in, name) },
		{ "custom_data", JIN_OBJECT, false, 0, offsetof(struct create_in, custom_data) },
	};
	struct create_in in = {0};
	struct user_state *st;
	int rc;

	if (!require_users_api(r, USERS_API_CREATE))
		return;
	if (!api_decode(r, fields, sizeof(fields) / sizeof(fields[0]), &in) ||
	    (st = user_state_attach(r)) == NULL)
		return;
	if (!credentials_ok(&in, &st->n, st->msg, sizeof(st->msg)) ||
	    (in.name != NULL && !name_ok(in.name, st->msg, sizeof(st->msg)))) {
		req_reply_error(r, BA_ERR_INVALID_REQUEST, st->msg);
		return;
	}
	if ((rc = object_text(in.name, &st->name)) != BA_OK ||
	    (rc = object_text(in.custom_data, &st->custom_data)) != BA_OK) {
		req_reply_error(r, rc, NULL);
		return;
	}
	st->n.user_id = in.user_id;
	st->n.username = in.username;
	st->n.email = in.email;
	st->n.phone_number = in.phone_number;
	st->n.external_user_id = in.external_user_id;
	st->n.name = st->name;
	st->n.custom_data = st->custom_data;
	if (st->n.password == NULL) {   /* nothing heavy to do: stay on this thread */
		user_prepared(r, NULL, prepare_user(st));
		return;
	}
	req_defer(r, prepare_user, st, user_prepared);
}

/* One way of finding a user by the text of the path's one parameter. */
typedef int (*user_lookup_fn)(struct store *s, const char *key, struct model_user *out);

/* A user read (client token): 200 {"result": user}, or 404 "no such user". */
static void
reply_lookup(struct req *r, user_lookup_fn find)
{
	struct bioauth_ctx *ctx = req_ctx(r);
	struct model_user u = {0};
	int rc;

	if (!require_users_api(r, USERS_API_READ))
		return;
	rc = find(ctx->store, req_param(r, 0), &u);
	if (rc != BA_OK)
		req_reply_error(r, rc, rc == BA_ERR_NOT_FOUND ? "no such user" : NULL);
	else
		reply_user(r, 200, &u);
	model_user_clear(&u);
}

void
api_user_get(struct req *r)
{
	reply_lookup(r, store_user_get);
}

void
api_user_get_by_username(struct req *r)
{
	reply_lookup(r, store_user_get_by_username);
}

void
api_user_get_by_email(struct req *r)
{
	reply_lookup(r, users_get_by_email);
}

static void
delete_done(struct req *r, struct store_write *w, int rc)
{
	(void)w;
	if (rc != BA_OK)
		req_reply_error(r, rc, rc == BA_ERR_NOT_FOUND ? "no such user" : NULL);
	else
		req_reply_empty(r, 204);
}

void
api_user_delete(struct req *r)
{
	struct user_state *st;
	int rc;

	if (!require_users_api(r, USERS_API_DELETE))
		return;
	if ((st = user_state_attach(r)) == NULL)
		return;
	if ((st->user_id = strdup(req_param(r, 0))) == NULL) {
		req_reply_error(r, BA_ERR_NOMEM, NULL);
		return;
	}
	if ((rc = users_prepare_delete(st->user_id, &st->w)) != BA_OK) {
		req_reply_error(r, rc, NULL);
		return;
	}
	req_submit(r, &st->w, delete_done);
}
