/*
 * sqlite_migrations.c - applies the versioned schema (migrations.c) to a
 * SQLite database; the versions it has applied are recorded in
 * `schema_version`.
 */
#include <stdlib.h>
#include <time.h>

#include "common/error.h"
#include "common/log.h"
#include "store/migrations.h"
#include "store/sqlite_internal.h"

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
	if (current > migrations_latest()) {
		log_write(LOG_ERROR, "database schema is newer than this program", NULL);
		return BA_ERR_STORE_UNAVAILABLE;
	}
	for (size_t i = 0; i < migrations_count; i++) {
		char *sql;

		if (migrations[i].version <= current)
			continue;
		if ((sql = migration_sql(&migrations[i], false)) == NULL)
			return BA_ERR_NOMEM;
		/* Constant DDL without parameters: the one place exec is used. */
		r = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
		free(sql);
		if (r != SQLITE_OK) {
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
