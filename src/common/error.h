/*
 * error.h - the one status enum of bioauth.
 *
 * Every internal function returns BA_OK (0) or one of these codes. The values
 * are stable: append new codes at the end, never renumber. The HTTP edge maps
 * each code to a status and an `error_code` string in one table
 * (src/edge/errmap.c); ba_strerror() gives a log-friendly name.
 */
#ifndef BIOAUTH_COMMON_ERROR_H
#define BIOAUTH_COMMON_ERROR_H

enum ba_err {
	BA_OK = 0,
	BA_ERR_INTERNAL = 1,            /* bug or unexpected library failure */
	BA_ERR_NOMEM = 2,               /* allocation failed */
	BA_ERR_INVALID_REQUEST = 3,     /* malformed or missing input */
	BA_ERR_NOT_FOUND = 4,           /* unknown user, key, app, session */
	BA_ERR_CONFLICT = 5,            /* duplicate id (publicKeyId, user_id, username) */
	BA_ERR_STORE_UNAVAILABLE = 6,   /* database unreachable, read-only, full */
	BA_ERR_INVALID_KEY_ENCODING = 7,/* public key not base64/DER/PEM, not on curve */
	BA_ERR_INVALID_KEY_TYPE = 8,    /* wrong curve, RSA too small, type mismatch */
	BA_ERR_INVALID_SIGNATURE = 9,   /* signature does not verify */
	BA_ERR_INVALID_TOKEN = 10,      /* bearer token missing, malformed, expired */
	BA_ERR_WRONG_TOKEN_KIND = 11,   /* valid token of the wrong kind (client/user) */
	BA_ERR_FORBIDDEN = 12,          /* valid token of another app */
	BA_ERR_CHALLENGE_EXPIRED = 13,
	BA_ERR_CHALLENGE_REUSED = 14,
	BA_ERR_KEY_LOCKED = 15,
	BA_ERR_MAX_AUTHENTICATORS = 16,
	BA_ERR_PAYLOAD_TOO_LARGE = 17,
	BA_ERR_UNSUPPORTED_MEDIA_TYPE = 18,
	BA_ERR_METHOD_NOT_ALLOWED = 19,
	BA_ERR_ROUTE_NOT_FOUND = 20,
	BA_ERR_INVALID_CREDENTIALS = 21, /* wrong username or password */
	BA_ERR_INVALID_CLIENT = 22,     /* OAuth: client authentication failed */
	BA_ERR_INVALID_GRANT = 23,      /* OAuth: bad/expired/reused refresh token */
	BA_ERR_INVALID_TARGET = 24,     /* OAuth: resource not allowed for the app */
	BA_ERR_UNSUPPORTED_GRANT_TYPE = 25,
	BA_ERR_CHALLENGE_NOT_ALLOWED = 26, /* client-made challenge refused by app policy */
	BA_ERR_RATE_LIMITED = 27,
	BA_ERR_INVALID_CHALLENGE = 28,  /* unknown challenge, or one of another user */
	BA_ERR_REQUEST_TIMEOUT = 29,
	BA_ERR_HEADER_TOO_LARGE = 30,
	BA_ERR_CONFIG = 31,             /* invalid configuration */
	BA_ERR_IO = 32,                 /* file read/write failed */
	BA_ERR_INVALID_ATTESTATION = 33, /* key attestation refused (src/attest) */
	BA_ERR_BIOMETRIC_REQUIRED = 34, /* app policy: a further key needs a biometric session */
	BA_ERR_TOO_MANY_ATTEMPTS = 35,  /* password attempts of a user delayed (Retry-After) */
	BA_ERR_CHALLENGE_QUOTA = 36,    /* the app's outstanding /start challenges at its quota */
	BA_ERR_APPROVAL_DATA_QUOTA = 37, /* the app's outstanding approval_data bytes at its quota */
	BA_ERR_USERS_API_FORBIDDEN = 38, /* the app may not use this Users API call */
	BA_ERR__COUNT                   /* keep last */
};

/* Returns a static, stable name for `err` ("invalid_request", ...); never NULL. */
const char *ba_strerror(int err);

#endif
