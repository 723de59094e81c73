#!/usr/bin/python3
"""merge.py [--planned S] OUT.json ROUND1.json [ROUND2.json ...] - pools the
rounds of one scenario into one loadgen-shaped result.

run.sh splits each compared scenario into short rounds that alternate
between the two sides being compared (durable / non-durable, 1M / 10k keys,
one / two bioauthd on PostgreSQL), so that both see the same background
load on a shared machine. Each round has ROUND.json (loadgen output +
server CPU, + PostgreSQL CPU when there is one) and ROUND.json.samples (the
latencies it counted, native uint64 ns). Throughput is the pooled count
over the pooled measuring time; percentiles are exact over the pooled
samples; counts and CPU times are summed. --planned is the measuring time
all the planned rounds would have had (a side whose request file ran out
skips its later rounds): summary.py compares it with the time measured.
"""
import array
import json
import math
import sys


def quantile(v, p):
    if not v:
        return 0.0
    i = max(0, min(len(v) - 1, math.ceil(p * len(v)) - 1))
    return v[i] / 1e6


def add_counts(a, b):
    for k, n in b.items():
        a[k] = a.get(k, 0) + n
    return a


def main():
    args = sys.argv[1:]
    planned = None
    if args[:1] == ["--planned"]:
        planned = float(args[1])
        args = args[2:]
    out, rounds = args[0], args[1:]
    rs = [json.load(open(p)) for p in rounds]
    if planned is None and all("window_planned_s" in r for r in rs):
        planned = sum(r["window_planned_s"] for r in rs)
    # a round that started on a used-up request file counted nothing
    kept = [(p, r) for p, r in zip(rounds, rs) if r["completed_in_window"] > 0] or \
        list(zip(rounds, rs))[:1]
    rounds, rs = [p for p, _ in kept], [r for _, r in kept]
    samples = array.array("Q")
    for p in rounds:
        try:
            with open(p + ".samples", "rb") as f:
                samples.frombytes(f.read())
        except OSError:
            pass
    v = sorted(samples)
    first = rs[0]
    window = sum(r["duration_s"] for r in rs)
    counted = sum(r["completed_in_window"] for r in rs)
    completed = sum(r["completed"] for r in rs)
    cpu = sum(r.get("server_cpu_s") or 0 for r in rs)
    db = [r["db_cpu_s"] for r in rs if r.get("db_cpu_s") is not None]
    per_port = None
    if all(r.get("completed_per_port") for r in rs):
        per_port = [sum(x) for x in zip(*(r["completed_per_port"] for r in rs))]
    status, status_all, errors = {}, {}, {}
    for r in rs:
        add_counts(status, r["status"])
        add_counts(status_all, r.get("status_all", {}))
        add_counts(errors, r["errors"])
    tags = {}
    for r in rs:
        for t, x in r.get("tags", {}).items():
            e = tags.setdefault(t, {"completed_in_window": 0, "status": {}})
            e["completed_in_window"] += x["completed_in_window"]
            add_counts(e["status"], x["status"])
    for e in tags.values():
        e["throughput_rps"] = e["completed_in_window"] / window if window else 0
    m = {
        "label": first["label"].rsplit("_r", 1)[0], "mode": first["mode"],
        "connections": first["connections"], "rate_target": first["rate_target"],
        "duration_s": window, "window_planned_s": planned, "warmup_s": first["warmup_s"],
        "requests_in_file": first["requests_in_file"],
        "sent": sum(r["sent"] for r in rs), "completed": completed,
        "completed_in_window": counted,
        "throughput_rps": counted / window if window else 0,
        "exhausted": any(r["exhausted"] for r in rs),
        "client_cpu_s": sum(r["client_cpu_s"] for r in rs),
        "ports": first.get("ports"), "completed_per_port": per_port,
        "instances": first.get("instances", 1),
        "latency_ms": {
            "mean": (sum(v) / len(v) / 1e6) if v else 0.0,
            "p50": quantile(v, 0.5), "p90": quantile(v, 0.9), "p99": quantile(v, 0.99),
            "p99_9": quantile(v, 0.999), "max": (v[-1] / 1e6) if v else 0.0,
        },
        "status": status, "status_all": status_all, "errors": errors, "tags": tags,
        "server_cpu_s": cpu,
        "server_cpu_ms_per_req": cpu * 1000 / completed if completed else None,
        "loadavg_before": first.get("loadavg_before"),
        "loadavg_after": rs[-1].get("loadavg_after"),
        "rounds": [{"throughput_rps": r["throughput_rps"], "p50": r["latency_ms"]["p50"],
                    "p99": r["latency_ms"]["p99"], "duration_s": r["duration_s"],
                    "server_cpu_ms_per_req": r.get("server_cpu_ms_per_req"),
                    "loadavg_before": r.get("loadavg_before")} for r in rs],
    }
    if db:
        m["db_cpu_s"] = sum(db)
        m["db_cpu_ms_per_req"] = sum(db) * 1000 / completed if completed else None
        m["total_cpu_ms_per_req"] = (cpu + sum(db)) * 1000 / completed if completed else None
        for x, r in zip(m["rounds"], rs):
            x["db_cpu_ms_per_req"] = r.get("db_cpu_ms_per_req")
    with open(out, "w") as f:
        json.dump(m, f, indent=1)


if __name__ == "__main__":
    main()
