/*
 * metrics.c - process-wide counters and histograms, rendered in the
 * Prometheus text exposition format 0.0.4.
 *
 * Everything lives in fixed-size static tables guarded by one mutex: a
 * request is one short critical section, so contention stays negligible next
 * to the work a request does. Label values come from bounded sets (routing
 * table patterns, a fixed list of methods, status codes); when a table is
 * full, further series fold into one "overflow" series instead of growing.
 *
 * The per-stage histograms are taken on every request and stay out of that
 * mutex: a fixed table indexed by the routing-table row, updated with
 * relaxed atomic additions (about ten per request), read without stopping
 * writers (a scrape may see a request's stages partly counted).
 *
 * Metrics:
 *   bioauth_http_requests_total{route,method,status}        counter
 *   bioauth_http_request_duration_seconds{route}            histogram
 *   bioauth_http_request_stage_seconds{route,method,stage}  histogram
 *   bioauth_store_commit_duration_seconds                   histogram
 *   bioauth_store_commit_batch_size                         histogram
 *   bioauth_store_commits_total, bioauth_store_writes_total counter
 *   process_start_time_seconds                              gauge
 */
#include "common/metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define LABEL_MAX 96          /* longest stored route label (truncated) */
#define MAX_REQ_SERIES 512    /* (route, method, status) triples */
#define MAX_ROUTES 128        /* routes with a latency histogram */
#define RENDER_CAP (4u << 20) /* the rendered page never exceeds 4 MiB */

/* Request latency buckets (seconds): the Prometheus client defaults. */
static const double lat_bounds[] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};
static const char *const lat_labels[] = {
	"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5",
	"5", "10",
};
#define N_LAT (sizeof(lat_bounds) / sizeof(lat_bounds[0]))

/* Commit latency buckets: an fsync costs from ~0.1 ms to tens of ms. */
static const double commit_bounds[] = {
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
	0.1, 0.25, 0.5, 1, 2.5,
};
static const char *const commit_labels[] = {
	"0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01",
	"0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5",
};
#define N_COMMIT (sizeof(commit_bounds) / sizeof(commit_bounds[0]))

/* Writes per commit. */
static const double batch_bounds[] = { 1, 2, 4, 8, 16, 32, 64, 128, 256, 512 };
static const char *const batch_labels[] = {
	"1", "2", "4", "8", "16", "32", "64", "128", "256", "512",
};
#define N_BATCH (sizeof(batch_bounds) / sizeof(batch_bounds[0]))

/* Stage buckets (seconds): from 50 us (a parse, a handler's CPU) to the
 * seconds of a stalled request, dense around a millisecond. */
static const double stage_bounds[] = {
	0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
	0.05, 0.1, 0.25, 0.5, 1, 2.5, 10,
};
static const char *const stage_labels[] = {
	"5e-05", "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005",
	"0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "10",
};
#define N_STAGE_B (sizeof(stage_bounds) / sizeof(stage_bounds[0]))

static const char *const stage_names[METRICS_N_STAGES] = {
	"queue", "read_parse", "handler_cpu", "store_wait", "reply", "accept",
	"resume",
};

/* Methods are client-chosen strings; anything else is counted as OTHER. */
static const char *const methods[] = {
	"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "OTHER",
};
#define N_METHODS (sizeof(methods) / sizeof(methods[0]))

struct hist {
	unsigned long long buckets[16]; /* non-cumulative counts per bound */
	unsigned long long count;
	double sum;
};

struct req_series {
	char route[LABEL_MAX];
	unsigned method;   /* index into methods[] */
	unsigned status;
	unsigned long long count;
};

struct route_hist {
	char route[LABEL_MAX];
	struct hist h;
};

/* Stage histograms: buckets[N_STAGE_B] is +Inf; the count is their sum. */
struct stage_hist {
	atomic_ullong buckets[N_STAGE_B + 1];
	atomic_ullong sum_ns;
};

enum { SLOT_EMPTY = 0, SLOT_READY };

struct stage_slot {
	atomic_int state;             /* SLOT_*: labels written once */
	char route[LABEL_MAX];
	char method[8];
	struct stage_hist h[METRICS_N_STAGES];
};

static struct stage_slot stage_slots[METRICS_STAGE_SLOTS];

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct req_series req_series[MAX_REQ_SERIES];
static size_t n_req_series;
static struct route_hist route_hists[MAX_ROUTES];
static size_t n_route_hists;
static struct hist commit_hist;
static struct hist batch_hist;
static unsigned long long commits_total, writes_total;
static double start_time;

