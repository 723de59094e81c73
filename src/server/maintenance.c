/*
 * maintenance.c - periodic SW_PURGE. Every instance may run it: the purge is
 * idempotent. Rows are kept for the longest token lifetime past their
 * expiry, so a signing key stays until no token it signed can be live.
 * (Used (key, challenge) pairs are never purged: they are what makes a
 * replayed challenge fail after its /start record is gone.)
 */
#include "server/maintenance.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "common/log.h"
#include "domain/keyring.h"

#define FIRST_DELAY 60
#define INTERVAL 600

struct maintenance {
	struct store *store;
	const struct config *cfg;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
};

static void
purge_once(struct maintenance *m)
{
	struct store_write w;
	int rc;

	memset(&w, 0, sizeof(w));
	w.kind = SW_PURGE;
	w.in.purge.before = (int64_t)time(NULL) - keyring_max_token_ttl(m->cfg);
	if ((rc = store_write_sync(m->store, &w)) != BA_OK)
		log_write(LOG_WARN, "purge failed", "error", ba_strerror(rc), NULL);
}

static void *
run(void *arg)
{
	struct maintenance *m = arg;
	struct timespec due;
	int delay = FIRST_DELAY;

	pthread_mutex_lock(&m->mu);
	while (!m->stop) {
		clock_gettime(CLOCK_REALTIME, &due);
		due.tv_sec += delay;
		while (!m->stop && pthread_cond_timedwait(&m->cv, &m->mu, &due) != ETIMEDOUT)
			;
		if (m->stop)
			break;
		pthread_mutex_unlock(&m->mu);
		purge_once(m);
		pthread_mutex_lock(&m->mu);
		delay = INTERVAL;
	}
	pthread_mutex_unlock(&m->mu);
	return NULL;
}

int
maintenance_start(struct store *s, const struct config *cfg, struct maintenance **out)
{
	struct maintenance *m = calloc(1, sizeof(*m));

	*out = NULL;
	if (m == NULL)
		return BA_ERR_NOMEM;
	m->store = s;
	m->cfg = cfg;
	pthread_mutex_init(&m->mu, NULL);
	pthread_cond_init(&m->cv, NULL);
	if (pthread_create(&m->thread, NULL, run, m) != 0) {
		pthread_mutex_destroy(&m->mu);
		pthread_cond_destroy(&m->cv);
		free(m);
		return BA_ERR_INTERNAL;
	}
	*out = m;
	return BA_OK;
}

void
maintenance_stop(struct maintenance *m)
{
	if (m == NULL)
		return;
	pthread_mutex_lock(&m->mu);
	m->stop = true;
	pthread_cond_signal(&m->cv);
	pthread_mutex_unlock(&m->mu);
	pthread_join(m->thread, NULL);
	pthread_mutex_destroy(&m->mu);
	pthread_cond_destroy(&m->cv);
	free(m);
}
