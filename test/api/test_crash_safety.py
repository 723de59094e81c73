"""Crash safety: SIGKILL bioauthd under load, restart it
on the same SQLite database, and check that everything it acknowledged is
still true.

Several client threads run registrations, /start challenges, biometric
logins with /start challenges and with client-made challenges, key
deletions, refresh-token rotations and user creations against a real
bioauthd (SQLite, WAL, ``--durable`` default: fsync before every reply).
A controller SIGKILLs the server at random moments, waits until every
client thread has seen its request fail, checks a copy of the crashed
database with ``PRAGMA integrity_check``, and restarts the server on the
same file (a new port; a fixed ``--issuer`` keeps tokens valid).

Every request is classified by what the client saw:
  acknowledged  a 2xx response: its effect must be durable;
  refused       any other response: its effect must be absent (and, since
                every request the workload sends is valid, it is also
                reported as an unexpected error);
  unknown       no response (connection reset by the kill, or a timeout):
                either outcome is allowed, but the state must be consistent
                (a listed key authenticates, an unlisted key does not; a
                challenge or refresh token is accepted at most once).

After the last cycle a final server checks, black-box:
  - acknowledged user creations exist (GET /v1/users/{id}), refused ones not;
  - acknowledged registrations are listed and authenticate (fresh /start);
  - acknowledged deletions are not listed and cannot authenticate;
  - acknowledged /start challenges that were never used still work;
  - consumed /start challenges and accepted (key, client challenge) pairs
    are refused when replayed (challenge_reused); unknown ones are accepted
    at most once;
  - the last acknowledged refresh token of each session works, and every
    rotated one is refused (invalid_grant), which revokes the session;
and, on the stopped server's file, integrity_check, foreign_key_check and
"every live session has an unrotated refresh token".

Environment: BIOAUTH_CRASH_CYCLES (default 5; the issue asks for >= 20 in
the long run: scripts/crash-test.sh), BIOAUTH_CRASH_SEED (default: random,
printed; it replays the kill schedule and each thread's choice of
operations, not the thread interleaving), BIOAUTH_CRASH_THREADS (default 4).
"""

from __future__ import annotations

import os
import random
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Optional

import pytest
import requests

import conftest  # HTTP_TIMEOUT (shared fixtures; not ours)
import crash_helpers as ch
import helpers as h
import mb_helpers as mb

CYCLES = int(os.environ.get("BIOAUTH_CRASH_CYCLES", "5"))
SEED = int(os.environ.get("BIOAUTH_CRASH_SEED", str(random.SystemRandom().randrange(1 << 31))))
THREADS = int(os.environ.get("BIOAUTH_CRASH_THREADS", "4"))
#: Seconds a request may take before it counts as a hang (valgrind is slow).
HTTP_TIMEOUT = max(15, int(conftest.HTTP_TIMEOUT * 1.5))
MB = mb.MB

SERVER_OPTS = dict(issuer=ch.ISSUER, lockout_threshold=1000, challenge_ttl=3600,
                   challenge_max_ttl=3600)

ACKED, REFUSED, UNKNOWN = "acked", "refused", "unknown"
PASSWORD = "crash test password 1"
KINDS = ("create_user", "password_login", "register", "start", "auth_start", "auth_client", "delete", "refresh")


# --------------------------------------------------------------------------
# what the clients know

@dataclass
class User:
    user_id: str
    username: str
    state: str                    # acked / refused / unknown
    utoken: Optional[str] = None
    keys: list = field(default_factory=list)


@dataclass
class Key:
    key_id: str
    user: User
    dev: Any
    reg: str                      # acked / refused / unknown
    dele: Optional[str] = None    # None, or acked / refused / unknown


@dataclass
class Used:
    """A challenge handed to /authenticate."""
    kind: str                     # "start" or "client"
    user: User
    key: Key
    challenge: str
    outcome: str                  # acked / unknown


@dataclass
class Chain:
    """The refresh tokens of one session, oldest first."""
    session_id: str
    rotated: list                 # acknowledged-rotated tokens (must be dead)
    current: str                  # the last token the server gave us
    state: str                    # acked: current is live; unknown: its fate is unknown


class Ledger:
    """Shared counters and the list of unexpected server answers."""

    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {k: {ACKED: 0, REFUSED: 0, UNKNOWN: 0} for k in KINDS}
        self.unexpected: list = []
        self.timeouts = 0

    def count(self, kind: str, outcome: str) -> None:
        with self.lock:
            self.counts[kind][outcome] += 1

    def bad(self, what: str) -> None:
        with self.lock:
            self.unexpected.append(what)


