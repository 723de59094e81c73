/*
 * server.c - the libmicrohttpd daemon and the life of one request.
 *
 * MHD runs a pool of cfg->threads polling threads (epoll where available);
 * each connection stays on one thread, and handlers run on it. A handler
 * that submits a store write does not block that thread: the connection is
 * suspended (MHD_suspend_connection) *before* the write is submitted, so the
 * store's done callback - which may fire on the store's thread at any time,
 * even before the handler's thread has returned to MHD - can always resume
 * it; MHD processes the resume only after the access handler returns, and
 * then calls it again, where the continuation runs.
 *
 * Connections are accepted by acceptor.c, which spreads them over the pool.
 *
 * Shutdown: quiesce (no new connections), answer with Connection: close,
 * wait until the in-flight requests are done (bounded; requests waiting for
 * the store are always waited for, since stopping MHD with a suspended
 * connection is undefined), then stop the daemon.
 */
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"
#include "common/metrics.h"
#include "edge/acceptor.h"
#include "edge/internal.h"
#include "edge/tls.h"
#include "edge/watchdog.h"
#include "edge/workpool.h"

/* libmicrohttpd's threading model, chosen at build time (CPPFLAGS=
 * -DEDGE_MHD_MODE=N): 0, a pool of cfg->threads threads each polling its
 * connections with epoll (the default: docs/PERFORMANCE.md has the side by
 * side figures); 1, the same pool polling with poll(); 2, one thread per
 * connection. */
#ifndef EDGE_MHD_MODE
#define EDGE_MHD_MODE 0
#endif

/* A request must arrive within this many connection timeouts (slowloris). */
#define READ_DEADLINE_FACTOR 4
/* Password hashes waiting per pool thread before new ones get 429: about
 * a second of Argon2id work, so a guessing flood is shed, not queued. */
#define WORK_QUEUE_PER_THREAD 16

#define STOP_GRACE_SECONDS 10
#define STOP_STORE_GRACE_SECONDS 60

/* Routes MHD's own diagnostics into the JSON log: errors while starting
 * (bind failures), debug noise afterwards (peer resets and the like). */
__attribute__((format(printf, 2, 0))) static void
mhd_logger(void *cls, const char *fmt, va_list ap)
{
	struct http_server *s = cls;
	char buf[512];
	size_t n;

	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	log_write(atomic_load(&s->starting) ? LOG_ERROR : LOG_DEBUG,
	          "libmicrohttpd", "detail", buf, NULL);
}

/* MHD has read a request line: create the request, so that every request,
 * even one MHD itself rejects later, gets a log line and is counted. */
static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct http_server *s = cls;
	struct req *r = req_new(s, conn, uri);

	if (r != NULL) {
		pthread_mutex_lock(&s->mu);
		s->inflight++;
		pthread_mutex_unlock(&s->mu);
	}
	return r;
}

/* a - b in seconds. */
static double
ts_sub(const struct timespec *a, const struct timespec *b)
{
	return (double)(a->tv_sec - b->tv_sec) +
	       (double)(a->tv_nsec - b->tv_nsec) / 1e9;
}

/* Seconds since `start` on the monotonic clock. */
static double
elapsed(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return ts_sub(&now, start);
}

