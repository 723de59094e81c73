/*
 * statements.c - the statements of the store, per dialect (statements.h).
 * Where the dialects differ it is said next to the entry.
 *
 * Each entity's column list is written once, here: its insert names it,
 * the reads select it, and its row decoder (read.c) reads the columns in
 * this order. A new column goes into the list, the insert's values (and
 * its bind in write.c) and the decoder.
 */
#include <stdlib.h>
#include <string.h>

#include "store/statements.h"

#define APP_COLS \
	"app_id, name, client_id, client_secret_hash, access_ttl, id_ttl, " \
	"refresh_ttl, allow_client_challenges, max_authenticators, created_at, " \
	"attestation_policy, min_client_challenge_bytes, require_biometric_to_enrol, " \
	"max_challenges, max_approval_data_bytes, refresh_reuse_interval, users_api"
#define USER_COLS \
	"user_id, username, password_hash, created_at, updated_at, email, email_verified, " \
	"phone_number, phone_number_verified, name, external_user_id, custom_data, " \
	"password_force_replace"
/* The columns the reads of an app, a user and an authenticator decode
 * (read.c, in this order); the inserts name their own. */
#define AUTHENTICATOR_COLS \
	"app_id, public_key_id, user_id, key_type, public_key, os, encryption_type, " \
	"device_id, display_name, challenge, attestation, created_at, last_used_at, " \
	"failed_count, locked_until"
#define AUTHENTICATOR_READ_COLS \
	AUTHENTICATOR_COLS ", attestation_verdict, hwk, appattest_counter"
#define CHAL_COLS \
	"challenge, app_id, user_id, device_id, approval_data, created_at, expires_at, consumed"
#define SESSION_COLS \
	"session_id, app_id, user_id, factors, org_id, client_attributes, " \
	"created_at, auth_time, expires_at, revoked"
#define REFRESH_COLS "hash, session_id, created_at, expires_at, rotated"
#define SKEY_COLS "kid, alg, private_pem, created_at, retired_at"
#define AUDIT_COLS \
	"id, time, event, outcome, reason, app_id, user_id, key_id, client_attributes"
/* An app and its resources in one statement (one snapshot): one row per
 * resource, or one with NULL pos and uri when the app has none. */
#define APP_FROM " FROM apps LEFT JOIN app_resources USING (app_id)"
#define APP_JOIN "SELECT " APP_COLS ", pos, uri" APP_FROM

/*
 * ONE: both dialects run the text, PostgreSQL with $N for ?N.
 * TAIL: PostgreSQL runs it with `pg_tail` appended (ON CONFLICT DO NOTHING,
 * a row lock).
 * TWO: the dialects differ (the reason is said next to the entry); a NULL
 * SQLite text is a step SQLite does without.
 */
#define ONE(id, sql) [id] = { #id, sql, NULL, NULL }
#define TAIL(id, sql, pg_tail) [id] = { #id, sql, NULL, pg_tail }
#define TWO(id, sq, pgsql) [id] = { #id, sq, pgsql, NULL }

