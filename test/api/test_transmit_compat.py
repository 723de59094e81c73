"""Transmit compatibility: the calls a backend written for Transmit's Mobile
Biometrics API makes, replayed as such a backend sends them.

Such a backend has the base URL ``http(s)://HOST/cis`` (so it calls
``/cis/v1/...`` and fetches keys from ``/cis/oidc/jwks``), gets client tokens
from ``/oidc/token`` (no ``/cis``, sometimes with a trailing slash), and sends
its bodies as JSON, as JSON without any Content-Type, or as
application/x-www-form-urlencoded (object-valued fields as JSON text). Keys
come from iOS (raw EC point, SPKI, PEM; RSA as PKCS#1, signed with PSS) and
Android (SPKI, base64 with or without line wrapping; RSA signed with PKCS#1
v1.5). Error handling switches on ``ts_error_code``.

The last tests are a relying party with a bare-origin issuer: discovery,
token endpoint, JWKS validation with PyJWT.
"""
import base64
import json
import time
import urllib.parse

import jwt
import pytest
import requests

import helpers as h
from mb_helpers import Device, Person, client_challenge

TIMEOUT = h.HTTP_TIMEOUT
MODES = ("json", "form", "no-content-type")


class TransmitBackend:
    """A backend using base URL <server>/cis and the token endpoint
    <server>/oidc/token; `mode` is how it encodes request bodies."""

    def __init__(self, server, app, mode, token_path="/oidc/token"):
        self.root = h.base_url(server)
        self.base = self.root + "/cis"
        self.app = app
        self.mode = mode
        r = requests.post(self.root + token_path, timeout=TIMEOUT, data={
            "grant_type": "client_credentials", "client_id": app["client_id"],
            "client_secret": app["client_secret"]})
        assert r.status_code == 200, r.text
        self.ctoken = r.json()["access_token"]

    def send(self, method, path, body, token=None):
        headers = h.bearer(token or self.ctoken)
        if self.mode == "json":
            headers["Content-Type"] = "application/json"
            data = json.dumps(body).encode()
        elif self.mode == "no-content-type":
            data = json.dumps(body).encode()
        else:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            data = urllib.parse.urlencode(
                {k: json.dumps(v) if isinstance(v, (dict, list)) else
                 str(v).lower() if isinstance(v, bool) else str(v)
                 for k, v in body.items()}).encode()
        r = requests.request(method, self.base + path, data=data, headers=headers,
                             timeout=TIMEOUT)
        assert "Content-Type" in headers or self.mode == "no-content-type"
        return r

    def post(self, path, body, token=None):
        return self.send("POST", path, body, token)


def want(resp, status, error_code, ts_error_code):
    """The documented error body: status, error_code, message, ts_error_code."""
    assert resp.status_code == status, (resp.status_code, resp.text)
    body = resp.json()
    assert body.get("error_code") == error_code, body
    assert body.get("ts_error_code") == ts_error_code, body
    assert isinstance(body.get("message"), str) and body["message"], body
    return body


def want_tokens(backend, resp, user_id):
    assert resp.status_code == 200, resp.text
    body = resp.json()
    jwks = requests.get(backend.base + "/oidc/jwks", timeout=TIMEOUT).json()
    at = h.verify_jwt(jwks, body["access_token"], typ="at+jwt")
    assert at["sub"] == user_id and at["sid"] == body["session_id"], at
    return body


@pytest.fixture(scope="module")
def app(server):
    return h.create_app(server)


@pytest.fixture(scope="module", params=MODES)
def backend(request, server, app):
    return TransmitBackend(server, app, request.param)


# -- routes -----------------------------------------------------------------

@pytest.mark.parametrize("path", ["/oidc/token", "/oidc/token/"])
def test_client_token_endpoint(server, app, path):
    TransmitBackend(server, app, "json", token_path=path)


