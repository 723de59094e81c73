/*
 * manpage.c - bioauthd --man: the bioauthd(8) manual page, written from the
 * option table that drives --help (config.c), so the two cannot drift.
 * `make man` stores it as build/man/bioauthd.8.
 */
#include "server/manpage.h"

#include "common/config.h"

void
manpage_write(FILE *out)
{
	fputs(".TH BIOAUTHD 8 \"2026-12-04\" \"bioauth\" \"bioauth manual\"\n"
	      ".SH NAME\n"
	      "bioauthd \\- self-hosted biometric login server\n"
	      ".SH SYNOPSIS\n"
	      ".B bioauthd\n"
	      ".RI [ options ]\n"
	      ".br\n"
	      ".B bioauthd \\-\\-check\\-config\n"
	      ".RI [ options ]\n"
	      ".SH DESCRIPTION\n"
	      ".B bioauthd\n"
	      "serves the bioauth HTTP API:\ndevice key registration and "
	      "signature login (the Mobile Biometrics API),\nusers, passwords, "
	      "OAuth 2.0 tokens and OpenID Connect discovery.\nIt keeps its data "
	      "in a SQLite file or a PostgreSQL database\nand logs one JSON "
	      "object per line on standard error.\n"
	      ".PP\n"
	      "Settings come from flags, then\n"
	      ".B BIOAUTH_*\n"
	      "environment variables, then the configuration file (lines\n"
	      ".IR \"key = value\" ,\n"
	      ".B #\n"
	      "comments,\nkeys are the option names without the leading dashes),\n"
	      "then the defaults below.\n"
	      ".SH OPTIONS\n", out);
	config_man_options(out);
	fputs(".TP\n.B \\-\\-check\\-config\n"
	      "Validate the flags, environment, configuration file and TLS "
	      "files, print\n.B \"configuration OK\"\nand exit 0, or print the "
	      "reason and exit 2.\n"
	      ".TP\n.BR \\-\\-help \", \" \\-h\nPrint the options and exit.\n"
	      ".TP\n.B \\-\\-man\nPrint this manual page and exit.\n"
	      ".SH SIGNALS\n"
	      ".TP\n.B SIGHUP\n"
	      "Re-read the configuration and the TLS certificate and key.\nThe "
	      "log level and the TLS files change at once;\nother changed "
	      "settings are logged as taking effect on restart.\nAn invalid "
	      "configuration or TLS pair is refused and the running one stays.\n"
	      ".TP\n.BR SIGTERM \", \" SIGINT\n"
	      "Stop accepting connections,\nfinish the requests in flight and "
	      "their writes, and exit 0.\n"
	      ".SH EXIT STATUS\n"
	      "0 after a clean shutdown,\n.BR \\-\\-help ,\n.B \\-\\-man\n"
	      "or a passed\n.BR \\-\\-check\\-config ;\n"
	      "1 when start-up fails (storage, keys, listen socket);\n"
	      "2 for an invalid configuration.\n"
	      ".SH FILES\n"
	      ".TP\n.I /etc/bioauth/bioauthd.conf\n"
	      "configuration file of the packaged service\n"
	      ".TP\n.I /var/lib/bioauth\n"
	      "data directory of the packaged service (the SQLite database)\n"
	      ".SH SEE ALSO\n"
	      ".BR bioauthctl (8),\n"
	      ".BR bioauth\\-device (1),\n"
	      ".BR systemd.service (5)\n", out);
}
