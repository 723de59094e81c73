/*
 * test_config.c - configuration sources and their precedence
 * (src/common/config.c): flag > BIOAUTH_* environment > config file >
 * default, derived defaults, validation and --help.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"
#include "common/error.h"

/* Every option of config.h, with its environment variable. */
static const char *const all_options[] = {
	"config", "listen", "db", "issuer", "public-url", "tenant-id", "data-dir",
	"signing-alg", "durable", "threads", "db-pool-size", "access-token-ttl",
	"client-token-ttl", "id-token-ttl", "refresh-token-ttl", "challenge-ttl",
	"challenge-max-ttl", "lockout-threshold", "lockout-duration",
	"max-authenticators", "clock-leeway", "key-cache-seconds", "body-limit",
	"header-limit", "json-max-depth", "connection-timeout",
	"max-connections", "per-ip-connections", "log-level", "demo-app",
};
#define N_ALL (sizeof(all_options) / sizeof(all_options[0]))

static void
env_of(const char *opt, char *buf, size_t len)
{
	size_t i = 0, j;

	snprintf(buf, len, "BIOAUTH_");
	i = strlen(buf);
	for (j = 0; opt[j] != '\0' && i + 1 < len; j++)
		buf[i++] = opt[j] == '-' ? '_' : (char)(opt[j] - 'a' + 'A');
	buf[i] = '\0';
}

/* Every test starts with no BIOAUTH_* variable set. */
static int
clean_env(void **state)
{
	char name[64];
	size_t i;

	(void)state;
	for (i = 0; i < N_ALL; i++) {
		env_of(all_options[i], name, sizeof(name));
		unsetenv(name);
	}
	return 0;
}

/* Runs config_load on a NULL-terminated argv; captures the error text. */
struct run {
	struct config c;
	int rc;
	int first;
	bool help;
	char err[1024];
};

static void
load(struct run *out, const char **args)
{
	char *argv[32];
	int argc = 0;
	char *buf = NULL;
	size_t len = 0;
	FILE *err = open_memstream(&buf, &len);

	assert_non_null(err);
	argv[argc++] = (char *)(uintptr_t)"bioauthd";
	while (args != NULL && *args != NULL && argc < 31)
		argv[argc++] = (char *)(uintptr_t)*args++;
	argv[argc] = NULL;
	out->rc = config_load(&out->c, argc, argv, &out->first, &out->help, err);
	fclose(err);
	snprintf(out->err, sizeof(out->err), "%s", buf != NULL ? buf : "");
	free(buf);
}

/* Writes `text` to a temporary config file; returns its malloc'd path. */
static char *
write_file(const char *text)
{
	char tmpl[] = "/tmp/bioauth-test-config-XXXXXX";
	int fd = mkstemp(tmpl);
	size_t n = strlen(text);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	close(fd);
	return strdup(tmpl);
}

/* The load failed with exactly one line that mentions `needle`. */
static void
expect_error(const char **args, const char *needle)
{
	struct run r;
	char *nl;

	load(&r, args);
	if (r.rc != BA_ERR_CONFIG || strstr(r.err, needle) == NULL) {
		print_error("args[0]=%s rc=%d err=%s (wanted \"%s\")\n",
		            args[0], r.rc, r.err, needle);
		fail();
	}
	nl = strchr(r.err, '\n');
	assert_non_null(nl);
	assert_int_equal(nl[1], '\0');  /* one line */
}

