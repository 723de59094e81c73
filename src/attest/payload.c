/*
 * payload.c - decoding of `attestation_encoded_result`: base64 (either
 * alphabet, padding optional) of a JSON object naming its format.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "attest/attest.h"
#include "common/error.h"
#include "crypto/encoding.h"

#define MAX_CERT_B64 (16u * 1024u)

void attest_payload_clear(struct attest_payload *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n_certs; i++)
		free(p->certs[i]);
	free(p->key_id);
	free(p->attestation);
	free(p->assertion);
	memset(p, 0, sizeof(*p));
}

/* Decodes the base64 string `j` into a new buffer. ATTEST_OK, ATTEST_MALFORMED
 * or ATTEST_INTERNAL. */
static enum attest_reason b64_field(const json_t *j, uint8_t **out, size_t *len)
{
	if (!json_is_string(j) || json_string_length(j) == 0 ||
	    json_string_length(j) > ATTEST_MAX_PAYLOAD)
		return ATTEST_MALFORMED;
	int r = b64_decode_any(json_string_value(j), json_string_length(j), out, len);
	if (r == BA_ERR_NOMEM)
		return ATTEST_INTERNAL;
	return r == BA_OK ? ATTEST_OK : ATTEST_MALFORMED;
}

enum attest_reason attest_payload_parse_json(const char *text, size_t len,
                                             struct attest_payload *out)
{
	enum attest_reason r = ATTEST_MALFORMED;
	json_t *root = NULL, *x5c, *c;
	const char *fmt;
	size_t i;

	memset(out, 0, sizeof(*out));
	if (len == 0)
		return ATTEST_MISSING;
	if (len > ATTEST_MAX_PAYLOAD)
		return ATTEST_MALFORMED;
	json_error_t err;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
	if (root == NULL && json_error_code(&err) == json_error_out_of_memory) {
		r = ATTEST_INTERNAL;                 /* not a verdict on the payload */
		goto out;
	}
	if (!json_is_object(root) ||
	    (fmt = json_string_value(json_object_get(root, "format"))) == NULL) {
		r = ATTEST_FORMAT_UNSUPPORTED;       /* not bioauth's envelope */
		goto out;
	}
	if (strcmp(fmt, "android-key") == 0) {
		out->format = ATTEST_FORMAT_ANDROID_KEY;
		x5c = json_object_get(root, "x5c");
		if (!json_is_array(x5c) || json_array_size(x5c) == 0 ||
		    json_array_size(x5c) > ATTEST_MAX_CHAIN)
			goto out;
		json_array_foreach(x5c, i, c) {
			if (json_string_length(c) > MAX_CERT_B64)
				goto out;
			r = b64_field(c, &out->certs[i], &out->cert_lens[i]);
			if (r != ATTEST_OK)
				goto out;
			out->n_certs = i + 1;
		}
	} else if (strcmp(fmt, "apple-appattest") == 0) {
		out->format = ATTEST_FORMAT_APPLE_APPATTEST;
		if ((r = b64_field(json_object_get(root, "key_id"), &out->key_id,
		                   &out->key_id_len)) != ATTEST_OK ||
		    (r = b64_field(json_object_get(root, "attestation"), &out->attestation,
		                   &out->attestation_len)) != ATTEST_OK ||
		    (r = b64_field(json_object_get(root, "assertion"), &out->assertion,
		                   &out->assertion_len)) != ATTEST_OK)
			goto out;
	} else {
		r = ATTEST_FORMAT_UNSUPPORTED;
		goto out;
	}
	r = ATTEST_OK;
out:
	json_decref(root);
	if (r != ATTEST_OK && r != ATTEST_FORMAT_UNSUPPORTED)
		attest_payload_clear(out);
	return r;
}

enum attest_reason attest_payload_parse(const char *encoded, size_t len,
                                        struct attest_payload *out)
{
	uint8_t *json = NULL;
	size_t json_len = 0;

	memset(out, 0, sizeof(*out));
	if (len == 0)
		return ATTEST_MISSING;
	if (len > ATTEST_MAX_PAYLOAD)
		return ATTEST_MALFORMED;
	int r = b64_decode_any(encoded, len, &json, &json_len);
	if (r == BA_ERR_NOMEM)
		return ATTEST_INTERNAL;
	if (r != BA_OK)
		return ATTEST_FORMAT_UNSUPPORTED;   /* not base64: someone else's format */
	enum attest_reason ar = attest_payload_parse_json((const char *)json, json_len, out);
	if (ar == ATTEST_MISSING)
		ar = ATTEST_FORMAT_UNSUPPORTED;     /* base64 of nothing */
	free(json);
	return ar;
}
