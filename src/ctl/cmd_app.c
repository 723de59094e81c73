/*
 * cmd_app.c - bioauthctl app create|update|list|show|delete|rotate-secret.
 */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/secret.h"
#include "ctl/ctl.h"
#include "domain/apps.h"
#include "domain/attestation.h"

/* What the --attestation* options of app create / update collect. */
struct attest_opts {
	const char *mode, *level, *env;
	bool user_auth, biometric, boot;
	const char *android[ATTESTATION_MAX_APP_IDS], *apple[ATTESTATION_MAX_APP_IDS];
	size_t n_android, n_apple;
};

#define ATTEST_OPTS(o) \
	{ "--attestation", "MODE", "key attestation at registration: none, optional " \
	  "(default: verify a payload bioauth knows) or required", &(o).mode, \
	  NULL, NULL, 0, NULL }, \
	{ "--attestation-min-security-level", "LEVEL", "tee (default) or strongbox", \
	  &(o).level, NULL, NULL, 0, NULL }, \
	{ "--attestation-require-user-auth", NULL, "the key must need user " \
	  "authentication", NULL, NULL, NULL, 0, &(o).user_auth }, \
	{ "--attestation-require-biometric", NULL, "the key must need a biometric", \
	  NULL, NULL, NULL, 0, &(o).biometric }, \
	{ "--attestation-require-verified-boot", NULL, "the device must have booted " \
	  "verified", NULL, NULL, NULL, 0, &(o).boot }, \
	{ "--attestation-android-app", "PACKAGE:SHA256B64", "allowed Android app " \
	  "(package and signing certificate digest), repeatable; none = any", NULL, \
	  (o).android, &(o).n_android, ATTESTATION_MAX_APP_IDS, NULL }, \
	{ "--attestation-apple-app-id", "TEAMID.BUNDLE", "allowed iOS app, repeatable", \
	  NULL, (o).apple, &(o).n_apple, ATTESTATION_MAX_APP_IDS, NULL }, \
	{ "--attestation-apple-environment", "ENV", "production (default) or development", \
	  &(o).env, NULL, NULL, 0, NULL }

/*
 * The stored policy text the options describe (options not given take
 * their defaults) into *out (free()). BA_OK, BA_ERR_INVALID_REQUEST (a bad
 * value, after a line on stderr) or BA_ERR_NOMEM.
 */
static int
attest_opts_policy(struct ctl *c, const char *cmd, const struct attest_opts *o, char **out)
{
	struct attestation_policy p;
	json_t *j, *android, *apple;
	char *text = NULL;
	int rc;

	*out = NULL;
	android = json_array();
	apple = json_array();
	for (size_t i = 0; android != NULL && i < o->n_android; i++)
		json_array_append_new(android, json_string(o->android[i]));
	for (size_t i = 0; apple != NULL && i < o->n_apple; i++)
		json_array_append_new(apple, json_string(o->apple[i]));
	j = json_pack("{s:s, s:s, s:b, s:b, s:b, s:o?, s:o?, s:s}",
	    "mode", o->mode != NULL ? o->mode : "optional",
	    "min_security_level", o->level != NULL ? o->level : "tee",
	    "require_user_auth", o->user_auth, "require_biometric", o->biometric,
	    "require_verified_boot", o->boot, "android_apps", android, "apple_app_ids", apple,
	    "apple_environment", o->env != NULL ? o->env : "production");
	if (j == NULL || (text = json_dumps(j, JSON_COMPACT)) == NULL) {
		json_decref(j);
		return BA_ERR_NOMEM;
	}
	json_decref(j);
	rc = attestation_policy_parse(text, &p);
	free(text);
	if (rc == BA_OK)
		rc = attestation_policy_json(&p, out);
	attestation_policy_clear(&p);
	if (rc == BA_ERR_INVALID_REQUEST)
		ctl_usage_error(c, "%s: --attestation: none, optional or required; "
		    "--attestation-min-security-level: tee or strongbox; "
		    "--attestation-apple-environment: production or development; "
		    "--attestation-android-app PACKAGE:SHA256B64; "
		    "--attestation-apple-app-id TEAMID.BUNDLE", cmd);
	return rc;
}

/* The app's attestation policy as JSON (every member, defaults filled);
 * a stored text that does not parse is shown as it is, under "invalid". */
