/*
 * utf8.h - strict UTF-8 (RFC 3629, Table 3-7 of Unicode): the one check of
 * it, used by the edge on untrusted bodies and by the JSON and log writers.
 */
#ifndef BIOAUTH_COMMON_UTF8_H
#define BIOAUTH_COMMON_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* Length (2 to 4) of the well-formed multi-byte sequence that starts at
 * `p`, of which at most `avail` bytes are read; 0 when `p` does not start
 * one (ASCII included: callers handle bytes below 0x80 first). The bytes
 * are checked in order, so for a NUL-terminated string `avail` may be
 * SIZE_MAX: the NUL fails the check before anything past it is read. */
size_t utf8_seq_len(const unsigned char *p, size_t avail);

/* True when the `len` bytes at `s` are well-formed UTF-8: no overlong
 * forms, no surrogates, nothing above U+10FFFF. NUL bytes are valid
 * UTF-8; callers that forbid them check separately. */
bool utf8_valid(const void *s, size_t len);

#endif
