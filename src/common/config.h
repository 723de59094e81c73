/*
 * config.h - bioauth configuration, shared by bioauthd and bioauthctl.
 *
 * Precedence: command-line flags, then BIOAUTH_* environment variables, then
 * the config file (--config PATH / BIOAUTH_CONFIG; lines "key = value", '#'
 * comments, keys are the long option names without "--"), then defaults.
 * The option table in config.c is the single list of options: it drives
 * parsing of all three sources and --help.
 */
#ifndef BIOAUTH_COMMON_CONFIG_H
#define BIOAUTH_COMMON_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct config {
	char *config_file;        /* --config / BIOAUTH_CONFIG */
	char *listen_host;        /* --listen HOST:PORT, default 127.0.0.1:8080 */
	unsigned listen_port;
	char *db;                 /* --db PATH-or-URL, default ./data/bioauth.db */
	char *issuer;             /* --issuer URL, default http://HOST:PORT/oidc */
	bool issuer_given;        /* --issuer came from a flag, the environment
	                             or the file, not from the default */
	char *public_url;         /* --public-url: base of the endpoint URLs that
	                             discovery names; default: the issuer minus
	                             "/oidc" when it ends so, else http://HOST:PORT */
	char *tenant_id;          /* --tenant-id, `tid` claim, default "default" */
	char *data_dir;           /* --data-dir, default ./data */
	char *secrets_file;       /* --secrets-file FILE (seal.h), default none */
	char *signing_alg;        /* --signing-alg ES256|RS256|EdDSA, default ES256 */
	bool durable;             /* --durable true|false, default true */
	int threads;              /* --threads, default = cores */
	int db_pool_size;         /* --db-pool-size, default 4 */
	int64_t access_token_ttl; /* --access-token-ttl seconds, default 3600 */
	int64_t client_token_ttl; /* --client-token-ttl, default 3600 */
	int64_t id_token_ttl;     /* --id-token-ttl, default 3600 */
	int64_t refresh_token_ttl;/* --refresh-token-ttl, default 30 days */
	int64_t challenge_ttl;    /* --challenge-ttl default timeout, 300 */
	int64_t challenge_max_ttl;/* --challenge-max-ttl, 3600 */
	int lockout_threshold;    /* --lockout-threshold, 5 */
	int64_t lockout_seconds;  /* --lockout-duration, 900 */
	int password_max_failures;   /* --password-max-failures, 5 */
	int64_t password_max_wait;   /* --password-max-wait, 900 */
	int max_authenticators;   /* --max-authenticators default per app, 10 */
	int64_t clock_leeway;     /* --clock-leeway seconds for exp/nbf, 30 */
	int64_t key_cache_seconds;/* --key-cache-seconds, signing-key cache staleness bound, 5 */
	size_t body_limit;        /* --body-limit bytes, 65536 */
	size_t header_limit;      /* --header-limit bytes, 8192 */
	int json_max_depth;       /* --json-max-depth, 32 */
	unsigned conn_timeout;    /* --connection-timeout seconds (idle), 30 */
	unsigned max_connections; /* --max-connections, 1024 */
	unsigned per_ip_connections; /* --per-ip-connections, 64 */
	char *log_level;          /* --log-level debug|info|warn|error, info */
	bool demo_app;            /* --demo-app: create ./data/demo-app.json on first start */
	char *tls_cert;           /* --tls-cert PEM chain; TLS on when set */
	char *tls_key;            /* --tls-key PEM private key */
	int signing_key_rotate_days; /* --signing-key-rotate-days, 0 = off */
	char *attestation_trust_anchors;   /* --attestation-trust-anchors PEM; NULL = built-in */
	char *attestation_revocation_list; /* --attestation-revocation-list JSON; NULL = none */
	int64_t attestation_revocation_max_age; /* --attestation-revocation-max-age, 0 = any */
};

/* Fills `c` with defaults, then applies the file, environment (envp-style
 * getenv) and argv in increasing precedence. argv[0] is skipped; parsing
 * stops at the first non-option argument, whose index goes to *first_arg
 * (argc when none). --help prints usage to stdout and sets *help.
 * On error writes one line to `err` and returns BA_ERR_CONFIG. */
int config_load(struct config *c, int argc, char **argv, int *first_arg,
                bool *help, FILE *err);
/* Prints every option with its environment variable and default. */
void config_usage(FILE *out, const char *prog);
void config_clear(struct config *c);
/* Writes `s` as man(7) text (escaping '-', '\\', leading '.'), on one
 * line (inside a macro's quotes); config_man_para breaks it into short
 * input lines (paragraph text). */
void config_man_text(FILE *out, const char *s);
void config_man_para(FILE *out, const char *s);
/* Writes every option as a man(7) .TP entry (the OPTIONS section). */
void config_man_options(FILE *out);
/* Calls changed(name, was, now, arg) for each option whose value differs
 * between `old` and `cur`, values written as text (for reload logs). */
void config_diff(const struct config *old, const struct config *cur,
                 void (*changed)(const char *name, const char *was,
                                 const char *now, void *arg), void *arg);

#endif
