#!/usr/bin/env bash
# Nodes outlive a crashed cacheplane and are re-adopted (same PID, same data)
# when it restarts on the same data dir; a killed node is replaced. Run by
# e2e/run.sh, which started the first server (E2E_WORK/server.pid).
set -u -o pipefail
# shellcheck source=lib.sh
source "$E2E_LIB"

redis_pid() { # ADDR PORT -> process_id from INFO server
	redis-cli -h "$1" -p "$2" info server 2>/dev/null | tr -d '\r' | sed -n 's/^process_id://p'
}

echo "  - create my-redis and wait for it"
cp_aws create-cache-cluster --cache-cluster-id my-redis --engine redis \
	--cache-node-type cache.t3.micro --num-cache-nodes 1 --query CacheCluster.CacheClusterStatus --output text >/dev/null ||
	die "create-cache-cluster failed"
python3 - <<'PY' || die "waiter cache_cluster_available failed"
import os, boto3
c = boto3.client("elasticache", endpoint_url=os.environ["E2E_ENDPOINT"], region_name="us-east-1")
c.get_waiter("cache_cluster_available").wait(CacheClusterId="my-redis", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
PY
read -r addr port < <(cp_aws describe-cache-clusters --cache-cluster-id my-redis --show-cache-node-info \
	--query 'CacheClusters[0].CacheNodes[0].Endpoint.[Address,Port]' --output text)
[[ -n "${addr:-}" && -n "${port:-}" ]] || die "no endpoint"
ok "endpoint $addr:$port"
expect_eq "SET" "$(redis-cli -h "$addr" -p "$port" set survivor 42)" OK
pid1=$(redis_pid "$addr" "$port")
[[ -n "$pid1" ]] || die "no redis process_id"
expect_eq "redis pid $pid1 belongs to the data dir" "$(node_pids "$E2E_DATA_DIR" | grep -cx "$pid1")" 1

echo "  - kill -9 cacheplane, start it again on the same data dir and port"
listen=$E2E_LISTEN
spid=$(cat "$E2E_WORK/server.pid")
kill -9 "$spid" || die "kill -9 $spid"
for ((i = 0; i < 50; i++)); do kill -0 "$spid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$spid" 2>/dev/null && die "cacheplane $spid survived kill -9"
ok "cacheplane $spid killed"
expect_eq "redis still answers while cacheplane is down" "$(redis-cli -h "$addr" -p "$port" ping 2>&1)" PONG
# the old listener is gone with the process; retry briefly in case the port lingers
for ((i = 0; i < 20; i++)); do
	if start_server "$listen" 2>"$E2E_WORK/restart.err"; then break; fi
	sleep 0.25
done
[[ "${E2E_LISTEN:-}" == "$listen" ]] && kill -0 "$(cat "$E2E_WORK/server.pid")" 2>/dev/null ||
	{ cat "$E2E_WORK/restart.err" >&2; die "could not restart cacheplane on $listen"; }
ok "cacheplane restarted as pid $(cat "$E2E_WORK/server.pid") on $E2E_LISTEN"

st=""
for ((i = 0; i < 50; i++)); do
	st=$(cp_aws describe-cache-clusters --cache-cluster-id my-redis --show-cache-node-info \
		--query 'CacheClusters[0].[CacheClusterStatus,CacheNodes[0].CacheNodeStatus]' --output text 2>/dev/null)
	[[ "$st" == "available	available" ]] && break
	sleep 0.2
done
expect_eq "cluster/node status after restart" "$st" "available	available"
expect_eq "redis pid after restart (re-adopted)" "$(redis_pid "$addr" "$port")" "$pid1"
expect_eq "key survived" "$(redis-cli -h "$addr" -p "$port" get survivor)" 42
if grep -q 'adopted=true' "$E2E_WORK"/server.2.log; then ok "server log says adopted=true"; else fail "no adopted=true in server.2.log"; fi

echo "  - kill -9 the redis-server; it must be replaced"
kill -9 "$pid1" || die "kill -9 $pid1"
t0=$(date +%s.%N)
pid2=""
for ((i = 0; i < 100; i++)); do
	p=$(redis_pid "$addr" "$port")
	if [[ -n "$p" && "$p" != "$pid1" ]]; then pid2=$p; break; fi
	sleep 0.1
done
t1=$(date +%s.%N)
if [[ -n "$pid2" ]]; then
	ok "replaced by pid $pid2 after $(python3 -c "print('%.1f' % ($t1 - $t0))")s"
else
	fail "redis-server not replaced within 10s"
fi
expect_eq "PING at the same endpoint" "$(redis-cli -h "$addr" -p "$port" ping 2>&1)" PONG
expect_eq "replacement belongs to the data dir" "$(node_pids "$E2E_DATA_DIR" | grep -cx "${pid2:-none}")" 1
st=""
for ((i = 0; i < 50; i++)); do
	st=$(cp_aws describe-cache-clusters --cache-cluster-id my-redis --query 'CacheClusters[0].CacheClusterStatus' --output text 2>/dev/null)
	[[ "$st" == available ]] && break
	sleep 0.2
done
expect_eq "cluster status after replacement" "$st" available

echo "  - delete and wait deleted"
expect_eq "delete status" "$(cp_aws delete-cache-cluster --cache-cluster-id my-redis --query CacheCluster.CacheClusterStatus --output text)" deleting
python3 - <<'PY' || fail "waiter cache_cluster_deleted failed"
import os, boto3
c = boto3.client("elasticache", endpoint_url=os.environ["E2E_ENDPOINT"], region_name="us-east-1")
c.get_waiter("cache_cluster_deleted").wait(CacheClusterId="my-redis", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
PY
for ((i = 0; i < 50; i++)); do listening "$addr" "$port" || break; sleep 0.1; done
if listening "$addr" "$port"; then fail "$addr:$port still listening"; else ok "nothing listens on $addr:$port"; fi
expect_eq "node processes left" "$(node_pids "$E2E_DATA_DIR" | wc -l | tr -d ' ')" 0
[[ ! -e "$E2E_DATA_DIR/nodes/my-redis" ]] && ok "node directory removed" || fail "node directory $E2E_DATA_DIR/nodes/my-redis remains"

finish
