"""
test_device_sdk.py - the device SDK seen from outside, through the
`bioauth-device` CLI (build/bioauth-device, or $BIOAUTH_BUILD/bioauth-device).

Part 1 needs no server: keys made by the CLI are loaded, and signatures made
by it are verified, with Python's `cryptography` exactly as a server reads
what a phone sends (docs/API.md "Key and signature formats"):

  iOS EC       publicKey = raw 65-byte uncompressed P-256 point
               (EllipticCurvePublicKey.from_encoded_point); signature DER
  iOS RSA      publicKey = DER PKCS#1 RSAPublicKey (parsed here by hand:
               SEQUENCE { INTEGER n, INTEGER e }); signature PSS SHA-256,
               MGF1-SHA-256, salt 32
  Android EC   publicKey = DER SubjectPublicKeyInfo (load_der_public_key);
               signature DER ECDSA
  Android RSA  publicKey = DER SPKI; signature PKCS#1 v1.5 SHA-256
  raw r||s     64-byte ECDSA signature on request (--format raw)

Part 2 talks to a live bioauthd (the `server` fixture of conftest.py): keys
and signatures made by the CLI register and authenticate, and
`bioauth-device demo` completes. It is skipped only when the
mobile-biometrics endpoints answer 404 because they are not routed yet.
"""
import base64
import json
import os
import stat
import subprocess
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("BIOAUTH_BUILD", str(REPO / "build")))
CLI = BUILD / "bioauth-device"
#: RSA key generation is slow under sanitizers on a loaded machine.
CLI_TIMEOUT = 120

# A challenge with non-ASCII characters: the signed message is its UTF-8 bytes.
CHALLENGE = "d\u00e9fi-\U0001f510-0123456789abcdef-\u6311\u6218"

PLATFORM_TYPES = [("ios", "ec"), ("android", "ec"), ("ios", "rsa"), ("android", "rsa")]


# --- running the CLI ---------------------------------------------------------


def run_cli(*args, stdin=None, check=True):
    """Runs bioauth-device; returns the CompletedProcess (text mode)."""
    if not CLI.exists():
        pytest.fail(f"{CLI} not built (set BIOAUTH_BUILD or run make)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BIOAUTH_")}
    p = subprocess.run([str(CLI), *args], input=stdin, capture_output=True, text=True,
                       timeout=CLI_TIMEOUT, env=env)
    if check:
        assert p.returncode == 0, f"bioauth-device {' '.join(args)}: exit {p.returncode}\n{p.stderr}"
    return p


def cli_json(*args, stdin=None):
    """Runs bioauth-device and parses its JSON output."""
    p = run_cli(*args, stdin=stdin)
    assert p.stderr == "", p.stderr
    return json.loads(p.stdout)


def assert_one_line_error(p, code):
    """A failed command: exit `code`, nothing on stdout, one line on stderr."""
    assert p.returncode == code, (p.returncode, p.stdout, p.stderr)
    assert p.stdout == ""
    lines = p.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("bioauth-device: "), p.stderr


@pytest.fixture
def store(tmp_path):
    return str(tmp_path / "keystore")


def keygen(store, platform, ktype, *extra, stdin=None):
    out = cli_json("keygen", "--store", store, "--platform", platform, "--type", ktype,
                   *extra, stdin=stdin)
    assert set(out) == {"publicKeyId", "publicKey", "keyType", "os"}, out
    assert out["os"] == platform and out["keyType"] == ktype
    return out


def sign(store, key_id, challenge=CHALLENGE, *extra, stdin=None):
    out = cli_json("sign", "--store", store, "--key-id", key_id, "--challenge", challenge,
                   *extra, stdin=stdin)
    assert set(out) == {"key_id", "signature"} and out["key_id"] == key_id, out
    return out["signature"]


# --- reading keys and signatures as a server does ----------------------------


def b64decode_strict(text):
    """Standard base64 with padding, nothing else (what the SDK promises)."""
    assert len(text) % 4 == 0 and "-" not in text and "_" not in text, text
    return base64.b64decode(text, validate=True)


