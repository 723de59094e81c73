/*
 * test_sdk_keystore.c - libbioauth-device keystore: keys survive a save/load
 * round trip, files are 0600 in a 0700 directory whatever the umask, key
 * files open to group/other (or symlinked, or not ours) are refused,
 * corrupt and truncated files and wrong passphrases give clean errors, keys
 * are never overwritten, list and delete work, and misuse is an error.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <sys/types.h>

#include "sdk_testlib.h"

static const char msg[] = "challenge-bytes-0123456789";
static const char pass[] = "correct horse battery staple";

struct ctx {
	char root[512];     /* mkdtemp directory, removed in teardown */
	char dir[600];      /* keystore directory inside it */
	bioauth_keystore *ks;
};

/* One EC key and one RSA key, generated once for the group. */
static bioauth_key *ec_key, *rsa_key;

static int group_setup(void **state)
{
	(void)state;
	if (bioauth_key_generate(BIOAUTH_KEY_EC, BIOAUTH_PLATFORM_IOS, "ec1", &ec_key) != BIOAUTH_OK ||
	    bioauth_key_generate(BIOAUTH_KEY_RSA, BIOAUTH_PLATFORM_ANDROID, "rsa1", &rsa_key) != BIOAUTH_OK)
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	bioauth_key_free(ec_key);
	bioauth_key_free(rsa_key);
	return 0;
}

static int setup(void **state)
{
	struct ctx *c = calloc(1, sizeof(*c));

	if (c == NULL || !sdk_test_mkdtemp(c->root, sizeof(c->root))) {
		free(c);
		return -1;
	}
	snprintf(c->dir, sizeof(c->dir), "%s/ks", c->root);
	if (bioauth_keystore_new(c->dir, &c->ks) != BIOAUTH_OK) {
		sdk_test_rmtree(c->root);
		free(c);
		return -1;
	}
	*state = c;
	return 0;
}

static int teardown(void **state)
{
	struct ctx *c = *state;

	bioauth_keystore_free(c->ks);
	sdk_test_rmtree(c->root);
	free(c);
	return 0;
}

static void key_path(const struct ctx *c, const char *id, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s.key", c->dir, id);
}

/* The public key of `k` (SPKI) and a signature made by `loaded` must verify. */
static void assert_same_key(const bioauth_key *k, const bioauth_key *loaded)
{
	uint8_t *a = NULL, *b = NULL, *sig = NULL;
	size_t alen = 0, blen = 0, slen = 0;
	EVP_PKEY *pub;

	assert_int_equal(bioauth_key_export_public(k, BIOAUTH_PUBKEY_SPKI, &a, &alen), BIOAUTH_OK);
	assert_int_equal(bioauth_key_export_public(loaded, BIOAUTH_PUBKEY_SPKI, &b, &blen), BIOAUTH_OK);
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);
	assert_int_equal(bioauth_key_sign(loaded, (const uint8_t *)msg, strlen(msg), BIOAUTH_SIG_DEFAULT,
	                                  &sig, &slen), BIOAUTH_OK);
	pub = sdk_test_from_spki(a, alen);
	assert_non_null(pub);
	assert_true(sdk_test_verify(pub, msg, strlen(msg), sig, slen,
	                            bioauth_key_get_type(k) == BIOAUTH_KEY_RSA
	                                    ? (bioauth_key_get_platform(k) == BIOAUTH_PLATFORM_IOS
	                                               ? RSA_PKCS1_PSS_PADDING
	                                               : RSA_PKCS1_PADDING)
	                                    : 0));
	assert_string_equal(bioauth_key_get_id(k), bioauth_key_get_id(loaded));
	assert_int_equal(bioauth_key_get_type(k), bioauth_key_get_type(loaded));
	assert_int_equal(bioauth_key_get_platform(k), bioauth_key_get_platform(loaded));
	assert_true(bioauth_key_get_created_at(k) == bioauth_key_get_created_at(loaded));
	EVP_PKEY_free(pub);
	bioauth_buffer_free(a);
	bioauth_buffer_free(b);
	bioauth_buffer_free(sig);
}

