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
/* Stages of one request (server-side), see metrics_observe_stages. */
enum metrics_stage {
	MS_QUEUE = 0,     /* request line read -> first handler call */
	MS_READ_PARSE,    /* first handler call -> body read and parsed */
	MS_HANDLER_CPU,   /* thread CPU time of the handler and continuations */
	MS_STORE_WAIT,    /* connection suspended -> the store's (or work
	                   * pool's) done callback */
	MS_REPLY,         /* response queued -> request completed */
	MS_ACCEPT,        /* connection accepted -> first handler call of its
	                   * first request (includes the client's own delay
	                   * before sending it) */
	MS_RESUME,        /* done callback -> continuation called on a worker */
	METRICS_N_STAGES
};
/* Request slots with stage histograms: one per routing-table row, the
 * last one for requests that matched no route. */
#define METRICS_STAGE_SLOTS 64

/* One request's stage times in seconds; a negative time means the stage did
 * not happen (e.g. no store wait). `slot` is a small stable index per
 * (route, method) below METRICS_STAGE_SLOTS (others are ignored); `route`
 * and `method` (NULL: "any") label the slot the first time it is used.
 * Lock-free: a few relaxed atomic additions. */
void metrics_observe_stages(unsigned slot, const char *route, const char *method,
                            const double secs[METRICS_N_STAGES]);
/* Renders every metric; returns a malloc'd NUL-terminated string or NULL. */
char *metrics_render(void);
/* Totals, for tests: commits and writes observed so far. */
void metrics_commit_totals(unsigned long long *commits, unsigned long long *writes);

#endif
