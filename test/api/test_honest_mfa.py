"""Honest mfa (issue 15, item 2), black-box.

A biometric factor added to a password session counts as a second factor
("mfa" in amr) only when its key was registered before the session was
created, or from a session that already held the biometric factor. A key
registered with the password session's own token proves nothing the
password did not: the finding was password -> register own key ->
authenticate with the password session's session_id -> amr "mfa".

Apps created with ``--require-biometric-to-enrol true`` let a user who
already has a key register another only with a user token whose session
holds mobile_biometrics (403 biometric_required otherwise).
"""

from __future__ import annotations

import pytest

import helpers as h
from mb_helpers import Device, MBClient, Person, assert_err, assert_tokens, enroll, login


@pytest.fixture(scope="module")
def mb(server):
    return MBClient(server, h.create_app(server))


def test_key_registered_by_the_password_session_is_not_a_second_factor(mb):
    alice = Person(mb, password=True)          # password session S
    dev = Device("ios", "ec")
    enroll(mb, alice, dev)                     # key registered with S's token
    r = login(mb, alice, dev, session_id=alice.session_id)
    body, at, it = assert_tokens(mb, r, alice)
    assert body["session_id"] == alice.session_id, body
    for claims in (at, it):
        assert sorted(claims["amr"]) == ["mobile_biometrics", "pwd"], claims
    # nor do the session's tokens from its old refresh token
    r = h.refresh(mb.server, mb.ctoken, alice.login["refresh_token"])
    assert r.status_code == 200, r.text
    _, at, _ = assert_tokens(mb, r, alice)
    assert sorted(at["amr"]) == ["mobile_biometrics", "pwd"], at


def test_key_registered_from_a_biometric_session_is_a_second_factor(mb):
    alice = Person(mb, password=True)          # password session S
    first = Device("ios", "ec")
    enroll(mb, alice, first)
    bio = login(mb, alice, first)              # a biometric session B
    assert bio.status_code == 200, bio.text
    second = Device("android", "ec")
    enroll(mb, alice, second, utoken=bio.json()["access_token"])
    r = login(mb, alice, second, session_id=alice.session_id)
    _, at, it = assert_tokens(mb, r, alice)
    for claims in (at, it):
        assert set(claims["amr"]) == {"pwd", "mobile_biometrics", "mfa"}, claims


def test_password_added_to_a_biometric_session_is_mfa(mb):
    alice = Person(mb, password=True)
    dev = Device("ios", "ec")
    enroll(mb, alice, dev)
    bio = login(mb, alice, dev)
    assert bio.status_code == 200, bio.text
    sid = bio.json()["session_id"]
    r = h.password_login_response(mb.server, mb.ctoken, alice.username, alice.password,
                                  session_id=sid)
    assert r.status_code == 200, r.text
    assert r.json()["session_id"] == sid, r.json()
    at = h.verify_jwt(mb.server, r.json()["access_token"])
    assert set(at["amr"]) == {"pwd", "mobile_biometrics", "mfa"}, at


def test_require_biometric_to_enrol(server):
    app = h.ctl(server, "app", "create", "--name", h.unique_name("app"),
                "--resource", "https://api.example.test",
                "--require-biometric-to-enrol", "true")
    assert app["require_biometric_to_enrol"] is True, app
    mb = MBClient(server, app)
    alice = Person(mb, password=True)
    first = Device("ios", "ec")
    enroll(mb, alice, first)                   # no key yet: the password suffices
    second = Device("android", "ec")
    r = mb.register(alice.utoken, second.register_body())
    assert_err(r, 403, "biometric_required")
    assert [a["publicKeyId"] for a in mb.authenticators(alice.user_id).json()["authenticators"]] \
        == [first.key_id]
    bio = login(mb, alice, first)
    assert bio.status_code == 200, bio.text
    enroll(mb, alice, second, utoken=bio.json()["access_token"])


def test_app_default_does_not_require_biometric_to_enrol(mb):
    alice = Person(mb, password=True)
    enroll(mb, alice, Device("ios", "ec"))
    enroll(mb, alice, Device("android", "ec"))
