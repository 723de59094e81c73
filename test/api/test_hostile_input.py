"""Hostile-input suite, part 2: hostile bytes in bodies, headers, paths and
forms.

Each case asserts the documented answer (status + error_code on /v1, RFC
6749 error on /oidc; the catalogue is src/edge/errmap.c and docs/openapi.yaml)
while a neighbour client keeps being served from another loopback address
(hostile_util.Neighbour, checked after every test), and the conftest fixture
fails the module if bioauthd crashed or printed a sanitizer report.

Raw sockets are used wherever `requests` would normalise the input (odd
paths, lying Content-Length, pipelining, bytes that are not UTF-8).

Router behaviour asserted here (src/edge/router.c): the raw request target is
split at '/' before any decoding and each segment is percent-decoded on its
own, so an encoded slash can never make a separator; "."/".." segments (raw
or encoded), empty segments, bad escapes, %00, invalid or overlong UTF-8 and
encoded '/' are 400 invalid_request; a trailing slash or an unknown path is
404; a known path with another method is 405 with Allow; the query and a
"#fragment" are cut off before routing and never used; methods are
case-sensitive (RFC 9110 section 9.1).
"""

from __future__ import annotations

import json
import time
from urllib.parse import quote, urlencode

import pytest
import requests

import helpers as h
import hostile_util as hu
import mb_helpers as mbh

BIOAUTHD_OPTS = {"connection_timeout": 2}
CONN_TIMEOUT = 2
LIMIT = 65536
RES = "https://api.example.test"
MB = "/v1/auth/mobile-biometrics"


# --------------------------------------------------------------------------
# fixtures

class Env:
    pass


@pytest.fixture(scope="module")
def env(server):
    e = Env()
    e.server = server
    e.app = h.ctl(server, "app", "create", "--name", h.unique_name("hostile"),
                  "--resource", RES, "--max-authenticators", "100")
    e.ctoken = h.client_token(server, e.app)
    e.mb = mbh.MBClient(server, e.app)
    e.alice = mbh.Person(e.mb, password=True)
    e.dev = mbh.Device("ios", "ec")
    mbh.enroll(e.mb, e.alice, e.dev)
    e.issuer = h.discovery(server)["issuer"]
    return e


@pytest.fixture(scope="module")
def neighbour(server, env):
    n = hu.Neighbour(server, hu.neighbour_calls(env.ctoken, env.alice.user_id),
                     interval=0.1).start()
    yield n
    n.stop()
    n.check()


@pytest.fixture(autouse=True)
def still_serving(server, neighbour):
    yield
    hu.assert_alive(server)
    neighbour.check_so_far()


def post_json_raw(env, path, body: bytes, token=None, method="POST", extra=None):
    hdrs = {"Authorization": "Bearer " + (token or env.ctoken),
            "Content-Type": "application/json", "Connection": "close"}
    hdrs.update(extra or {})
    return hu.exchange(env.server, hu.request_bytes(method, path, hdrs, body))


def api(env, method, path, body=None, token=None):
    return requests.request(method, h.url(env.server, path), json=body,
                            headers=h.bearer(token or env.ctoken), timeout=h.HTTP_TIMEOUT)


# --------------------------------------------------------------------------
# body sizes

START_PATH = MB + "/start"


def padded_start(n: int) -> bytes:
    """A /start body of exactly n bytes (unknown user, so 404 when parsed)."""
    head = b'{"user_id":"nobody-here","pad":"'
    tail = b'"}'
    return head + b"p" * (n - len(head) - len(tail)) + tail


def test_body_exactly_at_limit_is_parsed(env):
    resp = post_json_raw(env, START_PATH, padded_start(LIMIT)).first
    hu.assert_raw_error(resp, 404, "not_found")


def test_body_just_over_limit_is_413(env):
    ex = post_json_raw(env, START_PATH, padded_start(LIMIT + 1))
    hu.assert_raw_error(ex.first, 413, "payload_too_large")


def test_body_far_over_limit_is_413_from_the_head(env):
    """10 MiB announced: answered from Content-Length alone, before (and
    without) reading the body, then the connection is closed."""
    with hu.connect(env.server) as s:
        s.sendall(hu.request_bytes("POST", START_PATH,
                                   {"Authorization": "Bearer " + env.ctoken,
                                    "Content-Type": "application/json",
                                    "Content-Length": str(10 << 20)}))
        t0 = time.monotonic()
        ex = hu.read_exchange(s, timeout=5)
        hu.assert_raw_error(ex.first, 413, "payload_too_large")
        assert time.monotonic() - t0 < 2
        try:  # whatever the client keeps sending goes nowhere
            s.sendall(b"x" * (1 << 20))
        except OSError:
            pass
        assert hu.read_exchange(s, timeout=CONN_TIMEOUT + 3, wait_close=True).closed


def chunked(body: bytes, size: int = 4096) -> bytes:
    out = b""
    for i in range(0, len(body), size):
        c = body[i:i + size]
        out += b"%x\r\n" % len(c) + c + b"\r\n"
    return out + b"0\r\n\r\n"


def chunked_request(env, body: bytes, path=START_PATH) -> bytes:
    return hu.request_bytes("POST", path, {"Authorization": "Bearer " + env.ctoken,
                                           "Content-Type": "application/json",
                                           "Transfer-Encoding": "chunked"}) + chunked(body)


def test_chunked_body_without_length(env):
    """Transfer-Encoding: chunked bodies are accepted up to the limit and
    refused past it (413), or the connection is dropped when the client
    keeps sending far past it."""
    resp = hu.exchange(env.server, chunked_request(env, padded_start(LIMIT))).first
    hu.assert_raw_error(resp, 404, "not_found")
    resp = hu.exchange(env.server, chunked_request(env, padded_start(LIMIT + 1))).first
    hu.assert_raw_error(resp, 413, "payload_too_large")
    ex = hu.exchange(env.server, chunked_request(env, b"{" + b" " * (4 * LIMIT) + b"}"),
                     wait_close=True, timeout=CONN_TIMEOUT + 5)
    assert ex.closed, ex
    if ex.responses:
        hu.assert_raw_error(ex.first, 413, "payload_too_large")


def test_chunked_extensions_and_trailers(env):
    body = b'{"user_id":"nobody-here"}'
    raw = hu.request_bytes("POST", START_PATH, {"Authorization": "Bearer " + env.ctoken,
                                                "Content-Type": "application/json",
                                                "Transfer-Encoding": "chunked",
                                                "Connection": "close"})
    raw += b"%x;ext=1;q=\"x\"\r\n" % len(body) + body + b"\r\n0\r\nX-Trailer: t\r\n\r\n"
    hu.assert_raw_error(hu.exchange(env.server, raw).first, 404, "not_found")


