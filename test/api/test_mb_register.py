"""
Black-box tests of POST /v1/auth/mobile-biometrics/register, DELETE
/v1/auth/mobile-biometrics/delete and GET /v1/users/{user_id}/authenticators:
every key format the phones produce, the stored authenticator, duplicate ids,
the per-user maximum, and the precise key errors (invalid_key_encoding versus
invalid_key_type).
"""
import base64
import secrets

import pytest
import requests
from cryptography.hazmat.primitives import serialization as h_ser
from cryptography.hazmat.primitives.asymmetric import rsa

import helpers as h
from mb_helpers import (Device, MBClient, Person, assert_err, assert_tokens, b64,
                        b64_variants, ed25519_spki, enroll, error_view, login,
                        p384_spki, point_not_on_curve, rsa_pkcs1_raw, rsa_spki,
                        spki_with_point)


@pytest.fixture(scope="module")
def mb(server):
    return MBClient(server, h.create_app(server))


@pytest.fixture(scope="module")
def mb2(server):
    """A second app of the same deployment."""
    return MBClient(server, h.create_app(server))


@pytest.fixture
def alice(mb):
    return Person(mb)


# Fields an authenticator may show; anything else (private parts, the
# attestation blob, failure counters...) must not be in the reply.
AUTHENTICATOR_FIELDS = {"publicKeyId", "user_id", "app_id", "keyType", "key_type",
                        "encryptionType", "publicKey", "os", "device_id", "displayName",
                        "created_at", "last_used_at", "locked", "locked_until",
                        "attestation"}


def check_authenticator(a, person, dev, **extra):
    assert a["publicKeyId"] == dev.key_id, a
    assert a["user_id"] == person.user_id, a
    assert a["os"] == dev.os, a
    extra_keys = set(a) - AUTHENTICATOR_FIELDS
    assert not extra_keys, "unexpected fields in the authenticator: %s" % extra_keys
    for k in a:
        assert "private" not in k.lower() and "secret" not in k.lower(), a
    # the only key material is the public key, normalised to DER SPKI
    pk = a["publicKey"].replace("-", "+").replace("_", "/")
    assert base64.b64decode(pk + "=" * (-len(pk) % 4)) == dev.spki_der(), \
        "publicKey is not the DER SPKI of the registered key: %r" % a
    for k, v in extra.items():
        assert a.get(k) == v, "%s: want %r in %r" % (k, v, a)


# --- formats -----------------------------------------------------------------

def _key_text(dev, form):
    """publicKey text of `dev` in encoding `form`."""
    native = dev.native_public_bytes()
    if form == "pem-spki":
        return dev.public_key_pem()
    if form == "pem-pkcs1":
        return dev.public_key_pem(pkcs1=True)
    if form == "spki":
        return b64(dev.spki_der())
    return dict(b64_variants(native))[form]


FORMATS = [
    # (platform, alg, form)
    ("ios", "ec", "std-pad"), ("ios", "ec", "std-nopad"),
    ("ios", "ec", "url-pad"), ("ios", "ec", "url-nopad"),
    ("ios", "rsa", "std-pad"), ("ios", "rsa", "url-nopad"),
    ("android", "ec", "std-pad"), ("android", "ec", "url-nopad"),
    ("android", "rsa", "std-pad"), ("android", "rsa", "url-pad"),
    ("android", "ec", "pem-spki"), ("android", "rsa", "pem-spki"),
    ("ios", "rsa", "pem-pkcs1"), ("ios", "ec", "spki"),
]


@pytest.mark.parametrize("platform,alg,form", FORMATS,
                         ids=["-".join(f) for f in FORMATS])
def test_register_each_format_then_login(mb, alice, platform, alg, form):
    """Each format registers (200, the stored authenticator comes back), and
    the stored key verifies the device's signature afterwards."""
    dev = Device(platform, alg)
    body = dev.register_body(publicKey=_key_text(dev, form), device_id=dev.device_id,
                             displayName="%s phone" % platform)
    r = mb.register(alice.utoken, body)
    assert r.status_code == 200, r.text
    check_authenticator(r.json(), alice, dev, device_id=dev.device_id,
                        displayName="%s phone" % platform)
    _, at, _ = assert_tokens(mb, login(mb, alice, dev), alice)
    assert at["amr"] == ["mobile_biometrics"], at


@pytest.mark.parametrize("platform,bits", [("ios", 3072), ("android", 4096)])
def test_register_large_rsa_keys(mb, alice, platform, bits):
    """RSA up to 4096 bits is accepted and verifies."""
    dev = Device(platform, "rsa", rsa_bits=bits)
    r = mb.register(alice.utoken, dev.register_body())
    assert r.status_code == 200, r.text
    check_authenticator(r.json(), alice, dev)
    assert_tokens(mb, login(mb, alice, dev), alice)


