/*
 * private_file.h - the files bioauth keeps secrets in: the SQLite database
 * (and its -wal/-shm), the data directory, the secrets file and the demo
 * app's credentials. Checked before use and created so that no other local
 * user can read them or make bioauth write through a planted link.
 *
 * Policy (docs/SECURITY.md, "Local files"):
 * - a directory holding them must be owned by the running user and not
 *   writable by group or other: refused otherwise;
 * - a database file (or -wal/-shm) that is a symbolic link, not a regular
 *   file, or owned by another user is refused; one readable or writable by
 *   group or other is tightened to owner-only with a logged warning (a
 *   database made by an older bioauthctl was 0644);
 * - new files are created 0600 with O_EXCL|O_NOFOLLOW, replaced files are
 *   written to a mkstemp file beside them and renamed over them.
 *
 * Each function logs what it refused (the path and the reason) and returns
 * BA_OK, BA_ERR_CONFIG (the file or directory is unsafe), BA_ERR_IO or
 * BA_ERR_NOMEM.
 */
#ifndef BIOAUTH_COMMON_PRIVATE_FILE_H
#define BIOAUTH_COMMON_PRIVATE_FILE_H

#include <stdbool.h>
#include <stddef.h>

/* `dir` exists, is a directory owned by the effective user and is not
 * writable by group or other. BA_ERR_IO when it does not exist. */
int private_dir_check(const char *dir);

/*
 * The SQLite database `path` and its `path`-wal and `path`-shm, those that
 * exist: regular files (not links) owned by the effective user, tightened
 * to owner-only when group or other have any access. `foreign_owner_ok`
 * lets the caller accept files of another user (bioauthctl run by root on
 * the service's database: SQLite gives the -wal/-shm it creates the
 * database's owner).
 */
int private_sqlite_check(const char *path, bool foreign_owner_ok);

/* Creates `path` 0600 with O_CREAT|O_EXCL|O_NOFOLLOW and writes `len`
 * bytes, synced. BA_ERR_CONFIG when something (a file, a link) is already
 * there; nothing is left behind on failure. */
int private_file_create(const char *path, const void *data, size_t len);

/* Writes `len` bytes to a fresh mkstemp file (0600) in the directory of
 * `path`, syncs it and renames it over `path` (a link at `path` is
 * replaced, never followed). */
int private_file_replace(const char *path, const void *data, size_t len);

/*
 * Reads `path` (at most `max` bytes) without following a final link; the
 * file must be a regular file owned by the effective user without group or
 * other access. *out is malloc'd and NUL-terminated (wipe it with
 * secret_free when it holds secrets). BA_ERR_NOT_FOUND when it does not
 * exist, BA_ERR_CONFIG when unsafe or larger than max.
 */
int private_file_read(const char *path, size_t max, char **out, size_t *out_len);

#endif
