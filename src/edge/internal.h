/*
 * internal.h - what the edge's files share: the request and server structs
 * and the steps of one request. Nothing outside src/edge/ includes this.
 *
 * Life of a request (server.c drives it):
 *   1. uri callback: req_new() as soon as MHD has read the request line.
 *   2. first access-handler call (headers read): begin() checks the
 *      head size, the path and route (router.c), Content-Length against the
 *      body limit and the Content-Type; any failure is replied at once.
 *   3. body chunks: req_body_append() (capped).
 *   4. last call: the body is parsed (JSON or form), the handler runs.
 *   5. the handler replied -> queued; or it called req_submit() -> the
 *      connection is suspended and the write submitted; the store's done
 *      callback resumes it and the continuation runs in step 4 again.
 *   6. completed callback: access log line, metrics, req_free().
 */
#ifndef BIOAUTH_EDGE_INTERNAL_H
#define BIOAUTH_EDGE_INTERNAL_H

#include <microhttpd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include "common/config.h"
#include "common/metrics.h"
#include "edge/form.h"
#include "edge/http.h"

#define REQ_MAX_PARAMS 8      /* {name} segments per route */
#define REQ_MAX_SEGMENTS 16   /* path segments */
#define REQ_MAX_EXTRA_HEADERS 8

enum req_phase {
	PH_CREATED = 0,  /* request line read, headers not yet seen */
	PH_BODY,         /* headers accepted, reading the body */
	PH_SUSPENDED,    /* waiting for a store write */
	PH_RESUMED,      /* the write is done; the continuation is due */
	PH_REPLIED,      /* response queued */
};

struct http_server {
	const struct config *cfg;
	struct store *store;        /* where req_submit() sends writes */
	struct bioauth_ctx *ctx;    /* the handlers' context, opaque here */
	struct MHD_Daemon *daemon;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned long inflight;     /* requests between uri and completed cb */
	atomic_ulong suspended;     /* requests waiting for the store */
	atomic_bool stopping;       /* replies carry Connection: close */
	atomic_bool closed;         /* drained: new requests get 503 at once */
	atomic_bool starting;       /* MHD log lines are errors while starting */
	bool tls;                   /* HTTPS (tls.c holds the certificate) */
	struct watchdog *watchdog;  /* read deadline of requests (watchdog.c) */
	struct workpool *pool;      /* CPU-heavy request work (workpool.c) */
	struct acceptor *acceptor;  /* listening socket (acceptor.c) */
};

struct req {
	struct http_server *srv;
	struct MHD_Connection *conn;
	struct timespec start;
	char id[17];
	char ip[INET6_ADDRSTRLEN];
	char *raw_path;              /* request target without the query */
	const char *method;          /* MHD's string, valid for the request */
	const struct route *route;   /* NULL until matched */
	bool oauth;                  /* /oidc route: errors in RFC 6749 shape */
	char *params[REQ_MAX_PARAMS];
	size_t nparams;

	char *body;
	size_t body_len, body_cap;
	size_t discarded;            /* bytes dropped after the limit */
	bool body_over;              /* the body exceeded the limit */
	json_t *json;
	bool json_from_form;         /* BODY_JSON route sent as a form */
	struct form *form;

	void *state;
	void (*state_free)(void *);

	struct { char *name, *value; } extra[REQ_MAX_EXTRA_HEADERS];
	size_t nextra;

	_Atomic int phase;           /* enum req_phase */
	struct MHD_Response *resp;   /* built by req_reply_*, queued by server.c */
	unsigned status;
	const char *error_code;      /* for the access log */
	bool replied;

	struct store_write *write;   /* req_submit() */
	int (*job)(void *);          /* req_defer() */
	void *job_arg;
	cont_fn cont;
	_Atomic int submit_rc;

	/* Stage clocks (metrics_observe_stages): CLOCK_MONOTONIC except the
	 * handler's thread CPU time; stage[] < 0 until the stage happens. */
	struct timespec t_first;     /* first handler call */
	struct timespec t_suspend;   /* last suspension for the store */
	struct timespec t_done;      /* its done callback (store thread) */
	struct timespec t_queued;    /* response queued */
	double stage[METRICS_N_STAGES];
	bool counted;                /* in bioauth_http_requests_total */
};

/* request.c */
struct req *req_new(struct http_server *srv, struct MHD_Connection *conn,
                    const char *uri);
void req_free(struct req *r);
/* Appends a body chunk, or counts it as discarded past the limit (or for
 * routes without a body). Returns false when the client keeps sending far
 * past the limit and the connection should be dropped. */
bool req_body_append(struct req *r, const char *data, size_t len);
/* Parses the accumulated body for BODY_JSON / BODY_FORM routes; replies with
 * the error itself and returns false on failure. */
bool req_parse_body(struct req *r);
/* Checks header size, duplicate headers, Content-Length and Content-Type
 * (the route is already matched); replies and returns false on failure. */
bool req_check_head(struct req *r);

/* router.c: matches r->raw_path and r->method against api_routes; sets
 * r->route and r->params, or replies 400/404/405 and returns false. */
bool router_match(struct req *r);

/* reply.c: an error reply in the shape of the route (JSON or OAuth). */
void req_reply_edge_error(struct req *r, int err, const char *message);

#endif
