/*
 * statements.h - the one table of the statements the store runs (its
 * write logic and its reads), with their text per dialect.
 *
 * SQLite numbers parameters ?N, PostgreSQL $N, with the same N: the write
 * logic binds by position and reads columns by position, so both texts of
 * an entry take the same parameters and return the same columns. A NULL
 * text is a step the dialect does without (SQLite has one writer and needs
 * no row or advisory locks); FOR UPDATE appears only in PostgreSQL's text.
 */
#ifndef BIOAUTH_STORE_STATEMENTS_H
#define BIOAUTH_STORE_STATEMENTS_H

#include <stddef.h>

enum st_id {
	ST_AUDIT_INSERT,
	ST_APP_INSERT, ST_APP_RES_INSERT, ST_APP_DELETE, ST_APP_SET_SECRET,
	ST_APP_SET_MIN_CHALLENGE, ST_APP_SET_LIMITS, ST_APP_USAGE_INSERT, ST_SETTING_SET,
	ST_USER_INSERT, ST_USER_DELETE, ST_USER_DEL_AUTHS, ST_USER_DEL_SESSIONS,
	ST_USER_DEL_CHALS, ST_USER_HOLD,
	ST_AUTH_LOCK, ST_AUTH_EXISTS, ST_AUTH_COUNT, ST_AUTH_INSERT, ST_AUTH_DELETE,
	ST_AUTH_STATE_GET, ST_AUTH_FAIL_SET, ST_AUTH_SUCCESS_SET,
	ST_CHAL_QUOTA_TAKE, ST_CHAL_QUOTA_GET, ST_CHAL_RECLAIM,
	ST_CHAL_INSERT, ST_CHAL_CONSUME, ST_CHAL_STATE, ST_CC_INSERT,
	ST_SESSION_INSERT, ST_SESSION_ADD_FACTORS, ST_SESSION_GET, ST_SESSION_LOCK,
	ST_SESSION_REVOKE,
	ST_REFRESH_INSERT, ST_REFRESH_LOOKUP, ST_REFRESH_MARK, ST_REFRESH_DEL_SESSION,
	ST_SKEY_LOCK, ST_SKEY_RETIRE, ST_SKEY_INSERT, ST_SKEY_HAS_CURRENT, ST_JTI_INSERT,
	ST_PURGE_CHAL, ST_PURGE_REFRESH, ST_PURGE_SESSIONS, ST_PURGE_JTI, ST_PURGE_SKEYS,
	ST_SKEY_RESEAL, ST_SKEY_STATE, ST_SKEY_DELETE,
	/* key attestation */
	ST_APP_SET_ATTESTATION, ST_AUTH_SET_ATTESTATION, ST_REG_CHAL_INSERT,
	/* reads (read.c); ST_READY: PostgreSQL's readiness check */
	ST_READY,
	ST_R_APP_GET, ST_R_APP_GET_BY_CLIENT, ST_R_APP_LIST,
	ST_R_USER_GET, ST_R_USER_GET_BY_NAME, ST_R_USER_LIST,
	ST_R_AUTH_GET, ST_R_AUTH_LIST_APP_USER, ST_R_AUTH_LIST_USER, ST_R_AUTH_LIST_APP,
	ST_R_AUTH_LIST_ALL,
	ST_R_CHAL_GET, ST_R_REFRESH_GET, ST_R_SKEY_LIST, ST_R_JTI_GET,
	ST_R_AUDIT_LIST, ST_R_AUDIT_LIST_USER, ST_R_AUDIT_LIST_APP, ST_R_AUDIT_LIST_USER_APP,
	ST_R_USER_GET_BY_EMAIL_KEY, ST_R_USER_GET_BY_PHONE, ST_R_SETTING_GET,
	ST_PWA_GET, ST_PWA_COUNT, ST_PWA_DELETE, ST_PURGE_PWA, ST_UC_INSERT,
	ST__COUNT
};

struct st_text {
	const char *name;     /* PostgreSQL prepared-statement name */
	const char *sqlite;   /* NULL: no step in SQLite */
	const char *pg;       /* NULL: no step in PostgreSQL */
};

extern const struct st_text st_table[ST__COUNT];

#endif