def _der_tlv(buf, pos, tag):
    """One DER TLV with the given tag at pos: (value bytes, next pos)."""
    assert buf[pos] == tag, f"tag {buf[pos]:#x} != {tag:#x}"
    pos += 1
    length = buf[pos]
    pos += 1
    if length & 0x80:
        n = length & 0x7F
        assert 1 <= n <= 2
        length = int.from_bytes(buf[pos:pos + n], "big")
        pos += n
    value = buf[pos:pos + length]
    assert len(value) == length, "truncated DER"
    return value, pos + length


def rsa_from_pkcs1(der):
    """RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER },
    parsed strictly (no trailing bytes, positive integers)."""
    seq, end = _der_tlv(der, 0, 0x30)
    assert end == len(der), "trailing bytes after RSAPublicKey"
    n_bytes, pos = _der_tlv(seq, 0, 0x02)
    e_bytes, pos = _der_tlv(seq, pos, 0x02)
    assert pos == len(seq)
    assert n_bytes[0] < 0x80 and e_bytes[0] < 0x80, "negative integer"
    n = int.from_bytes(n_bytes, "big")
    e = int.from_bytes(e_bytes, "big")
    return rsa.RSAPublicNumbers(e, n).public_key()


def load_device_key(public_key_b64, platform, ktype):
    """The public key exactly as bioauthd must read the given platform's form."""
    raw = b64decode_strict(public_key_b64)
    if platform == "ios" and ktype == "ec":
        assert len(raw) == 65 and raw[0] == 0x04, "not a raw uncompressed point"
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    if platform == "ios" and ktype == "rsa":
        # PKCS#1, not SPKI: the outer SEQUENCE starts with INTEGER n, where
        # an SPKI would start with the AlgorithmIdentifier SEQUENCE.
        return rsa_from_pkcs1(raw)
    key = serialization.load_der_public_key(raw)
    # SPKI: re-encoding as SPKI gives the same bytes.
    assert key.public_bytes(serialization.Encoding.DER,
                            serialization.PublicFormat.SubjectPublicKeyInfo) == raw
    return key


def verify(key, sig, message, how):
    """Raises InvalidSignature unless sig is valid for `how`."""
    data = message.encode("utf-8")
    if how == "ec-der":
        key.verify(sig, data, ec.ECDSA(hashes.SHA256()))
    elif how == "ec-raw":
        assert len(sig) == 64
        der = utils.encode_dss_signature(int.from_bytes(sig[:32], "big"),
                                         int.from_bytes(sig[32:], "big"))
        key.verify(der, data, ec.ECDSA(hashes.SHA256()))
    elif how == "pkcs1":
        key.verify(sig, data, padding.PKCS1v15(), hashes.SHA256())
    elif how == "pss":
        key.verify(sig, data, padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32),
                   hashes.SHA256())
    else:
        raise AssertionError(how)


def default_how(platform, ktype):
    if ktype == "ec":
        return "ec-der"
    return "pss" if platform == "ios" else "pkcs1"


# === part 1: no server ========================================================


@pytest.mark.parametrize("platform,ktype", PLATFORM_TYPES)
def test_public_key_as_the_platform_sends_it(store, platform, ktype):
    out = keygen(store, platform, ktype)
    key = load_device_key(out["publicKey"], platform, ktype)
    if ktype == "ec":
        assert isinstance(key, ec.EllipticCurvePublicKey)
        assert key.curve.name == "secp256r1"
    else:
        assert isinstance(key, rsa.RSAPublicKey)
        assert key.key_size == 2048
        assert key.public_numbers().e == 65537
    # register-payload carries the same key, encoded the same way.
    body = cli_json("register-payload", "--store", store, "--key-id", out["publicKeyId"])
    assert body == {"publicKey": out["publicKey"], "publicKeyId": out["publicKeyId"],
                    "os": platform, "encryptionType": ktype}


