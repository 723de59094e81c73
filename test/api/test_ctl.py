"""Black-box tests of bioauthctl, the admin CLI.

Runs $BIOAUTH_BUILD/bioauthctl (default <repo>/build) against a temporary
SQLite database: every command's JSON output, its exit status (0 success,
1 failure, 2 usage error) and its single stderr line on errors. The last
tests run it beside a live bioauthd (the `server` fixture of conftest.py) on
the same database file, and check that the server sees what the CLI wrote.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import subprocess

import pytest

import helpers as h

#: The environment without the caller's BIOAUTH_* settings.
ENV = {k: v for k, v in os.environ.items() if not k.startswith("BIOAUTH_")}

SECRET_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def run(db, *args, stdin=None, opts=()):
    """Runs bioauthctl --db DB [opts] ARGS; returns the CompletedProcess.
    On PostgreSQL the session's secrets file is passed, as h.ctl does."""
    argv = [str(h.BIOAUTHCTL), "--db", str(db), *opts, *args]
    if h.is_postgres_url(h.db_path(db)):
        argv[3:3] = ["--secrets-file", h.pg_secrets_file()]
    return subprocess.run(argv, input=stdin, capture_output=True, text=True,
                          timeout=60, env=ENV)


def ok(db, *args, stdin=None):
    """Runs a command that must succeed; returns its JSON output."""
    p = run(db, *args, stdin=stdin)
    assert p.returncode == 0, f"{args}: exit {p.returncode}, stderr {p.stderr!r}"
    assert p.stderr == "", f"{args}: unexpected stderr {p.stderr!r}"
    return json.loads(p.stdout)


def fails(db, *args, code=1, stdin=None, opts=()):
    """Runs a command that must fail with `code`: nothing on stdout, exactly
    one line on stderr (returned)."""
    p = run(db, *args, stdin=stdin, opts=opts)
    assert p.returncode == code, (
        f"{args}: exit {p.returncode}, want {code}; stderr {p.stderr!r}")
    assert p.stdout == "", f"{args}: stdout on error: {p.stdout!r}"
    lines = p.stderr.splitlines()
    assert len(lines) == 1 and p.stderr.endswith("\n"), (
        f"{args}: want one stderr line, got {p.stderr!r}")
    return lines[0]


@pytest.fixture
def db(tmp_path):
    return tmp_path / "ctl.db"


# ---------------------------------------------------------------- help

def test_help_lists_commands_and_options(db):
    p = run(db, opts=["--help"])
    assert p.returncode == 0
    for cmd in ("app create", "app list", "app show", "app delete",
                "app rotate-secret", "user create", "user list", "user show",
                "user delete", "db migrate"):
        assert cmd in p.stdout, f"--help lacks {cmd!r}"
    assert "--db" in p.stdout


@pytest.mark.parametrize("args,words", [
    (("app", "create", "--help"), ("--name", "--resource")),
    (("user", "create", "--help"), ("--username", "--password-stdin", "--user-id")),
    (("app", "show", "--help"), ("APP_ID",)),
    (("db", "migrate", "--help"), ("migrate",)),
    (("app", "--help"), ("create", "rotate-secret")),
])
def test_command_help(db, args, words):
    p = run(db, *args)
    assert p.returncode == 0, p.stderr
    for w in words:
        assert w in p.stdout
    assert not db.exists(), "--help must not touch the database"


# ---------------------------------------------------------------- apps

