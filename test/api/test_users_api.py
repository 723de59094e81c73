"""Transmit's Users API shape (issue 12, item 5): POST /v1/users with
Transmit's fields, the {"result": user} answer, GET by id, username and
email, uniqueness of username, email (case-insensitively) and phone number,
and the 400s for malformed fields. Runs on SQLite and, with
BIOAUTH_TEST_PG, on PostgreSQL (conftest.py)."""
import itertools
import time
import urllib.parse

import pytest
import requests

import helpers as h

PW = "correct horse battery staple"
_phones = itertools.count(int(time.time() * 1000) % 10_000_000)


@pytest.fixture(scope="module")
def app(server):
    return h.create_app(server)


@pytest.fixture(scope="module")
def ctoken(server, app):
    return h.client_token(server, app)


def post(server, token, body=None, form=None):
    if form is not None:
        return requests.post(h.url(server, "/v1/users"), data=form, headers=h.bearer(token),
                             timeout=h.HTTP_TIMEOUT)
    return requests.post(h.url(server, "/v1/users"), json=body, headers=h.bearer(token),
                         timeout=h.HTTP_TIMEOUT)


def get(server, token, path):
    return requests.get(h.url(server, path), headers=h.bearer(token), timeout=h.HTTP_TIMEOUT)


def phone():
    """A fresh E.164 number (unique per run and call)."""
    return "+1555%07d" % (next(_phones) % 10_000_000)


def email(prefix="ada"):
    return h.unique_name(prefix) + "@Example.test"


def full_body():
    return {
        "username": h.unique_name("ada"),
        "email": email(),
        "phone_number": phone(),
        "credentials": {"password": PW, "force_replace": False},
        "name": {"first_name": "Ada", "last_name": "Lovelace", "middle_name": "King",
                 "title": "Countess"},
        "external_user_id": "crm-" + h.unique_name(""),
        "custom_data": {"tier": "gold", "tags": ["a", "b"], "n": 3},
        # Transmit fields bioauth does not store are ignored
        "birthday": "1815-12-10", "language": "en",
    }


def test_create_answers_transmit_user(server, ctoken):
    body = full_body()
    before = int(time.time() * 1000)
    r = post(server, ctoken, body)
    assert r.status_code == 201, r.text
    assert set(r.json()) == {"result"}, r.json()
    u = r.json()["result"]
    assert u["user_id"].startswith("usr_")
    assert u["username"] == body["username"]
    assert u["email"] == {"value": body["email"], "email_verified": False}
    assert u["phone_number"] == {"value": body["phone_number"], "phone_number_verified": False}
    assert u["name"] == body["name"]
    assert u["external_user_id"] == body["external_user_id"]
    assert u["custom_data"] == body["custom_data"]
    assert u["status"] == "Active"
    # epoch milliseconds, as Transmit's API gives them (stored to the second)
    assert isinstance(u["created_at"], int) and u["created_at"] == u["updated_at"]
    assert before - 1000 <= u["created_at"] <= time.time() * 1000 + 1000
    assert u["created_at"] % 1000 == 0
    assert "birthday" not in u and "credentials" not in u
    assert not {k for k in u if "pass" in k.lower() or "hash" in k.lower()}, u

    for path in ("/v1/users/" + urllib.parse.quote(u["user_id"], safe=""),
                 "/v1/users/username/" + urllib.parse.quote(body["username"], safe=""),
                 "/v1/users/email/" + urllib.parse.quote(body["email"], safe=""),
                 "/v1/users/email/" + urllib.parse.quote(body["email"].upper(), safe=""),
                 "/cis/v1/users/email/" + urllib.parse.quote(body["email"].lower(), safe="")):
        g = get(server, ctoken, path)
        assert g.status_code == 200, (path, g.text)
        assert g.json() == {"result": u}, path

    # credentials.password is the password of the login that follows
    login = h.password_login(server, ctoken, body["username"], PW)
    assert h.decode_unverified(login["access_token"])[1]["sub"] == u["user_id"]


def test_minimal_user_has_null_fields(server, ctoken):
    r = post(server, ctoken, {})
    assert r.status_code == 201, r.text
    u = r.json()["result"]
    for k in ("username", "email", "phone_number", "name", "external_user_id", "custom_data"):
        assert u[k] is None, (k, u)


