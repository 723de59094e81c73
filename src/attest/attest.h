/*
 * attest.h - verification of key attestation: Android Key Attestation
 * chains and Apple App Attest objects.
 *
 * The caller gives the decoded evidence, the verification time, what the
 * evidence must be bound to (challenge, registered public key) and a policy;
 * the module returns a verdict: ATTEST_OK or the one reason the evidence was
 * refused, plus the facts it parsed (security level, user authentication,
 * verified boot, app). Plain C types in and out; nothing here touches the
 * database or HTTP. Every parser is bounded and every path frees what it
 * allocated.
 */
#ifndef BIOAUTH_ATTEST_ATTEST_H
#define BIOAUTH_ATTEST_ATTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Why evidence was refused. The names (attest_reason_name) are the
 * documented `reason` catalogue; values are stable, append only. */
enum attest_reason {
	ATTEST_OK = 0,
	ATTEST_MISSING,
	ATTEST_MALFORMED,
	ATTEST_FORMAT_UNSUPPORTED,
	ATTEST_KEY_MISMATCH,
	ATTEST_UNTRUSTED_ROOT,
	ATTEST_CHAIN_INVALID,
	ATTEST_CERT_EXPIRED,
	ATTEST_REVOKED,
	ATTEST_EXTENSION_MISSING,
	ATTEST_CHALLENGE_MISMATCH,
	ATTEST_SECURITY_LEVEL,
	ATTEST_KEY_ORIGIN,
	ATTEST_KEY_PURPOSE,
	ATTEST_ROOT_OF_TRUST,
	ATTEST_USER_AUTH_NOT_REQUIRED,
	ATTEST_BIOMETRIC_NOT_BOUND,
	ATTEST_APP_ID_MISMATCH,
	ATTEST_ENVIRONMENT,
	ATTEST_KEY_ID_MISMATCH,
	ATTEST_COUNTER_NONZERO,
	ATTEST_UNSUPPORTED_KEY_ALGORITHM,
	ATTEST_ASSERTION_SIGNATURE_INVALID,
	ATTEST_ASSERTION_COUNTER,       /* assertion counter not above the previous one */
	ATTEST_INTERNAL,                /* not a reason: see attest_error() */
	ATTEST_REASON__COUNT
};

enum attest_format {
	ATTEST_FORMAT_NONE = 0,
	ATTEST_FORMAT_ANDROID_KEY,
	ATTEST_FORMAT_APPLE_APPATTEST,
};

/* Ordered: a policy's minimum compares with <. */
enum attest_level {
	ATTEST_LEVEL_UNKNOWN = 0,
	ATTEST_LEVEL_SOFTWARE,
	ATTEST_LEVEL_TEE,
	ATTEST_LEVEL_STRONGBOX,
	ATTEST_LEVEL_SECURE_ENCLAVE,
};

enum attest_env {
	ATTEST_ENV_PRODUCTION = 0,
	ATTEST_ENV_DEVELOPMENT,
};

/* Per-app policy. Zeroed = the defaults: any hardware level (TEE or
 * better), no user-auth/biometric/boot requirement, any Android app,
 * no Apple app (Apple evidence then fails with ATTEST_APP_ID_MISMATCH),
 * Apple production environment. */
struct attest_policy {
	enum attest_level min_security_level;   /* UNKNOWN = TEE */
	bool require_user_auth;
	bool require_biometric;
	bool require_verified_boot;
	const char *const *android_apps;        /* "PACKAGE:SHA256B64" */
	size_t n_android_apps;                  /* 0 = any app */
	const char *const *apple_app_ids;       /* "TEAMID.bundle.id" */
	size_t n_apple_app_ids;
	enum attest_env apple_environment;
};

/* Checks an offline verifier may leave out when it lacks the input. The
 * server never sets any. */
enum {
	ATTEST_SKIP_CHALLENGE   = 1u << 0,
	ATTEST_SKIP_PUBLIC_KEY  = 1u << 1,
	ATTEST_SKIP_APP_ID      = 1u << 2,
	ATTEST_SKIP_ENVIRONMENT = 1u << 3,
	ATTEST_SKIP_KEY_ID      = 1u << 4,
	ATTEST_SKIP_ASSERTION   = 1u << 5,
};

struct attest_anchors;      /* a set of pinned trust-anchor keys */
struct attest_revocation;   /* a parsed status list */