/* Records the process start; runs before main() (metrics.o is always linked
 * into bioauthd because the edge and the store call into it). */
__attribute__((constructor)) static void
metrics_init(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	start_time = (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static void
hist_add(struct hist *h, const double *bounds, size_t n, double v)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (v <= bounds[i]) {
			h->buckets[i]++;
			break;
		}
	}
	h->count++;
	h->sum += v;
}

static unsigned
method_index(const char *m)
{
	unsigned i;

	for (i = 0; m != NULL && i + 1 < N_METHODS; i++)
		if (strcmp(m, methods[i]) == 0)
			return i;
	return (unsigned)N_METHODS - 1;
}

/* Copies `route` into a fixed label buffer, "unmatched" when NULL. */
static void
route_copy(char dst[LABEL_MAX], const char *route)
{
	if (route == NULL || route[0] == '\0')
		route = "unmatched";
	snprintf(dst, LABEL_MAX, "%s", route);
}

void
metrics_observe_request(const char *route, const char *method,
                        unsigned status, double seconds)
{
	char label[LABEL_MAX];
	unsigned m = method_index(method);
	size_t i;

	if (!(seconds >= 0))
		seconds = 0;
	route_copy(label, route);
	pthread_mutex_lock(&mu);
	for (i = 0; i < n_req_series; i++) {
		struct req_series *s = &req_series[i];
		if (s->method == m && s->status == status &&
		    strcmp(s->route, label) == 0)
			break;
	}
	if (i == n_req_series) {
		/* The last slot is kept for the "overflow" series. */
		if (n_req_series < MAX_REQ_SERIES - 1) {
			memcpy(req_series[i].route, label, sizeof(label));
			req_series[i].method = m;
			req_series[i].status = status;
			n_req_series++;
		} else {
			i = MAX_REQ_SERIES - 1;
			if (n_req_series < MAX_REQ_SERIES) {
				snprintf(req_series[i].route, LABEL_MAX, "overflow");
				req_series[i].method = (unsigned)N_METHODS - 1;
				req_series[i].status = 0;
				n_req_series = MAX_REQ_SERIES;
			}
		}
	}
	req_series[i].count++;

	for (i = 0; i < n_route_hists; i++)
		if (strcmp(route_hists[i].route, label) == 0)
			break;
	if (i == n_route_hists) {
		if (n_route_hists < MAX_ROUTES - 1) {
			memcpy(route_hists[i].route, label, sizeof(label));
			n_route_hists++;
		} else {
			i = MAX_ROUTES - 1;
			if (n_route_hists < MAX_ROUTES) {
				snprintf(route_hists[i].route, LABEL_MAX, "overflow");
				n_route_hists = MAX_ROUTES;
			}
		}
	}
	hist_add(&route_hists[i].h, lat_bounds, N_LAT, seconds);
	pthread_mutex_unlock(&mu);
}

/* Labels `slot` on its first use. The first request takes the mutex once
 * to write the labels; a request racing it waits for them rather than
 * dropping its observation, so counts add up from the first request on. */
static void
slot_label(struct stage_slot *sl, const char *route, const char *method)
{
	if (atomic_load_explicit(&sl->state, memory_order_acquire) == SLOT_READY)
		return;
	pthread_mutex_lock(&mu);
	if (atomic_load_explicit(&sl->state, memory_order_relaxed) != SLOT_READY) {
		route_copy(sl->route, route);
		snprintf(sl->method, sizeof(sl->method), "%s",
		         method != NULL ? methods[method_index(method)] : "any");
		atomic_store_explicit(&sl->state, SLOT_READY,
		                      memory_order_release);
	}
	pthread_mutex_unlock(&mu);
}

void
metrics_observe_stages(unsigned slot, const char *route, const char *method,
                       const double secs[METRICS_N_STAGES])
{
	struct stage_slot *sl;
	size_t st, i;

	if (slot >= METRICS_STAGE_SLOTS)
		return;
	sl = &stage_slots[slot];
	slot_label(sl, route, method);
	for (st = 0; st < METRICS_N_STAGES; st++) {
		double v = secs[st];

		if (!(v >= 0))
			continue;   /* the stage did not happen (or NaN) */
		for (i = 0; i < N_STAGE_B && v > stage_bounds[i]; i++)
			;
		atomic_fetch_add_explicit(&sl->h[st].buckets[i], 1,
		                          memory_order_relaxed);
		atomic_fetch_add_explicit(&sl->h[st].sum_ns,
		                          v < 1e9 ? (unsigned long long)(v * 1e9) : 0,
		                          memory_order_relaxed);
	}
}