static void test_roundtrip_plain(void **state)
{
	struct ctx *c = *state;
	bioauth_key *k = NULL;
	char path[700];
	size_t len = 0;
	char *text;

	assert_int_equal(bioauth_keystore_save(c->ks, ec_key, NULL, 0), BIOAUTH_OK);
	assert_int_equal(bioauth_keystore_save(c->ks, rsa_key, NULL, 0), BIOAUTH_OK);
	assert_int_equal(bioauth_keystore_load(c->ks, "ec1", NULL, 0, &k), BIOAUTH_OK);
	assert_same_key(ec_key, k);
	bioauth_key_free(k);
	/* A passphrase given for an unencrypted key is ignored. */
	assert_int_equal(bioauth_keystore_load(c->ks, "rsa1", "whatever", 8, &k), BIOAUTH_OK);
	assert_same_key(rsa_key, k);
	bioauth_key_free(k);
	key_path(c, "ec1", path, sizeof(path));
	text = sdk_test_read_file(path, &len);
	assert_non_null(text);
	assert_non_null(strstr(text, "\nencrypted: no\n"));
	assert_non_null(strstr(text, "-----BEGIN PRIVATE KEY-----"));
	free(text);
}

/* Encrypted at rest: the PEM is PKCS#8 EncryptedPrivateKeyInfo that OpenSSL
 * itself decrypts with the passphrase; no plaintext key in the file. */
static void test_roundtrip_encrypted(void **state)
{
	struct ctx *c = *state;
	bioauth_key *k = NULL;
	char path[700];
	char *text, *pem;
	size_t len = 0;
	BIO *bio;
	EVP_PKEY *pk;

	assert_int_equal(bioauth_keystore_save(c->ks, ec_key, pass, strlen(pass)), BIOAUTH_OK);
	key_path(c, "ec1", path, sizeof(path));
	text = sdk_test_read_file(path, &len);
	assert_non_null(text);
	assert_non_null(strstr(text, "\nencrypted: yes\n"));
	assert_null(strstr(text, "BEGIN PRIVATE KEY"));
	pem = strstr(text, "-----BEGIN ENCRYPTED PRIVATE KEY-----");
	assert_non_null(pem);
	bio = BIO_new_mem_buf(pem, -1);
	pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, (void *)(uintptr_t)pass);
	assert_non_null(pk);
	BIO_free(bio);
	EVP_PKEY_free(pk);
	free(text);

	assert_int_equal(bioauth_keystore_load(c->ks, "ec1", pass, strlen(pass), &k), BIOAUTH_OK);
	assert_same_key(ec_key, k);
	bioauth_key_free(k);
}

static void test_wrong_or_missing_passphrase(void **state)
{
	struct ctx *c = *state;
	bioauth_key *k = (bioauth_key *)(uintptr_t)1;
	bioauth_key_info *list = NULL;
	size_t n = 0;

	assert_int_equal(bioauth_keystore_save(c->ks, ec_key, pass, strlen(pass)), BIOAUTH_OK);
	assert_int_equal(bioauth_keystore_load(c->ks, "ec1", "wrong", 5, &k), BIOAUTH_ERR_BAD_PASSPHRASE);
	assert_null(k);
	/* Prefix of the right passphrase: still wrong. */
	assert_int_equal(bioauth_keystore_load(c->ks, "ec1", pass, strlen(pass) - 1, &k),
	                 BIOAUTH_ERR_BAD_PASSPHRASE);
	assert_int_equal(bioauth_keystore_load(c->ks, "ec1", NULL, 0, &k), BIOAUTH_ERR_PASSPHRASE_REQUIRED);
	assert_int_equal(bioauth_keystore_load(c->ks, "ec1", "", 0, &k), BIOAUTH_ERR_PASSPHRASE_REQUIRED);
	assert_null(k);
	/* Listing reads the header only: no passphrase needed. */
	assert_int_equal(bioauth_keystore_list(c->ks, &list, &n), BIOAUTH_OK);
	assert_int_equal(n, 1);
	assert_int_equal(list[0].status, BIOAUTH_OK);
	assert_int_equal(list[0].encrypted, 1);
	bioauth_buffer_free(list);
}

