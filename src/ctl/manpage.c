/*
 * manpage.c - bioauthctl --man: the bioauthctl(8) manual page, written
 * from the command tables and the option table that drive --help, so the
 * page cannot drift from the program. `make man` stores it as
 * build/man/bioauthctl.8.
 */
#include <stdio.h>

#include "common/config.h"
#include "ctl/ctl.h"

void
ctl_manpage_write(FILE *out)
{
	const struct ctl_command *const *t;
	const struct ctl_command *cmd;

	fputs(".TH BIOAUTHCTL 8 \"2026-12-04\" \"bioauth\" \"bioauth manual\"\n"
	      ".SH NAME\n"
	      "bioauthctl \\- administer a bioauth database\n"
	      ".SH SYNOPSIS\n"
	      ".B bioauthctl\n"
	      ".RI [ options ]\n"
	      ".I group\n"
	      ".RI [ command ]\n"
	      ".RI [ arguments ]\n"
	      ".SH DESCRIPTION\n"
	      ".B bioauthctl\n"
	      "works on the database of\n.BR bioauthd (8)\n"
	      "directly, also while the server runs.\n"
	      "Every command prints one JSON value on standard output;\n"
	      "an error prints one line on standard error.\n"
	      "It reads the same options, environment variables and "
	      "configuration file as\n.BR bioauthd ;\n"
	      "only the database settings matter to most commands.\n"
	      "Each command takes\n.B \\-\\-help\nto describe its arguments.\n"
	      ".SH COMMANDS\n", out);
	for (t = ctl_tables; *t != NULL; t++) {
		for (cmd = *t; cmd->group != NULL; cmd++) {
			fputs(".TP\n.B \"", out);
			config_man_text(out, cmd->group);
			if (cmd->name != NULL) {
				fputc(' ', out);
				config_man_text(out, cmd->name);
			}
			fputs("\"\n", out);
			if (cmd->args[0] != '\0') {
				fputs(".I \"", out);
				config_man_text(out, cmd->args);
				fputs("\"\n.br\n", out);
			}
			config_man_para(out, cmd->summary);
			fputc('\n', out);
		}
	}
	fputs(".SH OPTIONS\n", out);
	config_man_options(out);
	fputs(".TP\n.BR \\-\\-help \", \" \\-h\nPrint the options and commands "
	      "and exit.\n"
	      ".TP\n.B \\-\\-man\nPrint this manual page and exit.\n"
	      ".SH EXIT STATUS\n"
	      "0 on success, 1 on failure, 2 for a usage error "
	      "(unknown command or option,\nmissing or invalid argument).\n"
	      ".SH SEE ALSO\n"
	      ".BR bioauthd (8),\n"
	      ".BR bioauth\\-device (1)\n", out);
}