@pytest.mark.parametrize("platform,alg", [("ios", "ec"), ("android", "rsa")])
def test_register_without_encryption_type(mb, alice, platform, alg):
    dev = Device(platform, alg)
    body = dev.register_body()
    del body["encryptionType"]
    r = mb.register(alice.utoken, body)
    assert r.status_code == 200, r.text
    check_authenticator(r.json(), alice, dev)


def test_register_all_optional_fields(mb, alice):
    """os, encryptionType, device_id, displayName, challenge and
    attestation_encoded_result are accepted; the listing shows what was
    stored."""
    dev = Device("android", "ec")
    body = dev.register_body(device_id=dev.device_id, displayName="Pixel 8",
                             challenge="registration-challenge-1234567890",
                             attestation_encoded_result=b64(b"attestation-blob" * 8))
    r = mb.register(alice.utoken, body)
    assert r.status_code == 200, r.text
    a = r.json()
    check_authenticator(a, alice, dev, device_id=dev.device_id, displayName="Pixel 8")
    assert "attestation_encoded_result" not in a
    r = mb.authenticators(alice.user_id)
    assert r.status_code == 200, r.text
    listed = [x for x in r.json()["authenticators"] if x["publicKeyId"] == dev.key_id]
    assert len(listed) == 1, r.json()
    check_authenticator(listed[0], alice, dev, device_id=dev.device_id, displayName="Pixel 8",
                        encryptionType="ec")


def test_original_register_sample_body(mb, alice):
    """The request sample of the original description, real values
    substituted, nothing added."""
    dev = Device("ios", "ec")
    sample = {
        "publicKey": dev.public_key(),
        "publicKeyId": dev.key_id,
        "challenge": "string-challenge-from-sdk",
        "attestation_encoded_result": "string",
        "os": "ios",
    }
    r = mb.register(alice.utoken, sample)
    assert r.status_code == 200, r.text
    assert_tokens(mb, login(mb, alice, dev), alice)


# --- binding to the token's user and app -------------------------------------

def test_key_bound_to_token_user_and_app(mb, mb2, alice):
    dev = Device("ios", "ec")
    enroll(mb, alice, dev)
    r = mb.authenticators(alice.user_id)
    assert r.status_code == 200, r.text
    assert r.json()["user_id"] == alice.user_id
    assert [a["publicKeyId"] for a in r.json()["authenticators"]] == [dev.key_id]
    assert r.json()["authenticators"][0].get("last_used_at") is None, r.json()
    # a login sets last_used_at
    assert_tokens(mb, login(mb, alice, dev), alice)
    a = mb.authenticators(alice.user_id).json()["authenticators"][0]
    assert isinstance(a.get("last_used_at"), str) and a["last_used_at"], a
    # the other app does not see it
    r = mb2.authenticators(alice.user_id)
    assert r.status_code == 200, r.text
    assert r.json()["authenticators"] == [], r.json()


def test_list_authenticators_needs_client_token(mb, alice):
    r = mb.authenticators(alice.user_id, token=alice.utoken)
    assert_err(r, 403, "wrong_token_kind")
    r = mb.authenticators(alice.user_id, token="not-a-jwt")
    assert_err(r, 401, "invalid_token")


def test_list_authenticators_of_user_without_keys(mb, alice):
    r = mb.authenticators(alice.user_id)
    assert r.status_code == 200, r.text
    assert r.json()["authenticators"] == []


def test_register_requires_user_token(mb, alice):
    dev = Device("ios", "ec")
    assert_err(mb.register(mb.ctoken, dev.register_body()), 403, "wrong_token_kind")
    assert_err(mb.register("garbage.token.here", dev.register_body()), 401, "invalid_token")
    r = requests.post(mb.base + "/v1/auth/mobile-biometrics/register",
                        json=dev.register_body(), timeout=h.HTTP_TIMEOUT)
    assert_err(r, 401, "invalid_token")
    # none of these registered anything
    enroll(mb, alice, dev)


# --- duplicates and the maximum ----------------------------------------------

