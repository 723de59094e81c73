"""bioauthd as a system service: the sd_notify protocol (READY, RELOADING,
STOPPING, WATCHDOG) spoken to a NOTIFY_SOCKET made by the test, and the
systemd unit checked by scripts/check-systemd-unit.sh."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time

from conftest import BUILD, REPO


def recv_all(sock: socket.socket, until: str, timeout: float = 10) -> list:
    """Reads notify datagrams until one contains `until`; returns them all."""
    got = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            got.append(sock.recv(4096).decode())
        except socket.timeout:
            break
        if until in got[-1]:
            return got
    raise AssertionError(f"no {until!r} in {got}")


def test_sd_notify_ready_reload_watchdog_stopping(bioauthd, tmp_path):
    path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    try:
        srv = bioauthd(env={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "400000"},
                       wait=False)
        msgs = recv_all(sock, "READY=1")
        assert msgs == ["READY=1"]
        assert srv.alive()      # READY only once it answers
        pings = recv_all(sock, "WATCHDOG=1", timeout=2)
        assert pings[-1] == "WATCHDOG=1"
        srv.signal(signal.SIGHUP)
        msgs = recv_all(sock, "READY=1")
        reloading = [m for m in msgs if m.startswith("RELOADING=1")]
        assert len(reloading) == 1 and "MONOTONIC_USEC=" in reloading[0]
        assert msgs.index(reloading[0]) < msgs.index("READY=1")
        srv.signal(signal.SIGTERM)
        msgs = recv_all(sock, "STOPPING=1")
        assert srv.wait() == 0
    finally:
        sock.close()


def test_check_config_exit_codes(tmp_path):
    conf = tmp_path / "bioauthd.conf"
    conf.write_text(f"data-dir = {tmp_path}/d\nlog-level = warn\n")
    env = {"PATH": "/usr/bin:/bin"}
    ok = subprocess.run([str(BUILD / "bioauthd"), "--config", str(conf), "--check-config"],
                        capture_output=True, text=True, env=env, timeout=30)
    assert (ok.returncode, ok.stdout) == (0, "configuration OK\n")
    assert not (tmp_path / "d").exists()     # checks only, creates nothing
    conf.write_text("log-level = loud\n")
    bad = subprocess.run([str(BUILD / "bioauthd"), "--config", str(conf), "--check-config"],
                         capture_output=True, text=True, env=env, timeout=30)
    assert bad.returncode == 2 and "invalid value 'loud'" in bad.stderr
    envbad = subprocess.run([str(BUILD / "bioauthd"), "--check-config"],
                            capture_output=True, text=True, timeout=30,
                            env={**env, "BIOAUTH_THREADS": "0"})
    assert envbad.returncode == 2 and "BIOAUTH_THREADS" in envbad.stderr


def test_systemd_unit_verifies_with_low_exposure():
    r = subprocess.run([str(REPO / "scripts" / "check-systemd-unit.sh"), str(BUILD)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "verify clean" in r.stdout or "skipped" in r.stdout


def test_man_pages_lint_clean_and_match_help(tmp_path):
    for prog in ("bioauthd", "bioauthctl"):
        page = subprocess.run([str(BUILD / prog), "--man"], capture_output=True,
                              text=True, timeout=30, check=True).stdout
        f = tmp_path / f"{prog}.8"
        f.write_text(page)
        lint = subprocess.run(["mandoc", "-T", "lint", "-W", "style", str(f)],
                              capture_output=True, text=True, timeout=30)
        assert lint.returncode == 0, lint.stdout + lint.stderr
        assert page.startswith(f".TH {prog.upper()} 8 ")
        # Every option of --help is in the page (the same table drives both).
        helptext = subprocess.run([str(BUILD / prog), "--help"], capture_output=True,
                                  text=True, timeout=30).stdout
        import re
        flags = set(re.findall(r"^  (--[a-z][a-z-]+)", helptext, re.M))
        assert "--tls-cert" in flags
        for flag in flags:
            assert flag.replace("-", "\\-") in page, (prog, flag)
    ctl_page = (tmp_path / "bioauthctl.8").read_text()
    assert '.B "backup"' in ctl_page and '.B "restore"' in ctl_page
