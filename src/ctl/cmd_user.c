/*
 * cmd_user.c - bioauthctl user create|list|show|delete.
 */
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "ctl/ctl.h"
#include "domain/password.h"
#include "domain/users.h"

/* The JSON view of a user (never the password hash). */
static json_t *
user_json(const struct model_user *u)
{
	return json_pack("{s:s, s:s?, s:s?, s:s?, s:s?, s:b, s:I, s:I}",
	    "user_id", u->user_id,
	    "username", u->username,
	    "email", u->email,
	    "phone_number", u->phone_number,
	    "external_user_id", u->external_user_id,
	    "has_password", u->password_hash != NULL,
	    "created_at", (json_int_t)u->created_at,
	    "updated_at", (json_int_t)u->updated_at);
}

/*
 * Reads the password from the first line of stdin (a trailing "\n" or
 * "\r\n" is not part of it) into buf[0..size), NUL-terminated. BA_OK;
 * BA_ERR_INVALID_REQUEST when it is empty, longer than PASSWORD_MAX_LEN or
 * holds a NUL byte; BA_ERR_IO on a read error.
 */
static int
read_password(char *buf, size_t size)
{
	size_t n = 0;
	int ch;

	while ((ch = getchar()) != EOF && ch != '\n') {
		if (n + 1 >= size || ch == '\0')
			return BA_ERR_INVALID_REQUEST;
		buf[n++] = (char)ch;
	}
	if (ch == EOF && ferror(stdin))
		return BA_ERR_IO;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return n == 0 || n > PASSWORD_MAX_LEN ? BA_ERR_INVALID_REQUEST : BA_OK;
}

static int
user_create(struct ctl *c, const struct ctl_command *cmd, int argc, char **argv)
{
	const char *username = NULL, *user_id = NULL;
	bool pw_stdin = false;
	const struct ctl_opt opts[] = {
		{ "--username", "U", "login name (1-256 bytes of printable UTF-8)",
		  &username, NULL, NULL, 0, NULL },
		{ "--user-id", "ID", "the user_id to use (default: generated "
		  "usr_...)", &user_id, NULL, NULL, 0, NULL },
		{ "--password-stdin", NULL, "read the password from the first line "
		  "of stdin", NULL, NULL, NULL, 0, &pw_stdin },
		{ NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL },
	};
	/* +2: room to tell "too long" apart, and the NUL. */
	char pw[PASSWORD_MAX_LEN + 2];
	struct store_write w;
	struct store *s;
	int rc, r;

	memset(&w, 0, sizeof(w));
	if ((rc = ctl_parse(c, cmd, argc, argv, opts, NULL, 0)) != CTL_CONTINUE)
		return rc;
	pw[0] = '\0';
	if (pw_stdin && (r = read_password(pw, sizeof(pw))) != BA_OK) {
		rc = ctl_fail(c, r, "user create: the password on stdin must be "
		    "1-%d bytes on one line", PASSWORD_MAX_LEN);
		goto out;
	}
	if ((r = users_prepare_create(user_id, username, pw_stdin ? pw : NULL,
	    &w)) != BA_OK) {
		rc = r == BA_ERR_INVALID_REQUEST ?
		    ctl_fail(c, r, "user create: user id and username must be "
		        "1-%d bytes of printable UTF-8", USERS_ID_MAX) :
		    ctl_fail(c, r, "user create");
		goto out;
	}
	if (ctl_store(c, &s) != BA_OK) {
		rc = CTL_EXIT_FAIL;
		goto out;
	}
	if ((r = store_write_sync(s, &w)) != BA_OK) {
		rc = r == BA_ERR_CONFLICT ?
		    ctl_fail(c, r, "user create: user id or username is taken") :
		    ctl_fail(c, r, "user create");
		goto out;
	}
	rc = ctl_print(c, user_json(&w.in.user));
out:
	OPENSSL_cleanse(pw, sizeof(pw));
	users_write_clear(&w);
	return rc;
}

static int
user_list(struct ctl *c, const struct ctl_command *cmd, int argc, char **argv)
{
	struct model_user *users = NULL;
	struct store *s;
	json_t *arr;
	size_t n = 0, i;
	int rc, r;

	if ((rc = ctl_parse(c, cmd, argc, argv, NULL, NULL, 0)) != CTL_CONTINUE)
		return rc;
	if (ctl_store(c, &s) != BA_OK)
		return CTL_EXIT_FAIL;
	if ((r = store_user_list(s, &users, &n)) != BA_OK)
		return ctl_fail(c, r, "user list");
	if ((arr = json_array()) != NULL) {
		for (i = 0; i < n; i++) {
			if (json_array_append_new(arr, user_json(&users[i])) != 0) {
				json_decref(arr);
				arr = NULL;
				break;
			}
		}
	}
	store_free_users(users, n);
	return ctl_print(c, arr);
}

static int
user_show(struct ctl *c, const struct ctl_command *cmd, int argc, char **argv)
{
	const char *user_id = NULL;
	struct model_user u;
	struct store *s;
	int rc, r;

	memset(&u, 0, sizeof(u));
	if ((rc = ctl_parse(c, cmd, argc, argv, NULL, &user_id, 1)) != CTL_CONTINUE)
		return rc;
	if (ctl_store(c, &s) != BA_OK)
		return CTL_EXIT_FAIL;
	if ((r = store_user_get(s, user_id, &u)) != BA_OK)
		return ctl_fail(c, r, "user %s", user_id);
	rc = ctl_print(c, user_json(&u));
	model_user_clear(&u);
	return rc;
}

static int
user_delete(struct ctl *c, const struct ctl_command *cmd, int argc, char **argv)
{
	const char *user_id = NULL;
	struct store_write w;
	struct store *s;
	int rc, r;

	if ((rc = ctl_parse(c, cmd, argc, argv, NULL, &user_id, 1)) != CTL_CONTINUE)
		return rc;
	if ((r = users_prepare_delete(user_id, &w)) != BA_OK)
		return ctl_fail(c, r, "user delete");
	if (ctl_store(c, &s) != BA_OK)
		return CTL_EXIT_FAIL;
	r = store_write_sync(s, &w);
	users_write_clear(&w);
	if (r != BA_OK)
		return ctl_fail(c, r, "user %s", user_id);
	return ctl_print(c, json_pack("{s:s, s:b}", "user_id", user_id,
	    "deleted", 1));
}

const struct ctl_command ctl_user_commands[] = {
	{ "user", "create", user_create,
	  "[--username U] [--password-stdin] [--user-id ID]",
	  "Create a user; prints its user_id." },
	{ "user", "list", user_list, "", "List every user." },
	{ "user", "show", user_show, "USER_ID", "Show one user." },
	{ "user", "delete", user_delete, "USER_ID",
	  "Delete a user with their authenticators and sessions." },
	{ NULL, NULL, NULL, NULL, NULL },
};
