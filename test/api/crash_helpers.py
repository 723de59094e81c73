"""crash_helpers.py - helpers of the crash-safety and storage-fault tests
(test_crash_safety.py, test_storage_faults.py).

Everything here drives a real bioauthd from the outside: it starts, kills
and restarts the binary of ``$BIOAUTH_BUILD`` (through conftest's
``BioauthServer``), changes the file system under it, locks its database
from another process, and opens the database file only after the server is
gone (or a copy of it), to run SQLite's own checks.

Public API
----------
``ISSUER``                 fixed issuer, so tokens survive restarts on new ports
``ServerRuns(base, **opts)`` successive bioauthd processes on one database
                           (SQLite; with allow_pg=True one PostgreSQL
                           database when BIOAUTH_TEST_PG_URL is set):
                           ``.start()``, ``.kill()`` (SIGKILL), ``.stop()``
                           (SIGTERM), ``.current``, ``.close()``; every
                           process is checked for sanitizer reports
``UnprivilegedServer``     a BioauthServer run as another uid (setpriv)
``start_expect_exit(cmd)`` runs a bioauthd that must not start; returns
                           (exit code, stderr text)
``integrity_check(db, snapshot=False)`` SQLite ``integrity_check`` and
                           ``foreign_key_check`` -> list of problems
``session_invariants(db)`` white-box: live sessions without a usable refresh
                           token -> list of problems
``tmpfs(path, size)``      context manager mounting a small tmpfs (skips the
                           test with the reason when mounting is impossible)
``immutable(paths)``       context manager: ``chattr +i`` (read-only even for
                           root), always undone
``chattr_works(dir)``, ``unprivileged_works(uid)`` capability probes
``SqliteLocker(db)``       another process holding ``BEGIN EXCLUSIVE``
``wait_status(fn, status, timeout)`` polls until a response has `status`
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

import pytest
import requests

import conftest  # BioauthServer, BIOAUTHD (shared fixtures; not ours)

#: Tokens carry `iss`; a fixed issuer keeps them valid across restarts (each
#: restart listens on a new port).
ISSUER = "http://bioauth-crash.test"
NOBODY_UID = 65534
NOBODY_GID = 65534


# --------------------------------------------------------------------------
# processes

class ServerRuns:
    """Successive bioauthd processes sharing one data directory and database.

    ``start()`` launches a new process (new port, its own stderr file under
    ``base/runNNN``) and waits for /healthz; ``kill()`` SIGKILLs the current
    one; ``stop()`` SIGTERMs it and expects exit 0. Each finished process is
    checked for sanitizer reports (conftest's ``check``). ``close()`` kills
    whatever still runs (use in ``finally``)."""

    def __init__(self, base: Path, data_dir: Optional[Path] = None,
                 server_class: type = None, allow_pg: bool = False, **opts: Any):
        self.base = Path(base)
        self.data_dir = Path(data_dir) if data_dir else self.base / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        #: With allow_pg and BIOAUTH_TEST_PG_URL set, every run shares one
        #: fresh PostgreSQL database (conftest would give each server its
        #: own); otherwise they share the SQLite file.
        self.postgres = allow_pg and getattr(conftest, "PG_URL", None) is not None
        if self.postgres:
            self.db = conftest.fresh_pg_database()
        else:
            self.db = str(self.data_dir / "bioauth.db")
        self.opts = opts
        self.server_class = server_class or conftest.BioauthServer
        self.runs: list = []
        self.current = None

    def start(self, **extra: Any):
        opts = dict(self.opts)
        opts.update(extra)
        srv = self.server_class(self.base / f"run{len(self.runs):03d}",
                                data_dir=self.data_dir, db=self.db, **opts)
        self.runs.append(srv)
        self.current = srv
        return srv

    def kill(self) -> None:
        """SIGKILL, reap, check the log for sanitizer reports."""
        srv = self.current
        if srv is None:
            return
        if srv.proc.poll() is None:
            os.kill(srv.proc.pid, signal.SIGKILL)
        srv.returncode = srv.proc.wait()
        srv.expect_exit = -signal.SIGKILL
        self.current = None
        srv.check()

    def stop(self, expect: int = 0) -> int:
        """SIGTERM; the process must exit with `expect` within conftest's
        STOP_TIMEOUT (else it is killed and the test fails)."""
        srv = self.current
        if srv is None:
            return 0
        srv.expect_exit = expect
        rc = srv.stop()
        self.current = None
        srv.check()
        return rc

    def close(self) -> None:
        for srv in self.runs:
            if srv.proc is not None and srv.proc.poll() is None:
                srv.proc.kill()
                srv.proc.wait()
        self.current = None


class UnprivilegedServer(conftest.BioauthServer):
    """A BioauthServer whose process runs as uid/gid 65534 (nobody), so that
    file modes apply to it (root ignores them). setpriv execs in place, so
    the PID is bioauthd's own and signals reach it directly."""

    uid = NOBODY_UID
    gid = NOBODY_GID

    def _start(self, wait: bool) -> None:
        # What the server itself writes there (valgrind's log) needs the
        # directory to be its own; its parents must be traversable for it
        # (see unprivileged_dir).
        os.chown(self.base_dir, self.uid, self.gid)
        super()._start(wait)

    def _command(self) -> list:
        return ["setpriv", f"--reuid={self.uid}", f"--regid={self.gid}",
                "--clear-groups", "--"] + super()._command()


def unprivileged_works(uid: int = NOBODY_UID, gid: int = NOBODY_GID) -> Optional[str]:
    """None when bioauthd can be executed as `uid`, else the reason why not."""
    if os.geteuid() != 0:
        return "not running as root: cannot switch to another uid"
    if shutil.which("setpriv") is None:
        return "setpriv (util-linux) is not installed"
    r = subprocess.run(["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups",
                        "--", str(conftest.BIOAUTHD), "--help"],
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        return f"bioauthd cannot run as uid {uid}: {r.stderr.strip()[:200]}"
    return None


def unprivileged_dir(prefix: str, uid: int = NOBODY_UID, gid: int = NOBODY_GID) -> Path:
    """A fresh directory under /tmp owned by `uid` (pytest's tmp_path is 0700
    root, which another uid cannot traverse), for the server's data and its
    run directories (``ServerRuns(d / "runs", data_dir=...)``). The caller
    removes it."""
    d = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    os.chown(d, uid, gid)
    os.chmod(d, 0o755)
    return d


def start_expect_exit(args: Iterable[str], timeout: float = 30,
                      prefix: Iterable[str] = (), cwd: Optional[Path] = None) -> tuple:
    """Runs ``bioauthd ARGS`` (after `prefix`, e.g. setpriv) that is expected
    to fail at start; returns (exit code, stderr text). A process that is
    still running after `timeout` is killed and reported as None."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BIOAUTH_")}
    cmd = [*prefix, str(conftest.BIOAUTHD), *args]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, env=env, text=True, cwd=cwd)
    try:
        out, err = proc.communicate(timeout=timeout)
        return proc.returncode, err
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        return None, err


# --------------------------------------------------------------------------
# database checks (only on a stopped server's file, or on a copy)

def integrity_check(db: Any, snapshot: bool = False) -> list:
    """Runs ``PRAGMA integrity_check`` and ``PRAGMA foreign_key_check``.

    With snapshot=False the file is opened read-only (the server must be
    stopped). With snapshot=True the database and its -wal are copied first
    and the copy is checked, so a killed server's files are left exactly as
    the crash left them for the next start. Returns the problems found
    (empty when the database is sound)."""
    db = str(db)
    tmp = None
    try:
        if snapshot:
            tmp = tempfile.mkdtemp(prefix="bioauth-snap")
            target = os.path.join(tmp, "snap.db")
            shutil.copyfile(db, target)
            if os.path.exists(db + "-wal"):
                shutil.copyfile(db + "-wal", target + "-wal")
            con = sqlite3.connect(target)
        else:
            con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
        try:
            rows = [r[0] for r in con.execute("PRAGMA integrity_check")]
            problems = [] if rows == ["ok"] else [f"integrity_check: {r}" for r in rows]
            problems += [f"foreign_key_check: {tuple(r)}"
                         for r in con.execute("PRAGMA foreign_key_check")]
        finally:
            con.close()
        return problems
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def session_invariants(db: Any) -> list:
    """White-box, on a stopped server's file: every live (not revoked)
    session must still have a refresh token that is not rotated (a login
    writes both in one transaction; a rotation marks one and inserts the
    next). Returns the problems; a schema without these tables yields []."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = con.execute(
            "SELECT s.session_id FROM sessions s WHERE s.revoked = 0 AND NOT EXISTS"
            " (SELECT 1 FROM refresh_tokens r WHERE r.session_id = s.session_id"
            "  AND r.rotated = 0)").fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        con.close()
    return [f"live session {r[0]} has no unrotated refresh token" for r in rows]


# --------------------------------------------------------------------------
# file-system faults

@contextlib.contextmanager
def tmpfs(path: Path, size: str = "2m"):
    """Mounts a tmpfs of `size` at `path` for the block; skips the test
    (with mount's error) when this environment cannot mount. The caller must
    have stopped every process using it before the block ends; a busy mount
    is detached lazily so it cannot outlive the test."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("full-disk test needs root to mount a small tmpfs")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755",
                        "bioauth-test", str(path)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({r.stderr.strip()}); "
                    "the full-disk test needs CAP_SYS_ADMIN")
    try:
        yield path
    finally:
        if subprocess.run(["umount", str(path)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)


def fill_filesystem(path: Path, chunk: int = 4096) -> int:
    """Writes `path` until the file system says ENOSPC; returns the bytes
    written. A tmpfs has no reserved blocks, so afterwards every block is
    used."""
    written = 0
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        block = b"\0" * chunk
        while True:
            try:
                written += os.write(fd, block)
            except OSError as e:
                if e.errno == 28:  # ENOSPC
                    if chunk > 1:
                        chunk //= 2
                        block = b"\0" * chunk
                        continue
                    break
                raise
    finally:
        os.close(fd)
    return written


def chattr_works(directory: Path) -> Optional[str]:
    """None when ``chattr +i`` works on files in `directory` (it needs root
    and a file system with the immutable flag, e.g. ext4, xfs, btrfs, tmpfs
    >= 6.0), else the reason why not."""
    if shutil.which("chattr") is None:
        return "chattr (e2fsprogs) is not installed"
    probe = Path(directory) / ".chattr-probe"
    probe.write_bytes(b"x")
    try:
        r = subprocess.run(["chattr", "+i", str(probe)], capture_output=True, text=True)
        if r.returncode != 0:
            return f"chattr +i is not supported here: {r.stderr.strip()}"
        try:
            with open(probe, "ab") as f:
                f.write(b"y")
            return "chattr +i did not make the file read-only"
        except OSError:
            return None
    finally:
        subprocess.run(["chattr", "-i", str(probe)], capture_output=True)
        probe.unlink()


@contextlib.contextmanager
def immutable(paths: Iterable[Any]):
    """``chattr +i`` on `paths` for the block, ``chattr -i`` after (also on
    failure). The immutable flag refuses writes even to file descriptors
    opened before it was set, and even for root."""
    paths = [str(p) for p in paths]
    subprocess.run(["chattr", "+i", *paths], check=True, capture_output=True)
    try:
        yield paths
    finally:
        release_immutable(paths)


def release_immutable(paths: Iterable[Any]) -> None:
    subprocess.run(["chattr", "-i", *[str(p) for p in paths]], capture_output=True)


# --------------------------------------------------------------------------
# a lock held by another process

_LOCKER = r"""
import sqlite3, sys
con = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
con.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
con.execute("ROLLBACK")
con.close()
print("released", flush=True)
"""


class SqliteLocker:
    """A separate process that holds ``BEGIN EXCLUSIVE`` on `db` (in WAL mode
    this is the write lock: readers go on, writers wait for the busy timeout
    and fail) until ``release()``."""

    def __init__(self, db: Any):
        self.proc = subprocess.Popen([sys.executable, "-c", _LOCKER, str(db)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if line.strip() != "locked":
            self.proc.kill()
            err = self.proc.communicate()[1]
            raise AssertionError(f"could not lock {db}: {line!r} {err!r}")
        self.locked_at = time.monotonic()

    def release(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.release()


# --------------------------------------------------------------------------
# polling

def wait_status(fn: Callable[[], requests.Response], status: int,
                timeout: float = 15, interval: float = 0.2) -> requests.Response:
    """Calls `fn` until its response has `status` or `timeout` passed;
    returns the last response (the caller asserts)."""
    deadline = time.monotonic() + timeout
    while True:
        r = fn()
        if r.status_code == status or time.monotonic() >= deadline:
            return r
        time.sleep(interval)
