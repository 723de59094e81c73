"""User deletion is final (issue 15, item 1), black-box.

``DELETE /v1/users/{id}`` is the documented way to end every session of a
stolen account. Password logins (which spend Argon2id time between reading
the user and committing their session) and key registrations (with a user
token obtained before) race the deletion; afterwards the same user_id is
created again. Over many rounds nothing may survive the deletion:

  - no access token of any of the racing logins is accepted, on any
    instance;
  - no refresh token of any of them works (400 invalid_grant);
  - the re-created user has no authenticator, so no key registered in the
    race logs in as the new user.

Runs on SQLite (one instance) and, with BIOAUTH_TEST_PG_URL, on two
bioauthd instances over one PostgreSQL database (requests spread over
both).
"""

from __future__ import annotations

import random
import threading
import time

import pytest

import conftest
import helpers as h
import mb_helpers as mb

ROUNDS = 12
LOGINS = 6
REGISTRATIONS = 3
PW = h.DEFAULT_PASSWORD
#: Concurrent logins of one user are counted as attempts before their
#: password is checked (test_password_guard.py); this test races deletions.
GUARD_OFF = {"password_max_failures": 1000000}


def at_once(calls):
    """Runs every callable on its own thread, released together; returns
    the results (or the exception raised) in order."""
    barrier = threading.Barrier(len(calls))
    out = [None] * len(calls)

    def run(i, fn):
        try:
            barrier.wait(timeout=30)
            out[i] = fn()
        except Exception as e:  # reported by the caller
            out[i] = e

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a concurrent request hung"
    for o in out:
        if isinstance(o, Exception):
            raise o
    return out


def one_round(clients, rnd: random.Random) -> dict:
    """One race on a fresh user; returns what survived the deletion."""
    first = clients[0]
    uid = h.unique_name("race")
    name = h.unique_name("racer")
    h.create_user(first.server, first.ctoken, username=name, password=PW, user_id=uid)
    utoken = h.password_login(first.server, first.ctoken, name, PW)["access_token"]
    devices = [mb.Device() for _ in range(REGISTRATIONS)]

    def login(c):
        return lambda: h.password_login_response(c.server, c.ctoken, name, PW)

    def register(c, dev):
        return lambda: c.register(utoken, dev.register_body())

    def delete(c, delay):
        def go():
            time.sleep(delay)
            return h.delete_user(c.server, c.ctoken, uid)
        return go

    calls = [login(clients[i % len(clients)]) for i in range(LOGINS)]
    calls += [register(clients[i % len(clients)], d) for i, d in enumerate(devices)]
    calls.append(delete(clients[-1], rnd.uniform(0.0, 0.06)))
    res = at_once(calls)
    logins, regs, deleted = res[:LOGINS], res[LOGINS:-1], res[-1]
    assert deleted.status_code == 204, deleted.text
    for r in logins:
        assert r.status_code in (200, 401), r.text
        if r.status_code == 401:
            h.assert_error(r, 401, "invalid_credentials")
    won = [r.json() for r in logins if r.status_code == 200]

    # the same user_id again, as a backend re-using its ids would
    h.create_user(first.server, first.ctoken, username=h.unique_name("heir"),
                  password=PW + "-heir", user_id=uid)
    out = {"logins_ok": len(won), "registered": sum(r.status_code == 200 for r in regs),
           "tokens": 0, "refresh": 0, "keys": 0}
    for t in won:
        for c in clients:
            if h.user_token_accepted(c.server, t["access_token"]):
                out["tokens"] += 1
        r = h.refresh(first.server, first.ctoken, t["refresh_token"])
        if r.status_code == 200:
            out["refresh"] += 1
        else:
            h.assert_error(r, 400, "invalid_grant")
    for c in clients:
        r = c.authenticators(uid)
        assert r.status_code == 200, r.text
        out["keys"] += len(r.json()["authenticators"])
    return out


def race(clients) -> None:
    rnd = random.Random(15)
    total = {"logins_ok": 0, "registered": 0, "tokens": 0, "refresh": 0, "keys": 0}
    for _ in range(ROUNDS):
        for k, v in one_round(clients, rnd).items():
            total[k] += v
    survivors = total["tokens"] + total["refresh"] + total["keys"]
    assert survivors == 0, f"survived the deletion over {ROUNDS} rounds: {total}"


def test_deletion_races_logins_and_registrations_one_instance(bioauthd):
    """SQLite, or PostgreSQL when BIOAUTH_TEST_PG_URL is set."""
    srv = bioauthd(**GUARD_OFF)
    app = h.create_app(srv)
    race([mb.MBClient(srv, app)])


@pytest.mark.skipif(conftest.PG_URL is None,
                    reason="needs PostgreSQL: set BIOAUTH_TEST_PG_URL")
def test_deletion_races_logins_and_registrations_two_pg_instances(bioauthd):
    db = conftest.fresh_pg_database()
    opts = {"issuer": "https://auth.race.test/oidc", "key_cache_seconds": 2, **GUARD_OFF}
    a, b = bioauthd(db=db, **opts), bioauthd(db=db, **opts)
    app = h.create_app(db)
    race([mb.MBClient(a, app), mb.MBClient(b, app)])
