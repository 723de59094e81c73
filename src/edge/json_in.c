/*
 * json_in.c - checked parsing of JSON request bodies and the typed decoder.
 */
#include "edge/json_in.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/error.h"
#include "edge/form.h"
#include "common/utf8.h"

#include <errno.h>
#include <stdlib.h>

bool
json_in_depth_ok(const char *buf, size_t len, int max_depth)
{
	size_t i;
	long depth = 0;
	bool in_str = false;

	for (i = 0; i < len; i++) {
		char c = buf[i];
		if (in_str) {
			if (c == '\\')
				i++;    /* skip the escaped character */
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"') {
			in_str = true;
		} else if (c == '[' || c == '{') {
			if (++depth > max_depth)
				return false;
		} else if (c == ']' || c == '}') {
			/* Unbalanced closers are a syntax error jansson reports. */
			if (depth > 0)
				depth--;
		}
	}
	return true;
}

/* Turns a jansson error into one of our precise messages. */
static void
describe_error(const json_error_t *e, char *msg, size_t msglen)
{
	switch (json_error_code(e)) {
	case json_error_duplicate_key:
		snprintf(msg, msglen, "duplicate key in JSON object (line %d, "
		         "column %d)", e->line, e->column);
		break;
	case json_error_null_character:
		snprintf(msg, msglen, "\\u0000 is not allowed in JSON strings");
		break;
	case json_error_invalid_utf8:
		snprintf(msg, msglen, "request body is not valid UTF-8");
		break;
	case json_error_premature_end_of_input:
		snprintf(msg, msglen, "request body is truncated JSON");
		break;
	case json_error_end_of_input_expected:
		snprintf(msg, msglen, "unexpected data after the JSON object "
		         "(line %d, column %d)", e->line, e->column);
		break;
	case json_error_numeric_overflow:
		snprintf(msg, msglen, "number out of range (line %d, column %d)",
		         e->line, e->column);
		break;
	case json_error_out_of_memory:
		snprintf(msg, msglen, "out of memory");
		break;
	default:
		snprintf(msg, msglen, "request body is not valid JSON (line %d, "
		         "column %d)", e->line, e->column);
		break;
	}
}

int
json_in_parse(const char *body, size_t len, int max_depth, json_t **out,
              char *msg, size_t msglen)
{
	json_error_t e;
	json_t *root;

	*out = NULL;
	if (msglen > 0)
		msg[0] = '\0';
	if (body == NULL || len == 0) {
		snprintf(msg, msglen, "request body must be a JSON object");
		return BA_ERR_INVALID_REQUEST;
	}
	if (memchr(body, '\0', len) != NULL) {
		snprintf(msg, msglen, "request body contains a NUL byte");
		return BA_ERR_INVALID_REQUEST;
	}
	if (!utf8_valid(body, len)) {
		snprintf(msg, msglen, "request body is not valid UTF-8");
		return BA_ERR_INVALID_REQUEST;
	}
	if (!json_in_depth_ok(body, len, max_depth)) {
		snprintf(msg, msglen, "JSON nesting deeper than %d levels",
		         max_depth);
		return BA_ERR_INVALID_REQUEST;
	}
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &e);
	if (root == NULL) {
		describe_error(&e, msg, msglen);
		return json_error_code(&e) == json_error_out_of_memory
		       ? BA_ERR_NOMEM : BA_ERR_INVALID_REQUEST;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		snprintf(msg, msglen, "request body must be a JSON object");
		return BA_ERR_INVALID_REQUEST;
	}
	*out = root;
	return BA_OK;
}

/* Sets the optional "present" flag of field f in out. */
static void
mark_present(const struct json_in_field *f, void *out)
{
	if (f->has != 0)
		*(bool *)(void *)((char *)out + f->has - 1) = true;
}

/* Form mode: replaces the text value of a non-string field of `obj` by the
 * typed value it spells (see json_in.h). Returns the new value (borrowed
 * from obj), or NULL with the reason in *why. A text that does not parse
 * keeps the reason the typed check would give. */
static json_t *
value_from_text(json_t *obj, const struct json_in_field *f, json_t *v,
                int max_depth, const char **why)
{
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);
	json_t *nv = NULL;

	switch (f->type) {
	case JIN_INT: {
		char *end;
		long long n;

		*why = "must be an integer";
		if (len == 0 || len > 20 || s[0] == '+' || s[0] == ' ' ||
		    (s[0] == '0' && len > 1) || (s[0] == '-' && (len == 1 || s[1] == '0')))
			return NULL;
		errno = 0;
		n = strtoll(s, &end, 10);
		if (errno != 0 || *end != '\0')
			return NULL;
		nv = json_integer((json_int_t)n);
		break;
	}
	case JIN_BOOL:
		*why = "must be a boolean";
		if (strcmp(s, "true") == 0)
			nv = json_true();
		else if (strcmp(s, "false") == 0)
			nv = json_false();
		else
			return NULL;
		break;
	case JIN_OBJECT:
	case JIN_ARRAY:
		*why = f->type == JIN_OBJECT ? "must be an object (JSON text in a form)"
		                             : "must be an array (JSON text in a form)";
		if (!json_in_depth_ok(s, len, max_depth - 1))
			return NULL;
		nv = json_loadb(s, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
		if (nv == NULL)
			return NULL;
		break;
	default:
		return v;
	}
	if (nv == NULL || json_object_set_new(obj, f->name, nv) != 0) {
		*why = "out of memory";
		return NULL;
	}
	return nv;
}

