/*
 * migrations.c - the versioned schema of the store (migrations.h).
 *
 * A migration is never edited once released: a change to the schema is a
 * new entry at the end. test/api/test_schema.py compares the schema each
 * backend's migrations leave with a golden copy (test/schema/).
 *
 * Tables follow docs/API.md "Model". Rows that only make sense with their
 * app (authenticators, challenges, sessions, resources) go with it through
 * ON DELETE CASCADE; refresh tokens go with their session and client-made
 * challenges with their key (their record per public key,
 * used_challenges, outlives it). User ids are not foreign keys: deleting a
 * user removes its rows explicitly, and every write that adds rows for a
 * user checks in its transaction that the user exists (store/write.c
 * wr_user_hold; PostgreSQL holds the user's row FOR KEY SHARE). The audit
 * log outlives everything it mentions.
 *
 * The DDL both dialects share is written once, in SQLite's words; the
 * words of `words` below stand for each dialect's: PostgreSQL's types are
 * text, bytea, bigint and boolean, and its `seq` columns give rows an
 * insertion order (SQLite's rowid) to break ties of equal timestamps.
 */
#include <stdlib.h>
#include <string.h>

#include "store/migrations.h"

/* A word of the shared DDL and what it stands for in each dialect. A word
 * is replaced only where it stands alone (no letter, digit or _ after it,
 * nor before it unless it starts with @); the first that matches is taken. */
static const struct {
	const char *word, *sqlite, *pg;
} words[] = {
	{ "PRIMARY KEY NOT NULL", "PRIMARY KEY NOT NULL", "PRIMARY KEY" },
	{ "TEXT", "TEXT", "text" },
	{ "BLOB", "BLOB", "bytea" },
	{ "INTEGER", "INTEGER", "bigint" },
	{ "@BOOL_FALSE", "INTEGER NOT NULL DEFAULT 0", "boolean NOT NULL DEFAULT false" },
	{ "@BOOL_TRUE", "INTEGER NOT NULL DEFAULT 1", "boolean NOT NULL DEFAULT true" },
	{ "@AUTO_ID", "INTEGER PRIMARY KEY AUTOINCREMENT",
	  "bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY" },
	/* after a table's last column: PostgreSQL's insertion order */
	{ "@SEQ", "", ", seq bigint GENERATED ALWAYS AS IDENTITY" },
};