static void
test_defaults(void **state)
{
	struct run r;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);

	(void)state;
	load(&r, NULL);
	assert_int_equal(r.rc, BA_OK);
	assert_false(r.help);
	assert_int_equal(r.first, 1);
	assert_string_equal(r.c.listen_host, "127.0.0.1");
	assert_int_equal(r.c.listen_port, 8080);
	assert_string_equal(r.c.issuer, "http://127.0.0.1:8080/oidc");
	assert_false(r.c.issuer_given);
	assert_string_equal(r.c.public_url, "http://127.0.0.1:8080");
	assert_string_equal(r.c.data_dir, "./data");
	assert_string_equal(r.c.db, "./data/bioauth.db");
	assert_string_equal(r.c.tenant_id, "default");
	assert_string_equal(r.c.signing_alg, "ES256");
	assert_string_equal(r.c.log_level, "info");
	assert_null(r.c.config_file);
	assert_true(r.c.durable);
	assert_false(r.c.demo_app);
	assert_int_equal(r.c.threads, cores < 1 ? 1 : cores);
	assert_int_equal(r.c.db_pool_size, 4);
	assert_int_equal(r.c.access_token_ttl, 3600);
	assert_int_equal(r.c.client_token_ttl, 3600);
	assert_int_equal(r.c.id_token_ttl, 3600);
	assert_int_equal(r.c.refresh_token_ttl, 30 * 86400);
	assert_int_equal(r.c.challenge_ttl, 300);
	assert_int_equal(r.c.challenge_max_ttl, 3600);
	assert_int_equal(r.c.lockout_threshold, 5);
	assert_int_equal(r.c.lockout_seconds, 900);
	assert_int_equal(r.c.max_authenticators, 10);
	assert_int_equal(r.c.clock_leeway, 30);
	assert_int_equal(r.c.key_cache_seconds, 5);
	assert_int_equal(r.c.body_limit, 65536);
	assert_int_equal(r.c.header_limit, 8192);
	assert_int_equal(r.c.json_max_depth, 32);
	assert_int_equal(r.c.conn_timeout, 30);
	assert_int_equal(r.c.max_connections, 1024);
	assert_int_equal(r.c.per_ip_connections, 64);
	config_clear(&r.c);
}

static void
test_precedence(void **state)
{
	char *path = write_file(
		"# a comment\n"
		"\n"
		"threads = 3\n"
		"db-pool-size = 6\n"
		"tenant-id = from-file\n"
		"  listen=127.0.0.2:7000  \n"
		"issuer = \"https://file.example/oidc\"\n");
	char cfgflag[300];
	const char *only_file[] = { cfgflag, NULL };
	const char *with_flags[] = { cfgflag, "--threads", "7", "--db-pool-size=2",
	                             NULL };
	struct run r;

	(void)state;
	snprintf(cfgflag, sizeof(cfgflag), "--config=%s", path);

	/* file over defaults */
	load(&r, only_file);
	assert_int_equal(r.rc, BA_OK);
	assert_string_equal(r.c.config_file, path);
	assert_int_equal(r.c.threads, 3);
	assert_int_equal(r.c.db_pool_size, 6);
	assert_string_equal(r.c.tenant_id, "from-file");
	assert_string_equal(r.c.listen_host, "127.0.0.2");
	assert_int_equal(r.c.listen_port, 7000);
	assert_string_equal(r.c.issuer, "https://file.example/oidc");
	assert_true(r.c.issuer_given);
	config_clear(&r.c);

	/* environment over file */
	setenv("BIOAUTH_THREADS", "5", 1);
	setenv("BIOAUTH_TENANT_ID", "from-env", 1);
	load(&r, only_file);
	assert_int_equal(r.rc, BA_OK);
	assert_int_equal(r.c.threads, 5);
	assert_int_equal(r.c.db_pool_size, 6);
	assert_string_equal(r.c.tenant_id, "from-env");
	config_clear(&r.c);

	/* flags over environment and file */
	load(&r, with_flags);
	assert_int_equal(r.rc, BA_OK);
	assert_int_equal(r.c.threads, 7);
	assert_int_equal(r.c.db_pool_size, 2);
	assert_string_equal(r.c.tenant_id, "from-env");
	config_clear(&r.c);

	/* the file named by BIOAUTH_CONFIG */
	unsetenv("BIOAUTH_THREADS");
	setenv("BIOAUTH_CONFIG", path, 1);
	load(&r, NULL);
	assert_int_equal(r.rc, BA_OK);
	assert_int_equal(r.c.threads, 3);
	config_clear(&r.c);

	/* an empty environment variable counts as unset */
	setenv("BIOAUTH_THREADS", "", 1);
	load(&r, NULL);
	assert_int_equal(r.rc, BA_OK);
	assert_int_equal(r.c.threads, 3);
	config_clear(&r.c);

	unlink(path);
	free(path);
}

