"""
Black-box tests of the tokens bioauthd issues and accepts (docs/API.md
"HTTP API"): every client access token, user access token and ID
token verifies with PyJWT against the served JWKS using the JWK's algorithm;
the claims are exactly the documented ones; the bearer checks of the /v1 API
reject forged, altered, expired, revoked and wrong-kind tokens; signing-key
rotation keeps old tokens valid; RS256/EdDSA servers; `bioauthctl user token`.
"""
import hashlib
import hmac
import json
import time

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

import helpers as h

RES1 = "https://api.example.test"
RES2 = "https://reports.example.test"

CLIENT_AT_CLAIMS = {"iss", "sub", "aud", "client_id", "app_id", "app_name", "tid",
                    "iat", "exp", "jti"}
USER_AT_CLAIMS = CLIENT_AT_CLAIMS | {"sid", "amr"}
ID_TOKEN_CLAIMS = {"iss", "sub", "aud", "iat", "exp", "auth_time", "amr", "sid"}


@pytest.fixture(scope="module")
def app(server):
    return h.create_app(server, resources=(RES1, RES2))


@pytest.fixture(scope="module")
def ctoken(server, app):
    return h.client_token(server, app)


@pytest.fixture(scope="module")
def issuer(server):
    return h.discovery(server)["issuer"]


def _near_now(t, slack=30):
    assert isinstance(t, int), t
    assert abs(t - time.time()) <= slack, f"time claim {t} is not now ({time.time():.0f})"


# --- claims ------------------------------------------------------------------

def test_client_access_token_claims(server, app, issuer):
    r = h.client_token_response(server, app)
    assert r.status_code == 200, r.text
    body = r.json()
    tok = body["access_token"]
    header = h.header_of(tok)
    assert header["typ"] == "at+jwt", header
    assert header["alg"] == h.jwk_for(h.fetch_jwks(server), header["kid"])["alg"]
    c = h.verify_jwt(server, tok, audience=RES1, issuer=issuer, typ="at+jwt")
    assert set(c) == CLIENT_AT_CLAIMS, f"claims {sorted(c)}"
    assert c["iss"] == issuer
    assert c["sub"] == app["client_id"]
    assert c["aud"] == RES1
    assert c["client_id"] == app["client_id"]
    assert c["app_id"] == app["app_id"]
    assert c["app_name"] == app["name"]
    assert isinstance(c["tid"], str) and c["tid"]
    _near_now(c["iat"])
    assert c["exp"] - c["iat"] == body["expires_in"]
    assert isinstance(c["jti"], str) and len(c["jti"]) >= 16


def test_user_tokens_claims(server, app, ctoken, issuer):
    user, login = h.new_user_session(server, ctoken)
    assert set(login) == {"access_token", "id_token", "refresh_token", "token_type",
                          "expires_in", "session_id"}, login
    assert login["token_type"] == "Bearer"

    ah = h.header_of(login["access_token"])
    assert ah["typ"] == "at+jwt", ah
    a = h.verify_jwt(server, login["access_token"], audience=RES1, issuer=issuer, typ="at+jwt")
    assert set(a) == USER_AT_CLAIMS, f"claims {sorted(a)}"
    assert a["sub"] == user["user_id"]
    assert a["aud"] == RES1
    assert a["client_id"] == app["client_id"]
    assert a["app_id"] == app["app_id"]
    assert a["app_name"] == app["name"]
    assert a["sid"] == login["session_id"]
    assert a["amr"] == ["pwd"]
    assert a["exp"] - a["iat"] == login["expires_in"]
    _near_now(a["iat"])

    ih = h.header_of(login["id_token"])
    assert ih.get("typ", "JWT") != "at+jwt", f"an ID token is not an access token: {ih}"
    i = h.verify_jwt(server, login["id_token"], audience=app["client_id"], issuer=issuer)
    assert set(i) == ID_TOKEN_CLAIMS, f"claims {sorted(i)}"
    assert i["sub"] == user["user_id"]
    assert i["aud"] == app["client_id"]
    assert i["sid"] == login["session_id"]
    assert i["amr"] == ["pwd"]
    _near_now(i["auth_time"])
    assert i["auth_time"] <= i["iat"] < i["exp"]
    assert a["tid"] == h.decode_unverified(h.client_token(server, app))[1]["tid"]


