"""Subnet groups and cache security groups through boto3 and the aws CLI
against a running cacheplane: clusters placed in zones of a custom subnet
group (nodes report their CustomerAvailabilityZone and answer on their
endpoints), zones outside the group refused, in-use deletes refused, and the
--availability-zones flag / CACHEPLANE_AVAILABILITY_ZONES on a second server.
Run by e2e/run.sh (needs E2E_ENDPOINT, E2E_BIN, E2E_WORK, E2E_NODE_RANGE)."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

from e2elib import FAILS, check, eq, make_client, require, step

ENDPOINT = os.environ["E2E_ENDPOINT"]

client = make_client(ENDPOINT)


def expect_error(fn, exc_name, code, status, what, msg=None):
    exc = getattr(client.exceptions, exc_name)
    try:
        fn()
    except exc as e:
        err = e.response["Error"]
        eq(err.get("Code"), code, "%s: Error.Code" % what)
        eq(e.response["ResponseMetadata"]["HTTPStatusCode"], status, "%s: HTTPStatusCode" % what)
        if msg is not None:
            check(msg in err.get("Message", ""), "%s: Message has %r" % (what, msg), err.get("Message"))
        return e
    except Exception as e:  # noqa: BLE001 - report what came instead
        check(False, "%s raises client.exceptions.%s" % (what, exc_name), "%s: %s" % (type(e).__name__, e))
        return None
    check(False, "%s raises client.exceptions.%s" % (what, exc_name), "no error")
    return None


def cli(*args, endpoint=ENDPOINT):
    """Runs the aws CLI; returns (exit code, parsed JSON or None, stderr)."""
    p = subprocess.run(["aws", "elasticache", "--endpoint-url", endpoint, "--output", "json", *args],
                       capture_output=True, text=True, timeout=60)
    out = json.loads(p.stdout) if p.stdout.strip() else None
    return p.returncode, out, p.stderr


def cli_ok(what, *args):
    rc, out, err = cli(*args)
    require(rc == 0, "aws %s succeeds" % what, err.strip())
    return out


def cli_fails(what, code, *args):
    rc, _, err = cli(*args)
    check(rc != 0 and "(%s)" % code in err, "aws %s fails with %s" % (what, code), (rc, err.strip()))


def wait_available(cid):
    client.get_waiter("cache_cluster_available").wait(
        CacheClusterId=cid, WaiterConfig={"Delay": 1, "MaxAttempts": 60})


def wait_deleted(cid):
    client.get_waiter("cache_cluster_deleted").wait(
        CacheClusterId=cid, WaiterConfig={"Delay": 1, "MaxAttempts": 60})


def nodes_of(cid):
    r = client.describe_cache_clusters(CacheClusterId=cid, ShowCacheNodeInfo=True)
    return r["CacheClusters"][0]


def mc_version(host, port):
    s = socket.create_connection((host, port), timeout=5)
    s.sendall(b"version\r\n")
    buf = b""
    while not buf.endswith(b"\r\n"):
        chunk = s.recv(4096)
        if not chunk:
            break
        buf += chunk
    s.close()
    return buf.decode().strip()


VPC_RE = re.compile(r"^vpc-[0-9a-f]{17}$")
SUBNET_RE = re.compile(r"^subnet-[0-9a-f]{17}$")
ZONES = ["us-east-1" + z for z in "abcdef"]

# ---------------------------------------------------------------- the layout
step("the default subnet group: the default VPC, one subnet per zone")
d = client.describe_cache_subnet_groups(CacheSubnetGroupName="default")["CacheSubnetGroups"][0]
eq(d["CacheSubnetGroupName"], "default", "name")
eq(d["CacheSubnetGroupDescription"], "Default CacheSubnetGroup", "description")
check(bool(VPC_RE.match(d["VpcId"])), "VpcId %s is vpc- and 17 hex digits" % d["VpcId"])
eq(d["ARN"], "arn:aws:elasticache:us-east-1:000000000000:subnetgroup:default", "ARN")
eq([s["SubnetAvailabilityZone"]["Name"] for s in d["Subnets"]], ZONES, "zones")
check(all(SUBNET_RE.match(s["SubnetIdentifier"]) for s in d["Subnets"]), "subnet ids are subnet- and 17 hex digits")
check("ipv4" in d["SupportedNetworkTypes"], "SupportedNetworkTypes has ipv4", d["SupportedNetworkTypes"])
SUBNET = {s["SubnetAvailabilityZone"]["Name"]: s["SubnetIdentifier"] for s in d["Subnets"]}
again = client.describe_cache_subnet_groups(CacheSubnetGroupName="DEFAULT")["CacheSubnetGroups"][0]
eq(again["VpcId"], d["VpcId"], "the default VPC is stable")

# ------------------------------------------------------ a custom subnet group
step("aws CLI: create-cache-subnet-group over us-east-1b and us-east-1c")
out = cli_ok("create-cache-subnet-group", "create-cache-subnet-group", "--cache-subnet-group-name", "App-Subnets",
             "--cache-subnet-group-description", "app tier", "--subnet-ids", SUBNET["us-east-1b"], SUBNET["us-east-1c"],
             "--tags", "Key=team,Value=app")
g = out["CacheSubnetGroup"]
eq(g["CacheSubnetGroupName"], "app-subnets", "stored lowercase")
eq(g["VpcId"], d["VpcId"], "VpcId of the subnets")
eq([(s["SubnetIdentifier"], s["SubnetAvailabilityZone"]["Name"]) for s in g["Subnets"]],
   [(SUBNET["us-east-1b"], "us-east-1b"), (SUBNET["us-east-1c"], "us-east-1c")], "subnets and zones")
eq(client.list_tags_for_resource(ResourceName=g["ARN"])["TagList"], [{"Key": "team", "Value": "app"}], "tags on create")

step("subnet group refusals")
expect_error(lambda: client.create_cache_subnet_group(CacheSubnetGroupName="app-subnets", CacheSubnetGroupDescription="x",
                                                      SubnetIds=[SUBNET["us-east-1a"]]),
             "CacheSubnetGroupAlreadyExistsFault", "CacheSubnetGroupAlreadyExists", 400, "duplicate", "app-subnets already exists")
expect_error(lambda: client.create_cache_subnet_group(CacheSubnetGroupName="x", CacheSubnetGroupDescription="x",
                                                      SubnetIds=["subnet-0123456789abcdef0"]),
             "InvalidParameterValueException", "InvalidParameterValue", 400, "unknown subnet",
             "Some input subnets in :[subnet-0123456789abcdef0] are invalid.")
expect_error(lambda: client.create_cache_subnet_group(CacheSubnetGroupName="bad--name", CacheSubnetGroupDescription="x",
                                                      SubnetIds=[SUBNET["us-east-1a"]]),
             "InvalidParameterValueException", "InvalidParameterValue", 400, "bad name",
             "The parameter CacheSubnetGroupName is not a valid identifier.")
expect_error(lambda: client.describe_cache_subnet_groups(CacheSubnetGroupName="absent"),
             "CacheSubnetGroupNotFoundFault", "CacheSubnetGroupNotFoundFault", 400, "describe absent",
             "Cache Subnet Group absent does not exist.")
expect_error(lambda: client.delete_cache_subnet_group(CacheSubnetGroupName="default"),
             "InvalidParameterValueException", "InvalidParameterValue", 400, "delete default", "default is reserved")
cli_fails("create-cache-subnet-group with a subnet the layout does not have", "InvalidParameterValue",
          "create-cache-subnet-group", "--cache-subnet-group-name", "y", "--cache-subnet-group-description", "y",
          "--subnet-ids", "subnet-00000000000000bad")

# ------------------------------------------------- clusters in the subnet group
step("boto3: memcached with one node in each zone of the group")
client.create_cache_cluster(CacheClusterId="net-mem", Engine="memcached", CacheNodeType="cache.t3.micro",
                            NumCacheNodes=2, CacheSubnetGroupName="app-subnets",
                            PreferredAvailabilityZones=["us-east-1c", "us-east-1b"])
step("aws CLI: redis in us-east-1c of the group")
out = cli_ok("create-cache-cluster", "create-cache-cluster", "--cache-cluster-id", "net-redis", "--engine", "redis",
             "--cache-node-type", "cache.t3.micro", "--num-cache-nodes", "1", "--cache-subnet-group-name", "APP-SUBNETS",
             "--preferred-availability-zone", "us-east-1c", "--security-group-ids", "sg-0123456789abcdef0")
eq(out["CacheCluster"]["CacheSubnetGroupName"], "app-subnets", "CLI create: CacheSubnetGroupName")
eq(out["CacheCluster"]["PreferredAvailabilityZone"], "us-east-1c", "CLI create: PreferredAvailabilityZone")

step("zones outside the group are refused")
expect_error(lambda: client.create_cache_cluster(CacheClusterId="net-bad", Engine="redis", CacheNodeType="cache.t3.micro",
                                                 CacheSubnetGroupName="app-subnets", PreferredAvailabilityZone="us-east-1a"),
             "InvalidVPCNetworkStateFault", "InvalidVPCNetworkStateFault", 400, "zone outside the group",
             "No subnet is present in the cache subnet group for availability zone us-east-1a")
cli_fails("create-cache-cluster in us-east-1e of the group", "InvalidVPCNetworkStateFault",
          "create-cache-cluster", "--cache-cluster-id", "net-bad", "--engine", "memcached", "--cache-node-type", "cache.t3.micro",
          "--num-cache-nodes", "2", "--cache-subnet-group-name", "app-subnets",
          "--preferred-availability-zones", "us-east-1b", "us-east-1e")
expect_error(lambda: client.create_cache_cluster(CacheClusterId="net-bad", Engine="redis", CacheNodeType="cache.t3.micro",
                                                 CacheSubnetGroupName="absent"),
             "CacheSubnetGroupNotFoundFault", "CacheSubnetGroupNotFoundFault", 400, "unknown group", "absent")

wait_available("net-mem")
rc = subprocess.run(["aws", "elasticache", "--endpoint-url", ENDPOINT, "wait", "cache-cluster-available",
                     "--cache-cluster-id", "net-redis"], capture_output=True, text=True, timeout=120)
check(rc.returncode == 0, "aws elasticache wait cache-cluster-available net-redis", rc.stderr)

mem = nodes_of("net-mem")
eq(mem["PreferredAvailabilityZone"], "Multiple", "memcached PreferredAvailabilityZone")
eq([n["CustomerAvailabilityZone"] for n in mem["CacheNodes"]], ["us-east-1c", "us-east-1b"], "memcached nodes' zones")
for n in mem["CacheNodes"]:
    v = mc_version(n["Endpoint"]["Address"], n["Endpoint"]["Port"])
    check(v.startswith("VERSION "), "memcached node %s in %s answers version" % (n["CacheNodeId"], n["CustomerAvailabilityZone"]), v)

out = cli_ok("describe-cache-clusters", "describe-cache-clusters", "--cache-cluster-id", "net-redis", "--show-cache-node-info")
rn = out["CacheClusters"][0]["CacheNodes"][0]
eq(rn["CustomerAvailabilityZone"], "us-east-1c", "redis node CustomerAvailabilityZone (CLI)")
eq(out["CacheClusters"][0]["SecurityGroups"], [{"SecurityGroupId": "sg-0123456789abcdef0", "Status": "active"}], "VPC SecurityGroups")
p = subprocess.run(["redis-cli", "-h", rn["Endpoint"]["Address"], "-p", str(rn["Endpoint"]["Port"]), "ping"],
                   capture_output=True, text=True, timeout=10)
eq(p.stdout.strip(), "PONG", "redis-cli ping the node in us-east-1c")

# --------------------------------------------------------------- in use
step("in use: the group cannot be deleted, nor lose a zone with nodes")
expect_error(lambda: client.delete_cache_subnet_group(CacheSubnetGroupName="app-subnets"),
             "CacheSubnetGroupInUse", "CacheSubnetGroupInUse", 400, "delete in use", "currently in use by a cache cluster")
cli_fails("delete-cache-subnet-group in use", "CacheSubnetGroupInUse",
          "delete-cache-subnet-group", "--cache-subnet-group-name", "app-subnets")
expect_error(lambda: client.modify_cache_subnet_group(CacheSubnetGroupName="app-subnets", SubnetIds=[SUBNET["us-east-1b"]]),
             "SubnetInUse", "SubnetInUse", 400, "drop us-east-1c", "runs in us-east-1c")
out = cli_ok("modify-cache-subnet-group", "modify-cache-subnet-group", "--cache-subnet-group-name", "app-subnets",
             "--cache-subnet-group-description", "app tier, three zones",
             "--subnet-ids", SUBNET["us-east-1b"], SUBNET["us-east-1c"], SUBNET["us-east-1d"])
eq([s["SubnetAvailabilityZone"]["Name"] for s in out["CacheSubnetGroup"]["Subnets"]], ["us-east-1b", "us-east-1c", "us-east-1d"], "modified zones")
eq(out["CacheSubnetGroup"]["CacheSubnetGroupDescription"], "app tier, three zones", "modified description")

step("paging: the paginator and the CLI list default and app-subnets")
names = []
for page in client.get_paginator("describe_cache_subnet_groups").paginate(PaginationConfig={"PageSize": 20}):
    names += [x["CacheSubnetGroupName"] for x in page["CacheSubnetGroups"]]
eq(names, ["app-subnets", "default"], "boto3 paginator")
out = cli_ok("describe-cache-subnet-groups", "describe-cache-subnet-groups")
eq([x["CacheSubnetGroupName"] for x in out["CacheSubnetGroups"]], ["app-subnets", "default"], "CLI describe")

# ------------------------------------------------------ cache security groups
step("cache security groups: create, authorize, revoke, delete")
out = cli_ok("create-cache-security-group", "create-cache-security-group", "--cache-security-group-name", "My-Sec-Grp",
             "--description", "legacy clients")
eq(out["CacheSecurityGroup"]["CacheSecurityGroupName"], "my-sec-grp", "stored lowercase")
eq(out["CacheSecurityGroup"]["OwnerId"], "000000000000", "OwnerId")
out = cli_ok("authorize-cache-security-group-ingress", "authorize-cache-security-group-ingress",
             "--cache-security-group-name", "my-sec-grp", "--ec2-security-group-name", "my-ec2-sec-grp",
             "--ec2-security-group-owner-id", "123456789012")
eq(out["CacheSecurityGroup"]["EC2SecurityGroups"],
   [{"Status": "authorized", "EC2SecurityGroupName": "my-ec2-sec-grp", "EC2SecurityGroupOwnerId": "123456789012"}], "EC2SecurityGroups")
expect_error(lambda: client.authorize_cache_security_group_ingress(CacheSecurityGroupName="my-sec-grp",
                                                                   EC2SecurityGroupName="my-ec2-sec-grp", EC2SecurityGroupOwnerId="123456789012"),
             "AuthorizationAlreadyExistsFault", "AuthorizationAlreadyExists", 400, "authorize twice")
expect_error(lambda: client.revoke_cache_security_group_ingress(CacheSecurityGroupName="my-sec-grp",
                                                                EC2SecurityGroupName="nobody", EC2SecurityGroupOwnerId="123456789012"),
             "AuthorizationNotFoundFault", "AuthorizationNotFound", 404, "revoke unknown")
expect_error(lambda: client.create_cache_security_group(CacheSecurityGroupName="Default", Description="x"),
             "InvalidParameterValueException", "InvalidParameterValue", 400, "create Default", "cannot be the word Default")
expect_error(lambda: client.delete_cache_security_group(CacheSecurityGroupName="default"),
             "InvalidCacheSecurityGroupStateFault", "InvalidCacheSecurityGroupState", 400, "delete default")
expect_error(lambda: client.describe_cache_security_groups(CacheSecurityGroupName="absent"),
             "CacheSecurityGroupNotFoundFault", "CacheSecurityGroupNotFound", 404, "describe absent")
groups = client.describe_cache_security_groups()["CacheSecurityGroups"]
eq([(x["CacheSecurityGroupName"], x["Description"]) for x in groups], [("default", "default"), ("my-sec-grp", "legacy clients")], "described")
r = client.revoke_cache_security_group_ingress(CacheSecurityGroupName="my-sec-grp", EC2SecurityGroupName="my-ec2-sec-grp",
                                               EC2SecurityGroupOwnerId="123456789012")
eq(r["CacheSecurityGroup"]["EC2SecurityGroups"], [], "after revoke")
rc, _, err = cli("delete-cache-security-group", "--cache-security-group-name", "MY-SEC-GRP")
check(rc == 0, "aws delete-cache-security-group", err)
expect_error(lambda: client.describe_cache_security_groups(CacheSecurityGroupName="my-sec-grp"),
             "CacheSecurityGroupNotFoundFault", "CacheSecurityGroupNotFound", 404, "describe deleted")

# ------------------------------------------------------------------ teardown
step("delete the clusters, then the group")
client.delete_cache_cluster(CacheClusterId="net-mem")
client.delete_cache_cluster(CacheClusterId="net-redis")
wait_deleted("net-mem")
wait_deleted("net-redis")
rc, _, err = cli("delete-cache-subnet-group", "--cache-subnet-group-name", "App-Subnets")
check(rc == 0, "aws delete-cache-subnet-group once no cluster uses it", err)
expect_error(lambda: client.describe_cache_subnet_groups(CacheSubnetGroupName="app-subnets"),
             "CacheSubnetGroupNotFoundFault", "CacheSubnetGroupNotFoundFault", 400, "describe deleted")

# ------------------------------------------- --availability-zones on a server
step("a second server with CACHEPLANE_AVAILABILITY_ZONES / --availability-zones")
work = os.environ["E2E_WORK"]


def start_second(args, env_zones=None):
    env = dict(os.environ)
    if env_zones is not None:
        env["CACHEPLANE_AVAILABILITY_ZONES"] = env_zones
    logf = open(os.path.join(work, "zones-server.log"), "w")
    proc = subprocess.Popen([os.environ["E2E_BIN"], "serve", "--listen", "127.0.0.1:0",
                             "--data-dir", os.path.join(work, "zones-data"),
                             "--node-addresses", os.environ["E2E_NODE_RANGE"], *args],
                            stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    return proc, logf


def ready_endpoint(proc):
    path = os.path.join(work, "zones-server.log")
    for _ in range(200):
        m = re.search(r'msg="cacheplane ready" listen=(\S+)', open(path).read())
        if m:
            return "http://" + m.group(1)
        if proc.poll() is not None:
            return None
        time.sleep(0.05)
    return None


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


for args, env_zones, want in [
    (["--availability-zones", "us-east-1b,us-east-1e"], None, ["us-east-1b", "us-east-1e"]),
    ([], "us-east-1f, us-east-1a", ["us-east-1f", "us-east-1a"]),
]:
    proc, logf = start_second(args, env_zones)
    try:
        ep = ready_endpoint(proc)
        if check(ep is not None, "server with zones %s is ready" % want):
            rc, out, err = cli("describe-cache-subnet-groups", "--cache-subnet-group-name", "default", endpoint=ep)
            got = [s["SubnetAvailabilityZone"]["Name"] for s in out["CacheSubnetGroups"][0]["Subnets"]] if rc == 0 else err
            eq(got, want, "default subnet group zones")
            rc, _, err = cli("create-cache-cluster", "--cache-cluster-id", "z", "--engine", "redis", "--cache-node-type",
                             "cache.t3.micro", "--preferred-availability-zone", "us-east-1c", endpoint=ep)
            check(rc != 0 and "(InvalidParameterValue)" in err, "a zone outside the configured ones is refused", err.strip())
    finally:
        stop(proc)
        logf.close()

proc, logf = start_second(["--availability-zones", "eu-west-1a"])
try:
    rc = proc.wait(timeout=15)
finally:
    stop(proc)
    logf.close()
eq(rc, 2, "a zone of another region: serve exits 2")
check("not a zone of region us-east-1" in open(os.path.join(work, "zones-server.log")).read(), "and says why")

if FAILS:
    print("    %d check(s) failed" % len(FAILS), file=sys.stderr)
    sys.exit(1)