/* The calling thread's CPU time in seconds. */
static double
thread_cpu(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Adds `v` seconds to stage `st` of the request (stages that happen more
 * than once, such as two store writes, add up). */
static void
stage_add(struct req *r, enum metrics_stage st, double v)
{
	if (v < 0)
		v = 0;
	r->stage[st] = r->stage[st] < 0 ? v : r->stage[st] + v;
}

/* Runs the route's handler or a continuation, adding the thread CPU time
 * it took to the request's handler stage. */
static void
run_timed(struct req *r, cont_fn cont)
{
	double c0 = thread_cpu();

	if (cont != NULL)
		cont(r, r->write, atomic_load(&r->submit_rc));
	else
		r->route->handler(r);
	stage_add(r, MS_HANDLER_CPU, thread_cpu() - c0);
}

/* Counts the request in bioauth_http_requests_total and its duration so
 * far, once: when its response is queued, so that a client that has its
 * answer finds it counted, or at completion if none was queued. */
static void
count_request(struct req *r)
{
	if (r->counted || r->method == NULL)
		return;
	r->counted = true;
	metrics_observe_request(req_route(r), r->method, r->status,
	                        elapsed(&r->start));
}

/* Queues the built response, or drops the connection if building failed. */
static enum MHD_Result
queue(struct req *r)
{
	enum MHD_Result ok;

	if (r->resp == NULL)
		return MHD_NO;
	clock_gettime(CLOCK_MONOTONIC, &r->t_queued);
	count_request(r);
	if (r->srv->tls)
		MHD_add_response_header(r->resp, "Strict-Transport-Security",
		                        TLS_HSTS);
	ok = MHD_queue_response(r->conn, r->status, r->resp);
	MHD_destroy_response(r->resp);
	r->resp = NULL;
	atomic_store(&r->phase, PH_REPLIED);
	return ok;
}

/* The store finished a submitted write; runs on a store thread. */
static void
on_store_done(struct store_write *w, int rc, void *arg)
{
	struct req *r = arg;

	(void)w;
	/* Read by the worker after the resume below (MHD's lock orders it). */
	clock_gettime(CLOCK_MONOTONIC, &r->t_done);
	atomic_store(&r->submit_rc, rc);
	atomic_store(&r->phase, PH_RESUMED);
	atomic_fetch_sub(&r->srv->suspended, 1);
	MHD_resume_connection(r->conn);
}

/* A deferred job finished; runs on a work-pool thread. */
static void
on_job_done(int rc, void *arg)
{
	struct req *r = arg;

	on_store_done(NULL, rc, r);
}

/* After a handler or continuation returned: queue its reply, or suspend
 * and submit its write or job, or - if it did neither - answer 500. */
static enum MHD_Result
after_handler(struct req *r)
{
	struct store *st = r->srv->store;
	int rc;

	if (r->replied) {
		if (r->cont != NULL) {
			log_write(LOG_ERROR, "handler replied and submitted (bug)",
			          "req_id", r->id, "route", req_route(r), NULL);
			r->cont = NULL;
		}
		return queue(r);
	}
	if (r->cont == NULL) {
		log_write(LOG_ERROR, "handler returned without a reply (bug)",
		          "req_id", r->id, "route", req_route(r), NULL);
		req_reply_error(r, BA_ERR_INTERNAL, NULL);
		return queue(r);
	}
	if (st == NULL && r->job == NULL) {
		r->cont = NULL;
		req_reply_error(r, BA_ERR_STORE_UNAVAILABLE, NULL);
		return queue(r);
	}
	/* Count first, then look at `closed` (http_server_stop does the
	 * opposite), so a stop either sees this request or refuses it. */
	atomic_fetch_add(&r->srv->suspended, 1);
	if (atomic_load(&r->srv->closed)) {
		atomic_fetch_sub(&r->srv->suspended, 1);
		r->cont = NULL;
		req_reply_error(r, BA_ERR_STORE_UNAVAILABLE, NULL);
		return queue(r);
	}
	/* Suspend first: the done callback may run before submit returns. */
	clock_gettime(CLOCK_MONOTONIC, &r->t_suspend);
	atomic_store(&r->phase, PH_SUSPENDED);
	MHD_suspend_connection(r->conn);
	if (r->job != NULL) {
		int (*job)(void *) = r->job;

		r->job = NULL;
		rc = workpool_submit(r->srv->pool, job, r->job_arg, on_job_done, r);
		if (rc != BA_OK)
			on_job_done(rc, r);      /* not queued: resume ourselves */
		return MHD_YES;
	}
	rc = store_submit(st, r->write, on_store_done, r);
	if (rc != BA_OK)
		on_store_done(r->write, rc, r);  /* not queued: resume ourselves */
	return MHD_YES;
}

void
req_submit(struct req *r, struct store_write *w, cont_fn cont)
{
	if (r->replied || r->cont != NULL || cont == NULL || w == NULL) {
		log_write(LOG_ERROR, "invalid req_submit (bug)", "req_id", r->id,
		          "route", req_route(r), NULL);
		if (!r->replied)
			req_reply_error(r, BA_ERR_INTERNAL, NULL);
		return;
	}
	r->write = w;
	r->cont = cont;
}

void
req_defer(struct req *r, int (*fn)(void *), void *arg, cont_fn cont)
{
	if (r->replied || r->cont != NULL || cont == NULL || fn == NULL) {
		log_write(LOG_ERROR, "invalid req_defer (bug)", "req_id", r->id,
		          "route", req_route(r), NULL);
		if (!r->replied)
			req_reply_error(r, BA_ERR_INTERNAL, NULL);
		return;
	}
	r->write = NULL;
	r->job = fn;
	r->job_arg = arg;
	r->cont = cont;
}

/* First call for a request: its headers are in. Routes and checks it;
 * returns false once a reply (an error) is ready. An HTTP/1.1 request
 * must carry Host (RFC 9112 3.2): without it, 400. */
static bool
begin(struct req *r, const char *method, const char *version)
{
	r->method = method;
	atomic_store(&r->phase, PH_BODY);
	if (atomic_load(&r->srv->closed)) {
		/* Shutdown has drained: no handler may start (and suspend). */
		req_reply_edge_error(r, BA_ERR_STORE_UNAVAILABLE,
		                     "server is shutting down");
		return false;
	}
	if (version != NULL && strcmp(version, MHD_HTTP_VERSION_1_1) == 0 &&
	    MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	                                MHD_HTTP_HEADER_HOST) == NULL) {
		req_reply_edge_error(r, BA_ERR_INVALID_REQUEST,
		                     "HTTP/1.1 request without Host");
		return false;
	}
	return router_match(r) && req_check_head(r);
}

