/*
 * main.c - bioauthd: configuration, storage, the HTTP server, and a clean
 * shutdown on SIGTERM/SIGINT.
 *
 * Signals: SIGTERM and SIGINT are blocked before any thread starts, so every
 * thread (MHD's, the store's) inherits the mask and the main thread alone
 * receives them, synchronously, with sigwait(). Shutdown order: stop the
 * HTTP server (no new connections, in-flight requests and their commits
 * finish), then close the store (drains queued commits), then exit 0.
 *
 * Exit codes: 0 clean shutdown or --help, 2 bad configuration or usage,
 * 1 start-up failure (storage, keys, listen socket).
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "api/ctx.h"
#include "common/config.h"
#include "common/error.h"
#include "common/log.h"
#include "common/private_file.h"
#include "crypto/pubkey.h"
#include "domain/keyring.h"
#include "domain/token_cache.h"
#include "edge/http.h"
#include "server/demo.h"
#include "server/maintenance.h"
#include "store/store.h"

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

int
main(int argc, char **argv)
{
	struct config cfg;
	struct store_options sopt = { 0 };
	struct bioauth_ctx ctx = { 0 };
	struct store *store = NULL;
	struct http_server *srv = NULL;
	struct keyring *keys = NULL;
	struct maintenance *maint = NULL;
	enum log_level lvl = LOG_INFO;
	sigset_t sigs;
	bool help = false;
	int first = argc, sig = 0, rc, code = 1;
	char listen[300], threads[16];

	if (config_load(&cfg, argc, argv, &first, &help, stderr) != BA_OK)
		return 2;
	if (help)
		return 0;
	if (first < argc) {
		fprintf(stderr, "%s: unexpected argument '%s' (see --help)\n",
		        argv[0], argv[first]);
		config_clear(&cfg);
		return 2;
	}
	if (log_level_parse(cfg.log_level, &lvl) == 0)
		log_set_level(lvl);

	/* Before any thread exists: they all inherit this mask. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* The database holds signing keys and secret hashes: owner only. */
	umask(077);

	if (prepare_data_dir(&cfg) != BA_OK)
		goto out;

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
	if (cfg.demo_app && demo_app_ensure(store, &cfg) != BA_OK)
		goto out;

	if (maintenance_start(store, &cfg, &maint) != BA_OK)
		goto out;
	rc = http_server_start(&ctx, &srv);
	if (rc != BA_OK)
		goto out;

	snprintf(listen, sizeof(listen), "%s%s%s:%u",
	         strchr(cfg.listen_host, ':') != NULL ? "[" : "",
	         cfg.listen_host,
	         strchr(cfg.listen_host, ':') != NULL ? "]" : "", cfg.listen_port);
	snprintf(threads, sizeof(threads), "%d", cfg.threads);
	log_write(LOG_INFO, "bioauthd started", "listen", listen,
	          "issuer", cfg.issuer, "storage", store->ops->name,
	          "durable", cfg.durable ? "true" : "false",
	          "threads", threads, NULL);

	for (;;) {
		if (sigwait(&sigs, &sig) == 0 && (sig == SIGTERM || sig == SIGINT))
			break;
	}
	log_write(LOG_INFO, "shutting down",
	          "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT", NULL);
	code = 0;
out:
	http_server_stop(srv);
	maintenance_stop(maint);
	keyring_free(keys);
	store_close(store);
	pubkey_cache_flush();
	sig_cleanup();
	token_cache_flush();
	if (code == 0)
		log_write(LOG_INFO, "bioauthd stopped", NULL);
	config_clear(&cfg);
	return code;
}
