#!/usr/bin/env bash
# pg-test-cluster.sh - a throwaway PostgreSQL cluster for the tests.
#
#   scripts/pg-test-cluster.sh start DIR   create (first time) and start a
#                                          cluster in DIR; print its URL
#   scripts/pg-test-cluster.sh stop DIR    stop it (no-op when not running)
#   scripts/pg-test-cluster.sh url DIR     print the URL of the cluster in DIR
#
# The cluster listens on 127.0.0.1 only, on a free port chosen at creation
# (kept across restarts), with its unix socket in DIR and fsync on. It holds a
# database "bioauth" owned by a login role "bioauth" with a random password;
# the URL printed is postgres://bioauth:PASS@127.0.0.1:PORT/bioauth. Both
# commands are idempotent and print nothing else on success. As root, the
# server runs as the `postgres` user (initdb refuses root) and DIR is handed
# to that user. Remove DIR after `stop` to throw the cluster away.
set -euo pipefail

die() { echo "pg-test-cluster: $*" >&2; exit 1; }

[ $# -eq 2 ] || die "usage: $0 start|stop|url DIR"
cmd=$1
dir=$2

bindir=""
if command -v pg_config >/dev/null 2>&1; then
	bindir=$(pg_config --bindir 2>/dev/null || true)
fi
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
	bindir=""
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		if [ -x "$d/initdb" ]; then bindir=$d; break; fi
	done
fi
[ -n "$bindir" ] || die "no PostgreSQL server binaries (install the postgresql package)"

# Commands touching the cluster run as its owner: `postgres` when we are root.
as_owner() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

pgdata() { echo "$dir/data"; }

running() {
	[ -f "$(pgdata)/PG_VERSION" ] && as_owner "$bindir/pg_ctl" -D "$(pgdata)" status >/dev/null 2>&1
}

print_url() {
	[ -f "$dir/url" ] || die "no cluster in $dir"
	cat "$dir/url"
}

# Prints a TCP port on 127.0.0.1 that nobody listens on right now.
free_port() {
	/usr/bin/python3 - <<'EOF'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
EOF
}

# Starts the server of an initialised cluster and waits until it accepts
# connections (pg_ctl -w).
start_server() {
	as_owner "$bindir/pg_ctl" -D "$(pgdata)" -l "$dir/server.log" -w -t 60 start >/dev/null \
		|| die "server did not start; see $dir/server.log"
}

create_cluster() {
	mkdir -p "$dir"
	dir=$(cd "$dir" && pwd)
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres: "$dir"
		runuser -u postgres -- test -w "$dir" \
			|| die "$dir is not reachable by the postgres user"
	fi
	chmod 700 "$dir"

	local pass port
	pass=$(od -An -tx1 -N16 /dev/urandom | tr -d ' \n')
	printf '%s\n' "$pass" >"$dir/.pwfile-tmp"
	chmod 600 "$dir/.pwfile-tmp"
	[ "$(id -u)" -eq 0 ] && chown postgres: "$dir/.pwfile-tmp"

	as_owner "$bindir/initdb" -D "$(pgdata)" -U postgres --auth-local=trust \
		--auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 --no-sync \
		--pwfile="$dir/.pwfile-tmp" >"$dir/initdb.log" 2>&1 \
		|| die "initdb failed; see $dir/initdb.log"

	port=$(free_port)
	as_owner tee -a "$(pgdata)/postgresql.conf" >/dev/null <<EOF

# pg-test-cluster.sh
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = on
synchronous_commit = on
max_connections = 100
logging_collector = off
EOF
	start_server

	# The role and database, over the unix socket (trusted locally).
	as_owner "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres \
		-d postgres >/dev/null <<EOF
CREATE ROLE bioauth LOGIN CREATEDB PASSWORD '$pass';
CREATE DATABASE bioauth OWNER bioauth;
EOF
	rm -f "$dir/.pwfile-tmp"
	(umask 077; printf 'postgres://bioauth:%s@127.0.0.1:%s/bioauth\n' "$pass" "$port" >"$dir/url")
}

case "$cmd" in
start)
	if [ -f "$dir/url" ] && [ -f "$dir/data/PG_VERSION" ]; then
		running || start_server
	else
		[ -e "$dir/data" ] && die "$dir/data exists but holds no finished cluster"
		create_cluster
	fi
	print_url
	;;
stop)
	if running; then
		as_owner "$bindir/pg_ctl" -D "$(pgdata)" -m fast -w -t 60 stop >/dev/null \
			|| die "server did not stop"
	fi
	;;
url)
	print_url
	;;
*)
	die "unknown command '$cmd' (start|stop|url)"
	;;
esac
