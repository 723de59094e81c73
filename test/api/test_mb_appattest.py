"""
Apple App Attest through POST /v1/auth/mobile-biometrics/register.

The iPhone is `bioauth-device`: `attest-ca init` makes a local test CA and
`keygen --attest apple-appattest --attest-ca D --challenge C --attest-app-id
TEAMID.BUNDLE` gives the Secure Enclave key with what the app would send
beside it: a new App Attest key's attestation object (CBOR, fmt
"apple-appattest", its credential certificate issued by the test
intermediate, nonce = SHA-256(authData || SHA-256(C))) and that key's
assertion over the registered key's DER SubjectPublicKeyInfo. The server
trusts the CA through `--attestation-trust-anchors D/root.pem` (which
replaces Apple's root as well as Google's). Each app's policy is set with
`bioauthctl app create --attestation ... --attestation-apple-app-id ...
--attestation-apple-environment ...`.

Evidence no genuine device gives (an attestation counter above 0, a
credential ID other than the key ID) is forged here the way an attacker
holding the CA's intermediate key would: authData changed in the CBOR
object and the credential certificate issued again with the nonce of the
changed authData, so only the check under test can refuse it.

A refusal is 400 invalid_attestation with ts_error_code
auth_invalid_attestation and the catalogue `reason` (docs/openapi.yaml
x-attestation-reasons). A verified App Attest registration shows the
`secure_enclave` verdict of the app's App Attest key, but logins with the
registered key get no `hwk` in amr: App Attest says nothing of where that
key lives (docs/API.md, docs/SECURITY.md). The
`none` policy, the built-in roots and the single-use register challenge
(replayed, or a consumed /start challenge) are checked for both formats in
test_mb_attestation.py.
"""
from __future__ import annotations

import base64
import datetime
import hashlib
import json
import subprocess
from pathlib import Path

import pytest

import helpers as h
import attest_helpers
from attest_helpers import (APPLE_APP_ID as APP_ID, DEVICE, ENV, IPhone, amr, app_with, audit,
                            device, listed, refused)
from mb_helpers import MBClient, Device, Person, b64

# the shared module fixtures: the test CA and a bioauthd trusting it
ca = attest_helpers.ca
server = attest_helpers.server

NONCE_OID = "1.2.840.113635.100.8.2"


def required_app(server, *extra) -> MBClient:
    return app_with(server, "--attestation", "required", "--attestation-apple-app-id", APP_ID,
                    *extra)


VERIFIED = {"status": "verified", "format": "apple-appattest",
            "security_level": "secure_enclave", "user_auth_required": False,
            "biometric": False, "verified_boot": False, "app_id": APP_ID}


# ---- a minimal CBOR codec: what an attestation object holds -------------

def cbor_decode(data: bytes):
    def item(i):
        ib = data[i]
        major, info = ib >> 5, ib & 0x1f
        i += 1
        if info < 24:
            n = info
        else:
            size = {24: 1, 25: 2, 26: 4, 27: 8}[info]
            n = int.from_bytes(data[i:i + size], "big")
            i += size
        if major == 0:
            return n, i
        if major == 1:
            return -1 - n, i
        if major in (2, 3):
            raw = data[i:i + n]
            return (raw if major == 2 else raw.decode()), i + n
        if major == 4:
            out = []
            for _ in range(n):
                v, i = item(i)
                out.append(v)
            return out, i
        if major == 5:
            out = {}
            for _ in range(n):
                k, i = item(i)
                out[k], i = item(i)
            return out, i
        raise ValueError("CBOR major type %d" % major)
    v, end = item(0)
    assert end == len(data)
    return v


def cbor_encode(v) -> bytes:
    def head(major, n):
        if n < 24:
            return bytes([major << 5 | n])
        for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
            if n < 1 << (8 * size):
                return bytes([major << 5 | info]) + n.to_bytes(size, "big")
        raise ValueError(n)
    if isinstance(v, int):
        return head(0, v) if v >= 0 else head(1, -1 - v)
    if isinstance(v, bytes):
        return head(2, len(v)) + v
    if isinstance(v, str):
        return head(3, len(v.encode())) + v.encode()
    if isinstance(v, list):
        return head(4, len(v)) + b"".join(cbor_encode(x) for x in v)
    return head(5, len(v)) + b"".join(cbor_encode(k) + cbor_encode(x) for k, x in v.items())


