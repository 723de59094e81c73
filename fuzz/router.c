/*
 * router.c - fuzzes request-target matching (src/edge/router.c) against the
 * real routing table, without a connection.
 *
 * Input: [2 control bytes][method selector][request target...]. The target
 * is cut at the first NUL, '?' or '#' as req_new() does with MHD's URI.
 *
 * Properties: a match names a route of the request's method (or GET for
 * HEAD) whose {name} segments were filled with non-empty, valid UTF-8
 * values without '/', "." or ".."; anything else gets exactly one reply,
 * 400, 404 or 405 (405 with an Allow header).
 */
#include <string.h>

#include "edge/internal.h"
#include "common/utf8.h"
#include "fuzz_common.h"

FUZZ_TARGET(router)
{
	static const char *const methods[] = {
		"GET", "POST", "DELETE", "HEAD", "PUT", "PATCH", "OPTIONS",
	};
	const char *method;
	char *target;
	struct req *r;
	bool ok, failed;
	size_t i, n;

	alloc_fail_install();
	fuzz_warm_up();
	fuzz_take_alloc_control(&data, &size);
	method = methods[fuzz_take_u8(&data, &size) % (sizeof(methods) / sizeof(methods[0]))];
	n = size;
	for (i = 0; i < size; i++)
		if (data[i] == '\0' || data[i] == '?' || data[i] == '#') {
			n = i;
			break;
		}
	target = fuzz_strndup(data, n);
	r = fuzz_req_new(method, target);
	free(target);

	fuzz_alloc_begin();
	ok = router_match(r);
	failed = fuzz_alloc_end();
	if (ok) {
		FUZZ_CHECK(r->route != NULL && !r->replied);
		FUZZ_CHECK(strcmp(r->route->method, method) == 0 ||
		           (strcmp(method, "HEAD") == 0 && strcmp(r->route->method, "GET") == 0));
		FUZZ_CHECK(r->nparams <= REQ_MAX_PARAMS);
		for (i = 0; i < r->nparams; i++) {
			const char *p = r->params[i];
			FUZZ_CHECK(p != NULL && p[0] != '\0' && strchr(p, '/') == NULL);
			FUZZ_CHECK(strcmp(p, ".") != 0 && strcmp(p, "..") != 0);
			FUZZ_CHECK(utf8_valid(p, strlen(p)));
		}
	} else if (!failed) {
		FUZZ_CHECK(r->replied);
		FUZZ_CHECK(r->status == 400 || r->status == 404 || r->status == 405);
		if (r->status == 405) {
			bool allow = false;
			for (i = 0; i < r->nextra; i++)
				allow = allow || strcmp(r->extra[i].name, "Allow") == 0;
			FUZZ_CHECK(allow);
		}
	}
	req_free(r);
	return 0;
}