def test_cis_routes_are_the_same_routes(server, app):
    base = h.base_url(server)
    for path in ("/oidc/jwks", "/oidc/.well-known/openid-configuration"):
        a = requests.get(base + path, timeout=TIMEOUT)
        b = requests.get(base + "/cis" + path, timeout=TIMEOUT)
        assert a.status_code == b.status_code == 200 and a.json() == b.json()
    # The same limits and errors: an unknown route, a wrong method.
    want(requests.get(base + "/cis/v1/nope", timeout=TIMEOUT), 404, "not_found",
         "system_not_found")
    r = requests.get(base + "/cis/v1/auth/mobile-biometrics/start", timeout=TIMEOUT)
    want(r, 405, "method_not_allowed", "system_method_not_allowed")
    # Only /v1 and /oidc live under /cis; no other route gains a trailing slash.
    assert requests.get(base + "/cis/healthz", timeout=TIMEOUT).status_code == 404
    assert requests.get(base + "/oidc/jwks/", timeout=TIMEOUT).status_code == 404
    # /cis/oidc errors keep the RFC 6749 shape.
    r = requests.post(base + "/cis/oidc/token", data={"grant_type": "password"},
                      timeout=TIMEOUT)
    assert r.status_code == 400 and r.json()["error"] == "unsupported_grant_type", r.text
    # Discovery names the un-prefixed URLs.
    doc = requests.get(base + "/cis/oidc/.well-known/openid-configuration",
                       timeout=TIMEOUT).json()
    assert doc["token_endpoint"] == base + "/oidc/token", doc
    assert doc["jwks_uri"] == base + "/oidc/jwks", doc


# -- users, password, sessions ---------------------------------------------

def test_users_password_refresh_session_logout(backend):
    name = h.unique_name("tsuser")
    r = backend.post("/v1/users", {"username": name, "password": h.DEFAULT_PASSWORD})
    assert r.status_code == 201, r.text
    user_id = r.json()["result"]["user_id"]
    r = backend.post("/v1/auth/password/authenticate", {
        "username": name, "password": h.DEFAULT_PASSWORD,
        "claims": {"id_token": {"username": None}}})
    login = want_tokens(backend, r, user_id)
    idt = jwt.decode(login["id_token"], options={"verify_signature": False})
    assert idt.get("username") == name, idt
    r = backend.post("/v1/auth/token/refresh", {"refresh_token": login["refresh_token"]})
    refreshed = want_tokens(backend, r, user_id)
    assert refreshed["session_id"] == login["session_id"]
    r = backend.post("/v1/auth/session/authenticate", {"session_id": login["session_id"]})
    again = want_tokens(backend, r, user_id)
    assert again["session_id"] == login["session_id"]
    assert again["refresh_token"] != refreshed["refresh_token"]
    r = backend.post("/v1/auth/session/logout", {"session_id": login["session_id"]})
    assert r.status_code == 204, r.text
    ended = backend.post("/v1/auth/session/authenticate", {"session_id": login["session_id"]})
    unknown = backend.post("/v1/auth/session/authenticate", {"session_id": "ses_nope"})
    want(ended, 404, "not_found", "system_not_found")
    assert ended.json() == unknown.json()


def test_session_of_another_app_is_not_found(server, backend):
    other = TransmitBackend(server, h.create_app(server), "json")
    _, login = h.new_user_session(server, other.ctoken)
    foreign = backend.post("/v1/auth/session/authenticate", {"session_id": login["session_id"]})
    unknown = backend.post("/v1/auth/session/authenticate", {"session_id": "ses_nope"})
    want(foreign, 404, "not_found", "system_not_found")
    assert foreign.json() == unknown.json()


def test_validation_errors(backend):
    want(backend.post("/v1/users", {"user_id": ""}), 400, "invalid_request",
         "system_invalid_input")
    want(backend.post("/v1/auth/mobile-biometrics/start", {"timeout": "soon",
                                                           "user_id": "x"}),
         400, "invalid_request", "system_invalid_input")
    want(backend.post("/v1/auth/password/authenticate",
                      {"username": "u", "password": "p", "claims": "[1"}),
         400, "invalid_request", "system_invalid_input")


def test_duplicate_form_field_and_other_media_types(backend):
    r = requests.post(backend.base + "/v1/users", data=b"username=a&username=b",
                      headers={**h.bearer(backend.ctoken),
                               "Content-Type": "application/x-www-form-urlencoded"},
                      timeout=TIMEOUT)
    want(r, 400, "invalid_request", "system_invalid_input")
    assert "repeated" in r.json()["message"]
    r = requests.post(backend.base + "/v1/users", data=b"{}",
                      headers={**h.bearer(backend.ctoken), "Content-Type": "text/plain"},
                      timeout=TIMEOUT)
    want(r, 415, "unsupported_media_type", "system_invalid_input")


# -- mobile biometrics --------------------------------------------------------

