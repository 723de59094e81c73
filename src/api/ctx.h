/*
 * ctx.h - the server-wide context every handler reaches with req_ctx().
 */
#ifndef BIOAUTH_API_CTX_H
#define BIOAUTH_API_CTX_H

#include "common/config.h"
#include "store/store.h"

struct keyring;
struct attestation_ctx;

struct bioauth_ctx {
	const struct config *cfg;
	struct store *store;
	struct keyring *keys;   /* signing keys (src/domain/keyring.h) */
	struct attestation_ctx *attest;  /* src/domain/attestation.h */
};

#endif
