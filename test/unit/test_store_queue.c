/*
 * test_store_queue.c - the shared write queue (src/store/queue.c) on a
 * scripted backend: what one batch's transaction does when a write fails,
 * asks to be retried or breaks the transaction, the queue's bound, and the
 * health probe. The real backends run the same loop in test_store*.c.
 *
 * Each test write is an SW_PURGE whose `before` holds the code the scripted
 * apply answers (PLAN_*). A "gate" write holds the writer inside its
 * transaction, so that the writes queued meanwhile form the next batch.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "common/error.h"
#include "store/queue.h"
#include "store/write.h"

#define PLAN_GATE 1000    /* wait until the test opens the gate, then BA_OK */
#define PLAN_BREAK 1001   /* BA_ERR_STORE_UNAVAILABLE, the transaction lost */
/* Refused with PLAN_REFUSAL by a statement it leaves to the commit when it
 * runs alone (tx.lone), at once otherwise; run again as its refusal it
 * keeps a record (a login's failure event), or (_DROP) nothing. */
#define PLAN_AT_COMMIT 1002
#define PLAN_AT_COMMIT_DROP 1003
/* Alone, deadlocks at its commit QUEUE_ATTEMPTS - 1 times (QUEUE_RETRY),
 * then is refused there as PLAN_AT_COMMIT. */
#define PLAN_AT_COMMIT_LATE 1004
#define PLAN_REFUSAL BA_ERR_CHALLENGE_REUSED
#define PROBE_KIND 77

struct fake {
	struct store_tx tx;           /* first: the savepoint calls find us */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool gate_open, in_gate;
	bool broken;
	int begins, commits, rollbacks, probes;
	int sp[3];                    /* by enum tx_savepoint */
	int commit_rc;                /* what the next commit answers */
	int lone_applies, refused_applies, refused_code;
	int late_tries;               /* PLAN_AT_COMMIT_LATE's commits so far */
};

static struct fake F;

static int f_savepoint(struct store_tx *tx, enum tx_savepoint op)
{
	((struct fake *)tx)->sp[op]++;
	return BA_OK;
}

static const struct tx_ops f_tx_ops = { .savepoint = f_savepoint };

static int f_begin(void *wr)
{
	struct fake *f = wr;

	f->begins++;
	f->broken = false;
	return BA_OK;
}

static int f_apply(void *wr, struct store_write *w, bool *keep)
{
	struct fake *f = wr;
	int64_t plan;

	*keep = false;
	if ((int)w->kind == PROBE_KIND) {
		f->probes++;
		return BA_OK;
	}
	plan = w->in.purge.before;
	if (plan == PLAN_GATE) {
		pthread_mutex_lock(&f->mu);
		f->in_gate = true;
		pthread_cond_broadcast(&f->cv);
		while (!f->gate_open)
			pthread_cond_wait(&f->cv, &f->mu);
		pthread_mutex_unlock(&f->mu);
		return BA_OK;
	}
	if (plan == PLAN_BREAK) {
		f->broken = true;
		return BA_ERR_STORE_UNAVAILABLE;
	}
	if (plan == QUEUE_RETRY)
		w->in.purge.before = BA_OK;   /* succeeds when run again */
	f->lone_applies += f->tx.lone;
	if (plan == PLAN_AT_COMMIT || plan == PLAN_AT_COMMIT_DROP) {
		if (!f->tx.lone)
			return PLAN_REFUSAL;
		f->commit_rc = PLAN_REFUSAL;
		return BA_OK;
	}
	if (plan == PLAN_AT_COMMIT_LATE && f->tx.lone) {
		f->commit_rc = ++f->late_tries < QUEUE_ATTEMPTS ? QUEUE_RETRY : PLAN_REFUSAL;
		return BA_OK;
	}
	return (int)plan;
}

static int f_apply_refused(void *wr, struct store_write *w, int code, bool *keep)
{
	struct fake *f = wr;

	f->refused_applies++;
	f->refused_code = code;
	f->lone_applies += f->tx.lone;
	*keep = w->in.purge.before == PLAN_AT_COMMIT || w->in.purge.before == PLAN_AT_COMMIT_LATE;
	return code;
}

