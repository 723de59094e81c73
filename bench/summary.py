#!/usr/bin/python3
"""summary.py RESULTS_DIR - the Markdown tables of one bench/run.sh run.

Reads the JSON files run.sh wrote (loadgen results with the server's CPU
time, and PostgreSQL's when there is one; cryptobound, populate, memory,
machine) and prints: the targets with the measured ratios, every scenario,
the scaling table (SQLite, PostgreSQL with one and with two bioauthd), the
crypto bound, memory and database population. Missing inputs (e.g.
--no-peers, --no-pg) show as "n/a". A run is void when nothing completed in
its measuring window or its request file ran out before the window's end
(the server was then waiting for work): its figures show as "void" and the
targets it feeds are not judged.
"""
import json
import os
import sys


def results(res):
    """Every result of run `res` by name: its JSON files as run.sh wrote
    them or, for a run kept in git, the one digest.json that pack.py made
    of them (machine.json stays a file of its own in both)."""
    digest = os.path.join(res, "digest.json")
    if os.path.exists(digest):
        with open(digest) as f:
            out = json.load(f)
    else:
        out = {}
        for n in os.listdir(res):
            if n.endswith(".json") and n != "digest.json":
                with open(os.path.join(res, n)) as f:
                    out[n[:-5]] = json.load(f)
    machine = os.path.join(res, "machine.json")
    if "machine" not in out and os.path.exists(machine):
        with open(machine) as f:
            out["machine"] = json.load(f)
    return out


RESULTS = {}


def load(res, name):
    if res not in RESULTS:
        RESULTS[res] = results(res)
    return RESULTS[res].get(name)


def fmt(x, nd=0, suffix=""):
    if x is None:
        return "n/a"
    return f"{x:,.{nd}f}{suffix}"


def ratio(a, b):
    if a is None or b is None or b == 0:
        return None
    return a / b


def void_reason(x):
    """Why run x is void (None when it is not): nothing counted in its
    window, or its request file ran out more than 5 % before the window's
    planned end (older results, without the planned window: ran out at all)."""
    if not x:
        return None
    if x.get("completed_in_window", 0) == 0:
        return "0 requests in its window"
    if x.get("exhausted"):
        planned = x.get("window_planned_s")
        if planned is None:
            return "request file used up"
        if x["duration_s"] < 0.95 * planned:
            return f"request file used up after {x['duration_s']:.1f} of {planned:.1f} s"
    return None


def rps(r):
    return r["throughput_rps"] if r and not void_reason(r) else None


def cpu(x):
    return x.get("server_cpu_ms_per_req") if x and not void_reason(x) else None


def db_cpu(x):
    return x.get("db_cpu_ms_per_req") if x and not void_reason(x) else None


def total_cpu(x):
    if not x or void_reason(x):
        return None
    return x.get("total_cpu_ms_per_req", x.get("server_cpu_ms_per_req"))


def verdict(ok, *runs):
    """yes/no/n/a, or void naming the void runs the figure comes from."""
    void = [f"{x['label']}: {void_reason(x)}" for x in runs if void_reason(x)]
    if void:
        return "**void** (" + "; ".join(void) + ")"
    return "n/a" if ok is None else ("yes" if ok else "**no**")


SCALING = ("cc", "start", "auth_client", "auth_start", "refresh", "register", "mix")


def cell(x, v, nd=0):
    """A figure of run x: "void" for a void run, "n/a" for a missing one."""
    if x and void_reason(x):
        return "void"
    return fmt(v, nd)


def cpu_cell(x):
    """bioauthd + postgres = total ms of CPU per request (bioauthd alone
    when no database server was measured, as on SQLite)."""
    if x and void_reason(x):
        return "void"
    if not x:
        return "n/a"
    if x.get("db_cpu_ms_per_req") is None:
        return fmt(cpu(x), 3)
    return f"{fmt(cpu(x), 3)} + {fmt(db_cpu(x), 3)} = **{fmt(total_cpu(x), 3)}**"


