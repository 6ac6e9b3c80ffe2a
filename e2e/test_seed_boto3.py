"""The seed example (CreateCacheCluster, /work/shared/seed/create_cache_cluster.txt)
through boto3 against a running cacheplane, then memcached, modeled errors,
deletion and pagination. Run by e2e/run.sh (needs E2E_ENDPOINT, E2E_DATA_DIR)."""

import datetime
import os
import re
import socket
import sys
import time

from e2elib import FAILS, check, eq, make_client, ok, require, step

ENDPOINT = os.environ["E2E_ENDPOINT"]
DATA_DIR = os.environ["E2E_DATA_DIR"]

client = make_client(ENDPOINT)


# ---------------------------------------------------------------- raw sockets
def resp_encode(*args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


class Resp:
    """A minimal RESP2 client over a raw socket."""

    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=5)
        self.buf = b""

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind in (b"+", b"-"):
            return line.decode()  # keep the marker: "+PONG", "-ERR ..."
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n)
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise ValueError("bad RESP line %r" % line)

    def cmd(self, *args):
        self.sock.sendall(resp_encode(*args))
        return self.reply()

    def close(self):
        self.sock.close()


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


def listening(host, port):
    try:
        socket.create_connection((host, port), timeout=1).close()
        return True
    except OSError:
        return False


def wait_available(cid):
    client.get_waiter("cache_cluster_available").wait(
        CacheClusterId=cid, WaiterConfig={"Delay": 1, "MaxAttempts": 60})


def wait_deleted(cid):
    client.get_waiter("cache_cluster_deleted").wait(
        CacheClusterId=cid, WaiterConfig={"Delay": 1, "MaxAttempts": 60})


def describe_one(cid):
    r = client.describe_cache_clusters(CacheClusterId=cid, ShowCacheNodeInfo=True)
    eq(len(r["CacheClusters"]), 1, "%s: one cluster described" % cid)
    return r["CacheClusters"][0]


def expect_error(fn, exc_name, code, status, what):
    exc = getattr(client.exceptions, exc_name)
    try:
        fn()
    except exc as e:
        err = e.response["Error"]
        eq(err.get("Code"), code, "%s: Error.Code" % what)
        eq(e.response["ResponseMetadata"]["HTTPStatusCode"], status, "%s: HTTPStatusCode" % what)
        check(bool(err.get("Message")), "%s: has a Message (%r)" % (what, err.get("Message")))
        return e
    except Exception as e:  # noqa: BLE001 - report what came instead
        check(False, "%s raises client.exceptions.%s" % (what, exc_name), "%s: %s" % (type(e).__name__, e))
        return None
    check(False, "%s raises client.exceptions.%s" % (what, exc_name), "no error")
    return None


WINDOW_RE = re.compile(r"^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)$")
SNAP_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def window_minutes(w):
    m = WINDOW_RE.match(w)
    d1, h1, m1, d2, h2, m2 = m.groups()
    a = DAYS.index(d1) * 1440 + int(h1) * 60 + int(m1)
    b = DAYS.index(d2) * 1440 + int(h2) * 60 + int(m2)
    return (b - a) % (7 * 1440)


T0 = time.time()

# ------------------------------------------------------------------ the seed
step("seed example: create_cache_cluster my-redis (redis 3.2.4, cache.r3.large)")
resp = client.create_cache_cluster(
    AutoMinorVersionUpgrade=True,
    CacheClusterId="my-redis",
    CacheNodeType="cache.r3.large",
    CacheSubnetGroupName="default",
    Engine="redis",
    EngineVersion="3.2.4",
    NumCacheNodes=1,
    Port=6379,
    PreferredAvailabilityZone="us-east-1c",
    SnapshotRetentionLimit=7,
)
eq(resp["ResponseMetadata"]["HTTPStatusCode"], 200, "HTTPStatusCode")
check(bool(resp["ResponseMetadata"].get("RequestId")), "ResponseMetadata.RequestId present")
cc = resp["CacheCluster"]
eq(cc.get("AutoMinorVersionUpgrade"), True, "AutoMinorVersionUpgrade")
eq(cc.get("CacheClusterId"), "my-redis", "CacheClusterId")
eq(cc.get("CacheClusterStatus"), "creating", "CacheClusterStatus")
eq(cc.get("CacheNodeType"), "cache.r3.large", "CacheNodeType")
eq(cc.get("CacheParameterGroup"), {
    "CacheNodeIdsToReboot": [],
    "CacheParameterGroupName": "default.redis3.2",
    "ParameterApplyStatus": "in-sync",
}, "CacheParameterGroup")
eq(cc.get("CacheSecurityGroups"), [], "CacheSecurityGroups")
eq(cc.get("CacheSubnetGroupName"), "default", "CacheSubnetGroupName")
page = cc.get("ClientDownloadLandingPage", "")
check(page.startswith("https://") and "elasticache" in page and "client-download" in page,
      "ClientDownloadLandingPage %r" % page)