def test_user_token_resource_audience(server, app, ctoken):
    _, login = h.new_user_session(server, ctoken, resource=RES2)
    a = h.verify_jwt(server, login["access_token"], audience=RES2)
    assert a["aud"] == RES2
    assert h.user_token_kind_ok(server, login["access_token"])


def test_refreshed_tokens_verify(server, app, ctoken):
    user, login = h.new_user_session(server, ctoken)
    r = h.refresh(server, ctoken, login["refresh_token"])
    assert r.status_code == 200, r.text
    body = r.json()
    a = h.verify_jwt(server, body["access_token"], audience=RES1, typ="at+jwt")
    i = h.verify_jwt(server, body["id_token"], audience=app["client_id"])
    assert set(a) == USER_AT_CLAIMS and set(i) == ID_TOKEN_CLAIMS, (sorted(a), sorted(i))
    assert a["sub"] == i["sub"] == user["user_id"]
    assert a["sid"] == i["sid"] == login["session_id"] == body["session_id"]
    first = h.decode_unverified(login["id_token"])[1]
    assert i["auth_time"] == first["auth_time"], "a refresh is no new authentication"
    assert a["jti"] != h.decode_unverified(login["access_token"])[1]["jti"]


def test_access_token_jti_unique(server, app, ctoken):
    _, l1 = h.new_user_session(server, ctoken)
    jtis = {h.decode_unverified(t)[1]["jti"] for t in
            (l1["access_token"], h.client_token(server, app), h.client_token(server, app))}
    assert len(jtis) == 3


# --- bearer checks -----------------------------------------------------------

def _hs256(header, claims, secret):
    """A compact JWS signed with HMAC-SHA256 under `secret` (bytes)."""
    signing_input = (h.b64url_encode(json.dumps(header).encode()) + "." +
                     h.b64url_encode(json.dumps(claims).encode()))
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + h.b64url_encode(mac)


def _swap_part(token, index, obj):
    parts = token.split(".")
    parts[index] = h.b64url_encode(json.dumps(obj, separators=(",", ":")).encode())
    return ".".join(parts)


def test_valid_client_token_accepted(server, ctoken):
    assert h.client_token_accepted(server, ctoken)


def test_bearer_scheme_case_insensitive(server, ctoken):
    r = requests.get(h.url(server, "/v1/users/nobody"), timeout=h.HTTP_TIMEOUT,
                     headers={"Authorization": "bearer " + ctoken})
    assert r.status_code == 404, r.text


def test_missing_bearer_is_401_with_challenge(server):
    r = h.get_user(server, None, "nobody")
    h.assert_error(r, 401, "invalid_token")
    assert r.headers.get("WWW-Authenticate", "").lower().startswith("bearer"), r.headers


@pytest.mark.parametrize("value", ["Basic Zm9vOmJhcg==", "Bearer", "Bearer ", "Token abc",
                                   "Bearer a.b.c", "Bearer not-a-jwt"])
def test_malformed_authorization_is_401(server, value):
    r = requests.get(h.url(server, "/v1/users/nobody"), headers={"Authorization": value},
                     timeout=h.HTTP_TIMEOUT)
    h.assert_error(r, 401, "invalid_token")


def test_tampered_payload_rejected(server, ctoken):
    header, claims = h.decode_unverified(ctoken)
    assert not h.client_token_accepted(server, _swap_part(ctoken, 1, dict(claims, app_name="x")))
    assert not h.client_token_accepted(server, _swap_part(ctoken, 1, dict(claims, exp=claims["exp"] + 9999)))