def scaling(r, p):
    """Per scenario: SQLite with one bioauthd (S1 durable), PostgreSQL with
    one bioauthd, PostgreSQL with two bioauthd on the same database, and
    the ratios two ÷ one and PostgreSQL ÷ SQLite (one instance each), in
    throughput and in total CPU per request (bioauthd + postgres)."""
    p("Scaling: one bioauthd on SQLite (durable), one on PostgreSQL, two on one PostgreSQL "
      "database (load spread over both, alternating rounds with the one-instance side); server "
      "CPU in ms per request, bioauthd + postgres = total (every process of each; both share "
      "the machine's cores).\n")
    p("| scenario | SQLite ×1 req/s | SQLite ×1 CPU ms/req | PG ×1 req/s | PG ×1 CPU ms/req | "
      "PG ×2 req/s | PG ×2 CPU ms/req | ×2 ÷ ×1 req/s | ×2 ÷ ×1 CPU/req | PG ÷ SQLite req/s | "
      "PG ÷ SQLite CPU/req |")
    p("|---|---|---|---|---|---|---|---|---|---|---|")
    for s in SCALING:
        sq, one, two = r.get(f"{s}_durable"), r.get(f"{s}_pg_one"), r.get(f"{s}_pg_two")

        def rc(a, b, v):
            if (a and void_reason(a)) or (b and void_reason(b)):
                return "void"
            return fmt(ratio(v(a), v(b)), 2, "×")
        p(f"| {s} | {cell(sq, rps(sq))} | {cpu_cell(sq)} | {cell(one, rps(one))} | {cpu_cell(one)} | "
          f"{cell(two, rps(two))} | {cpu_cell(two)} | **{rc(two, one, rps)}** | {rc(two, one, total_cpu)} | "
          f"{rc(one, sq, rps)} | {rc(one, sq, total_cpu)} |")
    p("")


