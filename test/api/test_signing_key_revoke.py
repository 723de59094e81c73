"""bioauthctl signing-key revoke KID: a compromised signing key is deleted
at once. Within --key-cache-seconds it is gone from the JWKS and every
token it signed is refused, also by a server that verified (and cached)
that token before; a current key is replaced in the same transaction, a
retired one is simply dropped. Runs on both backends (BIOAUTH_TEST_PG_URL)."""

from __future__ import annotations

import time

import helpers as h


def wait_for(pred, timeout=10):
    deadline = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.1)


def jwks_kids(srv):
    return {k["kid"] for k in h.fetch_jwks(srv.url)["keys"]}


def test_revoking_the_current_key_replaces_it_and_refuses_its_tokens(bioauthd):
    srv = bioauthd(key_cache_seconds=1)
    app = h.create_app(srv.db)
    old = h.client_token(srv, app)
    old_kid = h.header_of(old)["kid"]
    assert h.client_token_accepted(srv, old)   # verified, and now cached

    out = h.ctl(srv.db, "signing-key", "revoke", old_kid)
    assert out["revoked"] == old_kid
    new_kid = out["current"]
    assert new_kid and new_kid != old_kid
    assert [k["kid"] for k in h.list_signing_keys(srv.db)] == [new_kid]

    wait_for(lambda: jwks_kids(srv) == {new_kid})
    assert not h.client_token_accepted(srv, old)
    fresh = h.client_token(srv, app)
    assert h.header_of(fresh)["kid"] == new_kid
    assert h.client_token_accepted(srv, fresh)

    events = [e for e in h.ctl(srv.db, "audit") if e["event"] == "signing_key_revoke"]
    assert len(events) == 1 and events[0]["key_id"] == old_kid


def test_revoking_a_retired_key_keeps_the_current_one(bioauthd):
    srv = bioauthd(key_cache_seconds=1)
    app = h.create_app(srv.db)
    old = h.client_token(srv, app)
    old_kid = h.header_of(old)["kid"]
    current = h.rotate_signing_key(srv.db)["kid"]
    wait_for(lambda: jwks_kids(srv) == {old_kid, current})
    assert h.client_token_accepted(srv, old)   # a retired key still verifies

    out = h.ctl(srv.db, "signing-key", "revoke", old_kid)
    assert out == {"revoked": old_kid, "current": None}
    assert [k["kid"] for k in h.list_signing_keys(srv.db)] == [current]
    wait_for(lambda: jwks_kids(srv) == {current})
    assert not h.client_token_accepted(srv, old)


def test_unknown_kid_and_missing_kid(bioauthd):
    srv = bioauthd()
    r = h.ctl(srv.db, "signing-key", "revoke", "no-such-kid", check=False)
    assert r.returncode == 1 and "not_found" in r.stderr, r.stderr
    r = h.ctl(srv.db, "signing-key", "revoke", check=False)
    assert r.returncode == 2, r.stderr
    assert len(h.list_signing_keys(srv.db)) == 1
