/*
 * cmd_token.c - bioauthctl user token: mint a user access token for
 * operators and tests.
 *
 * The token needs a live session (bearer checks reject tokens of revoked or
 * unknown sessions), so the command creates one, with no authentication
 * factor recorded (an empty `amr`): it was made by an operator, not by the
 * user.
 */
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "crypto/digest.h"
#include "crypto/rand.h"
#include "ctl/ctl.h"
#include "domain/keyring.h"
#include "domain/settings.h"
#include "domain/tokens.h"

/* Stores an operator session of `user_id` in `app` into *out. */
static int
create_session(struct store *s, const struct config *cfg, const struct model_app *app,
               const char *user_id, int64_t now, struct model_session *out)
{
	struct store_write w;
	char *sid = NULL, *refresh = NULL, *uid = strdup(user_id);
	int r;

	memset(&w, 0, sizeof(w));
	w.kind = SW_LOGIN;
	if (uid == NULL) {
		r = BA_ERR_NOMEM;
		goto out;
	}
	if ((r = rand_token("ses_", 16, &sid)) != BA_OK ||
	    (r = rand_token(NULL, 32, &refresh)) != BA_OK)
		goto out;
	w.in.login.app_id = app->app_id;
	w.in.login.user_id = user_id;
	w.in.login.now = now;
	w.in.login.session.session_id = sid;
	w.in.login.session.app_id = app->app_id;
	w.in.login.session.user_id = uid;
	w.in.login.session.created_at = now;
	w.in.login.session.auth_time = now;
	w.in.login.session.expires_at = now + tokens_refresh_ttl(cfg, app);
	/* The refresh token is never shown: the session is for this token only. */
	sha256(refresh, strlen(refresh), w.in.login.refresh.hash);
	w.in.login.refresh.created_at = now;
	w.in.login.refresh.expires_at = now + tokens_refresh_ttl(cfg, app);
	if ((r = store_write_sync(s, &w)) != BA_OK)
		goto out;
	*out = w.out.session;
	memset(&w.out.session, 0, sizeof(w.out.session));
out:
	model_session_clear(&w.out.session);
	free(sid);
	free(uid);
	if (refresh != NULL)
		OPENSSL_clear_free(refresh, strlen(refresh));
	return r;
}

/*
 * The issuer to sign with: the one bioauthd recorded when it last started on
 * this database, unless --issuer (flag, environment or file) names one; a
 * warning on stderr when that differs from the recorded one, whose server
 * would refuse the token. Without a record, the configured issuer. BA_OK or
 * the store's error.
 */
static int
use_served_issuer(struct ctl *c, struct store *s)
{
	char *served = NULL;
	int r = settings_served_issuer(s, &served);

	if (r == BA_ERR_NOT_FOUND)
		return BA_OK;
	if (r != BA_OK)
		return r;
	if (!c->cfg.issuer_given) {
		free(c->cfg.issuer);
		c->cfg.issuer = served;
		return BA_OK;
	}
	if (strcmp(served, c->cfg.issuer) != 0)
		fprintf(stderr, "%s: warning: --issuer %s differs from the issuer bioauthd "
		        "serves as on this database (%s): that server refuses the token\n",
		        c->prog, c->cfg.issuer, served);
	free(served);
	return BA_OK;
}

static int
user_token(struct ctl *c, const struct ctl_command *cmd, int argc, char **argv)
{
	const char *user_id = NULL, *client_id = NULL, *resource = NULL;
	const struct ctl_opt opts[] = {
		{ "--user-id", "U", "the user the token is for", &user_id, NULL, NULL, 0, NULL },
		{ "--client-id", "C", "the app's client_id", &client_id, NULL, NULL, 0, NULL },
		{ "--resource", "URI", "audience (default: the app's first resource)",
		  &resource, NULL, NULL, 0, NULL },
		{ NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL },
	};
	struct model_app app = {0};
	struct model_user user = {0};
	struct model_session session = {0};
	struct token_subject subj = {0};
	struct keyring *kr = NULL;
	struct keyset *ks = NULL;
	struct store *s;
	char *access = NULL, *id_token = NULL;
	int64_t now = (int64_t)time(NULL), expires_in = 0;
	int rc, r;

	if ((rc = ctl_parse(c, cmd, argc, argv, opts, NULL, 0)) != CTL_CONTINUE)
		return rc;
	if (user_id == NULL || client_id == NULL)
		return ctl_usage_error(c, "user token: --user-id and --client-id are required");
	if (ctl_store(c, &s) != BA_OK)
		return CTL_EXIT_FAIL;
	if ((r = use_served_issuer(c, s)) != BA_OK) {
		rc = ctl_fail(c, r, "user token: the issuer recorded by bioauthd");
		goto out;
	}
	if ((r = store_app_get_by_client_id(s, client_id, &app)) != BA_OK) {
		rc = ctl_fail(c, r, "user token: app with client_id %s", client_id);
		goto out;
	}
	if ((r = store_user_get(s, user_id, &user)) != BA_OK) {
		rc = ctl_fail(c, r, "user token: user %s", user_id);
		goto out;
	}
	if (resource != NULL) {
		bool allowed = false;

		for (size_t i = 0; i < app.n_resources; i++)
			allowed = allowed || strcmp(app.resources[i], resource) == 0;
		if (!allowed) {
			rc = ctl_fail(c, BA_ERR_INVALID_TARGET, "user token: resource %s", resource);
			goto out;
		}
	}
	if ((r = keyring_open(s, &c->cfg, &kr)) != BA_OK) {
		rc = ctl_fail(c, r, "user token: signing keys");
		goto out;
	}
	if ((r = create_session(s, &c->cfg, &app, user_id, now, &session)) != BA_OK) {
		rc = ctl_fail(c, r, "user token: session");
		goto out;
	}
	ks = keyring_acquire(kr);
	subj.app = &app;
	subj.session = &session;
	subj.audience = resource != NULL ? resource : tokens_default_audience(&c->cfg, &app);
	subj.now = now;
	if ((r = tokens_issue_user(&c->cfg, ks, &subj, &access, &id_token, &expires_in)) != BA_OK) {
		rc = ctl_fail(c, r, "user token: signing");
		goto out;
	}
	rc = ctl_print(c, json_pack("{s:s, s:s, s:I, s:s}", "access_token", access,
	                            "token_type", "Bearer", "expires_in", (json_int_t)expires_in,
	                            "session_id", session.session_id));
out:
	if (access != NULL)
		OPENSSL_clear_free(access, strlen(access));
	if (id_token != NULL)
		OPENSSL_clear_free(id_token, strlen(id_token));
	keyset_release(ks);
	keyring_free(kr);
	model_session_clear(&session);
	model_user_clear(&user);
	model_app_clear(&app);
	return rc;
}

const struct ctl_command ctl_token_commands[] = {
	{ "user", "token", user_token, "--user-id U --client-id C [--resource URI]",
	  "mint a user access token (iss: the issuer bioauthd recorded)" },
	{ NULL, NULL, NULL, NULL, NULL },
};
