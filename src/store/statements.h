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

/*
 * challenge_usage keeps each app's count of outstanding challenges in
 * CHALLENGE_USAGE_SHARDS rows (shards), so that the /start calls and
 * logins of one app on several instances seldom update the same row. A
 * challenge's shard is the code point of its first character mod the
 * number of shards, in SQL only: the quota statement (statements.c) and
 * the triggers (migration 5) compute it with these macros, so the two
 * always agree. /start challenges are base64url (crypto/rand.c
 * rand_token), whose 64 first characters fall 2 to 5 on each shard: at
 * most 5/64 of an app's /start calls update one row. (Client challenges
 * are not stored in `challenges`.) Migration 5 fills the shards of every
 * app: changing the number or the expression needs a new migration that
 * refills them.
 */
#define CHALLENGE_USAGE_SHARDS 16
#define CHALLENGE_USAGE_STR_(n) #n
#define CHALLENGE_USAGE_STR(n) CHALLENGE_USAGE_STR_(n)
#define CHALLENGE_USAGE_N CHALLENGE_USAGE_STR(CHALLENGE_USAGE_SHARDS)
/* The shard of challenge text `x` (SQL text), per dialect. */
#define CHALLENGE_SHARD_SQ(x) "(coalesce(unicode(" x "), 0) % " CHALLENGE_USAGE_N ")"
#define CHALLENGE_SHARD_PG(x) "(ascii(" x ") % " CHALLENGE_USAGE_N ")"
/* The shard numbers 0 .. CHALLENGE_USAGE_SHARDS - 1 as rows s(n), for the
 * head of a WITH RECURSIVE (both dialects). */
#define CHALLENGE_USAGE_SHARD_ROWS \
	"s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n + 1 < " CHALLENGE_USAGE_N ")"

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
	ST__COUNT
};

struct st_text {
	const char *name;     /* PostgreSQL prepared-statement name */
	const char *sqlite;   /* NULL: no step in SQLite */
	const char *pg;       /* NULL: no step in PostgreSQL */
};

extern const struct st_text st_table[ST__COUNT];

#endif
