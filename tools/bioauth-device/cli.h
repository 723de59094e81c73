/*
 * cli.h - shared pieces of the bioauth-device command-line tool: option
 * parsing, error reporting, passphrase input, JSON output, and the HTTP
 * client used by `demo`.
 *
 * Exit codes: 0 success, 1 failure at run time (key missing, server said no),
 * 2 usage error. Every error is one line on stderr starting with
 * "bioauth-device: ".
 */
#ifndef BIOAUTH_DEVICE_CLI_H
#define BIOAUTH_DEVICE_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "bioauth_device.h"

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2

/* One option a command accepts: "--name VALUE" (or "--name=VALUE") when
 * takes_value, else a flag. Parsed values land in the table. */
struct cli_opt {
	const char *name;          /* without the leading "--" */
	int takes_value;
	const char *value;         /* parsed value, or "1" for a set flag; NULL if absent */
};

/*
 * Parses argv (after the command name) against opts. "--help"/"-h" sets
 * *help. Returns 0, or CLI_EXIT_USAGE after printing an error for an unknown
 * option, a missing value, a repeated option or a positional argument.
 */
int cli_parse(int argc, char **argv, struct cli_opt *opts, size_t n_opts, int *help);
/* The parsed value of option `name` (NULL if absent or unknown). */
const char *cli_get(const struct cli_opt *opts, size_t n_opts, const char *name);

/* Prints "bioauth-device: <message>\n" on stderr (printf-style). */
void cli_err(const char *fmt, ...)
#if defined(__GNUC__) || defined(__clang__)
	__attribute__((format(printf, 1, 2)))
#endif
	;

/*
 * Opens the keystore at `dir`, or at the default ($HOME/.bioauth-device) when
 * dir is NULL. Prints the error and returns CLI_EXIT_FAIL on failure.
 */
int cli_open_store(const char *dir, bioauth_keystore **ks);

/*
 * Reads one line (the passphrase, without its line end) from standard input
 * with read(2), so no copy stays in a stdio buffer. buf must hold
 * BIOAUTH_PASSPHRASE_MAX + 1 bytes; the caller wipes it. Returns 0, or
 * CLI_EXIT_FAIL (printed) for an empty or over-long passphrase.
 */
int cli_read_passphrase(char *buf, size_t *len);

/* Prints j as indented JSON and a newline on stdout; consumes j. Returns 0
 * or CLI_EXIT_FAIL. */
int cli_print_json(json_t *j);

/* Loads a key for signing/exporting, reading the passphrase from stdin when
 * `passphrase_stdin`. Prints errors; returns 0 or CLI_EXIT_FAIL. */
int cli_load_key(bioauth_keystore *ks, const char *key_id, int passphrase_stdin,
                 bioauth_key **key);

/* Builds the body of POST /v1/auth/mobile-biometrics/register for key:
 * {publicKey, publicKeyId, os, encryptionType[, device_id][, displayName]}.
 * Returns a new JSON object or NULL (printed). */
json_t *cli_register_body(const bioauth_key *key, const char *device_id,
                          const char *display_name);

/* `bioauth-device attest-ca init --dir D` (attest.c). Returns the exit code. */
int cmd_attest_ca(int argc, char **argv);

/*
 * The Android Key Attestation payload (attestation_encoded_result: base64 of
 * {"format": "android-key", "x5c": [leaf, intermediate, root]}) for `key`,
 * issued by the test CA in `ca_dir` with `challenge` as attestationChallenge
 * (attest.c). malloc'd; NULL after printing the error.
 */
char *cli_android_attestation(const bioauth_key *key, const char *ca_dir, const char *challenge);

/*
 * The App Attest payload (base64 of {"format": "apple-appattest", "key_id",
 * "attestation", "assertion"}) a genuine instance of app `app_id`
 * (TEAMID.bundle.id) would send with `key` (attest.c): a new App Attest key,
 * its attestation object under the test CA in `ca_dir` over clientDataHash =
 * SHA-256(`challenge`) in the development or production environment, and
 * its assertion (counter 1) over the DER SubjectPublicKeyInfo of `key`.
 * malloc'd; NULL after printing the error.
 */
char *cli_appattest_attestation(const bioauth_key *key, const char *ca_dir,
                                const char *challenge, const char *app_id, bool development);

/* `bioauth-device demo ...` (demo.c). Returns the exit code. */
int cmd_demo(int argc, char **argv);

/* ---- HTTP (http.c) ---------------------------------------------------- */

#define HTTP_BODY_MAX (1024 * 1024)

struct http_response {
	long status;
	char *body;                /* NUL-terminated, malloc'd; may be empty */
	size_t len;
};

struct http_request {
	const char *method;        /* "GET", "POST", "DELETE" */
	const char *url;
	const char *bearer;        /* Authorization: Bearer ..., or NULL */
	const char *basic_user;    /* HTTP Basic credentials, or NULL */
	const char *basic_pass;
	const char *content_type;  /* with body */
	const char *body;          /* NULL = no body */
};

/*
 * Performs one request with libcurl (10 s connect, 30 s total timeout,
 * response body capped at HTTP_BODY_MAX). Returns 0 with *resp filled (free
 * with http_response_clear), or -1 after printing the transport error.
 */
int http_do(const struct http_request *req, struct http_response *resp);
void http_response_clear(struct http_response *resp);
/* Initialises/cleans up libcurl once per process. */
int http_global_init(void);
void http_global_cleanup(void);
/* application/x-www-form-urlencoded escaping; malloc'd, NULL on failure. */
char *http_form_escape(const char *s);

#endif
