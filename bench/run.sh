#!/usr/bin/env bash
# bench/run.sh: build cacheplane and the benchmark harnesses into a temporary
# directory, run every benchmark with the documented counts, and write the
# results (machine, date, commands, tables) to bench/RESULTS.md.
#
#   bench/run.sh                       # full run, ~12-15 minutes; run it on a quiet machine
#   bench/run.sh --smoke               # small counts (~3 minutes), written to a temp file
#   bench/run.sh --only tta,density    # a subset: tta, dataplane, api-real, api, api-inmemory, density
#   bench/run.sh --out FILE            # write the results elsewhere
#
# Every harness binds only loopback addresses in 127.90.0.0/16 (its own
# sub-range) and stops every process it started, by PID, also when it fails
# or is interrupted. Progress goes to the terminal; logs of each harness are
# kept next to the results only when one fails.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/go/bin

smoke=0
only="tta,dataplane,api-real,api,api-inmemory,density"
out=""
while (($#)); do
	case $1 in
	--smoke) smoke=1 ;;
	--only) only=$2; shift ;;
	--out) out=$2; shift ;;
	-h | --help) sed -n '2,15p' "$0"; exit 0 ;;
	*) echo "unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
if [[ -z $out ]]; then
	if ((smoke)); then out=$(mktemp /tmp/cacheplane-bench-smoke-XXXXXX.md); else out=bench/RESULTS.md; fi
fi

bin=$(mktemp -d /tmp/cacheplane-bench-bin-XXXXXX)
trap 'rm -rf "$bin"' EXIT
echo "building into $bin" >&2
go build -o "$bin/cacheplane" ./cmd/cacheplane
for h in tta apiload density dataplane; do go build -o "$bin/$h" "./bench/cmd/$h"; done
CP=$bin/cacheplane

if ((smoke)); then
	TTA=(--runs 3 --memcached-runs 2 --memcached-nodes 40)
	DATAPLANE=(--runs 2 --redis-args "-n 50000 -c 50 -P 16 -t set,get -q" --mc-requests 50000)
	APIREAL=(--mode real --sizes 3 --clients 1,4 --duration 2s --warmup 300ms --idle 2s)
	API=(--sizes 100,1000 --clients 1,4 --duration 2s --warmup 300ms --idle 2s)
	APIMEM=(--probe inmemory --sizes 1000 --clients 1,4 --duration 2s --warmup 300ms --idle 2s)
	DENSITY=(--nodes 50 --per-cluster 40 --idle 5s --settle 1s --post-restart 11s)
else
	TTA=(--runs 50 --memcached-runs 20 --memcached-nodes 40)
	DATAPLANE=(--runs 11 --redis-args "-n 200000 -c 50 -P 16 -t set,get -q" --mc-requests 200000)
	APIREAL=(--mode real --sizes 10 --clients 1,16 --duration 10s --warmup 1s --idle 20s)
	API=(--sizes 1000,10000 --clients 1,16 --duration 10s --warmup 1s --idle 20s)
	APIMEM=(--probe inmemory --sizes 10000 --clients 1,16 --duration 10s --warmup 1s --idle 20s)
	DENSITY=(--nodes 1000 --per-cluster 40 --idle 30s)
fi

results=$bin/results.md
{
	echo "# cacheplane benchmarks"
	echo
	if ((smoke)); then echo "**Smoke run (small counts): not a measurement.**"; echo; fi
	echo "- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- 2>/dev/null || echo ' (working tree modified)')"
	echo "- machine: $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1)), $(awk '/^MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo) memory, kernel $(uname -srm)"
	echo "- $(go version)"
	echo "- $(redis-server --version | head -n1); memcached $(memcached -V | awk '{print $2}'); $(redis-benchmark --version 2>/dev/null | head -n1)"
	echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "- run: \`bench/run.sh $(((smoke)) && echo --smoke) --only $only\`; cacheplane and the harnesses built with \`go build -o BIN/... ./cmd/cacheplane ./bench/cmd/...\` (BIN a temp dir; \`--cacheplane BIN/cacheplane\` below)"
	echo
} >"$results"

failed=0
run() { # run NAME BINARY ARGS...
	local name=$1 b=$2; shift 2
	echo "== $name: $b $*" >&2
	local t0=$SECONDS rc=0
	timeout --signal=INT --kill-after=120s 1800 "$bin/$b" "$@" >"$bin/$name.md" 2> >(tee "$bin/$name.log" >&2) || rc=$?
	if ((rc != 0)); then
		failed=1
		{
			echo "### $name: FAILED (exit $rc)"
			echo
			echo '```'
			tail -n 30 "$bin/$name.log"
			echo '```'
			echo
		} >>"$results"
		cp "$bin/$name.log" "${out%.md}.$name.log" 2>/dev/null || true
	else
		cat "$bin/$name.md" >>"$results"
	fi
	echo "== $name: $((SECONDS - t0)) s (exit $rc)" >&2
	printf '_%s took %d s._\n\n' "$name" $((SECONDS - t0)) >>"$results"
}

t_all=$SECONDS
IFS=, read -ra sel <<<"$only"
for s in "${sel[@]}"; do
	case $s in
	tta) run tta tta --cacheplane "$CP" "${TTA[@]}" ;;
	dataplane) run dataplane dataplane --cacheplane "$CP" "${DATAPLANE[@]}" ;;
	api-real) run api-real apiload --cacheplane "$CP" "${APIREAL[@]}" ;;
	api) run api apiload "${API[@]}" ;;
	api-inmemory) run api-inmemory apiload "${APIMEM[@]}" ;;
	density) run density density --cacheplane "$CP" "${DENSITY[@]}" ;;
	*) echo "unknown benchmark $s" >&2; exit 2 ;;
	esac
done
{
	echo "- load average at end: $(cut -d' ' -f1-3 /proc/loadavg); total $((SECONDS - t_all)) s"
	echo
} >>"$results"
cp "$results" "$out"
echo "results: $out" >&2
exit $failed