static void
test_flag_forms(void **state)
{
	const char *a1[] = { "--durable=false", "--demo-app", "--threads=2",
	                     "--body-limit", "1k", "--header-limit=2K", NULL };
	const char *a2[] = { "--durable", "false", "--demo-app=true", NULL };
	const char *a3[] = { "--durable", "--listen", "[::1]:9000", NULL };
	const char *a4[] = { "--db", "x.db", "app", "create", "--name", "n", NULL };
	const char *a5[] = { "--data-dir", "/var/lib/b/", "--issuer",
	                     "https://id.example.com/oidc/", NULL };
	const char *a6[] = { "--", "--threads", NULL };
	const char *a7[] = { "--issuer", "https://auth.example.com/", "--listen",
	                     "127.0.0.1:9100", NULL };
	const char *a8[] = { "--issuer", "https://auth.example.com", "--public-url",
	                     "https://api.example.com/bio/", NULL };
	struct run r;

	(void)state;
	load(&r, a1);
	assert_int_equal(r.rc, BA_OK);
	assert_false(r.c.durable);
	assert_true(r.c.demo_app);
	assert_int_equal(r.c.threads, 2);
	assert_int_equal(r.c.body_limit, 1024);
	assert_int_equal(r.c.header_limit, 2048);
	config_clear(&r.c);

	load(&r, a2);
	assert_int_equal(r.rc, BA_OK);
	assert_false(r.c.durable);
	assert_true(r.c.demo_app);
	assert_int_equal(r.first, 4);
	config_clear(&r.c);

	load(&r, a3);
	assert_int_equal(r.rc, BA_OK);
	assert_true(r.c.durable);
	assert_string_equal(r.c.listen_host, "::1");
	assert_int_equal(r.c.listen_port, 9000);
	assert_string_equal(r.c.issuer, "http://[::1]:9000/oidc");
	config_clear(&r.c);

	/* parsing stops at the first non-option (bioauthctl subcommands) */
	load(&r, a4);
	assert_int_equal(r.rc, BA_OK);
	assert_string_equal(r.c.db, "x.db");
	assert_int_equal(r.first, 3);
	config_clear(&r.c);

	load(&r, a5);
	assert_int_equal(r.rc, BA_OK);
	assert_string_equal(r.c.db, "/var/lib/b/bioauth.db");
	assert_string_equal(r.c.issuer, "https://id.example.com/oidc");
	assert_string_equal(r.c.public_url, "https://id.example.com");
	config_clear(&r.c);

	/* An issuer not ending in /oidc names no endpoint: --listen does. */
	load(&r, a7);
	assert_int_equal(r.rc, BA_OK);
	assert_string_equal(r.c.issuer, "https://auth.example.com");
	assert_string_equal(r.c.public_url, "http://127.0.0.1:9100");
	config_clear(&r.c);

	load(&r, a8);
	assert_int_equal(r.rc, BA_OK);
	assert_string_equal(r.c.public_url, "https://api.example.com/bio");
	config_clear(&r.c);

	load(&r, a6);
	assert_int_equal(r.rc, BA_OK);
	assert_int_equal(r.first, 2);
	config_clear(&r.c);
}

