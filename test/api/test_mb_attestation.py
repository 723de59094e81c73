"""
Key attestation through POST /v1/auth/mobile-biometrics/register.

The phone is `bioauth-device`: `attest-ca init` makes a local test CA and
`keygen --attest android-key --attest-ca D --challenge C` gives the key
with the Keystore-style chain a phone would send. The server trusts that
CA through `--attestation-trust-anchors D/root.pem`. Each app's policy is
set with `bioauthctl app create --attestation ...`:

- none: nothing is verified; a payload is kept as `unverified`;
- optional (default): no payload, or one of an unknown format, is accepted
  (`unattested` / `unverified`); a recognised payload must verify;
- required: only a verified payload is accepted.

A refusal is 400 invalid_attestation with ts_error_code
auth_invalid_attestation and the catalogue `reason`, recorded in the audit
log; `hwk` is in the tokens' amr only after a login with a verified key.
App Attest has its own tests in test_mb_appattest.py; the `none` policy,
the built-in roots and the single-use register challenge are checked here
for both formats.
"""
from __future__ import annotations

import base64
import json
import os
import subprocess
from pathlib import Path

import pytest

import helpers as h
import attest_helpers
from attest_helpers import (APPLE_APP_ID, DEVICE, ENV, AttestedPhone, IPhone, amr, app_with,
                            audit, device, listed, refused)
from mb_helpers import MBClient, Device, Person, b64, login

# the shared module fixtures: the test CA and a bioauthd trusting it
ca = attest_helpers.ca
server = attest_helpers.server


VERIFIED = {"status": "verified", "format": "android-key", "security_level": "tee",
            "user_auth_required": True, "biometric": True, "verified_boot": True,
            "app_id": "com.example.bioauth"}


@pytest.mark.parametrize("key_type", ["ec", "rsa"])
def test_required_accepts_a_verified_key_and_tokens_carry_hwk(server, ca, tmp_path, key_type):
    mb = app_with(server, "--attestation", "required", "--attestation-require-biometric",
                  "--attestation-require-user-auth", "--attestation-require-verified-boot")
    alice = Person(mb)
    phone = AttestedPhone(tmp_path / "keys", ca, h.unique_name("reg-chal"), key_type)
    r = mb.register(alice.utoken, phone.register_body())
    assert r.status_code == 200, r.text
    assert r.json()["attestation"] == VERIFIED
    assert listed(mb, alice, phone.key_id)["attestation"] == VERIFIED
    assert amr(mb, alice, phone) == ["mobile_biometrics", "hwk"]
    events = audit(server, alice.user_id)
    reg = [e for e in events if e["event"] == "register"]
    assert [(e["outcome"], e["reason"]) for e in reg] == [("success", "attestation_verified")]


def test_required_refusals(server, ca, tmp_path):
    mb = app_with(server, "--attestation", "required")
    alice = Person(mb)
    phone = AttestedPhone(tmp_path / "keys", ca, h.unique_name("reg-chal"))
    other = AttestedPhone(tmp_path / "keys", ca, phone.challenge)
    refused(mb.register(alice.utoken, phone.register_body(attestation_encoded_result=None)),
            "attestation_missing")
    refused(mb.register(alice.utoken, phone.register_body(attestation_encoded_result=b64(
        b"someone else's attestation"))), "attestation_format_unsupported")
    refused(mb.register(alice.utoken, phone.register_body(challenge="another challenge")),
            "attestation_challenge_mismatch")
    refused(mb.register(alice.utoken, phone.register_body(challenge=None)),
            "attestation_challenge_mismatch")
    refused(mb.register(alice.utoken, phone.register_body(publicKey=other.public_key)),
            "attestation_key_mismatch")
    bad = base64.b64encode(json.dumps({"format": "android-key", "x5c": ["AAAA"]}).encode())
    refused(mb.register(alice.utoken, phone.register_body(
        attestation_encoded_result=bad.decode())), "attestation_malformed")
    # nothing was registered, every refusal is in the audit log
    r = mb.authenticators(alice.user_id)
    assert r.status_code == 200 and r.json()["authenticators"] == [], r.text
    events = audit(server, alice.user_id)
    reasons = sorted(e["reason"] for e in events
                     if e["event"] == "register" and e["outcome"] == "failure")
    assert reasons == sorted(["attestation_missing", "attestation_format_unsupported",
                              "attestation_challenge_mismatch",
                              "attestation_challenge_mismatch", "attestation_key_mismatch",
                              "attestation_malformed"])


