"""SQLite page size (docs/ARCHITECTURE.md, "SQLite"): a database the store
creates has 2 KiB pages; a database created with another page size keeps it
(SQLite changes it only by VACUUM outside WAL mode) and is served as
before."""

from __future__ import annotations

import sqlite3

import helpers as h


def page_size(db) -> int:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute("PRAGMA page_size").fetchone()[0]
    finally:
        con.close()


def test_new_database_has_2k_pages(tmp_path):
    db = tmp_path / "new.db"
    h.ctl(str(db), "app", "create", "--name", h.unique_name("pages"))
    assert page_size(db) == 2048


def test_existing_database_keeps_its_page_size(bioauthd, tmp_path):
    db = tmp_path / "old.db"
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA page_size=4096")
    con.execute("PRAGMA journal_mode=WAL")
    con.close()
    assert page_size(db) == 4096
    app = h.create_app(str(db), resources=("https://api.pages.example",))
    srv = bioauthd(db=str(db))
    token = h.client_token(srv, app)
    assert h.client_token_accepted(srv, token)
    srv.stop()
    assert page_size(db) == 4096
