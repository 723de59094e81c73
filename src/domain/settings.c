/*
 * settings.c - the deployment's recorded facts (settings.h).
 */
#include "domain/settings.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

int
settings_record_issuer(struct store *store, const char *issuer, int64_t now)
{
	struct store_write w;
	char *recorded = NULL;
	bool same;

	if (issuer == NULL)
		return BA_ERR_INVALID_REQUEST;
	/* The usual restart writes nothing. */
	if (settings_served_issuer(store, &recorded) == BA_OK) {
		same = strcmp(recorded, issuer) == 0;
		free(recorded);
		if (same)
			return BA_OK;
	}
	memset(&w, 0, sizeof(w));
	w.kind = SW_SETTING_SET;
	w.in.setting.name = STORE_SETTING_ISSUER;
	w.in.setting.value = issuer;
	w.in.setting.now = now;
	return store_write_sync(store, &w);
}

int
settings_served_issuer(struct store *store, char **out)
{
	return store_setting_get(store, STORE_SETTING_ISSUER, out);
}
