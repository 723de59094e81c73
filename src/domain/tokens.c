/*
 * tokens.c - building, signing and verifying bioauth's JWTs.
 *
 * A JWT payload is JSON by definition. The access token's claims, signed on
 * every token issued, are written straight into a buffer (common/jsonw.h);
 * the ID token's, with optional claims and the caller's approval_data JSON,
 * are assembled with jansson. Nothing JSON leaves this file except the
 * signed compact tokens.
 */
#include "domain/tokens.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/jsonw.h"
#include "crypto/jws.h"
#include "crypto/rand.h"

#define MAX_TOKEN_LEN 16384

int64_t
tokens_access_ttl(const struct config *cfg, const struct model_app *app)
{
	return app != NULL && app->access_ttl > 0 ? app->access_ttl : cfg->access_token_ttl;
}

int64_t
tokens_id_ttl(const struct config *cfg, const struct model_app *app)
{
	return app != NULL && app->id_ttl > 0 ? app->id_ttl : cfg->id_token_ttl;
}

int64_t
tokens_refresh_ttl(const struct config *cfg, const struct model_app *app)
{
	return app != NULL && app->refresh_ttl > 0 ? app->refresh_ttl : cfg->refresh_token_ttl;
}

const char *
tokens_default_audience(const struct config *cfg, const struct model_app *app)
{
	return app->n_resources > 0 ? app->resources[0] : cfg->issuer;
}

size_t
tokens_amr(unsigned factors, const char *names[TOKENS_MAX_AMR])
{
	size_t n = 0;

	if (factors & FACTOR_PWD)
		names[n++] = "pwd";
	if (factors & FACTOR_MOBILE_BIOMETRICS)
		names[n++] = "mobile_biometrics";
	if (n == 2 && (factors & FACTOR_MFA))
		names[n++] = "mfa";
	if (factors & FACTOR_HWK)
		names[n++] = "hwk";   /* RFC 8176: proof of possession of a hardware key */
	return n;
}

/* Serialises `claims` and signs it with the keyset's signer. */
static int
sign_claims(const struct keyset *ks, const char *typ, json_t *claims, char **out)
{
	char *payload;
	int r;

	if (claims == NULL)
		return BA_ERR_NOMEM;
	if ((payload = json_dumps(claims, JSON_COMPACT)) == NULL)
		return BA_ERR_NOMEM;
	r = jws_sign(keyset_signer(ks), typ, payload, strlen(payload), out);
	free(payload);
	return r;
}

/*
 * Signs an access token: the claims every access token carries, plus
 * "sid" and "amr" when sid is not NULL (a user's token). The claims are
 * written straight into a stack buffer (common/jsonw.h), not built as a
 * jansson tree: this runs on every token issued. *out as jws_sign.
 * BA_ERR_INTERNAL when a claim is not UTF-8 or they do not fit a token.
 */
static int
sign_access(const struct config *cfg, const struct keyset *ks, const struct model_app *app,
            const char *sub, const char *audience, int64_t now, int64_t ttl,
            const char *sid, unsigned factors, char **out)
{
	/* what fits a compact token once base64url-encoded */
	char payload[JWS_MAX_COMPACT_LEN / 4 * 3];
	const char *amr[TOKENS_MAX_AMR];
	char *jti = NULL;
	struct jsonw w;
	size_t len;
	int r;

	*out = NULL;
	if ((r = rand_token(NULL, 16, &jti)) != BA_OK)
		return r;
	jsonw_begin(&w, payload, sizeof(payload));
	jsonw_str(&w, "iss", cfg->issuer);
	jsonw_str(&w, "sub", sub);
	jsonw_str(&w, "aud", audience);
	jsonw_str(&w, "client_id", app->client_id);
	jsonw_str(&w, "app_id", app->app_id);
	jsonw_str(&w, "app_name", app->name);
	jsonw_str(&w, "tid", cfg->tenant_id);
	jsonw_int(&w, "iat", now);
	jsonw_int(&w, "exp", now + ttl);
	jsonw_str(&w, "jti", jti);
	if (sid != NULL) {
		jsonw_str(&w, "sid", sid);
		jsonw_str_array(&w, "amr", amr, tokens_amr(factors, amr));
	}
	len = jsonw_end(&w);
	free(jti);
	if (len == 0)
		return BA_ERR_INTERNAL;
	return jws_sign(keyset_signer(ks), "at+jwt", payload, len, out);
}

