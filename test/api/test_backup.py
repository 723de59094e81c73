"""Black-box tests of ``bioauthctl backup`` / ``restore`` (SQLite): a backup
taken while bioauthd serves writes holds every write acknowledged before it
started, restores into a server that serves them, and a restore is refused
while a server holds the database."""

from __future__ import annotations

import hashlib
import threading
import time

import pytest

from helpers import client_token, create_app, create_user, ctl, get_user, unique_name

pytestmark = pytest.mark.sqlite_only


def test_backup_under_write_load_restores_every_acknowledged_write(bioauthd, tmp_path):
    srv = bioauthd()
    app = create_app(srv.db)
    tok = client_token(srv.url, app)
    acked: list = []          # (monotonic time of the 201, user_id)
    errors: list = []
    stop = threading.Event()

    def writer():
        while not stop.is_set():
            uid = unique_name("bk")
            r = create_user(srv.url, tok, user_id=uid, expect=None)
            if r.status_code == 201:
                acked.append((time.monotonic(), uid))
            else:
                errors.append((r.status_code, r.text))

    threads = [threading.Thread(target=writer) for _ in range(4)]
    for t in threads:
        t.start()

    def wait_acked(cond):
        """Until cond(acked) or a writer fails (bounded: a slow machine
        acknowledges fewer writes a second, none that never do)."""
        deadline = time.monotonic() + 60
        while not cond(list(acked)) and not errors and time.monotonic() < deadline:
            time.sleep(0.05)

    wait_acked(lambda a: len(a) > 20)
    backup = tmp_path / "bioauth.backup"
    started = time.monotonic()
    before = [uid for t, uid in list(acked) if t < started]
    out = ctl(srv.db, "backup", "--to", str(backup))
    finished = time.monotonic()
    # writes go on after the backup: some acknowledged once it was done
    wait_acked(lambda a: sum(t > finished for t, _ in a) >= 5)
    stop.set()
    for t in threads:
        t.join(30)
    assert not errors, errors[:3]
    assert len(before) > 20
    data = backup.read_bytes()
    assert out["sha256"] == hashlib.sha256(data).hexdigest()
    assert out["bytes"] == len(data) and out["backup"] == str(backup)
    after = [uid for t, uid in acked if t > started]
    assert after, "no write ran during/after the backup"

    # The running server holds its database: restore is refused, nothing changes.
    refused = ctl(srv.db, "restore", "--from", str(backup), check=False)
    assert refused.returncode == 1
    assert "restore refused: a bioauthd holds" in refused.stderr
    # A second backup to the same file is refused too (never overwrites).
    again = ctl(srv.db, "backup", "--to", str(backup), check=False)
    assert again.returncode == 1 and "already exists" in again.stderr
    srv.stop()

    # Restore over the live database (server stopped), start, read back.
    done = ctl(srv.db, "restore", "--from", str(backup))
    assert done == {"restored": str(backup), "db": str(srv.db)}
    srv2 = bioauthd(data_dir=srv.data_dir, db=srv.db)
    tok2 = client_token(srv2.url, app)
    for uid in before:
        r = get_user(srv2.url, tok2, uid)
        assert r.status_code == 200, (uid, r.status_code, r.text)
    present = sum(1 for _, uid in acked if get_user(srv2.url, tok2, uid).status_code == 200)
    # Writes acknowledged after the backup finished are not in it.
    assert len(before) <= present < len(acked)


def test_backup_and_restore_usage_errors(tmp_path):
    db = tmp_path / "x.db"
    create_app(str(db))
    r = ctl(str(db), "backup", check=False)
    assert r.returncode == 2 and "--to FILE is required" in r.stderr
    junk = tmp_path / "junk"
    junk.write_bytes(b"not a database" * 100)
    r = ctl(str(db), "restore", "--from", str(junk), check=False)
    assert r.returncode == 1 and "is not an intact SQLite database" in r.stderr
    r = ctl("postgres://u@localhost/x", "backup", "--to", str(tmp_path / "b"), check=False)
    assert r.returncode == 2 and "pg_dump" in r.stderr
