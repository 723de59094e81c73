"""Storage faults, SQLite backend, black-box.

For each fault: every write is refused with 503 ``storage_unavailable``
(never a 500, never a hang), ``GET /readyz`` answers 503
``storage_unavailable``, reads are still served, nothing is half-written
(each refused write is checked afterwards to have left no trace: the user
does not exist, the key is not listed, the challenge and refresh token are
still usable, the deleted key and the logged-out session still work), the
server logs the cause, and it recovers when the fault goes (``/readyz`` 200,
writes work) -- in place where the fault can go away under a running
server.

How each fault is made (the tests run as root, and root ignores file modes):

read-only database while running
    ``chattr +i`` on the database file and its -wal. The immutable flag
    refuses writes even through descriptors opened before it was set, and
    even for root (ext4, xfs, btrfs, tmpfs >= 6.0). The -shm is left alone:
    SQLite maps it, and a store into a mapped page of an immutable file is a
    SIGBUS from the kernel (ext4_page_mkwrite), which no program survives;
    the -shm is shared memory, not data. chmod cannot make this fault: it
    is checked at open() only, and the server keeps its files open.
read-only database at start
    bioauthd runs as uid 65534 (``setpriv``, no fork, so the PID is
    bioauthd's) in a directory that user owns; the files are chmod 0444.
full disk
    the data directory is a 4 MiB tmpfs (``mount -t tmpfs``); a filler file
    takes every free block; deleting it is the recovery.
locked database
    a separate process holds ``BEGIN EXCLUSIVE`` (the WAL write lock) for
    longer than the server's busy timeout (5 s); readers are not blocked.
missing / unwritable data directory at start
    ``--db /nonexistent/dir/x.db``; a root-owned 0755 directory for a server
    running as uid 65534; a directory with ``chattr +i`` for a root server.

A test is skipped only when its mechanism is unavailable here (no mount
permission, no chattr support, cannot switch uid), with the reason.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import shutil
import stat
import time
import urllib.parse
from pathlib import Path
from typing import Any, Optional

import pytest
import requests

import conftest  # free_port (shared fixtures; not ours)
import crash_helpers as ch
import helpers as h
import mb_helpers as mb

pytestmark = pytest.mark.sqlite_only

MB = mb.MB
#: valgrind (BIOAUTH_VALGRIND=1) makes every request many times slower.
SLOW = 6 if getattr(conftest, "VALGRIND", False) else 1
TIMEOUT = 30 * SLOW       # a write may wait the 5 s busy timeout, twice
BUSY_TIMEOUT = 5.0        # src/store/sqlite.c DEFAULT_BUSY_MS
RECOVERY_TIMEOUT = 15 * SLOW
PASSWORD = "storage fault password"
SERVER_OPTS = dict(issuer=ch.ISSUER, lockout_threshold=1000)


# --------------------------------------------------------------------------
# a small world of state, writes against it, and what they must leave

class World:
    """An app, two users, keys, a pending /start challenge and live sessions
    on one server (``srv`` may be replaced after a restart: set ``.srv``)."""

    def __init__(self, srv, db: str):
        self.srv = srv
        self.db = db
        self.app = h.ctl(db, "app", "create", "--name", h.unique_name("fault"),
                         "--resource", "https://api.fault.test", "--max-authenticators", "50")
        self.ctoken = h.client_token(srv, self.app)
        self.username = h.unique_name("fu")
        self.user_id = h.create_user(srv, self.ctoken, username=self.username,
                                     password=PASSWORD)["user_id"]
        self.victim_id = h.create_user(srv, self.ctoken, username=h.unique_name("fv"))["user_id"]
        login = h.password_login(srv, self.ctoken, self.username, PASSWORD)
        self.utoken = login["access_token"]
        self.devs = [mb.Device("ios", "ec"), mb.Device("android", "ec"), mb.Device("android", "rsa")]
        for d in self.devs:
            r = self.post(MB + "/register", d.register_body(), self.utoken)
            assert r.status_code == 200, f"register: {r.status_code} {r.text}"
        self.pending_start = self.start_challenge()
        self.refresh_a = self.login(self.devs[0])["refresh_token"]
        self.session_b = self.login(self.devs[0])
        self.acked_users = [self.user_id, self.victim_id]
        self.results: dict = {}
        self.new_user_id = mb.unique("fault-new")
        self.new_dev = mb.Device("ios", "ec")
        self.client_challenge = mb.client_challenge(40)

    # -- HTTP --

    def post(self, path: str, body: Any, token: Optional[str] = None, timeout=TIMEOUT):
        return requests.post(self.srv.url + path, json=body,
                             headers=h.bearer(token or self.ctoken), timeout=timeout)

    def get(self, path: str, token: Optional[str] = None):
        return requests.get(self.srv.url + path, headers=h.bearer(token or self.ctoken),
                            timeout=TIMEOUT)

    def start_challenge(self) -> str:
        r = self.post(MB + "/start", {"user_id": self.user_id})
        assert r.status_code == 200, f"/start: {r.status_code} {r.text}"
        return r.json()["challenge"]

    def auth(self, dev, challenge: str):
        return self.post(MB + "/authenticate", mb.auth_body(self.user_id, dev, challenge))

    def login(self, dev) -> dict:
        r = self.auth(dev, self.start_challenge())
        assert r.status_code == 200, f"login: {r.status_code} {r.text}"
        return r.json()

    def listed(self) -> set:
        r = self.get(f"/v1/users/{urllib.parse.quote(self.user_id)}/authenticators")
        assert r.status_code == 200, f"list: {r.status_code} {r.text}"
        return {a["publicKeyId"] for a in r.json()["authenticators"]}

    def user_exists(self, user_id: str) -> bool:
        r = h.get_user(self.srv, self.ctoken, user_id)
        assert r.status_code in (200, 404), f"GET user: {r.status_code} {r.text}"
        return r.status_code == 200

    def refresh(self, token: str):
        return self.post("/v1/auth/token/refresh", {"refresh_token": token})

    # -- the writes a fault must refuse --

    def write_ops(self) -> dict:
        d0, d1 = self.devs[0], self.devs[1]
        return {
            "create_user": lambda: self.post("/v1/users", {"user_id": self.new_user_id,
                                                           "username": h.unique_name("fn")}),
            "delete_user": lambda: requests.delete(
                self.srv.url + "/v1/users/" + urllib.parse.quote(self.victim_id),
                headers=h.bearer(self.ctoken), timeout=TIMEOUT),
            "register": lambda: self.post(MB + "/register", self.new_dev.register_body(),
                                          self.utoken),
            "start": lambda: self.post(MB + "/start", {"user_id": self.user_id}),
            "auth_start": lambda: self.auth(d0, self.pending_start),
            "auth_client": lambda: self.auth(d0, self.client_challenge),
            "delete_key": lambda: requests.delete(
                self.srv.url + MB + "/delete", json={"publicKeyId": d1.key_id},
                headers=h.bearer(self.utoken), timeout=TIMEOUT),
            "refresh": lambda: self.refresh(self.refresh_a),
            "logout": lambda: self.post("/v1/auth/session/logout",
                                        {"session_id": self.session_b["session_id"]}),
            "password_login": lambda: self.post("/v1/auth/password/authenticate",
                                                {"username": self.username,
                                                 "password": PASSWORD}),
        }

    def attempt_writes(self, only: Optional[list] = None) -> dict:
        """Sends every write at once (so a blocked writer costs one busy
        timeout, not one per write); returns {name: (response or exception,
        seconds)} and merges it into .results (the first answer per name
        is the one the state is checked against)."""
        ops = self.write_ops()
        names = only or list(ops)

        def timed(fn):
            t0 = time.monotonic()
            try:
                return fn(), time.monotonic() - t0
            except requests.RequestException as e:
                return e, time.monotonic() - t0

        with concurrent.futures.ThreadPoolExecutor(len(names)) as pool:
            futs = {n: pool.submit(timed, ops[n]) for n in names}
            out = {n: f.result() for n, f in futs.items()}
        for n, res in out.items():
            self.results.setdefault(n, res)
        return out

    # -- reads that must go on --

    def check_reads(self) -> None:
        srv = self.srv
        assert srv.get("/healthz").status_code == 200
        r = h.get_user(srv, self.ctoken, self.user_id)
        assert r.status_code == 200, f"GET user during the fault: {r.status_code} {r.text}"
        assert self.devs[0].key_id in self.listed()
        assert srv.get("/oidc/jwks").status_code == 200
        assert srv.get("/oidc/.well-known/openid-configuration").status_code == 200
        r = h.client_token_response(srv, self.app)
        assert r.status_code == 200, f"client token during the fault: {r.status_code} {r.text}"
        r = h.introspect(srv, self.app, self.utoken)
        assert r.status_code == 200 and r.json().get("active") is True, \
            f"introspection during the fault: {r.status_code} {r.text}"

    # -- after recovery: each write's outcome is all there or not at all --

    def check_outcomes(self) -> list:
        """Checks the state each attempted write must have left; returns the
        names checked. A 2xx write must be complete, a 503 one absent."""
        checked = []
        d0, d1 = self.devs[0], self.devs[1]
        for name, (resp, _) in self.results.items():
            assert isinstance(resp, requests.Response), f"{name}: no answer ({resp!r})"
            done = 200 <= resp.status_code < 300
            label = f"{name} answered {resp.status_code}"
            if name == "create_user":
                assert self.user_exists(self.new_user_id) == done, f"{label}: user state"
                if done:
                    self.acked_users.append(self.new_user_id)
            elif name == "delete_user":
                assert self.user_exists(self.victim_id) == (not done), f"{label}: user state"
                if done:
                    self.acked_users.remove(self.victim_id)
            elif name == "register":
                listed = self.new_dev.key_id in self.listed()
                works = self.auth(self.new_dev, self.start_challenge()).status_code == 200
                assert listed == works == done, f"{label}: listed={listed} login={works}"
            elif name == "start":
                if done:
                    r = self.auth(d0, resp.json()["challenge"])
                    assert r.status_code == 200, f"{label}: its challenge {r.status_code}"
            elif name == "auth_start":
                r = self.auth(d0, self.pending_start)
                want = (400, "challenge_reused") if done else (200, None)
                got = (r.status_code, r.json().get("error_code") if r.status_code != 200 else None)
                assert got == want, f"{label}: /start challenge afterwards {got}, want {want}"
            elif name == "auth_client":
                r = self.auth(d0, self.client_challenge)
                want = 400 if done else 200
                assert r.status_code == want, (f"{label}: (key, client challenge) afterwards "
                                               f"{r.status_code} {r.text[:200]}")
            elif name == "delete_key":
                listed = d1.key_id in self.listed()
                works = self.auth(d1, self.start_challenge()).status_code == 200
                assert listed == works == (not done), f"{label}: listed={listed} login={works}"
            elif name == "refresh":
                r = self.refresh(self.refresh_a)
                if done:
                    assert r.status_code == 400, f"{label}: rotated token {r.status_code}"
                else:
                    assert r.status_code == 200, (f"{label}: the refresh token was half-used: "
                                                  f"{r.status_code} {r.text[:200]}")
            elif name == "logout":
                r = self.refresh(self.session_b["refresh_token"])
                assert (r.status_code == 200) == (not done), (
                    f"{label}: session afterwards {r.status_code} {r.text[:200]}")
            elif name == "password_login":
                if done:
                    r = self.refresh(resp.json()["refresh_token"])
                    assert r.status_code == 200, f"{label}: its session {r.status_code}"
            checked.append(name)
        for uid in self.acked_users:
            assert self.user_exists(uid), f"acknowledged user {uid} lost"
        return checked


def assert_refused(results: dict, allow_success: bool = False,
                   max_seconds: float = BUSY_TIMEOUT + 8 * SLOW) -> None:
    """Every write answered 503 storage_unavailable (or, with
    allow_success, a 2xx) in bounded time: never a 500, never a hang."""
    bad = []
    for name, (resp, secs) in results.items():
        if not isinstance(resp, requests.Response):
            bad.append(f"{name}: no answer after {secs:.1f} s ({resp!r})")
            continue
        if allow_success and 200 <= resp.status_code < 300:
            continue
        try:
            body = resp.json()
        except ValueError:
            body = {}
        if resp.status_code != 503 or body.get("error_code") != "storage_unavailable" \
                or not body.get("message"):
            bad.append(f"{name}: {resp.status_code} {resp.text[:200]}")
        elif secs > max_seconds:
            bad.append(f"{name}: 503 only after {secs:.1f} s")
    assert not bad, "writes during the fault:\n  " + "\n  ".join(bad)


def assert_not_ready(srv) -> None:
    r = srv.get("/readyz")
    assert r.status_code == 503, f"/readyz during the fault: {r.status_code} {r.text}"
    h.assert_error(r, 503, "storage_unavailable")


def assert_recovers(world: World) -> None:
    """/readyz 200 again (a write probe committed), and a write works."""
    r = ch.wait_status(lambda: world.srv.get("/readyz"), 200, RECOVERY_TIMEOUT)
    assert r.status_code == 200, (f"/readyz still {r.status_code} {RECOVERY_TIMEOUT} s after "
                                  f"the fault went: {r.text}")
    r = world.post("/v1/users", {"username": h.unique_name("after")})
    assert r.status_code == 201, f"write after recovery: {r.status_code} {r.text}"
    world.acked_users.append(r.json()["result"]["user_id"])


def assert_logged_storage_error(srv) -> None:
    """The server said why, in its JSON log, at level error."""
    lines = [json.loads(l) for l in srv.log_text().splitlines() if l.strip()]
    errs = [l for l in lines if l.get("level") == "error" and
            ("sqlite" in l.get("msg", "") or l.get("error") == "storage_unavailable")]
    assert errs, "no error log line about the storage fault:\n" + srv.log_text()[-2000:]


def db_files(db: str, names=("", "-wal")) -> list:
    return [db + n for n in names if os.path.exists(db + n)]


# --------------------------------------------------------------------------
# read-only database file while the server runs

def _immutable_or_skip(directory: Path) -> None:
    why = ch.chattr_works(directory)
    if why:
        pytest.skip(why)


def test_readonly_database_while_running(tmp_path):
    runs = ch.ServerRuns(tmp_path, **SERVER_OPTS)
    _immutable_or_skip(runs.data_dir)
    try:
        srv = runs.start()
        w = World(srv, runs.db)
        files = db_files(runs.db)
        assert len(files) == 2, f"expected the database and its -wal: {files}"
        with ch.immutable(files):
            assert_refused(w.attempt_writes())
            assert_not_ready(srv)
            w.check_reads()
            assert_not_ready(srv)      # the probe it queued failed too
        assert_recovers(w)
        w.check_outcomes()
        assert_logged_storage_error(srv)
        runs.stop()
    finally:
        ch.release_immutable(db_files(runs.db, ("", "-wal", "-shm")))
        runs.close()
    assert ch.integrity_check(runs.db) == []


def test_readyz_reports_readonly_database_without_writes(tmp_path):
    """/readyz must notice a read-only database by itself: a load balancer
    asks /readyz precisely so that no client write has to fail first."""
    runs = ch.ServerRuns(tmp_path, **SERVER_OPTS)
    _immutable_or_skip(runs.data_dir)
    try:
        srv = runs.start()
        World(srv, runs.db)
        assert srv.get("/readyz").status_code == 200
        with ch.immutable(db_files(runs.db)):
            r = ch.wait_status(lambda: srv.get("/readyz"), 503, 10 * SLOW, interval=0.5)
            assert r.status_code == 503, (
                "/readyz still answers 200 10 s after the database became read-only, "
                "because no write failed yet (the store only probes after a failed write)")
        runs.stop()
    finally:
        ch.release_immutable(db_files(runs.db, ("", "-wal", "-shm")))
        runs.close()


# --------------------------------------------------------------------------
# read-only database file at start (an unprivileged server, chmod 0444)

def _unprivileged_or_skip() -> None:
    why = ch.unprivileged_works()
    if why:
        pytest.skip(why)


def _readonly_at_start(tmp_path, d: Path):
    """A database made by a server running as uid 65534 in `d`, stopped,
    chmod 0444, and a new server started on it. Returns (runs, world)."""
    data = d / "data"
    data.mkdir()
    os.chown(data, ch.NOBODY_UID, ch.NOBODY_GID)
    runs = ch.ServerRuns(d / "runs", data_dir=data, server_class=ch.UnprivilegedServer,
                         **SERVER_OPTS)
    try:
        srv = runs.start()
        w = World(srv, runs.db)
        runs.stop()
        for f in db_files(runs.db, ("", "-wal", "-shm")):
            os.chmod(f, 0o444)
        w.srv = runs.start()
    except BaseException:
        runs.close()
        raise
    return runs, w


def _make_writable(db: str) -> None:
    for f in db_files(db, ("", "-wal", "-shm")):
        os.chmod(f, 0o600)


def test_readonly_database_at_start(tmp_path):
    _unprivileged_or_skip()
    d = ch.unprivileged_dir("bioauth-ro-")
    runs = None
    try:
        runs, w = _readonly_at_start(tmp_path, d)
        srv = w.srv
        assert_not_ready(srv)            # known at open: no write needed
        assert_refused(w.attempt_writes())
        w.check_reads()
        assert_not_ready(srv)
        assert_logged_storage_error(srv)
        log = srv.log_text()
        assert "read-only" in log, "no log line saying the database is read-only"
        runs.stop()
        _make_writable(runs.db)
        w.srv = runs.start()
        assert_recovers(w)
        w.check_outcomes()
        runs.stop()
        assert ch.integrity_check(runs.db, snapshot=True) == []
    finally:
        if runs is not None:
            runs.close()
        shutil.rmtree(d, ignore_errors=True)


def test_readonly_database_at_start_recovers_without_restart(tmp_path):
    """When the operator fixes the file mode, the running server must become
    ready again (its readiness probe, not a restart, is what a load balancer
    or an orchestrator waits for)."""
    _unprivileged_or_skip()
    d = ch.unprivileged_dir("bioauth-ro-")
    runs = None
    try:
        runs, w = _readonly_at_start(tmp_path, d)
        assert_refused(w.attempt_writes(["create_user"]))
        _make_writable(runs.db)
        assert_recovers(w)
        w.check_outcomes()
        runs.stop()
    finally:
        if runs is not None:
            runs.close()
        shutil.rmtree(d, ignore_errors=True)


# --------------------------------------------------------------------------
# full disk

def test_full_disk(tmp_path):
    mnt = tmp_path / "mnt"
    with ch.tmpfs(mnt, "4m"):
        runs = ch.ServerRuns(tmp_path, data_dir=mnt / "data", **SERVER_OPTS)
        filler = mnt / "filler"
        try:
            srv = runs.start()
            w = World(srv, runs.db)

            # 1. Fill the disk under the running server.
            assert ch.fill_filesystem(filler) > 0
            results = w.attempt_writes()
            assert_refused(results, allow_success=True)   # a WAL may reuse its frames
            extra = []
            while not any(isinstance(r, requests.Response) and r.status_code == 503
                          for r, _ in list(results.values()) + extra):
                assert len(extra) < 200, "200 writes succeeded on a full disk"
                uid = mb.unique("fill")
                r = w.post("/v1/users", {"user_id": uid, "username": h.unique_name("fill")})
                assert r.status_code in (201, 503), f"write on a full disk: {r.status_code} {r.text}"
                if r.status_code == 201:
                    w.acked_users.append(uid)
                else:
                    h.assert_error(r, 503, "storage_unavailable")
                extra.append((r, 0))
            assert_not_ready(srv)
            w.check_reads()

            # 2. Free the space: in-place recovery, every outcome whole.
            filler.unlink()
            assert_recovers(w)
            w.check_outcomes()
            assert_logged_storage_error(srv)

            # 3. Full again, then SIGKILL: nothing acknowledged lost.
            ch.fill_filesystem(filler)
            for _ in range(20):
                uid = mb.unique("full2")
                r = w.post("/v1/users", {"user_id": uid, "username": h.unique_name("f2")})
                assert r.status_code in (201, 503), f"{r.status_code} {r.text}"
                if r.status_code == 201:
                    w.acked_users.append(uid)
                else:
                    assert not w.user_exists(uid)
                    break
            runs.kill()

            # 4. A restart on the still-full disk either starts degraded or
            #    exits non-zero with a log line; never hangs or crashes.
            srv = runs.start(wait=False)
            deadline = time.monotonic() + 30 * SLOW
            while time.monotonic() < deadline and srv.proc.poll() is None and not srv.alive():
                time.sleep(0.1)
            if srv.proc.poll() is None:
                assert srv.alive(), "bioauthd on a full disk neither started nor exited in 30 s"
                w.srv = srv
                r = w.post("/v1/users", {"username": h.unique_name("f3")})
                assert r.status_code in (201, 503), f"{r.status_code} {r.text}"
                if r.status_code == 201:
                    w.acked_users.append(r.json()["result"]["user_id"])
                else:
                    assert_not_ready(srv)
                runs.kill()
            else:
                assert srv.proc.returncode not in (0, None) and srv.proc.returncode > 0, \
                    f"bioauthd on a full disk exited {srv.proc.returncode}"
                srv.returncode = srv.proc.returncode
                srv.expect_exit = srv.returncode
                srv.check()
                assert '"level":"error"' in srv.log_text(), srv.log_text()[-2000:]
                runs.current = None

            # 5. Space back, restart: everything acknowledged is there.
            filler.unlink()
            w.srv = runs.start()
            for uid in w.acked_users:
                assert w.user_exists(uid), f"acknowledged user {uid} lost after the full disk"
            assert_recovers(w)

            # 6. SIGTERM while the disk is full: a clean, bounded exit.
            ch.fill_filesystem(filler)
            r = w.post("/v1/users", {"username": h.unique_name("f4")})
            assert r.status_code in (201, 503), f"{r.status_code} {r.text}"
            if r.status_code == 201:
                w.acked_users.append(r.json()["result"]["user_id"])
            runs.stop()
            filler.unlink()
            w.srv = runs.start()
            for uid in w.acked_users:
                assert w.user_exists(uid), f"acknowledged user {uid} lost after SIGTERM"
            runs.stop()
            assert ch.integrity_check(runs.db) == []
        finally:
            runs.close()


# --------------------------------------------------------------------------
# locked database

def test_locked_database(tmp_path):
    runs = ch.ServerRuns(tmp_path, **SERVER_OPTS)
    try:
        srv = runs.start()
        w = World(srv, runs.db)
        with ch.SqliteLocker(runs.db) as lock:
            results = w.attempt_writes()
            assert_refused(results, max_seconds=2 * BUSY_TIMEOUT + 8 * SLOW)
            waited = min(secs for _, secs in results.values())
            assert waited >= BUSY_TIMEOUT - 1, (
                f"a write failed after {waited:.1f} s, before the busy timeout")
            assert_not_ready(srv)
            w.check_reads()
            held = time.monotonic() - lock.locked_at
            assert held > BUSY_TIMEOUT
        assert_recovers(w)
        w.check_outcomes()
        assert_logged_storage_error(srv)
        runs.stop()
    finally:
        runs.close()
    assert ch.integrity_check(runs.db) == []


# --------------------------------------------------------------------------
# missing or unwritable data directory at start

def _assert_start_failure(rc, err: str, mentions: str) -> None:
    assert rc is not None, "bioauthd neither started nor exited within 30 s:\n" + err[-2000:]
    assert rc == 1, f"bioauthd exited {rc}, want 1 (start-up failure):\n{err[-2000:]}"
    lines = [json.loads(l) for l in err.splitlines() if l.strip()]
    errors = [l for l in lines if l.get("level") == "error"]
    assert errors, f"no error log line:\n{err}"
    assert any(mentions in json.dumps(l) for l in errors), (
        f"no error line names {mentions!r}:\n{err}")
    assert any("database" in l.get("msg", "") or "data directory" in l.get("msg", "")
               for l in errors), f"no error line says what failed:\n{err}"


def test_missing_database_directory(tmp_path):
    rc, err = ch.start_expect_exit([f"--listen=127.0.0.1:{conftest.free_port()}",
                                    f"--data-dir={tmp_path / 'data'}",
                                    "--db=/nonexistent/dir/x.db"], cwd=tmp_path)
    _assert_start_failure(rc, err, "/nonexistent/dir/x.db")
    assert not Path("/nonexistent/dir").exists(), "bioauthd created a tree for --db"


def test_missing_data_directory_is_created(tmp_path, bioauthd):
    """The default database's directory is created (0700) on first start."""
    data = tmp_path / "new" / "deeper" / "data"
    srv = bioauthd(data_dir=data, db=None)
    assert srv.get("/readyz").status_code == 200
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert (data / "bioauth.db").exists()


