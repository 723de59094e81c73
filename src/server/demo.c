/*
 * demo.c - creates the quick start's demo app once and keeps its
 * credentials in <data_dir>/demo-app.json for `make run` and the demo.
 */
#include "server/demo.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/log.h"
#include "common/private_file.h"
#include "common/secret.h"
#include "domain/apps.h"

#define DEMO_FILE_MAX 8192

/* True when `path` holds the credentials of an app that still exists (read
 * without following a link, and only from an owner-only file). */
static bool
file_is_current(struct store *s, const char *path)
{
	struct model_app app = {0};
	char *text = NULL;
	size_t len = 0;
	json_t *doc = NULL;
	const char *client_id;
	bool ok;

	if (private_file_read(path, DEMO_FILE_MAX, &text, &len) == BA_OK)
		doc = json_loadb(text, len, 0, NULL);
	client_id = json_string_value(json_object_get(doc, "client_id"));
	ok = client_id != NULL && store_app_get_by_client_id(s, client_id, &app) == BA_OK;
	model_app_clear(&app);
	json_decref(doc);
	secret_free(text);
	return ok;
}

int
demo_app_ensure(struct store *s, const struct config *cfg)
{
	char path[4096], *secret = NULL, *text = NULL;
	struct store_write w;
	json_t *doc = NULL;
	int r;

	memset(&w, 0, sizeof(w));
	snprintf(path, sizeof(path), "%s/demo-app.json", cfg->data_dir);
	if (file_is_current(s, path)) {
		log_write(LOG_INFO, "demo app credentials", "file", path, NULL);
		return BA_OK;
	}
	if ((r = apps_prepare_create("demo", NULL, 0, cfg, &w, &secret)) != BA_OK ||
	    (r = store_write_sync(s, &w)) != BA_OK)
		goto out;
	r = BA_ERR_NOMEM;
	doc = json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", "demo",
	                "app_id", w.in.app.app_id, "client_id", w.in.app.client_id,
	                "client_secret", secret, "issuer", cfg->issuer);
	if (doc == NULL)
		goto out;
	if ((text = json_dumps(doc, JSON_INDENT(2))) == NULL)
		goto out;
	/* A fresh file renamed over the old one: a link planted at `path`
	 * is replaced, never written through. */
	if ((r = private_file_replace(path, text, strlen(text))) != BA_OK)
		goto out;
	printf("Demo app created; its credentials are saved in %s:\n%s\n", path, text);
	fflush(stdout);
	r = BA_OK;
out:
	if (r != BA_OK)
		log_write(LOG_ERROR, "cannot create the demo app", "error", ba_strerror(r), NULL);
	secret_free(text);
	json_decref(doc);
	secret_free(secret);
	apps_write_clear(&w);
	return r;
}