eq(cc.get("Engine"), "redis", "Engine")
eq(cc.get("EngineVersion"), "3.2.4", "EngineVersion")
eq(cc.get("NumCacheNodes"), 1, "NumCacheNodes")
eq(cc.get("PendingModifiedValues"), {}, "PendingModifiedValues")
eq(cc.get("PreferredAvailabilityZone"), "us-east-1c", "PreferredAvailabilityZone")
mw = cc.get("PreferredMaintenanceWindow", "")
if check(bool(WINDOW_RE.match(mw)), "PreferredMaintenanceWindow %r is ddd:hh:mm-ddd:hh:mm" % mw):
    eq(window_minutes(mw), 60, "maintenance window minutes")
eq(cc.get("SnapshotRetentionLimit"), 7, "SnapshotRetentionLimit")
sw = cc.get("SnapshotWindow", "")
check(bool(SNAP_RE.match(sw)), "SnapshotWindow %r is hh:mm-hh:mm" % sw)
arn = cc.get("ARN", "")
check(bool(re.match(r"^arn:aws:elasticache:us-east-1:\d{12}:cluster:my-redis$", arn)), "ARN %r" % arn)
ct = cc.get("CacheClusterCreateTime")
check(isinstance(ct, datetime.datetime), "CacheClusterCreateTime is a datetime (%r)" % (ct,))
if isinstance(ct, datetime.datetime):
    age = abs((datetime.datetime.now(datetime.timezone.utc) - ct).total_seconds())
    check(age < 120, "CacheClusterCreateTime is now (%.1fs off)" % age)
check("CacheNodes" not in cc, "no CacheNodes without ShowCacheNodeInfo")

step("waiter cache_cluster_available(my-redis)")
t = time.time()
wait_available("my-redis")
ok("my-redis available after %.1fs" % (time.time() - t))
c = describe_one("my-redis")
eq(c["CacheClusterStatus"], "available", "status")
nodes = c.get("CacheNodes", [])
require(len(nodes) == 1, "one CacheNode with ShowCacheNodeInfo", nodes)
n = nodes[0]
eq(n.get("CacheNodeId"), "0001", "CacheNodeId")
eq(n.get("CacheNodeStatus"), "available", "CacheNodeStatus")
eq(n.get("CustomerAvailabilityZone"), "us-east-1c", "CustomerAvailabilityZone")
redis_ep = (n["Endpoint"]["Address"], n["Endpoint"]["Port"])
eq(redis_ep[1], 6379, "Endpoint.Port")
check(redis_ep[0].startswith("127.79."), "Endpoint.Address %s in this run's node range" % redis_ep[0])

step("RESP to %s:%d" % redis_ep)
r = Resp(*redis_ep)
eq(r.cmd("PING"), "+PONG", "PING")
eq(r.cmd("SET", "e2e:key", "hello world"), "+OK", "SET")
eq(r.cmd("GET", "e2e:key"), b"hello world", "GET")
info = r.cmd("INFO", "server")
info = info.decode() if isinstance(info, bytes) else str(info)
check("redis_version:" in info, "INFO server shows redis_version (%s)" %
      (re.search(r"redis_version:(\S+)", info) or [None, "?"])[1])
check("tcp_port:6379" in info, "INFO server tcp_port:6379")
pid_m = re.search(r"process_id:(\d+)", info)
if check(pid_m is not None, "INFO server process_id"):
    pid = int(pid_m.group(1))
    try:
        comm = open("/proc/%d/comm" % pid).read().strip()
    except OSError:
        comm = None
    eq(comm, "redis-server", "process %d is a real redis-server" % pid)
r.close()

# ---------------------------------------------------------------- memcached
step("memcached: my-mc, 3 x cache.t3.micro")
resp = client.create_cache_cluster(CacheClusterId="my-mc", Engine="memcached",
                                   NumCacheNodes=3, CacheNodeType="cache.t3.micro")
mc = resp["CacheCluster"]
eq(mc["CacheClusterStatus"], "creating", "status")
eq(mc["Engine"], "memcached", "Engine")
eq(mc["NumCacheNodes"], 3, "NumCacheNodes")
wait_available("my-mc")
mc = describe_one("my-mc")
eq(mc["CacheClusterStatus"], "available", "status")
cfg = mc.get("ConfigurationEndpoint")
if check(cfg is not None, "ConfigurationEndpoint present (%r)" % (cfg,)):
    eq(cfg.get("Port"), 11211, "ConfigurationEndpoint.Port")
    check(bool(cfg.get("Address")), "ConfigurationEndpoint.Address")
mc_nodes = mc.get("CacheNodes", [])
eq(len(mc_nodes), 3, "3 CacheNodes")
eq(sorted(x["CacheNodeId"] for x in mc_nodes), ["0001", "0002", "0003"], "CacheNodeIds")
mc_eps = [(x["Endpoint"]["Address"], x["Endpoint"]["Port"]) for x in mc_nodes]
eq(len(set(mc_eps)), 3, "3 distinct endpoints")
for ep in mc_eps:
    v = mc_version(*ep)
    check(v.startswith("VERSION "), "%s:%d answers version: %r" % (ep[0], ep[1], v))

