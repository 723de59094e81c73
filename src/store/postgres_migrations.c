/*
 * postgres_migrations.c - applies the versioned schema (migrations.c) to a
 * PostgreSQL database; the versions applied are recorded in
 * `schema_version`. Migrations run under a session-level advisory lock, so
 * instances starting together apply each one exactly once; each migration
 * is one transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "common/log.h"
#include "store/migrations.h"
#include "store/postgres_internal.h"

/* Key of the advisory lock that serialises migrations: "bioauth1". */
#define MIGRATION_LOCK "7091321552644630577"

/* pg_exec_simple(), a retryable failure counting as unavailable. */
static int exec_const(PGconn *c, const char *sql, const char *what)
{
	int rc = pg_exec_simple(c, sql, what);

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
	char *sql;
	PGresult *r;
	int rc;

	rc = exec_const(c, "BEGIN", "migration begin");
	if (rc != BA_OK)
		return rc;
	sql = migration_sql(m, true);
	rc = sql != NULL ? exec_const(c, sql, "migration") : BA_ERR_NOMEM;
	free(sql);
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
	if (current > migrations_latest()) {
		log_write(LOG_ERROR, "database schema is newer than this program", NULL);
		rc = BA_ERR_STORE_UNAVAILABLE;
		goto out;
	}
	for (size_t i = 0; i < migrations_count; i++) {
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