const struct migration migrations[] = {
	{1,
	 "CREATE TABLE apps ("
	 " app_id TEXT PRIMARY KEY NOT NULL,"
	 " name TEXT NOT NULL,"
	 " client_id TEXT NOT NULL UNIQUE,"
	 " client_secret_hash BLOB NOT NULL,"
	 " access_ttl INTEGER NOT NULL DEFAULT 0,"
	 " id_ttl INTEGER NOT NULL DEFAULT 0,"
	 " refresh_ttl INTEGER NOT NULL DEFAULT 0,"
	 " allow_client_challenges @BOOL_TRUE,"
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
	 " locked_until INTEGER NOT NULL DEFAULT 0@SEQ,"
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
	 " consumed @BOOL_FALSE);"
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
	 " revoked @BOOL_FALSE);"
	 "CREATE INDEX sessions_app ON sessions(app_id);"
	 "CREATE INDEX sessions_user ON sessions(user_id);"
	 "CREATE INDEX sessions_expires ON sessions(expires_at);"
	 "CREATE TABLE refresh_tokens ("
	 " hash BLOB PRIMARY KEY NOT NULL,"
	 " session_id TEXT NOT NULL REFERENCES sessions(session_id) ON DELETE CASCADE,"
	 " created_at INTEGER NOT NULL,"
	 " expires_at INTEGER NOT NULL,"
	 " rotated @BOOL_FALSE);"
	 "CREATE INDEX refresh_tokens_session ON refresh_tokens(session_id);"
	 "CREATE INDEX refresh_tokens_expires ON refresh_tokens(expires_at);"
	 "CREATE TABLE signing_keys ("
	 " kid TEXT PRIMARY KEY NOT NULL,"
	 " alg TEXT NOT NULL,"
	 " private_pem TEXT NOT NULL,"
	 " created_at INTEGER NOT NULL,"
	 " retired_at INTEGER NOT NULL DEFAULT 0@SEQ);"
	 "CREATE TABLE revoked_tokens ("
	 " jti TEXT PRIMARY KEY NOT NULL,"
	 " expires_at INTEGER NOT NULL);"
	 "CREATE INDEX revoked_tokens_expires ON revoked_tokens(expires_at);"
	 "CREATE TABLE audit ("
	 " id @AUTO_ID,"
	 " time INTEGER NOT NULL,"
	 " event TEXT NOT NULL,"
	 " outcome TEXT NOT NULL,"
	 " reason TEXT,"
	 " app_id TEXT,"
	 " user_id TEXT,"
	 " key_id TEXT,"
	 " client_attributes TEXT);"
	 "CREATE INDEX audit_user ON audit(user_id, id);"
	 "CREATE INDEX audit_app ON audit(app_id, id);",
	 /* SQLite's health probe writes here (sqlite.c) */
	 "CREATE TABLE store_health (id INTEGER PRIMARY KEY, probed_at INTEGER NOT NULL);"
	 "INSERT INTO store_health VALUES (1, 0);",
	 NULL},
	/* Key attestation: the app's policy, the verdict on each
	 * key, App Attest state, and the register challenges already used. */
	{2,
	 "ALTER TABLE apps ADD COLUMN attestation_policy TEXT;"
	 "ALTER TABLE authenticators ADD COLUMN attestation_verdict TEXT;"
	 "ALTER TABLE authenticators ADD COLUMN hwk @BOOL_FALSE;"
	 "ALTER TABLE authenticators ADD COLUMN appattest_key BLOB;"
	 "ALTER TABLE authenticators ADD COLUMN appattest_counter INTEGER NOT NULL DEFAULT 0;"
	 "ALTER TABLE authenticators ADD COLUMN appattest_receipt BLOB;"
	 "CREATE TABLE register_challenges ("
	 " app_id TEXT NOT NULL REFERENCES apps(app_id) ON DELETE CASCADE,"
	 " hash BLOB NOT NULL,"
	 " used_at INTEGER NOT NULL,"
	 " PRIMARY KEY (app_id, hash));",
	 NULL, NULL},
	/* Transmit's user fields; the email's lower-case key and the phone
	 * number are unique (SQLite: by an index, as its ALTER TABLE cannot
	 * add a UNIQUE column). The per-app floor of client-made challenges.
	 * Settings of the deployment (the issuer bioauthd last served as). */
	{3,
	 "ALTER TABLE apps ADD COLUMN min_client_challenge_bytes INTEGER NOT NULL DEFAULT 1;"
	 "CREATE TABLE settings ("
	 " name TEXT PRIMARY KEY NOT NULL,"
	 " value TEXT NOT NULL,"
	 " updated_at INTEGER NOT NULL);",
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
	 "CREATE UNIQUE INDEX users_phone_number ON users(phone_number);",
	 "ALTER TABLE users ADD COLUMN email text,"
	 " ADD COLUMN email_key text UNIQUE,"
	 " ADD COLUMN email_verified boolean NOT NULL DEFAULT false,"
	 " ADD COLUMN phone_number text UNIQUE,"
	 " ADD COLUMN phone_number_verified boolean NOT NULL DEFAULT false,"
	 " ADD COLUMN name text,"
	 " ADD COLUMN external_user_id text,"
	 " ADD COLUMN custom_data text,"
	 " ADD COLUMN password_force_replace boolean NOT NULL DEFAULT false;"},
	/* Honest mfa (docs/SECURITY.md): the factors of the session a key was
	 * registered from; the app's rule for registering further keys.
	 * Password attempts counted per user and per (user, IP), keyed by a
	 * hash (domain/password_guard.h). */
	{4,
	 "ALTER TABLE authenticators ADD COLUMN enrol_factors INTEGER NOT NULL DEFAULT 0;"
	 "ALTER TABLE apps ADD COLUMN require_biometric_to_enrol @BOOL_FALSE;"
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
	 " PRIMARY KEY (app_id, key_hash, hash));",
	 NULL, NULL},
	/* Per-app quotas on outstanding /start challenges, refresh-token
	 * reuse interval and Users API permissions (docs/SECURITY.md).
	 * challenge_usage counts each app's unconsumed challenges and the
	 * bytes of their approval_data: /start adds to it with one
	 * conditional UPDATE (store/write.c challenge_create; on PostgreSQL
	 * its row lock orders concurrent /start calls of one app across
	 * instances), the triggers take back what a consumed or deleted
	 * challenge held. */
	{5,
	 "ALTER TABLE apps ADD COLUMN max_challenges INTEGER NOT NULL DEFAULT 1000000;"
	 "ALTER TABLE apps ADD COLUMN max_approval_data_bytes INTEGER NOT NULL DEFAULT 268435456;"
	 "ALTER TABLE apps ADD COLUMN refresh_reuse_interval INTEGER NOT NULL DEFAULT 0;"
	 "ALTER TABLE apps ADD COLUMN users_api INTEGER NOT NULL DEFAULT 7;"
	 "ALTER TABLE refresh_tokens ADD COLUMN rotated_at INTEGER NOT NULL DEFAULT 0;"
	 "CREATE TABLE challenge_usage ("
	 " app_id TEXT PRIMARY KEY NOT NULL REFERENCES apps(app_id) ON DELETE CASCADE,"
	 " open_count INTEGER NOT NULL,"
	 " open_bytes INTEGER NOT NULL);",
	 "CREATE INDEX challenges_open ON challenges(app_id, expires_at) WHERE consumed = 0;"
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
	 " WHERE app_id = OLD.app_id; END;",
	 "CREATE INDEX challenges_open ON challenges(app_id, expires_at) WHERE NOT consumed;"
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
	/* `hwk` only for a key an Android chain verified in secure hardware
	 * (domain/attestation.c): App Attest proves the app, not where the
	 * registered key lives, so keys registered under it lose the flag. */
	{6,
	 NULL,
	 "UPDATE authenticators SET hwk = 0 WHERE appattest_key IS NOT NULL;",
	 "UPDATE authenticators SET hwk = false WHERE appattest_key IS NOT NULL;"},
};

const size_t migrations_count = sizeof(migrations) / sizeof(migrations[0]);

int migrations_latest(void)
{
	return migrations[migrations_count - 1].version;
}

static bool is_word_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '_';
}

