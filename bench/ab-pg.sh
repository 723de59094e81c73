#!/usr/bin/env bash
# bench/ab-pg.sh OLD_BIOAUTHD NEW_BIOAUTHD [ROUNDS] [RATE] - two builds of
# bioauthd side by side on authenticate over PostgreSQL: a throwaway cluster
# (scripts/pg-test-cluster.sh, fsync on), one database populated with KEYS
# (default 10,000) registered keys, vacuumed and copied twice (CREATE
# DATABASE ... TEMPLATE) so that each side has its own copy, made alike (a
# side on the populated database itself ran ~4 % cheaper than one on its
# copy when both ran the same binary), and both replay the same signed
# requests; both servers durable, open loop at RATE requests/s (default 300),
# in alternating T-second rounds (A B B A ...) so that both see the same
# background load. Per round: throughput, latency (p50, p99, p99.9 from the
# intended send time) and CPU per request of bioauthd and of the whole
# cluster (postmaster and every process it started, read from /proc), and
# their sum; and of the side's own client backends alone (its database's
# connections: no background process, autovacuum worker or other side).
# Then, per side, the round trips to PostgreSQL per authenticate: a short
# extra round at 100/s under strace, counting bioauthd's sendto()
# calls on its connections to the cluster (libpq sends once per round trip).
# Needs the bench tools (make -C bench), jq and strace. Servers bind
# 127.0.0.1 on free ports and are stopped by PID; the cluster is stopped
# and removed on exit.
#
#   bench/ab-pg.sh /tmp/old/bioauthd build/bioauthd 6 300
set -euo pipefail
[ $# -ge 2 ] || { sed -n '2,23p' "$0"; exit 2; }
OLD=$1 NEW=$2 ROUNDS=${3:-6} RATE=${4:-300} T=${T:-5} KEYS=${KEYS:-10000}
B=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$B")
LG=$B/work/bin/loadgen
POP=$B/work/bin/populate
CTL=$(dirname "$NEW")/bioauthctl
CLUSTER=$ROOT/scripts/pg-test-cluster.sh
PY=/usr/bin/python3
D=$(mktemp -d)
chmod 755 "$D"   # the cluster may run as another user (pg-test-cluster.sh)
PIDS=()
cleanup() {
	for p in "${PIDS[@]+"${PIDS[@]}"}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	"$CLUSTER" stop "$D/pg" >/dev/null 2>&1 || true
	rm -rf "$D"
}
trap cleanup EXIT

free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# CPU ticks of the cluster: the postmaster and every process it started,
# each with the time of its reaped children (exited backends); then, of
# those, the client backends connected to database $1 alone (their process
# title names it; background processes, autovacuum workers and the other
# side's backends excluded: the figure the statements move).
db_ticks() {
	$PY - "$PM" "$1" <<'EOF'
import os, sys
pm, db, total, own = int(sys.argv[1]), sys.argv[2], 0, 0
for d in os.listdir("/proc"):
    if not d.isdigit():
        continue
    try:
        with open(f"/proc/{d}/stat") as f:
            s = f.read()
        with open(f"/proc/{d}/cmdline", "rb") as f:
            title = f.read().split(b"\0")[0].decode(errors="replace").split()
    except OSError:
        continue
    f = s[s.rindex(")") + 2:].split()
    if int(d) == pm or int(f[1]) == pm:
        t = sum(int(x) for x in f[11:15])
        total += t
        if len(title) >= 3 and title[0] == "postgres:" and title[2] == db:
            own += t
print(total, own)
EOF
}
start() {   # BIN DB -> "PID PORT"
	local port
	port=$(free_port)
	"$1" --listen "127.0.0.1:$port" --db "$2" --durable true --issuer http://bioauth.bench/oidc \
		--data-dir "$D" --log-level error >"$D/bioauthd-$port.log" 2>&1 &
	for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.1; done
	echo "$! $port"
}

# postgres://USER:PASS@HOST:PORT/DB: the password goes to libpq through the
# environment, not on command lines.
url=$("$CLUSTER" start "$D/pg")
rest=${url#*://}
user=${rest%%:*}
pass=${rest#*:}
pass=${pass%%@*}
hostport=${rest#*@}
hostport=${hostport%%/*}
PGPORT_=${hostport##*:}
export PGPASSWORD=$pass
# The signing keys in PostgreSQL are sealed under a secrets file.
(umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$D/secrets" && echo >>"$D/secrets")
export BIOAUTH_SECRETS_FILE=$D/secrets
DB_TPL=postgres://$user@$hostport/bioauth
DB_OLD=postgres://$user@$hostport/bioauth_old
DB_NEW=postgres://$user@$hostport/bioauth_new
PM=$(head -1 "$D/pg/data/postmaster.pid")

"$CTL" --db "$DB_TPL" app create --name ab --resource https://api.bench.example \
	--max-authenticators 1000 >"$D/app.json"
"$CTL" --db "$DB_TPL" signing-key rotate >/dev/null
"$POP" --db "$DB_TPL" --app-id "$(jq -r .app_id "$D/app.json")" --keys "$KEYS" \
	--pool-out "$D/pool" >/dev/null 2>"$D/populate.err" ||
	echo "note: $(cat "$D/populate.err") - those keys fail alike on both sides" >&2
psql -X -q -d "$DB_TPL" -c "SET client_min_messages = error" -c "VACUUM ANALYZE" >/dev/null
for copy in bioauth_old bioauth_new; do
	for i in $(seq 40); do   # the populator's backends may still be exiting
		psql -X -q -d "postgres://$user@$hostport/postgres" \
			-c "CREATE DATABASE $copy TEMPLATE bioauth OWNER $user" 2>/dev/null && break
		[ "$i" -lt 40 ] || { echo "could not copy the database" >&2; exit 1; }
		sleep 0.5
	done
done
read -r OP OPORT < <(start "$OLD" "$DB_OLD")
read -r NP NPORT < <(start "$NEW" "$DB_NEW")
PIDS=("$OP" "$NP")
CT=$(curl -sf -u "$(jq -r .client_id "$D/app.json"):$(jq -r .client_secret "$D/app.json")" \
	-d grant_type=client_credentials "http://127.0.0.1:$OPORT/oidc/token" | jq -r .access_token)
$PY "$B/gen.py" auth-client --token="$CT" --pool "$D/pool" --keys "$KEYS" \
	--count $(( RATE * (T + 2) * ROUNDS + 1000 )) --seed 5 --out "$D/auth.req"
HZ=$(getconf CLK_TCK)
declare -A off=([old]=0 [new]=0) cpu=([old]=0 [new]=0) db=([old]=0 [new]=0) be=([old]=0 [new]=0) \
	done_=([old]=0 [new]=0)
side_of() { if [ "$1" = old ]; then echo "$OP $OPORT"; else echo "$NP $NPORT"; fi; }
for r in $(seq "$ROUNDS"); do
	for side in $( [ $((r % 2)) -eq 1 ] && echo old new || echo new old ); do
		read -r pid port < <(side_of "$side")
		read -r d0 b0 < <(db_ticks "bioauth_$side")
		c0=$(ticks "$pid")
		"$LG" --port "$port" --requests "$D/auth.req" --offset "${off[$side]}" --duration "$T" \
			--warmup 1 --connections 60 --rate "$RATE" >"$D/${side}_r$r.json"
		c1=$(ticks "$pid")
		read -r d1 b1 < <(db_ticks "bioauth_$side")
		n=$(jq .completed "$D/${side}_r$r.json")
		off[$side]=$(( ${off[$side]} + $(jq .sent "$D/${side}_r$r.json") ))
		cpu[$side]=$(( ${cpu[$side]} + c1 - c0 )) db[$side]=$(( ${db[$side]} + d1 - d0 ))
		be[$side]=$(( ${be[$side]} + b1 - b0 ))
		done_[$side]=$(( ${done_[$side]} + n ))
		jq -r --arg s "$side" --arg r "$r" --argjson c "$(( c1 - c0 ))" --argjson d "$(( d1 - d0 ))" \
			--argjson b "$(( b1 - b0 ))" --argjson hz "$HZ" \
			'def ms(t): t / $hz * 1000 / .completed * 1000 | round / 1000;
			 "\($s) round \($r): \(.throughput_rps|round) req/s, p50 \(.latency_ms.p50) p99 \(.latency_ms.p99) p99.9 \(.latency_ms.p99_9) ms, CPU/req bioauthd \(ms($c)) + postgres \(ms($d)) = \(ms($c + $d)) ms (its backends \(ms($b))), status \(.status|tojson)"' \
			"$D/${side}_r$r.json"
	done
done
for side in old new; do
	awk -v s=$side -v c="${cpu[$side]}" -v d="${db[$side]}" -v b="${be[$side]}" \
		-v n="${done_[$side]}" -v hz="$HZ" \
		'BEGIN { printf "%s pooled: %d requests, CPU/req bioauthd %.3f + postgres %.3f = %.3f ms; bioauthd + its backends %.3f + %.3f = %.3f ms\n",
		         s, n, c / hz * 1000 / n, d / hz * 1000 / n, (c + d) / hz * 1000 / n,
		         c / hz * 1000 / n, b / hz * 1000 / n, (c + b) / hz * 1000 / n }'
done
awk -v co="${cpu[old]}" -v do_="${db[old]}" -v no="${done_[old]}" \
    -v cn="${cpu[new]}" -v dn="${db[new]}" -v nn="${done_[new]}" \
	-v bo="${be[old]}" -v bn="${be[new]}" \
	'BEGIN { printf "new/old total CPU per authenticate: %.2f (bioauthd + its backends: %.2f)\n",
	         ((cn + dn) / nn) / ((co + do_) / no), ((cn + bn) / nn) / ((co + bo) / no) }'

# Round trips: bioauthd's sendto() calls to the cluster's port per request.
for side in old new; do
	read -r pid port < <(side_of "$side")
	strace -f -qq -yy -e trace=sendto -e signal=none -o "$D/$side.strace" -p "$pid" &
	st=$!
	sleep 1
	"$LG" --port "$port" --requests "$D/auth.req" --offset "${off[$side]}" --duration 3 \
		--warmup 0 --connections 8 --rate 100 >"$D/${side}_strace.json"
	sleep 0.5
	kill -INT "$st"
	wait "$st" 2>/dev/null || true
	n=$(jq .completed "$D/${side}_strace.json")
	s=$(grep -c -- "->127.0.0.1:$PGPORT_]" "$D/$side.strace" || true)
	awk -v s=$side -v k="$s" -v n="$n" -v st="$(jq -c .status "$D/${side}_strace.json")" \
		'BEGIN { printf "%s: %d sends to PostgreSQL for %d authenticate = %.2f round trips each, status %s\n", s, k, n, k / n, st }'
done
