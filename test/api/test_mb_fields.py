"""
Every field of the mobile-biometrics endpoints malformed in turn (wrong type,
empty, missing, too long): 400 invalid_request with an error_code and a
message naming the field. Each case starts from a valid body (real token,
real user, real key), so only the one malformed field is wrong; the valid
body itself is checked to succeed.
"""
import pytest
import requests

import helpers as h
from mb_helpers import (MB, Device, MBClient, Person, assert_err, assert_tokens,
                        auth_body, client_challenge, enroll)


@pytest.fixture(scope="module")
def env(server):
    mb = MBClient(server, h.create_app(server))
    p = Person(mb)
    dev = Device("ios", "ec")
    enroll(mb, p, dev)
    return mb, p, dev


WRONG_STRING = [("number", 123), ("true", True), ("array", ["x"]), ("object", {"a": "b"}),
                ("float", 1.5)]
WRONG_OBJECT = [("string", "x"), ("number", 1), ("array", [])]

# field -> (required, kind, too-long length or None)
REGISTER = {
    "publicKey": (True, "str", 20000),
    "publicKeyId": (True, "str", 300),
    "os": (True, "str", 300),
    "encryptionType": (False, "str", 300),
    "device_id": (False, "str", 300),
    "displayName": (False, "str", 300),
    "challenge": (False, "str", 20000),
    "attestation_encoded_result": (False, "str", 40000),
}
START = {
    "user_id": (True, "str", 300),
    "device_id": (False, "str", 300),
    "approval_data": (False, "obj", None),
    "timeout": (False, "int", None),
}
AUTHENTICATE = {
    "user_id": (True, "str", 300),
    "key_id": (True, "str", 300),
    "challenge": (True, "str", 1025),
    "signature": (True, "str", 8000),
    "resource": (False, "str", 3000),
    "claims": (False, "obj", None),
    "org_id": (False, "str", 300),
    "client_attributes": (False, "obj", None),
    "session_id": (False, "str", 300),
}
DELETE = {"publicKeyId": (True, "str", 300)}


def cases(fields):
    out = []
    for name, (required, kind, maxlen) in fields.items():
        wrong = WRONG_OBJECT if kind == "obj" else WRONG_STRING
        if kind == "int":
            wrong = [("string", "60"), ("float", 1.5), ("true", True), ("array", [1])]
        for label, value in wrong:
            out.append((name, "type-" + label, value))
        if kind == "str" and required:
            out.append((name, "empty", ""))
        if required:
            out.append((name, "missing", KeyError))
            out.append((name, "null", None))
        if maxlen:
            out.append((name, "too-long", "A" * maxlen))
    return out


def ids(cs):
    return ["%s-%s" % (c[0], c[1]) for c in cs]


def mutate(body, field, value):
    body = dict(body)
    if value is KeyError:
        body.pop(field, None)
    else:
        body[field] = value
    return body


def check_400(r, field):
    body = assert_err(r, 400, "invalid_request")
    assert field in body["message"], "message does not name %s: %r" % (field, body)


def register_base(dev):
    return dev.register_body(device_id=dev.device_id, displayName="phone",
                             challenge="c" * 20, attestation_encoded_result="YXR0")


def test_register_valid_base_body(env):
    mb, p, _ = env
    dev = Device("android", "ec")
    assert mb.register(p.utoken, register_base(dev)).status_code == 200


@pytest.mark.parametrize("field,label,value", cases(REGISTER), ids=ids(cases(REGISTER)))
def test_register_field_malformed(env, field, label, value):
    mb, p, _ = env
    body = mutate(register_base(Device("ios", "ec")), field, value)
    check_400(mb.register(p.utoken, body), field)


def start_base(p, dev):
    return {"user_id": p.user_id, "device_id": dev.device_id,
            "approval_data": {"tx": "1"}, "timeout": 60}


def test_start_valid_base_body(env):
    mb, p, dev = env
    assert mb.start(body=start_base(p, dev)).status_code == 200


@pytest.mark.parametrize("field,label,value", cases(START), ids=ids(cases(START)))
def test_start_field_malformed(env, field, label, value):
    mb, p, dev = env
    check_400(mb.start(body=mutate(start_base(p, dev), field, value)), field)


