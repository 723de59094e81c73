#!/usr/bin/env bash
# bench/ab-auth.sh OLD_BIOAUTHD NEW_BIOAUTHD [ROUNDS] [RATE] - two builds (or
# two configurations) of bioauthd side by side on authenticate, open loop at
# RATE requests/s (default 700, about half of this machine's peak), durable,
# 10,000 registered keys (KEYS=N for another number): each side on its own
# copy of one database, in alternating 5-second rounds (A B B A ...), so
# both see the same background load. Prints each round's latency from the
# intended send time (p50, p99, p99.9: no coordinated omission), the
# server's CPU per request and its I/O per request from /proc/PID/io (read
# and write system calls, bytes written: the WAL, as the store writes it),
# then, per side, the per-stage breakdown of the server's time pooled over
# its rounds (bench/stages.py over /metrics scraped before and after every
# round).
# OLD_ARGS / NEW_ARGS add bioauthd options to one side (e.g. NEW_ARGS=
# "--threads 4"). OLD_PAGE_SIZE / NEW_PAGE_SIZE rebuild one side's copy of
# the database with that SQLite page size (VACUUM out of WAL mode and back),
# to compare page sizes with the same binary; OLD_SQL / NEW_SQL run SQL on
# one side's copy first (e.g. NEW_SQL="DROP INDEX audit_user"). Needs the
# bench tools (make -C bench) and jq. Both servers bind 127.0.0.1 on free
# ports and are stopped by PID; KEEP=DIR keeps the scrapes and loadgen JSON
# there.
# OLD_KEYS / NEW_KEYS give one side another number of keys (each side then
# has its own app, key pool and requests: e.g. OLD_KEYS=10000
# NEW_KEYS=1000000 with the same binary twice shows what the database's
# size costs). DBCACHE=DIR keeps each populated database (with its app and
# key pool) in DIR/KEYS/, and the secrets file sealing their signing keys in
# DIR/secrets, and copies them from there on later runs (empty DIR after a
# schema change: bioauthd migrates the copies at start).
#
#   bench/ab-auth.sh /tmp/old/build/bioauthd build/bioauthd 6 700
#   OLD_KEYS=10000 NEW_KEYS=1000000 DBCACHE=/tmp/abdb \
#       bench/ab-auth.sh build/bioauthd build/bioauthd 4 500
set -euo pipefail
[ $# -ge 2 ] || { sed -n '2,32p' "$0"; exit 2; }
OLD=$1 NEW=$2 ROUNDS=${3:-6} RATE=${4:-700} T=${T:-5}
B=$(cd "$(dirname "$0")" && pwd)
LG=$B/work/bin/loadgen
POP=$B/work/bin/populate
CTL=$(dirname "$NEW")/bioauthctl
PY=/usr/bin/python3
D=$(mktemp -d)
OUT=${KEEP:-$D/out}
mkdir -p "$OUT"
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait; rm -rf "$D"' EXIT

free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# io PID: "syscr syscw wchar" of the process (every thread)
io() { awk '/^syscr|^syscw|^wchar/ {v[$1] = $2} END {print v["syscr:"], v["syscw:"], v["wchar:"]}' "/proc/$1/io"; }
start() {   # BIN DB ARGS -> "PID PORT"
	local port
	port=$(free_port)
	# shellcheck disable=SC2086
	"$1" --listen "127.0.0.1:$port" --db "$2" --issuer http://bioauth.bench/oidc --data-dir "$D" \
		--log-level error $3 >/dev/null 2>&1 &
	for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.1; done
	echo "$! $port"
}

KEYS=${KEYS:-10000}
OLD_KEYS=${OLD_KEYS:-$KEYS} NEW_KEYS=${NEW_KEYS:-$KEYS}
populate() {   # SIDE N: $D/SIDE.db with an app, a signing key and N keys, $D/SIDE.app, $D/SIDE.pool
	local c=${DBCACHE:+$DBCACHE/$2}
	# One secrets file (beside the databases) seals both sides' signing keys.
	if [ -n "$c" ] && [ -f "$DBCACHE/secrets" ] && [ ! -f "$D/secrets" ]; then cp -p "$DBCACHE/secrets" "$D/secrets"; fi
	if [ -n "$c" ] && [ -f "$c/db" ]; then
		cp "$c/db" "$D/$1.db"; cp "$c/app.json" "$D/$1.app"; cp "$c/pool" "$D/$1.pool"
		return
	fi
	"$CTL" --db "$D/$1.db" app create --name ab --resource https://api.bench.example \
		--max-authenticators 1000 >"$D/$1.app"
	"$CTL" --db "$D/$1.db" signing-key rotate >/dev/null
	"$POP" --db "$D/$1.db" --app-id "$(jq -r .app_id "$D/$1.app")" --keys "$2" \
		--pool-out "$D/$1.pool" >/dev/null
	[ -z "$c" ] || { mkdir -p "$c"; cp "$D/$1.db" "$c/db"; cp "$D/$1.app" "$c/app.json"; cp "$D/$1.pool" "$c/pool"
		[ -f "$DBCACHE/secrets" ] || cp -p "$D/secrets" "$DBCACHE/secrets"; }
}
populate old "$OLD_KEYS"
if [ "$OLD_KEYS" = "$NEW_KEYS" ]; then
	cp "$D/old.db" "$D/new.db"; cp "$D/old.app" "$D/new.app"; cp "$D/old.pool" "$D/new.pool"
else
	populate new "$NEW_KEYS"
fi
page_size() {   # DB SIZE: rewrite DB with SIZE-byte pages
	$PY - "$1" "$2" <<'PYEOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("PRAGMA journal_mode=DELETE")
c.execute("PRAGMA page_size=%d" % int(sys.argv[2]))
c.execute("VACUUM")
c.execute("PRAGMA journal_mode=WAL")
got = c.execute("PRAGMA page_size").fetchone()[0]
assert got == int(sys.argv[2]), got
PYEOF
}
run_sql() {   # DB SQL
	$PY -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None); c.executescript(sys.argv[2]); c.close()' "$1" "$2"
}
[ -z "${OLD_SQL:-}" ] || run_sql "$D/old.db" "$OLD_SQL"
[ -z "${NEW_SQL:-}" ] || run_sql "$D/new.db" "$NEW_SQL"
[ -z "${OLD_PAGE_SIZE:-}" ] || page_size "$D/old.db" "$OLD_PAGE_SIZE"
[ -z "${NEW_PAGE_SIZE:-}" ] || page_size "$D/new.db" "$NEW_PAGE_SIZE"
psize() { $PY -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("PRAGMA page_size").fetchone()[0])' "$1"; }
echo "page size: old $(psize "$D/old.db"), new $(psize "$D/new.db")"
read -r OP OPORT < <(start "$OLD" "$D/old.db" "${OLD_ARGS:-}")
read -r NP NPORT < <(start "$NEW" "$D/new.db" "${NEW_ARGS:-}")
PIDS=("$OP" "$NP")   # start ran in a subshell: record the PIDs here
requests() {   # SIDE PORT KEYS: $D/SIDE.req, signed for SIDE's app and key pool
	local ct
	ct=$(curl -sf -u "$(jq -r .client_id "$D/$1.app"):$(jq -r .client_secret "$D/$1.app")" \
		-d grant_type=client_credentials "http://127.0.0.1:$2/oidc/token" | jq -r .access_token)
	$PY "$B/gen.py" auth-client --token="$ct" --pool "$D/$1.pool" --keys "$3" \
		--count $(( RATE * (T + 2) * ROUNDS + 500 )) --seed 5 --out "$D/$1.req"
}
# Client-made challenges: with one key count, the same signed requests
# serve both databases.
requests old "$OPORT" "$OLD_KEYS"
if [ "$OLD_KEYS" = "$NEW_KEYS" ]; then cp "$D/old.req" "$D/new.req"; else requests new "$NPORT" "$NEW_KEYS"; fi
echo "keys: old $OLD_KEYS, new $NEW_KEYS"
HZ=$(getconf CLK_TCK)
declare -A off=([old]=0 [new]=0) scr=([old]="" [new]="")
for r in $(seq "$ROUNDS"); do
	for side in $( [ $((r % 2)) -eq 1 ] && echo old new || echo new old ); do
		if [ $side = old ]; then pid=$OP port=$OPORT; else pid=$NP port=$NPORT; fi
		curl -sf "http://127.0.0.1:$port/metrics" >"$OUT/${side}_r${r}.before"
		c0=$(ticks "$pid")
		read -r r0 w0 b0 < <(io "$pid")
		"$LG" --port "$port" --requests "$D/$side.req" --offset "${off[$side]}" --duration "$T" \
			--warmup 1 --connections 60 --rate "$RATE" >"$OUT/${side}_r${r}.json"
		c1=$(ticks "$pid")
		read -r r1 w1 b1 < <(io "$pid")
		curl -sf "http://127.0.0.1:$port/metrics" >"$OUT/${side}_r${r}.after"
		scr[$side]="${scr[$side]} $OUT/${side}_r${r}.before $OUT/${side}_r${r}.after"
		off[$side]=$(( ${off[$side]} + $(jq .sent "$OUT/${side}_r${r}.json") ))
		jq -r --arg s "$side" --arg r "$r" --argjson cpu "$(( c1 - c0 ))" --argjson hz "$HZ" \
			--argjson sr "$(( r1 - r0 ))" --argjson sw "$(( w1 - w0 ))" --argjson wb "$(( b1 - b0 ))" \
			'"\($s) round \($r): \(.throughput_rps|round) req/s, p50 \(.latency_ms.p50) p99 \(.latency_ms.p99) p99.9 \(.latency_ms.p99_9) ms, \($cpu / $hz * 1000 / .completed * 1000 | round / 1000) ms CPU/req, per req: \($sr / .completed * 10 | round / 10) read + \($sw / .completed * 10 | round / 10) write syscalls, \($wb / .completed | round) B written; status \(.status|tojson)"' \
			"$OUT/${side}_r${r}.json"
	done
done
for side in old new; do
	echo "## $side: stages of authenticate, pooled over $ROUNDS rounds"
	# shellcheck disable=SC2086
	$PY "$B/stages.py" ${scr[$side]} --route authenticate
done