/* What the evidence is checked against. Pointers are borrowed. */
struct attest_input {
	time_t at;                               /* verification time */
	const uint8_t *challenge;                /* Android attestationChallenge; Apple: */
	size_t challenge_len;                    /*   clientDataHash = SHA-256(challenge) */
	const uint8_t *client_data_hash;         /* Apple: 32 bytes, overrides the above */
	const uint8_t *public_key;               /* registered key: SubjectPublicKeyInfo DER */
	                                         /*   as pubkey_parse() normalises it (.der) */
	size_t public_key_len;
	const uint8_t *assertion_client_data;    /* Apple assertion clientData; */
	size_t assertion_client_data_len;        /*   NULL = public_key */
	uint32_t previous_counter;               /* Apple assertion counter must exceed it */
	const struct attest_anchors *android_anchors;  /* NULL = built-in Google keys */
	const struct attest_anchors *apple_anchors;    /* NULL = built-in Apple key */
	const struct attest_revocation *revocation;    /* NULL = none configured */
	unsigned skip;                           /* ATTEST_SKIP_* */
};

/* What was parsed, filled as far as verification got. */
struct attest_facts {
	enum attest_format format;
	enum attest_level security_level;
	bool user_auth_required;
	bool biometric;
	bool verified_boot;
	char app_id[256];            /* Android package name or Apple TEAMID.bundle */
	long attestation_version;    /* Android */
	bool factory_provisioned;    /* Android: no RKP intermediate in the chain */
	size_t chain_length;
	uint8_t key_id[32];          /* Apple: SHA-256 of the attested public point */
	uint8_t app_attest_key[65];  /* Apple: that point (0x04 || X || Y), which signs */
	                             /*   the app instance's later assertions */
	uint32_t assertion_counter;  /* Apple */
	char detail[128];            /* a short free-text note on the refusal, "" if none */
};

struct attest_verdict {
	enum attest_reason reason;
	struct attest_facts facts;
};

/* Decoded payload (attestation_encoded_result), see attest_payload_parse. */
#define ATTEST_MAX_CHAIN 8
struct attest_payload {
	enum attest_format format;
	size_t n_certs;                          /* android-key */
	uint8_t *certs[ATTEST_MAX_CHAIN];        /* DER, leaf first */
	size_t cert_lens[ATTEST_MAX_CHAIN];
	uint8_t *key_id;                         /* apple-appattest */
	size_t key_id_len;
	uint8_t *attestation;
	size_t attestation_len;
	uint8_t *assertion;
	size_t assertion_len;
};

/* Largest encoded payload accepted, in bytes. */
#define ATTEST_MAX_PAYLOAD (64u * 1024u)

/* Stable catalogue name of a reason ("attestation_malformed"); never NULL. */
const char *attest_reason_name(enum attest_reason r);
/*
 * ATTEST_INTERNAL is bioauth's own failure (out of memory, an OpenSSL or
 * libcbor failure), never a verdict on the evidence: it must not be shown
 * or stored as a reason. attest_error() maps it to BA_ERR_INTERNAL (which
 * the HTTP layer answers with 500 internal_error) and every verdict, an
 * acceptance or a refusal, to BA_OK.
 */
int attest_error(enum attest_reason r);
const char *attest_format_name(enum attest_format f);
const char *attest_level_name(enum attest_level l);

/*
 * Decodes `encoded` (base64 of either alphabet, padding optional, of the
 * JSON payload) into `out` (zeroed first; release with attest_payload_clear
 * on every outcome). Returns ATTEST_OK, ATTEST_MISSING (empty),
 * ATTEST_FORMAT_UNSUPPORTED (not base64 of a JSON object with a string
 * "format", or a format bioauth does not know: someone else's payload, such
 * as the undocumented string of Transmit's iOS SDK), ATTEST_MALFORMED (a
 * known format with missing or undecodable fields) or ATTEST_INTERNAL.
 */
enum attest_reason attest_payload_parse(const char *encoded, size_t len,
                                        struct attest_payload *out);
/* The same over the JSON text itself (no base64 layer). */
enum attest_reason attest_payload_parse_json(const char *json, size_t len,
                                             struct attest_payload *out);
void attest_payload_clear(struct attest_payload *p);

/*
 * Verifies an Android Key Attestation chain (DER certificates, leaf first)
 * under `in` and `policy`, in the order of Google's verifier. Fills *v
 * (zeroed first); returns v->reason.
 */
