/*
 * keystore.c - the keystore directory: one "<key_id>.key" file per key.
 *
 * The handle keeps a descriptor of the directory it checked when it was
 * opened, and every file operation is relative to that descriptor (openat,
 * linkat, unlinkat), so renaming or replacing the path afterwards cannot
 * redirect reads and writes. Key files are created 0600 through a temporary
 * file that is written, fsync'd and then hard-linked to its final name
 * (link fails if the name exists, so a key is never overwritten); on file
 * systems without hard links a checked rename is used instead. Reads refuse
 * files that are not regular, not owned by the user, or open to group/other.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "internal.h"

#define KEY_SUFFIX ".key"
#define KEY_SUFFIX_LEN 4
#define FILE_NAME_MAX (BIOAUTH_KEY_ID_MAX + 64)
#define LIST_MAX 100000
#define HOME_MAX 4000

struct bioauth_keystore {
	char *dir;
	int dirfd;
};

/* "<id>.key" into name; the id must already be valid. */
static void key_file_name(const char *id, char name[FILE_NAME_MAX])
{
	size_t n = strlen(id);

	memcpy(name, id, n);
	memcpy(name + n, KEY_SUFFIX, KEY_SUFFIX_LEN + 1);
}

/* Maps a failed open/stat errno to the library's error. */
static bioauth_err errno_to_err(int e)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
		return BIOAUTH_ERR_NOT_FOUND;
	case EACCES:
	case EPERM:
	case ELOOP:
		return BIOAUTH_ERR_PERMISSIONS;
	case ENOMEM:
		return BIOAUTH_ERR_NOMEM;
	default:
		return BIOAUTH_ERR_IO;
	}
}

/*
 * Opens (creating it 0700 if missing) and checks the keystore directory. See
 * the header for the contract.
 */
bioauth_err bioauth_keystore_new(const char *dir, bioauth_keystore **out)
{
	bioauth_err r = BIOAUTH_ERR_INVALID_ARG;
	bioauth_keystore *ks = NULL;
	struct stat st;
	int created = 0;
	int fd = -1;

	if (out != NULL)
		*out = NULL;
	if (dir == NULL || dir[0] == '\0' || out == NULL)
		goto out;
	r = BIOAUTH_ERR_TOO_LARGE;
	if (strlen(dir) > HOME_MAX + 64)
		goto out;
	if (mkdir(dir, 0700) == 0)
		created = 1;
	else if (errno != EEXIST) {
		r = errno == EACCES ? BIOAUTH_ERR_PERMISSIONS : BIOAUTH_ERR_IO;
		goto out;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		r = errno == EACCES ? BIOAUTH_ERR_PERMISSIONS : BIOAUTH_ERR_IO;
		goto out;
	}
	/* mkdir's mode went through the umask; make it exactly 0700. */
	if (created && fchmod(fd, 0700) != 0) {
		r = BIOAUTH_ERR_IO;
		goto out;
	}
	if (fstat(fd, &st) != 0) {
		r = BIOAUTH_ERR_IO;
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		r = BIOAUTH_ERR_IO;
		goto out;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 022) != 0) {
		r = BIOAUTH_ERR_PERMISSIONS;
		goto out;
	}
	ks = calloc(1, sizeof(*ks));
	if (ks == NULL) {
		r = BIOAUTH_ERR_NOMEM;
		goto out;
	}
	ks->dir = strdup(dir);
	if (ks->dir == NULL) {
		r = BIOAUTH_ERR_NOMEM;
		goto out;
	}
	ks->dirfd = fd;
	fd = -1;
	*out = ks;
	ks = NULL;
	r = BIOAUTH_OK;
out:
	if (fd >= 0)
		close(fd);
	if (ks != NULL) {
		free(ks->dir);
		free(ks);
	}
	return r;
}

void bioauth_keystore_free(bioauth_keystore *ks)
{
	if (ks == NULL)
		return;
	if (ks->dirfd >= 0)
		close(ks->dirfd);
	free(ks->dir);
	free(ks);
}

const char *bioauth_keystore_get_dir(const bioauth_keystore *ks)
{
	return ks == NULL ? NULL : ks->dir;
}

bioauth_err bioauth_keystore_default_dir(char **out)
{
	static const char sub[] = "/.bioauth-device";
	const char *home;
	size_t n;
	char *s;

	if (out == NULL)
		return BIOAUTH_ERR_INVALID_ARG;
	*out = NULL;
	home = getenv("HOME");
	if (home == NULL || home[0] == '\0')
		return BIOAUTH_ERR_NOT_FOUND;
	n = strlen(home);
	if (n > HOME_MAX)
		return BIOAUTH_ERR_TOO_LARGE;
	s = malloc(n + sizeof(sub));
	if (s == NULL)
		return BIOAUTH_ERR_NOMEM;
	memcpy(s, home, n);
	memcpy(s + n, sub, sizeof(sub));
	*out = s;
	return BIOAUTH_OK;
}

/* write(2) until everything is written, retrying on EINTR. */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Moves the finished temporary file to its final name without ever replacing
 * an existing key: linkat() fails with EEXIST atomically. Where hard links
 * are not supported, falls back to "does not exist yet" + renameat().
 */
