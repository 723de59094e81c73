/*
 * loadgen.c - HTTP/1.1 load generator for the bioauth benchmarks.
 *
 * Reads a file of pre-built requests and replays them against 127.0.0.1
 * (and only there) over keep-alive connections driven by one epoll loop in
 * one thread: no interpreter, no per-request allocation, a few syscalls per
 * request. Several servers (--port repeated, or --ports A,B) share the load
 * as behind a layer-4 load balancer: connection i goes to port i mod n, for
 * its whole life (reconnects included). Two modes:
 *
 *  - closed loop (default): --connections N connections, each sends its next
 *    request as soon as the previous answer is complete. Latency is measured
 *    from the moment the request is written.
 *  - open loop (--rate R): request i is due at start + i/R whatever the
 *    server does. A due request goes out on the first idle connection; its
 *    latency is measured from the *intended* send time, so time spent
 *    queued behind a slow server counts (no coordinated omission).
 *
 * Each request in the file is used once (unless --repeat), so a signed
 * challenge is never replayed. The run is bounded by --duration; requests
 * completed during the first --warmup seconds are not counted. At the end
 * it prints one JSON object: throughput, latency percentiles (exact, from
 * every sample), status-code counts, errors and the client's own CPU time,
 * also per request tag. --responses FILE saves "<tag> <index> <status>
 * <body>" lines (appended), index being the request's position in the
 * file (the generator uses them to collect tokens and challenges).
 * --offset N starts at the N-th request (a run split in rounds goes on
 * where the previous round stopped); --samples FILE writes the latencies
 * counted (native uint64 nanoseconds) so rounds can be pooled exactly.
 * The JSON also gives the completions per port ("completed_per_port") and
 * the planned measuring window ("window_planned_s" = duration - warm-up)
 * next to the one measured ("duration_s", shorter when the file ran out).
 *
 * Request file: records of "@<tag> <length>\n" followed by exactly <length>
 * bytes of raw HTTP/1.1 request (request line, headers, body), then "\n".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNECTIONS 4096
#define MAX_TAGS 16
#define MAX_TAG_LEN 31
#define READ_CAP (4u << 20)      /* largest response we accept */
#define MAX_STATUS 600
#define MAX_PORTS 16
#define NS 1000000000LL

struct request {
	const char *data;
	size_t len;
	int tag;
};

struct samples {
	uint64_t *v;             /* latencies in ns */
	size_t n, cap;
	uint64_t status[MAX_STATUS];
};

enum conn_state { C_CONNECTING, C_IDLE, C_WRITING, C_READING, C_DEAD };

struct conn {
	int fd;
	enum conn_state st;
	const struct request *req;
	size_t woff;
	int64_t t_start;         /* latency origin (send or intended time), ns */
	char *buf;
	size_t blen, bcap;
	int failures;            /* consecutive connect/IO failures */
	int port_idx;            /* which of the ports this connection targets */
};

struct opts {
	int ports[MAX_PORTS];
	int nports;
	const char *file;
	int connections;
	double rate;
	double duration;
	double warmup;
	double drain;
	bool repeat;
	const char *responses;
	const char *samples;
	const char *label;
	size_t offset;
};

struct run {
	struct opts o;
	struct request *reqs;
	size_t nreq;
	char tags[MAX_TAGS][MAX_TAG_LEN + 1];
	int ntags;
	size_t next;             /* next request index (before wrap) */
	uint64_t sent, completed_all;
	struct samples all, tag[MAX_TAGS];
	uint64_t status_all[MAX_STATUS];   /* every completion, warm-up included */
	uint64_t completed_port[MAX_PORTS]; /* every completion, per port */
	uint64_t err_connect, err_reset, err_parse, unfinished;
	int epfd, tfd;
	struct conn *conns;
	struct conn **idle;      /* stack of idle connections */
	int nidle;
	int inflight;
	int64_t t0, t_measure, t_end;
	int64_t last_done;
	bool stopping;
	bool exhausted;
	FILE *resp;
};

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

