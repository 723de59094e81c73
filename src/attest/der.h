/*
 * der.h - a small bounded reader of BER/DER TLVs (internal to src/attest).
 *
 * Lenient where real devices are (non-minimal lengths, BOOLEANs other than
 * 0x00/0xff), strict where safety needs it: no indefinite lengths, lengths
 * within the input, tag numbers below 2^28.
 */
#ifndef BIOAUTH_ATTEST_DER_H
#define BIOAUTH_ATTEST_DER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DER_UNIVERSAL 0x00
#define DER_CONTEXT   0x80

struct der {
	const uint8_t *p;
	size_t len;
};

struct der_tlv {
	uint8_t cls;          /* DER_UNIVERSAL, DER_CONTEXT, ... (top two bits) */
	bool constructed;
	uint32_t tag;         /* tag number */
	struct der body;      /* contents */
};

/* Reads the next TLV from *in and advances it. false on malformed input
 * or when *in is empty. */
bool der_next(struct der *in, struct der_tlv *t);
/* Reads the next TLV and checks its class, tag number and form. */
bool der_expect(struct der *in, uint8_t cls, uint32_t tag, bool constructed,
                struct der *body);
/* A non-negative INTEGER/ENUMERATED body of at most 8 bytes. */
bool der_uint(const struct der *body, uint64_t *out);
/* A BOOLEAN body: one byte, any non-zero value is true (lenient). */
bool der_bool(const struct der *body, bool *out);

#endif
