/*
 * migrations.h - the versioned schema of the store, one list for both
 * backends (migrations.c). Each backend's runner (sqlite_migrations.c,
 * postgres_migrations.c) applies the entries newer than its database, in
 * order, and records their versions in `schema_version`.
 */
#ifndef BIOAUTH_STORE_MIGRATIONS_H
#define BIOAUTH_STORE_MIGRATIONS_H

#include <stdbool.h>
#include <stddef.h>

struct migration {
	int version;
	const char *both;     /* DDL of both dialects, see migration_sql() */
	const char *sqlite;   /* then SQLite's own DDL, or NULL */
	const char *pg;       /* then PostgreSQL's own DDL, or NULL */
};

extern const struct migration migrations[];
extern const size_t migrations_count;

/* The newest version of the list. */
int migrations_latest(void);

/* The DDL of migration `m` in one dialect (PostgreSQL when `pg`), in a new
 * string the caller frees: `both` with its dialect words expanded, then the
 * dialect's own text. NULL when out of memory. */
char *migration_sql(const struct migration *m, bool pg);

#endif
