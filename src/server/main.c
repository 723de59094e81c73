/*
 * main.c - bioauthd: configuration, storage, the HTTP server, a reload on
 * SIGHUP and a clean shutdown on SIGTERM/SIGINT.
 *
 * SIGHUP re-reads the configuration (file, environment, flags as given at
 * start) and the TLS certificate and key. An invalid configuration or TLS
 * pair is refused with an error log line and the running settings stay.
 * The log level and the TLS files change live; every other changed
 * setting is logged as needing a restart (the request threads read the
 * configuration without locks, so it is never written while they run).
 *
 * Under systemd (Type=notify) the service manager is told READY=1 once the
 * server listens, RELOADING=1 / READY=1 around a reload, STOPPING=1 at
 * shutdown, and - when the unit sets WatchdogSec= - WATCHDOG=1 every half
 * period from the signal loop. Outside systemd these calls do nothing.
 *
 * --check-config loads and validates the configuration (and the TLS pair)
 * and exits: 0 and "configuration OK", or 2 and the reason on stderr.
 *
 * Signals: SIGTERM and SIGINT are blocked before any thread starts, so every
 * thread (MHD's, the store's) inherits the mask and the main thread alone
 * receives them, synchronously, with sigwait(). Shutdown order: stop the
 * HTTP server (no new connections, in-flight requests and their commits
 * finish), then close the store (drains queued commits), then exit 0.
 *
 * Exit codes: 0 clean shutdown, --help or --check-config passed, 2 bad
 * configuration or usage,
 * 1 start-up failure (storage, keys, listen socket).
 */
#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include "api/ctx.h"
#include "common/config.h"
#include "common/error.h"
#include "common/log.h"
#include "common/private_file.h"
#include "crypto/pubkey.h"
#include "domain/attestation.h"
#include "domain/keyring.h"
#include "domain/settings.h"
#include "domain/token_cache.h"
#include "edge/http.h"
#include "edge/tls.h"
#include "server/demo.h"
#include "server/maintenance.h"
#include "server/manpage.h"
#include "store/store.h"

/*
 * Keeps freed memory at the top of each thread's heap (up to
 * HEAP_KEEP_BYTES) instead of handing it back to the kernel at once.
 * glibc trims a heap whose free top passes 128 KiB; the writer thread
 * frees that much after every SAVEPOINT on a large database (SQLite's
 * record of the pages the savepoint touched grows with the file), so at
 * 1,000,000 keys it gave memory back and faulted it in again about once
 * per login under load, each return a TLB flush on every core: a third of
 * the writer's CPU (docs/PERFORMANCE.md, "Round 5"). Setting the threshold also
 * fixes glibc's mmap threshold at 128 KiB (no longer raised as large blocks
 * are freed). Nothing to do on another C library.
 */
#define HEAP_KEEP_BYTES (8 * 1024 * 1024)
static void malloc_keep_heap(void)
{
#ifdef __GLIBC__
	if (mallopt(M_TRIM_THRESHOLD, HEAP_KEEP_BYTES) != 1)
		log_write(LOG_WARN, "cannot set malloc's trim threshold", NULL);
#endif
}

/* Creates `dir` and its missing parents with mode 0700. BA_OK if it exists
 * already (as a directory), BA_ERR_IO otherwise. */
static int
mkdir_p(const char *dir)
{
	char path[4096];
	struct stat st;
	size_t i, n = strlen(dir);

	if (n == 0 || n >= sizeof(path))
		return BA_ERR_IO;
	memcpy(path, dir, n + 1);
	for (i = 1; i <= n; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		path[i] = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
			return BA_ERR_IO;
		path[i] = i < n ? '/' : '\0';
	}
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return BA_ERR_IO;
	return BA_OK;
}

/* The default SQLite database lives in the data directory: create that
 * directory (0700) on first start (also for --demo-app, which writes its
 * credentials file there). A --db elsewhere must already have its
 * directory, so a typo does not silently create trees. A data directory
 * in use must be the running user's and closed to group and other writes
 * (private_file.h); a SQLite database is checked the same way. */
