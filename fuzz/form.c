/*
 * form.c - fuzzes application/x-www-form-urlencoded bodies and the
 * percent-decoders (src/edge/form.c), alone and through the edge's body
 * path of the /oidc/token route.
 *
 * Input: [2 control bytes][mode][bytes...]. Modes:
 *  0  form_parse + form_count/form_name/form_get over every parameter;
 *  1  form_decode_component and form_decode_path_segment on the bytes;
 *  2  the bytes as the body of POST /oidc/token: router_match,
 *     req_body_append, req_parse_body, then req_form() of each OAuth
 *     parameter the /oidc handlers read.
 *
 * Properties: at most FORM_MAX_PARAMS parameters, unique names of at most
 * FORM_MAX_NAME bytes, each found by form_get; decoded text is valid UTF-8
 * without NUL, never longer than its input, and re-encoding it with %XX
 * escapes decodes back to it; a path segment never decodes to '/', and
 * without '+' in the input both decoders agree.
 */
#include <string.h>

#include "common/error.h"
#include "edge/form.h"
#include "edge/internal.h"
#include "common/utf8.h"
#include "fuzz_common.h"

/* Percent-encodes every byte of `s` (harness memory). */
static char *
frm_encode_all(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s), i;
	char *e = malloc(3 * n + 1);
	if (e == NULL)
		abort();
	for (i = 0; i < n; i++) {
		e[3 * i] = '%';
		e[3 * i + 1] = hex[(unsigned char)s[i] >> 4];
		e[3 * i + 2] = hex[(unsigned char)s[i] & 15];
	}
	e[3 * n] = '\0';
	return e;
}

static void
frm_parse(const char *body, size_t len)
{
	char msg[160];
	struct form *f = NULL;
	size_t i, j, n;
	bool failed;
	int r;

	fuzz_alloc_begin();
	r = form_parse(body, len, &f, msg, sizeof(msg));
	failed = fuzz_alloc_end();
	if (r != BA_OK) {
		FUZZ_CHECK(f == NULL);
		FUZZ_CHECK(r == BA_ERR_INVALID_REQUEST || (r == BA_ERR_NOMEM && failed));
		if (r == BA_ERR_INVALID_REQUEST)   /* the reason the client sees */
			FUZZ_CHECK(msg[0] != '\0' && strlen(msg) < sizeof(msg));
		return;
	}
	n = form_count(f);
	FUZZ_CHECK(n <= FORM_MAX_PARAMS);
	for (i = 0; i < n; i++) {
		const char *name = form_name(f, i);
		FUZZ_CHECK(name != NULL && name[0] != '\0' && strlen(name) <= FORM_MAX_NAME);
		FUZZ_CHECK(form_get(f, name) != NULL);
		for (j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(form_name(f, j), name) != 0);
	}
	FUZZ_CHECK(form_name(f, n) == NULL);
	form_free(f);
}

static void
frm_decoders(const char *s, size_t len)
{
	char *comp = NULL, *path = NULL, *again = NULL, *enc;
	bool failed, has_plus = memchr(s, '+', len) != NULL;
	int rc, rp, ra;

	fuzz_alloc_begin();
	rc = form_decode_component(s, len, &comp);
	rp = form_decode_path_segment(s, len, &path);
	failed = fuzz_alloc_end();
	if (failed) {
		free(comp);
		free(path);
		return;
	}
	if (rc == BA_OK) {
		FUZZ_CHECK(comp != NULL && strlen(comp) <= len);
		FUZZ_CHECK(utf8_valid(comp, strlen(comp)));
		enc = frm_encode_all(comp);
		ra = form_decode_component(enc, strlen(enc), &again);
		FUZZ_CHECK(ra == BA_OK && strcmp(again, comp) == 0);
		free(again);
		free(enc);
	} else {
		FUZZ_CHECK(rc == BA_ERR_INVALID_REQUEST && comp == NULL);
	}
	if (rp == BA_OK) {
		FUZZ_CHECK(path != NULL);
		FUZZ_CHECK(strchr(path, '/') == NULL || memchr(s, '/', len) != NULL);
		FUZZ_CHECK(strlen(path) <= len && utf8_valid(path, strlen(path)));
	} else {
		FUZZ_CHECK(rp == BA_ERR_INVALID_REQUEST && path == NULL);
	}
	if (!has_plus && memchr(s, '/', len) == NULL) {
		FUZZ_CHECK((rc == BA_OK && strchr(comp, '/') == NULL) == (rp == BA_OK));
		if (rp == BA_OK)
			FUZZ_CHECK(strcmp(comp, path) == 0);
	}
	free(comp);
	free(path);
}

/* The body of POST /oidc/token as the edge takes it in. */
static void
frm_edge(const char *body, size_t len)
{
	static const char *const params[] = {
		"grant_type", "client_id", "client_secret", "refresh_token", "scope",
		"resource", "token", "token_type_hint", "audience",
	};
	struct req *r = fuzz_req_new("POST", "/oidc/token");
	bool ok, failed, refused = false;
	size_t i;

	fuzz_alloc_begin();
	ok = router_match(r) && req_body_append(r, body, len);
	if (ok) {
		ok = req_parse_body(r);
		refused = !ok;
	}
	if (ok)
		for (i = 0; i < sizeof(params) / sizeof(params[0]); i++)
			(void)req_form(r, params[i]);
	failed = fuzz_alloc_end();
	if (!failed && refused)
		FUZZ_CHECK(r->replied && r->status == 400);
	req_free(r);
}

FUZZ_TARGET(form)
{
	uint8_t mode;

	alloc_fail_install();
	fuzz_warm_up();
	fuzz_take_alloc_control(&data, &size);
	mode = fuzz_take_u8(&data, &size);
	switch (mode % 3) {
	case 0:
		frm_parse((const char *)data, size);
		break;
	case 1:
		frm_decoders((const char *)data, size);
		break;
	default:
		frm_edge((const char *)data, size);
		break;
	}
	return 0;
}