const struct st_text st_table[ST__COUNT] = {
	ONE(ST_AUDIT_INSERT,
	    "INSERT INTO audit (time, event, outcome, reason, app_id, user_id, key_id,"
	    " client_attributes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id"),

	/* Inserts: SQLite reports a taken unique key as a constraint error,
	 * PostgreSQL's ON CONFLICT DO NOTHING as "no row inserted" (which
	 * keeps the transaction usable); the write logic takes either. A
	 * write alone in its transaction runs PostgreSQL's strict form,
	 * without it (st_pg_strict_sql(), postgres_tx.c). */
	TAIL(ST_APP_INSERT,
	     "INSERT INTO apps (app_id, name, client_id, client_secret_hash, access_ttl, id_ttl,"
	     " refresh_ttl, allow_client_challenges, max_authenticators, created_at,"
	     " min_client_challenge_bytes, require_biometric_to_enrol, max_challenges,"
	     " max_approval_data_bytes, refresh_reuse_interval, users_api)"
	     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
	     " ON CONFLICT DO NOTHING"),
	ONE(ST_APP_RES_INSERT, "INSERT INTO app_resources (app_id, pos, uri) VALUES (?1, ?2, ?3)"),
	ONE(ST_APP_DELETE, "DELETE FROM apps WHERE app_id = ?1"),
	ONE(ST_APP_SET_SECRET, "UPDATE apps SET client_secret_hash = ?2 WHERE app_id = ?1"),
	ONE(ST_APP_SET_MIN_CHALLENGE,
	    "UPDATE apps SET min_client_challenge_bytes = ?2 WHERE app_id = ?1"),
	ONE(ST_APP_SET_LIMITS,
	    "UPDATE apps SET require_biometric_to_enrol = ?2, max_challenges = ?3,"
	    " max_approval_data_bytes = ?4, refresh_reuse_interval = ?5, users_api = ?6"
	    " WHERE app_id = ?1"),
	TAIL(ST_APP_USAGE_INSERT,
	     "INSERT INTO challenge_usage (app_id, open_count, open_bytes) VALUES (?1, 0, 0)",
	     " ON CONFLICT DO NOTHING"),
	ONE(ST_SETTING_SET,
	    "INSERT INTO settings (name, value, updated_at) VALUES (?1, ?2, ?3)"
	    " ON CONFLICT (name) DO UPDATE SET value = excluded.value,"
	    " updated_at = excluded.updated_at"),

	TAIL(ST_USER_INSERT,
	     "INSERT INTO users (user_id, username, password_hash, created_at, updated_at,"
	     " email, email_key, phone_number, name, external_user_id, custom_data,"
	     " password_force_replace)"
	     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
	     " ON CONFLICT DO NOTHING"),
	ONE(ST_USER_DELETE, "DELETE FROM users WHERE user_id = ?1"),
	ONE(ST_USER_DEL_AUTHENTICATORS, "DELETE FROM authenticators WHERE user_id = ?1"),
	ONE(ST_USER_DEL_SESSIONS, "DELETE FROM sessions WHERE user_id = ?1"),
	ONE(ST_USER_DEL_CHALS, "DELETE FROM challenges WHERE user_id = ?1"),
	/* The user a write commits rows for must exist when it commits.
	 * PostgreSQL: the row stays share-locked until commit, so a concurrent
	 * user deletion (which deletes the user's row first, then the rows
	 * that name it) either ran before and this finds nothing, or waits and
	 * then deletes what this write committed. */
	TAIL(ST_USER_HOLD, "SELECT password_hash FROM users WHERE user_id = ?1", " FOR KEY SHARE"),

	/* PostgreSQL: concurrent registrations of one (app, user) wait here,
	 * so the key count below stays exact until commit. */
	TWO(ST_AUTHENTICATOR_LOCK, NULL, "SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))"),
	ONE(ST_AUTHENTICATOR_EXISTS,
	    "SELECT 1 FROM authenticators WHERE app_id = ?1 AND public_key_id = ?2"),
	ONE(ST_AUTHENTICATOR_COUNT,
	    "SELECT count(*) FROM authenticators WHERE app_id = ?1 AND user_id = ?2"),
	TAIL(ST_AUTHENTICATOR_INSERT,
	     "INSERT INTO authenticators (app_id, public_key_id, user_id, key_type, public_key,"
	     " os, encryption_type, device_id, display_name, challenge, attestation,"
	     " created_at, last_used_at, failed_count, locked_until, enrol_factors)"
	     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
	     " ON CONFLICT DO NOTHING"),
	/* PostgreSQL: the type of a parameter only compared with NULL is
	 * given (::text). */
	TWO(ST_AUTHENTICATOR_DELETE,
	    "DELETE FROM authenticators WHERE app_id = ?1 AND public_key_id = ?2"
	    " AND (?3 IS NULL OR user_id = ?3)",
	    "DELETE FROM authenticators WHERE app_id = $1 AND public_key_id = $2"
	    " AND ($3::text IS NULL OR user_id = $3)"),
	/* PostgreSQL: the key's row stays locked until commit. */
	TAIL(ST_AUTHENTICATOR_STATE_GET,
	     "SELECT user_id, failed_count, locked_until, created_at, enrol_factors"
	     " FROM authenticators WHERE app_id = ?1 AND public_key_id = ?2",
	     " FOR UPDATE"),
	ONE(ST_AUTHENTICATOR_FAIL_SET,
	    "UPDATE authenticators SET failed_count = ?3, locked_until = ?4"
	    " WHERE app_id = ?1 AND public_key_id = ?2"),
	ONE(ST_AUTHENTICATOR_SUCCESS_SET,
	    "UPDATE authenticators SET failed_count = 0, locked_until = 0, last_used_at = ?3"
	    " WHERE app_id = ?1 AND public_key_id = ?2"),

	TAIL(ST_CHAL_INSERT,
	     "INSERT INTO challenges (challenge, app_id, user_id, device_id, approval_data,"
	     " created_at, expires_at, consumed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	     " ON CONFLICT DO NOTHING"),
	/* The app's quotas on outstanding challenges, taken by one conditional
	 * UPDATE: of concurrent /start calls of one app each waits for the
	 * usage row (PostgreSQL: and then checks the row's new values, hence
	 * its UPDATE ... FROM), so none passes a quota. ?2 the new challenge's
	 * approval_data bytes. */
	TWO(ST_CHAL_QUOTA_TAKE,
	    "UPDATE challenge_usage SET open_count = open_count + 1, open_bytes = open_bytes + ?2"
	    " WHERE app_id = ?1 AND EXISTS (SELECT 1 FROM apps a WHERE a.app_id = ?1"
	    " AND challenge_usage.open_count < a.max_challenges"
	    " AND challenge_usage.open_bytes + ?2 <= a.max_approval_data_bytes)",
	    "UPDATE challenge_usage u SET open_count = u.open_count + 1,"
	    " open_bytes = u.open_bytes + $2 FROM apps a"
	    " WHERE u.app_id = $1 AND a.app_id = u.app_id AND u.open_count < a.max_challenges"
	    " AND u.open_bytes + $2 <= a.max_approval_data_bytes"),
	ONE(ST_CHAL_QUOTA_GET,
	    "SELECT u.open_count, u.open_bytes, a.max_challenges FROM challenge_usage u"
	    " JOIN apps a ON a.app_id = u.app_id WHERE u.app_id = ?1"),
	/* The app's expired, unconsumed challenges (the trigger gives back
	 * their share of the quota). Booleans: SQLite's 0 and 1, PostgreSQL's
	 * boolean type (here and below). */
	TWO(ST_CHAL_RECLAIM,
	    "DELETE FROM challenges WHERE app_id = ?1 AND consumed = 0 AND expires_at <= ?2",
	    "DELETE FROM challenges WHERE app_id = $1 AND NOT consumed AND expires_at <= $2"),
	/* One conditional UPDATE consumes: of two concurrent consumers the
	 * second waits for the row and then changes nothing. */
	TWO(ST_CHAL_CONSUME,
	    "UPDATE challenges SET consumed = 1 WHERE challenge = ?1 AND app_id = ?2"
	    " AND user_id = ?3 AND consumed = 0 AND expires_at > ?4",
	    "UPDATE challenges SET consumed = true WHERE challenge = $1 AND app_id = $2"
	    " AND user_id = $3 AND NOT consumed AND expires_at > $4"),
	ONE(ST_CHAL_STATE,
	    "SELECT app_id, user_id, consumed, expires_at FROM challenges WHERE challenge = ?1"),
	/* The same pair keyed by the key's public key instead of its id: it
	 * outlives the key, and two ids of one public key share it. */
	TAIL(ST_UC_INSERT,
	     "INSERT INTO used_challenges (app_id, key_hash, hash, used_at) VALUES (?1, ?2, ?3, ?4)",
	     " ON CONFLICT DO NOTHING"),
	TAIL(ST_CC_INSERT,
	     "INSERT INTO client_challenges (app_id, key_id, hash, used_at) VALUES (?1, ?2, ?3, ?4)",
	     " ON CONFLICT DO NOTHING"),

	TWO(ST_SESSION_INSERT,
	    "INSERT INTO sessions (session_id, app_id, user_id, factors, org_id,"
	    " client_attributes, created_at, auth_time, expires_at, revoked)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 0)",
	    "INSERT INTO sessions (session_id, app_id, user_id, factors, org_id,"
	    " client_attributes, created_at, auth_time, expires_at, revoked)"
	    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, false) ON CONFLICT DO NOTHING"),
	ONE(ST_SESSION_ADD_FACTORS,
	    "UPDATE sessions SET factors = factors | ?2, auth_time = ?3,"
	    " org_id = coalesce(?4, org_id), client_attributes = coalesce(?5, client_attributes)"
	    " WHERE session_id = ?1"),
	ONE(ST_SESSION_GET, "SELECT " SESSION_COLS " FROM sessions WHERE session_id = ?1"),
	/* PostgreSQL: a session checked before it is extended stays as checked
	 * (the lock its UPDATE takes anyway, which refresh-token inserts of
	 * the session do not wait for). */
	TAIL(ST_SESSION_LOCK, "SELECT " SESSION_COLS " FROM sessions WHERE session_id = ?1",
	     " FOR NO KEY UPDATE"),
	TWO(ST_SESSION_REVOKE,
	    "UPDATE sessions SET revoked = 1 WHERE session_id = ?1 AND (?2 IS NULL OR app_id = ?2)",
	    "UPDATE sessions SET revoked = true WHERE session_id = $1"
	    " AND ($2::text IS NULL OR app_id = $2)"),

	TWO(ST_REFRESH_INSERT,
	    "INSERT INTO refresh_tokens (hash, session_id, created_at, expires_at, rotated)"
	    " VALUES (?1, ?2, ?3, ?4, 0)",
	    "INSERT INTO refresh_tokens (hash, session_id, created_at, expires_at, rotated)"
	    " VALUES ($1, $2, $3, $4, false) ON CONFLICT DO NOTHING"),
	/* PostgreSQL: of two concurrent exchanges of one token the second
	 * waits here and then sees the first's rotation. */
	TAIL(ST_REFRESH_LOOKUP,
	     "SELECT r.session_id, r.expires_at, r.rotated, s.app_id, s.revoked, s.expires_at,"
	     " r.rotated_at FROM refresh_tokens r JOIN sessions s ON s.session_id = r.session_id"
	     " WHERE r.hash = ?1",
	     " FOR UPDATE OF r"),
	TWO(ST_REFRESH_MARK,
	    "UPDATE refresh_tokens SET rotated = 1, rotated_at = ?2 WHERE hash = ?1 AND rotated = 0",
	    "UPDATE refresh_tokens SET rotated = true, rotated_at = $2"
	    " WHERE hash = $1 AND NOT rotated"),
	ONE(ST_REFRESH_DEL_SESSION, "DELETE FROM refresh_tokens WHERE session_id = ?1"),

	/* PostgreSQL: rotations and first keys of several instances queue. */
	TWO(ST_SKEY_LOCK, NULL, "LOCK TABLE signing_keys IN SHARE ROW EXCLUSIVE MODE"),
	ONE(ST_SKEY_RETIRE, "UPDATE signing_keys SET retired_at = ?1 WHERE retired_at = 0"),
	TAIL(ST_SKEY_INSERT,
	     "INSERT INTO signing_keys (kid, alg, private_pem, created_at, retired_at)"
	     " VALUES (?1, ?2, ?3, ?4, ?5)",
	     " ON CONFLICT DO NOTHING"),
	ONE(ST_SKEY_HAS_CURRENT, "SELECT 1 FROM signing_keys WHERE retired_at = 0 LIMIT 1"),
	/* The larger of two values: SQLite's max(), PostgreSQL's greatest()
	 * (which names the row's column by its table, see ST_PWA_COUNT). */
	TWO(ST_JTI_INSERT,
	    "INSERT INTO revoked_tokens (jti, expires_at) VALUES (?1, ?2) ON CONFLICT (jti)"
	    " DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)",
	    "INSERT INTO revoked_tokens (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti)"
	    " DO UPDATE SET expires_at = greatest(revoked_tokens.expires_at, excluded.expires_at)"),

	ONE(ST_PURGE_CHAL, "DELETE FROM challenges WHERE expires_at < ?1"),
	ONE(ST_PURGE_REFRESH, "DELETE FROM refresh_tokens WHERE expires_at < ?1"),
	ONE(ST_PURGE_SESSIONS, "DELETE FROM sessions WHERE expires_at < ?1"),
	ONE(ST_PURGE_JTI, "DELETE FROM revoked_tokens WHERE expires_at < ?1"),
	ONE(ST_PURGE_SKEYS, "DELETE FROM signing_keys WHERE retired_at <> 0 AND retired_at < ?1"),

	ONE(ST_SKEY_RESEAL, "UPDATE signing_keys SET private_pem = ?2 WHERE kid = ?1"),
	ONE(ST_SKEY_STATE, "SELECT retired_at FROM signing_keys WHERE kid = ?1"),
	ONE(ST_SKEY_DELETE, "DELETE FROM signing_keys WHERE kid = ?1"),
	/* key attestation */
	ONE(ST_APP_SET_ATTESTATION, "UPDATE apps SET attestation_policy = ?2 WHERE app_id = ?1"),
	ONE(ST_AUTHENTICATOR_SET_ATTESTATION,
	    "UPDATE authenticators SET attestation_verdict = ?3, hwk = ?4, appattest_key = ?5,"
	    " appattest_counter = ?6, appattest_receipt = ?7"
	    " WHERE app_id = ?1 AND public_key_id = ?2"),
	TAIL(ST_REG_CHAL_INSERT,
	     "INSERT INTO register_challenges (app_id, hash, used_at) VALUES (?1, ?2, ?3)",
	     " ON CONFLICT DO NOTHING"),
	/* PostgreSQL's ready(): the server accepts writes (not a standby). */
	TWO(ST_READY, NULL, "SELECT current_setting('transaction_read_only') = 'off'"),

	/* Reads. Lists are ordered by creation, ties by insertion order:
	 * SQLite's rowid, PostgreSQL's `seq` column. */
	ONE(ST_R_APP_GET, APP_JOIN " WHERE app_id = ?1 ORDER BY pos"),
	ONE(ST_R_APP_GET_BY_CLIENT, APP_JOIN " WHERE client_id = ?1 ORDER BY pos"),
	/* The app of a bearer token and whether the token (its jti, ?2) is
	 * revoked, in one statement: ST_R_APP_GET's columns, then the flag. */
	ONE(ST_R_APP_GET_CALLER,
	    "SELECT " APP_COLS ", pos, uri, EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = ?2)"
	    APP_FROM " WHERE app_id = ?1 ORDER BY pos"),
	ONE(ST_R_APP_LIST, APP_JOIN " ORDER BY created_at, app_id, pos"),
	ONE(ST_R_USER_GET, "SELECT " USER_COLS " FROM users WHERE user_id = ?1"),
	ONE(ST_R_USER_GET_BY_NAME, "SELECT " USER_COLS " FROM users WHERE username = ?1"),
	ONE(ST_R_USER_LIST, "SELECT " USER_COLS " FROM users ORDER BY created_at, user_id"),
	/* Transmit's lookups: the key of an email (contact_email_key()), a phone. */
	ONE(ST_R_USER_GET_BY_EMAIL_KEY, "SELECT " USER_COLS " FROM users WHERE email_key = ?1"),
	ONE(ST_R_USER_GET_BY_PHONE, "SELECT " USER_COLS " FROM users WHERE phone_number = ?1"),
	ONE(ST_R_SETTING_GET, "SELECT value FROM settings WHERE name = ?1"),
	ONE(ST_R_AUTHENTICATOR_GET,
	    "SELECT " AUTHENTICATOR_READ_COLS " FROM authenticators WHERE app_id = ?1"
	    " AND public_key_id = ?2"),
	/* A login's two reads in one statement: the key (ST_R_AUTHENTICATOR_GET's
	 * columns) and then the /start challenge the client signed, if there
	 * is one (ST_R_CHAL_GET's columns, NULL when none). */
	ONE(ST_R_AUTHENTICATOR_GET_CHAL,
	    "SELECT k.*, c.* FROM (SELECT " AUTHENTICATOR_READ_COLS " FROM authenticators"
	    " WHERE app_id = ?1 AND public_key_id = ?2) AS k LEFT JOIN (SELECT " CHAL_COLS
	    " FROM challenges WHERE challenge = ?3) AS c ON 1 = 1"),
	/* One statement per filter, so each uses its index. */
	TWO(ST_R_AUTHENTICATOR_LIST_APP_USER,
	    "SELECT " AUTHENTICATOR_READ_COLS " FROM authenticators WHERE app_id = ?1 AND user_id = ?2"
	    " ORDER BY created_at, rowid",
	    "SELECT " AUTHENTICATOR_READ_COLS " FROM authenticators WHERE app_id = $1 AND user_id = $2"
	    " ORDER BY created_at, seq"),
	TWO(ST_R_AUTHENTICATOR_LIST_USER,
	    "SELECT " AUTHENTICATOR_READ_COLS " FROM authenticators WHERE user_id = ?1"
	    " ORDER BY created_at, rowid",
	    "SELECT " AUTHENTICATOR_READ_COLS " FROM authenticators WHERE user_id = $1"
	    " ORDER BY created_at, seq"),
	TWO(ST_R_AUTHENTICATOR_LIST_APP,
	    "SELECT " AUTHENTICATOR_READ_COLS " FROM authenticators WHERE app_id = ?1"
	    " ORDER BY created_at, rowid",
	    "SELECT " AUTHENTICATOR_READ_COLS " FROM authenticators WHERE app_id = $1"
	    " ORDER BY created_at, seq"),
	TWO(ST_R_AUTHENTICATOR_LIST_ALL,
	    "SELECT " AUTHENTICATOR_READ_COLS " FROM authenticators ORDER BY created_at, rowid",
	    "SELECT " AUTHENTICATOR_READ_COLS " FROM authenticators ORDER BY created_at, seq"),
	ONE(ST_R_CHAL_GET, "SELECT " CHAL_COLS " FROM challenges WHERE challenge = ?1"),
	ONE(ST_R_REFRESH_GET, "SELECT " REFRESH_COLS " FROM refresh_tokens WHERE hash = ?1"),
	TWO(ST_R_SKEY_LIST,
	    "SELECT " SKEY_COLS " FROM signing_keys ORDER BY created_at DESC, rowid DESC",
	    "SELECT " SKEY_COLS " FROM signing_keys ORDER BY created_at DESC, seq DESC"),
	ONE(ST_R_JTI_GET, "SELECT 1 FROM revoked_tokens WHERE jti = ?1"),
	/* Parameters: since, limit, then user and app when filtered by. */
	ONE(ST_R_AUDIT_LIST,
	    "SELECT " AUDIT_COLS " FROM audit WHERE time >= ?1 ORDER BY id DESC LIMIT ?2"),
	ONE(ST_R_AUDIT_LIST_USER,
	    "SELECT " AUDIT_COLS " FROM audit WHERE time >= ?1 AND user_id = ?3"
	    " ORDER BY id DESC LIMIT ?2"),
	ONE(ST_R_AUDIT_LIST_APP,
	    "SELECT " AUDIT_COLS " FROM audit WHERE time >= ?1 AND app_id = ?3"
	    " ORDER BY id DESC LIMIT ?2"),
	ONE(ST_R_AUDIT_LIST_USER_APP,
	    "SELECT " AUDIT_COLS " FROM audit WHERE time >= ?1 AND user_id = ?3 AND app_id = ?4"
	    " ORDER BY id DESC LIMIT ?2"),

	/* ?1 is the purge's `before` less PASSWORD_GUARD_FORGET */
	ONE(ST_PURGE_PWA, "DELETE FROM password_attempts WHERE last_at < ?1"),

	/* Password attempts (domain/password_guard.h). PostgreSQL: an existing
	 * count stays locked until commit, so concurrent attempts of one user
	 * are counted one after the other; the first attempts of a new key
	 * meet in the upsert. PostgreSQL's upsert names the row's own column
	 * by its table (bare, it is ambiguous with `excluded`); so does
	 * ST_JTI_INSERT's. */
	TAIL(ST_PWA_GET, "SELECT failures, last_at FROM password_attempts WHERE key = ?1",
	     " FOR UPDATE"),
	/* last_at never moves back: concurrent attempts may be counted out of
	 * the order of their time stamps */
	TWO(ST_PWA_COUNT,
	    "INSERT INTO password_attempts (key, failures, last_at) VALUES (?1, 1, ?2)"
	    " ON CONFLICT (key) DO UPDATE SET failures = failures + 1,"
	    " last_at = max(last_at, excluded.last_at)",
	    "INSERT INTO password_attempts (key, failures, last_at) VALUES ($1, 1, $2)"
	    " ON CONFLICT (key) DO UPDATE SET failures = password_attempts.failures + 1,"
	    " last_at = greatest(password_attempts.last_at, excluded.last_at)"),
	ONE(ST_PWA_DELETE, "DELETE FROM password_attempts WHERE key = ?1"),

	/* PostgreSQL: the locks of a batch's writes in one global order
	 * (write.c, store_lock_keys): $1 apps, $2 kinds, $3 names, one
	 * element per resource; keyed as ST_AUTHENTICATOR_LOCK is, taken in
	 * ascending order (the sorted subquery feeds the aggregate in order). */
	TWO(ST_BATCH_LOCK, NULL,
	    "SELECT count(pg_advisory_xact_lock(k1, k2)) FROM (SELECT DISTINCT"
	    " hashtext(a) AS k1, hashtext(k || n) AS k2"
	    " FROM unnest($1::text[], $2::text[], $3::text[]) AS t(a, k, n) ORDER BY 1, 2) AS s"),
	/* A login's use of its key in one statement: only a key of user ?4
	 * that is not locked at ?3 is reset and returned (PostgreSQL: its
	 * row stays locked until commit, as FOR UPDATE would). */
	ONE(ST_AUTHENTICATOR_SUCCESS_TAKE,
	    "UPDATE authenticators SET failed_count = 0, locked_until = 0, last_used_at = ?3"
	    " WHERE app_id = ?1 AND public_key_id = ?2 AND user_id = ?4 AND locked_until <= ?3"
	    " RETURNING created_at, enrol_factors"),
};

char *st_pg_sql(enum st_id id)
{
	const struct st_text *t = &st_table[id];
	const char *tail = t->pg_tail != NULL ? t->pg_tail : "";
	size_t n, m;
	char *sql;

	if (t->pg != NULL)
		return strdup(t->pg);
	n = strlen(t->sqlite);
	m = strlen(tail);
	if ((sql = malloc(n + m + 1)) == NULL)
		return NULL;
	memcpy(sql, t->sqlite, n);
	memcpy(sql + n, tail, m + 1);
	for (char *p = sql; *p != '\0'; p++)
		if (p[0] == '?' && p[1] >= '0' && p[1] <= '9')
			p[0] = '$';
	return sql;
}

#define DO_NOTHING " ON CONFLICT DO NOTHING"

bool st_pg_has_strict(enum st_id id)
{
	const struct st_text *t = &st_table[id];
	size_t n = strlen(DO_NOTHING);

	if (t->pg != NULL)
		return strlen(t->pg) > n && strcmp(t->pg + strlen(t->pg) - n, DO_NOTHING) == 0;
	return t->pg_tail != NULL && strcmp(t->pg_tail, DO_NOTHING) == 0;
}

char *st_pg_strict_sql(enum st_id id)
{
	char *sql;

	if (!st_pg_has_strict(id) || (sql = st_pg_sql(id)) == NULL)
		return NULL;
	sql[strlen(sql) - strlen(DO_NOTHING)] = '\0';
	return sql;
}