def test_app_lifecycle(db):
    app = ok(db, "app", "create", "--name", "Shop",
             "--resource", "https://api.shop.example",
             "--resource", "urn:shop:billing")
    assert app["app_id"].startswith("app_") and len(app["app_id"]) == 26
    assert app["client_id"] and app["client_id"] != app["app_id"]
    secret = app["client_secret"]
    assert len(secret) == 43 and set(secret) <= SECRET_CHARS
    assert app["name"] == "Shop"
    assert app["resources"] == ["https://api.shop.example", "urn:shop:billing"]
    assert app["allow_client_challenges"] is True
    assert app["max_authenticators"] == 10
    assert isinstance(app["created_at"], int)

    other = ok(db, "app", "create", "--name", "Other")
    assert other["resources"] == []
    assert other["client_secret"] != secret

    listed = ok(db, "app", "list")
    assert {a["app_id"] for a in listed} == {app["app_id"], other["app_id"]}
    assert all("client_secret" not in a for a in listed)
    assert secret not in json.dumps(listed)

    shown = ok(db, "app", "show", app["app_id"])
    assert "client_secret" not in shown
    assert {k: v for k, v in app.items() if k != "client_secret"} == shown

    rot = ok(db, "app", "rotate-secret", app["app_id"])
    assert set(rot) == {"app_id", "client_id", "client_secret"}
    assert rot["app_id"] == app["app_id"] and rot["client_id"] == app["client_id"]
    assert rot["client_secret"] != secret and len(rot["client_secret"]) == 43
    assert ok(db, "app", "show", app["app_id"]) == shown

    assert ok(db, "app", "delete", app["app_id"]) == {
        "app_id": app["app_id"], "deleted": True}
    assert [a["app_id"] for a in ok(db, "app", "list")] == [other["app_id"]]
    line = fails(db, "app", "show", app["app_id"])
    assert "not_found" in line and app["app_id"] in line
    fails(db, "app", "delete", app["app_id"])
    fails(db, "app", "rotate-secret", app["app_id"])


def test_app_list_empty(db):
    assert ok(db, "app", "list") == []


def test_app_unicode_name_and_option_equals(db):
    app = ok(db, "app", "create", "--name=Caf\u00e9 \u2615",
             "--resource=https://a.example")
    assert app["name"] == "Caf\u00e9 \u2615"
    assert ok(db, "app", "show", app["app_id"])["name"] == "Caf\u00e9 \u2615"


@pytest.mark.parametrize("args", [
    ("app", "create", "--name", ""),
    ("app", "create", "--name", "x" * 129),
    ("app", "create", "--name", "tab\there"),
    ("app", "create", "--name", "N", "--resource", "/relative"),
    ("app", "create", "--name", "N", "--resource", "https://a.example/#frag"),
    ("app", "create", "--name", "N", "--resource", "https://a.example/" + "a" * 500),
    ("app", "create", "--name", "N", "--resource", "https://a.example",
     "--resource", "https://a.example"),
])
def test_app_create_invalid_values(db, args):
    fails(db, *args, code=2)
    assert ok(db, "app", "list") == []


def test_app_create_too_many_resources(db):
    args = ["app", "create", "--name", "N"]
    for i in range(17):
        args += ["--resource", f"https://r{i}.example"]
    fails(db, *args, code=2)
    ok(db, *args[:-2])   # 16 is the limit


# ---------------------------------------------------------------- users

def test_user_lifecycle(db):
    u = ok(db, "user", "create", "--username", "alice", "--password-stdin",
           stdin="pa ss\n")
    assert u["user_id"].startswith("usr_") and u["username"] == "alice"
    assert isinstance(u["created_at"], int)
    assert u["has_password"] is True
    assert "pa ss" not in json.dumps(u)

    bare = ok(db, "user", "create")
    assert bare["user_id"].startswith("usr_") and bare["username"] is None
    assert bare["email"] is None and bare["phone_number"] is None
    assert bare["external_user_id"] is None
    assert bare["has_password"] is False

    given = ok(db, "user", "create", "--user-id", "ext-42", "--username",
               "J\u00fcrgen")
    assert given["user_id"] == "ext-42" and given["username"] == "J\u00fcrgen"

    listed = ok(db, "user", "list")
    assert {x["user_id"] for x in listed} == {u["user_id"], bare["user_id"], "ext-42"}
    assert all("password" not in k for x in listed for k in x if k != "has_password")
    assert "argon2" not in json.dumps(listed)

    shown = ok(db, "user", "show", u["user_id"])
    assert shown == u

    # Duplicates are refused.
    line = fails(db, "user", "create", "--username", "alice")
    assert "conflict" in line
    fails(db, "user", "create", "--user-id", "ext-42")

    assert ok(db, "user", "delete", u["user_id"]) == {
        "user_id": u["user_id"], "deleted": True}
    assert "not_found" in fails(db, "user", "show", u["user_id"])
    fails(db, "user", "delete", u["user_id"])
    # The username is free again.
    ok(db, "user", "create", "--username", "alice")