static json_t *
attestation_policy_view(const char *stored)
{
	struct attestation_policy p;
	char *text = NULL;
	json_t *o = NULL;

	if (attestation_policy_parse(stored, &p) == BA_OK &&
	    attestation_policy_json(&p, &text) == BA_OK)
		o = json_loads(text, 0, NULL);
	else if (stored != NULL)
		o = json_pack("{s:s}", "invalid", stored);
	free(text);
	attestation_policy_clear(&p);
	return o;
}

/* The Users API calls an app may make, in the words of --users-api. */
static const struct {
	const char *name;
	unsigned bit;
} users_api_names[] = {
	{ "read", USERS_API_READ },
	{ "create", USERS_API_CREATE },
	{ "delete", USERS_API_DELETE },
};

/* users_api as a JSON array of names ("read", "create", "delete"). */
static json_t *
users_api_view(unsigned bits)
{
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < sizeof(users_api_names) / sizeof(users_api_names[0]); i++)
		if ((bits & users_api_names[i].bit) != 0)
			json_array_append_new(a, json_string(users_api_names[i].name));
	return a;
}

/* --users-api LIST: "all", "none", or a comma-separated list of read,
 * create and delete into *out; false when a word is unknown. */
static bool
parse_users_api(const char *v, unsigned *out)
{
	const char *p = v;

	*out = 0;
	if (strcmp(v, "all") == 0) {
		*out = USERS_API_ALL;
		return true;
	}
	if (strcmp(v, "none") == 0)
		return true;
	while (*p != '\0') {
		size_t len = strcspn(p, ","), i;

		for (i = 0; i < sizeof(users_api_names) / sizeof(users_api_names[0]); i++)
			if (strlen(users_api_names[i].name) == len &&
			    strncmp(p, users_api_names[i].name, len) == 0)
				break;
		if (i == sizeof(users_api_names) / sizeof(users_api_names[0]))
			return false;
		*out |= users_api_names[i].bit;
		p += len;
		if (*p == ',' && *++p == '\0')
			return false;
	}
	return true;
}

/* A whole number in min..max from `v`; false otherwise. */
static bool
parse_range(const char *v, long long min, long long max, int64_t *out)
{
	char *end = NULL;
	long long n;

	errno = 0;
	n = strtoll(v, &end, 10);
	if (end == v || *end != '\0' || errno != 0 || n < min || n > max)
		return false;
	*out = (int64_t)n;
	return true;
}

/* What the options of app create / update that change the app's limits
 * collect (NULL: not given). */
struct limit_opts {
	const char *bio_enrol, *max_challenges, *max_bytes, *reuse, *users_api;
};

#define LIMIT_OPTS(o) \
	{ "--require-biometric-to-enrol", "BOOL", "a user who already has a key " \
	  "registers another only with a user token whose session holds the " \
	  "mobile_biometrics factor (default false)", &(o).bio_enrol, NULL, NULL, 0, NULL }, \
	{ "--max-challenges", "N", "quota of the app's outstanding (unconsumed, " \
	  "unexpired) /start challenges; more are 429 challenge_quota_exceeded " \
	  "(default 1000000)", &(o).max_challenges, NULL, NULL, 0, NULL }, \
	{ "--max-approval-data-bytes", "N", "quota of the approval_data bytes of " \
	  "the app's outstanding /start challenges; more are 429 " \
	  "approval_data_quota_exceeded (default 268435456)", &(o).max_bytes, NULL, NULL, 0, \
	  NULL }, \
	{ "--refresh-reuse-interval", "SECONDS", "a rotated refresh token used again " \
	  "within SECONDS gets a new pair of the same session instead of revoking " \
	  "it, 0-300 (default 0: any reuse revokes)", &(o).reuse, NULL, NULL, 0, NULL }, \
	{ "--users-api", "LIST", "the Users API calls the app may make: all (default), " \
	  "none, or a comma-separated list of read, create, delete; others are 403 " \
	  "users_api_forbidden", &(o).users_api, NULL, NULL, 0, NULL }

/* True when any of the limit options was given. */
static bool
limit_opts_given(const struct limit_opts *o)
{
	return o->bio_enrol != NULL || o->max_challenges != NULL || o->max_bytes != NULL ||
	       o->reuse != NULL || o->users_api != NULL;
}

/*
 * Applies the limit options given to `a`; CTL_CONTINUE, or CTL_EXIT_USAGE
 * after a line on stderr naming the bad value.
 */
