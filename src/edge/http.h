/*
 * http.h - the HTTP edge: what an API handler sees of a request.
 *
 * The edge (libmicrohttpd, a worker pool sized to the cores) reads the
 * request, enforces limits, matches one route of the routing table
 * (src/api/routes.c), checks the Content-Type and parses the body before the
 * handler runs: JSON routes get a validated root object (UTF-8, no duplicate
 * keys, depth limit, must be an object; a body with no Content-Type is JSON,
 * and a form body becomes an object of strings), form routes get their
 * form-urlencoded parameters (a repeated parameter is a 400). Anything wrong
 * is answered by the edge itself with the JSON error of errmap.c.
 *
 * A handler runs on a worker thread and must end by replying (req_reply_*),
 * or by submitting one store write with req_submit(); the connection is then
 * suspended (no worker is held) until the write is durable, after which the
 * continuation runs on a worker thread and again replies or submits.
 */
#ifndef BIOAUTH_EDGE_HTTP_H
#define BIOAUTH_EDGE_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "store/store.h"

struct config;
struct req;
struct bioauth_ctx;   /* the handlers' context (src/api/ctx.h), opaque here */

typedef void (*handler_fn)(struct req *r);
typedef void (*cont_fn)(struct req *r, struct store_write *w, int rc);

enum route_body {
	BODY_NONE = 0,   /* body ignored */
	BODY_JSON,       /* application/json object, required */
	BODY_FORM,       /* application/x-www-form-urlencoded, required */
};

/* One row of the routing table. `pattern` segments written "{name}" match one
 * non-empty path segment (percent-decoded) and are read with req_param(). */
struct route {
	const char *method;
	const char *pattern;
	enum route_body body;
	handler_fn handler;
	bool trailing_slash;  /* "<pattern>/" reaches this route as well */
};

/* The routing table (src/api/routes.c), terminated by a zeroed row. */
extern const struct route api_routes[];

/* --- request --- */
struct bioauth_ctx *req_ctx(struct req *r);
const char *req_id(struct req *r);            /* request id, also in logs */
const char *req_method(struct req *r);
const char *req_path(struct req *r);
const char *req_route(struct req *r);         /* the matched pattern */
const char *req_param(struct req *r, size_t i); /* i-th {name} segment */
const char *req_header(struct req *r, const char *name); /* NULL if absent */
const char *req_remote_ip(struct req *r);
const char *req_body(struct req *r, size_t *len);
json_t *req_json(struct req *r);              /* BODY_JSON routes; borrowed */
/* True when a BODY_JSON route's body came as a form: req_json() is then an
 * object of strings, decoded with json_in_decode_form() (api_decode). */
bool req_json_from_form(struct req *r);
const char *req_form(struct req *r, const char *name); /* BODY_FORM; NULL if absent */

/* Per-request handler state kept across req_submit(); freed with free_fn
 * when the request ends. */
void req_set_state(struct req *r, void *state, void (*free_fn)(void *));
void *req_state(struct req *r);

/* --- replies (exactly one per request) --- */
/* Sends `body` (stolen) with status. */
void req_reply_json(struct req *r, unsigned status, json_t *body);
/* {"error_code","message","ts_error_code"} with the status errmap gives
 * `err` (ts_error_code: src/edge/ts_errcode.c). */
void req_reply_error(struct req *r, int err, const char *message);
/* RFC 6749 {"error","error_description"}; errmap gives the status. */
void req_reply_oauth_error(struct req *r, int err, const char *description);
/* Status with an empty body (e.g. 204). */
void req_reply_empty(struct req *r, unsigned status);
void req_reply_text(struct req *r, unsigned status, const char *content_type,
                    const char *body, size_t len);
/* Adds a response header to the reply that follows. */
void req_add_header(struct req *r, const char *name, const char *value);

/* Submits `w` (owned by the caller, typically inside the handler state, and
 * alive until `cont` runs) and suspends the request; `cont` then runs on a
 * worker thread with the write's rc. */
void req_submit(struct req *r, struct store_write *w, cont_fn cont);

/* Runs fn(arg) off the HTTP workers, on a small pool meant for CPU-heavy
 * work (Argon2id), and suspends the request; `cont` then runs on a worker
 * thread with fn's return value (and w NULL). When the pool's queue is full
 * `cont` gets BA_ERR_RATE_LIMITED without fn having run. `arg` must stay
 * valid until `cont` runs. */
void req_defer(struct req *r, int (*fn)(void *arg), void *arg, cont_fn cont);

/* --- server --- */
struct http_server;
/* Starts listening per cfg; BA_OK or an error with a log line. Writes the
 * handlers submit go to `store`; `ctx` is what req_ctx() hands them (the
 * edge never looks inside it: struct bioauth_ctx is src/api/ctx.h's). */
int http_server_start(const struct config *cfg, struct store *store, struct bioauth_ctx *ctx,
                      struct http_server **out);
/* Stops accepting, lets in-flight requests (and their commits) finish. */
void http_server_stop(struct http_server *s);

#endif
