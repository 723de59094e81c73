/*
 * oidc.h - handlers of the /oidc endpoints (see oidc.c).
 */
#ifndef BIOAUTH_API_OIDC_H
#define BIOAUTH_API_OIDC_H

#include "edge/http.h"

void api_oidc_token(struct req *r);       /* POST /oidc/token */
void api_oidc_discovery(struct req *r);   /* GET  .well-known/openid-configuration */
void api_oidc_jwks(struct req *r);        /* GET  /oidc/jwks */
void api_oidc_introspect(struct req *r);  /* POST /oidc/token/introspection */
void api_oidc_revoke(struct req *r);      /* POST /oidc/token/revocation */

#endif
