"""The schema each backend's migrations produce, against a golden copy.

A released migration is never edited: the schema it leaves must stay the
same byte for byte, however its text is written in src/store/. This test
migrates a new database with `bioauthctl db migrate` and compares a dump of
its schema with test/schema/<backend>.golden. SQLite: every object of
sqlite_master with its stored text. PostgreSQL (with BIOAUTH_TEST_PG_URL):
columns, constraints, indexes, triggers and functions from the catalogs.

A new migration changes the dump on purpose: rewrite the golden copy with
BIOAUTH_SCHEMA_UPDATE=1 and review the diff.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from conftest import PG_URL, fresh_pg_database
from helpers import ctl

GOLDEN = Path(__file__).resolve().parents[1] / "schema"
LATEST = 6

PG_QUERIES = (
    ("columns",
     "SELECT table_name, ordinal_position, column_name, data_type, is_nullable,"
     " column_default, is_identity FROM information_schema.columns"
     " WHERE table_schema = 'public' ORDER BY 1, 2"),
    ("constraints",
     "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
     " FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2"),
    ("indexes",
     "SELECT tablename, indexname, indexdef FROM pg_indexes"
     " WHERE schemaname = 'public' ORDER BY 1, 2"),
    ("triggers",
     "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger"
     " WHERE NOT tgisinternal ORDER BY 1"),
    ("functions",
     "SELECT proname, prosrc FROM pg_proc"
     " WHERE pronamespace = 'public'::regnamespace ORDER BY 1"),
)


def sqlite_dump(path: str) -> str:
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"
                          " ORDER BY name").fetchall()
    return "".join("|".join("" if v is None else str(v) for v in row) + "\n"
                    for row in rows)


def pg_dump(url: str) -> str:
    out = []
    for name, sql in PG_QUERIES:
        proc = subprocess.run(["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
                              check=True, capture_output=True, text=True)
        out.append(f"-- {name}\n{proc.stdout}")
    return "".join(out)


def check_golden(backend: str, dump: str) -> None:
    path = GOLDEN / f"{backend}.golden"
    if os.environ.get("BIOAUTH_SCHEMA_UPDATE") == "1":
        path.write_text(dump)
    assert dump == path.read_text(), f"the {backend} schema differs from {path}"


def test_sqlite_schema_matches_golden(tmp_path):
    db = str(tmp_path / "schema.db")
    assert ctl(db, "db", "migrate")["version"] == LATEST
    check_golden("sqlite", sqlite_dump(db))


@pytest.mark.skipif(PG_URL is None, reason="needs BIOAUTH_TEST_PG_URL")
def test_postgres_schema_matches_golden():
    db = fresh_pg_database()
    assert ctl(db, "db", "migrate")["version"] == LATEST
    check_golden("postgres", pg_dump(db))


def test_sqlite_migration_6_drops_hwk_of_app_attest_keys(tmp_path):
    """Migration 6: a key registered under App Attest before hwk needed an
    Android chain loses hwk; an Android key keeps it."""
    db = str(tmp_path / "m6.db")
    assert ctl(db, "db", "migrate")["version"] == LATEST
    with sqlite3.connect(db) as c:
        c.execute("INSERT INTO apps (app_id, name, client_id, client_secret_hash, created_at)"
                  " VALUES ('a', 'a', 'c', x'00', 1)")
        for key, appattest in (("ios", b"\x04" * 65), ("android", None)):
            c.execute("INSERT INTO authenticators (app_id, public_key_id, user_id, key_type,"
                      " public_key, created_at, hwk, appattest_key)"
                      " VALUES ('a', ?, 'u', 1, x'00', 1, 1, ?)", (key, appattest))
        c.execute("DELETE FROM schema_version WHERE version = 6")
    assert ctl(db, "db", "migrate")["version"] == LATEST
    with sqlite3.connect(db) as c:
        rows = dict(c.execute("SELECT public_key_id, hwk FROM authenticators"))
    assert rows == {"ios": 0, "android": 1}