void
metrics_observe_commit(double seconds, size_t batch)
{
	if (!(seconds >= 0))
		seconds = 0;
	pthread_mutex_lock(&mu);
	hist_add(&commit_hist, commit_bounds, N_COMMIT, seconds);
	hist_add(&batch_hist, batch_bounds, N_BATCH, (double)batch);
	commits_total++;
	writes_total += batch;
	pthread_mutex_unlock(&mu);
}

void
metrics_commit_totals(unsigned long long *commits, unsigned long long *writes)
{
	pthread_mutex_lock(&mu);
	if (commits != NULL)
		*commits = commits_total;
	if (writes != NULL)
		*writes = writes_total;
	pthread_mutex_unlock(&mu);
}

/* --- rendering --- */

/* A growable output buffer; `failed` latches on allocation failure or when
 * the cap is reached, after which appends are ignored. */
struct out {
	char *buf;
	size_t len, cap;
	int failed;
};

static void
out_reserve(struct out *o, size_t more)
{
	size_t ncap;
	char *nb;

	if (o->failed)
		return;
	if (more > RENDER_CAP || o->len > RENDER_CAP - more) {
		o->failed = 1;
		return;
	}
	if (o->len + more + 1 <= o->cap)
		return;
	ncap = o->cap ? o->cap : 4096;
	while (ncap < o->len + more + 1)
		ncap *= 2;
	nb = realloc(o->buf, ncap);
	if (nb == NULL) {
		o->failed = 1;
		return;
	}
	o->buf = nb;
	o->cap = ncap;
}

__attribute__((format(printf, 2, 3))) static void
out_printf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->failed)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		o->failed = 1;
		return;
	}
	out_reserve(o, (size_t)n);
	if (o->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	o->len += (size_t)n;
}

/* Escapes a label value per the text format: backslash, double quote and
 * line feed. Writes into `dst` (NUL-terminated, truncated to dstlen). */
static void
label_escape(char *dst, size_t dstlen, const char *src)
{
	size_t j = 0;

	for (; *src != '\0' && j + 3 < dstlen; src++) {
		char c = *src;
		if (c == '\\' || c == '"') {
			dst[j++] = '\\';
			dst[j++] = c;
		} else if (c == '\n') {
			dst[j++] = '\\';
			dst[j++] = 'n';
		} else {
			dst[j++] = c;
		}
	}
	dst[j] = '\0';
}

/* Renders one histogram: cumulative _bucket lines, +Inf, _sum, _count.
 * `labels` is either "" or `key="value",` (trailing comma). */
static void
render_hist(struct out *o, const char *name, const char *labels,
            const struct hist *h, const char *const *bounds, size_t n)
{
	unsigned long long cum = 0;
	size_t i;
	size_t ll = strlen(labels);
	/* labels without the trailing comma, for _sum/_count */
	int trim = ll > 0 ? (int)(ll - 1) : 0;

	for (i = 0; i < n; i++) {
		cum += h->buckets[i];
		out_printf(o, "%s_bucket{%sle=\"%s\"} %llu\n", name, labels,
		           bounds[i], cum);
	}
	out_printf(o, "%s_bucket{%sle=\"+Inf\"} %llu\n", name, labels, h->count);
	if (ll > 0) {
		out_printf(o, "%s_sum{%.*s} %.9g\n", name, trim, labels, h->sum);
		out_printf(o, "%s_count{%.*s} %llu\n", name, trim, labels, h->count);
	} else {
		out_printf(o, "%s_sum %.9g\n", name, h->sum);
		out_printf(o, "%s_count %llu\n", name, h->count);
	}
}

/* Renders the stage histograms of every labelled slot (stages with at
 * least one observation). The count is the sum of the buckets read, so
 * +Inf always equals _count even while requests are being counted. */
