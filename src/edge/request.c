/*
 * request.c - the request object: creation, accessors, head checks, body
 * accumulation and body parsing.
 */
#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/error.h"
#include "common/log.h"
#include "crypto/rand.h"
#include "edge/internal.h"
#include "edge/json_in.h"

/* Fills r->ip with the peer address ("-" when unknown). */
static void
remote_ip(struct req *r)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;

	snprintf(r->ip, sizeof(r->ip), "-");
	ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci == NULL || ci->client_addr == NULL)
		return;
	sa = ci->client_addr;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
		          r->ip, sizeof(r->ip));
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
		          r->ip, sizeof(r->ip));
}

/* Creates the request as soon as the request line is read. `uri` is the raw
 * request target; everything from '?' on is dropped (query values are never
 * kept, so they cannot reach a log). NULL on allocation failure. */
struct req *
req_new(struct http_server *srv, struct MHD_Connection *conn, const char *uri)
{
	static const char hex[] = "0123456789abcdef";
	struct req *r;
	uint8_t rnd[8];
	size_t i, plen;

	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, &r->start);
	r->srv = srv;
	r->conn = conn;
	if (rand_bytes(rnd, sizeof(rnd)) != BA_OK) {
		free(r);
		return NULL;
	}
	for (i = 0; i < sizeof(rnd); i++) {
		r->id[2 * i] = hex[rnd[i] >> 4];
		r->id[2 * i + 1] = hex[rnd[i] & 15];
	}
	r->id[16] = '\0';
	uri = uri != NULL ? uri : "";
	plen = strcspn(uri, "?#");
	r->raw_path = strndup(uri, plen);
	if (r->raw_path == NULL) {
		free(r);
		return NULL;
	}
	remote_ip(r);
	for (i = 0; i < METRICS_N_STAGES; i++)
		r->stage[i] = -1;
	atomic_store(&r->phase, PH_CREATED);
	return r;
}

void
req_free(struct req *r)
{
	size_t i;

	if (r == NULL)
		return;
	if (r->state_free != NULL)
		r->state_free(r->state);
	if (r->resp != NULL)
		MHD_destroy_response(r->resp);
	json_decref(r->json);
	form_free(r->form);
	if (r->body != NULL) {
		/* Bodies carry passwords, secrets and refresh tokens. */
		OPENSSL_cleanse(r->body, r->body_cap);
		free(r->body);
	}
	for (i = 0; i < r->nparams; i++)
		free(r->params[i]);
	for (i = 0; i < r->nextra; i++) {
		free(r->extra[i].name);
		free(r->extra[i].value);
	}
	free(r->raw_path);
	free(r);
}

/* --- accessors --- */

struct bioauth_ctx *
req_ctx(struct req *r)
{
	return r->srv->ctx;
}

const char *
req_id(struct req *r)
{
	return r->id;
}

const char *
req_method(struct req *r)
{
	return r->method != NULL ? r->method : "";
}

const char *
req_path(struct req *r)
{
	return r->raw_path;
}

const char *
req_route(struct req *r)
{
	return r->route != NULL ? r->route->pattern : "unmatched";
}

const char *
req_param(struct req *r, size_t i)
{
	return i < r->nparams ? r->params[i] : NULL;
}

