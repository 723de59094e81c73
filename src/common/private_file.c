/*
 * private_file.c - checks and creation of owner-only files (private_file.h).
 */
#include "common/private_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "common/error.h"
#include "common/log.h"

#define PATH_CAP 4096

static int
refuse(const char *path, const char *why)
{
	log_write(LOG_ERROR, "refusing an unsafe file", "path", path, "reason", why, NULL);
	return BA_ERR_CONFIG;
}

int
private_dir_check(const char *dir)
{
	struct stat st;

	if (dir == NULL || stat(dir, &st) != 0) {
		log_write(LOG_ERROR, "cannot use the directory", "path", dir != NULL ? dir : "",
		          "detail", strerror(errno), NULL);
		return BA_ERR_IO;
	}
	if (!S_ISDIR(st.st_mode))
		return refuse(dir, "not a directory");
	if (st.st_uid != geteuid())
		return refuse(dir, "directory owned by another user");
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
		return refuse(dir, "directory writable by group or other");
	return BA_OK;
}

/* One file of the database: see private_sqlite_check. */
static int
sqlite_file_check(const char *path, bool foreign_owner_ok)
{
	struct stat st;
	int fd, r = BA_OK;

	if (lstat(path, &st) != 0) {
		/* Not there yet: SQLite creates it (under umask 077), or reports
		 * the missing directory itself. */
		if (errno == ENOENT || errno == ENOTDIR)
			return BA_OK;
		log_write(LOG_ERROR, "cannot check the database file", "path", path,
		          "detail", strerror(errno), NULL);
		return BA_ERR_IO;
	}
	if (S_ISLNK(st.st_mode))
		return refuse(path, "database file is a symbolic link");
	if (!S_ISREG(st.st_mode))
		return refuse(path, "database file is not a regular file");
	if (st.st_uid != geteuid() && !foreign_owner_ok)
		return refuse(path, "database file owned by another user");
	if ((st.st_mode & 077) == 0)
		return BA_OK;
	/* Tighten through a descriptor of the file just checked, so a swap
	 * between the check and the change is noticed (fstat below). */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return BA_ERR_IO;
	{
		struct stat now;

		if (fstat(fd, &now) != 0 || now.st_ino != st.st_ino || now.st_dev != st.st_dev ||
		    !S_ISREG(now.st_mode))
			r = refuse(path, "database file changed while checked");
		else if (fchmod(fd, now.st_mode & 0700) != 0)
			r = refuse(path, "database file readable or writable by group or other, "
			           "and its mode cannot be changed");
		else
			log_write(LOG_WARN, "database file was readable or writable by group or "
			          "other; made owner-only", "path", path, NULL);
	}
	close(fd);
	return r;
}

int
private_sqlite_check(const char *path, bool foreign_owner_ok)
{
	static const char *const suffix[] = { "", "-wal", "-shm" };
	char p[PATH_CAP];
	size_t i;
	int r;

	if (path == NULL)
		return BA_ERR_CONFIG;
	for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		if ((size_t)snprintf(p, sizeof(p), "%s%s", path, suffix[i]) >= sizeof(p))
			return BA_ERR_CONFIG;
		if ((r = sqlite_file_check(p, foreign_owner_ok)) != BA_OK)
			return r;
	}
	return BA_OK;
}

/* Writes all of data to fd and syncs it. */
static int
write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return BA_ERR_IO;
		p += n;
		len -= (size_t)n;
	}
	return fsync(fd) == 0 ? BA_OK : BA_ERR_IO;
}

int
private_file_create(const char *path, const void *data, size_t len)
{
	int fd, r;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			return refuse(path, "file already exists (or is a link)");
		log_write(LOG_ERROR, "cannot create the file", "path", path,
		          "detail", strerror(errno), NULL);
		return BA_ERR_IO;
	}
	r = write_all(fd, data, len);
	if (close(fd) != 0)
		r = BA_ERR_IO;
	if (r != BA_OK)
		unlink(path);
	return r;
}

int
private_file_replace(const char *path, const void *data, size_t len)
{
	char tmp[PATH_CAP];
	int fd, r;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path) >= sizeof(tmp))
		return BA_ERR_CONFIG;
	if ((fd = mkstemp(tmp)) < 0) {
		log_write(LOG_ERROR, "cannot create the file", "path", path,
		          "detail", strerror(errno), NULL);
		return BA_ERR_IO;
	}
	r = fchmod(fd, 0600) == 0 ? write_all(fd, data, len) : BA_ERR_IO;
	if (close(fd) != 0)
		r = BA_ERR_IO;
	if (r == BA_OK && rename(tmp, path) != 0)
		r = BA_ERR_IO;
	if (r != BA_OK) {
		log_write(LOG_ERROR, "cannot write the file", "path", path, NULL);
		unlink(tmp);
	}
	return r;
}

int
private_file_read(const char *path, size_t max, char **out, size_t *out_len)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd, r = BA_ERR_IO;

	*out = NULL;
	*out_len = 0;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == ENOENT)
			return BA_ERR_NOT_FOUND;
		if (errno == ELOOP)
			return refuse(path, "file is a symbolic link");
		log_write(LOG_ERROR, "cannot open the file", "path", path,
		          "detail", strerror(errno), NULL);
		return BA_ERR_IO;
	}
	if (fstat(fd, &st) != 0)
		goto out;
	if (!S_ISREG(st.st_mode)) {
		r = refuse(path, "not a regular file");
		goto out;
	}
	if (st.st_uid != geteuid()) {
		r = refuse(path, "file owned by another user");
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		r = refuse(path, "file readable or writable by group or other (chmod 600 it)");
		goto out;
	}
	if (st.st_size < 0 || (size_t)st.st_size > max) {
		r = refuse(path, "file too large");
		goto out;
	}
	r = BA_ERR_NOMEM;
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL)
		goto out;
	r = BA_ERR_IO;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto out;
		got += (size_t)n;
	}
	buf[got] = '\0';
	*out = buf;
	*out_len = got;
	buf = NULL;
	r = BA_OK;
out:
	if (buf != NULL) {
		OPENSSL_cleanse(buf, got);
		free(buf);
	}
	close(fd);
	return r;
}
