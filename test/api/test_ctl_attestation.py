"""Black-box tests of `bioauthctl attestation verify`, the offline verifier.

Runs $BIOAUTH_BUILD/bioauthctl with no database option in an empty working
directory (the command must need none) over the real vectors of
test/vectors/attestation/, at each vector's verifyAt: the printed
{"verdict", "reason", "details"} and the exit status (0 accept, 1 reject,
2 bad usage).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
from pathlib import Path

import pytest

import helpers as h

VEC = h.REPO / "test" / "vectors" / "attestation"
ANDROID = VEC / "android"
APPLE = VEC / "apple"
ENV = {k: v for k, v in os.environ.items() if not k.startswith("BIOAUTH_")}


def verify(cwd: Path, *args: str) -> tuple[int, dict | None, str]:
    """Runs the verifier; returns (exit status, parsed stdout or None, stderr)."""
    p = subprocess.run([str(h.BIOAUTHCTL), "attestation", "verify", *args],
                       capture_output=True, text=True, timeout=60, env=ENV, cwd=cwd)
    out = json.loads(p.stdout) if p.stdout else None
    return p.returncode, out, p.stderr


def android_vectors():
    m = json.loads((ANDROID / "manifest.json").read_text())
    return [v for v in m["vectors"] if v.get("verifyAt") and v.get("expectedChallengeHex")]


def want_reason(verdict: str) -> str | None:
    return None if verdict.startswith("accept") else verdict.split(":")[0].split()[0]


@pytest.mark.parametrize("vec", android_vectors(), ids=lambda v: v["file"])
def test_android_vector(tmp_path, vec):
    code, out, err = verify(tmp_path, "--input", str(ANDROID / vec["file"]),
                            "--challenge-b64",
                            base64.b64encode(bytes.fromhex(vec["expectedChallengeHex"])).decode(),
                            "--at", vec["verifyAt"])
    want = want_reason(vec["expected_default_verdict"])
    assert out is not None, err
    assert out["reason"] == want, out
    assert out["verdict"] == ("accept" if want is None else "reject")
    assert code == (0 if want is None else 1)
    assert out["details"]["format"] == "android-key"
    assert list(os.listdir(tmp_path)) == []        # no database file appeared
    if want is None:
        level = vec["facts"]["attestationSecurityLevel"]
        assert out["details"]["security_level"] == {"STRONG_BOX": "strongbox",
                                                    "TRUSTED_ENVIRONMENT": "tee"}[level]
        assert out["details"]["provisioning"] == (
            "remote" if vec["provisioning"] == "RKP" else "factory")


CAIMAN = ANDROID / "keyattestation/caiman/sdk36/TEE_EC_RKP.pem"
CAIMAN_AT = "2025-09-26T15:31:20.964Z"
CAIMAN_CHALLENGE = "d688d763-6118-4ca6-94b2-e6cd9ed7e4e4"


def load_chain(pem: Path):
    """The certificates of a PEM file, in order."""
    from cryptography import x509
    end = b"-----END CERTIFICATE-----"
    return [x509.load_pem_x509_certificate(part + end)
            for part in pem.read_bytes().split(end) if b"-----BEGIN" in part]


def leaf_spki_b64(pem: Path) -> str:
    from cryptography.hazmat.primitives import serialization
    leaf = load_chain(pem)[0]
    der = leaf.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode()


def test_android_key_and_challenge(tmp_path):
    key = leaf_spki_b64(CAIMAN)
    code, out, _ = verify(tmp_path, "--input", str(CAIMAN), "--challenge", CAIMAN_CHALLENGE,
                          "--public-key", key, "--at", CAIMAN_AT)
    assert code == 0 and out["verdict"] == "accept" and out["details"]["unchecked"] == []
    assert out["details"]["app_id"] == "com.google.android.attestation"
    assert out["details"]["verified_boot"] is True
    other = leaf_spki_b64(ANDROID / "keyattestation/blueline/sdk28/TEE_EC_NONE.pem")
    code, out, _ = verify(tmp_path, "--input", str(CAIMAN), "--challenge", CAIMAN_CHALLENGE,
                          "--public-key", other, "--at", CAIMAN_AT)
    assert (code, out["reason"]) == (1, "attestation_key_mismatch")
    code, out, _ = verify(tmp_path, "--input", str(CAIMAN), "--challenge", "other",
                          "--at", CAIMAN_AT)
    assert (code, out["reason"]) == (1, "attestation_challenge_mismatch")
    # Today (the default time): the remotely provisioned intermediates expired.
    code, out, _ = verify(tmp_path, "--input", str(CAIMAN), "--challenge", CAIMAN_CHALLENGE)
    assert (code, out["reason"]) == (1, "attestation_cert_expired")


def test_android_payload_and_anchors(tmp_path):
    """The JSON payload as a client sends it (base64), and --trust-anchors
    replacing the built-in keys."""
    from cryptography.hazmat.primitives import serialization
    certs = load_chain(CAIMAN)
    payload = {"format": "android-key",
               "x5c": [base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode()
                       for c in certs]}
    f = tmp_path / "payload.txt"
    f.write_text(base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("="))
    code, out, _ = verify(tmp_path, "--input", str(f), "--challenge", CAIMAN_CHALLENGE,
                          "--at", CAIMAN_AT)
    assert (code, out["verdict"]) == (0, "accept")
    code, out, _ = verify(tmp_path, "--input", str(f), "--challenge", CAIMAN_CHALLENGE,
                          "--at", CAIMAN_AT, "--trust-anchors",
                          str(ANDROID / "roots/android-software-root-ec.pem"))
    assert (code, out["reason"]) == (1, "attestation_untrusted_root")


def test_android_revocation(tmp_path):
    inter = load_chain(CAIMAN)[1]
    rl = tmp_path / "status.json"
    rl.write_text(json.dumps({"entries": {format(inter.serial_number, "x"):
                                          {"status": "SUSPENDED", "reason": "KEY_COMPROMISE"}}}))
    code, out, _ = verify(tmp_path, "--input", str(CAIMAN), "--challenge", CAIMAN_CHALLENGE,
                          "--at", CAIMAN_AT, "--revocation-list", str(rl))
    assert (code, out["reason"]) == (1, "attestation_revoked")
    code, out, _ = verify(tmp_path, "--input", str(CAIMAN), "--challenge", CAIMAN_CHALLENGE,
                          "--at", CAIMAN_AT, "--revocation-list",
                          str(ANDROID / "revocation/status-sample.json"))
    assert (code, out["verdict"]) == (0, "accept")


def apple_vectors():
    m = json.loads((APPLE / "manifest.json").read_text())
    return [v["file"] for v in m["vectors"]]


@pytest.mark.parametrize("sidecar", apple_vectors())
def test_apple_vector(tmp_path, sidecar):
    side = json.loads((APPLE / sidecar).read_text())
    cbor = APPLE / Path(sidecar).parent / side["vector"]
    base = ["--input", str(cbor), "--client-data-hash-b64", side["clientDataHashB64"],
            "--at", side["verifyAt"]]
    code, out, err = verify(tmp_path, *base, "--app-id", side["appId"],
                            "--environment", side["environment"])
    assert (code, out["verdict"], out["reason"]) == (0, "accept", None), err
    assert out["details"]["security_level"] == "secure_enclave"
    assert out["details"]["app_id"] == side["appId"]
    assert out["details"]["key_id"] == side["keyIdB64"]
    other_env = "production" if side["environment"] == "development" else "development"
    code, out, _ = verify(tmp_path, *base, "--app-id", side["appId"], "--environment", other_env)
    assert (code, out["reason"]) == (1, "attestation_environment")
    code, out, _ = verify(tmp_path, *base, "--app-id", "ABCDE12345.com.example.other")
    assert (code, out["reason"]) == (1, "attestation_app_id_mismatch")
    x = base64.b64encode(hashlib.sha256(b"x").digest()).decode()
    code, out, _ = verify(tmp_path, "--input", str(cbor), "--client-data-hash-b64", x,
                          "--at", side["verifyAt"])
    assert (code, out["reason"]) == (1, "attestation_challenge_mismatch")
    code, out, _ = verify(tmp_path, "--input", str(cbor), "--at", "2026-12-04T00:00:00Z")
    assert (code, out["reason"]) == (1, "attestation_cert_expired")


def test_apple_payload(tmp_path):
    """The apple-appattest payload: key ID checked; the assertion over a
    registered key it was not made for is refused."""
    side = json.loads((APPLE / "veehaitch/ios-14.4.json").read_text())
    att = (APPLE / "veehaitch" / side["vector"]).read_bytes()
    asn = (APPLE / "veehaitch" / side["assertion"]["vector"]).read_bytes()
    payload = {"format": "apple-appattest", "key_id": side["keyIdB64"],
               "attestation": base64.b64encode(att).decode(),
               "assertion": base64.b64encode(asn).decode()}
    f = tmp_path / "payload.json"
    f.write_text(json.dumps(payload))
    base = ["--input", str(f), "--challenge", side["clientDataUtf8"], "--at", side["verifyAt"],
            "--app-id", side["appId"], "--environment", "development"]
    code, out, _ = verify(tmp_path, *base)
    assert (code, out["verdict"]) == (0, "accept")
    assert "assertion" in out["details"]["unchecked"]
    key = "".join(l for l in side["expected"]["publicKeyPem"].splitlines() if "-----" not in l)
    code, out, _ = verify(tmp_path, *base, "--public-key", key)
    assert (code, out["reason"]) == (1, "assertion_signature_invalid")
    payload["key_id"] = base64.b64encode(hashlib.sha256(b"x").digest()).decode()
    f.write_text(json.dumps(payload))
    code, out, _ = verify(tmp_path, *base)
    assert (code, out["reason"]) == (1, "attestation_key_id_mismatch")


def test_refusals_of_input(tmp_path):
    f = tmp_path / "p.json"
    f.write_text('{"format": "tpm"}')
    code, out, _ = verify(tmp_path, "--input", str(f))
    assert (code, out["reason"]) == (1, "attestation_format_unsupported")
    f.write_text("not base64 !")
    code, out, _ = verify(tmp_path, "--input", str(f))
    assert (code, out["reason"]) == (1, "attestation_format_unsupported")
    f.write_text('{"format": "android-key", "x5c": ["%%"]}')
    code, out, _ = verify(tmp_path, "--input", str(f))
    assert (code, out["reason"]) == (1, "attestation_malformed")


@pytest.mark.parametrize("args", [
    [],
    ["--input", "/nonexistent/chain.pem"],
    ["--input", str(CAIMAN), "--at", "yesterday"],
    ["--input", str(CAIMAN), "--format", "tpm"],
    ["--input", str(CAIMAN), "--format", "apple-appattest"],
    ["--input", str(CAIMAN), "--challenge", "a", "--challenge-b64", "YQ"],
    ["--input", str(CAIMAN), "--client-data-hash-b64", "YQ"],
    ["--input", str(CAIMAN), "--public-key", "AAAA"],
    ["--input", str(CAIMAN), "--environment", "staging"],
    ["--input", str(CAIMAN), "--trust-anchors", str(CAIMAN.parent / "TEE_EC_RKP.json")],
    ["--input", str(CAIMAN), "--revocation-list", str(CAIMAN)],
    ["--input", str(CAIMAN), "--bogus"],
])
def test_usage_errors(tmp_path, args):
    code, out, err = verify(tmp_path, *args)
    assert code == 2 and out is None
    assert len(err.splitlines()) == 1