def test_duplicate_public_key_id_same_app_conflict(mb, mb2, alice):
    dev = Device("android", "ec")
    enroll(mb, alice, dev)
    # same id again, same user, even with another key
    other = Device("ios", "ec")
    other.key_id = dev.key_id
    assert_err(mb.register(alice.utoken, other.register_body()), 409, "conflict")
    # same id, another user of the same app
    bob = Person(mb)
    assert_err(mb.register(bob.utoken, other.register_body()), 409, "conflict")
    # the same id in another app is fine
    r = mb2.register(alice.token_for(mb2), other.register_body())
    assert r.status_code == 200, r.text
    # the first registration is intact
    assert_tokens(mb, login(mb, alice, dev), alice)


@pytest.fixture(scope="module")
def mb_max2(server):
    """An app created with at most 2 authenticators per user (the app's limit
    is taken from bioauthctl's --max-authenticators when it is created)."""
    app = h.ctl(server, "app", "create", "--name", h.unique_name("max2"),
                "--resource", "https://api.example.test",
                extra_opts=["--max-authenticators", "2"])
    assert app.get("max_authenticators") == 2, app
    return MBClient(server, app)


def test_max_authenticators_exceeded(mb_max2):
    mb = mb_max2
    p = Person(mb)
    d1, d2, d3 = Device("ios", "ec"), Device("android", "ec"), Device("android", "rsa")
    enroll(mb, p, d1)
    enroll(mb, p, d2)
    assert_err(mb.register(p.utoken, d3.register_body()), 409, "max_authenticators_exceeded")
    # the limit is per user: another user still registers
    q = Person(mb)
    enroll(mb, q, d3)
    # deleting one frees a slot
    r = mb.delete(p.utoken, d1.key_id)
    assert r.status_code == 204, r.text
    d4 = Device("ios", "rsa")
    enroll(mb, p, d4)


# --- key errors --------------------------------------------------------------

def _enc_cases():
    ios = Device("ios", "ec")
    andr = Device("android", "ec")
    rsa_dev = Device("android", "rsa")
    spki = andr.spki_der()
    raw = ios.raw_point()
    compressed = ios.pub.public_bytes(h_ser.Encoding.X962, h_ser.PublicFormat.CompressedPoint)
    return [
        ("not-base64", "this is not base64 !!!", "ec"),
        ("random-bytes", b64(b"\x01\x02\x03 not a key at all" * 3), "ec"),
        ("truncated-spki", b64(spki[:-7]), "ec"),
        ("truncated-raw-point", b64(raw[:64]), "ec"),
        ("spki-trailing-byte", b64(spki + b"\x00"), "ec"),
        ("raw-point-trailing-byte", b64(raw + b"\x00"), "ec"),
        ("rsa-spki-trailing-bytes", b64(rsa_dev.spki_der() + b"\x00\x00"), "rsa"),
        ("pkcs1-truncated", b64(rsa_dev.pkcs1_der()[:100]), "rsa"),
        ("raw-point-not-on-curve", b64(point_not_on_curve()), "ec"),
        ("spki-point-not-on-curve", b64(spki_with_point(point_not_on_curve())), "ec"),
        ("compressed-point", b64(compressed), "ec"),
        ("pem-garbage", "-----BEGIN PUBLIC KEY-----\nAAAAgarbage==\n-----END PUBLIC KEY-----\n", "ec"),
        ("pem-unterminated", andr.public_key_pem().split("-----END")[0], "ec"),
        ("base64-with-junk-inside", b64(spki)[:40] + "*" + b64(spki)[40:], "ec"),
    ]

ENC_CASES = _enc_cases()


@pytest.mark.parametrize("label,key,etype", ENC_CASES, ids=[c[0] for c in ENC_CASES])
def test_invalid_key_encoding(mb, alice, label, key, etype):
    dev = Device("ios", "ec")
    body = dev.register_body(publicKey=key, encryptionType=etype)
    assert_err(mb.register(alice.utoken, body), 400, "invalid_key_encoding")


def _type_cases():
    ec_dev = Device("android", "ec")
    rsa_dev = Device("android", "rsa")
    ios_rsa = Device("ios", "rsa")
    n2048 = ios_rsa.pub.public_numbers().n
    return [
        ("p384-spki", b64(p384_spki()), None),
        ("rsa-1024-spki", b64(rsa_spki(1024)), "rsa"),
        ("rsa-1024-spki-no-type", b64(rsa_spki(1024)), None),
        ("rsa-1024-pkcs1", b64(rsa_pkcs1_raw(rsa_spki_n(1024), 65537)), "rsa"),
        ("rsa-4104-pkcs1", b64(rsa_pkcs1_raw(secrets.randbits(4104) | (1 << 4103) | 1, 65537)),
         "rsa"),
        ("rsa-even-exponent", b64(rsa_pkcs1_raw(n2048, 65536)), "rsa"),
        ("rsa-exponent-1", b64(rsa_pkcs1_raw(n2048, 1)), "rsa"),
        ("ed25519", b64(ed25519_spki()), None),
        ("ec-key-says-rsa", b64(ec_dev.spki_der()), "rsa"),
        ("ios-ec-raw-says-rsa", Device("ios", "ec").public_key(), "rsa"),
        ("rsa-key-says-ec", b64(rsa_dev.spki_der()), "ec"),
        ("ios-rsa-pkcs1-says-ec", ios_rsa.public_key(), "ec"),
    ]


