#!/usr/bin/python3
"""summary.py RESULTS_DIR - the Markdown tables of one bench/run.sh run.

Reads the JSON files run.sh wrote (loadgen results with the server's CPU
time, cryptobound, populate, memory, machine) and prints: the targets with
the measured ratios, every scenario, the crypto bound, memory and database
population. Missing inputs (e.g. --no-peers) show as "n/a".
"""
import json
import os
import sys


def load(res, name):
    path = os.path.join(res, name + ".json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def fmt(x, nd=0, suffix=""):
    if x is None:
        return "n/a"
    return f"{x:,.{nd}f}{suffix}"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def rps(r):
    return r["throughput_rps"] if r else None


def verdict(ok):
    return "n/a" if ok is None else ("yes" if ok else "**no**")


def main():
    res = sys.argv[1]
    m = load(res, "machine") or {}
    cb = load(res, "cryptobound") or {}
    r = {n[:-5]: load(res, n[:-5]) for n in os.listdir(res)
         if n.endswith(".json") and not n.startswith(("machine", "cryptobound", "populate", "mem_"))}
    g = r.get
    small, large = m.get("keys_small"), m.get("keys_large")
    out = []
    p = out.append

    p(f"### bioauth benchmark, run {m.get('run_id')}{' (--quick)' if m.get('quick') else ''}\n")
    p(f"Machine: {m.get('nproc')} cores, {m.get('cpu')}, "
      f"{(m.get('mem_total_kb') or 0) / 1048576:.1f} GiB, kernel {m.get('kernel')}, "
      f"OpenSSL {m.get('openssl')}; load average at start {m.get('loadavg_start')}, "
      f"at end {m.get('loadavg_end')} (the machine is shared). Runs of {m.get('duration_s')} s "
      f"({m.get('warmup_s')} s warm-up not counted; compared pairs in {m.get('rounds')} alternating "
      f"rounds), {m.get('connections')} connections closed loop; measured processes at nice "
      f"-{m.get('nice', 0)}; git {m.get('git')}.\n")

    # ------------------------------------------------------------ targets
    auth = g("auth_client_durable")
    bound = cb.get("authenticate_all_cores")
    eff_wall = ratio(rps(auth), bound)
    cpu_req = auth.get("server_cpu_ms_per_req") if auth else None
    crypto_ms = 1000.0 / cb["authenticate_per_core"] if cb.get("authenticate_per_core") else None
    eff_cpu = ratio(crypto_ms, cpu_req)
    cc = g("cc_durable")
    # each peer at its better concurrency (32 like bioauthd, or 8)
    node = max((x for x in (g("cc_node_oidc_provider"), g("cc_node_oidc_provider_c8")) if x),
               key=rps, default=None)
    glew = max((x for x in (g("cc_glewlwyd"), g("cc_glewlwyd_c8")) if x), key=rps, default=None)
    cc_node, cc_glew = ratio(rps(cc), rps(node)), ratio(rps(cc), rps(glew))
    costs = {}
    for s in ("start", "auth_client", "auth_start", "refresh", "register"):
        d, nd = g(f"{s}_durable"), g(f"{s}_nondurable")
        if d and nd and rps(nd):
            costs[s] = 1 - rps(d) / rps(nd)
    worst = max(costs.values()) if costs else None
    half = g("auth_half_small")
    half_large = g("auth_half_large")
    half_again = g("auth_half_small_again") or half   # paired with the large run
    p99_half = half["latency_ms"]["p99"] if half else None
    lat_ratio_p50 = ratio(half_large["latency_ms"]["p50"], half_again["latency_ms"]["p50"]) \
        if half_again and half_large else None
    lat_ratio_p99 = ratio(half_large["latency_ms"]["p99"], half_again["latency_ms"]["p99"]) \
        if half_again and half_large else None
    again = g("auth_client_small_again")
    al = g("auth_client_large")
    tp_ratio = ratio(rps(al), rps(again))

    p("| target | measured | goal | met |")
    p("|---|---|---|---|")
    p(f"| authenticate ÷ crypto bound, durable (throughput ÷ bound × {m.get('nproc')} cores) | "
      f"{fmt(rps(auth))} ÷ {fmt(bound)} = **{fmt(eff_wall and eff_wall * 100, 1, ' %')}** | ≥ 70 % | "
      f"{verdict(eff_wall >= 0.7 if eff_wall is not None else None)} |")
    p(f"| authenticate: crypto CPU ÷ bioauthd CPU per request | {fmt(crypto_ms, 3)} ms ÷ "
      f"{fmt(cpu_req, 3)} ms = **{fmt(eff_cpu and eff_cpu * 100, 1, ' %')}** | (same, load-independent) | "
      f"{verdict(eff_cpu >= 0.7 if eff_cpu is not None else None)} |")
    p(f"| client_credentials ÷ node-oidc-provider (peer at its best of 32/8 connections) | "
      f"{fmt(rps(cc))} ÷ {fmt(rps(node))} = "
      f"**{fmt(cc_node, 1, '×')}** | ≥ 10× | {verdict(cc_node >= 10 if cc_node else None)} |")
    p(f"| client_credentials ÷ glewlwyd (best of 32/8 connections) | {fmt(rps(cc))} ÷ {fmt(rps(glew))} = "
      f"**{fmt(cc_glew, 1, '×')}** | ≥ 50× | {verdict(cc_glew >= 50 if cc_glew else None)} |")
    def cpu(x):
        return x.get("server_cpu_ms_per_req") if x else None
    cn, cg = ratio(cpu(node), cpu(cc)), ratio(cpu(glew), cpu(cc))
    p(f"| client_credentials, server CPU per token: node ÷ bioauthd, glewlwyd ÷ bioauthd | "
      f"{fmt(cpu(node), 3)} ÷ {fmt(cpu(cc), 3)} ms = **{fmt(cn, 1, '×')}**; {fmt(cpu(glew), 3)} ÷ "
      f"{fmt(cpu(cc), 3)} ms = **{fmt(cg, 1, '×')}** | (≥ 10×, ≥ 50×; load-independent) | "
      f"{verdict(cn >= 10 and cg >= 50 if cn and cg else None)} |")
    p(f"| durability cost (worst write scenario; 1 − durable ÷ non-durable) | **"
      f"{fmt(worst and worst * 100, 1, ' %')}** ("
      + ", ".join(f"{k} {v * 100:.1f} %" for k, v in costs.items()) +
      f") | ≤ 15 % | {verdict(worst <= 0.15 if worst is not None else None)} |")
    cpu_costs = {}
    for s in ("start", "auth_client", "auth_start", "refresh", "register"):
        d, nd = g(f"{s}_durable"), g(f"{s}_nondurable")
        if cpu(d) and cpu(nd):
            cpu_costs[s] = cpu(d) / cpu(nd) - 1
    p("| durability cost in server CPU per request (durable ÷ non-durable − 1) | "
      + ", ".join(f"{k} {v * 100:+.1f} %" for k, v in cpu_costs.items())
      + " | (load-independent view) | "
      f"{verdict(max(cpu_costs.values()) <= 0.15 if cpu_costs else None)} |")
    p(f"| authenticate p99 at half of peak ({fmt(half and half['rate_target'])} req/s, open loop) | "
      f"**{fmt(p99_half, 2, ' ms')}** (p50 {fmt(half and half['latency_ms']['p50'], 2)}, "
      f"p99.9 {fmt(half and half['latency_ms']['p99_9'], 2)}) | ≤ 5 ms | "
      f"{verdict(p99_half <= 5 if p99_half is not None else None)} |")
    cch = g("cc_half_durable")
    if cch:
        p(f"| client_credentials p99 at half of peak ({fmt(cch['rate_target'])} req/s) | "
          f"{fmt(cch['latency_ms']['p99'], 2, ' ms')} | (≤ 5 ms) | "
          f"{verdict(cch['latency_ms']['p99'] <= 5)} |")
    p(f"| authenticate latency, {large:,} ÷ {small:,} keys (same rate, open loop, alternating rounds) | p50 "
      f"**{fmt(lat_ratio_p50, 2, '×')}**, p99 {fmt(lat_ratio_p99, 2, '×')}; closed-loop throughput "
      f"{fmt(tp_ratio, 2, '×')}; server CPU/request {fmt(ratio(cpu(al), cpu(again)), 2, '×')} | ≤ 1.20× | "
      f"{verdict(lat_ratio_p50 <= 1.2 if lat_ratio_p50 else None)} |")
    p("")

    # ------------------------------------------------------------ scenarios
    p("| run | req/s | p50 ms | p99 ms | p99.9 ms | statuses (in window) | server CPU ms/req | "
      "load avg | req/s per round |")
    p("|---|---|---|---|---|---|---|---|---|")
    order = ["cc_durable", "start_durable", "auth_client_durable", "auth_start_durable",
             "refresh_durable", "register_durable", "mix_durable", "auth_half_small",
             "cc_half_durable", "cc_nondurable", "start_nondurable", "auth_client_nondurable",
             "auth_start_nondurable", "refresh_nondurable", "register_nondurable",
             "auth_client_large", "auth_client_small_again", "auth_half_large",
             "auth_half_small_again",
             "auth_profiled", "cc_node_oidc_provider", "cc_node_oidc_provider_c8", "cc_glewlwyd",
             "cc_glewlwyd_c8"]
    for name in order + sorted(set(r) - set(order)):
        x = r.get(name)
        if not x:
            continue
        lat = x["latency_ms"]
        mode = f" @{x['rate_target']:.0f}/s" if x["mode"] == "open" else ""
        conns = f" c{x['connections']}" if x["connections"] != m.get("connections") else ""
        p(f"| {name}{mode}{conns}{' (file used up)' if x.get('exhausted') else ''} | "
          f"{x['throughput_rps']:,.0f} | {lat['p50']:.2f} | {lat['p99']:.2f} | {lat['p99_9']:.2f} | "
          f"{json.dumps(x['status'])} | {fmt(x.get('server_cpu_ms_per_req'), 3)} | "
          f"{x.get('loadavg_before')}→{x.get('loadavg_after')} | "
          + " / ".join(f"{q['throughput_rps']:,.0f}" for q in x.get("rounds", [])) + " |")
    p("")
    if "mix_durable" in r:
        tags = r["mix_durable"]["tags"]
        p("Mix composition (req/s in the mix run): " + ", ".join(
            f"{t} {v['throughput_rps']:,.0f} (p99 {v['latency_ms']['p99']:.1f} ms)"
            for t, v in tags.items()) + "\n")

    # ------------------------------------------------------------ crypto, memory, population
    if cb:
        p(f"Crypto bound (cryptobound, OpenSSL {cb.get('openssl')}, per CPU-second of one core): "
          f"ES256 sign {fmt(cb.get('es256_sign_per_s'))}/s, P-256 verify "
          f"{fmt(cb.get('p256_verify_per_s'))}/s; client_credentials (1 sign) "
          f"{fmt(cb.get('client_credentials_per_core'))}/s per core, "
          f"{fmt(cb.get('client_credentials_all_cores'))}/s on {cb.get('cores')} cores; "
          f"authenticate (1 verify + 2 signs) {fmt(cb.get('authenticate_per_core'))}/s per core, "
          f"{fmt(cb.get('authenticate_all_cores'))}/s on {cb.get('cores')} cores; as bioauthd does it "
          f"today (+ bearer verify + stored-key decode) "
          f"{fmt(cb.get('authenticate_as_implemented_per_core'))}/s per core.\n")
    mems = []
    for n in ("small", "large_idle", "large"):
        x = load(res, "mem_" + n)
        if x:
            mems.append(f"{n}: VmRSS {x.get('VmRSS_kb', 0) / 1024:.1f} MiB, "
                        f"VmHWM {x.get('VmHWM_kb', 0) / 1024:.1f} MiB")
    if mems:
        p("bioauthd memory (after the runs on that database): " + "; ".join(mems) + ".\n")
    pops = []
    for n in ("small", "large"):
        x = load(res, "populate_" + n)
        if x:
            pops.append(f"{x['keys']:,} keys / {x['users']:,} users in {x['wall_s']:.1f} s "
                        f"({x['keys_per_s']:,.0f} keys/s, database {x['db_bytes'] / 1048576:.0f} MiB)")
    if pops:
        p("Populating (bench/populate, store API, non-durable bulk load): " + "; ".join(pops) + ".\n")
    print("\n".join(out))


if __name__ == "__main__":
    main()
