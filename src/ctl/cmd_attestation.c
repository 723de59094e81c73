/*
 * cmd_attestation.c - bioauthctl attestation verify: the offline verifier
 * operators use to see why a device's attestation is refused. It needs no
 * database: it runs the verifier of src/attest/ on a file and prints
 * {"verdict", "reason", "details"}; exit 0 on accept, 1 on reject, 2 on bad
 * usage.
 *
 * --input is a PEM chain (leaf first), a raw CBOR App Attest attestation
 * object, or the JSON payload (as text or base64, as a client sends it).
 * A check whose input is not given (no --challenge, --public-key, --app-id,
 * --environment) is left out and listed under details.unchecked.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "attest/attest.h"
#include "common/error.h"
#include "common/file.h"
#include "crypto/encoding.h"
#include "crypto/pubkey.h"
#include "ctl/ctl.h"

/* Largest file read (input, anchors, status list), in bytes. */
#define MAX_FILE (8u * 1024u * 1024u)

/* A PEM chain into p (android-key). false when it holds no certificate. */
static bool pem_chain(const char *text, size_t len, struct attest_payload *p)
{
	BIO *bio = BIO_new_mem_buf(text, (int)len);
	X509 *x;
	bool ok = bio != NULL;

	memset(p, 0, sizeof(*p));
	p->format = ATTEST_FORMAT_ANDROID_KEY;
	while (ok && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		unsigned char *der = NULL;
		int n = i2d_X509(x, &der);
		X509_free(x);
		if (n <= 0 || p->n_certs == ATTEST_MAX_CHAIN ||
		    (p->certs[p->n_certs] = malloc((size_t)n)) == NULL) {
			ok = false;
		} else {
			memcpy(p->certs[p->n_certs], der, (size_t)n);
			p->cert_lens[p->n_certs++] = (size_t)n;
		}
		OPENSSL_free(der);
	}
	ERR_clear_error();
	BIO_free(bio);
	return ok && p->n_certs > 0;
}

/* The input file as a payload: PEM chain, raw CBOR attestation object,
 * JSON payload, or base64 of it. Returns an attest reason. */
static enum attest_reason load_input(const char *text, size_t len,
                                     struct attest_payload *p, bool *raw_cbor)
{
	*raw_cbor = false;
	memset(p, 0, sizeof(*p));
	if (len >= 10 && strstr(text, "-----BEGIN") != NULL)
		return pem_chain(text, len, p) ? ATTEST_OK : ATTEST_MALFORMED;
	if (len > 0 && ((uint8_t)text[0] & 0xe0) == 0xa0) {     /* a CBOR map */
		p->format = ATTEST_FORMAT_APPLE_APPATTEST;
		p->attestation = malloc(len);
		if (p->attestation == NULL)
			return ATTEST_INTERNAL;
		memcpy(p->attestation, text, len);
		p->attestation_len = len;
		*raw_cbor = true;
		return ATTEST_OK;
	}
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' ||
	                   text[len - 1] == ' '))
		len--;
	if (len > 0 && text[0] == '{')
		return attest_payload_parse_json(text, len, p);
	return attest_payload_parse(text, len, p);
}

static char *b64_or_null(const uint8_t *p, size_t n)
{
	char *s = NULL;

	return b64_encode(p, n, &s) == BA_OK ? s : NULL;
}

