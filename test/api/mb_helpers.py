"""
mb_helpers.py - phone emulation and mobile-biometrics API calls for the
black-box tests (test_mb_*.py).

Keys and signatures are made with `cryptography` exactly as the phones make
them (docs/API.md "Key and signature formats"):

  iOS EC       publicKey = raw 65-byte uncompressed P-256 point
               (SecKeyCopyExternalRepresentation); signature = DER ECDSA over
               SHA-256 (ecdsaSignatureMessageX962SHA256)
  iOS RSA      publicKey = DER PKCS#1 RSAPublicKey; signature = PSS SHA-256,
               MGF1-SHA-256, salt 32 (rsaSignatureMessagePSSSHA256)
  Android EC   publicKey = DER SubjectPublicKeyInfo (PublicKey.getEncoded());
               signature = DER ECDSA (SHA256withECDSA)
  Android RSA  publicKey = DER SPKI; signature = PKCS#1 v1.5 SHA-256
               (SHA256withRSA)
  raw r||s     64-byte ECDSA signature (P1363), either platform

The signed message is the UTF-8 bytes of the challenge string as sent.
"""
import base64
import secrets
import uuid

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
import requests

import helpers as h  # shared helpers of test/api (not ours)

MB = "/v1/auth/mobile-biometrics"

# --- encodings ---------------------------------------------------------------


def b64(data, urlsafe=False, pad=True):
    """base64 text of `data`: standard or URL-safe alphabet, padded or not."""
    enc = base64.urlsafe_b64encode(data) if urlsafe else base64.b64encode(data)
    text = enc.decode("ascii")
    return text if pad else text.rstrip("=")


def b64_variants(data):
    """(label, text) for every alphabet/padding combination."""
    return [
        ("std-pad", b64(data)),
        ("std-nopad", b64(data, pad=False)),
        ("url-pad", b64(data, urlsafe=True)),
        ("url-nopad", b64(data, urlsafe=True, pad=False)),
    ]


def pem(der, label):
    """PEM armour of DER bytes with 64-column lines."""
    body = base64.b64encode(der).decode("ascii")
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN %s-----\n%s\n-----END %s-----\n" % (label, "\n".join(lines), label)


def unique(prefix):
    """A fresh identifier (publicKeyId, device_id, user_id...)."""
    return "%s-%s" % (prefix, uuid.uuid4().hex[:16])


# RSA key generation is the slow part of the suite (seconds per key on a busy
# machine): 2048-bit keys come round-robin from a pool of pre-generated keys
# (RSA_TEST_KEYS at the end of this file), so devices made one after another
# still have distinct keys. The format of a key is unaffected by how it was
# generated.
_RSA_NEXT = {}
_RSA_CACHE = {}


def _rsa_key(bits):
    """A 2048/3072/4096-bit key from the pool (loaded on first use: loading
    validates the key, which costs a fraction of a second), or a freshly
    generated key of another size."""
    blocks = [b for b in RSA_TEST_KEYS.split("-----END PRIVATE KEY-----")[:-1]]
    sized = [i for i, b in enumerate(blocks) if RSA_TEST_KEY_BITS[i] == bits]
    if not sized:
        return rsa.generate_private_key(public_exponent=65537, key_size=bits)
    n = _RSA_NEXT.get(bits, 0)
    _RSA_NEXT[bits] = n + 1
    i = sized[n % len(sized)]
    if i not in _RSA_CACHE:
        pem_text = (blocks[i].strip() + "\n-----END PRIVATE KEY-----\n").encode()
        _RSA_CACHE[i] = serialization.load_pem_private_key(pem_text, None)
        assert _RSA_CACHE[i].key_size == bits
    return _RSA_CACHE[i]


class Device:
    """A phone with one biometric key pair.

    platform: "ios" or "android"; alg: "ec" or "rsa".
    """

    def __init__(self, platform="ios", alg="ec", rsa_bits=2048, curve=None):
        assert platform in ("ios", "android") and alg in ("ec", "rsa")
        self.platform = platform
        self.alg = alg
        if alg == "ec":
            self.key = ec.generate_private_key(curve or ec.SECP256R1())
        else:
            self.key = _rsa_key(rsa_bits)
        self.pub = self.key.public_key()
        self.device_id = unique("dev")
        self.key_id = unique("key-%s-%s" % (platform, alg))

    # -- the public key as the device exports it --
    @property
    def os(self):
        return self.platform

    @property
    def encryption_type(self):
        return self.alg

    def spki_der(self):
        return self.pub.public_bytes(serialization.Encoding.DER,
                                     serialization.PublicFormat.SubjectPublicKeyInfo)

    def raw_point(self):
        """EC only: the 65-byte uncompressed point 04||X||Y."""
        return self.pub.public_bytes(serialization.Encoding.X962,
                                     serialization.PublicFormat.UncompressedPoint)

    def pkcs1_der(self):
        """RSA only: DER RSAPublicKey (what iOS exports)."""
        return self.pub.public_bytes(serialization.Encoding.DER,
                                     serialization.PublicFormat.PKCS1)

    def native_public_bytes(self):
        """The bytes the phone's platform API returns for the public key."""
        if self.platform == "ios":
            return self.raw_point() if self.alg == "ec" else self.pkcs1_der()
        return self.spki_der()

    def public_key(self, urlsafe=False, pad=True):
        """publicKey field as the phone's app sends it (base64 of the native
        export)."""
        return b64(self.native_public_bytes(), urlsafe, pad)

    def public_key_pem(self, pkcs1=False):
        if pkcs1:
            return pem(self.pkcs1_der(), "RSA PUBLIC KEY")
        return pem(self.spki_der(), "PUBLIC KEY")

    # -- signatures --
    def sign_bytes(self, message, ec_format="der"):
        """Signature bytes over `message` as the platform makes them.
        ec_format: "der" or "raw" (64-byte r||s)."""
        if self.alg == "ec":
            der = self.key.sign(message, ec.ECDSA(hashes.SHA256()))
            if ec_format == "der":
                return der
            r, s = utils.decode_dss_signature(der)
            return r.to_bytes(32, "big") + s.to_bytes(32, "big")
        if self.platform == "ios":
            return self.key.sign(message, padding.PSS(mgf=padding.MGF1(hashes.SHA256()),
                                                      salt_length=32), hashes.SHA256())
        return self.key.sign(message, padding.PKCS1v15(), hashes.SHA256())

    def sign(self, challenge, ec_format="der", urlsafe=False, pad=True):
        """The `signature` field: base64 of the signature over the UTF-8 bytes
        of `challenge`."""
        return b64(self.sign_bytes(challenge.encode("utf-8"), ec_format), urlsafe, pad)

    def register_body(self, **extra):
        body = {
            "publicKey": self.public_key(),
            "publicKeyId": self.key_id,
            "os": self.os,
            "encryptionType": self.encryption_type,
        }
        body.update(extra)
        return body


