/*
 * users.c - POST /v1/users, GET and DELETE /v1/users/{user_id} (client
 * token). Users belong to the tenant; any app of the deployment manages them.
 */
#include "api/users.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "api/auth.h"
#include "api/ctx.h"
#include "api/input.h"
#include "common/error.h"
#include "domain/users.h"

static json_t *
user_json(const struct model_user *u)
{
	char ts[32];

	return json_pack("{s:s, s:s?, s:s, s:s}", "user_id", u->user_id,
	                 "username", u->username, "created_at", api_time(u->created_at, ts),
	                 "updated_at", api_time(u->updated_at, ts));
}

struct user_state {
	struct store_write w;
	char *user_id;
	const char *new_id, *new_username, *new_password;  /* borrowed from the body */
};

static void
user_state_free(void *p)
{
	struct user_state *st = p;

	users_write_clear(&st->w);
	free(st->user_id);
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
	json_t *body;

	if (rc == BA_ERR_CONFLICT) {
		req_reply_error(r, rc, "a user with this user_id or username already exists");
		return;
	}
	if (rc != BA_OK) {
		req_reply_error(r, rc, NULL);
		return;
	}
	if ((body = user_json(&w->in.user)) == NULL)
		req_reply_error(r, BA_ERR_NOMEM, NULL);
	else
		req_reply_json(r, 201, body);
}

struct create_in {
	const char *user_id;
	const char *username;
	const char *password;
};

/* Runs on the work pool: validation and the Argon2id hash of the password. */
static int
prepare_user(void *arg)
{
	struct user_state *st = arg;

	return users_prepare_create(st->new_id, st->new_username, st->new_password, &st->w);
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
		req_reply_error(r, rc, rc == BA_ERR_INVALID_REQUEST ?
		                "user_id and username must be printable text of 1-256 bytes without "
		                "bidi controls, and user_id without '/'" : NULL);
		return;
	}
	req_submit(r, &st->w, create_done);
}

void
api_user_create(struct req *r)
{
	static const struct json_in_field fields[] = {
		{ "user_id", JIN_STRING, false, USERS_ID_MAX, offsetof(struct create_in, user_id) },
		{ "username", JIN_STRING, false, USERS_ID_MAX, offsetof(struct create_in, username) },
		{ "password", JIN_STRING, false, 1024, offsetof(struct create_in, password) },
	};
	struct create_in in = {0};
	struct user_state *st;
	struct caller c;

	if (!api_require_bearer(r, TOKEN_CLIENT, &c))
		return;
	caller_clear(&c);
	if (!api_decode(r, fields, 3, &in) || (st = user_state_attach(r)) == NULL)
		return;
	st->new_id = in.user_id;
	st->new_username = in.username;
	st->new_password = in.password;
	if (in.password == NULL) {   /* nothing heavy to do: stay on this thread */
		user_prepared(r, NULL, prepare_user(st));
		return;
	}
	req_defer(r, prepare_user, st, user_prepared);
}

void
api_user_get(struct req *r)
{
	struct bioauth_ctx *ctx = req_ctx(r);
	struct model_user u = {0};
	struct caller c;
	json_t *body;
	int rc;

	if (!api_require_bearer(r, TOKEN_CLIENT, &c))
		return;
	caller_clear(&c);
	rc = ctx->store->ops->user_get(ctx->store, req_param(r, 0), &u);
	if (rc != BA_OK) {
		req_reply_error(r, rc, rc == BA_ERR_NOT_FOUND ? "no such user" : NULL);
		return;
	}
	body = user_json(&u);
	model_user_clear(&u);
	if (body == NULL)
		req_reply_error(r, BA_ERR_NOMEM, NULL);
	else
		req_reply_json(r, 200, body);
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
	struct caller c;
	int rc;

	if (!api_require_bearer(r, TOKEN_CLIENT, &c))
		return;
	caller_clear(&c);
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
