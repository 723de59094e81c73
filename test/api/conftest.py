"""Fixtures of the black-box API tests: start a real bioauthd, talk HTTP.

Every server runs the binary of ``$BIOAUTH_BUILD`` (default ``<repo>/build``)
on ``127.0.0.1`` at a free port, with its own temporary data directory and
SQLite database, and is stopped by PID (SIGTERM, then SIGKILL after a
timeout). A server that exits non-zero, has to be killed, or prints an
AddressSanitizer / UndefinedBehaviorSanitizer / LeakSanitizer report fails
the test that owns it.

Fixtures
--------
``server``    (module scope) one default server shared by the tests of a
              module. A module may set ``BIOAUTHD_OPTS = {...}`` (options as
              for ``bioauthd()`` below) to start it differently.
``bioauthd``  (function scope) a factory: ``srv = bioauthd(body_limit=1024)``
              starts a server for this test only; any number may be started.
              Stopped and checked when the test ends.
``bioauthd_module`` the same factory with module scope (for module-scoped
              fixtures that need a specially configured server).

Options of ``bioauthd(**opts)``
-------------------------------
Keyword ``name=value`` becomes ``--name-with-dashes=value``: ``True`` /
``False`` become ``true`` / ``false``, ``None`` drops the flag. Special keys:
``args`` (list of extra raw arguments), ``env`` (dict of extra environment
variables; BIOAUTH_* variables of the outer environment are never passed on),
``db`` (default ``<data_dir>/bioauth.db``; ``db=None`` omits ``--db`` so the
server uses its default under ``--data-dir``), ``data_dir`` (default a fresh
temporary directory), ``wait`` (default True: wait until /healthz answers).

valgrind
--------
With ``BIOAUTH_VALGRIND=1`` every server runs under valgrind memcheck (log in
``<base_dir>/valgrind.log``); a server whose log shows an error or a
definite leak at exit fails its test, as a sanitizer report does.

PostgreSQL
----------
With ``BIOAUTH_TEST_PG_URL`` set (a ``postgres://`` URL whose role may create
databases, e.g. from ``scripts/pg-test-cluster.sh start DIR``), every server
started with the default database gets a fresh PostgreSQL database instead of
a SQLite file, so the same suite runs against both backends. Tests that need
the SQLite file itself carry ``@pytest.mark.sqlite_only`` and are skipped
then.

The server object (``BioauthServer``)
-------------------------------------
On PostgreSQL a server gets ``--secrets-file`` (the signing keys are
sealed under it) unless the test gives one: the session's shared file,
``helpers.pg_secrets_file()``, which ``helpers.ctl`` passes too.

``.url`` base URL without trailing slash, ``.port``, ``.host``, ``.proc``
(``subprocess.Popen``), ``.pid``, ``.data_dir`` and ``.db`` (``pathlib.Path``
/ str), ``.stderr_path`` (the captured stderr, JSON log lines), and methods
``.get(path, **kw)`` / ``.post`` / ``.request(method, path, **kw)`` (requests
with a timeout), ``.log_text()``, ``.log_lines()`` (parsed JSON objects;
non-JSON lines raise), ``.signal(sig)``, ``.stop(timeout=15)`` -> exit code,
``.alive()`` (True when /healthz answers 200). A test that expects a non-zero
exit sets ``srv.expect_exit = <code>`` before stopping it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any, Optional

import pytest
import requests

REPO = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get("BIOAUTH_TEST_PG_URL") or None
VALGRIND = os.environ.get("BIOAUTH_VALGRIND") == "1"
_pg_databases = 0


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "sqlite_only: needs the SQLite database file (skipped on PostgreSQL)")


def pytest_collection_modifyitems(config, items):
    if PG_URL is None:
        return
    skip = pytest.mark.skip(reason="needs the SQLite file; BIOAUTH_TEST_PG_URL is set")
    for item in items:
        if "sqlite_only" in item.keywords:
            item.add_marker(skip)


def fresh_pg_database() -> str:
    """Creates an empty database on the BIOAUTH_TEST_PG_URL cluster and
    returns its URL."""
    global _pg_databases
    from urllib.parse import urlsplit, urlunsplit
    _pg_databases += 1
    name = f"bioauth_t{os.getpid()}_{_pg_databases}"
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", PG_URL, "-c",
                    f"CREATE DATABASE {name}"], check=True, capture_output=True)
    parts = urlsplit(PG_URL)
    return urlunsplit(parts._replace(path="/" + name))
BUILD = Path(os.environ.get("BIOAUTH_BUILD", str(REPO / "build")))
BIOAUTHD = BUILD / "bioauthd"

#: Seconds to wait for a new server to answer /healthz (sanitizer builds
#: start slowly on a loaded machine).
START_TIMEOUT = 120 if VALGRIND else 30
#: Seconds a SIGTERM'd server may take to exit before it is killed.
STOP_TIMEOUT = 60 if VALGRIND else 20
HTTP_TIMEOUT = 60 if VALGRIND else 10

SANITIZER_MARKERS = (
    "ERROR: AddressSanitizer",
    "ERROR: LeakSanitizer",
    "runtime error:",            # UBSan
    "SUMMARY: UndefinedBehaviorSanitizer",
    "WARNING: ThreadSanitizer",
)


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago on `host`."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def to_flags(opts: dict[str, Any]) -> list[str]:
    """``{"body_limit": 1024, "durable": False}`` -> ``["--body-limit=1024",
    "--durable=false"]``; ``None`` values are dropped."""
    out = []
    for key, val in opts.items():
        if val is None:
            continue
        if isinstance(val, bool):
            val = "true" if val else "false"
        out.append(f"--{key.replace('_', '-')}={val}")
    return out


class BioauthServer:
    """One running bioauthd; see the module docstring."""

    def __init__(self, base_dir: Path, **opts: Any):
        self.base_dir = Path(base_dir)
        self.base_dir.mkdir(parents=True, exist_ok=True)
        opts = dict(opts)
        self.extra_args = list(opts.pop("args", []))
        self.extra_env = dict(opts.pop("env", {}))
        wait = opts.pop("wait", True)
        self.data_dir = Path(opts.pop("data_dir", self.base_dir / "data"))
        default_db = str(self.data_dir / "bioauth.db")
        self.db = opts.pop("db", default_db)
        self.host = opts.pop("host", "127.0.0.1")
        if self.db == default_db:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            if PG_URL is not None:
                self.db = fresh_pg_database()
        if (self.db is not None and str(self.db).startswith(("postgres://", "postgresql://"))
                and "secrets_file" not in opts
                and not any(str(a).startswith("--secrets-file") for a in self.extra_args)):
            import helpers  # the session's shared secrets file, as bioauthctl's
            opts["secrets_file"] = helpers.pg_secrets_file()
        self.secrets_file = opts.get("secrets_file")
        self.opts = opts
        self.expect_exit = 0
        self.proc: Optional[subprocess.Popen] = None
        self.returncode: Optional[int] = None
        self.killed = False
        self.stderr_path = self.base_dir / "bioauthd.stderr"
        self.stdout_path = self.base_dir / "bioauthd.stdout"
        self.valgrind_log = self.base_dir / "valgrind.log"
        self._start(wait)

    # -- life cycle ---------------------------------------------------------

    def _command(self) -> list[str]:
        host = f"[{self.host}]" if ":" in self.host else self.host
        cmd = [str(BIOAUTHD), f"--listen={host}:{self.port}",
               f"--data-dir={self.data_dir}"]
        if self.db is not None:
            cmd.append(f"--db={self.db}")
        if VALGRIND:
            cmd = ["valgrind", "--quiet", "--leak-check=full",
                   "--errors-for-leak-kinds=definite", "--show-leak-kinds=definite",
                   f"--log-file={self.valgrind_log}"] + cmd
        return cmd + to_flags(self.opts) + self.extra_args

    def _start(self, wait: bool) -> None:
        if not BIOAUTHD.exists():
            pytest.fail(f"{BIOAUTHD} not built (set BIOAUTH_BUILD or run make)")
        env = {k: v for k, v in os.environ.items() if not k.startswith("BIOAUTH_")}
        env.update(self.extra_env)
        for attempt in range(3):
            self.port = free_port(self.host)
            host = f"[{self.host}]" if ":" in self.host else self.host
            self.url = f"http://{host}:{self.port}"
            with open(self.stderr_path, "ab") as err, \
                    open(self.stdout_path, "ab") as out:
                self.proc = subprocess.Popen(self._command(), stdout=out,
                                             stderr=err, stdin=subprocess.DEVNULL,
                                             env=env, cwd=self.base_dir)
            self.pid = self.proc.pid
            if not wait:
                return
            if self._wait_ready():
                return
            # Exited: a port race with another process is retried.
            if "Address already in use" not in self.log_text() or attempt == 2:
                break
        self.returncode = self.proc.poll()
        pytest.fail(f"bioauthd did not start (exit {self.returncode}):\n"
                    f"{self.log_text()[-4000:]}")

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return True
            except requests.RequestException:
                pass
            time.sleep(0.05)
        self.proc.kill()
        self.proc.wait()
        return False

    def signal(self, sig: int) -> None:
        """Sends `sig` to the server (by PID)."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, sig)

    def wait(self, timeout: float = STOP_TIMEOUT) -> int:
        """Waits for the process to exit (killing it after `timeout`)."""
        try:
            self.returncode = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.killed = True
            self.proc.kill()
            self.returncode = self.proc.wait()
        return self.returncode

    def stop(self, timeout: float = STOP_TIMEOUT) -> int:
        """SIGTERM, then SIGKILL after `timeout`; returns the exit code."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.signal(signal.SIGTERM)
        return self.wait(timeout)

    def check(self) -> None:
        """Fails when the server exited badly or a sanitizer reported."""
        text = self.log_text()
        for marker in SANITIZER_MARKERS:
            if marker in text:
                pytest.fail(f"sanitizer report in bioauthd stderr "
                            f"({self.stderr_path}):\n{text[-6000:]}")
        if VALGRIND and self.valgrind_log.exists():
            report = self.valgrind_log.read_text(errors="replace")
            if report.strip():
                pytest.fail(f"valgrind report for bioauthd ({self.valgrind_log}):\n"
                            f"{report[-6000:]}")
        if self.killed:
            pytest.fail(f"bioauthd did not exit within {STOP_TIMEOUT}s of "
                        f"SIGTERM and was killed:\n{text[-3000:]}")
        if self.returncode != self.expect_exit:
            pytest.fail(f"bioauthd exited with {self.returncode} (expected "
                        f"{self.expect_exit}):\n{text[-3000:]}")

    # -- output -------------------------------------------------------------

    def log_text(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_lines(self) -> list[dict]:
        """Every stderr line parsed as JSON (raises on a non-JSON line)."""
        return [json.loads(line) for line in self.log_text().splitlines()
                if line.strip()]

    # -- HTTP ---------------------------------------------------------------

    def request(self, method: str, path: str, **kw: Any) -> requests.Response:
        kw.setdefault("timeout", HTTP_TIMEOUT)
        return requests.request(method, self.url + path, **kw)

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> requests.Response:
        return self.request("POST", path, **kw)

    def alive(self) -> bool:
        try:
            return self.get("/healthz", timeout=5).status_code == 200
        except requests.RequestException:
            return False

    @property
    def base_url(self) -> str:
        return self.url

    def __repr__(self) -> str:
        return f"<bioauthd pid={self.pid} {self.url} db={self.db}>"


class _Factory:
    """Starts servers under `tmp` and stops/checks them all at the end."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.servers: list[BioauthServer] = []

    def __call__(self, **opts: Any) -> BioauthServer:
        srv = BioauthServer(self.tmp / f"srv{len(self.servers)}", **opts)
        self.servers.append(srv)
        return srv

    def finish(self) -> None:
        for srv in self.servers:
            srv.stop()
        for srv in self.servers:
            srv.check()


@pytest.fixture
def bioauthd(tmp_path):
    """Factory of servers that live for one test."""
    f = _Factory(tmp_path)
    yield f
    f.finish()


@pytest.fixture(scope="module")
def bioauthd_module(tmp_path_factory):
    """Factory of servers that live for one test module."""
    f = _Factory(tmp_path_factory.mktemp("bioauthd"))
    yield f
    f.finish()


@pytest.fixture(scope="module")
def server(request, bioauthd_module):
    """The module's default server (options from the module's
    ``BIOAUTHD_OPTS`` dict, if any)."""
    return bioauthd_module(**getattr(request.module, "BIOAUTHD_OPTS", {}))