static int
prepare_data_dir(const struct config *cfg)
{
	size_t n = strlen(cfg->data_dir);
	bool db_inside = !store_url_is_postgres(cfg->db) &&
	                 strncmp(cfg->db, cfg->data_dir, n) == 0 &&
	                 (cfg->db[n] == '/' ||
	                  (n > 0 && cfg->data_dir[n - 1] == '/'));

	int r;

	if (db_inside || cfg->demo_app) {
		if (mkdir_p(cfg->data_dir) != BA_OK) {
			log_write(LOG_ERROR, "cannot create the data directory",
			          "data_dir", cfg->data_dir, "detail", strerror(errno), NULL);
			return BA_ERR_IO;
		}
		if ((r = private_dir_check(cfg->data_dir)) != BA_OK) {
			log_write(LOG_ERROR, "cannot use the data directory",
			          "data_dir", cfg->data_dir,
			          "db", db_inside ? cfg->db : NULL, NULL);
			return r;
		}
	}
	if (!store_url_is_postgres(cfg->db) && (r = private_sqlite_check(cfg->db, false)) != BA_OK) {
		log_write(LOG_ERROR, "cannot use the database file", "db", cfg->db, NULL);
		return r;
	}
	return BA_OK;
}

/* Removes every "--check-config" from argv (it is an action, not a
 * setting); true if there was one. */
static bool
take_check_flag(int *argc, char **argv)
{
	bool found = false;
	int i, j = 1;

	for (i = 1; i < *argc; i++) {
		if (strcmp(argv[i], "--check-config") == 0) {
			found = true;
			continue;
		}
		argv[j++] = argv[i];
	}
	argv[j] = NULL;
	*argc = j;
	return found;
}

/* --check-config: the configuration has loaded; check what only opening
 * it shows (the TLS pair) and report. */
static int
check_config(const struct config *cfg)
{
	char why[512];

	if (cfg->tls_cert != NULL &&
	    tls_check_files(cfg->tls_cert, cfg->tls_key, why, sizeof(why)) != BA_OK) {
		fprintf(stderr, "TLS: %s\n", why);
		return 2;
	}
	printf("configuration OK\n");
	return 0;
}

/* config_diff callback of a reload: logs each changed setting and notes
 * in *(bool *)arg whether one of them needs a restart. */
static void
on_changed(const char *name, const char *was, const char *now, void *arg)
{
	static const char *const live[] = { "log-level", "tls-cert", "tls-key", NULL };
	bool applied = false;
	size_t i;

	for (i = 0; live[i] != NULL; i++)
		applied = applied || strcmp(live[i], name) == 0;
	if (!applied)
		*(bool *)arg = true;
	/* The database setting may be a URL with a password: no values. */
	if (strcmp(name, "db") == 0)
		was = now = "(not logged)";
	log_write(applied ? LOG_INFO : LOG_WARN,
	          applied ? "reload: setting changed" :
	                    "reload: setting changed, takes effect on restart",
	          "setting", name, "was", was, "now", now, NULL);
}

/* Tells systemd a reload began (READY=1 follows when it is over). */
static void
notify_reloading(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
	           (unsigned long long)t.tv_sec * 1000000ULL +
	           (unsigned long long)t.tv_nsec / 1000ULL);
}

/* SIGHUP: re-reads the configuration and the TLS pair, applies what can
 * change live, keeps everything as it was when anything is invalid. */
