#!/usr/bin/env bash
# End-to-end tests of cacheplane against real redis-server / memcached nodes.
#
#   bash e2e/run.sh [TEST...]      (default: every e2e/test_* script)
#
# Builds bin/cacheplane, then for each test script starts ONE cacheplane on a
# free loopback port with its own temp data dir and its own node address range
# (127.79.N.1-127.79.N.254), runs the script, and always cleans up: the server
# is stopped by PID, every node process of that data dir is killed by PID, temp
# dirs are removed. The last line is "E2E: N passed, M failed"; the exit status
# is non-zero when anything failed.
#
# Environment: E2E_KEEP=1 keeps the temp dirs; E2E_TEST_TIMEOUT (seconds, 150).
set -u -o pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$E2E_DIR/.." && pwd)
export E2E_LIB="$E2E_DIR/lib.sh"
# shellcheck source=lib.sh
source "$E2E_LIB"

PASSED=0 FAILED=0
ROOT=$(mktemp -d "${TMPDIR:-/tmp}/cacheplane-e2e.XXXXXX")
NET_LOCKS=()

cleanup_test() { # WORKDIR
	local work=$1 n
	[[ -n "$work" && -d "$work" ]] || return 0
	E2E_WORK=$work stop_server TERM
	n=$(kill_nodes "$work/data")
	if [[ -n "$n" && "$n" != 0 ]]; then
		echo "    cleanup: killed $n leftover node process(es) of $work/data"
	fi
}

