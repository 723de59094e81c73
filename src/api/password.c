/*
 * password.c - POST /v1/auth/password/authenticate (client token): the first
 * factor. Argon2id runs on the worker thread; an unknown user costs the same.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "api/ctx.h"
#include "api/input.h"
#include "api/login.h"
#include "api/users.h"
#include "common/error.h"
#include "domain/users.h"

struct password_in {
	const char *username;
	const char *password;
};

void
api_password_authenticate(struct req *r)
{
	static const struct json_in_field fields[] = {
		{ "username", JIN_STRING, true, USERS_ID_MAX, offsetof(struct password_in, username) },
		{ "password", JIN_STRING, true, 1024, offsetof(struct password_in, password) },
	};
	struct bioauth_ctx *ctx = req_ctx(r);
	struct password_in in = {0};
	struct model_user u = {0};
	struct login *l;
	int rc;

	if ((l = login_attach(r, "password_authenticate")) == NULL)
		return;
	if (!api_require_bearer(r, TOKEN_CLIENT, &l->caller))
		return;
	if (!api_decode(r, fields, 2, &in) || !login_parse_options(r, req_json(r), l))
		return;
	rc = users_check_password(ctx->store, in.username, in.password, &u);
	if (rc != BA_OK) {
		req_reply_error(r, rc, rc == BA_ERR_INVALID_CREDENTIALS ?
		                "wrong username or password" : NULL);
		return;
	}
	l->user_id = u.user_id;
	l->username = u.username;
	u.user_id = u.username = NULL;
	model_user_clear(&u);
	l->factor = FACTOR_PWD;
	login_commit(r, l);
}
