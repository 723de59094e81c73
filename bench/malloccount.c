/*
 * malloccount.so - counts a process's heap allocations, for bench/allocs.sh.
 *
 *   MALLOCCOUNT_FILE=/tmp/counts LD_PRELOAD=bench/work/bin/malloccount.so bioauthd ...
 *
 * Wraps malloc, calloc, realloc, free and the aligned allocators around
 * glibc's own (__libc_malloc and friends) and counts calls and requested
 * bytes with relaxed atomic additions. A thread of its own (all signals
 * blocked, so the program's sigwait() still gets them) writes the totals
 * to MALLOCCOUNT_FILE every 20 ms, replacing the file whole (rename), as
 * one line: "allocs N reallocs N frees N bytes N". A reader takes the
 * difference of two snapshots around a run of known length.
 *
 * A bench tool, never part of bioauthd: glibc only (the __libc_* names).
 */
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void *__libc_malloc(size_t n);
void *__libc_calloc(size_t k, size_t n);
void *__libc_realloc(void *p, size_t n);
void __libc_free(void *p);
void *__libc_memalign(size_t a, size_t n);

static atomic_ulong n_alloc, n_realloc, n_free, n_bytes;

static void count(atomic_ulong *c, size_t bytes)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&n_bytes, bytes, memory_order_relaxed);
}

void *malloc(size_t n)
{
	count(&n_alloc, n);
	return __libc_malloc(n);
}

void *calloc(size_t k, size_t n)
{
	count(&n_alloc, k * n);
	return __libc_calloc(k, n);
}

void *realloc(void *p, size_t n)
{
	count(p ? &n_realloc : &n_alloc, n);
	return __libc_realloc(p, n);
}

void free(void *p)
{
	if (p)
		atomic_fetch_add_explicit(&n_free, 1, memory_order_relaxed);
	__libc_free(p);
}

void *memalign(size_t a, size_t n)
{
	count(&n_alloc, n);
	return __libc_memalign(a, n);
}

void *aligned_alloc(size_t a, size_t n)
{
	count(&n_alloc, n);
	return __libc_memalign(a, n);
}

int posix_memalign(void **out, size_t a, size_t n)
{
	void *p;

	count(&n_alloc, n);
	p = __libc_memalign(a, n);
	if (!p)
		return 12; /* ENOMEM */
	*out = p;
	return 0;
}

/* Writes the totals to path (through path.tmp and a rename) every 20 ms. */
static void *writer(void *arg)
{
	const char *path = arg;
	char tmp[4096], line[160];
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
		return NULL;
	for (;;) {
		int len = snprintf(line, sizeof line, "allocs %lu reallocs %lu frees %lu bytes %lu\n",
		                   atomic_load(&n_alloc), atomic_load(&n_realloc),
		                   atomic_load(&n_free), atomic_load(&n_bytes));
		int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

		if (fd >= 0) {
			ssize_t w = write(fd, line, (size_t)len);

			close(fd);
			if (w == len)
				rename(tmp, path);
		}
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static char out_path[4000];

__attribute__((constructor)) static void start(void)
{
	const char *path = getenv("MALLOCCOUNT_FILE");
	pthread_t t;

	if (!path || !*path || strlen(path) >= sizeof out_path)
		return;
	memcpy(out_path, path, strlen(path) + 1);
	if (pthread_create(&t, NULL, writer, out_path) == 0)
		pthread_detach(t);
}
