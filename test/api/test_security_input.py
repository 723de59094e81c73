"""One encoding per token, addressable
user ids, names without bidi controls, Host required on HTTP/1.1.

Black-box: a real bioauthd, raw HTTP where the framing matters.
"""

from __future__ import annotations

import urllib.parse

import pytest
import requests

import helpers as h
import hostile_util as hu

RES = "https://api.security-input.example"
P256_N = hu.P256_ORDER

BIOAUTHD_OPTS = {"signing_alg": "ES256"}


class Env:
    pass


@pytest.fixture(scope="module")
def env(server):
    e = Env()
    e.server = server
    e.app = h.ctl(server, "app", "create", "--name", h.unique_name("secin"),
                  "--resource", RES)
    e.ctoken = h.client_token(server, e.app)
    return e


def high_s_twin(token: str) -> str:
    """The same ES256 token with s replaced by n - s: a second valid ECDSA
    signature of the same bytes."""
    head, payload, sig = token.split(".")
    raw = h.b64url_decode(sig)
    assert len(raw) == 64
    r, s = raw[:32], int.from_bytes(raw[32:], "big")
    return f"{head}.{payload}." + h.b64url_encode(r + (P256_N - s).to_bytes(32, "big"))


def test_es256_tokens_are_low_s_and_high_s_twin_is_refused(env):
    """Every ES256 token bioauthd signs has s <= n/2; its high-S twin (also a
    mathematically valid signature) is refused 401 invalid_token."""
    for _ in range(16):
        tok = h.client_token(env.server, env.app)
        assert h.header_of(tok)["alg"] == "ES256"
        s = int.from_bytes(h.b64url_decode(tok.split(".")[2])[32:], "big")
        assert 0 < s <= P256_N // 2
        # the token verifies with the published key, and so does its twin
        # (outside bioauthd): the twin is a real signature, not garbage
        twin = high_s_twin(tok)
        h.verify_jwt(env.server, tok)
        h.verify_jwt(env.server, twin)
        ok = requests.get(h.url(env.server, "/v1/users/nobody-" + h.unique_name("x")),
                          headers=h.bearer(tok), timeout=h.HTTP_TIMEOUT)
        h.assert_error(ok, 404, "not_found")
        bad = requests.get(h.url(env.server, "/v1/users/nobody"),
                           headers=h.bearer(twin), timeout=h.HTTP_TIMEOUT)
        assert bad.status_code == 401, bad.text
        assert bad.json()["error_code"] == "invalid_token", bad.text


BIDI = ["\u202e", "\u202a", "\u202b", "\u202c", "\u202d", "\u2066", "\u2067",
        "\u2068", "\u2069", "\u200e", "\u200f", "\u061c"]
CONTROL = ["\x00", "\x01", "\x1f", "\x7f", "\u0085", "\u009f", "\n", "\t"]


def create_raw(env, body):
    return requests.post(h.url(env.server, "/v1/users"), json=body,
                         headers=h.bearer(env.ctoken), timeout=h.HTTP_TIMEOUT)


@pytest.mark.parametrize("bad", BIDI + CONTROL + ["/"],
                         ids=lambda c: "U+%04X" % ord(c))
def test_user_id_outside_the_character_set_is_400(env, bad):
    uid = h.unique_name("u") + bad + "x"
    h.assert_error(create_raw(env, {"user_id": uid}), 400, "invalid_request")
    for uid2 in (bad + "x", "x" + bad):
        h.assert_error(create_raw(env, {"user_id": uid2}), 400, "invalid_request")


@pytest.mark.parametrize("bad", BIDI + CONTROL, ids=lambda c: "U+%04X" % ord(c))
def test_username_with_bidi_or_control_is_400(env, bad):
    name = h.unique_name("n") + bad + "gpj.exe"
    h.assert_error(create_raw(env, {"username": name}), 400, "invalid_request")


def test_user_id_with_other_characters_is_addressable(env):
    """Everything the documented set allows round-trips through one
    percent-encoded path segment: GET then DELETE."""
    for odd in ("a b", "ä€𝄞", "a?b#c", "a%2Fb", "a\\b", "..x", "a+b", "\u200d"):
        uid = h.unique_name("u") + odd
        u = h.create_user(env.server, env.ctoken, user_id=uid)
        assert u["user_id"] == uid
        path = "/v1/users/" + urllib.parse.quote(uid, safe="")
        r = requests.get(h.url(env.server, path), headers=h.bearer(env.ctoken),
                         timeout=h.HTTP_TIMEOUT)
        assert r.status_code == 200 and r.json()["result"]["user_id"] == uid, (odd, r.text)
        r = requests.delete(h.url(env.server, path), headers=h.bearer(env.ctoken),
                            timeout=h.HTTP_TIMEOUT)
        assert r.status_code == 204, (odd, r.text)


def test_password_login_with_bidi_username_is_invalid_credentials(env):
    """The login check refuses the same names creation refuses, with the
    answer of an unknown user."""
    r = h.password_login_response(env.server, env.ctoken, "a\u202eb", "x")
    h.assert_error(r, 401, "invalid_credentials")


def test_http11_without_host_is_400(env):
    raw = hu.request_bytes("GET", "/healthz", {"Connection": "close"}, host=False)
    hu.assert_raw_error(hu.exchange(env.server, raw).first, 400, "invalid_request")
    raw = hu.request_bytes("GET", "/v1/users/x", {"Authorization": "Bearer " + env.ctoken,
                                                 "Connection": "close"}, host=False)
    hu.assert_raw_error(hu.exchange(env.server, raw).first, 400, "invalid_request")


def test_http10_without_host_and_http11_with_host_are_served(env):
    raw = hu.request_bytes("GET", "/healthz", {}, version="HTTP/1.0", host=False)
    assert hu.exchange(env.server, raw).first.status == 200
    raw = hu.request_bytes("GET", "/healthz", {"Connection": "close"})
    assert hu.exchange(env.server, raw).first.status == 200
