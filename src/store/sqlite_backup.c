/*
 * sqlite_backup.c - whole-file operations on a SQLite database: the lock a
 * server holds on it, an online backup and a restore (bioauthctl backup /
 * restore; the server takes the lock in src/server/main.c).
 *
 * The lock is flock(2) on the database file. SQLite itself uses POSIX
 * (fcntl) locks, which on Linux are independent of flock locks, so the two
 * do not interfere; but closing any descriptor of the file drops a
 * process's POSIX locks, so the lock's descriptor stays open until the
 * database is closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/error.h"
#include "common/log.h"
#include "store/store.h"

/* All pages in one step: one read transaction, one snapshot. Steps of a
 * few pages would restart whenever another process commits. */
#define BACKUP_PAGES_PER_STEP (-1)
#define BACKUP_BUSY_RETRIES 2000        /* x 5 ms */

int
store_sqlite_lock(const char *path, bool exclusive, int *fd)
{
	int f;

	*fd = -1;
	f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (f < 0)
		return BA_ERR_IO;
	if (flock(f, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0) {
		int e = errno;
		close(f);
		return e == EWOULDBLOCK ? BA_ERR_CONFLICT : BA_ERR_IO;
	}
	*fd = f;
	return BA_OK;
}

/* Copies every page of `src` into `dst` with the backup API, stepping so
 * that a busy database is retried rather than failed. */
static int
copy_db(sqlite3 *dst, sqlite3 *src)
{
	sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
	int rc, tries = 0;

	if (b == NULL)
		return BA_ERR_STORE_UNAVAILABLE;
	do {
		rc = sqlite3_backup_step(b, BACKUP_PAGES_PER_STEP);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) {
			if (++tries > BACKUP_BUSY_RETRIES)
				break;
			sqlite3_sleep(5);
		}
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	sqlite3_backup_finish(b);
	return rc == SQLITE_DONE ? BA_OK : BA_ERR_STORE_UNAVAILABLE;
}

/* True when `path` opens as a SQLite database that passes quick_check. */
static bool
quick_check(const char *path)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	bool ok = false;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		goto out;
	if (sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL) != SQLITE_OK)
		goto out;
	ok = sqlite3_step(st) == SQLITE_ROW &&
	     strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	return ok;
}

/* fsyncs `path` (a file or, with O_DIRECTORY, a directory). */
static int
fsync_path(const char *path, bool dir)
{
	int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC);
	int r;

	if (fd < 0)
		return BA_ERR_IO;
	r = fsync(fd) == 0 ? BA_OK : BA_ERR_IO;
	close(fd);
	return r;
}

/* SHA-256 of the file at `path` as lowercase hex, and its size. */
static int
file_sha256(const char *path, char hex[65], int64_t *bytes)
{
	unsigned char buf[65536], md[32];
	unsigned mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	FILE *f = fopen(path, "rb");
	size_t n, i;
	int r = BA_ERR_IO;

	*bytes = 0;
	if (ctx == NULL || f == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto out;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (EVP_DigestUpdate(ctx, buf, n) != 1)
			goto out;
		*bytes += (int64_t)n;
	}
	if (ferror(f) || EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32)
		goto out;
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	r = BA_OK;
out:
	if (f != NULL)
		fclose(f);
	EVP_MD_CTX_free(ctx);
	return r;
}

/* The directory part of `path` into buf ("." when none). */
static void
dir_of(const char *path, char *buf, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		snprintf(buf, len, ".");
	else if (slash == path)
		snprintf(buf, len, "/");
	else
		snprintf(buf, len, "%.*s", (int)(slash - path), path);
}

int
store_sqlite_backup(const char *db, const char *to, char sha256_hex[65],
                    int64_t *bytes)
{
	char tmp[PATH_MAX], dir[PATH_MAX];
	sqlite3 *src = NULL, *dst = NULL;
	struct stat st;
	int r = BA_ERR_IO;

	sha256_hex[0] = '\0';
	*bytes = 0;
	if (stat(to, &st) == 0)
		return BA_ERR_CONFLICT;
	if (snprintf(tmp, sizeof(tmp), "%s.partial", to) >= (int)sizeof(tmp))
		return BA_ERR_INVALID_REQUEST;
	unlink(tmp);
	if (sqlite3_open_v2(db, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	                    NULL) != SQLITE_OK) {
		r = BA_ERR_STORE_UNAVAILABLE;
		goto out;
	}
	sqlite3_busy_timeout(src, 5000);
	if ((r = copy_db(dst, src)) != BA_OK)
		goto out;
	/* A single self-contained file: no -wal next to the copy. */
	if (sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) != SQLITE_OK) {
		r = BA_ERR_STORE_UNAVAILABLE;
		goto out;
	}
	sqlite3_close(dst);
	dst = NULL;
	r = BA_ERR_IO;
	if (!quick_check(tmp) || fsync_path(tmp, false) != BA_OK)
		goto out;
	if (link(tmp, to) != 0) {          /* never replaces an existing file */
		r = errno == EEXIST ? BA_ERR_CONFLICT : BA_ERR_IO;
		goto out;
	}
	unlink(tmp);
	dir_of(to, dir, sizeof(dir));
	if (fsync_path(dir, true) != BA_OK)
		goto out;
	r = file_sha256(to, sha256_hex, bytes);
out:
	sqlite3_close(dst);
	sqlite3_close(src);
	if (r != BA_OK)
		unlink(tmp);
	return r;
}

int
store_sqlite_restore(const char *from, const char *db)
{
	sqlite3 *src = NULL, *dst = NULL;
	int fd = -1, r;

	if (!quick_check(from))
		return BA_ERR_INVALID_REQUEST;
	r = store_sqlite_lock(db, true, &fd);
	if (r != BA_OK)
		return r;
	if (sqlite3_open_v2(from, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_open_v2(db, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
	                    NULL) != SQLITE_OK) {
		r = BA_ERR_STORE_UNAVAILABLE;
		goto out;
	}
	sqlite3_busy_timeout(dst, 5000);
	if ((r = copy_db(dst, src)) != BA_OK)
		goto out;
	/* Fold the WAL into the file before anyone opens it again. */
	if (sqlite3_wal_checkpoint_v2(dst, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL,
	                              NULL) != SQLITE_OK) {
		r = BA_ERR_STORE_UNAVAILABLE;
		goto out;
	}
	sqlite3_close(dst);
	dst = NULL;
	r = fsync_path(db, false);
out:
	sqlite3_close(dst);
	sqlite3_close(src);
	if (fd >= 0)
		close(fd);   /* after the database: see the top of the file */
	return r;
}
