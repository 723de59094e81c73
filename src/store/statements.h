/*
 * statements.h - the one table of the statements the store runs (its
 * write logic and its reads), with their text per dialect.
 *
 * A text is written once, with SQLite's parameter marks ?N; PostgreSQL
 * runs it with each turned into $N, the same N (st_pg_sql()): the write
 * logic binds by position and reads columns by position, so both dialects
 * take the same parameters and return the same columns. Where PostgreSQL
 * needs more it appends `pg_tail` (ON CONFLICT DO NOTHING, a row lock);
 * where the dialects differ an entry holds PostgreSQL's own text. A NULL
 * SQLite text is a step SQLite does without (it has one writer and needs
 * no row or advisory locks). No text holds a `?` other than a mark.
 */
#ifndef BIOAUTH_STORE_STATEMENTS_H
#define BIOAUTH_STORE_STATEMENTS_H

#include <stdbool.h>
#include <stddef.h>

enum st_id {
	ST_AUDIT_INSERT,
	ST_APP_INSERT, ST_APP_RES_INSERT, ST_APP_DELETE, ST_APP_SET_SECRET,
	ST_APP_SET_MIN_CHALLENGE, ST_APP_SET_LIMITS, ST_APP_USAGE_INSERT, ST_SETTING_SET,
	ST_USER_INSERT, ST_USER_DELETE, ST_USER_DEL_AUTHENTICATORS, ST_USER_DEL_SESSIONS,
	ST_USER_DEL_CHALS, ST_USER_HOLD,
	ST_AUTHENTICATOR_LOCK, ST_AUTHENTICATOR_EXISTS, ST_AUTHENTICATOR_COUNT,
	ST_AUTHENTICATOR_INSERT, ST_AUTHENTICATOR_DELETE, ST_AUTHENTICATOR_STATE_GET,
	ST_AUTHENTICATOR_FAIL_SET, ST_AUTHENTICATOR_SUCCESS_SET,
	ST_CHAL_QUOTA_TAKE, ST_CHAL_QUOTA_GET, ST_CHAL_RECLAIM,
	ST_CHAL_INSERT, ST_CHAL_CONSUME, ST_CHAL_STATE, ST_CC_INSERT,
	ST_SESSION_INSERT, ST_SESSION_ADD_FACTORS, ST_SESSION_GET, ST_SESSION_LOCK,
	ST_SESSION_REVOKE,
	ST_REFRESH_INSERT, ST_REFRESH_LOOKUP, ST_REFRESH_MARK, ST_REFRESH_DEL_SESSION,
	ST_SKEY_LOCK, ST_SKEY_RETIRE, ST_SKEY_INSERT, ST_SKEY_HAS_CURRENT, ST_JTI_INSERT,
	ST_PURGE_CHAL, ST_PURGE_REFRESH, ST_PURGE_SESSIONS, ST_PURGE_JTI, ST_PURGE_SKEYS,
	ST_SKEY_RESEAL, ST_SKEY_STATE, ST_SKEY_DELETE,
	/* key attestation */
	ST_APP_SET_ATTESTATION, ST_AUTHENTICATOR_SET_ATTESTATION, ST_REG_CHAL_INSERT,
	/* reads (read.c); ST_READY: PostgreSQL's readiness check */
	ST_READY,
	ST_R_APP_GET, ST_R_APP_GET_BY_CLIENT, ST_R_APP_LIST,
	ST_R_USER_GET, ST_R_USER_GET_BY_NAME, ST_R_USER_LIST,
	ST_R_AUTHENTICATOR_GET, ST_R_AUTHENTICATOR_LIST_APP_USER,
	ST_R_AUTHENTICATOR_LIST_USER, ST_R_AUTHENTICATOR_LIST_APP,
	ST_R_AUTHENTICATOR_LIST_ALL,
	ST_R_CHAL_GET, ST_R_REFRESH_GET, ST_R_SKEY_LIST, ST_R_JTI_GET,
	ST_R_AUDIT_LIST, ST_R_AUDIT_LIST_USER, ST_R_AUDIT_LIST_APP, ST_R_AUDIT_LIST_USER_APP,
	ST_R_USER_GET_BY_EMAIL_KEY, ST_R_USER_GET_BY_PHONE, ST_R_SETTING_GET,
	ST_PWA_GET, ST_PWA_COUNT, ST_PWA_DELETE, ST_PURGE_PWA, ST_UC_INSERT,
	ST_BATCH_LOCK, ST_AUTHENTICATOR_SUCCESS_TAKE, ST_R_APP_GET_CALLER,
	ST_R_AUTHENTICATOR_GET_CHAL,
	ST__COUNT
};

struct st_text {
	const char *name;     /* PostgreSQL prepared-statement name */
	const char *sqlite;   /* NULL: no step in SQLite */
	const char *pg;       /* PostgreSQL's own text; NULL: SQLite's, $N marks */
	const char *pg_tail;  /* with pg NULL: appended in PostgreSQL, or NULL */
};

extern const struct st_text st_table[ST__COUNT];

/* PostgreSQL's text of statement `id` in a new string the caller frees:
 * the entry's own, else its SQLite text and `pg_tail` with each mark ?N
 * written $N. NULL when out of memory. */
char *st_pg_sql(enum st_id id);

/* PostgreSQL: whether the text of statement `id` ends in ON CONFLICT DO
 * NOTHING and so has a strict form - the same insert without it, where a
 * taken unique key fails the statement (23505), and with it the
 * transaction, instead of inserting nothing. */
bool st_pg_has_strict(enum st_id id);
/* The strict form's text in a new string the caller frees; NULL when out
 * of memory or `id` has none. */
char *st_pg_strict_sql(enum st_id id);

#endif
