"""scripts/check-layers.sh: the include graph of src/ against the layers
docs/ARCHITECTURE.md lists.

The repository's own tree passes, and the block in ARCHITECTURE.md is
exactly the graph the script draws from the code. On a copy of the tree
(src/, the script and the document), each kind of drift fails the check
with a message that names it: an upward include, an include of a domain
service from the store, an edge the document lists but no file has, and a
cycle in the documented layers. No server runs.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

import conftest

REPO = conftest.REPO
SCRIPT = Path("scripts/check-layers.sh")
DOC = Path("docs/ARCHITECTURE.md")
BEGIN, END = "<!-- layers:begin -->", "<!-- layers:end -->"


def run(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(root / SCRIPT), *args], capture_output=True,
                          text=True, timeout=60)


def block(doc_text: str) -> list[str]:
    """The lines of the documented graph (fences and blank lines left out)."""
    inner = doc_text.split(BEGIN, 1)[1].split(END, 1)[0]
    return [l for l in inner.splitlines() if l.strip() and not l.startswith("```")]


@pytest.fixture
def tree(tmp_path) -> Path:
    """A copy of what the check reads: src/, the script, the document."""
    shutil.copytree(REPO / "src", tmp_path / "src")
    (tmp_path / "scripts").mkdir()
    shutil.copy2(REPO / SCRIPT, tmp_path / SCRIPT)
    (tmp_path / "docs").mkdir()
    shutil.copy2(REPO / DOC, tmp_path / DOC)
    return tmp_path


def edit_doc(root: Path, old: str, new: str) -> None:
    p = root / DOC
    text = p.read_text(encoding="utf-8")
    assert old in text
    p.write_text(text.replace(old, new, 1), encoding="utf-8")


def add_include(root: Path, rel: str, header: str) -> None:
    p = root / "src" / rel
    p.write_text(p.read_text(encoding="utf-8") + f'#include "{header}"\n', encoding="utf-8")


def test_repository_passes_and_the_document_is_the_drawn_graph():
    r = run(REPO)
    assert r.returncode == 0, r.stderr
    assert "as docs/ARCHITECTURE.md documents; no cycle" in r.stdout
    drawn = run(REPO, "--print")
    assert drawn.returncode == 0, drawn.stderr
    assert drawn.stdout.splitlines() == block((REPO / DOC).read_text(encoding="utf-8"))


def test_upward_include_fails(tree):
    add_include(tree, "crypto/rand.h", "domain/users.h")
    r = run(tree)
    assert r.returncode == 1
    assert "crypto -> domain is not a documented edge" in r.stderr
    assert "src/crypto/rand.h -> domain/users.h" in r.stderr


def test_store_may_include_the_model_but_not_a_domain_service(tree):
    add_include(tree, "store/write.c", "domain/sessions.h")   # model: allowed
    assert run(tree).returncode == 0
    add_include(tree, "store/write.c", "domain/users.h")      # a service
    r = run(tree)
    assert r.returncode == 1
    assert "store -> domain is not a documented edge" in r.stderr


def test_documented_edge_the_code_lacks_fails(tree):
    edit_doc(tree, "attest -> crypto common", "attest -> store crypto common")
    r = run(tree)
    assert r.returncode == 1
    assert "attest -> store is documented (docs/ARCHITECTURE.md) but no file includes it" \
        in r.stderr


def test_documented_cycle_fails(tree):
    edit_doc(tree, "\ncommon ->\n", "\ncommon -> store\n")
    r = run(tree)
    assert r.returncode == 1
    assert "the documented layers form a cycle" in r.stderr


def test_include_of_a_missing_file_fails(tree):
    add_include(tree, "api/health.c", "store/model.h")
    r = run(tree)
    assert r.returncode == 1
    assert 'src/api/health.c includes "store/model.h", which src/ does not hold' in r.stderr
