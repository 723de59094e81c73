"""The attesting phone of bioauth-device against the attestation verifier.

`bioauth-device attest-ca init --dir D` makes a local test attestation CA;
`keygen --attest android-key --attest-ca D --challenge C` prints, beside the
key, the attestation_encoded_result a Keystore would give for it
(`--attest apple-appattest ... --attest-app-id A`: what an App Attest app
would send). Verified
here with `bioauthctl attestation verify` (src/attest/) under
`--trust-anchors D/root.pem`: accepted with the facts the KeyDescription
states, refused under the built-in anchors, for another challenge or
another key.
"""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

import helpers as h

CLI = h.BUILD / "bioauth-device"
ENV = {k: v for k, v in os.environ.items() if not k.startswith("BIOAUTH_")}


def run(*argv: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True,
                          timeout=60, env=ENV, cwd=cwd)


def verify(tmp: Path, payload: str, *args: str) -> tuple[int, dict]:
    f = tmp / "payload.txt"
    f.write_text(payload)
    p = run(h.BIOAUTHCTL, "attestation", "verify", "--input", f, *args, cwd=tmp)
    return p.returncode, json.loads(p.stdout)


@pytest.fixture
def ca(tmp_path):
    d = tmp_path / "ca"
    p = run(CLI, "attest-ca", "init", "--dir", d, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == {"dir": str(d), "root": "root.pem",
                                    "intermediate": "intermediate.pem"}
    for key in ("root.key", "intermediate.key"):
        assert stat.S_IMODE((d / key).stat().st_mode) == 0o600
    return d


def keygen(tmp: Path, ca: Path, challenge: str, *extra: str) -> dict:
    p = run(CLI, "keygen", "--store", tmp / "keys", "--attest", "android-key",
            "--attest-ca", ca, "--challenge", challenge, *extra, cwd=tmp)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


@pytest.mark.parametrize("key_type", ["ec", "rsa"])
def test_attested_key_verifies_under_the_test_ca(tmp_path, ca, key_type):
    k = keygen(tmp_path, ca, "register-challenge-1", "--type", key_type)
    assert k["os"] == "android" and k["challenge"] == "register-challenge-1"
    payload = json.loads(base64.b64decode(k["attestation_encoded_result"]))
    assert payload["format"] == "android-key" and len(payload["x5c"]) == 3
    code, out = verify(tmp_path, k["attestation_encoded_result"],
                       "--trust-anchors", str(ca / "root.pem"),
                       "--challenge", "register-challenge-1", "--public-key", k["publicKey"])
    assert (code, out["verdict"], out["reason"]) == (0, "accept", None), out
    d = out["details"]
    assert (d["security_level"], d["user_auth_required"], d["biometric"], d["verified_boot"],
            d["app_id"], d["unchecked"]) == ("tee", True, True, True, "com.example.bioauth", [])


def test_attested_key_refusals(tmp_path, ca):
    k = keygen(tmp_path, ca, "register-challenge-2")
    other = keygen(tmp_path, ca, "register-challenge-2")
    anchors = ("--trust-anchors", str(ca / "root.pem"))
    # The test CA is not one of the built-in (Google) anchors.
    code, out = verify(tmp_path, k["attestation_encoded_result"],
                       "--challenge", "register-challenge-2")
    assert (code, out["reason"]) == (1, "attestation_untrusted_root")
    code, out = verify(tmp_path, k["attestation_encoded_result"], *anchors,
                       "--challenge", "another-challenge")
    assert (code, out["reason"]) == (1, "attestation_challenge_mismatch")
    code, out = verify(tmp_path, k["attestation_encoded_result"], *anchors,
                       "--challenge", "register-challenge-2", "--public-key", other["publicKey"])
    assert (code, out["reason"]) == (1, "attestation_key_mismatch")
    # Another CA's root does not vouch for this chain.
    p = run(CLI, "attest-ca", "init", "--dir", tmp_path / "ca2", cwd=tmp_path)
    assert p.returncode == 0
    code, out = verify(tmp_path, k["attestation_encoded_result"],
                       "--trust-anchors", str(tmp_path / "ca2" / "root.pem"),
                       "--challenge", "register-challenge-2")
    assert (code, out["reason"]) == (1, "attestation_untrusted_root")


def test_attest_usage(tmp_path, ca):
    # A CA is never overwritten.
    p = run(CLI, "attest-ca", "init", "--dir", ca, cwd=tmp_path)
    assert p.returncode == 1 and len(p.stderr.splitlines()) == 1
    for argv in (["keygen", "--attest", "tpm", "--attest-ca", ca, "--challenge", "c"],
                 ["keygen", "--attest", "android-key", "--challenge", "c"],
                 ["keygen", "--attest", "android-key", "--attest-ca", ca],
                 ["keygen", "--attest", "android-key", "--attest-ca", ca, "--challenge", "c",
                  "--platform", "ios"],
                 ["attest-ca", "init"],
                 ["attest-ca", "make", "--dir", tmp_path / "x"]):
        p = run(CLI, *argv, "--store", tmp_path / "keys", cwd=tmp_path) if argv[0] == "keygen" \
            else run(CLI, *argv, cwd=tmp_path)
        assert p.returncode == 2, (argv, p.stderr)
        assert p.stdout == "" and len(p.stderr.splitlines()) == 1
    # A missing CA directory fails at run time, storing no key.
    p = run(CLI, "keygen", "--store", tmp_path / "keys", "--attest", "android-key",
            "--attest-ca", tmp_path / "nowhere", "--challenge", "c", cwd=tmp_path)
    assert p.returncode == 1 and len(p.stderr.splitlines()) == 1
    assert not (tmp_path / "keys").exists() or list((tmp_path / "keys").iterdir()) == []


def test_app_attest_payload_verifies_under_the_test_ca(tmp_path, ca):
    """`keygen --attest apple-appattest` gives an App Attest payload the
    offline verifier accepts under the test CA, for the app and environment
    it names, with its assertion over the key."""
    app = "TEAM123456.com.example.app"
    p = run(CLI, "keygen", "--store", tmp_path / "keys", "--attest", "apple-appattest",
            "--attest-ca", ca, "--challenge", "register-challenge-3", "--attest-app-id", app,
            "--attest-environment", "development", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    k = json.loads(p.stdout)
    assert k["os"] == "ios" and k["challenge"] == "register-challenge-3"
    payload = json.loads(base64.b64decode(k["attestation_encoded_result"]))
    assert sorted(payload) == ["assertion", "attestation", "format", "key_id"]
    args = ("--trust-anchors", str(ca / "root.pem"), "--challenge", "register-challenge-3",
            "--public-key", k["publicKey"], "--app-id", app)
    code, out = verify(tmp_path, k["attestation_encoded_result"], *args,
                       "--environment", "development")
    assert (code, out["verdict"], out["reason"]) == (0, "accept", None), out
    d = out["details"]
    assert (d["format"], d["security_level"], d["app_id"], d["chain_length"],
            d["key_id"], d["assertion_counter"], d["unchecked"]) == \
        ("apple-appattest", "secure_enclave", app, 2, payload["key_id"], 1, [])
    code, out = verify(tmp_path, k["attestation_encoded_result"], *args,
                       "--environment", "production")
    assert (code, out["reason"]) == (1, "attestation_environment")
    code, out = verify(tmp_path, k["attestation_encoded_result"], "--challenge",
                       "register-challenge-3", "--public-key", k["publicKey"], "--app-id", app,
                       "--environment", "development")
    assert (code, out["reason"]) == (1, "attestation_untrusted_root")