static json_t *
amr_array(unsigned factors)
{
	const char *names[TOKENS_MAX_AMR];
	size_t n = tokens_amr(factors, names);
	json_t *a = json_array();

	for (size_t i = 0; a != NULL && i < n; i++)
		if (json_array_append_new(a, json_string(names[i])) != 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

int
tokens_issue_client(const struct config *cfg, const struct keyset *ks,
                    const struct model_app *app, const char *audience,
                    int64_t now, char **access, int64_t *expires_in)
{
	int r = sign_access(cfg, ks, app, app->client_id, audience, now, cfg->client_token_ttl,
	                    NULL, 0, access);

	*expires_in = cfg->client_token_ttl;
	return r;
}

/* Adds the ID-token claims the request asked for, and approval_data. */
static int
add_requested_claims(json_t *c, const struct token_subject *subj)
{
	const struct model_session *s = subj->session;

	if ((subj->claims & CLAIM_USERNAME) && subj->username != NULL &&
	    json_object_set_new(c, "username", json_string(subj->username)) != 0)
		return BA_ERR_NOMEM;
	if (s->org_id != NULL) {
		if (json_object_set_new(c, "org_id", json_string(s->org_id)) != 0)
			return BA_ERR_NOMEM;
		if ((subj->claims & CLAIM_ORGANIZATION) &&
		    json_object_set_new(c, "organization", json_pack("{s:s}", "id", s->org_id)) != 0)
			return BA_ERR_NOMEM;
	}
	if (subj->approval_data != NULL) {
		json_t *ad = json_loads(subj->approval_data, 0, NULL);

		if (ad == NULL || json_object_set_new(c, "approval_data", ad) != 0)
			return BA_ERR_INTERNAL;
	}
	return BA_OK;
}

int
tokens_issue_user(const struct config *cfg, const struct keyset *ks,
                  const struct token_subject *subj, char **access,
                  char **id_token, int64_t *expires_in)
{
	const struct model_app *app = subj->app;
	const struct model_session *s = subj->session;
	int64_t ttl = tokens_access_ttl(cfg, app);
	json_t *ic = NULL;
	int r = BA_ERR_NOMEM;

	*access = *id_token = NULL;
	ic = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:o, s:s}",
	               "iss", cfg->issuer, "sub", s->user_id, "aud", app->client_id,
	               "iat", (json_int_t)subj->now,
	               "exp", (json_int_t)(subj->now + tokens_id_ttl(cfg, app)),
	               "auth_time", (json_int_t)s->auth_time,
	               "amr", amr_array(s->factors), "sid", s->session_id);
	if (ic == NULL)
		goto out;
	if ((r = add_requested_claims(ic, subj)) != BA_OK)
		goto out;
	if ((r = sign_access(cfg, ks, app, s->user_id, subj->audience, subj->now, ttl,
	                     s->session_id, s->factors, access)) != BA_OK)
		goto out;
	if ((r = sign_claims(ks, "JWT", ic, id_token)) != BA_OK)
		goto out;
	*expires_in = ttl;
	r = BA_OK;
out:
	if (r != BA_OK) {
		free(*access);
		free(*id_token);
		*access = *id_token = NULL;
	}
	json_decref(ic);
	return r;
}

void
token_claims_clear(struct token_claims *c)
{
	free(c->sub);
	free(c->aud);
	free(c->client_id);
	free(c->app_id);
	free(c->sid);
	free(c->jti);
	memset(c, 0, sizeof(*c));
}

/* Copies a required string claim; BA_ERR_INVALID_TOKEN if absent or not a
 * non-empty string. */
static int
take_string(json_t *obj, const char *name, bool required, char **out)
{
	json_t *v = json_object_get(obj, name);

	if (v == NULL && !required)
		return BA_OK;
	if (!json_is_string(v) || json_string_length(v) == 0)
		return BA_ERR_INVALID_TOKEN;
	*out = strdup(json_string_value(v));
	return *out != NULL ? BA_OK : BA_ERR_NOMEM;
}

static int
take_time(json_t *obj, const char *name, bool required, int64_t *out)
{
	json_t *v = json_object_get(obj, name);

	if (v == NULL && !required)
		return BA_OK;
	if (!json_is_integer(v))
		return BA_ERR_INVALID_TOKEN;
	*out = (int64_t)json_integer_value(v);
	return BA_OK;
}

