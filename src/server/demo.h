/*
 * demo.h - the quick start's demo app (bioauthd --demo-app).
 */
#ifndef BIOAUTH_SERVER_DEMO_H
#define BIOAUTH_SERVER_DEMO_H

#include "common/config.h"
#include "store/store.h"

/*
 * Makes sure <data_dir>/demo-app.json names an app that exists in the store:
 * on first start (or when the file's app is gone) creates an app "demo",
 * writes {app_id, client_id, client_secret, issuer} to the file (mode 0600)
 * and prints the credentials on stdout. BA_OK or an error (logged).
 */
int demo_app_ensure(struct store *s, const struct config *cfg);

#endif
