/*
 * revocation.c - Google's attestation status list: the set of serial
 * numbers (lowercase hex, no leading zeros) whose certificates are not
 * valid.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "attest/attest.h"
#include "common/error.h"

/* Longest serial kept (hex digits of a 20-byte serial, RFC 5280). */
#define SERIAL_HEX_MAX 40
#define MAX_ENTRIES 200000

struct attest_revocation {
	size_t n;
	char (*serial)[SERIAL_HEX_MAX + 1];
};

void attest_revocation_free(struct attest_revocation *r)
{
	if (r == NULL)
		return;
	free(r->serial);
	free(r);
}

int attest_revocation_from_json(const char *text, size_t len,
                                struct attest_revocation **out)
{
	int r = BA_ERR_CONFIG;
	struct attest_revocation *rl = NULL;
	json_t *root = NULL, *entries, *e;
	const char *key;

	*out = NULL;
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	entries = json_object_get(root, "entries");
	if (!json_is_object(entries) || json_object_size(entries) > MAX_ENTRIES)
		goto out;
	rl = calloc(1, sizeof(*rl));
	if (rl == NULL || (json_object_size(entries) > 0 &&
	    (rl->serial = calloc(json_object_size(entries), sizeof(*rl->serial))) == NULL)) {
		r = BA_ERR_NOMEM;
		goto out;
	}
	json_object_foreach(entries, key, e) {
		size_t kl = strlen(key);
		if (!json_is_object(e) || !json_is_string(json_object_get(e, "status")) ||
		    kl == 0 || kl > SERIAL_HEX_MAX ||
		    strspn(key, "0123456789abcdef") != kl)
			goto out;
		memcpy(rl->serial[rl->n++], key, kl + 1);
	}
	*out = rl;
	rl = NULL;
	r = BA_OK;
out:
	attest_revocation_free(rl);
	json_decref(root);
	return r;
}

bool attest_revocation_listed(const struct attest_revocation *r,
                              const uint8_t *serial, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	char s[SERIAL_HEX_MAX + 1];
	size_t o = 0;

	if (r == NULL)
		return false;
	while (len > 0 && serial[0] == 0) {
		serial++;
		len--;
	}
	if (len * 2 > SERIAL_HEX_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (o > 0 || (serial[i] >> 4) != 0)
			s[o++] = hex[serial[i] >> 4];
		s[o++] = hex[serial[i] & 15];
	}
	if (o == 0)
		s[o++] = '0';
	s[o] = '\0';
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->serial[i], s) == 0)
			return true;
	return false;
}