def test_tampered_signature_rejected(server, ctoken):
    head, payload, sig = ctoken.split(".")
    raw = bytearray(h.b64url_decode(sig))
    raw[len(raw) // 2] ^= 0x01
    assert not h.client_token_accepted(server, ".".join((head, payload, h.b64url_encode(bytes(raw)))))
    assert not h.client_token_accepted(server, ".".join((head, payload, "")))
    assert not h.client_token_accepted(server, ".".join((head, payload, sig + "AA")))


def test_alg_from_token_is_ignored(server, ctoken):
    """alg=none, alg=HS256 keyed with the public key (algorithm confusion),
    and a relabelled alg must all fail: the key decides the algorithm."""
    header, claims = h.decode_unverified(ctoken)
    none_tok = ".".join((h.b64url_encode(json.dumps(dict(header, alg="none")).encode()),
                         ctoken.split(".")[1], ""))
    assert not h.client_token_accepted(server, none_tok)
    jwk = h.jwk_for(h.fetch_jwks(server), header["kid"])
    pub = jwt.PyJWK(jwk, algorithm=jwk["alg"]).key
    pem = pub.public_bytes(serialization.Encoding.PEM,
                           serialization.PublicFormat.SubjectPublicKeyInfo)
    for secret in (pem, json.dumps(jwk).encode(), json.dumps(jwk, sort_keys=True).encode()):
        hs = _hs256({"alg": "HS256", "kid": header["kid"], "typ": "at+jwt"}, claims, secret)
        assert not h.client_token_accepted(server, hs)
    relabelled = _swap_part(ctoken, 0, dict(header, alg="RS256" if header["alg"] != "RS256"
                                            else "ES256"))
    assert not h.client_token_accepted(server, relabelled)


def test_foreign_key_with_server_kid_rejected(server, ctoken):
    header, claims = h.decode_unverified(ctoken)
    mine = ec.generate_private_key(ec.SECP256R1())
    forged = jwt.encode(claims, mine, algorithm="ES256",
                        headers={"kid": header["kid"], "typ": "at+jwt"})
    assert not h.client_token_accepted(server, forged)
    # with the attacker's key embedded in the header (RFC 7515 "jwk")
    pubjwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(mine.public_key()))
    forged = jwt.encode(claims, mine, algorithm="ES256",
                        headers={"kid": header["kid"], "typ": "at+jwt", "jwk": pubjwk})
    assert not h.client_token_accepted(server, forged)
    forged = jwt.encode(claims, mine, algorithm="ES256",
                        headers={"kid": "attacker", "typ": "at+jwt"})
    assert not h.client_token_accepted(server, forged)


def test_id_token_is_not_a_bearer_token(server, ctoken):
    _, login = h.new_user_session(server, ctoken)
    for path_check in (h.user_token_kind_ok, h.client_token_accepted):
        assert not path_check(server, login["id_token"])
    h.assert_error(h.mb_delete(server, login["id_token"]), 401, "invalid_token")


def test_wrong_kind_is_403(server, ctoken):
    _, login = h.new_user_session(server, ctoken)
    h.assert_error(h.get_user(server, login["access_token"], "nobody"), 403, "wrong_token_kind")
    # a client token on a user-token endpoint
    h.assert_error(h.mb_delete(server, ctoken), 403, "wrong_token_kind")


def test_token_of_deleted_app_rejected(server):
    app = h.create_app(server)
    tok = h.client_token(server, app)
    assert h.client_token_accepted(server, tok)
    h.ctl(server, "app", "delete", app["app_id"])
    assert not h.client_token_accepted(server, tok)
    h.assert_oauth_error(h.client_token_response(server, app), 401, "invalid_client")


# --- bioauthctl user token ---------------------------------------------------

def test_ctl_user_token(server, app, issuer):
    user = h.create_user_ctl(server, username=h.unique_name("ctl"))
    out = h.user_token_ctl(server, user["user_id"], app["client_id"])
    # the documented fields; a session_id (to log the session out) may come too
    assert set(out) - {"session_id"} == {"access_token", "token_type", "expires_in"}, out
    assert out["token_type"] == "Bearer"
    assert isinstance(out["expires_in"], int) and out["expires_in"] > 0
    c = h.verify_jwt(server, out["access_token"], issuer=issuer, audience=RES1, typ="at+jwt")
    assert set(c) == USER_AT_CLAIMS, sorted(c)
    assert c["sub"] == user["user_id"]
    assert c["client_id"] == app["client_id"]
    assert c["app_id"] == app["app_id"]
    assert isinstance(c["amr"], list)
    assert out.get("session_id", c["sid"]) == c["sid"]
    # works as a user token on a user-token endpoint: past authentication,
    # the unknown key is 404 (an invalid token would be 401)
    r = h.mb_delete(server, out["access_token"])
    h.assert_error(r, 404, "not_found")
    assert h.user_token_kind_ok(server, out["access_token"])


