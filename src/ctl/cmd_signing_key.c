/*
 * cmd_signing_key.c - bioauthctl signing-key rotate|list|rewrap.
 *
 * A rotation stores a new current key; running bioauthd instances pick it up
 * within --key-cache-seconds. The previous key stops signing at once and
 * stays published (and verifying) until every token it signed has expired.
 */
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "crypto/jws.h"
#include "ctl/ctl.h"
#include "domain/keyring.h"

static int
key_rotate(struct ctl *c, const struct ctl_command *cmd, int argc, char **argv)
{
	const char *alg_name = NULL;
	const struct ctl_opt opts[] = {
		{ "--alg", "ALG", "ES256, RS256 or EdDSA (default: --signing-alg)",
		  &alg_name, NULL, NULL, 0, NULL },
		{ NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL },
	};
	struct store_write w;
	struct seal_keys *sk = NULL;
	struct store *s;
	enum jws_alg alg;
	char *kid = NULL;
	int rc, r;

	memset(&w, 0, sizeof(w));
	if ((rc = ctl_parse(c, cmd, argc, argv, opts, NULL, 0)) != CTL_CONTINUE)
		return rc;
	if (alg_name == NULL)
		alg_name = c->cfg.signing_alg;
	if ((alg = jws_alg_parse(alg_name)) == 0)
		return ctl_usage_error(c, "signing-key rotate: unknown algorithm %s", alg_name);
	if (ctl_store(c, &s) != BA_OK)
		return CTL_EXIT_FAIL;
	if ((r = keyring_secrets_load(&c->cfg, true, &sk)) != BA_OK ||
	    (r = keyring_prepare_rotate(alg, (int64_t)time(NULL), sk, &w, &kid)) != BA_OK ||
	    (r = store_write_sync(s, &w)) != BA_OK)
		rc = ctl_fail(c, r, "signing-key rotate");
	else
		rc = ctl_print(c, json_pack("{s:s, s:s, s:I}", "kid", kid, "alg", jws_alg_name(alg),
		                            "created_at", (json_int_t)w.in.signing_key.created_at));
	model_signing_key_clear(&w.in.signing_key);
	seal_keys_free(sk);
	free(kid);
	return rc;
}

/* signing-key rewrap: every key sealed again under the first secret. */
static int
key_rewrap(struct ctl *c, const struct ctl_command *cmd, int argc, char **argv)
{
	struct seal_keys *sk = NULL;
	struct store *s;
	size_t n = 0;
	int rc, r;

	if ((rc = ctl_parse(c, cmd, argc, argv, NULL, NULL, 0)) != CTL_CONTINUE)
		return rc;
	if (ctl_store(c, &s) != BA_OK)
		return CTL_EXIT_FAIL;
	if ((r = keyring_secrets_load(&c->cfg, false, &sk)) != BA_OK ||
	    (r = keyring_rewrap(s, sk, &n)) != BA_OK)
		rc = ctl_fail(c, r, "signing-key rewrap");
	else
		rc = ctl_print(c, json_pack("{s:I}", "rewrapped", (json_int_t)n));
	seal_keys_free(sk);
	return rc;
}

static int
key_list(struct ctl *c, const struct ctl_command *cmd, int argc, char **argv)
{
	struct model_signing_key *keys = NULL;
	size_t n = 0;
	struct store *s;
	int64_t now = (int64_t)time(NULL), horizon = keyring_max_token_ttl(&c->cfg);
	json_t *arr;
	int rc, r;

	if ((rc = ctl_parse(c, cmd, argc, argv, NULL, NULL, 0)) != CTL_CONTINUE)
		return rc;
	if (ctl_store(c, &s) != BA_OK)
		return CTL_EXIT_FAIL;
	if ((r = s->ops->signing_key_list(s, &keys, &n)) != BA_OK)
		return ctl_fail(c, r, "signing-key list");
	arr = json_array();
	for (size_t i = 0; arr != NULL && i < n; i++) {
		const struct model_signing_key *k = &keys[i];
		const char *state = k->retired_at == 0 ? "current" :
		                    k->retired_at + horizon > now ? "verifying" : "expired";

		json_array_append_new(arr, json_pack("{s:s, s:s, s:I, s:I, s:s}", "kid", k->kid,
		                      "alg", k->alg, "created_at", (json_int_t)k->created_at,
		                      "retired_at", (json_int_t)k->retired_at, "state", state));
	}
	store_free_signing_keys(keys, n);
	return ctl_print(c, arr);
}

const struct ctl_command ctl_signing_key_commands[] = {
	{ "signing-key", "rotate", key_rotate, "[--alg ALG]",
	  "create a new signing key; the current one retires" },
	{ "signing-key", "list", key_list, "", "list signing keys (never private parts)" },
	{ "signing-key", "rewrap", key_rewrap, "",
	  "seal every signing key again under the first secret of the secrets file" },
	{ NULL, NULL, NULL, NULL, NULL },
};
