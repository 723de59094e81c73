/*
 * keydesc.h - the Android KeyDescription extension (OID
 * 1.3.6.1.4.1.11129.2.1.17), parsed leniently: attestation versions 1-400,
 * AuthorizationList tags in any order, unknown tags skipped, BOOLEANs of
 * any non-zero value; a checked tag repeated in one list is refused. Only the fields bioauth checks are kept; byte fields
 * point into the caller's buffer.
 */
#ifndef BIOAUTH_ATTEST_KEYDESC_H
#define BIOAUTH_ATTEST_KEYDESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attest/der.h"

#define KM_PURPOSE_SIGN 2
#define KM_ORIGIN_GENERATED 0
#define KM_AUTH_FINGERPRINT 2           /* HardwareAuthenticatorType bit */
#define KM_BOOT_VERIFIED 0

struct keydesc_authlist {
	uint32_t purposes;                  /* bit n set: purpose n (n < 32) */
	bool has_algorithm;
	uint64_t algorithm;
	bool has_origin;
	uint64_t origin;
	bool no_auth_required;
	bool has_user_auth_type;
	uint64_t user_auth_type;
	bool has_root_of_trust;
	bool device_locked;
	uint64_t verified_boot_state;
	bool has_app_id;
	struct der app_id;                  /* AttestationApplicationId DER */
};

struct keydesc {
	uint64_t attestation_version;
	uint64_t attestation_security_level;
	uint64_t keymint_version;
	uint64_t keymint_security_level;
	struct der challenge;
	struct keydesc_authlist sw;         /* softwareEnforced */
	struct keydesc_authlist hw;         /* hardwareEnforced (teeEnforced) */
};

/* Parses the extension's value (the KeyDescription SEQUENCE). false on
 * malformed input or a version outside 1-400. */
bool keydesc_parse(const uint8_t *p, size_t len, struct keydesc *out);

/*
 * AttestationApplicationId: true when `package` is one of its packages and
 * `digest` (SHA-256 of the signing certificate) one of its signature
 * digests. false also on malformed input.
 */
bool keydesc_app_matches(const struct der *app_id, const char *package,
                         size_t package_len, const uint8_t digest[32]);
/* Copies the first package name (NUL-terminated, truncated to cap-1) into
 * buf; false when there is none or the input is malformed. */
bool keydesc_first_package(const struct der *app_id, char *buf, size_t cap);

#endif
