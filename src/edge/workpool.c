/*
 * workpool.c - see workpool.h. A mutex-protected FIFO and a condition
 * variable; jobs are tiny structs allocated per submission.
 */
#include "edge/workpool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "common/error.h"
#include "common/thread_name.h"

struct job {
	struct job *next;
	work_fn fn;
	void *arg;
	work_done_fn done;
	void *done_arg;
};

struct workpool {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *head, *tail;
	size_t queued, max_queued;
	bool stop;
	int nthreads;
	pthread_t threads[];
};

static void *
run(void *arg)
{
	struct workpool *p = arg;
	struct job *j;

	thread_name_set("ba-work");
	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (p->head == NULL && !p->stop)
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->head == NULL)
			break;
		j = p->head;
		p->head = j->next;
		if (p->head == NULL)
			p->tail = NULL;
		p->queued--;
		pthread_mutex_unlock(&p->mu);
		j->done(j->fn(j->arg), j->done_arg);
		free(j);
		pthread_mutex_lock(&p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int
workpool_start(int threads, size_t max_queued, struct workpool **out)
{
	struct workpool *p;

	*out = NULL;
	if (threads < 1)
		threads = 1;
	p = calloc(1, sizeof(*p) + (size_t)threads * sizeof(pthread_t));
	if (p == NULL)
		return BA_ERR_NOMEM;
	p->max_queued = max_queued;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	for (; p->nthreads < threads; p->nthreads++)
		if (pthread_create(&p->threads[p->nthreads], NULL, run, p) != 0) {
			workpool_stop(p);
			return BA_ERR_INTERNAL;
		}
	*out = p;
	return BA_OK;
}

void
workpool_stop(struct workpool *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->nthreads; i++)
		pthread_join(p->threads[i], NULL);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cv);
	free(p);
}

int
workpool_submit(struct workpool *p, work_fn fn, void *arg, work_done_fn done, void *done_arg)
{
	struct job *j;

	pthread_mutex_lock(&p->mu);
	if (p->stop || p->queued >= p->max_queued) {
		pthread_mutex_unlock(&p->mu);
		return BA_ERR_RATE_LIMITED;
	}
	pthread_mutex_unlock(&p->mu);
	if ((j = calloc(1, sizeof(*j))) == NULL)
		return BA_ERR_NOMEM;
	j->fn = fn;
	j->arg = arg;
	j->done = done;
	j->done_arg = done_arg;
	pthread_mutex_lock(&p->mu);
	if (p->tail != NULL)
		p->tail->next = j;
	else
		p->head = j;
	p->tail = j;
	p->queued++;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return BA_OK;
}
