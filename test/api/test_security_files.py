"""The local files that hold secrets.

The SQLite database and its -wal/-shm are owner-only whoever made them; an
open one is tightened with a warning, a link or another user's file is
refused; the data directory must be the running user's and closed to group
and other writes; files bioauth generates are never written through a
planted link. Black-box: bioauthd and bioauthctl run on temporary
directories (SQLite only: the files are the subject).
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

import conftest
import crash_helpers as ch
import helpers as h

pytestmark = pytest.mark.sqlite_only

SUFFIXES = ("", "-wal", "-shm")


def mode(p) -> int:
    return stat.S_IMODE(os.lstat(p).st_mode)


def ctl_run(db, *args, umask: int = 0o022):
    """bioauthctl under the given umask (the subprocess inherits it)."""
    old = os.umask(umask)
    try:
        return subprocess.run([str(h.BIOAUTHCTL), "--db", str(db), *args],
                              capture_output=True, text=True, timeout=60)
    finally:
        os.umask(old)


def start_fails(args, **kw) -> str:
    """bioauthd refuses to start: exit 1 with an error log line; its stderr."""
    rc, err = ch.start_expect_exit([f"--listen=127.0.0.1:{conftest.free_port()}", *args], **kw)
    assert rc == 1, f"bioauthd exited {rc}, want 1:\n{err[-2000:]}"
    return err


def error_reasons(err: str) -> list:
    lines = [json.loads(l) for l in err.splitlines() if l.strip().startswith("{")]
    return [l.get("reason", "") for l in lines if l.get("level") == "error"]


def test_ctl_creates_an_owner_only_database(tmp_path, bioauthd):
    """Under umask 022, the database bioauthctl makes (and the -wal/-shm
    beside it once a server uses it) is 0600."""
    db = tmp_path / "own.db"
    p = ctl_run(db, "app", "create", "--name", "x")
    assert p.returncode == 0, p.stderr
    assert mode(db) == 0o600
    srv = bioauthd(db=str(db), data_dir=tmp_path / "data")
    h.client_token(srv, h.ctl(str(db), "app", "create", "--name", "y"))
    assert Path(str(db) + "-wal").exists()
    for s in SUFFIXES:
        assert mode(str(db) + s) == 0o600, s


def make_db(tmp_path) -> Path:
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    db = data / "bioauth.db"
    p = ctl_run(db, "app", "create", "--name", "x", umask=0o077)
    assert p.returncode == 0, p.stderr
    for s in ("-wal", "-shm"):
        Path(str(db) + s).write_bytes(b"")  # empty -wal/-shm are valid
        os.chmod(str(db) + s, 0o600)
    return db


@pytest.mark.parametrize("suffix", SUFFIXES)
@pytest.mark.parametrize("bad", [0o644, 0o660, 0o604, 0o666])
def test_open_database_file_is_tightened_by_bioauthd(tmp_path, bioauthd, suffix, bad):
    db = make_db(tmp_path)
    f = str(db) + suffix
    os.chmod(f, bad)
    srv = bioauthd(db=str(db), data_dir=db.parent)
    assert mode(f) == 0o600 & bad
    warn = [l for l in srv.log_lines() if l.get("level") == "warn" and l.get("path") == f]
    assert warn and "owner-only" in warn[0]["msg"], srv.log_text()


def test_open_database_file_is_tightened_by_ctl(tmp_path):
    db = make_db(tmp_path)
    os.chmod(db, 0o644)
    p = ctl_run(db, "app", "list")
    assert p.returncode == 0, p.stderr
    assert mode(db) == 0o600


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_database_file_that_is_a_link_is_refused(tmp_path, suffix):
    db = make_db(tmp_path)
    f = Path(str(db) + suffix)
    real = tmp_path / ("real" + suffix)
    f.rename(real)
    f.symlink_to(real)
    err = start_fails([f"--data-dir={db.parent}"])
    assert "database file is a symbolic link" in error_reasons(err), err
    p = ctl_run(db, "app", "list")
    assert p.returncode == 1 and "unsafe database file" in p.stderr, p.stderr


def test_data_directory_writable_by_others_is_refused(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    for m in (0o777, 0o770, 0o1777, 0o702):
        os.chmod(data, m)
        err = start_fails([f"--data-dir={data}"])
        assert "directory writable by group or other" in error_reasons(err), err


def test_data_directory_0755_is_used(tmp_path, bioauthd):
    """Readable by others is fine: the files inside are 0600."""
    data = tmp_path / "data"
    data.mkdir()
    os.chmod(data, 0o755)
    srv = bioauthd(data_dir=data, db=None)
    assert srv.alive()


def _root_or_skip():
    if os.geteuid() != 0:
        pytest.skip("not running as root: cannot make a file of another user")


def test_data_directory_of_another_user_is_refused(tmp_path):
    _root_or_skip()
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    os.chown(data, ch.NOBODY_UID, ch.NOBODY_GID)
    err = start_fails([f"--data-dir={data}"])
    assert "directory owned by another user" in error_reasons(err), err


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_database_file_of_another_user_is_refused(tmp_path, suffix):
    _root_or_skip()
    db = make_db(tmp_path)
    os.chown(str(db) + suffix, ch.NOBODY_UID, ch.NOBODY_GID)
    err = start_fails([f"--data-dir={db.parent}"])
    assert "database file owned by another user" in error_reasons(err), err


def test_demo_credentials_never_written_through_a_planted_link(tmp_path, bioauthd):
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    victim = tmp_path / "victim"
    victim.write_text("untouched\n")
    os.chmod(victim, 0o644)
    for name in ("demo-app.json", "demo-app.json.tmp"):
        (data / name).symlink_to(victim)
    srv = bioauthd(data_dir=data, db=None, demo_app=True)
    assert victim.read_text() == "untouched\n" and mode(victim) == 0o644
    f = data / "demo-app.json"
    assert not f.is_symlink() and f.is_file() and mode(f) == 0o600
    creds = json.loads(f.read_text())
    assert h.client_token(srv, creds)
    # a restart reuses the file (it is the server's own, owner-only)
    assert srv.stop() == 0
    again = bioauthd(data_dir=data, db=None, demo_app=True)
    assert json.loads(f.read_text())["client_id"] == creds["client_id"]
    assert again.alive()


def test_demo_credentials_readable_by_others_are_not_trusted(tmp_path, bioauthd):
    """A demo-app.json another user could have written is replaced, not used."""
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    srv = bioauthd(data_dir=data, db=None, demo_app=True)
    f = data / "demo-app.json"
    first = json.loads(f.read_text())
    assert srv.stop() == 0
    os.chmod(f, 0o666)
    bioauthd(data_dir=data, db=None, demo_app=True)
    second = json.loads(f.read_text())
    assert second["client_id"] != first["client_id"] and mode(f) == 0o600
