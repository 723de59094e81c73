/*
 * users.h - handlers of /v1/users and the first factor.
 */
#ifndef BIOAUTH_API_USERS_H
#define BIOAUTH_API_USERS_H

#include "edge/http.h"

void api_user_create(struct req *r);          /* POST   /v1/users */
void api_user_get(struct req *r);             /* GET    /v1/users/{user_id} */
void api_user_get_by_username(struct req *r); /* GET    /v1/users/username/{username} */
void api_user_get_by_email(struct req *r);    /* GET    /v1/users/email/{email} */
void api_user_delete(struct req *r);          /* DELETE /v1/users/{user_id} */
void api_password_authenticate(struct req *r);/* POST   /v1/auth/password/authenticate */
void api_token_refresh(struct req *r);        /* POST   /v1/auth/token/refresh */
void api_session_logout(struct req *r);       /* POST   /v1/auth/session/logout */
void api_session_authenticate(struct req *r); /* POST   /v1/auth/session/authenticate */

#endif
