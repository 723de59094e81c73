"""The shell walkthroughs of README.md and docs/integration/backend.md, run
literally under `sh` (dash on Debian) against a real bioauthd.

Every ```sh block of the two documents runs, in order, as one script with
`set -eu`, from a scratch directory that looks like the top of the
repository after `make` (`build/` is the build directory, `data/demo-app.json`
holds an app's credentials as `make run` writes them) and with its own HOME.
The only rewrite is the server address: `http://127.0.0.1:8080` becomes the
test server's. A block that cannot run here (it needs root, or starts
servers of its own) is marked in the document, on the line before it, with
`<!-- doc-test: skip (reason) -->`.

README.md's walkthrough runs twice on the same database: it must be
re-runnable as written.
"""
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

import helpers as h

REPO = Path(__file__).resolve().parents[2]
DOCS = {"readme": REPO / "README.md", "backend": REPO / "docs" / "integration" / "backend.md"}
SKIP = re.compile(r"^<!-- doc-test: skip \((.+)\) -->$")
DOC_ADDRESS = "http://127.0.0.1:8080"


def shell_blocks(path):
    """[(first line number, text, skip reason or None)] of the ```sh blocks."""
    lines = path.read_text().splitlines()
    out, i = [], 0
    while i < len(lines):
        if lines[i].strip() == "```sh":
            prev = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
            m = SKIP.match(prev.strip())
            j = i + 1
            while lines[j].strip() != "```":
                j += 1
            out.append((i + 1, "\n".join(lines[i + 1:j]), m.group(1) if m else None))
            i = j
        i += 1
    return out


def test_block_parser_and_markers():
    for name, path in DOCS.items():
        blocks = shell_blocks(path)
        assert any(skip is None for _, _, skip in blocks), name
        for line, _, skip in blocks:
            assert skip is None or skip.strip(), f"{path}:{line}: skip marker without a reason"


@pytest.fixture
def scratch(tmp_path, server):
    """A directory shaped like the repository after `make run`."""
    (tmp_path / "build").symlink_to(h.BUILD)
    (tmp_path / "data").mkdir()
    (tmp_path / "home").mkdir()
    app = h.create_app(server)
    (tmp_path / "data" / "demo-app.json").write_text(json.dumps(app, indent=2) + "\n")
    return tmp_path, app


def run_doc(name, scratch_dir, env_extra, server):
    parts = ["set -eu"]
    for line, text, skip in shell_blocks(DOCS[name]):
        if skip is None:
            parts.append(f"# {DOCS[name].name}:{line}\n{text}")
    script = "\n".join(parts).replace(DOC_ADDRESS, h.base_url(server)) + "\n"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(scratch_dir / "home"), **env_extra}
    proc = subprocess.run(["sh", "-c", script], cwd=scratch_dir, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"{name}: sh exited {proc.returncode}\n" \
        f"stdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr[-3000:]}"
    return proc.stdout


def test_readme_walkthrough_twice(scratch, server):
    d, _ = scratch
    for _ in range(2):
        out = run_doc("readme", d, {}, server)
        assert re.search(r'"access_token":"[^"]+".*"session_id":"ses_', out), out
        assert "error_code" not in out, out


def test_backend_walkthrough(scratch, server):
    d, app = scratch
    out = run_doc("backend", d, {"BIOAUTH": h.base_url(server), "CLIENT_ID": app["client_id"],
                                 "CLIENT_SECRET": app["client_secret"]}, server)
    tokens = json.loads((d / "tokens.json").read_text())
    refreshed = json.loads((d / "refreshed.json").read_text())
    assert tokens["access_token"] and refreshed["session_id"] == tokens["session_id"]
    assert refreshed["refresh_token"] != tokens["refresh_token"]
    assert re.search(r"(^|[^0-9])204\n", out), out    # the DELETE's status
    assert "error_code" not in out, out
