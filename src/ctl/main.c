/*
 * main.c - bioauthctl: the admin CLI of bioauth.
 *
 * bioauthctl [OPTIONS] GROUP [COMMAND] [ARGS]... reads its configuration as
 * bioauthd does (flags before the command, BIOAUTH_* variables, config
 * file), opens the same database and runs one command from the tables in
 * ctl_tables[]. Works beside a running bioauthd on the same SQLite file: the
 * database is in WAL mode and the store waits on its lock (busy timeout).
 */
#include <malloc.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/config.h"
#include "common/error.h"
#include "common/log.h"
#include "ctl/ctl.h"

/* jansson's allocator for this process: every block jansson frees (client
 * secrets in output objects, dump buffers) is wiped first. */
static void *
json_alloc(size_t n)
{
	return malloc(n);
}

static void
json_wipe_free(void *p)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, malloc_usable_size(p));
	free(p);
}

/* The commands part of --help: every command of every table. */
static void
usage(struct ctl *c, FILE *out)
{
	const struct ctl_command *const *t;
	const struct ctl_command *cmd;

	fprintf(out, "Usage: %s [OPTIONS] GROUP [COMMAND] [ARGS]...\n\n"
	    "Administers a bioauth database. Every command prints JSON on "
	    "stdout;\nerrors go to stderr (exit 1; 2 for usage errors).\n\n"
	    "Commands:\n", c->prog);
	for (t = ctl_tables; *t != NULL; t++) {
		for (cmd = *t; cmd->group != NULL; cmd++) {
			char left[160];

			snprintf(left, sizeof(left), "%s%s%s %s", cmd->group,
			    cmd->name != NULL ? " " : "",
			    cmd->name != NULL ? cmd->name : "", cmd->args);
			if (strlen(left) <= 36)
				fprintf(out, "  %-36s %s\n", left, cmd->summary);
			else
				fprintf(out, "  %s\n  %-36s %s\n", left, "",
				    cmd->summary);
		}
	}
	fprintf(out, "\n'%s GROUP COMMAND --help' describes one command;\n"
	    "'%s --man' prints the manual page.\n", c->prog, c->prog);
}

/* Usage of one group: its commands. */
static void
group_usage(struct ctl *c, FILE *out, const char *group)
{
	const struct ctl_command *const *t;
	const struct ctl_command *cmd;

	fprintf(out, "Usage: %s [OPTIONS] %s COMMAND [ARGS]...\n\nCommands:\n",
	    c->prog, group);
	for (t = ctl_tables; *t != NULL; t++)
		for (cmd = *t; cmd->group != NULL; cmd++)
			if (strcmp(cmd->group, group) == 0 && cmd->name != NULL)
				fprintf(out, "  %s %s %s\n      %s\n", cmd->group,
				    cmd->name, cmd->args, cmd->summary);
}

/* The row for (group, name); name NULL finds a group-level command. */
static const struct ctl_command *
find_command(const char *group, const char *name, bool *group_known)
{
	const struct ctl_command *const *t;
	const struct ctl_command *cmd;

	*group_known = false;
	for (t = ctl_tables; *t != NULL; t++) {
		for (cmd = *t; cmd->group != NULL; cmd++) {
			if (strcmp(cmd->group, group) != 0)
				continue;
			*group_known = true;
			if (cmd->name == NULL && name == NULL)
				return cmd;
			if (cmd->name != NULL && name != NULL &&
			    strcmp(cmd->name, name) == 0)
				return cmd;
		}
	}
	return NULL;
}

int
main(int argc, char **argv)
{
	struct ctl c;
	const struct ctl_command *cmd;
	const char *group, *name;
	enum log_level lvl;
	bool help = false, known;
	int first = argc, rc = CTL_EXIT_FAIL;

	memset(&c, 0, sizeof(c));
	c.prog = "bioauthctl";
	/* The database and the files it makes hold secrets: owner only. */
	umask(077);
	json_set_alloc_funcs(json_alloc, json_wipe_free);
	if (argc == 2 && strcmp(argv[1], "--man") == 0) {
		ctl_manpage_write(stdout);
		return CTL_EXIT_OK;
	}

	if (config_load(&c.cfg, argc, argv, &first, &help, stderr) != BA_OK) {
		rc = CTL_EXIT_USAGE;
		goto out;
	}
	/* stderr is for the one error line: the store's info lines are not
	 * shown unless --log-level debug asks for everything. */
	if (c.cfg.log_level == NULL || log_level_parse(c.cfg.log_level, &lvl) != 0 ||
	    lvl == LOG_INFO)
		lvl = LOG_WARN;
	log_set_level(lvl);
	if (help) {
		/* config_load() printed the options; add the commands. */
		fputc('\n', stdout);
		usage(&c, stdout);
		rc = CTL_EXIT_OK;
		goto out;
	}
	if (first >= argc) {
		rc = ctl_usage_error(&c, "no command given (see %s --help)", c.prog);
		goto out;
	}
	group = argv[first];
	name = first + 1 < argc ? argv[first + 1] : NULL;

	/* A group-level command takes everything after the group. */
	if ((cmd = find_command(group, NULL, &known)) != NULL) {
		rc = cmd->fn(&c, cmd, argc - first - 1, argv + first + 1);
		goto out;
	}
	if (!known) {
		rc = ctl_usage_error(&c, "unknown command '%s' (see %s --help)",
		    group, c.prog);
		goto out;
	}
	if (name == NULL) {
		rc = ctl_usage_error(&c, "%s: no command given (see %s %s --help)",
		    group, c.prog, group);
		goto out;
	}
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
		group_usage(&c, stdout, group);
		rc = CTL_EXIT_OK;
		goto out;
	}
	if ((cmd = find_command(group, name, &known)) == NULL) {
		rc = ctl_usage_error(&c, "unknown command '%s %s' (see %s %s "
		    "--help)", group, name, c.prog, group);
		goto out;
	}
	rc = cmd->fn(&c, cmd, argc - first - 2, argv + first + 2);
out:
	store_close(c.store);
	config_clear(&c.cfg);
	return rc;
}