/* {"verdict", "reason", "details"} of a verdict. */
static json_t *verdict_json(const struct attest_verdict *v, unsigned skip)
{
	const struct attest_facts *f = &v->facts;
	json_t *details = json_object(), *unchecked = json_array(), *out;
	static const struct { unsigned bit; const char *name; } skips[] = {
		{ ATTEST_SKIP_CHALLENGE, "challenge" },
		{ ATTEST_SKIP_PUBLIC_KEY, "public_key" },
		{ ATTEST_SKIP_APP_ID, "app_id" },
		{ ATTEST_SKIP_ENVIRONMENT, "environment" },
		{ ATTEST_SKIP_KEY_ID, "key_id" },
		{ ATTEST_SKIP_ASSERTION, "assertion" },
	};

	for (size_t i = 0; i < sizeof(skips) / sizeof(skips[0]); i++)
		if (skip & skips[i].bit)
			json_array_append_new(unchecked, json_string(skips[i].name));
	json_object_set_new(details, "format", json_string(attest_format_name(f->format)));
	json_object_set_new(details, "security_level",
	                    f->security_level == ATTEST_LEVEL_UNKNOWN ? json_null()
	                    : json_string(attest_level_name(f->security_level)));
	json_object_set_new(details, "user_auth_required", json_boolean(f->user_auth_required));
	json_object_set_new(details, "biometric", json_boolean(f->biometric));
	json_object_set_new(details, "verified_boot", json_boolean(f->verified_boot));
	json_object_set_new(details, "app_id", f->app_id[0] ? json_string(f->app_id) : json_null());
	json_object_set_new(details, "chain_length", json_integer((json_int_t)f->chain_length));
	if (f->format == ATTEST_FORMAT_ANDROID_KEY) {
		json_object_set_new(details, "attestation_version",
		                    json_integer((json_int_t)f->attestation_version));
		json_object_set_new(details, "provisioning",
		                    json_string(f->factory_provisioned ? "factory" : "remote"));
	} else if (f->format == ATTEST_FORMAT_APPLE_APPATTEST) {
		char *kid = b64_or_null(f->key_id, sizeof(f->key_id));
		json_object_set_new(details, "key_id", kid ? json_string(kid) : json_null());
		free(kid);
		json_object_set_new(details, "assertion_counter",
		                    json_integer((json_int_t)f->assertion_counter));
	}
	json_object_set_new(details, "unchecked", unchecked);
	if (f->detail[0])
		json_object_set_new(details, "note", json_string(f->detail));
	out = json_pack("{s:s, s:o, s:o}",
	                "verdict", v->reason == ATTEST_OK ? "accept" : "reject",
	                "reason", v->reason == ATTEST_OK ? json_null()
	                          : json_string(attest_reason_name(v->reason)),
	                "details", details);
	return out;
}

/* Decodes a --*-b64 option. false on bad base64. */
static bool opt_b64(const char *s, uint8_t **out, size_t *len)
{
	return b64_decode_any(s, strlen(s), out, len) == BA_OK;
}

