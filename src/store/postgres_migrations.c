/*
 * postgres_migrations.c - the versioned schema of the PostgreSQL backend.
 *
 * Same entities, keys and cascades as the SQLite schema (sqlite_migrations.c)
 * with PostgreSQL types: text, bytea, bigint, boolean. Rows that only make
 * sense with their app go with it (ON DELETE CASCADE), refresh tokens go with
 * their session and client-made challenges with their key (their record per
 * public key, used_challenges, outlives it); user ids are not foreign keys,
 * deleting a user removes its rows explicitly and every write adding rows
 * for a user holds the user's row FOR KEY SHARE (store/write.c
 * wr_user_hold); the audit log outlives everything it mentions. `seq` columns give rows an insertion order
 * (SQLite's rowid) to break ties of equal timestamps.
 *
 * The applied versions are recorded in `schema_version`. Migrations run
 * under a session-level advisory lock, so instances starting together apply
 * each one exactly once; each migration is one transaction. A migration is
 * never edited once released: a change is a new entry at the end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "common/log.h"
#include "store/postgres_internal.h"

/* Key of the advisory lock that serialises migrations: "bioauth1". */
#define MIGRATION_LOCK "7091321552644630577"

struct migration {
	int version;
	const char *sql;
};

static const struct migration migrations[] = {
	{1,
	 "CREATE TABLE apps ("
	 " app_id text PRIMARY KEY,"
	 " name text NOT NULL,"
	 " client_id text NOT NULL UNIQUE,"
	 " client_secret_hash bytea NOT NULL,"
	 " access_ttl bigint NOT NULL DEFAULT 0,"
	 " id_ttl bigint NOT NULL DEFAULT 0,"
	 " refresh_ttl bigint NOT NULL DEFAULT 0,"
	 " allow_client_challenges boolean NOT NULL DEFAULT true,"
	 " max_authenticators bigint NOT NULL DEFAULT 10,"
	 " created_at bigint NOT NULL);"
	 "CREATE TABLE app_resources ("
	 " app_id text NOT NULL REFERENCES apps(app_id) ON DELETE CASCADE,"
	 " pos bigint NOT NULL,"
	 " uri text NOT NULL,"
	 " PRIMARY KEY (app_id, pos));"
	 "CREATE TABLE users ("
	 " user_id text PRIMARY KEY,"
	 " username text UNIQUE,"
	 " password_hash text,"
	 " created_at bigint NOT NULL,"
	 " updated_at bigint NOT NULL);"
	 "CREATE TABLE authenticators ("
	 " app_id text NOT NULL REFERENCES apps(app_id) ON DELETE CASCADE,"
	 " public_key_id text NOT NULL,"
	 " user_id text NOT NULL,"
	 " key_type bigint NOT NULL,"
	 " public_key bytea NOT NULL,"
	 " os text,"
	 " encryption_type text,"
	 " device_id text,"
	 " display_name text,"
	 " challenge text,"
	 " attestation text,"
	 " created_at bigint NOT NULL,"
	 " last_used_at bigint NOT NULL DEFAULT 0,"
	 " failed_count bigint NOT NULL DEFAULT 0,"
	 " locked_until bigint NOT NULL DEFAULT 0,"
	 " seq bigint GENERATED ALWAYS AS IDENTITY,"
	 " PRIMARY KEY (app_id, public_key_id));"
	 "CREATE INDEX authenticators_app_user ON authenticators(app_id, user_id, created_at);"
	 "CREATE INDEX authenticators_user ON authenticators(user_id, created_at);"
	 "CREATE TABLE challenges ("
	 " challenge text PRIMARY KEY,"
	 " app_id text NOT NULL REFERENCES apps(app_id) ON DELETE CASCADE,"
	 " user_id text NOT NULL,"
	 " device_id text,"
	 " approval_data text,"
	 " created_at bigint NOT NULL,"
	 " expires_at bigint NOT NULL,"
	 " consumed boolean NOT NULL DEFAULT false);"
	 "CREATE INDEX challenges_app ON challenges(app_id);"
	 "CREATE INDEX challenges_user ON challenges(user_id);"
	 "CREATE INDEX challenges_expires ON challenges(expires_at);"
	 "CREATE TABLE client_challenges ("
	 " app_id text NOT NULL,"
	 " key_id text NOT NULL,"
	 " hash bytea NOT NULL,"
	 " used_at bigint NOT NULL,"
	 " PRIMARY KEY (app_id, key_id, hash),"
	 " FOREIGN KEY (app_id, key_id) REFERENCES authenticators(app_id, public_key_id)"
	 "  ON DELETE CASCADE);"
	 "CREATE TABLE sessions ("
	 " session_id text PRIMARY KEY,"
	 " app_id text NOT NULL REFERENCES apps(app_id) ON DELETE CASCADE,"
	 " user_id text NOT NULL,"
	 " factors bigint NOT NULL,"
	 " org_id text,"
	 " client_attributes text,"
	 " created_at bigint NOT NULL,"
	 " auth_time bigint NOT NULL,"
	 " expires_at bigint NOT NULL,"
	 " revoked boolean NOT NULL DEFAULT false);"
	 "CREATE INDEX sessions_app ON sessions(app_id);"
	 "CREATE INDEX sessions_user ON sessions(user_id);"
	 "CREATE INDEX sessions_expires ON sessions(expires_at);"
	 "CREATE TABLE refresh_tokens ("
	 " hash bytea PRIMARY KEY,"
	 " session_id text NOT NULL REFERENCES sessions(session_id) ON DELETE CASCADE,"
	 " created_at bigint NOT NULL,"
	 " expires_at bigint NOT NULL,"
	 " rotated boolean NOT NULL DEFAULT false);"
	 "CREATE INDEX refresh_tokens_session ON refresh_tokens(session_id);"
	 "CREATE INDEX refresh_tokens_expires ON refresh_tokens(expires_at);"
	 "CREATE TABLE signing_keys ("
	 " kid text PRIMARY KEY,"
	 " alg text NOT NULL,"
	 " private_pem text NOT NULL,"
	 " created_at bigint NOT NULL,"
	 " retired_at bigint NOT NULL DEFAULT 0,"
	 " seq bigint GENERATED ALWAYS AS IDENTITY);"
	 "CREATE TABLE revoked_tokens ("
	 " jti text PRIMARY KEY,"
	 " expires_at bigint NOT NULL);"
	 "CREATE INDEX revoked_tokens_expires ON revoked_tokens(expires_at);"
	 "CREATE TABLE audit ("
	 " id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
	 " time bigint NOT NULL,"
	 " event text NOT NULL,"
	 " outcome text NOT NULL,"
	 " reason text,"
	 " app_id text,"
	 " user_id text,"
	 " key_id text,"
	 " client_attributes text);"
	 "CREATE INDEX audit_user ON audit(user_id, id);"
	 "CREATE INDEX audit_app ON audit(app_id, id);"},
	/* Key attestation: the app's policy, the verdict on each
	 * key, App Attest state, and the register challenges already used. */
	{2,
	 "ALTER TABLE apps ADD COLUMN attestation_policy text;"
	 "ALTER TABLE authenticators ADD COLUMN attestation_verdict text;"
	 "ALTER TABLE authenticators ADD COLUMN hwk boolean NOT NULL DEFAULT false;"
	 "ALTER TABLE authenticators ADD COLUMN appattest_key bytea;"
	 "ALTER TABLE authenticators ADD COLUMN appattest_counter bigint NOT NULL DEFAULT 0;"
	 "ALTER TABLE authenticators ADD COLUMN appattest_receipt bytea;"
	 "CREATE TABLE register_challenges ("
	 " app_id text NOT NULL REFERENCES apps(app_id) ON DELETE CASCADE,"
	 " hash bytea NOT NULL,"
	 " used_at bigint NOT NULL,"
	 " PRIMARY KEY (app_id, hash));"},
	/* Transmit's user fields; the email's lower-case key and the phone
	 * number are unique. The per-app floor of client-made challenges.
	 * Settings of the deployment (the issuer bioauthd last served as). */
	{3,
	 "ALTER TABLE users ADD COLUMN email text,"
	 " ADD COLUMN email_key text UNIQUE,"
	 " ADD COLUMN email_verified boolean NOT NULL DEFAULT false,"
	 " ADD COLUMN phone_number text UNIQUE,"
	 " ADD COLUMN phone_number_verified boolean NOT NULL DEFAULT false,"
	 " ADD COLUMN name text,"
	 " ADD COLUMN external_user_id text,"
	 " ADD COLUMN custom_data text,"
	 " ADD COLUMN password_force_replace boolean NOT NULL DEFAULT false;"
	 "ALTER TABLE apps ADD COLUMN min_client_challenge_bytes bigint NOT NULL DEFAULT 1;"
	 "CREATE TABLE settings ("
	 " name text PRIMARY KEY,"
	 " value text NOT NULL,"
	 " updated_at bigint NOT NULL);"},
	/* Honest mfa (docs/SECURITY.md): the factors of the session a key was
	 * registered from; the app's rule for registering further keys.
	 * Password attempts counted per user and per (user, IP), keyed by a
	 * hash (domain/password_guard.h). */
	{4,
	 "ALTER TABLE authenticators ADD COLUMN enrol_factors bigint NOT NULL DEFAULT 0;"
	 "ALTER TABLE apps ADD COLUMN require_biometric_to_enrol boolean NOT NULL DEFAULT false;"
	 "CREATE TABLE password_attempts ("
	 " key bytea PRIMARY KEY,"
	 " failures bigint NOT NULL,"
	 " last_at bigint NOT NULL);"
	 "CREATE INDEX password_attempts_last ON password_attempts(last_at);"
	 /* accepted challenges per app and public key (SHA-256 of its SPKI):
	  * no foreign key to the key, so the record outlives its deletion */
	 "CREATE TABLE used_challenges ("
	 " app_id text NOT NULL REFERENCES apps(app_id) ON DELETE CASCADE,"
	 " key_hash bytea NOT NULL,"
	 " hash bytea NOT NULL,"
	 " used_at bigint NOT NULL,"
	 " PRIMARY KEY (app_id, key_hash, hash));"},
	/* Per-app quotas on outstanding /start challenges, refresh-token
	 * reuse interval and Users API permissions (docs/SECURITY.md).
	 * challenge_usage counts each app's unconsumed challenges and the
	 * bytes of their approval_data: /start adds to it with one
	 * conditional UPDATE (store/write.c challenge_create; its row lock
	 * orders concurrent /start calls of one app across instances), the
	 * triggers take back what a consumed or deleted challenge held. */
	{5,
	 "ALTER TABLE apps ADD COLUMN max_challenges bigint NOT NULL DEFAULT 1000000,"
	 " ADD COLUMN max_approval_data_bytes bigint NOT NULL DEFAULT 268435456,"
	 " ADD COLUMN refresh_reuse_interval bigint NOT NULL DEFAULT 0,"
	 " ADD COLUMN users_api bigint NOT NULL DEFAULT 7;"
	 "ALTER TABLE refresh_tokens ADD COLUMN rotated_at bigint NOT NULL DEFAULT 0;"
	 "CREATE INDEX challenges_open ON challenges(app_id, expires_at) WHERE NOT consumed;"
	 "CREATE TABLE challenge_usage ("
	 " app_id text PRIMARY KEY REFERENCES apps(app_id) ON DELETE CASCADE,"
	 " open_count bigint NOT NULL,"
	 " open_bytes bigint NOT NULL);"
	 "INSERT INTO challenge_usage (app_id, open_count, open_bytes)"
	 " SELECT a.app_id, count(c.challenge), coalesce(sum(octet_length(c.approval_data)), 0)"
	 " FROM apps a LEFT JOIN challenges c ON c.app_id = a.app_id AND NOT c.consumed"
	 " GROUP BY a.app_id;"
	 "CREATE FUNCTION challenge_usage_release() RETURNS trigger LANGUAGE plpgsql AS $f$"
	 " BEGIN"
	 " UPDATE challenge_usage SET open_count = open_count - 1,"
	 " open_bytes = open_bytes - coalesce(octet_length(OLD.approval_data), 0)"
	 " WHERE app_id = OLD.app_id;"
	 " RETURN NULL;"
	 " END $f$;"
	 "CREATE TRIGGER challenge_consumed AFTER UPDATE OF consumed ON challenges"
	 " FOR EACH ROW WHEN (NOT OLD.consumed AND NEW.consumed)"
	 " EXECUTE FUNCTION challenge_usage_release();"
	 "CREATE TRIGGER challenge_deleted AFTER DELETE ON challenges"
	 " FOR EACH ROW WHEN (NOT OLD.consumed)"
	 " EXECUTE FUNCTION challenge_usage_release();"},
};

