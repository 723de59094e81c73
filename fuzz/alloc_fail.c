/*
 * alloc_fail.c - allocation-failure injection for the fuzz build.
 *
 * The harnesses are linked with
 *   -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup,--wrap=strndup
 * so every such call in the project's own objects lands in __wrap_*() here;
 * jansson (json_set_alloc_funcs) and OpenSSL (CRYPTO_set_mem_functions) are
 * routed through the same counter. The counter is thread-local: only the
 * thread running the fuzz input sees failures, never a store thread or
 * libFuzzer itself (the harness disarms before returning).
 *
 * Known library defect kept out of the way: jansson 2.14 ignores a failed
 * allocation while lexing and then fails assert(c == d) in
 * lex_unget_unsave (akheron/jansson issue #362, fix pending upstream), which
 * aborts the process. json_loadb and json_loads are therefore also wrapped
 * (--wrap=json_loadb,--wrap=json_loads) and run with injection paused; every
 * other jansson call (pack, dump, object building) still sees failures.
 *
 * With FUZZ_NO_WRAP (the regression replay in the normal unit-test build)
 * the __wrap_* functions are left out and only OpenSSL's hook is installed
 * (jansson's would hit the defect above in json_loadb).
 */
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

static _Thread_local bool af_armed;
static _Thread_local bool af_persistent;
static _Thread_local bool af_fired;
static _Thread_local unsigned long af_countdown;
/* What the control bytes asked for, armed by fuzz_alloc_begin(). */
static _Thread_local bool af_pending;
static _Thread_local bool af_pending_persistent;
static _Thread_local unsigned af_pending_countdown;
static int af_disabled = -1;   /* FUZZ_ALLOC_FAIL=0: -1 unknown, 0/1 */

#ifndef FUZZ_NO_WRAP
void __sanitizer_print_stack_trace(void);
#endif

/* True when this allocation must fail; counts it otherwise. With
 * FUZZ_ALLOC_TRACE=1 in the environment (fuzz build) the stack of every
 * injected failure is printed, to find which one a crash follows. */
static bool
af_should_fail(void)
{
	static int trace = -1;

	if (!af_armed)
		return false;
	if (af_countdown > 0) {
		af_countdown--;
		return false;
	}
	if (trace < 0) {
		const char *e = getenv("FUZZ_ALLOC_TRACE");
		trace = e != NULL && strcmp(e, "1") == 0;
	}
#ifndef FUZZ_NO_WRAP
	if (trace) {
		fprintf(stderr, "alloc_fail: injected failure at\n");
		__sanitizer_print_stack_trace();
	}
#endif
	af_fired = true;
	if (!af_persistent)
		af_armed = false;
	return true;
}

#ifndef FUZZ_NO_WRAP
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t m);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);
json_t *__real_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *e);
json_t *__real_json_loads(const char *s, size_t flags, json_error_t *e);
json_t *__wrap_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *e);
json_t *__wrap_json_loads(const char *s, size_t flags, json_error_t *e);

void *
__wrap_malloc(size_t n)
{
	return af_should_fail() ? NULL : __real_malloc(n);
}

void *
__wrap_calloc(size_t n, size_t m)
{
	return af_should_fail() ? NULL : __real_calloc(n, m);
}

/* A failed realloc leaves the block alone, as the real one does. */
void *
__wrap_realloc(void *p, size_t n)
{
	return af_should_fail() ? NULL : __real_realloc(p, n);
}

char *
__wrap_strdup(const char *s)
{
	return af_should_fail() ? NULL : __real_strdup(s);
}

char *
__wrap_strndup(const char *s, size_t n)
{
	return af_should_fail() ? NULL : __real_strndup(s, n);
}

/* jansson's loaders, with injection paused (see the file comment). */
json_t *
__wrap_json_loadb(const char *buf, size_t len, size_t flags, json_error_t *e)
{
	bool armed = af_armed;
	json_t *j;

	af_armed = false;
	j = __real_json_loadb(buf, len, flags, e);
	af_armed = armed;
	return j;
}

json_t *
__wrap_json_loads(const char *s, size_t flags, json_error_t *e)
{
	bool armed = af_armed;
	json_t *j;

	af_armed = false;
	j = __real_json_loads(s, flags, e);
	af_armed = armed;
	return j;
}
#endif

#ifndef FUZZ_NO_WRAP
/* jansson's allocator. */
static void *
af_json_malloc(size_t n)
{
	return af_should_fail() ? NULL : malloc(n);
}

static void
af_json_free(void *p)
{
	free(p);
}
#endif

/* OpenSSL's allocator (file and line are OpenSSL's call site). */
static void *
af_ossl_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return af_should_fail() ? NULL : malloc(n);
}

static void *
af_ossl_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return af_should_fail() ? NULL : realloc(p, n);
}

static void
af_ossl_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	free(p);
}

void
alloc_fail_install(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	/* Fails (returns 0) when OpenSSL already allocated; then OpenSSL's
	 * own allocations are simply not injected. */
	(void)CRYPTO_set_mem_functions(af_ossl_malloc, af_ossl_realloc, af_ossl_free);
#ifndef FUZZ_NO_WRAP
	json_set_alloc_funcs(af_json_malloc, af_json_free);
#endif
}

void
alloc_fail_arm(unsigned countdown, bool persistent)
{
	if (af_disabled < 0) {
		const char *e = getenv("FUZZ_ALLOC_FAIL");
		af_disabled = e != NULL && strcmp(e, "0") == 0;
	}
	af_fired = false;
	if (af_disabled)
		return;
	af_countdown = countdown;
	af_persistent = persistent;
	af_armed = true;
}

void
alloc_fail_disarm(void)
{
	af_armed = false;
}

bool
alloc_fail_fired(void)
{
	return af_fired;
}

void
fuzz_take_alloc_control(const uint8_t **data, size_t *size)
{
	uint8_t c0, c1;

	alloc_fail_disarm();
	af_fired = false;
	af_pending = false;
	if (*size < 2) {
		*data += *size;
		*size = 0;
		return;
	}
	c0 = (*data)[0];
	c1 = (*data)[1];
	*data += 2;
	*size -= 2;
	if ((c0 & 0xf0) == 0xa0) {
		af_pending = true;
		af_pending_countdown = (unsigned)c1 + 256u * (c0 & 1u);
		af_pending_persistent = (c0 & 2u) != 0;
	}
}

void
fuzz_alloc_begin(void)
{
	af_fired = false;
	if (af_pending)
		alloc_fail_arm(af_pending_countdown, af_pending_persistent);
}

bool
fuzz_alloc_end(void)
{
	alloc_fail_disarm();
	return af_fired;
}

uint8_t
fuzz_take_u8(const uint8_t **data, size_t *size)
{
	uint8_t c;

	if (*size == 0)
		return 0;
	c = (*data)[0];
	(*data)++;
	(*size)--;
	return c;
}

const uint8_t *
fuzz_take(const uint8_t **data, size_t *size, size_t n, size_t *got)
{
	const uint8_t *p = *data;

	if (n > *size)
		n = *size;
	*data += n;
	*size -= n;
	*got = n;
	return p;
}

char *
fuzz_strndup(const uint8_t *p, size_t n)
{
	bool armed = af_armed;
	char *s;

	af_armed = false;
	s = malloc(n + 1);
	af_armed = armed;
	if (s == NULL)
		abort();
	if (n > 0)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}
