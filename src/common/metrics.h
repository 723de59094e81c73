/*
 * metrics.h - process-wide counters and histograms served at /metrics in the
 * Prometheus text format. All functions are thread-safe and never fail.
 */
#ifndef BIOAUTH_COMMON_METRICS_H
#define BIOAUTH_COMMON_METRICS_H

#include <stddef.h>

/* One finished HTTP request: `route` is the routing-table pattern (bounded
 * set, e.g. "/v1/users/{user_id}") or "unmatched". */
void metrics_observe_request(const char *route, const char *method,
                             unsigned status, double seconds);
/* One store commit shared by `batch` writes. */
void metrics_observe_commit(double seconds, size_t batch);
/* Renders every metric; returns a malloc'd NUL-terminated string or NULL. */
char *metrics_render(void);
/* Totals, for tests: commits and writes observed so far. */
void metrics_commit_totals(unsigned long long *commits, unsigned long long *writes);

#endif
