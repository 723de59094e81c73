/*
 * read.h - the store's reads, written once for both backends.
 *
 * Each read of store.h (store_app_get() ...) runs its statements of the
 * one table (statements.h) on a read connection the backend lends through
 * store_ops.reader_get / reader_put, with the transaction interface of
 * tx.h, and decodes the rows with one decoder per entity. Results are
 * owned by the caller (domain/model.h's clear functions, store_free_*()).
 */
#ifndef BIOAUTH_STORE_READ_H
#define BIOAUTH_STORE_READ_H

#include "store/store.h"
#include "store/tx.h"

/* Most rows one list read returns (a cap, not a page size). */
#define STORE_LIST_MAX (1u << 20)

/* Decodes the current row of `tx`, whose columns are the session column
 * list of statements.c, into *out (owned; cleared on failure). */
int store_row_session(struct store_tx *tx, struct model_session *out);

#endif