def test_data_directory_uncreatable(tmp_path):
    parent = tmp_path / "ro-parent"
    parent.mkdir()
    _immutable_or_skip(tmp_path)
    with ch.immutable([parent]):
        rc, err = ch.start_expect_exit([f"--listen=127.0.0.1:{conftest.free_port()}",
                                        f"--data-dir={parent / 'data'}"], cwd=tmp_path)
    _assert_start_failure(rc, err, str(parent / "data"))


def test_unwritable_data_directory_unprivileged(tmp_path):
    """A root-owned 0755 directory, bioauthd as uid 65534."""
    _unprivileged_or_skip()
    d = Path(ch.unprivileged_dir("bioauth-uw-"))
    try:
        data = d / "data"
        data.mkdir()                      # root-owned, 0755: not writable for 65534
        os.chmod(data, 0o755)
        rc, err = ch.start_expect_exit(
            [f"--listen=127.0.0.1:{conftest.free_port()}", f"--data-dir={data}"],
            prefix=["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        _assert_start_failure(rc, err, str(data / "bioauth.db"))

        # The database exists and is writable, but its directory is not:
        # SQLite cannot create the -wal and -shm beside it.
        h.ctl(str(data / "bioauth.db"), "app", "create", "--name", "x")
        for f in db_files(str(data / "bioauth.db"), ("-wal", "-shm")):
            os.unlink(f)
        os.chown(data / "bioauth.db", ch.NOBODY_UID, ch.NOBODY_GID)
        rc, err = ch.start_expect_exit(
            [f"--listen=127.0.0.1:{conftest.free_port()}", f"--data-dir={data}"],
            prefix=["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        _assert_start_failure(rc, err, str(data / "bioauth.db"))
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_unwritable_data_directory_immutable(tmp_path):
    """An empty data directory with chattr +i, bioauthd as root."""
    data = tmp_path / "data"
    data.mkdir()
    _immutable_or_skip(tmp_path)
    with ch.immutable([data]):
        rc, err = ch.start_expect_exit([f"--listen=127.0.0.1:{conftest.free_port()}",
                                        f"--data-dir={data}"], cwd=tmp_path)
    _assert_start_failure(rc, err, str(data / "bioauth.db"))

