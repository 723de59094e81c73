/*
 * fsyncprobe.c - the latency of one durable commit's sync on the disk that
 * holds the benchmark's databases, without SQLite or bioauthd around it.
 *
 * A durable bioauthd commits each batch of writes with fdatasync() of the
 * SQLite WAL (PRAGMA synchronous=FULL), so no request that waits for the
 * store can finish faster than that call: the probe's percentiles are the
 * floor under the store_wait stage of a durable run, and a p99 target below
 * the disk's own fdatasync p99 cannot be met on that disk.
 *
 * What it does, like a WAL append: appends one page-sized block to a fresh
 * file in DIR (wrapping at 4 MiB, as a checkpointed WAL is reused) and calls
 * fdatasync(), --count times, pausing --gap-ms between calls (a commit
 * rate well below the disk's, so calls do not queue behind each other).
 * Output: one JSON object with the percentiles in milliseconds. The file is
 * removed at the end.
 *
 *   fsyncprobe DIR [--count N] [--gap-ms MS] [--block BYTES]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WRAP_BYTES (4L << 20)

static double
now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The q-quantile of the sorted v[0..n-1] (nearest rank). */
static double
quantile(const double *v, size_t n, double q)
{
	size_t i = (size_t)(q * (double)n);

	return v[i < n ? i : n - 1];
}

static long
arg_long(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "fsyncprobe: bad number: %s\n", s);
		exit(2);
	}
	return v;
}

int
main(int argc, char **argv)
{
	long count = 2000, gap_ms = 2, block = 2048;
	char path[4096];
	double *lat, sum = 0;
	char *buf;
	int fd, i;

	if (argc < 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: fsyncprobe DIR [--count N] [--gap-ms MS] [--block BYTES]\n");
		return 2;
	}
	for (i = 2; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--count") == 0)
			count = arg_long(argv[i + 1], 100, 1000000);
		else if (strcmp(argv[i], "--gap-ms") == 0)
			gap_ms = arg_long(argv[i + 1], 0, 1000);
		else if (strcmp(argv[i], "--block") == 0)
			block = arg_long(argv[i + 1], 512, 1 << 20);
		else
			break;
	}
	if (i != argc) {
		fprintf(stderr, "fsyncprobe: unexpected argument: %s\n", argv[i]);
		return 2;
	}
	snprintf(path, sizeof(path), "%s/fsyncprobe.%ld", argv[1], (long)getpid());
	fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		fprintf(stderr, "fsyncprobe: %s: %s\n", path, strerror(errno));
		return 1;
	}
	lat = calloc((size_t)count, sizeof(*lat));
	buf = malloc((size_t)block);
	if (lat == NULL || buf == NULL) {
		fprintf(stderr, "fsyncprobe: out of memory\n");
		unlink(path);
		return 1;
	}
	memset(buf, 0xa5, (size_t)block);
	for (i = 0; i < count; i++) {
		off_t off = (off_t)(((long)i * block) % WRAP_BYTES);
		double t0;

		if (pwrite(fd, buf, (size_t)block, off) != (ssize_t)block) {
			fprintf(stderr, "fsyncprobe: write: %s\n", strerror(errno));
			unlink(path);
			return 1;
		}
		t0 = now_ms();
		if (fdatasync(fd) != 0) {
			fprintf(stderr, "fsyncprobe: fdatasync: %s\n", strerror(errno));
			unlink(path);
			return 1;
		}
		lat[i] = now_ms() - t0;
		sum += lat[i];
		if (gap_ms > 0)
			usleep((useconds_t)gap_ms * 1000);
	}
	close(fd);
	unlink(path);
	qsort(lat, (size_t)count, sizeof(*lat), cmp_double);
	printf("{\"count\": %ld, \"gap_ms\": %ld, \"block\": %ld, \"fdatasync_ms\": "
	       "{\"mean\": %.3f, \"p50\": %.3f, \"p90\": %.3f, \"p99\": %.3f, "
	       "\"p99_9\": %.3f, \"max\": %.3f}}\n",
	       count, gap_ms, block, sum / (double)count, quantile(lat, (size_t)count, 0.5),
	       quantile(lat, (size_t)count, 0.9), quantile(lat, (size_t)count, 0.99),
	       quantile(lat, (size_t)count, 0.999), lat[count - 1]);
	free(lat);
	free(buf);
	return 0;
}