# --------------------------------------------------------------------------
# the controller's view of the server, shared with the workers

class Gate:
    """Lets workers run only while a server is up, and tells the controller
    when every worker is between requests."""

    def __init__(self, n: int):
        self.cond = threading.Condition()
        self.running = False
        self.stopping = False
        self.url = None
        self.in_op = [False] * n

    def enter(self, i: int) -> Optional[str]:
        """Blocks until a server runs; returns its URL (None: finish)."""
        with self.cond:
            while not self.running and not self.stopping:
                self.cond.wait(0.2)
            if self.stopping:
                return None
            self.in_op[i] = True
            return self.url

    def leave(self, i: int) -> None:
        with self.cond:
            self.in_op[i] = False
            self.cond.notify_all()

    def open(self, url: str) -> None:
        with self.cond:
            self.url = url
            self.running = True
            self.cond.notify_all()

    def close(self, timeout: float = 60) -> bool:
        """Stops new operations; waits until none is in flight."""
        with self.cond:
            self.running = False
            return self.cond.wait_for(lambda: not any(self.in_op), timeout)

    def finish(self) -> None:
        with self.cond:
            self.stopping = True
            self.running = False
            self.cond.notify_all()


# --------------------------------------------------------------------------
# one client thread

class Worker(threading.Thread):
    """A backend of the app: owns its users, keys and sessions (no two
    workers touch the same object, so every outcome is attributable)."""

    MAX_USERS = 6
    MAX_KEYS_PER_USER = 6

    def __init__(self, idx: int, gate: Gate, ledger: Ledger, app: dict, ctoken: str,
                 seed: int):
        super().__init__(name=f"crash-worker-{idx}", daemon=True)
        self.idx = idx
        self.gate = gate
        self.ledger = ledger
        self.app = app
        self.ctoken = ctoken
        self.rng = random.Random(seed)
        self.users: list = []
        self.keys: list = []
        self.used: list = []
        self.unused_start: list = []       # (user, challenge) acked, never used
        self.chains: list = []
        self.http = requests.Session()
        self.error: Optional[BaseException] = None
        self.url = None
        self.ready = threading.Event()

    # -- plumbing --

    def call(self, kind: str, method: str, path: str, token: str, body: Any):
        """(outcome, response or None); counts the outcome of `kind`
        (`kind` None: a preparatory request, not counted)."""
        try:
            r = self.http.request(method, self.url + path, json=body,
                                  headers=h.bearer(token), timeout=HTTP_TIMEOUT)
        except requests.Timeout:
            with self.ledger.lock:
                self.ledger.timeouts += 1
            outcome, r = UNKNOWN, None
        except requests.ConnectionError:
            outcome, r = UNKNOWN, None
        else:
            outcome = ACKED if 200 <= r.status_code < 300 else REFUSED
            if outcome == REFUSED:
                self.ledger.bad(f"{method} {path} ({kind}): {r.status_code} {r.text[:200]}")
        if kind is not None:
            self.ledger.count(kind, outcome)
        return outcome, r

    def user_token(self, user: User) -> Optional[str]:
        """A user access token, from a password login through the server
        (once per user; counted as "password_login"). No bioauthctl here: a
        second process closing the database after a kill would checkpoint
        the WAL itself, and the server's own crash recovery would go
        untested."""
        if user.utoken is None:
            outcome, r = self.call("password_login", "POST", "/v1/auth/password/authenticate",
                                   self.ctoken, {"username": user.username,
                                                 "password": PASSWORD})
            if outcome != ACKED:
                return None
            doc = r.json()
            user.utoken = doc["access_token"]
            self.chains.append(Chain(doc["session_id"], [], doc["refresh_token"], ACKED))
        return user.utoken

    def live_keys(self) -> list:
        return [k for k in self.keys if k.reg == ACKED and k.dele in (None, REFUSED)]

    # -- operations --

    def op_create_user(self) -> None:
        u = User(user_id=mb.unique(f"cu{self.idx}"), username=h.unique_name(f"cw{self.idx}"),
                 state=UNKNOWN)
        self.users.append(u)
        u.state, _ = self.call("create_user", "POST", "/v1/users", self.ctoken,
                               {"user_id": u.user_id, "username": u.username,
                                "password": PASSWORD})

    def op_register(self) -> None:
        users = [u for u in self.users if u.state == ACKED and
                 len(u.keys) < self.MAX_KEYS_PER_USER]
        if not users:
            return self.op_create_user()
        u = self.rng.choice(users)
        token = self.user_token(u)
        if token is None:
            return None
        platform = self.rng.choice(("ios", "android"))
        alg = "rsa" if self.rng.random() < 0.15 else "ec"
        dev = mb.Device(platform, alg)
        k = Key(key_id=dev.key_id, user=u, dev=dev, reg=UNKNOWN)
        u.keys.append(k)
        self.keys.append(k)
        k.reg, _ = self.call("register", "POST", MB + "/register", token, dev.register_body())
        return None

    def op_auth_start(self) -> None:
        keys = self.live_keys()
        if not keys:
            return self.op_register()
        k = self.rng.choice(keys)
        outcome, r = self.call("start", "POST", MB + "/start", self.ctoken,
                               {"user_id": k.user.user_id})
        if outcome != ACKED:
            return None
        challenge = r.json()["challenge"]
        if self.rng.random() < 0.12:     # keep some issued challenges unused
            self.unused_start.append((k.user, challenge))
            return None
        self.authenticate("auth_start", "start", k, challenge)
        return None

    def op_auth_client(self) -> None:
        keys = self.live_keys()
        if not keys:
            return self.op_register()
        k = self.rng.choice(keys)
        self.authenticate("auth_client", "client", k, mb.client_challenge(32))
        return None

    def authenticate(self, kind: str, ckind: str, k: Key, challenge: str) -> None:
        body = mb.auth_body(k.user.user_id, k.dev, challenge)
        outcome, r = self.call(kind, "POST", MB + "/authenticate", self.ctoken, body)
        if outcome == REFUSED:
            return
        self.used.append(Used(ckind, k.user, k, challenge, outcome))
        if outcome == ACKED:
            doc = r.json()
            self.chains.append(Chain(doc["session_id"], [], doc["refresh_token"], ACKED))

    def op_delete(self) -> None:
        keys = self.live_keys()
        if len(keys) < 3:                 # keep something to log in with
            return self.op_register()
        k = self.rng.choice(keys)
        token = self.user_token(k.user)
        if token is None:
            return None
        k.dele = UNKNOWN
        k.dele, _ = self.call("delete", "DELETE", MB + "/delete", token,
                              {"publicKeyId": k.key_id})
        return None

    def op_refresh(self) -> None:
        chains = [c for c in self.chains if c.state == ACKED]
        if not chains:
            return self.op_auth_start()
        c = self.rng.choice(chains)
        old = c.current
        outcome, r = self.call("refresh", "POST", "/v1/auth/token/refresh", self.ctoken,
                               {"refresh_token": old})
        if outcome == ACKED:
            c.rotated.append(old)
            c.current = r.json()["refresh_token"]
        elif outcome == UNKNOWN:
            c.state = UNKNOWN            # `old` may or may not be rotated now
        else:
            c.state = REFUSED
        return None

    OPS = (("create_user", 4), ("register", 18), ("auth_start", 26), ("auth_client", 20),
           ("delete", 8), ("refresh", 20))

    def prepare(self) -> bool:
        """One step towards a starting set (2 users with tokens, 4 live
        keys); True once it is there."""
        acked = [u for u in self.users if u.state == ACKED]
        if len(acked) < 2:
            self.op_create_user()
            return False
        for u in acked:
            if self.user_token(u) is None:
                return False
        if len(self.live_keys()) < 4:
            self.op_register()
            return False
        return True

    def step(self) -> None:
        if not self.ready.is_set():
            if self.prepare():
                self.ready.set()
            return
        name = self.rng.choices([o for o, _ in self.OPS], [w for _, w in self.OPS])[0]
        if name == "create_user" and len(self.users) >= self.MAX_USERS:
            name = "register"
        getattr(self, "op_" + name)()

    def run(self) -> None:
        try:
            while True:
                self.url = self.gate.enter(self.idx)
                if self.url is None:
                    return
                try:
                    self.step()
                finally:
                    self.gate.leave(self.idx)
        except BaseException as e:      # reported by the test
            self.error = e
            self.gate.leave(self.idx)


