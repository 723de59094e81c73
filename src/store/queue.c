/*
 * queue.c - the write queue, batcher and group-commit loop of both
 * backends (queue.h).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/error.h"
#include "common/metrics.h"
#include "common/thread_name.h"
#include "store/queue.h"
#include "store/write.h"

/* One queued write. `kept`: what it wrote is in the transaction (it
 * succeeded, or was refused and kept its record); true at the end only
 * when that transaction committed. `refused`: the code its commit
 * refused it with (queue.h apply_refused), 0 before. */
struct job {
	struct store_write *w;
	store_done_fn done;
	void *arg;
	int rc;
	int refused;
	bool kept;
	struct job *next;
};

struct writer {
	struct store_queue *q;
	void *ctx;
	pthread_t thread;
	bool started;
	struct job **batch;           /* room for max_batch jobs */
	struct store_write **ws;      /* and for their writes (lock_batch) */
};

struct store_queue {
	const struct store_queue_ops *ops;
	size_t max_batch;
	struct writer *writers;
	int n_writers;

	/* everything below is guarded by mu */
	pthread_mutex_t mu;
	pthread_cond_t cv;            /* signals the writers: work or stop */
	struct job *head, *tail;
	size_t queued;
	bool stopping;
	bool fault;                   /* the last batch failed with a storage fault */
	bool probe_inflight;
	struct store_write probe;
	double last_batch;            /* monotonic time a writer last ran a batch */
};

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Gives jobs[from..to) the code `rc`; nothing of them stays. */
static void fail_jobs(struct job **jobs, size_t from, size_t to, int rc)
{
	for (size_t i = from; i < to; i++) {
		jobs[i]->rc = rc;
		jobs[i]->kept = false;
	}
}

/*
 * Runs jobs[0..n) in one transaction on writer `ctx` (see queue.h) and sets
 * each settled job's rc. Returns how many jobs it settled, from the first:
 * n, or fewer when a job answered QUEUE_RETRY or the transaction broke
 * (then the rest runs again), 0 when none could be (run the same jobs
 * again). *wrote is set when the commit kept something.
 */
static size_t run_txn(const struct store_queue_ops *ops, void *ctx, struct job **jobs, size_t n,
                      struct store_write **ws, bool *wrote)
{
	struct store_tx *tx = ops->tx(ctx);
	bool batch = n > 1;
	double t0 = mono_now();
	size_t ran;
	int r;

	tx->lone = false;
	r = ops->begin(ctx);

	if (r == BA_OK && ops->lock_batch != NULL) {
		for (size_t i = 0; i < n; i++)
			ws[i] = jobs[i]->w;
		if ((r = ops->lock_batch(ctx, ws, n)) != BA_OK) {
			ops->rollback(ctx);
			if (r == QUEUE_RETRY)
				return 0;   /* a deadlock: run the same jobs again */
		}
	}
	if (r != BA_OK) {
		fail_jobs(jobs, 0, n, r == QUEUE_RETRY ? BA_ERR_STORE_UNAVAILABLE : r);
		return n;
	}
	for (ran = 0; ran < n; ran++) {
		struct job *j = jobs[ran];
		bool keep = false;

		j->kept = false;
		if (batch && (r = tx->ops->savepoint(tx, TX_SP_BEGIN)) != BA_OK) {
			j->rc = r;
			ran++;
			goto broken;
		}
		tx->lone = !batch && ops->apply_refused != NULL && j->refused == 0;
		if (j->refused != 0)
			j->rc = ops->apply_refused(ctx, j->w, j->refused, &keep);
		else
			j->rc = ops->apply(ctx, j->w, &keep);
		j->kept = j->rc == BA_OK || keep;
		if (ops->broken(ctx)) {
			r = j->rc == BA_OK || j->rc == QUEUE_RETRY ? BA_ERR_STORE_UNAVAILABLE : j->rc;
			ran++;
			goto broken;
		}
		if (batch &&
		    (r = tx->ops->savepoint(tx, j->kept ? TX_SP_RELEASE : TX_SP_ROLLBACK)) != BA_OK) {
			ran++;
			goto broken;
		}
		if (j->rc == QUEUE_RETRY)
			break;
	}
	if (!batch && !jobs[0]->kept) {
		/* a lone write that failed: nothing to commit */
		ops->rollback(ctx);
		return jobs[0]->rc == QUEUE_RETRY ? 0 : 1;
	}
	r = ops->commit(ctx);
	if (r == BA_OK) {
		if (ran > 0)
			metrics_observe_commit(mono_now() - t0, ran);
		for (size_t i = 0; i < ran; i++)
			*wrote = *wrote || jobs[i]->kept;
		return ran;
	}
	if (tx->lone && jobs[0]->rc == BA_OK && store_is_refusal(r) && !ops->broken(ctx)) {
		/* a lone write refused by what it left to the commit, which
		 * committed nothing: it runs again as its refusal */
		ops->rollback(ctx);
		jobs[0]->refused = r;
		fail_jobs(jobs, 0, 1, r);
		return 0;
	}
	if (r == QUEUE_RETRY) {
		/* refused at commit (serialization, or a deadlock of what a lone
		 * write left to it): run them all again */
		ops->rollback(ctx);
		fail_jobs(jobs, 0, ran, QUEUE_RETRY);
		return 0;
	}
broken:
	/* `r` is why the transaction broke */
	ops->rollback(ctx);
	r = ops->failure(ctx, r);
	if (ops->whole_batch_fails) {
		fail_jobs(jobs, 0, n, r);
		return n;
	}
	for (size_t i = 0; i < ran; i++) {
		if (jobs[i]->rc == BA_OK || jobs[i]->rc == QUEUE_RETRY)
			jobs[i]->rc = r;
		jobs[i]->kept = false;
	}
	return ran;
}

