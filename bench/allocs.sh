#!/usr/bin/env bash
# bench/allocs.sh BIOAUTHD [BIOAUTHD ...] - heap allocations per request of
# each build given, per scenario: client_credentials (cc), start,
# authenticate (client-made challenge), refresh and register, N requests
# each (N=2000 unless set; client_credentials: one request repeated for
# 3 s), closed loop, 8 connections, durable, on a
# database of 1,000 registered keys. Each build runs on its own copy of one
# database with bench/work/bin/malloccount.so preloaded; the allocations
# (malloc, calloc, aligned; realloc apart) and the bytes asked for are the
# difference of its counts around the run, divided by the requests
# answered: every thread of the server is counted (HTTP workers, store
# writer, background work). The counts do not depend on the machine's load,
# so the builds run one after the other. Prints one line per build and
# scenario, then the ratio of each build to the first.
# Needs the bench tools (make -C bench all work/bin/malloccount.so) and jq.
#
#   bench/allocs.sh /tmp/old/build/bioauthd build/bioauthd
set -euo pipefail
[ $# -ge 1 ] || { sed -n '2,16p' "$0"; exit 2; }
N=${N:-2000}
B=$(cd "$(dirname "$0")" && pwd)
LG=$B/work/bin/loadgen
POP=$B/work/bin/populate
SO=$B/work/bin/malloccount.so
PY=/usr/bin/python3
GEN="$PY $B/gen.py"
CTL=$(dirname "$1")/bioauthctl
D=$(mktemp -d)
PID=""
trap '[ -n "$PID" ] && kill "$PID" 2>/dev/null; wait; rm -rf "$D"' EXIT
[ -f "$SO" ] || { echo "allocs.sh: no $SO (make -C bench work/bin/malloccount.so)" >&2; exit 1; }

free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
snap() { sleep 0.1; cat "$D/counts"; }   # the counter rewrites the file every 20 ms

KEYS=1000
"$CTL" --db "$D/pristine.db" app create --name allocs --resource https://api.bench.example \
	--max-authenticators 1000 >"$D/app.json"
"$CTL" --db "$D/pristine.db" signing-key rotate >/dev/null
"$POP" --db "$D/pristine.db" --app-id "$(jq -r .app_id "$D/app.json")" --keys $KEYS \
	--pool-out "$D/pool" >/dev/null
CID=$(jq -r .client_id "$D/app.json") CSEC=$(jq -r .client_secret "$D/app.json")
$GEN cc --client-id="$CID" --client-secret="$CSEC" --out "$D/cc.req"

# run LABEL FILE [loadgen options]: one run of FILE; prints the per-request
# counts and appends them to $D/table.
run() {
	local label=$1 file=$2 c0 c1
	shift 2
	c0=$(snap)
	"$LG" --port "$PORT" --requests "$file" --duration "${DUR:-60}" --warmup 0 --connections 8 "$@" \
		>"$D/lg.json"
	c1=$(snap)
	$PY - "$c0" "$c1" "$D/lg.json" "$BIN" "$label" <<'EOF' | tee -a "$D/table"
import json, sys
a, b = (dict(zip(s.split()[::2], map(int, s.split()[1::2]))) for s in sys.argv[1:3])
r = json.load(open(sys.argv[3]))
n = r["completed"]
ok = r["status_all"].get("200", 0)
d = {k: (b[k] - a[k]) / n for k in a}
print(f"{sys.argv[4]}\t{sys.argv[5]}\t{n}\t{ok}\t{d['allocs']:.1f}\t{d['reallocs']:.1f}\t"
      f"{d['frees']:.1f}\t{d['bytes']:.0f}")
EOF
}

printf 'build\tscenario\trequests\t200s\tallocs/req\treallocs/req\tfrees/req\tbytes/req\n'
: >"$D/table"
for BIN in "$@"; do
	cp "$D/pristine.db" "$D/s.db"
	rm -f "$D/counts" "$D/s.db-wal" "$D/s.db-shm"
	PORT=$(free_port)
	MALLOCCOUNT_FILE=$D/counts LD_PRELOAD=$SO "$BIN" --listen "127.0.0.1:$PORT" --db "$D/s.db" \
		--issuer http://bioauth.bench/oidc --data-dir "$D" --log-level error >/dev/null 2>&1 &
	PID=$!
	for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 0.1; done
	CT=$(curl -sf -u "$CID:$CSEC" -d grant_type=client_credentials \
		"http://127.0.0.1:$PORT/oidc/token" | jq -r .access_token)
	# warm-up: every path once (caches, prepared statements, pools)
	$GEN auth-client --token="$CT" --pool "$D/pool" --keys $KEYS --count 300 --seed 1 --out "$D/w.req"
	"$LG" --port "$PORT" --requests "$D/w.req" --duration 30 --warmup 0 --connections 8 >/dev/null
	"$LG" --port "$PORT" --requests "$D/cc.req" --duration 1 --warmup 0 --connections 8 --repeat >/dev/null

	DUR=3 run cc "$D/cc.req" --repeat
	$GEN start --token="$CT" --keys $KEYS --count "$N" --seed 2 --out "$D/start.req"
	run start "$D/start.req"
	$GEN auth-client --token="$CT" --pool "$D/pool" --keys $KEYS --count "$N" --seed 3 --out "$D/auth.req"
	rm -f "$D/auth.resp"
	run authenticate "$D/auth.req" --responses "$D/auth.resp"
	$GEN refresh --token="$CT" --requests "$D/auth.req" --responses "$D/auth.resp" --out "$D/refresh.req"
	run refresh "$D/refresh.req"
	$GEN register --pool "$D/pool" --requests "$D/auth.req" --responses "$D/auth.resp" --slots 1 \
		--min-count "$N" --id-tag "a$RANDOM" --out "$D/register.req"
	run register "$D/register.req"
	kill "$PID"
	wait "$PID" 2>/dev/null || true
	PID=""
done
if [ $# -gt 1 ]; then
	echo
	$PY - "$D/table" <<'EOF'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
first = {r[1]: r for r in rows if r[0] == rows[0][0]}
print("scenario\tbuild\tallocs/req (÷ first)\tbytes/req (÷ first)")
for r in rows:
    f = first.get(r[1])
    if f and r[0] != f[0]:
        print(f"{r[1]}\t{r[0]}\t{r[4]} ({float(r[4]) / float(f[4]):.2f}×)\t"
              f"{r[7]} ({float(r[7]) / float(f[7]):.2f}×)")
EOF
fi