static void test_save_rejects_bad_passphrase_args(void **state)
{
	struct ctx *c = *state;
	char big[BIOAUTH_PASSPHRASE_MAX + 1];

	memset(big, 'p', sizeof(big));
	assert_int_equal(bioauth_keystore_save(c->ks, ec_key, "", 0), BIOAUTH_ERR_INVALID_ARG);
	assert_int_equal(bioauth_keystore_save(c->ks, ec_key, big, sizeof(big)), BIOAUTH_ERR_TOO_LARGE);
	assert_int_equal(bioauth_keystore_load(c->ks, "ec1", NULL, 0, &(bioauth_key *){NULL}),
	                 BIOAUTH_ERR_NOT_FOUND);
}

/* Modes are exact even with a permissive umask. */
static void test_modes(void **state)
{
	struct ctx *c = *state;
	bioauth_keystore *ks2 = NULL;
	char dir2[700], path[800];
	struct stat st;
	mode_t old;

	old = umask(0);
	snprintf(dir2, sizeof(dir2), "%s/fresh", c->root);
	assert_int_equal(bioauth_keystore_new(dir2, &ks2), BIOAUTH_OK);
	assert_string_equal(bioauth_keystore_get_dir(ks2), dir2);
	assert_int_equal(stat(dir2, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(bioauth_keystore_save(ks2, ec_key, NULL, 0), BIOAUTH_OK);
	umask(old);
	snprintf(path, sizeof(path), "%s/ec1.key", dir2);
	assert_int_equal(stat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	bioauth_keystore_free(ks2);
}

/* Any group/other bit on a key file: refused without reading, reported by
 * list, accepted again once the mode is fixed. */
static void test_refuse_open_permissions(void **state)
{
	static const mode_t bad[] = {0644, 0640, 0604, 0660, 0606, 0610, 0601, 0620, 0602};
	struct ctx *c = *state;
	bioauth_key *k = NULL;
	bioauth_key_info *list = NULL;
	char path[700];
	size_t i, n = 0;

	assert_int_equal(bioauth_keystore_save(c->ks, ec_key, NULL, 0), BIOAUTH_OK);
	key_path(c, "ec1", path, sizeof(path));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(chmod(path, bad[i]), 0);
		assert_int_equal(bioauth_keystore_load(c->ks, "ec1", NULL, 0, &k), BIOAUTH_ERR_PERMISSIONS);
		assert_null(k);
	}
	assert_int_equal(bioauth_keystore_list(c->ks, &list, &n), BIOAUTH_OK);
	assert_int_equal(n, 1);
	assert_string_equal(list[0].key_id, "ec1");
	assert_int_equal(list[0].status, BIOAUTH_ERR_PERMISSIONS);
	bioauth_buffer_free(list);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(bioauth_keystore_load(c->ks, "ec1", NULL, 0, &k), BIOAUTH_OK);
	bioauth_key_free(k);
	/* 0400 (read-only for the owner) is fine too. */
	assert_int_equal(chmod(path, 0400), 0);
	assert_int_equal(bioauth_keystore_load(c->ks, "ec1", NULL, 0, &k), BIOAUTH_OK);
	bioauth_key_free(k);
}

/* A symlink in place of a key file is refused (never followed). */
static void test_refuse_symlink(void **state)
{
	struct ctx *c = *state;
	bioauth_key *k = NULL;
	char target[700], link_path[700];

	assert_int_equal(bioauth_keystore_save(c->ks, ec_key, NULL, 0), BIOAUTH_OK);
	key_path(c, "ec1", target, sizeof(target));
	key_path(c, "alias", link_path, sizeof(link_path));
	assert_int_equal(symlink(target, link_path), 0);
	assert_int_equal(bioauth_keystore_load(c->ks, "alias", NULL, 0, &k), BIOAUTH_ERR_PERMISSIONS);
	assert_null(k);
}

/* An existing directory open to writes by group/other is refused; a
 * directory that is not a directory is an I/O error. */
static void test_refuse_unsafe_dir(void **state)
{
	struct ctx *c = *state;
	bioauth_keystore *ks2 = (bioauth_keystore *)(uintptr_t)1;
	char dir2[700], file[700];

	snprintf(dir2, sizeof(dir2), "%s/shared", c->root);
	assert_int_equal(mkdir(dir2, 0700), 0);
	assert_int_equal(chmod(dir2, 0777), 0);
	assert_int_equal(bioauth_keystore_new(dir2, &ks2), BIOAUTH_ERR_PERMISSIONS);
	assert_null(ks2);
	assert_int_equal(chmod(dir2, 0720), 0);
	assert_int_equal(bioauth_keystore_new(dir2, &ks2), BIOAUTH_ERR_PERMISSIONS);
	assert_int_equal(chmod(dir2, 0755), 0);
	assert_int_equal(bioauth_keystore_new(dir2, &ks2), BIOAUTH_OK);
	bioauth_keystore_free(ks2);
	snprintf(file, sizeof(file), "%s/plainfile", c->root);
	assert_true(sdk_test_write_file(file, "x", 1, 0600));
	assert_int_equal(bioauth_keystore_new(file, &ks2), BIOAUTH_ERR_IO);
	snprintf(dir2, sizeof(dir2), "%s/missing/parent", c->root);
	assert_int_equal(bioauth_keystore_new(dir2, &ks2), BIOAUTH_ERR_IO);
	assert_null(ks2);
}

/* Saving never overwrites, and leaves no temporary files behind. */
static void test_no_overwrite_no_temp_files(void **state)
{
	struct ctx *c = *state;
	bioauth_key *other = NULL, *k = NULL;
	struct dirent *de;
	DIR *d;
	int entries = 0;

	assert_int_equal(bioauth_keystore_save(c->ks, ec_key, NULL, 0), BIOAUTH_OK);
	assert_int_equal(bioauth_key_generate(BIOAUTH_KEY_EC, BIOAUTH_PLATFORM_ANDROID, "ec1", &other), BIOAUTH_OK);
	assert_int_equal(bioauth_keystore_save(c->ks, other, NULL, 0), BIOAUTH_ERR_EXISTS);
	assert_int_equal(bioauth_keystore_save(c->ks, other, pass, strlen(pass)), BIOAUTH_ERR_EXISTS);
	assert_int_equal(bioauth_keystore_load(c->ks, "ec1", NULL, 0, &k), BIOAUTH_OK);
	assert_same_key(ec_key, k);    /* still the first key */
	bioauth_key_free(k);
	bioauth_key_free(other);
	d = opendir(c->dir);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		assert_string_equal(de->d_name, "ec1.key");
		entries++;
	}
	closedir(d);
	assert_int_equal(entries, 1);
}

static void test_list_and_delete(void **state)
{
	struct ctx *c = *state;
	bioauth_key_info *list = NULL;
	bioauth_key *k3 = NULL;
	char junk[700];
	size_t n = 99;

	assert_int_equal(bioauth_keystore_list(c->ks, &list, &n), BIOAUTH_OK);
	assert_int_equal(n, 0);
	assert_null(list);
	assert_int_equal(bioauth_key_generate(BIOAUTH_KEY_EC, BIOAUTH_PLATFORM_ANDROID, "b-key", &k3), BIOAUTH_OK);
	assert_int_equal(bioauth_keystore_save(c->ks, rsa_key, NULL, 0), BIOAUTH_OK);
	assert_int_equal(bioauth_keystore_save(c->ks, ec_key, NULL, 0), BIOAUTH_OK);
	assert_int_equal(bioauth_keystore_save(c->ks, k3, pass, strlen(pass)), BIOAUTH_OK);
	/* Files that are not keys are ignored. */
	snprintf(junk, sizeof(junk), "%s/notes.txt", c->dir);
	assert_true(sdk_test_write_file(junk, "hi", 2, 0600));
	snprintf(junk, sizeof(junk), "%s/.hidden.key", c->dir);
	assert_true(sdk_test_write_file(junk, "hi", 2, 0600));

	assert_int_equal(bioauth_keystore_list(c->ks, &list, &n), BIOAUTH_OK);
	assert_int_equal(n, 3);
	assert_string_equal(list[0].key_id, "b-key");
	assert_string_equal(list[1].key_id, "ec1");
	assert_string_equal(list[2].key_id, "rsa1");
	assert_int_equal(list[0].type, BIOAUTH_KEY_EC);
	assert_int_equal(list[0].platform, BIOAUTH_PLATFORM_ANDROID);
	assert_int_equal(list[0].encrypted, 1);
	assert_int_equal(list[1].platform, BIOAUTH_PLATFORM_IOS);
	assert_int_equal(list[1].encrypted, 0);
	assert_int_equal(list[2].type, BIOAUTH_KEY_RSA);
	assert_true(list[2].created_at == bioauth_key_get_created_at(rsa_key));
	bioauth_buffer_free(list);

	assert_int_equal(bioauth_keystore_delete(c->ks, "ec1"), BIOAUTH_OK);
	assert_int_equal(bioauth_keystore_delete(c->ks, "ec1"), BIOAUTH_ERR_NOT_FOUND);
	assert_int_equal(bioauth_keystore_load(c->ks, "ec1", NULL, 0, &(bioauth_key *){NULL}),
	                 BIOAUTH_ERR_NOT_FOUND);
	assert_int_equal(bioauth_keystore_list(c->ks, &list, &n), BIOAUTH_OK);
	assert_int_equal(n, 2);
	assert_string_equal(list[0].key_id, "b-key");
	assert_string_equal(list[1].key_id, "rsa1");
	bioauth_buffer_free(list);
	/* The id can be used again after a delete. */
	assert_int_equal(bioauth_keystore_save(c->ks, ec_key, NULL, 0), BIOAUTH_OK);
	bioauth_key_free(k3);
}

/* Writes `text` as the key file of `id` (mode 0600) and loads it. */
static bioauth_err load_text(struct ctx *c, const char *id, const char *text, size_t len,
                             const char *pw)
{
	bioauth_key *k = (bioauth_key *)(uintptr_t)1;
	char path[700];
	bioauth_err r;

	key_path(c, id, path, sizeof(path));
	unlink(path);
	assert_true(sdk_test_write_file(path, text, len, 0600));
	r = bioauth_keystore_load(c->ks, id, pw, pw != NULL ? strlen(pw) : 0, &k);
	if (r == BIOAUTH_OK)
		bioauth_key_free(k);
	else
		assert_null(k);
	return r;
}

/* Replaces the first occurrence of `from` in a copy of `text` with `to`. */
static char *replaced(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	size_t n = strlen(text) - strlen(from) + strlen(to) + 1;
	char *out;

	assert_non_null(at);
	out = malloc(n);
	assert_non_null(out);
	snprintf(out, n, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
	return out;
}

/* Every prefix of a key file (short of dropping just the final newline) is
 * a clean BIOAUTH_ERR_CORRUPT; an empty file too. */
static void test_truncated(void **state)
{
	struct ctx *c = *state;
	char path[700];
	char *text;
	size_t len = 0, cut;

	assert_int_equal(bioauth_keystore_save(c->ks, ec_key, NULL, 0), BIOAUTH_OK);
	key_path(c, "ec1", path, sizeof(path));
	text = sdk_test_read_file(path, &len);
	assert_non_null(text);
	assert_true(len > 200);
	for (cut = 0; cut + 1 < len; cut++)
		assert_int_equal(load_text(c, "ec1", text, cut, NULL), BIOAUTH_ERR_CORRUPT);
	assert_int_equal(load_text(c, "ec1", text, len, NULL), BIOAUTH_OK);
	free(text);
}

/* Truncated encrypted files: corrupt, not a passphrase problem (sampled
 * cut points; each successful parse would cost an scrypt run). */
static void test_truncated_encrypted(void **state)
{
	struct ctx *c = *state;
	char path[700];
	char *text, *body;
	size_t len = 0, cut, start;

	assert_int_equal(bioauth_keystore_save(c->ks, ec_key, pass, strlen(pass)), BIOAUTH_OK);
	key_path(c, "ec1", path, sizeof(path));
	text = sdk_test_read_file(path, &len);
	assert_non_null(text);
	body = strstr(text, "-----BEGIN");
	assert_non_null(body);
	start = (size_t)(body - text);
	for (cut = 0; cut + 1 < len; cut += (cut < start ? 7 : 13))
		assert_int_equal(load_text(c, "ec1", text, cut, pass), BIOAUTH_ERR_CORRUPT);
	free(text);
}

/* Damaged files: each mutation gives BIOAUTH_ERR_CORRUPT. */
static void test_corrupt(void **state)
{
	struct ctx *c = *state;
	char path[700];
	char *text, *bad, *big;
	size_t len = 0;
	size_t i;
	struct {
		const char *from, *to;
	} edits[] = {
		{"bioauth-device-key 1\n", "bioauth-device-key 2\n"},
		{"bioauth-device-key 1\n", ""},
		{"id: ec1\n", "id: other\n"},          /* id does not match the file name */
		{"id: ec1\n", "id: ../x\n"},
		{"type: ec\n", "type: rsa\n"},         /* header contradicts the key */
		{"type: ec\n", "type: dsa\n"},
		{"platform: ios\n", "platform: windows\n"},
		{"created: ", "created: -"},
		{"created: ", "created: x"},
		{"encrypted: no\n", "encrypted: maybe\n"},
		{"encrypted: no\n", "encrypted: yes\n"},  /* says encrypted, is not */
		{"sha256: ", "sha256: 0"},                /* 65 digits */
		{"sha256: ", "sha256: \n"},
		{"\n\n-----BEGIN", "\n-----BEGIN"},       /* blank line missing */
		{"BEGIN PRIVATE KEY", "BEGIN PUBLIC KEY"},
		{"END PRIVATE KEY-----\n", "END PRIVATE KEY-----\ntrailing garbage\n"},
		{"END PRIVATE KEY-----\n", "END PRIVATE KEY-----\n-----BEGIN PRIVATE KEY-----\n"},
		{"-----BEGIN PRIVATE KEY-----\n", "-----BEGIN PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\n"},
		{"-----BEGIN PRIVATE KEY-----\nM", "-----BEGIN PRIVATE KEY-----\n!"},
	};

	assert_int_equal(bioauth_keystore_save(c->ks, ec_key, NULL, 0), BIOAUTH_OK);
	key_path(c, "ec1", path, sizeof(path));
	text = sdk_test_read_file(path, &len);
	assert_non_null(text);
	for (i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		bad = replaced(text, edits[i].from, edits[i].to);
		if (load_text(c, "ec1", bad, strlen(bad), NULL) != BIOAUTH_ERR_CORRUPT)
			fail_msg("edit %zu (%s -> %s) not reported as corrupt", i, edits[i].from, edits[i].to);
		free(bad);
	}
	/* A well-formed digest that does not match the body. */
	bad = strdup(text);
	assert_non_null(bad);
	{
		char *d = strstr(bad, "sha256: ") + strlen("sha256: ");

		*d = *d == '0' ? '1' : '0';
	}
	assert_int_equal(load_text(c, "ec1", bad, strlen(bad), NULL), BIOAUTH_ERR_CORRUPT);
	free(bad);
	/* Over the 64 KiB cap. */
	big = malloc(70000);
	assert_non_null(big);
	memcpy(big, text, len);
	memset(big + len, '\n', 70000 - len);
	assert_int_equal(load_text(c, "ec1", big, 70000, NULL), BIOAUTH_ERR_CORRUPT);
	free(big);
	/* Random bytes. */
	{
		unsigned char junk[400];
		size_t j;

		for (j = 0; j < sizeof(junk); j++)
			junk[j] = (unsigned char)(j * 131 + 7);
		assert_int_equal(load_text(c, "ec1", (const char *)junk, sizeof(junk), NULL),
		                 BIOAUTH_ERR_CORRUPT);
	}
	free(text);
}

/* A base64 character changed anywhere in the key body: the DER no longer
 * parses, or the key fails the private/public consistency check. */
static void test_corrupt_every_body_char(void **state)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	struct ctx *c = *state;
	char path[700];
	char *text, *p, *end;
	size_t len = 0;
	int checked = 0;

	assert_int_equal(bioauth_keystore_save(c->ks, ec_key, NULL, 0), BIOAUTH_OK);
	key_path(c, "ec1", path, sizeof(path));
	text = sdk_test_read_file(path, &len);
	assert_non_null(text);
	p = strstr(text, "-----BEGIN PRIVATE KEY-----\n");
	assert_non_null(p);
	p += strlen("-----BEGIN PRIVATE KEY-----\n");
	end = strstr(p, "-----END");
	assert_non_null(end);
	for (; p < end; p++) {
		const char *pos = strchr(alphabet, *p);
		char saved = *p;

		if (*p == '\n' || *p == '=' || pos == NULL)
			continue;
		/* Flip the top bit of the sextet: always a used bit. */
		*p = alphabet[(pos - alphabet) ^ 0x20];
		if (load_text(c, "ec1", text, len, NULL) != BIOAUTH_ERR_CORRUPT)
			fail_msg("change at offset %td not detected", p - text);
		*p = saved;
		checked++;
	}
	assert_true(checked > 100);
	free(text);
}

/* Corrupt ciphertext of an encrypted key: never loads. */
static void test_corrupt_encrypted(void **state)
{
	struct ctx *c = *state;
	char path[700];
	char *text, *bad, *p;
	size_t len = 0;
	bioauth_err r;

	assert_int_equal(bioauth_keystore_save(c->ks, ec_key, pass, strlen(pass)), BIOAUTH_OK);
	key_path(c, "ec1", path, sizeof(path));
	text = sdk_test_read_file(path, &len);
	assert_non_null(text);
	bad = replaced(text, "encrypted: yes\n", "encrypted: no\n");
	assert_int_equal(load_text(c, "ec1", bad, strlen(bad), pass), BIOAUTH_ERR_CORRUPT);
	free(bad);
	/* A character changed inside the ciphertext: the recorded digest
	 * catches it, so it is corrupt, not a wrong passphrase. */
	p = strstr(text, "-----END");
	assert_non_null(p);
	p -= 10;
	*p = *p == 'A' ? 'B' : 'A';
	r = load_text(c, "ec1", text, len, pass);
	assert_int_equal(r, BIOAUTH_ERR_CORRUPT);
	free(text);
}

static void test_misuse(void **state)
{
	struct ctx *c = *state;
	bioauth_keystore *ks = (bioauth_keystore *)(uintptr_t)1;
	bioauth_key *k = (bioauth_key *)(uintptr_t)1;
	bioauth_key_info *list = (bioauth_key_info *)(uintptr_t)1;
	size_t n = 5;
	char *s = NULL;

	assert_int_equal(bioauth_keystore_new(NULL, &ks), BIOAUTH_ERR_INVALID_ARG);
	assert_null(ks);
	assert_int_equal(bioauth_keystore_new("", &ks), BIOAUTH_ERR_INVALID_ARG);
	assert_int_equal(bioauth_keystore_new(c->dir, NULL), BIOAUTH_ERR_INVALID_ARG);
	assert_int_equal(bioauth_keystore_save(NULL, ec_key, NULL, 0), BIOAUTH_ERR_INVALID_ARG);
	assert_int_equal(bioauth_keystore_save(c->ks, NULL, NULL, 0), BIOAUTH_ERR_INVALID_ARG);
	assert_int_equal(bioauth_keystore_load(NULL, "ec1", NULL, 0, &k), BIOAUTH_ERR_INVALID_ARG);
	assert_null(k);
	assert_int_equal(bioauth_keystore_load(c->ks, NULL, NULL, 0, &k), BIOAUTH_ERR_INVALID_ARG);
	assert_int_equal(bioauth_keystore_load(c->ks, "../etc/passwd", NULL, 0, &k), BIOAUTH_ERR_INVALID_ARG);
	assert_int_equal(bioauth_keystore_load(c->ks, "ec1", NULL, 0, NULL), BIOAUTH_ERR_INVALID_ARG);
	assert_int_equal(bioauth_keystore_delete(NULL, "ec1"), BIOAUTH_ERR_INVALID_ARG);
	assert_int_equal(bioauth_keystore_delete(c->ks, NULL), BIOAUTH_ERR_INVALID_ARG);
	assert_int_equal(bioauth_keystore_delete(c->ks, "a/b"), BIOAUTH_ERR_INVALID_ARG);
	assert_int_equal(bioauth_keystore_list(NULL, &list, &n), BIOAUTH_ERR_INVALID_ARG);
	assert_null(list);
	assert_int_equal(n, 0);
	assert_int_equal(bioauth_keystore_list(c->ks, NULL, &n), BIOAUTH_ERR_INVALID_ARG);
	assert_int_equal(bioauth_keystore_list(c->ks, &list, NULL), BIOAUTH_ERR_INVALID_ARG);
	assert_null(bioauth_keystore_get_dir(NULL));
	assert_int_equal(bioauth_keystore_default_dir(NULL), BIOAUTH_ERR_INVALID_ARG);
	bioauth_keystore_free(NULL);
	(void)s;
}

static void test_default_dir(void **state)
{
	const char *old = getenv("HOME");
	char *saved = old != NULL ? strdup(old) : NULL;
	char *s = NULL;

	(void)state;
	assert_int_equal(setenv("HOME", "/home/someone", 1), 0);
	assert_int_equal(bioauth_keystore_default_dir(&s), BIOAUTH_OK);
	assert_string_equal(s, "/home/someone/.bioauth-device");
	bioauth_buffer_free(s);
	assert_int_equal(unsetenv("HOME"), 0);
	assert_int_equal(bioauth_keystore_default_dir(&s), BIOAUTH_ERR_NOT_FOUND);
	assert_null(s);
	if (saved != NULL) {
		setenv("HOME", saved, 1);
		free(saved);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_roundtrip_plain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_roundtrip_encrypted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_or_missing_passphrase, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_rejects_bad_passphrase_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_modes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuse_open_permissions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuse_symlink, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refuse_unsafe_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_overwrite_no_temp_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_and_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncated_encrypted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_every_body_char, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_encrypted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_misuse, setup, teardown),
		cmocka_unit_test(test_default_dir),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