/* amr must be an array of factor names; unknown names are ignored. */
static int
take_amr(json_t *obj, unsigned *factors)
{
	json_t *a = json_object_get(obj, "amr"), *v;
	size_t i;

	if (!json_is_array(a))
		return BA_ERR_INVALID_TOKEN;
	json_array_foreach(a, i, v) {
		const char *s = json_string_value(v);

		if (s == NULL)
			return BA_ERR_INVALID_TOKEN;
		if (strcmp(s, "pwd") == 0)
			*factors |= FACTOR_PWD;
		else if (strcmp(s, "mobile_biometrics") == 0)
			*factors |= FACTOR_MOBILE_BIOMETRICS;
		else if (strcmp(s, "hwk") == 0)
			*factors |= FACTOR_HWK;
		else if (strcmp(s, "mfa") == 0)
			*factors |= FACTOR_MFA;
	}
	return BA_OK;
}

int
tokens_check_time(const struct config *cfg, const struct token_claims *c, int64_t now)
{
	/* Arithmetic on `now` only: the claims may be any 64-bit value. */
	if (c->exp <= now - cfg->clock_leeway)
		return BA_ERR_INVALID_TOKEN;
	if (c->iat > now + cfg->clock_leeway || c->nbf > now + cfg->clock_leeway)
		return BA_ERR_INVALID_TOKEN;
	return BA_OK;
}

/* The lookup jws_verify calls, remembering which key it handed out. */
struct key_probe {
	struct keyset *ks;
	const struct jws_key *used;
};

static const struct jws_key *
probe_lookup(const char *kid, void *arg)
{
	struct key_probe *p = arg;

	p->used = keyset_lookup(kid, p->ks);
	return p->used;
}

int
tokens_verify_access(const struct config *cfg, struct keyset *ks, const char *jwt,
                     size_t len, int64_t now, struct token_claims *out)
{
	return tokens_verify_access_key(cfg, ks, jwt, len, now, out, NULL);
}

int
tokens_verify_access_key(const struct config *cfg, struct keyset *ks, const char *jwt,
                         size_t len, int64_t now, struct token_claims *out,
                         const struct jws_key **key)
{
	char *payload = NULL, *typ = NULL, *iss = NULL;
	size_t payload_len = 0;
	json_t *c = NULL;
	struct key_probe probe = { ks, NULL };
	int r = BA_ERR_INVALID_TOKEN;

	memset(out, 0, sizeof(*out));
	if (key != NULL)
		*key = NULL;
	if (len == 0 || len > MAX_TOKEN_LEN)
		goto out;
	if (jws_verify(jwt, len, probe_lookup, &probe, &payload, &payload_len, &typ) != BA_OK ||
	    probe.used == NULL)
		goto out;
	/* RFC 9068 section 4: an ID token or other JWT is not an access token */
	if (typ == NULL || strcmp(typ, "at+jwt") != 0)
		goto out;
	if ((c = json_loadb(payload, payload_len, JSON_REJECT_DUPLICATES, NULL)) == NULL ||
	    !json_is_object(c))
		goto out;
	if ((r = take_string(c, "iss", true, &iss)) != BA_OK ||
	    (r = take_string(c, "sub", true, &out->sub)) != BA_OK ||
	    (r = take_string(c, "aud", true, &out->aud)) != BA_OK ||
	    (r = take_string(c, "client_id", true, &out->client_id)) != BA_OK ||
	    (r = take_string(c, "app_id", true, &out->app_id)) != BA_OK ||
	    (r = take_string(c, "jti", true, &out->jti)) != BA_OK ||
	    (r = take_string(c, "sid", false, &out->sid)) != BA_OK ||
	    (r = take_time(c, "iat", true, &out->iat)) != BA_OK ||
	    (r = take_time(c, "exp", true, &out->exp)) != BA_OK ||
	    (r = take_time(c, "nbf", false, &out->nbf)) != BA_OK)
		goto out;
	r = BA_ERR_INVALID_TOKEN;
	if (strcmp(iss, cfg->issuer) != 0)
		goto out;
	if (tokens_check_time(cfg, out, now) != BA_OK)
		goto out;
	if (out->sid != NULL) {
		out->kind = TOKEN_USER;
		if (take_amr(c, &out->factors) != BA_OK)
			goto out;
	} else {
		out->kind = TOKEN_CLIENT;
		if (strcmp(out->sub, out->client_id) != 0)
			goto out;
	}
	if (key != NULL)
		*key = probe.used;
	r = BA_OK;
out:
	if (r != BA_OK)
		token_claims_clear(out);
	json_decref(c);
	free(payload);
	free(typ);
	free(iss);
	return r;
}
