#!/usr/bin/env bash
# Parameter groups with the aws CLI and redis-cli: a custom group sets
# maxmemory-policy=allkeys-lru, a redis cluster created with it reports that in
# CONFIG GET, and changing the group to volatile-lru changes the running node
# without a restart. Then the faults of the rules, and the clean-up. Run by
# e2e/run.sh.
set -u -o pipefail
# shellcheck source=lib.sh
source "$E2E_LIB"

# expect_fault DESCRIPTION CODE COMMAND...: the command fails (exit 255) with CODE.
expect_fault() {
	local what=$1 code=$2 err rc
	shift 2
	err=$("$@" 2>&1 >/dev/null)
	rc=$?
	if ((rc == 255)) && [[ "$err" == *"($code)"* ]]; then ok "$what: $code"; else fail "$what: exit $rc, $err"; fi
}

config_get() { # HOST PORT NAME: the value redis-cli reads
	redis-cli -h "$1" -p "$2" CONFIG GET "$3" 2>&1 | sed -n 2p
}

node_pid() { # HOST PORT
	redis-cli -h "$1" -p "$2" INFO server 2>&1 | sed -n 's/^process_id:\([0-9]*\).*/\1/p'
}

echo "  - create-cache-parameter-group e2e-params (redis7), set maxmemory-policy=allkeys-lru"
name=$(cp_aws create-cache-parameter-group --cache-parameter-group-name E2E-Params \
	--cache-parameter-group-family redis7 --description "e2e parameters" \
	--query CacheParameterGroup.CacheParameterGroupName --output text) || die "create-cache-parameter-group failed: $name"
expect_eq "group name (stored lowercase)" "$name" e2e-params
out=$(cp_aws modify-cache-parameter-group --cache-parameter-group-name e2e-params \
	--parameter-name-values ParameterName=maxmemory-policy,ParameterValue=allkeys-lru --output text) || die "modify failed: $out"
expect_eq "modify answers the group name" "$out" e2e-params
expect_eq "describe-cache-parameters maxmemory-policy" \
	"$(cp_aws describe-cache-parameters --cache-parameter-group-name e2e-params \
		--query "Parameters[?ParameterName=='maxmemory-policy'].ParameterValue" --output text)" allkeys-lru
# the CLI follows the Marker over every page
all=$(cp_aws describe-cache-parameters --cache-parameter-group-name e2e-params --page-size 20 --output json |
	python3 -c 'import json,sys; print(len(json.load(sys.stdin)["Parameters"]))')
defaults=$(cp_aws describe-engine-default-parameters --cache-parameter-group-family redis7 --query 'length(EngineDefaults.Parameters)' --output text)
expect_eq "parameters over pages of 20 = the family's defaults" "$all" "$defaults"
expect_eq "user-settable ones (Source user) include maxmemory-policy" \
	"$(cp_aws describe-cache-parameters --cache-parameter-group-name e2e-params --source user \
		--query "Parameters[?ParameterName=='maxmemory-policy'].Source" --output text)" user
groups=$(cp_aws describe-cache-parameter-groups --query 'CacheParameterGroups[].CacheParameterGroupName' --output text | tr '\t\n' '  ')
if [[ " $groups " == *" default.redis7 "* && " $groups " == *"e2e-params"* ]]; then ok "describe-cache-parameter-groups lists default.redis7 and e2e-params"; else fail "groups: $groups"; fi

echo "  - create-cache-cluster pg-redis with the group"
st=$(cp_aws create-cache-cluster --cache-cluster-id pg-redis --engine redis --cache-node-type cache.t3.micro \
	--num-cache-nodes 1 --cache-parameter-group-name e2e-params \
	--query CacheCluster.CacheParameterGroup.CacheParameterGroupName --output text) || die "create-cache-cluster failed: $st"
expect_eq "cluster's parameter group" "$st" e2e-params
cp_aws wait cache-cluster-available --cache-cluster-id pg-redis || die "wait cache-cluster-available failed"
read -r addr port < <(cp_aws describe-cache-clusters --cache-cluster-id pg-redis --show-cache-node-info \
	--query 'CacheClusters[0].CacheNodes[0].Endpoint.[Address,Port]' --output text)
