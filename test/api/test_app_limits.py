"""Per-app limits (issue 15, item 8), black-box.

- Quotas on an app's outstanding /start challenges (unconsumed and
  unexpired) and on the bytes of their approval_data: past either, /start
  is 429 challenge_quota_exceeded / approval_data_quota_exceeded. The
  count is taken in the store inside the transaction that inserts the
  challenge (one conditional UPDATE of the app's usage row), so concurrent
  /start calls - also on two instances over one PostgreSQL database -
  never pass it.
- A refresh-token reuse interval: with N > 0 seconds, a rotated refresh
  token used again within N seconds gets a new pair of the same session
  (the client's retry), later reuse revokes the session as with 0.
- Users API permissions: read / create / delete, each refused with 403
  users_api_forbidden when the app lacks it.
- ``bioauthctl app update`` sets all of these and
  ``--require-biometric-to-enrol``.
"""

from __future__ import annotations

import threading
import time

import pytest
import requests

import conftest
import helpers as h
from mb_helpers import Device, MBClient, Person, assert_err, enroll, login


def app_with(server, *flags):
    return h.ctl(server, "app", "create", "--name", h.unique_name("app"),
                 "--resource", "https://api.example.test", *flags)


def approval(nbytes):
    """An approval_data object whose compact JSON text is `nbytes` long."""
    base = '{"t":""}'
    return {"t": "x" * (nbytes - len(base))}


# --- challenge quotas ---

def test_default_quotas_and_permissions(server):
    app = app_with(server)
    assert app["max_challenges"] == 1000000, app
    assert app["max_approval_data_bytes"] == 268435456, app
    assert app["refresh_reuse_interval"] == 0, app
    assert app["users_api"] == ["read", "create", "delete"], app


def test_challenge_quota_counts_outstanding_challenges(server):
    mb = MBClient(server, app_with(server, "--max-challenges", "3"))
    alice = Person(mb)
    dev = Device("ios", "ec")
    enroll(mb, alice, dev)
    challenges = [mb.challenge(alice.user_id) for _ in range(3)]
    r = mb.start(alice.user_id)
    body = assert_err(r, 429, "challenge_quota_exceeded")
    assert "outstanding challenges" in body["message"], body
    # a login consumes one: its place is free again
    r = login(mb, alice, dev, challenge=challenges[0])
    assert r.status_code == 200, r.text
    mb.challenge(alice.user_id)
    assert_err(mb.start(alice.user_id), 429, "challenge_quota_exceeded")
    # another app is not affected
    other = MBClient(server, h.create_app(server))
    assert other.start(alice.user_id).status_code == 200


def test_expired_challenges_do_not_hold_the_quota(server):
    mb = MBClient(server, app_with(server, "--max-challenges", "2"))
    alice = Person(mb)
    mb.challenge(alice.user_id, timeout=1)
    mb.challenge(alice.user_id, timeout=1)
    assert_err(mb.start(alice.user_id), 429, "challenge_quota_exceeded")
    time.sleep(2.5)   # the challenges live timeout + 1 s at most
    mb.challenge(alice.user_id)
    mb.challenge(alice.user_id)
    assert_err(mb.start(alice.user_id), 429, "challenge_quota_exceeded")


def test_approval_data_quota(server):
    mb = MBClient(server, app_with(server, "--max-approval-data-bytes", "100"))
    alice = Person(mb)
    dev = Device("ios", "ec")
    enroll(mb, alice, dev)
    first = mb.challenge(alice.user_id, approval_data=approval(60))
    r = mb.start(alice.user_id, approval_data=approval(60))
    body = assert_err(r, 429, "approval_data_quota_exceeded")
    assert "approval_data" in body["message"], body
    mb.challenge(alice.user_id, approval_data=approval(40))    # exactly 100
    mb.challenge(alice.user_id)                                # none: no bytes
    assert_err(mb.start(alice.user_id, approval_data=approval(8)), 429,
               "approval_data_quota_exceeded")
    r = login(mb, alice, dev, challenge=first)                 # gives 60 back
    assert r.status_code == 200, r.text
    mb.challenge(alice.user_id, approval_data=approval(60))