def test_policy_settings_refuse_what_the_key_lacks(server, ca, tmp_path):
    phone = AttestedPhone(tmp_path / "keys", ca, h.unique_name("reg-chal"))
    mb = app_with(server, "--attestation", "required",
                  "--attestation-min-security-level", "strongbox")
    refused(mb.register(Person(mb).utoken, phone.register_body()), "attestation_security_level")
    mb = app_with(server, "--attestation", "required",
                  "--attestation-android-app", "com.example.other:" + b64(b"\0" * 32))
    refused(mb.register(Person(mb).utoken, phone.register_body()), "attestation_app_id_mismatch")


PHONES = {"android-key": AttestedPhone, "apple-appattest": IPhone}


@pytest.mark.parametrize("fmt", sorted(PHONES))
def test_register_challenge_is_single_use(server, ca, tmp_path, fmt):
    mb = app_with(server, "--attestation", "required", "--attestation-apple-app-id", APPLE_APP_ID)
    alice = Person(mb)
    chal = h.unique_name("reg-chal")
    first = PHONES[fmt](tmp_path / "keys", ca, chal)
    second = PHONES[fmt](tmp_path / "keys", ca, chal)
    assert mb.register(alice.utoken, first.register_body()).status_code == 200
    r = mb.register(alice.utoken, second.register_body())
    assert (r.status_code, r.json()["error_code"], r.json()["ts_error_code"]) == \
        (400, "challenge_reused", "auth_challenge_reused"), r.text


@pytest.mark.parametrize("fmt", sorted(PHONES))
def test_a_start_challenge_used_to_register_is_consumed(server, ca, tmp_path, fmt):
    mb = app_with(server, "--attestation", "required", "--attestation-apple-app-id", APPLE_APP_ID)
    alice = Person(mb)
    chal = mb.challenge(alice.user_id)
    phone = PHONES[fmt](tmp_path / "keys", ca, chal)
    assert mb.register(alice.utoken, phone.register_body()).status_code == 200
    r = login(mb, alice, phone, challenge=chal)
    assert (r.status_code, r.json()["error_code"]) == (400, "challenge_reused"), r.text


def test_optional_policy(server, ca, tmp_path):
    mb = app_with(server)     # the default
    alice = Person(mb)
    # no payload: unattested, no hwk
    dev = Device("android", "ec")
    r = mb.register(alice.utoken, dev.register_body())
    assert r.status_code == 200 and r.json()["attestation"] == {"status": "unattested"}, r.text
    assert amr(mb, alice, dev) == ["mobile_biometrics"]
    # a payload of a format bioauth does not know: unverified
    dev2 = Device("ios", "ec")
    r = mb.register(alice.utoken, dev2.register_body(
        attestation_encoded_result=b64(b"undocumented-sdk-string")))
    assert r.status_code == 200 and r.json()["attestation"] == {"status": "unverified"}, r.text
    # a recognised payload is verified: accepted when it holds, refused otherwise
    phone = AttestedPhone(tmp_path / "keys", ca, h.unique_name("reg-chal"))
    refused(mb.register(alice.utoken, phone.register_body(challenge="not the one")),
            "attestation_challenge_mismatch")
    r = mb.register(alice.utoken, phone.register_body())
    assert r.status_code == 200 and r.json()["attestation"] == VERIFIED, r.text


@pytest.mark.parametrize("fmt", sorted(PHONES))
def test_none_policy_verifies_nothing(server, ca, tmp_path, fmt):
    mb = app_with(server, "--attestation", "none", "--attestation-apple-app-id", APPLE_APP_ID)
    alice = Person(mb)
    phone = PHONES[fmt](tmp_path / "keys", ca, h.unique_name("reg-chal"))
    r = mb.register(alice.utoken, phone.register_body(challenge="not the one"))
    assert r.status_code == 200 and r.json()["attestation"] == {"status": "unverified"}, r.text
    assert amr(mb, alice, phone) == ["mobile_biometrics"]


