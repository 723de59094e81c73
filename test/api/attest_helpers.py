"""
What the key attestation API tests share: `bioauth-device` as the attesting
phone, its test CA and a bioauthd that trusts it (module fixtures `ca` and
`server`, imported by name into a test module), apps with an attestation
policy, and the checks of a refusal, the audit log, the authenticator list
and a login's amr; the phones: an attested Android key (AttestedPhone) and
an iOS key with App Attest (IPhone).
"""
from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path

import pytest

import helpers as h
from mb_helpers import MBClient, assert_tokens, login

DEVICE = h.BUILD / "bioauth-device"
ENV = {k: v for k, v in os.environ.items() if not k.startswith("BIOAUTH_")}
INVALID = (400, "invalid_attestation")
APPLE_APP_ID = "TEAM123456.com.example.bioauth"


def device(*argv) -> dict:
    """Runs bioauth-device; its JSON output (exit status 0 asserted)."""
    p = subprocess.run([str(DEVICE), *[str(a) for a in argv]], capture_output=True,
                       text=True, timeout=60, env=ENV)
    assert p.returncode == 0, (argv, p.stderr)
    return json.loads(p.stdout)


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    """A test attestation CA of `bioauth-device attest-ca init`."""
    d = tmp_path_factory.mktemp("attest") / "ca"
    device("attest-ca", "init", "--dir", d)
    return d


@pytest.fixture(scope="module")
def server(bioauthd_module, ca):
    """bioauthd trusting the test CA (in place of Google's and Apple's roots)."""
    return bioauthd_module(attestation_trust_anchors=str(ca / "root.pem"))


def app_with(server, *policy) -> MBClient:
    app = h.ctl(server, "app", "create", "--name", h.unique_name("att"),
                "--resource", "https://api.example.test", *policy)
    return MBClient(server, app)


def refused(r, reason):
    """r is the documented refusal: 400 invalid_attestation,
    auth_invalid_attestation, with `reason`."""
    assert (r.status_code, r.json().get("error_code")) == INVALID, r.text
    body = r.json()
    assert body["ts_error_code"] == "auth_invalid_attestation", body
    assert body["reason"] == reason, body
    assert isinstance(body["message"], str) and body["message"], body


def audit(server, user_id):
    out = h.ctl(server, "audit", "--user", user_id)
    return out["events"] if isinstance(out, dict) else out


def listed(mb, person, key_id):
    """The authenticator `key_id` of person as GET .../authenticators shows it."""
    r = mb.authenticators(person.user_id)
    assert r.status_code == 200, r.text
    return next(a for a in r.json()["authenticators"] if a["publicKeyId"] == key_id)


def amr(mb, person, phone):
    """The amr of the tokens of a login with phone's key (same in both)."""
    r = login(mb, person, phone)
    _, at, it = assert_tokens(mb, r, person)
    assert at["amr"] == it["amr"], (at, it)
    return at["amr"]


class Phone:
    """A key made by `bioauth-device keygen --store STORE --challenge C
    KEYGEN_ARGS` with the attestation payload it printed."""

    def __init__(self, store: Path, challenge: str, *keygen_args):
        self.store = store
        k = device("keygen", "--store", store, "--challenge", challenge, *keygen_args)
        assert k["challenge"] == challenge, k
        self.key_id = k["publicKeyId"]
        self.public_key = k["publicKey"]
        self.key_type = k["keyType"]
        self.os = k["os"]
        self.attestation = k["attestation_encoded_result"]
        self.challenge = challenge

    def payload(self) -> dict:
        """The decoded attestation_encoded_result."""
        return json.loads(base64.b64decode(self.attestation))

    def register_body(self, **extra):
        """The /register body; a field given as None is left out."""
        body = {"publicKey": self.public_key, "publicKeyId": self.key_id, "os": self.os,
                "encryptionType": self.key_type, "challenge": self.challenge,
                "attestation_encoded_result": self.attestation}
        body.update(extra)
        return {k: v for k, v in body.items() if v is not None}

    def sign(self, challenge):
        return device("sign", "--store", self.store, "--key-id", self.key_id,
                      "--challenge", challenge)["signature"]


class AttestedPhone(Phone):
    """An Android key attested by the test CA over `challenge`
    (Keystore-style chain)."""

    def __init__(self, store: Path, ca: Path, challenge: str, key_type: str = "ec"):
        super().__init__(store, challenge, "--attest", "android-key", "--attest-ca", ca,
                         "--type", key_type)


class IPhone(Phone):
    """An iOS key with the App Attest payload of app `app_id` over
    `challenge`, under the test CA."""

    def __init__(self, store: Path, ca: Path, challenge: str, app_id: str = APPLE_APP_ID,
                 environment: str | None = None, key_type: str = "ec"):
        env = ("--attest-environment", environment) if environment else ()
        super().__init__(store, challenge, "--attest", "apple-appattest", "--attest-ca", ca,
                         "--attest-app-id", app_id, "--type", key_type, *env)