def test_quota_set_by_app_update(server):
    app = app_with(server)
    mb = MBClient(server, app)
    alice = Person(mb)
    mb.challenge(alice.user_id)
    out = h.ctl(server, "app", "update", app["app_id"], "--max-challenges", "1")
    assert out["max_challenges"] == 1, out
    assert_err(mb.start(alice.user_id), 429, "challenge_quota_exceeded")
    h.ctl(server, "app", "update", app["app_id"], "--max-challenges", "5")
    mb.challenge(alice.user_id)


def start_all(pairs, user_id, n):
    """Sends n /start calls at once, spread over the (MBClient) `pairs`;
    returns the statuses and error codes."""
    barrier = threading.Barrier(n)
    out = [None] * n

    def one(i):
        mb = pairs[i % len(pairs)]
        s = requests.Session()
        barrier.wait()
        r = s.post(mb.base + "/v1/auth/mobile-biometrics/start", json={"user_id": user_id},
                   headers=h.bearer(mb.ctoken), timeout=30)
        out[i] = (r.status_code, r.json().get("error_code") if r.status_code != 200 else None)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def assert_quota_held(out, quota):
    ok = [o for o in out if o[0] == 200]
    refused = [o for o in out if o[0] != 200]
    assert len(ok) == quota, out
    assert refused and all(o == (429, "challenge_quota_exceeded") for o in refused), out


def test_challenge_quota_holds_under_concurrency(server):
    mb = MBClient(server, app_with(server, "--max-challenges", "10"))
    alice = Person(mb)
    for quota in (10, 20, 30):
        # each round starts with the previous rounds' challenges: 10 more fit
        h.ctl(server, "app", "update", mb.app["app_id"], "--max-challenges", str(quota))
        assert_quota_held(start_all([mb], alice.user_id, 40), 10)


@pytest.mark.skipif(conftest.PG_URL is None,
                    reason="needs PostgreSQL: set BIOAUTH_TEST_PG_URL")
def test_challenge_quota_holds_across_instances(bioauthd):
    db = conftest.fresh_pg_database()
    opts = {"issuer": "https://auth.quota.test/oidc"}
    a, b = bioauthd(db=db, **opts), bioauthd(db=db, **opts)
    app = app_with(db, "--max-challenges", "12")
    ma, mbb = MBClient(a, app), MBClient(b, app)
    alice = Person(ma)
    assert_quota_held(start_all([ma, mbb], alice.user_id, 48), 12)


# --- refresh-token reuse interval ---

def test_refresh_reuse_default_revokes_the_session(server):
    app = app_with(server)
    ctoken = h.client_token(server, app)
    _, first = h.new_user_session(server, ctoken)
    r = h.refresh(server, ctoken, first["refresh_token"])
    assert r.status_code == 200, r.text
    h.assert_error(h.refresh(server, ctoken, first["refresh_token"]), 400, "invalid_grant")
    h.assert_error(h.refresh(server, ctoken, r.json()["refresh_token"]), 400, "invalid_grant")


def test_refresh_reuse_within_the_interval_keeps_the_session(server):
    app = app_with(server, "--refresh-reuse-interval", "2")
    ctoken = h.client_token(server, app)
    _, first = h.new_user_session(server, ctoken)
    old = first["refresh_token"]
    r1 = h.refresh(server, ctoken, old)
    assert r1.status_code == 200, r1.text
    # the client's retry with the same token: a new pair of the same session
    r2 = h.refresh(server, ctoken, old)
    assert r2.status_code == 200, r2.text
    assert r2.json()["session_id"] == first["session_id"] == r1.json()["session_id"]
    assert r2.json()["refresh_token"] not in (old, r1.json()["refresh_token"])
    # nothing was revoked: both new refresh tokens and the access tokens work
    assert h.user_token_kind_ok(server, r1.json()["access_token"])
    assert h.user_token_kind_ok(server, r2.json()["access_token"])
    r3 = h.refresh(server, ctoken, r1.json()["refresh_token"])
    assert r3.status_code == 200, r3.text
    # after the interval, reuse revokes the session as without one
    time.sleep(4)
    h.assert_error(h.refresh(server, ctoken, old), 400, "invalid_grant")
    h.assert_error(h.refresh(server, ctoken, r3.json()["refresh_token"]), 400, "invalid_grant")
    assert not h.user_token_kind_ok(server, r3.json()["access_token"])


