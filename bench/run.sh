#!/usr/bin/env bash
# bench/run.sh - the whole benchmark in one command, from a fresh Debian 12
# machine: installs what it needs (apt-get, npm), builds bioauth and the
# bench tools, measures the crypto bound, populates databases of
# KEYS_SMALL and KEYS_LARGE registered keys, runs every scenario against
# bioauthd on SQLite (durable, then --durable false), compares 1M and 10k
# keys, runs the same scenarios on PostgreSQL with one bioauthd and with two
# bioauthd sharing one database, runs the peers (node-oidc-provider,
# glewlwyd) on the same endpoint, profiles bioauthd under authenticate load
# with perf, prints the Markdown tables (bench/summary.py) and draws the
# SVG charts (bench/plot.py, gnuplot). Raw JSON goes to
# bench/results/<UTC time>/.
#
#   bench/run.sh            full run (about 20-30 minutes on 2 cores)
#   bench/run.sh --quick    smoke run (2 s rounds, small databases; ~6 min)
#   options:
#     --no-peers      skip node-oidc-provider and glewlwyd
#     --no-profile    skip the perf profile
#     --no-pg         skip the PostgreSQL scenarios (also skipped, with a log
#                     line, when no PostgreSQL server binaries are found;
#                     the install step installs them unless --no-install)
#     --no-install    install nothing (no apt-get, no npm)
#     --duration S    seconds of load per scenario and side (20; quick 4)
#     --margin M      single-use request files hold M times what the
#                     calibrated rate needs for a run (default 3), so a
#                     server up to M times faster than at calibration
#                     cannot use them up
#     --nice N        run every measured process (bioauthd, the peers, the
#                     load generator) at nice -N, ahead of other work on a
#                     shared machine (the same for all, so ratios stay fair)
#
# Every server binds 127.0.0.1 on a free port and is stopped by its PID
# (trap on exit); the throwaway PostgreSQL cluster (bench/work/pg, made by
# scripts/pg-test-cluster.sh) is stopped by that script's stop command. The
# load generator only ever targets 127.0.0.1.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$ROOT/bench
WORK=$B/work
PY=/usr/bin/python3
CONC=32              # closed-loop connections (bioauthd allows 64 per IP)
OPEN_CONNS=60        # open-loop connection pool
QUICK=0 PEERS=1 PROFILE=1 INSTALL=1 PG=1 T="" NICE=0 MARGIN=3

while [ $# -gt 0 ]; do
	case "$1" in
	--quick) QUICK=1 ;;
	--no-peers) PEERS=0 ;;
	--no-profile) PROFILE=0 ;;
	--no-install) INSTALL=0 ;;
	--no-pg) PG=0 ;;
	--duration) T=$2; shift ;;
	--margin) MARGIN=$2; shift ;;
	--nice) NICE=$2; shift ;;
	-h|--help) sed -n '2,34p' "$0"; exit 0 ;;
	*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done

if [ $QUICK -eq 1 ]; then
	T=${T:-4}; WARM=1; KEYS_SMALL=2000; KEYS_LARGE=20000; PROFILE=0; ROUNDS=2; SWEEP_T=2
else
	T=${T:-20}; WARM=4; KEYS_SMALL=10000; KEYS_LARGE=1000000; ROUNDS=4; SWEEP_T=5
fi
case "$NICE" in ''|*[!0-9]*) echo "run.sh: --nice takes 0..19" >&2; exit 2 ;; esac
case "$T" in ''|*[!0-9.]*) echo "run.sh: --duration takes seconds" >&2; exit 2 ;; esac
case "$MARGIN" in ''|*[!0-9.]*) echo "run.sh: --margin takes a number >= 1" >&2; exit 2 ;; esac
awk "BEGIN {exit !($MARGIN >= 1 && $T >= 2)}" ||
	{ echo "run.sh: --margin must be >= 1 and --duration >= 2" >&2; exit 2; }
