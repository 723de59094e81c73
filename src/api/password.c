/*
 * password.c - POST /v1/auth/password/authenticate (client token): the first
 * factor. The attempt is counted first (domain/password_guard.h: after
 * repeated failures further attempts wait, 429 too_many_attempts); then
 * Argon2id runs on the worker thread; an unknown user costs the same.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/ctx.h"
#include "api/input.h"
#include "api/login.h"
#include "api/users.h"
#include "common/error.h"
#include "domain/password_guard.h"
#include "domain/users.h"

struct password_in {
	const char *username;
	const char *password;
};

/* Runs on the work pool: one Argon2id verification (a dummy one for an
 * unknown user, so both cost the same). */
static int
check_password(void *arg)
{
	struct login *l = arg;
	struct model_user u = {0};
	int rc = users_check_password(l->store, l->username, l->password, &u);

	if (rc == BA_OK) {
		free(l->username);
		l->user_id = u.user_id;
		l->username = u.username;
		l->password_hash = u.password_hash;   /* the commit checks it is still the user's */
		u.user_id = u.username = u.password_hash = NULL;
	}
	model_user_clear(&u);
	return rc;
}

static void
password_checked(struct req *r, struct store_write *w, int rc)
{
	struct login *l = req_state(r);

	(void)w;
	if (rc == BA_ERR_RATE_LIMITED) {
		req_add_header(r, "Retry-After", "1");
		req_reply_error(r, rc, "too many password checks in progress; retry shortly");
		return;
	}
	if (rc != BA_OK) {
		req_reply_error(r, rc, rc == BA_ERR_INVALID_CREDENTIALS ?
		                "wrong username or password" : NULL);
		return;
	}
	l->factor = FACTOR_PWD;
	login_commit(r, l);
}

/* The attempt was counted (or refused: wait Retry-After seconds). */
static void
attempt_counted(struct req *r, struct store_write *w, int rc)
{
	struct login *l = req_state(r);
	char retry[24];

	if (rc == BA_ERR_TOO_MANY_ATTEMPTS) {
		snprintf(retry, sizeof(retry), "%lld", (long long)w->out.retry_after);
		req_add_header(r, "Retry-After", retry);
		req_reply_error(r, rc, "too many failed password attempts for this user; "
		                "retry after the time Retry-After gives");
		return;
	}
	if (rc != BA_OK) {
		req_reply_error(r, rc, NULL);
		return;
	}
	l->has_password_attempt = true;
	req_defer(r, check_password, l, password_checked);
}

/* Counts the attempt of `username` (per client IP too when the backend gave
 * client_attributes.ip_address), then checks the password. */
static void
count_attempt(struct req *r, struct login *l, const char *username)
{
	const struct config *cfg = req_ctx(r)->cfg;
	struct store_password_attempt *a = &l->password_attempt;
	char *ip = password_guard_ip(l->client_attributes);

	password_guard_keys(username, ip, a->user_key, a->ip_key, &a->has_ip);
	free(ip);
	a->now_ms = password_guard_now_ms();
	a->max_failures = cfg->password_max_failures;
	a->max_wait = cfg->password_max_wait;
	memset(&l->w, 0, sizeof(l->w));
	l->w.kind = SW_PASSWORD_ATTEMPT;
	l->w.in.password_attempt = *a;
	req_submit(r, &l->w, attempt_counted);
}

void
api_password_authenticate(struct req *r)
{
	static const struct json_in_field fields[] = {
		{ "username", JIN_STRING, true, USERS_ID_MAX, offsetof(struct password_in, username) },
		{ "password", JIN_STRING, true, 1024, offsetof(struct password_in, password) },
	};
	struct password_in in = {0};
	struct login *l;

	if ((l = login_attach(r, "password_authenticate")) == NULL)
		return;
	if (!api_require_bearer(r, TOKEN_CLIENT, &l->caller))
		return;
	if (!api_decode(r, fields, 2, &in) || !login_parse_options(r, req_json(r), l))
		return;
	if ((l->username = strdup(in.username)) == NULL) {
		req_reply_error(r, BA_ERR_NOMEM, NULL);
		return;
	}
	l->store = req_ctx(r)->store;
	l->password = in.password;
	count_attempt(r, l, in.username);
}