def test_ctl_user_token_unknown_user_or_client(server, app):
    p = h.ctl(server, "user", "token", "--user-id", "no-such-user", "--client-id",
              app["client_id"], check=False)
    assert p.returncode != 0 and p.stdout.strip() == "", (p.returncode, p.stdout, p.stderr)
    user = h.create_user_ctl(server)
    p = h.ctl(server, "user", "token", "--user-id", user["user_id"], "--client-id",
              "no-such-client", check=False)
    assert p.returncode != 0 and p.stdout.strip() == "", (p.returncode, p.stdout, p.stderr)


# --- expiry ------------------------------------------------------------------

@pytest.fixture(scope="module")
def short_ttl(bioauthd_module):
    return bioauthd_module(access_token_ttl=2, client_token_ttl=2, id_token_ttl=2,
                           clock_leeway=0)


def _wait_until(t):
    while time.time() < t:
        time.sleep(min(0.1, max(0.0, t - time.time())))


def test_tokens_expire(short_ttl):
    srv = short_ttl
    app = h.create_app(srv)
    name = h.unique_name("user")
    h.create_user_ctl(srv, username=name, password=h.DEFAULT_PASSWORD)
    # A token of 2 s (whole seconds) may expire 1 s after it was issued. A
    # token refused before its exp is a failure; one refused later only
    # shows the machine was slower than that, and the round is run again.
    for _ in range(3):
        r = h.client_token_response(srv, app)
        assert r.status_code == 200, r.text
        assert r.json()["expires_in"] == 2
        ct = r.json()["access_token"]
        first_exp = h.decode_unverified(ct)[1]["exp"]
        r = h.password_login_response(srv, ct, name, h.DEFAULT_PASSWORD)
        live = (r.status_code == 200,)
        if r.status_code == 200:
            login = r.json()
            assert login["expires_in"] == 2
            first_exp = min(first_exp, h.decode_unverified(login["access_token"])[1]["exp"])
            live = (h.client_token_accepted(srv, ct),
                    h.user_token_kind_ok(srv, login["access_token"]),
                    h.introspect(srv, app, ct).json()["active"] is True)
            if all(live):
                break
        else:
            h.assert_error(r, 401, "invalid_token")
        assert time.time() >= first_exp, f"refused before exp: {live}"
    assert all(live), live

    exp = max(h.decode_unverified(t)[1]["exp"]
              for t in (ct, login["access_token"], login["id_token"]))
    _wait_until(exp + 0.3)

    assert not h.client_token_accepted(srv, ct)
    assert not h.user_token_kind_ok(srv, login["access_token"])
    h.assert_error(h.mb_delete(srv, login["access_token"]), 401, "invalid_token")
    assert h.introspect(srv, app, ct).json() == {"active": False}
    assert h.introspect(srv, app, login["access_token"]).json() == {"active": False}
    jwks = h.fetch_jwks(srv)
    for t in (ct, login["access_token"], login["id_token"]):
        with pytest.raises(jwt.ExpiredSignatureError):
            h.verify_jwt(jwks, t)
    # the session outlives its access tokens: the refresh token still works
    ct2 = h.client_token(srv, app)
    r = h.refresh(srv, ct2, login["refresh_token"])
    assert r.status_code == 200, r.text
    assert h.user_token_kind_ok(srv, r.json()["access_token"])


def test_session_expiry_ends_refresh_and_access_tokens(bioauthd):
    """The session lives as long as the refresh token lifetime; when it ends,
    the refresh token fails and its (still unexpired) access tokens stop
    working."""
    srv = bioauthd(refresh_token_ttl=2, clock_leeway=0)
    app = h.create_app(srv)
    ct = h.client_token(srv, app)
    _, login = h.new_user_session(srv, ct)
    assert h.user_token_kind_ok(srv, login["access_token"])
    _wait_until(time.time() + 2.3)
    h.assert_error(h.refresh(srv, ct, login["refresh_token"]), 400, "invalid_grant")
    assert not h.user_token_kind_ok(srv, login["access_token"])
    assert h.verify_jwt(srv, login["access_token"])  # the JWT itself is unexpired


# --- signing keys ------------------------------------------------------------

@pytest.fixture(scope="module")
def rotating(bioauthd_module):
    return bioauthd_module(key_cache_seconds=1)


def _kids(srv):
    return [k["kid"] for k in h.fetch_jwks(srv)["keys"]]


