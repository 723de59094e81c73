"""
Black-box tests of users and the first factor (docs/API.md "Users
and the first factor"): POST/GET/DELETE /v1/users, POST
/v1/auth/password/authenticate, POST /v1/auth/token/refresh (rotation and
reuse detection) and POST /v1/auth/session/logout.
"""
import calendar
import statistics
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

import helpers as h

RES1 = "https://api.example.test"
RES2 = "https://ledger.example.test"
PW = "s3cret-Pässword!"
V1_TOKEN_FIELDS = {"access_token", "id_token", "refresh_token", "token_type", "expires_in",
                   "session_id"}


@pytest.fixture(scope="module")
def app(server):
    return h.create_app(server, resources=(RES1, RES2))


@pytest.fixture(scope="module")
def app_b(server):
    return h.create_app(server)


@pytest.fixture(scope="module")
def ctoken(server, app):
    return h.client_token(server, app)


@pytest.fixture(scope="module")
def ctoken_b(server, app_b):
    return h.client_token(server, app_b)


@pytest.fixture
def alice(server, ctoken):
    """A fresh user with a password: (user_json, username)."""
    name = h.unique_name("alice")
    return h.create_user(server, ctoken, username=name, password=PW), name


@pytest.fixture
def session(server, ctoken, alice):
    user, name = alice
    return user, h.password_login(server, ctoken, name, PW)


@pytest.fixture(scope="module")
def user_token(server, ctoken):
    return h.new_user_session(server, ctoken)[1]["access_token"]


def post(server, path, token, body=None, raw=None, ctype="application/json"):
    headers = h.bearer(token) if token else {}
    if raw is not None:
        headers["Content-Type"] = ctype
        return requests.post(h.url(server, path), data=raw, headers=headers,
                             timeout=h.HTTP_TIMEOUT)
    return requests.post(h.url(server, path), json=body, headers=headers, timeout=h.HTTP_TIMEOUT)


def as_epoch(v):
    """created_at as seconds: an integer, or an RFC 3339 UTC string."""
    if isinstance(v, int):
        return v
    assert isinstance(v, str), v
    return calendar.timegm(time.strptime(v.replace("+00:00", "Z"), "%Y-%m-%dT%H:%M:%SZ"))


# --- users -------------------------------------------------------------------

def test_create_user_generated_id(server, ctoken):
    r = h.create_user(server, ctoken, expect=None)
    assert r.status_code == 201, r.text
    u = r.json()["result"]
    assert {"user_id", "username", "created_at"} <= set(u), u
    assert isinstance(u["user_id"], str) and len(u["user_id"]) >= 8
    assert u["username"] is None
    assert abs(u["created_at"] / 1000 - time.time()) < 60
    assert not {k for k in u if "pass" in k.lower() or "hash" in k.lower()}, u
    other = h.create_user(server, ctoken)
    assert other["user_id"] != u["user_id"]


@pytest.mark.parametrize("user_id", ["ext-12345", "bob@example.com", "Zoë Ωmega", "a+b c"])
def test_create_get_delete_user(server, ctoken, user_id):
    uid = user_id + "-" + h.unique_name("")
    name = h.unique_name("bob")
    u = h.create_user(server, ctoken, username=name, password=PW, user_id=uid)
    assert u["user_id"] == uid and u["username"] == name, u

    r = h.get_user(server, ctoken, uid)
    assert r.status_code == 200, r.text
    g = r.json()["result"]
    assert g["user_id"] == uid and g["username"] == name, g
    assert g["created_at"] == u["created_at"]
    assert not {k for k in g if "pass" in k.lower() or "hash" in k.lower()}, g

    r = h.delete_user(server, ctoken, uid)
    assert r.status_code == 204, r.text
    assert r.content == b""
    h.assert_error(h.get_user(server, ctoken, uid), 404, "not_found")
    h.assert_error(h.delete_user(server, ctoken, uid), 404, "not_found")
    # the password login of a deleted user is the generic failure
    h.assert_error(h.password_login_response(server, ctoken, name, PW), 401)


def test_get_unknown_user(server, ctoken):
    h.assert_error(h.get_user(server, ctoken, "no-such-user"), 404, "not_found")