@pytest.mark.parametrize("platform,ktype", PLATFORM_TYPES)
def test_default_signature_verifies(store, platform, ktype):
    out = keygen(store, platform, ktype)
    key = load_device_key(out["publicKey"], platform, ktype)
    sig = b64decode_strict(sign(store, out["publicKeyId"]))
    how = default_how(platform, ktype)
    verify(key, sig, CHALLENGE, how)
    with pytest.raises(InvalidSignature):
        verify(key, sig, CHALLENGE + "x", how)
    if ktype == "rsa":
        # The padding is really the platform's: the other one rejects it.
        with pytest.raises(InvalidSignature):
            verify(key, sig, CHALLENGE, "pkcs1" if how == "pss" else "pss")
    else:
        # DER, not raw: a DER ECDSA signature of P-256 is 70-72 bytes.
        assert sig[0] == 0x30 and 8 <= len(sig) <= 72


@pytest.mark.parametrize("fmt,how", [("der", "ec-der"), ("raw", "ec-raw")])
def test_ec_signature_formats(store, fmt, how):
    out = keygen(store, "ios", "ec")
    key = load_device_key(out["publicKey"], "ios", "ec")
    for _ in range(3):
        sig = b64decode_strict(sign(store, out["publicKeyId"], CHALLENGE, "--format", fmt))
        verify(key, sig, CHALLENGE, how)
        bad = bytearray(sig)
        bad[-1] ^= 1
        with pytest.raises(InvalidSignature):
            verify(key, bytes(bad), CHALLENGE, how)


@pytest.mark.parametrize("pad", ["pkcs1", "pss"])
def test_rsa_paddings(store, pad):
    out = keygen(store, "android", "rsa")
    key = load_device_key(out["publicKey"], "android", "rsa")
    sig = b64decode_strict(sign(store, out["publicKeyId"], CHALLENGE, "--padding", pad))
    assert len(sig) == 256
    verify(key, sig, CHALLENGE, pad)


def test_format_options_must_fit_the_key(store):
    ec_id = keygen(store, "ios", "ec")["publicKeyId"]
    rsa_id = keygen(store, "ios", "rsa")["publicKeyId"]
    assert_one_line_error(run_cli("sign", "--store", store, "--key-id", ec_id, "--challenge",
                                  "c", "--padding", "pss", check=False), 2)
    assert_one_line_error(run_cli("sign", "--store", store, "--key-id", rsa_id, "--challenge",
                                  "c", "--format", "raw", check=False), 2)
    assert_one_line_error(run_cli("sign", "--store", store, "--key-id", ec_id, "--challenge",
                                  "c", "--format", "p1363", check=False), 2)


def test_key_id_and_files(store):
    out = keygen(store, "android", "ec", "--key-id", "my-key.1")
    assert out["publicKeyId"] == "my-key.1"
    st = os.stat(store)
    assert stat.S_IMODE(st.st_mode) == 0o700
    st = os.stat(os.path.join(store, "my-key.1.key"))
    assert stat.S_IMODE(st.st_mode) == 0o600
    # The same id again is refused and the key is kept.
    p = run_cli("keygen", "--store", store, "--key-id", "my-key.1", check=False)
    assert_one_line_error(p, 1)
    assert cli_json("register-payload", "--store", store,
                    "--key-id", "my-key.1")["publicKey"] == out["publicKey"]
    # Generated ids: 22 base64url characters, all different.
    ids = {keygen(store, "ios", "ec")["publicKeyId"] for _ in range(3)}
    assert len(ids) == 3
    for i in ids:
        assert len(i) == 22
        base64.urlsafe_b64decode(i + "==")


def test_refuses_key_file_open_to_others(store):
    out = keygen(store, "ios", "ec")
    path = os.path.join(store, out["publicKeyId"] + ".key")
    os.chmod(path, 0o644)
    p = run_cli("sign", "--store", store, "--key-id", out["publicKeyId"], "--challenge", "c",
                check=False)
    assert_one_line_error(p, 1)
    assert "permission" in p.stderr
    os.chmod(path, 0o600)
    sign(store, out["publicKeyId"], "c")


