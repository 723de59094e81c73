/*
 * openapi.h - GET /openapi.yaml: docs/openapi.yaml, built into the binary
 * (src/api/openapi_blob.S) so the server always serves the document of its
 * own version.
 */
#ifndef BIOAUTH_API_OPENAPI_H
#define BIOAUTH_API_OPENAPI_H

#include "edge/http.h"

void api_openapi(struct req *r);

#endif
