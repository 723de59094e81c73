#!/usr/bin/env bash
# bench/run.sh - the whole benchmark in one command, from a fresh Debian 12
# machine: installs what it needs (apt-get, npm), builds bioauth and the
# bench tools, measures the crypto bound, populates databases of
# KEYS_SMALL and KEYS_LARGE registered keys, runs every scenario against
# bioauthd (durable, then --durable false), runs the peers
# (node-oidc-provider, glewlwyd) on the same endpoint, profiles bioauthd
# under authenticate load with perf, and prints the Markdown table of
# ratios. Raw JSON goes to bench/results/<UTC time>/.
#
#   bench/run.sh            full run (about 15-25 minutes on 2 cores)
#   bench/run.sh --quick    smoke run (short runs, small databases)
#   options: --no-peers --no-profile --no-install --duration S
#            --nice N   run every measured process (bioauthd, the peers, the
#                       load generator) at nice -N, ahead of other work on a
#                       shared machine (the same for all, so ratios stay fair)
#
# Every server binds 127.0.0.1 on a free port and is stopped by its PID
# (trap on exit). The load generator only ever targets 127.0.0.1.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
B=$ROOT/bench
WORK=$B/work
PY=/usr/bin/python3
CONC=32              # closed-loop connections (bioauthd allows 64 per IP)
OPEN_CONNS=60        # open-loop connection pool
QUICK=0 PEERS=1 PROFILE=1 INSTALL=1 T="" NICE=0

while [ $# -gt 0 ]; do
	case "$1" in
	--quick) QUICK=1 ;;
	--no-peers) PEERS=0 ;;
	--no-profile) PROFILE=0 ;;
	--no-install) INSTALL=0 ;;
	--duration) T=$2; shift ;;
	--nice) NICE=$2; shift ;;
	-h|--help) sed -n '2,20p' "$0"; exit 0 ;;
	*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done

if [ $QUICK -eq 1 ]; then
	T=${T:-4}; WARM=1; KEYS_SMALL=2000; KEYS_LARGE=20000; PROFILE=0; ROUNDS=2
else
	T=${T:-20}; WARM=4; KEYS_SMALL=10000; KEYS_LARGE=1000000; ROUNDS=4