def test_duplicate_user_id_conflict(server, ctoken):
    uid = h.unique_name("dup")
    h.create_user(server, ctoken, user_id=uid)
    r = h.create_user(server, ctoken, user_id=uid, username=h.unique_name(), expect=None)
    h.assert_error(r, 409, "conflict")


def test_duplicate_username_conflict(server, ctoken):
    name = h.unique_name("dup")
    h.create_user(server, ctoken, username=name, password=PW)
    r = h.create_user(server, ctoken, username=name, password="other", expect=None)
    h.assert_error(r, 409, "conflict")
    # the first user's password still logs in
    h.password_login(server, ctoken, name, PW)


def test_users_shared_between_apps(server, ctoken, ctoken_b):
    u = h.create_user(server, ctoken, username=h.unique_name())
    assert h.get_user(server, ctoken_b, u["user_id"]).status_code == 200


@pytest.mark.parametrize("body", [
    {"username": 5}, {"username": ""}, {"user_id": ""}, {"password": ""},
    {"user_id": ["x"]}, {"password": 123}, {"username": "a\u0001b"},
    {"username": "x" * 257}, {"user_id": "y" * 257}, {"password": "p" * 1025},
])
def test_create_user_bad_input(server, ctoken, body):
    r = post(server, "/v1/users", ctoken, body)
    h.assert_error(r, 400, "invalid_request")


@pytest.mark.parametrize("raw", ["[]", "not json", '{"username": "a", "username": "b"}',
                                 '{"username": "\xff"}'.encode("latin-1"), ""])
def test_create_user_malformed_body(server, ctoken, raw):
    h.assert_error(post(server, "/v1/users", ctoken, raw=raw), 400, "invalid_request")


def test_create_user_wrong_content_type(server, ctoken):
    r = post(server, "/v1/users", ctoken, raw='{"username": "x"}', ctype="text/plain")
    h.assert_error(r, 415, "unsupported_media_type")


def test_users_need_client_token(server, ctoken, user_token):
    u = h.create_user(server, ctoken)
    for r in (post(server, "/v1/users", user_token, {}),
              h.get_user(server, user_token, u["user_id"]),
              h.delete_user(server, user_token, u["user_id"])):
        h.assert_error(r, 403, "wrong_token_kind")
    for r in (post(server, "/v1/users", None, {}),
              h.get_user(server, None, u["user_id"]),
              h.delete_user(server, None, u["user_id"])):
        h.assert_error(r, 401, "invalid_token")
        assert r.headers.get("WWW-Authenticate", "").lower().startswith("bearer")
    # nothing was deleted
    assert h.get_user(server, ctoken, u["user_id"]).status_code == 200


def test_deleted_user_sessions_end(server, ctoken, session):
    user, login = session
    assert h.user_token_kind_ok(server, login["access_token"])
    assert h.delete_user(server, ctoken, user["user_id"]).status_code == 204
    assert not h.user_token_kind_ok(server, login["access_token"])
    h.assert_error(h.refresh(server, ctoken, login["refresh_token"]), 400, "invalid_grant")


# --- password authenticate ---------------------------------------------------

def test_password_login(server, app, ctoken, alice):
    user, name = alice
    r = h.password_login_response(server, ctoken, name, PW)
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == V1_TOKEN_FIELDS, body
    assert body["token_type"] == "Bearer"
    assert isinstance(body["expires_in"], int) and body["expires_in"] > 0
    assert isinstance(body["session_id"], str) and body["session_id"]
    a = h.verify_jwt(server, body["access_token"], audience=RES1, typ="at+jwt")
    i = h.verify_jwt(server, body["id_token"], audience=app["client_id"])
    assert a["sub"] == i["sub"] == user["user_id"]
    assert a["amr"] == i["amr"] == ["pwd"]
    assert a["sid"] == i["sid"] == body["session_id"]
    assert "username" not in i, "username is only added when claims asks for it"
    assert h.user_token_kind_ok(server, body["access_token"])


def test_password_login_not_cacheable(server, ctoken, alice):
    _, name = alice
    r = h.password_login_response(server, ctoken, name, PW)
    assert r.status_code == 200, r.text
    h.assert_no_store(r)


def test_each_login_new_session(server, ctoken, alice):
    _, name = alice
    a = h.password_login(server, ctoken, name, PW)
    b = h.password_login(server, ctoken, name, PW)
    assert a["session_id"] != b["session_id"]
    assert a["refresh_token"] != b["refresh_token"]


