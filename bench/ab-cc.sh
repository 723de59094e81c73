#!/usr/bin/env bash
# bench/ab-cc.sh OLD_BIOAUTHD NEW_BIOAUTHD [ROUNDS] - two builds of bioauthd
# side by side on client_credentials: each on its own copy of one SQLite
# database (same app), measured in alternating 5-second rounds (A B, A B,
# ...) so both see the same background load; prints tokens/s and the
# server's CPU time per token for each round. Needs the bench tools built
# (bench/run.sh builds them into bench/work/bin) and jq. Both servers bind
# 127.0.0.1 on free ports and are stopped by PID.
#
#   git worktree add /tmp/old <commit> && make -C /tmp/old build/bioauthd build/bioauthctl
#   bench/ab-cc.sh /tmp/old/build/bioauthd build/bioauthd
set -euo pipefail
[ $# -ge 2 ] || { sed -n '2,12p' "$0"; exit 2; }
OLD=$1 NEW=$2 ROUNDS=${3:-4}
B=$(cd "$(dirname "$0")" && pwd)
LG=$B/work/bin/loadgen
CTL=$(dirname "$NEW")/bioauthctl
D=$(mktemp -d)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait; rm -rf "$D"' EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
start() {   # BIN DB -> "PID PORT"
	local port
	port=$(free_port)
	"$1" --listen "127.0.0.1:$port" --db "$2" --issuer http://bioauth.bench/oidc --data-dir "$D" \
		--log-level error >/dev/null 2>&1 &
	for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.1; done
	echo "$! $port"
}

"$CTL" --db "$D/old.db" app create --name ab --resource https://api.bench.example >"$D/app.json"
cp "$D/old.db" "$D/new.db"
/usr/bin/python3 "$B/gen.py" cc --client-id="$(jq -r .client_id "$D/app.json")" \
	--client-secret="$(jq -r .client_secret "$D/app.json")" --out "$D/cc.req"
read -r OP OPORT < <(start "$OLD" "$D/old.db")
read -r NP NPORT < <(start "$NEW" "$D/new.db")
PIDS=("$OP" "$NP")   # start ran in a subshell: record the PIDs here
HZ=$(getconf CLK_TCK)
for r in $(seq "$ROUNDS"); do
	for side in old new; do
		if [ $side = old ]; then pid=$OP port=$OPORT; else pid=$NP port=$NPORT; fi
		c0=$(ticks "$pid")
		out=$("$LG" --port "$port" --requests "$D/cc.req" --duration 5 --warmup 0 --connections 32 --repeat)
		c1=$(ticks "$pid")
		echo "$out" | jq -r --arg s "$side" --arg r "$r" --argjson cpu "$(( c1 - c0 ))" --argjson hz "$HZ" \
			'"\($s) round \($r): \(.throughput_rps) tokens/s, \($cpu / $hz * 1000 / .completed * 1000 | round / 1000) ms CPU/token"'
	done
done