static void
reload(struct config *cfg, int argc, char **argv)
{
	struct config next;
	enum log_level lvl = LOG_INFO;
	char why[512];
	bool help = false, restart = false;
	char *tmp, *reason = NULL;
	size_t reason_len = 0;
	FILE *err;
	int rc;

	log_write(LOG_INFO, "reload: SIGHUP received", NULL);
	notify_reloading();
	/* config_load reports on a stream: keep its line for the log. */
	err = open_memstream(&reason, &reason_len);
	rc = config_load(&next, argc, argv, NULL, &help, err != NULL ? err : stderr);
	if (err != NULL)
		fclose(err);
	if (rc != BA_OK) {
		if (reason_len > 0 && reason[reason_len - 1] == '\n')
			reason[reason_len - 1] = '\0';
		log_write(LOG_ERROR, "reload refused: invalid configuration; "
		          "keeping the running one", "detail", reason, NULL);
		free(reason);
		return;
	}
	free(reason);
	if ((next.tls_cert == NULL) != (cfg->tls_cert == NULL)) {
		log_write(LOG_ERROR, "reload refused: TLS can only be turned "
		          "on or off by a restart", NULL);
		goto out;
	}
	if (next.tls_cert != NULL &&
	    tls_reload(next.tls_cert, next.tls_key, why, sizeof(why)) != BA_OK) {
		log_write(LOG_ERROR, "reload refused: TLS certificate; keeping "
		          "the running one", "detail", why, NULL);
		goto out;
	}
	config_diff(cfg, &next, on_changed, &restart);
	/* Only main reads these three: swap them in. */
	tmp = cfg->log_level, cfg->log_level = next.log_level, next.log_level = tmp;
	tmp = cfg->tls_cert, cfg->tls_cert = next.tls_cert, next.tls_cert = tmp;
	tmp = cfg->tls_key, cfg->tls_key = next.tls_key, next.tls_key = tmp;
	log_write(LOG_INFO, "reload done", "tls", cfg->tls_cert != NULL ?
	          "certificate reloaded" : "off",
	          "restart_needed", restart ? "true" : "false", NULL);
	/* Last, so that the lines above show at the level they were sent. */
	if (log_level_parse(cfg->log_level, &lvl) == 0)
		log_set_level(lvl);
out:
	config_clear(&next);
}