static void
render_stages(struct out *o)
{
	char esc[LABEL_MAX * 2 + 16];
	size_t s, st, i;

	out_printf(o, "# HELP bioauth_http_request_stage_seconds Time of each "
	           "stage of a request: queue (request line read to first "
	           "handler call), read_parse (body read and parsed), "
	           "handler_cpu (thread CPU of the handler), store_wait "
	           "(suspended until the store's done callback), resume "
	           "(done callback to continuation), reply (response queued to "
	           "request completed), accept (connection accepted to the "
	           "first handler call of its first request).\n"
	           "# TYPE bioauth_http_request_stage_seconds histogram\n");
	for (s = 0; s < METRICS_STAGE_SLOTS; s++) {
		const struct stage_slot *sl = &stage_slots[s];

		if (atomic_load_explicit(&sl->state, memory_order_acquire) != SLOT_READY)
			continue;
		label_escape(esc, sizeof(esc), sl->route);
		for (st = 0; st < METRICS_N_STAGES; st++) {
			unsigned long long b[N_STAGE_B + 1], cum = 0, sum_ns;

			for (i = 0; i <= N_STAGE_B; i++)
				b[i] = atomic_load_explicit(&sl->h[st].buckets[i],
				                            memory_order_relaxed);
			sum_ns = atomic_load_explicit(&sl->h[st].sum_ns,
			                              memory_order_relaxed);
			for (i = 0; i <= N_STAGE_B; i++)
				cum += b[i];
			if (cum == 0)
				continue;
			cum = 0;
			for (i = 0; i <= N_STAGE_B; i++) {
				cum += b[i];
				out_printf(o, "bioauth_http_request_stage_seconds_bucket"
				           "{route=\"%s\",method=\"%s\",stage=\"%s\","
				           "le=\"%s\"} %llu\n", esc, sl->method,
				           stage_names[st],
				           i < N_STAGE_B ? stage_labels[i] : "+Inf", cum);
			}
			out_printf(o, "bioauth_http_request_stage_seconds_sum"
			           "{route=\"%s\",method=\"%s\",stage=\"%s\"} %.9g\n",
			           esc, sl->method, stage_names[st], (double)sum_ns / 1e9);
			out_printf(o, "bioauth_http_request_stage_seconds_count"
			           "{route=\"%s\",method=\"%s\",stage=\"%s\"} %llu\n",
			           esc, sl->method, stage_names[st], cum);
		}
	}
}

char *
metrics_render(void)
{
	struct out o = { 0 };
	char esc[LABEL_MAX * 2 + 16];
	char labels[LABEL_MAX * 2 + 32];
	size_t i;

	pthread_mutex_lock(&mu);

	out_printf(&o, "# HELP bioauth_http_requests_total HTTP requests "
	           "served, by route pattern, method and status.\n"
	           "# TYPE bioauth_http_requests_total counter\n");
	for (i = 0; i < n_req_series; i++) {
		const struct req_series *s = &req_series[i];
		label_escape(esc, sizeof(esc), s->route);
		out_printf(&o, "bioauth_http_requests_total{route=\"%s\","
		           "method=\"%s\",status=\"%u\"} %llu\n",
		           esc, methods[s->method], s->status, s->count);
	}

	out_printf(&o, "# HELP bioauth_http_request_duration_seconds Time "
	           "from request line read to response queued.\n"
	           "# TYPE bioauth_http_request_duration_seconds histogram\n");
	for (i = 0; i < n_route_hists; i++) {
		label_escape(esc, sizeof(esc), route_hists[i].route);
		snprintf(labels, sizeof(labels), "route=\"%s\",", esc);
		render_hist(&o, "bioauth_http_request_duration_seconds", labels,
		            &route_hists[i].h, lat_labels, N_LAT);
	}

	render_stages(&o);

	out_printf(&o, "# HELP bioauth_store_commit_duration_seconds Time "
	           "of one store commit (including fsync when durable).\n"
	           "# TYPE bioauth_store_commit_duration_seconds histogram\n");
	render_hist(&o, "bioauth_store_commit_duration_seconds", "",
	            &commit_hist, commit_labels, N_COMMIT);

	out_printf(&o, "# HELP bioauth_store_commit_batch_size Writes "
	           "shared by one store commit.\n"
	           "# TYPE bioauth_store_commit_batch_size histogram\n");
	render_hist(&o, "bioauth_store_commit_batch_size", "",
	            &batch_hist, batch_labels, N_BATCH);

	out_printf(&o, "# HELP bioauth_store_commits_total Store commits.\n"
	           "# TYPE bioauth_store_commits_total counter\n"
	           "bioauth_store_commits_total %llu\n", commits_total);
	out_printf(&o, "# HELP bioauth_store_writes_total Store writes "
	           "committed.\n"
	           "# TYPE bioauth_store_writes_total counter\n"
	           "bioauth_store_writes_total %llu\n", writes_total);

	out_printf(&o, "# HELP process_start_time_seconds Start time of the "
	           "process since unix epoch in seconds.\n"
	           "# TYPE process_start_time_seconds gauge\n"
	           "process_start_time_seconds %.3f\n", start_time);

	pthread_mutex_unlock(&mu);

	if (o.failed) {
		free(o.buf);
		return NULL;
	}
	return o.buf;
}