expect_eq "redis-cli CONFIG GET maxmemory-policy" "$(config_get "$addr" "$port" maxmemory-policy)" allkeys-lru
pid=$(node_pid "$addr" "$port")
log "node $addr:$port, pid $pid"

echo "  - modify to volatile-lru: the running node changes, without a restart"
cp_aws modify-cache-parameter-group --cache-parameter-group-name e2e-params \
	--parameter-name-values ParameterName=maxmemory-policy,ParameterValue=volatile-lru >/dev/null || die "modify failed"
got=""
for ((i = 0; i < 100; i++)); do
	got=$(config_get "$addr" "$port" maxmemory-policy)
	[[ "$got" == volatile-lru ]] && break
	sleep 0.1
done
expect_eq "redis-cli CONFIG GET maxmemory-policy" "$got" volatile-lru
expect_eq "node process id (no restart)" "$(node_pid "$addr" "$port")" "$pid"
expect_eq "ParameterApplyStatus" "$(cp_aws describe-cache-clusters --cache-cluster-id pg-redis \
	--query CacheClusters[0].CacheParameterGroup.ParameterApplyStatus --output text)" in-sync

echo "  - the rules' faults"
expect_fault "modify a default group" InvalidCacheParameterGroupState \
	cp_aws modify-cache-parameter-group --cache-parameter-group-name default.redis7 \
	--parameter-name-values ParameterName=timeout,ParameterValue=60
expect_fault "an invalid value" InvalidParameterValue \
	cp_aws modify-cache-parameter-group --cache-parameter-group-name e2e-params \
	--parameter-name-values ParameterName=maxmemory-policy,ParameterValue=lru
expect_fault "a parameter that is not modifiable" InvalidParameterValue \
	cp_aws modify-cache-parameter-group --cache-parameter-group-name e2e-params \
	--parameter-name-values ParameterName=lua-time-limit,ParameterValue=100
expect_fault "delete a group in use" InvalidCacheParameterGroupState \
	cp_aws delete-cache-parameter-group --cache-parameter-group-name e2e-params
expect_fault "delete a default group" InvalidCacheParameterGroupState \
	cp_aws delete-cache-parameter-group --cache-parameter-group-name default.redis7
expect_fault "create it again" CacheParameterGroupAlreadyExists \
	cp_aws create-cache-parameter-group --cache-parameter-group-name e2e-params \
	--cache-parameter-group-family redis7 --description again
cp_aws create-cache-parameter-group --cache-parameter-group-name e2e-cluster-on \
	--cache-parameter-group-family redis7 --description "cluster mode" >/dev/null || die "create e2e-cluster-on failed"
cp_aws modify-cache-parameter-group --cache-parameter-group-name e2e-cluster-on \
	--parameter-name-values ParameterName=cluster-enabled,ParameterValue=yes >/dev/null || die "modify cluster-enabled failed"
err=$(cp_aws create-cache-cluster --cache-cluster-id pg-on --engine redis --cache-node-type cache.t3.micro \
	--cache-parameter-group-name e2e-cluster-on 2>&1 >/dev/null)
if [[ "$err" == *"(InvalidParameterCombination)"*"Cluster mode should be disabled in parameter group, but found it is enabled."* ]]; then
	ok "a cluster-enabled group is refused with AWS's message"
else
	fail "cluster-enabled group: $err"
fi

echo "  - clean up"
cp_aws delete-cache-cluster --cache-cluster-id pg-redis >/dev/null || die "delete-cache-cluster failed"
cp_aws wait cache-cluster-deleted --cache-cluster-id pg-redis || die "wait cache-cluster-deleted failed"
for g in e2e-params e2e-cluster-on; do
	check "delete-cache-parameter-group $g" cp_aws delete-cache-parameter-group --cache-parameter-group-name "$g"
done
expect_fault "describe a deleted group" CacheParameterGroupNotFound \
	cp_aws describe-cache-parameters --cache-parameter-group-name e2e-params
finish
