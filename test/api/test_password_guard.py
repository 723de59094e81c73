"""Password guessing per user (issue 15, item 7), black-box.

After --password-max-failures N consecutive failed attempts for a username,
each further attempt must wait 1 s, 2 s, 4 s, ... (at most
--password-max-wait) after the previous one, else it is answered 429
too_many_attempts with Retry-After - even with the right password. A
success resets the count. Unknown usernames behave exactly the same. When
the backend passes the end user's IP in client_attributes.ip_address the
count is per (user, IP), with a per-user cap of 10 x N. The counts are in
the store, so they hold across instances (PostgreSQL).
"""

from __future__ import annotations

import time

import pytest

import conftest
import helpers as h

N = 3
OPTS = {"password_max_failures": N, "password_max_wait": 4}
PW = h.DEFAULT_PASSWORD


@pytest.fixture(scope="module")
def srv(bioauthd_module):
    return bioauthd_module(**OPTS)


@pytest.fixture(scope="module")
def ctoken(srv):
    return h.client_token(srv, h.create_app(srv))


def attempt(srv, ctoken, name, password, ip=None):
    opts = {"client_attributes": {"ip_address": ip}} if ip is not None else {}
    return h.password_login_response(srv, ctoken, name, password, **opts)


def assert_delayed(r, at_most):
    """429 too_many_attempts with a Retry-After of 1..at_most seconds."""
    h.assert_error(r, 429, "too_many_attempts")
    ra = r.headers.get("Retry-After", "")
    assert ra.isdigit() and 1 <= int(ra) <= at_most, r.headers
    return int(ra)


def fail_n(srv, ctoken, name, n, ip=None):
    for _ in range(n):
        h.assert_error(attempt(srv, ctoken, name, "wrong-" + PW, ip), 401,
                       "invalid_credentials")


def slow_down(srv, ctoken, name, ip=None):
    """N failures, then two more each after its wait: the next attempt now
    waits 4 s (the cap), slack enough for a loaded machine."""
    fail_n(srv, ctoken, name, N, ip)
    for wait in (1, 2):
        time.sleep(wait + 0.1)
        fail_n(srv, ctoken, name, 1, ip)


def new_user(srv, ctoken):
    name = h.unique_name("pg")
    h.create_user(srv, ctoken, username=name, password=PW)
    return name


def test_delay_after_failures_even_for_the_right_password_then_reset(srv, ctoken):
    name = new_user(srv, ctoken)
    slow_down(srv, ctoken, name)
    wait = assert_delayed(attempt(srv, ctoken, name, PW), 4)
    time.sleep(wait + 0.1)
    assert attempt(srv, ctoken, name, PW).status_code == 200   # a success resets
    fail_n(srv, ctoken, name, N)                                # N more are checked


def test_delay_doubles_up_to_the_cap(srv, ctoken):
    name = new_user(srv, ctoken)
    fail_n(srv, ctoken, name, N)
    waits = []
    for _ in range(4):
        r = attempt(srv, ctoken, name, "wrong")
        if r.status_code == 401:       # the machine was slower than the wait
            waits.append(0)
            continue
        waits.append(assert_delayed(r, 4))
        time.sleep(waits[-1] + 0.1)
        fail_n(srv, ctoken, name, 1)
    # 1, 2, 4, then the cap (4, not 8: assert_delayed checks at most 4)
    assert waits[2] >= 3 and waits[3] >= 3, waits


def test_unknown_username_behaves_the_same(srv, ctoken):
    known, unknown = new_user(srv, ctoken), h.unique_name("nobody")
    views = []
    for name in (known, unknown):
        slow_down(srv, ctoken, name)
        r = attempt(srv, ctoken, name, PW if name == known else "x")
        assert_delayed(r, 4)
        views.append(r.json())
    assert views[0] == views[1], views


def test_guessing_one_user_does_not_slow_others(srv, ctoken):
    victim, other = new_user(srv, ctoken), new_user(srv, ctoken)
    slow_down(srv, ctoken, victim)
    t0 = time.monotonic()
    answers = [attempt(srv, ctoken, victim, "guess-%d" % i).status_code for i in range(20)]
    if time.monotonic() - t0 < 3:
        assert answers == [429] * 20, answers          # no guess was checked
    assert answers.count(401) <= 1, answers
    for _ in range(3):
        assert attempt(srv, ctoken, other, PW).status_code == 200


def test_count_is_per_client_ip(srv, ctoken):
    name = new_user(srv, ctoken)
    slow_down(srv, ctoken, name, ip="203.0.113.7")
    assert_delayed(attempt(srv, ctoken, name, PW, ip="203.0.113.7"), 4)
    # the user, from another address, is not locked out by that client
    r = attempt(srv, ctoken, name, PW, ip="198.51.100.2")
    assert r.status_code == 200, r.text


def test_per_user_cap_over_all_addresses(srv, ctoken):
    name = new_user(srv, ctoken)
    for i in range(10 * N):
        fail_n(srv, ctoken, name, 1, ip="192.0.2.%d" % i)
    for wait in (1, 2):
        time.sleep(wait + 0.1)
        fail_n(srv, ctoken, name, 1, ip="192.0.2.%d" % (100 + wait))
    assert_delayed(attempt(srv, ctoken, name, PW, ip="192.0.2.250"), 4)


@pytest.mark.skipif(conftest.PG_URL is None,
                    reason="needs PostgreSQL: set BIOAUTH_TEST_PG_URL")
def test_count_holds_across_instances(bioauthd):
    db = conftest.fresh_pg_database()
    opts = dict(OPTS, issuer="https://auth.guard.test/oidc")
    a, b = bioauthd(db=db, **opts), bioauthd(db=db, **opts)
    app = h.create_app(db)
    ta, tb = h.client_token(a, app), h.client_token(b, app)
    name = new_user(a, ta)
    slow_down(a, ta, name)
    assert_delayed(attempt(b, tb, name, PW), 4)


def test_sixth_concurrent_right_password_login_is_429(bioauthd_module):
    """Every attempt is counted before its password is checked, so at most
    --password-max-failures (default 5) attempts of one user are in flight
    at once: of 6 concurrent logins with the right password, the sixth is
    counted while the first five are still being checked and waits
    (429 too_many_attempts), however right its password."""
    import threading

    srv = bioauthd_module()          # the defaults: 5 failures
    ct = h.client_token(srv, h.create_app(srv))
    rounds = []
    for _ in range(3):               # a round where a login finished before the
        name = new_user(srv, ct)     # sixth was counted proves nothing: retry
        barrier = threading.Barrier(6)
        out = [None] * 6

        def one(i, name=name, barrier=barrier, out=out):
            barrier.wait()
            out[i] = attempt(srv, ct, name, PW)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        statuses = sorted(r.status_code for r in out)
        rounds.append(statuses)
        for r in out:
            if r.status_code == 429:
                assert_delayed(r, 1)
        if statuses == [200] * 5 + [429]:
            break
    assert rounds[-1] == [200] * 5 + [429], rounds
