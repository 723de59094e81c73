/*
 * contact.h - the formats of a user's email address and phone number.
 *
 * An email address is compared case-insensitively: the store keeps the
 * address as given and, beside it, its key (ASCII lower case), on which
 * uniqueness and lookups by email rest. A phone number is E.164.
 */
#ifndef BIOAUTH_DOMAIN_CONTACT_H
#define BIOAUTH_DOMAIN_CONTACT_H

#include <stdbool.h>
#include <stddef.h>

#define CONTACT_EMAIL_MAX 254   /* RFC 5321's path limit, less the brackets */
#define CONTACT_LOCAL_MAX 64
#define CONTACT_PHONE_MAX 16    /* '+' and at most 15 digits */

/*
 * True when `s` is an email address bioauth stores: at most 254 bytes of
 * visible ASCII, one '@', a local part of 1-64 bytes without
 * ( ) , : ; < > [ ] \ " and without a leading, trailing or doubled '.',
 * and a domain of two or more dot-separated labels of 1-63 letters,
 * digits and inner hyphens. NULL is false.
 */
bool contact_email_valid(const char *s);

/* True when `s` is an E.164 number: '+', a digit 1-9, then 1-14 digits. */
bool contact_phone_valid(const char *s);

/*
 * The key that makes two spellings of one address equal: the address with
 * ASCII letters lowered, in `out` (at least CONTACT_EMAIL_MAX + 1 bytes).
 * False (and `out` empty) when `email` is not valid.
 */
bool contact_email_key(const char *email, char *out, size_t cap);

#endif