def test_password_stdin_forms(db):
    # No trailing newline, CRLF, and exactly 1024 bytes are all fine.
    ok(db, "user", "create", "--password-stdin", stdin="no-newline")
    ok(db, "user", "create", "--password-stdin", stdin="crlf\r\n")
    ok(db, "user", "create", "--password-stdin", stdin="p" * 1024 + "\n")


@pytest.mark.parametrize("stdin", ["", "\n", "p" * 1025 + "\n"])
def test_password_stdin_invalid(db, stdin):
    line = fails(db, "user", "create", "--username", "bob", "--password-stdin",
                 stdin=stdin, code=2)
    assert "password" in line
    assert ok(db, "user", "list") == []


@pytest.mark.parametrize("args", [
    ("user", "create", "--username", ""),
    ("user", "create", "--username", "a\nb"),
    ("user", "create", "--user-id", "x" * 257),
    ("user", "create", "--user-id", "\x7f"),
])
def test_user_create_invalid_values(db, args):
    fails(db, *args, code=2)


# ---------------------------------------------------------------- db

def test_db_migrate(db):
    v = ok(db, "db", "migrate")
    assert set(v) == {"version"} and isinstance(v["version"], int)
    assert v["version"] >= 1
    assert ok(db, "db", "migrate") == v   # idempotent


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize("args", [
    (),
    ("nonsense",),
    ("app",),
    ("app", "frobnicate"),
    ("app", "create"),                              # --name is required
    ("app", "create", "--name"),                    # value missing
    ("app", "create", "--name", "a", "--name", "b"),
    ("app", "create", "--name", "a", "--colour", "red"),
    ("app", "show"),                                # APP_ID missing
    ("app", "show", "a", "b"),                      # one too many
    ("app", "list", "extra"),
    ("user", "create", "--password-stdin=yes"),     # flag takes no value
    ("db", "migrate", "--force"),
])
def test_usage_errors_exit_2(db, args):
    fails(db, *args, code=2)


def test_unknown_global_option_exit_2(db):
    fails(db, "app", "list", opts=["--no-such-option"], code=2)


def test_unknown_ids_exit_1(db):
    for args in (("app", "show", "app_nope"), ("app", "delete", "app_nope"),
                 ("app", "rotate-secret", "app_nope"),
                 ("user", "show", "usr_nope"), ("user", "delete", "usr_nope")):
        assert "not_found" in fails(db, *args, code=1)


def test_unreachable_database_exit_1(tmp_path):
    # The store may add its own JSON log line with the SQLite detail (log.h
    # has no "off" level); the CLI's own message is the one plain line.
    p = run(tmp_path / "no" / "such" / "dir" / "x.db", "app", "list")
    assert p.returncode == 1 and p.stdout == ""
    plain = [ln for ln in p.stderr.splitlines() if not ln.startswith("{")]
    assert len(plain) == 1 and "cannot open database" in plain[0], p.stderr
    for ln in p.stderr.splitlines():
        if ln.startswith("{"):
            assert json.loads(ln)["level"] == "error"


def test_db_from_environment(tmp_path):
    dbfile = tmp_path / "env.db"
    env = {"PATH": "/usr/bin:/bin", "BIOAUTH_DB": str(dbfile)}
    p = subprocess.run([str(h.BIOAUTHCTL), "app", "create", "--name", "E"],
                       capture_output=True, text=True, env=env, timeout=60)
    assert p.returncode == 0, p.stderr
    app = json.loads(p.stdout)
    assert ok(dbfile, "app", "show", app["app_id"])["name"] == "E"


# ---------------------------------------------------------------- beside bioauthd