static struct store_tx *f_tx(void *wr)
{
	return &((struct fake *)wr)->tx;
}

static bool f_broken(void *wr)
{
	return ((struct fake *)wr)->broken;
}

static int f_commit(void *wr)
{
	struct fake *f = wr;
	int r = f->commit_rc;

	f->commits++;
	f->commit_rc = BA_OK;
	return r;
}

static void f_rollback(void *wr)
{
	((struct fake *)wr)->rollbacks++;
}

static int f_failure(void *wr, int why)
{
	(void)wr;
	(void)why;
	return BA_ERR_STORE_UNAVAILABLE;
}

static const struct store_queue_ops partial_ops = {
	f_begin, f_apply, f_tx, f_broken, f_commit, f_rollback, f_failure, NULL, false,
};
static const struct store_queue_ops whole_ops = {
	f_begin, f_apply, f_tx, f_broken, f_commit, f_rollback, f_failure, NULL, true,
};
/* as PostgreSQL: a lone write may leave statements to its commit */
static const struct store_queue_ops refusing_ops = {
	f_begin, f_apply, f_tx, f_broken, f_commit, f_rollback, f_failure, NULL, false,
	NULL, f_apply_refused,
};

static void record(struct store_write *w, int rc, void *arg)
{
	(void)w;
	*(int *)arg = rc;
}

/* A queue with one writer on F, held inside the gate write's transaction
 * on return; *gate_rc receives the gate's code. */
static struct store_queue *open_gated(const struct store_queue_ops *ops, struct store_write *gate,
                                      int *gate_rc)
{
	struct store_queue *q = store_queue_new(ops, 16);

	assert_non_null(q);
	memset(&F, 0, sizeof(F));
	F.tx.ops = &f_tx_ops;
	pthread_mutex_init(&F.mu, NULL);
	pthread_cond_init(&F.cv, NULL);
	assert_int_equal(store_queue_start(q, &F, sizeof(F), 1), BA_OK);
	memset(gate, 0, sizeof(*gate));
	gate->kind = SW_PURGE;
	gate->in.purge.before = PLAN_GATE;
	assert_int_equal(store_queue_submit(q, gate, record, gate_rc), BA_OK);
	pthread_mutex_lock(&F.mu);
	while (!F.in_gate)
		pthread_cond_wait(&F.cv, &F.mu);
	pthread_mutex_unlock(&F.mu);
	return q;
}

static void open_gate(void)
{
	pthread_mutex_lock(&F.mu);
	F.gate_open = true;
	pthread_cond_broadcast(&F.cv);
	pthread_mutex_unlock(&F.mu);
}

/* Queues writes with the codes plan[0..n) behind the gate, lets them run
 * as one batch and drains the queue; rc[i] receives each write's code. */
static void run_plan(const struct store_queue_ops *ops, const int64_t *plan, int *rc, size_t n)
{
	struct store_write gate, w[8];
	int gate_rc = -2;
	struct store_queue *q = open_gated(ops, &gate, &gate_rc);

	for (size_t i = 0; i < n; i++) {
		memset(&w[i], 0, sizeof(w[i]));
		w[i].kind = SW_PURGE;
		w[i].in.purge.before = plan[i];
		rc[i] = -2;
		assert_int_equal(store_queue_submit(q, &w[i], record, &rc[i]), BA_OK);
	}
	open_gate();
	store_queue_free(q);   /* drains: every done has run */
	assert_int_equal(gate_rc, BA_OK);
	pthread_cond_destroy(&F.cv);
	pthread_mutex_destroy(&F.mu);
}

/* A refused write is undone alone; its batch-mates commit in the same
 * transaction. */
static void test_refused_write_alone(void **state)
{
	const int64_t plan[] = { BA_OK, BA_ERR_CONFLICT, BA_OK };
	int rc[3];

	(void)state;
	run_plan(&partial_ops, plan, rc, 3);
	assert_int_equal(rc[0], BA_OK);
	assert_int_equal(rc[1], BA_ERR_CONFLICT);
	assert_int_equal(rc[2], BA_OK);
	assert_int_equal(F.begins, 2);    /* the gate's, the batch's */
	assert_int_equal(F.commits, 2);
	assert_int_equal(F.rollbacks, 0);
	assert_int_equal(F.sp[TX_SP_BEGIN], 3);
	assert_int_equal(F.sp[TX_SP_RELEASE], 2);
	assert_int_equal(F.sp[TX_SP_ROLLBACK], 1);
}