const char *
req_header(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *
req_remote_ip(struct req *r)
{
	return r->ip;
}

const char *
req_body(struct req *r, size_t *len)
{
	if (len != NULL)
		*len = r->body_len;
	return r->body != NULL ? r->body : "";
}

json_t *
req_json(struct req *r)
{
	return r->json;
}

bool
req_json_from_form(struct req *r)
{
	return r->json_from_form;
}

const char *
req_form(struct req *r, const char *name)
{
	return form_get(r->form, name);
}

void
req_set_state(struct req *r, void *state, void (*free_fn)(void *))
{
	if (r->state_free != NULL && r->state != state)
		r->state_free(r->state);
	r->state = state;
	r->state_free = free_fn;
}

void *
req_state(struct req *r)
{
	return r->state;
}

/* --- head checks --- */

struct head_scan {
	size_t bytes;
	unsigned content_type, authorization, content_length, transfer_encoding;
	unsigned bad_name;   /* field names with whitespace (RFC 9112 5.1) */
};

static enum MHD_Result
scan_header(void *cls, enum MHD_ValueKind kind, const char *key, size_t key_size,
            const char *value, size_t value_size)
{
	struct head_scan *h = cls;

	(void)kind;
	(void)value;
	/* libmicrohttpd 0.9.75 ends a field value at a NUL byte, so what
	 * follows a NUL is never seen by a handler (nor counted here). */
	h->bytes += key_size + value_size + 4;
	if (strpbrk(key, " \t") != NULL)
		h->bad_name++;
	if (strcasecmp(key, "Transfer-Encoding") == 0)
		h->transfer_encoding++;
	else if (strcasecmp(key, "Content-Type") == 0)
		h->content_type++;
	else if (strcasecmp(key, "Authorization") == 0)
		h->authorization++;
	else if (strcasecmp(key, "Content-Length") == 0)
		h->content_length++;
	return MHD_YES;
}

/* True when `ct` is `want` optionally followed by "; charset=utf-8" (any
 * case, optional quotes and spaces). Any other parameter is refused. */
static bool
media_type_is(const char *ct, const char *want)
{
	size_t wl = strlen(want);
	const char *p;

	if (ct == NULL)
		return false;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (strncasecmp(ct, want, wl) != 0)
		return false;
	p = ct + wl;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0')
		return true;
	if (*p != ';')
		return false;
	p++;
	while (*p == ' ' || *p == '\t')
		p++;
	if (strncasecmp(p, "charset=", 8) != 0)
		return false;
	p += 8;
	if (strncasecmp(p, "utf-8", 5) == 0)
		p += 5;
	else if (strncasecmp(p, "\"utf-8\"", 7) == 0)
		p += 7;
	else
		return false;
	while (*p == ' ' || *p == '\t')
		p++;
	return *p == '\0';
}

bool
req_check_head(struct req *r)
{
	const struct config *cfg = r->srv->cfg;
	struct head_scan h = { 0 };
	const char *cl, *ct;

	h.bytes = strlen(r->method) + strlen(r->raw_path) + 12;
	MHD_get_connection_values_n(r->conn, MHD_HEADER_KIND, scan_header, &h);
	if (h.bytes > cfg->header_limit) {
		req_reply_edge_error(r, BA_ERR_HEADER_TOO_LARGE, NULL);
		return false;
	}
	/* Framing ambiguities are how requests are smuggled past proxies:
	 * refuse them and close the connection (RFC 9112 5.1, 6.1, 6.3). */
	if (h.bad_name > 0) {
		req_add_header(r, "Connection", "close");
		req_reply_edge_error(r, BA_ERR_INVALID_REQUEST,
		                     "whitespace in a header field name");
		return false;
	}
	if (h.transfer_encoding > 0) {
		const char *te = req_header(r, "Transfer-Encoding");

		if (h.content_length > 0 || h.transfer_encoding > 1 || te == NULL ||
		    strcasecmp(te, "chunked") != 0) {
			req_add_header(r, "Connection", "close");
			req_reply_edge_error(r, BA_ERR_INVALID_REQUEST, h.content_length > 0 ?
			                     "both Content-Length and Transfer-Encoding" :
			                     "unsupported Transfer-Encoding (only chunked)");
			return false;
		}
	}
	if (h.content_type > 1 || h.authorization > 1 || h.content_length > 1) {
		req_reply_edge_error(r, BA_ERR_INVALID_REQUEST,
		                     h.authorization > 1 ? "repeated Authorization header"
		                     : h.content_type > 1 ? "repeated Content-Type header"
		                     : "repeated Content-Length header");
		return false;
	}
	cl = req_header(r, "Content-Length");
	if (cl != NULL) {
		char *end;
		unsigned long long n;

		errno = 0;
		n = strtoull(cl, &end, 10);
		if (errno != 0 || end == cl || *end != '\0' || cl[0] == '-') {
			req_reply_edge_error(r, BA_ERR_INVALID_REQUEST,
			                     "malformed Content-Length");
			return false;
		}
		if (n > cfg->body_limit) {
			req_reply_edge_error(r, BA_ERR_PAYLOAD_TOO_LARGE, NULL);
			return false;
		}
	}
	ct = req_header(r, "Content-Type");
	/* A JSON route takes JSON (also with no Content-Type at all, as some
	 * clients send it) or the same fields as a form. */
	if (r->route->body == BODY_JSON && ct != NULL &&
	    !media_type_is(ct, "application/json")) {
		if (!media_type_is(ct, "application/x-www-form-urlencoded")) {
			req_reply_edge_error(r, BA_ERR_UNSUPPORTED_MEDIA_TYPE,
			                     "Content-Type must be application/json or "
			                     "application/x-www-form-urlencoded");
			return false;
		}
		r->json_from_form = true;
	}
	if (r->route->body == BODY_FORM &&
	    !media_type_is(ct, "application/x-www-form-urlencoded")) {
		req_reply_edge_error(r, BA_ERR_UNSUPPORTED_MEDIA_TYPE,
		                     "Content-Type must be "
		                     "application/x-www-form-urlencoded");
		return false;
	}
	return true;
}

/* --- body --- */

bool
req_body_append(struct req *r, const char *data, size_t len)
{
	size_t limit = r->srv->cfg->body_limit;

	if (r->body_over || r->route == NULL || r->route->body == BODY_NONE) {
		/* Dropped, but still counted against the limit. A chunked body
		 * may run past the limit by another `limit` bytes while we
		 * drain it for a clean 413; beyond that the connection goes. */
		r->discarded += len;
		if (r->discarded > limit)
			r->body_over = true;
		return r->discarded <= 2 * limit;
	}
	if (len > limit - r->body_len) {
		r->body_over = true;
		r->discarded = r->body_len + len;
		return r->discarded <= 2 * limit;
	}
	if (r->body_len + len + 1 > r->body_cap) {
		size_t ncap = r->body_cap ? r->body_cap : 1024;
		char *nb;

		while (ncap < r->body_len + len + 1)
			ncap *= 2;
		if (ncap > limit + 1)
			ncap = limit + 1;
		nb = malloc(ncap);
		if (nb == NULL)
			return false;
		if (r->body != NULL) {
			memcpy(nb, r->body, r->body_len);
			OPENSSL_cleanse(r->body, r->body_cap);
			free(r->body);
		}
		r->body = nb;
		r->body_cap = ncap;
	}
	memcpy(r->body + r->body_len, data, len);
	r->body_len += len;
	r->body[r->body_len] = '\0';
	return true;
}

bool
req_parse_body(struct req *r)
{
	char msg[256];
	int rc;

	if (r->body_over) {
		req_reply_edge_error(r, BA_ERR_PAYLOAD_TOO_LARGE, NULL);
		return false;
	}
	switch (r->route->body) {
	case BODY_JSON:
		if (r->json_from_form) {
			rc = form_parse(r->body != NULL ? r->body : "", r->body_len,
			                &r->form, msg, sizeof(msg));
			if (rc == BA_OK)
				rc = json_in_from_form(r->form, &r->json);
			break;
		}
		rc = json_in_parse(r->body, r->body_len,
		                   r->srv->cfg->json_max_depth, &r->json,
		                   msg, sizeof(msg));
		break;
	case BODY_FORM:
		rc = form_parse(r->body != NULL ? r->body : "", r->body_len,
		                &r->form, msg, sizeof(msg));
		break;
	default:
		return true;
	}
	if (rc != BA_OK) {
		req_reply_edge_error(r, rc, rc == BA_ERR_INVALID_REQUEST ? msg : NULL);
		return false;
	}
	return true;
}