def test_concurrent_uses_within_the_interval_all_succeed(server):
    app = app_with(server, "--refresh-reuse-interval", "5")
    ctoken = h.client_token(server, app)
    _, first = h.new_user_session(server, ctoken)
    n = 12
    barrier = threading.Barrier(n)
    out = [None] * n

    def one(i):
        barrier.wait()
        out[i] = h.refresh(server, ctoken, first["refresh_token"])

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.status_code for r in out] == [200] * n, [r.text for r in out]
    assert all(h.user_token_kind_ok(server, r.json()["access_token"]) for r in out)


def test_refresh_reuse_interval_bounds(server):
    app = app_with(server)
    p = h.ctl(server, "app", "update", app["app_id"], "--refresh-reuse-interval", "301",
              check=False)
    assert p.returncode == 2 and "--refresh-reuse-interval" in p.stderr, p
    out = h.ctl(server, "app", "update", app["app_id"], "--refresh-reuse-interval", "300")
    assert out["refresh_reuse_interval"] == 300, out


# --- Users API permissions ---

def test_users_api_permissions(server):
    admin = h.client_token(server, h.create_app(server))
    target = h.create_user(server, admin, username=h.unique_name("target"))
    app = app_with(server, "--users-api", "read")
    ct = h.client_token(server, app)
    assert h.get_user(server, ct, target["user_id"]).status_code == 200
    r = requests.get(h.url(server, "/v1/users/username/" + target["username"]),
                     headers=h.bearer(ct), timeout=h.HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    body = assert_err(h.create_user(server, ct, username=h.unique_name("x"), expect=None),
                      403, "users_api_forbidden")
    assert "create" in body["message"], body
    assert_err(h.delete_user(server, ct, target["user_id"]), 403, "users_api_forbidden")
    assert h.get_user(server, admin, target["user_id"]).status_code == 200   # not deleted

    out = h.ctl(server, "app", "update", app["app_id"], "--users-api", "create,delete")
    assert out["users_api"] == ["create", "delete"], out
    assert_err(h.get_user(server, ct, target["user_id"]), 403, "users_api_forbidden")
    made = h.create_user(server, ct, username=h.unique_name("made"))
    assert h.delete_user(server, ct, made["user_id"]).status_code == 204

    h.ctl(server, "app", "update", app["app_id"], "--users-api", "none")
    assert_err(h.get_user(server, ct, target["user_id"]), 403, "users_api_forbidden")
    assert_err(h.delete_user(server, ct, target["user_id"]), 403, "users_api_forbidden")
    # the refusal is by permission, not by existence: same answer for anyone
    assert_err(h.get_user(server, ct, "nobody-" + h.unique_name()), 403, "users_api_forbidden")
    # password logins and biometrics are not the Users API
    h.ctl(server, "app", "update", app["app_id"], "--users-api", "all")
    assert h.get_user(server, ct, target["user_id"]).status_code == 200


def test_users_api_flag_refuses_unknown_words(server):
    p = h.ctl(server, "app", "create", "--name", h.unique_name("app"), "--users-api",
              "read,update", check=False)
    assert p.returncode == 2 and "--users-api" in p.stderr, p


# --- app update --require-biometric-to-enrol ---

def test_app_update_require_biometric_to_enrol(server):
    app = app_with(server)
    assert app["require_biometric_to_enrol"] is False, app
    out = h.ctl(server, "app", "update", app["app_id"], "--require-biometric-to-enrol", "true")
    assert out["require_biometric_to_enrol"] is True, out
    mb = MBClient(server, app)
    alice = Person(mb, password=True)
    first = Device("ios", "ec")
    enroll(mb, alice, first)
    assert_err(mb.register(alice.utoken, Device("android", "ec").register_body()), 403,
               "biometric_required")
    out = h.ctl(server, "app", "update", app["app_id"], "--require-biometric-to-enrol", "false")
    assert out["require_biometric_to_enrol"] is False, out
    enroll(mb, alice, Device("android", "ec"))


def test_app_delete_with_outstanding_challenges(server):
    """The usage row and the challenges go with the app (the triggers that
    keep the count do not stand in the way)."""
    app = app_with(server, "--max-challenges", "5")
    mb = MBClient(server, app)
    alice = Person(mb)
    for _ in range(3):
        mb.challenge(alice.user_id, approval_data=approval(30))
    assert h.ctl(server, "app", "delete", app["app_id"])["deleted"] is True