/* A write asking to be retried ends the transaction: the writes before it
 * commit, it and the rest run in the next one. */
static void test_retry_runs_again(void **state)
{
	const int64_t plan[] = { BA_OK, QUEUE_RETRY, BA_OK };
	int rc[3];

	(void)state;
	run_plan(&partial_ops, plan, rc, 3);
	assert_int_equal(rc[0], BA_OK);
	assert_int_equal(rc[1], BA_OK);
	assert_int_equal(rc[2], BA_OK);
	assert_int_equal(F.begins, 3);
	assert_int_equal(F.commits, 3);
}

/* A lone write that fails is rolled back, not committed. */
static void test_lone_failure_rolls_back(void **state)
{
	const int64_t plan[] = { BA_ERR_NOT_FOUND };
	int rc[1];

	(void)state;
	run_plan(&partial_ops, plan, rc, 1);
	assert_int_equal(rc[0], BA_ERR_NOT_FOUND);
	assert_int_equal(F.commits, 1);   /* the gate's */
	assert_int_equal(F.rollbacks, 1);
	assert_int_equal(F.sp[TX_SP_BEGIN], 0);
}

/* A broken transaction fails the writes that had succeeded in it; the
 * rest runs again (PostgreSQL) or fails with it (SQLite). */
static void test_broken_transaction(void **state)
{
	const int64_t plan[] = { BA_OK, PLAN_BREAK, BA_OK };
	int rc[3];

	(void)state;
	run_plan(&partial_ops, plan, rc, 3);
	assert_int_equal(rc[0], BA_ERR_STORE_UNAVAILABLE);
	assert_int_equal(rc[1], BA_ERR_STORE_UNAVAILABLE);
	assert_int_equal(rc[2], BA_OK);
	assert_int_equal(F.commits, 2);   /* the gate's, the rerun's */

	run_plan(&whole_ops, plan, rc, 3);
	assert_int_equal(rc[0], BA_ERR_STORE_UNAVAILABLE);
	assert_int_equal(rc[1], BA_ERR_STORE_UNAVAILABLE);
	assert_int_equal(rc[2], BA_ERR_STORE_UNAVAILABLE);
	assert_int_equal(F.commits, 1);
	assert_int_equal(F.rollbacks, 1);
}

/* A lone write refused at its commit: that commit kept nothing, and the
 * write runs again alone as its refusal, whose record is committed - or,
 * when it keeps none, rolled back. */
static void test_lone_refused_at_commit(void **state)
{
	const int64_t keep[] = { PLAN_AT_COMMIT }, drop[] = { PLAN_AT_COMMIT_DROP };
	int rc[1];

	(void)state;
	run_plan(&refusing_ops, keep, rc, 1);
	assert_int_equal(rc[0], PLAN_REFUSAL);
	assert_int_equal(F.lone_applies, 1);      /* the first run only */
	assert_int_equal(F.refused_applies, 1);
	assert_int_equal(F.refused_code, PLAN_REFUSAL);
	assert_int_equal(F.begins, 3);            /* the gate's, the write's, its refusal's */
	assert_int_equal(F.commits, 3);           /* the refused one among them */
	assert_int_equal(F.rollbacks, 1);         /* the refused commit's */
	assert_int_equal(F.sp[TX_SP_BEGIN], 0);

	run_plan(&refusing_ops, drop, rc, 1);
	assert_int_equal(rc[0], PLAN_REFUSAL);
	assert_int_equal(F.refused_applies, 1);
	assert_int_equal(F.commits, 2);           /* the gate's, the refused one */
	assert_int_equal(F.rollbacks, 2);         /* then nothing to commit */

	/* without apply_refused nothing is left to the commit */
	run_plan(&partial_ops, keep, rc, 1);
	assert_int_equal(rc[0], PLAN_REFUSAL);
	assert_int_equal(F.lone_applies, 0);
	assert_int_equal(F.refused_applies, 0);
	assert_int_equal(F.commits, 1);
}

