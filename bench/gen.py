#!/usr/bin/python3
"""gen.py - builds the request files that bench/loadgen replays.

Every request is rendered to raw HTTP/1.1 bytes ahead of the timed run, so
the load generator only writes bytes; every authenticate request carries its
own challenge, already signed with the device key it names (the signing is
the phone's work, not the server's, and must not load the machine during a
measurement).

Output: FILE with records "@<tag> <length>\\n<raw request>\\n" and FILE.meta
with one JSON line per request (user, key...) for later steps. Responses
saved by `loadgen --responses` ("<tag> <index> <status> <body>" lines) feed
the steps that need server-made values: /start challenges, refresh tokens,
user access tokens.

Subcommands (see --help of each):
  cc           one client_credentials token request (replayed with --repeat)
  start        POST /v1/auth/mobile-biometrics/start for random users
  auth-client  authenticate with client-made challenges (32 random bytes each)
  auth-start   authenticate with /start challenges taken from saved responses
  refresh      POST /v1/auth/token/refresh with refresh tokens from responses
  refresh-next the refresh requests still usable after a run: the ones not
               sent yet plus one per refresh token the run got back (a refresh
               scenario split in rounds goes on with the tokens it was given)
  register     POST /v1/auth/mobile-biometrics/register with user tokens
  mix          interleave request files in given proportions
"""
import argparse
import base64
import json
import os
import random
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

JSON_CT = "application/json"


def render(method, path, headers, body):
    """Raw HTTP/1.1 request bytes (keep-alive, Host without port)."""
    if isinstance(body, str):
        body = body.encode()
    head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1"]
    head += [f"{k}: {v}" for k, v in headers]
    head.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


class Writer:
    """Writes request records and their metadata side by side."""

    def __init__(self, path):
        self.f = open(path, "wb")
        self.m = open(path + ".meta", "w")
        self.n = 0

    def add(self, tag, raw, meta=None):
        self.f.write(b"@%s %d\n" % (tag.encode(), len(raw)))
        self.f.write(raw)
        self.f.write(b"\n")
        self.m.write(json.dumps(meta or {}) + "\n")
        self.n += 1

    def close(self):
        self.f.close()
        self.m.close()
        if os.environ.get("GEN_VERBOSE"):
            print(f"gen: {self.n} requests -> {self.f.name}", file=sys.stderr)


def read_records(path):
    """(tag, raw) records of a request file."""
    data = open(path, "rb").read()
    out, i = [], 0
    while i < len(data):
        if data[i:i + 1] == b"\n":
            i += 1
            continue
        nl = data.index(b"\n", i)
        tag, length = data[i + 1:nl].split(b" ")
        length = int(length)
        out.append((tag.decode(), data[nl + 1:nl + 1 + length]))
        i = nl + 1 + length
    return out


def read_meta(path):
    with open(path + ".meta") as f:
        return [json.loads(line) for line in f]


def ok_responses(path):
    """[(index, body dict)] of the 200 responses in a loadgen responses file,
    by request index."""
    out = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            parts = line.rstrip("\n").split(" ", 3)
            if len(parts) == 4 and parts[2] == "200":
                try:
                    out.append((int(parts[1]), json.loads(parts[3])))
                except ValueError:
                    pass
    out.sort(key=lambda x: x[0])
    return out


def take_range(items, spec):
    """The slice of `items` given by "a:b" fractions (0:1 = all)."""
    a, b = (float(x) for x in spec.split(":"))
    n = len(items)
    return items[int(a * n):int(b * n)]


def load_pool(path):
    keys = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                keys.append(ec.derive_private_key(int(line, 16), ec.SECP256R1()))
    return keys


def sign_b64(key, text):
    sig = key.sign(text.encode(), ec.ECDSA(hashes.SHA256()))
    return base64.b64encode(sig).decode()


def bearer(token):
    return [("Authorization", f"Bearer {token}"), ("Content-Type", JSON_CT)]


def user_id(prefix, u):
    return f"{prefix}u{u:07d}"


def key_id(prefix, k):
    return f"{prefix}k{k:07d}"


def cmd_cc(a):
    w = Writer(a.out)
    body = "grant_type=client_credentials" + (("&" + a.extra) if a.extra else "")
    basic = base64.b64encode(f"{a.client_id}:{a.client_secret}".encode()).decode()
    w.add(a.tag, render("POST", a.path, [("Authorization", f"Basic {basic}"),
                                          ("Content-Type", "application/x-www-form-urlencoded")],
                        body))
    w.close()