static _Noreturn void
die(const char *msg)
{
	fprintf(stderr, "loadgen: %s\n", msg);
	exit(2);
}

static _Noreturn void
usage(void)
{
	fprintf(stderr,
	    "usage: loadgen --port P [--port P2 ...] | --ports P1,P2,...\n"
	    "               --requests FILE [--connections N] [--rate R]\n"
	    "               [--duration S] [--warmup S] [--drain S] [--repeat]\n"
	    "               [--responses FILE] [--label NAME] [--offset N] [--samples FILE]\n"
	    "Targets 127.0.0.1 only (connection i on port i mod n). Closed loop unless\n"
	    "--rate is given.\n");
	exit(2);
}

static int
tag_index(struct run *R, const char *name, size_t len)
{
	int i;

	if (len > MAX_TAG_LEN)
		len = MAX_TAG_LEN;
	for (i = 0; i < R->ntags; i++)
		if (strlen(R->tags[i]) == len && memcmp(R->tags[i], name, len) == 0)
			return i;
	if (R->ntags == MAX_TAGS)
		die("too many request tags (16 at most)");
	memcpy(R->tags[R->ntags], name, len);
	R->tags[R->ntags][len] = '\0';
	return R->ntags++;
}

/*
 * Maps the request file and indexes its records. The file stays mapped for
 * the whole run; requests point into it.
 */
static void
load_requests(struct run *R)
{
	struct stat sb;
	const char *p, *end;
	size_t cap = 1024;
	int fd = open(R->o.file, O_RDONLY);

	if (fd < 0 || fstat(fd, &sb) != 0 || sb.st_size == 0)
		die("cannot read the request file");
	p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED)
		die("cannot map the request file");
	close(fd);
	end = p + sb.st_size;
	if ((R->reqs = malloc(cap * sizeof(*R->reqs))) == NULL)
		die("out of memory");
	while (p < end) {
		const char *sp, *nl;
		char *e;
		unsigned long len;

		if (*p == '\n') {
			p++;
			continue;
		}
		if (*p != '@' || (nl = memchr(p, '\n', (size_t)(end - p))) == NULL ||
		    (sp = memchr(p, ' ', (size_t)(nl - p))) == NULL)
			die("bad record header in the request file");
		len = strtoul(sp + 1, &e, 10);
		if (e != nl || len == 0 || len > (unsigned long)(end - nl - 1))
			die("bad record length in the request file");
		if (R->nreq == cap) {
			cap *= 2;
			if ((R->reqs = realloc(R->reqs, cap * sizeof(*R->reqs))) == NULL)
				die("out of memory");
		}
		R->reqs[R->nreq].tag = tag_index(R, p + 1, (size_t)(sp - p - 1));
		R->reqs[R->nreq].data = nl + 1;
		R->reqs[R->nreq].len = len;
		R->nreq++;
		p = nl + 1 + len;
	}
	if (R->nreq == 0)
		die("the request file holds no request");
}

static void
samples_add(struct samples *s, uint64_t v)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 65536;
		if ((s->v = realloc(s->v, s->cap * sizeof(*s->v))) == NULL)
			die("out of memory");
	}
	s->v[s->n++] = v;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The p-quantile (0..1) of sorted samples by the nearest-rank method, in ms. */
static double
quantile_ms(const struct samples *s, double p)
{
	size_t i;

	if (s->n == 0)
		return 0;
	i = (size_t)ceil(p * (double)s->n);
	if (i > 0)
		i--;
	if (i >= s->n)
		i = s->n - 1;
	return (double)s->v[i] / 1e6;
}

/* Takes the next request to send, or NULL when the file is used up. */
static const struct request *
next_request(struct run *R)
{
	if (R->next >= R->nreq) {
		if (!R->o.repeat) {
			R->exhausted = true;
			return NULL;
		}
		R->next = 0;
	}
	return &R->reqs[R->next++];
}