@pytest.mark.parametrize("size", [b"zz", b"-1", b"1x", b""])
def test_chunked_malformed_size_is_400(env, size):
    raw = hu.request_bytes("POST", START_PATH, {"Authorization": "Bearer " + env.ctoken,
                                                "Content-Type": "application/json",
                                                "Transfer-Encoding": "chunked"})
    ex = hu.exchange(env.server, raw + size + b"\r\n{}\r\n0\r\n\r\n", wait_close=True,
                     timeout=CONN_TIMEOUT + 3)
    assert ex.first.status == 400, ex
    assert ex.closed


def test_chunk_size_beyond_anything_never_hangs(env):
    """A chunk announcing 2^64-1 bytes that never come: the server answers
    413 or closes the connection at the latest at the idle timeout."""
    raw = hu.request_bytes("POST", START_PATH, {"Authorization": "Bearer " + env.ctoken,
                                                "Content-Type": "application/json",
                                                "Transfer-Encoding": "chunked"})
    ex = hu.exchange(env.server, raw + b"ffffffffffffffff\r\n{}", wait_close=True,
                     timeout=CONN_TIMEOUT + 4)
    assert ex.closed and ex.elapsed < CONN_TIMEOUT + 3, ex
    assert all(r.status >= 400 for r in ex.responses), ex


def test_lying_content_length_longer_than_body(env):
    """Content-Length 1000 with 40 bytes sent: no answer is made up from a
    truncated body; the connection is closed at the idle timeout."""
    raw = hu.request_bytes("POST", START_PATH, {"Authorization": "Bearer " + env.ctoken,
                                                "Content-Type": "application/json",
                                                "Content-Length": "1000"},
                           b'{"user_id":"nobody-here","pad":"xxx"}')
    ex = hu.exchange(env.server, raw, wait_close=True, timeout=CONN_TIMEOUT + 4)
    assert ex.closed and ex.elapsed < CONN_TIMEOUT + 3, ex
    assert all(r.status == 408 for r in ex.responses), ex


def test_lying_content_length_shorter_than_body(env):
    """Content-Length 2 for a longer body: the request is "{}" (400
    user_id is required); what follows is parsed as the next request of
    the connection and refused - it never reaches a handler as a body."""
    body = b'{}{"user_id":"nobody-here"}'
    raw = hu.request_bytes("POST", START_PATH, {"Authorization": "Bearer " + env.ctoken,
                                                "Content-Type": "application/json",
                                                "Content-Length": "2"}, body)
    ex = hu.exchange(env.server, raw, expect=2, wait_close=True, timeout=CONN_TIMEOUT + 4)
    b = hu.assert_raw_error(ex.first, 400, "invalid_request")
    assert "user_id" in b["message"], b
    assert all(r.status == 400 for r in ex.responses[1:]), ex
    assert ex.closed


# libmicrohttpd 0.9.75 (Debian 12) answers a malformed Content-Length with a
# response head of its own followed by another one; reproduced with a bare
# daemon, so no bioauth code is involved. Fixed upstream in later releases;
# strict, so the test reports when the library is upgraded.
@pytest.mark.xfail(strict=True, reason="libmicrohttpd 0.9.75 sends two response heads")
@pytest.mark.parametrize("value", ["-1", "abc", "99999999999999999999999"])
def test_malformed_content_length_one_clean_answer(env, value):
    """A malformed Content-Length is refused with exactly one well-formed
    response (400, or 413 for an overflowing number) and the connection is
    closed."""
    raw = hu.request_bytes("POST", START_PATH, {"Authorization": "Bearer " + env.ctoken,
                                                "Content-Type": "application/json",
                                                "Content-Length": value}, b"{}")
    ex = hu.exchange(env.server, raw, expect=2, wait_close=True, timeout=CONN_TIMEOUT + 3)
    assert ex.responses and ex.first.status in (400, 413), ex
    rest = hu.parse_responses(ex.raw)
    assert len(rest[0]) == 1 and rest[1] == b"", \
        f"Content-Length {value!r}: not one clean response: {ex.raw!r}"
    assert b"HTTP/1.1" not in ex.first.body, f"response head inside the body: {ex.raw!r}"
    assert ex.closed


