#include "api/openapi.h"

#include <stddef.h>

/* Defined in openapi_blob.S. */
extern const char bioauth_openapi_start[];
extern const char bioauth_openapi_end[];

void
api_openapi(struct req *r)
{
	req_reply_text(r, 200, "application/yaml", bioauth_openapi_start,
	               (size_t)(bioauth_openapi_end - bioauth_openapi_start));
}