def test_wrong_password_and_unknown_user_look_the_same(server, ctoken, alice):
    user, name = alice
    wrong = h.password_login_response(server, ctoken, name, PW + "x")
    unknown = h.password_login_response(server, ctoken, h.unique_name("ghost"), PW)
    nopw = h.create_user(server, ctoken, username=h.unique_name("nopw"))
    no_password = h.password_login_response(server, ctoken, nopw["username"], PW)
    by_id = h.password_login_response(server, ctoken, user["user_id"], PW)
    for r in (wrong, unknown, no_password):
        h.assert_error(r, 401, "invalid_credentials")
    assert wrong.json() == unknown.json() == no_password.json()
    h.assert_error(by_id, 401, "invalid_credentials")


def test_unknown_user_costs_like_wrong_password(server, ctoken, alice):
    _, name = alice
    wrong, unknown = [], []
    for _ in range(4):
        t = time.perf_counter()
        assert h.password_login_response(server, ctoken, name, "wrong").status_code == 401
        wrong.append(time.perf_counter() - t)
        t = time.perf_counter()
        assert h.password_login_response(server, ctoken, h.unique_name("x"), "wrong").status_code == 401
        unknown.append(time.perf_counter() - t)
    w, u = statistics.median(wrong), statistics.median(unknown)
    assert u > 0.3 * w, f"unknown user {u * 1000:.1f} ms vs wrong password {w * 1000:.1f} ms"


def test_claims_username(server, ctoken, alice):
    _, name = alice
    for req in ({"username": None}, {"username": {"essential": True}}):
        body = h.password_login(server, ctoken, name, PW, claims={"id_token": req})
        i = h.verify_jwt(server, body["id_token"])
        assert i.get("username") == name, i
        assert "username" not in h.verify_jwt(server, body["access_token"])


def test_unsupported_claims_ignored(server, ctoken, alice):
    _, name = alice
    body = h.password_login(server, ctoken, name, PW,
                            claims={"id_token": {"email": None, "phone_number": None},
                                    "userinfo": {"email": None}})
    i = h.verify_jwt(server, body["id_token"])
    assert "email" not in i and "phone_number" not in i, i


def test_org_id_claim(server, ctoken, alice):
    _, name = alice
    body = h.password_login(server, ctoken, name, PW, org_id="org-42",
                            claims={"id_token": {"org_id": None}})
    assert h.verify_jwt(server, body["id_token"]).get("org_id") == "org-42"
    # the session keeps it
    r = h.refresh(server, ctoken, body["refresh_token"])
    assert r.status_code == 200, r.text
    assert h.verify_jwt(server, r.json()["id_token"]).get("org_id") == "org-42"


def test_resource_and_client_attributes(server, ctoken, alice):
    _, name = alice
    body = h.password_login(server, ctoken, name, PW, resource=RES2,
                            client_attributes={"user_agent": "pytest", "ip_address": "10.0.0.1"})
    assert h.verify_jwt(server, body["access_token"], audience=RES2)["aud"] == RES2
    r = h.password_login_response(server, ctoken, name, PW, resource="https://evil.example.test")
    h.assert_error(r, 400, "invalid_target")


@pytest.mark.parametrize("extra", [
    {"claims": "username"}, {"claims": {"id_token": ["username"]}},
    {"client_attributes": "ua"}, {"org_id": 7}, {"org_id": ""}, {"resource": 1},
    {"session_id": 5},
])
def test_bad_login_options(server, ctoken, alice, extra):
    _, name = alice
    r = h.password_login_response(server, ctoken, name, PW, **extra)
    h.assert_error(r, 400, "invalid_request")


def test_login_into_existing_session(server, ctoken, alice):
    _, name = alice
    first = h.password_login(server, ctoken, name, PW)
    again = h.password_login(server, ctoken, name, PW, session_id=first["session_id"])
    assert again["session_id"] == first["session_id"]
    assert h.verify_jwt(server, again["access_token"])["sid"] == first["session_id"]


