/*
 * curlprobe.c - why loadgen is raw sockets + epoll and not libcurl multi:
 * drives the same keep-alive HTTP/1.1 load (GET PATH on 127.0.0.1:PORT, N
 * requests, C concurrent transfers) through libcurl's multi interface and
 * prints the client's own CPU time per request. Compare with loadgen's
 * client_cpu_s / completed on the same endpoint (run.sh does not need this
 * tool; docs/PERFORMANCE.md quotes one measurement).
 *
 *   curlprobe PORT PATH N C
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static size_t
sink(char *p, size_t sz, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return sz * n;
}

static CURL *
make(const char *url)
{
	CURL *e = curl_easy_init();

	if (e == NULL)
		exit(1);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	return e;
}

int
main(int argc, char **argv)
{
	char url[256];
	long n, c, started = 0, done = 0, i;
	CURLM *m;
	struct rusage ru;
	struct timespec t0, t1;
	double cpu, wall;
	int port;

	if (argc != 5 || (port = atoi(argv[1])) <= 0 || (n = atol(argv[3])) <= 0 ||
	    (c = atol(argv[4])) <= 0) {
		fprintf(stderr, "usage: curlprobe PORT PATH N C\n");
		return 2;
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, argv[2]);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	m = curl_multi_init();
	curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, c);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < c && started < n; i++, started++)
		curl_multi_add_handle(m, make(url));
	while (done < n) {
		int running, q;
		CURLMsg *msg;

		curl_multi_perform(m, &running);
		while ((msg = curl_multi_info_read(m, &q)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			done++;
			curl_multi_remove_handle(m, msg->easy_handle);
			if (started < n) {   /* reuse the handle: keeps its connection */
				curl_multi_add_handle(m, msg->easy_handle);
				started++;
			} else {
				curl_easy_cleanup(msg->easy_handle);
			}
		}
		if (done < n)
			curl_multi_poll(m, NULL, 0, 100, NULL);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	getrusage(RUSAGE_SELF, &ru);
	cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	      (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("{\"requests\": %ld, \"connections\": %ld, \"wall_s\": %.3f, \"client_cpu_s\": %.3f, "
	       "\"client_cpu_us_per_req\": %.1f}\n", n, c, wall, cpu, cpu / (double)n * 1e6);
	curl_multi_cleanup(m);
	curl_global_cleanup();
	return 0;
}
