"""
Black-box tests of POST /v1/auth/mobile-biometrics/authenticate: the token
response of every signature format, the options (resource, claims, org_id,
client_attributes, session_id / MFA), the uniform error for keys that are not
the user's in this app, deleted keys, and lockout.
"""
import time

import pytest

import helpers as h
from mb_helpers import (Device, MBClient, Person, assert_err, assert_tokens, auth_body,
                        bad_signature, enroll, error_view, login)


@pytest.fixture(scope="module")
def mb(server):
    return MBClient(server, h.create_app(server, resources=("https://api.example.test",
                                                            "https://billing.example.test")))


@pytest.fixture(scope="module")
def mb2(server):
    return MBClient(server, h.create_app(server))


@pytest.fixture
def alice(mb):
    return Person(mb)


SIG_FORMATS = [
    # (platform, alg, ec_format, urlsafe, pad)
    ("ios", "ec", "der", False, True),
    ("ios", "ec", "raw", False, True),
    ("ios", "ec", "der", True, False),
    ("android", "ec", "der", False, True),
    ("android", "ec", "raw", True, False),
    ("ios", "rsa", None, False, True),
    ("ios", "rsa", None, True, False),
    ("android", "rsa", None, False, True),
    ("android", "rsa", None, True, True),
]


@pytest.mark.parametrize("platform,alg,ec_format,urlsafe,pad", SIG_FORMATS,
                         ids=["%s-%s-%s-%s-%s" % (p, a, f or "native", "url" if u else "std",
                                                  "pad" if d else "nopad")
                              for p, a, f, u, d in SIG_FORMATS])
def test_authenticate_each_signature_format(mb, alice, platform, alg, ec_format, urlsafe, pad):
    dev = Device(platform, alg)
    enroll(mb, alice, dev)
    ch = mb.challenge(alice.user_id)
    sig = dev.sign(ch, ec_format=ec_format or "der", urlsafe=urlsafe, pad=pad)
    r = mb.authenticate(auth_body(alice, dev, ch, signature=sig))
    body, at, it = assert_tokens(mb, r, alice, audience="https://api.example.test")
    assert at["amr"] == ["mobile_biometrics"], at
    assert it["amr"] == ["mobile_biometrics"], it
    assert body["session_id"] != alice.session_id   # a new session


def test_rsa_scheme_of_other_platform_also_verifies(mb, alice):
    """PKCS#1 v1.5 from an iOS-exported key and PSS from an Android one: the
    server accepts both RSA schemes for any RSA key."""
    ios = Device("ios", "rsa")
    andr = Device("android", "rsa")
    enroll(mb, alice, ios)
    enroll(mb, alice, andr)
    ios.platform, andr.platform = "android", "ios"   # swap the signing scheme
    assert_tokens(mb, login(mb, alice, ios), alice)
    assert_tokens(mb, login(mb, alice, andr), alice)


def test_original_authenticate_sample_body(mb, alice):
    """Every field of the original request sample, real values substituted."""
    dev = Device("ios", "ec")
    enroll(mb, alice, dev)
    ch = mb.challenge(alice.user_id)
    sample = {
        "resource": "https://billing.example.test",
        "claims": {"id_token": {"username": None}},
        "org_id": "org-1234",
        "client_attributes": {"user_agent": "Mozilla/5.0", "ip_address": "203.0.113.7"},
        "session_id": alice.session_id,
        "signature": dev.sign(ch),
        "challenge": ch,
        "key_id": dev.key_id,
        "user_id": alice.user_id,
    }
    r = mb.authenticate(sample)
    body, at, it = assert_tokens(mb, r, alice, audience="https://billing.example.test")
    assert body["session_id"] == alice.session_id
    assert it.get("username") == alice.username, it


