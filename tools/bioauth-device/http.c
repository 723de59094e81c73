/*
 * http.c - the small libcurl client behind `bioauth-device demo`: one
 * request, one capped response body, nothing kept between calls.
 */
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct sink {
	char *buf;
	size_t len;
	size_t cap;
	int overflow;
};

/* libcurl write callback: appends to the sink, refusing bodies over the cap
 * (returning less than given makes libcurl fail the transfer). */
static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct sink *s = userdata;
	size_t n = size * nmemb;

	if (nmemb != 0 && n / nmemb != size)
		return 0;
	if (n > HTTP_BODY_MAX - s->len) {
		s->overflow = 1;
		return 0;
	}
	if (s->len + n + 1 > s->cap) {
		size_t ncap = s->cap == 0 ? 4096 : s->cap;
		char *p;

		while (ncap < s->len + n + 1)
			ncap *= 2;
		p = realloc(s->buf, ncap);
		if (p == NULL)
			return 0;
		s->buf = p;
		s->cap = ncap;
	}
	memcpy(s->buf + s->len, ptr, n);
	s->len += n;
	s->buf[s->len] = '\0';
	return n;
}

int http_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void http_global_cleanup(void)
{
	curl_global_cleanup();
}

char *http_form_escape(const char *s)
{
	char *e, *copy;

	e = curl_easy_escape(NULL, s, 0);
	if (e == NULL)
		return NULL;
	copy = strdup(e);
	curl_free(e);
	return copy;
}

/*
 * Performs the request described by req. Headers: Accept and, with a body,
 * Content-Type; Authorization from bearer or basic_user/basic_pass. Only
 * http and https are allowed, redirects are not followed.
 */
int http_do(const struct http_request *req, struct http_response *resp)
{
	struct curl_slist *hdrs = NULL, *h;
	struct sink s = {0};
	char *auth = NULL, *ctype = NULL;
	CURL *curl = NULL;
	CURLcode cr;
	int rc = -1;

	memset(resp, 0, sizeof(*resp));
	curl = curl_easy_init();
	if (curl == NULL) {
		cli_err("cannot initialise libcurl");
		goto out;
	}
	h = curl_slist_append(hdrs, "Accept: application/json");
	if (h == NULL)
		goto nomem;
	hdrs = h;
	if (req->bearer != NULL) {
		size_t n = strlen(req->bearer) + sizeof("Authorization: Bearer ");

		auth = malloc(n);
		if (auth == NULL)
			goto nomem;
		snprintf(auth, n, "Authorization: Bearer %s", req->bearer);
		h = curl_slist_append(hdrs, auth);
		if (h == NULL)
			goto nomem;
		hdrs = h;
	}
	if (req->body != NULL && req->content_type != NULL) {
		size_t n = strlen(req->content_type) + sizeof("Content-Type: ");

		ctype = malloc(n);
		if (ctype == NULL)
			goto nomem;
		snprintf(ctype, n, "Content-Type: %s", req->content_type);
		h = curl_slist_append(hdrs, ctype);
		if (h == NULL)
			goto nomem;
		hdrs = h;
	}
	if (curl_easy_setopt(curl, CURLOPT_URL, req->url) != CURLE_OK) {
		cli_err("invalid URL %s", req->url);
		goto out;
	}
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, req->method);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	if (req->body != NULL) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req->body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(req->body));
	}
	if (req->basic_user != NULL) {
		curl_easy_setopt(curl, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(curl, CURLOPT_USERNAME, req->basic_user);
		curl_easy_setopt(curl, CURLOPT_PASSWORD, req->basic_pass != NULL ? req->basic_pass : "");
	}
	cr = curl_easy_perform(curl);
	if (cr != CURLE_OK) {
		if (s.overflow)
			cli_err("%s %s: response body over %d bytes", req->method, req->url, HTTP_BODY_MAX);
		else
			cli_err("%s %s: %s", req->method, req->url, curl_easy_strerror(cr));
		goto out;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &resp->status);
	if (s.buf == NULL) {
		s.buf = calloc(1, 1);
		if (s.buf == NULL)
			goto nomem;
	}
	resp->body = s.buf;
	resp->len = s.len;
	s.buf = NULL;
	rc = 0;
	goto out;
nomem:
	cli_err("out of memory");
out:
	free(s.buf);
	if (auth != NULL) {
		OPENSSL_cleanse(auth, strlen(auth));   /* holds a bearer token */
		free(auth);
	}
	free(ctype);
	curl_slist_free_all(hdrs);
	if (curl != NULL)
		curl_easy_cleanup(curl);
	return rc;
}

void http_response_clear(struct http_response *resp)
{
	if (resp == NULL)
		return;
	free(resp->body);
	memset(resp, 0, sizeof(*resp));
}
