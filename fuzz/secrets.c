/*
 * secrets.c - fuzzes the secrets-file parser (--secrets-file: src/crypto/seal.c
 * seal_keys_parse, reached through src/domain/keyring_secrets.c
 * keyring_secrets_load).
 *
 * Input: [2 control bytes][mode][file text...]. Mode bit 0 clear parses the
 * text directly; set, the text is written to an owner-only file in a
 * private temporary directory (made once, removed at exit) and loaded as
 * bioauthd loads --secrets-file, so the file checks and the read run too.
 *
 * Properties:
 *  - BA_OK, BA_ERR_CONFIG (with a reason), or BA_ERR_NOMEM / BA_ERR_INTERNAL
 *    (an OpenSSL derivation failed) only when an allocation failed;
 *  - the verdict is the one of a model of the documented format (seal.h:
 *    one secret a line, '\n' or "\r\n"; blank lines and lines starting
 *    with '#' skipped; a secret is 32-1024 characters 0x21-0x7e; 1-16 of
 *    them);
 *  - accepted keys seal and unseal ("signed then verified"), the sealed
 *    text is current for them, and the keys of the first secret alone
 *    unseal it too (the first secret seals);
 *  - a sealed text does not unseal under another kid.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "common/error.h"
#include "common/secret.h"
#include "crypto/seal.h"
#include "domain/keyring.h"
#include "fuzz_common.h"

static char sec_dir[64];
static char sec_path[96];

static void
sec_cleanup(void)
{
	if (sec_path[0] != '\0')
		(void)unlink(sec_path);
	if (sec_dir[0] != '\0')
		(void)rmdir(sec_dir);
}

/* The private directory of mode 1, made once; false when it cannot be. */
static bool
sec_setup(void)
{
	if (sec_path[0] != '\0')
		return true;
	strcpy(sec_dir, "/tmp/bioauth-fuzz-secrets-XXXXXX");
	if (mkdtemp(sec_dir) == NULL) {
		sec_dir[0] = '\0';
		return false;
	}
	snprintf(sec_path, sizeof(sec_path), "%s/secrets", sec_dir);
	atexit(sec_cleanup);
	return true;
}

/* Writes the file of mode 1 (0600, replaced each run). */
static bool
sec_write(const uint8_t *p, size_t n)
{
	int fd;
	bool ok;

	(void)unlink(sec_path);
	if ((fd = open(sec_path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600)) < 0)
		return false;
	ok = n == 0 || write(fd, p, n) == (ssize_t)n;
	return close(fd) == 0 && ok;
}

/*
 * The model: the verdict (true = accepted) and, when accepted, where the
 * first secret starts and its length.
 */
static bool
sec_model(const uint8_t *t, size_t len, size_t *first, size_t *first_len)
{
	size_t i = 0, count = 0;

	while (i < len) {
		size_t n = 0, j;

		while (i + n < len && t[i + n] != '\n')
			n++;
		j = i;
		i += n + 1;
		if (n > 0 && t[j + n - 1] == '\r')
			n--;
		if (n == 0 || t[j] == '#')
			continue;
		for (size_t k = 0; k < n; k++)
			if (t[j + k] < 0x21 || t[j + k] > 0x7e)
				return false;
		if (n < 32 || n > 1024 || count == SEAL_MAX_SECRETS)
			return false;
		if (count++ == 0) {
			*first = j;
			*first_len = n;
		}
	}
	return count > 0;
}

/* Seal and unseal with the accepted keys `k`; the first secret's keys
 * alone (parsed from `first`) unseal as well. */
static void
sec_round_trip(const struct seal_keys *k, const uint8_t *first, size_t first_len)
{
	struct seal_keys *one = NULL;
	const char *why = NULL;
	char *sealed = NULL, *plain = NULL;

	if (seal_encrypt(k, "fuzz-kid", "fuzz plain text", &sealed) != BA_OK)
		return;   /* no allocation fails here; OpenSSL may still refuse */
	FUZZ_CHECK(seal_is_sealed(sealed) && seal_is_current(k, sealed));
	FUZZ_CHECK(seal_decrypt(k, "fuzz-kid", sealed, &plain) == BA_OK);
	FUZZ_CHECK(strcmp(plain, "fuzz plain text") == 0);
	secret_free(plain);
	plain = NULL;
	FUZZ_CHECK(seal_decrypt(k, "other-kid", sealed, &plain) == BA_ERR_CONFIG && plain == NULL);
	FUZZ_CHECK(seal_keys_parse((const char *)first, first_len, &one, &why) == BA_OK);
	FUZZ_CHECK(seal_decrypt(one, "fuzz-kid", sealed, &plain) == BA_OK);
	FUZZ_CHECK(strcmp(plain, "fuzz plain text") == 0);
	secret_free(plain);
	seal_keys_free(one);
	free(sealed);
}

FUZZ_TARGET(secrets)
{
	struct seal_keys *k = NULL;
	const char *why = NULL;
	size_t first = 0, first_len = 0;
	bool via_file, want, failed;
	struct config cfg;
	int r;

	alloc_fail_install();
	fuzz_warm_up();
	fuzz_take_alloc_control(&data, &size);
	via_file = (fuzz_take_u8(&data, &size) & 1) != 0 && sec_setup();
	if (size > SEAL_SECRETS_FILE_MAX)
		return 0;
	if (via_file && !sec_write(data, size))
		return 0;

	fuzz_alloc_begin();
	if (via_file) {
		cfg = *fuzz_config();
		cfg.secrets_file = sec_path;
		r = keyring_secrets_load(&cfg, false, &k);
	} else {
		r = seal_keys_parse((const char *)data, size, &k, &why);
	}
	failed = fuzz_alloc_end();

	FUZZ_CHECK(r == BA_OK || r == BA_ERR_CONFIG ||
	           (failed && (r == BA_ERR_NOMEM || r == BA_ERR_INTERNAL)));
	FUZZ_CHECK((r == BA_OK) == (k != NULL));
	FUZZ_CHECK(via_file || r != BA_ERR_CONFIG || why != NULL);
	want = sec_model(data, size, &first, &first_len);
	if (!failed)
		FUZZ_CHECK((r == BA_OK) == want);
	if (r == BA_OK)
		sec_round_trip(k, data + first, first_len);
	seal_keys_free(k);
	return 0;
}