def cmd_start(a):
    rnd = random.Random(a.seed)
    w = Writer(a.out)
    users = (a.keys + a.per_user - 1) // a.per_user
    for _ in range(a.count):
        u = rnd.randrange(users)
        body = json.dumps({"user_id": user_id(a.prefix, u), "timeout": 3600},
                          separators=(",", ":"))
        w.add("start", render("POST", "/v1/auth/mobile-biometrics/start", bearer(a.token), body),
              {"u": u})
    w.close()


def auth_request(a, pool, u, k, challenge):
    body = json.dumps({"user_id": user_id(a.prefix, u), "key_id": key_id(a.prefix, k),
                       "challenge": challenge,
                       "signature": sign_b64(pool[k % len(pool)], challenge)},
                      separators=(",", ":"))
    return render("POST", "/v1/auth/mobile-biometrics/authenticate", bearer(a.token), body)


def cmd_auth_client(a):
    rnd = random.Random(a.seed)
    pool = load_pool(a.pool)
    w = Writer(a.out)
    for _ in range(a.count):
        k = rnd.randrange(a.keys)
        u = k // a.per_user
        challenge = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
        w.add(a.tag, auth_request(a, pool, u, k, challenge), {"u": u, "k": k})
    w.close()


def paired_ok(requests, responses):
    """[(request meta, response body)] of the 200 responses of several
    (request file, responses file) pairs, file after file, by request index."""
    if len(requests) != len(responses):
        sys.exit("gen: --requests and --responses must come in pairs")
    got = []
    for reqf, resp in zip(requests, responses):
        meta = read_meta(reqf)
        got += [(meta[i], b) for i, b in ok_responses(resp)]
    return got


def cmd_auth_start(a):
    rnd = random.Random(a.seed)
    pool = load_pool(a.pool)
    w = Writer(a.out)
    got = take_range(paired_ok(a.requests, a.responses), a.range)[a.skip:]
    for m, body in got[:a.max]:
        u = m["u"]
        k = u * a.per_user + rnd.randrange(a.per_user)
        w.add("auth_start", auth_request(a, pool, u, k, body["challenge"]), {"u": u, "k": k})
    w.close()


def refresh_request(a, token):
    rt = json.dumps({"refresh_token": token}, separators=(",", ":"))
    return render("POST", "/v1/auth/token/refresh", bearer(a.token), rt)


def cmd_refresh(a):
    w = Writer(a.out)
    got = paired_ok(a.requests, a.responses)
    for m, body in take_range(got, a.range)[:a.max]:
        w.add("refresh", refresh_request(a, body["refresh_token"]), m)
    w.close()


def cmd_refresh_next(a):
    """Requests a.offset.. of the refresh file (never sent, their tokens are
    unused), then a refresh of each token returned in the run's responses
    (200 answers to requests of that file). A token sent but not answered is
    dropped: it may have been used, and a used token is never replayed (that
    would revoke its session). Prints how many requests it wrote."""
    recs, meta = read_records(a.requests), read_meta(a.requests)
    w = Writer(a.out)
    for (tag, raw), m in zip(recs[a.offset:], meta[a.offset:]):
        w.add(tag, raw, m)
    for idx, body in ok_responses(a.responses):
        if "refresh_token" in body:
            w.add("refresh", refresh_request(a, body["refresh_token"]), meta[idx])
    w.close()
    print(w.n)


