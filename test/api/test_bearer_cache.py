"""
Black-box tests of the verified-token cache (src/domain/token_cache.c):
bioauthd skips the signature check of an access token it verified in the
last --key-cache-seconds, but everything else stays per request. Each test
first makes the server accept a token (so it is cached), then changes what a
cached verification must not hide -- revocation, logout, app deletion,
expiry, a signing key leaving the keyset, a single changed byte -- and
checks that the very next request is refused. The servers run with a long
--key-cache-seconds so that a cache that skipped any of those checks would
still hold the entry and let the token through.
"""
import json
import time

import pytest
import requests

import helpers as h

RES = "https://api.example.test"
MB = "/v1/auth/mobile-biometrics"

BIOAUTHD_OPTS = {"key_cache_seconds": 3600}


@pytest.fixture(scope="module")
def app(server):
    return h.create_app(server, resources=(RES,))


def start(srv, token, user_id):
    return requests.post(h.url(srv, MB + "/start"), json={"user_id": user_id},
                         headers=h.bearer(token), timeout=h.HTTP_TIMEOUT)


def _wait_until(t):
    while time.time() < t:
        time.sleep(min(0.1, max(0.0, t - time.time())))


# --- tokens keep working, and only the exact bytes hit ------------------------

def test_token_keeps_working_across_many_calls(server, app):
    ct = h.client_token(server, app)
    user = h.create_user(server, ct, username=h.unique_name("bc"))
    for i in range(60):
        r = start(server, ct, user["user_id"])
        assert r.status_code == 200, f"call {i}: {r.status_code} {r.text!r}"
        assert r.json().get("challenge")
    for _ in range(20):
        assert h.client_token_accepted(server, ct)


