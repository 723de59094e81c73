/*
 * utf8.h - strict UTF-8 validation for untrusted input at the edge.
 */
#ifndef BIOAUTH_EDGE_UTF8_H
#define BIOAUTH_EDGE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True when the `len` bytes at `s` are well-formed UTF-8 (RFC 3629): no
 * overlong forms, no surrogates, nothing above U+10FFFF. NUL bytes are
 * valid UTF-8; callers that forbid them check separately. */
bool utf8_valid(const void *s, size_t len);

#endif
