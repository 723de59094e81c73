/*
 * fsyncprobe.c - the latency of one durable commit's sync on the disk that
 * holds the benchmark's databases, without SQLite or bioauthd around it.
 *
 * A durable bioauthd commits each batch of writes with fdatasync() of the
 * SQLite WAL (PRAGMA synchronous=FULL), so no request that waits for the
 * store can finish faster than that call: the probe's percentiles are the
 * floor under the store_wait stage of a durable run.
 *
 * Two cases, as a WAL sees them, each --count times, one block (--block:
 * bioauth's 2 KiB SQLite page) written and synced per call, pausing
 * --gap-ms between calls (a commit rate well below the disk's, so calls do
 * not queue behind each other):
 *  - "overwrite": blocks of a file already written and synced (wrapping at
 *    4 MiB), as a WAL that checkpoints keep rewinding is rewritten in place;
 *  - "append": blocks added to a fresh file, as a WAL growing past its
 *    largest size so far: each sync then also commits the file system's
 *    journal (the new size and blocks).
 * Output: one JSON object with the percentiles in milliseconds. The files
 * are removed at the end.
 *
 *   fsyncprobe DIR [--count N] [--gap-ms MS] [--block BYTES]
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
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

/* The q-quantile of the sorted v[0..n-1], n > 0 (nearest rank). */
static double
quantile(const double *v, size_t n, double q)
{
	size_t rank = (size_t)ceil(q * (double)n);

	return v[rank > 0 ? (rank <= n ? rank - 1 : n - 1) : 0];
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

/* Fills the first WRAP_BYTES of fd and syncs them: overwrites then
 * allocate nothing. */
static int
preallocate(int fd, const char *buf, long block)
{
	for (long off = 0; off < WRAP_BYTES; off += block)
		if (pwrite(fd, buf, (size_t)block, (off_t)off) != (ssize_t)block)
			return -1;
	return fdatasync(fd);
}

struct probe {
	long count, gap_ms, block;
	const char *buf;
};

/*
 * Times p->count syncs of one block each on a fresh file `path`, appending
 * (grow) or overwriting a preallocated 4 MiB; prints `"name": {...}` with
 * the percentiles. 0 on success, -1 (with a message) on failure.
 */
static int
probe(const struct probe *p, const char *path, const char *name, bool grow)
{
	double *lat = calloc((size_t)p->count, sizeof(*lat)), sum = 0;
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
	int rc = -1;

	if (fd < 0 || lat == NULL) {
		fprintf(stderr, "fsyncprobe: %s: %s\n", path, fd < 0 ? strerror(errno) : "out of memory");
		goto out;
	}
	if (!grow && preallocate(fd, p->buf, p->block) != 0) {
		fprintf(stderr, "fsyncprobe: preallocating: %s\n", strerror(errno));
		goto out;
	}
	for (long i = 0; i < p->count; i++) {
		off_t off = (off_t)(grow ? i * p->block : (i * p->block) % WRAP_BYTES);
		double t0;

		if (pwrite(fd, p->buf, (size_t)p->block, off) != (ssize_t)p->block) {
			fprintf(stderr, "fsyncprobe: write: %s\n", strerror(errno));
			goto out;
		}
		t0 = now_ms();
		if (fdatasync(fd) != 0) {
			fprintf(stderr, "fsyncprobe: fdatasync: %s\n", strerror(errno));
			goto out;
		}
		lat[i] = now_ms() - t0;
		sum += lat[i];
		if (p->gap_ms > 0)
			usleep((useconds_t)p->gap_ms * 1000);
	}
	qsort(lat, (size_t)p->count, sizeof(*lat), cmp_double);
	printf("\"%s\": {\"mean\": %.3f, \"p50\": %.3f, \"p90\": %.3f, \"p99\": %.3f, "
	       "\"p99_9\": %.3f, \"max\": %.3f}", name, sum / (double)p->count,
	       quantile(lat, (size_t)p->count, 0.5), quantile(lat, (size_t)p->count, 0.9),
	       quantile(lat, (size_t)p->count, 0.99), quantile(lat, (size_t)p->count, 0.999),
	       lat[p->count - 1]);
	rc = 0;
out:
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
	free(lat);
	return rc;
}

int
main(int argc, char **argv)
{
	struct probe p = {.count = 2000, .gap_ms = 2, .block = 2048};
	char path[4096];
	char *buf;
	int i, rc = 1;

	if (argc < 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: fsyncprobe DIR [--count N] [--gap-ms MS] [--block BYTES]\n");
		return 2;
	}
	for (i = 2; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--count") == 0)
			p.count = arg_long(argv[i + 1], 100, 1000000);
		else if (strcmp(argv[i], "--gap-ms") == 0)
			p.gap_ms = arg_long(argv[i + 1], 0, 1000);
		else if (strcmp(argv[i], "--block") == 0)
			p.block = arg_long(argv[i + 1], 512, 1 << 20);
		else
			break;
	}
	if (i != argc) {
		fprintf(stderr, "fsyncprobe: unexpected argument: %s\n", argv[i]);
		return 2;
	}
	if ((buf = malloc((size_t)p.block)) == NULL) {
		fprintf(stderr, "fsyncprobe: out of memory\n");
		return 1;
	}
	memset(buf, 0xa5, (size_t)p.block);
	p.buf = buf;
	snprintf(path, sizeof(path), "%s/fsyncprobe.%ld", argv[1], (long)getpid());
	printf("{\"count\": %ld, \"gap_ms\": %ld, \"block\": %ld, ", p.count, p.gap_ms, p.block);
	if (probe(&p, path, "overwrite", false) == 0) {
		printf(", ");
		if (probe(&p, path, "append", true) == 0) {
			printf("}\n");
			rc = 0;
		}
	}
	free(buf);
	return rc;
}