def test_content_length_and_transfer_encoding_together(env):
    """RFC 9112 section 6.1: with both, Transfer-Encoding wins and the server
    must close the connection after responding (request smuggling). The
    request pipelined behind it must not be answered."""
    raw = (b"POST " + START_PATH.encode() + b" HTTP/1.1\r\nHost: x\r\n"
           b"Authorization: Bearer " + env.ctoken.encode() + b"\r\n"
           b"Content-Type: application/json\r\nContent-Length: 4\r\n"
           b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
           b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    ex = hu.exchange(env.server, raw, expect=2, wait_close=True, timeout=CONN_TIMEOUT + 3)
    assert ex.responses and ex.first.status == 400, ex
    assert len(ex.responses) == 1, (
        f"the request smuggled behind a Content-Length + Transfer-Encoding request was "
        f"answered: {[r.status for r in ex.responses]}")


def test_unknown_transfer_coding_is_refused_at_once(env):
    """RFC 9112 section 6.1/6.3: a transfer coding the server does not know
    (or chunked not last) must be answered 400/501 and the connection
    closed - not left waiting for a body it cannot delimit."""
    for te in ("gzip", "chunked, gzip"):
        raw = hu.request_bytes("POST", START_PATH, {"Authorization": "Bearer " + env.ctoken,
                                                    "Content-Type": "application/json",
                                                    "Transfer-Encoding": te}, None) + b"{}"
        ex = hu.exchange(env.server, raw, timeout=CONN_TIMEOUT + 3)
        assert ex.responses and ex.first.status in (400, 501) and ex.elapsed < 1.5, \
            f"Transfer-Encoding: {te}: {ex}"


# --------------------------------------------------------------------------
# headers and URLs

def test_one_huge_header(env):
    resp = hu.exchange(env.server, hu.request_bytes("GET", "/healthz",
                                                    {"X-Big": "a" * 9000})).first
    hu.assert_raw_error(resp, 431, "header_too_large")
    ex = hu.exchange(env.server, hu.request_bytes("GET", "/healthz", {"X-Huge": "b" * 300000}),
                     wait_close=True)
    assert ex.closed and (not ex.responses or ex.first.status == 431), ex


def test_many_headers(env):
    few = {f"X-H{i}": "v" for i in range(300)}   # ~3.3 KB: fine
    assert hu.exchange(env.server, hu.request_bytes("GET", "/healthz", few)).first.status == 200
    many = {f"X-H{i}": "v" for i in range(2000)}  # ~22 KB
    ex = hu.exchange(env.server, hu.request_bytes("GET", "/healthz", many), wait_close=True)
    assert ex.responses and ex.first.status == 431, ex


def test_huge_urls(env):
    """A long path segment reaches the handler (404 no such user); a head
    over the limit because of the path is 431; an URL beyond the memory of
    the connection is refused by libmicrohttpd (414) and the connection
    closed."""
    tok = {"Authorization": "Bearer " + env.ctoken}
    resp = hu.exchange(env.server, hu.request_bytes("GET", "/v1/users/" + "a" * 5000, tok)).first
    hu.assert_raw_error(resp, 404, "not_found")
    resp = hu.exchange(env.server, hu.request_bytes("GET", "/v1/users/" + "a" * 9000, tok)).first
    hu.assert_raw_error(resp, 431, "header_too_large")
    resp = hu.exchange(env.server, hu.request_bytes("GET", "/healthz?" + "q" * 7000)).first
    assert resp.status == 200, resp
    ex = hu.exchange(env.server, hu.request_bytes("GET", "/" + "u" * 200000), wait_close=True)
    assert ex.closed and ex.responses and ex.first.status == 414, ex


def test_whitespace_before_header_colon_is_400(env):
    """RFC 9112 section 5.1: whitespace between a field name and the colon
    must be answered 400 (it is how requests are smuggled past proxies that
    read "Content-Length : 5" differently)."""
    for raw in (b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\nhello",
                b"GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding\t: chunked\r\n\r\n"
                b"0\r\n\r\n"):
        resp = hu.exchange(env.server, raw).first
        assert resp.status == 400, f"{raw[:60]!r}: {resp!r}"


def test_repeated_content_type_or_length_is_400(env):
    base = (b"POST " + START_PATH.encode() + b" HTTP/1.1\r\nHost: x\r\n"
            b"Authorization: Bearer " + env.ctoken.encode() + b"\r\n")
    for extra, body in ((b"Content-Type: application/json\r\nContent-Type: text/plain\r\n"
                         b"Content-Length: 2\r\n", b"{}"),
                        (b"Content-Type: application/json\r\nContent-Length: 2\r\n"
                         b"Content-Length: 2\r\n", b"{}")):
        resp = hu.exchange(env.server, base + extra + b"\r\n" + body).first
        hu.assert_raw_error(resp, 400, "invalid_request")


# --------------------------------------------------------------------------
# JSON bodies: bytes that are not valid JSON text, on every JSON endpoint

JSON_ENDPOINTS = [  # (method, path, token kind)
    ("POST", "/v1/users", "client"),
    ("POST", "/v1/auth/password/authenticate", "client"),
    ("POST", "/v1/auth/token/refresh", "client"),
    ("POST", "/v1/auth/session/logout", "client"),
    ("POST", MB + "/start", "client"),
    ("POST", MB + "/register", "user"),
    ("POST", MB + "/authenticate", "client"),
    ("DELETE", MB + "/delete", "user"),
]


def nest(depth: int) -> bytes:
    """An object whose total nesting (the root counts) is `depth`."""
    return b'{"x":' + b"[" * (depth - 1) + b"]" * (depth - 1) + b"}"


BAD_JSON = {
    "invalid_utf8_in_string": (b'{"user_id":"a\xffb"}', "UTF-8"),
    "invalid_utf8_in_key": (b'{"us\xfeer_id":"a"}', "UTF-8"),
    "overlong_utf8": (b'{"user_id":"\xc0\xaf"}', "UTF-8"),
    "surrogate_utf8": (b'{"user_id":"\xed\xa0\x80"}', "UTF-8"),
    "truncated_utf8": (b'{"user_id":"\xe2\x82"}', "UTF-8"),
    "lone_surrogate_escape": (b'{"user_id":"\\ud800"}', "JSON"),
    "raw_nul": (b'{"user_id":"a\x00b"}', "NUL"),
    "escaped_nul": (b'{"user_id":"a\\u0000b"}', "u0000"),
    "escaped_nul_in_key": (b'{"a\\u0000":"b"}', "JSON"),
    "depth_33": (nest(33), "deeper than 32"),
    "duplicate_key": (b'{"a":"1","a":"2"}', "duplicate key"),
    "duplicate_nested_key": (b'{"claims":{"id_token":{"a":null,"a":null}}}', "duplicate key"),
    "huge_number": (b'{"x":1e400}', "out of range"),
    "huge_integer": (b'{"x":18446744073709551616}', "out of range"),
    "trailing_garbage": (b'{"a":"b"} x', "unexpected data"),
    "two_objects": (b"{}{}", "unexpected data"),
    "array_root": (b"[]", "JSON object"),
    "string_root": (b'"x"', "JSON object"),
    "empty_body": (b"", "JSON object"),
    "bom": (b'\xef\xbb\xbf{}', "JSON"),
    "single_quotes": (b"{'a':'b'}", "JSON"),
    "unterminated": (b'{"a":"b', "JSON"),
    "nan": (b'{"x":NaN}', "JSON"),
}


@pytest.mark.parametrize("endpoint", JSON_ENDPOINTS,
                         ids=lambda e: e[1].replace("/v1/auth/", "").replace("/v1/", "")
                         .replace("mobile-biometrics/", "mb-").replace("/", "-"))
@pytest.mark.parametrize("case", sorted(BAD_JSON))
def test_bad_json_is_400(env, endpoint, case):
    method, path, kind = endpoint
    body, hint = BAD_JSON[case]
    token = env.ctoken if kind == "client" else env.alice.utoken
    resp = post_json_raw(env, path, body, token=token, method=method).first
    b = hu.assert_raw_error(resp, 400, "invalid_request")
    assert hint.lower() in b["message"].lower(), f"{case}: message {b['message']!r}"


def test_depth_32_is_accepted(env):
    resp = post_json_raw(env, START_PATH, nest(32)[:-1] + b',"user_id":"nobody-here"}').first
    hu.assert_raw_error(resp, 404, "not_found")


def test_depth_100000_is_rejected_fast(bioauthd):
    """100,000 levels (inside a 1 MiB body limit) are refused by the depth
    scan before any parser recursion: 400, quickly, no stack overflow."""
    srv = bioauthd(body_limit="1m")
    app = h.create_app(srv)
    tok = h.client_token(srv, app)
    for body in (b'{"x":' + b"[" * 100000 + b"]" * 100000 + b"}",
                 b'{"x":' + b'{"a":' * 100000 + b"1" + b"}" * 100000 + b"}",
                 b"[" * 300000):
        t0 = time.monotonic()
        r = requests.post(h.url(srv, START_PATH), data=body, timeout=h.HTTP_TIMEOUT,
                          headers={**h.bearer(tok), "Content-Type": "application/json"})
        h.assert_error(r, 400, "invalid_request")
        assert "deeper than" in r.json()["message"], r.text
        assert time.monotonic() - t0 < 2
    hu.assert_alive(srv)


@pytest.mark.parametrize("value", [b"1e400", b"18446744073709551616", b"-0", b"-1",
                                   b"9223372036854775807", b"-9223372036854775808",
                                   b"1.5", b"1e2", b'"60"', b"true", b"[60]", b"{}"])
def test_numbers_where_an_integer_is_expected(env, value):
    """timeout (1..3600): out-of-range and non-integer values are 400."""
    body = b'{"user_id":"%s","timeout":%s}' % (env.alice.user_id.encode(), value)
    b = hu.assert_raw_error(post_json_raw(env, START_PATH, body).first, 400, "invalid_request")
    assert "timeout" in b["message"] or "out of range" in b["message"], b


# --------------------------------------------------------------------------
# every string field of every JSON endpoint: wrong types and 60 KiB strings

LONG = "L" * (60 * 1024)


def field_bodies(env):
    """endpoint -> (method, path, token, valid body) for the field tests."""
    dev = mbh.Device("android", "ec")
    reg = dev.register_body(device_id="dev-x", displayName="phone", challenge="c" * 20,
                            attestation_encoded_result="YXR0")
    return {
        "users": ("POST", "/v1/users", env.ctoken,
                  {"username": "u", "password": "p", "user_id": "i"}),
        "password": ("POST", "/v1/auth/password/authenticate", env.ctoken,
                     {"username": env.alice.username, "password": env.alice.password,
                      "resource": RES, "org_id": "o", "session_id": "s",
                      "client_attributes": {"k": "v"}}),
        "refresh": ("POST", "/v1/auth/token/refresh", env.ctoken, {"refresh_token": "r"}),
        "logout": ("POST", "/v1/auth/session/logout", env.ctoken, {"session_id": "s"}),
        "start": ("POST", START_PATH, env.ctoken,
                  {"user_id": env.alice.user_id, "device_id": "d",
                   "approval_data": {"k": "v"}}),
        "register": ("POST", MB + "/register", env.alice.utoken, reg),
        "authenticate": ("POST", MB + "/authenticate", env.ctoken,
                         {"user_id": env.alice.user_id, "key_id": env.dev.key_id,
                          "challenge": "c" * 20, "signature": "AAAA", "resource": RES,
                          "org_id": "o", "session_id": "s", "client_attributes": {"k": "v"}}),
        "delete": ("DELETE", MB + "/delete", env.alice.utoken, {"publicKeyId": "k"}),
    }


# (endpoint, field path, types checked, message names); "a.b" is a value
# inside the object field a.
STRING_FIELDS = [
    ("users", "user_id", True), ("users", "username", True), ("users", "password", True),
    ("password", "username", True), ("password", "password", True),
    ("password", "resource", True), ("password", "org_id", True),
    ("password", "session_id", True), ("password", "client_attributes.k", False),
    ("refresh", "refresh_token", True), ("logout", "session_id", True),
    ("start", "user_id", True), ("start", "device_id", True),
    ("start", "approval_data.k", True),
    ("register", "publicKey", True), ("register", "publicKeyId", True),
    ("register", "os", True), ("register", "encryptionType", True),
    ("register", "challenge", True), ("register", "attestation_encoded_result", True),
    ("register", "device_id", True), ("register", "displayName", True),
    ("authenticate", "user_id", True), ("authenticate", "key_id", True),
    ("authenticate", "challenge", True), ("authenticate", "signature", True),
    ("authenticate", "resource", True), ("authenticate", "org_id", True),
    ("authenticate", "session_id", True), ("authenticate", "client_attributes.k", False),
    ("delete", "publicKeyId", True),
]


def set_field(body: dict, path: str, value) -> dict:
    body = json.loads(json.dumps(body))
    if "." in path:
        outer, inner = path.split(".", 1)
        body[outer][inner] = value
    else:
        body[path] = value
    return body


@pytest.mark.parametrize("endpoint,field,typed", STRING_FIELDS,
                         ids=[f"{e}-{f}" for e, f, _ in STRING_FIELDS])
def test_string_field_wrong_type_and_60k(env, endpoint, field, typed):
    """60 KiB in the field, and (where the field must be a string) numbers,
    booleans, arrays and objects: 400 invalid_request naming the field. The
    client_attributes values are free JSON (only the object's size is
    capped), so only the 60 KiB case applies to them."""
    bodies = field_bodies(env)
    method, path, token, base = bodies[endpoint]
    outer = field.split(".")[0]
    values = [LONG] + ([123, 1.5, True, False, ["x"], {"a": "b"}, [], {}] if typed else [])
    for value in values:
        body = set_field(base, field, value)
        r = api(env, method, path, body, token)
        b = r.json()
        assert r.status_code == 400 and b.get("error_code") == "invalid_request", \
            f"{endpoint}.{field}={str(value)[:20]!r}: {r.status_code} {r.text[:200]}"
        assert outer in b["message"], f"{endpoint}.{field}: message {b['message']!r}"


# --------------------------------------------------------------------------
# SQL metacharacters: stored values round-trip byte-exact and match nothing else

META = ["'", '"', ";--", "' OR 1=1 --", "' OR '1'='1", "%", "_", "\\", "\\'", "%%",
        "a'b\"c;--%_\\", "'; DROP TABLE users; --", "`", "$1", "?", ":name"]


def test_user_id_and_username_round_trip(env):
    p = h.unique_name("sq") + "-"
    made = {}
    for i, m in enumerate(META):
        u = h.create_user(env.server, env.ctoken, user_id=p + m, username=p + "n" + m)
        assert u["user_id"] == p + m and u["username"] == p + "n" + m, (m, u)
        made[p + m] = u
    for uid, u in made.items():
        r = h.get_user(env.server, env.ctoken, uid)
        assert r.status_code == 200, (uid, r.text)
        assert r.json()["result"]["user_id"] == uid and r.json()["result"]["username"] == u["username"], r.text
    # wildcards and quotes match nothing else
    plain = h.create_user(env.server, env.ctoken, user_id=p + "abc")["user_id"]
    for probe in ("ab_", "a%", "%c", "_bc", "ABC", "abc ", "' OR 1=1", "abc' --",
                  "abc\\", "abc%"):
        r = h.get_user(env.server, env.ctoken, p + probe)
        h.assert_error(r, 404, "not_found")
    r = h.get_user(env.server, env.ctoken, "' OR '1'='1")
    h.assert_error(r, 404, "not_found")
    # deleting "p%" deletes that one row only
    assert h.delete_user(env.server, env.ctoken, p + "%").status_code == 204
    h.assert_error(h.get_user(env.server, env.ctoken, p + "%"), 404, "not_found")
    assert h.get_user(env.server, env.ctoken, plain).status_code == 200
    assert h.get_user(env.server, env.ctoken, p + "%%").status_code == 200
    assert h.get_user(env.server, env.ctoken, p + "_").status_code == 200
    h.assert_error(h.delete_user(env.server, env.ctoken, p + "ab_"), 404, "not_found")
    assert h.get_user(env.server, env.ctoken, plain).status_code == 200
    # a generated id never collides with a quote-y one either
    assert h.create_user(env.server, env.ctoken)["user_id"] not in made


def test_username_and_password_with_metacharacters_log_in_exactly(env):
    name = h.unique_name("sq") + "' OR 1=1 --%_\\\""
    pw = "'; DROP TABLE users; -- %_\\\""
    u = h.create_user(env.server, env.ctoken, username=name, password=pw)
    other = h.create_user(env.server, env.ctoken, username=name[:-6], password=pw)
    login = h.password_login(env.server, env.ctoken, name, pw)
    assert h.decode_unverified(login["access_token"])[1]["sub"] == u["user_id"]
    login = h.password_login(env.server, env.ctoken, name[:-6], pw)
    assert h.decode_unverified(login["access_token"])[1]["sub"] == other["user_id"]
    for n, p in ((name, "' OR 1=1 --"), (name[:-1] + "%", pw), ("' OR '1'='1", "' OR '1'='1"),
                 (name, pw[:-1]), (name, pw + " ")):
        r = h.password_login_response(env.server, env.ctoken, n, p)
        h.assert_error(r, 401, "invalid_credentials")


def test_authenticator_fields_round_trip(env):
    """publicKeyId, device_id, displayName and os with metacharacters are
    stored and listed byte-exact; each key authenticates as itself only;
    deleting "%" deletes only the key named "%"."""
    p = h.unique_name("k")
    person = mbh.Person(env.mb)
    devs = {}
    for m in META:
        d = mbh.Device("android", "ec")
        d.key_id = p + m
        d.device_id = "d" + m
        mbh.enroll(env.mb, person, d, device_id=d.device_id, displayName="n" + m,
                   os="android" + m)
        devs[d.key_id] = (d, m)
    listed = {a["publicKeyId"]: a for a in env.mb.authenticators(person.user_id)
              .json()["authenticators"]}
    assert set(listed) == set(devs), sorted(set(listed) ^ set(devs))
    for kid, (d, m) in devs.items():
        a = listed[kid]
        assert (a["device_id"], a["displayName"], a["os"]) == ("d" + m, "n" + m, "android" + m), a
        assert a["publicKey"] == mbh.b64(d.spki_der()), kid
    for kid in (p + "' OR 1=1 --", p + "%", p + "_"):
        d, _ = devs[kid]
        body, at, _ = mbh.assert_tokens(env.mb, mbh.login(env.mb, person, d), person)
    # a key id that is a pattern of others is unknown
    for probe in (p + "%%%", p + "__", p + "' OR '1'='1' --", p + "a%"):
        ch = mbh.client_challenge()
        d, _ = devs[p + "%"]
        r = env.mb.authenticate(dict(mbh.auth_body(person, d, ch), key_id=probe))
        mbh.assert_err(r, 404, "not_found")
    r = env.mb.delete(person.utoken, p + "%")
    assert r.status_code == 204, r.text
    left = {a["publicKeyId"] for a in env.mb.authenticators(person.user_id)
            .json()["authenticators"]}
    assert left == set(devs) - {p + "%"}
    mbh.assert_err(env.mb.delete(person.utoken, p + "' OR 1=1 -- x"), 404, "not_found")


def test_org_id_client_attributes_and_approval_data_round_trip(env):
    meta = "a'b\"c;--%_\\ ' OR 1=1 -- `$1`"
    attrs = {"k" + meta: "v" + meta, "n": 5, "nested": {"q": [meta]}}
    login = h.password_login(env.server, env.ctoken, env.alice.username, env.alice.password,
                             org_id="o" + meta, client_attributes=attrs,
                             claims={"id_token": {"org_id": None}})
    claims = h.decode_unverified(login["id_token"])[1]
    assert claims["org_id"] == "o" + meta, claims
    audit = h.ctl(env.server, "audit", "--user", env.alice.user_id, "--limit", "1")
    assert audit and audit[0]["client_attributes"] == attrs, audit
    # approval_data values (keys are restricted to [A-Za-z0-9_.-])
    ch = env.mb.challenge(env.alice.user_id, approval_data={"tx": meta, "sum": "%_"})
    resp = mbh.login(env.mb, env.alice, env.dev, challenge=ch,
                     claims={"id_token": {"approval_data": None}})
    _, _, it = mbh.assert_tokens(env.mb, resp, env.alice)
    assert it["approval_data"] == {"tx": meta, "sum": "%_"}, it
    r = env.mb.start(env.alice.user_id, approval_data={"t'x": "v"})
    mbh.assert_err(r, 400, "invalid_request")


def test_client_challenge_with_metacharacters(env):
    """A backend-made challenge full of metacharacters is signed and accepted
    once; a challenge differing only where a LIKE pattern would not notice
    is a different challenge."""
    ch = "' OR 1=1 --; %_\\\"" + h.unique_name("c")
    assert mbh.login(env.mb, env.alice, env.dev, challenge=ch).status_code == 200
    mbh.assert_err(mbh.login(env.mb, env.alice, env.dev, challenge=ch), 400, "challenge_reused")
    other = ch.replace("%", "_")
    assert mbh.login(env.mb, env.alice, env.dev, challenge=other).status_code == 200


LOOKUPS = [  # (endpoint, field, expected status, code) for values nobody stored
    ("refresh", "refresh_token", 400, "invalid_grant"),
    ("logout", "session_id", 404, "not_found"),
    ("start", "user_id", 404, "not_found"),
    ("authenticate", "user_id", 404, "not_found"),
    ("authenticate", "key_id", 404, "not_found"),
    ("authenticate", "resource", 400, "invalid_target"),
    ("password", "resource", 400, "invalid_target"),
    ("register", "publicKey", 400, "invalid_key_encoding"),
    ("register", "encryptionType", 400, "invalid_request"),
    ("delete", "publicKeyId", 404, "not_found"),
]


@pytest.mark.parametrize("endpoint,field,status,code", LOOKUPS,
                         ids=[f"{e}-{f}" for e, f, _, _ in LOOKUPS])
def test_metacharacters_in_lookup_fields(env, endpoint, field, status, code):
    method, path, token, base = field_bodies(env)[endpoint]
    for m in META:
        r = api(env, method, path, set_field(base, field, m + "x"), token)
        assert (r.status_code, r.json().get("error_code")) == (status, code), \
            f"{endpoint}.{field}={m!r}: {r.status_code} {r.text[:200]}"


def test_metacharacters_in_session_signature_and_device_fields(env):
    """The fields that need a valid credential to be reached: session_id of
    a correct password login and of a correctly signed authentication (400:
    not a live session), a signature of metacharacters (401), a /start
    device_id of metacharacters that binds the challenge to that exact
    device, and register's stored-only challenge/attestation fields."""
    few = ["' OR '1'='1' --", "%", "_\\\""]
    for m in few:
        r = h.password_login_response(env.server, env.ctoken, env.alice.username,
                                      env.alice.password, session_id=m)
        h.assert_error(r, 400, "invalid_request")
        mbh.assert_err(mbh.login(env.mb, env.alice, env.dev, session_id=m), 400,
                       "invalid_request")
    person = mbh.Person(env.mb)
    throwaway = mbh.Device("ios", "ec")
    mbh.enroll(env.mb, person, throwaway, challenge="' OR 1=1 --%_\\",
               attestation_encoded_result="'; DROP TABLE authenticators; --")
    for m in few:
        ch = mbh.client_challenge()
        r = env.mb.authenticate(mbh.auth_body(person, throwaway, ch, signature=m))
        mbh.assert_err(r, 401, "invalid_signature")
    d_pct, d_us = mbh.Device("android", "ec"), mbh.Device("android", "ec")
    mbh.enroll(env.mb, person, d_pct, device_id="dev' OR 1=1 --%")
    mbh.enroll(env.mb, person, d_us, device_id="dev' OR 1=1 --_")
    ch = env.mb.challenge(person.user_id, device_id="dev' OR 1=1 --%")
    mbh.assert_err(mbh.login(env.mb, person, d_us, challenge=ch), 400, "invalid_challenge")
    mbh.assert_tokens(env.mb, mbh.login(env.mb, person, d_pct, challenge=ch), person)


def test_metacharacters_in_path_and_password_login(env):
    for m in ("' OR '1'='1", "%", "_", "\\", "%25", "' --"):
        h.assert_error(h.get_user(env.server, env.ctoken, "zz" + m), 404, "not_found")
        h.assert_error(h.delete_user(env.server, env.ctoken, "zz" + m), 404, "not_found")
        r = env.mb.authenticators("zz" + m)
        assert r.status_code == 200 and r.json()["authenticators"] == [], r.text
    for n in ("' OR '1'='1' --", "%", "_"):
        r = h.password_login_response(env.server, env.ctoken, n, "x' OR '1'='1")
        h.assert_error(r, 401, "invalid_credentials")


# --------------------------------------------------------------------------
# odd paths, methods, versions, pipelining

PATHS = [  # (raw target, status, error code); /oidc answers carry "error"
    ("/v1/../oidc/jwks", 400, "invalid_request"),
    ("/v1/users/%2F..%2F", 400, "invalid_request"),
    ("/v1/users/..%2F", 400, "invalid_request"),
    ("/v1/users/%2e%2e", 400, "invalid_request"),
    ("/v1/users/%2E", 400, "invalid_request"),
    ("/v1/users/.", 400, "invalid_request"),
    ("/oidc/./jwks", 400, "invalid_request"),
    ("/oidc/%2e%2e/oidc/jwks", 400, "invalid_request"),
    ("/v1//users", 400, "invalid_request"),
    ("//v1/users", 400, "invalid_request"),
    ("/v1/users/a%2Fb", 400, "invalid_request"),
    ("/v1/users/a%2fb", 400, "invalid_request"),
    ("/v1/users/abc%00", 400, "invalid_request"),
    ("/v1/users/%00", 400, "invalid_request"),
    ("/v1/users/%C0%AE%C0%AE", 400, "invalid_request"),
    ("/v1/users/%C0%AF", 400, "invalid_request"),
    ("/v1/users/%E0%80%AF", 400, "invalid_request"),
    ("/v1/users/%ED%A0%80", 400, "invalid_request"),
    ("/v1/users/%FF", 400, "invalid_request"),
    ("/v1/users/%zz", 400, "invalid_request"),
    ("/v1/users/%4", 400, "invalid_request"),
    ("/v1/users/%", 400, "invalid_request"),
    ("/oidc/jwks%2F", 400, "invalid_request"),
    ("/v1/users/", 404, "not_found"),
    ("/oidc/jwks/", 404, "invalid_request"),
    ("/healthz/", 404, "not_found"),
    ("/v1\\users", 404, "not_found"),
    ("/V1/USERS/x", 404, "not_found"),
    ("/healthz;x=1", 404, "not_found"),
    ("/" + "/".join("s" * 20), 404, "not_found"),
    ("*", 400, "invalid_request"),
    ("http://127.0.0.1/healthz", 400, "invalid_request"),
    ("healthz", 400, "invalid_request"),
]


@pytest.mark.parametrize("target,status,code", PATHS, ids=[p[0][:40] for p in PATHS])
def test_odd_paths(env, target, status, code):
    key = "error" if target.startswith("/oidc/") else "error_code"
    resp = hu.exchange(env.server, hu.request_bytes("GET", target)).first
    hu.assert_raw_error(resp, status, code, key=key)


def test_raw_non_ascii_bytes_in_path(env):
    tok = {"Authorization": "Bearer " + env.ctoken}
    resp = hu.exchange(env.server, hu.request_bytes("GET", b"/v1/users/\xc0\xae", tok)).first
    hu.assert_raw_error(resp, 400, "invalid_request")
    resp = hu.exchange(env.server, hu.request_bytes("GET", b"/v1/users/\xff", tok)).first
    hu.assert_raw_error(resp, 400, "invalid_request")
    # well-formed UTF-8, raw or escaped, is a user id like any other
    uid = "ünï-" + h.unique_name("u")
    h.create_user(env.server, env.ctoken, user_id=uid)
    resp = hu.exchange(env.server, hu.request_bytes("GET", b"/v1/users/" + uid.encode(), tok)).first
    assert resp.status == 200 and resp.json()["result"]["user_id"] == uid, resp


def test_encoded_literal_segments_and_query_are_harmless(env):
    tok = {"Authorization": "Bearer " + env.ctoken}
    uid = env.alice.user_id
    resp = hu.exchange(env.server, hu.request_bytes("GET", "/v1/%75sers/" + quote(uid, safe=""),
                                                    tok)).first
    assert resp.status == 200 and resp.json()["result"]["user_id"] == uid, resp
    resp = hu.exchange(env.server, hu.request_bytes(
        "GET", "/v1/users/" + uid + "?user_id=other&x=%zz&%00", tok)).first
    assert resp.status == 200 and resp.json()["result"]["user_id"] == uid, resp
    resp = hu.exchange(env.server, hu.request_bytes("GET", "/v1/users/" + uid + "#frag", tok)).first
    assert resp.status == 200, resp


def test_query_strings_on_post_routes_are_ignored(env):
    """Parameters in the query of a POST are never read: no client
    credentials, grant or user_id can be passed that way."""
    q = urlencode({"grant_type": "client_credentials", "client_id": env.app["client_id"],
                   "client_secret": env.app["client_secret"]})
    r = requests.post(h.url(env.server, "/oidc/token?" + q), data="",
                      headers={"Content-Type": "application/x-www-form-urlencoded"},
                      timeout=h.HTTP_TIMEOUT)
    h.assert_oauth_error(r, 400, "invalid_request")
    r = requests.post(h.url(env.server, "/oidc/token?" + q), data="grant_type=client_credentials",
                      headers={"Content-Type": "application/x-www-form-urlencoded"},
                      timeout=h.HTTP_TIMEOUT)
    h.assert_oauth_error(r, 401, "invalid_client")
    uid = h.unique_name("q")
    r = requests.post(h.url(env.server, "/v1/users?user_id=" + uid), json={},
                      headers=h.bearer(env.ctoken), timeout=h.HTTP_TIMEOUT)
    assert r.status_code == 201 and r.json()["result"]["user_id"] != uid, r.text
    h.assert_error(h.get_user(env.server, env.ctoken, uid), 404, "not_found")


@pytest.mark.parametrize("method,target,status,allow", [
    ("TRACE", "/healthz", 405, "GET, HEAD"),
    ("OPTIONS", "/healthz", 405, "GET, HEAD"),
    ("get", "/healthz", 405, "GET, HEAD"),
    ("GeT", "/healthz", 405, "GET, HEAD"),
    ("PROPFIND", "/v1/users", 405, "POST"),
    ("DELETE", "/v1/users", 405, "POST"),
    ("GET", "/oidc/token", 405, "POST"),
    ("PATCH", "/v1/auth/mobile-biometrics/delete", 405, "DELETE"),
    ("CONNECT", "127.0.0.1:80", 400, None),
    ("OPTIONS", "*", 400, None),
])
def test_unusual_methods(env, method, target, status, allow):
    resp = hu.exchange(env.server, hu.request_bytes(method, target)).first
    assert resp.status == status, resp
    key = "error" if target.startswith("/oidc/") else "error_code"
    assert resp.json()[key] in ("method_not_allowed", "invalid_request"), resp
    if allow:
        assert resp.header("allow") == allow, resp.headers
    else:
        assert resp.header("allow") is None


def test_http10_without_host(env):
    ex = hu.exchange(env.server, b"GET /healthz HTTP/1.0\r\n\r\n", wait_close=True)
    assert ex.first.status == 200 and ex.first.json() == {"status": "ok"}, ex
    assert ex.closed
    ex = hu.exchange(env.server, b"GET /v1/users/x HTTP/1.0\r\n\r\n", wait_close=True)
    hu.assert_raw_error(ex.first, 401, "invalid_token")


def test_pipelined_requests_answered_in_order(env):
    tok = "Authorization: Bearer " + env.ctoken
    body = json.dumps({"user_id": env.alice.user_id}).encode()
    raw = (b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
           b"GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
           b"POST " + START_PATH.encode() + b" HTTP/1.1\r\nHost: x\r\n" + tok.encode() +
           b"\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body +
           b"GET /v1/users/" + quote(env.alice.user_id).encode() + b" HTTP/1.1\r\nHost: x\r\n" +
           tok.encode() + b"\r\n\r\n"
           b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    ex = hu.exchange(env.server, raw, expect=5, wait_close=True)
    assert [r.status for r in ex.responses] == [200, 404, 200, 200, 200], ex
    assert "challenge" in ex.responses[2].json()
    assert ex.responses[3].json()["result"]["user_id"] == env.alice.user_id
    assert ex.closed


def test_pipelined_flood(env):
    raw = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" * 200
    ex = hu.exchange(env.server, raw + b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
                     b"Connection: close\r\n\r\n", expect=201, wait_close=True, timeout=20)
    assert len(ex.responses) == 201 and all(r.status == 200 for r in ex.responses), \
        f"{len(ex.responses)} responses"


def test_pipelined_request_behind_an_early_error_is_not_run(env):
    """After a refused body (413 from the head) the rest of the connection's
    bytes are never run as a request: the connection is closed."""
    raw = (hu.request_bytes("POST", START_PATH, {"Authorization": "Bearer " + env.ctoken,
                                                 "Content-Type": "application/json",
                                                 "Content-Length": str(LIMIT + 1)}) +
           hu.request_bytes("POST", "/v1/users", {"Authorization": "Bearer " + env.ctoken,
                                                  "Content-Type": "application/json"},
                            b'{"user_id":"smuggled-user"}'))
    ex = hu.exchange(env.server, raw, expect=2, wait_close=True)
    hu.assert_raw_error(ex.first, 413, "payload_too_large")
    assert len(ex.responses) == 1 and ex.closed, ex
    h.assert_error(h.get_user(env.server, env.ctoken, "smuggled-user"), 404, "not_found")


# --------------------------------------------------------------------------
# form bodies on /oidc/token

def form(env, body, headers=None, path="/oidc/token"):
    hdrs = {"Content-Type": "application/x-www-form-urlencoded"}
    if headers is None:
        hdrs.update(h.basic_auth(env.app["client_id"], env.app["client_secret"]))
    else:
        hdrs.update(headers)
    return hu.exchange(env.server, hu.request_bytes("POST", path, hdrs,
                                                    body if isinstance(body, bytes)
                                                    else body.encode())).first


def oauth(resp, status, error):
    hu.assert_raw_error(resp, status, error, key="error")


def test_form_valid_baseline(env):
    assert form(env, "grant_type=client_credentials").status == 200
    assert form(env, "&&grant_type=client_credentials&&").status == 200


@pytest.mark.parametrize("body", [
    "grant_type=client_credentials&grant_type=client_credentials",
    "grant_type=client_credentials&grant_type=refresh_token",
    "grant_type=client_credentials&resource=a&resource=b",
    "grant_type=client%zzcredentials",
    "grant_type=client_credentials%",
    "grant_type=client_credentials%4",
    "gr%zzant_type=client_credentials",
    "grant_type=client%00credentials",
    "grant_type=client_credentials&x=%ff",
    "grant_type=client_credentials&x=%C0%AF",
    "grant_type=client_credentials&=value",
    "grant_type=client_credentials&" + "n" * 200 + "=1",
    "grant_type=client_credentials&" + "&".join(f"p{i}=1" for i in range(70)),
], ids=lambda b: b[:48])
def test_form_malformed_is_400(env, body):
    oauth(form(env, body), 400, "invalid_request")


def test_form_raw_nul_and_invalid_utf8_bytes(env):
    oauth(form(env, b"grant_type=client_credentials&x=a\x00b"), 400, "invalid_request")
    oauth(form(env, b"grant_type=client_credentials&x=a\xffb"), 400, "invalid_request")


def test_form_missing_equals_and_empty_values(env):
    oauth(form(env, "grant_type"), 400, "unsupported_grant_type")
    oauth(form(env, "grant_type="), 400, "unsupported_grant_type")
    oauth(form(env, ""), 400, "invalid_request")
    oauth(form(env, "grant_type=refresh_token&refresh_token"), 400, "invalid_request")


def test_form_huge_values(env):
    big = "v" * (60 * 1024)
    oauth(form(env, "grant_type=" + big), 400, "unsupported_grant_type")
    oauth(form(env, "grant_type=client_credentials&resource=" + big), 400, "invalid_target")
    oauth(form(env, "grant_type=refresh_token&refresh_token=" + big), 400, "invalid_grant")
    half = "v" * (30 * 1024)
    oauth(form(env, "grant_type=client_credentials&client_id=" + half + "&client_secret=" + half,
               headers={}), 401, "invalid_client")
    resp = form(env, "token=" + big, path="/oidc/token/introspection")
    assert resp.status == 200 and resp.json() == {"active": False}, resp
    oauth(form(env, "grant_type=client_credentials&x=" + big + "v" * 6000), 413,
          "invalid_request")


def basic(raw: bytes) -> dict:
    return {"Authorization": b"Basic " + raw}


@pytest.mark.parametrize("label,auth", [
    ("garbage_base64", b"Basic !!!not-base64!!!"),
    ("colon_less", b"Basic " + h.b64_encode(b"just-a-client-id").encode()),
    ("empty_payload", b"Basic "),
    ("scheme_only", b"Basic"),
    ("empty_id_and_secret", b"Basic " + h.b64_encode(b":").encode()),
    ("bad_escapes", b"Basic " + h.b64_encode(b"%zz:%zz").encode()),
    ("nul_inside", b"Basic " + h.b64_encode(b"id\x00x:secret").encode()),
    ("invalid_utf8", b"Basic " + h.b64_encode(b"\xff\xfe:\xff").encode()),
    ("sql_id", b"Basic " + h.b64_encode(b"' OR '1'='1' --:x").encode()),
    ("huge", b"Basic " + h.b64_encode(b"i" * 3000 + b":" + b"s" * 2000).encode()),
    ("bearer_instead", None),
    ("padding_garbage", b"Basic " + h.b64_encode(b"a:b").encode() + b"===="),
])
def test_basic_header_garbage_is_invalid_client(env, label, auth):
    if auth is None:
        auth = b"Bearer " + env.ctoken.encode()
    resp = form(env, "grant_type=client_credentials", headers={"Authorization": auth})
    oauth(resp, 401, "invalid_client")


def test_basic_with_wrong_secret_of_metacharacters(env):
    for secret in ("' OR '1'='1", env.app["client_secret"] + "' --", "%", "_" * 43):
        resp = form(env, "grant_type=client_credentials",
                    headers=h.basic_auth(env.app["client_id"], secret))
        oauth(resp, 401, "invalid_client")
    # lower-case scheme with the right credentials works
    hdr = h.basic_auth(env.app["client_id"], env.app["client_secret"])
    resp = form(env, "grant_type=client_credentials",
                headers={"Authorization": hdr["Authorization"].replace("Basic", "basic")})
    assert resp.status == 200, resp


def test_basic_plus_form_secret_is_invalid_request(env):
    resp = form(env, "grant_type=client_credentials&client_secret=" +
                quote(env.app["client_secret"]))
    oauth(resp, 400, "invalid_request")


@pytest.mark.parametrize("ctype", ["multipart/form-data; boundary=x", "text/plain",
                                   "application/x-www-form-urlencoded; charset=iso-8859-1",
                                   "application/x-www-form-urlencoded; boundary=x",
                                   "application/json"])
def test_form_route_content_types(env, ctype):
    hdrs = {"Content-Type": ctype}
    hdrs.update(h.basic_auth(env.app["client_id"], env.app["client_secret"]))
    resp = hu.exchange(env.server, hu.request_bytes("POST", "/oidc/token", hdrs,
                                                    b"grant_type=client_credentials")).first
    oauth(resp, 415, "invalid_request")


def test_form_body_on_json_route_is_decoded_with_the_json_rules(env):
    """A form on a JSON route goes through the same field validation: a
    repeated field is 400 as a duplicate JSON key is; a multipart body is 415."""
    hdr = {"Authorization": "Bearer " + env.ctoken,
           "Content-Type": "application/x-www-form-urlencoded"}
    resp = hu.exchange(env.server, hu.request_bytes(
        "POST", "/v1/users", hdr, b"user_id=a&user_id=b")).first
    hu.assert_raw_error(resp, 400, "invalid_request")
    resp = hu.exchange(env.server, hu.request_bytes(
        "POST", "/v1/users", hdr, b"user_id=")).first
    hu.assert_raw_error(resp, 400, "invalid_request")
    hdr["Content-Type"] = "multipart/form-data; boundary=x"
    resp = hu.exchange(env.server, hu.request_bytes(
        "POST", "/v1/users", hdr, b"--x--")).first
    hu.assert_raw_error(resp, 415, "unsupported_media_type")