# --------------------------------------------------------------------------
# verification on the final server

class Verifier:
    def __init__(self, srv, app: dict, ctoken: str):
        self.srv = srv
        self.app = app
        self.ctoken = ctoken
        self.failures: list = []
        self.passed = {}
        self.http = requests.Session()

    def ok(self, what: str) -> None:
        self.passed[what] = self.passed.get(what, 0) + 1

    def fail(self, what: str) -> None:
        self.failures.append(what)

    def post(self, path: str, body: Any) -> requests.Response:
        return self.http.post(self.srv.url + path, json=body, headers=h.bearer(self.ctoken),
                              timeout=HTTP_TIMEOUT)

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.srv.url + path, headers=h.bearer(self.ctoken),
                             timeout=HTTP_TIMEOUT)

    def challenge(self, user_id: str) -> str:
        r = self.post(MB + "/start", {"user_id": user_id})
        assert r.status_code == 200, f"/start on the final server: {r.status_code} {r.text}"
        return r.json()["challenge"]

    def auth(self, k: Key, challenge: str) -> requests.Response:
        return self.post(MB + "/authenticate", mb.auth_body(k.user.user_id, k.dev, challenge))

    @staticmethod
    def code(r: requests.Response) -> Optional[str]:
        try:
            return r.json().get("error_code")
        except ValueError:
            return None

    def client_error(self, r: requests.Response) -> bool:
        return 400 <= r.status_code < 500

    # -- users and keys --

    def users(self, users: list) -> dict:
        """Checks every user; returns {user_id: exists}."""
        exists = {}
        for u in users:
            r = self.get("/v1/users/" + urllib.parse.quote(u.user_id, safe=""))
            if r.status_code not in (200, 404):
                self.fail(f"GET user {u.user_id} ({u.state}): {r.status_code} {r.text[:200]}")
                continue
            exists[u.user_id] = r.status_code == 200
            if u.state == ACKED and not exists[u.user_id]:
                self.fail(f"acknowledged user creation lost: {u.user_id}")
            elif u.state == REFUSED and exists[u.user_id]:
                self.fail(f"refused user creation present: {u.user_id}")
            else:
                self.ok(f"user creation {u.state}")
        return exists

    def keys(self, users: list, exists: dict) -> dict:
        """Checks every key against the listing and a fresh login; returns
        {key_id: alive}."""
        alive = {}
        for u in users:
            if not u.keys:
                continue
            listed = set()
            if exists.get(u.user_id):
                r = self.get("/v1/users/" + urllib.parse.quote(u.user_id, safe="") +
                             "/authenticators")
                if r.status_code != 200:
                    self.fail(f"list authenticators of {u.user_id}: {r.status_code} {r.text[:200]}")
                    continue
                listed = {a.get("publicKeyId") for a in r.json().get("authenticators", [])}
            for k in u.keys:
                in_list = k.key_id in listed
                if exists.get(u.user_id):
                    r = self.auth(k, self.challenge(u.user_id))
                    works = r.status_code == 200
                    if not works and not self.client_error(r):
                        self.fail(f"login with {k.key_id}: {r.status_code} {r.text[:200]}")
                else:
                    works = False
                alive[k.key_id] = in_list and works
                must_live = k.reg == ACKED and k.dele in (None, REFUSED)
                must_die = k.dele == ACKED or k.reg == REFUSED
                label = f"key {k.key_id} (register {k.reg}, delete {k.dele})"
                if in_list != works:
                    self.fail(f"{label}: listed={in_list} but login "
                              f"{'works' if works else 'fails'} (half state)")
                elif must_live and not in_list:
                    self.fail(f"{label}: acknowledged registration lost")
                elif must_die and in_list:
                    what = "deletion undone" if k.dele == ACKED else "refused registration present"
                    self.fail(f"{label}: {what}")
                else:
                    self.ok("registration acked: listed and logs in" if must_live else
                            "deletion acked: gone" if k.dele == ACKED else
                            "key with unknown outcome: consistent")
        return alive

    # -- challenges --

    def unused_start(self, items: list, workers_keys: dict) -> None:
        for user, challenge in items:
            live = [k for k in user.keys if workers_keys.get(k.key_id)]
            if not live:
                self.ok("unused /start challenge: no live key to try (skipped)")
                continue
            r = self.auth(live[0], challenge)
            if r.status_code == 200:
                self.ok("unused acked /start challenge still valid")
            else:
                self.fail(f"acknowledged /start challenge of {user.user_id} lost: "
                          f"{r.status_code} {r.text[:200]}")

    def replays(self, used: list, alive: dict) -> None:
        for u in used:
            key = u.key
            if u.kind == "start" and not alive.get(key.key_id):
                others = [k for k in u.user.keys if alive.get(k.key_id)]
                key = others[0] if others else key
            first = self.auth(key, u.challenge)
            label = f"{u.kind} challenge {u.challenge[:16]}... of {key.key_id} ({u.outcome})"
            if u.outcome == ACKED:
                if first.status_code == 200:
                    self.fail(f"{label}: consumed challenge accepted again")
                elif not self.client_error(first):
                    self.fail(f"{label}: replay answered {first.status_code} {first.text[:200]}")
                elif alive.get(key.key_id) and self.code(first) != "challenge_reused":
                    self.fail(f"{label}: replay refused with {self.code(first)}, "
                              f"want challenge_reused")
                else:
                    self.ok(f"{u.kind} challenge acked: replay refused")
                continue
            # unknown: may have been consumed or not; accepted at most once.
            second = self.auth(key, u.challenge)
            if first.status_code == 200 and second.status_code == 200:
                self.fail(f"{label}: accepted twice")
            elif not self.client_error(first) and first.status_code != 200:
                self.fail(f"{label}: {first.status_code} {first.text[:200]}")
            elif second.status_code == 200:
                self.fail(f"{label}: refused, then accepted")
            else:
                self.ok(f"{u.kind} challenge unknown: accepted at most once")

    # -- refresh tokens --

    def refresh(self, token: str) -> requests.Response:
        return self.post("/v1/auth/token/refresh", {"refresh_token": token})

    def chains(self, chains: list) -> None:
        for c in chains:
            if c.state == ACKED:
                r = self.refresh(c.current)
                if r.status_code != 200:
                    self.fail(f"session {c.session_id}: last acknowledged refresh token "
                              f"refused: {r.status_code} {r.text[:200]}")
                    continue
                self.ok("latest acked refresh token works")
                newest = r.json()["refresh_token"]
            else:
                newest = None
            for old in c.rotated:
                r = self.refresh(old)
                if r.status_code == 200:
                    self.fail(f"session {c.session_id}: rotated refresh token accepted again")
                elif r.status_code != 400 or self.code(r) != "invalid_grant":
                    self.fail(f"session {c.session_id}: rotated token reuse answered "
                              f"{r.status_code} {r.text[:200]}, want 400 invalid_grant")
                else:
                    self.ok("rotated refresh token refused")
            if newest is not None and c.rotated:
                r = self.refresh(newest)
                if r.status_code == 200:
                    self.fail(f"session {c.session_id}: reuse of a rotated token did not "
                              "revoke the session")
                else:
                    self.ok("reuse revoked the session")