static int
limit_opts_apply(struct ctl *c, const char *cmd, const struct limit_opts *o, struct model_app *a)
{
	if (o->bio_enrol != NULL) {
		if (strcmp(o->bio_enrol, "true") != 0 && strcmp(o->bio_enrol, "false") != 0)
			return ctl_usage_error(c, "%s: --require-biometric-to-enrol: true or false", cmd);
		a->require_biometric_to_enrol = strcmp(o->bio_enrol, "true") == 0;
	}
	if (o->max_challenges != NULL &&
	    !parse_range(o->max_challenges, 1, INT64_MAX / 2, &a->max_challenges))
		return ctl_usage_error(c, "%s: --max-challenges: a whole number, at least 1", cmd);
	if (o->max_bytes != NULL &&
	    !parse_range(o->max_bytes, 0, INT64_MAX / 2, &a->max_approval_data_bytes))
		return ctl_usage_error(c, "%s: --max-approval-data-bytes: a whole number, at least 0",
		                       cmd);
	if (o->reuse != NULL &&
	    !parse_range(o->reuse, 0, APPS_REFRESH_REUSE_MAX, &a->refresh_reuse_interval))
		return ctl_usage_error(c, "%s: --refresh-reuse-interval: 0-%d seconds", cmd,
		                       APPS_REFRESH_REUSE_MAX);
	if (o->users_api != NULL && !parse_users_api(o->users_api, &a->users_api))
		return ctl_usage_error(c, "%s: --users-api: all, none, or a comma-separated "
		                       "list of read, create, delete", cmd);
	return CTL_CONTINUE;
}

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
	o = json_pack("{s:s, s:s, s:s*, s:s, s:O, s:b, s:b, s:i, s:i, s:I, s:I, s:I, s:I, s:I, "
	    "s:I, s:I, s:o, s:o}",
	    "app_id", a->app_id,
	    "client_id", a->client_id,
	    "client_secret", secret,   /* omitted when NULL */
	    "name", a->name,
	    "resources", res,
	    "allow_client_challenges", a->allow_client_challenges,
	    "require_biometric_to_enrol", a->require_biometric_to_enrol,
	    "max_authenticators", a->max_authenticators,
	    "min_client_challenge_bytes", apps_client_challenge_floor(a),
	    "access_token_ttl", (json_int_t)a->access_ttl,
	    "id_token_ttl", (json_int_t)a->id_ttl,
	    "refresh_token_ttl", (json_int_t)a->refresh_ttl,
	    "max_challenges", (json_int_t)a->max_challenges,
	    "max_approval_data_bytes", (json_int_t)a->max_approval_data_bytes,
	    "refresh_reuse_interval", (json_int_t)a->refresh_reuse_interval,
	    "created_at", (json_int_t)a->created_at,
	    "users_api", users_api_view(a->users_api),
	    "attestation", attestation_policy_view(a->attestation_policy));
out:
	json_decref(res);
	return o;
}

/* --min-client-challenge-bytes: *out 1..1024, or false. */
static bool
parse_min_challenge(const char *v, int *out)
{
	char *end = NULL;
	long n = strtol(v, &end, 10);

	if (end == v || *end != '\0' || n < 1 || n > APPS_CLIENT_CHALLENGE_MAX)
		return false;
	*out = (int)n;
	return true;
}

