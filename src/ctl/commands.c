/*
 * commands.c - the list of bioauthctl's command tables. A new group file
 * (cmd_<group>.c) adds its table here and declares it in ctl.h.
 */
#include <stddef.h>

#include "ctl/ctl.h"

const struct ctl_command *const ctl_tables[] = {
	ctl_app_commands,
	ctl_user_commands,
	ctl_token_commands,
	ctl_signing_key_commands,
	ctl_audit_commands,
	ctl_db_commands,
	ctl_attestation_commands,
	ctl_backup_commands,
	NULL
};
