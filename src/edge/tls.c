/*
 * tls.c - loading, checking and swapping the server's certificate and key.
 * See tls.h for the life of a generation.
 */
#include "edge/tls.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/error.h"

#define TLS_MAX_CHAIN 16
#define TLS_MAX_FILE (1 << 20)

struct tls_gen {
	gnutls_pcert_st certs[TLS_MAX_CHAIN];
	unsigned ncerts;
	gnutls_privkey_t key;
	struct tls_gen *older;     /* generations loaded before, kept alive */
};

static pthread_mutex_t tls_mu = PTHREAD_MUTEX_INITIALIZER;
static struct tls_gen *tls_current;

/* Reads all of `path` (at most TLS_MAX_FILE bytes) into a gnutls datum the
 * caller frees (after wiping it when it holds a key). */
static int
read_all(const char *path, gnutls_datum_t *out, char *why, size_t len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t n;
	int r = BA_ERR_CONFIG;

	out->data = NULL;
	out->size = 0;
	if (f == NULL) {
		snprintf(why, len, "%s: %s", path, strerror(errno));
		return BA_ERR_CONFIG;
	}
	buf = gnutls_malloc(TLS_MAX_FILE + 1);
	if (buf == NULL) {
		snprintf(why, len, "%s: out of memory", path);
		goto out;
	}
	n = fread(buf, 1, TLS_MAX_FILE + 1, f);
	if (ferror(f) || n == 0 || n > TLS_MAX_FILE) {
		snprintf(why, len, "%s: %s", path, ferror(f) ? strerror(errno) :
		         n == 0 ? "empty file" : "larger than 1 MiB");
		goto out;
	}
	out->data = buf;
	out->size = (unsigned)n;
	buf = NULL;
	r = BA_OK;
out:
	gnutls_free(buf);
	fclose(f);
	return r;
}

static void
gen_free(struct tls_gen *g)
{
	unsigned i;

	if (g == NULL)
		return;
	for (i = 0; i < g->ncerts; i++)
		gnutls_pcert_deinit(&g->certs[i]);
	gnutls_privkey_deinit(g->key);
	free(g);
}

/* Loads and checks the pair into a new generation (*out, owned by the
 * caller). */
static int
gen_load(const char *cert_file, const char *key_file, struct tls_gen **out,
         char *why, size_t len)
{
	gnutls_datum_t cert = { NULL, 0 }, key = { NULL, 0 };
	gnutls_certificate_credentials_t check = NULL;
	struct tls_gen *g = NULL;
	int e, r = BA_ERR_CONFIG;

	*out = NULL;
	if (read_all(cert_file, &cert, why, len) != BA_OK ||
	    read_all(key_file, &key, why, len) != BA_OK)
		goto out;
	g = calloc(1, sizeof(*g));
	if (g == NULL) {
		snprintf(why, len, "out of memory");
		goto out;
	}
	g->ncerts = TLS_MAX_CHAIN;
	e = gnutls_pcert_list_import_x509_raw(g->certs, &g->ncerts, &cert,
	                                      GNUTLS_X509_FMT_PEM, 0);
	if (e < 0 || g->ncerts == 0) {
		g->ncerts = 0;
		snprintf(why, len, "%s: not a PEM certificate chain: %s",
		         cert_file, e < 0 ? gnutls_strerror(e) : "no certificate");
		goto out;
	}
	if ((e = gnutls_privkey_init(&g->key)) < 0 ||
	    (e = gnutls_privkey_import_x509_raw(g->key, &key,
	                                        GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
		snprintf(why, len, "%s: not a PEM private key: %s", key_file,
		         gnutls_strerror(e));
		goto out;
	}
	/* GnuTLS checks that the key matches the leaf when both are set. */
	if ((e = gnutls_certificate_allocate_credentials(&check)) < 0 ||
	    (e = gnutls_certificate_set_x509_key_mem2(check, &cert, &key,
	                                               GNUTLS_X509_FMT_PEM,
	                                               NULL, 0)) < 0) {
		snprintf(why, len, "%s does not match %s: %s", key_file,
		         cert_file, gnutls_strerror(e));
		goto out;
	}
	*out = g;
	g = NULL;
	r = BA_OK;
out:
	if (check != NULL)
		gnutls_certificate_free_credentials(check);
	gen_free(g);
	if (key.data != NULL) {
		gnutls_memset(key.data, 0, key.size);
		gnutls_free(key.data);
	}
	gnutls_free(cert.data);
	return r;
}

int
tls_check_files(const char *cert_file, const char *key_file, char *why,
                size_t len)
{
	struct tls_gen *g = NULL;
	int r = gen_load(cert_file, key_file, &g, why, len);

	gen_free(g);
	return r;
}

int
tls_reload(const char *cert_file, const char *key_file, char *why,
           size_t len)
{
	struct tls_gen *g = NULL;
	int r = gen_load(cert_file, key_file, &g, why, len);

	if (r != BA_OK)
		return r;
	pthread_mutex_lock(&tls_mu);
	g->older = tls_current;
	tls_current = g;
	pthread_mutex_unlock(&tls_mu);
	return BA_OK;
}

int
tls_cert_callback(gnutls_session_t session, const gnutls_datum_t *req_ca_dn,
                  int nreqs, const gnutls_pk_algorithm_t *pk_algos,
                  int pk_algos_length, gnutls_pcert_st **pcert,
                  unsigned int *pcert_length, gnutls_privkey_t *pkey)
{
	struct tls_gen *g;

	(void)session;
	(void)req_ca_dn;
	(void)nreqs;
	(void)pk_algos;
	(void)pk_algos_length;
	pthread_mutex_lock(&tls_mu);
	g = tls_current;
	pthread_mutex_unlock(&tls_mu);
	if (g == NULL)
		return -1;
	/* Borrowed: GnuTLS does not free what this callback returns. */
	*pcert = g->certs;
	*pcert_length = g->ncerts;
	*pkey = g->key;
	return 0;
}

void
tls_unload_all(void)
{
	struct tls_gen *g, *older;

	pthread_mutex_lock(&tls_mu);
	g = tls_current;
	tls_current = NULL;
	pthread_mutex_unlock(&tls_mu);
	for (; g != NULL; g = older) {
		older = g->older;
		gen_free(g);
	}
}