def test_altered_copies_of_a_cached_token_are_refused(server, app):
    ct = h.client_token(server, app)
    assert h.client_token_accepted(server, ct)        # cached now
    head, payload, sig = ct.split(".")

    def flip(text, i):
        c = text[i]
        return text[:i] + ("A" if c != "A" else "B") + text[i + 1:]

    # a changed signature byte (middle of the segment: no padding bits)
    assert not h.client_token_accepted(server, ".".join((head, payload, flip(sig, len(sig) // 2))))
    # a changed claim byte
    assert not h.client_token_accepted(server, ".".join((head, flip(payload, len(payload) // 2), sig)))
    # the same claims and signature under another header
    other = h.b64url_encode(json.dumps({"alg": "ES256", "typ": "at+jwt",
                                        "kid": h.header_of(ct)["kid"], "x": 1}).encode())
    assert not h.client_token_accepted(server, ".".join((other, payload, sig)))
    # a truncated token, and one with a byte appended
    assert not h.client_token_accepted(server, ct[:-1])
    assert not h.client_token_accepted(server, ct + "A")
    # the original still passes
    assert h.client_token_accepted(server, ct)


def test_each_token_keeps_its_own_identity(server):
    """Two apps' client tokens and a user token, used in turn: each keeps
    its own kind, and revoking one leaves the others alone."""
    app_a = h.create_app(server, resources=(RES,))
    app_b = h.create_app(server, resources=("https://other.example.test",))
    ca, cb = h.client_token(server, app_a), h.client_token(server, app_b)
    _, login = h.new_user_session(server, ca)
    ua = login["access_token"]
    for _ in range(5):
        assert h.client_token_accepted(server, ca)
        assert h.client_token_accepted(server, cb)
        assert h.user_token_accepted(server, ua)
        # the cached client token is still the wrong kind for a user endpoint
        r = requests.delete(h.url(server, MB + "/delete"), json={"publicKeyId": "x"},
                            headers=h.bearer(ca), timeout=h.HTTP_TIMEOUT)
        h.assert_error(r, 403, "wrong_token_kind")
        # and the cached user token for a client endpoint
        h.assert_error(h.get_user(server, ua, "nobody"), 403, "wrong_token_kind")
    # revoking B's token changes nothing for A's
    assert h.revoke(server, app_b, cb).status_code == 200
    assert not h.client_token_accepted(server, cb)
    assert h.client_token_accepted(server, ca)


# --- what the cache must not hide -------------------------------------------

def test_revoked_token_refused_on_next_call(server, app):
    ct = h.client_token(server, app)
    user = h.create_user(server, ct, username=h.unique_name("bc"))
    for _ in range(5):
        assert start(server, ct, user["user_id"]).status_code == 200
    r = h.revoke(server, app, ct)
    assert r.status_code == 200, r.text
    h.assert_error(start(server, ct, user["user_id"]), 401, "invalid_token")
    assert not h.client_token_accepted(server, ct)
    assert h.introspect(server, app, ct).json() == {"active": False}
    # a fresh token of the same app is fine
    assert h.client_token_accepted(server, h.client_token(server, app))


def test_revoked_user_token_refused_on_next_call(server, app):
    ct = h.client_token(server, app)
    _, login = h.new_user_session(server, ct)
    for _ in range(5):
        assert h.user_token_accepted(server, login["access_token"])
    assert h.revoke(server, app, login["access_token"]).status_code == 200
    assert not h.user_token_accepted(server, login["access_token"])


def test_user_token_refused_right_after_logout(server, app):
    ct = h.client_token(server, app)
    _, login = h.new_user_session(server, ct)
    ut = login["access_token"]
    for _ in range(5):
        assert h.user_token_accepted(server, ut)
    r = h.logout(server, ct, login["session_id"])
    assert r.status_code == 204, r.text
    assert not h.user_token_accepted(server, ut)
    assert h.introspect(server, app, ut).json() == {"active": False}


def test_token_of_deleted_app_refused_although_cached(server):
    app = h.create_app(server, resources=(RES,))
    ct = h.client_token(server, app)
    for _ in range(5):
        assert h.client_token_accepted(server, ct)
    h.ctl(server, "app", "delete", app["app_id"])
    assert not h.client_token_accepted(server, ct)


def test_expired_token_refused_after_expiry(bioauthd):
    srv = bioauthd(key_cache_seconds=3600, client_token_ttl=4, access_token_ttl=4,
                   clock_leeway=0)
    app = h.create_app(srv, resources=(RES,))
    ct = h.client_token(srv, app)
    _, login = h.new_user_session(srv, ct)
    ut = login["access_token"]
    # the user token is issued later than the client token (seconds later
    # on a slow, sanitized build): both are in use until the first expires
    exps = [h.decode_unverified(t)[1]["exp"] for t in (ct, ut)]
    while time.time() < min(exps) - 0.5:
        # a refusal is a failure unless its answer came at or after the
        # token's exp: a slow request may have reached the server that late
        for accepted, token, exp in ((h.client_token_accepted, ct, exps[0]),
                                     (h.user_token_accepted, ut, exps[1])):
            assert accepted(srv, token) or time.time() >= exp, \
                f"refused {exp - time.time():.2f} s before its exp"
        time.sleep(0.1)
    _wait_until(max(exps) + 0.3)
    assert not h.client_token_accepted(srv, ct)
    assert not h.user_token_accepted(srv, ut)
    # the server itself is fine: a new token works
    assert h.client_token_accepted(srv, h.client_token(srv, app))


def test_clock_leeway_applies_to_cached_tokens(bioauthd):
    """With a leeway, a cached token is accepted past exp until exp+leeway,
    as a fresh verification would, and refused from then on."""
    srv = bioauthd(key_cache_seconds=3600, client_token_ttl=2, clock_leeway=2)
    app = h.create_app(srv, resources=(RES,))
    ct = h.client_token(srv, app)
    exp = h.decode_unverified(ct)[1]["exp"]
    assert h.client_token_accepted(srv, ct)
    _wait_until(exp + 0.3)
    assert h.client_token_accepted(srv, ct)           # within the leeway
    _wait_until(exp + 2.3)
    assert not h.client_token_accepted(srv, ct)


def _forged_unknown_kid():
    head = h.b64url_encode(json.dumps({"alg": "ES256", "typ": "at+jwt",
                                       "kid": "no-such-kid"}).encode())
    body = h.b64url_encode(b'{"iss":"x"}')
    return f"{head}.{body}.{h.b64url_encode(b'0' * 64)}"


def test_dropped_signing_key_refused_although_cached(bioauthd):
    """A token verified and cached while its key was in the keyset is
    refused as soon as the keyset no longer holds the key, even though the
    token is within exp + leeway and its entry is far younger than
    --key-cache-seconds."""
    srv = bioauthd(key_cache_seconds=3600, client_token_ttl=2, access_token_ttl=2,
                   id_token_ttl=2, clock_leeway=120)
    app = h.create_app(srv, resources=(RES,))
    ct = h.client_token(srv, app)
    kid1 = h.header_of(ct)["kid"]
    assert h.client_token_accepted(srv, ct)           # verified and cached with kid1
    h.rotate_signing_key(srv)
    retired = time.time()
    # kid1 leaves the keyset once retired_at + the longest token lifetime
    # (2 s) has passed; a token with an unknown kid makes the server reload
    # its keys at once (rate-limited to one reload per 0.25 s)
    _wait_until(retired + 2.5)
    end = time.time() + 10
    while True:
        time.sleep(0.3)
        assert not h.client_token_accepted(srv, _forged_unknown_kid())
        kids = [k["kid"] for k in h.fetch_jwks(srv)["keys"]]
        if kid1 not in kids or time.time() > end:
            break
    assert kid1 not in kids, f"the retired key is still published: {kids}"
    assert time.time() < h.decode_unverified(ct)[1]["exp"] + 120
    assert not h.client_token_accepted(srv, ct)
    # tokens of the new key work
    ct2 = h.client_token(srv, app)
    assert h.header_of(ct2)["kid"] != kid1
    assert h.client_token_accepted(srv, ct2)


def test_cache_off_still_checks_everything(bioauthd):
    srv = bioauthd(key_cache_seconds=0)
    app = h.create_app(srv, resources=(RES,))
    ct = h.client_token(srv, app)
    for _ in range(10):
        assert h.client_token_accepted(srv, ct)
    assert h.revoke(srv, app, ct).status_code == 200
    assert not h.client_token_accepted(srv, ct)


def test_flood_of_invalid_tokens_leaves_valid_ones_working(server, app):
    ct = h.client_token(server, app)
    assert h.client_token_accepted(server, ct)
    head, payload, sig = ct.split(".")
    s = requests.Session()
    for i in range(300):
        bogus = f"{head}.{payload}.{h.b64url_encode(i.to_bytes(4, 'big') * 16)}"
        r = s.get(h.url(server, "/v1/users/nobody"), headers=h.bearer(bogus),
                  timeout=h.HTTP_TIMEOUT)
        assert r.status_code == 401, r.text
    assert h.client_token_accepted(server, ct)
