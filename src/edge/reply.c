/*
 * reply.c - building the one response of a request.
 *
 * A req_reply_* call builds the MHD response and keeps it in the request;
 * server.c queues it when the handler returns. Every response carries
 * Cache-Control: no-store (unless the handler set its own),
 * X-Content-Type-Options: nosniff and the X-Request-Id; JSON bodies are
 * application/json. A second reply for the
 * same request is a bug: it is logged and dropped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/error.h"
#include "common/log.h"
#include "edge/errmap.h"
#include "edge/internal.h"

void
req_add_header(struct req *r, const char *name, const char *value)
{
	char *n, *v;

	if (r->nextra == REQ_MAX_EXTRA_HEADERS) {
		log_write(LOG_ERROR, "too many response headers (bug)",
		          "req_id", r->id, "header", name, NULL);
		return;
	}
	n = strdup(name);
	v = strdup(value);
	if (n == NULL || v == NULL) {
		free(n);
		free(v);
		return;
	}
	r->extra[r->nextra].name = n;
	r->extra[r->nextra].value = v;
	r->nextra++;
}

static bool
has_extra(const struct req *r, const char *name)
{
	for (size_t i = 0; i < r->nextra; i++)
		if (strcasecmp(r->extra[i].name, name) == 0)
			return true;
	return false;
}

/* Takes `buf` (malloc'd, len bytes; NULL with len 0 for an empty body),
 * wraps it in a response with the common headers and stores it in r. */
static void
set_response(struct req *r, unsigned status, const char *content_type,
             char *buf, size_t len)
{
	struct MHD_Response *resp;
	size_t i;

	if (r->replied) {
		log_write(LOG_ERROR, "second reply to one request (bug)",
		          "req_id", r->id, "route", req_route(r), NULL);
		free(buf);
		return;
	}
	if (buf != NULL)
		resp = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
	else
		resp = MHD_create_response_from_buffer(0, NULL,
		                                       MHD_RESPMEM_PERSISTENT);
	if (resp == NULL) {
		free(buf);
		log_write(LOG_ERROR, "cannot create response", "req_id", r->id, NULL);
		return;  /* server.c answers with MHD_NO: the connection closes */
	}
	if (content_type != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	/* A handler may set its own caching policy (JWKS, discovery). */
	if (!has_extra(r, MHD_HTTP_HEADER_CACHE_CONTROL))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
		                        "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Request-Id", r->id);
	if (atomic_load(&r->srv->stopping))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	for (i = 0; i < r->nextra; i++)
		MHD_add_response_header(resp, r->extra[i].name, r->extra[i].value);
	r->resp = resp;
	r->status = status;
	r->replied = true;
}

void
req_reply_json(struct req *r, unsigned status, json_t *body)
{
	char *s = NULL;

	if (body != NULL)
		s = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (s == NULL) {
		req_reply_error(r, BA_ERR_NOMEM, NULL);
		return;
	}
	set_response(r, status, "application/json", s, strlen(s));
}

/* Builds {k1: v1, k2: v2} and replies with it. */
static void
reply_pair(struct req *r, unsigned status, const char *k1, const char *v1,
           const char *k2, const char *v2)
{
	json_t *o = json_pack("{s:s, s:s}", k1, v1, k2, v2);
	char *s;

	if (o == NULL) {
		/* Only allocation failure (or a non-UTF-8 message) gets here:
		 * send a fixed body rather than nothing. */
		static const char fixed[] =
			"{\"error_code\":\"internal_error\",\"message\":\"internal error\",\"ts_error_code\":\"system_internal_error\"}";
		s = strdup(fixed);
		if (s != NULL)
			set_response(r, 500, "application/json", s, strlen(s));
		return;
	}
	req_reply_json(r, status, o);
}

/* Replies {"error_code","message","ts_error_code"}. */
static void
reply_error_body(struct req *r, unsigned status, const char *code,
                 const char *message, const char *ts_code)
{
	json_t *o = json_pack("{s:s, s:s, s:s}", "error_code", code,
	                      "message", message, "ts_error_code", ts_code);

	if (o == NULL) {
		reply_pair(r, 500, "error_code", "internal_error", "message",
		           "internal error");
		return;
	}
	req_reply_json(r, status, o);
}

void
req_reply_error(struct req *r, int err, const char *message)
{
	const struct errmap_entry *e = errmap_get(err);

	if (e->status >= 500 && message != NULL) {
		/* Details stay in the log; the client gets the generic text. */
		log_write(LOG_ERROR, "request failed", "req_id", r->id,
		          "route", req_route(r), "error", ba_strerror(err),
		          "detail", message, NULL);
	}
	if (e->status >= 500 || message == NULL)
		message = e->message;
	r->error_code = e->code;
	reply_error_body(r, e->status, e->code, message, errmap_ts_code(err));
}

void
req_reply_oauth_error(struct req *r, int err, const char *description)
{
	const struct errmap_entry *e = errmap_get(err);

	if (e->status >= 500 && description != NULL)
		log_write(LOG_ERROR, "request failed", "req_id", r->id,
		          "route", req_route(r), "error", ba_strerror(err),
		          "detail", description, NULL);
	if (e->status >= 500 || description == NULL)
		description = e->message;
	r->error_code = e->oauth;
	reply_pair(r, e->status, "error", e->oauth, "error_description",
	           description);
}

void
req_reply_edge_error(struct req *r, int err, const char *message)
{
	if (r->oauth)
		req_reply_oauth_error(r, err, message);
	else
		req_reply_error(r, err, message);
}

void
req_reply_empty(struct req *r, unsigned status)
{
	set_response(r, status, NULL, NULL, 0);
}

void
req_reply_text(struct req *r, unsigned status, const char *content_type,
               const char *body, size_t len)
{
	char *copy;

	if (len == 0) {
		set_response(r, status, content_type, NULL, 0);
		return;
	}
	copy = malloc(len);
	if (copy == NULL) {
		req_reply_error(r, BA_ERR_NOMEM, NULL);
		return;
	}
	memcpy(copy, body, len);
	set_response(r, status, content_type, copy, len);
}