/* True when the request announces a body (non-zero Content-Length or any
 * Transfer-Encoding). */
static bool
has_body(struct req *r)
{
	const char *cl = req_header(r, "Content-Length");

	if (req_header(r, "Transfer-Encoding") != NULL)
		return true;
	return cl != NULL && strspn(cl, "0") != strlen(cl);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url,
           const char *method, const char *version, const char *upload_data,
           size_t *upload_data_size, void **con_cls)
{
	struct req *r = *con_cls;
	cont_fn cont;
	bool ok;

	(void)cls;
	(void)url;      /* routing uses the raw target kept by on_uri */
	if (r == NULL)
		return MHD_NO;  /* on_uri failed to allocate: just close */
	if (atomic_load(&r->phase) == PH_CREATED) {
		struct timespec accepted;

		clock_gettime(CLOCK_MONOTONIC, &r->t_first);
		/* Queue: from the request line (MHD shows no earlier instant
		 * of a request on a kept-alive connection); a connection's
		 * first request also gets the time since the accept. */
		stage_add(r, MS_QUEUE, ts_sub(&r->t_first, &r->start));
		if (watchdog_first_request(conn, &accepted))
			stage_add(r, MS_ACCEPT, ts_sub(&r->t_first, &accepted));
		/* An early error on a request with a body is sent at once (MHD
		 * then skips the body and closes the connection); on a request
		 * without one it waits for the last call, keeping the
		 * connection alive. */
		if (!begin(r, method, version) && has_body(r))
			return queue(r);
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		bool keep = req_body_append(r, upload_data, *upload_data_size);
		*upload_data_size = 0;
		if (!keep) {
			r->status = 413;
			r->error_code = "payload_too_large";
			return MHD_NO;
		}
		return MHD_YES;
	}
	if (r->replied)
		return queue(r);  /* an early error held back by begin() */
	switch (atomic_load(&r->phase)) {
	case PH_BODY:
		watchdog_request_read(conn);
		ok = req_parse_body(r);
		stage_add(r, MS_READ_PARSE, elapsed(&r->t_first));
		if (!ok)
			return queue(r);
		run_timed(r, NULL);
		return after_handler(r);
	case PH_RESUMED:
		stage_add(r, MS_STORE_WAIT, ts_sub(&r->t_done, &r->t_suspend));
		stage_add(r, MS_RESUME, elapsed(&r->t_done));
		cont = r->cont;
		r->cont = NULL;
		atomic_store(&r->phase, PH_BODY);
		run_timed(r, cont);
		return after_handler(r);
	default:
		/* Suspended or replied: MHD should not call us; stay put. */
		return MHD_YES;
	}
}

/* The request is over (answered, or the connection closed): one access log
 * line, the metrics, and the request is freed. Never logs the path's query,
 * the body or any header value. */