def test_cbor_codec_reads_what_bioauth_device_writes(ca, tmp_path):
    phone = IPhone(tmp_path / "keys", ca, h.unique_name("reg-chal"))
    att = base64.b64decode(phone.payload()["attestation"])
    assert cbor_encode(cbor_decode(att)) == att


def forge(phone: IPhone, ca: Path, change) -> str:
    """The phone's payload with authData replaced by change(authData) and
    the credential certificate issued again by the test intermediate for
    the same App Attest key, with the nonce of the new authData."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization

    payload = phone.payload()
    obj = cbor_decode(base64.b64decode(payload["attestation"]))
    auth_data = change(obj["authData"])
    nonce = hashlib.sha256(auth_data + hashlib.sha256(phone.challenge.encode()).digest()).digest()
    # SEQUENCE { [1] EXPLICIT OCTET STRING (32) }
    ext = bytes([0x30, 36, 0xa1, 34, 0x04, 32]) + nonce
    old = x509.load_der_x509_certificate(obj["attStmt"]["x5c"][0])
    inter = x509.load_pem_x509_certificate((ca / "intermediate.pem").read_bytes())
    key = serialization.load_pem_private_key((ca / "intermediate.key").read_bytes(), None)
    now = datetime.datetime.now(datetime.timezone.utc)
    leaf = (x509.CertificateBuilder()
            .subject_name(old.subject).issuer_name(inter.subject)
            .public_key(old.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier(NONCE_OID), ext),
                           critical=False)
            .sign(key, hashes.SHA256()))
    obj["attStmt"]["x5c"][0] = leaf.public_bytes(serialization.Encoding.DER)
    obj["authData"] = auth_data
    payload["attestation"] = b64(cbor_encode(obj))
    return b64(json.dumps(payload).encode())


def test_forged_payload_with_unchanged_authdata_is_accepted(server, ca, tmp_path):
    """The forging itself changes nothing a check looks at: the refusals
    below come from the byte each one changes."""
    mb = required_app(server)
    phone = IPhone(tmp_path / "keys", ca, h.unique_name("reg-chal"))
    r = mb.register(Person(mb).utoken, phone.register_body(
        attestation_encoded_result=forge(phone, ca, lambda ad: ad)))
    assert r.status_code == 200 and r.json()["attestation"] == VERIFIED, r.text


@pytest.mark.parametrize("key_type", ["ec", "rsa"])
def test_required_accepts_app_attest_without_hwk(server, ca, tmp_path, key_type):
    """The assertion binds the registered key (its DER SubjectPublicKeyInfo,
    whatever its type) to the attested app instance; that proves the app,
    not that the key is hardware-held (an RSA key cannot be in the Secure
    Enclave), so its logins carry no `hwk`."""
    mb = required_app(server)
    alice = Person(mb)
    phone = IPhone(tmp_path / "keys", ca, h.unique_name("reg-chal"), key_type=key_type)
    assert (phone.os, phone.key_type) == ("ios", key_type)
    obj = cbor_decode(base64.b64decode(phone.payload()["attestation"]))
    assert obj["fmt"] == "apple-appattest" and len(obj["attStmt"]["x5c"]) == 2
    assert obj["authData"][:32] == hashlib.sha256(APP_ID.encode()).digest()
    assert obj["authData"][33:37] == b"\0\0\0\0"                  # counter
    assert obj["authData"][37:53] == b"appattest" + b"\0" * 7    # production aaguid
    r = mb.register(alice.utoken, phone.register_body())
    assert r.status_code == 200, r.text
    assert r.json()["attestation"] == VERIFIED
    assert listed(mb, alice, phone.key_id)["attestation"] == VERIFIED
    assert amr(mb, alice, phone) == ["mobile_biometrics"]
    assert [(e["outcome"], e["reason"]) for e in audit(server, alice.user_id)
            if e["event"] == "register"] == [("success", "attestation_verified")]


def test_development_environment(server, ca, tmp_path):
    phone = IPhone(tmp_path / "keys", ca, h.unique_name("reg-chal"), environment="development")
    obj = cbor_decode(base64.b64decode(phone.payload()["attestation"]))
    assert obj["authData"][37:53] == b"appattestdevelop"
    # the default environment is production: a development key is refused
    prod_app = required_app(server)
    refused(prod_app.register(Person(prod_app).utoken, phone.register_body()),
            "attestation_environment")
    mb = required_app(server, "--attestation-apple-environment", "development")
    r = mb.register(Person(mb).utoken, phone.register_body())
    assert r.status_code == 200 and r.json()["attestation"] == VERIFIED, r.text
    # and a production key is refused where development is required
    prod = IPhone(tmp_path / "keys", ca, h.unique_name("reg-chal"))
    refused(mb.register(Person(mb).utoken, prod.register_body()), "attestation_environment")


def test_required_refusals(server, ca, tmp_path):
    mb = required_app(server)
    alice = Person(mb)
    keys = tmp_path / "keys"
    phone = IPhone(keys, ca, h.unique_name("reg-chal"))
    # the attested app is not the app's (rpIdHash of another app ID)
    other_app = IPhone(keys, ca, phone.challenge, app_id="TEAM123456.com.example.other")
    refused(mb.register(alice.utoken, other_app.register_body()), "attestation_app_id_mismatch")
    # the nonce is over another challenge, or over none
    refused(mb.register(alice.utoken, phone.register_body(challenge="another challenge")),
            "attestation_challenge_mismatch")
    refused(mb.register(alice.utoken, phone.register_body(challenge=None)),
            "attestation_challenge_mismatch")
    # the attestation counter is not 0
    refused(mb.register(alice.utoken, phone.register_body(attestation_encoded_result=forge(
        phone, ca, lambda ad: ad[:33] + b"\0\0\0\1" + ad[37:]))), "attestation_counter_nonzero")
    # the credential ID is not the key ID
    refused(mb.register(alice.utoken, phone.register_body(attestation_encoded_result=forge(
        phone, ca, lambda ad: ad[:55] + hashlib.sha256(b"x").digest() + ad[87:]))),
        "attestation_key_id_mismatch")
    # key_id is not the attested key's
    payload = phone.payload()
    payload["key_id"] = b64(hashlib.sha256(b"x").digest())
    refused(mb.register(alice.utoken, phone.register_body(
        attestation_encoded_result=b64(json.dumps(payload).encode()))),
        "attestation_key_id_mismatch")
    # the assertion is over another registered key
    other_key = IPhone(keys, ca, phone.challenge)
    refused(mb.register(alice.utoken, phone.register_body(publicKey=other_key.public_key)),
            "assertion_signature_invalid")
    # a chain under a root the server does not trust
    ca2 = tmp_path / "ca2"
    device("attest-ca", "init", "--dir", ca2)
    foreign = IPhone(keys, ca2, phone.challenge)
    refused(mb.register(alice.utoken, foreign.register_body()), "attestation_untrusted_root")
    # no payload, or an App Attest payload without its assertion
    refused(mb.register(alice.utoken, phone.register_body(attestation_encoded_result=None)),
            "attestation_missing")
    del payload["assertion"]
    refused(mb.register(alice.utoken, phone.register_body(
        attestation_encoded_result=b64(json.dumps(payload).encode()))), "attestation_malformed")
    # nothing was registered, every refusal is in the audit log
    r = mb.authenticators(alice.user_id)
    assert r.status_code == 200 and r.json()["authenticators"] == [], r.text
    reasons = sorted(e["reason"] for e in audit(server, alice.user_id)
                     if e["event"] == "register" and e["outcome"] == "failure")
    assert reasons == sorted([
        "attestation_app_id_mismatch", "attestation_challenge_mismatch",
        "attestation_challenge_mismatch", "attestation_counter_nonzero",
        "attestation_key_id_mismatch", "attestation_key_id_mismatch",
        "assertion_signature_invalid", "attestation_untrusted_root", "attestation_missing",
        "attestation_malformed"])
    # the same phone's genuine payload still registers
    r = mb.register(alice.utoken, phone.register_body())
    assert r.status_code == 200 and r.json()["attestation"] == VERIFIED, r.text


def test_app_without_apple_app_id_refuses_app_attest(server, ca, tmp_path):
    mb = app_with(server, "--attestation", "required")
    phone = IPhone(tmp_path / "keys", ca, h.unique_name("reg-chal"))
    refused(mb.register(Person(mb).utoken, phone.register_body()), "attestation_app_id_mismatch")


def test_optional_policy(server, ca, tmp_path):
    mb = app_with(server, "--attestation-apple-app-id", APP_ID)    # optional: the default
    alice = Person(mb)
    dev = Device("ios", "ec")
    r = mb.register(alice.utoken, dev.register_body())
    assert r.status_code == 200 and r.json()["attestation"] == {"status": "unattested"}, r.text
    assert amr(mb, alice, dev) == ["mobile_biometrics"]
    # a recognised App Attest payload is verified: refused when it fails...
    phone = IPhone(tmp_path / "keys", ca, h.unique_name("reg-chal"))
    refused(mb.register(alice.utoken, phone.register_body(challenge="not the one")),
            "attestation_challenge_mismatch")
    foreign = IPhone(tmp_path / "keys", ca, phone.challenge, app_id="TEAM123456.com.example.other")
    refused(mb.register(alice.utoken, foreign.register_body()), "attestation_app_id_mismatch")
    # ...accepted with the verdict when it holds (no hwk: see the module doc)
    r = mb.register(alice.utoken, phone.register_body())
    assert r.status_code == 200 and r.json()["attestation"] == VERIFIED, r.text
    assert amr(mb, alice, phone) == ["mobile_biometrics"]


def test_register_payload_carries_app_attest(server, ca, tmp_path):
    """`bioauth-device register-payload --attest-ca D --challenge C
    --attest-app-id A` on an iOS key is a body /register verifies."""
    mb = required_app(server)
    store = tmp_path / "keys"
    k = device("keygen", "--store", store, "--platform", "ios")
    chal = h.unique_name("reg-chal")
    body = device("register-payload", "--store", store, "--key-id", k["publicKeyId"],
                  "--attest-ca", ca, "--challenge", chal, "--attest-app-id", APP_ID)
    assert body["challenge"] == chal and body["os"] == "ios"
    r = mb.register(Person(mb).utoken, body)
    assert r.status_code == 200 and r.json()["attestation"] == VERIFIED, r.text


def test_appattest_usage(ca, tmp_path):
    store = tmp_path / "keys"
    for argv in (["keygen", "--attest", "apple-appattest", "--attest-ca", ca, "--challenge", "c"],
                 ["keygen", "--attest", "apple-appattest", "--attest-ca", ca, "--challenge", "c",
                  "--attest-app-id", APP_ID, "--platform", "android"],
                 ["keygen", "--attest", "apple-appattest", "--attest-ca", ca, "--challenge", "c",
                  "--attest-app-id", APP_ID, "--attest-environment", "staging"],
                 ["keygen", "--attest", "android-key", "--attest-ca", ca, "--challenge", "c",
                  "--attest-app-id", APP_ID],
                 ["keygen", "--attest-app-id", APP_ID]):
        p = subprocess.run([str(DEVICE), *[str(a) for a in argv], "--store", str(store)],
                           capture_output=True, text=True, timeout=60, env=ENV)
        assert p.returncode == 2, (argv, p.stderr)
        assert p.stdout == "" and len(p.stderr.splitlines()) == 1, p.stderr
    assert not store.exists() or list(store.iterdir()) == []
