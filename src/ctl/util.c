/*
 * util.c - what every bioauthctl command shares: argument parsing, opening
 * the store, JSON output and error lines.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "common/private_file.h"
#include "ctl/ctl.h"

void
ctl_print_command_usage(struct ctl *c, FILE *out, const struct ctl_command *cmd)
{
	fprintf(out, "Usage: %s [OPTIONS] %s%s%s%s%s\n", c->prog, cmd->group,
	    cmd->name != NULL ? " " : "", cmd->name != NULL ? cmd->name : "",
	    cmd->args[0] != '\0' ? " " : "", cmd->args);
	fprintf(out, "%s\n", cmd->summary);
}

/* --help of one command: synopsis, then its options. */
static void
command_help(struct ctl *c, const struct ctl_command *cmd,
             const struct ctl_opt *opts)
{
	const struct ctl_opt *o;

	ctl_print_command_usage(c, stdout, cmd);
	if (opts != NULL && opts[0].name != NULL) {
		printf("\nOptions:\n");
		for (o = opts; o->name != NULL; o++) {
			char left[64];

			snprintf(left, sizeof(left), "%s%s%s", o->name,
			    o->metavar != NULL ? " " : "",
			    o->metavar != NULL ? o->metavar : "");
			printf("  %-24s %s\n", left, o->help);
		}
	}
	printf("\nOPTIONS before the command are bioauthd's; see %s --help.\n",
	    c->prog);
}

/* The option of `opts` that `arg` names ("--x" or "--x=..."), or NULL. */
static const struct ctl_opt *
find_opt(const struct ctl_opt *opts, const char *arg, const char **inline_val)
{
	const struct ctl_opt *o;

	*inline_val = NULL;
	if (opts == NULL)
		return NULL;
	for (o = opts; o->name != NULL; o++) {
		size_t n = strlen(o->name);

		if (strncmp(arg, o->name, n) != 0)
			continue;
		if (arg[n] == '\0')
			return o;
		if (arg[n] == '=') {
			*inline_val = arg + n + 1;
			return o;
		}
	}
	return NULL;
}

int
ctl_parse(struct ctl *c, const struct ctl_command *cmd, int argc, char **argv,
          const struct ctl_opt *opts, const char **pos, size_t n_pos)
{
	const char *label = cmd->name != NULL ? cmd->name : "";
	size_t got_pos = 0;
	bool only_pos = false;
	int i;

	for (i = 0; i < argc; i++) {
		const char *arg = argv[i], *val;
		const struct ctl_opt *o;

		if (!only_pos && strcmp(arg, "--") == 0) {
			only_pos = true;
			continue;
		}
		if (only_pos || arg[0] != '-' || arg[1] == '\0') {
			if (got_pos >= n_pos)
				return ctl_usage_error(c, "%s %s: unexpected argument "
				    "'%s' (see --help)", cmd->group, label, arg);
			pos[got_pos++] = arg;
			continue;
		}
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			command_help(c, cmd, opts);
			return CTL_EXIT_OK;
		}
		if ((o = find_opt(opts, arg, &val)) == NULL)
			return ctl_usage_error(c, "%s %s: unknown option '%s' "
			    "(see --help)", cmd->group, label, arg);
		if (o->flag != NULL) {
			if (val != NULL)
				return ctl_usage_error(c, "%s %s: %s takes no value",
				    cmd->group, label, o->name);
			*o->flag = true;
			continue;
		}
		if (val == NULL) {
			if (i + 1 >= argc)
				return ctl_usage_error(c, "%s %s: %s needs a value",
				    cmd->group, label, o->name);
			val = argv[++i];
		}
		if (o->value != NULL) {
			if (*o->value != NULL)
				return ctl_usage_error(c, "%s %s: %s given twice",
				    cmd->group, label, o->name);
			*o->value = val;
		} else {
			if (*o->count >= o->max)
				return ctl_usage_error(c, "%s %s: at most %zu %s",
				    cmd->group, label, o->max, o->name);
			o->list[(*o->count)++] = val;
		}
	}
	if (got_pos < n_pos)
		return ctl_usage_error(c, "%s %s: missing %s (see --help)",
		    cmd->group, label, cmd->args);
	return CTL_CONTINUE;
}

int
ctl_store(struct ctl *c, struct store **out)
{
	struct store_options opt;
	int r;

	*out = NULL;
	if (c->store == NULL) {
		memset(&opt, 0, sizeof(opt));
		opt.durable = c->cfg.durable;
		opt.pool_size = 1;
		/* bioauthd may hold the SQLite write lock for a group commit:
		 * wait for it rather than fail. */
		opt.busy_timeout_ms = 10000;
		opt.max_batch = 1;
		/* The same file checks as bioauthd (private_file.h); root, the
		 * operator acting on the service's database, may open a
		 * database of another user. */
		if (strstr(c->cfg.db, "://") == NULL &&
		    (r = private_sqlite_check(c->cfg.db, geteuid() == 0)) != BA_OK) {
			ctl_fail(c, r, "unsafe database file %s", c->cfg.db);
			return r;
		}
		r = store_open(c->cfg.db, &opt, &c->store);
		if (r != BA_OK) {
			c->store = NULL;
			/* a PostgreSQL URL may hold a password: name only a file */
			ctl_fail(c, r, "cannot open database %s",
			         strstr(c->cfg.db, "://") != NULL ? "(PostgreSQL URL)" : c->cfg.db);
			return r;
		}
	}
	*out = c->store;
	return BA_OK;
}

int
ctl_fail(struct ctl *c, int err, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", c->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", ba_strerror(err));
	return err == BA_ERR_INVALID_REQUEST ? CTL_EXIT_USAGE : CTL_EXIT_FAIL;
}

int
ctl_usage_error(struct ctl *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", c->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CTL_EXIT_USAGE;
}

int
ctl_print(struct ctl *c, json_t *j)
{
	int r = CTL_EXIT_OK;

	if (j == NULL)
		return ctl_fail(c, BA_ERR_NOMEM, "cannot build output");
	if (json_dumpf(j, stdout, JSON_INDENT(2)) != 0 ||
	    fputc('\n', stdout) == EOF || fflush(stdout) != 0)
		r = ctl_fail(c, BA_ERR_IO, "cannot write output");
	json_decref(j);
	return r;
}