def auth_base(mb, p, dev):
    ch = client_challenge(40)
    return auth_body(p, dev, ch, resource="https://api.example.test",
                     claims={"id_token": {"username": None}}, org_id="org",
                     client_attributes={"ua": "test"}, session_id=p.session_id)


def test_authenticate_valid_base_body(env):
    mb, p, dev = env
    assert_tokens(mb, mb.authenticate(auth_base(mb, p, dev)), p)


@pytest.mark.parametrize("field,label,value", cases(AUTHENTICATE), ids=ids(cases(AUTHENTICATE)))
def test_authenticate_field_malformed(env, field, label, value):
    mb, p, dev = env
    body = mutate(auth_base(mb, p, dev), field, value)
    check_400(mb.authenticate(body), field)


@pytest.mark.parametrize("value", [{"id_token": "x"}, {"id_token": [1]}])
def test_authenticate_claims_id_token_malformed(env, value):
    mb, p, dev = env
    check_400(mb.authenticate(mutate(auth_base(mb, p, dev), "claims", value)), "claims")


@pytest.mark.parametrize("field,label,value", cases(DELETE), ids=ids(cases(DELETE)))
def test_delete_field_malformed(env, field, label, value):
    mb, p, _ = env
    check_400(mb.delete(p.utoken, body=mutate({"publicKeyId": "k"}, field, value)), field)


def test_unknown_fields_are_ignored(env):
    mb, p, _ = env
    dev = Device("android", "rsa")
    body = dev.register_body(futureField={"x": [1, 2]}, another="y")
    assert mb.register(p.utoken, body).status_code == 200
    ch = mb.challenge(p.user_id)
    r = mb.authenticate(auth_body(p, dev, ch, extra_field=42))
    assert_tokens(mb, r, p)


# --- bodies that are not a JSON object ---------------------------------------

ROUTES = [("POST", MB + "/start", "client"), ("POST", MB + "/register", "user"),
          ("POST", MB + "/authenticate", "client"), ("DELETE", MB + "/delete", "user")]


def _send(mb, p, method, path, who, data, ctype="application/json"):
    token = mb.ctoken if who == "client" else p.utoken
    headers = dict(h.bearer(token))
    if ctype is not None:
        headers["Content-Type"] = ctype
    return requests.request(method, mb.base + path, data=data, headers=headers,
                            timeout=h.HTTP_TIMEOUT)


BAD_BODIES = [
    ("empty", b""),
    ("not-json", b"user_id=1"),
    ("array-root", b"[]"),
    ("string-root", b'"x"'),
    ("truncated", b'{"user_id": "a"'),
    ("duplicate-key", b'{"user_id": "a", "user_id": "b"}'),
    ("invalid-utf8", b'{"user_id": "\xff\xfe"}'),
    ("nul-escape", b'{"user_id": "a\\u0000b"}'),
    ("too-deep", b'{"a": ' + b"[" * 40 + b"]" * 40 + b"}"),
]


@pytest.mark.parametrize("method,path,who", ROUTES, ids=[r[1].rsplit("/", 1)[1] for r in ROUTES])
@pytest.mark.parametrize("label,data", BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
def test_body_not_a_valid_json_object(env, method, path, who, label, data):
    mb, p, _ = env
    assert_err(_send(mb, p, method, path, who, data), 400, "invalid_request")


@pytest.mark.parametrize("method,path,who", ROUTES, ids=[r[1].rsplit("/", 1)[1] for r in ROUTES])
def test_wrong_content_type(env, method, path, who):
    mb, p, _ = env
    assert_err(_send(mb, p, method, path, who, b'{"user_id": "x"}', "text/plain"),
               415, "unsupported_media_type")


@pytest.mark.parametrize("method,path,who", ROUTES, ids=[r[1].rsplit("/", 1)[1] for r in ROUTES])
def test_body_too_large(env, method, path, who):
    mb, p, _ = env
    data = b'{"user_id": "' + b"a" * (70 * 1024) + b'"}'
    assert_err(_send(mb, p, method, path, who, data), 413, "payload_too_large")