/* Writes `text` with its words expanded for one dialect to `out` (when not
 * NULL); returns the length written. */
static size_t expand(const char *text, bool pg, char *out)
{
	size_t n = 0;

	for (const char *p = text; *p != '\0';) {
		const char *put = p;
		size_t len = 1, skip = 1;

		for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
			size_t w = strlen(words[i].word);

			if (strncmp(p, words[i].word, w) == 0 && !is_word_char(p[w]) &&
			    (*words[i].word == '@' || p == text || !is_word_char(p[-1]))) {
				put = pg ? words[i].pg : words[i].sqlite;
				len = strlen(put);
				skip = w;
				break;
			}
		}
		if (out != NULL)
			memcpy(out + n, put, len);
		n += len;
		p += skip;
	}
	return n;
}

char *migration_sql(const struct migration *m, bool pg)
{
	const char *own = pg ? m->pg : m->sqlite;
	size_t n = m->both != NULL ? expand(m->both, pg, NULL) : 0;
	size_t o = own != NULL ? strlen(own) : 0;
	char *sql = malloc(n + o + 1);

	if (sql == NULL)
		return NULL;
	if (m->both != NULL)
		expand(m->both, pg, sql);
	if (own != NULL)
		memcpy(sql + n, own, o);
	sql[n + o] = '\0';
	return sql;
}
