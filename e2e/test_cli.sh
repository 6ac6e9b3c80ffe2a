#!/usr/bin/env bash
# The user story with the aws CLI: create a redis cluster, wait for it, find its
# endpoint, redis-cli ping it; a 3-node memcached cluster; delete and wait; and
# an error's exit status and code. Run by e2e/run.sh.
set -u -o pipefail
# shellcheck source=lib.sh
source "$E2E_LIB"

jq_py() { # EXPR: evaluate a python expression over the JSON on stdin (bound to d)
	python3 -c 'import json,sys; d=json.load(sys.stdin); r=eval(sys.argv[1]); print(r if not isinstance(r,(list,dict)) else json.dumps(r))' "$1"
}

echo "  - create-cache-cluster my-redis (redis, cache.t3.micro, 1 node)"
out=$(cp_aws create-cache-cluster --cache-cluster-id my-redis --engine redis \
	--cache-node-type cache.t3.micro --num-cache-nodes 1 --output json) || die "create-cache-cluster failed: $out"
expect_eq "CacheClusterStatus" "$(jq_py 'd["CacheCluster"]["CacheClusterStatus"]' <<<"$out")" creating
expect_eq "Engine" "$(jq_py 'd["CacheCluster"]["Engine"]' <<<"$out")" redis

echo "  - aws elasticache wait cache-cluster-available"
t=$SECONDS
cp_aws wait cache-cluster-available --cache-cluster-id my-redis || die "wait cache-cluster-available failed"
ok "available (waited $((SECONDS - t))s)"

echo "  - describe-cache-clusters --show-cache-node-info"
out=$(cp_aws describe-cache-clusters --cache-cluster-id my-redis --show-cache-node-info --output json) || die "describe failed: $out"
expect_eq "CacheClusterStatus" "$(jq_py 'd["CacheClusters"][0]["CacheClusterStatus"]' <<<"$out")" available
addr=$(jq_py 'd["CacheClusters"][0]["CacheNodes"][0]["Endpoint"]["Address"]' <<<"$out")
port=$(jq_py 'd["CacheClusters"][0]["CacheNodes"][0]["Endpoint"]["Port"]' <<<"$out")
# the same with --query / --output text, as a user would
tq=$(cp_aws describe-cache-clusters --cache-cluster-id my-redis --show-cache-node-info \
	--query 'CacheClusters[0].CacheNodes[0].Endpoint.[Address,Port]' --output text)
expect_eq "--query endpoint (text)" "$tq" "$addr	$port"
expect_eq "redis-cli -h $addr -p $port ping" "$(redis-cli -h "$addr" -p "$port" ping 2>&1)" PONG
expect_eq "redis-cli set" "$(redis-cli -h "$addr" -p "$port" set greeting hi 2>&1)" OK
expect_eq "redis-cli get" "$(redis-cli -h "$addr" -p "$port" get greeting 2>&1)" hi

echo "  - memcached my-mc (3 nodes)"
out=$(cp_aws create-cache-cluster --cache-cluster-id my-mc --engine memcached \
	--cache-node-type cache.t3.micro --num-cache-nodes 3 --output json) || die "create memcached failed: $out"
expect_eq "NumCacheNodes" "$(jq_py 'd["CacheCluster"]["NumCacheNodes"]' <<<"$out")" 3
t=$SECONDS
cp_aws wait cache-cluster-available --cache-cluster-id my-mc || die "wait cache-cluster-available my-mc failed"
ok "my-mc available (waited $((SECONDS - t))s)"
eps=$(cp_aws describe-cache-clusters --cache-cluster-id my-mc --show-cache-node-info \
	--query 'CacheClusters[0].CacheNodes[].[Endpoint.Address,Endpoint.Port]' --output text)
expect_eq "node count" "$(wc -l <<<"$eps" | tr -d ' ')" 3
expect_eq "distinct endpoints" "$(sort -u <<<"$eps" | wc -l | tr -d ' ')" 3
mc_eps=()
while read -r a p; do
	mc_eps+=("$a:$p")
	v=$(mc_version "$a" "$p" 2>&1)
	if [[ "$v" == VERSION\ * ]]; then ok "$a:$p answers '$v'"; else fail "$a:$p version: '$v'"; fi
done <<<"$eps"
cfgp=$(cp_aws describe-cache-clusters --cache-cluster-id my-mc --query 'CacheClusters[0].ConfigurationEndpoint.Port' --output text)
expect_eq "ConfigurationEndpoint.Port" "$cfgp" 11211

echo "  - error case: describe a missing cluster"
err=$(cp_aws describe-cache-clusters --cache-cluster-id no-such-cluster 2>&1 >/dev/null)
rc=$?
log "exit $rc: $err"
expect_eq "exit status" "$rc" 255
if [[ "$err" == *"(CacheClusterNotFound)"* ]]; then ok "stderr names CacheClusterNotFound"; else fail "stderr: $err"; fi
err=$(cp_aws create-cache-cluster --cache-cluster-id my-redis --engine redis \
	--cache-node-type cache.t3.micro --num-cache-nodes 1 2>&1 >/dev/null)
rc=$?
log "exit $rc: $err"
expect_eq "exit status (already exists)" "$rc" 255
if [[ "$err" == *"(CacheClusterAlreadyExists)"* ]]; then ok "stderr names CacheClusterAlreadyExists"; else fail "stderr: $err"; fi

echo "  - delete-cache-cluster + wait cache-cluster-deleted"
for id in my-redis my-mc; do
	st=$(cp_aws delete-cache-cluster --cache-cluster-id "$id" --query CacheCluster.CacheClusterStatus --output text) || die "delete $id failed"
	expect_eq "$id status after delete" "$st" deleting
done
for id in my-redis my-mc; do
	t=$SECONDS
	cp_aws wait cache-cluster-deleted --cache-cluster-id "$id" || die "wait cache-cluster-deleted $id failed"
	ok "$id deleted (waited $((SECONDS - t))s)"
done
for ep in "$addr:$port" "${mc_eps[@]}"; do
	gone=0
	for ((i = 0; i < 50; i++)); do
		listening "${ep%:*}" "${ep##*:}" || { gone=1; break; }
		sleep 0.1
	done
	if ((gone)); then ok "nothing listens on $ep"; else fail "$ep still listening after delete"; fi
done
if redis-cli -h "$addr" -p "$port" ping >/dev/null 2>&1; then fail "redis-cli ping still answers"; else ok "redis-cli ping now fails"; fi
left=$(cp_aws describe-cache-clusters --query 'length(CacheClusters)' --output text)
expect_eq "clusters left" "$left" 0

finish
