/*
 * config.c - the option table and its three sources.
 *
 * `options[]` below is the only list of settings. Each row names the long
 * option (--name), which is also the config-file key, and from which the
 * environment variable BIOAUTH_<NAME> (upper case, '-' -> '_') is derived;
 * its type, the field of struct config it fills, its default, its range and
 * its help text. Flags, environment and file all go through set_value(), so
 * a value is validated the same way wherever it comes from.
 *
 * Load order: defaults, config file, environment, flags; a later source
 * overrides an earlier one. Defaults that depend on other settings (issuer
 * from listen, db from data-dir) are filled at the end if still unset.
 */
#include "common/config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"

enum opt_type {
	T_STR,     /* char *, non-empty */
	T_CHOICE,  /* char *, one of `choices` */
	T_LISTEN,  /* HOST:PORT into listen_host + listen_port */
	T_BOOL,    /* bool */
	T_INT,     /* int */
	T_UINT,    /* unsigned */
	T_I64,     /* int64_t */
	T_SIZE,    /* size_t, optional k/m suffix (KiB, MiB) */
};

struct opt {
	const char *name;
	enum opt_type type;
	size_t offset;
	const char *def;      /* NULL: computed (see apply_derived) */
	long long min, max;   /* numeric range, inclusive */
	const char *const *choices;
	const char *metavar;
	const char *help;
};

#define DAY 86400LL
static const char *const algs[] = { "ES256", "RS256", "EdDSA", NULL };
static const char *const levels[] = { "debug", "info", "warn", "error", NULL };

