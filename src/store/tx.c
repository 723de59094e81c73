/*
 * tx.c - building the typed parameters of a statement (tx.h).
 */
#include "store/tx.h"

/* Claims the next slot of `b` for type `t`: its index, or -1 (and
 * b->overflow) when `b` is full. */
static int slot(struct tx_binds *b, enum tx_type t)
{
	if (b->n >= TX_MAX_BINDS) {
		b->overflow = true;
		return -1;
	}
	b->v[b->n].type = t;
	return b->n++;
}

void tx_text(struct tx_binds *b, const char *s)
{
	int i = slot(b, s != NULL ? TX_TEXT : TX_NULL);

	if (i >= 0)
		b->v[i].text = s;
}

void tx_int(struct tx_binds *b, int64_t v)
{
	int i = slot(b, TX_INT);

	if (i >= 0)
		b->v[i].i = v;
}

void tx_bool(struct tx_binds *b, bool v)
{
	int i = slot(b, TX_BOOL);

	if (i >= 0)
		b->v[i].i = v ? 1 : 0;
}

void tx_blob(struct tx_binds *b, const void *p, size_t n)
{
	int i = slot(b, TX_BLOB);

	if (i >= 0) {
		b->v[i].blob = p;
		b->v[i].len = n;
	}
}