# --------------------------------------------------------------------------
# the test

def _setup_app(srv) -> tuple:
    app = h.ctl(srv.db, "app", "create", "--name", h.unique_name("crash"),
                "--resource", "https://api.crash.test", "--max-authenticators", "50",
                "--allow-client-challenges", "true")
    return app, h.client_token(srv, app)


def test_crash_safety_sigkill_under_load(tmp_path):
    rng = random.Random(SEED)
    runs = ch.ServerRuns(tmp_path, allow_pg=True, **SERVER_OPTS)
    sqlite = not runs.postgres
    ledger = Ledger()
    gate = Gate(THREADS)
    workers: list = []
    cycle_log = []
    snapshot_problems = []
    early_kills = 0
    t_start = time.monotonic()
    print(f"\ncrash test: {CYCLES} cycles, {THREADS} threads, seed {SEED} "
          f"(BIOAUTH_CRASH_SEED={SEED} replays the kill schedule and each thread's "
          f"operation mix)")
    try:
        srv = runs.start()
        app, ctoken = _setup_app(srv)
        workers = [Worker(i, gate, ledger, app, ctoken, rng.randrange(1 << 30))
                   for i in range(THREADS)]
        for w in workers:
            w.start()
        for cycle in range(CYCLES):
            if srv is None:
                if rng.random() < 0.25:
                    # Killed while starting: WAL recovery, migrations and
                    # the key cache must survive that too.
                    runs.start(wait=False)
                    time.sleep(rng.uniform(0.0, 0.15))
                    runs.kill()
                    early_kills += 1
                srv = runs.start()
            gate.open(srv.url)
            if cycle == 0:   # the first kill waits for every starting set
                for w in workers:
                    assert w.ready.wait(120), f"worker {w.idx} could not set up: {w.error!r}"
            # Mostly a second or two of load; sometimes right after start.
            load = rng.uniform(0.0, 0.3) if rng.random() < 0.15 else rng.uniform(0.4, 2.2)
            time.sleep(load)
            before = {k: dict(v) for k, v in ledger.counts.items()}
            os.kill(srv.pid, 9)
            killed_at = time.monotonic()
            assert gate.close(60), "client threads still busy 60 s after the kill"
            runs.kill()
            srv = None
            drained = time.monotonic() - killed_at
            if sqlite:
                problems = ch.integrity_check(runs.db, snapshot=True)
                snapshot_problems += [f"cycle {cycle}: {p}" for p in problems]
            acked = sum(v[ACKED] for v in before.values())
            cycle_log.append((cycle, round(load, 2), acked, round(drained, 2)))
            for w in workers:
                assert w.error is None, f"worker {w.idx} crashed: {w.error!r}"
        gate.finish()
        for w in workers:
            w.join(30)
            assert w.error is None, f"worker {w.idx} crashed: {w.error!r}"

        # -- verification on a fresh server over the crashed database --
        srv = runs.start()
        v = Verifier(srv, app, ctoken)
        users = [u for w in workers for u in w.users]
        exists = v.users(users)
        alive = v.keys(users, exists)
        v.unused_start([x for w in workers for x in w.unused_start], alive)
        v.replays([u for w in workers for u in w.used], alive)
        v.chains([c for w in workers for c in w.chains])
        runs.stop()
        final_problems = []
        if sqlite:
            final_problems = ch.integrity_check(runs.db) + ch.session_invariants(runs.db)
    finally:
        gate.finish()
        runs.close()

    elapsed = time.monotonic() - t_start
    acked_total = sum(c[ACKED] for c in ledger.counts.values())
    unknown_total = sum(c[UNKNOWN] for c in ledger.counts.values())
    lines = [f"crash test summary (seed {SEED}): {CYCLES} SIGKILL/restart cycles under load "
             f"(+{early_kills} kills during start-up), {THREADS} client threads, {elapsed:.1f} s",
             f"  requests: {acked_total} acknowledged, {unknown_total} unknown (no answer), "
             f"{len(ledger.unexpected)} refused, {ledger.timeouts} timeouts"]
    lines += [f"    {k:15s} acked {c[ACKED]:5d}  unknown {c[UNKNOWN]:3d}  refused {c[REFUSED]:3d}"
              for k, c in ledger.counts.items()]
    lines.append(f"  checks passed: {sum(v.passed.values())}, failed: {len(v.failures)}")
    lines += [f"    {n:5d}  {what}" for what, n in sorted(v.passed.items())]
    if sqlite:
        lines.append("  database: integrity_check/foreign_key_check on a copy after every kill "
                     "and on the final file, live sessions have a refresh token: "
                     f"{'ok' if not (snapshot_problems or final_problems) else 'FAILED'}")
    else:
        lines.append("  database: PostgreSQL (BIOAUTH_TEST_PG_URL); the SQLite file checks "
                     "do not apply")
    lines.append("  cycles (load seconds before the kill, acknowledged so far, seconds to "
                 "drain): " + ", ".join(f"{l}s/{a}/{d}s" for _, l, a, d in cycle_log))
    print("\n".join(lines))
    report = []
    if v.failures:
        report.append(f"{len(v.failures)} acknowledged-state violations:\n  " +
                      "\n  ".join(v.failures[:40]))
    if ledger.unexpected:
        report.append(f"{len(ledger.unexpected)} unexpected server answers to valid requests:"
                      "\n  " + "\n  ".join(ledger.unexpected[:20]))
    if snapshot_problems or final_problems:
        report.append("database checks failed:\n  " +
                      "\n  ".join((snapshot_problems + final_problems)[:20]))
    log_errors = [f"{srv_run.stderr_path.parent.name}: {line[:300]}" for srv_run in runs.runs
                  for line in srv_run.log_text().splitlines() if '"level":"error"' in line]
    if log_errors:
        report.append(f"{len(log_errors)} error lines in the server logs:\n  " +
                      "\n  ".join(log_errors[:20]))
    if ledger.timeouts:
        report.append(f"{ledger.timeouts} requests got no answer within {HTTP_TIMEOUT} s "
                      "while the server was up (hang?)")
    if report:
        pytest.fail(f"seed {SEED}:\n" + "\n".join(report), pytrace=False)
    assert acked_total > 0, "no request was acknowledged at all"
    assert sum(ledger.counts[k][ACKED] for k in ("register", "auth_start", "auth_client",
                                                 "refresh")) > 0
