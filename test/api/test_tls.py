"""Black-box tests of bioauthd over TLS (--tls-cert / --tls-key), of the
SIGHUP reload (TLS pair and configuration file) and of --check-config.

A throwaway CA and its certificates are made in each test with
``cryptography``; clients are Python ``requests`` and the ``curl`` binary,
both verifying against that CA.
"""

from __future__ import annotations

import datetime
import signal
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from conftest import BIOAUTHD
from helpers import create_app, client_token

NOW = datetime.datetime.now(datetime.timezone.utc)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


class Pki:
    """A test CA writing leaf certificates and keys as PEM files."""

    def __init__(self, d: Path):
        self.dir = d
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.cert = (x509.CertificateBuilder()
                     .subject_name(_name("bioauth test CA"))
                     .issuer_name(_name("bioauth test CA"))
                     .public_key(self.key.public_key())
                     .serial_number(x509.random_serial_number())
                     .not_valid_before(NOW - datetime.timedelta(days=30))
                     .not_valid_after(NOW + datetime.timedelta(days=30))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                     .sign(self.key, hashes.SHA256()))
        self.ca_file = d / "ca.pem"
        self.ca_file.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))

    def leaf(self, name: str, *, hosts=("localhost",), expired=False):
        """Writes <name>.crt (leaf + CA chain) and <name>.key; returns
        (cert path, key path, serial)."""
        key = ec.generate_private_key(ec.SECP256R1())
        start = NOW - datetime.timedelta(days=10 if expired else 1)
        end = NOW - datetime.timedelta(days=1) if expired else NOW + datetime.timedelta(days=10)
        serial = x509.random_serial_number()
        import ipaddress
        sans = [x509.DNSName(h) for h in hosts if not h[0].isdigit()]
        sans += [x509.IPAddress(ipaddress.ip_address(h)) for h in hosts if h[0].isdigit()]
        cert = (x509.CertificateBuilder()
                .subject_name(_name(hosts[0]))
                .issuer_name(self.cert.subject)
                .public_key(key.public_key())
                .serial_number(serial)
                .not_valid_before(start).not_valid_after(end)
                .add_extension(x509.SubjectAlternativeName(sans), critical=False)
                .sign(self.key, hashes.SHA256()))
        crt, kf = self.dir / f"{name}.crt", self.dir / f"{name}.key"
        crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM) +
                        self.cert.public_bytes(serialization.Encoding.PEM))
        kf.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                         serialization.PrivateFormat.PKCS8,
                                         serialization.NoEncryption()))
        return crt, kf, serial


@pytest.fixture
def pki(tmp_path):
    d = tmp_path / "pki"
    d.mkdir()
    return Pki(d)


def start_tls(bioauthd, crt, key, **opts):
    """Starts bioauthd with TLS and waits until it accepts handshakes."""
    srv = bioauthd(tls_cert=str(crt), tls_key=str(key), wait=False, **opts)
    srv.url = f"https://localhost:{srv.port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert srv.proc.poll() is None, srv.log_text()
        try:
            with socket.create_connection(("127.0.0.1", srv.port), timeout=1):
                return srv
        except OSError:
            time.sleep(0.05)
    pytest.fail("bioauthd with TLS did not start")


def peer_serial(port: int, ca: Path) -> int:
    ctx = ssl.create_default_context(cafile=str(ca))
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        with ctx.wrap_socket(s, server_hostname="localhost") as t:
            return x509.load_der_x509_certificate(t.getpeercert(binary_form=True)).serial_number


def curl(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                           "--max-time", "10", *args],
                          capture_output=True, text=True, timeout=30)