static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
	static const char *const toes[] = {
		"completed", "error", "timeout", "shutdown", "read_error",
		"client_abort",
	};
	struct http_server *s = cls;
	struct req *r = *con_cls;
	char status[16], dur[32];
	double secs;

	watchdog_request_done(conn);
	if (r == NULL)
		return;
	*con_cls = NULL;
	secs = elapsed(&r->start);
	snprintf(dur, sizeof(dur), "%.3f", secs * 1000.0);
	snprintf(status, sizeof(status), "%u", r->status);
	log_write(r->status >= 500 || r->status == 0 ? LOG_WARN : LOG_INFO,
	          "request",
	          "req_id", r->id,
	          "method", r->method != NULL ? r->method : "-",
	          "route", req_route(r),
	          "status", r->status != 0 ? status : "0",
	          "duration_ms", dur,
	          "remote_ip", r->ip,
	          "error_code", r->error_code,
	          "end", toe != MHD_REQUEST_TERMINATED_COMPLETED_OK &&
	                 (size_t)toe < sizeof(toes) / sizeof(toes[0])
	                 ? toes[toe] : NULL,
	          "note", r->method == NULL
	                  ? "rejected by the HTTP parser (malformed request "
	                    "or head too large)" : NULL,
	          NULL);
	count_request(r);
	if (r->t_queued.tv_sec != 0 || r->t_queued.tv_nsec != 0)
		stage_add(r, MS_REPLY, elapsed(&r->t_queued));
	if (r->method != NULL)
		metrics_observe_stages(r->route != NULL
		                       ? (unsigned)(r->route - api_routes)
		                       : METRICS_STAGE_SLOTS - 1,
		                       req_route(r),
		                       r->route != NULL ? r->route->method : NULL,
		                       r->stage);
	req_free(r);
	pthread_mutex_lock(&s->mu);
	if (s->inflight > 0)
		s->inflight--;
	if (s->inflight == 0)
		pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

/* Resolves cfg->listen_host (an IP literal or a name) into `ss`. */
static int
resolve(const struct config *cfg, struct sockaddr_storage *ss,
        socklen_t *sslen)
{
	struct addrinfo hints = { 0 }, *res = NULL;
	char port[8];
	int e;

	snprintf(port, sizeof(port), "%u", cfg->listen_port);
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	e = getaddrinfo(cfg->listen_host, port, &hints, &res);
	if (e != 0 || res == NULL) {
		log_write(LOG_ERROR, "cannot resolve listen address",
		          "host", cfg->listen_host, "detail", gai_strerror(e), NULL);
		return BA_ERR_CONFIG;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sslen = res->ai_addrlen;
	freeaddrinfo(res);
	return BA_OK;
}

int
http_server_start(const struct config *cfg, struct store *store, struct bioauth_ctx *ctx,
                  struct http_server **out)
{
	struct http_server *s;
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	/* TLS: the certificate comes from tls.c in each handshake, so
	 * SIGHUP can replace it without restarting the daemon. */
	struct MHD_OptionItem tls_opts[] = {
		{ MHD_OPTION_HTTPS_CERT_CALLBACK, 0, (void *)tls_cert_callback },
		{ MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)TLS_PRIORITIES },
		{ MHD_OPTION_END, 0, NULL },
	};
	char why[512];
	unsigned flags;
	unsigned pool_size = (unsigned)(cfg->threads > 1 ? cfg->threads : 0);
	size_t mem;
	int r = BA_ERR_INTERNAL;

	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		return BA_ERR_NOMEM;
	s->cfg = cfg;
	s->store = store;
	s->ctx = ctx;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	atomic_store(&s->starting, true);

	r = resolve(cfg, &ss, &sslen);
	if (r != BA_OK)
		goto out;
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_ALLOW_SUSPEND_RESUME |
	        MHD_USE_ERROR_LOG | MHD_USE_NO_LISTEN_SOCKET;
#if EDGE_MHD_MODE == 2
	flags |= MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL;
	pool_size = 0;
#elif EDGE_MHD_MODE == 1
	flags |= MHD_USE_POLL;
#else
	if (MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES)
		flags |= MHD_USE_EPOLL;
	else
		flags |= MHD_USE_POLL;
#endif
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (cfg->tls_cert != NULL) {
		if (MHD_is_feature_supported(MHD_FEATURE_HTTPS_CERT_CALLBACK) != MHD_YES) {
			log_write(LOG_ERROR, "this libmicrohttpd has no TLS "
			          "certificate callback (GnuTLS 3)", NULL);
			r = BA_ERR_CONFIG;
			goto out;
		}
		if (tls_reload(cfg->tls_cert, cfg->tls_key, why, sizeof(why)) != BA_OK) {
			log_write(LOG_ERROR, "cannot load the TLS certificate",
			          "detail", why, NULL);
			r = BA_ERR_CONFIG;
			goto out;
		}
		s->tls = true;
		flags |= MHD_USE_TLS;
	}
	/* The pool holds the head plus the read and write buffers; the exact
	 * head limit is enforced in req_check_head with a JSON 431. */
	mem = cfg->header_limit * 2 + 8192;
	if (mem < 32768)
		mem = 32768;

	/* A request may trickle in for a few idle periods, not forever. */
	if ((r = watchdog_start(READ_DEADLINE_FACTOR * cfg->conn_timeout, &s->watchdog)) != BA_OK)
		goto out;
	if ((r = acceptor_open((struct sockaddr *)&ss, sslen, &s->acceptor)) != BA_OK) {
		log_write(LOG_ERROR, "cannot start the HTTP server",
		          "listen", cfg->listen_host, NULL);
		goto out;
	}
	if ((r = workpool_start(cfg->threads, WORK_QUEUE_PER_THREAD * (size_t)cfg->threads,
	                        &s->pool)) != BA_OK)
		goto out;
	s->daemon = MHD_start_daemon(flags, (uint16_t)cfg->listen_port, NULL, NULL,
		on_request, s,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, s, /* must come first */
		MHD_OPTION_THREAD_POOL_SIZE, pool_size,
		MHD_OPTION_CONNECTION_TIMEOUT, cfg->conn_timeout,
		MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->per_ip_connections,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, mem,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
		MHD_OPTION_NOTIFY_CONNECTION, watchdog_notify, s->watchdog,
		MHD_OPTION_ARRAY, s->tls ? tls_opts : &tls_opts[2],
		MHD_OPTION_END);
	if (s->daemon == NULL) {
		log_write(LOG_ERROR, "cannot start the HTTP server",
		          "listen", cfg->listen_host, NULL);
		r = BA_ERR_IO;
		goto out;
	}
	if ((r = acceptor_run(s->acceptor, s->daemon)) != BA_OK) {
		MHD_stop_daemon(s->daemon);
		goto out;
	}
	atomic_store(&s->starting, false);
	*out = s;
	s = NULL;
	r = BA_OK;
out:
	if (s != NULL) {
		if (s->tls)
			tls_unload_all();
		workpool_stop(s->pool);
		watchdog_stop(s->watchdog);
		acceptor_free(s->acceptor);
		pthread_cond_destroy(&s->cv);
		pthread_mutex_destroy(&s->mu);
		free(s);
	}
	return r;
}