def client_challenge(nbytes=32):
    """A challenge made by the backend itself (URL-safe text, `nbytes` long)."""
    text = secrets.token_urlsafe(nbytes)
    return text[:nbytes]


def bad_signature(dev, challenge):
    """A well-formed signature that does not verify (signed other bytes)."""
    return dev.sign(challenge + "-tampered")


# --- malformed keys (for invalid_key_encoding / invalid_key_type) ----------

P256_P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffff


def point_not_on_curve():
    """A 65-byte uncompressed point whose (x, y) is off P-256."""
    d = Device("ios", "ec")
    raw = bytearray(d.raw_point())
    raw[-1] ^= 0x01        # flip the low bit of y: y^2 != x^3 + ax + b
    return bytes(raw)


def spki_with_point(point):
    """DER SPKI (id-ecPublicKey, prime256v1) around an arbitrary 65-byte point,
    so the SPKI path also sees an off-curve point."""
    prefix = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d030107034200")
    return prefix + point


def p384_spki():
    return Device("android", "ec", curve=ec.SECP384R1()).spki_der()


def p384_raw_point():
    k = ec.generate_private_key(ec.SECP384R1()).public_key()
    return k.public_bytes(serialization.Encoding.X962,
                          serialization.PublicFormat.UncompressedPoint)


def rsa_spki(bits, exponent=65537):
    k = rsa.generate_private_key(public_exponent=exponent, key_size=bits).public_key()
    return k.public_bytes(serialization.Encoding.DER,
                          serialization.PublicFormat.SubjectPublicKeyInfo)


def ed25519_spki():
    from cryptography.hazmat.primitives.asymmetric import ed25519
    k = ed25519.Ed25519PrivateKey.generate().public_key()
    return k.public_bytes(serialization.Encoding.DER,
                          serialization.PublicFormat.SubjectPublicKeyInfo)


