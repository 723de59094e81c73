/*
 * router.c - matching a request path against the routing table.
 *
 * The raw request target (before any decoding) is split at '/'; each
 * segment is percent-decoded on its own, so an encoded slash (%2F) can never
 * create a path separator. Policy for odd paths:
 *   - not starting with '/' (absolute-form, '*')              -> 400
 *   - an empty segment inside the path ("/v1//users")         -> 400
 *   - "." or ".." segments, raw or percent-encoded             -> 400
 *   - a bad %-escape, an encoded '/', '\0' or invalid UTF-8   -> 400
 *   - a trailing slash ("/healthz/")                          -> 404,
 *     except on routes marked `trailing_slash` (the token endpoint)
 *   - a path that matches no pattern                          -> 404
 *   - a pattern matches but not the method                    -> 405 with
 *     Allow listing the methods of every matching route
 * Routes are tried in table order; the first match wins. HEAD is served by
 * the GET route of a path when no HEAD route exists.
 *
 * Compatibility base path: "/cis/v1/..." and "/cis/oidc/..." are the same
 * routes as "/v1/..." and "/oidc/..." (the base URL clients written for
 * Transmit's API use). The "cis" segment is dropped before matching, so
 * both reach the same row, handler, limits and metrics label. Likewise
 * "<issuer path>/.well-known/openid-configuration" is the discovery route.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "edge/internal.h"

struct segs {
	char *s[REQ_MAX_SEGMENTS];
	size_t n;
	bool trailing_slash;
};

static void
segs_clear(struct segs *g)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		free(g->s[i]);
	g->n = 0;
}

/* Splits and decodes `path`; a trailing slash sets g->trailing_slash.
 * Returns BA_OK, BA_ERR_INVALID_REQUEST with a reason in *why,
 * BA_ERR_ROUTE_NOT_FOUND (too many segments) or BA_ERR_NOMEM. */
static int
split_path(const char *path, struct segs *g, const char **why)
{
	const char *p = path;
	int r;

	g->n = 0;
	g->trailing_slash = false;
	if (*p != '/') {
		*why = "request target must be an absolute path";
		return BA_ERR_INVALID_REQUEST;
	}
	if (strcmp(p, "/") == 0)
		return BA_OK;
	p++;
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t len = slash != NULL ? (size_t)(slash - p) : strlen(p);
		char *dec;

		if (len == 0) {
			if (slash == NULL) {
				g->trailing_slash = true;
				return BA_OK;
			}
			*why = "empty path segment";
			return BA_ERR_INVALID_REQUEST;
		}
		if (g->n == REQ_MAX_SEGMENTS)
			return BA_ERR_ROUTE_NOT_FOUND;
		r = form_decode_path_segment(p, len, &dec);
		if (r == BA_ERR_INVALID_REQUEST) {
			*why = "malformed path (bad %-escape, encoded '/', NUL or "
			       "invalid UTF-8)";
			return r;
		}
		if (r != BA_OK)
			return r;
		g->s[g->n++] = dec;
		if (strcmp(dec, ".") == 0 || strcmp(dec, "..") == 0) {
			*why = "dot segments are not allowed in the path";
			return BA_ERR_INVALID_REQUEST;
		}
		if (slash == NULL)
			return BA_OK;
		p = slash + 1;
	}
}

/* Matches one pattern against the decoded segments; on success writes the
 * indexes of the {name} segments into idx[] and their count into *nidx. */
static bool
pattern_matches(const char *pat, const struct segs *g, size_t *idx,
                size_t *nidx)
{
	size_t i = 0;

	*nidx = 0;
	if (strcmp(pat, "/") == 0)
		return g->n == 0;
	if (*pat != '/')
		return false;
	pat++;
	for (;;) {
		const char *slash = strchr(pat, '/');
		size_t len = slash != NULL ? (size_t)(slash - pat) : strlen(pat);

		if (i == g->n)
			return false;
		if (len >= 2 && pat[0] == '{' && pat[len - 1] == '}') {
			if (*nidx == REQ_MAX_PARAMS)
				return false;
			idx[(*nidx)++] = i;
		} else if (strlen(g->s[i]) != len ||
		           memcmp(g->s[i], pat, len) != 0) {
			return false;
		}
		i++;
		if (slash == NULL)
			return i == g->n;
		pat = slash + 1;
	}
}