/*
 * Settles a writer's batch of n jobs (transaction after transaction), then
 * records the write path's health, calls every job's done and frees it.
 */
static void run_batch(struct writer *wr, size_t n)
{
	struct store_queue *q = wr->q;
	struct job **jobs = wr->batch;
	bool wrote = false, fault = false;
	size_t start = 0;
	int stuck = 0;

	while (start < n) {
		int refused = jobs[start]->refused;
		size_t k = run_txn(q->ops, wr->ctx, jobs + start, n - start, wr->ws, &wrote);

		if (k == 0 && jobs[start]->refused != refused)
			continue;   /* refused at its commit (once): runs again as such, not a failed try */
		if (k == 0 && ++stuck >= QUEUE_ATTEMPTS) {
			fail_jobs(jobs, start, start + 1, BA_ERR_STORE_UNAVAILABLE);
			k = 1;
		}
		if (k > 0)
			stuck = 0;
		start += k;
	}
	for (size_t i = 0; i < n; i++) {
		if (jobs[i]->rc != BA_OK && !jobs[i]->kept)
			store_write_out_reset(jobs[i]->w);
		fault = fault || jobs[i]->rc == BA_ERR_STORE_UNAVAILABLE;
	}
	pthread_mutex_lock(&q->mu);
	if (fault)
		q->fault = true;
	else if (wrote)
		q->fault = false;
	q->last_batch = mono_now();
	pthread_mutex_unlock(&q->mu);

	for (size_t i = 0; i < n; i++) {
		jobs[i]->done(jobs[i]->w, jobs[i]->rc, jobs[i]->arg);
		free(jobs[i]);
	}
	if (q->ops->after_batch != NULL)
		q->ops->after_batch(wr->ctx);
}

/* A writer thread: takes its share of the queue (leaving some for the
 * other writers so that their round trips overlap) until the queue stops
 * and is empty. */