/* Decodes one field; on error writes "<name>: <reason>" and returns
 * BA_ERR_INVALID_REQUEST. `text_depth` > 0: form mode (value_from_text). */
static int
decode_field(json_t *obj, const struct json_in_field *f, void *out,
             int text_depth, char *msg, size_t msglen)
{
	char *dst = (char *)out + f->offset;
	json_t *v = json_object_get(obj, f->name);
	const char *why = NULL;
	char buf[96];

	if (v == NULL || json_is_null(v)) {
		if (f->required) {
			why = "is required";
			goto fail;
		}
		if (f->type == JIN_STRING)
			*(const char **)(void *)dst = NULL;
		else if (f->type == JIN_OBJECT || f->type == JIN_ARRAY)
			*(json_t **)(void *)dst = NULL;
		return BA_OK;
	}
	if (text_depth > 0 && f->type != JIN_STRING && json_is_string(v) &&
	    (v = value_from_text(obj, f, v, text_depth, &why)) == NULL)
		goto fail;
	switch (f->type) {
	case JIN_STRING: {
		size_t len;
		if (!json_is_string(v)) {
			why = f->allow_empty ? "must be a string"
			                     : "must be a non-empty string";
			goto fail;
		}
		len = json_string_length(v);
		if (len == 0 && !f->allow_empty) {
			why = "must be a non-empty string";
			goto fail;
		}
		if (f->max_len > 0 && len > f->max_len) {
			snprintf(buf, sizeof(buf), "is too long (max %zu bytes)",
			         f->max_len);
			why = buf;
			goto fail;
		}
		*(const char **)(void *)dst = json_string_value(v);
		break;
	}
	case JIN_INT: {
		json_int_t n;
		if (!json_is_integer(v)) {
			why = "must be an integer";
			goto fail;
		}
		n = json_integer_value(v);
		if (f->min < f->max && (n < f->min || n > f->max)) {
			snprintf(buf, sizeof(buf), "must be between %" PRId64
			         " and %" PRId64, f->min, f->max);
			why = buf;
			goto fail;
		}
		*(int64_t *)(void *)dst = (int64_t)n;
		break;
	}
	case JIN_BOOL:
		if (!json_is_boolean(v)) {
			why = "must be a boolean";
			goto fail;
		}
		*(bool *)(void *)dst = json_is_true(v);
		break;
	case JIN_OBJECT:
		if (!json_is_object(v)) {
			why = "must be an object";
			goto fail;
		}
		*(json_t **)(void *)dst = v;
		break;
	case JIN_ARRAY:
		if (!json_is_array(v)) {
			why = "must be an array";
			goto fail;
		}
		if (f->max_len > 0 && json_array_size(v) > f->max_len) {
			snprintf(buf, sizeof(buf), "has too many elements (max %zu)",
			         f->max_len);
			why = buf;
			goto fail;
		}
		*(json_t **)(void *)dst = v;
		break;
	default:
		why = "has an unsupported field type (bug)";
		goto fail;
	}
	mark_present(f, out);
	return BA_OK;
fail:
	snprintf(msg, msglen, "%s: %s", f->name, why);
	return BA_ERR_INVALID_REQUEST;
}

static int
decode_fields(json_t *obj, const struct json_in_field *fields, size_t nfields,
              int text_depth, void *out, char *msg, size_t msglen)
{
	size_t i;
	int r;

	if (msglen > 0)
		msg[0] = '\0';
	if (!json_is_object(obj)) {
		snprintf(msg, msglen, "request body must be a JSON object");
		return BA_ERR_INVALID_REQUEST;
	}
	for (i = 0; i < nfields; i++) {
		r = decode_field(obj, &fields[i], out, text_depth, msg, msglen);
		if (r != BA_OK)
			return r;
	}
	return BA_OK;
}

int
json_in_decode(json_t *obj, const struct json_in_field *fields,
               size_t nfields, void *out, char *msg, size_t msglen)
{
	return decode_fields(obj, fields, nfields, 0, out, msg, msglen);
}

int
json_in_decode_form(json_t *obj, const struct json_in_field *fields,
                    size_t nfields, int max_depth, void *out,
                    char *msg, size_t msglen)
{
	return decode_fields(obj, fields, nfields, max_depth > 1 ? max_depth : 2,
	                     out, msg, msglen);
}

int
json_in_from_form(const struct form *f, json_t **out)
{
	json_t *o = json_object();
	size_t i, n = form_count(f);

	*out = NULL;
	if (o == NULL)
		return BA_ERR_NOMEM;
	for (i = 0; i < n; i++) {
		const char *name = form_name(f, i);

		/* The form parser has checked UTF-8, NUL bytes and repeats. */
		if (json_object_set_new(o, name, json_string(form_get(f, name))) != 0) {
			json_decref(o);
			return BA_ERR_NOMEM;
		}
	}
	*out = o;
	return BA_OK;
}
