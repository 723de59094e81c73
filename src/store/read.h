/*
 * read.h - the store's reads, written once for both backends.
 *
 * Each read of store_ops (store.h) runs its statements of the one table
 * (statements.h) on a read connection the backend lends through
 * store_ops.reader_get / reader_put, with the transaction interface of
 * tx.h, and decodes the rows with one decoder per entity. Results are
 * owned by the caller (domain/model.h's clear functions, store_free_*()).
 */
#ifndef BIOAUTH_STORE_READ_H
#define BIOAUTH_STORE_READ_H

#include "store/store.h"
#include "store/tx.h"

/* Most rows one list read returns (a cap, not a page size). */
#define STORE_LIST_MAX (1u << 20)

/* Decodes the current row of `tx`, whose columns are the session column
 * list of statements.c, into *out (owned; cleared on failure). */
int store_row_session(struct store_tx *tx, struct model_session *out);

int store_read_app_get(struct store *s, const char *app_id, struct model_app *out);
int store_read_app_get_by_client_id(struct store *s, const char *client_id,
                                    struct model_app *out);
int store_read_app_list(struct store *s, struct model_app **out, size_t *n);
int store_read_user_get(struct store *s, const char *user_id, struct model_user *out);
int store_read_user_get_by_username(struct store *s, const char *username,
                                    struct model_user *out);
int store_read_user_get_by_email_key(struct store *s, const char *email_key,
                                     struct model_user *out);
int store_read_user_get_by_phone(struct store *s, const char *phone, struct model_user *out);
int store_read_user_list(struct store *s, struct model_user **out, size_t *n);
int store_read_authenticator_get(struct store *s, const char *app_id, const char *key_id,
                                 struct model_authenticator *out);
int store_read_authenticator_list(struct store *s, const char *app_id, const char *user_id,
                                  struct model_authenticator **out, size_t *n);
int store_read_challenge_get(struct store *s, const char *challenge,
                             struct model_challenge *out);
int store_read_session_get(struct store *s, const char *session_id,
                           struct model_session *out);
int store_read_refresh_get(struct store *s, const uint8_t hash[MODEL_HASH_LEN],
                           struct model_refresh *out);
int store_read_signing_key_list(struct store *s, struct model_signing_key **out, size_t *n);
int store_read_token_is_revoked(struct store *s, const char *jti, bool *revoked);
int store_read_setting_get(struct store *s, const char *name, char **value);
int store_read_audit_list(struct store *s, const struct store_audit_filter *f,
                          struct model_audit **out, size_t *n);

/* The read entries of a backend's store_ops table. */
#define STORE_READ_OPS \
	.app_get = store_read_app_get, \
	.app_get_by_client_id = store_read_app_get_by_client_id, \
	.app_list = store_read_app_list, \
	.user_get = store_read_user_get, \
	.user_get_by_username = store_read_user_get_by_username, \
	.user_get_by_email_key = store_read_user_get_by_email_key, \
	.user_get_by_phone = store_read_user_get_by_phone, \
	.user_list = store_read_user_list, \
	.authenticator_get = store_read_authenticator_get, \
	.authenticator_list = store_read_authenticator_list, \
	.challenge_get = store_read_challenge_get, \
	.session_get = store_read_session_get, \
	.refresh_get = store_read_refresh_get, \
	.signing_key_list = store_read_signing_key_list, \
	.token_is_revoked = store_read_token_is_revoked, \
	.setting_get = store_read_setting_get, \
	.audit_list = store_read_audit_list

#endif
