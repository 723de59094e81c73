"""
Black-box tests of the OAuth 2.0 / OpenID Connect endpoints (docs/API.md
"HTTP API"): POST /oidc/token (client_credentials and refresh_token,
client authentication, RFC 6749 errors), discovery at both well-known paths,
the JWKS document, introspection (RFC 7662) and revocation (RFC 7009).
"""
import base64
import urllib.parse

import pytest
import requests

import helpers as h

RES1 = "https://api.example.test"
RES2 = "https://other.example.test/v2"


@pytest.fixture(scope="module")
def app(server):
    """An app with two resources; the first is the default audience."""
    return h.create_app(server, resources=(RES1, RES2))


@pytest.fixture(scope="module")
def app_b(server):
    """A second app of the same deployment."""
    return h.create_app(server, resources=("https://b.example.test",))


@pytest.fixture(scope="module")
def ctoken(server, app):
    return h.client_token(server, app)


@pytest.fixture(scope="module")
def ctoken_b(server, app_b):
    return h.client_token(server, app_b)


@pytest.fixture
def session(server, ctoken):
    """A fresh user logged in with a password for `app`: (user, login)."""
    return h.new_user_session(server, ctoken)


# --- client_credentials ------------------------------------------------------

@pytest.mark.parametrize("method", ["basic", "post"])
def test_client_credentials_shape(server, app, method):
    r = h.client_token_response(server, app, method=method)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].split(";")[0].strip() == "application/json"
    body = r.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}, body
    assert body["token_type"] == "Bearer"
    assert isinstance(body["expires_in"], int) and body["expires_in"] > 0
    claims = h.verify_jwt(server, body["access_token"], audience=RES1, typ="at+jwt")
    assert claims["client_id"] == app["client_id"]
    assert claims["exp"] - claims["iat"] == body["expires_in"]


def test_client_credentials_no_store(server, app):
    r = h.client_token_response(server, app)
    assert r.status_code == 200, r.text
    h.assert_no_store(r)


def test_basic_auth_with_form_encoded_credentials(server):
    """RFC 6749 2.3.1: id and secret are form-encoded before base64; a secret
    with reserved characters must still work. bioauthctl makes the secret,
    so this checks the encoding round trip with whatever it produced."""
    app = h.create_app(server)
    raw = base64.b64encode(f"{urllib.parse.quote_plus(app['client_id'])}:"
                           f"{urllib.parse.quote_plus(app['client_secret'])}".encode())
    r = h.token_request(server, {"grant_type": "client_credentials"},
                        headers={"Authorization": "Basic " + raw.decode()})
    assert r.status_code == 200, r.text


def test_both_auth_methods_is_invalid_request(server, app):
    data = {"grant_type": "client_credentials", "client_id": app["client_id"],
            "client_secret": app["client_secret"]}
    r = h.token_request(server, data, headers=h.basic_auth(app["client_id"], app["client_secret"]))
    h.assert_oauth_error(r, 400, "invalid_request")


def test_wrong_secret_basic_is_401_with_challenge(server, app):
    r = h.token_request(server, {"grant_type": "client_credentials"},
                        headers=h.basic_auth(app["client_id"], app["client_secret"] + "x"))
    h.assert_oauth_error(r, 401, "invalid_client")
    assert r.headers.get("WWW-Authenticate", "").lower().startswith("basic"), r.headers


def test_wrong_secret_post_is_401(server, app):
    r = h.token_request(server, {"grant_type": "client_credentials",
                                 "client_id": app["client_id"],
                                 "client_secret": app["client_secret"][:-1]})
    h.assert_oauth_error(r, 401, "invalid_client")


@pytest.mark.parametrize("method", ["basic", "post"])
def test_unknown_client(server, app, method):
    fake = dict(app, client_id="no-such-client")
    r = h.client_token_response(server, fake, method=method)
    h.assert_oauth_error(r, 401, "invalid_client")
    if method == "basic":
        assert "WWW-Authenticate" in r.headers


def test_secret_of_another_app(server, app, app_b):
    mixed = dict(app, client_secret=app_b["client_secret"])
    h.assert_oauth_error(h.client_token_response(server, mixed), 401, "invalid_client")


def test_basic_with_other_client_id_in_body(server, app, app_b):
    r = h.token_request(server, {"grant_type": "client_credentials",
                                 "client_id": app_b["client_id"]},
                        headers=h.basic_auth(app["client_id"], app["client_secret"]))
    h.assert_oauth_error(r, 401, "invalid_client")