/* Being refused at its commit is not a failed try of the write: one that
 * deadlocked there QUEUE_ATTEMPTS - 1 times before is still answered its
 * refusal and keeps its record, not STORE_UNAVAILABLE. */
static void test_refused_after_retries(void **state)
{
	const int64_t plan[] = { PLAN_AT_COMMIT_LATE };
	int rc[1];

	(void)state;
	run_plan(&refusing_ops, plan, rc, 1);
	assert_int_equal(rc[0], PLAN_REFUSAL);
	assert_int_equal(F.late_tries, QUEUE_ATTEMPTS);
	assert_int_equal(F.refused_applies, 1);
	/* the gate's, QUEUE_ATTEMPTS tries, the refusal's */
	assert_int_equal(F.commits, 1 + QUEUE_ATTEMPTS + 1);
}

/* In a batch no write is lone: each settles under its savepoint, and a
 * refused one is undone alone there. */
static void test_batch_not_lone(void **state)
{
	const int64_t plan[] = { BA_OK, PLAN_AT_COMMIT, BA_OK };
	int rc[3];

	(void)state;
	run_plan(&refusing_ops, plan, rc, 3);
	assert_int_equal(rc[0], BA_OK);
	assert_int_equal(rc[1], PLAN_REFUSAL);
	assert_int_equal(rc[2], BA_OK);
	assert_int_equal(F.lone_applies, 0);
	assert_int_equal(F.refused_applies, 0);
	assert_int_equal(F.commits, 2);
	assert_int_equal(F.rollbacks, 0);
	assert_int_equal(F.sp[TX_SP_ROLLBACK], 1);
}

static void count_done(struct store_write *w, int rc, void *arg)
{
	(void)w;
	if (rc == BA_OK)
		(*(size_t *)arg)++;
}

/* STORE_MAX_QUEUE writes wait at most; the next is refused at once. */
static void test_bound(void **state)
{
	struct store_write gate, w;
	int gate_rc = -2;
	size_t ok = 0;
	struct store_queue *q = open_gated(&partial_ops, &gate, &gate_rc);

	(void)state;
	memset(&w, 0, sizeof(w));
	w.kind = SW_PURGE;
	for (size_t i = 0; i < STORE_MAX_QUEUE; i++)
		assert_int_equal(store_queue_submit(q, &w, count_done, &ok), BA_OK);
	assert_int_equal(store_queue_submit(q, &w, count_done, &ok), BA_ERR_STORE_UNAVAILABLE);
	open_gate();
	store_queue_free(q);
	assert_int_equal(ok, STORE_MAX_QUEUE);
	pthread_cond_destroy(&F.cv);
	pthread_mutex_destroy(&F.mu);
}

/* After a fault, health is unavailable and a probe is queued; once the
 * probe committed, health is ok again. */
static void test_health_probe(void **state)
{
	struct store_write gate;
	int gate_rc = -2, r = BA_ERR_STORE_UNAVAILABLE;
	struct store_queue *q = open_gated(&partial_ops, &gate, &gate_rc);

	(void)state;
	open_gate();
	store_queue_set_fault(q, true);
	assert_int_equal(store_queue_health(q, PROBE_KIND, 3600), BA_ERR_STORE_UNAVAILABLE);
	for (int i = 0; i < 500 && r != BA_OK; i++) {
		struct timespec ms = { 0, 10 * 1000 * 1000 };

		nanosleep(&ms, NULL);
		r = store_queue_health(q, PROBE_KIND, 3600);
	}
	assert_int_equal(r, BA_OK);
	store_queue_free(q);
	assert_int_equal(F.probes, 1);
	pthread_cond_destroy(&F.cv);
	pthread_mutex_destroy(&F.mu);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refused_write_alone),
		cmocka_unit_test(test_retry_runs_again),
		cmocka_unit_test(test_lone_failure_rolls_back),
		cmocka_unit_test(test_broken_transaction),
		cmocka_unit_test(test_lone_refused_at_commit),
		cmocka_unit_test(test_refused_after_retries),
		cmocka_unit_test(test_batch_not_lone),
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_health_probe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