def test_server_sees_ctl_writes(server):
    """Apps and users made by bioauthctl work at once on the running server;
    a rotated secret stops working there; deletions take effect."""
    app = ok(server.db, "app", "create", "--name", h.unique_name("ctl"),
             "--resource", "https://api.ctl.example")
    r = h.client_token_response(server, app)
    assert r.status_code == 200, r.text

    rot = ok(server.db, "app", "rotate-secret", app["app_id"])
    old = dict(app)
    new = dict(app, client_secret=rot["client_secret"])
    assert h.client_token_response(server, old).status_code == 401
    ctoken = h.client_token(server, new)

    name = h.unique_name("ctluser")
    user = ok(server.db, "user", "create", "--username", name,
              "--password-stdin", stdin="ctl-password\n")
    login = h.password_login(server, ctoken, name, "ctl-password")
    assert login["access_token"]
    r = h.password_login_response(server, ctoken, name, "wrong-password")
    assert r.status_code == 401, r.text

    ok(server.db, "user", "delete", user["user_id"])
    r = h.password_login_response(server, ctoken, name, "ctl-password")
    assert r.status_code == 401, r.text

    ok(server.db, "app", "delete", app["app_id"])
    assert h.client_token_response(server, new).status_code == 401


def test_ctl_while_server_writes(server):
    """bioauthctl writes while the server commits logins on the same SQLite
    file: every command succeeds (no 'database is locked')."""
    app = h.create_app(server.db)
    ctoken = h.client_token(server, app)
    name = h.unique_name("busy")
    ok(server.db, "user", "create", "--username", name, "--password-stdin",
       stdin="busy-password\n")

    def logins(n):
        for _ in range(n):
            h.password_login(server, ctoken, name, "busy-password")
        return n

    def ctl_writes(n):
        ids = []
        for i in range(n):
            ids.append(ok(server.db, "app", "create", "--name", f"busy-{i}")["app_id"])
            ok(server.db, "user", "create")
        for a in ids:
            ok(server.db, "app", "delete", a)
        return n

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as ex:
        futs = [ex.submit(logins, 8), ex.submit(logins, 8),
                ex.submit(ctl_writes, 6), ex.submit(ctl_writes, 6)]
        for f in futs:
            f.result()
    assert ok(server.db, "db", "migrate")["version"] >= 1
    assert h.client_token_response(server, app).status_code == 200


def test_user_token_uses_the_served_issuer(bioauthd):
    """bioauthd records its --issuer in the database when it starts;
    `bioauthctl user token` signs with it unless --issuer is given, and
    warns on stderr when a given one differs (that server refuses it)."""
    issuer = "https://id.example.test/tenants/" + h.unique_name("t")
    srv = bioauthd(issuer=issuer)
    app = h.create_app(srv)
    user = ok(srv.db, "user", "create")

    def accepted(token):
        r = h.get_user(srv, token, user["user_id"])   # a client-token route
        assert r.status_code in (401, 403), r.text
        return r.status_code == 403                   # valid, but a user token

    proc = run(srv.db, "user", "token", "--user-id", user["user_id"],
               "--client-id", app["client_id"])
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    token = json.loads(proc.stdout)["access_token"]
    assert h.decode_unverified(token)[1]["iss"] == issuer
    assert accepted(token)

    same = run(srv.db, "user", "token", "--user-id", user["user_id"],
               "--client-id", app["client_id"], opts=("--issuer", issuer + "/"))
    assert same.returncode == 0 and same.stderr == "", same.stderr
    assert accepted(json.loads(same.stdout)["access_token"])

    other = run(srv.db, "user", "token", "--user-id", user["user_id"],
                "--client-id", app["client_id"], opts=("--issuer", "https://other.example"))
    assert other.returncode == 0, other.stderr
    assert "warning" in other.stderr and issuer in other.stderr, other.stderr
    token = json.loads(other.stdout)["access_token"]
    assert h.decode_unverified(token)[1]["iss"] == "https://other.example"
    assert not accepted(token)


def test_user_token_without_a_recorded_issuer(db):
    """A database no bioauthd has served: the configured issuer, silently."""
    app = ok(db, "app", "create", "--name", "a")
    user = ok(db, "user", "create")
    proc = run(db, "user", "token", "--user-id", user["user_id"], "--client-id",
               app["client_id"], opts=("--issuer", "https://cfg.example"))
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert h.decode_unverified(json.loads(proc.stdout)["access_token"])[1]["iss"] == \
        "https://cfg.example"
