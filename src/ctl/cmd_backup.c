/*
 * cmd_backup.c - bioauthctl backup --to FILE | restore --from FILE.
 *
 * SQLite only (PostgreSQL is backed up with pg_dump: docs/OPERATIONS.md).
 * A backup is a consistent snapshot taken while bioauthd serves; a restore
 * refuses while any bioauthd holds the database (the lock of
 * store_sqlite_lock).
 */
#include <jansson.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "ctl/ctl.h"

static double
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int
backup(struct ctl *c, const struct ctl_command *cmd, int argc, char **argv)
{
	const char *to = NULL;
	const struct ctl_opt opts[] = {
		{ "--to", "FILE", "the new backup file (must not exist)", &to,
		  NULL, NULL, 0, NULL },
		{ NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL },
	};
	char sha[65];
	int64_t bytes = 0;
	double t0;
	int rc, r;

	if ((rc = ctl_parse(c, cmd, argc, argv, opts, NULL, 0)) != CTL_CONTINUE)
		return rc;
	if (to == NULL)
		return ctl_usage_error(c, "backup: --to FILE is required");
	if (store_url_is_postgres(c->cfg.db))
		return ctl_usage_error(c, "backup: the database is PostgreSQL; "
		                       "use pg_dump (docs/OPERATIONS.md)");
	t0 = now_ms();
	r = store_sqlite_backup(c->cfg.db, to, sha, &bytes);
	if (r == BA_ERR_CONFLICT)
		return ctl_fail(c, r, "backup: %s already exists", to);
	if (r != BA_OK)
		return ctl_fail(c, r, "backup to %s", to);
	return ctl_print(c, json_pack("{s:s, s:I, s:s, s:I}", "backup", to,
	                              "bytes", (json_int_t)bytes, "sha256", sha,
	                              "ms", (json_int_t)(now_ms() - t0)));
}

static int
restore(struct ctl *c, const struct ctl_command *cmd, int argc, char **argv)
{
	const char *from = NULL;
	const struct ctl_opt opts[] = {
		{ "--from", "FILE", "a file written by bioauthctl backup", &from,
		  NULL, NULL, 0, NULL },
		{ NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL },
	};
	int rc, r;

	if ((rc = ctl_parse(c, cmd, argc, argv, opts, NULL, 0)) != CTL_CONTINUE)
		return rc;
	if (from == NULL)
		return ctl_usage_error(c, "restore: --from FILE is required");
	if (store_url_is_postgres(c->cfg.db))
		return ctl_usage_error(c, "restore: the database is PostgreSQL; "
		                       "use pg_restore (docs/OPERATIONS.md)");
	r = store_sqlite_restore(from, c->cfg.db);
	if (r == BA_ERR_CONFLICT)
		return ctl_fail(c, r, "restore refused: a bioauthd holds %s; "
		                "stop it first", c->cfg.db);
	if (r == BA_ERR_INVALID_REQUEST)
		return ctl_fail(c, BA_ERR_IO, "restore: %s is not an intact "
		                "SQLite database", from);
	if (r != BA_OK)
		return ctl_fail(c, r, "restore from %s", from);
	return ctl_print(c, json_pack("{s:s, s:s}", "restored", from, "db", c->cfg.db));
}

const struct ctl_command ctl_backup_commands[] = {
	{ "backup", NULL, backup, "--to FILE",
	  "Copy the SQLite database, consistent while bioauthd serves; prints its SHA-256." },
	{ "restore", NULL, restore, "--from FILE",
	  "Replace the SQLite database with a backup (refused while bioauthd runs)." },
	{ NULL, NULL, NULL, NULL, NULL },
};
