"""Tagging through boto3 against a running cacheplane: AddTagsToResource,
ListTagsForResource and RemoveTagsFromResource on a real redis cluster, on the
default parameter group default.redis7 and on the default subnet group, then
the modelled faults (each caught as its client.exceptions class). Run by
e2e/run.sh (needs E2E_ENDPOINT)."""

import os
import sys
import time

from e2elib import FAILS, check, eq, make_client, ok, step

ENDPOINT = os.environ["E2E_ENDPOINT"]

client = make_client(ENDPOINT)


def expect_error(fn, exc_name, code, status, what, msg_part=""):
    exc = getattr(client.exceptions, exc_name)
    try:
        fn()
    except exc as e:
        err = e.response["Error"]
        eq(err.get("Code"), code, "%s: Error.Code" % what)
        eq(e.response["ResponseMetadata"]["HTTPStatusCode"], status, "%s: HTTPStatusCode" % what)
        check(msg_part in (err.get("Message") or ""), "%s: Message mentions %r (%r)" % (what, msg_part, err.get("Message")))
        return e
    except Exception as e:  # noqa: BLE001 - report what came instead
        check(False, "%s raises client.exceptions.%s" % (what, exc_name), "%s: %s" % (type(e).__name__, e))
        return None
    check(False, "%s raises client.exceptions.%s" % (what, exc_name), "no error")
    return None


def pairs(tag_list):
    """[{'Key': k, 'Value': v}, ...] -> [(k, v)], v None for a null value."""
    return [(t["Key"], t.get("Value")) for t in tag_list]


def listed(arn):
    return pairs(client.list_tags_for_resource(ResourceName=arn)["TagList"])


T0 = time.time()

step("a tagged redis cluster")
created = client.create_cache_cluster(
    CacheClusterId="tagged", Engine="redis", CacheNodeType="cache.t3.micro", NumCacheNodes=1,
    Tags=[{"Key": "env", "Value": "dev"}])["CacheCluster"]