def test_org_id_with_existing_session(mb, alice):
    """org_id of the request is in the ID token also when the authentication
    adds the factor to an existing session (session_id)."""
    dev = Device("ios", "ec")
    enroll(mb, alice, dev)
    r = login(mb, alice, dev, session_id=alice.session_id, org_id="org-1234",
              claims={"id_token": {"organization": None}})
    body, _, it = assert_tokens(mb, r, alice)
    assert body["session_id"] == alice.session_id
    assert it.get("org_id") == "org-1234", it
    assert it.get("organization") == {"id": "org-1234"}, it


def test_original_start_sample_fields(mb, alice):
    dev = Device("android", "ec")
    enroll(mb, alice, dev, device_id=dev.device_id)
    r = mb.start(body={"user_id": alice.user_id, "device_id": dev.device_id,
                       "approval_data": {"transaction_id": "eFII2y40uB9hQ98nXt3tc1IHkRt8GrRZiqZuRn_59wT",
                                         "sum": "200"},
                       "timeout": 120})
    assert r.status_code == 200, r.text
    assert set(r.json()) == {"challenge"}, r.json()
    assert_tokens(mb, login(mb, alice, dev, challenge=r.json()["challenge"]), alice)


def test_resource_becomes_audience(mb, alice):
    dev = Device("ios", "ec")
    enroll(mb, alice, dev)
    r = login(mb, alice, dev, resource="https://billing.example.test")
    _, at, _ = assert_tokens(mb, r, alice, audience="https://billing.example.test")
    # default audience: the app's first resource
    _, at, _ = assert_tokens(mb, login(mb, alice, dev), alice, audience="https://api.example.test")


def test_resource_not_of_the_app(mb, alice):
    dev = Device("ios", "ec")
    enroll(mb, alice, dev)
    r = login(mb, alice, dev, resource="https://evil.example.test")
    assert_err(r, 400, "invalid_target")


def test_claims_username_and_organization(mb, alice):
    dev = Device("android", "rsa")
    enroll(mb, alice, dev)
    r = login(mb, alice, dev, org_id="org-42",
              claims={"id_token": {"username": None, "organization": None,
                                   "unsupported_claim": None}})
    _, at, it = assert_tokens(mb, r, alice)
    assert it["username"] == alice.username, it
    assert it["org_id"] == "org-42", it
    assert it["organization"] == {"id": "org-42"}, it
    assert "unsupported_claim" not in it
    # without the claims request there is no username
    _, _, it = assert_tokens(mb, login(mb, alice, dev), alice)
    assert "username" not in it, it


def test_refresh_token_of_biometric_session_works(mb, alice):
    dev = Device("ios", "ec")
    enroll(mb, alice, dev)
    body, _, _ = assert_tokens(mb, login(mb, alice, dev), alice)
    r = h.refresh(mb.server, mb.ctoken, body["refresh_token"])
    assert r.status_code == 200, r.text
    _, _, it = assert_tokens(mb, r, alice)
    assert it["amr"] == ["mobile_biometrics"], it


# --- MFA ---------------------------------------------------------------------

def test_mfa_with_password_session(mb):
    """session_id of the user's password session and a key registered
    before that session: the same session gains the factor; amr then holds
    pwd, mobile_biometrics and mfa."""
    alice = Person(mb, password=True)
    dev = Device("ios", "ec")
    enroll(mb, alice, dev)
    time.sleep(1.1)   # times are whole seconds: the session comes after the key
    pw = h.password_login(mb.server, mb.ctoken, alice.username, alice.password)
    r = login(mb, alice, dev, session_id=pw["session_id"])
    body, at, it = assert_tokens(mb, r, alice)
    assert body["session_id"] == pw["session_id"], body
    for claims in (at, it):
        assert set(claims["amr"]) == {"pwd", "mobile_biometrics", "mfa"}, claims
    # the password-only tokens said pwd alone
    pat = h.verify_jwt(mb.server, pw["access_token"])
    assert pat["amr"] == ["pwd"], pat


def test_session_of_another_user_is_refused(mb, alice):
    dev = Device("ios", "ec")
    enroll(mb, alice, dev)
    bob = Person(mb)
    r = login(mb, alice, dev, session_id=bob.session_id)
    assert_err(r, 400, "invalid_request")
    r = login(mb, alice, dev, session_id="ses_doesnotexist")
    assert_err(r, 400, "invalid_request")