#define N_MIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))

/* Runs constant SQL without parameters (DDL, transaction control). */
static int exec_const(PGconn *c, const char *sql, const char *what)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType t = r != NULL ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	int rc = BA_OK;

	if (t != PGRES_COMMAND_OK && t != PGRES_TUPLES_OK)
		rc = pg_map_error(c, r, what);
	PQclear(r);
	return rc == PG_RETRY ? BA_ERR_STORE_UNAVAILABLE : rc;
}

/* Reads the newest applied version into *version. */
static int version_read(PGconn *c, int *version)
{
	PGresult *r = PQexec(c, "SELECT coalesce(max(version), 0) FROM schema_version");
	int rc = BA_OK;

	*version = 0;
	if (r == NULL || PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
		rc = pg_map_error(c, r, "schema_version");
	else
		*version = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	return rc;
}

/* Applies migration `m` and records it, in one transaction. */
static int apply_one(PGconn *c, const struct migration *m)
{
	const char *vals[2];
	char v[16], at[24];
	PGresult *r;
	int rc;

	rc = exec_const(c, "BEGIN", "migration begin");
	if (rc != BA_OK)
		return rc;
	rc = exec_const(c, m->sql, "migration");
	if (rc != BA_OK)
		goto out;
	snprintf(v, sizeof(v), "%d", m->version);
	snprintf(at, sizeof(at), "%lld", (long long)time(NULL));
	vals[0] = v;
	vals[1] = at;
	r = PQexecParams(c, "INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)",
	                 2, NULL, vals, NULL, NULL, 0);
	if (r == NULL || PQresultStatus(r) != PGRES_COMMAND_OK)
		rc = pg_map_error(c, r, "schema_version insert");
	PQclear(r);
	if (rc == BA_OK)
		rc = exec_const(c, "COMMIT", "migration commit");
out:
	if (rc != BA_OK && PQstatus(c) == CONNECTION_OK)
		(void)exec_const(c, "ROLLBACK", "migration rollback");
	return rc == PG_RETRY ? BA_ERR_STORE_UNAVAILABLE : rc;
}

int pg_migrate_conn(PGconn *c, int *version)
{
	int current = 0, rc, ru;

	*version = 0;
	rc = exec_const(c, "SELECT pg_advisory_lock(" MIGRATION_LOCK ")", "migration lock");
	if (rc != BA_OK)
		return rc;
	rc = exec_const(c,
	                "CREATE TABLE IF NOT EXISTS schema_version ("
	                " version bigint PRIMARY KEY,"
	                " applied_at bigint NOT NULL)",
	                "schema_version create");
	if (rc != BA_OK)
		goto out;
	rc = version_read(c, &current);
	if (rc != BA_OK)
		goto out;
	if (current > migrations[N_MIGRATIONS - 1].version) {
		log_write(LOG_ERROR, "database schema is newer than this program", NULL);
		rc = BA_ERR_STORE_UNAVAILABLE;
		goto out;
	}
	for (size_t i = 0; i < N_MIGRATIONS; i++) {
		if (migrations[i].version <= current)
			continue;
		rc = apply_one(c, &migrations[i]);
		if (rc != BA_OK) {
			log_write(LOG_ERROR, "migration failed", NULL);
			goto out;
		}
		current = migrations[i].version;
		log_write(LOG_INFO, "store: schema migrated", "backend", "postgres", NULL);
	}
	rc = BA_OK;
out:
	*version = current;
	/* A lost connection releases the lock by itself. */
	ru = PQstatus(c) == CONNECTION_OK
	     ? exec_const(c, "SELECT pg_advisory_unlock(" MIGRATION_LOCK ")", "migration unlock")
	     : BA_OK;
	return rc != BA_OK ? rc : ru;
}