enum attest_reason attest_verify_android(const uint8_t *const *certs,
                                         const size_t *lens, size_t n,
                                         const struct attest_input *in,
                                         const struct attest_policy *policy,
                                         struct attest_verdict *v);

/*
 * Verifies an Apple App Attest attestation object (CBOR) with its key ID
 * and the binding assertion (CBOR; may be NULL only with
 * ATTEST_SKIP_ASSERTION): Apple's nine steps, then the assertion over
 * in->assertion_client_data (or the registered public key). Fills *v;
 * returns v->reason.
 */
enum attest_reason attest_verify_apple(const uint8_t *attestation, size_t att_len,
                                       const uint8_t *key_id, size_t key_id_len,
                                       const uint8_t *assertion, size_t asn_len,
                                       const struct attest_input *in,
                                       const struct attest_policy *policy,
                                       struct attest_verdict *v);

/* How an app treats attestation at registration (`--attestation`). */
enum attest_mode {
	ATTEST_MODE_OPTIONAL = 0,   /* the default */
	ATTEST_MODE_NONE,
	ATTEST_MODE_REQUIRED,
};

/* What a registration records about its key's attestation. */
enum attest_status {
	ATTEST_STATUS_UNATTESTED = 0,   /* no payload */
	ATTEST_STATUS_UNVERIFIED,       /* a payload not verified (mode none, unknown format) */
	ATTEST_STATUS_VERIFIED,
};

const char *attest_status_name(enum attest_status s);

/*
 * The registration rule of the attestation policy for `encoded`
 * (attestation_encoded_result, may be NULL or empty) under `mode`:
 *  - none: nothing is verified; unattested or unverified;
 *  - optional: no payload, or one in a format bioauth does not know, is
 *    accepted (unattested / unverified); a known format is verified and a
 *    failure refused;
 *  - required: only a verified payload is accepted (attestation_missing,
 *    attestation_format_unsupported otherwise).
 * Returns ATTEST_OK with *status set, or the refusal reason (ATTEST_INTERNAL:
 * a failure of bioauth, not of the evidence). *v holds the facts of a
 * verification when one ran (zeroed otherwise).
 */
enum attest_reason attest_evaluate(enum attest_mode mode, const char *encoded, size_t len,
                                   const struct attest_input *in,
                                   const struct attest_policy *policy,
                                   struct attest_verdict *v, enum attest_status *status);

/*
 * Copies the App Attest receipt (attStmt.receipt, for Apple's fraud-risk
 * metric) out of an attestation object into a new buffer (*out, *len).
 * ATTEST_OK, ATTEST_MALFORMED (no receipt) or ATTEST_INTERNAL. Call it on
 * an object attest_verify_apple accepted.
 */
enum attest_reason attest_apple_receipt(const uint8_t *attestation, size_t att_len,
                                        uint8_t **out, size_t *len);

/* Dispatches a decoded payload to the verifier of its format. */
enum attest_reason attest_verify_payload(const struct attest_payload *p,
                                         const struct attest_input *in,
                                         const struct attest_policy *policy,
                                         struct attest_verdict *v);

/*
 * Trust anchors from PEM text (certificates; each is pinned by its key).
 * BA_OK, BA_ERR_CONFIG (no certificate, or a bad one) or BA_ERR_NOMEM.
 */
int attest_anchors_from_pem(const char *pem, size_t len, struct attest_anchors **out);
void attest_anchors_free(struct attest_anchors *a);

/*
 * A status list in the format of Google's attestation status JSON
 * ({"entries": {"<lowercase hex serial>": {"status": "REVOKED"|...}}}).
 * BA_OK, BA_ERR_CONFIG (not that format) or BA_ERR_NOMEM. Any listed status
 * (REVOKED, SUSPENDED) makes the certificate not valid.
 */
int attest_revocation_from_json(const char *json, size_t len,
                                struct attest_revocation **out);
void attest_revocation_free(struct attest_revocation *r);
/* True when the certificate serial `serial` (big-endian magnitude) is listed. */
bool attest_revocation_listed(const struct attest_revocation *r,
                              const uint8_t *serial, size_t len);

/*
 * Parses an RFC 3339 instant ("2020-08-29T08:21:14.215Z", offsets
 * "+HH:MM" accepted, fraction truncated to the second) into *out. false on
 * anything else.
 */
bool attest_time_parse(const char *s, time_t *out);

#endif
