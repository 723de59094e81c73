/*
 * fuzz_common.h - what every libFuzzer harness in fuzz/ shares.
 *
 * A harness is written once and built two ways:
 *  - the fuzz build (fuzz/fuzz.mk): clang -fsanitize=fuzzer,address,undefined,
 *    FUZZ_TARGET(name) becomes LLVMFuzzerTestOneInput, and every malloc,
 *    calloc, realloc, strdup and strndup of the project's code goes through
 *    fuzz/alloc_fail.c (-Wl,--wrap=...);
 *  - the regression replay (test/unit/test_fuzz_regressions.c, built by the
 *    normal `make`): FUZZ_REGRESSION_BUILD is defined, every harness .c is
 *    #included into one translation unit and FUZZ_TARGET(name) becomes
 *    fuzz_<name>_one(). There, allocation failures reach jansson and OpenSSL
 *    only (through their allocator hooks); `make fuzz-regress` replays the
 *    same files in the fuzz build with the full injection.
 *
 * Because of the single translation unit, a harness names its static
 * functions and variables with its own prefix.
 *
 * Input layout shared by all harnesses: two control bytes (see
 * fuzz_take_alloc_control) followed by the harness's own bytes.
 */
#ifndef BIOAUTH_FUZZ_COMMON_H
#define BIOAUTH_FUZZ_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/config.h"
#include "crypto/jws.h"
#include "domain/keyring.h"

#ifdef FUZZ_REGRESSION_BUILD
#define FUZZ_TARGET(name) \
	int fuzz_##name##_one(const uint8_t *data, size_t size); \
	int fuzz_##name##_one(const uint8_t *data, size_t size)
#else
#define FUZZ_TARGET(name) \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size); \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
/*
 * Run once before the first input (every harness calls it after
 * alloc_fail_install): loads the keys and the keyring and parses, signs and
 * verifies once with each key, so that OpenSSL's algorithm caches are
 * filled while no allocation fails. A failure inside OpenSSL's first fetch
 * of an algorithm would otherwise change how later, unrelated inputs run,
 * and their crashes could not be replayed alone.
 */
void fuzz_warm_up(void);

/*
 * A request as the edge holds it after the request line, without an MHD
 * connection (so without headers): method (a static string) and raw path
 * set, the context's config is fuzz_config(), no store. Router, body and
 * reply code run on it as in the server; release it with req_free()
 * (edge/internal.h). Harness memory: taken with injection disarmed.
 */
struct req;
struct req *fuzz_req_new(const char *method, const char *path);

#endif

/* A property that must hold: report and abort (libFuzzer saves the input). */
#define FUZZ_CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: fuzz property failed: %s\n", \
		        __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

/* --- allocation-failure injection (fuzz/alloc_fail.c) --- */

/* Routes jansson's and OpenSSL's allocators through the failure counter.
 * Idempotent; call before anything allocates with OpenSSL (every harness
 * calls it first). */
void alloc_fail_install(void);
/* Arms the calling thread's counter: the allocation after `countdown` more
 * successful ones fails; with `persistent` every later one fails too. */
void alloc_fail_arm(unsigned countdown, bool persistent);
/* Disarms the counter (allocations succeed again). */
void alloc_fail_disarm(void);
/* True when an allocation failed since the last arm. */
bool alloc_fail_fired(void);

/*
 * Reads the two control bytes at the front of the input. When the first
 * byte is 0xA0..0xAF, injection is pending with countdown = second byte
 * (+256 * low bit of the first), "persistent" when bit 1 of the first is
 * set; any other first byte means no injection. Inputs shorter than two
 * bytes are consumed whole. FUZZ_ALLOC_FAIL=0 in the environment disables
 * injection altogether.
 */
void fuzz_take_alloc_control(const uint8_t **data, size_t *size);
/* Arms the pending injection around the code under test (so that the
 * harness's own allocations never fail and the countdown is the same on
 * every replay); fuzz_alloc_end() disarms and returns whether an
 * allocation failed in between. */
void fuzz_alloc_begin(void);
bool fuzz_alloc_end(void);

/* --- input helpers --- */

/* The next byte (0 when the input is exhausted). */
uint8_t fuzz_take_u8(const uint8_t **data, size_t *size);
/* The next `n` bytes (fewer if the input is shorter); returns their start. */
const uint8_t *fuzz_take(const uint8_t **data, size_t *size, size_t n, size_t *got);
/* A malloc'd NUL-terminated copy of `n` bytes (aborts on ENOMEM: this is
 * harness memory, taken while the counter is disarmed). */
char *fuzz_strndup(const uint8_t *p, size_t n);

/* --- fixed material (fuzz/fuzz_support.c) --- */

/* PKCS#8 PEM private keys: EC P-256, RSA-2048, Ed25519. */
extern const char fuzz_ec_pem[];
extern const char fuzz_rsa_pem[];
extern const char fuzz_ed_pem[];

/* The server defaults (config_load with no arguments, no file, and the
 * BIOAUTH_* environment ignored), loaded once. */
const struct config *fuzz_config(void);

/* The three fixed keys with kids "fuzz-es256", "fuzz-rs256", "fuzz-eddsa". */
const struct jws_key *fuzz_jws_key(enum jws_alg alg);
/* Replaces a fixed key by a fresh copy (see jws.c: OpenSSL's RSA key state
 * after an injected failure). Pointers to the old key become invalid. */
void fuzz_jws_key_reload(enum jws_alg alg);
/* jws_key_lookup_fn over the three fixed keys. */
const struct jws_key *fuzz_jws_lookup(const char *kid, void *arg);

/*
 * A real keyring (SQLite store in a temporary directory removed at exit)
 * holding a retired RS256 key and a current ES256 signer, both verifying.
 * NULL when it cannot be set up (the harness then skips that mode and
 * says so once on stderr).
 */
struct keyset *fuzz_keyset(void);

/*
 * Run once before the first input (every harness calls it after
 * alloc_fail_install): loads the keys and the keyring and parses, signs and
 * verifies once with each key, so that OpenSSL's algorithm caches are
 * filled while no allocation fails. A failure inside OpenSSL's first fetch
 * of an algorithm would otherwise change how later, unrelated inputs run,
 * and their crashes could not be replayed alone.
 */
void fuzz_warm_up(void);

/*
 * A request as the edge holds it after the request line, without an MHD
 * connection (so without headers): method (a static string) and raw path
 * set, the context's config is fuzz_config(), no store. Router, body and
 * reply code run on it as in the server; release it with req_free()
 * (edge/internal.h). Harness memory: taken with injection disarmed.
 */
struct req;
struct req *fuzz_req_new(const char *method, const char *path);

#endif
