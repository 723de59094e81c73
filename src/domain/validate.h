/*
 * validate.h - checks of operator- and client-supplied names and URIs.
 *
 * Shared by the app and user domains (and free for other domain files):
 * identifiers and display names are printable UTF-8 of bounded length,
 * resource indicators are absolute URIs (RFC 3986 / RFC 8707).
 */
#ifndef BIOAUTH_DOMAIN_VALIDATE_H
#define BIOAUTH_DOMAIN_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

/* True when `s` is 1..max_len bytes of well-formed UTF-8 (no overlong forms,
 * surrogates or code points above U+10FFFF) without control characters
 * (C0, DEL, C1). NULL is false. */
bool validate_text(const char *s, size_t max_len);

/* validate_text without the Unicode bidirectional formatting characters
 * (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069): a name shown to
 * people (username). */
bool validate_name(const char *s, size_t max_len);

/* validate_name without '/': a user_id, which must stay addressable as one
 * path segment of /v1/users/{user_id}. */
bool validate_user_id(const char *s, size_t max_len);

/* True when `s` is 1..max_len bytes of an absolute URI without a fragment:
 * an RFC 3986 scheme (ALPHA *(ALPHA / DIGIT / "+" / "-" / ".")), ':', and a
 * non-empty rest of visible ASCII (0x21-0x7e) with no '#'. NULL is false. */
bool validate_absolute_uri(const char *s, size_t max_len);

#endif