static void
test_bad_values(void **state)
{
	static const struct { const char *args[4]; const char *needle; } bad[] = {
		{ { "--listen", "127.0.0.1:99999" }, "--listen" },
		{ { "--listen", "127.0.0.1:0" }, "--listen" },
		{ { "--listen", "localhost" }, "--listen" },
		{ { "--listen", ":8080" }, "--listen" },
		{ { "--listen", "::1:8080" }, "--listen" },
		{ { "--threads", "0" }, "--threads" },
		{ { "--threads", "abc" }, "--threads" },
		{ { "--threads", "4x" }, "--threads" },
		{ { "--threads=" }, "--threads" },
		{ { "--db-pool-size", "99999999999999999999" }, "--db-pool-size" },
		{ { "--access-token-ttl", "0" }, "--access-token-ttl" },
		{ { "--refresh-token-ttl", "-1" }, "--refresh-token-ttl" },
		{ { "--challenge-ttl", "0" }, "--challenge-ttl" },
		{ { "--challenge-ttl", "4000" }, "--challenge-ttl" },
		{ { "--lockout-threshold", "0" }, "--lockout-threshold" },
		{ { "--body-limit", "-5" }, "--body-limit" },
		{ { "--body-limit", "1g" }, "--body-limit" },
		{ { "--header-limit", "10" }, "--header-limit" },
		{ { "--json-max-depth", "0" }, "--json-max-depth" },
		{ { "--connection-timeout", "0" }, "--connection-timeout" },
		{ { "--max-connections", "0" }, "--max-connections" },
		{ { "--per-ip-connections", "0" }, "--per-ip-connections" },
		{ { "--durable=maybe" }, "--durable" },
		{ { "--signing-alg", "HS256" }, "--signing-alg" },
		{ { "--log-level", "loud" }, "--log-level" },
		{ { "--issuer", "ftp://x" }, "--issuer" },
		{ { "--public-url", "api.example.com" }, "--public-url" },
		{ { "--db", "" }, "--db" },
		{ { "--nope" }, "--nope" },
		{ { "-x" }, "-x" },
		{ { "--db" }, "--db" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error((const char **)(uintptr_t)bad[i].args, bad[i].needle);

	setenv("BIOAUTH_THREADS", "lots", 1);
	{
		const char *none[] = { NULL };
		expect_error(none, "BIOAUTH_THREADS");
	}
	unsetenv("BIOAUTH_THREADS");
}

static void
test_file_errors(void **state)
{
	static const struct { const char *text; const char *needle; } bad[] = {
		{ "threads = 2\nbogus = 1\n", "line 2: unknown key 'bogus'" },
		{ "# c\n\nthreads 2\n", "line 3" },
		{ "config = /etc/other\n", "line 1: unknown key 'config'" },
		{ "threads = 0\n", "line 1: threads" },
		{ "listen = 1.2.3.4\n", "line 1: listen" },
	};
	char flag[300];
	const char *args[] = { flag, NULL };
	const char *missing[] = { "--config", "/nonexistent/bioauth.conf", NULL };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *path = write_file(bad[i].text);
		snprintf(flag, sizeof(flag), "--config=%s", path);
		expect_error(args, bad[i].needle);
		unlink(path);
		free(path);
	}
	expect_error(missing, "/nonexistent/bioauth.conf");
}

static void
test_help(void **state)
{
	const char *args[] = { "--threads", "bogus-but-ignored", "--help", NULL };
	char *buf = NULL;
	size_t len = 0, i;
	FILE *f;
	struct run r;

	FILE *cap = tmpfile();
	int saved, fd;
	char out[512] = "";
	ssize_t got;

	(void)state;
	/* --help wins over everything else, succeeds, and prints the usage
	 * on stdout (captured in a temporary file here). */
	assert_non_null(cap);
	fd = fileno(cap);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	dup2(fd, STDOUT_FILENO);
	load(&r, args);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	got = pread(fd, out, sizeof(out) - 1, 0);
	assert_true(got > 0);
	out[got] = '\0';
	fclose(cap);
	assert_non_null(strstr(out, "Usage: bioauthd"));
	assert_int_equal(r.rc, BA_OK);
	assert_true(r.help);
	config_clear(&r.c);

	f = open_memstream(&buf, &len);
	assert_non_null(f);
	config_usage(f, "bioauthd");
	fclose(f);
	for (i = 0; i < N_ALL; i++) {
		char flag[64], env[64];
		snprintf(flag, sizeof(flag), "--%s ", all_options[i]);
		env_of(all_options[i], env, sizeof(env));
		if (strstr(buf, flag) == NULL || strstr(buf, env) == NULL) {
			print_error("usage lacks %s / %s\n", flag, env);
			fail();
		}
	}
	assert_non_null(strstr(buf, "default 127.0.0.1:8080"));
	assert_non_null(strstr(buf, "default 65536"));
	assert_non_null(strstr(buf, "--help"));
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_defaults, clean_env),
		cmocka_unit_test_setup(test_precedence, clean_env),
		cmocka_unit_test_setup(test_flag_forms, clean_env),
		cmocka_unit_test_setup(test_bad_values, clean_env),
		cmocka_unit_test_setup(test_file_errors, clean_env),
		cmocka_unit_test_setup(test_help, clean_env),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