def test_login_session_id_must_be_own_live_session(server, ctoken, ctoken_b, alice):
    _, name = alice
    other_name = h.unique_name("other")
    h.create_user(server, ctoken, username=other_name, password=PW)
    other = h.password_login(server, ctoken, other_name, PW)
    # another user's session, an unknown one, one of another app
    for tok, sid in ((ctoken, other["session_id"]), (ctoken, "ses_unknown"),
                     (ctoken_b, other["session_id"])):
        r = h.password_login_response(server, tok, name if tok is ctoken else other_name, PW,
                                      session_id=sid)
        h.assert_error(r, 400, "invalid_request")
    # a logged-out session
    assert h.logout(server, ctoken, other["session_id"]).status_code == 204
    r = h.password_login_response(server, ctoken, other_name, PW, session_id=other["session_id"])
    h.assert_error(r, 400, "invalid_request")


@pytest.mark.parametrize("body", [{"username": "x"}, {"password": "x"}, {},
                                  {"username": 1, "password": "x"},
                                  {"username": "x", "password": ""},
                                  {"username": "", "password": "x"}])
def test_password_bad_input(server, ctoken, body):
    r = post(server, "/v1/auth/password/authenticate", ctoken, body)
    h.assert_error(r, 400, "invalid_request")


def test_password_needs_client_token(server, user_token, alice):
    _, name = alice
    body = {"username": name, "password": PW}
    h.assert_error(post(server, "/v1/auth/password/authenticate", user_token, body),
                   403, "wrong_token_kind")
    h.assert_error(post(server, "/v1/auth/password/authenticate", None, body),
                   401, "invalid_token")


# --- /v1 refresh -------------------------------------------------------------

def test_refresh_rotates(server, app, ctoken, session):
    user, login = session
    r = h.refresh(server, ctoken, login["refresh_token"])
    assert r.status_code == 200, r.text
    h.assert_no_store(r)
    body = r.json()
    assert set(body) == V1_TOKEN_FIELDS, body
    assert body["session_id"] == login["session_id"]
    assert body["refresh_token"] != login["refresh_token"]
    a = h.verify_jwt(server, body["access_token"], audience=RES1, typ="at+jwt")
    assert a["sub"] == user["user_id"] and a["sid"] == login["session_id"]
    assert a["amr"] == ["pwd"]
    h.verify_jwt(server, body["id_token"], audience=app["client_id"])
    assert h.user_token_kind_ok(server, body["access_token"])
    # chain: the new one works, and so on
    r2 = h.refresh(server, ctoken, body["refresh_token"])
    assert r2.status_code == 200, r2.text
    assert r2.json()["refresh_token"] not in (body["refresh_token"], login["refresh_token"])


def test_refresh_reuse_revokes_session(server, ctoken, session):
    _, login = session
    old = login["refresh_token"]
    r = h.refresh(server, ctoken, old)
    assert r.status_code == 200, r.text
    newest, new_at = r.json()["refresh_token"], r.json()["access_token"]
    assert h.user_token_kind_ok(server, new_at)

    h.assert_error(h.refresh(server, ctoken, old), 400, "invalid_grant")
    # the whole session is revoked
    h.assert_error(h.refresh(server, ctoken, newest), 400, "invalid_grant")
    h.assert_error(h.mb_delete(server, new_at), 401, "invalid_token")
    h.assert_error(h.mb_delete(server, login["access_token"]), 401, "invalid_token")
    assert not h.user_token_kind_ok(server, new_at)


def test_refresh_reuse_via_oidc_then_v1(server, app, ctoken, session):
    """Rotation is one chain whichever endpoint is used."""
    _, login = session
    r = h.refresh_oauth(server, app, login["refresh_token"])
    assert r.status_code == 200, r.text
    newest = r.json()["refresh_token"]
    h.assert_error(h.refresh(server, ctoken, login["refresh_token"]), 400, "invalid_grant")
    h.assert_oauth_error(h.refresh_oauth(server, app, newest), 400, "invalid_grant")


def test_concurrent_refresh_has_one_winner(server, ctoken, session):
    """Racing uses of one refresh token must not fork the session into
    several live chains: at most one succeeds, the rest are invalid_grant."""
    _, login = session
    with ThreadPoolExecutor(6) as ex:
        rs = list(ex.map(lambda _: h.refresh(server, ctoken, login["refresh_token"]), range(6)))
    ok = [r for r in rs if r.status_code == 200]
    assert len(ok) <= 1, f"{len(ok)} concurrent refreshes of one token succeeded"
    for r in rs:
        if r.status_code != 200:
            h.assert_error(r, 400, "invalid_grant")