def test_https_with_hsts_tls12_minimum_and_https_issuer(bioauthd, pki, monkeypatch):
    crt, key, _ = pki.leaf("a", hosts=("localhost", "127.0.0.1"))
    srv = start_tls(bioauthd, crt, key)
    r = requests.get(srv.url + "/healthz", verify=str(pki.ca_file), timeout=5)
    assert r.status_code == 200
    assert r.headers["Strict-Transport-Security"] == "max-age=31536000"
    disc = requests.get(srv.url + "/oidc/.well-known/openid-configuration",
                        verify=str(pki.ca_file), timeout=5).json()
    assert disc["issuer"] == f"https://127.0.0.1:{srv.port}/oidc"
    assert disc["token_endpoint"].startswith("https://")
    c = curl("--cacert", str(pki.ca_file), f"https://localhost:{srv.port}/healthz")
    assert (c.returncode, c.stdout) == (0, "200")
    for tls in ("1.2", "1.3"):
        c = curl("--cacert", str(pki.ca_file), f"--tlsv{tls}", "--tls-max", tls,
                 f"https://127.0.0.1:{srv.port}/healthz")
        assert (c.returncode, c.stdout) == (0, "200"), (tls, c.stderr)
    c = curl("--cacert", str(pki.ca_file), "--tls-max", "1.1",
             f"https://localhost:{srv.port}/healthz")
    assert c.returncode == 35, c.stderr      # handshake refused
    # A client-token flow over TLS (the helpers' requests trust the CA).
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(pki.ca_file))
    tok = client_token(srv.url, create_app(srv.db))
    assert tok.count(".") == 2


def test_plain_http_to_tls_port_is_refused(bioauthd, pki):
    crt, key, _ = pki.leaf("a")
    srv = start_tls(bioauthd, crt, key)
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"http://127.0.0.1:{srv.port}/healthz", timeout=5)
    c = curl(f"http://127.0.0.1:{srv.port}/healthz")
    assert c.returncode == 52, c.stderr      # empty reply
    assert requests.get(srv.url + "/healthz", verify=str(pki.ca_file),
                        timeout=5).status_code == 200


def test_expired_certificate_is_rejected_by_clients(bioauthd, pki):
    crt, key, _ = pki.leaf("old", expired=True)
    srv = start_tls(bioauthd, crt, key)
    with pytest.raises(requests.exceptions.SSLError, match="expired"):
        requests.get(srv.url + "/healthz", verify=str(pki.ca_file), timeout=5)
    c = curl("--cacert", str(pki.ca_file), srv.url + "/healthz")
    assert c.returncode == 60 and "expired" in c.stderr, c.stderr


def test_wrong_hostname_is_rejected_by_clients(bioauthd, pki):
    crt, key, _ = pki.leaf("other", hosts=("other.example",))
    srv = start_tls(bioauthd, crt, key)
    with pytest.raises(requests.exceptions.SSLError, match="match"):
        requests.get(srv.url + "/healthz", verify=str(pki.ca_file), timeout=5)
    c = curl("--cacert", str(pki.ca_file), srv.url + "/healthz")
    assert c.returncode == 60, c.stderr


def run_bioauthd(tmp_path, *args):
    return subprocess.run([str(BIOAUTHD), f"--data-dir={tmp_path}/d", *args],
                          capture_output=True, text=True, timeout=30,
                          env={"PATH": "/usr/bin:/bin"})


def test_start_and_check_config_refuse_bad_tls_files(tmp_path, pki):
    crt, key, _ = pki.leaf("a")
    _, other_key, _ = pki.leaf("b")
    ok = run_bioauthd(tmp_path, f"--tls-cert={crt}", f"--tls-key={key}", "--check-config")
    assert (ok.returncode, ok.stdout) == (0, "configuration OK\n"), ok.stderr
    bad = run_bioauthd(tmp_path, f"--tls-cert={crt}", f"--tls-key={other_key}", "--check-config")
    assert bad.returncode == 2 and "does not match" in bad.stderr, bad.stderr
    gone = run_bioauthd(tmp_path, f"--tls-cert={tmp_path}/none.pem", f"--tls-key={key}",
                        "--check-config")
    assert gone.returncode == 2 and "No such file or directory" in gone.stderr
    key.chmod(0)
    if subprocess.run(["id", "-u"], capture_output=True, text=True).stdout.strip() != "0":
        unread = run_bioauthd(tmp_path, f"--tls-cert={crt}", f"--tls-key={key}", "--check-config")
        assert unread.returncode == 2 and "Permission denied" in unread.stderr
    key.chmod(0o600)
    half = run_bioauthd(tmp_path, f"--tls-cert={crt}", "--check-config")
    assert half.returncode == 2 and "go together" in half.stderr
    notpem = run_bioauthd(tmp_path, f"--tls-cert={key}", f"--tls-key={key}", "--check-config")
    assert notpem.returncode == 2 and "not a PEM certificate" in notpem.stderr
    # Starting (not only checking) with a mismatched pair: exit 2, the reason logged.
    start = run_bioauthd(tmp_path, "--listen=127.0.0.1:1", f"--tls-cert={crt}",
                         f"--tls-key={other_key}")
    assert start.returncode == 2 and "does not match" in start.stderr
    assert not (tmp_path / "d" / "bioauth.db").exists()
    badval = run_bioauthd(tmp_path, "--body-limit=1", "--check-config")
    assert badval.returncode == 2 and "--body-limit" in badval.stderr