def test_session_of_another_app_is_refused(mb, mb2):
    alice = Person(mb, password=True)
    dev = Device("ios", "ec")
    enroll(mb, alice, dev)
    other = h.password_login(mb2.server, mb2.ctoken, alice.username, alice.password)
    r = login(mb, alice, dev, session_id=other["session_id"])
    assert_err(r, 400, "invalid_request")


def test_logged_out_session_is_refused(mb, alice):
    dev = Device("ios", "ec")
    enroll(mb, alice, dev)
    r = h.logout(mb.server, mb.ctoken, alice.session_id)
    assert r.status_code == 204, r.text
    assert_err(login(mb, alice, dev, session_id=alice.session_id), 400, "invalid_request")


# --- keys that are not the user's in this app --------------------------------

def test_unknown_other_user_other_app_key_same_error(mb, mb2, alice):
    """Unknown key, a key of another user and a key of another app give the
    same status and body."""
    bob = Person(mb)
    bob_dev = Device("ios", "ec")
    enroll(mb, bob, bob_dev)
    alice_other_app = Device("android", "ec")
    enroll(mb2, alice, alice_other_app, utoken=alice.token_for(mb2))

    unknown = login(mb, alice, Device("ios", "ec"))
    # bob's key, used for alice (signature made by bob's device)
    cross_user = login(mb, alice, bob_dev)
    # alice's key of the other app, used in this app
    cross_app = login(mb, alice, alice_other_app)
    h.assert_error(unknown, 404, "not_found")
    assert error_view(unknown) == error_view(cross_user) == error_view(cross_app), \
        (unknown.text, cross_user.text, cross_app.text)
    # and the keys still work where they belong
    assert_tokens(mb, login(mb, bob, bob_dev), bob)
    assert_tokens(mb2, login(mb2, alice, alice_other_app), alice)


def test_authenticate_user_mismatch_does_not_count_failures(mb, alice):
    """Hammering bob's key id with alice's user_id does not lock bob out."""
    bob = Person(mb)
    dev = Device("ios", "ec")
    enroll(mb, bob, dev)
    for _ in range(6):
        ch = mb.challenge(alice.user_id)
        r = mb.authenticate(auth_body(alice, dev, ch, signature=bad_signature(dev, ch)))
        assert r.status_code != 200
    assert_tokens(mb, login(mb, bob, dev), bob)


def test_authenticate_requires_client_token(mb, alice):
    dev = Device("ios", "ec")
    enroll(mb, alice, dev)
    ch = mb.challenge(alice.user_id)
    assert_err(mb.authenticate(auth_body(alice, dev, ch), token=alice.utoken),
               403, "wrong_token_kind")
    assert_err(mb.authenticate(auth_body(alice, dev, ch), token="a.b.c"), 401, "invalid_token")
    # the challenge was not consumed by the refused calls
    assert_tokens(mb, mb.authenticate(auth_body(alice, dev, ch)), alice)


def test_client_token_of_other_app_cannot_use_key(mb, mb2, alice):
    dev = Device("ios", "ec")
    enroll(mb, alice, dev)
    ch = mb.challenge(alice.user_id)
    r = mb2.authenticate(auth_body(alice, dev, ch))
    assert r.status_code != 200, r.text
    assert error_view(r) == error_view(login(mb2, alice, Device("ios", "ec")))


# --- signatures --------------------------------------------------------------

@pytest.mark.parametrize("what", ["other-message", "other-key", "garbage-b64",
                                  "not-base64", "truncated", "rsa-pss-wrong-salt"])
