/*
 * users.c - creating users and checking their passwords.
 */
#include "domain/users.h"

#include <openssl/crypto.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "crypto/rand.h"
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

int
users_prepare_create(const char *user_id, const char *username,
                     const char *password, struct store_write *w)
{
	struct model_user *u;
	size_t pwlen;
	int r = BA_ERR_INTERNAL;

	if (w == NULL)
		return BA_ERR_INTERNAL;
	memset(w, 0, sizeof(*w));
	if (user_id != NULL && !validate_user_id(user_id, USERS_ID_MAX))
		return BA_ERR_INVALID_REQUEST;
	if (username != NULL && !validate_name(username, USERS_ID_MAX))
		return BA_ERR_INVALID_REQUEST;
	if (password != NULL) {
		pwlen = strnlen(password, PASSWORD_MAX_LEN + 1);
		if (pwlen == 0 || pwlen > PASSWORD_MAX_LEN)
			return BA_ERR_INVALID_REQUEST;
	}
	w->kind = SW_USER_CREATE;
	u = &w->in.user;
	if (user_id != NULL) {
		if ((u->user_id = strdup(user_id)) == NULL) {
			r = BA_ERR_NOMEM;
			goto out;
		}
	} else if ((r = rand_token("usr_", USER_ID_BYTES, &u->user_id)) != BA_OK) {
		goto out;
	}
	if (username != NULL && (u->username = strdup(username)) == NULL) {
		r = BA_ERR_NOMEM;
		goto out;
	}
	if (password != NULL &&
	    (r = password_hash(password, &u->password_hash)) != BA_OK)
		goto out;
	u->created_at = (int64_t)time(NULL);
	u->updated_at = u->created_at;
	r = BA_OK;
out:
	if (r != BA_OK)
		users_write_clear(w);
	return r;
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
	r = store->ops->user_get_by_username(store, username, out);
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
