/*
 * model.h - the entities of bioauth (docs/API.md "Model") as plain C structs.
 *
 * These are the values that cross the store interface. Strings are
 * heap-allocated, NUL-terminated and owned by the struct; each struct has a
 * `_clear` function that frees its members (and wipes secret ones) and leaves
 * it zeroed, so a cleared struct can be reused. Times are Unix seconds.
 */
#ifndef BIOAUTH_DOMAIN_MODEL_H
#define BIOAUTH_DOMAIN_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto/keytype.h"    /* enum key_type */

#define MODEL_HASH_LEN 32          /* SHA-256 */
#define MODEL_MAX_RESOURCES 16

/* Authentication factors recorded on a session (bit set, feeds `amr`). */
enum model_factor {
	FACTOR_PWD = 1u << 0,
	FACTOR_MOBILE_BIOMETRICS = 1u << 1,
	FACTOR_HWK = 1u << 2,      /* a key attested to live in secure hardware */
	/* Not a factor: the session's factors were established independently
	 * of each other (sessions_second_factor(), domain/sessions.h), so
	 * `amr` may say "mfa". */
	FACTOR_MFA = 1u << 3,
};

struct model_app {
	char *app_id;
	char *name;
	char *client_id;
	uint8_t client_secret_hash[MODEL_HASH_LEN]; /* SHA-256 of the secret */
	char *resources[MODEL_MAX_RESOURCES];       /* first = default audience */
	size_t n_resources;
	int64_t access_ttl;        /* 0 = server default */
	int64_t id_ttl;            /* 0 = server default */
	int64_t refresh_ttl;       /* 0 = server default; also session lifetime */
	bool allow_client_challenges;
	bool require_biometric_to_enrol;   /* a further key needs a biometric session */
	int max_authenticators;    /* per user */
	int min_client_challenge_bytes; /* floor of client-made challenges,
	                                   1..1024 (0 reads as 1) */
	int64_t created_at;
	char *attestation_policy;  /* JSON, see domain/attestation.h; NULL = default */
	/* Quotas on the app's outstanding (unconsumed, unexpired) /start
	 * challenges: their number and the bytes of their approval_data. */
	int64_t max_challenges;
	int64_t max_approval_data_bytes;
	int64_t refresh_reuse_interval; /* seconds a rotated refresh token may be
	                                   used again without revoking; 0 = never */
	unsigned users_api;        /* enum model_users_api bits the app may use */
};

/* The Users API calls an app may make (model_app.users_api). */
enum model_users_api {
	USERS_API_READ = 1u << 0,    /* GET /v1/users/... */
	USERS_API_CREATE = 1u << 1,  /* POST /v1/users */
	USERS_API_DELETE = 1u << 2,  /* DELETE /v1/users/{user_id} */
	USERS_API_ALL = USERS_API_READ | USERS_API_CREATE | USERS_API_DELETE,
};

struct model_user {
	char *user_id;
	char *username;            /* may be NULL */
	char *password_hash;       /* Argon2id encoded string; NULL = no password */
	int64_t created_at;
	int64_t updated_at;
	/* The fields of Transmit's Users API (migration 2); each may be NULL. */
	char *email;               /* as given; unique by contact_email_key() */
	bool email_verified;
	char *phone_number;        /* E.164; unique */
	bool phone_number_verified;
	char *name;                /* serialised JSON object: first_name, ... */
	char *external_user_id;
	char *custom_data;         /* serialised JSON object */
	bool password_force_replace; /* credentials.force_replace, as given */
};

struct model_authenticator {
	char *app_id;
	char *public_key_id;       /* unique per app */
	char *user_id;
	int key_type;              /* enum key_type */
	uint8_t *public_key_der;   /* normalised DER SubjectPublicKeyInfo */
	size_t public_key_der_len;
	char *os;
	char *encryption_type;     /* as sent, may be NULL */
	char *device_id;           /* may be NULL */
	char *display_name;        /* may be NULL */
	char *challenge;           /* registration challenge, may be NULL */
	char *attestation;         /* attestation_encoded_result, may be NULL */
	int64_t created_at;
	int64_t last_used_at;      /* 0 = never */
	int failed_count;          /* consecutive failed signatures */
	int64_t locked_until;      /* 0 = not locked */
	/* Key attestation, see domain/attestation.h. */
	char *attestation_verdict; /* JSON object of the API's `attestation`; NULL = none */
	bool hwk;                  /* verified key in secure hardware: amr gains "hwk" */
	uint8_t *appattest_key;    /* App Attest key (0x04||X||Y), written only */
	size_t appattest_key_len;
	int64_t appattest_counter; /* last App Attest assertion counter */
	uint8_t *appattest_receipt;/* App Attest receipt, written only */
	size_t appattest_receipt_len;
	unsigned enrol_factors;    /* FACTOR_* of the session it was registered from */
};

/* A challenge issued by /start. */
struct model_challenge {
	char *challenge;           /* the random string handed out (primary key) */
	char *app_id;
	char *user_id;
	char *device_id;           /* may be NULL */
	char *approval_data;       /* serialised JSON object, may be NULL */
	int64_t created_at;
	int64_t expires_at;
	bool consumed;
};

struct model_session {
	char *session_id;
	char *app_id;
	char *user_id;
	unsigned factors;          /* enum model_factor bits */
	char *org_id;              /* may be NULL */
	char *client_attributes;   /* serialised JSON object, may be NULL */
	int64_t created_at;
	int64_t auth_time;         /* last successful authentication */
	int64_t expires_at;
	bool revoked;
};

struct model_refresh {
	uint8_t hash[MODEL_HASH_LEN]; /* SHA-256 of the opaque token */
	char *session_id;
	int64_t created_at;
	int64_t expires_at;
	bool rotated;              /* already exchanged: reuse revokes the session
	                              (after the app's refresh_reuse_interval) */
};

struct model_signing_key {
	char *kid;
	char *alg;                 /* "ES256", "RS256", "EdDSA" */
	char *private_pem;         /* PKCS#8 PEM; secret */
	int64_t created_at;
	int64_t retired_at;        /* 0 = current signer; else stopped signing then */
};

struct model_audit {
	int64_t id;                /* assigned by the store */
	int64_t time;
	char *event;               /* "register", "authenticate", "delete", "lock", ... */
	char *outcome;             /* "success" or "failure" */
	char *reason;              /* failure reason (error name), may be NULL */
	char *app_id;              /* may be NULL */
	char *user_id;             /* may be NULL */
	char *key_id;              /* may be NULL */
	char *client_attributes;   /* serialised JSON, may be NULL */
};

void model_app_clear(struct model_app *a);
void model_user_clear(struct model_user *u);
void model_authenticator_clear(struct model_authenticator *a);
void model_challenge_clear(struct model_challenge *c);
void model_session_clear(struct model_session *s);
void model_refresh_clear(struct model_refresh *r);
void model_signing_key_clear(struct model_signing_key *k);
void model_audit_clear(struct model_audit *e);

/* Deep copies; return BA_OK or BA_ERR_NOMEM (dst is left cleared on error). */
int model_app_copy(struct model_app *dst, const struct model_app *src);
int model_session_copy(struct model_session *dst, const struct model_session *src);

#endif