static void *writer_main(void *arg)
{
	struct writer *wr = arg;
	struct store_queue *q = wr->q;

	thread_name_set("ba-writer");
	pthread_mutex_lock(&q->mu);
	for (;;) {
		size_t n = 0, share;

		while (q->head == NULL && !q->stopping)
			pthread_cond_wait(&q->cv, &q->mu);
		if (q->head == NULL)
			break;
		share = (q->queued + (size_t)q->n_writers - 1) / (size_t)q->n_writers;
		if (share > q->max_batch)
			share = q->max_batch;
		while (n < share && q->head != NULL) {
			wr->batch[n++] = q->head;
			q->head = q->head->next;
		}
		if (q->head == NULL)
			q->tail = NULL;
		q->queued -= n;
		pthread_mutex_unlock(&q->mu);
		run_batch(wr, n);
		pthread_mutex_lock(&q->mu);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

struct store_queue *store_queue_new(const struct store_queue_ops *ops, size_t max_batch)
{
	struct store_queue *q = calloc(1, sizeof(*q));

	if (q == NULL)
		return NULL;
	q->ops = ops;
	q->max_batch = max_batch > 0 ? max_batch : 1;
	q->last_batch = mono_now();
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	return q;
}

int store_queue_start(struct store_queue *q, void *ctx, size_t size, int n)
{
	q->writers = calloc((size_t)n, sizeof(*q->writers));
	if (q->writers == NULL)
		return BA_ERR_NOMEM;
	for (int i = 0; i < n; i++) {
		q->writers[i].q = q;
		q->writers[i].ctx = (char *)ctx + (size_t)i * size;
		q->writers[i].batch = calloc(q->max_batch, sizeof(*q->writers[i].batch));
		q->writers[i].ws = calloc(q->max_batch, sizeof(*q->writers[i].ws));
		if (q->writers[i].batch == NULL || q->writers[i].ws == NULL)
			return BA_ERR_NOMEM;
		q->n_writers = i + 1;
	}
	for (int i = 0; i < n; i++) {
		if (pthread_create(&q->writers[i].thread, NULL, writer_main, &q->writers[i]) != 0)
			return BA_ERR_INTERNAL;
		q->writers[i].started = true;
	}
	return BA_OK;
}

void store_queue_free(struct store_queue *q)
{
	if (q == NULL)
		return;
	pthread_mutex_lock(&q->mu);
	q->stopping = true;
	pthread_cond_broadcast(&q->cv);
	pthread_mutex_unlock(&q->mu);
	for (int i = 0; i < q->n_writers; i++) {
		if (q->writers[i].started)
			pthread_join(q->writers[i].thread, NULL);
		free(q->writers[i].batch);
		free(q->writers[i].ws);
	}
	/* Queued with no writer to run them (a start that failed). */
	while (q->head != NULL) {
		struct job *j = q->head;

		q->head = j->next;
		j->done(j->w, BA_ERR_STORE_UNAVAILABLE, j->arg);
		free(j);
	}
	free(q->writers);
	pthread_cond_destroy(&q->cv);
	pthread_mutex_destroy(&q->mu);
	free(q);
}

/* Queues `j`; the caller holds q->mu. */
static int enqueue_locked(struct store_queue *q, struct job *j)
{
	if (q->stopping || q->queued >= STORE_MAX_QUEUE)
		return BA_ERR_STORE_UNAVAILABLE;
	if (q->tail != NULL)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
	q->queued++;
	pthread_cond_signal(&q->cv);
	return BA_OK;
}

int store_queue_submit(struct store_queue *q, struct store_write *w, store_done_fn done,
                       void *arg)
{
	struct job *j;
	int r;

	if (w == NULL || done == NULL)
		return BA_ERR_INVALID_REQUEST;
	j = calloc(1, sizeof(*j));
	if (j == NULL)
		return BA_ERR_NOMEM;
	j->w = w;
	j->done = done;
	j->arg = arg;
	pthread_mutex_lock(&q->mu);
	r = enqueue_locked(q, j);
	pthread_mutex_unlock(&q->mu);
	if (r != BA_OK)
		free(j);
	return r;
}

void store_queue_set_fault(struct store_queue *q, bool fault)
{
	pthread_mutex_lock(&q->mu);
	q->fault = fault;
	pthread_mutex_unlock(&q->mu);
}

static void probe_done(struct store_write *w, int rc, void *arg)
{
	struct store_queue *q = arg;

	(void)w;
	(void)rc;
	pthread_mutex_lock(&q->mu);
	q->probe_inflight = false;
	pthread_mutex_unlock(&q->mu);
}

int store_queue_health(struct store_queue *q, int probe_kind, double idle_seconds)
{
	bool healthy;

	pthread_mutex_lock(&q->mu);
	healthy = !q->fault && !q->stopping;
	/* Probe after a fault, and when nothing was written for a while, so
	 * that a disk turned read-only or full shows before a client's write
	 * fails on it. */
	if ((q->fault || mono_now() - q->last_batch > idle_seconds) && !q->probe_inflight &&
	    !q->stopping) {
		struct job *j = calloc(1, sizeof(*j));

		memset(&q->probe, 0, sizeof(q->probe));
		q->probe.kind = (enum store_write_kind)probe_kind;
		if (j != NULL) {
			j->w = &q->probe;
			j->done = probe_done;
			j->arg = q;
			if (enqueue_locked(q, j) == BA_OK)
				q->probe_inflight = true;
			else
				free(j);
		}
	}
	pthread_mutex_unlock(&q->mu);
	return healthy ? BA_OK : BA_ERR_STORE_UNAVAILABLE;
}
