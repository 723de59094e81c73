/*
 * cmd_app.c - bioauthctl app create|list|show|delete|rotate-secret.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/secret.h"
#include "ctl/ctl.h"
#include "domain/apps.h"

/* The JSON view of an app (never its secret hash); `secret`, when not NULL,
 * is shown once after client_id. NULL on allocation failure. */
static json_t *
app_json(const struct model_app *a, const char *secret)
{
	json_t *o = NULL, *res;
	size_t i;

	if ((res = json_array()) == NULL)
		return NULL;
	for (i = 0; i < a->n_resources && i < MODEL_MAX_RESOURCES; i++)
		if (json_array_append_new(res, json_string(a->resources[i])) != 0)
			goto out;
	o = json_pack("{s:s, s:s, s:s*, s:s, s:O, s:b, s:b, s:i, s:I, s:I, s:I, s:I}",
	    "app_id", a->app_id,
	    "client_id", a->client_id,
	    "client_secret", secret,   /* omitted when NULL */
	    "name", a->name,
	    "resources", res,
	    "allow_client_challenges", a->allow_client_challenges,
	    "require_biometric_to_enrol", a->require_biometric_to_enrol,
	    "max_authenticators", a->max_authenticators,
	    "access_token_ttl", (json_int_t)a->access_ttl,
	    "id_token_ttl", (json_int_t)a->id_ttl,
	    "refresh_token_ttl", (json_int_t)a->refresh_ttl,
	    "created_at", (json_int_t)a->created_at);
out:
	json_decref(res);
	return o;
}

static int
app_create(struct ctl *c, const struct ctl_command *cmd, int argc, char **argv)
{
	const char *name = NULL;
	const char *resources[MODEL_MAX_RESOURCES];
	size_t n = 0;
	const char *client_challenges = NULL, *max_auth = NULL, *bio_enrol = NULL;
	const struct ctl_opt opts[] = {
		{ "--name", "N", "display name of the app (required)", &name,
		  NULL, NULL, 0, NULL },
		{ "--resource", "URI", "allowed audience, repeatable; the first "
		  "is the default", NULL, resources, &n, MODEL_MAX_RESOURCES, NULL },
		{ "--allow-client-challenges", "BOOL", "accept challenges the backend "
		  "made itself, not only those of /start (default true)",
		  &client_challenges, NULL, NULL, 0, NULL },
		{ "--require-biometric-to-enrol", "BOOL", "a user who already has a key "
		  "registers another only with a user token whose session holds the "
		  "mobile_biometrics factor (default false)", &bio_enrol, NULL, NULL, 0, NULL },
		{ "--max-authenticators", "N", "keys per user in this app (default: "
		  "the --max-authenticators option)", &max_auth, NULL, NULL, 0, NULL },
		{ NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL },
	};
	struct store_write w;
	struct store *s;
	char *secret = NULL, *end = NULL;
	long max = 0;
	int rc, r;

	memset(&w, 0, sizeof(w));
	if ((rc = ctl_parse(c, cmd, argc, argv, opts, NULL, 0)) != CTL_CONTINUE)
		return rc;
	if (name == NULL)
		return ctl_usage_error(c, "app create: --name is required");
	if (client_challenges != NULL && strcmp(client_challenges, "true") != 0 &&
	    strcmp(client_challenges, "false") != 0)
		return ctl_usage_error(c, "app create: --allow-client-challenges: true or false");
	if (bio_enrol != NULL && strcmp(bio_enrol, "true") != 0 && strcmp(bio_enrol, "false") != 0)
		return ctl_usage_error(c, "app create: --require-biometric-to-enrol: true or false");
	if (max_auth != NULL && ((max = strtol(max_auth, &end, 10)) < 1 || max > 1000 ||
	                         *end != '\0'))
		return ctl_usage_error(c, "app create: --max-authenticators: 1-1000");
	if ((r = apps_prepare_create(name, resources, n, &c->cfg, &w,
	    &secret)) != BA_OK) {
		rc = r == BA_ERR_INVALID_REQUEST ?
		    ctl_fail(c, r, "app create: the name must be 1-%d bytes of "
		        "printable UTF-8, each resource an absolute URI without "
		        "fragment of at most %d bytes, no duplicates",
		        APPS_NAME_MAX, APPS_RESOURCE_MAX) :
		    ctl_fail(c, r, "app create");
		goto out;
	}
	if (client_challenges != NULL)
		w.in.app.allow_client_challenges = strcmp(client_challenges, "true") == 0;
	if (max_auth != NULL)
		w.in.app.max_authenticators = (int)max;
	w.in.app.require_biometric_to_enrol = bio_enrol != NULL && strcmp(bio_enrol, "true") == 0;
	if (ctl_store(c, &s) != BA_OK) {
		rc = CTL_EXIT_FAIL;
		goto out;
	}
	if ((r = store_write_sync(s, &w)) != BA_OK) {
		rc = ctl_fail(c, r, "app create");
		goto out;
	}
	rc = ctl_print(c, app_json(&w.in.app, secret));
out:
	secret_free(secret);
	apps_write_clear(&w);
	return rc;
}

