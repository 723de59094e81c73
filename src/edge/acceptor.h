/*
 * acceptor.h - bioauthd's own listening socket and accept thread.
 *
 * libmicrohttpd's thread pool lets every worker accept from one listening
 * socket, and a worker keeps the connections it accepted: a burst of
 * connects lands mostly on whichever worker woke first (measured 4:1 on two
 * workers, docs/PERFORMANCE.md "Round 2"). The acceptor accepts instead and
 * hands each connection to the daemon with MHD_add_connection, which spreads
 * connections over the pool by socket number.
 */
#ifndef BIOAUTH_EDGE_ACCEPTOR_H
#define BIOAUTH_EDGE_ACCEPTOR_H

#include <microhttpd.h>
#include <sys/socket.h>

struct acceptor;

/* Binds and listens on `addr`; BA_OK with *out set, or BA_ERR_IO (logged,
 * with the system's reason, e.g. "Address already in use"). */
int acceptor_open(const struct sockaddr *addr, socklen_t len, struct acceptor **out);
/* Starts accepting into `daemon` (started with MHD_USE_NO_LISTEN_SOCKET). */
int acceptor_run(struct acceptor *a, struct MHD_Daemon *daemon);
/* Stops accepting: new connections are refused from here on. Idempotent. */
void acceptor_quiesce(struct acceptor *a);
/* Quiesces, closes the socket and frees. NULL is fine. */
void acceptor_free(struct acceptor *a);

#endif
