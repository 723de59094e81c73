#!/usr/bin/python3
"""Configures a fresh glewlwyd (started by bench/run.sh on 127.0.0.1) for the
client_credentials comparison: the OIDC plugin with an ES256 key, a scope and
a confidential client using client_secret_basic with a plain client_secret.
Usage: glewlwyd_setup.py BASE_URL CLIENT_ID CLIENT_SECRET"""
import base64
import json
import sys

import requests
from cryptography.hazmat.primitives.asymmetric import ec


def b64u(n):
    return base64.urlsafe_b64encode(n.to_bytes(32, "big")).rstrip(b"=").decode()


def main():
    base, client_id, secret = sys.argv[1:4]
    s = requests.Session()

    def call(method, path, body):
        r = s.request(method, base + path, json=body, timeout=30)
        if r.status_code >= 300:
            sys.exit(f"glewlwyd_setup: {method} {path} -> {r.status_code} {r.text[:300]}")

    call("POST", "/api/auth/", {"username": "admin", "password": "password"})
    key = ec.generate_private_key(ec.SECP256R1())
    pub = key.public_key().public_numbers()
    jwk = {"kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": "bench-es256",
           "x": b64u(pub.x), "y": b64u(pub.y), "d": b64u(key.private_numbers().private_value)}
    call("POST", "/api/mod/plugin/", {
        "module": "oidc", "name": "oidc", "display_name": "oidc", "enabled": True,
        "parameters": {
            "iss": base + "/api/oidc", "jwks-private": json.dumps({"keys": [jwk]}),
            "default-kid": "bench-es256", "jwks-show": True,
            "access-token-duration": 3600, "refresh-token-duration": 1209600,
            "code-duration": 600, "allow-non-oidc": True,
            "auth-type-client-enabled": True, "auth-type-code-enabled": True,
            "auth-type-refresh-enabled": True, "subject-type": "public", "scope": [],
        }})
    call("POST", "/api/scope/", {"name": "api1", "display_name": "api1",
                                 "description": "bench", "password_required": False,
                                 "scheme": {}})
    call("POST", "/api/client/", {
        "client_id": client_id, "name": client_id, "confidential": True,
        "client_secret": secret, "authorization_type": ["client_credentials"],
        "scope": ["api1"], "enabled": True, "redirect_uri": [],
        "token_endpoint_auth_method": ["client_secret_basic", "client_secret_post"]})


if __name__ == "__main__":
    main()