def test_rotated_secret(server):
    app = h.create_app(server)
    out = h.ctl(server, "app", "rotate-secret", app["app_id"])
    assert out["client_secret"] != app["client_secret"]
    h.assert_oauth_error(h.client_token_response(server, app), 401, "invalid_client")
    assert h.client_token(server, dict(app, client_secret=out["client_secret"]), method="post")


def test_no_client_authentication(server):
    r = h.token_request(server, {"grant_type": "client_credentials"})
    h.assert_oauth_error(r, 401, "invalid_client")


def test_client_id_without_secret(server, app):
    r = h.token_request(server, {"grant_type": "client_credentials",
                                 "client_id": app["client_id"]})
    h.assert_oauth_error(r, 401, "invalid_client")


def test_malformed_basic_header(server):
    r = h.token_request(server, {"grant_type": "client_credentials"},
                        headers={"Authorization": "Basic !!!not-base64"})
    h.assert_oauth_error(r, 401, "invalid_client")


def test_missing_grant_type(server, app):
    r = h.token_request(server, {}, headers=h.basic_auth(app["client_id"], app["client_secret"]))
    h.assert_oauth_error(r, 400, "invalid_request")


@pytest.mark.parametrize("grant", ["password", "authorization_code", "implicit",
                                   "urn:ietf:params:oauth:grant-type:jwt-bearer", ""])
def test_unsupported_grant_type(server, app, grant):
    r = h.token_request(server, {"grant_type": grant},
                        headers=h.basic_auth(app["client_id"], app["client_secret"]))
    if grant == "":
        assert r.status_code == 400, r.text
        assert r.json()["error"] in ("invalid_request", "unsupported_grant_type"), r.text
    else:
        h.assert_oauth_error(r, 400, "unsupported_grant_type")


def test_resource_selects_audience(server, app):
    tok = h.client_token(server, app, resource=RES2)
    claims = h.verify_jwt(server, tok, audience=RES2)
    assert claims["aud"] == RES2


def test_default_audience_is_first_resource(server, app):
    claims = h.verify_jwt(server, h.client_token(server, app))
    assert claims["aud"] == RES1


@pytest.mark.parametrize("resource", ["https://evil.example.test", RES1 + ".evil.test",
                                      RES1 + "/admin", "https://b.example.test", ""])
def test_resource_not_allowed(server, app, resource):
    r = h.client_token_response(server, app, resource=resource)
    h.assert_oauth_error(r, 400, "invalid_target")


@pytest.mark.parametrize("ctype", ["application/json", "text/plain", None])
def test_wrong_content_type_is_415(server, app, ctype):
    headers = h.basic_auth(app["client_id"], app["client_secret"])
    if ctype is not None:
        headers["Content-Type"] = ctype
    body = '{"grant_type": "client_credentials"}' if ctype == "application/json" \
        else "grant_type=client_credentials"
    r = requests.post(h.url(server, "/oidc/token"), data=body, headers=headers,
                      timeout=h.HTTP_TIMEOUT)
    if ctype is None:  # requests sends no Content-Type for a str body
        assert "Content-Type" not in r.request.headers
    assert r.status_code == 415, f"{r.status_code} {r.text!r}"


def test_form_content_type_with_charset_is_accepted(server, app):
    r = h.token_request(server, {"grant_type": "client_credentials"},
                        headers={**h.basic_auth(app["client_id"], app["client_secret"]),
                                 "Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("pairs", [
    [("grant_type", "client_credentials"), ("grant_type", "client_credentials")],
    [("grant_type", "client_credentials"), ("resource", RES1), ("resource", RES2)],
])
def test_repeated_parameter_is_400(server, app, pairs):
    r = h.token_request(server, pairs,
                        headers=h.basic_auth(app["client_id"], app["client_secret"]))
    assert r.status_code == 400, f"{r.status_code} {r.text!r}"


def test_get_on_token_endpoint_is_not_a_token(server, app):
    r = requests.get(h.url(server, "/oidc/token"), timeout=h.HTTP_TIMEOUT,
                     headers=h.basic_auth(app["client_id"], app["client_secret"]))
    h.assert_oauth_error(r, 405, "invalid_request")
    assert r.headers.get("Allow") == "POST", r.headers
    assert "access_token" not in r.text


def test_jti_unique(server, app):
    jtis = {h.decode_unverified(h.client_token(server, app))[1]["jti"] for _ in range(5)}
    assert len(jtis) == 5


# --- discovery ---------------------------------------------------------------

def test_discovery_both_paths_same_document(server):
    a = h.discovery(server, "/oidc/.well-known/openid-configuration")
    b = h.discovery(server, "/.well-known/openid-configuration")
    assert a == b


