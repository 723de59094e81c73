/*
 * authz.c - fuzzes the Authorization header parsing of src/api/caller.c.
 *
 * bearer_token() and parse_basic() are static in caller.c, so this harness
 * compiles caller.c itself into its own object (#include below): the code
 * fuzzed is the server's, unchanged. (auth.o from the library is then never
 * linked: this object defines all of its symbols.)
 *
 * Input: [2 control bytes][header value...], cut at the first NUL as MHD
 * hands header values over.
 *  - bearer_token(): an extracted token lies inside the header, is
 *    non-empty, has no space or tab and is followed by nothing else; it is then verified with
 *    tokens_verify_access and the real keyring as api_require_bearer does;
 *  - parse_basic(): accepted credentials equal what b64_decode_any and
 *    form_decode_component give for the two halves of the payload.
 */
#include "../src/api/caller.c"

#include "common/secret.h"
#include "fuzz_common.h"

/* What parse_basic should give, recomputed from the public pieces. */
static void
az_check_basic(const char *hdr, const char *id, const char *secret)
{
	uint8_t *raw = NULL;
	size_t raw_len = 0;
	char *want_id = NULL, *want_secret = NULL;
	const uint8_t *colon;

	FUZZ_CHECK(strncasecmp(hdr, "Basic ", 6) == 0);
	hdr += 6;
	while (*hdr == ' ')
		hdr++;
	FUZZ_CHECK(b64_decode_any(hdr, strlen(hdr), &raw, &raw_len) == BA_OK);
	FUZZ_CHECK(memchr(raw, '\0', raw_len) == NULL);
	colon = memchr(raw, ':', raw_len);
	FUZZ_CHECK(colon != NULL);
	FUZZ_CHECK(form_decode_component((const char *)raw, (size_t)(colon - raw), &want_id) == BA_OK);
	FUZZ_CHECK(form_decode_component((const char *)colon + 1, raw_len - (size_t)(colon + 1 - raw),
	                                 &want_secret) == BA_OK);
	FUZZ_CHECK(strcmp(want_id, id) == 0 && strcmp(want_secret, secret) == 0);
	free(want_id);
	free(want_secret);
	free(raw);
}

FUZZ_TARGET(authz)
{
	struct keyset *ks;
	struct token_claims c;
	char *hdr, *id = NULL, *secret = NULL;
	const char *tok;
	size_t len = 0;
	bool failed;
	int r;

	alloc_fail_install();
	fuzz_warm_up();
	ks = fuzz_keyset();
	fuzz_take_alloc_control(&data, &size);
	hdr = fuzz_strndup(data, size);   /* cut at the first NUL */

	tok = bearer_token(hdr, &len);
	if (tok != NULL) {
		/* the token, then only optional spaces or tabs */
		FUZZ_CHECK(tok > hdr && len > 0 &&
		           tok + len + strspn(tok + len, " \t") == hdr + strlen(hdr));
		FUZZ_CHECK(strcspn(tok, " \t") == len);
		if (ks != NULL) {
			fuzz_alloc_begin();
			r = tokens_verify_access(fuzz_config(), ks, tok, len, (int64_t)time(NULL), &c);
			failed = fuzz_alloc_end();
			FUZZ_CHECK(r == BA_OK || r == BA_ERR_INVALID_TOKEN || (failed && r == BA_ERR_NOMEM));
			token_claims_clear(&c);
		}
	}

	fuzz_alloc_begin();
	r = parse_basic(hdr, &id, &secret);
	failed = fuzz_alloc_end();
	if (r == BA_OK) {
		FUZZ_CHECK(id != NULL && secret != NULL);
		az_check_basic(hdr, id, secret);
	} else {
		FUZZ_CHECK(r == BA_ERR_INVALID_CLIENT && id == NULL && secret == NULL);
	}
	(void)failed;
	free(id);
	secret_free(secret);
	free(hdr);
	return 0;
}