cluster_arn = created["ARN"]
prefix = cluster_arn[: -len("cluster:tagged")]
eq(cluster_arn, "arn:aws:elasticache:us-east-1:000000000000:cluster:tagged", "cluster ARN")
client.get_waiter("cache_cluster_available").wait(
    CacheClusterId="tagged", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
ok("tagged is available")
eq(listed(cluster_arn), [("env", "dev")], "tags from CreateCacheCluster")

for arn, initial in [
    (cluster_arn, [("env", "dev")]),
    (prefix + "parametergroup:default.redis7", []),
    (prefix + "subnetgroup:default", []),
]:
    step("add / list / remove on " + arn)
    eq(listed(arn), initial, "initial tags")
    r = client.add_tags_to_resource(ResourceName=arn, Tags=[
        {"Key": "env", "Value": "prod"}, {"Key": "Team", "Value": "cache"}, {"Key": "scratch"}])
    eq(pairs(r["TagList"]), [("env", "prod"), ("Team", "cache"), ("scratch", None)], "AddTagsToResource TagList (merged)")
    eq(listed(arn), [("env", "prod"), ("Team", "cache"), ("scratch", None)], "listed after add")
    r = client.remove_tags_from_resource(ResourceName=arn, TagKeys=["scratch", "env"])
    eq(pairs(r["TagList"]), [("Team", "cache")], "RemoveTagsFromResource TagList")
    eq(listed(arn), [("Team", "cache")], "listed after remove")

step("the cluster ARN is case-insensitive in its id; keys are case-sensitive")
eq(listed(prefix + "cluster:TAGGED"), [("Team", "cache")], "tags via cluster:TAGGED")
r = client.add_tags_to_resource(ResourceName=cluster_arn, Tags=[{"Key": "team", "Value": "other"}])
eq(pairs(r["TagList"]), [("Team", "cache"), ("team", "other")], "Team and team are two tags")
client.remove_tags_from_resource(ResourceName=cluster_arn, TagKeys=["team"])

step("50-tag quota")
r = client.add_tags_to_resource(ResourceName=cluster_arn, Tags=[{"Key": "k%02d" % i, "Value": "v"} for i in range(49)])
eq(len(r["TagList"]), 50, "49 more tags make 50")
r = client.add_tags_to_resource(ResourceName=cluster_arn, Tags=[{"Key": "k00", "Value": "replaced"}])
eq(len(r["TagList"]), 50, "replacing a value at 50 is fine")
expect_error(lambda: client.add_tags_to_resource(ResourceName=cluster_arn, Tags=[{"Key": "one-too-many", "Value": "v"}]),
             "TagQuotaPerResourceExceeded", "TagQuotaPerResourceExceeded", 400, "51st tag", "51")
eq(len(listed(cluster_arn)), 50, "still 50 tags after the refusal")
r = client.remove_tags_from_resource(ResourceName=cluster_arn, TagKeys=["k%02d" % i for i in range(49)])
eq(pairs(r["TagList"]), [("Team", "cache")], "49 tags removed in one call")

step("modelled faults")
add = lambda arn, tags=None: client.add_tags_to_resource(ResourceName=arn, Tags=tags or [{"Key": "k", "Value": "v"}])  # noqa: E731
expect_error(lambda: client.list_tags_for_resource(ResourceName="tagged"),
             "InvalidARNFault", "InvalidARN", 400, "bare cluster id", "not a valid ElastiCache ARN")
expect_error(lambda: add("arn:aws:elasticache:eu-west-1:000000000000:cluster:tagged"),
             "InvalidARNFault", "InvalidARN", 400, "ARN of another region", "region")
expect_error(lambda: add("arn:aws:elasticache:us-east-1:111111111111:cluster:tagged"),
             "InvalidARNFault", "InvalidARN", 400, "ARN of another account", "account")
expect_error(lambda: add("arn:aws:s3:us-east-1:000000000000:cluster:tagged"),
             "InvalidARNFault", "InvalidARN", 400, "ARN of another service", "service")
expect_error(lambda: add(prefix + "node:tagged"),
             "InvalidARNFault", "InvalidARN", 400, "unknown resource type", "cannot be tagged")
expect_error(lambda: add(prefix + "cluster:absent"),
             "CacheClusterNotFoundFault", "CacheClusterNotFound", 404, "missing cluster", "CacheCluster not found: absent")
expect_error(lambda: client.list_tags_for_resource(ResourceName=prefix + "parametergroup:absent"),
             "CacheParameterGroupNotFoundFault", "CacheParameterGroupNotFound", 404, "missing parameter group", "absent")
expect_error(lambda: client.remove_tags_from_resource(ResourceName=prefix + "subnetgroup:absent", TagKeys=["k"]),
             "CacheSubnetGroupNotFoundFault", "CacheSubnetGroupNotFoundFault", 400, "missing subnet group", "absent")
expect_error(lambda: add(prefix + "securitygroup:absent"),
             "CacheSecurityGroupNotFoundFault", "CacheSecurityGroupNotFound", 404, "missing security group", "absent")
expect_error(lambda: add(prefix + "snapshot:absent"),
             "SnapshotNotFoundFault", "SnapshotNotFoundFault", 404, "missing snapshot", "absent")
expect_error(lambda: add(prefix + "replicationgroup:absent"),
             "ReplicationGroupNotFoundFault", "ReplicationGroupNotFoundFault", 404, "missing replication group", "absent")
expect_error(lambda: add(prefix + "user:absent"),
             "UserNotFoundFault", "UserNotFound", 404, "missing user", "absent")
expect_error(lambda: add(cluster_arn, [{"Key": "aws:owner", "Value": "x"}]),
             "InvalidParameterValueException", "InvalidParameterValue", 400, "aws: key prefix", "aws:")
expect_error(lambda: add(cluster_arn, [{"Key": "k" * 129, "Value": "x"}]),
             "InvalidParameterValueException", "InvalidParameterValue", 400, "129-character key", "128")
expect_error(lambda: add(cluster_arn, [{"Key": "k", "Value": "v" * 257}]),
             "InvalidParameterValueException", "InvalidParameterValue", 400, "257-character value", "256")
expect_error(lambda: client.remove_tags_from_resource(ResourceName=cluster_arn, TagKeys=["Team", "absent"]),
             "TagNotFoundFault", "TagNotFound", 404, "removing an absent key", "'absent'")
eq(listed(cluster_arn), [("Team", "cache")], "the refusals changed nothing")

step("tags go with the cluster")
client.delete_cache_cluster(CacheClusterId="tagged")
client.get_waiter("cache_cluster_deleted").wait(
    CacheClusterId="tagged", WaiterConfig={"Delay": 1, "MaxAttempts": 60})
expect_error(lambda: client.list_tags_for_resource(ResourceName=cluster_arn),
             "CacheClusterNotFoundFault", "CacheClusterNotFound", 404, "tags of the deleted cluster", "tagged")
for arn in (prefix + "parametergroup:default.redis7", prefix + "subnetgroup:default"):
    client.remove_tags_from_resource(ResourceName=arn, TagKeys=["Team"])
    eq(listed(arn), [], "%s untagged again" % arn)

print("    (%.1fs)" % (time.time() - T0))
if FAILS:
    print("    %d check(s) failed" % len(FAILS))
    sys.exit(1)