#define OFF(f) offsetof(struct config, f)
static const struct opt options[] = {
	{ "config", T_STR, OFF(config_file), NULL, 0, 0, NULL, "PATH",
	  "config file of `key = value` lines (keys are option names)" },
	{ "listen", T_LISTEN, 0, "127.0.0.1:8080", 0, 0, NULL, "HOST:PORT",
	  "address to listen on; IPv6 as [::1]:8080" },
	{ "db", T_STR, OFF(db), NULL, 0, 0, NULL, "PATH|URL",
	  "SQLite file, or postgres://... for PostgreSQL" },
	{ "issuer", T_STR, OFF(issuer), NULL, 0, 0, NULL, "URL",
	  "token issuer (iss); an identifier, any http(s) URL" },
	{ "public-url", T_STR, OFF(public_url), NULL, 0, 0, NULL, "URL",
	  "base URL clients reach bioauthd at (discovery names <URL>/oidc/token ...)" },
	{ "tenant-id", T_STR, OFF(tenant_id), "default", 0, 0, NULL, "ID",
	  "tenant id, the `tid` claim" },
	{ "data-dir", T_STR, OFF(data_dir), "./data", 0, 0, NULL, "DIR",
	  "directory for the default database and generated files" },
	{ "secrets-file", T_STR, OFF(secrets_file), NULL, 0, 0, NULL, "FILE",
	  "secrets sealing the signing keys, one a line, the first seals; default "
	  "(SQLite only) `secrets` beside the database, made on first use" },
	{ "signing-alg", T_CHOICE, OFF(signing_alg), "ES256", 0, 0, algs, "ALG",
	  "token signing algorithm: ES256, RS256 or EdDSA" },
	{ "durable", T_BOOL, OFF(durable), "true", 0, 0, NULL, "BOOL",
	  "fsync every write before acknowledging it" },
	{ "threads", T_INT, OFF(threads), NULL, 1, 1024, NULL, "N",
	  "HTTP worker threads" },
	{ "db-pool-size", T_INT, OFF(db_pool_size), "4", 1, 256, NULL, "N",
	  "database connections (PostgreSQL) or read connections (SQLite)" },
	{ "access-token-ttl", T_I64, OFF(access_token_ttl), "3600", 1, 365 * DAY,
	  NULL, "SECONDS", "lifetime of user access tokens" },
	{ "client-token-ttl", T_I64, OFF(client_token_ttl), "3600", 1, 365 * DAY,
	  NULL, "SECONDS", "lifetime of client access tokens" },
	{ "id-token-ttl", T_I64, OFF(id_token_ttl), "3600", 1, 365 * DAY, NULL,
	  "SECONDS", "lifetime of ID tokens" },
	{ "refresh-token-ttl", T_I64, OFF(refresh_token_ttl), "2592000", 1,
	  3650 * DAY, NULL, "SECONDS", "lifetime of refresh tokens and sessions" },
	{ "challenge-ttl", T_I64, OFF(challenge_ttl), "300", 1, DAY, NULL,
	  "SECONDS", "default lifetime of a /start challenge" },
	{ "challenge-max-ttl", T_I64, OFF(challenge_max_ttl), "3600", 1, DAY,
	  NULL, "SECONDS", "largest `timeout` a /start request may ask for" },
	{ "lockout-threshold", T_INT, OFF(lockout_threshold), "5", 1, 1000, NULL,
	  "N", "consecutive failed signatures that lock a key" },
	{ "lockout-duration", T_I64, OFF(lockout_seconds), "900", 1, 365 * DAY,
	  NULL, "SECONDS", "how long a locked key stays locked" },
	{ "password-max-failures", T_INT, OFF(password_max_failures), "5", 1, 1000000, NULL,
	  "N", "failed password attempts of a user before each next one waits 1, 2, 4 s..." },
	{ "password-max-wait", T_I64, OFF(password_max_wait), "900", 1, DAY, NULL,
	  "SECONDS", "longest wait between password attempts of a user" },
	{ "max-authenticators", T_INT, OFF(max_authenticators), "10", 1, 1000,
	  NULL, "N", "default keys per user per app" },
	{ "clock-leeway", T_I64, OFF(clock_leeway), "30", 0, 3600, NULL,
	  "SECONDS", "tolerated clock skew for exp/nbf" },
	{ "key-cache-seconds", T_I64, OFF(key_cache_seconds), "5", 0, 3600, NULL,
	  "SECONDS", "how stale cached signing keys and verified tokens may be" },
	{ "body-limit", T_SIZE, OFF(body_limit), "65536", 64, 16LL << 20, NULL,
	  "BYTES", "largest request body (k/m suffixes allowed)" },
	{ "header-limit", T_SIZE, OFF(header_limit), "8192", 1024, 1LL << 20,
	  NULL, "BYTES", "largest request head (request line and headers)" },
	{ "json-max-depth", T_INT, OFF(json_max_depth), "32", 1, 1000, NULL, "N",
	  "deepest nesting of JSON arrays/objects in a body" },
	{ "connection-timeout", T_UINT, OFF(conn_timeout), "30", 1, 3600, NULL,
	  "SECONDS", "idle connection timeout; a request must arrive within 4 of these" },
	{ "max-connections", T_UINT, OFF(max_connections), "1024", 1, 65536,
	  NULL, "N", "most concurrent connections" },
	{ "per-ip-connections", T_UINT, OFF(per_ip_connections), "64", 1, 65536,
	  NULL, "N", "most concurrent connections from one IP address" },
	{ "log-level", T_CHOICE, OFF(log_level), "info", 0, 0, levels, "LEVEL",
	  "debug, info, warn or error" },
	{ "demo-app", T_BOOL, OFF(demo_app), "false", 0, 0, NULL, "BOOL",
	  "create a demo app (data-dir/demo-app.json) on first start" },
	{ "tls-cert", T_STR, OFF(tls_cert), NULL, 0, 0, NULL, "FILE",
	  "serve HTTPS with this PEM certificate chain (leaf first; reread on SIGHUP)" },
	{ "tls-key", T_STR, OFF(tls_key), NULL, 0, 0, NULL, "FILE",
	  "PEM private key of --tls-cert (reread on SIGHUP)" },
	{ "signing-key-rotate-days", T_INT, OFF(signing_key_rotate_days), "0", 0,
	  3650, NULL, "DAYS", "rotate the signing key when it is this old (0: never)" },
	{ "attestation-trust-anchors", T_STR, OFF(attestation_trust_anchors), NULL, 0, 0, NULL,
	  "FILE", "PEM certificates whose keys replace the built-in key attestation roots" },
	{ "attestation-revocation-list", T_STR, OFF(attestation_revocation_list), NULL, 0, 0,
	  NULL, "FILE", "Google's attestation status list (JSON), reread when it changes" },
	{ "attestation-revocation-max-age", T_I64, OFF(attestation_revocation_max_age), "0", 0,
	  365 * DAY, NULL, "SECONDS", "a revocation list unchanged this long fails required apps closed (0: off)" },
};
#undef OFF
#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