static void
conn_close(struct run *R, struct conn *c)
{
	if (c->fd >= 0) {
		epoll_ctl(R->epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	c->fd = -1;
	c->st = C_DEAD;
	c->req = NULL;
	c->blen = 0;
}

static void
conn_open(struct run *R, struct conn *c)
{
	struct sockaddr_in sa;
	struct epoll_event ev;
	int one = 1;

	c->blen = 0;
	c->req = NULL;
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		die("socket() failed");
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)R->o.ports[c->port_idx]);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->st = C_CONNECTING;
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 && errno != EINPROGRESS) {
		R->err_connect++;
		close(c->fd);
		c->fd = -1;
		c->st = C_DEAD;
		return;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLOUT;
	ev.data.ptr = c;
	if (epoll_ctl(R->epfd, EPOLL_CTL_ADD, c->fd, &ev) != 0)
		die("epoll_ctl() failed");
}

static void
want_write(struct run *R, struct conn *c, bool on)
{
	struct epoll_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | (on ? EPOLLOUT : 0u);
	ev.data.ptr = c;
	epoll_ctl(R->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Writes what remains of the current request; false on a broken connection. */
static bool
conn_flush(struct run *R, struct conn *c)
{
	while (c->woff < c->req->len) {
		ssize_t n = send(c->fd, c->req->data + c->woff, c->req->len - c->woff, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				if (c->st != C_WRITING) {
					c->st = C_WRITING;
					want_write(R, c, true);
				}
				return true;
			}
			return false;
		}
		c->woff += (size_t)n;
	}
	if (c->st == C_WRITING)
		want_write(R, c, false);
	c->st = C_READING;
	return true;
}

static void reconnect_after_failure(struct run *R, struct conn *c);

static void
conn_send(struct run *R, struct conn *c, const struct request *q, int64_t t_start)
{
	c->req = q;
	c->woff = 0;
	c->t_start = t_start;
	c->blen = 0;
	c->st = C_IDLE;
	R->sent++;
	R->inflight++;
	if (!conn_flush(R, c))
		reconnect_after_failure(R, c);
}

/* Open loop: how many requests are due by `t` (capped by the file). */
static uint64_t
due_by(const struct run *R, int64_t t)
{
	double d;

	if (t < R->t0)
		return 0;
	d = (double)(t - R->t0) / 1e9 * R->o.rate + 1.0;
	return (uint64_t)d;
}

/*
 * Gives an idle connection work. Closed loop: the next request, timed from
 * now. Open loop: the oldest due request, timed from its intended start.
 */
static void
conn_dispatch(struct run *R, struct conn *c, int64_t t)
{
	const struct request *q;

	if (R->stopping || c->st != C_IDLE)
		return;
	if (R->o.rate > 0) {
		uint64_t i = R->sent;
		int64_t intended;

		if (i >= due_by(R, t))
			return;
		intended = R->t0 + (int64_t)((double)i / R->o.rate * 1e9);
		if ((q = next_request(R)) == NULL)
			return;
		conn_send(R, c, q, intended);
	} else {
		if ((q = next_request(R)) == NULL)
			return;
		conn_send(R, c, q, now_ns());
	}
}

/* The request on `c` failed at the transport level: count, reconnect. */
static void
reconnect_after_failure(struct run *R, struct conn *c)
{
	if (c->req != NULL) {
		R->err_reset++;
		R->inflight--;
	}
	conn_close(R, c);
	if (++c->failures > 20 || R->stopping)
		return;
	conn_open(R, c);
}

static size_t
find_head_end(const char *b, size_t n)
{
	size_t i;

	for (i = 3; i < n; i++)
		if (b[i] == '\n' && b[i - 1] == '\r' && b[i - 2] == '\n' && b[i - 3] == '\r')
			return i + 1;
	return 0;
}

/* Case-insensitive search for header `name` in the head; its value or NULL. */
static const char *
header_value(const char *head, size_t hlen, const char *name, size_t *vlen)
{
	size_t nlen = strlen(name), i = 0;

	while (i < hlen) {
		const char *line = head + i, *eol = memchr(line, '\n', hlen - i);
		size_t ll;

		if (eol == NULL)
			break;
		ll = (size_t)(eol - line);
		if (ll > nlen + 1 && line[nlen] == ':' && strncasecmp(line, name, nlen) == 0) {
			const char *v = line + nlen + 1;

			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			*vlen = (size_t)(eol - v);
			if (*vlen > 0 && v[*vlen - 1] == '\r')
				(*vlen)--;
			return v;
		}
		i += ll + 1;
	}
	return NULL;
}

/*
 * Decodes a chunked body in place starting at `p` (n bytes available).
 * Returns 1 when complete (*total = bytes consumed from p, *blen = decoded
 * length written at p), 0 when more data is needed, -1 on garbage.
 */
static int
dechunk(char *p, size_t n, size_t *total, size_t *blen)
{
	size_t i = 0, out = 0;

	for (;;) {
		char *e;
		const char *nl = memchr(p + i, '\n', n - i);
		unsigned long sz;

		if (nl == NULL)
			return 0;
		sz = strtoul(p + i, &e, 16);
		if (e == p + i)
			return -1;
		i = (size_t)(nl - p) + 1;
		if (sz == 0) {
			/* trailers end with an empty line */
			for (;;) {
				const char *l = memchr(p + i, '\n', n - i);

				if (l == NULL)
					return 0;
				if (l == p + i || (l == p + i + 1 && p[i] == '\r')) {
					*total = (size_t)(l - p) + 1;
					*blen = out;
					return 1;
				}
				i = (size_t)(l - p) + 1;
			}
		}
		if (n - i < sz + 2)
			return 0;
		memmove(p + out, p + i, sz);
		out += sz;
		i += sz + 2;
	}
}

static void
save_response(struct run *R, const struct request *q, int status, const char *body, size_t len)
{
	size_t i;

	fprintf(R->resp, "%s %zu %d ", R->tags[q->tag], (size_t)(q - R->reqs), status);
	for (i = 0; i < len; i++)
		fputc(body[i] == '\n' || body[i] == '\r' ? ' ' : body[i], R->resp);
	fputc('\n', R->resp);
}

/* A complete response to the request on `c`: count it if in the window. */
static void
record(struct run *R, struct conn *c, int status, const char *body, size_t blen)
{
	int64_t t = now_ns();
	uint64_t lat = (uint64_t)(t - c->t_start);
	int tag = c->req->tag;

	R->completed_all++;
	R->completed_port[c->port_idx]++;
	R->last_done = t;
	if (R->resp != NULL)
		save_response(R, c->req, status, body, blen);
	if (status < 0 || status >= MAX_STATUS)
		status = 0;
	R->status_all[status]++;
	if (t < R->t_measure || t > R->t_end)
		return;
	samples_add(&R->all, lat);
	R->all.status[status]++;
	samples_add(&R->tag[tag], lat);
	R->tag[tag].status[status]++;
}

static void
make_idle(struct run *R, struct conn *c)
{
	c->st = C_IDLE;
	c->req = NULL;
	c->blen = 0;
	R->idle[R->nidle++] = c;
}

/* Hands due (open loop) or next (closed loop) requests to idle connections. */
static void
dispatch_idle(struct run *R)
{
	int64_t t = now_ns();

	while (R->nidle > 0 && !R->stopping) {
		struct conn *c = R->idle[--R->nidle];
		uint64_t before = R->sent;

		conn_dispatch(R, c, t);
		if (R->sent == before) {      /* nothing due: stays idle */
			R->nidle++;
			break;
		}
	}
}

/*
 * Parses the buffered response. Returns 1 when complete (status, body set,
 * *close_after when the server will close), 0 when more bytes are needed,
 * -1 when malformed. `eof` says the peer closed (ends a length-less body).
 */
static int
parse_response(struct conn *c, bool eof, int *status, char **body, size_t *blen,
               bool *close_after)
{
	size_t he = find_head_end(c->buf, c->blen), vlen = 0;
	const char *v;

	if (he == 0)
		return (eof || c->blen >= READ_CAP) ? -1 : 0;
	if (c->blen < 12 || strncmp(c->buf, "HTTP/1.", 7) != 0)
		return -1;
	*status = atoi(c->buf + 9);
	*close_after = false;
	if ((v = header_value(c->buf, he, "Connection", &vlen)) != NULL &&
	    vlen == 5 && strncasecmp(v, "close", 5) == 0)
		*close_after = true;
	if (strncmp(c->buf, "HTTP/1.0", 8) == 0 && v == NULL)
		*close_after = true;
	*body = c->buf + he;
	if ((v = header_value(c->buf, he, "Content-Length", &vlen)) != NULL) {
		unsigned long cl = strtoul(v, NULL, 10);

		if (cl > READ_CAP)
			return -1;
		if (c->blen - he < cl)
			return eof ? -1 : 0;
		*blen = cl;
		return 1;
	}
	if ((v = header_value(c->buf, he, "Transfer-Encoding", &vlen)) != NULL &&
	    vlen >= 7 && strncasecmp(v + vlen - 7, "chunked", 7) == 0) {
		size_t total = 0;
		int r = dechunk(c->buf + he, c->blen - he, &total, blen);

		if (r == 0 && eof)
			return -1;
		return r;
	}
	if (*status == 204 || *status == 304 || (*status >= 100 && *status < 200)) {
		*blen = 0;
		return 1;
	}
	if (!eof)
		return 0;
	*blen = c->blen - he;
	*close_after = true;
	return 1;
}

/* Reads what is available and completes the response when it can. */
static void
on_readable(struct run *R, struct conn *c)
{
	bool eof = false;
	int status = 0, r;
	char *body = NULL;
	size_t blen = 0;
	bool close_after = false;

	for (;;) {
		ssize_t n;

		if (c->bcap - c->blen < 16384) {
			size_t ncap = c->bcap ? c->bcap * 2 : 65536;

			if (ncap > READ_CAP + 65536) {
				R->err_parse++;
				reconnect_after_failure(R, c);
				return;
			}
			if ((c->buf = realloc(c->buf, ncap)) == NULL)
				die("out of memory");
			c->bcap = ncap;
		}
		n = recv(c->fd, c->buf + c->blen, c->bcap - c->blen - 1, 0);
		if (n > 0) {
			c->blen += (size_t)n;
			continue;
		}
		if (n == 0) {
			eof = true;
			break;
		}
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
		if (errno == EINTR)
			continue;
		eof = true;
		break;
	}
	if (c->st == C_WRITING) {
		if (eof)
			reconnect_after_failure(R, c);
		return;
	}
	if (c->req == NULL || c->st != C_READING) {
		/* the server closed an idle connection (keep-alive timeout) */
		if (eof) {
			bool was_idle = c->st == C_IDLE;

			conn_close(R, c);
			if (was_idle) {
				int i;

				for (i = 0; i < R->nidle; i++)
					if (R->idle[i] == c) {
						R->idle[i] = R->idle[--R->nidle];
						break;
					}
			}
			if (!R->stopping)
				conn_open(R, c);
		}
		return;
	}
	c->buf[c->blen] = '\0';
	r = parse_response(c, eof, &status, &body, &blen, &close_after);
	if (r == 0)
		return;
	R->inflight--;
	if (r < 0) {
		if (c->blen == 0)
			R->err_reset++;
		else
			R->err_parse++;
		conn_close(R, c);
		if (++c->failures <= 20 && !R->stopping)
			conn_open(R, c);
		return;
	}
	c->failures = 0;
	record(R, c, status, body, blen);
	if (close_after || eof) {
		conn_close(R, c);
		if (!R->stopping)
			conn_open(R, c);
		return;
	}
	make_idle(R, c);
}

static void
on_event(struct run *R, struct conn *c, uint32_t ev)
{
	if (c->st == C_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof(err);

		if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err != 0 || (ev & (EPOLLERR | EPOLLHUP))) {
			R->err_connect++;
			conn_close(R, c);
			if (++c->failures <= 20 && !R->stopping) {
				usleep(1000);
				conn_open(R, c);
			}
			return;
		}
		want_write(R, c, false);
		make_idle(R, c);
		return;
	}
	if (c->st == C_WRITING && (ev & EPOLLOUT)) {
		if (!conn_flush(R, c)) {
			reconnect_after_failure(R, c);
			return;
		}
	}
	if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR))
		on_readable(R, c);
}

