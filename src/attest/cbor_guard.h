/*
 * cbor_guard.h - a bounded pre-scan of CBOR before libcbor decodes it
 * (internal to src/attest).
 */
#ifndef BIOAUTH_ATTEST_CBOR_GUARD_H
#define BIOAUTH_ATTEST_CBOR_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * True when `p` holds exactly one well-formed CBOR item of definite
 * lengths, nested at most `max_depth` deep, with at most `max_items` items.
 * libcbor builds and frees nested items recursively; this keeps hostile
 * nesting and item counts away from it.
 */
bool cbor_guard(const uint8_t *p, size_t len, unsigned max_depth, size_t max_items);

#endif