fi
# Compared runs (durable/non-durable, 1M/10k keys) are split in ROUNDS
# alternating rounds of T/ROUNDS seconds each (1 s warm-up per round).
RT=$(awk "BEGIN {print $T / $ROUNDS}")
case "$NICE" in ''|*[!0-9]*) echo "run.sh: --nice takes 0..19" >&2; exit 2 ;; esac
PRIO=(nice -n "-$NICE")      # measured processes: bioauthd, peers, loadgen
RUN_ID=$(date -u +%Y%m%dT%H%M%SZ)
RES=$B/results/$RUN_ID
BUILD=$WORK/build
BIN=$WORK/bin
REQ=$WORK/req
DBD=$WORK/db
mkdir -p "$RES/rounds" "$REQ" "$DBD"
rm -f "$REQ"/* "$DBD"/*

PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { echo "[bench $(date +%H:%M:%S)] $*" >&2; }
free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)

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

# ---------------------------------------------------------------- install
if [ $INSTALL -eq 1 ]; then
	log "checking packages"
	"$ROOT/scripts/install-deps.sh"
	# command:package pairs; a command already on PATH (e.g. a node
	# installed another way) is left alone.
	want=(jq:jq python3:python3-cryptography python3:python3-requests)
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
	echo " \"nice\": $NICE, \"rounds\": $ROUNDS,"
	echo " \"connections\": $CONC, \"keys_small\": $KEYS_SMALL, \"keys_large\": $KEYS_LARGE,"
	echo " \"nproc\": $(nproc), \"cpu\": $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //' | jq -R .),"
	echo " \"mem_total_kb\": $(awk '/MemTotal/ {print $2}' /proc/meminfo),"
	echo " \"kernel\": \"$(uname -r)\", \"openssl\": \"$(openssl version | cut -d' ' -f2)\","
	echo " \"git\": \"$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo none)\","
	echo " \"loadavg_start\": \"$(cut -d' ' -f1-3 /proc/loadavg)\"}"
} >"$RES/machine.json"

log "crypto bound (cryptobound, CPU-time based)"
"$BIN/cryptobound" --seconds $([ $QUICK -eq 1 ] && echo 0.5 || echo 2) >"$RES/cryptobound.json"

# ---------------------------------------------------------------- databases
# mkdb NAME KEYS: app + signing key + KEYS registered keys; a pristine copy
# lets the durable and the non-durable runs start from the same state (and
# replay the very same signed requests).
mkdb() {
	local name=$1 keys=$2 db=$DBD/$1.db t0 t1
	rm -f "$db" "$db-wal" "$db-shm"
	"$CTL" --db "$db" app create --name "bench-$name" --resource https://api.bench.example \
		>"$DBD/$name.app.json"
	"$CTL" --db "$db" signing-key rotate >/dev/null
	t0=$(date +%s.%N)
	"$BIN/populate" --db "$db" --app-id "$(jq -r .app_id "$DBD/$name.app.json")" \
		--keys "$keys" --pool-out "$DBD/$name.pool" >"$DBD/$name.populate.json"
	t1=$(date +%s.%N)
	jq --arg w "$(awk "BEGIN {print $t1 - $t0}")" --arg sz "$(stat -c %s "$db")" \
		'. + {wall_s: ($w|tonumber), db_bytes: ($sz|tonumber)}' "$DBD/$name.populate.json" \
		>"$RES/populate_$name.json"
	log "populated $name: $(jq -c . "$RES/populate_$name.json")"
}
log "populating databases ($KEYS_SMALL and $KEYS_LARGE keys)"
mkdb small "$KEYS_SMALL"
mkdb large "$KEYS_LARGE"

# ---------------------------------------------------------------- servers
# start_bioauthd DBFILE DURABLE: sets SRV_PID and SRV_PORT.
start_bioauthd() {
	SRV_PORT=$(free_port)
	"${PRIO[@]}" "$BUILD/bioauthd" --listen "127.0.0.1:$SRV_PORT" --db "$1" --durable "$2" \
		--issuer http://bioauth.bench/oidc --data-dir "$DBD" --log-level error \
		>"$WORK/bioauthd-$SRV_PORT.log" 2>&1 &
	SRV_PID=$!
	PIDS+=("$SRV_PID")
	wait_http "http://127.0.0.1:$SRV_PORT/healthz"
}

client_token() {   # NAME -> client access token of that db's app
	local app=$DBD/$1.app.json
	curl -sf -u "$(jq -r .client_id "$app"):$(jq -r .client_secret "$app")" \
		-d grant_type=client_credentials "http://127.0.0.1:$SRV_PORT/oidc/token" | jq -r .access_token
}

memory() {   # NAME PID
	awk '/^VmRSS|^VmHWM/ {gsub(":", "", $1); print "\"" $1 "_kb\": " $2 ","}' "/proc/$2/status" |
		{ echo "{"; cat; echo "\"label\": \"$1\"}"; } | jq . >"$RES/mem_$1.json"
}

# lg NAME PID PORT FILE [loadgen options]: one timed run, JSON to results
# (OUTDIR, default $RES), with the server's CPU time and the machine's load
# average added. LG_T / LG_WARM override the duration and warm-up.
lg() {
	local name=$1 pid=$2 port=$3 file=$4 c0 c1 l0 out=${OUTDIR:-$RES}
	shift 4
	c0=$(cpu_ticks "$pid")
	l0=$(cut -d' ' -f1 /proc/loadavg)
	"${PRIO[@]}" "$LG" --port "$port" --requests "$file" --duration "${LG_T:-$T}" --warmup "${LG_WARM:-$WARM}" \
		--label "$name" --samples "$out/$name.json.samples" "$@" >"$out/$name.raw"
	c1=$(cpu_ticks "$pid")
	jq --argjson cpu "$(awk "BEGIN {printf \"%.3f\", ($c1 - $c0) / $HZ}")" --arg l0 "$l0" \
	   --arg l1 "$(cut -d' ' -f1 /proc/loadavg)" \
	   '. + {server_cpu_s: $cpu, server_cpu_ms_per_req: (if .completed > 0 then $cpu * 1000 / .completed else null end),
	         loadavg_before: ($l0|tonumber), loadavg_after: ($l1|tonumber)}' "$out/$name.raw" >"$out/$name.json"
	rm -f "$out/$name.raw"
	[ -z "${OUTDIR:-}" ] && rm -f "$out/$name.json.samples"
	log "$(jq -r '"\(.label): \(.throughput_rps) req/s, p50 \(.latency_ms.p50) ms, p99 \(.latency_ms.p99) ms, status \(.status|tojson), server \(.server_cpu_ms_per_req // 0 | .*1000|round/1000) ms CPU/req" + (if .exhausted then " (request file used up)" else "" end)' "$out/$name.json")"
}

# ab NAME_A PID_A PORT_A FILE_A NAME_B PID_B PORT_B FILE_B [loadgen options]:
# the same scenario on two servers in ROUNDS short rounds, in the order
# A B B A A B ..., each round going on in the request file where that
# server's previous round stopped; the rounds are pooled by merge.py into
# $RES/NAME_A.json and $RES/NAME_B.json. Both servers thus see the same
# background load. Responses are appended to $REQ/NAME.resp.
ab() {
	local na=$1 pa=$2 qa=$3 fa=$4 nb=$5 pb=$6 qb=$7 fb=$8 r side name pid port file
	shift 8
	local -A off=([a]=0 [b]=0) done_=([a]=0 [b]=0) files=([a]="" [b]="")
	rm -f "$REQ/$na.resp" "$REQ/$nb.resp"
	for r in $(seq "$ROUNDS"); do
		for side in $( [ $((r % 2)) -eq 1 ] && echo a b || echo b a ); do
			if [ $side = a ]; then name=$na pid=$pa port=$qa file=$fa
			else name=$nb pid=$pb port=$qb file=$fb; fi
			[ "${done_[$side]}" -eq 1 ] && continue
			OUTDIR=$RES/rounds LG_T=$RT LG_WARM=1 lg "${name}_r$r" "$pid" "$port" "$file" \
				--offset "${off[$side]}" --responses "$REQ/$name.resp" "$@"
			files[$side]="${files[$side]} $RES/rounds/${name}_r$r.json"
			off[$side]=$(( ${off[$side]} + $(jq .sent "$RES/rounds/${name}_r$r.json") ))
			if [ "$(jq .exhausted "$RES/rounds/${name}_r$r.json")" = true ] ||
			   { ! printf '%s\n' "$@" | grep -qx -- --repeat &&
			     [ "${off[$side]}" -ge "$(jq .requests_in_file "$RES/rounds/${name}_r$r.json")" ]; }; then
				done_[$side]=1
			fi
		done
	done
	# shellcheck disable=SC2086
	$PY "$B/merge.py" "$RES/$na.json" ${files[a]}
	# shellcheck disable=SC2086
	$PY "$B/merge.py" "$RES/$nb.json" ${files[b]}
	log "$(jq -r '"\(.label) (pooled): \(.throughput_rps|round) req/s, p50 \(.latency_ms.p50) ms, p99 \(.latency_ms.p99) ms, server \(.server_cpu_ms_per_req // 0 | .*1000|round/1000) ms CPU/req"' "$RES/$na.json")"
	log "$(jq -r '"\(.label) (pooled): \(.throughput_rps|round) req/s, p50 \(.latency_ms.p50) ms, p99 \(.latency_ms.p99) ms, server \(.server_cpu_ms_per_req // 0 | .*1000|round/1000) ms CPU/req"' "$RES/$nb.json")"
}

# How many authenticate requests a run needs: a short calibration run.
calibrate() {   # NAME TOKEN KEYS -> sets NAUTH
	$GEN auth-client --token="$2" --pool "$DBD/$1.pool" --keys "$3" --count 1500 --seed 99 \
		--out "$REQ/calib-$1.req"
	local r
	r=$("${PRIO[@]}" "$LG" --port "$SRV_PORT" --requests "$REQ/calib-$1.req" --connections $CONC --duration 3 \
		--warmup 1 | jq .throughput_rps)
	NAUTH=$(awk "BEGIN {printf \"%d\", $r * $T * 1.4 + 500}")
	log "calibration: ~$r authenticate/s -> $NAUTH requests per run"
}

# pair NAME FILE_D FILE_N [loadgen options]: the same scenario on the
# durable server (D_PID/D_PORT) and on the non-durable one (N_PID/N_PORT)
# in alternating rounds. Responses go to $REQ/NAME_{durable,nondurable}.resp.
pair() {
	local name=$1 fd=$2 fn=$3
	shift 3
	ab "${name}_durable" $D_PID $D_PORT "$fd" "${name}_nondurable" $N_PID $N_PORT "$fn" \
		--connections $CONC "$@"
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
SRV_PID=$D_PID SRV_PORT=$D_PORT
CT=$(client_token small)
calibrate small "$CT" $KEYS_SMALL
app=$DBD/small.app.json
$GEN cc --client-id="$(jq -r .client_id "$app")" --client-secret="$(jq -r .client_secret "$app")" \
	--out "$REQ/cc.req"
$GEN auth-client --token="$CT" --pool "$DBD/small.pool" --keys $KEYS_SMALL --count "$NAUTH" \
	--seed 3 --out "$REQ/auth_client.req"
$GEN start --token="$CT" --keys $KEYS_SMALL --count $((6000 * T)) --seed 2 \
	--out "$REQ/start.req"

# client_credentials: peak, then half of that peak open loop (no coordinated omission)
pair cc "$REQ/cc.req" "$REQ/cc.req" --repeat
cchalf=$(jq '.throughput_rps / 2 | floor' "$RES/cc_durable.json")
lg cc_half_durable $D_PID $D_PORT "$REQ/cc.req" --connections $OPEN_CONNS --rate "$cchalf" --repeat

pair start "$REQ/start.req" "$REQ/start.req"
# authenticate with client-made challenges: the same file on both servers
pair auth_client "$REQ/auth_client.req" "$REQ/auth_client.req"
peak=$(jq .throughput_rps "$RES/auth_client_durable.json")
half=$(awk "BEGIN {h = int($peak / 2); print (h < 1 ? 1 : h)}")
$GEN auth-client --token="$CT" --pool "$DBD/small.pool" --keys $KEYS_SMALL \
	--count $(( half * T + 200 )) --seed 5 --out "$REQ/auth_half-small.req"
lg auth_half_small $D_PID $D_PORT "$REQ/auth_half-small.req" --connections $OPEN_CONNS --rate "$half" \
	--responses "$REQ/auth_half-small.resp"

# /start challenges (70 % now, the rest kept for the mix), signed, then authenticate
for d in durable nondurable; do
	$GEN auth-start --token="$CT" --pool "$DBD/small.pool" --requests "$REQ/start.req" \
		--responses "$REQ/start_$d.resp" --range 0:0.7 --max "$NAUTH" \
		--out "$REQ/auth_start-$d.req"
done
pair auth_start "$REQ/auth_start-durable.req" "$REQ/auth_start-nondurable.req"

# More authentications (not reported) so that refresh has tokens for a whole run.
$GEN auth-client --token="$CT" --pool "$DBD/small.pool" --keys $KEYS_SMALL --count "$NAUTH" \
	--seed 8 --out "$REQ/feed.req"
OUTDIR=$RES/rounds lg feed_durable $D_PID $D_PORT "$REQ/feed.req" --connections $CONC \
	--responses "$REQ/feed_durable.resp"
OUTDIR=$RES/rounds lg feed_nondurable $N_PID $N_PORT "$REQ/feed.req" --connections $CONC \
	--responses "$REQ/feed_nondurable.resp"

# refresh and register need what authenticate returned (refresh tokens, user tokens)
for d in durable nondurable; do
	pairs=(--requests "$REQ/auth_client.req" --responses "$REQ/auth_client_$d.resp"
	       --requests "$REQ/auth_start-$d.req" --responses "$REQ/auth_start_$d.resp"
	       --requests "$REQ/feed.req" --responses "$REQ/feed_$d.resp")
	[ $d = durable ] && pairs+=(--requests "$REQ/auth_half-small.req" --responses "$REQ/auth_half-small.resp")
	$GEN refresh --token="$CT" "${pairs[@]}" --range 0:0.7 --out "$REQ/refresh-$d.req"
	$GEN register --pool "$DBD/small.pool" "${pairs[@]}" --range 0:0.7 --slots 4 --id-tag "$d" \
		--out "$REQ/register-$d.req"
	if [ $d = durable ]; then   # the 30 % left over feed the mix
		$GEN refresh --token="$CT" "${pairs[@]}" --range 0.7:1 --out "$REQ/mix-refresh.req"
		$GEN register --pool "$DBD/small.pool" "${pairs[@]}" --range 0.7:1 --slots 4 --id-tag m \
			--out "$REQ/mix-register.req"
	fi
done
pair refresh "$REQ/refresh-durable.req" "$REQ/refresh-nondurable.req"
pair register "$REQ/register-durable.req" "$REQ/register-nondurable.req"

# The realistic mix: what a backend sends per login-ish step.
$GEN start --token="$CT" --keys $KEYS_SMALL --count $((2000 * T)) --seed 4 \
	--out "$REQ/mix-start.req"
$GEN auth-start --token="$CT" --pool "$DBD/small.pool" --requests "$REQ/start.req" \
	--responses "$REQ/start_durable.resp" --range 0.7:1 --max "$NAUTH" \
	--out "$REQ/mix-auth_start.req"
$GEN mix --part "$REQ/mix-start.req:25" --part "$REQ/mix-auth_start.req:25" \
	--part "$REQ/mix-refresh.req:35" --part "$REQ/mix-register.req:5" \
	--part "$REQ/cc.req:10:repeat" --out "$REQ/mix.req"
lg mix_durable $D_PID $D_PORT "$REQ/mix.req" --connections $CONC
memory small $D_PID
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
CTL_TOKEN=$(client_token large)
memory large_idle $L_PID
cp "$DBD/small.pristine" "$DBD/small3.db"
start_bioauthd "$DBD/small3.db" true
S_PID=$SRV_PID S_PORT=$SRV_PORT
$GEN auth-client --token="$CTL_TOKEN" --pool "$DBD/large.pool" --keys $KEYS_LARGE --count "$NAUTH" \
	--seed 3 --out "$REQ/auth_client-large.req"
ab auth_client_large $L_PID $L_PORT "$REQ/auth_client-large.req" \
	auth_client_small_again $S_PID $S_PORT "$REQ/auth_client.req" --connections $CONC
$GEN auth-client --token="$CTL_TOKEN" --pool "$DBD/large.pool" --keys $KEYS_LARGE \
	--count $(( half * T + 200 )) --seed 5 --out "$REQ/auth_half-large.req"
$GEN auth-client --token="$CT" --pool "$DBD/small.pool" --keys $KEYS_SMALL \
	--count $(( half * T + 200 )) --seed 7 --out "$REQ/auth_half-small2.req"
ab auth_half_large $L_PID $L_PORT "$REQ/auth_half-large.req" \
	auth_half_small_again $S_PID $S_PORT "$REQ/auth_half-small2.req" \
	--connections $OPEN_CONNS --rate "$half"
memory large $L_PID
stop_pid $L_PID
stop_pid $S_PID

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
	stop_pid $gpid
fi

jq --arg l "$(cut -d' ' -f1-3 /proc/loadavg)" '. + {loadavg_end: $l}' "$RES/machine.json" \
	>"$RES/machine.json.tmp" && mv "$RES/machine.json.tmp" "$RES/machine.json"
$PY "$B/summary.py" "$RES" | tee "$RES/summary.md"
log "results in ${RES#$ROOT/}"