/* Drops a leading "cis" segment when "v1" or "oidc" follows it. */
static void
strip_compat_prefix(struct segs *g)
{
	if (g->n < 2 || strcmp(g->s[0], "cis") != 0 ||
	    (strcmp(g->s[1], "v1") != 0 && strcmp(g->s[1], "oidc") != 0))
		return;
	free(g->s[0]);
	memmove(&g->s[0], &g->s[1], (g->n - 1) * sizeof(g->s[0]));
	g->n--;
}

/* True when `path` is "<issuer path>/.well-known/openid-configuration" for
 * the configured issuer (OpenID Connect Discovery 1.0, section 4): that URL
 * is the discovery route whatever path the issuer has. */
static bool
is_issuer_discovery(const struct req *r, const char *path)
{
	static const char wk[] = "/.well-known/openid-configuration";
	const char *iss = r->srv->cfg->issuer, *p;
	size_t n;

	p = strstr(iss, "://");
	if (p == NULL || (p = strchr(p + 3, '/')) == NULL)
		return false;   /* a bare origin: the table's root route serves it */
	n = strlen(p);
	return strncmp(path, p, n) == 0 && strcmp(path + n, wk) == 0;
}

/* Appends `m` to the Allow list unless it is there already. */
static void
allow_add(char *allow, size_t cap, const char *m)
{
	const char *p = allow;
	size_t ml = strlen(m), al;

	while ((p = strstr(p, m)) != NULL) {
		if ((p == allow || p[-1] == ' ') && (p[ml] == ',' || p[ml] == '\0'))
			return;
		p += ml;
	}
	al = strlen(allow);
	snprintf(allow + al, cap - al, "%s%s", al > 0 ? ", " : "", m);
}

bool
router_match(struct req *r)
{
	struct segs g = { 0 };
	const struct route *rt, *hit = NULL, *get_hit = NULL;
	size_t idx[REQ_MAX_PARAMS], nidx = 0, hit_idx[REQ_MAX_PARAMS], hit_n = 0;
	size_t get_idx[REQ_MAX_PARAMS], get_n = 0, i;
	const char *why = NULL;
	char allow[128] = "";
	bool is_head = strcmp(r->method, "HEAD") == 0;
	bool ok = false;
	int rc;

	r->oauth = strncmp(r->raw_path, "/oidc/", 6) == 0 ||
	           strncmp(r->raw_path, "/cis/oidc/", 10) == 0;
	rc = split_path(is_issuer_discovery(r, r->raw_path)
	               ? "/.well-known/openid-configuration" : r->raw_path, &g, &why);
	strip_compat_prefix(&g);
	if (rc != BA_OK) {
		req_reply_edge_error(r, rc, why);
		goto out;
	}
	for (rt = api_routes; rt->method != NULL; rt++) {
		if (g.trailing_slash && !rt->trailing_slash)
			continue;
		if (!pattern_matches(rt->pattern, &g, idx, &nidx))
			continue;
		allow_add(allow, sizeof(allow), rt->method);
		if (strcmp(rt->method, "GET") == 0)
			allow_add(allow, sizeof(allow), "HEAD");
		if (hit == NULL && strcmp(rt->method, r->method) == 0) {
			hit = rt;
			memcpy(hit_idx, idx, sizeof(idx));
			hit_n = nidx;
		}
		if (get_hit == NULL && is_head && strcmp(rt->method, "GET") == 0) {
			get_hit = rt;
			memcpy(get_idx, idx, sizeof(idx));
			get_n = nidx;
		}
	}
	if (hit == NULL && get_hit != NULL) {
		hit = get_hit;
		memcpy(hit_idx, get_idx, sizeof(idx));
		hit_n = get_n;
	}
	if (hit == NULL) {
		if (allow[0] != '\0') {
			req_add_header(r, "Allow", allow);
			req_reply_edge_error(r, BA_ERR_METHOD_NOT_ALLOWED, NULL);
		} else {
			req_reply_edge_error(r, BA_ERR_ROUTE_NOT_FOUND, NULL);
		}
		goto out;
	}
	r->route = hit;
	for (i = 0; i < hit_n; i++) {
		r->params[i] = g.s[hit_idx[i]];
		g.s[hit_idx[i]] = NULL;
	}
	r->nparams = hit_n;
	ok = true;
out:
	segs_clear(&g);
	return ok;
}