/* Open loop: wake up when the next request falls due. */
static void
arm_timer(struct run *R)
{
	struct itimerspec its;
	uint64_t i;
	int64_t t;

	if (R->o.rate <= 0 || R->stopping)
		return;
	i = R->sent > due_by(R, now_ns()) ? R->sent : due_by(R, now_ns());
	t = R->t0 + (int64_t)((double)i / R->o.rate * 1e9);
	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = t / NS;
	its.it_value.tv_nsec = t % NS;
	if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
		its.it_value.tv_nsec = 1;
	timerfd_settime(R->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void
print_latency(const struct samples *s)
{
	double sum = 0;
	size_t i;

	for (i = 0; i < s->n; i++)
		sum += (double)s->v[i];
	printf("{\"mean\": %.3f, \"p50\": %.3f, \"p90\": %.3f, \"p99\": %.3f, \"p99_9\": %.3f, "
	       "\"max\": %.3f}",
	       s->n ? sum / (double)s->n / 1e6 : 0.0, quantile_ms(s, 0.50), quantile_ms(s, 0.90),
	       quantile_ms(s, 0.99), quantile_ms(s, 0.999), quantile_ms(s, 1.0));
}

static void
print_status(const uint64_t *status)
{
	int i;
	bool first = true;

	printf("{");
	for (i = 0; i < MAX_STATUS; i++)
		if (status[i] != 0) {
			printf("%s\"%d\": %" PRIu64, first ? "" : ", ", i, status[i]);
			first = false;
		}
	printf("}");
}

static void
print_json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		if ((unsigned char)*s >= 0x20)
			putchar(*s);
	}
	putchar('"');
}

