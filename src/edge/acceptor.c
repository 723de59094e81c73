/*
 * acceptor.c - see acceptor.h. One thread blocks in accept(); quiescing
 * shuts the listening socket down, which wakes accept() with an error and
 * makes the kernel refuse further connects.
 */
#include "edge/acceptor.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/error.h"
#include "common/log.h"
#include "common/thread_name.h"

#define BACKLOG 511

struct acceptor {
	int fd;
	struct MHD_Daemon *daemon;
	pthread_t thread;
	bool running;
	atomic_bool stop;
};

int
acceptor_open(const struct sockaddr *addr, socklen_t len, struct acceptor **out)
{
	struct acceptor *a;
	int on = 1;

	*out = NULL;
	a = calloc(1, sizeof(*a));
	if (a == NULL)
		return BA_ERR_NOMEM;
	a->fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (a->fd < 0)
		goto fail;
	if (setsockopt(a->fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0)
		goto fail;
	if (addr->sa_family == AF_INET6 &&
	    setsockopt(a->fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) != 0)
		goto fail;
	if (bind(a->fd, addr, len) != 0 || listen(a->fd, BACKLOG) != 0)
		goto fail;
	*out = a;
	return BA_OK;
fail:
	log_write(LOG_ERROR, "cannot listen", "detail", strerror(errno), NULL);
	if (a->fd >= 0)
		close(a->fd);
	free(a);
	return BA_ERR_IO;
}

/* Accepts until quiesced; MHD takes (and on failure closes) each socket. */
static void *
run(void *arg)
{
	struct acceptor *a = arg;
	struct sockaddr_storage ss;
	socklen_t len;
	int c;

	thread_name_set("ba-accept");
	while (!atomic_load(&a->stop)) {
		len = sizeof(ss);
		c = accept(a->fd, (struct sockaddr *)&ss, &len);
		if (c < 0) {
			const struct timespec pause = { 0, 10 * 1000 * 1000 };

			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (atomic_load(&a->stop))
				break;
			/* Out of descriptors or memory: let connections go
			 * before trying again rather than spin. */
			nanosleep(&pause, NULL);
			continue;
		}
		if (fcntl(c, F_SETFD, FD_CLOEXEC) != 0 ||
		    fcntl(c, F_SETFL, fcntl(c, F_GETFL) | O_NONBLOCK) != 0) {
			close(c);
			continue;
		}
		(void)MHD_add_connection(a->daemon, c, (struct sockaddr *)&ss, len);
	}
	return NULL;
}

int
acceptor_run(struct acceptor *a, struct MHD_Daemon *daemon)
{
	a->daemon = daemon;
	if (pthread_create(&a->thread, NULL, run, a) != 0)
		return BA_ERR_INTERNAL;
	a->running = true;
	return BA_OK;
}

void
acceptor_quiesce(struct acceptor *a)
{
	if (a == NULL || atomic_exchange(&a->stop, true))
		return;
	shutdown(a->fd, SHUT_RDWR);
	if (a->running)
		pthread_join(a->thread, NULL);
	a->running = false;
}

void
acceptor_free(struct acceptor *a)
{
	if (a == NULL)
		return;
	acceptor_quiesce(a);
	close(a->fd);
	free(a);
}