static int
app_list(struct ctl *c, const struct ctl_command *cmd, int argc, char **argv)
{
	struct model_app *apps = NULL;
	struct store *s;
	json_t *arr = NULL;
	size_t n = 0, i;
	int rc, r;

	if ((rc = ctl_parse(c, cmd, argc, argv, NULL, NULL, 0)) != CTL_CONTINUE)
		return rc;
	if (ctl_store(c, &s) != BA_OK)
		return CTL_EXIT_FAIL;
	if ((r = s->ops->app_list(s, &apps, &n)) != BA_OK)
		return ctl_fail(c, r, "app list");
	if ((arr = json_array()) != NULL) {
		for (i = 0; i < n; i++) {
			if (json_array_append_new(arr, app_json(&apps[i], NULL)) != 0) {
				json_decref(arr);
				arr = NULL;
				break;
			}
		}
	}
	store_free_apps(apps, n);
	return ctl_print(c, arr);
}

static int
app_show(struct ctl *c, const struct ctl_command *cmd, int argc, char **argv)
{
	const char *app_id = NULL;
	struct model_app a;
	struct store *s;
	int rc, r;

	memset(&a, 0, sizeof(a));
	if ((rc = ctl_parse(c, cmd, argc, argv, NULL, &app_id, 1)) != CTL_CONTINUE)
		return rc;
	if (ctl_store(c, &s) != BA_OK)
		return CTL_EXIT_FAIL;
	if ((r = s->ops->app_get(s, app_id, &a)) != BA_OK)
		return ctl_fail(c, r, "app %s", app_id);
	rc = ctl_print(c, app_json(&a, NULL));
	model_app_clear(&a);
	return rc;
}

static int
app_delete(struct ctl *c, const struct ctl_command *cmd, int argc, char **argv)
{
	const char *app_id = NULL;
	struct store_write w;
	struct store *s;
	int rc, r;

	if ((rc = ctl_parse(c, cmd, argc, argv, NULL, &app_id, 1)) != CTL_CONTINUE)
		return rc;
	if ((r = apps_prepare_delete(app_id, &w)) != BA_OK)
		return ctl_fail(c, r, "app delete");
	if (ctl_store(c, &s) != BA_OK)
		return CTL_EXIT_FAIL;
	r = store_write_sync(s, &w);
	apps_write_clear(&w);
	if (r != BA_OK)
		return ctl_fail(c, r, "app %s", app_id);
	return ctl_print(c, json_pack("{s:s, s:b}", "app_id", app_id,
	    "deleted", 1));
}

static int
app_rotate_secret(struct ctl *c, const struct ctl_command *cmd, int argc,
                  char **argv)
{
	const char *app_id = NULL;
	struct store_write w;
	struct model_app a;
	struct store *s;
	char *secret = NULL;
	int rc, r;

	memset(&w, 0, sizeof(w));
	memset(&a, 0, sizeof(a));
	if ((rc = ctl_parse(c, cmd, argc, argv, NULL, &app_id, 1)) != CTL_CONTINUE)
		return rc;
	if (ctl_store(c, &s) != BA_OK)
		return CTL_EXIT_FAIL;
	if ((r = apps_prepare_rotate_secret(app_id, &w, &secret)) != BA_OK) {
		rc = ctl_fail(c, r, "app rotate-secret");
		goto out;
	}
	if ((r = store_write_sync(s, &w)) != BA_OK) {
		rc = ctl_fail(c, r, "app %s", app_id);
		goto out;
	}
	/* For the client_id of the output; the secret is already replaced. */
	if ((r = s->ops->app_get(s, app_id, &a)) != BA_OK) {
		rc = ctl_fail(c, r, "app %s: secret rotated, but reading it back "
		    "failed", app_id);
		goto out;
	}
	rc = ctl_print(c, json_pack("{s:s, s:s, s:s}", "app_id", a.app_id,
	    "client_id", a.client_id, "client_secret", secret));
out:
	model_app_clear(&a);
	secret_free(secret);
	apps_write_clear(&w);
	return rc;
}

const struct ctl_command ctl_app_commands[] = {
	{ "app", "create", app_create, "--name N [--resource URI]... "
	  "[--allow-client-challenges BOOL] [--require-biometric-to-enrol BOOL] "
	  "[--max-authenticators N]",
	  "Create an app; prints its client_id and client_secret (shown once)." },
	{ "app", "list", app_list, "", "List every app." },
	{ "app", "show", app_show, "APP_ID", "Show one app." },
	{ "app", "delete", app_delete, "APP_ID",
	  "Delete an app with its keys, challenges and sessions." },
	{ "app", "rotate-secret", app_rotate_secret, "APP_ID",
	  "Replace the client secret; prints the new one (the old one stops "
	  "working)." },
	{ NULL, NULL, NULL, NULL, NULL },
};