@pytest.mark.parametrize("fmt", sorted(PHONES))
def test_untrusted_root_without_the_test_anchors(bioauthd, ca, tmp_path, fmt):
    srv = bioauthd()     # built-in (Google, Apple) anchors only
    mb = app_with(srv, "--attestation", "required", "--attestation-apple-app-id", APPLE_APP_ID)
    phone = PHONES[fmt](tmp_path / "keys", ca, h.unique_name("reg-chal"))
    refused(mb.register(Person(mb).utoken, phone.register_body()), "attestation_untrusted_root")


def test_app_update_sets_the_policy(server):
    app = h.ctl(server, "app", "create", "--name", h.unique_name("att"),
                "--resource", "https://api.example.test")
    assert app["attestation"]["mode"] == "optional"
    out = h.ctl(server, "app", "update", app["app_id"], "--attestation", "required",
                "--attestation-apple-app-id", "TEAM123456.com.example.app",
                "--attestation-apple-environment", "development")
    assert (out["attestation"]["mode"], out["attestation"]["apple_app_ids"],
            out["attestation"]["apple_environment"]) == \
        ("required", ["TEAM123456.com.example.app"], "development")
    # the running server applies it at the next registration
    mb = MBClient(server, app)
    refused(mb.register(Person(mb).utoken, Device("android", "ec").register_body()),
            "attestation_missing")
    h.ctl(server, "app", "update", app["app_id"], "--attestation", "none")
    r = mb.register(Person(mb).utoken, Device("android", "ec").register_body())
    assert r.status_code == 200 and r.json()["attestation"] == {"status": "unattested"}, r.text
    p = h.ctl(server, "app", "update", app["app_id"], "--attestation", "sometimes", check=False)
    assert p.returncode == 2 and len(p.stderr.splitlines()) == 1, p.stderr
    p = h.ctl(server, "app", "update", "app_nope", "--attestation", "none", check=False)
    assert p.returncode == 1 and "not_found" in p.stderr, p.stderr
    p = h.ctl(server, "app", "update", app["app_id"], check=False)
    assert p.returncode == 2 and "nothing to change" in p.stderr, p.stderr


def test_reason_catalogue_is_documented():
    """docs/openapi.yaml's x-attestation-reasons is the catalogue of
    src/attest/reason.c, neither more nor less."""
    import re
    import yaml
    root = Path(__file__).resolve().parents[2]
    code = set(re.findall(r'\] = "([a-z_]+)"', (root / "src/attest/reason.c").read_text()))
    code -= {"ok", "internal_error"}   # not refusals of the evidence
    doc = yaml.safe_load((root / "docs/openapi.yaml").read_text())["x-attestation-reasons"]
    assert {d["reason"] for d in doc} == code


def test_register_payload_carries_the_attestation(server, ca, tmp_path):
    """`bioauth-device register-payload --attest-ca D --challenge C` is a
    body /register verifies."""
    mb = app_with(server, "--attestation", "required")
    alice = Person(mb)
    store = tmp_path / "keys"
    k = device("keygen", "--store", store, "--platform", "android")
    chal = h.unique_name("reg-chal")
    body = device("register-payload", "--store", store, "--key-id", k["publicKeyId"],
                  "--attest-ca", ca, "--challenge", chal)
    assert body["challenge"] == chal
    r = mb.register(alice.utoken, body)
    assert r.status_code == 200 and r.json()["attestation"] == VERIFIED, r.text
    # without the attestation options, the body has none (refused here)
    body = device("register-payload", "--store", store, "--key-id", k["publicKeyId"])
    assert "attestation_encoded_result" not in body and "challenge" not in body
    refused(mb.register(alice.utoken, body), "attestation_missing")


