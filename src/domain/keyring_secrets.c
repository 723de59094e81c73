/*
 * keyring_secrets.c - where the secrets sealing the signing keys come from
 * (keyring_secrets_load in keyring.h).
 */
#include "domain/keyring.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"
#include "common/private_file.h"
#include "common/secret.h"

/* The default secrets file of a SQLite database: `secrets` in its
 * directory. BA_ERR_CONFIG when the path does not fit. */
static int
default_path(const char *db, char *out, size_t cap)
{
	const char *slash = strrchr(db, '/');
	int n;

	if (slash == NULL)
		n = snprintf(out, cap, "secrets");
	else
		n = snprintf(out, cap, "%.*s/secrets", (int)(slash - db), db);
	return n > 0 && (size_t)n < cap ? BA_OK : BA_ERR_CONFIG;
}

/* Makes a secrets file with one fresh secret (0600, O_EXCL|O_NOFOLLOW). */
static int
create_file(const char *path)
{
	char *line = NULL;
	int r;

	if ((r = seal_secret_generate(&line)) != BA_OK)
		return r;
	r = private_file_create(path, line, strlen(line));
	secret_free(line);
	if (r == BA_OK)
		log_write(LOG_INFO, "secrets file created (keep it, and back it up apart "
		          "from the database)", "path", path, NULL);
	return r;
}

int
keyring_secrets_load(const struct config *cfg, bool create, struct seal_keys **out)
{
	char path[4096];
	const char *why = NULL;
	char *text = NULL;
	size_t len = 0;
	bool given = cfg->secrets_file != NULL && cfg->secrets_file[0] != '\0';
	int r;

	*out = NULL;
	if (given) {
		if (strlen(cfg->secrets_file) >= sizeof(path))
			return BA_ERR_CONFIG;
		strcpy(path, cfg->secrets_file);
	} else if (cfg->db == NULL || store_url_is_postgres(cfg->db)) {
		log_write(LOG_ERROR, "PostgreSQL needs --secrets-file: the signing keys are "
		          "sealed under its secrets (create it with one random line of 32+ "
		          "characters, mode 0600)", NULL);
		return BA_ERR_CONFIG;
	} else if ((r = default_path(cfg->db, path, sizeof(path))) != BA_OK) {
		return r;
	}
	r = private_file_read(path, SEAL_SECRETS_FILE_MAX, &text, &len);
	if (r == BA_ERR_NOT_FOUND && !given && create) {
		if ((r = create_file(path)) != BA_OK)
			return r;
		r = private_file_read(path, SEAL_SECRETS_FILE_MAX, &text, &len);
	}
	if (r == BA_ERR_NOT_FOUND) {
		log_write(LOG_ERROR, "secrets file not found", "path", path, NULL);
		return BA_ERR_CONFIG;
	}
	if (r != BA_OK)
		return r;
	r = seal_keys_parse(text, len, out, &why);
	secret_free(text);
	if (r == BA_ERR_CONFIG)
		log_write(LOG_ERROR, "secrets file unusable", "path", path,
		          "reason", why != NULL ? why : "", NULL);
	return r;
}
