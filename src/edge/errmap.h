/*
 * errmap.h - the one table from enum ba_err to what a client sees.
 */
#ifndef BIOAUTH_EDGE_ERRMAP_H
#define BIOAUTH_EDGE_ERRMAP_H

struct errmap_entry {
	unsigned status;          /* HTTP status */
	const char *code;         /* `error_code` of {"error_code","message"} */
	const char *oauth;        /* RFC 6749 / 6750 `error` of the /oidc routes */
	const char *message;      /* default message; for 5xx the only one sent */
};

/* The row of `err`; unknown values (and BA_OK, which is not an error) get
 * the internal_error row. Never NULL. */
const struct errmap_entry *errmap_get(int err);

/* The `ts_error_code` of `err` (src/edge/ts_errcode.c): Transmit's code for
 * the same failure; unknown values get "system_internal_error". Never NULL. */
const char *errmap_ts_code(int err);

#endif
