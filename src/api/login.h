/*
 * login.h - the end of every successful first or second factor: a session is
 * created (or an existing one gains the factor), a refresh token is stored,
 * and the access and ID tokens are returned. Shared by password and
 * mobile-biometrics authentication.
 */
#ifndef BIOAUTH_API_LOGIN_H
#define BIOAUTH_API_LOGIN_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "api/caller.h"
#include "edge/http.h"
#include "domain/model.h"
#include "store/store.h"

struct login {
	struct caller caller;        /* the client token's app */
	char *event;                 /* audit event name (static), e.g. "authenticate" */
	char *user_id;
	char *username;              /* for the `username` claim, may be NULL */
	unsigned factor;             /* FACTOR_* proven by this request */
	/* options common to login requests */
	char *audience;              /* resolved resource */
	unsigned claims;             /* enum token_claim bits */
	char *org_id;
	char *client_attributes;     /* JSON object text */
	char *session_id;            /* existing session to add the factor to */
	/* mobile biometrics */
	char *key_id;
	char *start_challenge;       /* a /start challenge being consumed */
	char *approval_data;         /* its approval data (JSON object text) */
	bool has_client_challenge;
	uint8_t client_challenge_hash[MODEL_HASH_LEN];
	uint8_t client_challenge_key[MODEL_HASH_LEN];   /* SHA-256 of the key's SPKI */
	/* filled by login_commit */
	char *refresh_token;
	struct store_write w;
	struct model_audit audit;
	char *audit_reason;
	int fail_err;                /* login_fail: what to answer */
	const char *fail_message;    /* static text or NULL */
	struct store *store;         /* for work done off the HTTP workers */
	const char *password;        /* password login: borrowed from the body */
	char *password_hash;         /* password login: the hash it verified */
	bool has_password_attempt;   /* password login: its attempt was counted */
	struct store_password_attempt password_attempt;
	char *login_session_id;      /* owned copies of what w borrows */
	struct model_refresh login_refresh;
};

/* A zeroed login owned by the request (req_set_state); NULL on ENOMEM after
 * replying 500. */
struct login *login_attach(struct req *r, char *event);

/* Reads resource, claims, org_id, client_attributes and session_id of a
 * login request body into `l` (whose caller is set). Replies 400 and returns
 * false on bad input. */
bool login_parse_options(struct req *r, json_t *body, struct login *l);

/* Commits the login and replies with the token response or the error. */
void login_commit(struct req *r, struct login *l);

/* Records a failed attempt in the audit trail, then replies `err` with
 * `message` (a static string or NULL for the catalogue's text). */
void login_fail(struct req *r, struct login *l, int err, const char *message);

/* Fills l->audit for this attempt (borrowing from `l`): `outcome` is
 * "success" or "failure", `err` the failure reason or BA_OK. */
void login_set_audit(struct login *l, char *outcome, int err);

/* Serialises a JSON object to text capped at `max` bytes; NULL when too big. */
char *api_json_object_text(json_t *obj, size_t max);

#endif