def test_passphrase(store):
    out = keygen(store, "android", "ec", "--passphrase-stdin", stdin="s3cret pass\n")
    kid = out["publicKeyId"]
    text = Path(store, kid + ".key").read_text()
    assert "BEGIN ENCRYPTED PRIVATE KEY" in text and "BEGIN PRIVATE KEY" not in text
    p = run_cli("sign", "--store", store, "--key-id", kid, "--challenge", "c", check=False)
    assert_one_line_error(p, 1)
    assert "passphrase" in p.stderr
    p = run_cli("sign", "--store", store, "--key-id", kid, "--challenge", "c",
                "--passphrase-stdin", stdin="wrong\n", check=False)
    assert_one_line_error(p, 1)
    assert "wrong passphrase" in p.stderr
    sig = b64decode_strict(sign(store, kid, CHALLENGE, "--passphrase-stdin", stdin="s3cret pass\n"))
    verify(load_device_key(out["publicKey"], "android", "ec"), sig, CHALLENGE, "ec-der")
    # The private key inside is a standard encrypted PKCS#8 that OpenSSL
    # tooling (here: cryptography) opens with the passphrase.
    pem = text[text.index("-----BEGIN"):].encode()
    priv = serialization.load_pem_private_key(pem, password=b"s3cret pass")
    assert priv.public_key().public_bytes(
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo) == b64decode_strict(out["publicKey"])
    with pytest.raises(ValueError):
        serialization.load_pem_private_key(pem, password=b"wrong")


def test_list_and_delete(store):
    a = keygen(store, "ios", "ec", "--key-id", "a1")
    keygen(store, "android", "rsa", "--key-id", "b2", "--passphrase-stdin", stdin="pw\n")
    listed = cli_json("list", "--store", store)
    assert [k["publicKeyId"] for k in listed] == ["a1", "b2"]
    assert listed[0]["keyType"] == "ec" and listed[0]["os"] == "ios"
    assert listed[0]["encrypted"] is False and listed[1]["encrypted"] is True
    assert listed[1]["keyType"] == "rsa" and listed[1]["os"] == "android"
    assert cli_json("delete", "--store", store, "--key-id", "a1") == {
        "publicKeyId": "a1", "deleted": True}
    assert [k["publicKeyId"] for k in cli_json("list", "--store", store)] == ["b2"]
    assert_one_line_error(run_cli("delete", "--store", store, "--key-id", "a1", check=False), 1)
    assert_one_line_error(run_cli("sign", "--store", store, "--key-id", "a1", "--challenge", "c",
                                  check=False), 1)
    assert a["publicKeyId"] == "a1"


def test_usage_errors_and_help(store):
    assert_one_line_error(run_cli(check=False), 2)
    assert_one_line_error(run_cli("frobnicate", check=False), 2)
    assert_one_line_error(run_cli("keygen", "--store", store, "--type", "dsa", check=False), 2)
    assert_one_line_error(run_cli("keygen", "--store", store, "--bogus", check=False), 2)
    assert_one_line_error(run_cli("sign", "--store", store, "--key-id", "x", check=False), 2)
    assert_one_line_error(run_cli("keygen", "--store", store, "--key-id", "../x", check=False), 2)
    for cmd in ("keygen", "register-payload", "sign", "list", "delete", "demo"):
        p = run_cli(cmd, "--help")
        assert p.stdout.startswith("usage: bioauth-device " + cmd), p.stdout
    assert "keygen" in run_cli("--help").stdout


def test_default_store_is_under_home(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("BIOAUTH_")}
    env["HOME"] = str(tmp_path)
    p = subprocess.run([str(CLI), "keygen", "--key-id", "h1"], capture_output=True, text=True,
                       timeout=CLI_TIMEOUT, env=env)
    assert p.returncode == 0, p.stderr
    assert (tmp_path / ".bioauth-device" / "h1.key").is_file()


# === part 2: a live bioauthd ==================================================

import helpers as h  # noqa: E402  (shared black-box helpers, imported late on purpose)

MB = "/v1/auth/mobile-biometrics"