def _wait_for_new_signer(srv, app, old_kid, timeout=6.0):
    end = time.time() + timeout
    while True:
        tok = h.client_token(srv, app)
        if h.header_of(tok)["kid"] != old_kid or time.time() > end:
            return tok
        time.sleep(0.2)


def test_key_rotation_keeps_old_tokens_valid(rotating):
    srv = rotating
    app = h.create_app(srv, resources=(RES1,))
    ct1 = h.client_token(srv, app)
    _, login1 = h.new_user_session(srv, ct1)
    kid1 = h.header_of(ct1)["kid"]
    assert h.header_of(login1["access_token"])["kid"] == kid1
    assert h.header_of(login1["id_token"])["kid"] == kid1

    out = h.rotate_signing_key(srv)
    ct2 = _wait_for_new_signer(srv, app, kid1)
    kid2 = h.header_of(ct2)["kid"]
    assert kid2 != kid1, "the server still signs with the old key after rotation"
    assert kid2 in json.dumps(out), f"rotate does not name the new key: {out}"

    kids = _kids(srv)
    assert kid1 in kids and kid2 in kids, kids
    jwks = h.fetch_jwks(srv)
    for t in (ct1, ct2, login1["access_token"], login1["id_token"]):
        h.verify_jwt(jwks, t)
    # the server still honours tokens of the old key
    assert h.client_token_accepted(srv, ct1)
    assert h.user_token_kind_ok(srv, login1["access_token"])
    assert h.client_token_accepted(srv, ct2)
    # new user tokens use the new key
    r = h.refresh(srv, ct2, login1["refresh_token"])
    assert r.status_code == 200, r.text
    for t in (r.json()["access_token"], r.json()["id_token"]):
        assert h.header_of(t)["kid"] == kid2
        h.verify_jwt(jwks, t)
    listing = json.dumps(h.list_signing_keys(srv))
    assert kid1 in listing and kid2 in listing, listing


def test_retired_key_leaves_jwks_after_its_tokens_expire(bioauthd):
    srv = bioauthd(key_cache_seconds=1, access_token_ttl=2, client_token_ttl=2,
                   id_token_ttl=2, clock_leeway=0)
    app = h.create_app(srv)
    # The retired key's tokens may live until its retired_at (a whole second,
    # not before `rotated`) + 2 s: a JWKS answered before then must hold it.
    # A machine that took longer to switch signers proves nothing: the next
    # key is rotated out in another round.
    for _ in range(3):
        kid1 = h.header_of(h.client_token(srv, app))["kid"]
        rotated = time.time()
        h.rotate_signing_key(srv)
        kid2 = h.header_of(_wait_for_new_signer(srv, app, kid1))["kid"]
        assert kid2 != kid1
        kids = _kids(srv)
        if kid1 in kids or time.time() < int(rotated) + 2:
            break
    assert kid1 in kids, "the retired key vanished while its tokens may live"
    end = time.time() + 8
    while kid1 in _kids(srv) and time.time() < end:
        time.sleep(0.25)
    assert _kids(srv) == [kid2], "a retired key stays published after its tokens expired"


@pytest.mark.parametrize("alg,kty", [("RS256", "RSA"), ("EdDSA", "OKP")])
def test_signing_alg(bioauthd, alg, kty):
    srv = bioauthd(signing_alg=alg, tenant_id="acme-" + alg.lower())
    app = h.create_app(srv)
    ct = h.client_token(srv, app)
    header = h.header_of(ct)
    assert header["alg"] == alg, header
    jwk = h.jwk_for(h.fetch_jwks(srv), header["kid"])
    assert jwk["kty"] == kty and jwk["alg"] == alg, jwk
    if kty == "RSA":
        assert len(h.b64url_decode(jwk["n"])) * 8 >= 2048, "RSA signing key under 2048 bits"
    else:
        assert jwk["crv"] == "Ed25519", jwk
    c = h.verify_jwt(srv, ct, typ="at+jwt")
    assert c["tid"] == "acme-" + alg.lower()
    assert h.client_token_accepted(srv, ct)
    _, login = h.new_user_session(srv, ct)
    for t in (login["access_token"], login["id_token"]):
        assert h.header_of(t)["alg"] == alg
        h.verify_jwt(srv, t)
    assert h.user_token_kind_ok(srv, login["access_token"])
