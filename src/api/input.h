/*
 * input.h - typed request bodies for the /v1 handlers.
 */
#ifndef BIOAUTH_API_INPUT_H
#define BIOAUTH_API_INPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "edge/http.h"
#include "edge/json_in.h"

/* Decodes the request's JSON (or form) body into `out` per `fields`; on bad input
 * replies 400 invalid_request with the precise message and returns false. */
bool api_decode(struct req *r, const struct json_in_field *fields, size_t n, void *out);

/* Formats an RFC 3339 UTC timestamp ("2026-11-28T10:00:00Z") into buf[32]. */
const char *api_time(int64_t t, char buf[32]);

#endif