def test_form_body_with_object_fields(server, ctoken):
    name = h.unique_name("form")
    r = post(server, ctoken, form={
        "username": name, "email": name + "@example.test",
        "credentials": '{"password": "%s"}' % PW, "name": '{"first_name": "Grace"}',
        "custom_data": '{"k": 1}'})
    assert r.status_code == 201, r.text
    u = r.json()["result"]
    assert u["name"] == {"first_name": "Grace"} and u["custom_data"] == {"k": 1}
    h.password_login(server, ctoken, name, PW)


def test_top_level_password_still_accepted(server, ctoken):
    name = h.unique_name("old")
    r = post(server, ctoken, {"username": name, "password": PW})
    assert r.status_code == 201, r.text
    h.password_login(server, ctoken, name, PW)


def test_unknown_users_are_404(server, ctoken):
    for path in ("/v1/users/nobody-" + h.unique_name(""),
                 "/v1/users/username/nobody-" + h.unique_name(""),
                 "/v1/users/email/nobody-" + h.unique_name("") + "%40example.test",
                 "/v1/users/email/not-an-address"):
        h.assert_error(get(server, ctoken, path), 404, "not_found")


def test_lookups_need_a_client_token(server, ctoken):
    body = full_body()
    assert post(server, ctoken, body).status_code == 201
    path = "/v1/users/email/" + urllib.parse.quote(body["email"], safe="")
    h.assert_error(get(server, None, path), 401, "invalid_token")
    _, login = h.new_user_session(server, ctoken)
    h.assert_error(get(server, login["access_token"], path), 403, "wrong_token_kind")


def test_duplicates_are_409(server, ctoken):
    first = full_body()
    assert post(server, ctoken, first).status_code == 201
    for clash in ({"username": first["username"]},
                  {"email": first["email"]},
                  {"email": first["email"].upper()},
                  {"email": first["email"].lower()},
                  {"phone_number": first["phone_number"]}):
        r = post(server, ctoken, clash)
        h.assert_error(r, 409, "conflict")
        assert "already exists" in r.json()["message"]
    # a user that clashes was not stored under its other fields
    body = {"username": h.unique_name("left"), "email": first["email"]}
    h.assert_error(post(server, ctoken, body), 409, "conflict")
    h.assert_error(get(server, ctoken, "/v1/users/username/" + body["username"]), 404,
                   "not_found")


@pytest.mark.parametrize("body,field", [
    ({"email": "no-at-sign"}, "email"),
    ({"email": "a@localhost"}, "email"),
    ({"email": "a b@example.test"}, "email"),
    ({"email": "x" * 250 + "@example.test"}, "email"),
    ({"email": 5}, "email"),
    ({"phone_number": "4155550100"}, "phone_number"),
    ({"phone_number": "+1 415 555 0100"}, "phone_number"),
    ({"phone_number": "+0123"}, "phone_number"),
    ({"phone_number": "+1234567890123456"}, "phone_number"),
    ({"name": "Ada"}, "name"),
    ({"name": {"nickname": "Ada"}}, "name"),
    ({"name": {"first_name": 7}}, "name.first_name"),
    ({"name": {"first_name": ""}}, "name.first_name"),
    ({"custom_data": [1, 2]}, "custom_data"),
    ({"custom_data": {"blob": "x" * 5000}}, "custom_data"),
    ({"external_user_id": ""}, "external_user_id"),
    ({"credentials": "secret"}, "credentials"),
    ({"credentials": {"password": 5}}, "credentials.password"),
    ({"credentials": {"password": ""}}, "credentials.password"),
    ({"credentials": {"force_replace": "yes"}}, "credentials.force_replace"),
    ({"password": "a", "credentials": {"password": "b"}}, "password"),
])
def test_malformed_fields_are_400(server, ctoken, body, field):
    r = post(server, ctoken, body)
    h.assert_error(r, 400, "invalid_request")
    assert r.json()["message"].startswith(field + ":"), r.json()
    assert r.json()["ts_error_code"] == "system_invalid_input"


def test_bioauthctl_shows_the_stored_fields(server, ctoken):
    body = full_body()
    user_id = post(server, ctoken, body).json()["result"]["user_id"]
    shown = h.ctl(server, "user", "show", user_id)
    assert (shown["email"], shown["phone_number"], shown["external_user_id"]) == \
        (body["email"], body["phone_number"], body["external_user_id"])
    assert shown["has_password"] is True
