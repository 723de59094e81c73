/*
 * store_fake.h - a store whose reads fail (store_fake.c), for the tests of
 * what the domain does with a store error.
 */
#ifndef BIOAUTH_TEST_STORE_FAKE_H
#define BIOAUTH_TEST_STORE_FAKE_H

#include "store/store.h"

/* Makes `s` a store whose read connection (store_ops.reader_get, tx.h)
 * fails every statement with `rc`; its reads return `rc`. */
void store_fake_failing(struct store *s, int rc);
/* The statements the fake store has been asked to run. */
int store_fake_runs(void);

#endif
