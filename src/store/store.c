/*
 * store.c - backend selection and the backend-independent helpers of the
 * store interface (store.h): open by URL, synchronous writes, list frees.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "store/queue.h"
#include "store/store.h"

bool store_url_is_postgres(const char *url)
{
	return strncmp(url, "postgres://", 11) == 0 ||
	       strncmp(url, "postgresql://", 13) == 0;
}

/*
 * Opens the backend `url` selects: "postgres://" or "postgresql://" is
 * PostgreSQL, anything else a SQLite file path. `opt` may be NULL for the
 * defaults. On success *out owns the store (free with store_close()).
 */
int store_open(const char *url, const struct store_options *opt, struct store **out)
{
	const struct store_ops *ops;

	*out = NULL;
	if (url == NULL || url[0] == '\0')
		return BA_ERR_CONFIG;
	ops = store_url_is_postgres(url) ? &store_postgres_ops : &store_sqlite_ops;
	if (ops->open == NULL)
		return BA_ERR_STORE_UNAVAILABLE;
	return ops->open(url, opt, out);
}

void store_close(struct store *s)
{
	if (s != NULL)
		s->ops->close(s);
}

/* The rendezvous between store_write_sync() and the backend's thread. */
struct sync_wait {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done;
	int rc;
};

static void sync_done(struct store_write *w, int rc, void *arg)
{
	struct sync_wait *sw = arg;

	(void)w;
	pthread_mutex_lock(&sw->mu);
	sw->rc = rc;
	sw->done = true;
	pthread_cond_signal(&sw->cv);
	pthread_mutex_unlock(&sw->mu);
}

/*
 * Submits `w` and blocks the calling thread until the backend called its
 * done callback; returns the write's rc (or submit's, when it refused the
 * write, in which case done is never called). Never call it from a done
 * callback: that thread is the one that would have to finish the write.
 */
int store_write_sync(struct store *s, struct store_write *w)
{
	struct sync_wait sw;
	int r;

	memset(&sw, 0, sizeof(sw));
	if (pthread_mutex_init(&sw.mu, NULL) != 0)
		return BA_ERR_INTERNAL;
	if (pthread_cond_init(&sw.cv, NULL) != 0) {
		pthread_mutex_destroy(&sw.mu);
		return BA_ERR_INTERNAL;
	}
	r = store_submit(s, w, sync_done, &sw);
	if (r == BA_OK) {
		pthread_mutex_lock(&sw.mu);
		while (!sw.done)
			pthread_cond_wait(&sw.cv, &sw.mu);
		r = sw.rc;
		pthread_mutex_unlock(&sw.mu);
	}
	pthread_cond_destroy(&sw.cv);
	pthread_mutex_destroy(&sw.mu);
	return r;
}


/* The typed calls of store.h that are operations of the backend: each
 * hands its arguments to s's backend (the reads are read.c's). */
const char *store_backend_name(const struct store *s)
{
	return s->ops->name;
}

int store_ready(struct store *s)
{
	return s->ops->ready(s);
}

int store_migrate(struct store *s, int *version)
{
	return s->ops->migrate(s, version);
}

int store_submit(struct store *s, struct store_write *w, store_done_fn done, void *arg)
{
	return store_queue_submit(s->q, w, done, arg);
}

void store_free_apps(struct model_app *a, size_t n)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		model_app_clear(&a[i]);
	free(a);
}

void store_free_users(struct model_user *u, size_t n)
{
	if (u == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		model_user_clear(&u[i]);
	free(u);
}

void store_free_authenticators(struct model_authenticator *a, size_t n)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		model_authenticator_clear(&a[i]);
	free(a);
}

void store_free_signing_keys(struct model_signing_key *k, size_t n)
{
	if (k == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		model_signing_key_clear(&k[i]);
	free(k);
}

void store_free_audit(struct model_audit *e, size_t n)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		model_audit_clear(&e[i]);
	free(e);
}