int
main(int argc, char **argv)
{
	struct config cfg;
	struct store_options sopt = { 0 };
	struct bioauth_ctx ctx = { 0 };
	struct store *store = NULL;
	struct http_server *srv = NULL;
	struct keyring *keys = NULL;
	struct attestation_ctx *attest = NULL;
	struct maintenance *maint = NULL;
	enum log_level lvl = LOG_INFO;
	int db_lock = -1;
	uint64_t watchdog_usec = 0;
	sigset_t sigs;
	bool help = false;
	int first = argc, sig = 0, rc, code = 1;
	char listen[300], threads[16];
	bool check = take_check_flag(&argc, argv);

	if (argc == 2 && strcmp(argv[1], "--man") == 0) {
		manpage_write(stdout);
		return 0;
	}

	if (config_load(&cfg, argc, argv, &first, &help, stderr) != BA_OK)
		return 2;
	if (help) {
		printf("  %-32s %s\n", "--check-config",
		       "validate flags, environment, config file and TLS files, then exit");
		printf("  %-32s %s\n", "--man", "print the manual page (man(7)) and exit");
		return 0;
	}
	if (first < argc) {
		fprintf(stderr, "%s: unexpected argument '%s' (see --help)\n",
		        argv[0], argv[first]);
		config_clear(&cfg);
		return 2;
	}
	if (check) {
		code = check_config(&cfg);
		config_clear(&cfg);
		return code;
	}
	if (log_level_parse(cfg.log_level, &lvl) == 0)
		log_set_level(lvl);
	if (cfg.tls_cert != NULL) {
		char why[512];

		if (tls_check_files(cfg.tls_cert, cfg.tls_key, why, sizeof(why)) != BA_OK) {
			log_write(LOG_ERROR, "cannot load the TLS certificate",
			          "detail", why, NULL);
			config_clear(&cfg);
			return 2;
		}
	}

	malloc_keep_heap();
	/* Before any thread exists: they all inherit this mask. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* The database holds signing keys and secret hashes: owner only. */
	umask(077);

	if (prepare_data_dir(&cfg) != BA_OK)
		goto out;

	/* A SQLite file is held (shared) while we run, so that bioauthctl
	 * restore can tell and refuse. */
	if (!store_url_is_postgres(cfg.db)) {
		rc = store_sqlite_lock(cfg.db, false, &db_lock);
		if (rc == BA_ERR_CONFLICT) {
			log_write(LOG_ERROR, "the database is being restored "
			          "(bioauthctl restore holds it)", "db", cfg.db, NULL);
			goto out;
		}
	}
	sopt.durable = cfg.durable;
	sopt.pool_size = cfg.db_pool_size;
	rc = store_open(cfg.db, &sopt, &store);
	if (rc != BA_OK) {
		/* Never log cfg.db: a PostgreSQL URL may hold a password. */
		log_write(LOG_ERROR, "cannot open the database",
		          "backend", store_url_is_postgres(cfg.db) ? "postgres" : "sqlite",
		          "error", ba_strerror(rc), NULL);
		goto out;
	}
	ctx.cfg = &cfg;
	ctx.store = store;

	rc = keyring_open(store, &cfg, &keys);
	if (rc != BA_OK) {
		log_write(LOG_ERROR, "cannot load the signing keys", "error", ba_strerror(rc), NULL);
		goto out;
	}
	ctx.keys = keys;
	if ((rc = attestation_ctx_open(&cfg, &attest)) != BA_OK) {
		log_write(LOG_ERROR, "cannot load the key attestation settings",
		          "error", ba_strerror(rc), NULL);
		goto out;
	}
	ctx.attest = attest;
	/* bioauthctl signs with this issuer unless told otherwise. A database
	 * that refuses the write (read-only) does not stop the start: the
	 * server then serves reads and reports itself not ready. */
	rc = settings_record_issuer(store, cfg.issuer, (int64_t)time(NULL));
	if (rc != BA_OK)
		log_write(LOG_WARN, "cannot record the issuer in the database; bioauthctl "
		          "user token needs --issuer", "error", ba_strerror(rc), NULL);
	if (cfg.demo_app && demo_app_ensure(store, &cfg) != BA_OK)
		goto out;

	if (maintenance_start(store, &cfg, keys, &maint) != BA_OK)
		goto out;
	rc = http_server_start(&cfg, store, &ctx, &srv);
	if (rc != BA_OK)
		goto out;

	snprintf(listen, sizeof(listen), "%s%s%s:%u",
	         strchr(cfg.listen_host, ':') != NULL ? "[" : "",
	         cfg.listen_host,
	         strchr(cfg.listen_host, ':') != NULL ? "]" : "", cfg.listen_port);
	snprintf(threads, sizeof(threads), "%d", cfg.threads);
	log_write(LOG_INFO, "bioauthd started", "listen", listen,
	          "tls", cfg.tls_cert != NULL ? "on" : "off",
	          "issuer", cfg.issuer, "storage", store_backend_name(store),
	          "durable", cfg.durable ? "true" : "false",
	          "threads", threads, NULL);

	sd_notify(0, "READY=1");
	/* WatchdogSec=: ping at half the period between signals. */
	if (sd_watchdog_enabled(0, &watchdog_usec) <= 0)
		watchdog_usec = 0;
	for (;;) {
		struct timespec wait_for = {
			.tv_sec = (time_t)(watchdog_usec / 2000000),
			.tv_nsec = (long)(watchdog_usec / 2 % 1000000) * 1000,
		};

		sig = watchdog_usec > 0 ? sigtimedwait(&sigs, NULL, &wait_for)
		                        : sigwaitinfo(&sigs, NULL);
		if (sig < 0) {
			if (errno == EAGAIN)
				sd_notify(0, "WATCHDOG=1");
			continue;
		}
		if (sig == SIGTERM || sig == SIGINT)
			break;
		if (sig == SIGHUP) {
			reload(&cfg, argc, argv);
			sd_notify(0, "READY=1");
		}
	}
	sd_notify(0, "STOPPING=1");
	log_write(LOG_INFO, "shutting down",
	          "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT", NULL);
	code = 0;
out:
	http_server_stop(srv);
	maintenance_stop(maint);
	keyring_free(keys);
	attestation_ctx_free(attest);
	store_close(store);
	if (db_lock >= 0)
		close(db_lock);   /* after the store: closing drops SQLite's locks */
	pubkey_cache_flush();
	sig_cleanup();
	token_cache_flush();
	if (code == 0)
		log_write(LOG_INFO, "bioauthd stopped", NULL);
	config_clear(&cfg);
	return code;
}
