"""Several bioauthd instances over one PostgreSQL database.

Two (or three) bioauthd processes on different ports share ONE fresh
PostgreSQL database and one ``--issuer``, as they would behind a load
balancer. Nothing a second instance needs may live only in one process's
memory, and every single-use thing stays single-use across instances:

  - a user and key registered through one instance log in through the
    other, and the tokens of each are accepted by the other;
  - a /start challenge issued by one is consumed by the other, then refused
    by both;
  - 20 concurrent authenticates of one signed challenge, spread over both
    instances, give exactly one 200 (a /start challenge, and a client-made
    challenge); concurrent logins of one key with distinct challenges all
    succeed, promptly (no lock-upgrade deadlocks);
  - concurrent exchanges of one refresh token across both: at most one
    succeeds, and the reuse revokes the session everywhere;
  - a signing-key rotation done with ``bioauthctl --db URL signing-key
    rotate`` is honoured by both within ``--key-cache-seconds`` (2 here):
    new tokens carry the new kid, old tokens still verify, both JWKS list
    both kids; a token signed with the new key is accepted by every
    instance at once;
  - failed-signature counters are shared: failures spread over both lock
    the key on both;
  - revocation and logout through one instance hold on the other;
  - SIGKILL of one instance under load loses nothing either instance
    acknowledged;
  - instances started together on an empty database migrate it once, and
    agree on one first signing key;
  - bioauthctl (app create, user create, user token, audit) works on the
    PostgreSQL URL and sees what both instances wrote.

Runs only with BIOAUTH_TEST_PG_URL (see conftest.py); e.g.
    BIOAUTH_TEST_PG_URL=$(scripts/pg-test-cluster.sh start /tmp/pg) \\
        /usr/bin/python3 -m pytest -q test/api/test_multi_instance.py
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
import types
from typing import Any, Callable

import pytest
import requests

import conftest  # PG_URL, fresh_pg_database, BioauthServer (shared; not ours)
import helpers as h
import mb_helpers as mb

pytestmark = pytest.mark.skipif(
    conftest.PG_URL is None,
    reason="multi-instance tests need PostgreSQL: set BIOAUTH_TEST_PG_URL "
           "(e.g. $(scripts/pg-test-cluster.sh start DIR))")

#: Every instance of a deployment signs and checks this one issuer.
ISSUER = "https://auth.multi.test/oidc"
#: --key-cache-seconds of every instance: the staleness bound of signing keys.
KEY_CACHE = 2
#: Slack on top of KEY_CACHE for a loaded machine (request and poll times).
KEY_SLACK = 1.5
OPTS = {"issuer": ISSUER, "key_cache_seconds": KEY_CACHE}
CONCURRENT = 20


# --------------------------------------------------------------------------
# helpers

class Pair:
    """Two instances `a` and `b` over database `db`, one app, and an
    MBClient of the app on each instance."""

    def __init__(self, a, b, db: str):
        self.a, self.b, self.db = a, b, db
        self.app = h.create_app(db)
        self.mb_a = mb.MBClient(a, self.app)
        self.mb_b = mb.MBClient(b, self.app)

    @property
    def servers(self):
        return (self.a, self.b)

    @property
    def clients(self):
        return (self.mb_a, self.mb_b)


def start_pair(factory, db: str) -> Pair:
    return Pair(factory(db=db, **OPTS), factory(db=db, **OPTS), db)


@pytest.fixture(scope="module")
def pair(bioauthd_module):
    """Two instances sharing one fresh database for the whole module."""
    return start_pair(bioauthd_module, conftest.fresh_pg_database())


def at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Runs every callable on its own thread, released together by a
    barrier; returns their results (or the exception raised) in order."""
    barrier = threading.Barrier(len(calls))
    out: list[Any] = [None] * len(calls)

    def run(i: int, fn: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            out[i] = fn()
        except Exception as e:  # reported by the caller
            out[i] = e

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a concurrent request hung"
    return out


def status_view(results: list[Any]) -> list:
    """(status, error code) of each response, or the exception text."""
    view = []
    for r in results:
        if isinstance(r, requests.Response):
            try:
                body = r.json()
            except ValueError:
                body = {}
            code = body.get("error_code") or body.get("error") if isinstance(body, dict) else None
            view.append((r.status_code, code))
        else:
            view.append(repr(r))
    return view


def enrolled(client: mb.MBClient):
    """A fresh user (created through `client`'s instance) with a registered
    EC key; returns (person, device)."""
    person = mb.Person(client)
    dev = mb.Device("android", "ec")
    mb.enroll(client, person, dev)
    return person, dev


def kid_of(token: str) -> str:
    return h.header_of(token)["kid"]


def introspect_active(srv, app: dict, token: str) -> bool:
    r = h.introspect(srv, app, token)
    assert r.status_code == 200, f"introspection at {srv}: {r.status_code} {r.text!r}"
    return r.json().get("active") is True


def uses_client_token(client: mb.MBClient, token: str, user_id: str) -> int:
    """Status of a /start made with client token `token` (200 = accepted)."""
    return client.start(user_id, token=token).status_code


# --------------------------------------------------------------------------
# one instance writes, the other reads

def test_both_instances_serve_one_deployment(pair):
    """Same issuer, same signing key, both ready; a user and key registered
    through A log in through B, and the tokens of each instance are
    accepted by the other."""
    for srv in pair.servers:
        assert srv.get("/readyz").status_code == 200, srv
        assert h.discovery(srv)["issuer"] == ISSUER
    kids = [sorted(k["kid"] for k in h.fetch_jwks(s)["keys"]) for s in pair.servers]
    assert kids[0] == kids[1], f"the instances publish different keys: {kids}"

    person, dev = enrolled(pair.mb_a)                  # user + key through A
    r = pair.mb_b.authenticators(person.user_id)       # listed by B
    assert r.status_code == 200, r.text
    assert [a.get("publicKeyId") for a in r.json()["authenticators"]] == [dev.key_id], \
        f"B does not list the key registered through A: {r.text!r}"

    resp = mb.login(pair.mb_b, person, dev)            # login through B
    body, _, _ = mb.assert_tokens(pair.mb_b, resp, person)
    for srv in pair.servers:                           # verifies with both JWKS
        h.verify_jwt(srv, body["access_token"], typ="at+jwt")
        assert introspect_active(srv, pair.app, body["access_token"])
    # B's user token registers a second key through A; B's client token is
    # accepted by A and A's by B.
    dev2 = mb.Device("ios", "ec")
    mb.enroll(pair.mb_a, person, dev2, utoken=body["access_token"])
    assert uses_client_token(pair.mb_a, pair.mb_b.ctoken, person.user_id) == 200
    assert uses_client_token(pair.mb_b, pair.mb_a.ctoken, person.user_id) == 200
    # a client-made challenge through A with the key registered through A
    r = pair.mb_a.authenticate(mb.auth_body(person, dev2, mb.client_challenge()))
    mb.assert_tokens(pair.mb_a, r, person)


def test_start_challenge_consumed_by_the_other_then_refused_by_both(pair):
    person, dev = enrolled(pair.mb_b)
    challenge = pair.mb_a.challenge(person.user_id)            # issued by A
    r = pair.mb_b.authenticate(mb.auth_body(person, dev, challenge))
    mb.assert_tokens(pair.mb_b, r, person)                     # consumed by B
    for client in (pair.mb_b, pair.mb_a):                      # refused by both
        mb.assert_err(client.authenticate(mb.auth_body(person, dev, challenge)),
                      400, "challenge_reused")


@pytest.mark.parametrize("kind", ["start", "client"])
def test_concurrent_authenticates_of_one_challenge_one_winner(pair, kind):
    """20 concurrent authenticates with one signed challenge, alternating
    between the instances: exactly one 200, every other one challenge_reused
    (no 5xx)."""
    person, dev = enrolled(pair.mb_a)
    challenge = pair.mb_b.challenge(person.user_id) if kind == "start" else mb.client_challenge()
    body = mb.auth_body(person, dev, challenge)
    clients = [pair.clients[i % 2] for i in range(CONCURRENT)]
    results = at_once([lambda c=c: c.authenticate(body) for c in clients])
    view = status_view(results)
    winners = [i for i, v in enumerate(view) if v == (200, None)]
    assert len(winners) == 1, f"{kind} challenge: want exactly one 200, got {view}"
    losers = [v for i, v in enumerate(view) if i not in winners]
    assert all(v == (400, "challenge_reused") for v in losers), \
        f"{kind} challenge: the other requests must be challenge_reused: {view}"
    mb.assert_tokens(clients[winners[0]], results[winners[0]], person)
    for client in pair.clients:          # and it stays spent on both
        mb.assert_err(client.authenticate(body), 400, "challenge_reused")


def test_concurrent_logins_of_one_key_across_instances(bioauthd):
    """One key, 8 logins at once, each with its own /start challenge, spread
    over both instances (a user with two apps open, or retries): every one
    succeeds, promptly. Each login inserts its (key, challenge) pair, whose
    foreign-key check share-locks the key's row, and then locks that row
    FOR UPDATE to reset the failure counter; two such transactions
    deadlock unless the row lock is taken first (or is FOR NO KEY UPDATE),
    and every deadlock costs PostgreSQL's deadlock_timeout (1 s) and a
    retry. Up to three rounds, since a deadlock needs the transactions to
    overlap. (Its own pair of instances: requests that time out here keep
    the instances busy for a while.)"""
    pair = start_pair(bioauthd, conftest.fresh_pg_database())
    person, dev = enrolled(pair.mb_a)
    n = 8
    for rnd in range(3):
        challenges = [pair.clients[i % 2].challenge(person.user_id) for i in range(n)]
        t0 = time.monotonic()
        results = at_once([lambda i=i: requests.post(
            pair.clients[i % 2].base + mb.MB + "/authenticate",
            json=mb.auth_body(person, dev, challenges[i]),
            headers=h.bearer(pair.clients[i % 2].ctoken), timeout=8) for i in range(n)])
        took = time.monotonic() - t0
        view = status_view(results)
        assert all(v == (200, None) for v in view), \
            f"round {rnd + 1}: {n} concurrent logins of one key, distinct challenges: " \
            f"{view} (took {took:.1f} s)"
        assert took < 4, f"round {rnd + 1}: {n} concurrent logins of one key took " \
                         f"{took:.1f} s (lock waits, deadlocks)"


# --------------------------------------------------------------------------
# refresh tokens

def _refresh_call(pair, i: int, token: str):
    """Exchange number i: instance A or B, /oidc/token or /v1 refresh."""
    srv, client = (pair.a, pair.mb_a) if i % 2 == 0 else (pair.b, pair.mb_b)
    if (i // 2) % 2 == 0:
        return h.refresh_oauth(srv, pair.app, token)
    return h.refresh(srv, client.ctoken, token)


def _new_refresh_session(pair):
    person, dev = enrolled(pair.mb_a)
    body, _, _ = mb.assert_tokens(pair.mb_a, mb.login(pair.mb_a, person, dev), person)
    return person, body


def test_refresh_chain_across_instances_and_sequential_reuse(pair):
    """Rotating through A then B works; replaying the spent token at B
    revokes the session, which A then honours."""
    _, body = _new_refresh_session(pair)
    r1 = h.refresh_oauth(pair.a, pair.app, body["refresh_token"])
    assert r1.status_code == 200, r1.text
    r2 = h.refresh(pair.b, pair.mb_b.ctoken, r1.json()["refresh_token"])
    assert r2.status_code == 200, r2.text
    h.assert_error(h.refresh(pair.b, pair.mb_b.ctoken, r1.json()["refresh_token"]),
                   400, "invalid_grant")                               # reuse at B
    h.assert_oauth_error(h.refresh_oauth(pair.a, pair.app, r2.json()["refresh_token"]),
                         400, "invalid_grant")                         # revoked at A
    for srv in pair.servers:
        assert not introspect_active(srv, pair.app, r2.json()["access_token"])


def test_concurrent_refreshes_across_instances_at_most_one_wins(pair):
    _, body = _new_refresh_session(pair)
    token = body["refresh_token"]
    results = at_once([lambda i=i: _refresh_call(pair, i, token) for i in range(CONCURRENT)])
    view = status_view(results)
    winners = [i for i, v in enumerate(view) if v == (200, None)]
    assert len(winners) <= 1, f"one refresh token was exchanged {len(winners)} times: {view}"
    losers = [v for i, v in enumerate(view) if i not in winners]
    assert all(v == (400, "invalid_grant") for v in losers), \
        f"the other exchanges must be invalid_grant (no 5xx): {view}"
    # Some loser saw the token already rotated: reuse, the session is revoked
    # everywhere, so nothing the winner got is usable on either instance.
    assert losers, view
    for srv in pair.servers:
        assert not introspect_active(srv, pair.app, body["access_token"]), \
            f"session still live at {srv} after refresh-token reuse"
    if winners:
        won = results[winners[0]].json()
        for i, srv in enumerate(pair.servers):
            assert not introspect_active(srv, pair.app, won["access_token"])
            r = _refresh_call(pair, i, won["refresh_token"])
            assert status_view([r]) == [(400, "invalid_grant")], \
                f"the winner's refresh token still works at {srv}: {r.text!r}"


def test_revocation_and_logout_hold_on_the_other_instance(pair):
    _, body = _new_refresh_session(pair)
    r = h.revoke(pair.a, pair.app, body["access_token"])
    assert r.status_code == 200, r.text
    assert not introspect_active(pair.b, pair.app, body["access_token"])
    r = pair.mb_b.post("/v1/auth/session/logout", {"session_id": body["session_id"]})
    assert r.status_code == 204, r.text
    h.assert_oauth_error(h.refresh_oauth(pair.a, pair.app, body["refresh_token"]),
                         400, "invalid_grant")


# --------------------------------------------------------------------------
# lockout

def _fail_once(client, person, dev):
    challenge = client.challenge(person.user_id)
    return client.authenticate(mb.auth_body(person, dev, challenge,
                                            signature=mb.bad_signature(dev, challenge)))


def test_lockout_counters_are_shared(pair):
    """The default threshold is 5 consecutive failures. Twice 4 failures
    (2 through each instance) and a success: never locked, so the success
    reset the one shared count. Then 5 failures, 3 through A and 2 through
    B (never 5 on one instance), lock the key on both."""
    person, dev = enrolled(pair.mb_a)
    for i in range(4):
        mb.assert_err(_fail_once(pair.clients[i % 2], person, dev), 401, "invalid_signature")
    mb.assert_tokens(pair.mb_b, mb.login(pair.mb_b, person, dev), person)   # resets
    for i in range(4):
        mb.assert_err(_fail_once(pair.clients[i % 2], person, dev), 401, "invalid_signature")
    mb.assert_tokens(pair.mb_a, mb.login(pair.mb_a, person, dev), person)   # 4 < 5: fine

    for i in range(5):
        r = _fail_once(pair.clients[i % 2], person, dev)
        assert status_view([r])[0] in ((401, "invalid_signature"), (429, "key_locked")), \
            f"failure {i + 1}: {r.status_code} {r.text!r}"
        if i < 4:
            assert r.status_code == 401, f"locked after only {i + 1} failures: {r.text!r}"
    for client in pair.clients:
        mb.assert_err(mb.login(client, person, dev), 429, "key_locked")


# --------------------------------------------------------------------------
# signing keys

def _wait_for_kid(client: mb.MBClient, kid: str, deadline: float) -> float:
    """Polls new client tokens of `client`'s instance until they carry
    `kid`; returns when (monotonic); fails at `deadline`."""
    while True:
        now = time.monotonic()
        if kid_of(h.client_token(client.server, client.app)) == kid:
            return now
        assert now < deadline, f"{client.server} still signs with the old key"
        time.sleep(0.05)


def test_signing_key_rotation_honoured_by_both_within_bound(pair):
    person, _ = enrolled(pair.mb_a)
    old = {srv.url: h.client_token(srv, pair.app) for srv in pair.servers}
    old_kids = {kid_of(t) for t in old.values()}
    assert len(old_kids) == 1, f"the instances sign with different keys: {old_kids}"
    old_kid = old_kids.pop()

    new_kid = h.rotate_signing_key(pair.db)["kid"]
    rotated_at = time.monotonic()
    assert new_kid != old_kid
    deadline = rotated_at + KEY_CACHE + KEY_SLACK
    for client in pair.clients:
        switched = _wait_for_kid(client, new_kid, deadline)
        assert switched - rotated_at <= KEY_CACHE + KEY_SLACK
    # once switched, they never sign with the old key again
    for client in pair.clients * 3:
        assert kid_of(h.client_token(client.server, client.app)) == new_kid

    for srv, client in zip(pair.servers, pair.clients):
        kids = {k["kid"] for k in h.fetch_jwks(srv)["keys"]}
        assert {old_kid, new_kid} <= kids, f"JWKS of {srv}: {kids}"
        for token in old.values():            # old tokens still verify on both
            h.verify_jwt(srv, token, typ="at+jwt")
            assert introspect_active(srv, pair.app, token)
            assert uses_client_token(client, token, person.user_id) == 200
        for other in pair.servers:            # new tokens of each verify on both
            token = h.client_token(other, pair.app)
            h.verify_jwt(srv, token, typ="at+jwt")
            assert uses_client_token(client, token, person.user_id) == 200


#: A longer key cache for the stale-snapshot test, so that its staggering
#: of the two caches survives a loaded machine.
SLOW_KEY_CACHE = 4


def test_token_signed_with_a_new_key_is_accepted_by_every_instance_at_once(bioauthd):
    """Right after a rotation, an instance whose key cache is still fresh
    has not seen the new key yet. A token signed with it - by bioauthctl, or
    by the other instance that already reloaded - must still be accepted:
    behind a load balancer a client's next request lands anywhere, so a
    verifier that meets an unknown kid has to look in the store before it
    refuses the token.

    Both instances run with --key-cache-seconds 4, and their caches are
    staggered on purpose: A reloads at tA, B at tA + 2 s, and the key is
    rotated just after. A snapshot is reloaded once it is 4 whole seconds
    old (time(NULL) granularity: after 3 to 4 s), so A signs with the new
    key by tA + 4 s while B's snapshot does not know it before tA + 5 s."""
    db = conftest.fresh_pg_database()
    opts = dict(OPTS, key_cache_seconds=SLOW_KEY_CACHE)
    p = Pair(bioauthd(db=db, **opts), bioauthd(db=db, **opts), db)
    person, _ = enrolled(p.mb_a)
    ok = lambda client: uses_client_token(client, client.ctoken, person.user_id) == 200
    refused = []

    time.sleep(SLOW_KEY_CACHE + 0.1)
    assert ok(p.mb_a)                          # A reloads (tA)
    t_a = time.monotonic()
    time.sleep(SLOW_KEY_CACHE / 2)
    assert ok(p.mb_b)                          # B reloads (tA + 2)
    new_kid = h.rotate_signing_key(db)["kid"]

    # 1. bioauthctl signs with the new key at once: both caches are fresh
    minted = h.user_token_ctl(db, person.user_id, p.app["client_id"],
                              issuer=ISSUER)["access_token"]
    assert kid_of(minted) == new_kid
    for srv in p.servers:
        if not introspect_active(srv, p.app, minted):
            refused.append(f"{srv.url} refused bioauthctl's token "
                           f"{time.monotonic() - t_a:.2f} s after A's reload")

    # 2. A's first token with the new key, presented to B at once
    _wait_for_kid(p.mb_a, new_kid, t_a + SLOW_KEY_CACHE + KEY_SLACK)
    token_a = h.client_token(p.a, p.app)
    assert kid_of(token_a) == new_kid
    if not introspect_active(p.b, p.app, token_a) or \
            uses_client_token(p.mb_b, token_a, person.user_id) != 200:
        refused.append(f"B refused A's client token (kid {new_kid}) "
                       f"{time.monotonic() - t_a:.2f} s after A's reload")
    assert not refused, (
        f"tokens signed with the key rotated a moment ago are refused until the "
        f"key cache of the verifying instance expires: {refused}")


# --------------------------------------------------------------------------
# process death and start-up

def test_sigkill_of_one_instance_loses_nothing_acknowledged(bioauthd):
    """Writers run against A and B (user creations and /start challenges);
    A is SIGKILLed mid-load while B keeps taking writes; a new A starts on
    the same database. Every write either instance answered 2xx is there,
    and B answered every request it got with 2xx throughout."""
    db = conftest.fresh_pg_database()
    p = start_pair(bioauthd, db)
    people = [enrolled(p.mb_b) for _ in range(2)]
    acked = {"a": {"users": [], "chals": []}, "b": {"users": [], "chals": []}}
    b_errors: list = []
    stop = {"a": threading.Event(), "b": threading.Event()}

    def writer(name: str, client: mb.MBClient, what: str) -> None:
        sess = requests.Session()
        n = 0
        while not stop[name].is_set():
            n += 1
            try:
                if what == "users":
                    r = sess.post(client.base + "/v1/users", headers=h.bearer(client.ctoken),
                                  json={"username": h.unique_name("k")}, timeout=10)
                    if r.status_code == 201:
                        acked[name]["users"].append(r.json()["result"]["user_id"])
                else:
                    k = n % len(people)
                    r = sess.post(client.base + mb.MB + "/start", headers=h.bearer(client.ctoken),
                                  json={"user_id": people[k][0].user_id}, timeout=10)
                    if r.status_code == 200:
                        acked[name]["chals"].append((k, r.json()["challenge"]))
                if name == "b" and r.status_code // 100 != 2:
                    b_errors.append((what, r.status_code, r.text[:200]))
            except requests.RequestException as e:
                if name == "b":
                    b_errors.append((what, repr(e)))
                else:
                    time.sleep(0.05)        # A is gone; its thread idles
                sess = requests.Session()

    threads = [threading.Thread(target=writer, args=(name, c, what))
               for name, c in (("a", p.mb_a), ("b", p.mb_b)) for what in ("users", "chals")]
    for t in threads:
        t.start()
    try:
        time.sleep(1.0)
        p.a.signal(signal.SIGKILL)
        p.a.returncode = p.a.proc.wait()
        p.a.expect_exit = -signal.SIGKILL
        stop["a"].set()
        before = len(acked["b"]["users"]) + len(acked["b"]["chals"])
        time.sleep(1.0)                                # B alone
        a2 = bioauthd(db=db, **OPTS)                   # A restarts
        time.sleep(0.3)
        during = len(acked["b"]["users"]) + len(acked["b"]["chals"]) - before
    finally:
        stop["a"].set()
        stop["b"].set()
        for t in threads:
            t.join(timeout=30)
    assert not b_errors, f"B failed requests while A died: {b_errors[:5]}"
    assert during > 0, "B acknowledged nothing while A was down"
    assert acked["a"]["users"] and acked["b"]["users"], acked

    a2_client = mb.MBClient(a2, p.app)
    users = acked["a"]["users"] + acked["b"]["users"]
    missing = [u for u in users
               if h.get_user(a2, a2_client.ctoken, u).status_code != 200]
    assert not missing, f"{len(missing)} of {len(users)} acknowledged users lost: {missing[:5]}"
    # Every acknowledged, never used /start challenge still works. One at a
    # time: concurrent logins of one key are test_concurrent_logins_of_one_key.
    chals = acked["a"]["chals"] + acked["b"]["chals"]
    clients = [a2_client, p.mb_b]
    bad = []
    for i, (k, c) in enumerate(chals):
        person, dev = people[k]
        r = clients[i % 2].authenticate(mb.auth_body(person, dev, c))
        if r.status_code != 200:
            bad.append((c, r.status_code, r.text[:200]))
    assert not bad, f"{len(bad)} of {len(chals)} acknowledged challenges lost: {bad[:5]}"


#: The advisory lock key under which bioauthd applies migrations
#: (MIGRATION_LOCK of src/store/postgres_migrations.c, "bioauth1").
MIGRATION_LOCK = 7091321552644630577


def psql(db: str, sql: str) -> str:
    return subprocess.run(["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", db, "-c", sql],
                          capture_output=True, text=True, check=True, timeout=30).stdout.strip()


def advisory_locks(db: str, granted: bool) -> int:
    """How many advisory locks of this database are `granted` (or waited
    for)."""
    return int(psql(db, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                        f" AND granted = {str(granted).lower()} AND database ="
                        " (SELECT oid FROM pg_database WHERE datname = current_database())"))


def wait_until(cond: Callable[[], bool], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.05)


def start_together(factory, db: str, n: int = 3, **opts: Any) -> list:
    """Starts `n` instances on `db` that meet at the migration lock: a psql
    session holds it until all `n` wait for it (which also shows that
    start-up takes it), then lets go, so they run the rest of their start-up
    side by side. Waits until each answers /healthz."""
    holder = subprocess.Popen(["psql", "-X", "-q", "-At", db], stdin=subprocess.PIPE,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    servers = []
    try:
        holder.stdin.write(f"SELECT pg_advisory_lock({MIGRATION_LOCK});\n")
        holder.stdin.flush()
        wait_until(lambda: advisory_locks(db, True) == 1, "psql holds the migration lock")
        servers = [factory(db=db, wait=False, **dict(OPTS, **opts)) for _ in range(n)]
        wait_until(lambda: advisory_locks(db, False) == n,
                   f"{n} starting instances wait for the migration lock")
        holder.stdin.write(f"SELECT pg_advisory_unlock({MIGRATION_LOCK});\n\\q\n")
        holder.stdin.flush()
        holder.wait(timeout=30)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    deadline = time.monotonic() + conftest.START_TIMEOUT
    for srv in servers:
        while not srv.alive():
            assert srv.proc.poll() is None, f"{srv} exited:\n{srv.log_text()[-2000:]}"
            assert time.monotonic() < deadline, f"{srv} did not start"
            time.sleep(0.05)
    return servers


def test_instances_started_together_migrate_an_empty_database_once(bioauthd):
    """Three instances started at the same moment on an empty database all
    wait for the migration lock (an advisory lock), then each comes up
    ready, every migration is recorded once, and `bioauthctl db migrate`
    has nothing left to do."""
    db = conftest.fresh_pg_database()
    servers = start_together(bioauthd, db)
    for srv in servers:
        assert srv.get("/readyz").status_code == 200, srv
    version = h.ctl(db, "db", "migrate")["version"]
    out = psql(db, "SELECT count(*), count(DISTINCT version), max(version) FROM schema_version")
    assert out == f"{version}|{version}|{version}", \
        f"schema_version rows|distinct|max = {out}, want each of 1..{version} once"


def test_instances_started_together_agree_on_one_first_signing_key(bioauthd):
    """Three instances started together on a database without keys sign
    with one key and publish the same JWKS. Today each instance that finds
    no current key creates one, and creating is a rotation: the instances
    that lose the race have their fresh key retired by the winner's, sign
    with it anyway until their cache expires, and until then do not know
    (and refuse) the keys the others made. With --signing-alg RS256 making
    the key (RSA generation, between "no key found" and "key stored") takes
    long enough that instances started side by side always overlap."""
    db = conftest.fresh_pg_database()
    h.ctl(db, "db", "migrate")
    assert h.list_signing_keys(db) == []
    servers = start_together(bioauthd, db, signing_alg="RS256")
    app = h.create_app(db)
    keys = h.list_signing_keys(db)
    jwks = [sorted(k["kid"] for k in h.fetch_jwks(s)["keys"]) for s in servers]
    signers = [kid_of(h.client_token(s, app)) for s in servers]
    assert len(keys) == 1 and len(set(signers)) == 1 and jwks[0] == jwks[1] == jwks[2], (
        f"instances started together made {len(keys)} first signing keys; "
        f"they sign with {signers} and publish {jwks}")


# --------------------------------------------------------------------------
# bioauthctl on the PostgreSQL URL

def test_bioauthctl_on_postgres_sees_both_instances(pair):
    app = h.create_app(pair.db, resources=("https://api.ctl.test",))
    user = h.create_user_ctl(pair.db, username=h.unique_name("ctl"))
    shown = h.ctl(pair.db, "app", "show", app["app_id"])
    assert shown["client_id"] == app["client_id"] and "client_secret" not in shown
    assert h.ctl(pair.db, "user", "show", user["user_id"])["user_id"] == user["user_id"]

    clients = [mb.MBClient(srv, app) for srv in pair.servers]   # ctl's app, on both
    utoken = h.user_token_ctl(pair.db, user["user_id"], app["client_id"],
                              issuer=ISSUER)["access_token"]
    for c in clients:
        assert h.get_user(c.server, c.ctoken, user["user_id"]).status_code == 200
        assert introspect_active(c.server, app, utoken)
    dev = mb.Device("ios", "ec")
    r = clients[0].register(utoken, dev.register_body())      # ctl's token at A
    assert r.status_code == 200, r.text
    who = types.SimpleNamespace(user_id=user["user_id"])
    mb.assert_tokens(clients[1], mb.login(clients[1], who, dev), who)   # login at B
    challenge = clients[0].challenge(user["user_id"])
    r = clients[0].authenticate(mb.auth_body(user["user_id"], dev, challenge,
                                             signature=mb.bad_signature(dev, challenge)))
    mb.assert_err(r, 401, "invalid_signature")

    events = h.ctl(pair.db, "audit", "--user", user["user_id"])
    seen = [(e.get("event"), e.get("outcome")) for e in events]
    for want in (("register", "success"), ("authenticate", "success"),
                 ("authenticate", "failure")):
        assert want in seen, f"audit lacks {want}: {seen}"
    assert all(e.get("app_id") == app["app_id"] for e in events), events
    assert h.ctl(pair.db, "user", "delete", user["user_id"]) is not None
    for c in clients:
        assert h.get_user(c.server, c.ctoken, user["user_id"]).status_code == 404


def test_bioauthctl_never_prints_the_database_password(bioauthd):
    """A PostgreSQL URL may carry the password; bioauthd never logs it, and
    bioauthctl must not print it either when the database cannot be opened
    (wrong password; nobody listening)."""
    from urllib.parse import urlsplit, urlunsplit
    parts = urlsplit(conftest.fresh_pg_database())
    secret = "not-the-password-5f1d"
    wrong = urlunsplit(parts._replace(
        netloc=f"{parts.username}:{secret}@{parts.hostname}:{parts.port}"))
    closed = urlunsplit(parts._replace(
        netloc=f"{parts.username}:{secret}@127.0.0.1:{conftest.free_port()}"))
    for url in (wrong, closed):
        proc = h.ctl(url, "app", "list", check=False)
        assert proc.returncode != 0, proc
        assert secret not in proc.stdout + proc.stderr, \
            f"bioauthctl printed the database password: {proc.stderr.strip()!r}"
        srv = bioauthd(db=url, wait=False, **OPTS)
        srv.expect_exit = 1
        assert srv.wait(timeout=20) == 1, srv.log_text()
        assert secret not in srv.log_text(), f"bioauthd logged the password: {srv.log_text()}"
