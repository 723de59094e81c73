/*
 * sqlite_migrations.c - the versioned schema of the SQLite backend.
 *
 * `migrations` lists every schema change in order; the database records the
 * versions it has applied in `schema_version`. A migration is never edited
 * once released: a change to the schema is a new entry at the end.
 *
 * Tables follow docs/API.md "Model". Rows that only make sense with their
 * app (authenticators, challenges, sessions, resources) go with it through
 * ON DELETE CASCADE; refresh tokens go with their session. User ids are not
 * foreign keys: deleting a user removes its rows explicitly, and every write
 * that adds rows for a user checks in its transaction that the user exists
 * (store/write.c wr_user_hold). The audit log outlives everything it
 * mentions.
 */
#include <stddef.h>
#include <time.h>

#include "common/error.h"
#include "common/log.h"
#include "store/sqlite_internal.h"

struct migration {
	int version;
	const char *sql;
};

static const struct migration migrations[] = {
	{1,
	 "CREATE TABLE apps ("
	 " app_id TEXT PRIMARY KEY NOT NULL,"
	 " name TEXT NOT NULL,"
	 " client_id TEXT NOT NULL UNIQUE,"
	 " client_secret_hash BLOB NOT NULL,"
	 " access_ttl INTEGER NOT NULL DEFAULT 0,"
	 " id_ttl INTEGER NOT NULL DEFAULT 0,"
	 " refresh_ttl INTEGER NOT NULL DEFAULT 0,"
	 " allow_client_challenges INTEGER NOT NULL DEFAULT 1,"
	 " max_authenticators INTEGER NOT NULL DEFAULT 10,"
	 " created_at INTEGER NOT NULL);"
	 "CREATE TABLE app_resources ("
	 " app_id TEXT NOT NULL REFERENCES apps(app_id) ON DELETE CASCADE,"
	 " pos INTEGER NOT NULL,"
	 " uri TEXT NOT NULL,"
	 " PRIMARY KEY (app_id, pos));"
	 "CREATE TABLE users ("
	 " user_id TEXT PRIMARY KEY NOT NULL,"
	 " username TEXT UNIQUE,"
	 " password_hash TEXT,"
	 " created_at INTEGER NOT NULL,"
	 " updated_at INTEGER NOT NULL);"
	 "CREATE TABLE authenticators ("
	 " app_id TEXT NOT NULL REFERENCES apps(app_id) ON DELETE CASCADE,"
	 " public_key_id TEXT NOT NULL,"
	 " user_id TEXT NOT NULL,"
	 " key_type INTEGER NOT NULL,"
	 " public_key BLOB NOT NULL,"
	 " os TEXT,"
	 " encryption_type TEXT,"
	 " device_id TEXT,"
	 " display_name TEXT,"
	 " challenge TEXT,"
	 " attestation TEXT,"
	 " created_at INTEGER NOT NULL,"
	 " last_used_at INTEGER NOT NULL DEFAULT 0,"
	 " failed_count INTEGER NOT NULL DEFAULT 0,"
	 " locked_until INTEGER NOT NULL DEFAULT 0,"
	 " PRIMARY KEY (app_id, public_key_id));"
	 "CREATE INDEX authenticators_app_user ON authenticators(app_id, user_id, created_at);"
	 "CREATE INDEX authenticators_user ON authenticators(user_id, created_at);"
	 "CREATE TABLE challenges ("
	 " challenge TEXT PRIMARY KEY NOT NULL,"
	 " app_id TEXT NOT NULL REFERENCES apps(app_id) ON DELETE CASCADE,"
	 " user_id TEXT NOT NULL,"
	 " device_id TEXT,"
	 " approval_data TEXT,"
	 " created_at INTEGER NOT NULL,"
	 " expires_at INTEGER NOT NULL,"
	 " consumed INTEGER NOT NULL DEFAULT 0);"
	 "CREATE INDEX challenges_app ON challenges(app_id);"
	 "CREATE INDEX challenges_user ON challenges(user_id);"
	 "CREATE INDEX challenges_expires ON challenges(expires_at);"
	 "CREATE TABLE client_challenges ("
	 " app_id TEXT NOT NULL,"
	 " key_id TEXT NOT NULL,"
	 " hash BLOB NOT NULL,"
	 " used_at INTEGER NOT NULL,"
	 " PRIMARY KEY (app_id, key_id, hash),"
	 " FOREIGN KEY (app_id, key_id) REFERENCES authenticators(app_id, public_key_id)"
	 "  ON DELETE CASCADE);"
	 "CREATE TABLE sessions ("
	 " session_id TEXT PRIMARY KEY NOT NULL,"
	 " app_id TEXT NOT NULL REFERENCES apps(app_id) ON DELETE CASCADE,"
	 " user_id TEXT NOT NULL,"
	 " factors INTEGER NOT NULL,"
	 " org_id TEXT,"
	 " client_attributes TEXT,"
	 " created_at INTEGER NOT NULL,"
	 " auth_time INTEGER NOT NULL,"
	 " expires_at INTEGER NOT NULL,"
	 " revoked INTEGER NOT NULL DEFAULT 0);"
	 "CREATE INDEX sessions_app ON sessions(app_id);"
	 "CREATE INDEX sessions_user ON sessions(user_id);"
	 "CREATE INDEX sessions_expires ON sessions(expires_at);"
	 "CREATE TABLE refresh_tokens ("
	 " hash BLOB PRIMARY KEY NOT NULL,"
	 " session_id TEXT NOT NULL REFERENCES sessions(session_id) ON DELETE CASCADE,"
	 " created_at INTEGER NOT NULL,"
	 " expires_at INTEGER NOT NULL,"
	 " rotated INTEGER NOT NULL DEFAULT 0);"
	 "CREATE INDEX refresh_tokens_session ON refresh_tokens(session_id);"
	 "CREATE INDEX refresh_tokens_expires ON refresh_tokens(expires_at);"
	 "CREATE TABLE signing_keys ("
	 " kid TEXT PRIMARY KEY NOT NULL,"
	 " alg TEXT NOT NULL,"
	 " private_pem TEXT NOT NULL,"
	 " created_at INTEGER NOT NULL,"
	 " retired_at INTEGER NOT NULL DEFAULT 0);"
	 "CREATE TABLE revoked_tokens ("
	 " jti TEXT PRIMARY KEY NOT NULL,"
	 " expires_at INTEGER NOT NULL);"
	 "CREATE INDEX revoked_tokens_expires ON revoked_tokens(expires_at);"
	 "CREATE TABLE audit ("
	 " id INTEGER PRIMARY KEY AUTOINCREMENT,"
	 " time INTEGER NOT NULL,"
	 " event TEXT NOT NULL,"
	 " outcome TEXT NOT NULL,"
	 " reason TEXT,"
	 " app_id TEXT,"
	 " user_id TEXT,"
	 " key_id TEXT,"
	 " client_attributes TEXT);"
	 "CREATE INDEX audit_user ON audit(user_id, id);"
	 "CREATE INDEX audit_app ON audit(app_id, id);"
	 "CREATE TABLE store_health (id INTEGER PRIMARY KEY, probed_at INTEGER NOT NULL);"
	 "INSERT INTO store_health VALUES (1, 0);"},
	/* Key attestation: the app's policy, the verdict on each
	 * key, App Attest state, and the register challenges already used. */
	{2,
	 "ALTER TABLE apps ADD COLUMN attestation_policy TEXT;"
	 "ALTER TABLE authenticators ADD COLUMN attestation_verdict TEXT;"
	 "ALTER TABLE authenticators ADD COLUMN hwk INTEGER NOT NULL DEFAULT 0;"
	 "ALTER TABLE authenticators ADD COLUMN appattest_key BLOB;"
	 "ALTER TABLE authenticators ADD COLUMN appattest_counter INTEGER NOT NULL DEFAULT 0;"
	 "ALTER TABLE authenticators ADD COLUMN appattest_receipt BLOB;"
	 "CREATE TABLE register_challenges ("
	 " app_id TEXT NOT NULL REFERENCES apps(app_id) ON DELETE CASCADE,"
	 " hash BLOB NOT NULL,"
	 " used_at INTEGER NOT NULL,"
	 " PRIMARY KEY (app_id, hash));"},
	/* Transmit's user fields; the email's lower-case key and the phone
	 * number are unique. The per-app floor of client-made challenges.
	 * Settings of the deployment (the issuer bioauthd last served as). */
	{3,
	 "ALTER TABLE users ADD COLUMN email TEXT;"
	 "ALTER TABLE users ADD COLUMN email_key TEXT;"
	 "ALTER TABLE users ADD COLUMN email_verified INTEGER NOT NULL DEFAULT 0;"
	 "ALTER TABLE users ADD COLUMN phone_number TEXT;"
	 "ALTER TABLE users ADD COLUMN phone_number_verified INTEGER NOT NULL DEFAULT 0;"
	 "ALTER TABLE users ADD COLUMN name TEXT;"
	 "ALTER TABLE users ADD COLUMN external_user_id TEXT;"
	 "ALTER TABLE users ADD COLUMN custom_data TEXT;"
	 "ALTER TABLE users ADD COLUMN password_force_replace INTEGER NOT NULL DEFAULT 0;"
	 "CREATE UNIQUE INDEX users_email_key ON users(email_key);"
	 "CREATE UNIQUE INDEX users_phone_number ON users(phone_number);"
	 "ALTER TABLE apps ADD COLUMN min_client_challenge_bytes INTEGER NOT NULL DEFAULT 1;"
	 "CREATE TABLE settings ("
	 " name TEXT PRIMARY KEY NOT NULL,"
	 " value TEXT NOT NULL,"
	 " updated_at INTEGER NOT NULL);"},
	/* Honest mfa (docs/SECURITY.md): the factors of the session a key was
	 * registered from; the app's rule for registering further keys.
	 * Password attempts counted per user and per (user, IP), keyed by a
	 * hash (domain/password_guard.h). */
	{4,
	 "ALTER TABLE authenticators ADD COLUMN enrol_factors INTEGER NOT NULL DEFAULT 0;"
	 "ALTER TABLE apps ADD COLUMN require_biometric_to_enrol INTEGER NOT NULL DEFAULT 0;"
	 "CREATE TABLE password_attempts ("
	 " key BLOB PRIMARY KEY NOT NULL,"
	 " failures INTEGER NOT NULL,"
	 " last_at INTEGER NOT NULL);"
	 "CREATE INDEX password_attempts_last ON password_attempts(last_at);"
	 /* accepted challenges per app and public key (SHA-256 of its SPKI):
	  * no foreign key to the key, so the record outlives its deletion */
	 "CREATE TABLE used_challenges ("
	 " app_id TEXT NOT NULL REFERENCES apps(app_id) ON DELETE CASCADE,"
	 " key_hash BLOB NOT NULL,"
	 " hash BLOB NOT NULL,"
	 " used_at INTEGER NOT NULL,"
	 " PRIMARY KEY (app_id, key_hash, hash));"},
	/* Per-app quotas on outstanding /start challenges, refresh-token
	 * reuse interval and Users API permissions (docs/SECURITY.md).
	 * challenge_usage counts each app's unconsumed challenges and the
	 * bytes of their approval_data: /start adds to it with one
	 * conditional UPDATE (store/write.c challenge_create), the triggers
	 * take back what a consumed or deleted challenge held. */
	{5,
	 "ALTER TABLE apps ADD COLUMN max_challenges INTEGER NOT NULL DEFAULT 1000000;"
	 "ALTER TABLE apps ADD COLUMN max_approval_data_bytes INTEGER NOT NULL DEFAULT 268435456;"
	 "ALTER TABLE apps ADD COLUMN refresh_reuse_interval INTEGER NOT NULL DEFAULT 0;"
	 "ALTER TABLE apps ADD COLUMN users_api INTEGER NOT NULL DEFAULT 7;"
	 "ALTER TABLE refresh_tokens ADD COLUMN rotated_at INTEGER NOT NULL DEFAULT 0;"
	 "CREATE INDEX challenges_open ON challenges(app_id, expires_at) WHERE consumed = 0;"
	 "CREATE TABLE challenge_usage ("
	 " app_id TEXT PRIMARY KEY NOT NULL REFERENCES apps(app_id) ON DELETE CASCADE,"
	 " open_count INTEGER NOT NULL,"
	 " open_bytes INTEGER NOT NULL);"
	 "INSERT INTO challenge_usage (app_id, open_count, open_bytes)"
	 " SELECT a.app_id, count(c.challenge),"
	 " coalesce(sum(length(CAST(c.approval_data AS BLOB))), 0)"
	 " FROM apps a LEFT JOIN challenges c ON c.app_id = a.app_id AND c.consumed = 0"
	 " GROUP BY a.app_id;"
	 "CREATE TRIGGER challenge_consumed AFTER UPDATE OF consumed ON challenges"
	 " WHEN OLD.consumed = 0 AND NEW.consumed <> 0 BEGIN"
	 " UPDATE challenge_usage SET open_count = open_count - 1,"
	 " open_bytes = open_bytes - coalesce(length(CAST(OLD.approval_data AS BLOB)), 0)"
	 " WHERE app_id = OLD.app_id; END;"
	 "CREATE TRIGGER challenge_deleted AFTER DELETE ON challenges"
	 " WHEN OLD.consumed = 0 BEGIN"
	 " UPDATE challenge_usage SET open_count = open_count - 1,"
	 " open_bytes = open_bytes - coalesce(length(CAST(OLD.approval_data AS BLOB)), 0)"
	 " WHERE app_id = OLD.app_id; END;"},
};