def test_bad_signature(mb, alice, what):
    dev = Device("ios", "rsa" if what == "rsa-pss-wrong-salt" else "ec")
    enroll(mb, alice, dev)
    ch = mb.challenge(alice.user_id)
    if what == "other-message":
        sig = bad_signature(dev, ch)
    elif what == "other-key":
        sig = Device("ios", "ec").sign(ch)
    elif what == "garbage-b64":
        sig = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    elif what == "not-base64":
        sig = "!!! not base64 !!!"
    elif what == "truncated":
        sig = dev.sign(ch)[:-12]
    else:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import padding
        from mb_helpers import b64
        sig = b64(dev.key.sign(ch.encode(), padding.PSS(mgf=padding.MGF1(hashes.SHA256()),
                                                         salt_length=20), hashes.SHA256()))
    r = mb.authenticate(auth_body(alice, dev, ch, signature=sig))
    assert_err(r, 401, "invalid_signature")


def test_signature_over_challenge_bytes_exactly(mb, alice):
    """The signed message is the challenge string as sent: a signature over a
    changed challenge (or its base64-decoded form) does not verify."""
    import base64 as b64mod
    dev = Device("android", "ec")
    enroll(mb, alice, dev)
    ch = mb.challenge(alice.user_id)
    raw = b64mod.urlsafe_b64decode(ch + "=" * (-len(ch) % 4))
    sig = dev.sign_bytes(raw)
    from mb_helpers import b64
    assert_err(mb.authenticate(auth_body(alice, dev, ch, signature=b64(sig))),
               401, "invalid_signature")


# --- lockout -----------------------------------------------------------------

def _fail(mb, person, dev, n):
    for i in range(n):
        ch = mb.challenge(person.user_id)
        r = mb.authenticate(auth_body(person, dev, ch, signature=bad_signature(dev, ch)))
        assert_err(r, 401, "invalid_signature")


def test_lockout_after_five_failures(mb, alice):
    dev = Device("ios", "ec")
    enroll(mb, alice, dev)
    _fail(mb, alice, dev, 5)
    # now even a good signature is refused
    r = login(mb, alice, dev)
    assert_err(r, 429, "key_locked")
    # another key of the same user is not locked
    other = Device("android", "ec")
    enroll(mb, alice, other)
    assert_tokens(mb, login(mb, alice, other), alice)
    # the list shows the lock
    lst = mb.authenticators(alice.user_id).json()["authenticators"]
    mine = [a for a in lst if a["publicKeyId"] == dev.key_id][0]
    assert mine["locked"] is True, mine
    theirs = [a for a in lst if a["publicKeyId"] == other.key_id][0]
    assert theirs["locked"] is False, theirs


def test_success_resets_failure_count(mb, alice):
    dev = Device("android", "rsa")
    enroll(mb, alice, dev)
    _fail(mb, alice, dev, 4)
    assert_tokens(mb, login(mb, alice, dev), alice)
    _fail(mb, alice, dev, 4)
    assert_tokens(mb, login(mb, alice, dev), alice)


@pytest.fixture(scope="module")
def short_lock_server(bioauthd_module):
    return bioauthd_module(lockout_threshold=3, lockout_duration=2)


def test_lockout_and_unlock_after_period(short_lock_server):
    mb = MBClient(short_lock_server, h.create_app(short_lock_server))
    p = Person(mb)
    dev = Device("ios", "ec")
    enroll(mb, p, dev)
    _fail(mb, p, dev, 2)
    assert_tokens(mb, login(mb, p, dev), p)     # resets
    # The third failure locks the key until its whole second + 2: for as
    # little as 1 s after `sent`. A login that ends later than that may
    # rightly find the lock over (valgrind on a loaded machine): its success
    # reset the count, so the round is run again.
    for _ in range(3):
        _fail(mb, p, dev, 2)
        sent = time.time()
        _fail(mb, p, dev, 1)
        r = login(mb, p, dev)
        if r.status_code != 200 or time.time() < int(sent) + 2:
            break
    assert_err(r, 429, "key_locked")
    locked_at = time.time()
    time.sleep(max(0.0, locked_at + 2.3 - time.time()))
    assert_tokens(mb, login(mb, p, dev), p)
    # the count starts again from zero after the unlock
    _fail(mb, p, dev, 2)
    assert_tokens(mb, login(mb, p, dev), p)
