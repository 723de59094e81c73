#!/usr/bin/python3
"""pack.py RESULTS_DIR - the digest of one bench/run.sh run, for git.

Writes RESULTS_DIR/digest.json: every top-level result file of the run
(loadgen runs, cryptobound, populate, memory) keyed by its name without
".json", which is all summary.py needs to print the run's tables again.
machine.json, summary.md and profile.md stay files of their own; the raw
per-round files under rounds/ are not part of the digest and are not kept
in git (bench/.gitignore).
"""
import json
import os
import sys

KEEP_APART = ("machine.json", "digest.json")


def main():
    res = sys.argv[1]
    digest = {}
    for n in sorted(os.listdir(res)):
        if n.endswith(".json") and n not in KEEP_APART:
            with open(os.path.join(res, n)) as f:
                digest[n[:-5]] = json.load(f)
    with open(os.path.join(res, "digest.json"), "w") as f:
        json.dump(digest, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