#define N_MIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))

int sq_latest_version(void)
{
	return migrations[N_MIGRATIONS - 1].version;
}

/* Reads the newest applied version; 0 when `schema_version` is missing. */
int sq_version_read(struct sq_conn *c, int *version)
{
	sqlite3_stmt *st;
	int rc;

	*version = 0;
	st = sq_prepare(c, SQ_VERSION_TABLE_EXISTS,
	                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'");
	if (st == NULL)
		return sq_conn_err(c);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return BA_OK;
	if (rc != SQLITE_ROW)
		return sq_err(rc) != BA_OK ? sq_err(rc) : BA_ERR_INTERNAL;
	st = sq_prepare(c, SQ_VERSION_GET, "SELECT coalesce(max(version), 0) FROM schema_version");
	if (st == NULL)
		return sq_conn_err(c);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*version = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return rc == SQLITE_ROW ? BA_OK : sq_conn_err(c);
}

/*
 * Applies every migration newer than the database, in order, inside the
 * caller's write transaction. The version is read again here, so two
 * processes opening one new file cannot both apply a migration.
 */
int sq_migrate_apply(struct sq_conn *c, int *version)
{
	sqlite3_stmt *st;
	int current = 0;
	int r;

	if (sqlite3_exec(c->db,
	                 "CREATE TABLE IF NOT EXISTS schema_version ("
	                 " version INTEGER PRIMARY KEY NOT NULL,"
	                 " applied_at INTEGER NOT NULL)",
	                 NULL, NULL, NULL) != SQLITE_OK)
		return sq_conn_err(c);
	r = sq_version_read(c, &current);
	if (r != BA_OK)
		return r;
	*version = current;
	if (current > sq_latest_version()) {
		log_write(LOG_ERROR, "database schema is newer than this program", NULL);
		return BA_ERR_STORE_UNAVAILABLE;
	}
	for (size_t i = 0; i < N_MIGRATIONS; i++) {
		if (migrations[i].version <= current)
			continue;
		/* Constant DDL without parameters: the one place exec is used. */
		if (sqlite3_exec(c->db, migrations[i].sql, NULL, NULL, NULL) != SQLITE_OK) {
			log_write(LOG_ERROR, "migration failed", "error", sqlite3_errmsg(c->db), NULL);
			return sq_conn_err(c);
		}
		st = sq_prepare(c, SQ_VERSION_INSERT,
		                "INSERT INTO schema_version (version, applied_at) VALUES (?1, ?2)");
		if (st == NULL)
			return sq_conn_err(c);
		sqlite3_bind_int(st, 1, migrations[i].version);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)time(NULL));
		if (sqlite3_step(st) != SQLITE_DONE)
			return sq_conn_err(c);
		sqlite3_reset(st);
		*version = migrations[i].version;
	}
	return BA_OK;
}
