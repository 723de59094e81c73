/*
 * maintenance.c - periodic SW_PURGE. Every instance may run it: the purge is
 * idempotent. Rows are kept for the longest token lifetime past their
 * expiry, so a signing key stays until no token it signed can be live.
 * (Used (key, challenge) pairs are never purged: they are what makes a
 * replayed challenge fail after its /start record is gone.)
 *
 * With --signing-key-rotate-days N it also rotates the signing key once the
 * current one is N days old: checked at start and with every purge. The
 * rotation is an ordinary SW_SIGNING_KEY_ROTATE with an audit event
 * "signing_key_rotate"; the old key keeps verifying until the purge drops
 * it, the longest token lifetime after it was retired. Instances that
 * rotate at the same moment each store a key; the last one signs.
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
#include "common/thread_name.h"
#include "crypto/jws.h"
#include "domain/keyring.h"

#define FIRST_DELAY 60
#define INTERVAL 600

struct maintenance {
	struct store *store;
	const struct config *cfg;
	struct keyring *keys;
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

/* Rotates the signing key when the newest current one is older than
 * --signing-key-rotate-days (or there is none); logs the outcome. */
static void
rotate_if_due(struct maintenance *m)
{
	struct model_signing_key *keys = NULL;
	struct model_audit audit;
	struct store_write w;
	int64_t now = (int64_t)time(NULL), newest = 0;
	const char *old_kid = NULL;
	char *kid = NULL;
	enum jws_alg alg;
	size_t n = 0, i;
	int rc;

	if (m->cfg->signing_key_rotate_days <= 0)
		return;
	if ((rc = store_signing_key_list(m->store, &keys, &n)) != BA_OK) {
		log_write(LOG_WARN, "signing key rotation: cannot list keys",
		          "error", ba_strerror(rc), NULL);
		return;
	}
	for (i = 0; i < n; i++) {
		if (keys[i].retired_at == 0 && keys[i].created_at >= newest) {
			newest = keys[i].created_at;
			old_kid = keys[i].kid;
		}
	}
	if (old_kid != NULL &&
	    now - newest < (int64_t)m->cfg->signing_key_rotate_days * 86400)
		goto out;
	memset(&w, 0, sizeof(w));
	alg = jws_alg_parse(m->cfg->signing_alg);
	if (alg == 0 || (rc = keyring_prepare_rotate(alg, now, keyring_secrets(m->keys), &w, &kid)) != BA_OK) {
		log_write(LOG_WARN, "signing key rotation failed", "error",
		          ba_strerror(alg == 0 ? BA_ERR_CONFIG : rc), NULL);
		goto out;
	}
	memset(&audit, 0, sizeof(audit));
	audit.time = now;
	audit.event = "signing_key_rotate";
	audit.outcome = "success";
	audit.key_id = kid;
	w.audit = &audit;
	rc = store_write_sync(m->store, &w);
	if (rc == BA_OK) {
		/* This instance signs with the new key at once. */
		keyring_invalidate(m->keys);
		log_write(LOG_INFO, "signing key rotated (automatic)", "kid", kid,
		          "previous_kid", old_kid, NULL);
	} else
		log_write(LOG_WARN, "signing key rotation failed", "error",
		          ba_strerror(rc), NULL);
	model_signing_key_clear(&w.in.signing_key);
	free(kid);
out:
	store_free_signing_keys(keys, n);
}

static void *
run(void *arg)
{
	struct maintenance *m = arg;
	struct timespec due;
	int delay = FIRST_DELAY;

	thread_name_set("ba-maintenance");
	rotate_if_due(m);
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
		rotate_if_due(m);
		pthread_mutex_lock(&m->mu);
		delay = INTERVAL;
	}
	pthread_mutex_unlock(&m->mu);
	return NULL;
}

int
maintenance_start(struct store *s, const struct config *cfg, struct keyring *keys,
                  struct maintenance **out)
{
	struct maintenance *m = calloc(1, sizeof(*m));

	*out = NULL;
	if (m == NULL)
		return BA_ERR_NOMEM;
	m->store = s;
	m->cfg = cfg;
	m->keys = keys;
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
