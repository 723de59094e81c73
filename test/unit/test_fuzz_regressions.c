/*
 * test_fuzz_regressions.c - replays the fuzz inputs in the normal unit-test
 * build, so that a crash found once stays fixed.
 *
 * Every harness of fuzz/ is compiled into this file (FUZZ_REGRESSION_BUILD:
 * its entry point becomes fuzz_<name>_one) and run on every file under
 * fuzz/regressions/<name>/ (inputs that once crashed) and
 * fuzz/corpus/<name>/ (the seeds: valid requests, keys, signatures, JWTs,
 * config files, which exercise the harness's properties on realistic input).
 * A harness aborts on a broken property or a sanitizer error, which fails
 * this test. Allocation failures reach OpenSSL only here (FUZZ_NO_WRAP: no
 * --wrap of malloc in the normal build); `make fuzz-regress` replays the
 * same files in the fuzz build with full injection.
 *
 * Run from the repository root (as `make unit` does).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1   /* memfd_create in fuzz/config.c */
#endif
#define FUZZ_REGRESSION_BUILD 1
#define FUZZ_NO_WRAP 1

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "../../fuzz/alloc_fail.c"
#include "../../fuzz/fuzz_support.c"
#include "../../fuzz/json_in.c"
#include "../../fuzz/form.c"
#include "../../fuzz/router.c"
#include "../../fuzz/pubkey.c"
#include "../../fuzz/sigverify.c"
#include "../../fuzz/encoding.c"
#include "../../fuzz/jws.c"
#include "../../fuzz/authz.c"
#include "../../fuzz/config.c"
#include "../../fuzz/keydesc.c"
#include "../../fuzz/appattest.c"
#include "../../fuzz/secrets.c"

typedef int (*fuzz_entry_fn)(const uint8_t *data, size_t size);

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs `fn` on every regular file of `dir` (sorted); returns how many. A
 * missing directory is zero files. */
static size_t
replay_dir(const char *dir, fuzz_entry_fn fn)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char *names[4096];
	size_t n = 0, i;

	if (d == NULL)
		return 0;
	while ((e = readdir(d)) != NULL && n < 4096) {
		if (e->d_name[0] == '.')
			continue;
		names[n] = strdup(e->d_name);
		assert_non_null(names[n]);
		n++;
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), name_cmp);
	for (i = 0; i < n; i++) {
		char path[1024];
		uint8_t *buf;
		long len;
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		f = fopen(path, "rb");
		assert_non_null(f);
		assert_int_equal(fseek(f, 0, SEEK_END), 0);
		len = ftell(f);
		assert_true(len >= 0);
		rewind(f);
		buf = malloc((size_t)len + 1);
		assert_non_null(buf);
		assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
		fclose(f);
		/* The harness aborts (failing this test) on a broken property. */
		assert_int_equal(fn(buf, (size_t)len), 0);
		free(buf);
		free(names[i]);
	}
	return n;
}

/* Seeds must exist (an empty corpus would make this test vacuous);
 * regressions may not (yet). */
static void
replay(const char *name, fuzz_entry_fn fn)
{
	char dir[256];
	size_t seeds, regs;

	snprintf(dir, sizeof(dir), "fuzz/corpus/%s", name);
	seeds = replay_dir(dir, fn);
	snprintf(dir, sizeof(dir), "fuzz/regressions/%s", name);
	regs = replay_dir(dir, fn);
	printf("# %s: %zu seeds, %zu regression inputs replayed\n", name, seeds, regs);
	assert_true(seeds > 0);
}

#define REPLAY_TEST(name) \
	static void test_replay_##name(void **state) \
	{ \
		(void)state; \
		replay(#name, fuzz_##name##_one); \
	}

REPLAY_TEST(json_in)
REPLAY_TEST(form)
REPLAY_TEST(router)
REPLAY_TEST(pubkey)
REPLAY_TEST(sigverify)
REPLAY_TEST(encoding)
REPLAY_TEST(jws)
REPLAY_TEST(authz)
REPLAY_TEST(config)
REPLAY_TEST(keydesc)
REPLAY_TEST(appattest)
REPLAY_TEST(secrets)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replay_json_in),
		cmocka_unit_test(test_replay_form),
		cmocka_unit_test(test_replay_router),
		cmocka_unit_test(test_replay_pubkey),
		cmocka_unit_test(test_replay_sigverify),
		cmocka_unit_test(test_replay_encoding),
		cmocka_unit_test(test_replay_jws),
		cmocka_unit_test(test_replay_authz),
		cmocka_unit_test(test_replay_config),
		cmocka_unit_test(test_replay_keydesc),
		cmocka_unit_test(test_replay_appattest),
		cmocka_unit_test(test_replay_secrets),
	};

	/* Before anything allocates through OpenSSL. */
	alloc_fail_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