def rsa_spki_n(bits):
    return rsa.generate_private_key(public_exponent=65537, key_size=bits) \
        .public_key().public_numbers().n


TYPE_CASES = _type_cases()


@pytest.mark.parametrize("label,key,etype", TYPE_CASES, ids=[c[0] for c in TYPE_CASES])
def test_invalid_key_type(mb, alice, label, key, etype):
    dev = Device("ios", "ec")
    body = dev.register_body(publicKey=key)
    if etype is None:
        del body["encryptionType"]
    else:
        body["encryptionType"] = etype
    assert_err(mb.register(alice.utoken, body), 400, "invalid_key_type")


def test_pem_pkcs1_ec_private_key_is_not_a_public_key(mb, alice):
    """A private key pasted where the public key goes is refused (whatever
    the code, nothing private is stored)."""
    dev = Device("android", "ec")
    priv = dev.key.private_bytes(h_ser.Encoding.PEM, h_ser.PrivateFormat.PKCS8,
                                 h_ser.NoEncryption()).decode()
    r = mb.register(alice.utoken, dev.register_body(publicKey=priv))
    assert r.status_code == 400, r.text
    assert r.json()["error_code"] in ("invalid_key_encoding", "invalid_key_type"), r.text


def test_unknown_encryption_type(mb, alice):
    dev = Device("ios", "ec")
    assert_err(mb.register(alice.utoken, dev.register_body(encryptionType="dsa")),
               400, "invalid_request")


def test_failed_registration_stores_nothing(mb, alice):
    dev = Device("ios", "ec")
    bad = dev.register_body(publicKey=b64(point_not_on_curve()))
    assert_err(mb.register(alice.utoken, bad), 400, "invalid_key_encoding")
    # the id is still free
    enroll(mb, alice, dev)


# --- delete ------------------------------------------------------------------

def test_delete_then_404_then_register_again(mb, alice):
    dev = Device("android", "rsa")
    enroll(mb, alice, dev)
    r = mb.delete(alice.utoken, dev.key_id)
    assert r.status_code == 204, r.text
    assert r.content == b""
    assert_err(mb.delete(alice.utoken, dev.key_id), 404, "not_found")
    r = mb.authenticators(alice.user_id)
    assert dev.key_id not in [a["publicKeyId"] for a in r.json()["authenticators"]]
    # a deleted key never authenticates again: it is an unknown key now
    unknown = login(mb, alice, Device("ios", "ec"))
    assert unknown.status_code != 200, unknown.text
    assert error_view(login(mb, alice, dev)) == error_view(unknown)
    # the id can be registered again (with a new key)
    new = Device("ios", "ec")
    new.key_id = dev.key_id
    enroll(mb, alice, new)
    assert_tokens(mb, login(mb, alice, new), alice)
    # the old key still does not work under the re-used id
    r = login(mb, alice, dev)
    assert_err(r, 401, "invalid_signature")


def test_delete_key_of_another_user_is_404(mb, alice):
    dev = Device("ios", "ec")
    enroll(mb, alice, dev)
    bob = Person(mb)
    assert_err(mb.delete(bob.utoken, dev.key_id), 404, "not_found")
    assert_tokens(mb, login(mb, alice, dev), alice)


def test_delete_key_of_another_app_is_404(mb, mb2, alice):
    dev = Device("ios", "ec")
    enroll(mb, alice, dev)
    assert_err(mb2.delete(alice.token_for(mb2), dev.key_id), 404, "not_found")
    assert_tokens(mb, login(mb, alice, dev), alice)


def test_delete_requires_user_token(mb, alice):
    dev = Device("ios", "ec")
    enroll(mb, alice, dev)
    assert_err(mb.delete(mb.ctoken, dev.key_id), 403, "wrong_token_kind")
    assert_err(mb.delete("x.y.z", dev.key_id), 401, "invalid_token")


def test_original_delete_sample_body(mb, alice):
    dev = Device("android", "ec")
    enroll(mb, alice, dev)
    r = mb.delete(alice.utoken, body={"publicKeyId": dev.key_id})
    assert r.status_code == 204, r.text