def _wrapped(der, width):
    text = base64.b64encode(der).decode()
    return "\n".join(text[i:i + width] for i in range(0, len(text), width)) + "\n"


KEYS = {
    "ios-ec-raw-point": ("ios", "ec", lambda d: d.public_key()),
    "ios-ec-spki": ("ios", "ec", lambda d: h.b64_encode(d.spki_der())),
    "ios-ec-pem": ("ios", "ec", lambda d: d.public_key_pem()),
    "ios-rsa-pkcs1-pss": ("ios", "rsa", lambda d: d.public_key()),
    "android-ec-spki": ("android", "ec", lambda d: d.public_key()),
    "android-ec-spki-wrapped-64": ("android", "ec", lambda d: _wrapped(d.spki_der(), 64)),
    "android-ec-spki-wrapped-76": ("android", "ec", lambda d: _wrapped(d.spki_der(), 76)),
    "android-rsa-spki-pkcs1v15": ("android", "rsa", lambda d: d.public_key()),
    "android-rsa-spki-wrapped": ("android", "rsa", lambda d: _wrapped(d.spki_der(), 76)),
}


@pytest.mark.parametrize("key", sorted(KEYS))
def test_register_start_authenticate_delete(server, backend, key):
    platform, alg, export = KEYS[key]
    dev = Device(platform, alg)
    person = Person(_mb_view(server, backend))
    r = backend.post("/v1/auth/mobile-biometrics/register", {
        "publicKey": export(dev), "publicKeyId": dev.key_id, "os": platform,
        "encryptionType": alg}, token=person.utoken)
    assert r.status_code == 200, r.text
    r = backend.post("/v1/auth/mobile-biometrics/start", {
        "identifier": person.username, "identifier_type": "username",
        "approval_data": {"amount": "12"}})
    assert r.status_code == 200, r.text
    ch = r.json()["challenge"]
    r = backend.post("/v1/auth/mobile-biometrics/authenticate", {
        "user_id": person.user_id, "key_id": dev.key_id, "challenge": ch,
        "signature": dev.sign(ch), "client_attributes": {"ip": "192.0.2.1"}})
    want_tokens(backend, r, person.user_id)
    # A short client-made challenge (Transmit samples make 5-6 characters),
    # accepted once.
    short = client_challenge(8)[:6]
    body = {"user_id": person.user_id, "key_id": dev.key_id, "challenge": short,
            "signature": dev.sign(short)}
    want_tokens(backend, backend.post("/v1/auth/mobile-biometrics/authenticate", body),
                person.user_id)
    want(backend.post("/v1/auth/mobile-biometrics/authenticate", body), 400,
         "challenge_reused", "auth_challenge_reused")
    r = backend.send("DELETE", "/v1/auth/mobile-biometrics/delete",
                     {"publicKeyId": dev.key_id}, token=person.utoken)
    assert r.status_code == 204, r.text


def _mb_view(server, backend):
    """What Person needs of a client: the server, the app and a client token."""
    class View:
        pass
    v = View()
    v.server, v.app, v.ctoken = server, backend.app, backend.ctoken
    return v


def test_key_errors_carry_ts_error_code(server, backend):
    person = Person(_mb_view(server, backend))
    dev = Device("ios", "ec")
    body = dev.register_body(publicKey="not base64 *")
    want(backend.post("/v1/auth/mobile-biometrics/register", body, token=person.utoken),
         400, "invalid_key_encoding", "auth_invalid_key_encoding")
    body = dev.register_body(publicKey=Device("android", "ec").public_key(),
                             encryptionType="rsa")
    want(backend.post("/v1/auth/mobile-biometrics/register", body, token=person.utoken),
         400, "invalid_key_type", "auth_invalid_key_type")


def test_start_by_identifier(server, backend):
    person = Person(_mb_view(server, backend))
    for ident, typ in ((person.user_id, "user_id"), (person.username, "username")):
        r = backend.post("/v1/auth/mobile-biometrics/start",
                         {"identifier": ident, "identifier_type": typ})
        assert r.status_code == 200 and r.json()["challenge"], r.text
    by_id = backend.post("/v1/auth/mobile-biometrics/start", {"user_id": "usr_nobody"})
    want(by_id, 404, "not_found", "system_not_found")
    for ident, typ in (("usr_nobody", "user_id"), ("usr_nobody", "username"),
                       ("nobody@example.test", "email"), ("not-an-address", "email"),
                       ("+15550000000", "phone_number"), ("555", "phone_number")):
        r = backend.post("/v1/auth/mobile-biometrics/start",
                         {"identifier": ident, "identifier_type": typ})
        assert (r.status_code, r.json()) == (by_id.status_code, by_id.json()), (typ, ident)
    want(backend.post("/v1/auth/mobile-biometrics/start",
                      {"identifier": "a@example.test", "identifier_type": "nickname"}),
         400, "invalid_request", "system_invalid_input")