def der_len(n):
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def der_int(v):
    body = v.to_bytes(max(1, (v.bit_length() + 8) // 8), "big")
    return b"\x02" + der_len(len(body)) + body


def rsa_pkcs1_raw(n, e):
    """DER RSAPublicKey with arbitrary n and e (for even/small exponents,
    which `cryptography` refuses to generate)."""
    body = der_int(n) + der_int(e)
    return b"\x30" + der_len(len(body)) + body


# --- HTTP calls --------------------------------------------------------------

TIMEOUT = h.HTTP_TIMEOUT
bearer = h.bearer


def assert_err(resp, status, code):
    """The documented error object {"error_code": code, "message": non-empty}
    with `status`; returns the body."""
    try:
        body = resp.json()
    except ValueError:
        body = None
    got = (resp.status_code, body.get("error_code") if isinstance(body, dict) else None)
    assert got == (status, code), "%s %s: want %d %s, got %d %s" % (
        resp.request.method, resp.request.path_url, status, code, resp.status_code,
        resp.text[:300])
    assert isinstance(body.get("message"), str) and body["message"], \
        "error without message: %r" % body
    return body


class MBClient:
    """The calls a backend makes for one app: it holds the app's client
    access token. Every method returns the raw requests.Response."""

    def __init__(self, server, app):
        self.server = server
        self.base = h.base_url(server)
        self.app = app
        self.ctoken = h.client_token(server, app)

    def post(self, path, body, token=None, **kw):
        token = self.ctoken if token is None else token
        return requests.post(self.base + path, json=body, headers=bearer(token),
                             timeout=TIMEOUT, **kw)

    def start(self, user_id=None, body=None, token=None, **fields):
        if body is None:
            body = dict(fields)
            if user_id is not None:
                body["user_id"] = user_id
        return self.post(MB + "/start", body, token)

    def challenge(self, user_id, **fields):
        """A /start challenge (asserts 200)."""
        r = self.start(user_id, **fields)
        assert r.status_code == 200, "POST /start: %d %s" % (r.status_code, r.text[:300])
        ch = r.json().get("challenge")
        assert isinstance(ch, str) and ch, "no challenge in %r" % r.text
        return ch

    def register(self, utoken, body):
        return self.post(MB + "/register", body, utoken)

    def authenticate(self, body, token=None):
        return self.post(MB + "/authenticate", body, token)

    def delete(self, utoken, key_id=None, body=None):
        if body is None:
            body = {"publicKeyId": key_id}
        return requests.delete(self.base + MB + "/delete", json=body,
                               headers=bearer(utoken), timeout=TIMEOUT)

    def authenticators(self, user_id, token=None):
        from urllib.parse import quote
        token = self.ctoken if token is None else token
        return requests.get(self.base + "/v1/users/" + quote(user_id, safe="") +
                            "/authenticators", headers=bearer(token), timeout=TIMEOUT)


class Person:
    """A user of the deployment, seen from one app.

    .user_id, .username, .utoken (a user access token of `mb`'s app) and
    .session_id (its session). With password=True the user has a password
    and the token comes from a password login (a real `pwd` session, for MFA
    tests; Argon2id makes this slower); otherwise the token is minted by
    `bioauthctl user token` (an operator session without factors).
    """

    def __init__(self, mb, password=False, user_id=None):
        self.username = h.unique_name("mbuser")
        self.password = h.DEFAULT_PASSWORD if password else None
        user = h.create_user(mb.server, mb.ctoken, username=self.username,
                             password=self.password, user_id=user_id)
        self.user_id = user["user_id"]
        self.login = None
        self.utoken, self.session_id = self._token(mb)

    def _token(self, mb):
        if self.password is not None:
            self.login = h.password_login(mb.server, mb.ctoken, self.username, self.password)
            return self.login["access_token"], self.login["session_id"]
        t = h.user_token_ctl(mb.server, self.user_id, mb.app["client_id"])
        return t["access_token"], t.get("session_id")

    def token_for(self, mb):
        """A user access token of this user in another app `mb`."""
        return self._token(mb)[0]


def enroll(mb, person, dev, utoken=None, **extra):
    """Registers `dev`'s key for `person` (asserts 200); returns the body."""
    r = mb.register(utoken or person.utoken, dev.register_body(**extra))
    assert r.status_code == 200, "register %s/%s: %d %s" % (
        dev.platform, dev.alg, r.status_code, r.text[:300])
    return r.json()


def error_view(resp):
    """(status, body) of an error response, for comparing two errors."""
    try:
        body = resp.json()
    except ValueError:
        body = resp.text
    return resp.status_code, body


def auth_body(person, dev, challenge, signature=None, **options):
    body = {"user_id": person.user_id if hasattr(person, "user_id") else person,
            "key_id": dev.key_id, "challenge": challenge,
            "signature": dev.sign(challenge) if signature is None else signature}
    body.update(options)
    return body


def login(mb, person, dev, challenge=None, start_fields=None, **options):
    """The whole biometric login: /start (unless `challenge` is given), the
    device signs, /authenticate. Returns the response."""
    if challenge is None:
        challenge = mb.challenge(person.user_id, **(start_fields or {}))
    return mb.authenticate(auth_body(person, dev, challenge, **options))


def assert_tokens(mb, resp, person, audience=None):
    """A 200 token response whose tokens verify against /oidc/jwks; returns
    (body, access_claims, id_claims)."""
    assert resp.status_code == 200, "authenticate: %d %s" % (resp.status_code, resp.text[:400])
    body = resp.json()
    for k in ("access_token", "id_token", "refresh_token", "token_type", "session_id"):
        assert isinstance(body.get(k), str) and body[k], "no %s in %r" % (k, body)
    assert body["token_type"].lower() == "bearer", body
    assert isinstance(body.get("expires_in"), int) and body["expires_in"] > 0, body
    jwks = h.fetch_jwks(mb.server)
    at = h.verify_jwt(jwks, body["access_token"], audience=audience, typ="at+jwt")
    it = h.verify_jwt(jwks, body["id_token"], audience=mb.app["client_id"])
    user_id = person.user_id if hasattr(person, "user_id") else person
    assert at["sub"] == user_id and it["sub"] == user_id, (at, it)
    assert at.get("sid") == body["session_id"] and it.get("sid") == body["session_id"], (at, it)
    assert at.get("client_id") == mb.app["client_id"], at
    assert at.get("app_id") == mb.app["app_id"], at
    return body, at, it


# Test-only RSA keys (PKCS#8): four 2048-bit, one 3072-bit, one 4096-bit.
RSA_TEST_KEY_BITS = (2048, 2048, 2048, 2048, 3072, 4096)
RSA_TEST_KEYS = """
-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQCc51TEi1BWnZgt
F5gHelEr9nxHJ8GH3rlY+GZb59psbbNXIi4HrYWIMTbwikBt7G5rMHYfSRPh71er
tne7QwAP0LSr+Oz4P7CXxtIMSBjduRwIMyiR8WilMxB2xsIokBc12lyMIfzCQnqu
prejPx0RuUz+qDPIKZeoqueb5A5jB2OcEYmBdaB/N+jmy/23qGgtULEOk2xE+wXr
FRy5C5FFi5IEy2EZraREILCQVFbCQ6BwhaenaO6cSrL1EGOlyNIlNUX67lDbCce3
YsxqW26qBYg9/ZEKxNG03176FDRHAqzIOAfL+rZoA6nXJB6GBtV/+O90IP72AVlT
1ppWzM3pAgMBAAECggEAA81ayWL/XMP3o7MYSukYxbYUw6Qn3U8lQm3NjDFZgopj
f8trHmJC876OkGRnRIqnz9bmK+KpVc6nGxkCPIJWgmuaLzcqZeckND9cCHJoUNor
Hts/gs7c7HDo95ngK1u3hkVu+/HYZkw2XRxa45y0S4FIJ30juRhh7ZNLpsRPYXCr
As2nnoyuFqba7MQOIdfa5FJbb/Nolix0mUjVS/JRs6nSJdroDgiApTyR2Ceffo2H
Kbp5YR92vg5ADttawPHEjcXW9+IlKue+0QR7dWVur8XV7pYQXAVFe1AyGy0OyRJF
6h7HnegrovQ8eZ1Z1LitAN40NDw/4Pydc/cnwM1CUQKBgQDdvBJ/SewebTGY5j2c
1oPoC+s3EtV7enfmv45BWTMWDFxn1za8v0oL1+EMTmchDUpYH44KbxJas+gFBlpV
hFmm2sjDoAtv1oLzsDnerCpkWDKQYin7FFzeiCs/4wy02yeC7hM8suz7RDATK0oR
HpEgAzElH9FnSQ9P2zvXBTM9MQKBgQC1JoNas5wvQ0JTXiduQUczT+GtRlcchcFR
3i8DEHAQB9WXFACJhgs7IdeJOI/0LCJ0GaefirHL3CK/KciYWT662YXhAHT5od5N
TlcirNxCAANqPXjM+jF3FH7b6XHab6ep2/dWiv5KGd98/AjjgGdi/PVltliPjrjc
vwzQgOOOOQKBgGMySzgk0vw9r22Ou0uZ8EL0ahMmWtk1zcQuOC7l/+PCPei6sCM6
lJ69wlFmFd8Eehj4bOwgCp8HUypEUE9nuU/bGuvhgpxS5Byu3wTOEtz3VA+hytQn
pPBtDKQ1KC8UyBVb+sEx7rDuLW+18xm7igM/SlIobN7/IVmBY8Dq86RRAoGBAJ+x
We6lk7QeiOPRhtUtesUDUKFd9wFP8IJpaew7m26mWWab3XVe05vHU6jGUjEgjybm
TtzYebCLWZ5ICWw0kJZLmDgoHPbL+ZsQysPouyr7tAb+NfYNQXoGeWcIPrQf5iBZ
p4uFcHKGqHwX+wYDdiDPes21mBDF8rW3Pma4mOIRAoGBAJO4EMq9va3OlmrK0C1c
oqFhz73HbxS4PdyyvJfcGFnB2xj9yt5k/Whboov5P4ZSaCvJUXdACYvqsD0FWr+p
gkUPw7nV9wEyx5jc3QlLcmjMYfXIeq5cbsvETndKfuoTPioZ2wzwVDSdN7qro7As
CbpsRjLu77EjtYReX9WRfqS3
-----END PRIVATE KEY-----
-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCyp92e29ynBhTa
IlC/pQ9SJhm4aZ7mJgt44Mcpg4Xc8bKLaZJXD7c6OSAxN9UGWK/ZSeLCv5yvrgzZ
esJpHzLiPywLO26Pau2dKHcfT0QN/iMeYZSNn526LPOmAiypQuO9u9S2dPS62xbq
ub55ds7Z/wIUjNFVK2fBLuZ4KJHFEu5NidasXV8yfew3vwxYK7pWkrijbIz/Vl2C
APUDmYSfK+gq4v7oODemp47OnDO3p0dZiGv02Ihcckl0Er4xwZjCXW4a+gunuHK1
AEJoM/UNOjFLDaOS1Pgh6j0EDTUTXnMfSUhh5T2KDeVtQKQAqL1Ov6xpfjy2riwy
GZAMKUdNAgMBAAECggEAHwRJ07S0IENMB3sBreQIPujiekPMFITyZPARY8Gz0eIc
b1vKzlaqJu+YCTN6RnnLPdw4BDukBlQfYvqPGhUSjnkNOn38+eVEj45g8Ayg8hT3
H+UtF1Fo3tPDEUU7X79/LoeXrH2tp2s2FVZeHVRlIS/Guq6gATth7gYoeSAB/sa6
GCZrZ5YV5OF5yL7AIME5dbJX3gWNWPuhzW+BVk+WgTZnj1xk4QfBRVPDw31Ms7cE
btI5UMbMmgQ+yrr++3Pvm20MbfYfL+Bh//lPAgq1iIWVmG1IhMbvK3QNwM1UkMs/
iNvEsPUyHhSbOPjERIwDaI7wCYeGIOEJCYv8XCdcwQKBgQDogbMqX2dzjwt89fRn
Y9ckYaSbt6NN6IrEm4BZ/SVqgL/xOdjjcw4nEWLKaHJmjpxnoamvZGHU5ed2O/rE
b5SthlrcPorylvMaGg8Q83U8Ik6WqCs66M6REY/ysPnECYXAAh5eunc4VDQHnshJ
xbG8W/2gv8uXwMoqJubvhJ3+NQKBgQDEtTFELCrw7Tb5zegk5eZ31OUq/1+xVGwL
5OXhloUX5VenEsoz/sHikdNMw2CmqcqRG8DapW5BU7GkIMn0H54z7B8xRS31VhRH
AKfeFlfdKMTbb0uvfc2dagInp+t/HtH8xmzNMr/lAdxbaJek2rSWBHrX8slJYNPP
aBkR1YinuQKBgQDjM+sK2xPSvtPxFr/wUIYqTSh36mmwdi80lOhGB7QKcSof5fFl
wkbwMnMhbBNu2KlKM5YHiMZ5LviSd2ZDku3s67/aPVu2V3/T3+cdH2tOig/V9RvZ
gypoZIsQE5Te1pdW3DslQn3CE7aMQ8NhI8jdUd90uDeRYZmsuzssj6F8iQKBgCG0
4rJJ1zndjBQWIndgJbPW+UX66IzcaH9JQ9L6FehYVkK8x4VNXC/UyR5YRFGKurlO
xicxPclX7BKxw6lfWZ6QEXBB6HQnweXAyQMXVQsCl2j6kz+JERiuN5xP+9yWjWkB
H1eyIIu/W+EV9RY8m8ExF1O1uKQoQWNC9TjHHFmRAoGAFLjqCW4T8idRKdbgb3bN
52dYyhO/VpbC+bNdP+QmL7MV+J1Me2BHrwr6Bvq3pS5kLZDoR65RnswH5fYEZ4uh
G1tFfFox0TgNlwbY6YhLYA95k/5LqD+/SaXUj00E9RgaudnnxqQwIF0r74b7BYAA
KTlhYea6rFCJTWUwvpf8O3A=
-----END PRIVATE KEY-----
-----BEGIN PRIVATE KEY-----
MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQDQ35v2v5ugcAnc
z1L/SALTggYDXNO8bFKUv4DD9s2xf5TLpcsJhVcfRzbpfyvTpadwEugKe3eP19pc
7wU5uwrppNyW80zb8Icsy1xtQzk5cxND4tJYZbQCP+v6et6We2I6Qobi1la/rB89
xkyZM3tTP13vOCR2Nr9gwklcO49b9K+KqmGE/eEtz1uogpHBp0ehtf0Oi+OdPY0I
9k/vMz+3CtycgUZv89ebyn3vIVHxSzpsOlTN/r3lDyRPQcHdMmonEMV18WHNUfVf
C/3nU2a1A2zFdNZBLUE1DTM6oH0hWrtrP4fecy5xUu+TkW6o7AsgTjNGBmo98G3o
5Zn1iagtAgMBAAECggEACWYFEaSxscCA18WgxYRdvjB+U/CSxXUhVSNLKGYxVLs5
0d0KBl8QhRjc/MOLEGOxOvmFepKaK2ffdz7jvw3ZHJtyt+ccOP75HM1MwXeHemaL
bMqmw4arWM48Bcy5ZHo0+Laiyk+x3mo2C1SiKzhAucWi6inzornCwZg/GU5DxzPQ
pw9qVtFomKBjX4k2kbyiq8Kj1oOrvb/NEbuw76RATTvxr5T/8jvURmrKrrGagp5p
byyz2LJdmlIMGoK2BgR1DJ6w4U7jkDRGVMSeZSg+ticTDgQK5FMx+ASWlAbYWvfm
U8+84qxwOy2EMcr51qFg189uEPWQfb9X7PSdjpjsUQKBgQDrYXO8L103oYQN0sd+
x2h1Zrf/Ydf/tV/cDgktP3QLTa5rWZr5TZt++Wg8FY+YFKVpid73Rh47jd0s2hFZ
puzstCdYdmaF5U8mga4XQbNRM6DDzP95rUC0zGW/DyFd68VwvgauPlAIouZUFJVi
NOoKZINozwIw9qcK7/nXCsd7vQKBgQDjK7fFs8DRpuOHMejuMDAv33ryleRnKEE4
2DGMzJhw6cq6nWRKlPaLhyQR35A30hP0F98fKlkblxjexs0BQWC09yQf9dUUXn5s
tMIAkLELnE0TnFXxoVm9Nu2IAsYuHvQv7XbUtsJ/n98sbhPjgyUVktvHzhlNMkOB
K9jI5VHtMQKBgG0Y9jO7IFGwoyxlDeJNOrVvrsjH6P20a4HrX4WBa5/xmW5YUeRL
fE8V+qIevDeZGjIYnSevcEPaNTGcwX30SMxNlA8EkfBtoIoQgUh2Q07XxyP52E/l
ZaBnPKGZubV2mkTvTtlkOGRIXMmL4NFsBS5b+CyUBkf7iuEe6YYqkNthAoGAM0Uf
ocAS6X435cBO6Mr5ZSST9AH+XYXJSpIIhNV8JietuHZjNy3tgsoKSvpg6yg/lpx4
n+kH2WE9nLHTfNALimwovAnYgFNfRxt4mXYObydkgeOLxg/7V+f4rfSqU6hqxhJa
+mEQ/orPbJCfbn6ftQHDFpIeRbztXU7PC3AuEFECgYAB8KnPrpvB9zyyh0+RPLAS
BoGon/saXsI44xww8WbMGy4MRYllhGN4QeMph4mEpZ7UbgKUuypv/5xut+99yrJa
j0TtmdRI6+KGr2H8aBXUsmluIFNFv3hJVYDgD0Wmost4VA+2zvQ76zX4WNY114p9
ZKfCyFl0LAv7mw2ksWUfvw==
-----END PRIVATE KEY-----
-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDVxVaehOAunyAA
9sE4N5hfjx7oiPspzXqATDqMScZpq3rzvbI66klhZLMB8tUkdy2KlnUPaz1YdHYW
UCjkvkKh7Y3s6nz7OEnRswkDVMnqdLytVrEB1x0UKwKlXwNHK6wvYGKYLIJxBTE9
xbqBBfK2VrW5SWMJn/Pnf9FzfZFCkvUcGDm/SQcwRn15YFzTjoZyQZS/C4ELyv5Q
xG+AI+h7x4vbWpAbUERpp2HMTMsxonxitjrBklkk7IJUrQe8g0ISkWbFFmQ3A431
DMH5a5Qg2ajA8z0+I9I+m6x6mw4BP3KZ9AbFVpzUdyOftIErwSsFtumIKRVZJQ0h
+lw0c8SVAgMBAAECggEAFZY56wQMB2k2OCKy3FRw5KV1P5IlmtEPH8mS1/vTN3SD
k/2B9AUYp+cdVIMLFwWZ6bbL12TC6x3HlvU9S+wSmnt8q4H6YPwMKErmDBoR0cU8
EF0CvubUHudA+yYfFJ7KYnZfPnKwMW2OzWgcL09EdTlIXI+WmrA2VxhHNFxnwMsa
/angUhu3JiFFOAucTcdDcKqa67xW5Ch7dynp2SR3LwIQQ0G2fXQMw9Y9CHKszA4c
PixkwAUz/PYNPLiwMrbfeh9+W7ucW+Zn6nBSN6tW9qJ2sAvUhnMvqBvJpO+cOpaX
TE25iRSTp9Og1n2t5LhSoCsjf2BA1XsxCvVoQF+CAQKBgQD01w7Dcw/pqkCPxrem
LlvJpFY3Pjdzy+i3DRcS9bXgPa2L9iBCF/7Xc+Jq/UrlzCDTdFOojXr99SVE4Y8t
lEAUBdR79uL1d6AQt1UA7IkaYh35Y+/wCIRLZNfjIVZ1nP2AhRVbG40JYKO2kGd9
RNMSc96y4f6I8Z1rXUK/EiYbVQKBgQDfg78JrZ+6z+Ppx1xXRzd8q/RbA65GBBrs
h3kGFV1i22nKdnE+VxVOBL1FdkgEi9gkZPXqTlHX+DqVTl8I/G66lT/MvZGU/Bcj
J+RKc1Uu22FZZDAS3ZfdD/EN8Xkog7aduCWymExy3cQVA5lIMyBA72NAOO/SCwAl
XC4W/fOEQQKBgQDTeYV478NI0hLdnIg3c0c4jUcihAylafRhV18cszoaq2tgvn/y
VoN5WNCyFIFCpuObgJhZt4oKHFnKewCOH8SRBtAXGpHB70dD6PX0zFlHfoPhSp6N
tu19qWaG+d6Ry71x6oEdplhVRzFgmK2ql22wPICYBXcylW6gs3bZTjW32QKBgQDM
EkGN2JQJwF1ayMaqeT9T+Lu1jXrEOmNKqbX5s+/7nlDMpa9nN6MgBHu6u++tFvFU
6UkNkExxXxY907w5PCDtAe+qQzp0SGXnlzh8MSkJCwuqziqGTwOktjVkgaAZOYi2
H7drhFnoVkn81bhRjzxXjTmVHWb440pS0gLSwzJfAQKBgGtQ9jlvcvD9nUyY5nFD
y8aGm3HKKELZdVrNoFuBxL9fbLbxcxyEgv7W88n82S+DKSurmY8f79ZilP/AADtN
nZC1bopgfkfQnBYcxoLiV8sb9Jyle5oS4N4OmGQ1lyZxqSUFRSFy+dFy0QQLa5px
dQ6NsO5sdHEdtyB4yu7yWcVC
-----END PRIVATE KEY-----
-----BEGIN PRIVATE KEY-----
MIIG/QIBADANBgkqhkiG9w0BAQEFAASCBucwggbjAgEAAoIBgQCug9ASLcuIOCyN
R2F09WKND005UPyjeloWtZ2mNy3vdkpdIkklEQwjIBmE6EkH1uNxuCNwFLwudfTa
VsljXz5Ti5UIOj3ibwcg5ZtKIg28OBPSsyRoTqQ231qYEUkDr6pxyee+kCOuheOp
ZLe3X+WKbVI7K+ivWyOSXPa56LULpt31Ty14qZ7Y39y57E0+CKTg/Aowp2NdW9uh
CDcyYoqXpWaQNRwsrhce1RFB/q7+BKvi52I5TCtIUNt7tOM60NxyB3yGizAEPm/L
sTw72XjX0/Ce7D4Bcx9/JpJd47dnDGilX6jZCyCjmwP4Um1WnFKnxhuQJt0qEAEM
S0cntWcSlioWs49pnTw2vdeXXj6UyuL+UKjEBbJiBJtFvZttM3ZgSP863bc/2xTO
Og3hPbfxcGZE444/YTKXcbitkX3u0WSkqvhgq0a7SzKJcc/1HzcVBVmPX/AZxZ3g
eK12eS4qeT/mv9XTTZE8qBR33ha3APGi9HCxCSuxcWG6ZTflS9MCAwEAAQKCAYAe
+xqMp6Ga2LIcEKB+BXQN67n/Y1++W+GzZ2GJ2QDoIn1YJFaM5IZdk/zDygLxB9aP
4Ss1YhD4RIuH2WFeKVHkvgJimAhVcvV2gxx64CnFEMWAIbpkZBWmAifQmDz4kQ52
revcujUDbhR5BX7R6I3U8cxn4cconkrl2Ggan/PIEkMUIg7F/YLMKI3EWe1qhllS
8ZuTgJvUvpJyd4VpBfJpsnzPPAZ47hz/pb6vExoY0VZ8bSxUVK/YYjZcs0OltN8q
mRLMzZ+vzONJA+gbBuy8HM1wbQCftNW3uGkOM50iXaym7+PK3QEt6ATG7dDDdKjC
kQAidJuTnBkNxnIX6IO2Un14ot2n/paEEPxfiBi0kkqJ14/4XeDL5FIT3HQhEvZa
OCST1iu3swGFWWS7fmNKYq6k8dG9PrPKGlM/VE6yjNcBajQdQkd666LIsZTIm/IG
1gpMkHkh9ATAZo/x/CS1Ofav+4LAxZNSsnlqrCk9ECia7a0z3Uedbt9Q3ehKKnEC
gcEA3+0ZW3NC42qnVCqGj8f3xiysWOHGuaN5HPtz+8jkGB5VmmZTaLJV4ez/xRFa
tmp24L88rwoMbe7eiv04V/NII3emJj5ccwkiL8t1rbwPoBnvzjaHDsASOvdkOwFb
bFDMWV8rE55pWmGT26u9IKxbIBFyCtlJOsO90BDA20fNRkz6pAWkvKplRZx12kG7
pBK7n5xD5qWIWeaWKolMgMOELuDhoUyYyDHJAJ+RHnlzgBLH7mgtFtcFf3VWE5ul
NjDDAoHBAMeC6AdAW6SBd0xLyuVgOh4mi4FGkUXoovjB+tK0P6SjTlcEaE/zfKKP
+kF6OQFD13W1A1nlREroDdXokcpuWcwNWJ9g31S0SBaO6rgasQalau2a7vVh8MdM
+11H6BZ4BpSxdc16e0gRR3dqQshPd325oT+m3VjVt+p1/BYzVXqStEJBdozQZtRk
6SVtPRiPiEIsfrOdKINTP4vhIoYVc7xohgLGbbhQIzDqOQSfcaWOKGe3ZitBJ/Nq
9bVv1ALHsQKBwGdE4Tzbmy1mMmUOd6A3iH1MfO9AsHVMfr5u+L5Vl1vIIZJjPnQ6
SoE223320u7tioV7rHDNIY5RazCONz3YZJx2wZlBiUFEJRAFtO+6mzoqu/1OCFs1
GTM4hHDx30fEu3k7+pHBrLSR666TNVWsJxpS8VUvgCYpv5AFKev24SRau/yI3cBk
lO/ViERvrCmuufiSCH6GOKu9O+PCDhYUFRHJhETvHka1Lw2qiTKUsD+QacP5J1Ix
N8fgRSIl1bt4IQKBwQC7zZsSsF9TtFcTJ8lfL7ylgw0Q7Nd1Ii6+0QKFcwzxspPc
z5ZNpFrvP26IUj/00+Kut2znIyytAlF7yUfrcQLwVKPWqz6vImE1cuS51s5K/k1w
Ssajj8UyJmH7heOPuv4e3AmTGbeQuEs4unsQydUmMSX7n9x+cfeFKfjZAQt2rUAn
mi25EbeqOS9KftDjHMFb4TyHYOmw7R1FU/DGnMzsTsvPMvA3bqAhvGld06UL/YxF
TVtMXjH4LfgLCbBdyZECgcB5EVnYMv8EFkRXXjeKvp+V8B0XZyDG/viugmrdkIwc
96M3AzaXCWtp1wiTBM7SYMzt13RCnm7GEta23M9paVcOvDqniMSEewGZJUFafMZh
UZEGyjAmTUoufMjPh5ClxlQuJNLaP6HxZZ56qkm6m26ElIknUsmWJr0d1uy2KvXl
S3wY8D4zOXmtjSBoZNUNgddpKjJ0OMhaTVcoZ/CRwuLRxnXl+fpvKKsnWb8qLCM2
E8XM1d42eiyNKP2aDk1KLJg=
-----END PRIVATE KEY-----
-----BEGIN PRIVATE KEY-----
MIIJQgIBADANBgkqhkiG9w0BAQEFAASCCSwwggkoAgEAAoICAQCpzso4gkZQIdvv
diaHGCtFiDs0I7fDSLvIBtnQkvxgjvcL9P/rDiREvvxG/756rbxQrgBgWzvqBw6N
kx8VLtfJxnNQrrUXeQjzM9iiKTRwBuZ6hR3dThgtmK9kkHT4lvmys35AKFJU0NI/
5IgzGpTgoPKCOEvcRSVxlEn9Y/aYwmR+l3t2t8NxSYn9UXQaM25zq7LvvEMfZ/tq
JBV2jKbANkDm+fehRNdaXSmRfymamlI/401LjQElTUNy2Qw535g66if23DxhhcNs
G6KfaMJOttuaIw8N9h5qK4+rbO9sTGfU8Eh5gyL/jPvNS1crM603J9zYVL+kLIpu
zGV7u166mpPbUHRmfwHePyCZm2PfdIzcmPdd2/LoNwH7HXPl/ViazZwCdY5balkk
95yoVgM56aTlHGzJk2NKrf0YEv0eXLPjDh42ESc3lMisrbBWNEK1IIJ5CtIBDsi5
aiJwvjkbBjD7CQTZHb0xGwBphYdZUbXu/M3vEtK376SuEEVqZVu+M2TNHDcohXef
g8i/c99Jf90MIq5+25UC89QfGZFXNAyz038gdoixAgXfKoGRGSpxxC/yKrng10Mr
gKfpwhrvCZ5pyKM6MuZZn5e6sKafpxR9Obgd8yAqHkjlqHfG9X0ypRx6kbZMnqCm
muNrS2WG1qbA3YHrsMkdbsqC1cLHKwIDAQABAoICAEbzhDRjXqzJ0QN36zZEZ4Q4
nYA2MmjTAb9c+XL4j6Jq6hfhaXNWJ9pfsLqbzoOlB0vwwHCCfoDVLQQDxpeLyJdj
J7i9HyatKIuyDKEJNYNfprrn1ygqotiedR7Aa1eZgcDk1epJzsjorgkLXMt5nl5T
cbDug+gILlKMYvQQ6i8+/k2Uzv42X1/9Gb6yY6A1AEAtrGkWUTeUs4zQgfVUZLJo
mOrJ5GnKgW8dASrtpr0WISrXt2rLgoCLDZU10rF11z46q7Mup74Z7aNE0sjntVS9
e/mmD3rGbUPwaqn2rP2j2Ti0o5u+Kwf7aRUJF2WSRJyIt/LeSmr3P2p3VioCitwg
S+w3HWEVscuJu4wufE93LLkVlKjeNaFJxqQd5UdiQMeYteKFGVpSUEKNaqEuUeJf
RpZPN6A4I1oUOFewfHKVq3UmZtCVyhrox1HHYQmfaI7juuV3OfF6WK1pVwVc+3XF
ETLVZVjGhMQ4EulLz669MW14MsovzffMg+OWxBVRgAUhl3tPTMYurzls7OvmfK8P
Spi5tUSVfkFdC7v34B2HLhdM2U6n2irU4/9ASjprLz5Ma9L6LgC8Ghq7yXL9mJKq
ojkmuw77UyvAFlvxtCHwYw8cnJqY3350XjkcibTrJg8BIOUnNkT0VIK/vpss2b3/
VeJA4v4COOrZVX0YPNO5AoIBAQDTtWTVOd80m8twlL6Z0IGFtp14i4DjAag3nMWQ
Q7L4fereP0SnyXIU0ZYGYMCKmomTzUmC5Yqk2GbG0u5Ex6TNw0PTfmZPe48dDk5o
mlqAoGmY+dK1N6enFw73Cjfbyp+kxtFrI5gOvtuq9N8hhIsfh65gOSUm2ceGLIU/
Yu4s2/0CA0g/zB0Lgith95tz+eB3BdKgRvR2zy+UUCsI4oPbwLSdh56P+IntRc7l
aa+FMCruLnfpwsiWarLbZgF5kLTWIc9wVmEvT7GI/dAg1QkgXLn2kyV0t2rghStg
qNB9Dq1vpvkLPmGtsYKLwtiLvOjXcYRctLotpyvDSv0f95QTAoIBAQDNVUoPiRMI
wz2KGVp9RLBSudfDvtVUwreFhsM9cLF+E8bGInude/8+8m3iORTLhA4peUPAeb81
HEnZjvPStE7UPJruDwwQYU5Y7AJgAKKssNy4qJQQ3hQg5kmG3iQ7swFqzRPOKgqe
IYeD9OKfH3o4911bkpfHdt11Ka9953GlhAQ1Parr7UW26JMlHlRq1vm4SBPHpnpb
sllYsKKld3RC4L1RLNndnjiBqNN3zQFpQdwdSKQJqJSdBBDWsQ+NWINheonyny8y
MLjupggov6WB4UCUd3nDWatQ2Sex+CFSUAhm6O1PX2PPO4ARClfBDpuyR1WnPITG
Pi5b+spKQHOJAoIBAEebiEKS84tg0tv+g8WU/+pRTUwTq4Gc8t/0l+Jm86cXOBT6
Q2eZPIwMI/l+SkHXaYdjnWS37UA6rfC8Mblz6atrS4rCqyphOZPzXdQFuWzeVTlX
7sw6yes7YmVuwFwIWh0q3nSlsm3yYmydrMcyhLgidXm4end8m/8nGd7JwJPNyPMg
VxS1HnHhEnltfdgpgaHgh1CND20MQSSiRRwZOc5fjPfngltiDo0B2qxAJg0fsLWl
ZAveRWiTKHILO555sqDnCLoPjYmqI/uZFge05wRaONBNDxM+YtkUUgq8ruBN0Z39
VSlXbUSJ0QUi34nMWNleXQ3aV0rPy36f46QnYp8CggEAGB8j4y1UOhxNl3KhCcRO
/njsmwdJInr5eks5lnctssT5/f7BDOArPSbXt9LC2aG61C51wh/LUZ7wIgnEJQWf
mRlBjiPgY/A6dwHKyaJpeeYRF/Rd6JlePfsvuhNQqF7AFN7gq8COnMMNm3fiQ5U8
E4MjyYUwJXOWUpRCFIVi+XHH2MVU1gB6xyENYDfu7NoyXe7BvBuXljweeOfPQ6cD
1nN2ahndwkY7FyhRJ2rC9q2RATOuaaAPTV7T55THYfB7BrGRkRoYPkow/4ArxzW0
aMygfJCIkmVvVcEdA7BFodjbE9PbRQ7Mt+Sih93yLzDbI5dzvYDDjFJzucR9jTmD
GQKCAQEAiW/mXX7v8UdBpQCurX67VJD5erC8hBB+OFqwaWaX3yh7DAr3NPX3WM5U
Lm07Gib7O2XKngsruQjL7wepWhy0W3nUPcyBy4YGfDD2/xJHBiqXktHI9AA54gVV
DrVZv2ENDdl0fVHIcX5PwpOPr73X81JMTwN1csX5Fyd3bJcwhzBtwWn92JzIc8+/
MFWGVYeTsBU4BBNJGzlEnaDbTIpjF8eHfyNVfXiW+0SULBOlwA61Ym9Yc0pMdX3p
a4gUTwtbOhgau1nNRtUcwfmDunAIxyg0WTAAWNT9sVS7/NMnR6+5ozB3tOJyU0NB
zog8bPcjGYWPboS1ftMrFOmiQ8bGEw==
-----END PRIVATE KEY-----
"""
