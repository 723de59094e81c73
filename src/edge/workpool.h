/*
 * workpool.h - a few threads for CPU-heavy request work (Argon2id password
 * hashing), so that it never holds an HTTP worker: a flood of password
 * guesses then queues here, bounded, while other requests are still served.
 */
#ifndef BIOAUTH_EDGE_WORKPOOL_H
#define BIOAUTH_EDGE_WORKPOOL_H

#include <stddef.h>

struct workpool;

typedef int (*work_fn)(void *arg);
typedef void (*work_done_fn)(int rc, void *done_arg);

/* Starts `threads` threads with a queue of at most `max_queued` jobs. */
int workpool_start(int threads, size_t max_queued, struct workpool **out);
/* Runs queued jobs to the end, then stops and frees. NULL is fine. */
void workpool_stop(struct workpool *p);
/* Queues fn(arg); done(rc, done_arg) runs on a pool thread afterwards.
 * BA_OK, or BA_ERR_RATE_LIMITED when the queue is full (done not called). */
int workpool_submit(struct workpool *p, work_fn fn, void *arg,
                    work_done_fn done, void *done_arg);

#endif
