/*
 * file.c - reading a small file whole (see file.h).
 */
#include "common/file.h"

#include <stdio.h>
#include <stdlib.h>

#include "common/error.h"

int
file_read_all(const char *path, size_t max, char **out, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n;
	int r = BA_ERR_IO;

	*out = NULL;
	*len = 0;
	if (f == NULL)
		return BA_ERR_IO;
	if ((buf = malloc(max + 1)) == NULL) {
		r = BA_ERR_NOMEM;
		goto out;
	}
	n = fread(buf, 1, max + 1, f);
	if (ferror(f) || n > max)
		goto out;
	buf[n] = '\0';
	*out = buf;
	*len = n;
	buf = NULL;
	r = BA_OK;
out:
	free(buf);
	fclose(f);
	return r;
}