static int
app_create(struct ctl *c, const struct ctl_command *cmd, int argc, char **argv)
{
	const char *name = NULL;
	const char *resources[MODEL_MAX_RESOURCES];
	size_t n = 0;
	const char *client_challenges = NULL, *max_auth = NULL, *min_challenge = NULL;
	int min_bytes = 1;
	struct attest_opts ao;
	struct limit_opts lo;
	const struct ctl_opt opts[] = {
		{ "--name", "N", "display name of the app (required)", &name,
		  NULL, NULL, 0, NULL },
		{ "--resource", "URI", "allowed audience, repeatable; the first "
		  "is the default", NULL, resources, &n, MODEL_MAX_RESOURCES, NULL },
		{ "--allow-client-challenges", "BOOL", "accept challenges the backend "
		  "made itself, not only those of /start (default true)",
		  &client_challenges, NULL, NULL, 0, NULL },
		LIMIT_OPTS(lo),
		{ "--max-authenticators", "N", "keys per user in this app (default: "
		  "the --max-authenticators option)", &max_auth, NULL, NULL, 0, NULL },
		{ "--min-client-challenge-bytes", "N", "shortest client-made challenge "
		  "accepted, 1-1024 (default 1)", &min_challenge, NULL, NULL, 0, NULL },
		ATTEST_OPTS(ao),
		{ NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL },
	};
	struct store_write w;
	struct store *s;
	char *secret = NULL, *end = NULL, *policy = NULL;
	long max = 0;
	int rc, r;

	memset(&w, 0, sizeof(w));
	memset(&ao, 0, sizeof(ao));
	memset(&lo, 0, sizeof(lo));
	if ((rc = ctl_parse(c, cmd, argc, argv, opts, NULL, 0)) != CTL_CONTINUE)
		return rc;
	if (name == NULL)
		return ctl_usage_error(c, "app create: --name is required");
	if (client_challenges != NULL && strcmp(client_challenges, "true") != 0 &&
	    strcmp(client_challenges, "false") != 0)
		return ctl_usage_error(c, "app create: --allow-client-challenges: true or false");
	{
		struct model_app probe = { 0 };   /* checks the limit options early */

		if ((rc = limit_opts_apply(c, "app create", &lo, &probe)) != CTL_CONTINUE)
			return rc;
	}
	if (max_auth != NULL && ((max = strtol(max_auth, &end, 10)) < 1 || max > 1000 ||
	                         *end != '\0'))
		return ctl_usage_error(c, "app create: --max-authenticators: 1-1000");
	if (min_challenge != NULL && !parse_min_challenge(min_challenge, &min_bytes))
		return ctl_usage_error(c, "app create: --min-client-challenge-bytes: 1-1024");
	/* last of the checks: the policy text is allocated */
	if ((r = attest_opts_policy(c, "app create", &ao, &policy)) != BA_OK)
		return r == BA_ERR_INVALID_REQUEST ? CTL_EXIT_USAGE : ctl_fail(c, r, "app create");
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
	w.in.app.min_client_challenge_bytes = min_bytes;
	w.in.app.attestation_policy = policy;   /* apps_write_clear frees it */
	policy = NULL;
	(void)limit_opts_apply(c, "app create", &lo, &w.in.app);   /* checked above */
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
	free(policy);
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
	if ((r = store_app_list(s, &apps, &n)) != BA_OK)
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
	if ((r = store_app_get(s, app_id, &a)) != BA_OK)
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
	if ((r = store_app_get(s, app_id, &a)) != BA_OK) {
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

/* True when any --attestation* option was given. */
static bool
attest_opts_given(const struct attest_opts *o)
{
	return o->mode != NULL || o->level != NULL || o->env != NULL || o->user_auth ||
	       o->biometric || o->boot || o->n_android > 0 || o->n_apple > 0;
}

/*
 * app update APP_ID: changes the settings given - the client-challenge
 * floor, the limits (enrolment rule, challenge quotas, refresh reuse
 * interval, Users API permissions: read, changed as given, written back
 * whole) and the attestation policy (replaced whole when any
 * --attestation* option is given) - each in its own write; prints the app.
 */
static int
app_update(struct ctl *c, const struct ctl_command *cmd, int argc, char **argv)
{
	const char *app_id = NULL, *min_challenge = NULL;
	struct attest_opts ao;
	struct limit_opts lo;
	const struct ctl_opt opts[] = {
		{ "--min-client-challenge-bytes", "N", "shortest client-made challenge "
		  "accepted, 1-1024", &min_challenge, NULL, NULL, 0, NULL },
		LIMIT_OPTS(lo),
		ATTEST_OPTS(ao),
		{ NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL },
	};
	struct store_write w;
	struct model_app a;
	struct store *s;
	char *policy = NULL;
	int rc, r, bytes = 0;

	memset(&ao, 0, sizeof(ao));
	memset(&lo, 0, sizeof(lo));
	memset(&a, 0, sizeof(a));
	if ((rc = ctl_parse(c, cmd, argc, argv, opts, &app_id, 1)) != CTL_CONTINUE)
		return rc;
	if (min_challenge == NULL && !attest_opts_given(&ao) && !limit_opts_given(&lo))
		return ctl_usage_error(c, "app update: nothing to change "
		    "(--min-client-challenge-bytes N, --max-challenges N, --users-api LIST, "
		    "--attestation* ...)");
	if (min_challenge != NULL && !parse_min_challenge(min_challenge, &bytes))
		return ctl_usage_error(c, "app update: --min-client-challenge-bytes: 1-1024");
	{
		struct model_app probe = { 0 };   /* checks the limit options early */

		if ((rc = limit_opts_apply(c, "app update", &lo, &probe)) != CTL_CONTINUE)
			return rc;
	}
	if (attest_opts_given(&ao) &&
	    (r = attest_opts_policy(c, "app update", &ao, &policy)) != BA_OK)
		return r == BA_ERR_INVALID_REQUEST ? CTL_EXIT_USAGE : ctl_fail(c, r, "app update");
	if (ctl_store(c, &s) != BA_OK) {
		rc = CTL_EXIT_FAIL;
		goto out;
	}
	if (min_challenge != NULL) {
		if ((r = apps_prepare_set_min_challenge(app_id, bytes, &w)) != BA_OK ||
		    (r = store_write_sync(s, &w)) != BA_OK) {
			rc = ctl_fail(c, r, "app %s", app_id);
			goto out;
		}
	}
	if (policy != NULL) {
		memset(&w, 0, sizeof(w));
		w.kind = SW_APP_SET_ATTESTATION;
		w.in.app_attestation.app_id = app_id;
		w.in.app_attestation.policy = policy;
		if ((r = store_write_sync(s, &w)) != BA_OK) {
			rc = ctl_fail(c, r, "app %s", app_id);
			goto out;
		}
	}
	if (limit_opts_given(&lo)) {
		/* read, change what was given, write the limits back whole */
		if ((r = store_app_get(s, app_id, &a)) != BA_OK) {
			rc = ctl_fail(c, r, "app %s", app_id);
			goto out;
		}
		(void)limit_opts_apply(c, "app update", &lo, &a);   /* checked above */
		if ((r = apps_prepare_set_limits(&a, &w)) != BA_OK ||
		    (r = store_write_sync(s, &w)) != BA_OK) {
			rc = ctl_fail(c, r, "app %s", app_id);
			goto out;
		}
		model_app_clear(&a);
	}
	if ((r = store_app_get(s, app_id, &a)) != BA_OK) {
		rc = ctl_fail(c, r, "app %s: updated, but reading it back failed", app_id);
		goto out;
	}
	rc = ctl_print(c, app_json(&a, NULL));
out:
	model_app_clear(&a);
	free(policy);
	return rc;
}

const struct ctl_command ctl_app_commands[] = {
	{ "app", "create", app_create, "--name N [--resource URI]... "
	  "[--allow-client-challenges BOOL] [--require-biometric-to-enrol BOOL] "
	  "[--max-authenticators N] [--min-client-challenge-bytes N] "
	  "[--max-challenges N] [--max-approval-data-bytes N] "
	  "[--refresh-reuse-interval SECONDS] [--users-api all|none|read,create,delete] "
	  "[--attestation none|optional|required] [--attestation-* ...: see app update]",
	  "Create an app; prints its client_id and client_secret (shown once)." },
	{ "app", "update", app_update, "APP_ID [--min-client-challenge-bytes N] "
	  "[--require-biometric-to-enrol BOOL] [--max-challenges N] "
	  "[--max-approval-data-bytes N] [--refresh-reuse-interval SECONDS] "
	  "[--users-api all|none|read,create,delete] "
	  "[--attestation none|optional|required] "
	  "[--attestation-min-security-level tee|strongbox] [--attestation-require-user-auth] "
	  "[--attestation-require-biometric] [--attestation-require-verified-boot] "
	  "[--attestation-android-app PACKAGE:SHA256B64]... "
	  "[--attestation-apple-app-id TEAMID.BUNDLE]... "
	  "[--attestation-apple-environment production|development]",
	  "Change an app's settings; prints the app. Any --attestation* option "
	  "replaces the whole attestation policy (options not given take their "
	  "defaults)." },
	{ "app", "list", app_list, "", "List every app." },
	{ "app", "show", app_show, "APP_ID", "Show one app." },
	{ "app", "delete", app_delete, "APP_ID",
	  "Delete an app with its keys, challenges and sessions." },
	{ "app", "rotate-secret", app_rotate_secret, "APP_ID",
	  "Replace the client secret; prints the new one (the old one stops "
	  "working)." },
	{ NULL, NULL, NULL, NULL, NULL },
};