/* Waits until no request is in flight, at most `seconds`; true if none. */
static bool
wait_idle(struct http_server *s, int seconds)
{
	struct timespec deadline;
	bool idle;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += seconds;
	pthread_mutex_lock(&s->mu);
	while (s->inflight > 0) {
		if (pthread_cond_timedwait(&s->cv, &s->mu, &deadline) == ETIMEDOUT)
			break;
	}
	idle = s->inflight == 0;
	pthread_mutex_unlock(&s->mu);
	return idle;
}

void
http_server_stop(struct http_server *s)
{
	char n[32];

	if (s == NULL)
		return;
	atomic_store(&s->stopping, true);
	acceptor_quiesce(s->acceptor);
	if (!wait_idle(s, STOP_GRACE_SECONDS)) {
		snprintf(n, sizeof(n), "%lu", atomic_load(&s->suspended));
		log_write(LOG_WARN, "shutdown: requests still in flight",
		          "waiting_for_store", n, NULL);
		/* Requests waiting for the store must be resumed before MHD
		 * stops; they finish when their commit does. Slow clients
		 * are simply disconnected by MHD_stop_daemon. */
		if (atomic_load(&s->suspended) > 0 &&
		    !wait_idle(s, STOP_STORE_GRACE_SECONDS) &&
		    atomic_load(&s->suspended) > 0) {
			log_write(LOG_ERROR, "shutdown: store writes never "
			          "finished; leaving the HTTP server running", NULL);
			return;
		}
	}
	/* A request that began on a kept-alive connection after the wait
	 * could still suspend; from here on none can start a handler, and
	 * one that started before is counted in `inflight`: wait for it. */
	atomic_store(&s->closed, true);
	if (!wait_idle(s, 1) && atomic_load(&s->suspended) > 0 &&
	    !wait_idle(s, STOP_STORE_GRACE_SECONDS) &&
	    atomic_load(&s->suspended) > 0) {
		log_write(LOG_ERROR, "shutdown: store writes never finished; "
		          "leaving the HTTP server running", NULL);
		return;
	}
	MHD_stop_daemon(s->daemon);
	if (s->tls)
		tls_unload_all();
	workpool_stop(s->pool);
	watchdog_stop(s->watchdog);
	acceptor_free(s->acceptor);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
}