def test_refresh_other_apps_token(server, ctoken, ctoken_b, session):
    _, login = session
    h.assert_error(h.refresh(server, ctoken_b, login["refresh_token"]), 400, "invalid_grant")
    r = h.refresh(server, ctoken, login["refresh_token"])
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("rt", ["garbage", "A" * 43, "x" * 512])
def test_refresh_unknown(server, ctoken, rt):
    h.assert_error(h.refresh(server, ctoken, rt), 400, "invalid_grant")


@pytest.mark.parametrize("body", [{}, {"refresh_token": ""}, {"refresh_token": 5},
                                  {"refresh_token": None}])
def test_refresh_bad_input(server, ctoken, body):
    h.assert_error(post(server, "/v1/auth/token/refresh", ctoken, body), 400, "invalid_request")


def test_refresh_needs_client_token(server, ctoken, session):
    _, login = session
    body = {"refresh_token": login["refresh_token"]}
    h.assert_error(post(server, "/v1/auth/token/refresh", login["access_token"], body),
                   403, "wrong_token_kind")
    h.assert_error(post(server, "/v1/auth/token/refresh", None, body), 401, "invalid_token")
    assert h.refresh(server, ctoken, login["refresh_token"]).status_code == 200


# --- logout ------------------------------------------------------------------

def test_logout(server, app, ctoken, session):
    _, login = session
    assert h.user_token_kind_ok(server, login["access_token"])
    r = h.logout(server, ctoken, login["session_id"])
    assert r.status_code == 204, r.text
    assert r.content == b""
    h.assert_error(h.refresh(server, ctoken, login["refresh_token"]), 400, "invalid_grant")
    h.assert_oauth_error(h.refresh_oauth(server, app, login["refresh_token"]), 400,
                         "invalid_grant")
    h.assert_error(h.mb_delete(server, login["access_token"]), 401, "invalid_token")
    assert not h.user_token_kind_ok(server, login["access_token"])
    assert h.introspect(server, app, login["access_token"]).json() == {"active": False}
    assert h.introspect(server, app, login["refresh_token"]).json() == {"active": False}


def test_logout_only_that_session(server, ctoken, alice):
    _, name = alice
    a = h.password_login(server, ctoken, name, PW)
    b = h.password_login(server, ctoken, name, PW)
    assert h.logout(server, ctoken, a["session_id"]).status_code == 204
    assert h.user_token_kind_ok(server, b["access_token"])
    assert h.refresh(server, ctoken, b["refresh_token"]).status_code == 200


def test_logout_of_another_apps_session_changes_nothing(server, ctoken, ctoken_b, session):
    _, login = session
    r = h.logout(server, ctoken_b, login["session_id"])
    assert r.status_code != 204 and r.status_code < 500, f"{r.status_code} {r.text!r}"
    assert h.user_token_kind_ok(server, login["access_token"])
    assert h.refresh(server, ctoken, login["refresh_token"]).status_code == 200


@pytest.mark.parametrize("body", [{}, {"session_id": ""}, {"session_id": 1}])
def test_logout_bad_input(server, ctoken, body):
    h.assert_error(post(server, "/v1/auth/session/logout", ctoken, body), 400, "invalid_request")


def test_logout_needs_client_token(server, ctoken, session):
    _, login = session
    body = {"session_id": login["session_id"]}
    h.assert_error(post(server, "/v1/auth/session/logout", login["access_token"], body),
                   403, "wrong_token_kind")
    h.assert_error(post(server, "/v1/auth/session/logout", None, body), 401, "invalid_token")
    assert h.user_token_kind_ok(server, login["access_token"])


def test_percent_encoded_user_path(server, ctoken):
    uid = "p%2Fq-" + h.unique_name("")
    h.create_user(server, ctoken, user_id=uid)
    r = requests.get(h.url(server, "/v1/users/" + urllib.parse.quote(uid, safe="")),
                     headers=h.bearer(ctoken), timeout=h.HTTP_TIMEOUT)
    assert r.status_code == 200 and r.json()["result"]["user_id"] == uid, r.text
