"""Shared tools of the hostile-input suites (test_hostile_*.py).

Nothing here is a test.  It gives the suites:

* raw HTTP over sockets (``exchange``, ``parse_responses``), for requests
  that ``requests`` would normalise (bad escapes, lying Content-Length,
  pipelining, odd methods, NUL bytes);
* a *neighbour*: a well-behaved client that keeps talking to the server from
  another loopback address (127.0.0.2 when the kernel routes it, so that the
  per-IP connection cap of an attacker on 127.0.0.1 does not apply to it)
  while a hostile test runs, and that fails the test if any of its requests
  fails or takes longer than NEIGHBOUR_MAX_LATENCY seconds;
* JWS minting with arbitrary headers, payloads and keys, including the
  server's own signing keys read from its SQLite database (the "database
  leak" an attacker would need), so that a forged token differs from a
  valid one only in the property under test.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import os
import re
import socket
import sqlite3
import subprocess
import threading
import time
from typing import Any, Optional

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

import helpers as h

#: Seconds a neighbour request may take while an attack runs (sanitizer
#: builds on a loaded 2-core machine are slow; an attack that blocks the
#: server blocks for far longer than this).
NEIGHBOUR_MAX_LATENCY = float(os.environ.get("BIOAUTH_NEIGHBOUR_MAX_LATENCY", "4"))


# --------------------------------------------------------------------------
# loopback addresses

def _can_bind(ip: str) -> bool:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((ip, 0))
        return True
    except OSError:
        return False


#: The neighbour's source address: another loopback address when possible.
NEIGHBOUR_IP = "127.0.0.2" if _can_bind("127.0.0.2") else "127.0.0.1"
HAVE_SECOND_IP = NEIGHBOUR_IP != "127.0.0.1"


# --------------------------------------------------------------------------
# raw HTTP

class RawResponse:
    """One parsed HTTP response: .status, .reason, .headers (lower-case
    name -> list of values), .body (bytes), .head (raw bytes)."""

    def __init__(self, status: int, reason: str, headers: dict, body: bytes, head: bytes):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.head = head

    def header(self, name: str) -> Optional[str]:
        v = self.headers.get(name.lower())
        return v[0] if v else None

    def json(self) -> Any:
        return json.loads(self.body)

    def __repr__(self) -> str:
        return f"<{self.status} {self.reason} {self.body[:200]!r}>"


def parse_responses(buf: bytes) -> tuple:
    """Splits `buf` into complete responses; returns (responses, rest).
    A response without Content-Length runs to the end of `buf`."""
    out = []
    while True:
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return out, buf
        head = buf[:end]
        m = re.match(rb"HTTP/1\.[01] (\d{3}) ?([^\r\n]*)", head)
        if not m:
            return out, buf
        headers: dict = {}
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            headers.setdefault(name.strip().lower().decode("latin-1"), []).append(
                value.strip().decode("latin-1"))
        cl = headers.get("content-length")
        start = end + 4
        if cl is None:
            body, rest = buf[start:], b""
        else:
            n = int(cl[0])
            if len(buf) - start < n:
                return out, buf
            body, rest = buf[start:start + n], buf[start + n:]
        out.append(RawResponse(int(m.group(1)), m.group(2).decode("latin-1"),
                               headers, body, head))
        buf = rest
        if not buf:
            return out, b""


class Exchange:
    """What one raw connection produced: .responses, .closed (the server
    closed the connection), .reset, .elapsed (seconds until the last byte or
    the close), .raw (every byte received)."""

    def __init__(self):
        self.responses: list = []
        self.closed = False
        self.reset = False
        self.elapsed = 0.0
        self.raw = b""

    @property
    def first(self) -> RawResponse:
        assert self.responses, f"no HTTP response at all (raw {self.raw[:300]!r}, " \
                               f"closed={self.closed}, reset={self.reset})"
        return self.responses[0]

    def __repr__(self) -> str:
        return (f"<Exchange {self.responses} closed={self.closed} reset={self.reset} "
                f"{self.elapsed:.2f}s raw={self.raw[:200]!r}>")


def connect(srv, timeout: float = 10, src: Optional[str] = None) -> socket.socket:
    """A TCP connection to the server (from source address `src`)."""
    return socket.create_connection((srv.host, srv.port), timeout=timeout,
                                    source_address=(src, 0) if src else None)


def read_exchange(s: socket.socket, expect: int = 1, timeout: float = 5.0,
                  wait_close: bool = False) -> Exchange:
    """Reads from `s` until `expect` complete responses arrived (and then, with
    wait_close, until the server closes), the server closes, or `timeout`."""
    ex = Exchange()
    t0 = time.monotonic()
    deadline = t0 + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        except (ConnectionResetError, BrokenPipeError):
            ex.reset = ex.closed = True
            break
        if not chunk:
            ex.closed = True
            break
        ex.raw += chunk
        ex.responses, _ = parse_responses(ex.raw)
        if len(ex.responses) >= expect and not wait_close:
            break
    ex.elapsed = time.monotonic() - t0
    ex.responses, _ = parse_responses(ex.raw)
    return ex


def exchange(srv, data: bytes, expect: int = 1, timeout: float = 5.0,
             wait_close: bool = False, shut: bool = False,
             src: Optional[str] = None) -> Exchange:
    """Sends `data` on a fresh connection and reads as read_exchange()."""
    with connect(srv, timeout=timeout, src=src) as s:
        try:
            s.sendall(data)
            if shut:
                s.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before reading it all
        return read_exchange(s, expect, timeout, wait_close)


def request_bytes(method: str, target: str, headers: Optional[dict] = None,
                  body: Optional[bytes] = None, version: str = "HTTP/1.1",
                  host: bool = True) -> bytes:
    """A request as bytes; `target` may be str (latin-1) or bytes; header
    values may be bytes. Content-Length is added for a body unless given."""
    t = target if isinstance(target, bytes) else target.encode("latin-1")
    out = method.encode("latin-1") + b" " + t + b" " + version.encode() + b"\r\n"
    hdrs = dict(headers or {})
    if host and not any(k.lower() == "host" for k in hdrs):
        hdrs = {"Host": "127.0.0.1", **hdrs}
    if body is not None and not any(k.lower() in ("content-length", "transfer-encoding")
                                    for k in hdrs):
        hdrs["Content-Length"] = str(len(body))
    for k, v in hdrs.items():
        vb = v if isinstance(v, bytes) else str(v).encode("latin-1")
        out += k.encode("latin-1") + b": " + vb + b"\r\n"
    return out + b"\r\n" + (body or b"")


def assert_raw_error(resp: RawResponse, status: int, code: str, key: str = "error_code"):
    """A JSON error of the catalogue: status and {key: code} (key is
    "error_code" on /v1, "error" on /oidc)."""
    assert resp.status == status, f"want {status} {code}, got {resp!r}"
    assert resp.header("content-type") == "application/json", resp.headers
    body = resp.json()
    assert body.get(key) == code, f"want {key}={code}: {body}"
    return body


# --------------------------------------------------------------------------
# the neighbour: a well-behaved client that must keep being served

class Neighbour:
    """Runs `calls` round-robin in a thread, each on a new connection from
    NEIGHBOUR_IP, every `interval` seconds. `calls` are (method, path,
    headers, body, expected_status). check() fails the test on any failure,
    wrong status or a latency above `max_latency`."""

    def __init__(self, srv, calls=None, interval: float = 0.05,
                 max_latency: float = NEIGHBOUR_MAX_LATENCY):
        self.srv = srv
        self.calls = calls or [("GET", "/healthz", {}, None, 200)]
        self.interval = interval
        self.max_latency = max_latency
        self.results: list = []      # (started, latency, ok, detail)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._lock = threading.Lock()

    def _one(self, call) -> tuple:
        method, path, headers, body, want = call
        t0 = time.monotonic()
        conn = http.client.HTTPConnection(self.srv.host, self.srv.port,
                                          timeout=max(10.0, 2 * self.max_latency),
                                          source_address=(NEIGHBOUR_IP, 0))
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            ok = resp.status == want
            detail = f"{method} {path}: {resp.status} {data[:200]!r}"
        except (OSError, http.client.HTTPException) as e:
            ok, detail = False, f"{method} {path}: {type(e).__name__}: {e}"
        finally:
            conn.close()
        return t0, time.monotonic() - t0, ok, detail

    def _run(self) -> None:
        i = 0
        while not self._stop.is_set():
            res = self._one(self.calls[i % len(self.calls)])
            i += 1
            with self._lock:
                self.results.append(res)
            self._stop.wait(self.interval)

    def start(self) -> "Neighbour":
        self.t_start = time.monotonic()
        self._thread.start()
        return self

    def stop(self) -> None:
        """Waits (bounded) until the neighbour has made at least two
        requests - so at least one of them overlapped the attack - then
        stops the thread."""
        deadline = time.monotonic() + 3 * self.max_latency + 10
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.results) >= 2:
                    break
            time.sleep(0.02)
        self._stop.set()
        self._thread.join(timeout=30)

    def check_so_far(self) -> None:
        """Fails if any request so far failed or was too slow (the thread
        keeps running)."""
        with self._lock:
            res = list(self.results)
        bad = [r for r in res if not r[2]]
        assert not bad, f"neighbour refused during the attacks: {bad[0][3]}"
        slow = [r for r in res if r[1] > self.max_latency]
        assert not slow, (f"a neighbour request took {slow[0][1]:.2f}s (> {self.max_latency}s) "
                          f"during the attacks: {slow[0][3]}")

    def check(self) -> None:
        with self._lock:
            res = list(self.results)
        assert res, "the neighbour got no answer at all while the attack ran"
        bad = [r for r in res if not r[2]]
        assert not bad, (f"{len(bad)}/{len(res)} neighbour requests failed while the "
                         f"attack ran; first: {bad[0][3]}")
        worst = max(r[1] for r in res)
        assert worst <= self.max_latency, (
            f"a neighbour request took {worst:.2f}s (> {self.max_latency}s) while the "
            f"attack ran: the server stopped serving other clients")

    def __enter__(self) -> "Neighbour":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def neighbour_calls(ctoken: str, user_id: str) -> list:
    """The usual neighbour mix: /healthz, and an authenticated read through
    the token check and the store (GET /v1/users/{user_id} -> 200)."""
    from urllib.parse import quote
    return [("GET", "/healthz", {}, None, 200),
            ("GET", "/v1/users/" + quote(user_id, safe=""),
             {"Authorization": "Bearer " + ctoken}, None, 200)]


def assert_alive(srv) -> None:
    """The process runs and answers /healthz."""
    assert srv.proc.poll() is None, f"bioauthd exited with {srv.proc.poll()}:\n" \
                                    f"{srv.log_text()[-3000:]}"
    assert srv.alive(), "bioauthd no longer answers /healthz"


# --------------------------------------------------------------------------
# JWS minting

def b64u(data: bytes) -> str:
    return h.b64url_encode(data)


def _json_bytes(obj: Any) -> bytes:
    if isinstance(obj, (bytes, bytearray)):
        return bytes(obj)
    if isinstance(obj, str):
        return obj.encode("utf-8")
    return json.dumps(obj, separators=(",", ":")).encode("utf-8")


#: The P-256 group order n (FIPS 186-4 D.1.2.3).
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def sign_bytes(alg: str, key: Any, data: bytes) -> bytes:
    """The JWS signature of `data`: ES256 (r||s, low-S as bioauthd makes
    and requires), RS256 (PKCS#1 v1.5), HS256 (`key` is the secret bytes)
    or none (empty)."""
    if alg == "ES256":
        r, s = utils.decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
        s = min(s, P256_ORDER - s)
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    if alg == "RS256":
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    if alg == "HS256":
        return hmac.new(key, data, hashlib.sha256).digest()
    if alg == "none":
        return b""
    raise ValueError(alg)


def jws(header: Any, payload: Any, key: Any = None, alg: Optional[str] = None,
        signature: Optional[bytes] = None) -> str:
    """A compact JWS of `header` and `payload` (dicts are serialised
    compactly; bytes/str are used as given). Signed with `key` under `alg`
    (default: the header's alg) unless `signature` is given."""
    hb, pb = _json_bytes(header), _json_bytes(payload)
    signing_input = (b64u(hb) + "." + b64u(pb)).encode("ascii")
    if signature is None:
        if alg is None:
            alg = json.loads(hb)["alg"]
        signature = sign_bytes(alg, key, signing_input)
    return signing_input.decode("ascii") + "." + b64u(signature)


def is_postgres(db: Any) -> bool:
    return h.db_path(db).startswith(("postgres://", "postgresql://"))


def db_query(db: Any, sql: str, params: tuple = ()) -> list:
    """Rows of a read-only query on the server's database, SQLite file or
    PostgreSQL URL (through psql; `params` are then inlined as quoted
    literals, so pass only test-made values). bytea/BLOB come back as bytes."""
    path = h.db_path(db)
    if not is_postgres(db):
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            return [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row)
                    for row in con.execute(sql, params).fetchall()]
        finally:
            con.close()
    for p in params:
        sql = sql.replace("?", "'" + str(p).replace("'", "''") + "'", 1)
    wrapped = f"SELECT coalesce(json_agg(to_json(t)), '[]') FROM ({sql}) t"
    out = subprocess.run(["psql", "-q", "-At", "-v", "ON_ERROR_STOP=1", path, "-c", wrapped],
                         check=True, capture_output=True, text=True).stdout
    rows = []
    for obj in json.loads(out):
        rows.append(tuple(bytes.fromhex(v[2:]) if isinstance(v, str) and v.startswith("\\x")
                          else v for v in obj.values()))
    return rows


def database_bytes(db: Any) -> bytes:
    """Everything a stolen copy of the database holds: the SQLite file with
    its WAL and shared-memory files, or a pg_dump of the PostgreSQL
    database."""
    path = h.db_path(db)
    if is_postgres(db):
        return subprocess.run(["pg_dump", "--data-only", path], check=True,
                              capture_output=True).stdout
    blob = b""
    for suffix in ("", "-wal", "-shm"):
        try:
            with open(path + suffix, "rb") as f:
                blob += f.read()
        except FileNotFoundError:
            pass
    return blob


def secrets_file_of(db: Any) -> str:
    """The secrets file the server of `db` seals its keys with: its
    --secrets-file, the session's on PostgreSQL, else `secrets` beside the
    SQLite database."""
    given = getattr(db, "secrets_file", None)
    if given:
        return str(given)
    path = h.db_path(db)
    if is_postgres(db):
        return h.pg_secrets_file()
    return os.path.join(os.path.dirname(path), "secrets")


def unseal(secrets_path: str, kid: str, sealed: str) -> bytes:
    """Opens a sealed private key (src/crypto/seal.h) with the secrets of
    the file: AES-256-GCM, key HMAC-SHA256(secret, "bioauth seal key v1"),
    key id HMAC-SHA256(secret, "bioauth seal id v1")[:8], aad the kid."""
    assert sealed.startswith("sealed.v1."), "private key stored in clear"
    raw = h.b64url_decode(sealed[len("sealed.v1."):])
    with open(secrets_path) as f:
        lines = [l.strip() for l in f if l.strip() and not l.startswith("#")]
    for s in lines:
        sb = s.encode()
        if hmac.new(sb, b"bioauth seal id v1", hashlib.sha256).digest()[:8] != raw[:8]:
            continue
        key = hmac.new(sb, b"bioauth seal key v1", hashlib.sha256).digest()
        return AESGCM(key).decrypt(raw[8:20], raw[20:], kid.encode())
    raise AssertionError(f"no secret of {secrets_path} sealed key {kid}")


def server_keys(db: Any) -> dict:
    """The server's signing keys from its database, unsealed with its
    secrets file: kid -> {"alg", "key" (private key object), "retired_at"}."""
    rows = db_query(db, "SELECT kid, alg, private_pem, retired_at FROM signing_keys")
    secrets_path = secrets_file_of(db)
    out = {}
    for kid, alg, sealed, retired in rows:
        pem = unseal(secrets_path, kid, sealed)
        out[kid] = {"alg": alg, "retired_at": retired,
                    "key": serialization.load_pem_private_key(pem, None)}
    return out


def public_pem(key: Any) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def public_der(key: Any) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


def foreign_key(alg: str = "ES256") -> Any:
    """A freshly generated key of the attacker."""
    if alg == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())