cleanup_all() {
	local rc=$? w
	trap - EXIT INT TERM
	for w in "$ROOT"/*/; do
		[[ -d "$w" ]] && cleanup_test "${w%/}"
	done
	for w in "${NET_LOCKS[@]}"; do rm -rf "$w"; done
	if [[ "${E2E_KEEP:-}" == 1 ]]; then
		echo "E2E: kept $ROOT"
	else
		rm -rf "$ROOT"
	fi
	return $rc
}
trap cleanup_all EXIT
TEST_PID=""
on_signal() {
	trap - INT TERM
	echo "E2E: interrupted"
	if [[ -n "$TEST_PID" ]]; then
		kill -TERM "$TEST_PID" 2>/dev/null
		wait "$TEST_PID" 2>/dev/null
	fi
	FAILED=$((FAILED + 1))
	cleanup_all
	summary
	exit 130
}
trap on_signal INT TERM

summary() {
	echo "E2E: $PASSED passed, $FAILED failed"
}

# --- build ------------------------------------------------------------------
GO=${GO:-go}
command -v "$GO" >/dev/null 2>&1 || GO=/usr/local/go/bin/go
T0=$SECONDS
echo "== build"
if ! (cd "$REPO" && "$GO" build -o bin/cacheplane ./cmd/cacheplane); then
	echo "    FAIL go build"
	FAILED=1
	summary
	exit 1
fi
export E2E_BIN="$REPO/bin/cacheplane"
# A private copy, so other people rebuilding bin/cacheplane mid-run do not
# change the binary under a running test (test_restart starts it twice).
cp "$E2E_BIN" "$ROOT/cacheplane" && E2E_BIN="$ROOT/cacheplane"
echo "    built in $((SECONDS - T0))s"

for tool in redis-server memcached redis-cli aws python3; do
	command -v "$tool" >/dev/null 2>&1 || { echo "    FAIL missing $tool"; FAILED=1; summary; exit 1; }
done

# --- tests ------------------------------------------------------------------
if (($# > 0)); then
	TESTS=("$@")
else
	TESTS=()
	for t in "$E2E_DIR"/test_*; do [[ -f "$t" ]] && TESTS+=("$t"); done
fi

# range_free N: nothing listens on any 127.79.N.* address.
range_free() { ! ss -Hltn 2>/dev/null | awk '{print $4}' | grep -q "^127\.79\.$1\."; }

# Each test claims its 127.79.N.0/24 with a lock dir (so that concurrent runs
# never share a range); a lock whose owner PID is dead is taken over.
NEXT_NET=$((10 + ($$ * 7) % 240))
pick_net() {
	local tries lock owner
	for ((tries = 0; tries < 250; tries++)); do
		NEXT_NET=$(((NEXT_NET % 250) + 1))
		lock="${TMPDIR:-/tmp}/cacheplane-e2e-net-$NEXT_NET.lock"
		if ! mkdir "$lock" 2>/dev/null; then
			owner=$(cat "$lock/pid" 2>/dev/null)
			if [[ -n "$owner" ]] && kill -0 "$owner" 2>/dev/null; then continue; fi
			rm -rf "$lock"
			mkdir "$lock" 2>/dev/null || continue
		fi
		echo $$ >"$lock/pid"
		NET_LOCKS+=("$lock")
		if range_free "$NEXT_NET"; then
			return 0
		fi
	done
	return 1
}

i=0
for t in "${TESTS[@]}"; do
	i=$((i + 1))
	name=$(basename "$t")
	pick_net || { echo "    FAIL no free 127.79.N.0/24 range"; FAILED=$((FAILED + 1)); continue; }
	work="$ROOT/$i-${name%.*}"
	mkdir -p "$work"
	export E2E_WORK=$work E2E_DATA_DIR="$work/data" E2E_NODE_RANGE="127.79.$NEXT_NET.1-127.79.$NEXT_NET.254"
	echo "== $name  (nodes $E2E_NODE_RANGE)"
	t1=$SECONDS
	if ! start_server; then
		echo "    FAIL could not start cacheplane"
		FAILED=$((FAILED + 1))
		cleanup_test "$work"
		continue
	fi
	echo "    cacheplane pid $(cat "$work/server.pid") at $E2E_ENDPOINT, data dir $E2E_DATA_DIR"
	case "$t" in
	*.py) runner=(python3 -u "$t") ;;
	*) runner=(bash "$t") ;;
	esac
	# in the background + wait, so that an INT/TERM to run.sh is handled at
	# once (the trap stops the test, then the EXIT trap cleans up)
	timeout --kill-after=5 "${E2E_TEST_TIMEOUT:-150}" "${runner[@]}" </dev/null &
	TEST_PID=$!
	wait "$TEST_PID"
	rc=$?
	TEST_PID=""
	((rc == 124)) && echo "    FAIL timed out after ${E2E_TEST_TIMEOUT:-150}s"
	# the server must still be serving after the test (a crash is a failure)
	spid=$(cat "$work/server.pid" 2>/dev/null)
	if ((rc == 0)) && ! kill -0 "$spid" 2>/dev/null; then
		echo "    FAIL cacheplane (pid $spid) is not running after the test"
		rc=1
	fi
	if ((rc == 0)) && grep -hE 'level=(ERROR)|panic:|fatal error:' "$work"/server.*.log >/dev/null; then
		echo "    note: the server logged errors:"
		grep -hE 'level=(ERROR)|panic:|fatal error:' "$work"/server.*.log | head -n 10 | sed 's/^/      | /'
	fi
	if ((rc == 0)); then
		PASSED=$((PASSED + 1))
		echo "    PASS $name ($((SECONDS - t1))s)"
	else
		FAILED=$((FAILED + 1))
		echo "    FAIL $name (exit $rc, $((SECONDS - t1))s); last server log lines:"
		for f in "$work"/server.*.log; do
			echo "      -- $(basename "$f")"
			tail -n 25 "$f" | sed 's/^/      | /'
		done
	fi
	cleanup_test "$work"
	# the test's nodes must be gone now, and its data dir removable
	if [[ -n "$(node_pids "$E2E_DATA_DIR")" ]]; then
		echo "    FAIL node processes of $E2E_DATA_DIR survived cleanup: $(node_pids "$E2E_DATA_DIR" | tr '\n' ' ')"
	fi
	[[ "${E2E_KEEP:-}" == 1 ]] || rm -rf "$work"
done

echo "   total $((SECONDS - T0))s"
summary
((FAILED == 0 && PASSED > 0))
