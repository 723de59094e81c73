"""Shared helpers of the black-box API tests (test/api/).

Import with ``from helpers import *`` or ``import helpers as h`` (pytest puts
test/api/ on sys.path through its rootdir-relative conftest).  Everything here
talks to a *running* bioauthd over HTTP, or runs build/bioauthctl on the
server's database; nothing reaches into the server's internals.

Conventions
-----------
``base``  the server's base URL, e.g. ``"http://127.0.0.1:40123"`` (no
          trailing slash).  Any object with a ``url`` (or ``base_url``)
          attribute is accepted too, e.g. the server object of conftest.py.
``db``    the server's database path (what ``bioauthctl --db`` takes).  Any
          object with a ``db`` (or ``db_path``) attribute is accepted too.
``app``   the dict ``bioauthctl app create`` prints: ``app_id``,
          ``client_id``, ``client_secret``, ``name``, ``resources``, ...

Every HTTP helper returns the raw ``requests.Response`` unless its name says
it returns a value (``client_token`` returns the token string, ...); the
value-returning helpers assert the expected status with a message that shows
the server's answer, so a failing test says what the server did.

Public API (stable; other test modules import it):
    BUILD, BIOAUTHD, BIOAUTHCTL, HTTP_TIMEOUT
    b64url_encode, b64url_decode, b64_encode
    base_url, db_path, url, bearer, basic_auth
    ctl, create_app, create_user_ctl, user_token_ctl,
        rotate_signing_key, list_signing_keys, CtlError
    discovery, fetch_jwks, jwk_for, verify_jwt, decode_unverified, header_of
    token_request, client_token, client_token_response
    create_user, get_user, delete_user, unique_name
    password_login, password_login_response, refresh, refresh_oauth, logout,
        new_user_session, DEFAULT_PASSWORD
    introspect, revoke
    assert_error, assert_oauth_error
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import urllib.parse
from pathlib import Path
from typing import Any, Iterable, Optional

import jwt  # PyJWT (python3-jwt)
import requests

REPO = Path(__file__).resolve().parents[2]
#: The build directory holding bioauthd and bioauthctl (``make api`` sets
#: BIOAUTH_BUILD; the default is ./build of the repository).
BUILD = Path(os.environ.get("BIOAUTH_BUILD", str(REPO / "build")))
BIOAUTHD = BUILD / "bioauthd"
BIOAUTHCTL = BUILD / "bioauthctl"
#: Seconds any single HTTP request may take before the test fails; a
#: server under valgrind (BIOAUTH_VALGRIND=1, 20-50x slower: one Argon2id
#: verification alone takes seconds) gets as long as conftest gives it.
HTTP_TIMEOUT = 60 if os.environ.get("BIOAUTH_VALGRIND") == "1" else 10

DEFAULT_PASSWORD = "correct horse battery staple"


# --------------------------------------------------------------------------
# encodings

def b64url_encode(data: bytes) -> str:
    """base64url without padding (RFC 7515 section 2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decodes base64url with or without padding."""
    if isinstance(text, bytes):
        text = text.decode("ascii")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64_encode(data: bytes) -> str:
    """Standard base64 with padding."""
    return base64.b64encode(data).decode("ascii")


# --------------------------------------------------------------------------
# addressing

def base_url(base: Any) -> str:
    """The base URL of `base` (a string or an object with .url/.base_url)."""
    if isinstance(base, str):
        return base.rstrip("/")
    for attr in ("url", "base_url", "base"):
        v = getattr(base, attr, None)
        if isinstance(v, str):
            return v.rstrip("/")
    raise TypeError(f"not a server or URL: {base!r}")


def db_path(db: Any) -> str:
    """The database path of `db` (a path or an object with .db/.db_path)."""
    if isinstance(db, (str, os.PathLike)):
        return os.fspath(db)
    for attr in ("db", "db_path"):
        v = getattr(db, attr, None)
        if isinstance(v, (str, os.PathLike)):
            return os.fspath(v)
    raise TypeError(f"not a database or server: {db!r}")


def url(base: Any, path: str) -> str:
    """Joins the base URL and an absolute path ("/v1/users")."""
    return base_url(base) + path


def bearer(token: str) -> dict:
    """The Authorization header of a bearer token."""
    return {"Authorization": f"Bearer {token}"}


def basic_auth(client_id: str, client_secret: str) -> dict:
    """The Authorization header of HTTP Basic client authentication, with
    id and secret form-encoded first as RFC 6749 section 2.3.1 asks."""
    ident = urllib.parse.quote_plus(client_id)
    secret = urllib.parse.quote_plus(client_secret)
    raw = f"{ident}:{secret}".encode("utf-8")
    return {"Authorization": "Basic " + b64_encode(raw)}


def unique_name(prefix: str = "u") -> str:
    """A fresh name (usernames, app names) unlikely to collide."""
    return f"{prefix}-{secrets.token_hex(6)}"


# --------------------------------------------------------------------------
# bioauthctl

class CtlError(AssertionError):
    """bioauthctl exited non-zero; .returncode, .stdout, .stderr."""

    def __init__(self, args, proc):
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        super().__init__(f"bioauthctl {' '.join(args)} exited {proc.returncode}: "
                         f"stdout={proc.stdout!r} stderr={proc.stderr!r}")


_pg_secrets: Optional[str] = None


def pg_secrets_file() -> str:
    """The secrets file (--secrets-file) every PostgreSQL server and
    bioauthctl of the test session share: PostgreSQL has no data directory
    to make one in. Made (0600, one random secret) at first use."""
    global _pg_secrets
    if _pg_secrets is None:
        import atexit
        import shutil
        import tempfile
        d = tempfile.mkdtemp(prefix="bioauth-pg-secrets-")
        atexit.register(shutil.rmtree, d, True)
        path = os.path.join(d, "secrets")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(b64url_encode(secrets.token_bytes(32)) + "\n")
        _pg_secrets = path
    return _pg_secrets


def is_postgres_url(db: Any) -> bool:
    return str(db).startswith(("postgres://", "postgresql://"))


def ctl(db: Any, *args: str, stdin: Optional[str] = None, check: bool = True,
        extra_opts: Iterable[str] = ()) -> Any:
    """Runs ``bioauthctl --db DB [extra_opts] ARGS...`` and returns its JSON
    output (parsed).  With check=False returns the CompletedProcess instead.
    Raises CtlError when it fails and check is true. On PostgreSQL the
    session's secrets file is passed (pg_secrets_file)."""
    argv = [str(BIOAUTHCTL), "--db", db_path(db), *extra_opts, *args]
    if is_postgres_url(db_path(db)) and not any(str(o).startswith("--secrets-file")
                                                for o in extra_opts):
        argv[3:3] = ["--secrets-file", pg_secrets_file()]
    proc = subprocess.run(argv, input=stdin, capture_output=True, text=True,
                          timeout=60)
    if not check:
        return proc
    if proc.returncode != 0:
        raise CtlError(argv[1:], proc)
    try:
        return json.loads(proc.stdout)
    except ValueError as e:
        raise AssertionError(f"bioauthctl {' '.join(args)} printed no JSON: "
                             f"{proc.stdout!r} ({e})") from e


def create_app(db: Any, name: Optional[str] = None,
               resources: Iterable[str] = ("https://api.example.test",)) -> dict:
    """Creates an app with bioauthctl; returns its JSON (with client_secret).
    The first resource is the app's default audience."""
    args = ["app", "create", "--name", name or unique_name("app")]
    for r in resources:
        args += ["--resource", r]
    app = ctl(db, *args)
    for k in ("app_id", "client_id", "client_secret"):
        assert isinstance(app.get(k), str) and app[k], f"app create: no {k}: {app}"
    return app


def create_user_ctl(db: Any, username: Optional[str] = None,
                    password: Optional[str] = None,
                    user_id: Optional[str] = None) -> dict:
    """Creates a user with bioauthctl; returns its JSON ({user_id, ...})."""
    args = ["user", "create"]
    if username is not None:
        args += ["--username", username]
    if user_id is not None:
        args += ["--user-id", user_id]
    if password is not None:
        args += ["--password-stdin"]
    return ctl(db, *args, stdin=(password + "\n") if password is not None else None)


def user_token_ctl(db: Any, user_id: str, client_id: str,
                   issuer: Optional[str] = None) -> dict:
    """``bioauthctl user token``: {access_token, token_type, expires_in}.

    bioauthctl signs with the issuer bioauthd recorded in the database at
    start; the issuer is still passed with ``--issuer`` (`issuer` if given,
    else, when `db` is a server object with a url, the issuer the server's
    discovery document names) so that a server's restart with another
    issuer on a shared database cannot change what a test gets."""
    opts = []
    if issuer is None and not isinstance(db, (str, os.PathLike)):
        issuer = discovery(db)["issuer"]
    if issuer is not None:
        opts = ["--issuer", issuer]
    return ctl(db, "user", "token", "--user-id", user_id, "--client-id", client_id,
               extra_opts=opts)


def rotate_signing_key(db: Any, *extra: str) -> Any:
    """``bioauthctl signing-key rotate`` (prints the new key's description)."""
    return ctl(db, "signing-key", "rotate", *extra)


def list_signing_keys(db: Any) -> Any:
    """``bioauthctl signing-key list``."""
    return ctl(db, "signing-key", "list")


# --------------------------------------------------------------------------
# discovery, JWKS and JWT verification

def discovery(base: Any, path: str = "/oidc/.well-known/openid-configuration") -> dict:
    """The OpenID configuration document (asserts 200 + JSON)."""
    r = requests.get(url(base, path), timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, f"GET {path}: {r.status_code} {r.text!r}"
    return r.json()


def fetch_jwks(base: Any) -> dict:
    """The served JWKS of /oidc/jwks (asserts 200 and a "keys" array)."""
    r = requests.get(url(base, "/oidc/jwks"), timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, f"GET /oidc/jwks: {r.status_code} {r.text!r}"
    doc = r.json()
    assert isinstance(doc.get("keys"), list), f"JWKS without keys: {doc}"
    return doc


def decode_unverified(token: str) -> tuple:
    """(header, claims) of a compact JWS, without checking anything."""
    parts = token.split(".")
    assert len(parts) == 3, f"not a compact JWS: {token[:40]!r}..."
    return (json.loads(b64url_decode(parts[0])), json.loads(b64url_decode(parts[1])))


def header_of(token: str) -> dict:
    """The JOSE header of a compact JWS."""
    return decode_unverified(token)[0]


_ALG_BY_KEY = {("EC", "P-256"): "ES256", ("RSA", None): "RS256",
               ("OKP", "Ed25519"): "EdDSA"}


def jwk_for(jwks: dict, kid: str) -> dict:
    """The JWK of `kid` in a JWKS document (asserts that it is there)."""
    found = [k for k in jwks["keys"] if k.get("kid") == kid]
    assert len(found) == 1, (f"kid {kid!r} is published {len(found)} times in the "
                             f"JWKS (kids: {[k.get('kid') for k in jwks['keys']]})")
    return found[0]


def verify_jwt(base_or_jwks: Any, token: str, *, audience: Optional[str] = None,
               issuer: Optional[str] = None, typ: Optional[str] = None,
               leeway: int = 0) -> dict:
    """Verifies `token` with PyJWT against the served JWKS and returns its
    claims.

    The key is the JWK whose kid the token's header names; the algorithm is
    the JWK's ``alg`` (or the one its kty/crv implies) -- never the token's.
    `base_or_jwks` is a server/base URL (the JWKS is fetched) or a JWKS dict.
    `audience` and `issuer`, when given, are checked by PyJWT; exp/iat are
    always checked (with `leeway`).  `typ`, when given, must equal the
    header's typ."""
    jwks = base_or_jwks if isinstance(base_or_jwks, dict) else fetch_jwks(base_or_jwks)
    header = header_of(token)
    assert "kid" in header, f"token header has no kid: {header}"
    if typ is not None:
        assert header.get("typ") == typ, f"typ {header.get('typ')!r}, want {typ!r}"
    jwk = jwk_for(jwks, header["kid"])
    alg = jwk.get("alg") or _ALG_BY_KEY.get((jwk.get("kty"),
                                             None if jwk.get("kty") == "RSA" else jwk.get("crv")))
    assert alg, f"cannot tell the algorithm of JWK {jwk}"
    key = jwt.PyJWK(jwk, algorithm=alg).key
    options = {"require": ["exp", "iat"], "verify_aud": audience is not None}
    return jwt.decode(token, key=key, algorithms=[alg], audience=audience,
                      issuer=issuer, leeway=leeway, options=options)


# --------------------------------------------------------------------------
# errors

def assert_error(r: requests.Response, status: int, code: Optional[str] = None):
    """Asserts a /v1-style error: `status` and {"error_code": code, "message"}."""
    assert r.status_code == status, (f"{r.request.method} {r.request.path_url}: "
                                     f"want {status}, got {r.status_code} {r.text!r}")
    if code is not None:
        body = r.json()
        assert body.get("error_code") == code, f"want error_code {code!r}: {body}"
        assert isinstance(body.get("message"), str), f"no message: {body}"


def assert_oauth_error(r: requests.Response, status: int, error: str):
    """Asserts an RFC 6749 error: `status` and {"error": error, ...}."""
    assert r.status_code == status, (f"{r.request.method} {r.request.path_url}: "
                                     f"want {status}, got {r.status_code} {r.text!r}")
    body = r.json()
    assert body.get("error") == error, f"want error {error!r}: {body}"
    if "error_description" in body:
        assert isinstance(body["error_description"], str), body


def assert_no_store(r: requests.Response):
    """A token response must not be cached (RFC 6749 section 5.1)."""
    cc = [p.strip().lower() for p in r.headers.get("Cache-Control", "").split(",")]
    assert "no-store" in cc, f"token response without Cache-Control: no-store: {r.headers}"


# --------------------------------------------------------------------------
# is this token accepted? (each probe has exactly two documented answers)

def mb_delete(base: Any, token: str) -> requests.Response:
    """DELETE /v1/auth/mobile-biometrics/delete of a key nobody has (a
    user-token endpoint): 404 with a valid user token."""
    return requests.delete(url(base, "/v1/auth/mobile-biometrics/delete"),
                           json={"publicKeyId": "no-such-key"}, headers=bearer(token),
                           timeout=HTTP_TIMEOUT)


def client_token_accepted(base: Any, token: str) -> bool:
    """True when `token` passes as a client token (GET of an unknown user is
    404 not_found), False when refused (401 invalid_token with a Bearer
    challenge)."""
    r = get_user(base, token, "no-such-user-" + unique_name())
    if r.status_code == 401:
        assert_error(r, 401, "invalid_token")
        assert r.headers.get("WWW-Authenticate", "").lower().startswith("bearer"), r.headers
        return False
    assert_error(r, 404, "not_found")
    return True


def user_token_accepted(base: Any, token: str) -> bool:
    """True when `token` passes as a user token (deleting an unknown key is
    404 not_found), False when refused (401 invalid_token)."""
    r = mb_delete(base, token)
    if r.status_code == 401:
        assert_error(r, 401, "invalid_token")
        return False
    assert_error(r, 404, "not_found")
    return True


def user_token_kind_ok(base: Any, token: str) -> bool:
    """True when `token` is a valid user token shown to a client-token
    endpoint (403 wrong_token_kind), False when refused as invalid or
    revoked (401 invalid_token)."""
    r = get_user(base, token, "nobody")
    if r.status_code == 401:
        assert_error(r, 401, "invalid_token")
        return False
    assert_error(r, 403, "wrong_token_kind")
    return True


# --------------------------------------------------------------------------
# /oidc/token and client tokens

def token_request(base: Any, data: Any, *, headers: Optional[dict] = None,
                  path: str = "/oidc/token") -> requests.Response:
    """POSTs form data (a dict, or a list of pairs to repeat parameters, or a
    pre-encoded string) to an /oidc endpoint."""
    h = {"Content-Type": "application/x-www-form-urlencoded"}
    h.update(headers or {})
    if not isinstance(data, (str, bytes)):
        data = urllib.parse.urlencode(data)
    return requests.post(url(base, path), data=data, headers=h, timeout=HTTP_TIMEOUT)


def _client_auth(app: dict, method: str, data: list) -> dict:
    if method == "basic":
        return basic_auth(app["client_id"], app["client_secret"])
    if method == "post":
        data += [("client_id", app["client_id"]), ("client_secret", app["client_secret"])]
        return {}
    raise ValueError(f"client auth method {method!r}: use 'basic' or 'post'")


def client_token_response(base: Any, app: dict, resource: Optional[str] = None,
                          method: str = "basic") -> requests.Response:
    """POST /oidc/token grant_type=client_credentials for `app`, authenticated
    by HTTP Basic (method="basic") or body parameters (method="post")."""
    data = [("grant_type", "client_credentials")]
    if resource is not None:
        data.append(("resource", resource))
    headers = _client_auth(app, method, data)
    return token_request(base, data, headers=headers)


def client_token(base: Any, app: dict, resource: Optional[str] = None,
                 method: str = "basic") -> str:
    """A client access token of `app` (asserts 200)."""
    r = client_token_response(base, app, resource, method)
    assert r.status_code == 200, f"client_credentials: {r.status_code} {r.text!r}"
    return r.json()["access_token"]


def introspect(base: Any, app: dict, token: str, method: str = "basic",
               extra: Iterable = ()) -> requests.Response:
    """POST /oidc/token/introspection of `token`, as client `app`."""
    data = [("token", token), *extra]
    headers = _client_auth(app, method, data)
    return token_request(base, data, headers=headers, path="/oidc/token/introspection")


def revoke(base: Any, app: dict, token: str, method: str = "basic",
           extra: Iterable = ()) -> requests.Response:
    """POST /oidc/token/revocation of `token`, as client `app`."""
    data = [("token", token), *extra]
    headers = _client_auth(app, method, data)
    return token_request(base, data, headers=headers, path="/oidc/token/revocation")


def refresh_oauth(base: Any, app: dict, refresh_token: str,
                  method: str = "basic") -> requests.Response:
    """POST /oidc/token grant_type=refresh_token, as client `app`."""
    data = [("grant_type", "refresh_token"), ("refresh_token", refresh_token)]
    headers = _client_auth(app, method, data)
    return token_request(base, data, headers=headers)


# --------------------------------------------------------------------------
# /v1 users, password login, refresh, logout

def _post_json(base: Any, path: str, token: Optional[str], body: Any) -> requests.Response:
    headers = bearer(token) if token is not None else {}
    return requests.post(url(base, path), json=body, headers=headers, timeout=HTTP_TIMEOUT)


def create_user(base: Any, ctoken: str, username: Optional[str] = None,
                password: Optional[str] = None, user_id: Optional[str] = None,
                expect: Optional[int] = 201) -> Any:
    """POST /v1/users with a client token.  With expect (default 201) asserts
    the status and returns the user (the body's "result"); with expect=None
    returns the raw response."""
    body = {}
    if username is not None:
        body["username"] = username
    if password is not None:
        body["password"] = password
    if user_id is not None:
        body["user_id"] = user_id
    r = _post_json(base, "/v1/users", ctoken, body)
    if expect is None:
        return r
    assert r.status_code == expect, f"POST /v1/users: {r.status_code} {r.text!r}"
    return r.json()["result"]


def get_user(base: Any, ctoken: Optional[str], user_id: str) -> requests.Response:
    """GET /v1/users/{user_id} (user_id is percent-encoded)."""
    return requests.get(url(base, "/v1/users/" + urllib.parse.quote(user_id, safe="")),
                        headers=bearer(ctoken) if ctoken else {}, timeout=HTTP_TIMEOUT)


def delete_user(base: Any, ctoken: Optional[str], user_id: str) -> requests.Response:
    """DELETE /v1/users/{user_id}."""
    return requests.delete(url(base, "/v1/users/" + urllib.parse.quote(user_id, safe="")),
                           headers=bearer(ctoken) if ctoken else {}, timeout=HTTP_TIMEOUT)


def password_login_response(base: Any, ctoken: str, username: str, password: str,
                            **options: Any) -> requests.Response:
    """POST /v1/auth/password/authenticate; `options` are added to the body
    (resource, claims, org_id, client_attributes, session_id)."""
    body = {"username": username, "password": password, **options}
    return _post_json(base, "/v1/auth/password/authenticate", ctoken, body)


def password_login(base: Any, ctoken: str, username: str, password: str,
                   **options: Any) -> dict:
    """A successful password login (asserts 200): {access_token, id_token,
    refresh_token, token_type, expires_in, session_id}."""
    r = password_login_response(base, ctoken, username, password, **options)
    assert r.status_code == 200, f"password login: {r.status_code} {r.text!r}"
    return r.json()


def refresh(base: Any, ctoken: str, refresh_token: str) -> requests.Response:
    """POST /v1/auth/token/refresh with a client token."""
    return _post_json(base, "/v1/auth/token/refresh", ctoken, {"refresh_token": refresh_token})


def logout(base: Any, ctoken: str, session_id: str) -> requests.Response:
    """POST /v1/auth/session/logout with a client token."""
    return _post_json(base, "/v1/auth/session/logout", ctoken, {"session_id": session_id})


def new_user_session(base: Any, ctoken: str, password: str = DEFAULT_PASSWORD,
                     **options: Any) -> tuple:
    """Creates a user with a fresh username and `password` through the API and
    logs them in: returns (user_json, login_json)."""
    name = unique_name("user")
    user = create_user(base, ctoken, username=name, password=password)
    return user, password_login(base, ctoken, name, password, **options)