static int attestation_verify(struct ctl *c, const struct ctl_command *cmd,
                              int argc, char **argv)
{
	const char *input = NULL, *format = NULL, *challenge = NULL, *challenge_b64 = NULL,
	           *cdh_b64 = NULL, *public_key = NULL, *app_id = NULL, *environment = NULL,
	           *when = NULL, *anchors_file = NULL, *revocation_file = NULL;
	const struct ctl_opt opts[] = {
		{ "--input", "FILE", "PEM chain (leaf first), raw CBOR App Attest object, or the "
		  "JSON payload (text or base64)", &input, NULL, NULL, 0, NULL },
		{ "--format", "F", "android-key or apple-appattest (default: from the input)",
		  &format, NULL, NULL, 0, NULL },
		{ "--challenge", "TEXT", "the register challenge (its UTF-8 bytes)",
		  &challenge, NULL, NULL, 0, NULL },
		{ "--challenge-b64", "B64", "the challenge bytes, base64", &challenge_b64,
		  NULL, NULL, 0, NULL },
		{ "--client-data-hash-b64", "B64", "App Attest clientDataHash (32 bytes, base64)",
		  &cdh_b64, NULL, NULL, 0, NULL },
		{ "--public-key", "B64", "the registered public key (as sent to register)",
		  &public_key, NULL, NULL, 0, NULL },
		{ "--app-id", "TEAMID.BUNDLE", "the allowed Apple app ID", &app_id,
		  NULL, NULL, 0, NULL },
		{ "--environment", "E", "production or development (App Attest)",
		  &environment, NULL, NULL, 0, NULL },
		{ "--at", "RFC3339", "verification time (default now)", &when, NULL, NULL, 0, NULL },
		{ "--trust-anchors", "FILE", "PEM certificates whose keys replace the built-in "
		  "anchors", &anchors_file, NULL, NULL, 0, NULL },
		{ "--revocation-list", "FILE", "Google's attestation status list (JSON)",
		  &revocation_file, NULL, NULL, 0, NULL },
		{ NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL },
	};
	int rc = CTL_EXIT_USAGE;
	char *text = NULL, *anchors_text = NULL, *rl_text = NULL;
	size_t text_len = 0, anchors_len = 0, rl_len = 0;
	uint8_t *ch = NULL, *cdh = NULL;
	size_t ch_len = 0, cdh_len = 0;
	struct pubkey key = {0};
	struct attest_payload p = {0};
	struct attest_anchors *anchors = NULL;
	struct attest_revocation *rl = NULL;
	struct attest_input in = {0};
	struct attest_policy pol = {0};
	struct attest_verdict v = {0};
	const char *ids[1];
	bool raw_cbor = false;
	enum attest_reason ar;

	if ((rc = ctl_parse(c, cmd, argc, argv, opts, NULL, 0)) != CTL_CONTINUE)
		return rc;
	rc = CTL_EXIT_USAGE;
	if (input == NULL) {
		ctl_usage_error(c, "attestation verify: --input FILE is required");
		goto out;
	}
	if (format != NULL && strcmp(format, "android-key") != 0 &&
	    strcmp(format, "apple-appattest") != 0) {
		ctl_usage_error(c, "attestation verify: --format: android-key or apple-appattest");
		goto out;
	}
	if (challenge != NULL && challenge_b64 != NULL) {
		ctl_usage_error(c, "attestation verify: --challenge and --challenge-b64 exclude each other");
		goto out;
	}
	if (challenge_b64 != NULL && !opt_b64(challenge_b64, &ch, &ch_len)) {
		ctl_usage_error(c, "attestation verify: --challenge-b64: not base64");
		goto out;
	}
	if (cdh_b64 != NULL && (!opt_b64(cdh_b64, &cdh, &cdh_len) || cdh_len != 32)) {
		ctl_usage_error(c, "attestation verify: --client-data-hash-b64: 32 bytes in base64");
		goto out;
	}
	if (public_key != NULL &&
	    pubkey_parse(public_key, strlen(public_key), 0, &key) != BA_OK) {
		ctl_usage_error(c, "attestation verify: --public-key: not an EC P-256 or RSA key");
		goto out;
	}
	if (environment != NULL && strcmp(environment, "production") != 0 &&
	    strcmp(environment, "development") != 0) {
		ctl_usage_error(c, "attestation verify: --environment: production or development");
		goto out;
	}
	in.at = time(NULL);
	if (when != NULL && !attest_time_parse(when, &in.at)) {
		ctl_usage_error(c, "attestation verify: --at: expected RFC 3339 (2025-01-31T12:00:00Z)");
		goto out;
	}
	if (file_read_all(input, MAX_FILE, &text, &text_len) != BA_OK) {
		ctl_usage_error(c, "attestation verify: --input: cannot read %s", input);
		goto out;
	}
	if (anchors_file != NULL &&
	    (file_read_all(anchors_file, MAX_FILE, &anchors_text, &anchors_len) != BA_OK ||
	     attest_anchors_from_pem(anchors_text, anchors_len, &anchors) != BA_OK)) {
		ctl_usage_error(c, "attestation verify: --trust-anchors: no PEM certificate in %s",
		                anchors_file);
		goto out;
	}
	if (revocation_file != NULL &&
	    (file_read_all(revocation_file, MAX_FILE, &rl_text, &rl_len) != BA_OK ||
	     attest_revocation_from_json(rl_text, rl_len, &rl) != BA_OK)) {
		ctl_usage_error(c, "attestation verify: --revocation-list: not a status list: %s",
		                revocation_file);
		goto out;
	}

	ar = load_input(text, text_len, &p, &raw_cbor);
	if (ar == ATTEST_INTERNAL) {
		rc = ctl_fail(c, BA_ERR_NOMEM, "attestation verify");
		goto out;
	}
	if (ar == ATTEST_OK && format != NULL &&
	    strcmp(format, attest_format_name(p.format)) != 0) {
		ctl_usage_error(c, "attestation verify: --input holds %s evidence, not %s",
		                attest_format_name(p.format), format);
		goto out;
	}
	if (challenge != NULL) {
		in.challenge = (const uint8_t *)challenge;
		in.challenge_len = strlen(challenge);
	} else if (ch != NULL) {
		in.challenge = ch;
		in.challenge_len = ch_len;
	}
	in.client_data_hash = cdh;
	if (in.challenge == NULL && cdh == NULL)
		in.skip |= ATTEST_SKIP_CHALLENGE;
	if (public_key != NULL) {
		in.public_key = key.der;
		in.public_key_len = key.der_len;
	} else {
		in.skip |= ATTEST_SKIP_PUBLIC_KEY;
	}
	if (app_id != NULL) {
		ids[0] = app_id;
		pol.apple_app_ids = ids;
		pol.n_apple_app_ids = 1;
	} else {
		in.skip |= ATTEST_SKIP_APP_ID;
	}
	if (environment != NULL)
		pol.apple_environment = strcmp(environment, "development") == 0
		                        ? ATTEST_ENV_DEVELOPMENT : ATTEST_ENV_PRODUCTION;
	else
		in.skip |= ATTEST_SKIP_ENVIRONMENT;
	if (raw_cbor)
		in.skip |= ATTEST_SKIP_KEY_ID | ATTEST_SKIP_ASSERTION;
	else if (p.format == ATTEST_FORMAT_APPLE_APPATTEST && public_key == NULL)
		in.skip |= ATTEST_SKIP_ASSERTION;
	in.android_anchors = anchors;
	in.apple_anchors = anchors;
	in.revocation = rl;
	if (p.format == ATTEST_FORMAT_ANDROID_KEY)
		in.skip &= ~(unsigned)(ATTEST_SKIP_APP_ID | ATTEST_SKIP_ENVIRONMENT);

	if (ar == ATTEST_OK) {
		ar = attest_verify_payload(&p, &in, &pol, &v);
		if (attest_error(ar) != BA_OK) {
			rc = ctl_fail(c, attest_error(ar), "attestation verify");
			goto out;
		}
	} else {
		memset(&v, 0, sizeof(v));
		v.reason = ar;
		v.facts.format = p.format;
	}
	rc = ctl_print(c, verdict_json(&v, in.skip));
	if (rc == CTL_EXIT_OK && v.reason != ATTEST_OK)
		rc = CTL_EXIT_FAIL;
out:
	attest_payload_clear(&p);
	attest_anchors_free(anchors);
	attest_revocation_free(rl);
	pubkey_clear(&key);
	free(text);
	free(anchors_text);
	free(rl_text);
	free(ch);
	free(cdh);
	return rc;
}

const struct ctl_command ctl_attestation_commands[] = {
	{ "attestation", "verify", attestation_verify,
	  "--input FILE [--format android-key|apple-appattest] [--challenge TEXT | "
	  "--challenge-b64 B64] [--client-data-hash-b64 B64] [--public-key B64] "
	  "[--app-id TEAMID.BUNDLE] [--environment production|development] [--at RFC3339] "
	  "[--trust-anchors FILE] [--revocation-list FILE]",
	  "verify a device's key attestation offline (no database)" },
	{ NULL, NULL, NULL, NULL, NULL },
};
