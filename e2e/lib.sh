# Shared helpers for the cacheplane end-to-end tests. Source it; do not run it.
#
# run.sh exports, for each test script:
#   E2E_BIN         the cacheplane binary
#   E2E_WORK        this test's private temp dir (server logs, server.pid)
#   E2E_DATA_DIR    this test's --data-dir
#   E2E_NODE_RANGE  this test's --node-addresses range
#   E2E_LISTEN      HOST:PORT the API listens on
#   E2E_ENDPOINT    http://HOST:PORT
#   E2E_LIB         this file

# An isolated aws CLI / boto3 environment: never the user's config or keys.
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_DEFAULT_PROFILE AWS_CA_BUNDLE AWS_ENDPOINT_URL AWS_ENDPOINT_URL_ELASTICACHE
export AWS_PAGER="" AWS_RETRY_MODE=standard AWS_MAX_ATTEMPTS=2

E2E_FAILS=${E2E_FAILS:-0}

log()  { printf '    %s\n' "$*"; }
ok()   { printf '    ok   %s\n' "$*"; }
fail() { printf '    FAIL %s\n' "$*" >&2; E2E_FAILS=$((E2E_FAILS + 1)); }
die()  { printf '    FAIL %s\n' "$*" >&2; exit 1; }

# check DESCRIPTION COMMAND...: run COMMAND, count a failure if it fails.
check() {
	local what=$1; shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}

# expect_eq DESCRIPTION GOT WANT
expect_eq() {
	if [[ "$2" == "$3" ]]; then ok "$1 = $3"; else fail "$1: got '$2', want '$3'"; fi
}

# finish: the exit status of a shell test.
finish() {
	if ((E2E_FAILS > 0)); then
		printf '    %d check(s) failed\n' "$E2E_FAILS" >&2
		exit 1
	fi
	exit 0
}

# start_server [LISTEN]: start cacheplane on E2E_DATA_DIR / E2E_NODE_RANGE, in
# the background, and wait for its "cacheplane ready" line. LISTEN defaults to
# 127.0.0.1:0 (a free port). Sets E2E_LISTEN, E2E_ENDPOINT, writes
# E2E_WORK/server.pid (the cleanup in run.sh stops that PID). Each start logs to
# its own file E2E_WORK/server.N.log.
start_server() {
	local listen=${1:-127.0.0.1:0} n=1 logf pid i addr
	while [[ -e "$E2E_WORK/server.$n.log" ]]; do n=$((n + 1)); done
	logf="$E2E_WORK/server.$n.log"
	"$E2E_BIN" serve --listen "$listen" --data-dir "$E2E_DATA_DIR" \
		--node-addresses "$E2E_NODE_RANGE" --allow-memory-overcommit \
		>"$logf" 2>&1 </dev/null &
	pid=$!
	# no "Killed" job notice from this shell when a test kill -9s the server
	disown "$pid" 2>/dev/null || true
	echo "$pid" >"$E2E_WORK/server.pid"
	for ((i = 0; i < 200; i++)); do
		addr=$(sed -n 's/.*msg="cacheplane ready" listen=\([^ ]*\).*/\1/p' "$logf" | head -n1)
		if [[ -n "$addr" ]]; then
			export E2E_LISTEN=$addr E2E_ENDPOINT="http://$addr" E2E_SERVER_PID=$pid
			echo "$addr" >"$E2E_WORK/listen"
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "cacheplane exited before it was ready; log $logf:" >&2
			sed 's/^/      | /' "$logf" >&2
			return 1
		fi
		sleep 0.05
	done
	echo "cacheplane not ready after 10s; log $logf:" >&2
	sed 's/^/      | /' "$logf" >&2
	return 1
}

# stop_server [SIGNAL]: stop the server whose PID is in E2E_WORK/server.pid
# (TERM by default; waits up to 15s, then KILL).
stop_server() {
	local sig=${1:-TERM} pid i
	[[ -f "$E2E_WORK/server.pid" ]] || return 0
	pid=$(cat "$E2E_WORK/server.pid")
	[[ -n "$pid" ]] || return 0
	kill -"$sig" "$pid" 2>/dev/null || { rm -f "$E2E_WORK/server.pid"; return 0; }
	for ((i = 0; i < 150; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		# a zombie child of this shell counts as gone
		[[ "$(ps -o stat= -p "$pid" 2>/dev/null)" == Z* ]] && break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	rm -f "$E2E_WORK/server.pid"
	return 0
}

# node_pids DATA_DIR: PIDs of redis-server / memcached / valkey-server processes
# that belong to DATA_DIR. redis-server rewrites its command line (it shows
# only "redis-server ADDR:PORT"), so a process belongs to DATA_DIR when its
# command line OR its working directory (cacheplane starts each node in its own
# node directory) is under DATA_DIR.
node_pids() {
	local dir=${1%/} p comm cmd cwd
	[[ -n "$dir" && "$dir" != / ]] || return 0
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		comm=$(cat "/proc/$p/comm" 2>/dev/null) || continue
		case "$comm" in redis-server | memcached | valkey-server) ;; *) continue ;; esac
		cmd=$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)
		cwd=$(readlink "/proc/$p/cwd" 2>/dev/null)
		if [[ "$cmd" == *"$dir/"* || "$cwd" == "$dir" || "$cwd" == "$dir/"* ]]; then
			echo "$p"
		fi
	done
}

# kill_nodes DATA_DIR: kill (by PID) every node process of DATA_DIR. Prints
# how many it had to kill.
kill_nodes() {
	local pids p i n=0
	pids=$(node_pids "$1")
	[[ -n "$pids" ]] || return 0
	for p in $pids; do kill -TERM "$p" 2>/dev/null && n=$((n + 1)); done
	for ((i = 0; i < 30; i++)); do
		[[ -n "$(node_pids "$1")" ]] || break
		sleep 0.1
	done
	for p in $(node_pids "$1"); do kill -KILL "$p" 2>/dev/null; done
	echo "$n"
}

# listening HOST PORT: is something accepting TCP connections there?
listening() {
	timeout 2 bash -c 'exec 3<>/dev/tcp/$0/$1' "$1" "$2" 2>/dev/null
}

# mc_version HOST PORT: send "version\r\n" over a raw socket, print the reply line.
mc_version() {
	python3 - "$1" "$2" <<'PY'
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=3)
s.sendall(b"version\r\n")
buf = b""
while not buf.endswith(b"\r\n"):
    chunk = s.recv(4096)
    if not chunk:
        break
    buf += chunk
s.close()
print(buf.decode().strip())
PY
}

# cp_aws ARGS...: the aws CLI pointed at this test's cacheplane.
cp_aws() {
	aws elasticache --endpoint-url "$E2E_ENDPOINT" "$@"
}
