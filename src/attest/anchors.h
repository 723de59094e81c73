/*
 * anchors.h - pinned trust-anchor keys (internal to src/attest).
 */
#ifndef BIOAUTH_ATTEST_ANCHORS_H
#define BIOAUTH_ATTEST_ANCHORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include "attest/attest.h"

struct attest_anchors;

struct attest_anchor_key {
	const uint8_t *spki;     /* SubjectPublicKeyInfo DER */
	size_t len;
};

extern const struct attest_anchor_key attest_default_android_anchors[];
extern const size_t attest_default_android_anchors_n;
extern const struct attest_anchor_key attest_default_apple_anchors[];
extern const size_t attest_default_apple_anchors_n;

/*
 * How the top certificate `top` of a chain relates to the anchors `a`
 * (NULL: the built-in Android or Apple set per `apple`): ATTEST_OK when its
 * own key is pinned, or when its signature verifies under a pinned key (a
 * chain sent without its root); ATTEST_UNTRUSTED_ROOT otherwise, or
 * ATTEST_INTERNAL when bioauth itself failed.
 */
enum attest_reason attest_anchors_trust(const struct attest_anchors *a, bool apple, X509 *top);

#endif
