"""--signing-key-rotate-days: bioauthd rotates a signing key that has
reached that age (checked at start and with every purge), keeps the old one
published, and records an audit event. The key's age is set back in the
SQLite file itself, hence sqlite_only."""

from __future__ import annotations

import sqlite3
import time

import pytest

from helpers import ctl, fetch_jwks, list_signing_keys

pytestmark = pytest.mark.sqlite_only


def age_keys(db: str, days: int) -> None:
    with sqlite3.connect(db) as c:
        c.execute("UPDATE signing_keys SET created_at = created_at - ?", (days * 86400,))


def wait_for(pred, timeout=10):
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_rotates_a_key_past_its_age_and_keeps_the_old_one(bioauthd, tmp_path):
    data = tmp_path / "d"
    srv = bioauthd(data_dir=data)
    first = list_signing_keys(srv.db)
    assert len(first) == 1
    old_kid = first[0]["kid"]
    srv.stop()

    # Younger than N days: no rotation.
    age_keys(srv.db, 2)
    srv = bioauthd(data_dir=data, db=srv.db, signing_key_rotate_days=3)
    time.sleep(0.5)
    assert [k["kid"] for k in list_signing_keys(srv.db)] == [old_kid]
    srv.stop()

    # Older: rotated at start; both keys in the JWKS; one audit event.
    age_keys(srv.db, 2)
    srv = bioauthd(data_dir=data, db=srv.db, signing_key_rotate_days=3)
    wait_for(lambda: len(list_signing_keys(srv.db)) == 2)
    keys = {k["kid"]: k for k in list_signing_keys(srv.db)}
    new_kid = next(k for k in keys if k != old_kid)
    assert keys[old_kid]["retired_at"] and not keys[new_kid].get("retired_at")
    line = next(l for l in srv.log_lines() if l["msg"] == "signing key rotated (automatic)")
    assert (line["kid"], line["previous_kid"]) == (new_kid, old_kid)
    wait_for(lambda: {k["kid"] for k in fetch_jwks(srv.url)["keys"]} >= {old_kid, new_kid})
    events = [e for e in ctl(srv.db, "audit") if e["event"] == "signing_key_rotate"]
    assert len(events) == 1 and events[0]["key_id"] == new_kid


def test_off_by_default(bioauthd):
    srv = bioauthd()
    kid = list_signing_keys(srv.db)[0]["kid"]
    srv.stop()
    age_keys(srv.db, 400)
    srv = bioauthd(data_dir=srv.data_dir, db=srv.db)
    time.sleep(0.5)
    assert [k["kid"] for k in list_signing_keys(srv.db)] == [kid]