/* Builds BIOAUTH_<NAME> for `o` into buf. */
static void
env_name(const struct opt *o, char *buf, size_t len)
{
	size_t i = 0, j;
	const char *pfx = "BIOAUTH_";

	for (j = 0; pfx[j] != '\0' && i + 1 < len; j++)
		buf[i++] = pfx[j];
	for (j = 0; o->name[j] != '\0' && i + 1 < len; j++) {
		char ch = o->name[j];
		buf[i++] = ch == '-' ? '_' : (char)toupper((unsigned char)ch);
	}
	buf[i] = '\0';
}

/* --config names the file itself: a flag or an environment variable, never
 * a key inside the file. */
static bool
is_config_opt(const struct opt *o)
{
	return strcmp(o->name, "config") == 0;
}

static const struct opt *
find_opt(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < N_OPTIONS; i++)
		if (strlen(options[i].name) == len &&
		    strncmp(options[i].name, name, len) == 0)
			return &options[i];
	return NULL;
}

static int
parse_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	size_t i;

	for (i = 0; i < 4; i++) {
		if (strcmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

/* Parses a decimal integer filling the whole string (with an optional k/m
 * binary suffix when `suffix`); -1 on junk or overflow. */
static int
parse_ll(const char *v, bool suffix, long long *out)
{
	char *end;
	long long n, mul = 1;

	if (*v == '\0' || isspace((unsigned char)*v))
		return -1;
	errno = 0;
	n = strtoll(v, &end, 10);
	if (errno != 0 || end == v)
		return -1;
	if (suffix && (*end == 'k' || *end == 'K')) {
		mul = 1024;
		end++;
	} else if (suffix && (*end == 'm' || *end == 'M')) {
		mul = 1024 * 1024;
		end++;
	}
	if (*end != '\0')
		return -1;
	if (n > LLONG_MAX / mul || n < LLONG_MIN / mul)
		return -1;
	*out = n * mul;
	return 0;
}

static int
set_str(char **field, const char *v)
{
	char *dup = strdup(v);

	if (dup == NULL)
		return BA_ERR_NOMEM;
	free(*field);
	*field = dup;
	return BA_OK;
}

/* Splits HOST:PORT ("[v6]:PORT" for IPv6) into c->listen_host/port. */
static int
set_listen(struct config *c, const char *v, const char **why)
{
	const char *colon;
	const char *host = v;
	size_t hlen;
	long long port;
	char *h;

	if (v[0] == '[') {
		const char *close = strchr(v, ']');
		if (close == NULL || close[1] != ':') {
			*why = "expected HOST:PORT or [IPv6]:PORT";
			return BA_ERR_CONFIG;
		}
		host = v + 1;
		hlen = (size_t)(close - host);
		colon = close + 1;
	} else {
		colon = strrchr(v, ':');
		if (colon == NULL || memchr(v, ':', (size_t)(colon - v)) != NULL) {
			*why = "expected HOST:PORT or [IPv6]:PORT";
			return BA_ERR_CONFIG;
		}
		hlen = (size_t)(colon - v);
	}
	if (hlen == 0 || hlen > 255) {
		*why = "missing or over-long host";
		return BA_ERR_CONFIG;
	}
	if (parse_ll(colon + 1, false, &port) != 0 || port < 1 || port > 65535) {
		*why = "port must be 1-65535";
		return BA_ERR_CONFIG;
	}
	h = strndup(host, hlen);
	if (h == NULL)
		return BA_ERR_NOMEM;
	free(c->listen_host);
	c->listen_host = h;
	c->listen_port = (unsigned)port;
	return BA_OK;
}

/* Validates `v` for option `o` and stores it in `c`. On error writes
 * "<src>: <reason>" to err and returns BA_ERR_CONFIG (or NOMEM). */
static int
set_value(struct config *c, const struct opt *o, const char *v,
          const char *src, FILE *err)
{
	char *base = (char *)c;
	const char *why = NULL;
	long long n = 0;
	bool b;
	int r;

	switch (o->type) {
	case T_STR:
		if (*v == '\0') {
			why = "must not be empty";
			break;
		}
		return set_str((char **)(void *)(base + o->offset), v);
	case T_CHOICE: {
		size_t i;
		for (i = 0; o->choices[i] != NULL; i++)
			if (strcmp(o->choices[i], v) == 0)
				return set_str((char **)(void *)(base + o->offset), v);
		why = "not one of the allowed values";
		break;
	}
	case T_LISTEN:
		r = set_listen(c, v, &why);
		if (r != BA_ERR_CONFIG)
			return r;
		break;
	case T_BOOL:
		if (parse_bool(v, &b) != 0) {
			why = "must be true or false";
			break;
		}
		*(bool *)(void *)(base + o->offset) = b;
		return BA_OK;
	case T_INT:
	case T_UINT:
	case T_I64:
	case T_SIZE:
		if (parse_ll(v, o->type == T_SIZE, &n) != 0) {
			why = "must be an integer";
			break;
		}
		if (n < o->min || n > o->max) {
			fprintf(err, "%s: '%s' out of range (%lld-%lld)\n", src, v,
			        o->min, o->max);
			return BA_ERR_CONFIG;
		}
		if (o->type == T_INT)
			*(int *)(void *)(base + o->offset) = (int)n;
		else if (o->type == T_UINT)
			*(unsigned *)(void *)(base + o->offset) = (unsigned)n;
		else if (o->type == T_I64)
			*(int64_t *)(void *)(base + o->offset) = (int64_t)n;
		else
			*(size_t *)(void *)(base + o->offset) = (size_t)n;
		return BA_OK;
	}
	fprintf(err, "%s: invalid value '%s': %s\n", src, v,
	        why != NULL ? why : "invalid");
	return BA_ERR_CONFIG;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Reads `key = value` lines from `path`. Blank lines and lines starting with
 * '#' are skipped; a value may be wrapped in double quotes. An unknown key,
 * a line without '=', or an over-long line is an error naming the line. */
static int
load_file(struct config *c, const char *path, FILE *err)
{
	char line[4096];
	char src[512];
	FILE *f;
	unsigned lineno = 0;
	int r = BA_ERR_CONFIG;

	f = fopen(path, "r");
	if (f == NULL) {
		fprintf(err, "config file %s: %s\n", path, strerror(errno));
		return BA_ERR_CONFIG;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *s, *eq, *key, *val;
		const struct opt *o;
		size_t vlen;

		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			fprintf(err, "config file %s: line %u: line too long\n",
			        path, lineno);
			goto out;
		}
		s = trim(line);
		if (*s == '\0' || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (eq == NULL) {
			fprintf(err, "config file %s: line %u: expected "
			        "`key = value`\n", path, lineno);
			goto out;
		}
		*eq = '\0';
		key = trim(s);
		val = trim(eq + 1);
		vlen = strlen(val);
		if (vlen >= 2 && val[0] == '"' && val[vlen - 1] == '"') {
			val[vlen - 1] = '\0';
			val++;
		}
		o = find_opt(key, strlen(key));
		if (o == NULL || is_config_opt(o)) {
			fprintf(err, "config file %s: line %u: unknown key '%s'\n",
			        path, lineno, key);
			goto out;
		}
		snprintf(src, sizeof(src), "config file %s: line %u: %s", path,
		         lineno, o->name);
		r = set_value(c, o, val, src, err);
		if (r != BA_OK)
			goto out;
		r = BA_ERR_CONFIG;
	}
	if (ferror(f)) {
		fprintf(err, "config file %s: read error\n", path);
		goto out;
	}
	r = BA_OK;
out:
	fclose(f);
	return r;
}

static int
set_defaults(struct config *c, FILE *err)
{
	size_t i;
	long cores;
	int r;

	for (i = 0; i < N_OPTIONS; i++) {
		if (options[i].def == NULL)
			continue;
		r = set_value(c, &options[i], options[i].def, "default", err);
		if (r != BA_OK)
			return r;
	}
	cores = sysconf(_SC_NPROCESSORS_ONLN);
	c->threads = cores < 1 ? 1 : cores > 1024 ? 1024 : (int)cores;
	return BA_OK;
}

/* Fills issuer, public_url and db from listen / data-dir when not given, and checks
 * settings that depend on each other. */
static int
apply_derived(struct config *c, FILE *err)
{
	char buf[1024];
	bool v6 = strchr(c->listen_host, ':') != NULL;
	size_t n;

	if ((c->tls_cert == NULL) != (c->tls_key == NULL)) {
		fprintf(err, "--tls-cert and --tls-key go together\n");
		return BA_ERR_CONFIG;
	}
	c->issuer_given = c->issuer != NULL;
	if (c->issuer == NULL) {
		snprintf(buf, sizeof(buf), "%s://%s%s%s:%u/oidc",
		         c->tls_cert != NULL ? "https" : "http", v6 ? "[" : "",
		         c->listen_host, v6 ? "]" : "", c->listen_port);
		if (set_str(&c->issuer, buf) != BA_OK)
			return BA_ERR_NOMEM;
	}
	if (strncmp(c->issuer, "http://", 7) != 0 &&
	    strncmp(c->issuer, "https://", 8) != 0) {
		fprintf(err, "--issuer: '%s' must be an http:// or https:// URL\n",
		        c->issuer);
		return BA_ERR_CONFIG;
	}
	/* "https://x/oidc/" and "https://x/oidc" name the same issuer. */
	n = strlen(c->issuer);
	while (n > 8 && c->issuer[n - 1] == '/')
		c->issuer[--n] = '\0';
	if (c->public_url == NULL) {
		/* An issuer ".../oidc" was the base of the endpoints before
		 * --public-url existed: keep naming the same URLs. */
		if (n >= 5 && strcmp(c->issuer + n - 5, "/oidc") == 0)
			snprintf(buf, sizeof(buf), "%.*s", (int)(n - 5), c->issuer);
		else
			snprintf(buf, sizeof(buf), "%s://%s%s%s:%u",
			         c->tls_cert != NULL ? "https" : "http", v6 ? "[" : "",
			         c->listen_host, v6 ? "]" : "", c->listen_port);
		if (set_str(&c->public_url, buf) != BA_OK)
			return BA_ERR_NOMEM;
	}
	if (strncmp(c->public_url, "http://", 7) != 0 &&
	    strncmp(c->public_url, "https://", 8) != 0) {
		fprintf(err, "--public-url: '%s' must be an http:// or https:// URL\n",
		        c->public_url);
		return BA_ERR_CONFIG;
	}
	n = strlen(c->public_url);
	while (n > 8 && c->public_url[n - 1] == '/')
		c->public_url[--n] = '\0';
	if (c->db == NULL) {
		n = strlen(c->data_dir);
		snprintf(buf, sizeof(buf), "%s%sbioauth.db", c->data_dir,
		         n > 0 && c->data_dir[n - 1] == '/' ? "" : "/");
		if (set_str(&c->db, buf) != BA_OK)
			return BA_ERR_NOMEM;
	}
	if (c->challenge_ttl > c->challenge_max_ttl) {
		fprintf(err, "--challenge-ttl (%" PRId64 ") must not exceed "
		        "--challenge-max-ttl (%" PRId64 ")\n", c->challenge_ttl,
		        c->challenge_max_ttl);
		return BA_ERR_CONFIG;
	}
	return BA_OK;
}

/* Returns true if the argument after a bare boolean flag is a boolean word,
 * so `--durable false` works as well as `--durable=false`. */
static bool
is_bool_word(const char *v)
{
	bool b;

	return v != NULL && parse_bool(v, &b) == 0;
}

/* Walks argv. With `apply` false it only finds --config, --help and the
 * first non-option; with `apply` true it sets every option. */
static int
scan_argv(struct config *c, int argc, char **argv, bool apply,
          const char **config_path, bool *help, int *first, FILE *err)
{
	char src[128];
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *eq, *val;
		const struct opt *o;
		size_t nlen;
		int r;

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (strncmp(a, "--", 2) != 0) {
			if (strcmp(a, "-h") == 0) {
				*help = true;
				continue;
			}
			if (a[0] == '-' && a[1] != '\0') {
				fprintf(err, "%s: unknown option (see --help)\n", a);
				return BA_ERR_CONFIG;
			}
			break;
		}
		a += 2;
		eq = strchr(a, '=');
		nlen = eq != NULL ? (size_t)(eq - a) : strlen(a);
		if (nlen == 4 && strncmp(a, "help", 4) == 0 && eq == NULL) {
			*help = true;
			continue;
		}
		o = find_opt(a, nlen);
		if (o == NULL) {
			fprintf(err, "--%.*s: unknown option (see --help)\n",
			        (int)(nlen > 64 ? 64 : nlen), a);
			return BA_ERR_CONFIG;
		}
		if (eq != NULL) {
			val = eq + 1;
		} else if (o->type == T_BOOL) {
			val = "true";
			if (i + 1 < argc && is_bool_word(argv[i + 1]))
				val = argv[++i];
		} else if (i + 1 < argc) {
			val = argv[++i];
		} else {
			fprintf(err, "--%s: missing value\n", o->name);
			return BA_ERR_CONFIG;
		}
		if (is_config_opt(o))
			*config_path = val;
		if (apply) {
			snprintf(src, sizeof(src), "--%s", o->name);
			r = set_value(c, o, val, src, err);
			if (r != BA_OK)
				return r;
		}
	}
	*first = i;
	return BA_OK;
}

int
config_load(struct config *c, int argc, char **argv, int *first_arg,
            bool *help, FILE *err)
{
	const char *config_path = NULL;
	char name[64], src[96];
	int first = argc;
	bool want_help = false;
	size_t i;
	int r;

	memset(c, 0, sizeof(*c));
	*help = false;
	if (first_arg != NULL)
		*first_arg = argc;
	if (err == NULL)
		err = stderr;

	r = scan_argv(c, argc, argv, false, &config_path, &want_help, &first, err);
	if (r != BA_OK)
		goto out;
	if (want_help) {
		config_usage(stdout, argc > 0 && argv[0] != NULL ? argv[0]
		                                                 : "bioauthd");
		*help = true;
		if (first_arg != NULL)
			*first_arg = first;
		return BA_OK;
	}
	r = set_defaults(c, err);
	if (r != BA_OK)
		goto out;

	if (config_path == NULL) {
		const char *e = getenv("BIOAUTH_CONFIG");
		if (e != NULL && *e != '\0')
			config_path = e;
	}
	if (config_path != NULL) {
		r = set_str(&c->config_file, config_path);
		if (r != BA_OK)
			goto out;
		r = load_file(c, c->config_file, err);
		if (r != BA_OK)
			goto out;
	}

	for (i = 0; i < N_OPTIONS; i++) {
		const char *v;
		if (is_config_opt(&options[i]))
			continue;
		env_name(&options[i], name, sizeof(name));
		v = getenv(name);
		if (v == NULL || *v == '\0')
			continue;
		snprintf(src, sizeof(src), "%s", name);
		r = set_value(c, &options[i], v, src, err);
		if (r != BA_OK)
			goto out;
	}

	r = scan_argv(c, argc, argv, true, &config_path, &want_help, &first, err);
	if (r != BA_OK)
		goto out;
	r = apply_derived(c, err);
	if (r != BA_OK)
		goto out;
	if (first_arg != NULL)
		*first_arg = first;
	r = BA_OK;
out:
	if (r != BA_OK) {
		if (r == BA_ERR_NOMEM)
			fprintf(err, "configuration: out of memory\n");
		config_clear(c);
		r = BA_ERR_CONFIG;
	}
	return r;
}

void
config_usage(FILE *out, const char *prog)
{
	char env[64], flag[64];
	size_t i;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	fprintf(out,
	        "Usage: %s [OPTIONS]\n\n"
	        "Options are read from flags, then BIOAUTH_* environment "
	        "variables, then the\nconfig file (`key = value` lines, '#' "
	        "comments, keys are option names).\nBooleans: --flag, "
	        "--flag=true|false.\n\n", prog != NULL ? prog : "bioauthd");
	for (i = 0; i < N_OPTIONS; i++) {
		const struct opt *o = &options[i];
		const char *def = o->def;
		char dbuf[64];

		env_name(o, env, sizeof(env));
		snprintf(flag, sizeof(flag), "--%s %s", o->name, o->metavar);
		if (def == NULL) {
			if (strcmp(o->name, "threads") == 0) {
				snprintf(dbuf, sizeof(dbuf), "online cores (%ld)",
				         cores < 1 ? 1L : cores);
				def = dbuf;
			} else if (strcmp(o->name, "issuer") == 0) {
				def = "http(s)://<listen>/oidc";
			} else if (strcmp(o->name, "public-url") == 0) {
				def = "<issuer> without /oidc, else http(s)://<listen>";
			} else if (strcmp(o->name, "db") == 0) {
				def = "<data-dir>/bioauth.db";
			} else {
				def = "none";
			}
		}
		fprintf(out, "  %-32s %s\n  %-32s env %s, default %s\n", flag,
		        o->help, "", env, def);
	}
	fprintf(out, "  %-32s %s\n", "--help, -h", "print this help and exit");
}

void
config_clear(struct config *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < N_OPTIONS; i++) {
		const struct opt *o = &options[i];
		if (o->type == T_STR || o->type == T_CHOICE) {
			char **p = (char **)(void *)((char *)c + o->offset);
			free(*p);
			*p = NULL;
		}
	}
	free(c->listen_host);
	memset(c, 0, sizeof(*c));
}

/* Writes the value of option `o` in `c` as text into buf. */
static void
format_value(const struct config *c, const struct opt *o, char *buf,
             size_t len)
{
	const char *base = (const char *)c;

	switch (o->type) {
	case T_STR:
	case T_CHOICE: {
		const char *v = *(char *const *)(const void *)(base + o->offset);
		snprintf(buf, len, "%s", v != NULL ? v : "");
		break;
	}
	case T_LISTEN:
		snprintf(buf, len, "%s:%u", c->listen_host != NULL ?
		         c->listen_host : "", c->listen_port);
		break;
	case T_BOOL:
		snprintf(buf, len, "%s", *(const bool *)(const void *)(base + o->offset)
		         ? "true" : "false");
		break;
	case T_INT:
		snprintf(buf, len, "%d", *(const int *)(const void *)(base + o->offset));
		break;
	case T_UINT:
		snprintf(buf, len, "%u", *(const unsigned *)(const void *)(base + o->offset));
		break;
	case T_I64:
		snprintf(buf, len, "%" PRId64,
		         *(const int64_t *)(const void *)(base + o->offset));
		break;
	case T_SIZE:
		snprintf(buf, len, "%zu", *(const size_t *)(const void *)(base + o->offset));
		break;
	}
}

void
config_diff(const struct config *old, const struct config *cur,
            void (*changed)(const char *name, const char *was,
                            const char *now, void *arg), void *arg)
{
	char a[1024], b[1024];
	size_t i;

	for (i = 0; i < N_OPTIONS; i++) {
		format_value(old, &options[i], a, sizeof(a));
		format_value(cur, &options[i], b, sizeof(b));
		if (strcmp(a, b) != 0)
			changed(options[i].name, a, b, arg);
	}
}

/* Writes `s` escaped for roff; with `wrap`, a space past column 64
 * becomes a line break (roff fills the paragraph again), so input lines
 * stay within the 80 bytes mandoc's style check asks for. */
static void
man_write(FILE *out, const char *s, bool wrap)
{
	bool line_start = true;
	size_t col = 0;

	for (; *s != '\0'; s++) {
		if (wrap && *s == ' ' && col > 64) {
			fputc('\n', out);
			line_start = true;
			col = 0;
			continue;
		}
		if (line_start && (*s == '.' || *s == '\''))
			fputs("\\&", out);
		if (*s == '-')
			fputs("\\-", out);
		else if (*s == '\\')
			fputs("\\e", out);
		else if (*s == '`')
			fputs("\\(dq", out);
		else
			fputc(*s, out);
		line_start = *s == '\n';
		col = line_start ? 0 : col + 1;
	}
}

void
config_man_text(FILE *out, const char *s)
{
	man_write(out, s, false);
}

void
config_man_para(FILE *out, const char *s)
{
	man_write(out, s, true);
}

void
config_man_options(FILE *out)
{
	char env[64];
	size_t i;

	for (i = 0; i < N_OPTIONS; i++) {
		const struct opt *o = &options[i];

		env_name(o, env, sizeof(env));
		fputs(".TP\n.BI \"", out);
		config_man_text(out, "--");
		config_man_text(out, o->name);
		fputs(" \" ", out);
		config_man_text(out, o->metavar);
		fputc('\n', out);
		config_man_para(out, o->help);
		fputs(".\nEnvironment\n.BR ", out);
		config_man_text(out, env);
		fputs(" ;\ndefault ", out);
		if (o->def != NULL)
			config_man_text(out, o->def);
		else if (strcmp(o->name, "threads") == 0)
			fputs("the number of online cores", out);
		else if (strcmp(o->name, "issuer") == 0)
			config_man_text(out, "http(s)://<listen>/oidc");
		else if (strcmp(o->name, "db") == 0)
			config_man_text(out, "<data-dir>/bioauth.db");
		else
			fputs("none", out);
		fputs(".\n", out);
	}
}
