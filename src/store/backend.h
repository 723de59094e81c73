/*
 * backend.h - what the two backends share besides the write queue
 * (queue.h): the pool of read connections and the filling of options.
 */
#ifndef BIOAUTH_STORE_BACKEND_H
#define BIOAUTH_STORE_BACKEND_H

#include <pthread.h>
#include <stdbool.h>

#include "store/store.h"

/* A pool of n read connections, known by their index (the backend keeps
 * the connections): a checkout waits while every one is busy. */
struct store_pool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool *busy;
	int n;
};

/* BA_OK or BA_ERR_NOMEM; a pool that failed to init destroys all the same. */
int store_pool_init(struct store_pool *p, int n);
void store_pool_destroy(struct store_pool *p);
/* The index of a free connection, now marked busy. */
int store_pool_get(struct store_pool *p);
void store_pool_put(struct store_pool *p, int i);

/* The backend's defaults and bounds of store_options. */
struct store_limits {
	int pool;        /* pool_size when not set */
	int max_pool;
	int batch;       /* max_batch when not set */
	int max_batch;
};

/* *o = *in (or durable defaults when NULL), with the unset fields from
 * `lim` and pool_size and max_batch bounded by it; busy_timeout_ms
 * defaults to 5 s. */
void store_options_fill(struct store_options *o, const struct store_options *in,
                        const struct store_limits *lim);

#endif
