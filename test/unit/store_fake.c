/*
 * store_fake.c - a store whose read connection fails every statement
 * (store_fake.h).
 */
#include <stddef.h>

#include "store/tx.h"
#include "store_fake.h"

static int fake_rc;
static int fake_runs;

static int fake_run(struct store_tx *tx, enum st_id id, const struct tx_binds *b, bool *row)
{
	(void)tx;
	(void)id;
	(void)b;
	if (row != NULL)
		*row = false;
	fake_runs++;
	return fake_rc;
}

static const struct tx_ops fake_tx_ops = { .run = fake_run };
static struct store_tx fake_tx = { &fake_tx_ops };

static struct store_tx *fake_reader_get(struct store *s)
{
	(void)s;
	return &fake_tx;
}

static void fake_reader_put(struct store *s, struct store_tx *tx)
{
	(void)s;
	(void)tx;
}

static const struct store_ops fake_ops = {
	.name = "fake",
	.reader_get = fake_reader_get,
	.reader_put = fake_reader_put,
};

void store_fake_failing(struct store *s, int rc)
{
	s->ops = &fake_ops;
	fake_rc = rc;
}

int store_fake_runs(void)
{
	return fake_runs;
}