@pytest.fixture(scope="module")
def live(server):
    """(server, app) with the mobile-biometrics endpoints routed, else skip."""
    for method, path in (("POST", MB + "/register"), ("POST", MB + "/start"),
                         ("POST", MB + "/authenticate"), ("DELETE", MB + "/delete")):
        r = server.request(method, path, json={})
        if r.status_code == 404:
            pytest.skip(f"{method} {path} is not routed yet (404)")
    app = h.create_app(server.db)
    return server, app


def _post(server, path, token, body):
    return server.post(path, json=body, headers=h.bearer(token))


@pytest.mark.parametrize("platform,ktype,extra", [
    ("ios", "ec", ()),
    ("android", "ec", ()),
    ("ios", "rsa", ()),
    ("android", "rsa", ()),
    ("ios", "ec", ("--format", "raw")),
    ("android", "rsa", ("--padding", "pss")),
])
def test_cli_keys_register_and_authenticate(live, store, platform, ktype, extra):
    server, app = live
    ctoken = h.client_token(server, app)
    user, login = h.new_user_session(server, ctoken)
    kid = keygen(store, platform, ktype)["publicKeyId"]
    body = cli_json("register-payload", "--store", store, "--key-id", kid)
    r = _post(server, MB + "/register", login["access_token"], body)
    assert r.status_code == 200, r.text
    assert r.json()["publicKeyId"] == kid

    r = _post(server, MB + "/start", ctoken, {"user_id": user["user_id"]})
    assert r.status_code == 200, r.text
    challenge = r.json()["challenge"]
    sig = sign(store, kid, challenge, *extra)
    r = _post(server, MB + "/authenticate", ctoken, {
        "user_id": user["user_id"], "key_id": kid, "challenge": challenge, "signature": sig})
    assert r.status_code == 200, r.text
    tokens = r.json()
    claims = h.verify_jwt(server, tokens["access_token"])
    assert claims["sub"] == user["user_id"]
    assert "mobile_biometrics" in claims["amr"]

    # A signature of another challenge does not pass.
    r = _post(server, MB + "/start", ctoken, {"user_id": user["user_id"]})
    challenge2 = r.json()["challenge"]
    r = _post(server, MB + "/authenticate", ctoken, {
        "user_id": user["user_id"], "key_id": kid, "challenge": challenge2,
        "signature": sign(store, kid, challenge2 + "x", *extra)})
    assert r.status_code == 401, r.text


def test_demo_completes(live, tmp_path):
    server, app = live
    env = {k: v for k, v in os.environ.items() if not k.startswith("BIOAUTH_")}
    env["BIOAUTH_CLIENT_SECRET"] = app["client_secret"]   # secret not on the command line
    store = tmp_path / "demo-store"
    p = subprocess.run([str(CLI), "demo", "--server", server.url + "/", "--client-id",
                        app["client_id"], "--store", str(store)],
                       capture_output=True, text=True, timeout=CLI_TIMEOUT, env=env)
    assert p.returncode == 0, p.stdout + p.stderr
    out = p.stdout
    for needle in ("POST /oidc/token", "POST /v1/users", "POST /v1/auth/password/authenticate",
                   "POST /v1/auth/mobile-biometrics/register",
                   "POST /v1/auth/mobile-biometrics/start",
                   "POST /v1/auth/mobile-biometrics/authenticate",
                   "DELETE /v1/auth/mobile-biometrics/delete",
                   "refused as expected", "demo completed"):
        assert needle in out, f"{needle!r} missing from demo output:\n{out}"
    assert out.count("-> HTTP 200") >= 6
    assert "-> HTTP 204" in out
    assert '"amr"' in out and "mobile_biometrics" in out
    # The demo removes its local key again.
    assert list(store.glob("*.key")) == []


def test_demo_fails_on_bad_credentials(live, tmp_path):
    server, app = live
    p = run_cli("demo", "--server", server.url, "--client-id", app["client_id"],
                "--client-secret", "not-the-secret", "--store", str(tmp_path / "s"), check=False)
    assert p.returncode == 1
    assert "-> HTTP 401" in p.stdout
    assert p.stderr.strip().splitlines() == [
        "bioauth-device: POST /oidc/token: unexpected HTTP status 401"]