def cmd_register(a):
    rnd = random.Random(a.seed)
    pool = load_pool(a.pool)
    spki = [base64.b64encode(k.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).decode()
        for k in pool]
    users = {}
    for m, body in take_range(paired_ok(a.requests, a.responses), a.range):
        users.setdefault(m["u"], body)
    slots = a.slots
    if a.min_count and users:
        slots = max(slots, -(-a.min_count // len(users)))
    if slots > a.max_slots:
        print(f"gen: register: {a.min_count} requests would need {slots} keys for each of "
              f"{len(users)} users; capped at {a.max_slots}", file=sys.stderr)
        slots = a.max_slots
    reqs = []
    for u, body in users.items():
        for j in range(slots):
            kid = f"{a.prefix}r{a.id_tag}{u:07d}_{j}"
            reg = json.dumps({"publicKey": rnd.choice(spki), "publicKeyId": kid,
                              "os": "ios" if j % 2 else "android",
                              "displayName": f"bench phone {j}"}, separators=(",", ":"))
            reqs.append((render("POST", "/v1/auth/mobile-biometrics/register",
                                bearer(body["access_token"]), reg), {"u": u, "kid": kid}))
    rnd.shuffle(reqs)
    w = Writer(a.out)
    for raw, m in reqs:
        w.add("register", raw, m)
    w.close()


def cmd_mix(a):
    rnd = random.Random(a.seed)
    parts = []
    for spec in a.part:
        fields = spec.split(":")
        recs = read_records(fields[0])
        parts.append((recs, float(fields[1]), len(fields) > 2 and fields[2] == "repeat"))
    total_w = sum(p[1] for p in parts)
    length = min(len(r) / (wt / total_w) for r, wt, rep in parts if not rep)
    out = []
    for recs, wt, rep in parts:
        n = int(length * wt / total_w)
        out += [recs[i % len(recs)] for i in range(n)] if rep else recs[:n]
    rnd.shuffle(out)
    w = Writer(a.out)
    for tag, raw in out:
        w.add(tag, raw)
    w.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)

    def common(s, token=True):
        s.add_argument("--out", required=True)
        s.add_argument("--seed", type=int, default=1)
        if token:
            s.add_argument("--token", required=True, help="client access token")

    def keyspace(s):
        s.add_argument("--prefix", default="b")
        s.add_argument("--per-user", type=int, default=2)
        s.add_argument("--pool", required=True, help="private scalars from populate")

    s = sub.add_parser("cc")
    common(s, token=False)
    s.add_argument("--client-id", required=True)
    s.add_argument("--client-secret", required=True)
    s.add_argument("--path", default="/oidc/token")
    s.add_argument("--extra", default="", help="more form fields, e.g. scope=api1")
    s.add_argument("--tag", default="cc")
    s.set_defaults(fn=cmd_cc)

    s = sub.add_parser("start")
    common(s)
    s.add_argument("--prefix", default="b")
    s.add_argument("--per-user", type=int, default=2)
    s.add_argument("--keys", type=int, required=True)
    s.add_argument("--count", type=int, required=True)
    s.set_defaults(fn=cmd_start)

    s = sub.add_parser("auth-client")
    common(s)
    keyspace(s)
    s.add_argument("--keys", type=int, required=True)
    s.add_argument("--count", type=int, required=True)
    s.add_argument("--tag", default="auth_client")
    s.set_defaults(fn=cmd_auth_client)

    s = sub.add_parser("auth-start")
    common(s)
    keyspace(s)
    s.add_argument("--requests", action="append", required=True,
                   help="a /start request file (repeat, paired with --responses)")
    s.add_argument("--responses", action="append", required=True)
    s.add_argument("--range", default="0:1")
    s.add_argument("--skip", type=int, default=0, help="leave out the first N challenges")
    s.add_argument("--max", type=int, default=None, help="at most this many requests")
    s.set_defaults(fn=cmd_auth_start)

    s = sub.add_parser("refresh")
    common(s)
    s.add_argument("--requests", action="append", required=True,
                   help="an authenticate request file (repeat, paired with --responses)")
    s.add_argument("--responses", action="append", required=True)
    s.add_argument("--range", default="0:1")
    s.add_argument("--max", type=int, default=None, help="at most this many requests")
    s.set_defaults(fn=cmd_refresh)

    s = sub.add_parser("refresh-next")
    common(s)
    s.add_argument("--requests", required=True, help="the refresh file of the run")
    s.add_argument("--offset", type=int, required=True, help="first request not sent")
    s.add_argument("--responses", required=True, help="the run's responses (this file only)")
    s.set_defaults(fn=cmd_refresh_next)

    s = sub.add_parser("register")
    common(s, token=False)
    s.add_argument("--prefix", default="b")
    s.add_argument("--pool", required=True)
    s.add_argument("--requests", action="append", required=True,
                   help="an authenticate request file (repeat, paired with --responses)")
    s.add_argument("--responses", action="append", required=True)
    s.add_argument("--range", default="0:1")
    s.add_argument("--slots", type=int, default=8, help="keys registered per user")
    s.add_argument("--min-count", type=int, default=0,
                   help="more keys per user when needed to make at least N requests")
    s.add_argument("--max-slots", type=int, default=200, help="cap on keys per user")
    s.add_argument("--id-tag", default="", help="makes key ids unique per run")
    s.set_defaults(fn=cmd_register)

    s = sub.add_parser("mix")
    common(s, token=False)
    s.add_argument("--part", action="append", required=True,
                   help="FILE:WEIGHT[:repeat]; non-repeat parts are used at most once")
    s.set_defaults(fn=cmd_mix)

    a = p.parse_args()
    a.fn(a)


if __name__ == "__main__":
    main()
