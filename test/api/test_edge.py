"""Black-box tests of the HTTP edge (src/edge/), the operational endpoints
(/healthz, /readyz, /metrics), logging, limits, configuration and shutdown.

Error-shape tests of JSON and form bodies (400/413/415) go through the real
routes POST /v1/users (JSON) and POST /oidc/token (form): the edge answers
before the handler runs, so no credentials are needed. They are skipped
while those routes are not in the routing table yet.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import stat
import subprocess
import time

import pytest
import requests

from conftest import BIOAUTHD
import helpers as h

JSON_ROUTE = "/v1/users"
FORM_ROUTE = "/oidc/token"
HEX16 = re.compile(r"^[0-9a-f]{16}$")


# --------------------------------------------------------------------------
# helpers

def raw(srv, data: bytes, timeout: float = 5.0, shut: bool = False) -> bytes:
    """Sends raw bytes, returns everything read until close or `timeout`."""
    with socket.create_connection((srv.host, srv.port), timeout=timeout) as s:
        s.sendall(data)
        if shut:
            s.shutdown(socket.SHUT_WR)
        return read_all(s, timeout)


def read_all(s: socket.socket, timeout: float) -> bytes:
    s.settimeout(timeout)
    buf = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            break
        if not chunk:
            break
        buf += chunk
        if b"\r\n\r\n" in buf:
            head, _, body = buf.partition(b"\r\n\r\n")
            m = re.search(rb"(?i)content-length:\s*(\d+)", head)
            if m and len(body) >= int(m.group(1)):
                break
    return buf


def status_of(resp: bytes) -> int:
    """The status code of a raw response (0 if there is none)."""
    m = re.match(rb"HTTP/1\.[01] (\d{3}) ", resp)
    return int(m.group(1)) if m else 0


def body_of(resp: bytes) -> dict:
    return json.loads(resp.partition(b"\r\n\r\n")[2])


def assert_json_error(r: requests.Response, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["Content-Type"] == "application/json"
    assert r.headers["Cache-Control"] == "no-store"
    assert HEX16.match(r.headers["X-Request-Id"])
    body = r.json()
    assert body["error_code"] == code, body
    assert isinstance(body["message"], str) and body["message"]
    return body


def need_route(srv, method: str, path: str) -> None:
    """Skips the test while `path` is not routed yet."""
    r = srv.request(method, path, data=b"", headers={"Content-Type": "x/y"})
    if r.status_code == 404:
        pytest.skip(f"{method} {path} is not in the routing table yet")


# --------------------------------------------------------------------------
# operational endpoints

def test_healthz(server):
    r = server.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}
    assert r.headers["Content-Type"] == "application/json"
    assert r.headers["Cache-Control"] == "no-store"
    assert HEX16.match(r.headers["X-Request-Id"])


def test_readyz(server):
    r = server.get("/readyz")
    assert r.status_code == 200
    assert r.json() == {"status": "ready"}


def test_head_is_get_without_body(server):
    r = server.request("HEAD", "/healthz")
    assert r.status_code == 200
    assert r.content == b""


def test_request_ids_are_unique(server):
    ids = {server.get("/healthz").headers["X-Request-Id"] for _ in range(20)}
    ids.add(server.get("/nope").headers["X-Request-Id"])
    assert len(ids) == 21


def metric_value(text: str, name: str, labels: dict) -> float:
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in text.splitlines():
        if line.startswith(f"{name}{{{want}}} "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics(bioauthd):
    srv = bioauthd()
    for _ in range(3):
        srv.get("/healthz")
    srv.get("/does-not-exist")
    srv.post("/healthz")
    # A request is counted when its response is queued, before its first
    # byte goes out: a client that has its answer finds it counted.
    r = srv.get("/metrics")
    assert r.status_code == 200
    text = r.text
    assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert metric_value(text, "bioauth_http_requests_total",
                        {"route": "/healthz", "method": "GET", "status": "200"}) >= 3
    assert metric_value(text, "bioauth_http_requests_total",
                        {"route": "unmatched", "method": "GET", "status": "404"}) == 1
    assert metric_value(text, "bioauth_http_requests_total",
                        {"route": "unmatched", "method": "POST", "status": "405"}) == 1
    for fam, typ in [("bioauth_http_requests_total", "counter"),
                     ("bioauth_http_request_duration_seconds", "histogram"),
                     ("bioauth_http_request_stage_seconds", "histogram"),
                     ("bioauth_store_commit_duration_seconds", "histogram"),
                     ("bioauth_store_commit_batch_size", "histogram"),
                     ("process_start_time_seconds", "gauge")]:
        assert f"# TYPE {fam} {typ}\n" in text
        assert f"# HELP {fam} " in text
    # Histogram: cumulative buckets ending in +Inf == _count.
    b = [metric_value(text, "bioauth_http_request_duration_seconds_bucket",
                      {"route": "/healthz", "le": le})
         for le in ("0.005", "0.1", "10", "+Inf")]
    assert b == sorted(b) and b[-1] >= 3
    assert b[-1] == metric_value(text, "bioauth_http_request_duration_seconds_count",
                                 {"route": "/healthz"})
    start = float(re.search(r"^process_start_time_seconds (\S+)$", text, re.M).group(1))
    assert abs(start - time.time()) < 600
    # Every sample line is well-formed text format 0.0.4.
    sample = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*='
                        r'"([^"\\\n]|\\[\\"n])*",?)*\})? [-+0-9.eEInfa]+$')
    for line in text.splitlines():
        assert line.startswith("# ") or sample.match(line), line


STAGES = ("accept", "queue", "read_parse", "handler_cpu", "store_wait", "resume",
          "reply")


def stage_counts(text: str, route: str, method: str) -> dict:
    """{stage: _count} of bioauth_http_request_stage_seconds for one route,
    after checking each stage's buckets: cumulative, ending in +Inf ==
    _count, and a _sum no larger than _count x the largest finite bound."""
    counts = {}
    for st in STAGES:
        labels = {"route": route, "method": method, "stage": st}
        n = metric_value(text, "bioauth_http_request_stage_seconds_count", labels)
        counts[st] = n
        if n == 0:
            continue
        pat = re.compile(r'^bioauth_http_request_stage_seconds_bucket\{route="%s",'
                         r'method="%s",stage="%s",le="([^"]+)"\} (\d+)$'
                         % (re.escape(route), method, st), re.M)
        buckets = [(le, int(v)) for le, v in pat.findall(text)]
        assert [le for le, _ in buckets][-1] == "+Inf"
        values = [v for _, v in buckets]
        assert values == sorted(values) and values[-1] == n
        total = metric_value(text, "bioauth_http_request_stage_seconds_sum", labels)
        assert 0 <= total <= n * 10
    return counts


def test_metrics_stages(bioauthd):
    """Every request's server-side stages land in one histogram per route
    and stage: a request that waits for the store has all five, one that
    does not has no store_wait; the reply stage of a request is counted
    once its response is complete."""
    srv = bioauthd()
    app = h.create_app(srv.db)
    token = h.client_token(srv.url, app)
    for _ in range(2):
        r = srv.post("/v1/users", headers=h.bearer(token),
                     json={"username": h.unique_name("stage")})
        assert r.status_code == 201, r.text
    srv.get("/healthz")
    # The reply stage ends when libmicrohttpd reports the response sent,
    # which may be just after the client read it: wait (bounded) for it.
    deadline = time.monotonic() + 5
    while True:
        text = srv.get("/metrics").text
        users = stage_counts(text, "/v1/users", "POST")
        health = stage_counts(text, "/healthz", "GET")
        if (users["reply"] >= 2 and health["reply"] >= 1) or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    # Each request its stages; the connection's first request also the
    # accept stage (requests opens one connection per call here).
    assert users == {st: 2 for st in STAGES}
    assert health["store_wait"] == 0 and health["resume"] == 0
    assert health["queue"] >= 1 and health["handler_cpu"] >= 1
    assert health["read_parse"] >= 1 and health["reply"] >= 1
    # A route never requested has no stage series.
    assert "route=\"/v1/auth/token/refresh\"" not in text


# --------------------------------------------------------------------------
# routing

def test_not_found_is_json(server):
    assert_json_error(server.get("/nope"), 404, "not_found")
    assert_json_error(server.get("/healthz/extra"), 404, "not_found")
    assert_json_error(server.get("/healthz/"), 404, "not_found")
    assert_json_error(server.post("/v9/whatever", json={}), 404, "not_found")
    assert server.alive()


def test_method_not_allowed(server):
    r = server.post("/healthz")
    assert_json_error(r, 405, "method_not_allowed")
    assert set(m.strip() for m in r.headers["Allow"].split(",")) == {"GET", "HEAD"}
    r = server.request("DELETE", "/metrics")
    assert_json_error(r, 405, "method_not_allowed")
    assert "GET" in r.headers["Allow"]
    assert server.alive()


def test_bogus_method(server):
    resp = raw(server, b"BREW /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status_of(resp) == 405
    assert body_of(resp)["error_code"] == "method_not_allowed"
    assert server.alive()


@pytest.mark.parametrize("target", [
    "//healthz", "/a//b", "/a/../healthz", "/./healthz", "/%2e%2e/healthz",
    "/healthz%2F", "/x%2fy", "/bad%zzescape", "/nul%00", "/utf%ff8",
])
def test_malformed_paths_are_400(server, target):
    resp = raw(server, f"GET {target} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert status_of(resp) == 400, resp[:200]
    assert body_of(resp)["error_code"] == "invalid_request"
    assert server.alive()


def test_percent_encoded_path_matches(server):
    resp = raw(server, b"GET /health%7A HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status_of(resp) == 200
    resp = raw(server, b"GET /healthz?x=1&y=%zz HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status_of(resp) == 200


def test_keep_alive_survives_errors(server):
    with requests.Session() as s:
        for path in ("/nope", "/healthz", "/nope", "/readyz"):
            r = s.get(server.url + path, timeout=5)
            assert r.headers.get("Connection", "").lower() != "close"
        assert r.status_code == 200


# --------------------------------------------------------------------------
# limits

def test_body_limit_content_length(bioauthd):
    srv = bioauthd(body_limit=1024)
    assert srv.get("/healthz", data=b"x" * 1024).status_code == 200
    assert_json_error(srv.get("/healthz", data=b"x" * 1025), 413, "payload_too_large")
    assert srv.alive()


def test_body_limit_default_64k(server):
    assert_json_error(server.get("/healthz", data=b"x" * (65536 + 1)), 413,
                      "payload_too_large")
    assert server.alive()


def test_body_limit_answers_before_reading_body(server):
    """A huge Content-Length is refused from the head alone."""
    with socket.create_connection((server.host, server.port), timeout=5) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Length: 1000000000\r\n\r\n")
        resp = read_all(s, 5)
    assert status_of(resp) == 413
    assert body_of(resp)["error_code"] == "payload_too_large"
    assert server.alive()


def test_body_limit_chunked(bioauthd):
    srv = bioauthd(body_limit=1024)

    def chunks(n, size=256):
        for _ in range(n):
            yield b"y" * size

    assert srv.get("/healthz", data=chunks(4)).status_code == 200
    assert_json_error(srv.get("/healthz", data=chunks(6)), 413, "payload_too_large")
    # Far past the limit the server hangs up instead of draining.
    try:
        r = srv.get("/healthz", data=chunks(64))
        assert r.status_code == 413
    except requests.ConnectionError:
        pass
    assert srv.alive()


def test_header_too_large(server):
    r = server.get("/healthz", headers={"X-Big": "a" * 9000})
    assert_json_error(r, 431, "header_too_large")
    assert server.alive()
    # Far beyond: MHD refuses on its own (no JSON), or closes.
    try:
        r = server.get("/healthz", headers={"X-Huge": "b" * 200000})
        assert r.status_code in (400, 413, 414, 431)
    except requests.ConnectionError:
        pass
    assert server.alive()


def test_repeated_authorization_header(server):
    resp = raw(server, b"GET /healthz HTTP/1.1\r\nHost: x\r\nAuthorization: a\r\n"
                       b"Authorization: b\r\n\r\n")
    assert status_of(resp) == 400
    assert server.alive()


def test_malformed_request_line(server):
    for junk in (b"GARBAGE\r\n\r\n", b"GET\r\n\r\n", b"\x00\x01\x02\xff\r\n\r\n",
                 b"GET /healthz HTTP/1.1\r\nNo-Colon-Header\r\n\r\n"):
        resp = raw(server, junk, timeout=3)
        assert resp == b"" or status_of(resp) >= 400, resp[:200]
        assert server.alive()


def test_per_ip_connection_limit(bioauthd):
    srv = bioauthd(per_ip_connections=2)
    time.sleep(0.5)  # let the start-up probe's connection close
    socks, served = [], 0
    try:
        for _ in range(4):  # kept open: each one counts against the limit
            s = socket.create_connection((srv.host, srv.port), timeout=5)
            socks.append(s)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            served += status_of(read_all(s, 3)) == 200
    finally:
        for s in socks:
            s.close()
    assert 1 <= served <= 2
    for _ in range(50):  # the server notices the closes, then serves again
        if srv.alive():
            break
        time.sleep(0.1)
    assert srv.alive()


def test_idle_connection_timeout(bioauthd):
    srv = bioauthd(connection_timeout=1)
    with socket.create_connection((srv.host, srv.port), timeout=6) as s:
        t0 = time.monotonic()
        s.sendall(b"GET /healthz HTTP/1.1\r\n")  # and then nothing
        assert read_all(s, 6) == b""
        assert time.monotonic() - t0 < 5


# --------------------------------------------------------------------------
# bodies of real JSON / form routes (skipped until those routes exist)

def test_json_route_content_type_and_body(server):
    need_route(server, "POST", JSON_ROUTE)
    url = JSON_ROUTE
    for ct in ("text/plain", "multipart/form-data",
               "application/json; charset=latin1", "application/jsonx"):
        assert_json_error(server.post(url, data=b"{}", headers={"Content-Type": ct}),
                          415, "unsupported_media_type")
    # No Content-Type is JSON: malformed JSON is then a 400, not a 415.
    body = assert_json_error(server.post(url, data=b"{"), 400, "invalid_request")
    assert "truncated" in body["message"], body
    for bad, why in ((b"{", "truncated"), (b"[]", "JSON object"),
                     (b'{"a":1,"a":2}', "duplicate"), (b'{"a":"\xff"}', "UTF-8"),
                     (b'{"a":"\\u0000"}', "u0000"),
                     (b'{"a":' + b"[" * 32 + b"]" * 32 + b"}", "deeper than 32")):
        for ct in ("application/json", "application/json; charset=utf-8",
                   "Application/JSON;charset=\"UTF-8\""):
            body = assert_json_error(server.post(url, data=bad,
                                                 headers={"Content-Type": ct}),
                                     400, "invalid_request")
            assert why in body["message"], body
    assert_json_error(server.post(url, data=b" " * 70000,
                                  headers={"Content-Type": "application/json"}),
                      413, "payload_too_large")
    assert server.alive()


def test_form_route_errors_are_oauth_shaped(server):
    need_route(server, "POST", FORM_ROUTE)
    r = server.post(FORM_ROUTE, json={"grant_type": "client_credentials"})
    assert r.status_code == 415
    assert r.json()["error"] == "invalid_request"
    r = server.post(FORM_ROUTE, data=b"grant_type=a&grant_type=b",
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400
    assert r.json()["error"] == "invalid_request"
    assert "repeated" in r.json()["error_description"]
    r = server.post(FORM_ROUTE, data=b"grant_type=%zz",
                    headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"
    assert server.alive()


# --------------------------------------------------------------------------
# logs

def test_logs_are_json_without_secrets(bioauthd):
    srv = bioauthd()
    secret_hdr = "Bearer SECRET-HEADER-VALUE-123"
    r = srv.get("/healthz?token=SECRET-QUERY-456",
                headers={"Authorization": secret_hdr, "X-Api-Key": "SECRET-789"},
                data=b"password=SECRET-BODY-000")
    rid = r.headers["X-Request-Id"]
    srv.get("/nope?refresh_token=SECRET-QUERY-111")
    srv.stop()
    text = srv.log_text()
    for s in ("SECRET-HEADER", "SECRET-QUERY", "SECRET-789", "SECRET-BODY"):
        assert s not in text
    lines = srv.log_lines()  # raises on a non-JSON line
    assert lines
    for ln in lines:
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", ln["ts"])
        assert ln["level"] in ("debug", "info", "warn", "error")
    mine = [ln for ln in lines if ln.get("req_id") == rid]
    assert len(mine) == 1
    ln = mine[0]
    assert (ln["msg"], ln["method"], ln["route"], ln["status"]) == \
        ("request", "GET", "/healthz", "200")
    assert ln["remote_ip"] == "127.0.0.1"
    assert float(ln["duration_ms"]) >= 0
    assert any(l["msg"] == "bioauthd started" and
               l["listen"] == f"127.0.0.1:{srv.port}" for l in lines)


# --------------------------------------------------------------------------
# start-up, configuration, shutdown

def test_graceful_shutdown_finishes_in_flight_request(bioauthd):
    srv = bioauthd()
    with socket.create_connection((srv.host, srv.port), timeout=10) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nab")
        time.sleep(1.0)  # let the server read the head: the request is in flight
        srv.signal(signal.SIGTERM)
        time.sleep(0.5)
        assert srv.proc.poll() is None  # still waiting for our request
        s.sendall(b"cdef")
        resp = read_all(s, 10)
    assert status_of(resp) == 200
    assert re.search(rb"(?i)\r\nConnection: close\r\n", resp)
    assert srv.wait(15) == 0
    assert any(l["msg"] == "bioauthd stopped" for l in srv.log_lines())


def test_sigint_exits_zero(bioauthd):
    srv = bioauthd()
    srv.signal(signal.SIGINT)
    assert srv.wait(15) == 0


def test_default_data_dir_is_created(bioauthd, tmp_path):
    data = tmp_path / "nested" / "data"
    srv = bioauthd(db=None, data_dir=data)
    assert srv.get("/readyz").status_code == 200
    assert (data / "bioauth.db").exists()
    assert stat.S_IMODE(os.stat(data).st_mode) == 0o700


def test_ipv6_listen(bioauthd):
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback")
    srv = bioauthd(host="::1")
    r = srv.get("/healthz")
    assert r.status_code == 200


def run_bioauthd(*args, env=None, timeout=10):
    e = {k: v for k, v in os.environ.items() if not k.startswith("BIOAUTH_")}
    e.update(env or {})
    return subprocess.run([str(BIOAUTHD), *args], capture_output=True, text=True,
                          timeout=timeout, env=e)


def test_help_lists_options():
    p = run_bioauthd("--help")
    assert p.returncode == 0
    for opt in ("--listen", "--db", "--body-limit", "--json-max-depth",
                "--per-ip-connections", "BIOAUTH_LISTEN", "BIOAUTH_DB"):
        assert opt in p.stdout


@pytest.mark.parametrize("args,needle", [
    (["--listen", "127.0.0.1:70000"], "--listen"),
    (["--threads", "0"], "--threads"),
    (["--no-such-option"], "--no-such-option"),
    (["stray-argument"], "stray-argument"),
])
def test_bad_configuration_exits_2(args, needle):
    p = run_bioauthd(*args)
    assert p.returncode == 2
    assert needle in p.stderr
    assert len(p.stderr.strip().splitlines()) == 1


def test_config_file_and_env(bioauthd, tmp_path):
    cfg = tmp_path / "b.conf"
    cfg.write_text("# test\nbody-limit = 2048\nheader-limit = 4096\n")
    srv = bioauthd(config=str(cfg), env={"BIOAUTH_BODY_LIMIT": "1500"})
    assert srv.get("/healthz", data=b"x" * 1500).status_code == 200
    assert srv.get("/healthz", data=b"x" * 1501).status_code == 413
    assert srv.get("/healthz", headers={"X-A": "a" * 5000}).status_code == 431
    p = run_bioauthd("--config", str(tmp_path / "missing.conf"))
    assert p.returncode == 2 and "missing.conf" in p.stderr


# --------------------------------------------------------------------------
# store writes through suspend/resume (req_submit), under load

def _create_users(srv, token, n, workers=16):
    """n concurrent POST /v1/users; returns the list of responses/errors."""
    import concurrent.futures as cf
    import helpers as h

    def one(_):
        try:
            return h.create_user(srv, token, expect=None)
        except requests.RequestException as e:
            return e

    with cf.ThreadPoolExecutor(workers) as ex:
        return list(ex.map(one, range(n)))


def test_concurrent_writes_all_answered(bioauthd):
    import helpers as h
    srv = bioauthd(threads=2)
    token = h.client_token(srv, h.create_app(srv))
    results = _create_users(srv, token, 200)
    assert all(isinstance(r, requests.Response) and r.status_code == 201
               for r in results), [getattr(r, "text", r) for r in results[:3]]
    ids = {r.json()["result"]["user_id"] for r in results}
    assert len(ids) == 200
    for uid in list(ids)[:20]:
        assert h.get_user(srv, token, uid).status_code == 200
    text = srv.get("/metrics").text
    writes = float(re.search(r"^bioauth_store_writes_total (\S+)$", text, re.M).group(1))
    commits = float(re.search(r"^bioauth_store_commits_total (\S+)$", text, re.M).group(1))
    assert writes >= 200 and 1 <= commits <= writes
    assert metric_value(text, "bioauth_http_requests_total",
                        {"route": "/v1/users", "method": "POST", "status": "201"}) == 200


def test_shutdown_during_writes_keeps_acknowledged_ones(bioauthd):
    """SIGTERM under write load: every request is answered or refused, the
    server exits 0, and every 201 it sent is in the database afterwards."""
    import threading
    import helpers as h
    srv = bioauthd()
    token = h.client_token(srv, h.create_app(srv))
    done = []
    stop = threading.Event()

    def load():
        while not stop.is_set():
            try:
                r = h.create_user(srv, token, expect=None)
            except requests.RequestException:
                return
            if r.status_code == 201:
                done.append(r.json()["result"]["user_id"])
            else:
                assert r.status_code == 201, r.text

    threads = [threading.Thread(target=load) for _ in range(8)]
    for t in threads:
        t.start()
    # some writes acknowledged before the signal, however slow the machine
    deadline = time.monotonic() + 30
    while len(done) < 10 and time.monotonic() < deadline:
        time.sleep(0.05)
    srv.signal(signal.SIGTERM)
    assert srv.wait(20) == 0
    stop.set()
    for t in threads:
        t.join(30)
    assert done
    # Same database, new port (so a new issuer: fetch a new token).
    again = bioauthd(db=srv.db, data_dir=srv.data_dir)
    app2 = h.create_app(again)
    token2 = h.client_token(again, app2)
    missing = [u for u in done
               if h.get_user(again, token2, u).status_code != 200]
    assert not missing, (len(missing), len(done))


def test_listen_address_in_use_is_reported(tmp_path):
    """bioauthd owns its listening socket (src/edge/acceptor.c): a port
    another process listens on stops the start with the system's reason in
    the log, which the test harness and operators rely on."""
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    port = holder.getsockname()[1]
    try:
        p = subprocess.run([str(BIOAUTHD), f"--listen=127.0.0.1:{port}",
                            f"--data-dir={tmp_path}", f"--db={tmp_path / 'b.db'}",
                            "--issuer=http://127.0.0.1/oidc"],
                           capture_output=True, timeout=30, cwd=tmp_path)
    finally:
        holder.close()
    assert p.returncode != 0
    log = p.stderr.decode()
    assert "Address already in use" in log
    assert "cannot start the HTTP server" in log
