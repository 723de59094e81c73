/*
 * test_metrics.c - the per-stage request histograms of src/common/metrics.c
 * as /metrics renders them: bucket placement at the bounds, cumulative
 * buckets ending in +Inf == _count, _sum, stages that did not happen left
 * out, labels escaped, slots out of range ignored, and counts that add up
 * when several threads observe at once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/metrics.h"

/* The value of the sample line starting with `prefix` (up to the space
 * before the value) in `text`; -1 when absent. */
static double
sample(const char *text, const char *prefix)
{
	size_t n = strlen(prefix);
	const char *p = text;

	while ((p = strstr(p, prefix)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return strtod(p + n + 1, NULL);
		p += n;
	}
	return -1;
}

#define S "bioauth_http_request_stage_seconds"

static void
test_buckets_and_sum(void **state)
{
	double v[METRICS_N_STAGES] = { 0.00005, 0.0002, 0.001, -1, 20, -1, -1 };
	char *text;

	(void)state;
	metrics_observe_stages(3, "/t/one", "POST", v);
	v[MS_QUEUE] = 0.003;
	v[MS_STORE_WAIT] = 0.04;
	v[MS_RESUME] = 0.0001;
	metrics_observe_stages(3, "/t/one", "POST", v);
	text = metrics_render();
	assert_non_null(text);
	assert_non_null(strstr(text, "# TYPE " S " histogram\n"));
	/* A value on a bound is counted in that bound's bucket (le). */
	assert_true(sample(text, S "_bucket{route=\"/t/one\",method=\"POST\","
	                   "stage=\"queue\",le=\"5e-05\"}") == 1);
	assert_true(sample(text, S "_bucket{route=\"/t/one\",method=\"POST\","
	                   "stage=\"queue\",le=\"0.0025\"}") == 1);
	assert_true(sample(text, S "_bucket{route=\"/t/one\",method=\"POST\","
	                   "stage=\"queue\",le=\"0.005\"}") == 2);
	assert_true(sample(text, S "_bucket{route=\"/t/one\",method=\"POST\","
	                   "stage=\"queue\",le=\"+Inf\"}") == 2);
	assert_true(sample(text, S "_count{route=\"/t/one\",method=\"POST\","
	                   "stage=\"queue\"}") == 2);
	assert_float_equal(sample(text, S "_sum{route=\"/t/one\",method=\"POST\","
	                          "stage=\"queue\"}"), 0.00305, 1e-8);
	/* Past the largest bound: only in +Inf. */
	assert_true(sample(text, S "_bucket{route=\"/t/one\",method=\"POST\","
	                   "stage=\"reply\",le=\"10\"}") == 0);
	assert_true(sample(text, S "_bucket{route=\"/t/one\",method=\"POST\","
	                   "stage=\"reply\",le=\"+Inf\"}") == 2);
	/* The store wait happened once: one observation, not two. */
	assert_true(sample(text, S "_count{route=\"/t/one\",method=\"POST\","
	                   "stage=\"store_wait\"}") == 1);
	assert_true(sample(text, S "_bucket{route=\"/t/one\",method=\"POST\","
	                   "stage=\"resume\",le=\"0.0001\"}") == 1);
	free(text);
}

static void
test_stage_never_seen_is_absent(void **state)
{
	double v[METRICS_N_STAGES] = { 0.001, 0.001, 0.001, -1, 0.001, -1, -1 };
	char *text;

	(void)state;
	metrics_observe_stages(4, "/t/two", "GET", v);
	text = metrics_render();
	assert_non_null(text);
	assert_true(sample(text, S "_count{route=\"/t/two\",method=\"GET\","
	                   "stage=\"handler_cpu\"}") == 1);
	assert_null(strstr(text, "route=\"/t/two\",method=\"GET\",stage=\"store_wait\""));
	free(text);
}

static void
test_labels(void **state)
{
	double v[METRICS_N_STAGES] = { 0.001, -1, -1, -1, -1, -1, -1 };
	char *text;

	(void)state;
	/* The label is taken on the slot's first use; later names do not
	 * relabel it. Quotes are escaped; unknown methods are OTHER; NULL
	 * (no route matched) is "any". */
	metrics_observe_stages(5, "/t/\"q\"", "BREW", v);
	metrics_observe_stages(5, "/t/else", "GET", v);
	metrics_observe_stages(METRICS_STAGE_SLOTS - 1, "unmatched", NULL, v);
	metrics_observe_stages(METRICS_STAGE_SLOTS, "/t/out", "GET", v);
	text = metrics_render();
	assert_non_null(text);
	assert_true(sample(text, S "_count{route=\"/t/\\\"q\\\"\",method=\"OTHER\","
	                   "stage=\"queue\"}") == 2);
	assert_null(strstr(text, "/t/else"));
	assert_true(sample(text, S "_count{route=\"unmatched\",method=\"any\","
	                   "stage=\"queue\"}") == 1);
	assert_null(strstr(text, "/t/out"));
	free(text);
}

#define THREADS 4
#define PER_THREAD 20000

static void *
hammer(void *arg)
{
	double v[METRICS_N_STAGES] = { 0.0001, 0.001, 0.01, 0.1, 1, 0.5, 0.002 };

	(void)arg;
	for (int i = 0; i < PER_THREAD; i++)
		metrics_observe_stages(6, "/t/many", "POST", v);
	return NULL;
}

static void
test_concurrent_counts_add_up(void **state)
{
	pthread_t t[THREADS];
	char *text;
	int i;

	(void)state;
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hammer, NULL), 0);
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	text = metrics_render();
	assert_non_null(text);
	assert_true(sample(text, S "_count{route=\"/t/many\",method=\"POST\","
	                   "stage=\"reply\"}") == THREADS * PER_THREAD);
	assert_true(sample(text, S "_bucket{route=\"/t/many\",method=\"POST\","
	                   "stage=\"store_wait\",le=\"0.1\"}") == THREADS * PER_THREAD);
	assert_true(sample(text, S "_bucket{route=\"/t/many\",method=\"POST\","
	                   "stage=\"store_wait\",le=\"0.05\"}") == 0);
	assert_float_equal(sample(text, S "_sum{route=\"/t/many\",method=\"POST\","
	                          "stage=\"reply\"}"), THREADS * PER_THREAD, 1e-3);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buckets_and_sum),
		cmocka_unit_test(test_stage_never_seen_is_absent),
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_concurrent_counts_add_up),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
