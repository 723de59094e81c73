/*
 * mobile_biometrics.h - the mobile-biometrics API (docs/API.md "HTTP API").
 */
#ifndef BIOAUTH_API_MOBILE_BIOMETRICS_H
#define BIOAUTH_API_MOBILE_BIOMETRICS_H

#include <jansson.h>

#include "edge/http.h"
#include "domain/model.h"

void api_mb_start(struct req *r);          /* POST   /v1/auth/mobile-biometrics/start */
void api_mb_register(struct req *r);       /* POST   /v1/auth/mobile-biometrics/register */
void api_mb_authenticate(struct req *r);   /* POST   /v1/auth/mobile-biometrics/authenticate */
void api_mb_delete(struct req *r);         /* DELETE /v1/auth/mobile-biometrics/delete */
void api_mb_list(struct req *r);           /* GET    /v1/users/{user_id}/authenticators */

/* The public view of an authenticator (no secrets; the public key as
 * base64 DER SubjectPublicKeyInfo). NULL on ENOMEM. */
json_t *api_authenticator_json(const struct model_authenticator *a);

#endif
