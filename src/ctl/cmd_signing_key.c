/*
 * cmd_signing_key.c - bioauthctl signing-key rotate|list|rewrap|revoke.
 *
 * A rotation stores a new current key; running bioauthd instances pick it up
 * within --key-cache-seconds. The previous key stops signing at once and
 * stays published (and verifying) until every token it signed has expired.
 * A revocation (a compromised key) deletes the key instead: within
 * --key-cache-seconds no instance publishes it or accepts a token it signed.
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

/* signing-key revoke KID: the key is deleted; when it signs today, a new
 * key (--alg, default --signing-alg) takes its place in the same
 * transaction. Audited as "signing_key_revoke". */
static int
key_revoke(struct ctl *c, const struct ctl_command *cmd, int argc, char **argv)
{
	const char *alg_name = NULL;
	const struct ctl_opt opts[] = {
		{ "--alg", "ALG", "algorithm of the replacing key (default: --signing-alg)",
		  &alg_name, NULL, NULL, 0, NULL },
		{ NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL },
	};
	const char *pos[1] = { NULL }, *kid;
	struct store_write w, next;
	struct model_audit audit;
	struct seal_keys *sk = NULL;
	struct store *s;
	enum jws_alg alg;
	char *next_kid = NULL;
	int64_t now = (int64_t)time(NULL);
	int rc, r;

	memset(&w, 0, sizeof(w));
	memset(&next, 0, sizeof(next));
	memset(&audit, 0, sizeof(audit));
	if ((rc = ctl_parse(c, cmd, argc, argv, opts, pos, 1)) != CTL_CONTINUE)
		return rc;
	if ((kid = pos[0]) == NULL)
		return ctl_usage_error(c, "signing-key revoke: which KID? (signing-key list)");
	if (alg_name == NULL)
		alg_name = c->cfg.signing_alg;
	if ((alg = jws_alg_parse(alg_name)) == 0)
		return ctl_usage_error(c, "signing-key revoke: unknown algorithm %s", alg_name);
	if (ctl_store(c, &s) != BA_OK)
		return CTL_EXIT_FAIL;
	audit.time = now;
	audit.event = "signing_key_revoke";
	audit.outcome = "success";
	if ((audit.key_id = strdup(kid)) == NULL) {
		rc = ctl_fail(c, BA_ERR_NOMEM, "signing-key revoke");
		goto out;
	}
	/* The replacement is made whether or not it is needed: the store
	 * decides, under its rotation lock, whether `kid` is the current key. */
	if ((r = keyring_secrets_load(&c->cfg, false, &sk)) != BA_OK ||
	    (r = keyring_prepare_rotate(alg, now, sk, &next, &next_kid)) != BA_OK) {
		rc = ctl_fail(c, r, "signing-key revoke");
		goto out;
	}
	w.kind = SW_SIGNING_KEY_REVOKE;
	w.in.signing_key_revoke.kid = kid;
	w.in.signing_key_revoke.next = next.in.signing_key;
	memset(&next.in.signing_key, 0, sizeof(next.in.signing_key));
	w.audit = &audit;
	if ((r = store_write_sync(s, &w)) != BA_OK)
		rc = ctl_fail(c, r, "signing-key revoke");
	else
		rc = ctl_print(c, json_pack("{s:s, s:s?}", "revoked", kid, "current",
		                            w.out.key_replaced ? next_kid : NULL));
out:
	model_signing_key_clear(&w.in.signing_key_revoke.next);
	seal_keys_free(sk);
	free(audit.key_id);
	free(next_kid);
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
	if ((r = store_signing_key_list(s, &keys, &n)) != BA_OK)
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
	{ "signing-key", "revoke", key_revoke, "KID [--alg ALG]",
	  "delete a compromised key at once: gone from the JWKS, its tokens "
	  "refused within --key-cache-seconds; a new key replaces a current one" },
	{ "signing-key", "rewrap", key_rewrap, "",
	  "seal every signing key again under the first secret of the secrets file" },
	{ NULL, NULL, NULL, NULL, NULL },
};
