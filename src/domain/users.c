/*
 * users.c - creating users and checking their passwords.
 */
#include "domain/users.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "crypto/rand.h"
#include "domain/contact.h"
#include "domain/password.h"
#include "domain/validate.h"

#define USER_ID_BYTES 16

void
users_write_clear(struct store_write *w)
{
	if (w == NULL)
		return;
	if (w->kind == SW_USER_CREATE)
		model_user_clear(&w->in.user);
	memset(w, 0, sizeof(*w));
}

/* A heap copy of `src` into *dst, NULL staying NULL. */
static int
dup_opt(char **dst, const char *src)
{
	*dst = NULL;
	if (src != NULL && (*dst = strdup(src)) == NULL)
		return BA_ERR_NOMEM;
	return BA_OK;
}

/* The checks of users_prepare_new(), each naming its field in msg. */
static bool
new_user_ok(const struct users_new *n, char *msg, size_t cap)
{
	size_t pwlen;

	if (n->user_id != NULL && !validate_user_id(n->user_id, USERS_ID_MAX)) {
		snprintf(msg, cap, "user_id: must be printable text of 1-%d bytes without "
		         "bidi controls or '/'", USERS_ID_MAX);
		return false;
	}
	if (n->username != NULL && !validate_name(n->username, USERS_ID_MAX)) {
		snprintf(msg, cap, "username: must be printable text of 1-%d bytes without "
		         "bidi controls", USERS_ID_MAX);
		return false;
	}
	if (n->password != NULL) {
		pwlen = strnlen(n->password, PASSWORD_MAX_LEN + 1);
		if (pwlen == 0 || pwlen > PASSWORD_MAX_LEN) {
			snprintf(msg, cap, "password: must be 1-%d bytes", PASSWORD_MAX_LEN);
			return false;
		}
	}
	if (n->email != NULL && !contact_email_valid(n->email)) {
		snprintf(msg, cap, "email: must be an address like name@example.com "
		         "(ASCII, at most %d bytes)", CONTACT_EMAIL_MAX);
		return false;
	}
	if (n->phone_number != NULL && !contact_phone_valid(n->phone_number)) {
		snprintf(msg, cap, "phone_number: must be E.164, '+' and 2-15 digits "
		         "(like +14155550100)");
		return false;
	}
	if (n->external_user_id != NULL && !validate_name(n->external_user_id, USERS_ID_MAX)) {
		snprintf(msg, cap, "external_user_id: must be printable text of 1-%d bytes",
		         USERS_ID_MAX);
		return false;
	}
	if ((n->name != NULL && strnlen(n->name, USERS_JSON_MAX + 1) > USERS_JSON_MAX) ||
	    (n->custom_data != NULL && strnlen(n->custom_data, USERS_JSON_MAX + 1) > USERS_JSON_MAX)) {
		snprintf(msg, cap, "%s: is too large (max %d bytes as JSON)",
		         n->name != NULL && strlen(n->name) > USERS_JSON_MAX ? "name" : "custom_data",
		         USERS_JSON_MAX);
		return false;
	}
	return true;
}

int
users_prepare_new(const struct users_new *n, struct store_write *w, char *msg, size_t cap)
{
	struct model_user *u;
	int r = BA_ERR_INTERNAL;

	if (w == NULL || n == NULL)
		return BA_ERR_INTERNAL;
	memset(w, 0, sizeof(*w));
	if (!new_user_ok(n, msg, cap))
		return BA_ERR_INVALID_REQUEST;
	w->kind = SW_USER_CREATE;
	u = &w->in.user;
	if (n->user_id != NULL) {
		if ((u->user_id = strdup(n->user_id)) == NULL) {
			r = BA_ERR_NOMEM;
			goto out;
		}
	} else if ((r = rand_token("usr_", USER_ID_BYTES, &u->user_id)) != BA_OK) {
		goto out;
	}
	if ((r = dup_opt(&u->username, n->username)) != BA_OK ||
	    (r = dup_opt(&u->email, n->email)) != BA_OK ||
	    (r = dup_opt(&u->phone_number, n->phone_number)) != BA_OK ||
	    (r = dup_opt(&u->name, n->name)) != BA_OK ||
	    (r = dup_opt(&u->external_user_id, n->external_user_id)) != BA_OK ||
	    (r = dup_opt(&u->custom_data, n->custom_data)) != BA_OK)
		goto out;
	if (n->password != NULL &&
	    (r = password_hash(n->password, &u->password_hash)) != BA_OK)
		goto out;
	u->password_force_replace = n->force_replace;
	u->created_at = (int64_t)time(NULL);
	u->updated_at = u->created_at;
	r = BA_OK;
out:
	if (r != BA_OK)
		users_write_clear(w);
	return r;
}

int
users_prepare_create(const char *user_id, const char *username,
                     const char *password, struct store_write *w)
{
	struct users_new n = { .user_id = user_id, .username = username, .password = password };
	char msg[128];

	return users_prepare_new(&n, w, msg, sizeof(msg));
}

int
users_get_by_email(struct store *store, const char *email, struct model_user *out)
{
	char key[CONTACT_EMAIL_MAX + 1];

	memset(out, 0, sizeof(*out));
	if (!contact_email_key(email, key, sizeof(key)))
		return BA_ERR_NOT_FOUND;
	return store_user_get_by_email_key(store, key, out);
}

int
users_prepare_delete(const char *user_id, struct store_write *w)
{
	if (w == NULL)
		return BA_ERR_INTERNAL;
	memset(w, 0, sizeof(*w));
	if (user_id == NULL || user_id[0] == '\0')
		return BA_ERR_INVALID_REQUEST;
	w->kind = SW_USER_DELETE;
	w->in.user_id = user_id;
	return BA_OK;
}

int
users_check_password(struct store *store, const char *username,
                     const char *password, struct model_user *out)
{
	int r;

	memset(out, 0, sizeof(*out));
	if (password == NULL)
		password = "";   /* still costs one verification below */
	if (!validate_name(username, USERS_ID_MAX)) {
		r = password_verify_dummy(password);
		goto out;
	}
	r = store_user_get_by_username(store, username, out);
	if (r == BA_ERR_NOT_FOUND) {
		r = password_verify_dummy(password);
		goto out;
	}
	if (r != BA_OK)
		goto out;
	if (out->password_hash == NULL) {
		r = password_verify_dummy(password);
		goto out;
	}
	r = password_verify(out->password_hash, password);
out:
	if (r != BA_OK)
		model_user_clear(out);
	return r;
}
