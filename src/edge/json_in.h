/*
 * json_in.h - untrusted JSON request bodies into typed C structs.
 *
 * json_in_parse() turns raw body bytes into a jansson object after checking,
 * in this order: non-empty, no NUL byte, valid UTF-8, nesting depth (by a
 * linear pre-scan of the raw bytes, so a megabyte of "[[[[" never reaches the
 * recursive parser), then jansson with JSON_REJECT_DUPLICATES (which also
 * rejects "\u0000"); the root must be an object. Each failure has its own
 * precise message.
 *
 * json_in_decode() then fills a C struct from a field table:
 *
 *   struct start_in { const char *user_id; int64_t timeout; bool has_timeout; };
 *   static const struct json_in_field fields[] = {
 *       { "user_id", JIN_STRING, true, 256, offsetof(struct start_in, user_id) },
 *       { "timeout", JIN_INT, false, 0, offsetof(struct start_in, timeout),
 *         JIN_HAS(struct start_in, has_timeout), 1, 3600 },
 *   };
 *   rc = json_in_decode(req_json(r), fields, 2, &in, msg, sizeof(msg));
 *
 * Unknown fields are ignored; a null value counts as absent.
 *
 * Form bodies: a JSON route may also be sent as
 * application/x-www-form-urlencoded. json_in_from_form() turns the form
 * into an object of strings, and json_in_decode_form() decodes it with the
 * same field table, reading each non-string field from its text: an integer
 * in decimal, a boolean as "true"/"false", an object or array as JSON text
 * (checked as a body is, and put in place of the text in `obj`, so later
 * readers of `obj` see the object). Everything else is the same validation.
 */
#ifndef BIOAUTH_EDGE_JSON_IN_H
#define BIOAUTH_EDGE_JSON_IN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum json_in_type {
	JIN_STRING = 1, /* const char * borrowed from the json_t (lives as long
	                   as the request); NULL when absent */
	JIN_INT,        /* int64_t; untouched when absent */
	JIN_BOOL,       /* bool; untouched when absent */
	JIN_OBJECT,     /* json_t * borrowed; NULL when absent */
	JIN_ARRAY,      /* json_t * borrowed; NULL when absent */
};

/* Offset of a "present" flag, +1 so that 0 means "no flag". */
#define JIN_HAS(type, member) (offsetof(type, member) + 1)

struct json_in_field {
	const char *name;
	enum json_in_type type;
	bool required;          /* absent or null -> "<name>: is required" */
	size_t max_len;         /* STRING: most bytes (0 = no limit); ARRAY: most
	                           elements (0 = no limit) */
	size_t offset;          /* where the value goes in the struct */
	size_t has;             /* JIN_HAS(...) of a bool set when present, or 0 */
	int64_t min, max;       /* INT range when min < max */
	bool allow_empty;       /* STRING: accept "" (otherwise rejected) */
};

/* Pre-scan: true when no array/object in the `len` bytes nests deeper than
 * max_depth (brackets inside strings do not count). Linear, no recursion. */
bool json_in_depth_ok(const char *buf, size_t len, int max_depth);

/* Parses a request body; *out receives a new reference to the root object.
 * BA_OK; BA_ERR_INVALID_REQUEST with the reason in msg; BA_ERR_NOMEM. */
int json_in_parse(const char *body, size_t len, int max_depth, json_t **out,
                  char *msg, size_t msglen);

/* Fills `out` from `obj` per `fields`. BA_OK; BA_ERR_INVALID_REQUEST with
 * "<name>: is required" / "must be a non-empty string" / "must be a string" /
 * "is too long (max N bytes)" / "must be an integer" / "must be between A
 * and B" / "must be a boolean" / "must be an object" / "must be an array" /
 * "has too many elements (max N)" in msg. Fields before the failing one
 * may already be filled. */
int json_in_decode(json_t *obj, const struct json_in_field *fields,
                   size_t nfields, void *out, char *msg, size_t msglen);

struct form;

/* An object with one string member per form parameter (a new reference in
 * *out). BA_OK or BA_ERR_NOMEM. */
int json_in_from_form(const struct form *f, json_t **out);

/* json_in_decode() for an object made by json_in_from_form(); max_depth
 * bounds the nesting of object and array values given as JSON text. */
int json_in_decode_form(json_t *obj, const struct json_in_field *fields,
                        size_t nfields, int max_depth, void *out,
                        char *msg, size_t msglen);

#endif
