/*
 * pubkey.c - fuzzes device public-key decoding (src/crypto/pubkey.c).
 *
 * Input: [2 control bytes][selector][key text or DER...]. The selector's
 * low bits pick the expected type handed to pubkey_parse (0 = any, EC, RSA,
 * or an invalid type); bit 2 feeds the bytes to pubkey_from_der instead (a
 * stored key).
 *
 * Properties: a parsed key has a pkey, a type that matches a non-zero
 * expected type, and a canonical DER SPKI - exactly OpenSSL's own
 * i2d_PUBKEY of that pkey (P-256 SPKIs are matched and written by bioauth
 * without OpenSSL's decoder, so this keeps the two honest) - that
 * pubkey_from_der accepts as the same key and that base64 (either
 * alphabet) and PEM text of it parse back to byte for byte.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "common/error.h"
#include "crypto/encoding.h"
#include "crypto/keytype.h"
#include "crypto/pubkey.h"
#include "fuzz_common.h"

/* Parses `text` and checks it yields exactly `der` (harness-side check,
 * injection disarmed). */
static void
pk_reparse(const char *text, const struct pubkey *k)
{
	struct pubkey again;

	FUZZ_CHECK(pubkey_parse(text, strlen(text), k->key_type, &again) == BA_OK);
	FUZZ_CHECK(again.key_type == k->key_type && again.der_len == k->der_len &&
	           memcmp(again.der, k->der, k->der_len) == 0);
	pubkey_clear(&again);
}

/* The stored SPKI is what OpenSSL itself writes for the key. */
static void
pk_matches_openssl(const struct pubkey *k)
{
	unsigned char *enc = NULL;
	int n = i2d_PUBKEY(k->pkey, &enc);

	FUZZ_CHECK(n > 0 && (size_t)n == k->der_len && memcmp(enc, k->der, k->der_len) == 0);
	OPENSSL_free(enc);
}

/* The canonical forms of an accepted key round-trip. */
static void
pk_roundtrip(const struct pubkey *k)
{
	struct pubkey again;
	char *b64 = NULL, *b64u = NULL, *pem;
	size_t n;

	FUZZ_CHECK(pubkey_from_der(k->der, k->der_len, &again) == BA_OK);
	FUZZ_CHECK(again.key_type == k->key_type && again.der_len == k->der_len &&
	           memcmp(again.der, k->der, k->der_len) == 0);
	pubkey_clear(&again);
	FUZZ_CHECK(b64_encode(k->der, k->der_len, &b64) == BA_OK);
	FUZZ_CHECK(b64url_encode(k->der, k->der_len, &b64u) == BA_OK);
	pk_reparse(b64, k);
	pk_reparse(b64u, k);
	n = strlen(b64) + 64;
	pem = malloc(n);
	if (pem == NULL)
		abort();
	snprintf(pem, n, "-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----\n", b64);
	pk_reparse(pem, k);
	free(pem);
	free(b64);
	free(b64u);
}

FUZZ_TARGET(pubkey)
{
	static const int types[4] = { 0, KEY_TYPE_EC, KEY_TYPE_RSA, 99 };
	struct pubkey k;
	uint8_t sel;
	bool failed;
	int r, expected;

	alloc_fail_install();
	fuzz_warm_up();
	fuzz_take_alloc_control(&data, &size);
	sel = fuzz_take_u8(&data, &size);
	expected = types[sel & 3];

	fuzz_alloc_begin();
	if (sel & 4)
		r = pubkey_from_der(data, size, &k);
	else
		r = pubkey_parse((const char *)data, size, expected, &k);
	failed = fuzz_alloc_end();
	if (r != BA_OK) {
		FUZZ_CHECK(k.pkey == NULL && k.der == NULL);
		FUZZ_CHECK(r == BA_ERR_INVALID_KEY_ENCODING || r == BA_ERR_INVALID_KEY_TYPE ||
		           (failed && (r == BA_ERR_NOMEM || r == BA_ERR_INTERNAL)));
		return 0;
	}
	FUZZ_CHECK(k.pkey != NULL && k.der != NULL && k.der_len > 0);
	FUZZ_CHECK(k.key_type == KEY_TYPE_EC || k.key_type == KEY_TYPE_RSA);
	if (!(sel & 4) && expected != 0)
		FUZZ_CHECK(k.key_type == expected);
	if (sel & 4)
		FUZZ_CHECK(k.der_len == size && memcmp(k.der, data, size) == 0);
	pk_matches_openssl(&k);
	pk_roundtrip(&k);
	pubkey_clear(&k);
	return 0;
}
