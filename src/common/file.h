/*
 * file.h - reading a small file whole.
 */
#ifndef BIOAUTH_COMMON_FILE_H
#define BIOAUTH_COMMON_FILE_H

#include <stddef.h>

/*
 * Reads all of `path`, at most `max` bytes, into a new NUL-terminated buffer
 * (*out, free() it; *len without the NUL). BA_OK, BA_ERR_IO (cannot open or
 * read, or larger than max) or BA_ERR_NOMEM.
 */
int file_read_all(const char *path, size_t max, char **out, size_t *len);

#endif