def test_demo_shows_an_attested_registration(server, ca, tmp_path):
    app = h.ctl(server, "app", "create", "--name", h.unique_name("demo"),
                "--attestation", "required")
    env = dict(ENV, BIOAUTH_CLIENT_SECRET=app["client_secret"])
    p = subprocess.run([str(DEVICE), "demo", "--server", h.base_url(server), "--client-id",
                        app["client_id"], "--store", str(tmp_path / "s"), "--attest-ca",
                        str(ca)], capture_output=True, text=True, timeout=120, env=env)
    assert p.returncode == 0, p.stdout + p.stderr
    assert '"status":"verified"' in p.stdout and '"security_level":"tee"' in p.stdout, p.stdout
    assert '"hwk"' in p.stdout and "demo completed" in p.stdout


def serials(phone):
    """Lowercase hex serials of the chain's certificates, leaf first."""
    from cryptography import x509
    payload = json.loads(base64.b64decode(phone.attestation))
    return ["%x" % x509.load_der_x509_certificate(base64.b64decode(c)).serial_number
            for c in payload["x5c"]]


def status_list(path, revoked=()):
    entries = {s: {"status": "REVOKED", "reason": "KEY_COMPROMISE"} for s in revoked}
    entries.setdefault("1234abcd", {"status": "SUSPENDED"})
    path.write_text(json.dumps({"entries": entries}))


def test_revocation_list_is_reread_when_it_changes(bioauthd, ca, tmp_path):
    rl = tmp_path / "status.json"
    status_list(rl)
    srv = bioauthd(attestation_trust_anchors=str(ca / "root.pem"),
                   attestation_revocation_list=str(rl))
    mb = app_with(srv, "--attestation", "required")
    alice = Person(mb)
    phone = AttestedPhone(tmp_path / "keys", ca, h.unique_name("reg-chal"))
    assert mb.register(alice.utoken, phone.register_body()).status_code == 200
    # the test CA's intermediate is revoked: its next chain is refused
    phone2 = AttestedPhone(tmp_path / "keys", ca, h.unique_name("reg-chal"))
    status_list(rl, revoked=[serials(phone2)[1]])
    refused(mb.register(alice.utoken, phone2.register_body()), "attestation_revoked")
    # a file that stops parsing keeps the last good list
    rl.write_text("not json")
    refused(mb.register(alice.utoken, phone2.register_body()), "attestation_revoked")


def test_stale_revocation_list_fails_required_apps_closed(bioauthd, ca, tmp_path):
    rl = tmp_path / "status.json"
    status_list(rl)
    day_ago = os.stat(rl).st_mtime - 86400
    os.utime(rl, (day_ago, day_ago))
    srv = bioauthd(attestation_trust_anchors=str(ca / "root.pem"),
                   attestation_revocation_list=str(rl), attestation_revocation_max_age=3600)
    required = app_with(srv, "--attestation", "required")
    optional = app_with(srv)
    phone = AttestedPhone(tmp_path / "keys", ca, h.unique_name("reg-chal"))
    refused(required.register(Person(required).utoken, phone.register_body()),
            "attestation_revoked")
    r = optional.register(Person(optional).utoken, phone.register_body())
    assert r.status_code == 200 and r.json()["attestation"] == VERIFIED, r.text
    # refreshed: accepted again
    status_list(rl, revoked=["ffff"])
    phone2 = AttestedPhone(tmp_path / "keys", ca, h.unique_name("reg-chal"))
    r = required.register(Person(required).utoken, phone2.register_body())
    assert r.status_code == 200 and r.json()["attestation"] == VERIFIED, r.text


def test_bad_attestation_settings_stop_the_server(bioauthd, tmp_path):
    bad = tmp_path / "bad.pem"
    bad.write_text("no certificate here\n")
    for opts, msg in (({"attestation_trust_anchors": str(bad)}, "trust anchors"),
                      ({"attestation_trust_anchors": str(tmp_path / "nope.pem")},
                       "trust anchors"),
                      ({"attestation_revocation_list": str(bad)}, "revocation list")):
        srv = bioauthd(wait=False, **opts)
        code = srv.wait(30)
        srv.expect_exit = code
        assert code != 0, srv.log_text()
        assert msg in srv.log_text(), srv.log_text()
