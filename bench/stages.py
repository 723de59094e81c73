#!/usr/bin/python3
"""stages.py - where a run's server time went, stage by stage.

Reads scrapes of bioauthd's /metrics taken before and after runs and prints,
per route and stage of bioauth_http_request_stage_seconds (accept, queue,
read_parse, handler_cpu, store_wait, resume, reply), how many requests the runs
added, their mean and their p50/p99/p99.9, interpolated within the
histogram's buckets as Prometheus' histogram_quantile() does (so a
quantile is only as fine as the bucket it falls in: 50 us ... 10 s).

  stages.py BEFORE AFTER [BEFORE AFTER ...] [--route SUBSTRING] [--json]

Several before/after pairs (the rounds of one side of an A/B run) are
pooled: their differences are added up.
"""
import argparse
import json
import math
import re
import sys

FAMILY = "bioauth_http_request_stage_seconds"
STAGES = ("accept", "queue", "read_parse", "handler_cpu", "store_wait", "resume",
          "reply")
LINE = re.compile(r'^' + FAMILY + r'_(bucket|sum)\{route="((?:[^"\\]|\\.)*)",'
                  r'method="([^"]*)",stage="([^"]*)"(?:,le="([^"]*)")?\} (\S+)$')


def parse(path):
    """{(route, method, stage): {"le": {bound: cumulative}, "sum": s}}"""
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            m = LINE.match(line.rstrip("\n"))
            if not m:
                continue
            kind, route, method, stage, le, value = m.groups()
            h = out.setdefault((route, method, stage), {"le": {}, "sum": 0.0})
            if kind == "bucket":
                h["le"][math.inf if le == "+Inf" else float(le)] = float(value)
            else:
                h["sum"] = float(value)
    return out


def diff_into(acc, before, after):
    """Adds after - before to acc (series absent before count from zero)."""
    for key, h in after.items():
        b = before.get(key, {"le": {}, "sum": 0.0})
        a = acc.setdefault(key, {"le": {}, "sum": 0.0})
        for le, v in h["le"].items():
            a["le"][le] = a["le"].get(le, 0.0) + v - b["le"].get(le, 0.0)
        a["sum"] += h["sum"] - b["sum"]


def quantile(q, buckets):
    """histogram_quantile over cumulative {bound: count}; None if empty.
    A quantile in the +Inf bucket is reported as the largest finite bound."""
    bounds = sorted(buckets)
    total = buckets[bounds[-1]] if bounds else 0
    if total <= 0:
        return None
    rank = q * total
    lo, prev = 0.0, 0.0
    for ub in bounds:
        c = buckets[ub]
        if c >= rank:
            if math.isinf(ub):
                return lo
            if c == prev:
                return ub
            return lo + (ub - lo) * (rank - prev) / (c - prev)
        lo, prev = ub, c
    return lo


def summarise(acc, route_filter=None):
    rows = []
    for (route, method, stage), h in acc.items():
        if route_filter and route_filter not in route:
            continue
        n = h["le"].get(math.inf, 0.0)
        if n <= 0:
            continue
        rows.append({
            "route": route, "method": method, "stage": stage, "count": int(n),
            "mean_ms": h["sum"] / n * 1000,
            "p50_ms": quantile(0.50, h["le"]) * 1000,
            "p99_ms": quantile(0.99, h["le"]) * 1000,
            "p999_ms": quantile(0.999, h["le"]) * 1000,
        })
    order = {s: i for i, s in enumerate(STAGES)}
    rows.sort(key=lambda r: (r["route"], r["method"], order.get(r["stage"], 99)))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("scrapes", nargs="+", help="BEFORE AFTER [BEFORE AFTER ...]")
    ap.add_argument("--route", help="only routes containing this text")
    ap.add_argument("--json", action="store_true", help="JSON rows instead of a table")
    args = ap.parse_args()
    if len(args.scrapes) % 2:
        ap.error("scrapes come in before/after pairs")
    acc = {}
    for i in range(0, len(args.scrapes), 2):
        diff_into(acc, parse(args.scrapes[i]), parse(args.scrapes[i + 1]))
    rows = summarise(acc, args.route)
    if args.json:
        json.dump(rows, sys.stdout, indent=1)
        print()
        return
    print("| route | stage | requests | mean ms | p50 ms | p99 ms | p99.9 ms |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['method']} {r['route']} | {r['stage']} | {r['count']:,} | "
              f"{r['mean_ms']:.3f} | {r['p50_ms']:.3f} | {r['p99_ms']:.3f} | "
              f"{r['p999_ms']:.3f} |")


if __name__ == "__main__":
    main()
