/*
 * attestation.h - key attestation in the product: an app's
 * attestation policy as stored with the app, the server-wide trust anchors
 * and revocation list, and the verdict a registration records.
 *
 * src/attest/ verifies evidence; this module decides what to verify it
 * against (the app's policy, the configured roots and status list) and
 * turns the outcome into what is stored and shown. No HTTP, no SQL.
 *
 * A policy is stored as a JSON object:
 *   {"mode": "none"|"optional"|"required", "min_security_level": "tee"|"strongbox",
 *    "require_user_auth": bool, "require_biometric": bool,
 *    "require_verified_boot": bool, "android_apps": ["PACKAGE:SHA256B64", ...],
 *    "apple_app_ids": ["TEAMID.BUNDLE", ...],
 *    "apple_environment": "production"|"development"}
 * every member optional; an app without one (NULL) has the defaults
 * (optional, TEE or better, no requirement, any Android app, no Apple app).
 */
#ifndef BIOAUTH_DOMAIN_ATTESTATION_H
#define BIOAUTH_DOMAIN_ATTESTATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>

#include "attest/attest.h"
#include "common/config.h"
#include "domain/model.h"

#define ATTESTATION_MAX_APP_IDS 16

/* A parsed app policy; owns its strings. */
struct attestation_policy {
	enum attest_mode mode;
	struct attest_policy p;      /* its arrays point into the storage below */
	char *android[ATTESTATION_MAX_APP_IDS];
	char *apple[ATTESTATION_MAX_APP_IDS];
};

/*
 * Parses a stored policy (NULL = the defaults) into *out (clear it with
 * attestation_policy_clear on every outcome). BA_OK, BA_ERR_INVALID_REQUEST
 * (not a policy: unknown member, wrong type, bad value, more than
 * ATTESTATION_MAX_APP_IDS apps) or BA_ERR_NOMEM.
 */
int attestation_policy_parse(const char *json, struct attestation_policy *out);
void attestation_policy_clear(struct attestation_policy *p);

/* The canonical JSON text of `p` (every member present) into *out (free()).
 * BA_OK or BA_ERR_NOMEM. */
int attestation_policy_json(const struct attestation_policy *p, char **out);

/* Server-wide verification material: trust anchors (--attestation-trust-
 * anchors; NULL = built-in roots) and the revocation list
 * (--attestation-revocation-list), reread when its file changes. */
struct attestation_ctx;

/* Loads what `cfg` names. BA_OK, BA_ERR_CONFIG (unreadable or invalid file,
 * with a log line) or BA_ERR_NOMEM. */
int attestation_ctx_open(const struct config *cfg, struct attestation_ctx **out);
void attestation_ctx_free(struct attestation_ctx *a);

/* What a registration gets from attestation_register. */
struct attestation_result {
	enum attest_reason reason;   /* ATTEST_OK = accepted */
	enum attest_status status;
	struct attest_verdict v;
	uint8_t *receipt;            /* App Attest receipt of a verified payload */
	size_t receipt_len;
};

/*
 * Applies an app's policy to a registration: `encoded` is
 * attestation_encoded_result (NULL or "" = none), `challenge` the request's
 * challenge (NULL = none: Android attestationChallenge and Apple
 * clientDataHash are then checked against the empty string, so evidence
 * cannot verify), `spki` the registered key's DER SubjectPublicKeyInfo.
 * Verifies at `now` against the anchors and revocation list of `a` (NULL:
 * the built-in roots, no list); a
 * revocation list older than the configured max age fails a `required`
 * app closed (ATTEST_REVOKED, detail "revocation list too old").
 * Fills *res (clear it with attestation_result_clear). Returns BA_OK (the
 * outcome is in res->reason) or BA_ERR_NOMEM / BA_ERR_INTERNAL.
 */
int attestation_register(struct attestation_ctx *a, const struct attestation_policy *policy,
                         const char *encoded, const char *challenge,
                         const uint8_t *spki, size_t spki_len, time_t now,
                         struct attestation_result *res);
void attestation_result_clear(struct attestation_result *res);

/*
 * Records a result on the authenticator about to be stored: its verdict
 * JSON, `hwk` (verified, in TEE, StrongBox or Secure Enclave) and the App
 * Attest key, counter and receipt (the receipt moves out of res).
 * BA_OK or BA_ERR_NOMEM.
 */
int attestation_record(struct attestation_result *res, struct model_authenticator *a);

/* The verdict object as the API shows it: status, format, security_level,
 * user_auth_required, biometric, verified_boot, app_id (NULL members left
 * out). `stored` is the authenticator's attestation_verdict (NULL: an
 * authenticator registered before attestation existed, "unattested").
 * Returns a new reference or NULL on allocation failure. */
json_t *attestation_verdict_view(const char *stored);

#endif
