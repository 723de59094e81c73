#!/usr/bin/python3
"""plot.py RESULTS_DIR - the SVG charts of one bench/run.sh run (gnuplot).

Reads the run's results the way summary.py does (its JSON files, or the
digest.json that pack.py keeps in git), so the charts of a kept run can be
drawn again at any time, and writes beside its summary.md:

- throughput.svg: requests per second of every scenario on SQLite
  (durable), PostgreSQL (one instance) and the peers, against the crypto
  bound of that scenario on all cores (the signatures and verifications
  it needs, measured by cryptobound in the same run; none for start,
  register and mix, whose cost is not a signature);
- latency_cc.svg, latency_auth.svg: p50, p99 and p99.9 against the load of
  client_credentials (bioauthd and the peers) and of authenticate: the
  open-loop sweeps (NAME_sweepP, P % of the peak; run.sh's sweep) and the
  half-load runs at their offered rate, the closed-loop runs at the
  throughput they reached (their peak, the curve's last point).

A chart with no data in the run is not written. Needs gnuplot (Debian
gnuplot-nox; bench/run.sh installs it); prints what it wrote.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import summary  # noqa: E402  (results(), void_reason())

SCENARIOS = [("cc", "client_credentials", 1, 0), ("start", "start", None, None),
             ("auth_client", "authenticate", 2, 1), ("auth_start", "auth (start)", 2, 1),
             ("refresh", "refresh", 2, 0), ("register", "register", None, None),
             ("mix", "mix", None, None)]
PCTS = [("p50", "p50"), ("p99", "p99"), ("p99_9", "p99.9")]


def ok(x):
    return x if x and not summary.void_reason(x) and x.get("throughput_rps") else None


def bound(cb, signs, verifies):
    """Requests per second on all cores if a request cost only its
    signatures and verifications (cryptobound's CPU-time rates)."""
    if signs is None or not cb.get("es256_sign_per_s") or not cb.get("p256_verify_per_s"):
        return None
    per_req = signs / cb["es256_sign_per_s"] + verifies / cb["p256_verify_per_s"]
    return cb.get("cores", 1) / per_req


def throughput_chart(r, cb):
    rows = []
    for key, label, signs, verifies in SCENARIOS:
        vals = [ok(r.get(f"{key}_durable")), ok(r.get(f"{key}_pg_one"))]
        if key == "cc":
            peers = [ok(r.get(n)) for n in ("cc_node_oidc_provider", "cc_node_oidc_provider_c8")]
            node = max((x for x in peers if x), key=lambda x: x["throughput_rps"], default=None)
            peers = [ok(r.get(n)) for n in ("cc_glewlwyd", "cc_glewlwyd_c8")]
            glew = max((x for x in peers if x), key=lambda x: x["throughput_rps"], default=None)
        else:
            node = glew = None
        b = bound(cb, signs, verifies)
        cells = [x["throughput_rps"] if x else None for x in vals + [node, glew]] + [b]
        if any(c is not None for c in cells[:-1]):
            rows.append((label, cells))
    if not rows:
        return None
    cols = ["bioauthd, SQLite", "bioauthd, PostgreSQL", "node-oidc-provider",
            "glewlwyd", f"crypto bound ({cb.get('cores', '?')} cores)"]
    # a column with no value in the run (--no-pg, --no-peers) is left out
    keep = [i for i in range(len(cols)) if any(cells[i] is not None for _, cells in rows)]
    cols = [cols[i] for i in keep]
    data = "\n".join(f'"{lab}" ' + " ".join("NaN" if cells[i] is None else f"{cells[i]:.1f}"
                                             for i in keep)
                     for lab, cells in rows)
    plots = ", ".join(f"$d using {i + 2}:xtic(1) title '{c}'" for i, c in enumerate(cols))
    return f"""
set title 'Throughput per scenario against its crypto bound (closed loop, 32 connections; peers at their best of 32/8)'
set ylabel 'requests per second (log scale)'
set logscale y
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set key top right
set grid ytics
set yrange [10:*]
$d << EOD
{data}
EOD
plot {plots}
"""


def latency_chart(title, series):
    """series: (name, [runs]); each run is one point per percentile, at its
    offered rate (open loop) or its throughput (closed loop)."""
    blocks, plots = [], []
    for si, (name, runs) in enumerate(series):
        pts = []
        for x in (ok(x) for x in runs):
            if not x:
                continue
            load = x["rate_target"] if x.get("mode") == "open" and x.get("rate_target") else \
                x["throughput_rps"]
            pts.append((load, [x["latency_ms"].get(q) for q, _ in PCTS], x.get("mode")))
        if not pts:
            continue
        pts.sort()
        for j, (q, qlab) in enumerate(PCTS):
            idx = len(blocks)
            blocks.append("\n".join(f"{load:.1f} {v[j]:.4f}" for load, v, _ in pts
                                    if v[j] is not None))
            plots.append(f"$lat{idx:02d} using 1:2 with linespoints lc {si + 1} "
                         f"dt {j + 1} pt {j + 5} title '{name} {qlab}'")
    if not plots:
        return None
    data = "\n".join(f"$lat{i:02d} << EOD\n{b}\nEOD" for i, b in enumerate(blocks))
    return f"""
set title '{title}'
set xlabel 'load, requests per second (open loop: offered rate; closed loop: its peak throughput)'
set ylabel 'latency, ms (log scale)'
set logscale xy
set key outside right
set grid xtics ytics
{data}
plot {", ".join(plots)}
"""


def with_sweep(r, base, *more):
    """The runs of one curve: base's open-loop sweep, the extra runs given
    (half load, ...) and base itself (the closed-loop peak)."""
    return [x for n, x in sorted(r.items()) if n.startswith(base + "_sweep")] + \
        list(more) + [r.get(base)]


def draw(script, out):
    full = f"set terminal svg size 1000,520 dynamic noenhanced font 'sans,11' background '#ffffff'\n" \
           f"set output '{out}'\n{script}"
    subprocess.run(["gnuplot"], input=full, text=True, check=True)
    print(out)


def main():
    res = sys.argv[1]
    r = summary.results(res)
    cb = r.get("cryptobound") or {}
    charts = {
        "throughput.svg": throughput_chart(r, cb),
        "latency_cc.svg": latency_chart(
            "client_credentials: latency percentiles against load", [
                ("bioauthd", with_sweep(r, "cc_durable", r.get("cc_half_durable"))),
                ("bioauthd PG", [r.get("cc_pg_one")]),
                ("node-oidc-provider", with_sweep(r, "cc_node_oidc_provider",
                                                  r.get("cc_node_oidc_provider_c8"))),
                ("glewlwyd", with_sweep(r, "cc_glewlwyd", r.get("cc_glewlwyd_c8"))),
            ]),
        "latency_auth.svg": latency_chart(
            "authenticate: latency percentiles against load", [
                ("10k keys", with_sweep(r, "auth_client_durable", r.get("auth_half_small"))),
                ("10k keys (S3)", [r.get("auth_half_small_again"), r.get("auth_client_small_again")]),
                ("1M keys", [r.get("auth_half_large"), r.get("auth_client_large")]),
                ("PostgreSQL", [r.get("auth_client_pg_one")]),
            ]),
    }
    for name, script in charts.items():
        if script:
            draw(script, os.path.join(res, name))


if __name__ == "__main__":
    main()