# Compared runs (durable/non-durable, 1M/10k keys, one/two instances) are
# split in ROUNDS alternating rounds of T/ROUNDS seconds each (1 s warm-up
# per round).
RT=$(awk "BEGIN {print $T / $ROUNDS}")
PLANNED=$(awk "BEGIN {print $ROUNDS * ($RT - 1)}")   # measured seconds per side
PRIO=(nice -n "-$NICE")      # measured processes: bioauthd, peers, loadgen
RUN_ID=$(date -u +%Y%m%dT%H%M%SZ)
RES=$B/results/$RUN_ID
BUILD=$WORK/build
BIN=$WORK/bin
REQ=$WORK/req
DBD=$WORK/db
PGDIR=$WORK/pg
PGCLUSTER=$ROOT/scripts/pg-test-cluster.sh
mkdir -p "$RES/rounds" "$REQ" "$DBD"
rm -f "$REQ"/* "$DBD"/*

PIDS=()
PG_STARTED=0
PG_PM=""             # postmaster PID while the cluster runs (its CPU is measured)
cleanup() {
	local p
	for p in "${PIDS[@]+"${PIDS[@]}"}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]+"${PIDS[@]}"}"; do
		wait "$p" 2>/dev/null || true
	done
	if [ "$PG_STARTED" -eq 1 ]; then
		"$PGCLUSTER" stop "$PGDIR" || echo "run.sh: could not stop the cluster in $PGDIR" >&2
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "[bench $(date +%H:%M:%S)] $*" >&2; }
die() { echo "run.sh: $*" >&2; exit 1; }
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ceil() { awk "BEGIN {x = $1; y = int(x); print (y < x) ? y + 1 : y}"; }
fmax() { awk "BEGIN {print ($1 > $2) ? $1 : $2}"; }
HZ=$(getconf CLK_TCK)

# cpu_ticks PIDS: CPU time (user + system, ticks) of the comma-separated PIDs.
cpu_ticks() {
	local p t=0
	for p in ${1//,/ }; do
		t=$(( t + $(awk '{print $14 + $15}' "/proc/$p/stat") ))
	done
	echo $t
}

# db_ticks: CPU time (ticks) of the PostgreSQL cluster: the postmaster and
# every process it started (backends, checkpointer, WAL writer, autovacuum),
# each with the time of its own reaped children; a backend that exited in
# between has its time in the postmaster's children time. 0 with no cluster.
db_ticks() {
	[ -n "$PG_PM" ] || { echo 0; return; }
	$PY - "$PG_PM" <<'EOF'
import os, sys
pm, total = int(sys.argv[1]), 0
for d in os.listdir("/proc"):
    if not d.isdigit():
        continue
    try:
        with open(f"/proc/{d}/stat") as f:
            s = f.read()
    except OSError:
        continue
    f = s[s.rindex(")") + 2:].split()     # from field 3 (state) on
    if int(d) == pm or int(f[1]) == pm:
        total += sum(int(x) for x in f[11:15])   # utime stime cutime cstime
print(total)
EOF
}

# Stops one server we started, by PID; SIGKILL after 15 s.
stop_pid() {
	local p=$1 i
	kill -TERM "$p" 2>/dev/null || return 0
	for i in $(seq 150); do
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$p" 2>/dev/null || true
	wait "$p" 2>/dev/null || true
	local keep=()
	for i in "${PIDS[@]}"; do [ "$i" != "$p" ] && keep+=("$i"); done
	PIDS=("${keep[@]+"${keep[@]}"}")
}

wait_http() {   # URL: up to 30 s
	local i
	for i in $(seq 300); do
		curl -s -o /dev/null "$1" && return 0
		sleep 0.1
	done
	echo "run.sh: $1 did not come up" >&2
	return 1
}

# PostgreSQL server binaries (the directory holding initdb), found as
# scripts/pg-test-cluster.sh finds them; empty when there are none.
pg_bindir() {
	local d=""
	if command -v pg_config >/dev/null 2>&1; then
		d=$(pg_config --bindir 2>/dev/null || true)
	fi
	if [ -z "$d" ] || [ ! -x "$d/initdb" ]; then
		d=""
		for x in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
			if [ -x "$x/initdb" ]; then d=$x; break; fi
		done
	fi
	echo "$d"
}

# ---------------------------------------------------------------- install
if [ $INSTALL -eq 1 ]; then
	log "checking packages"
	groups=()
	[ $PG -eq 1 ] && groups+=(postgres)
	"$ROOT/scripts/install-deps.sh" "${groups[@]+"${groups[@]}"}"
	# command:package pairs; a command already on PATH (e.g. a node
	# installed another way) is left alone.
	want=(jq:jq python3:python3-cryptography python3:python3-requests gnuplot:gnuplot-nox)
	[ $PEERS -eq 1 ] && want+=(node:nodejs npm:npm glewlwyd:glewlwyd)
	[ $PROFILE -eq 1 ] && want+=(perf:linux-perf)
	missing=()
	for w in "${want[@]}"; do
		c=${w%%:*} p=${w#*:}
		case "$p" in
		python3-*) $PY -c "import ${p#python3-}" 2>/dev/null && continue ;;
		*) command -v "$c" >/dev/null && continue ;;
		esac
		missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		log "apt-get install ${missing[*]}"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
	fi
	if [ $PEERS -eq 1 ] && [ ! -f "$WORK/oidc/node_modules/oidc-provider/package.json" ]; then
		log "npm install oidc-provider"
		mkdir -p "$WORK/oidc"
		(cd "$WORK/oidc" && { [ -f package.json ] || npm init -y >/dev/null; } &&
		 npm install --no-audit --no-fund --loglevel=error oidc-provider@9 >/dev/null)
	fi
fi
if [ $PEERS -eq 1 ] && { [ ! -f "$WORK/oidc/node_modules/oidc-provider/package.json" ] ||
                         ! command -v node >/dev/null || ! command -v glewlwyd >/dev/null; }; then
	log "node-oidc-provider or glewlwyd is not installed (run.sh without --no-install installs them): skipping the peers"
	PEERS=0
fi
PGBIN=""
if [ $PG -eq 1 ]; then
	PGBIN=$(pg_bindir)
	if [ -z "$PGBIN" ]; then
		log "no PostgreSQL server binaries (scripts/install-deps.sh postgres installs them): skipping the PostgreSQL scenarios"
		PG=0
	fi
fi

# ---------------------------------------------------------------- build
log "building bioauth and the bench tools"
make -C "$ROOT" -j2 --no-print-directory BUILD="$BUILD" "$BUILD/bioauthd" "$BUILD/bioauthctl" \
	"$BUILD/libbioauth.a" >"$WORK/build.log" 2>&1 || { tail -30 "$WORK/build.log"; exit 1; }
make -C "$B" --no-print-directory BUILD="$BUILD" OUT="$BIN" >>"$WORK/build.log" 2>&1 ||
	{ tail -30 "$WORK/build.log"; exit 1; }
LG=$BIN/loadgen
CTL=$BUILD/bioauthctl
GEN="$PY $B/gen.py"

# ---------------------------------------------------------------- machine
{
	echo "{\"run_id\": \"$RUN_ID\", \"quick\": $QUICK, \"duration_s\": $T, \"warmup_s\": $WARM,"
	echo " \"nice\": $NICE, \"rounds\": $ROUNDS, \"margin\": $MARGIN,"
	echo " \"connections\": $CONC, \"keys_small\": $KEYS_SMALL, \"keys_large\": $KEYS_LARGE,"
	echo " \"nproc\": $(nproc), \"cpu\": $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //' | jq -R .),"
	echo " \"mem_total_kb\": $(awk '/MemTotal/ {print $2}' /proc/meminfo),"
	echo " \"kernel\": \"$(uname -r)\", \"openssl\": \"$(openssl version | cut -d' ' -f2)\","
	echo " \"postgresql\": $([ $PG -eq 1 ] && "$PGBIN/postgres" --version | jq -R . || echo null),"
	echo " \"git\": \"$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo none)\","
	echo " \"loadavg_start\": \"$(cut -d' ' -f1-3 /proc/loadavg)\"}"
} >"$RES/machine.json"

log "crypto bound (cryptobound, CPU-time based)"
"$BIN/cryptobound" --seconds "$([ $QUICK -eq 1 ] && echo 0.5 || echo 2)" >"$RES/cryptobound.json"
log "the disk's sync latency (fsyncprobe, in $DBD): the floor under a durable commit"
"$BIN/fsyncprobe" "$DBD" --count "$([ $QUICK -eq 1 ] && echo 300 || echo 2000)" >"$RES/fsyncprobe.json"

# ---------------------------------------------------------------- databases
# mkdb NAME KEYS [URL]: app + signing key + KEYS registered keys, in the
# SQLite file $DBD/NAME.db or in the PostgreSQL database URL. A pristine
# copy lets compared servers start from the same state (and replay the very
# same signed requests). The app allows 1000 keys per user: register runs
# add many keys to each of the users that logged in.
mkdb() {
	local name=$1 keys=$2 db=${3:-$DBD/$1.db} t0 t1 sz
	[ -n "${3:-}" ] || rm -f "$db" "$db-wal" "$db-shm"
	"$CTL" --db "$db" app create --name "bench-$name" --resource https://api.bench.example \
		--max-authenticators 1000 >"$DBD/$name.app.json"
	"$CTL" --db "$db" signing-key rotate >/dev/null
	t0=$(date +%s.%N)
	"$BIN/populate" --db "$db" --app-id "$(jq -r .app_id "$DBD/$name.app.json")" \
		--keys "$keys" --pool-out "$DBD/$name.pool" >"$DBD/$name.populate.json"
	t1=$(date +%s.%N)
	if [ -n "${3:-}" ]; then
		sz=$(psql_at "$db" "SELECT pg_database_size(current_database())")
	else
		sz=$(stat -c %s "$db")
	fi
	jq --arg w "$(awk "BEGIN {print $t1 - $t0}")" --arg sz "$sz" \
		'. + {wall_s: ($w|tonumber), db_bytes: ($sz|tonumber)}' "$DBD/$name.populate.json" \
		>"$RES/populate_$name.json"
	log "populated $name: $(jq -c . "$RES/populate_$name.json")"
}
psql_at() {   # URL SQL: one value
	"$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"
}
log "populating databases ($KEYS_SMALL and $KEYS_LARGE keys)"
mkdb small "$KEYS_SMALL"
mkdb large "$KEYS_LARGE"

# ---------------------------------------------------------------- servers
# start_bioauthd DB DURABLE: sets SRV_PID and SRV_PORT.
start_bioauthd() {
	SRV_PORT=$(free_port)
	"${PRIO[@]}" "$BUILD/bioauthd" --listen "127.0.0.1:$SRV_PORT" --db "$1" --durable "$2" \
		--issuer http://bioauth.bench/oidc --data-dir "$DBD" --log-level error \
		>"$WORK/bioauthd-$SRV_PORT.log" 2>&1 &
	SRV_PID=$!
	PIDS+=("$SRV_PID")
	wait_http "http://127.0.0.1:$SRV_PORT/healthz"
}

client_token() {   # NAME PORT -> client access token of that db's app
	local app=$DBD/$1.app.json
	curl -sf -u "$(jq -r .client_id "$app"):$(jq -r .client_secret "$app")" \
		-d grant_type=client_credentials "http://127.0.0.1:$2/oidc/token" | jq -r .access_token
}

memory() {   # NAME PID
	awk '/^VmRSS|^VmHWM/ {gsub(":", "", $1); print "\"" $1 "_kb\": " $2 ","}' "/proc/$2/status" |
		{ echo "{"; cat; echo "\"label\": \"$1\"}"; } | jq . >"$RES/mem_$1.json"
}

ok_count() {   # RESPONSES...: how many 200 answers they hold (missing files: none)
	local f n=0
	for f in "$@"; do
		[ -f "$f" ] && n=$(( n + $(awk '$3 == 200 {n++} END {print n + 0}' "$f") ))
	done
	echo $n
}
nreq() { wc -l <"$1.meta"; }   # FILE: how many requests gen.py wrote

# lg NAME PIDS PORTS FILE [loadgen options]: one timed run, JSON to results
# (OUTDIR, default $RES), with the CPU time of the servers (PIDS and PORTS
# are comma-separated: the load is spread over the ports), of the
# PostgreSQL cluster when one runs, and the machine's load average added.
# LG_T / LG_WARM override the duration and warm-up.
lg() {
	local name=$1 pids=$2 ports=$3 file=$4 c0 c1 d0 d1 db l0 out=${OUTDIR:-$RES} q i stages
	local -a qs scr=()
	shift 4
	IFS=, read -ra qs <<<"$ports"
	# /metrics around the run: the per-stage breakdown (bench/stages.py);
	# servers without it (the peers) simply give none.
	for i in "${!qs[@]}"; do
		curl -sf "http://127.0.0.1:${qs[$i]}/metrics" >"$out/$name.m$i.before" 2>/dev/null || :
	done
	c0=$(cpu_ticks "$pids")
	d0=$(db_ticks)
	l0=$(cut -d' ' -f1 /proc/loadavg)
	"${PRIO[@]}" "$LG" --ports "$ports" --requests "$file" --duration "${LG_T:-$T}" \
		--warmup "${LG_WARM:-$WARM}" --label "$name" --samples "$out/$name.json.samples" "$@" \
		>"$out/$name.raw"
	c1=$(cpu_ticks "$pids")
	d1=$(db_ticks)
	for i in "${!qs[@]}"; do
		q=$out/$name.m$i
		curl -sf "http://127.0.0.1:${qs[$i]}/metrics" >"$q.after" 2>/dev/null || :
		[ -s "$q.before" ] && [ -s "$q.after" ] && scr+=("$q.before" "$q.after")
	done
	stages='[]'
	[ ${#scr[@]} -gt 0 ] && stages=$($PY "$B/stages.py" --json "${scr[@]}")
	rm -f "$out/$name".m*.before "$out/$name".m*.after
	db=null
	[ -n "$PG_PM" ] && db=$(awk "BEGIN {printf \"%.3f\", ($d1 - $d0) / $HZ}")
	jq --argjson cpu "$(awk "BEGIN {printf \"%.3f\", ($c1 - $c0) / $HZ}")" --argjson db "$db" \
	   --argjson stages "$stages" \
	   --argjson n "$(awk -F, '{print NF}' <<<"$pids")" --arg l0 "$l0" \
	   --arg l1 "$(cut -d' ' -f1 /proc/loadavg)" \
	   '. + {instances: $n, server_cpu_s: $cpu,
	         server_cpu_ms_per_req: (if .completed > 0 then $cpu * 1000 / .completed else null end)}
	    + (if $db == null then {} else
	         {db_cpu_s: $db,
	          db_cpu_ms_per_req: (if .completed > 0 then $db * 1000 / .completed else null end),
	          total_cpu_ms_per_req: (if .completed > 0 then ($cpu + $db) * 1000 / .completed else null end)}
	       end)
	    + {loadavg_before: ($l0|tonumber), loadavg_after: ($l1|tonumber), stages: $stages}' "$out/$name.raw" >"$out/$name.json"
	rm -f "$out/$name.raw"
	[ -z "${OUTDIR:-}" ] && rm -f "$out/$name.json.samples"
	log "$(jq -r '"\(.label): \(.throughput_rps) req/s, p50 \(.latency_ms.p50) ms, p99 \(.latency_ms.p99) ms, status \(.status|tojson), server \(.server_cpu_ms_per_req // 0 | .*1000|round/1000)" + (if .db_cpu_s != null then " + postgres \(.db_cpu_ms_per_req // 0 | .*1000|round/1000)" else "" end) + " ms CPU/req" + (if (.ports|length) > 1 then ", per port \(.completed_per_port|tojson)" else "" end) + (if .completed_in_window == 0 then " (VOID: nothing in the window)" elif .exhausted then " (request file used up)" else "" end)' "$out/$name.json")"
}

# ab NAME_A PIDS_A PORTS_A FILE_A NAME_B PIDS_B PORTS_B FILE_B [loadgen options]:
# the same scenario on two sides in ROUNDS short rounds, in the order
# A B B A A B ..., each round going on in the request file where that
# side's previous round stopped; the rounds are pooled by merge.py into
# $RES/NAME_A.json and $RES/NAME_B.json. Both sides thus see the same
# background load. Responses are appended to $REQ/NAME.resp.
# With AB_REFILL=FUNCTION, after each round FUNCTION FILE OFFSET RESPONSES
# OUT writes the requests for the next round to OUT (and prints how many):
# refresh goes on with the tokens the previous round got back. Each
# round's responses then go to $REQ/NAME_rN.resp. AB_LAST[NAME] is the file
# a side would go on with after the last round.
declare -A AB_LAST=()
ab() {
	local na=$1 pa=$2 qa=$3 fa=$4 nb=$5 pb=$6 qb=$7 fb=$8 r side name pid port file resp j ex n
	shift 8
	local -A off=([a]=0 [b]=0) done_=([a]=0 [b]=0) files=([a]="" [b]="") cur=([a]="$fa" [b]="$fb")
	rm -f "$REQ/$na.resp" "$REQ/$nb.resp"
	for r in $(seq "$ROUNDS"); do
		for side in $( [ $((r % 2)) -eq 1 ] && echo a b || echo b a ); do
			if [ $side = a ]; then name=$na pid=$pa port=$qa
			else name=$nb pid=$pb port=$qb; fi
			[ "${done_[$side]}" -eq 1 ] && continue
			file=${cur[$side]}
			resp=$REQ/$name.resp
			if [ -n "${AB_REFILL:-}" ]; then
				resp=$REQ/${name}_r$r.resp
				rm -f "$resp"
			fi
			j=$RES/rounds/${name}_r$r.json
			OUTDIR=$RES/rounds LG_T=$RT LG_WARM=1 lg "${name}_r$r" "$pid" "$port" "$file" \
				--offset "${off[$side]}" --responses "$resp" "$@"
			files[$side]="${files[$side]} $j"
			off[$side]=$(( ${off[$side]} + $(jq .sent "$j") ))
			ex=$(jq .exhausted "$j")
			if [ -n "${AB_REFILL:-}" ]; then
				n=$("$AB_REFILL" "$file" "${off[$side]}" "$resp" "$REQ/${name}_r$r.next")
				cur[$side]=$REQ/${name}_r$r.next
				off[$side]=0
				[ "$n" -gt 0 ] || ex=true
			elif ! printf '%s\n' "$@" | grep -qx -- --repeat &&
			     [ "${off[$side]}" -ge "$(jq .requests_in_file "$j")" ]; then
				ex=true
			fi
			[ "$ex" = true ] && done_[$side]=1
		done
	done
	AB_LAST[$na]=${cur[a]}
	AB_LAST[$nb]=${cur[b]}
	# shellcheck disable=SC2086
	$PY "$B/merge.py" --planned "$PLANNED" "$RES/$na.json" ${files[a]}
	# shellcheck disable=SC2086
	$PY "$B/merge.py" --planned "$PLANNED" "$RES/$nb.json" ${files[b]}
	for name in "$na" "$nb"; do
		log "$(jq -r '"\(.label) (pooled): \(.throughput_rps|round) req/s, p50 \(.latency_ms.p50) ms, p99 \(.latency_ms.p99) ms, server \(.server_cpu_ms_per_req // 0 | .*1000|round/1000)" + (if .db_cpu_s != null then " + postgres \(.db_cpu_ms_per_req // 0 | .*1000|round/1000)" else "" end) + " ms CPU/req" + (if .exhausted then " (request file used up)" else "" end)' "$RES/$name.json")"
	done
}

# sweep NAME PIDS PORT FILE PEAK [loadgen options]: open-loop runs at
# SWEEP percent of PEAK req/s, SWEEP_T seconds each (1 s warm-up), named
# NAME_sweepP: the points of the latency-against-load charts (plot.py).
# A single-use FILE is read on from where the previous point stopped.
SWEEP=(10 25 50 75 90)
sweep() {
	local name=$1 pids=$2 port=$3 file=$4 peak=$5 f n off=0 rep=0
	shift 5
	printf '%s\n' "$@" | grep -qx -- --repeat && rep=1
	for f in "${SWEEP[@]}"; do
		n=$(awk "BEGIN {print int($peak * $f / 100)}")
		[ "$n" -ge 1 ] || continue
		LG_T=$SWEEP_T LG_WARM=1 lg "${name}_sweep$f" "$pids" "$port" "$file" \
			--connections $OPEN_CONNS --rate "$n" --offset "$off" "$@"
		[ $rep -eq 1 ] || off=$(( off + $(jq .sent "$RES/${name}_sweep$f.json") ))
	done
}
sweep_count() {   # PEAK: single-use requests the whole sweep needs, with a margin
	awk -v p="$1" -v t="$SWEEP_T" 'BEGIN {s = 0; split("'"${SWEEP[*]}"'", f, " ");
		for (i in f) s += p * f[i] / 100 * t; print int(s * 1.2) + 200}'
}

refresh_refill() {   # FILE OFFSET RESPONSES OUT (see ab)
	$GEN refresh-next --token="$CT" --requests "$1" --offset "$2" --responses "$3" --out "$4"
}

# The two sides a suite compares: SA/PA/QA and SB/PB/QB (name suffix,
# bioauthd PIDs, ports; comma lists). side a|b sets S_SUF, S_PIDS, S_PORTS.
side() {
	if [ "$1" = a ]; then S_SUF=$SA S_PIDS=$PA S_PORTS=$QA
	else S_SUF=$SB S_PIDS=$PB S_PORTS=$QB; fi
}

# pair NAME FILE_A FILE_B [loadgen options]: the scenario NAME on side a
# (results NAME_$SA) and side b (NAME_$SB) in alternating rounds.
pair() {
	local name=$1 fa=$2 fb=$3
	shift 3
	ab "${name}_$SA" "$PA" "$QA" "$fa" "${name}_$SB" "$PB" "$QB" "$fb" --connections $CONC "$@"
}

# calib_run LABEL FILE SECONDS [loadgen options]: a calibration run on the
# current side with no warm-up, whose rate (completions over the time to the
# last one, so a file used up early still gives it) goes to CAL_R. Stops
# the whole benchmark when it got nothing, or mostly errors.
calib_run() {
	local label=$1 file=$2 dur=$3 j n ok
	shift 3
	j=$RES/rounds/calib_$label.json
	OUTDIR=$RES/rounds LG_T=$dur LG_WARM=0 lg "calib_$label" "$S_PIDS" "$S_PORTS" "$file" \
		--connections $CONC "$@"
	n=$(jq .completed_in_window "$j")
	ok=$(jq '.status["200"] // 0' "$j")
	if [ "$n" -eq 0 ] || [ $(( ok * 10 )) -lt $(( n * 9 )) ]; then
		die "calibration run calib_$label: $ok answers 200 of $n in its window" \
		    "($(jq -c '{status, errors, exhausted, requests_in_file}' "$j")); cannot size the request files"
	fi
	CAL_R=$(jq .throughput_rps "$j")
}

# calibrate DB KEYS: a short run of each single-use kind (authenticate,
# start, refresh, register) on both sides; sets R_AUTH, R_START, R_REF,
# R_REG to the faster side's rate, R_MIX to an upper bound of the mix's.
calibrate() {
	local db=$1 keys=$2 s
	$GEN auth-client --token="$CT" --pool "$DBD/$db.pool" --keys "$keys" --count 12000 --seed 99 \
		--out "${F}calib-auth.req"
	$GEN start --token="$CT" --keys "$keys" --count 20000 --seed 98 --out "${F}calib-start.req"
	R_AUTH=0 R_START=0 R_REF=0 R_REG=0
	for s in a b; do
		side $s
		rm -f "$REQ/calib-auth-$S_SUF.resp"
		calib_run "auth_$S_SUF" "${F}calib-auth.req" 3 --responses "$REQ/calib-auth-$S_SUF.resp"
		R_AUTH=$(fmax "$R_AUTH" "$CAL_R")
		calib_run "start_$S_SUF" "${F}calib-start.req" 2
		R_START=$(fmax "$R_START" "$CAL_R")
		$GEN refresh --token="$CT" --requests "${F}calib-auth.req" \
			--responses "$REQ/calib-auth-$S_SUF.resp" --out "${F}calib-refresh-$S_SUF.req"
		calib_run "refresh_$S_SUF" "${F}calib-refresh-$S_SUF.req" 2
		R_REF=$(fmax "$R_REF" "$CAL_R")
		$GEN register --pool "$DBD/$db.pool" --requests "${F}calib-auth.req" \
			--responses "$REQ/calib-auth-$S_SUF.resp" --slots 1 --min-count 4000 --id-tag c \
			--out "${F}calib-register-$S_SUF.req"
		calib_run "register_$S_SUF" "${F}calib-register-$S_SUF.req" 2
		R_REG=$(fmax "$R_REG" "$CAL_R")
	done
	# the mix's shares (cc's time left out: an upper bound of its rate)
	R_MIX=$(awk "BEGIN {print 1 / (0.25 / $R_START + 0.25 / $R_AUTH + 0.35 / $R_REF + 0.05 / $R_REG)}")
	log "calibration ($db, faster side): authenticate $R_AUTH/s, start $R_START/s, refresh $R_REF/s," \
	    "register $R_REG/s, mix <= $(printf %.0f "$R_MIX")/s; files sized for $MARGIN × these"
}

# feed LABEL FILE RATE RESPONSES: an unreported run on the current side that
# sends the whole FILE (it ends when the file is used up; at most 600 s).
feed() {
	local label=$1 file=$2 rate=$3 resp=$4 dur
	dur=$(awk "BEGIN {d = $(nreq "$file") / $rate * 2 + 5; print (d > 600) ? 600 : d}")
	rm -f "$resp"
	OUTDIR=$RES/rounds LG_T=$dur LG_WARM=0 lg "$label" "$S_PIDS" "$S_PORTS" "$file" \
		--connections $CONC --responses "$resp"
}

# token_sources: SRC = the --requests/--responses pairs of every
# authenticate run of the current side (what refresh and register use).
token_sources() {
	SRC=(--requests "${F}auth_client.req" --responses "$REQ/auth_client_$S_SUF.resp"
	     --requests "${F}auth_start-$S_SUF.req" --responses "$REQ/auth_start_$S_SUF.resp")
	[ -s "$REQ/auth_half_$S_SUF.resp" ] &&
		SRC+=(--requests "${F}auth_half.req" --responses "$REQ/auth_half_$S_SUF.resp")
	[ -s "$REQ/feed_$S_SUF.resp" ] &&
		SRC+=(--requests "${F}feed-$S_SUF.req" --responses "$REQ/feed_$S_SUF.resp")
	return 0
}
challenge_sources() {   # CSRC, for the /start challenges of the current side
	CSRC=(--requests "${F}start.req" --responses "$REQ/start_$S_SUF.resp")
	[ -s "$REQ/feed_start_$S_SUF.resp" ] &&
		CSRC+=(--requests "${F}feed_start-$S_SUF.req" --responses "$REQ/feed_start_$S_SUF.resp")
	return 0
}

# suite DB EXTRA MIX_BOTH: every scenario of one backend on the sides a and
# b (see side), both on copies of the database DB (same app, signing key and
# keys) so that the same signed requests are valid on both. The single-use
# files are sized from a calibration: MARGIN times what the faster side
# needs at its calibrated rate; refresh and the /start challenges come from
# the runs before them, topped up by unreported feed runs when short.
# EXTRA=1 adds the open-loop runs at half of side a's peak (SQLite; the
# authenticate one on side b too);
# MIX_BOTH=1 runs the mix on both sides (in rounds), else on side a only.
# Sets CT, F, NAUTH, half for the steps that follow.
suite() {
	local db=$1 extra=$2 mixboth=$3 keys pool=$DBD/$1.pool app=$DBD/$1.app.json s need have n
	local nauth nstart nreg nref nmix mix_start mix_auth mix_ref mix_reg
	keys=$(jq .keys "$RES/populate_$db.json")
	F=$REQ/$db-
	CT=$(client_token "$db" "${QA%%,*}")
	[ -n "$CT" ] && [ "$CT" != null ] || die "no client token from the $db app"
	calibrate "$db" "$keys"
	nauth=$(ceil "$MARGIN * $R_AUTH * $T + 500")
	nstart=$(ceil "$MARGIN * $R_START * $T + 500")
	nreg=$(ceil "$MARGIN * $R_REG * $T + 200")
	nref=$(ceil "$MARGIN * $R_REF * $RT + 200")      # alive refresh tokens per round
	nmix=$(ceil "$MARGIN * $R_MIX * $T + 500")
	mix_start=$(ceil "$nmix * 0.25 + 50") mix_auth=$(ceil "$nmix * 0.25 + 50")
	mix_ref=$(ceil "$nmix * 0.35 + 50") mix_reg=$(ceil "$nmix * 0.05 + 50")
	NAUTH=$nauth
	log "request files: authenticate $nauth, start $nstart, register $nreg, refresh tokens $nref" \
	    "per round, mix $nmix"
	$GEN cc --client-id="$(jq -r .client_id "$app")" --client-secret="$(jq -r .client_secret "$app")" \
		--out "${F}cc.req"
	$GEN auth-client --token="$CT" --pool "$pool" --keys "$keys" --count "$nauth" \
		--seed 3 --out "${F}auth_client.req"
	$GEN start --token="$CT" --keys "$keys" --count "$nstart" --seed 2 --out "${F}start.req"

	# client_credentials: peak, then half of that peak open loop (no coordinated omission)
	pair cc "${F}cc.req" "${F}cc.req" --repeat
	if [ "$extra" -eq 1 ]; then
		n=$(jq '.throughput_rps / 2 | floor' "$RES/cc_$SA.json")
		[ "$n" -ge 1 ] || die "client_credentials peak on $SA is 0"
		lg "cc_half_$SA" "$PA" "$QA" "${F}cc.req" --connections $OPEN_CONNS --rate "$n" --repeat
	fi

	pair start "${F}start.req" "${F}start.req"
	# authenticate with client-made challenges: the same file on both sides
	pair auth_client "${F}auth_client.req" "${F}auth_client.req"
	if [ "$extra" -eq 1 ]; then
		half=$(jq '.throughput_rps / 2 | floor' "$RES/auth_client_$SA.json")
		[ "$half" -ge 1 ] || die "authenticate peak on $SA is 0: see $RES/auth_client_$SA.json"
		$GEN auth-client --token="$CT" --pool "$pool" --keys "$keys" \
			--count $(( half * ${T%.*} + 200 )) --seed 5 --out "${F}auth_half.req"
		rm -f "$REQ/auth_half_$SA.resp"
		lg "auth_half_$db" "$PA" "$QA" "${F}auth_half.req" --connections $OPEN_CONNS --rate "$half" \
			--responses "$REQ/auth_half_$SA.resp"
		# The same requests at the same rate on side b (no fdatasync): what
		# of side a's tail is the disk's sync (fsyncprobe.json: the disk's own).
		rm -f "$REQ/auth_half_$SB.resp"
		lg "auth_half_${db}_$SB" "$PB" "$QB" "${F}auth_half.req" --connections $OPEN_CONNS \
			--rate "$half" --responses "$REQ/auth_half_$SB.resp"
	fi

	# authenticate with /start challenges: the pair's, then the mix's
	for s in a b; do
		side $s
		rm -f "$REQ/feed_start_$S_SUF.resp"
		need=$nauth
		if [ $s = a ] || [ "$mixboth" -eq 1 ]; then need=$(( need + mix_auth )); fi
		have=$(ok_count "$REQ/start_$S_SUF.resp")
		if [ "$have" -lt "$need" ]; then
			$GEN start --token="$CT" --keys "$keys" --count "$(ceil "($need - $have) * 1.15 + 200")" \
				--seed 41 --out "${F}feed_start-$S_SUF.req"
			feed "feed_start_$S_SUF" "${F}feed_start-$S_SUF.req" "$R_START" "$REQ/feed_start_$S_SUF.resp"
		fi
		challenge_sources
		$GEN auth-start --token="$CT" --pool "$pool" "${CSRC[@]}" --max "$nauth" \
			--out "${F}auth_start-$S_SUF.req"
		n=$(nreq "${F}auth_start-$S_SUF.req")
		[ "$n" -ge "$nauth" ] || log "warning: only $n /start challenges for auth_start_$S_SUF (wanted $nauth)"
	done
	pair auth_start "${F}auth_start-$SA.req" "${F}auth_start-$SB.req"

	# refresh and register need what authenticate returned (refresh tokens,
	# user tokens); a feed run (not reported) tops up the refresh tokens
	for s in a b; do
		side $s
		rm -f "$REQ/feed_$S_SUF.resp"
		need=$nref
		if [ $s = a ] || [ "$mixboth" -eq 1 ]; then need=$(( need > mix_ref ? need : mix_ref )); fi
		token_sources
		have=$(ok_count "$REQ/auth_client_$S_SUF.resp" "$REQ/auth_start_$S_SUF.resp" \
			"$REQ/auth_half_$S_SUF.resp")
		if [ "$have" -lt "$need" ]; then
			$GEN auth-client --token="$CT" --pool "$pool" --keys "$keys" \
				--count "$(ceil "($need - $have) * 1.15 + 200")" --seed 8 \
				--out "${F}feed-$S_SUF.req"
			feed "feed_$S_SUF" "${F}feed-$S_SUF.req" "$R_AUTH" "$REQ/feed_$S_SUF.resp"
			token_sources
		fi
		$GEN refresh --token="$CT" "${SRC[@]}" --out "${F}refresh-$S_SUF.req"
		n=$(nreq "${F}refresh-$S_SUF.req")
		[ "$n" -ge "$need" ] || log "warning: only $n refresh tokens for refresh_$S_SUF (wanted $need)"
		$GEN register --pool "$pool" "${SRC[@]}" --slots 1 --min-count "$nreg" --id-tag p \
			--out "${F}register-$S_SUF.req"
	done
	# refresh in rounds: each round goes on with the tokens the last one got back
	AB_REFILL=refresh_refill pair refresh "${F}refresh-$SA.req" "${F}refresh-$SB.req"
	pair register "${F}register-$SA.req" "${F}register-$SB.req"

	# The realistic mix: what a backend sends per login-ish step.
	$GEN start --token="$CT" --keys "$keys" --count "$mix_start" --seed 4 --out "${F}mix-start.req"
	for s in a b; do
		[ $s = a ] || [ "$mixboth" -eq 1 ] || continue
		side $s
		challenge_sources
		token_sources
		$GEN auth-start --token="$CT" --pool "$pool" "${CSRC[@]}" --skip "$nauth" --max "$mix_auth" \
			--out "${F}mix-auth_start-$S_SUF.req"
		$GEN register --pool "$pool" "${SRC[@]}" --slots 1 --min-count "$mix_reg" --id-tag m \
			--out "${F}mix-register-$S_SUF.req"
		$GEN mix --part "${F}mix-start.req:25" --part "${F}mix-auth_start-$S_SUF.req:25" \
			--part "${AB_LAST[refresh_$S_SUF]}:35" --part "${F}mix-register-$S_SUF.req:5" \
			--part "${F}cc.req:10:repeat" --out "${F}mix-$S_SUF.req"
		[ -s "${F}mix-$S_SUF.req" ] || die "the mix for $S_SUF is empty (a part had no request)"
		n=$(nreq "${F}mix-$S_SUF.req")
		[ "$n" -ge "$nmix" ] || log "warning: the mix for $S_SUF has $n requests (wanted $nmix)"
	done
	if [ "$mixboth" -eq 1 ]; then
		pair mix "${F}mix-$SA.req" "${F}mix-$SB.req"
	else
		lg "mix_$SA" "$PA" "$QA" "${F}mix-$SA.req" --connections $CONC
	fi
}

# ---------------------------------------------------------------- S1/S2: small database
# Two servers on copies of the same pristine database: durable (default)
# and --durable false. The client token and the client-challenge requests
# are valid on both (same app, same signing key), so both replay the very
# same signed requests.
log "S1/S2: bioauthd durable and --durable false, $KEYS_SMALL keys"
cp "$DBD/small.db" "$DBD/small.pristine"
cp "$DBD/small.db" "$DBD/small2.db"
start_bioauthd "$DBD/small.db" true
D_PID=$SRV_PID D_PORT=$SRV_PORT
start_bioauthd "$DBD/small2.db" false
N_PID=$SRV_PID N_PORT=$SRV_PORT
SA=durable PA=$D_PID QA=$D_PORT SB=nondurable PB=$N_PID QB=$N_PORT
suite small 1 0
memory small $D_PID
log "latency against load: open-loop sweeps of client_credentials and authenticate"
sweep cc_durable $D_PID $D_PORT "${F}cc.req" "$(jq .throughput_rps "$RES/cc_durable.json")" --repeat
peak=$(jq .throughput_rps "$RES/auth_client_durable.json")
$GEN auth-client --token="$CT" --pool "$DBD/small.pool" --keys $KEYS_SMALL \
	--count "$(sweep_count "$peak")" --seed 9 --out "$REQ/auth_sweep.req"
sweep auth_client_durable $D_PID $D_PORT "$REQ/auth_sweep.req" "$peak"
stop_pid $N_PID

if [ $PROFILE -eq 1 ] && command -v perf >/dev/null; then
	log "profiling bioauthd under authenticate load (perf, DWARF call graphs)"
	$GEN auth-client --token="$CT" --pool "$DBD/small.pool" --keys $KEYS_SMALL --count "$NAUTH" \
		--seed 6 --out "$REQ/auth_profile.req"
	perf record -q -F 199 --call-graph dwarf,16384 -p $D_PID -o "$WORK/perf.data" \
		-- sleep "$T" >/dev/null 2>&1 &
	perfpid=$!
	lg auth_profiled $D_PID $D_PORT "$REQ/auth_profile.req" --connections $CONC
	wait $perfpid || true
	perf report -i "$WORK/perf.data" --no-children --sort dso --stdio -g none 2>/dev/null \
		>"$WORK/perf-dso.txt" || true
	perf report -i "$WORK/perf.data" --children --sort sym --stdio -g none 2>/dev/null \
		>"$WORK/perf-children.txt" || true
	perf report -i "$WORK/perf.data" --no-children --sort dso,sym --stdio -g none 2>/dev/null \
		>"$WORK/perf-self.txt" || true
	$PY "$B/profile.py" "$WORK/perf-dso.txt" "$WORK/perf-children.txt" "$WORK/perf-self.txt" \
		>"$RES/profile.md" || true
fi
stop_pid $D_PID

# ---------------------------------------------------------------- S3: 1M vs 10k keys
# Two durable servers, one on the large database and one on a fresh copy of
# the small one, measured in alternating rounds: closed loop, then the same
# open-loop rate (half of the small database's peak) on both.
log "S3: bioauthd durable, $KEYS_LARGE keys vs $KEYS_SMALL keys"
start_bioauthd "$DBD/large.db" true
L_PID=$SRV_PID L_PORT=$SRV_PORT
CTL_TOKEN=$(client_token large $L_PORT)
memory large_idle $L_PID
cp "$DBD/small.pristine" "$DBD/small3.db"
start_bioauthd "$DBD/small3.db" true
S_PID=$SRV_PID S_PORT=$SRV_PORT
$GEN auth-client --token="$CTL_TOKEN" --pool "$DBD/large.pool" --keys $KEYS_LARGE --count "$NAUTH" \
	--seed 3 --out "$REQ/auth_client-large.req"
ab auth_client_large $L_PID $L_PORT "$REQ/auth_client-large.req" \
	auth_client_small_again $S_PID $S_PORT "$REQ/small-auth_client.req" --connections $CONC
$GEN auth-client --token="$CTL_TOKEN" --pool "$DBD/large.pool" --keys $KEYS_LARGE \
	--count $(( half * ${T%.*} + 200 )) --seed 5 --out "$REQ/auth_half-large.req"
$GEN auth-client --token="$CT" --pool "$DBD/small.pool" --keys $KEYS_SMALL \
	--count $(( half * ${T%.*} + 200 )) --seed 7 --out "$REQ/auth_half-small2.req"
ab auth_half_large $L_PID $L_PORT "$REQ/auth_half-large.req" \
	auth_half_small_again $S_PID $S_PORT "$REQ/auth_half-small2.req" \
	--connections $OPEN_CONNS --rate "$half"
memory large $L_PID
stop_pid $L_PID
stop_pid $S_PID

# ---------------------------------------------------------------- S4: PostgreSQL, one vs two instances
# A throwaway cluster (fsync and synchronous_commit on, as the default),
# one database populated like the small SQLite one and a copy of it
# (CREATE DATABASE ... TEMPLATE): one bioauthd on the first, two on the
# copy, the load generator spreading its connections over both ports. The
# same scenarios as S1 (durable), the two sides in alternating rounds; the
# CPU time of the cluster's processes is measured with that of bioauthd.
if [ $PG -eq 1 ]; then
	log "S4: PostgreSQL ($("$PGBIN/postgres" --version)), one bioauthd vs two on one database, $KEYS_SMALL keys"
	"$PGCLUSTER" stop "$PGDIR" 2>/dev/null || true
	rm -rf "$PGDIR"
	PG_STARTED=1
	pgurl=$("$PGCLUSTER" start "$PGDIR")
	# postgres://USER:PASS@HOST:PORT/DB: the password goes to libpq through
	# the environment, not on command lines
	pgrest=${pgurl#*://}
	pguser=${pgrest%%:*}
	pgpass=${pgrest#*:}
	pgpass=${pgpass%%@*}
	pghost=${pgrest#*@}
	pghost=${pghost%%/*}
	export PGPASSWORD=$pgpass
	# On PostgreSQL the signing keys are sealed under a secrets file that
	# bioauthctl and every bioauthd are given (SQLite makes its own).
	( umask 077 && head -c 48 /dev/urandom | base64 -w0 >"$WORK/pg-secrets" && echo >>"$WORK/pg-secrets" )
	export BIOAUTH_SECRETS_FILE=$WORK/pg-secrets
	PG_ONE=postgres://$pguser@$pghost/bioauth
	PG_TWO=postgres://$pguser@$pghost/bioauth_two
	mkdb pg "$KEYS_SMALL" "$PG_ONE"
	for i in $(seq 40); do   # the populator's backends may still be exiting
		err=$(psql_at "postgres://$pguser@$pghost/postgres" \
			"CREATE DATABASE bioauth_two TEMPLATE bioauth OWNER $pguser" 2>&1) && break
		[ "$i" -lt 40 ] || die "could not copy the PostgreSQL database: $err"
		sleep 0.5
	done
	PG_PM=$(head -1 "$PGDIR/data/postmaster.pid")
	start_bioauthd "$PG_ONE" true
	O_PID=$SRV_PID O_PORT=$SRV_PORT
	start_bioauthd "$PG_TWO" true
	T1_PID=$SRV_PID T1_PORT=$SRV_PORT
	start_bioauthd "$PG_TWO" true
	T2_PID=$SRV_PID T2_PORT=$SRV_PORT
	SA=pg_one PA=$O_PID QA=$O_PORT
	SB=pg_two PB=$T1_PID,$T2_PID QB=$T1_PORT,$T2_PORT
	suite pg 0 1
	stop_pid $O_PID
	stop_pid $T1_PID
	stop_pid $T2_PID
	PG_PM=""
	"$PGCLUSTER" stop "$PGDIR"
	PG_STARTED=0
	unset PGPASSWORD BIOAUTH_SECRETS_FILE
fi

# ---------------------------------------------------------------- peers
if [ $PEERS -eq 1 ]; then
	CLIENT=benchclient SECRET=bench-secret-3b0f9a1c7d2e4f60
	log "peer: node-oidc-provider $(jq -r .version "$WORK/oidc/node_modules/oidc-provider/package.json")"
	cp "$B/peers/oidc-provider.mjs" "$WORK/oidc/"
	port=$(free_port)
	(cd "$WORK/oidc" && exec "${PRIO[@]}" node oidc-provider.mjs "$port" $CLIENT $SECRET) >"$WORK/node.log" 2>&1 &
	npid=$!
	PIDS+=("$npid")
	wait_http "http://127.0.0.1:$port/.well-known/openid-configuration"
	$GEN cc --client-id $CLIENT --client-secret $SECRET --path /token --extra scope=api1 \
		--out "$REQ/cc-node.req"
	curl -sf -u "$CLIENT:$SECRET" -d 'grant_type=client_credentials&scope=api1' \
		"http://127.0.0.1:$port/token" | jq -e '.access_token | split(".") | length == 3' >/dev/null
	lg cc_node_oidc_provider $npid $port "$REQ/cc-node.req" --connections $CONC --repeat
	lg cc_node_oidc_provider_c8 $npid $port "$REQ/cc-node.req" --connections 8 --repeat
	sweep cc_node_oidc_provider $npid $port "$REQ/cc-node.req" \
		"$(jq -s 'map(.throughput_rps) | max' "$RES"/cc_node_oidc_provider{,_c8}.json)" --repeat
	stop_pid $npid

	log "peer: glewlwyd $(dpkg-query -W -f='${Version}' glewlwyd)"
	GW=$WORK/glewlwyd
	rm -rf "$GW"
	mkdir -p "$GW"
	cp /var/lib/dbconfig-common/sqlite3/glewlwyd/glewlwyd "$GW/glewlwyd.db"
	port=$(free_port)
	sed -e "s|^port=.*|port=$port|" -e 's|^log_mode=.*|log_mode="console"|' \
	    -e 's|^log_level=.*|log_level="ERROR"|' \
	    -e "s|^external_url=.*|external_url=\"http://127.0.0.1:$port/\"|" \
	    -e "s|^@include .*|database = { type = \"sqlite3\" path = \"$GW/glewlwyd.db\" };|" \
	    /etc/glewlwyd/glewlwyd.conf >"$GW/glewlwyd.conf"
	echo 'bind_address="127.0.0.1"' >>"$GW/glewlwyd.conf"
	(cd "$GW" && exec "${PRIO[@]}" glewlwyd -c "$GW/glewlwyd.conf") >"$GW/log.txt" 2>&1 &
	gpid=$!
	PIDS+=("$gpid")
	wait_http "http://127.0.0.1:$port/api/oidc/.well-known/openid-configuration" ||
		wait_http "http://127.0.0.1:$port/"
	$PY "$B/peers/glewlwyd_setup.py" "http://127.0.0.1:$port" $CLIENT $SECRET
	curl -sf -u "$CLIENT:$SECRET" -d 'grant_type=client_credentials&scope=api1' \
		"http://127.0.0.1:$port/api/oidc/token" | jq -e '.access_token | split(".") | length == 3' >/dev/null
	$GEN cc --client-id $CLIENT --client-secret $SECRET --path /api/oidc/token --extra scope=api1 \
		--out "$REQ/cc-glewlwyd.req"
	lg cc_glewlwyd $gpid $port "$REQ/cc-glewlwyd.req" --connections $CONC --repeat
	lg cc_glewlwyd_c8 $gpid $port "$REQ/cc-glewlwyd.req" --connections 8 --repeat
	sweep cc_glewlwyd $gpid $port "$REQ/cc-glewlwyd.req" \
		"$(jq -s 'map(.throughput_rps) | max' "$RES"/cc_glewlwyd{,_c8}.json)" --repeat
	stop_pid $gpid
fi

jq --arg l "$(cut -d' ' -f1-3 /proc/loadavg)" '. + {loadavg_end: $l}' "$RES/machine.json" \
	>"$RES/machine.json.tmp" && mv "$RES/machine.json.tmp" "$RES/machine.json"
$PY "$B/summary.py" "$RES" | tee "$RES/summary.md"
$PY "$B/pack.py" "$RES"
if command -v gnuplot >/dev/null; then
	$PY "$B/plot.py" "$RES" >/dev/null || log "plot.py failed: no charts"
else
	log "no gnuplot: no charts (bench/plot.py $RES draws them later)"
fi
log "results in ${RES#$ROOT/}"
