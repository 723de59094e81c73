/*
 * cmd_db.c - bioauthctl db migrate.
 */
#include <jansson.h>

#include "common/error.h"
#include "ctl/ctl.h"

static int
db_migrate(struct ctl *c, const struct ctl_command *cmd, int argc, char **argv)
{
	struct store *s;
	int rc, r, version = 0;

	if ((rc = ctl_parse(c, cmd, argc, argv, NULL, NULL, 0)) != CTL_CONTINUE)
		return rc;
	if (ctl_store(c, &s) != BA_OK)
		return CTL_EXIT_FAIL;
	if ((r = store_migrate(s, &version)) != BA_OK)
		return ctl_fail(c, r, "db migrate");
	return ctl_print(c, json_pack("{s:i}", "version", version));
}

const struct ctl_command ctl_db_commands[] = {
	{ "db", "migrate", db_migrate, "",
	  "Apply pending schema migrations; prints the schema version." },
	{ NULL, NULL, NULL, NULL, NULL },
};