def test_start_by_email_and_phone(server, backend):
    """A user made with Transmit's fields is found by email (in any case)
    and by phone number: the challenge is that user's, its key signs it."""
    name = h.unique_name("tsmail")
    phone = "+1555%07d" % (int(time.time() * 1000) % 10_000_000)
    r = backend.post("/v1/users", {"email": name + "@Example.test", "phone_number": phone,
                                   "credentials": {"password": h.DEFAULT_PASSWORD}})
    assert r.status_code == 201, r.text
    user_id = r.json()["result"]["user_id"]
    utoken = h.user_token_ctl(server, user_id, backend.app["client_id"])["access_token"]
    dev = Device("android", "ec")
    r = backend.post("/v1/auth/mobile-biometrics/register", dev.register_body(), token=utoken)
    assert r.status_code == 200, r.text
    for ident, typ in ((name.upper() + "@example.TEST", "email"), (phone, "phone_number")):
        r = backend.post("/v1/auth/mobile-biometrics/start",
                         {"identifier": ident, "identifier_type": typ})
        assert r.status_code == 200, r.text
        ch = r.json()["challenge"]
        r = backend.post("/v1/auth/mobile-biometrics/authenticate", {
            "user_id": user_id, "key_id": dev.key_id, "challenge": ch,
            "signature": dev.sign(ch)})
        want_tokens(backend, r, user_id)


# -- relying party with a bare-origin issuer --------------------------------

@pytest.mark.parametrize("issuer,well_known", [
    ("https://auth.example.test", "/.well-known/openid-configuration"),
    ("https://auth.example.test/", "/.well-known/openid-configuration"),
    ("https://id.example.test/tenants/a", "/tenants/a/.well-known/openid-configuration"),
])
def test_relying_party_any_issuer(bioauthd, issuer, well_known):
    srv = bioauthd(issuer=issuer)
    app = h.create_app(srv)
    root = h.base_url(srv)
    for path in (well_known, "/.well-known/openid-configuration",
                 "/oidc/.well-known/openid-configuration"):
        r = requests.get(root + path, timeout=TIMEOUT)
        assert r.status_code == 200, (path, r.text)
    doc = requests.get(root + well_known, timeout=TIMEOUT).json()
    assert doc["issuer"] == issuer.rstrip("/"), doc
    # Every advertised endpoint is served by this bioauthd.
    assert doc["token_endpoint"] == root + "/oidc/token", doc
    r = requests.post(doc["token_endpoint"], timeout=TIMEOUT, data={
        "grant_type": "client_credentials", "client_id": app["client_id"],
        "client_secret": app["client_secret"]})
    assert r.status_code == 200, r.text
    token = r.json()["access_token"]
    jwks = requests.get(doc["jwks_uri"], timeout=TIMEOUT).json()
    kid = jwt.get_unverified_header(token)["kid"]
    jwk = next(k for k in jwks["keys"] if k["kid"] == kid)
    claims = jwt.decode(token, key=jwt.PyJWK(jwk).key, algorithms=[jwk["alg"]],
                        issuer=doc["issuer"], options={"verify_aud": False})
    assert claims["client_id"] == app["client_id"]
    for k in ("introspection_endpoint", "revocation_endpoint"):
        r = requests.post(doc[k], timeout=TIMEOUT, data={"token": token},
                          auth=(app["client_id"], app["client_secret"]))
        assert r.status_code == 200, (k, r.text)


def test_public_url_names_the_endpoints(bioauthd):
    srv = bioauthd(issuer="https://issuer.example.test",
                   public_url="https://api.example.test/auth/")
    doc = requests.get(h.base_url(srv) + "/.well-known/openid-configuration",
                       timeout=TIMEOUT).json()
    assert doc["issuer"] == "https://issuer.example.test"
    assert doc["token_endpoint"] == "https://api.example.test/auth/oidc/token", doc
    assert doc["jwks_uri"] == "https://api.example.test/auth/oidc/jwks", doc