static bioauth_err publish(int dirfd, const char *tmp, const char *final)
{
	struct stat st;

	if (linkat(dirfd, tmp, dirfd, final, 0) == 0) {
		unlinkat(dirfd, tmp, 0);
		return BIOAUTH_OK;
	}
	if (errno == EEXIST)
		return BIOAUTH_ERR_EXISTS;
	if (errno != EPERM && errno != ENOTSUP && errno != EOPNOTSUPP && errno != ENOSYS &&
	    errno != EMLINK)
		return BIOAUTH_ERR_IO;
	if (fstatat(dirfd, final, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return BIOAUTH_ERR_EXISTS;
	if (errno != ENOENT)
		return BIOAUTH_ERR_IO;
	if (renameat(dirfd, tmp, dirfd, final) != 0)
		return BIOAUTH_ERR_IO;
	return BIOAUTH_OK;
}

/*
 * Writes a key file atomically (see the top of the file). The serialised
 * key is wiped from memory before returning; the temporary file is removed
 * on every failure path.
 */
bioauth_err bioauth_keystore_save(bioauth_keystore *ks, const bioauth_key *key,
                                  const char *passphrase, size_t passphrase_len)
{
	bioauth_err r = BIOAUTH_ERR_INVALID_ARG;
	char final[FILE_NAME_MAX], tmp[FILE_NAME_MAX + 32];
	unsigned char rnd[8];
	char *text = NULL;
	size_t text_len = 0;
	int fd = -1, tmp_made = 0;

	if (ks == NULL || key == NULL || (passphrase != NULL && passphrase_len == 0))
		goto out;
	if (!bioauth_key_id_valid(key->id))
		goto out;
	r = bdev_keyfile_encode(key, passphrase, passphrase_len, &text, &text_len);
	if (r != BIOAUTH_OK)
		goto out;
	key_file_name(key->id, final);
	r = BIOAUTH_ERR_CRYPTO;
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		goto out;
	snprintf(tmp, sizeof(tmp), ".tmp-%02x%02x%02x%02x%02x%02x%02x%02x-%s", rnd[0], rnd[1],
	         rnd[2], rnd[3], rnd[4], rnd[5], rnd[6], rnd[7], final);
	r = BIOAUTH_ERR_IO;
	fd = openat(ks->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = errno_to_err(errno) == BIOAUTH_ERR_PERMISSIONS ? BIOAUTH_ERR_PERMISSIONS
		                                                    : BIOAUTH_ERR_IO;
		goto out;
	}
	tmp_made = 1;
	if (fchmod(fd, 0600) != 0 || write_all(fd, text, text_len) != 0 || fsync(fd) != 0)
		goto out;
	if (close(fd) != 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	r = publish(ks->dirfd, tmp, final);
	if (r != BIOAUTH_OK)
		goto out;
	tmp_made = 0;
	/* Make the new directory entry durable too. */
	if (fsync(ks->dirfd) != 0) {
		r = BIOAUTH_ERR_IO;
		goto out;
	}
	r = BIOAUTH_OK;
out:
	if (fd >= 0)
		close(fd);
	if (tmp_made)
		unlinkat(ks->dirfd, tmp, 0);
	if (text != NULL) {
		OPENSSL_cleanse(text, text_len);
		free(text);
	}
	return r;
}

/*
 * Opens and reads a key file into a malloc'd buffer after checking that it
 * is a regular file of ours without group/other bits and at most
 * BDEV_KEYFILE_MAX bytes. The caller wipes and frees *buf.
 */
static bioauth_err read_key_file(int dirfd, const char *name, char **buf, size_t *len)
{
	bioauth_err r = BIOAUTH_ERR_IO;
	struct stat st;
	char *data = NULL;
	size_t cap, used = 0;
	int fd;

	*buf = NULL;
	*len = 0;
	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return errno_to_err(errno);
	if (fstat(fd, &st) != 0)
		goto out;
	r = BIOAUTH_ERR_CORRUPT;
	if (!S_ISREG(st.st_mode))
		goto out;
	r = BIOAUTH_ERR_PERMISSIONS;
	if (st.st_uid != geteuid() || (st.st_mode & 077) != 0)
		goto out;
	r = BIOAUTH_ERR_CORRUPT;
	if (st.st_size <= 0 || st.st_size > BDEV_KEYFILE_MAX)
		goto out;
	cap = (size_t)st.st_size + 1;   /* +1 notices a file that grew */
	data = malloc(cap);
	if (data == NULL) {
		r = BIOAUTH_ERR_NOMEM;
		goto out;
	}
	while (used < cap) {
		ssize_t n = read(fd, data + used, cap - used);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = BIOAUTH_ERR_IO;
			goto out;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	if (used == 0 || used >= cap)
		goto out;
	*buf = data;
	*len = used;
	data = NULL;
	r = BIOAUTH_OK;
out:
	if (data != NULL) {
		OPENSSL_cleanse(data, cap);
		free(data);
	}
	close(fd);
	return r;
}

bioauth_err bioauth_keystore_load(bioauth_keystore *ks, const char *key_id,
                                  const char *passphrase, size_t passphrase_len,
                                  bioauth_key **out)
{
	char name[FILE_NAME_MAX];
	char *buf = NULL;
	size_t len = 0;
	bioauth_err r;

	if (out != NULL)
		*out = NULL;
	if (ks == NULL || out == NULL || !bioauth_key_id_valid(key_id))
		return BIOAUTH_ERR_INVALID_ARG;
	key_file_name(key_id, name);
	r = read_key_file(ks->dirfd, name, &buf, &len);
	if (r != BIOAUTH_OK)
		return r;
	r = bdev_keyfile_decode(buf, len, key_id, passphrase, passphrase_len, out);
	OPENSSL_cleanse(buf, len);
	free(buf);
	return r;
}

bioauth_err bioauth_keystore_delete(bioauth_keystore *ks, const char *key_id)
{
	char name[FILE_NAME_MAX];

	if (ks == NULL || !bioauth_key_id_valid(key_id))
		return BIOAUTH_ERR_INVALID_ARG;
	key_file_name(key_id, name);
	if (unlinkat(ks->dirfd, name, 0) != 0)
		return errno == ENOENT ? BIOAUTH_ERR_NOT_FOUND : BIOAUTH_ERR_IO;
	if (fsync(ks->dirfd) != 0)
		return BIOAUTH_ERR_IO;
	return BIOAUTH_OK;
}

static int info_cmp(const void *a, const void *b)
{
	return strcmp(((const bioauth_key_info *)a)->key_id, ((const bioauth_key_info *)b)->key_id);
}

/* Fills one list entry from the file's header; errors go into status. */
static void describe(int dirfd, const char *name, bioauth_key_info *info)
{
	struct bdev_keyfile_header h;
	char *buf = NULL;
	size_t len = 0;
	bioauth_err r;

	r = read_key_file(dirfd, name, &buf, &len);
	if (r == BIOAUTH_OK) {
		r = bdev_keyfile_parse_header(buf, len, &h);
		if (r == BIOAUTH_OK && strcmp(h.id, info->key_id) != 0)
			r = BIOAUTH_ERR_CORRUPT;
		if (r == BIOAUTH_OK) {
			info->type = h.type;
			info->platform = h.platform;
			info->encrypted = h.encrypted;
			info->created_at = h.created_at;
		}
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
	info->status = r;
}

/*
 * Lists "*.key" files: reads the directory through a duplicate of the
 * directory descriptor (rewound first), grows the array geometrically up to
 * LIST_MAX entries, then sorts by id. See the header for the contract.
 */
bioauth_err bioauth_keystore_list(bioauth_keystore *ks, bioauth_key_info **out, size_t *count)
{
	bioauth_err r = BIOAUTH_ERR_INVALID_ARG;
	bioauth_key_info *list = NULL, *grown;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d = NULL;
	int fd;

	if (out != NULL)
		*out = NULL;
	if (count != NULL)
		*count = 0;
	if (ks == NULL || out == NULL || count == NULL)
		return r;
	r = BIOAUTH_ERR_IO;
	fd = dup(ks->dirfd);
	if (fd < 0)
		goto out;
	d = fdopendir(fd);
	if (d == NULL) {
		close(fd);
		goto out;
	}
	rewinddir(d);
	for (;;) {
		char id[BIOAUTH_KEY_ID_MAX + 1];
		size_t len;

		errno = 0;
		de = readdir(d);
		if (de == NULL) {
			if (errno != 0)
				goto out;
			break;
		}
		len = strlen(de->d_name);
		if (len <= KEY_SUFFIX_LEN || len - KEY_SUFFIX_LEN > BIOAUTH_KEY_ID_MAX ||
		    strcmp(de->d_name + len - KEY_SUFFIX_LEN, KEY_SUFFIX) != 0)
			continue;
		memcpy(id, de->d_name, len - KEY_SUFFIX_LEN);
		id[len - KEY_SUFFIX_LEN] = '\0';
		if (!bioauth_key_id_valid(id))
			continue;
		if (n == cap) {
			size_t ncap = cap == 0 ? 16 : cap * 2;

			if (cap >= LIST_MAX) {
				r = BIOAUTH_ERR_TOO_LARGE;
				goto out;
			}
			grown = realloc(list, ncap * sizeof(*list));
			if (grown == NULL) {
				r = BIOAUTH_ERR_NOMEM;
				goto out;
			}
			list = grown;
			cap = ncap;
		}
		if (n >= LIST_MAX) {
			r = BIOAUTH_ERR_TOO_LARGE;
			goto out;
		}
		memset(&list[n], 0, sizeof(list[n]));
		memcpy(list[n].key_id, id, strlen(id) + 1);
		describe(ks->dirfd, de->d_name, &list[n]);
		n++;
	}
	if (n > 0)
		qsort(list, n, sizeof(*list), info_cmp);
	else {
		free(list);
		list = NULL;
	}
	*out = list;
	*count = n;
	list = NULL;
	r = BIOAUTH_OK;
out:
	free(list);
	if (d != NULL)
		closedir(d);
	return r;
}
