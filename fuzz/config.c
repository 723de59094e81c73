/*
 * config.c - fuzzes configuration loading (src/common/config.c).
 *
 * config_load() only reads a file by path (--config), so mode 0 writes the
 * input to a memfd once per run and passes /proc/self/fd/N; mode 1 splits
 * the input at NUL bytes into argv (at most 32 arguments; an argument
 * naming --config is skipped there, so that no run reads a device such as
 * /dev/stdin). The BIOAUTH_* environment is cleared once (fuzz_config()),
 * and in the fuzz build --help's usage text goes to /dev/null.
 *
 * Input: [2 control bytes][mode][bytes...].
 *
 * Properties: BA_OK or BA_ERR_CONFIG (or BA_ERR_NOMEM when an allocation
 * failed), one error line written on failure; an accepted configuration is
 * coherent (an http(s) issuer without a trailing slash, a database path,
 * challenge_ttl <= challenge_max_ttl, a port below 65536), and
 * config_clear() releases everything (LeakSanitizer checks).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1   /* memfd_create */
#endif
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/error.h"
#include "fuzz_common.h"

static int cfgh_fd = -1;
static FILE *cfgh_err;

static void
cfgh_check(int r, bool failed, bool help, const struct config *c)
{
	if (r != BA_OK) {
		FUZZ_CHECK(r == BA_ERR_CONFIG || (failed && r == BA_ERR_NOMEM));
		return;
	}
	if (help)   /* usage printed; nothing else is promised */
		return;
	FUZZ_CHECK(c->issuer != NULL && c->db != NULL && c->listen_host != NULL);
	FUZZ_CHECK(strncmp(c->issuer, "http://", 7) == 0 || strncmp(c->issuer, "https://", 8) == 0);
	FUZZ_CHECK(strlen(c->issuer) <= 8 || c->issuer[strlen(c->issuer) - 1] != '/');
	FUZZ_CHECK(c->challenge_ttl <= c->challenge_max_ttl);
	FUZZ_CHECK(c->listen_port < 65536);
	FUZZ_CHECK(c->signing_alg != NULL && c->log_level != NULL);
}

FUZZ_TARGET(config)
{
	struct config c;
	char path[64], *buf, *argv[34];
	int argc = 0, first = 0, r;
	bool help = false, failed;
	size_t i, start;

	alloc_fail_install();
	fuzz_warm_up();
	(void)fuzz_config();
	if (cfgh_fd < 0) {
		cfgh_fd = memfd_create("bioauth-fuzz-config", 0);
		cfgh_err = fopen("/dev/null", "w");
		FUZZ_CHECK(cfgh_fd >= 0 && cfgh_err != NULL);
#ifndef FUZZ_REGRESSION_BUILD
		FUZZ_CHECK(freopen("/dev/null", "w", stdout) != NULL);
#endif
	}
	fuzz_take_alloc_control(&data, &size);
	memset(&c, 0, sizeof(c));

	if (fuzz_take_u8(&data, &size) % 2 == 0) {
		FUZZ_CHECK(ftruncate(cfgh_fd, 0) == 0);
		FUZZ_CHECK(pwrite(cfgh_fd, data, size, 0) == (ssize_t)size);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", cfgh_fd);
		argv[0] = (char *)"bioauthd";
		argv[1] = (char *)"--config";
		argv[2] = path;
		argv[3] = NULL;
		fuzz_alloc_begin();
		r = config_load(&c, 3, argv, &first, &help, cfgh_err);
		failed = fuzz_alloc_end();
		cfgh_check(r, failed, help, &c);
		config_clear(&c);
		return 0;
	}

	buf = fuzz_strndup(data, size);   /* NUL-separated words */
	argv[argc++] = (char *)"bioauthd";
	for (i = start = 0; i <= size && argc < 33; i++) {
		if (i == size || data[i] == '\0') {
			if (strstr(buf + start, "config") != NULL) {
				free(buf);
				return 0;
			}
			argv[argc++] = buf + start;
			start = i + 1;
		}
	}
	argv[argc] = NULL;
	fuzz_alloc_begin();
	r = config_load(&c, argc, argv, &first, &help, cfgh_err);
	failed = fuzz_alloc_end();
	cfgh_check(r, failed, help, &c);
	if (r == BA_OK)
		FUZZ_CHECK(first >= 1 && first <= argc);
	config_clear(&c);
	free(buf);
	return 0;
}