static void
report(struct run *R)
{
	struct rusage ru;
	double window, cpu;
	int i;

	window = (double)(R->t_end - R->t_measure) / 1e9;
	if (R->exhausted && R->last_done < R->t_end)
		window = (double)(R->last_done - R->t_measure) / 1e9;
	if (window <= 0)      /* everything ended within the warm-up */
		window = 1e-9;
	getrusage(RUSAGE_SELF, &ru);
	cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	      (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
	qsort(R->all.v, R->all.n, sizeof(*R->all.v), cmp_u64);
	printf("{\"label\": ");
	print_json_string(R->o.label);
	printf(", \"mode\": \"%s\", \"connections\": %d, \"rate_target\": %.1f, "
	       "\"duration_s\": %.3f, \"warmup_s\": %.3f, \"requests_in_file\": %zu, "
	       "\"window_planned_s\": %.3f, "
	       "\"sent\": %" PRIu64 ", \"completed\": %" PRIu64 ", \"completed_in_window\": %zu, "
	       "\"throughput_rps\": %.1f, \"exhausted\": %s, \"client_cpu_s\": %.3f,\n \"ports\": [",
	       R->o.rate > 0 ? "open" : "closed", R->o.connections, R->o.rate, window, R->o.warmup,
	       R->nreq, R->o.duration - R->o.warmup, R->sent, R->completed_all, R->all.n,
	       (double)R->all.n / window, R->exhausted ? "true" : "false", cpu);
	for (i = 0; i < R->o.nports; i++)
		printf("%s%d", i ? ", " : "", R->o.ports[i]);
	printf("], \"completed_per_port\": [");
	for (i = 0; i < R->o.nports; i++)
		printf("%s%" PRIu64, i ? ", " : "", R->completed_port[i]);
	printf("],\n \"latency_ms\": ");
	print_latency(&R->all);
	printf(",\n \"status\": ");
	print_status(R->all.status);
	printf(", \"status_all\": ");
	print_status(R->status_all);
	printf(",\n \"errors\": {\"connect\": %" PRIu64 ", \"transport\": %" PRIu64
	       ", \"parse\": %" PRIu64 ", \"unfinished\": %d},\n \"tags\": {",
	       R->err_connect, R->err_reset, R->err_parse, R->inflight);
	for (i = 0; i < R->ntags; i++) {
		struct samples *s = &R->tag[i];

		qsort(s->v, s->n, sizeof(*s->v), cmp_u64);
		printf("%s\n  ", i ? "," : "");
		print_json_string(R->tags[i]);
		printf(": {\"completed_in_window\": %zu, \"throughput_rps\": %.1f, \"latency_ms\": ",
		       s->n, (double)s->n / window);
		print_latency(s);
		printf(", \"status\": ");
		print_status(s->status);
		printf("}");
	}
	printf("}}\n");
}

/* Adds the port(s) of a --port or --ports argument ("P" or "P1,P2,..."). */
static void
add_ports(struct opts *o, const char *arg)
{
	const char *p = arg;

	for (;;) {
		char *e;
		long v = strtol(p, &e, 10);

		if (e == p || v <= 0 || v > 65535 || (*e != ',' && *e != '\0'))
			die("bad --port/--ports (1..65535, comma-separated)");
		if (o->nports == MAX_PORTS)
			die("too many ports (16 at most)");
		o->ports[o->nports++] = (int)v;
		if (*e == '\0')
			return;
		p = e + 1;
	}
}

static void
parse_opts(struct opts *o, int argc, char **argv)
{
	static const struct option lo[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "ports", required_argument, NULL, 'P' },
		{ "requests", required_argument, NULL, 'f' },
		{ "connections", required_argument, NULL, 'c' },
		{ "rate", required_argument, NULL, 'r' },
		{ "duration", required_argument, NULL, 'd' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "drain", required_argument, NULL, 'D' },
		{ "repeat", no_argument, NULL, 'R' },
		{ "responses", required_argument, NULL, 'o' },
		{ "label", required_argument, NULL, 'l' },
		{ "offset", required_argument, NULL, 'O' },
		{ "samples", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	memset(o, 0, sizeof(*o));
	o->connections = 16;
	o->duration = 10;
	o->drain = 5;
	o->label = "run";
	while ((ch = getopt_long(argc, argv, "p:P:f:c:r:d:w:D:Ro:l:O:S:h", lo, NULL)) != -1) {
		switch (ch) {
		case 'p':
		case 'P': add_ports(o, optarg); break;
		case 'f': o->file = optarg; break;
		case 'c': o->connections = atoi(optarg); break;
		case 'r': o->rate = atof(optarg); break;
		case 'd': o->duration = atof(optarg); break;
		case 'w': o->warmup = atof(optarg); break;
		case 'D': o->drain = atof(optarg); break;
		case 'R': o->repeat = true; break;
		case 'o': o->responses = optarg; break;
		case 'l': o->label = optarg; break;
		case 'O': o->offset = (size_t)strtoull(optarg, NULL, 10); break;
		case 'S': o->samples = optarg; break;
		default: usage();
		}
	}
	if (o->nports == 0 || o->file == NULL || optind != argc)
		usage();
	if (o->connections < 1 || o->connections > MAX_CONNECTIONS)
		die("--connections must be 1..4096");
	if (o->connections < o->nports)
		die("fewer --connections than ports");
	if (o->duration <= 0 || o->duration > 3600 || o->warmup < 0 || o->warmup >= o->duration ||
	    o->drain < 0 || o->drain > 60 || o->rate < 0)
		die("bad --duration/--warmup/--drain/--rate");
}

int
main(int argc, char **argv)
{
	static struct run R;
	struct epoll_event evs[256];
	int64_t drain_deadline = 0;
	int i;

	parse_opts(&R.o, argc, argv);
	load_requests(&R);
	signal(SIGPIPE, SIG_IGN);
	if (R.o.offset >= R.nreq && !R.o.repeat)
		die("--offset is past the end of the request file");
	R.next = R.o.offset % R.nreq;
	if (R.o.responses != NULL && (R.resp = fopen(R.o.responses, "a")) == NULL)
		die("cannot write the responses file");
	if ((R.epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		die("epoll_create1() failed");
	R.tfd = -1;
	if (R.o.rate > 0) {
		struct epoll_event ev;

		if ((R.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) < 0)
			die("timerfd_create() failed");
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN;
		ev.data.ptr = NULL;
		epoll_ctl(R.epfd, EPOLL_CTL_ADD, R.tfd, &ev);
	}
	R.conns = calloc((size_t)R.o.connections, sizeof(*R.conns));
	R.idle = calloc((size_t)R.o.connections, sizeof(*R.idle));
	if (R.conns == NULL || R.idle == NULL)
		die("out of memory");
	R.t0 = now_ns();
	R.t_measure = R.t0 + (int64_t)(R.o.warmup * 1e9);
	R.t_end = R.t0 + (int64_t)(R.o.duration * 1e9);
	R.last_done = R.t0;
	for (i = 0; i < R.o.connections; i++) {
		R.conns[i].fd = -1;
		R.conns[i].port_idx = i % R.o.nports;
		conn_open(&R, &R.conns[i]);
	}
	for (;;) {
		int64_t t = now_ns(), deadline;
		int n, timeout_ms;

		if (!R.stopping && t >= R.t_end) {
			R.stopping = true;
			drain_deadline = t + (int64_t)(R.o.drain * 1e9);
		}
		if (R.stopping && (R.inflight == 0 || t >= drain_deadline))
			break;
		if (!R.stopping && R.exhausted && R.inflight == 0)
			break;
		dispatch_idle(&R);
		if (!R.stopping && R.inflight == 0 && R.nidle == 0) {
			bool any = false;

			for (i = 0; i < R.o.connections; i++)
				any |= R.conns[i].st != C_DEAD;
			if (!any)
				die("every connection failed; is the server up?");
		}
		arm_timer(&R);
		deadline = R.stopping ? drain_deadline : R.t_end;
		timeout_ms = (int)((deadline - t) / 1000000) + 1;
		n = epoll_wait(R.epfd, evs, 256, timeout_ms);
		for (i = 0; i < n; i++) {
			if (evs[i].data.ptr == NULL) {
				uint64_t x;

				if (read(R.tfd, &x, sizeof(x)) < 0 && errno != EAGAIN)
					die("timerfd read failed");
				continue;
			}
			on_event(&R, evs[i].data.ptr, evs[i].events);
		}
	}
	if (R.resp != NULL)
		fclose(R.resp);
	if (R.o.samples != NULL) {
		FILE *f = fopen(R.o.samples, "wb");

		if (f == NULL || fwrite(R.all.v, sizeof(*R.all.v), R.all.n, f) != R.all.n ||
		    fclose(f) != 0)
			die("cannot write the samples file");
	}
	report(&R);
	return 0;
}
