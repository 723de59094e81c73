/*
 * users.h - users and their first factor (password).
 *
 * As in apps.h, writes are prepared here and submitted by the caller
 * (req_submit() in handlers, store_write_sync() in bioauthctl); release a
 * prepared write with users_write_clear() once it is done.
 */
#ifndef BIOAUTH_DOMAIN_USERS_H
#define BIOAUTH_DOMAIN_USERS_H

#include <stdbool.h>
#include <stddef.h>

#include "domain/model.h"
#include "store/store.h"

#define USERS_ID_MAX 256        /* bytes, user_id and username */

/*
 * Prepares SW_USER_CREATE. `user_id` NULL means generate one ("usr_" + 16
 * random bytes, base64url); `username` and `password` may be NULL (no
 * username, no password). user_id and username must be 1..256 bytes of
 * printable UTF-8 (no control characters); the password 1..1024 bytes, and
 * is hashed with Argon2id here (this takes tens of milliseconds).
 * created_at = updated_at = now.
 * On BA_OK `w->in.user` holds the new user (clear with users_write_clear()).
 * Errors: BA_ERR_INVALID_REQUEST, BA_ERR_NOMEM, BA_ERR_INTERNAL; `w` is then
 * zeroed. The store answers BA_ERR_CONFLICT for a taken user_id or username.
 */
int users_prepare_create(const char *user_id, const char *username,
                         const char *password, struct store_write *w);

/* A new user as Transmit's Users API describes it; every member may be
 * NULL (false). `name` and `custom_data` are serialised JSON objects the
 * caller checked (at most USERS_JSON_MAX bytes). */
struct users_new {
	const char *user_id;
	const char *username;
	const char *password;
	bool force_replace;
	const char *email;
	const char *phone_number;
	const char *name;
	const char *external_user_id;
	const char *custom_data;
};

#define USERS_JSON_MAX 4096     /* bytes of serialised name / custom_data */

/*
 * users_prepare_create() for every field of `n`. Besides its checks, the
 * email must pass contact_email_valid(), the phone number
 * contact_phone_valid(), external_user_id is text of 1..256 bytes and
 * name / custom_data at most USERS_JSON_MAX bytes. A field that fails is
 * BA_ERR_INVALID_REQUEST with "<field>: <why>" in `msg` (`cap` bytes).
 * The store answers BA_ERR_CONFLICT for a taken email (compared
 * case-insensitively) or phone number too.
 */
int users_prepare_new(const struct users_new *n, struct store_write *w,
                      char *msg, size_t cap);

/* The user whose email is `email`, compared case-insensitively. An address
 * that is not valid is BA_ERR_NOT_FOUND, as an unknown one. */
int users_get_by_email(struct store *store, const char *email, struct model_user *out);

/* Prepares SW_USER_DELETE for `user_id` (borrowed, must outlive the write).
 * BA_ERR_INVALID_REQUEST when it is NULL or empty. */
int users_prepare_delete(const char *user_id, struct store_write *w);

/* Releases what a users_prepare_* function put into `w` (wiping the password
 * hash) and zeroes it. Safe on a zeroed write. */
void users_write_clear(struct store_write *w);

/*
 * Checks a username/password login. BA_OK fills *out with the user (clear
 * with model_user_clear()). An unknown username, a user without a password,
 * an invalid username or a wrong password are all
 * BA_ERR_INVALID_CREDENTIALS, and each costs one Argon2id verification (the
 * dummy hash when there is no real one), so the answer time does not tell
 * whether the user exists. Store errors (BA_ERR_STORE_UNAVAILABLE, ...) pass
 * through; *out is zeroed on every error.
 */
int users_check_password(struct store *store, const char *username,
                         const char *password, struct model_user *out);

#endif
