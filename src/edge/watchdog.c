/*
 * watchdog.c - see watchdog.h. One list of connections under a mutex; a
 * thread checks it twice a second and shuts down the socket of any
 * connection whose request is still being read past its deadline, which
 * makes libmicrohttpd close it (the CLOSED notification then unlinks it
 * before the socket is closed, so the fd is never stale while listed).
 */
#include "edge/watchdog.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "common/error.h"
#include "common/log.h"
#include "common/thread_name.h"

struct watched {
	struct watched *prev, *next;
	struct watchdog *w;
	MHD_socket fd;
	struct timespec since;   /* when the current request's clock started */
	struct timespec accepted; /* written once, before the first request */
	bool first_seen;         /* watchdog_first_request answered true */
	bool reading;            /* the request is not yet read completely */
	bool cut;                /* already shut down */
};

struct watchdog {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	struct watched head;     /* sentinel of a circular list */
	unsigned deadline;
	bool stop;
};

static struct watched *
watched_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci != NULL ? ci->socket_context : NULL;
}

static void
set_reading(struct MHD_Connection *conn, bool reading)
{
	struct watched *c = watched_of(conn);

	if (c == NULL)
		return;
	pthread_mutex_lock(&c->w->mu);
	c->reading = reading;
	clock_gettime(CLOCK_MONOTONIC, &c->since);
	pthread_mutex_unlock(&c->w->mu);
}

bool
watchdog_first_request(struct MHD_Connection *conn, struct timespec *accepted)
{
	struct watched *c = watched_of(conn);

	/* Only the connection's thread reads or writes these two fields. */
	if (c == NULL || c->first_seen)
		return false;
	c->first_seen = true;
	*accepted = c->accepted;
	return true;
}

void
watchdog_request_read(struct MHD_Connection *conn)
{
	set_reading(conn, false);
}

void
watchdog_request_done(struct MHD_Connection *conn)
{
	set_reading(conn, true);
}

void
watchdog_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
                enum MHD_ConnectionNotificationCode code)
{
	struct watchdog *w = cls;
	struct watched *c = *socket_context;
	const union MHD_ConnectionInfo *ci;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (ci == NULL || (c = calloc(1, sizeof(*c))) == NULL)
			return;   /* unwatched: the idle timeout still applies */
		c->w = w;
		c->fd = ci->connect_fd;
		c->reading = true;
		clock_gettime(CLOCK_MONOTONIC, &c->since);
		c->accepted = c->since;
		pthread_mutex_lock(&w->mu);
		c->next = w->head.next;
		c->prev = &w->head;
		w->head.next->prev = c;
		w->head.next = c;
		pthread_mutex_unlock(&w->mu);
		*socket_context = c;
	} else if (c != NULL) {
		pthread_mutex_lock(&w->mu);
		c->prev->next = c->next;
		c->next->prev = c->prev;
		pthread_mutex_unlock(&w->mu);
		free(c);
		*socket_context = NULL;
	}
}

/* Shuts down every connection still reading a request past the deadline. */
static unsigned
sweep(struct watchdog *w)
{
	struct timespec now;
	unsigned cut = 0;

	clock_gettime(CLOCK_MONOTONIC, &now);
	for (struct watched *c = w->head.next; c != &w->head; c = c->next) {
		if (!c->reading || c->cut || now.tv_sec - c->since.tv_sec < (time_t)w->deadline)
			continue;
		shutdown(c->fd, SHUT_RDWR);
		c->cut = true;
		cut++;
	}
	return cut;
}

static void *
run(void *arg)
{
	struct watchdog *w = arg;
	struct timespec due;
	unsigned cut;
	char n[16];

	thread_name_set("ba-watchdog");
	pthread_mutex_lock(&w->mu);
	while (!w->stop) {
		clock_gettime(CLOCK_REALTIME, &due);
		due.tv_nsec += 500000000L;
		if (due.tv_nsec >= 1000000000L) {
			due.tv_sec++;
			due.tv_nsec -= 1000000000L;
		}
		if (pthread_cond_timedwait(&w->cv, &w->mu, &due) != ETIMEDOUT || w->stop)
			continue;
		if ((cut = sweep(w)) > 0) {
			snprintf(n, sizeof(n), "%u", cut);
			log_write(LOG_WARN, "slow clients disconnected: request not read in time",
			          "connections", n, NULL);
		}
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int
watchdog_start(unsigned deadline, struct watchdog **out)
{
	struct watchdog *w = calloc(1, sizeof(*w));

	*out = NULL;
	if (w == NULL)
		return BA_ERR_NOMEM;
	w->deadline = deadline > 0 ? deadline : 1;
	w->head.next = w->head.prev = &w->head;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (pthread_create(&w->thread, NULL, run, w) != 0) {
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
		free(w);
		return BA_ERR_INTERNAL;
	}
	*out = w;
	return BA_OK;
}

void
watchdog_stop(struct watchdog *w)
{
	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w);
}
