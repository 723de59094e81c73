/*
 * routes.c - the routing table: every endpoint of bioauthd in one place.
 *
 * Rows are tried in order and the first matching pattern + method wins, so
 * put literal paths before patterns with {name} segments that could match
 * them. BODY_JSON / BODY_FORM rows get their body checked and parsed by the
 * edge before the handler runs (see src/edge/http.h). Every /v1 and /oidc
 * row is also reached under the "/cis" base path (src/edge/router.c).
 */
#include <stddef.h>

#include "api/health.h"
#include "api/mobile_biometrics.h"
#include "api/oidc.h"
#include "api/openapi.h"
#include "api/users.h"
#include "edge/http.h"

const struct route api_routes[] = {
	/* operations */
	{ "GET", "/healthz", BODY_NONE, api_healthz },
	{ "GET", "/readyz", BODY_NONE, api_readyz },
	{ "GET", "/metrics", BODY_NONE, api_metrics },
	{ "GET", "/openapi.yaml", BODY_NONE, api_openapi },

	/* OAuth 2.0 / OpenID Connect */
	{ "POST", "/oidc/token", BODY_FORM, api_oidc_token, true },
	{ "POST", "/oidc/token/introspection", BODY_FORM, api_oidc_introspect },
	{ "POST", "/oidc/token/revocation", BODY_FORM, api_oidc_revoke },
	{ "GET", "/oidc/jwks", BODY_NONE, api_oidc_jwks },
	{ "GET", "/oidc/.well-known/openid-configuration", BODY_NONE, api_oidc_discovery },
	{ "GET", "/.well-known/openid-configuration", BODY_NONE, api_oidc_discovery },

	/* users and the first factor */
	{ "POST", "/v1/users", BODY_JSON, api_user_create },
	{ "GET", "/v1/users/username/{username}", BODY_NONE, api_user_get_by_username },
	{ "GET", "/v1/users/email/{email}", BODY_NONE, api_user_get_by_email },
	{ "GET", "/v1/users/{user_id}", BODY_NONE, api_user_get },
	{ "DELETE", "/v1/users/{user_id}", BODY_NONE, api_user_delete },
	{ "GET", "/v1/users/{user_id}/authenticators", BODY_NONE, api_mb_list },
	{ "POST", "/v1/auth/password/authenticate", BODY_JSON, api_password_authenticate },
	{ "POST", "/v1/auth/token/refresh", BODY_JSON, api_token_refresh },
	{ "POST", "/v1/auth/session/authenticate", BODY_JSON, api_session_authenticate },
	{ "POST", "/v1/auth/session/logout", BODY_JSON, api_session_logout },

	/* mobile biometrics */
	{ "POST", "/v1/auth/mobile-biometrics/start", BODY_JSON, api_mb_start },
	{ "POST", "/v1/auth/mobile-biometrics/register", BODY_JSON, api_mb_register },
	{ "POST", "/v1/auth/mobile-biometrics/authenticate", BODY_JSON, api_mb_authenticate },
	{ "DELETE", "/v1/auth/mobile-biometrics/delete", BODY_JSON, api_mb_delete },

	{ NULL, NULL, BODY_NONE, NULL },
};
