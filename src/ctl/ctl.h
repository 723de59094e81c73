/*
 * ctl.h - the internals of bioauthctl, the admin CLI.
 *
 * Command line: bioauthctl [OPTIONS] GROUP [COMMAND] [ARGS]...
 * OPTIONS are bioauthd's (config.h: --db, --config, ...; also from BIOAUTH_*
 * variables and the config file). Every command prints one JSON value on
 * stdout; an error prints one line on stderr. Exit status: 0 success,
 * 1 failure, 2 usage error (unknown command or option, missing or invalid
 * argument).
 *
 * Commands live in tables, one file per group (cmd_app.c, cmd_user.c, ...).
 * To add commands: write src/ctl/cmd_<group>.c defining
 *     const struct ctl_command ctl_<group>_commands[] = {
 *         { "group", "verb", fn, "ARGS SYNOPSIS", "one-line summary" },
 *         { NULL, NULL, NULL, NULL, NULL }
 *     };
 * declare it below, and list it in ctl_tables[] (commands.c). Several tables
 * may share a group name (e.g. "user token" in cmd_token.c). A row with
 * name NULL makes the group itself the command ("bioauthctl audit ...").
 */
#ifndef BIOAUTH_CTL_CTL_H
#define BIOAUTH_CTL_CTL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "common/config.h"
#include "store/store.h"

#define CTL_EXIT_OK 0
#define CTL_EXIT_FAIL 1
#define CTL_EXIT_USAGE 2
#define CTL_CONTINUE (-1)   /* ctl_parse(): go on with the command */

struct ctl {
	const char *prog;        /* "bioauthctl" */
	struct config cfg;
	struct store *store;     /* opened on first ctl_store() */
};

struct ctl_command;

/* A command: argv holds the arguments after the command's name (argv[argc]
 * is NULL). Returns the process exit status. */
typedef int (*ctl_fn)(struct ctl *c, const struct ctl_command *cmd,
                      int argc, char **argv);

struct ctl_command {
	const char *group;       /* "app" */
	const char *name;        /* "create"; NULL: the group is the command */
	ctl_fn fn;
	const char *args;        /* synopsis of the arguments, "" if none */
	const char *summary;     /* one line for --help */
};

/* The command tables, each terminated by a row with group NULL. */
extern const struct ctl_command ctl_app_commands[];
extern const struct ctl_command ctl_user_commands[];
extern const struct ctl_command ctl_db_commands[];
extern const struct ctl_command ctl_token_commands[];
extern const struct ctl_command ctl_signing_key_commands[];
extern const struct ctl_command ctl_audit_commands[];
extern const struct ctl_command ctl_attestation_commands[];
extern const struct ctl_command ctl_backup_commands[];
/* Writes bioauthctl(8) in man(7) format (manpage.c, bioauthctl --man). */
void ctl_manpage_write(FILE *out);
/* All tables, NULL-terminated (commands.c). */
extern const struct ctl_command *const ctl_tables[];

/*
 * One option of a command. Set exactly one target: `value` (given at most
 * once), `list` + `count` + `max` (repeatable), or `flag` (no argument).
 * Options are written "--name VALUE" or "--name=VALUE".
 */
struct ctl_opt {
	const char *name;        /* "--name" */
	const char *metavar;     /* "N"; NULL for a flag */
	const char *help;
	const char **value;
	const char **list;
	size_t *count;
	size_t max;
	bool *flag;
};

/*
 * Parses a command's arguments: options per `opts` (terminated by a row with
 * name NULL; may be NULL), then exactly `n_pos` positional arguments into
 * pos[]. "--help" prints the command's usage on stdout. Returns CTL_CONTINUE
 * to go on, CTL_EXIT_OK after --help, or CTL_EXIT_USAGE after printing one
 * error line on stderr.
 */
int ctl_parse(struct ctl *c, const struct ctl_command *cmd, int argc,
              char **argv, const struct ctl_opt *opts, const char **pos,
              size_t n_pos);

/* Opens the store of c->cfg.db on first use (migrating it). BA_OK, or an
 * error after printing one line on stderr. */
int ctl_store(struct ctl *c, struct store **out);

/* Prints "PROG: <message>: <error name>" on stderr and returns the exit
 * status for `err`: CTL_EXIT_USAGE for BA_ERR_INVALID_REQUEST (an invalid
 * argument), CTL_EXIT_FAIL otherwise. */
int ctl_fail(struct ctl *c, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prints "PROG: <message>" on stderr and returns CTL_EXIT_USAGE. */
int ctl_usage_error(struct ctl *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prints `j` (stolen; NULL means out of memory) as JSON plus a newline on
 * stdout. CTL_EXIT_OK, or CTL_EXIT_FAIL after an error line. */
int ctl_print(struct ctl *c, json_t *j);

/* Prints the synopsis of one command (or of all commands of `group` when
 * name is NULL) to `out`. */
void ctl_print_command_usage(struct ctl *c, FILE *out,
                             const struct ctl_command *cmd);

#endif
