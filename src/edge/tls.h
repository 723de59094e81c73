/*
 * tls.h - the server's TLS certificate and key (GnuTLS, which is what
 * libmicrohttpd's TLS uses).
 *
 * A certificate chain and its private key are loaded together into a
 * "generation". libmicrohttpd asks for the certificate in every handshake
 * through MHD_OPTION_HTTPS_CERT_CALLBACK (tls_cert_callback), which hands
 * out the current generation; tls_reload() swaps in a new one without
 * touching open connections. A generation is never freed while the server
 * runs (a session may still point into it), only by tls_unload_all() once
 * the daemon is stopped: one certificate (a few KiB) per reload.
 */
#ifndef BIOAUTH_EDGE_TLS_H
#define BIOAUTH_EDGE_TLS_H

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <stdio.h>

/* TLS 1.2 and 1.3 only, forward-secret AEAD suites only. */
#define TLS_PRIORITIES \
	"NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-CIPHER-ALL:" \
	"+AES-256-GCM:+AES-128-GCM:+CHACHA20-POLY1305:-MAC-ALL:+AEAD:" \
	"-KX-ALL:+ECDHE-ECDSA:+ECDHE-RSA:%SERVER_PRECEDENCE"

/* The Strict-Transport-Security value sent on every TLS reply. */
#define TLS_HSTS "max-age=31536000"

/* Loads `cert_file` (PEM, leaf first, chain allowed) and `key_file` (PEM)
 * and checks that the key belongs to the leaf. Does not install them.
 * BA_OK, or BA_ERR_CONFIG with one line naming the file and the reason in
 * `why` (size `len`). */
int tls_check_files(const char *cert_file, const char *key_file, char *why,
                    size_t len);

/* Loads the pair as tls_check_files() does and makes it the one served to
 * new handshakes; on failure the current pair stays. Thread-safe. */
int tls_reload(const char *cert_file, const char *key_file, char *why,
               size_t len);

/* MHD_OPTION_HTTPS_CERT_CALLBACK: hands out the current generation. */
int tls_cert_callback(gnutls_session_t session, const gnutls_datum_t *req_ca_dn,
                      int nreqs, const gnutls_pk_algorithm_t *pk_algos,
                      int pk_algos_length, gnutls_pcert_st **pcert,
                      unsigned int *pcert_length, gnutls_privkey_t *pkey);

/* Frees every generation; only once no TLS session is left. */
void tls_unload_all(void);

#endif