def main():
    res = sys.argv[1]
    m = load(res, "machine") or {}
    cb = load(res, "cryptobound") or {}
    r = {n: x for n, x in results(res).items()
         if not n.startswith(("machine", "cryptobound", "fsyncprobe", "populate", "mem_"))}
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
      f"-{m.get('nice', 0)}; single-use request files sized for {m.get('margin', 'n/a')}× the "
      f"calibrated rate; {m.get('postgresql') or 'no PostgreSQL'}; git {m.get('git')}.\n")

    # ------------------------------------------------------------ targets
    auth = g("auth_client_durable")
    bound = cb.get("authenticate_all_cores")
    eff_wall = ratio(rps(auth), bound)
    cpu_req = cpu(auth)
    crypto_ms = 1000.0 / cb["authenticate_per_core"] if cb.get("authenticate_per_core") else None
    eff_cpu = ratio(crypto_ms, cpu_req)
    cc = g("cc_durable")
    # each peer at its better concurrency (32 like bioauthd, or 8)
    node = max((x for x in (g("cc_node_oidc_provider"), g("cc_node_oidc_provider_c8")) if x),
               key=rps, default=None)
    glew = max((x for x in (g("cc_glewlwyd"), g("cc_glewlwyd_c8")) if x), key=rps, default=None)
    cc_node, cc_glew = ratio(rps(cc), rps(node)), ratio(rps(cc), rps(glew))
    costs, cost_runs = {}, []
    for s in ("start", "auth_client", "auth_start", "refresh", "register"):
        d, nd = g(f"{s}_durable"), g(f"{s}_nondurable")
        cost_runs += [x for x in (d, nd) if x]
        if rps(d) and rps(nd):
            costs[s] = 1 - rps(d) / rps(nd)
    worst = max(costs.values()) if costs else None
    half = g("auth_half_small")
    half_large = g("auth_half_large")
    half_again = g("auth_half_small_again") or half   # paired with the large run
    def lat(x, q):
        return x["latency_ms"][q] if x and not void_reason(x) else None
    p99_half = lat(half, "p99")
    lat_ratio_p50 = ratio(lat(half_large, "p50"), lat(half_again, "p50"))
    lat_ratio_p99 = ratio(lat(half_large, "p99"), lat(half_again, "p99"))
    again = g("auth_client_small_again")
    al = g("auth_client_large")
    tp_ratio = ratio(rps(al), rps(again))
    cpu_ratio = ratio(cpu(al), cpu(again))

    p("| target | measured | goal | met |")
    p("|---|---|---|---|")
    p(f"| authenticate ÷ crypto bound, durable (throughput ÷ bound × {m.get('nproc')} cores) | "
      f"{fmt(rps(auth))} ÷ {fmt(bound)} = **{fmt(eff_wall and eff_wall * 100, 1, ' %')}** | ≥ 40 % | "
      f"{verdict(eff_wall >= 0.4 if eff_wall is not None else None, auth)} |")
    p(f"| authenticate: crypto CPU ÷ bioauthd CPU per request | {fmt(crypto_ms, 3)} ms ÷ "
      f"{fmt(cpu_req, 3)} ms = **{fmt(eff_cpu and eff_cpu * 100, 1, ' %')}** | ≥ 50 % | "
      f"{verdict(eff_cpu >= 0.5 if eff_cpu is not None else None, auth)} |")
    p(f"| client_credentials ÷ node-oidc-provider (peer at its best of 32/8 connections) | "
      f"{fmt(rps(cc))} ÷ {fmt(rps(node))} = "
      f"**{fmt(cc_node, 1, '×')}** | ≥ 10× | {verdict(cc_node >= 10 if cc_node else None, cc, node)} |")
    p(f"| client_credentials ÷ glewlwyd (best of 32/8 connections) | {fmt(rps(cc))} ÷ {fmt(rps(glew))} = "
      f"**{fmt(cc_glew, 1, '×')}** | ≥ 50× | {verdict(cc_glew >= 50 if cc_glew else None, cc, glew)} |")
    cn, cg = ratio(cpu(node), cpu(cc)), ratio(cpu(glew), cpu(cc))
    p(f"| client_credentials, server CPU per token: node ÷ bioauthd, glewlwyd ÷ bioauthd | "
      f"{fmt(cpu(node), 3)} ÷ {fmt(cpu(cc), 3)} ms = **{fmt(cn, 1, '×')}**; {fmt(cpu(glew), 3)} ÷ "
      f"{fmt(cpu(cc), 3)} ms = **{fmt(cg, 1, '×')}** | (≥ 10×, ≥ 50×; load-independent) | "
      f"{verdict(cn >= 10 and cg >= 50 if cn and cg else None, cc, node, glew)} |")
    p(f"| durability cost (worst write scenario; 1 − durable ÷ non-durable) | **"
      f"{fmt(worst and worst * 100, 1, ' %')}** ("
      + ", ".join(f"{k} {v * 100:.1f} %" for k, v in costs.items()) +
      f") | ≤ 15 % | {verdict(worst <= 0.15 if worst is not None else None, *cost_runs)} |")
    cpu_costs = {}
    for s in ("start", "auth_client", "auth_start", "refresh", "register"):
        d, nd = g(f"{s}_durable"), g(f"{s}_nondurable")
        if cpu(d) and cpu(nd):
            cpu_costs[s] = cpu(d) / cpu(nd) - 1
    p("| durability cost in server CPU per request (durable ÷ non-durable − 1) | "
      + ", ".join(f"{k} {v * 100:+.1f} %" for k, v in cpu_costs.items())
      + " | (load-independent view) | "
      f"{verdict(max(cpu_costs.values()) <= 0.15 if cpu_costs else None, *cost_runs)} |")
    p(f"| authenticate p99 at half of peak ({fmt(half and half['rate_target'])} req/s, open loop) | "
      f"**{fmt(p99_half, 2, ' ms')}** (p50 {fmt(lat(half, 'p50'), 2)}, "
      f"p99.9 {fmt(lat(half, 'p99_9'), 2)}) | ≤ 10 ms | "
      f"{verdict(p99_half <= 10 if p99_half is not None else None, half, auth)} |")
    half_nd = g("auth_half_small_nondurable")
    fsp = load(res, "fsyncprobe") or {}
    if half_nd or fsp:
        disk = "; ".join(
            f"{what} p50 {fmt(fsp[k]['p50'], 2)}, **p99 {fmt(fsp[k]['p99'], 2)}**, "
            f"p99.9 {fmt(fsp[k]['p99_9'], 2)} ms"
            for k, what in (("overwrite", "in place"), ("append", "growing the file")) if k in fsp)
        p(f"| what of that tail is the disk's sync: the same requests and rate with --durable false; "
          f"the disk's own fdatasync of one page (fsyncprobe, before the runs) | "
          f"p99 **{fmt(lat(half_nd, 'p99'), 2, ' ms')}** (p50 {fmt(lat(half_nd, 'p50'), 2)}, "
          f"p99.9 {fmt(lat(half_nd, 'p99_9'), 2)}); fdatasync {disk or 'n/a'} | (attribution) | — |")
    cch = g("cc_half_durable")
    if cch:
        p(f"| client_credentials p99 at half of peak ({fmt(cch['rate_target'])} req/s, open loop) | "
          f"**{fmt(lat(cch, 'p99'), 2, ' ms')}** (p50 {fmt(lat(cch, 'p50'), 2)}, "
          f"p99.9 {fmt(lat(cch, 'p99_9'), 2)}) | ≤ 5 ms | "
          f"{verdict(cch['latency_ms']['p99'] <= 5, cch, cc)} |")
    pga = g("auth_client_pg_one")
    pg_ratio = ratio(total_cpu(pga), cpu(auth))
    if pga:
        p(f"| PostgreSQL: total CPU per authenticate (bioauthd + postgres) ÷ SQLite's | "
          f"{fmt(total_cpu(pga), 3)} ÷ {fmt(cpu(auth), 3)} ms = **{fmt(pg_ratio, 2, '×')}** | ≤ 1.5× | "
          f"{verdict(pg_ratio <= 1.5 if pg_ratio else None, pga, auth)} |")
    p(f"| authenticate latency, {large:,} ÷ {small:,} keys (same rate, open loop, alternating rounds) | p50 "
      f"**{fmt(lat_ratio_p50, 2, '×')}**, p99 {fmt(lat_ratio_p99, 2, '×')}; closed-loop throughput "
      f"{fmt(tp_ratio, 2, '×')}; server CPU/request **{fmt(cpu_ratio, 2, '×')}** | p50 and CPU ≤ 1.20× | "
      f"{verdict(lat_ratio_p50 <= 1.2 and cpu_ratio <= 1.2 if lat_ratio_p50 and cpu_ratio else None, half_large, half_again, al, again, auth)} |")
    mem = load(res, "mem_large")
    if mem:
        hwm = mem.get("VmHWM_kb", 0) / 1024
        p(f"| resident memory at {large:,} keys (VmHWM after the runs) | **{hwm:.1f} MiB** | < 64 MiB | "
          f"{verdict(hwm < 64)} |")
    p("")

    # ------------------------------------------------------------ scenarios
    p("| run | req/s | p50 ms | p99 ms | p99.9 ms | statuses (in window) | server CPU ms/req | "
      "load avg | req/s per round |")
    pg_names = [f"{s}_pg_{n}" for s in SCALING for n in ("one", "two")]
    p("|---|---|---|---|---|---|---|---|---|")
    order = ["cc_durable", "start_durable", "auth_client_durable", "auth_start_durable",
             "refresh_durable", "register_durable", "mix_durable", "auth_half_small",
             "auth_half_small_nondurable", "cc_half_durable", "cc_nondurable", "start_nondurable",
             "auth_client_nondurable", "auth_start_nondurable", "refresh_nondurable",
             "register_nondurable",
             "auth_client_large", "auth_client_small_again", "auth_half_large",
             "auth_half_small_again"] + pg_names + [
             "auth_profiled", "cc_node_oidc_provider", "cc_node_oidc_provider_c8", "cc_glewlwyd",
             "cc_glewlwyd_c8"]
    for name in order + sorted(set(r) - set(order)):
        x = r.get(name)
        if not x:
            continue
        lat = x["latency_ms"]
        mode = f" @{x['rate_target']:.0f}/s" if x["mode"] == "open" else ""
        conns = f" c{x['connections']}" if x["connections"] != m.get("connections") else ""
        why = void_reason(x)
        mark = f" **VOID** ({why})" if why else (" (file used up at the end)" if x.get("exhausted") else "")
        per_port = x.get("completed_per_port") or []
        if len(per_port) > 1 and sum(per_port):
            mark += f" ×{len(per_port)} instances (" + "/".join(
                f"{100 * n / sum(per_port):.0f}" for n in per_port) + " %)"
        srv = fmt(x.get("server_cpu_ms_per_req"), 3)
        if x.get("db_cpu_ms_per_req") is not None:
            srv += f" + pg {fmt(x['db_cpu_ms_per_req'], 3)}"
        p(f"| {name}{mode}{conns}{mark} | "
          f"{x['throughput_rps']:,.0f} | {lat['p50']:.2f} | {lat['p99']:.2f} | {lat['p99_9']:.2f} | "
          f"{json.dumps(x['status'])} | {srv} | "
          f"{x.get('loadavg_before')}→{x.get('loadavg_after')} | "
          + " / ".join(f"{q['throughput_rps']:,.0f}" for q in x.get("rounds", [])) + " |")
    p("")
    if "mix_durable" in r and not void_reason(r["mix_durable"]):
        tags = r["mix_durable"]["tags"]
        p("Mix composition (req/s in the mix run): " + ", ".join(
            f"{t} {v['throughput_rps']:,.0f} (p99 {v['latency_ms']['p99']:.1f} ms)"
            for t, v in tags.items()) + "\n")

    # ------------------------------------------------------------ scaling
    if any(f"{s}_pg_one" in r or f"{s}_pg_two" in r for s in SCALING):
        scaling(r, p)

    # ------------------------------------------------------------ stages
    # Per-stage server time of each run that scraped bioauthd's /metrics
    # around it (bench/stages.py rows; run.sh's lg): the routes that carried
    # at least a tenth of the run's requests.
    staged = []
    for name, x in sorted(RESULTS.get(res, {}).items()):
        if not isinstance(x, dict) or not x.get("stages"):
            continue
        floor = 0.1 * (x.get("completed") or 0)
        for row in x["stages"]:
            if row["count"] >= floor:
                staged.append(f"| {name} | {row['method']} {row['route']} | {row['stage']} | "
                              f"{row['count']:,} | {row['p50_ms']:.3f} | {row['p99_ms']:.3f} | "
                              f"{row['p999_ms']:.3f} |")
    if staged:
        p("Where the server's time went, per stage (bioauth_http_request_stage_seconds "
          "scraped before and after each run; quantiles within the histogram's buckets):\n")
        p("| run | route | stage | requests | p50 ms | p99 ms | p99.9 ms |")
        p("|---|---|---|---|---|---|---|")
        for line in staged:
            p(line)
        p("")

    # ------------------------------------------------------------ crypto, memory, population
    if cb:
        p(f"Crypto bound (cryptobound, OpenSSL {cb.get('openssl')}, per CPU-second of one core): "
          f"ES256 sign {fmt(cb.get('es256_sign_per_s'))}/s, P-256 verify "
          f"{fmt(cb.get('p256_verify_per_s'))}/s; client_credentials (1 sign) "
          f"{fmt(cb.get('client_credentials_per_core'))}/s per core, "
          f"{fmt(cb.get('client_credentials_all_cores'))}/s on {cb.get('cores')} cores; "
          f"authenticate (1 verify + 2 signs) {fmt(cb.get('authenticate_per_core'))}/s per core, "
          f"{fmt(cb.get('authenticate_all_cores'))}/s on {cb.get('cores')} cores; as bioauthd does it "
          f"(+ the two cache lookups: bearer token digest, stored device key) "
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
    for n in ("small", "large", "pg"):
        x = load(res, "populate_" + n)
        if x:
            pops.append(f"{'PostgreSQL: ' if n == 'pg' else ''}"
                        f"{x['keys']:,} keys / {x['users']:,} users in {x['wall_s']:.1f} s "
                        f"({x['keys_per_s']:,.0f} keys/s, database {x['db_bytes'] / 1048576:.0f} MiB)")
    if pops:
        p("Populating (bench/populate, store API, non-durable bulk load): " + "; ".join(pops) + ".\n")
    print("\n".join(out))


if __name__ == "__main__":
    main()
