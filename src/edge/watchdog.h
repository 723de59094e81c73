/*
 * watchdog.h - a deadline for reading each request.
 *
 * libmicrohttpd's connection timeout is an idle timeout: a client that sends
 * one byte every few seconds (slowloris) resets it forever and holds a
 * connection, and a worker's share of the connection limit, indefinitely.
 * The watchdog gives every request a deadline from the moment its connection
 * is ready for it (accepted, or the previous response sent) until its last
 * byte is read; a connection that misses it is shut down. Requests that are
 * being handled or wait for the store are never touched.
 */
#ifndef BIOAUTH_EDGE_WATCHDOG_H
#define BIOAUTH_EDGE_WATCHDOG_H

#include <microhttpd.h>
#include <stdbool.h>
#include <time.h>

struct watchdog;

/* Starts the watchdog thread; `deadline` in seconds. BA_OK or an error. */
int watchdog_start(unsigned deadline, struct watchdog **out);
/* Stops and frees it; call after the daemon is stopped. NULL is fine. */
void watchdog_stop(struct watchdog *w);

/* MHD_OPTION_NOTIFY_CONNECTION callback; cls is the watchdog. */
void watchdog_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                     enum MHD_ConnectionNotificationCode code);
/* The request on `conn` is read completely: its clock stops. */
void watchdog_request_read(struct MHD_Connection *conn);
/* True (with its accept time in `accepted`) the first time it is asked for
 * a connection, i.e. for its first request; false afterwards or when the
 * connection is not watched. Call on the connection's own thread. */
bool watchdog_first_request(struct MHD_Connection *conn, struct timespec *accepted);
/* The response on `conn` is done: the clock of the next request starts. */
void watchdog_request_done(struct MHD_Connection *conn);

#endif
