"""Signing keys sealed at rest.

Private keys are stored only as AES-256-GCM ciphertext under the first
secret of the secrets file (kid as associated data); every secret of the
file unseals, `bioauthctl signing-key rewrap` seals again under the first;
SQLite makes `<data-dir>/secrets` on first start, PostgreSQL needs
--secrets-file; keys stored in clear by an older bioauthd are sealed at
start. Both backends (BIOAUTH_TEST_PG_URL).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import stat
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization

import conftest
import crash_helpers as ch
import helpers as h
import hostile_util as hu

RES = "https://api.security-keys.example"


def new_secret() -> str:
    return h.b64url_encode(secrets.token_bytes(32))


def write_secrets(path, *lines: str) -> str:
    path = str(path)
    if os.path.exists(path):
        os.unlink(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("".join(l + "\n" for l in lines))
    return path


def key_material(key) -> list:
    """Byte strings that would betray the private key: its PEM body, its
    DER, and the private scalar / exponent in big-endian."""
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    body = b"".join(pem.splitlines()[1:-1])
    nums = key.private_numbers()
    secret_int = getattr(nums, "private_value", None) or getattr(nums, "d")
    raw = secret_int.to_bytes((secret_int.bit_length() + 7) // 8, "big")
    return [body[:40], der[-40:], raw, base64.b64encode(der)[:40], b"PRIVATE KEY"]


def sealed_rows(db) -> list:
    return hu.db_query(db, "SELECT kid, private_pem FROM signing_keys")


def server_with_secrets(bioauthd, tmp_path, *lines, **opts):
    """A server sealing with a secrets file of `lines`, and the file. The
    issuer is fixed so that tokens outlive a restart on another port."""
    f = write_secrets(tmp_path / "secrets-given", *lines)
    return bioauthd(secrets_file=f, issuer=ch.ISSUER, **opts), f


def test_database_holds_no_private_key_material(bioauthd, tmp_path):
    """Neither the SQLite files nor a pg_dump hold any part of a private
    key in clear: ES256, RS256 and EdDSA keys, current and retired."""
    srv = bioauthd()
    h.rotate_signing_key(srv, "--alg", "RS256")
    h.rotate_signing_key(srv, "--alg", "EdDSA")
    app = h.ctl(srv, "app", "create", "--name", h.unique_name("sk"), "--resource", RES)
    assert h.client_token(srv, app)
    rows = sealed_rows(srv)
    assert len(rows) >= 3
    for kid, text in rows:
        assert text.startswith("sealed.v1."), kid
    keys = hu.server_keys(srv)   # unseals with the secrets file
    blob = hu.database_bytes(srv)
    for kid, k in keys.items():
        if k["alg"] == "EdDSA":
            raw = k["key"].private_bytes(serialization.Encoding.Raw,
                                         serialization.PrivateFormat.Raw,
                                         serialization.NoEncryption())
            needles = [raw, b"PRIVATE KEY"]
        else:
            needles = key_material(k["key"])
        for n in needles:
            assert n not in blob, (kid, k["alg"], n[:16])


def test_sqlite_makes_an_owner_only_secrets_file(bioauthd, tmp_path):
    if conftest.PG_URL:
        pytest.skip("SQLite default secrets file")
    srv = bioauthd()
    f = srv.data_dir / "secrets"
    assert f.is_file() and stat.S_IMODE(f.stat().st_mode) == 0o600
    assert len(f.read_text().strip()) >= 32
    assert any(l.get("msg", "").startswith("secrets file created") for l in srv.log_lines())
    # a restart uses it, and creates nothing new
    first = f.read_text()
    assert srv.stop() == 0
    again = bioauthd(data_dir=srv.data_dir, db=srv.db)
    assert f.read_text() == first and again.alive()


def test_postgres_without_secrets_file_refuses_to_start(tmp_path):
    if not conftest.PG_URL:
        pytest.skip("needs BIOAUTH_TEST_PG_URL")
    url = conftest.fresh_pg_database()
    rc, err = ch.start_expect_exit([f"--listen=127.0.0.1:{conftest.free_port()}",
                                    f"--data-dir={tmp_path / 'data'}", f"--db={url}"],
                                   cwd=tmp_path)
    assert rc == 1, err
    assert "PostgreSQL needs --secrets-file" in err, err


def start_args(srv, secrets_file):
    return [f"--listen=127.0.0.1:{conftest.free_port()}", f"--data-dir={srv.data_dir}",
            f"--db={srv.db}", f"--secrets-file={secrets_file}"]


def test_wrong_secret_fails_start_with_a_clear_message(bioauthd, tmp_path):
    srv, f = server_with_secrets(bioauthd, tmp_path, new_secret())
    kid = sealed_rows(srv)[0][0]
    assert srv.stop() == 0
    wrong = write_secrets(tmp_path / "wrong", new_secret())
    rc, err = ch.start_expect_exit(start_args(srv, wrong), cwd=tmp_path)
    assert rc == 1, err
    lines = [json.loads(l) for l in err.splitlines() if l.startswith("{")]
    assert any("does not unseal with any secret" in l.get("msg", "") and l.get("kid") == kid
               for l in lines), err
    # a missing file and a world-readable one are refused too
    rc, err = ch.start_expect_exit(start_args(srv, tmp_path / "none"), cwd=tmp_path)
    assert rc == 1 and "secrets file not found" in err, err
    os.chmod(f, 0o644)
    rc, err = ch.start_expect_exit(start_args(srv, f), cwd=tmp_path)
    assert rc == 1 and "readable or writable by group or other" in err, err
    # too short a secret
    short = write_secrets(tmp_path / "short", "x" * 31)
    rc, err = ch.start_expect_exit(start_args(srv, short), cwd=tmp_path)
    assert rc == 1 and "shorter than 32" in err, err


def test_secret_rotation_with_rewrap(bioauthd, tmp_path):
    """New secret first, old second: start works; rewrap seals every key
    under the new one; then the old secret can go."""
    old, new = new_secret(), new_secret()
    srv, f = server_with_secrets(bioauthd, tmp_path, old)
    app = h.ctl(srv, "app", "create", "--name", h.unique_name("rot"), "--resource", RES)
    tok = h.client_token(srv, app)
    before = dict(sealed_rows(srv))
    assert srv.stop() == 0

    write_secrets(f, new, old)
    ctl_opts = ["--secrets-file", f]
    srv2 = bioauthd(data_dir=srv.data_dir, db=srv.db, secrets_file=f, issuer=ch.ISSUER)
    h.verify_jwt(srv2, tok)
    assert h.get_user(srv2, tok, "nobody").status_code == 404
    out = h.ctl(srv2, "signing-key", "rewrap", extra_opts=ctl_opts)
    assert out == {"rewrapped": len(before)}
    after = dict(sealed_rows(srv2))
    assert set(after) == set(before) and all(after[k] != before[k] for k in before)
    assert h.ctl(srv2, "signing-key", "rewrap", extra_opts=ctl_opts) == {"rewrapped": 0}
    assert srv2.stop() == 0

    write_secrets(f, new)
    srv3 = bioauthd(data_dir=srv.data_dir, db=srv.db, secrets_file=f, issuer=ch.ISSUER)
    assert h.get_user(srv3, tok, "nobody").status_code == 404    # old token still good
    assert h.client_token(srv3, app)
    assert srv3.stop() == 0
    # and the old secret alone no longer opens them
    only_old = write_secrets(tmp_path / "old-only", old)
    rc, err = ch.start_expect_exit(start_args(srv, only_old), cwd=tmp_path)
    assert rc == 1 and "does not unseal" in err, err


def test_rewrap_with_a_wrong_secret_changes_nothing(bioauthd, tmp_path):
    srv, f = server_with_secrets(bioauthd, tmp_path, new_secret())
    before = sealed_rows(srv)
    wrong = write_secrets(tmp_path / "wrong", new_secret())
    p = h.ctl(srv, "signing-key", "rewrap", check=False, extra_opts=["--secrets-file", wrong])
    assert p.returncode == 1, p.stderr
    assert sealed_rows(srv) == before


def test_keys_stored_in_clear_are_sealed_at_start(bioauthd, tmp_path):
    """A database from before sealing: the same kids, sealed at start,
    tokens they signed still accepted."""
    srv, f = server_with_secrets(bioauthd, tmp_path, new_secret())
    app = h.ctl(srv, "app", "create", "--name", h.unique_name("mig"), "--resource", RES)
    tok = h.client_token(srv, app)
    keys = hu.server_keys(srv)
    assert srv.stop() == 0
    for kid, k in keys.items():
        pem = k["key"].private_bytes(serialization.Encoding.PEM,
                                     serialization.PrivateFormat.PKCS8,
                                     serialization.NoEncryption()).decode()
        db_exec(srv.db, "UPDATE signing_keys SET private_pem = ? WHERE kid = ?", (pem, kid))
    assert all(t.startswith("-----BEGIN") for _, t in sealed_rows(srv))
    srv2 = bioauthd(data_dir=srv.data_dir, db=srv.db, secrets_file=f, issuer=ch.ISSUER)
    assert all(t.startswith("sealed.v1.") for _, t in sealed_rows(srv2))
    assert set(k for k, _ in sealed_rows(srv2)) == set(keys)
    assert any(l.get("msg") == "signing key stored in clear: sealed" for l in srv2.log_lines())
    assert h.get_user(srv2, tok, "nobody").status_code == 404


def db_exec(db, sql: str, params: tuple) -> None:
    """One write on a stopped server's database (test setup only)."""
    path = str(db)
    if h.is_postgres_url(path):
        for p in params:
            sql = sql.replace("?", "'" + str(p).replace("'", "''") + "'", 1)
        subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", path, "-c", sql],
                       check=True, capture_output=True)
        return
    import sqlite3
    con = sqlite3.connect(path)
    try:
        con.execute(sql, params)
        con.commit()
    finally:
        con.close()