# ---------------------------------------------------------------- errors
step("modeled errors")
expect_error(lambda: client.describe_cache_clusters(CacheClusterId="no-such-cluster"),
             "CacheClusterNotFoundFault", "CacheClusterNotFound", 404, "describe missing")
expect_error(lambda: client.create_cache_cluster(CacheClusterId="my-redis", Engine="redis",
                                                 CacheNodeType="cache.t3.micro", NumCacheNodes=1),
             "CacheClusterAlreadyExistsFault", "CacheClusterAlreadyExists", 400, "create existing")
expect_error(lambda: client.create_cache_cluster(CacheClusterId="bad-count", Engine="redis",
                                                 CacheNodeType="cache.t3.micro", NumCacheNodes=2),
             "InvalidParameterValueException", "InvalidParameterValue", 400, "redis NumCacheNodes=2")
expect_error(lambda: client.create_cache_cluster(CacheClusterId="bad-tls", Engine="redis",
                                                 CacheNodeType="cache.t3.micro", NumCacheNodes=1,
                                                 TransitEncryptionEnabled=True),
             "InvalidParameterCombinationException", "InvalidParameterCombination", 400,
             "redis TransitEncryptionEnabled")
expect_error(lambda: client.create_cache_cluster(CacheClusterId="bad-pg", Engine="redis",
                                                 CacheNodeType="cache.t3.micro", NumCacheNodes=1,
                                                 CacheParameterGroupName="no-such-group"),
             "CacheParameterGroupNotFoundFault", "CacheParameterGroupNotFound", 404,
             "missing parameter group")
for bad in ("bad-count", "bad-tls", "bad-pg"):
    expect_error(lambda: client.describe_cache_clusters(CacheClusterId=bad),
                 "CacheClusterNotFoundFault", "CacheClusterNotFound", 404, "refused %s not created" % bad)

# ---------------------------------------------------------------- delete
step("delete my-redis and my-mc")
for cid in ("my-redis", "my-mc"):
    d = client.delete_cache_cluster(CacheClusterId=cid)["CacheCluster"]
    eq(d.get("CacheClusterId"), cid, "deleted id")
    eq(d.get("CacheClusterStatus"), "deleting", "%s status in DeleteCacheCluster response" % cid)
for cid in ("my-redis", "my-mc"):
    t = time.time()
    wait_deleted(cid)
    ok("%s deleted after %.1fs" % (cid, time.time() - t))
    expect_error(lambda: client.describe_cache_clusters(CacheClusterId=cid),
                 "CacheClusterNotFoundFault", "CacheClusterNotFound", 404, "describe deleted %s" % cid)
for ep in [redis_ep] + mc_eps:
    gone = False
    for _ in range(50):  # the waiter may answer a moment before the last process exits
        if not listening(*ep):
            gone = True
            break
        time.sleep(0.1)
    check(gone, "nothing listens on %s:%d any more" % ep)
for cid in ("my-redis", "my-mc"):
    check(not os.path.exists(os.path.join(DATA_DIR, "nodes", cid)),
          "node directory %s removed" % os.path.join("nodes", cid))

# ---------------------------------------------------------------- pagination
step("pagination: 21 one-node memcached clusters, PageSize=20")
ids = ["page-%02d" % i for i in range(21)]
for cid in ids:
    client.create_cache_cluster(CacheClusterId=cid, Engine="memcached",
                                NumCacheNodes=1, CacheNodeType="cache.t3.micro")
pages = list(client.get_paginator("describe_cache_clusters").paginate(
    PaginationConfig={"PageSize": 20}))
eq([len(p["CacheClusters"]) for p in pages], [20, 1], "page sizes")
check(bool(pages[0].get("Marker")), "first page has a Marker")
check(not pages[-1].get("Marker"), "last page has no Marker")
seen = [c["CacheClusterId"] for p in pages for c in p["CacheClusters"]]
eq(len(seen), 21, "clusters paged")
eq(sorted(set(seen)), ids, "21 unique ids")
for cid in ids:
    wait_available(cid)
ok("all 21 available")
for cid in ids:
    client.delete_cache_cluster(CacheClusterId=cid)
for cid in ids:
    wait_deleted(cid)
ok("all 21 deleted")
eq(client.describe_cache_clusters()["CacheClusters"], [], "no clusters left")
left = os.listdir(os.path.join(DATA_DIR, "nodes")) if os.path.isdir(os.path.join(DATA_DIR, "nodes")) else []
eq(left, [], "no node directories left")

print("    (%.1fs)" % (time.time() - T0))
if FAILS:
    print("    %d check(s) failed" % len(FAILS))
    sys.exit(1)