def test_discovery_content(server):
    doc = h.discovery(server)
    for k in ("issuer", "token_endpoint", "jwks_uri", "introspection_endpoint",
              "revocation_endpoint", "id_token_signing_alg_values_supported",
              "token_endpoint_auth_methods_supported", "grant_types_supported"):
        assert k in doc, f"discovery lacks {k}: {doc}"
    assert doc["issuer"].startswith("http")
    assert not doc["issuer"].endswith("/")
    assert "ES256" in doc["id_token_signing_alg_values_supported"]
    assert "RS256" in doc["id_token_signing_alg_values_supported"]
    assert {"client_secret_basic", "client_secret_post"} <= \
        set(doc["token_endpoint_auth_methods_supported"])
    assert {"client_credentials", "refresh_token"} <= set(doc["grant_types_supported"])


def test_discovery_issuer_matches_tokens(server, app):
    doc = h.discovery(server)
    claims = h.verify_jwt(server, h.client_token(server, app), issuer=doc["issuer"])
    assert claims["iss"] == doc["issuer"]


def test_discovery_endpoints_resolve_and_work(server, app):
    """Every endpoint the document names is served by this server and does
    its job when called at exactly that URL."""
    doc = h.discovery(server, "/.well-known/openid-configuration")
    auth = h.basic_auth(app["client_id"], app["client_secret"])
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    r = requests.post(doc["token_endpoint"], data={"grant_type": "client_credentials"},
                      headers={**auth, **form}, timeout=h.HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    tok = r.json()["access_token"]
    r = requests.get(doc["jwks_uri"], timeout=h.HTTP_TIMEOUT)
    assert r.status_code == 200 and r.json()["keys"], r.text
    h.verify_jwt(r.json(), tok)
    r = requests.post(doc["introspection_endpoint"], data={"token": tok},
                      headers={**auth, **form}, timeout=h.HTTP_TIMEOUT)
    assert r.status_code == 200 and r.json()["active"] is True, r.text
    r = requests.post(doc["revocation_endpoint"], data={"token": tok},
                      headers={**auth, **form}, timeout=h.HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    r = requests.post(doc["introspection_endpoint"], data={"token": tok},
                      headers={**auth, **form}, timeout=h.HTTP_TIMEOUT)
    assert r.json() == {"active": False}, r.text


# --- JWKS --------------------------------------------------------------------

PRIVATE_JWK_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "oth", "k"}


def test_jwks_document(server):
    r = requests.get(h.url(server, "/oidc/jwks"), timeout=h.HTTP_TIMEOUT)
    assert r.status_code == 200
    ctype = r.headers["Content-Type"].split(";")[0].strip()
    assert ctype in ("application/json", "application/jwk-set+json"), ctype
    keys = r.json()["keys"]
    assert keys, "the JWKS publishes no key"
    kids = [k.get("kid") for k in keys]
    assert all(isinstance(k, str) and k for k in kids), keys
    assert len(set(kids)) == len(kids), f"duplicate kids: {kids}"
    for k in keys:
        assert k.get("kty") in ("EC", "RSA", "OKP"), k
        assert k.get("alg") in ("ES256", "RS256", "EdDSA"), k
        assert k.get("use", "sig") == "sig", k
        assert not (PRIVATE_JWK_MEMBERS & set(k)), f"private key material published: {k}"
        if k["kty"] == "EC":
            assert k["crv"] == "P-256" and k["alg"] == "ES256", k
            assert len(h.b64url_decode(k["x"])) == 32 and len(h.b64url_decode(k["y"])) == 32


@pytest.mark.parametrize("path", ["/oidc/jwks", "/oidc/.well-known/openid-configuration"])
def test_public_documents_are_cacheable(server, path):
    """The JWKS (and discovery) carry one consistent caching policy with a
    max-age, not a max-age contradicted by no-store."""
    r = requests.get(h.url(server, path), timeout=h.HTTP_TIMEOUT)
    assert r.status_code == 200
    cc = [p.strip().lower() for p in r.headers.get("Cache-Control", "").split(",")]
    max_age = [p for p in cc if p.startswith("max-age=")]
    assert len(max_age) == 1, f"want one Cache-Control max-age: {r.headers}"
    assert int(max_age[0].split("=", 1)[1]) >= 0
    assert "no-store" not in cc and "no-cache" not in cc, \
        f"contradictory Cache-Control: {r.headers.get('Cache-Control')!r}"


def test_jwks_signer_is_published(server, app):
    kid = h.header_of(h.client_token(server, app))["kid"]
    h.jwk_for(h.fetch_jwks(server), kid)


# --- refresh_token grant -----------------------------------------------------

def test_refresh_grant_rotates(server, app, session):
    user, login = session
    r = h.refresh_oauth(server, app, login["refresh_token"])
    assert r.status_code == 200, r.text
    h.assert_no_store(r)
    body = r.json()
    assert {"access_token", "id_token", "refresh_token", "token_type", "expires_in"} <= set(body)
    assert body["token_type"] == "Bearer"
    assert body["refresh_token"] != login["refresh_token"]
    at = h.verify_jwt(server, body["access_token"], audience=RES1, typ="at+jwt")
    idt = h.verify_jwt(server, body["id_token"], audience=app["client_id"])
    assert at["sub"] == idt["sub"] == user["user_id"]
    assert at["sid"] == idt["sid"] == login["session_id"]
    assert at["amr"] == ["pwd"]
    # the new refresh token works in turn
    r2 = h.refresh_oauth(server, app, body["refresh_token"], method="post")
    assert r2.status_code == 200, r2.text


def test_refresh_grant_reuse_revokes_session(server, app, session):
    _, login = session
    old = login["refresh_token"]
    r = h.refresh_oauth(server, app, old)
    assert r.status_code == 200, r.text
    newest = r.json()["refresh_token"]
    new_at = r.json()["access_token"]
    assert h.user_token_kind_ok(server, new_at)
    assert h.user_token_kind_ok(server, login["access_token"])

    h.assert_oauth_error(h.refresh_oauth(server, app, old), 400, "invalid_grant")
    # the whole session is gone: the newest refresh token and its access tokens
    h.assert_oauth_error(h.refresh_oauth(server, app, newest), 400, "invalid_grant")
    assert not h.user_token_kind_ok(server, new_at)
    assert not h.user_token_kind_ok(server, login["access_token"])
    h.assert_error(h.mb_delete(server, new_at), 401, "invalid_token")


def test_refresh_grant_of_another_app(server, app, app_b, session):
    _, login = session
    h.assert_oauth_error(h.refresh_oauth(server, app_b, login["refresh_token"]),
                         400, "invalid_grant")
    # the failed attempt did not consume or revoke it
    assert h.refresh_oauth(server, app, login["refresh_token"]).status_code == 200


@pytest.mark.parametrize("rt", ["garbage", "A" * 43, "x.y.z"])
def test_refresh_grant_unknown_token(server, app, rt):
    h.assert_oauth_error(h.refresh_oauth(server, app, rt), 400, "invalid_grant")


def test_refresh_grant_missing_token(server, app):
    r = h.token_request(server, {"grant_type": "refresh_token"},
                        headers=h.basic_auth(app["client_id"], app["client_secret"]))
    h.assert_oauth_error(r, 400, "invalid_request")


def test_refresh_grant_needs_client_auth(server, app, session):
    _, login = session
    r = h.token_request(server, {"grant_type": "refresh_token",
                                 "refresh_token": login["refresh_token"]})
    h.assert_oauth_error(r, 401, "invalid_client")
    assert h.refresh_oauth(server, app, login["refresh_token"]).status_code == 200


def test_refresh_grant_access_token_is_not_refresh_token(server, app, session):
    _, login = session
    h.assert_oauth_error(h.refresh_oauth(server, app, login["access_token"]),
                         400, "invalid_grant")


# --- introspection (RFC 7662) ------------------------------------------------

def test_introspect_client_token(server, app, ctoken):
    r = h.introspect(server, app, ctoken)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["active"] is True, body
    assert body["client_id"] == app["client_id"]
    assert body["sub"] == app["client_id"]
    claims = h.decode_unverified(ctoken)[1]
    assert body["exp"] == claims["exp"]
    assert body.get("aud", RES1) in (RES1, [RES1])


def test_introspect_user_tokens(server, app, session):
    user, login = session
    body = h.introspect(server, app, login["access_token"], method="post").json()
    assert body["active"] is True, body
    assert body["sub"] == user["user_id"]
    assert body["client_id"] == app["client_id"]
    body = h.introspect(server, app, login["refresh_token"]).json()
    assert body["active"] is True, body
    assert body.get("sub", user["user_id"]) == user["user_id"]


def test_introspect_other_apps_tokens_inactive(server, app_b, ctoken, session):
    _, login = session
    for tok in (ctoken, login["access_token"], login["refresh_token"]):
        r = h.introspect(server, app_b, tok)
        assert r.status_code == 200, r.text
        assert r.json() == {"active": False}, r.text


@pytest.mark.parametrize("tok", ["garbage", "a.b.c", "eyJhbGciOiJub25lIn0.e30.", "x" * 2000])
def test_introspect_garbage_inactive(server, app, tok):
    r = h.introspect(server, app, tok)
    assert r.status_code == 200, r.text
    assert r.json() == {"active": False}


def test_introspect_id_token_is_not_an_access_token(server, app, session):
    _, login = session
    assert h.introspect(server, app, login["id_token"]).json() == {"active": False}


def test_introspect_rotated_refresh_inactive(server, app, session):
    _, login = session
    assert h.refresh_oauth(server, app, login["refresh_token"]).status_code == 200
    assert h.introspect(server, app, login["refresh_token"]).json() == {"active": False}


def test_introspect_requires_client_auth(server, app, ctoken):
    r = h.token_request(server, {"token": ctoken}, path="/oidc/token/introspection")
    h.assert_oauth_error(r, 401, "invalid_client")
    bad = dict(app, client_secret="wrong")
    r = h.introspect(server, bad, ctoken)
    h.assert_oauth_error(r, 401, "invalid_client")
    assert "WWW-Authenticate" in r.headers
    # a bearer token is no client authentication either
    r = h.token_request(server, {"token": ctoken}, headers=h.bearer(ctoken),
                        path="/oidc/token/introspection")
    h.assert_oauth_error(r, 401, "invalid_client")
    assert "active" not in r.json()


def test_introspect_missing_token(server, app):
    r = h.token_request(server, {}, headers=h.basic_auth(app["client_id"], app["client_secret"]),
                        path="/oidc/token/introspection")
    h.assert_oauth_error(r, 400, "invalid_request")


# --- revocation (RFC 7009) ---------------------------------------------------

def test_revoke_refresh_token(server, app, session):
    _, login = session
    r = h.revoke(server, app, login["refresh_token"])
    assert r.status_code == 200, r.text
    h.assert_oauth_error(h.refresh_oauth(server, app, login["refresh_token"]),
                         400, "invalid_grant")
    assert h.introspect(server, app, login["refresh_token"]).json() == {"active": False}


def test_revoke_user_access_token(server, app, session):
    _, login = session
    assert h.user_token_kind_ok(server, login["access_token"])
    r = h.revoke(server, app, login["access_token"], method="post")
    assert r.status_code == 200, r.text
    assert not h.user_token_kind_ok(server, login["access_token"])
    assert h.introspect(server, app, login["access_token"]).json() == {"active": False}


def test_revoke_client_access_token(server, app):
    tok = h.client_token(server, app)
    assert h.get_user(server, tok, "nobody").status_code == 404
    assert h.revoke(server, app, tok).status_code == 200
    h.assert_error(h.get_user(server, tok, "nobody"), 401, "invalid_token")
    # other client tokens of the app keep working
    assert h.get_user(server, h.client_token(server, app), "nobody").status_code == 404


@pytest.mark.parametrize("tok", ["unknown-token", "a.b.c", "A" * 43])
def test_revoke_unknown_token_is_200(server, app, tok):
    r = h.revoke(server, app, tok)
    assert r.status_code == 200, r.text


def test_revoke_twice_is_200(server, app, session):
    _, login = session
    assert h.revoke(server, app, login["refresh_token"]).status_code == 200
    assert h.revoke(server, app, login["refresh_token"]).status_code == 200


def test_revoke_by_another_app_changes_nothing(server, app, app_b, session):
    _, login = session
    tok = h.client_token(server, app)
    for t in (tok, login["access_token"], login["refresh_token"]):
        r = h.revoke(server, app_b, t)
        assert r.status_code < 500, r.text
    assert h.get_user(server, tok, "nobody").status_code == 404
    assert h.user_token_kind_ok(server, login["access_token"])
    assert h.refresh_oauth(server, app, login["refresh_token"]).status_code == 200


def test_revoke_requires_client_auth(server, app, session):
    _, login = session
    r = h.token_request(server, {"token": login["refresh_token"]},
                        path="/oidc/token/revocation")
    h.assert_oauth_error(r, 401, "invalid_client")
    r = h.revoke(server, dict(app, client_secret="nope"), login["refresh_token"])
    h.assert_oauth_error(r, 401, "invalid_client")
    assert h.refresh_oauth(server, app, login["refresh_token"]).status_code == 200


def test_revoke_missing_token(server, app):
    r = h.token_request(server, {}, headers=h.basic_auth(app["client_id"], app["client_secret"]),
                        path="/oidc/token/revocation")
    h.assert_oauth_error(r, 400, "invalid_request")