def test_reload_under_load_loses_nothing_and_swaps_the_certificate(bioauthd, pki):
    crt, key, serial_a = pki.leaf("a")
    srv = start_tls(bioauthd, crt, key, threads=2)
    assert peer_serial(srv.port, pki.ca_file) == serial_a
    new_crt, new_key, serial_b = pki.leaf("b")
    stop = threading.Event()
    results: list = []

    def client(fresh: bool):
        s = requests.Session()   # verify per call: REQUESTS_CA_BUNDLE beats s.verify
        while not stop.is_set():
            try:
                if fresh:     # a new TLS handshake per request
                    r = requests.get(srv.url + "/healthz", verify=str(pki.ca_file), timeout=10)
                else:         # one kept-alive connection across the reload
                    r = s.get(srv.url + "/healthz", verify=str(pki.ca_file), timeout=10)
                results.append(r.status_code)
            except requests.RequestException as e:
                results.append(repr(e))

    threads = [threading.Thread(target=client, args=(i % 2 == 0,)) for i in range(6)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    crt.write_bytes(new_crt.read_bytes())
    key.write_bytes(new_key.read_bytes())
    for i in range(5):       # one at a time: pending SIGHUPs would merge
        srv.signal(signal.SIGHUP)
        wait_log(srv, '"msg":"reload done"', i + 1)
        time.sleep(0.1)
    time.sleep(0.5)
    stop.set()
    for t in threads:
        t.join(30)
    assert len(results) > 50
    bad = [x for x in results if x != 200]
    assert not bad, (len(bad), len(results), bad[:3])
    assert peer_serial(srv.port, pki.ca_file) == serial_b
    assert srv.log_text().count('"msg":"reload done"') == 5
    # A broken pair is refused: the running certificate stays.
    _, wrong_key, _ = pki.leaf("c")
    key.write_bytes(wrong_key.read_bytes())
    srv.signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while "reload refused: TLS certificate" not in srv.log_text():
        assert time.monotonic() < deadline, srv.log_text()
        time.sleep(0.05)
    assert peer_serial(srv.port, pki.ca_file) == serial_b


def wait_log(srv, text: str, count: int = 1):
    deadline = time.monotonic() + 10
    while srv.log_text().count(text) < count:
        assert time.monotonic() < deadline, srv.log_text()[-3000:]
        time.sleep(0.05)


def test_sighup_rereads_the_config_file(bioauthd, tmp_path):
    conf = tmp_path / "bioauthd.conf"
    conf.write_text("log-level = info\nbody-limit = 65536\n")
    srv = bioauthd(config=str(conf))

    def request_lines():
        srv.get("/healthz")
        time.sleep(0.2)
        return sum(1 for l in srv.log_lines() if l["msg"] == "request")

    assert request_lines() >= 1
    conf.write_text("log-level = warn\nbody-limit = 4096\n")
    srv.signal(signal.SIGHUP)
    wait_log(srv, '"msg":"reload done"')
    changed = {l["setting"]: l for l in srv.log_lines()
               if l["msg"].startswith("reload: setting changed")}
    assert (changed["log-level"]["was"], changed["log-level"]["now"]) == ("info", "warn")
    assert changed["log-level"]["msg"] == "reload: setting changed"
    assert changed["body-limit"]["msg"] == "reload: setting changed, takes effect on restart"
    n = request_lines()
    assert request_lines() == n          # info lines are off now
    # An invalid file is refused and the running level (warn) stays.
    conf.write_text("log-level = loud\n")
    srv.signal(signal.SIGHUP)
    wait_log(srv, "reload refused: invalid configuration")
    refused = [l for l in srv.log_lines() if l["msg"].startswith("reload refused")]
    assert "invalid value 'loud'" in refused[0]["detail"]
    assert request_lines() == n
    conf.write_text("log-level = info\n")
    srv.signal(signal.SIGHUP)
    time.sleep(0.5)
    assert request_lines() == n + 1
