#!/bin/bash
# check-layers.sh - the include graph of src/ against the layering that
# docs/ARCHITECTURE.md documents ("Layers", the block between the
# `layers:begin` and `layers:end` markers).
#
# Each file of src/ belongs to a layer: its directory (src/api/x.c -> api),
# except the files the block's `model =` line names, which form the layer
# `model` (the domain's entities and the rules over them, which the store
# includes). Every `#include "dir/file.h"` of a .c or .h file is an edge
# from the file's layer to the included file's layer; edges inside one
# layer are not drawn. The check fails when
#   - the code has an edge the block does not list (an upward include),
#   - the block lists an edge the code no longer has (the picture drifted),
#   - the block's edges form a cycle (no layering), or
#   - an include names a file src/ does not hold.
#
# Usage: scripts/check-layers.sh [--print]
#   --print  writes the graph derived from the code in the block's format,
#            layers from the top down, for pasting into ARCHITECTURE.md.
# Needs only bash and /usr/bin/python3 (standard library).
set -euo pipefail
cd "$(dirname "$0")/.."
exec /usr/bin/python3 - "$@" <<'PY'
import os
import re
import sys

DOC = "docs/ARCHITECTURE.md"
SRC = "src"
BEGIN, END = "<!-- layers:begin -->", "<!-- layers:end -->"
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def fail(msg):
    print("check-layers: " + msg, file=sys.stderr)
    sys.exit(1)


def read_rules():
    """The block of ARCHITECTURE.md: (model file stems, {layer: set(allowed)})."""
    text = open(DOC, encoding="utf-8").read()
    if BEGIN not in text or END not in text:
        fail(f"{DOC} has no {BEGIN} ... {END} block")
    block = text.split(BEGIN, 1)[1].split(END, 1)[0]
    model, allowed = set(), {}
    for raw in block.splitlines():
        line = raw.strip()
        if not line or line.startswith("```") or line.startswith("#"):
            continue
        if line.startswith("model ="):
            model = set(line.split("=", 1)[1].split())
            continue
        if "->" not in line:
            fail(f"{DOC}: cannot read layer rule {line!r}")
        left, right = line.split("->", 1)
        layer = left.strip()
        if layer in allowed:
            fail(f"{DOC}: layer {layer} listed twice")
        allowed[layer] = set(right.split())
    return model, allowed


def layer_of(path, model):
    """The layer of a path under src/ ("src/domain/sessions.c")."""
    rel = os.path.relpath(path, SRC)
    stem = os.path.splitext(rel)[0]
    if stem in model:
        return "model"
    return rel.split(os.sep, 1)[0]


def derive(model):
    """{(from, to): [example "file -> include", ...]} over src/."""
    edges = {}
    for root, _, files in os.walk(SRC):
        for name in sorted(files):
            if not name.endswith((".c", ".h")):
                continue
            path = os.path.join(root, name)
            text = open(path, encoding="utf-8", errors="replace").read()
            for inc in INCLUDE.findall(text):
                target = os.path.join(SRC, inc) if "/" in inc else os.path.join(root, inc)
                if not os.path.isfile(target):
                    fail(f"{path} includes \"{inc}\", which src/ does not hold "
                         "(spell includes from src/: \"dir/file.h\")")
                a, b = layer_of(path, model), layer_of(target, model)
                if a != b:
                    edges.setdefault((a, b), []).append(f"{path} -> {inc}")
    return edges


def ranks(graph, nodes):
    """Height of each layer (0 = includes no other layer); fails on a cycle."""
    height, state = {}, {}

    def visit(n, stack):
        if state.get(n) == "done":
            return height[n]
        if state.get(n) == "open":
            fail("the documented layers form a cycle: " + " -> ".join(stack + [n]))
        state[n] = "open"
        h = 0
        for m in sorted(graph.get(n, ())):
            h = max(h, visit(m, stack + [n]) + 1)
        state[n], height[n] = "done", h
        return h

    for n in sorted(nodes):
        visit(n, [])
    return height


def block_lines(graph, model):
    nodes = set(graph) | {m for v in graph.values() for m in v}
    height = ranks(graph, nodes)
    order = sorted(nodes, key=lambda n: (-height[n], n))
    width = max(len(n) for n in order)
    out = ["model = " + " ".join(sorted(model))]
    for n in order:
        deps = sorted(graph.get(n, ()), key=lambda m: (-height[m], m))
        out.append(f"{n.ljust(width)} -> {' '.join(deps)}".rstrip())
    return out


def main():
    model, allowed = read_rules()
    if not model:
        fail(f"{DOC}: the block has no `model =` line")
    for stem in sorted(model):
        if not any(os.path.isfile(os.path.join(SRC, stem + ext)) for ext in (".c", ".h")):
            fail(f"{DOC}: model file {stem}.[ch] is not in src/")
    edges = derive(model)
    actual = {}
    for a, b in edges:
        actual.setdefault(a, set()).add(b)
    for layer in set(actual) | {b for v in actual.values() for b in v}:
        actual.setdefault(layer, set())

    if "--print" in sys.argv[1:]:
        print("\n".join(block_lines(actual, model)))
        return

    ranks(allowed, set(allowed) | {m for v in allowed.values() for m in v})
    errors = []
    for (a, b), where in sorted(edges.items()):
        if b not in allowed.get(a, set()):
            more = f"\n    ... and {len(where) - 5} more" if len(where) > 5 else ""
            errors.append(f"{a} -> {b} is not a documented edge ({DOC}), from:\n    "
                          + "\n    ".join(where[:5]) + more)
    for a in sorted(allowed):
        for b in sorted(allowed[a]):
            if (a, b) not in edges:
                errors.append(f"{a} -> {b} is documented ({DOC}) but no file includes it")
    if errors:
        fail("\n".join(errors)
             + "\n(scripts/check-layers.sh --print writes the graph the code has)")
    print(f"check-layers: {sum(len(v) for v in allowed.values())} edges between "
          f"{len(allowed)} layers, as {DOC} documents; no cycle")


main()
PY
