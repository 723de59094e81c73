/*
 * backend.c - the read pool and option filling both backends share
 * (backend.h).
 */
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "store/backend.h"

#define DEFAULT_BUSY_MS 5000

int store_pool_init(struct store_pool *p, int n)
{
	memset(p, 0, sizeof(*p));
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->busy = calloc((size_t)n, sizeof(*p->busy));
	if (p->busy == NULL)
		return BA_ERR_NOMEM;
	p->n = n;
	return BA_OK;
}

void store_pool_destroy(struct store_pool *p)
{
	free(p->busy);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
}

int store_pool_get(struct store_pool *p)
{
	int i;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		for (i = 0; i < p->n && p->busy[i]; i++)
			;
		if (i < p->n)
			break;
		pthread_cond_wait(&p->cv, &p->mu);
	}
	p->busy[i] = true;
	pthread_mutex_unlock(&p->mu);
	return i;
}

void store_pool_put(struct store_pool *p, int i)
{
	pthread_mutex_lock(&p->mu);
	p->busy[i] = false;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

void store_options_fill(struct store_options *o, const struct store_options *in,
                        const struct store_limits *lim)
{
	if (in != NULL) {
		*o = *in;
	} else {
		memset(o, 0, sizeof(*o));
		o->durable = true;
	}
	if (o->pool_size <= 0)
		o->pool_size = lim->pool;
	if (o->pool_size > lim->max_pool)
		o->pool_size = lim->max_pool;
	if (o->busy_timeout_ms <= 0)
		o->busy_timeout_ms = DEFAULT_BUSY_MS;
	if (o->max_batch <= 0)
		o->max_batch = lim->batch;
	if (o->max_batch > lim->max_batch)
		o->max_batch = lim->max_batch;
}
