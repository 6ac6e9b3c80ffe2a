"""Events and notifications through boto3: DescribeEvents shows a cluster's
history in AWS's words, newest first, with its filters, window and paging; a
cluster with a NotificationTopicArn sends SNS-style notifications to a webhook
(a tiny HTTP server on 127.0.0.1 here) and a JSON-lines file.

Run by e2e/run.sh (needs E2E_BIN, E2E_WORK, E2E_DATA_DIR, E2E_NODE_RANGE). The
server run.sh started has no notification sink, so this script restarts it on
the same data dir with CACHEPLANE_NOTIFY_WEBHOOK and --notify-file, and records
the new PID in E2E_WORK/server.pid for run.sh's checks and cleanup."""

import datetime
import http.server
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

from e2elib import FAILS, check, eq, make_client, ok, step

WORK = os.environ["E2E_WORK"]
BIN = os.environ["E2E_BIN"]
DATA_DIR = os.environ["E2E_DATA_DIR"]
NODE_RANGE = os.environ["E2E_NODE_RANGE"]
TOPIC = "arn:aws:sns:us-east-1:000000000000:cacheplane-events"
NOTIFY_FILE = os.path.join(WORK, "notifications.jsonl")


# ------------------------------------------------------------ webhook sink
class Hook(http.server.BaseHTTPRequestHandler):
    received = []  # (headers, body) of every POST
    lock = threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with Hook.lock:
            Hook.received.append((dict(self.headers), body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


hook = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
threading.Thread(target=hook.serve_forever, daemon=True).start()
HOOK_URL = "http://127.0.0.1:%d/sns" % hook.server_address[1]


def hook_messages():
    with Hook.lock:
        return list(Hook.received)


# --------------------------------------------- restart with notification sinks
def proc_state(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return ""


def stop_pid(pid):
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    for _ in range(150):
        if proc_state(pid) in ("", "Z"):  # gone, or a zombie of run.sh's shell
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)


def start_server():
    n = 1
    while os.path.exists(os.path.join(WORK, "server.%d.log" % n)):
        n += 1
    logf = os.path.join(WORK, "server.%d.log" % n)
    env = dict(os.environ, CACHEPLANE_NOTIFY_WEBHOOK=HOOK_URL)
    with open(logf, "w") as out:
        p = subprocess.Popen(
            [BIN, "serve", "--listen", "127.0.0.1:0", "--data-dir", DATA_DIR, "--node-addresses", NODE_RANGE,
             "--allow-memory-overcommit", "--notify-file", NOTIFY_FILE],
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    with open(os.path.join(WORK, "server.pid"), "w") as f:
        f.write("%d\n" % p.pid)
    for _ in range(200):
        with open(logf) as f:
            m = re.search(r'msg="cacheplane ready" listen=(\S+)', f.read())
        if m:
            return "http://" + m.group(1), logf
        if p.poll() is not None:
            raise SystemExit("    aborting: cacheplane exited:\n" + open(logf).read())
        time.sleep(0.05)
    raise SystemExit("    aborting: cacheplane not ready after 10s")


step("restart cacheplane with CACHEPLANE_NOTIFY_WEBHOOK=%s and --notify-file" % HOOK_URL)
with open(os.path.join(WORK, "server.pid")) as f:
    stop_pid(int(f.read().strip()))
ENDPOINT, LOG = start_server()
ok("serving at %s" % ENDPOINT)
with open(LOG) as f:
    log_text = f.read()
check("sink=\"webhook %s\"" % HOOK_URL in log_text, "the log names the webhook sink")
check("sink=\"file %s\"" % NOTIFY_FILE in log_text, "the log names the file sink")

client = make_client(ENDPOINT)


def wait_available(cid):
    client.get_waiter("cache_cluster_available").wait(CacheClusterId=cid, WaiterConfig={"Delay": 1, "MaxAttempts": 60})


def wait_deleted(cid):
    client.get_waiter("cache_cluster_deleted").wait(CacheClusterId=cid, WaiterConfig={"Delay": 1, "MaxAttempts": 60})


def history(cid, **kw):
    """The messages of cid's events, newest first (the order DescribeEvents returns)."""
    r = client.describe_events(SourceType="cache-cluster", SourceIdentifier=cid, **kw)
    return [e["Message"] for e in r["Events"]]


def expect_error(fn, code, status, what):
    try:
        fn()
    except client.exceptions.ClientError as e:
        eq(e.response["Error"].get("Code"), code, "%s: Error.Code" % what)
        eq(e.response["ResponseMetadata"]["HTTPStatusCode"], status, "%s: HTTPStatusCode" % what)
        check(bool(e.response["Error"].get("Message")), "%s: Message %r" % (what, e.response["Error"].get("Message")))
        return
    check(False, "%s fails with %s" % (what, code), "no error")


def wait_for(what, cond, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(0.1)
    check(False, what, "not within %ds" % timeout)
    return None


def notifications(source, event=None):
    """Webhook POSTs about source (optionally of one event name), as (headers, envelope, message)."""
    out = []
    for headers, body in hook_messages():
        env = json.loads(body)
        msg = json.loads(env["Message"])
        if source in msg.values() and (event is None or event in msg):
            out.append((headers, env, msg))
    return out


T0 = time.time()

# ---------------------------------------------------------------- creation
step("create ev-redis (NotificationTopicArn) and ev-mc (3 memcached nodes, no topic)")
t_create = datetime.datetime.now(datetime.timezone.utc)
cc = client.create_cache_cluster(CacheClusterId="ev-redis", Engine="redis", CacheNodeType="cache.t3.micro",
                                 NumCacheNodes=1, PreferredAvailabilityZone="us-east-1c",
                                 NotificationTopicArn=TOPIC)["CacheCluster"]
eq(cc["NotificationConfiguration"], {"TopicArn": TOPIC, "TopicStatus": "active"}, "NotificationConfiguration")
eq(history("ev-redis"), ["Cache cluster created"], "ev-redis history right after create")
client.create_cache_cluster(CacheClusterId="ev-mc", Engine="memcached", CacheNodeType="cache.t3.micro",
                            NumCacheNodes=3, AZMode="cross-az")
wait_available("ev-redis")
wait_available("ev-mc")
ok("both available")

step("describe_events: the history in AWS's words, newest first")
node = client.describe_cache_clusters(CacheClusterId="ev-redis", ShowCacheNodeInfo=True)["CacheClusters"][0]["CacheNodes"][0]
eq(history("ev-redis"), ["Added cache node 0001 in availability zone us-east-1c", "Cache cluster created"], "ev-redis history")
mc = client.describe_cache_clusters(CacheClusterId="ev-mc", ShowCacheNodeInfo=True)["CacheClusters"][0]
zones = {n["CacheNodeId"]: n["CustomerAvailabilityZone"] for n in mc["CacheNodes"]}
got = history("ev-mc")
eq(got[-1], "Cache cluster created", "ev-mc oldest event")
eq(sorted(got[:-1]), ["Added cache node %s in availability zone %s" % (i, zones[i]) for i in ("0001", "0002", "0003")],
   "ev-mc: one Added event per node, in its zone")
events = client.describe_events()["Events"]
dates = [e["Date"] for e in events]
check(dates == sorted(dates, reverse=True), "default call: %d events, newest first" % len(dates), dates)
eq({e["SourceType"] for e in events}, {"cache-cluster"}, "SourceType of every event")
created = [e for e in events if e["SourceIdentifier"] == "ev-redis" and e["Message"] == "Cache cluster created"][0]
skew = abs((created["Date"] - cc["CacheClusterCreateTime"]).total_seconds())
check(skew < 1, "Cache cluster created is dated at CacheClusterCreateTime (%.3fs apart)" % skew)

step("filters and window")
eq(len(client.describe_events(SourceType="cache-cluster")["Events"]), 6, "SourceType cache-cluster: 6 events")
eq(client.describe_events(SourceType="cache-parameter-group")["Events"], [], "SourceType cache-parameter-group: none")
eq(history("EV-REDIS"), ["Added cache node 0001 in availability zone us-east-1c", "Cache cluster created"],
   "SourceIdentifier matched without regard to case")
eq(len(client.describe_events(Duration=1440)["Events"]), 6, "Duration=1440")
eq(client.describe_events(EndTime=t_create - datetime.timedelta(minutes=1))["Events"], [], "EndTime before creation: none")
eq(len(client.describe_events(StartTime=t_create - datetime.timedelta(seconds=5))["Events"]), 6, "StartTime just before creation")
eq(client.describe_events(StartTime=t_create - datetime.timedelta(days=20),
                          EndTime=t_create - datetime.timedelta(days=19))["Events"], [], "a window 20 days back: none")

step("modeled errors")
expect_error(lambda: client.describe_events(SourceIdentifier="ev-redis"), "InvalidParameterCombination", 400,
             "SourceIdentifier without SourceType")
expect_error(lambda: client.describe_events(SourceType="cluster"), "InvalidParameterValue", 400, "SourceType cluster")
expect_error(lambda: client.describe_events(MaxRecords=10), "InvalidParameterValue", 400, "MaxRecords=10")
expect_error(lambda: client.describe_events(Duration=0), "InvalidParameterValue", 400, "Duration=0")
expect_error(lambda: client.describe_events(Marker="not-a-marker"), "InvalidParameterValue", 400, "bad Marker")

step("paging: ev-page with 16 memcached nodes makes 23 events; PageSize=20")
client.create_cache_cluster(CacheClusterId="ev-page", Engine="memcached", CacheNodeType="cache.t3.micro", NumCacheNodes=16)
wait_available("ev-page")
pages = list(client.get_paginator("describe_events").paginate(PaginationConfig={"PageSize": 20}))
eq([len(p["Events"]) for p in pages], [20, 3], "page sizes")
check(bool(pages[0].get("Marker")) and not pages[-1].get("Marker"), "Marker on the first page only")
paged = [(e["SourceIdentifier"], e["Message"], e["Date"]) for p in pages for e in p["Events"]]
eq(len(set(paged)), 23, "23 distinct events paged")
paged_dates = [d for _, _, d in paged]
check(paged_dates == sorted(paged_dates, reverse=True), "newest first across pages", paged_dates)

# ------------------------------------------------------------ notifications
step("webhook: ElastiCache:CacheClusterProvisioningComplete for ev-redis")
got = wait_for("the webhook got CacheClusterProvisioningComplete",
               lambda: notifications("ev-redis", "ElastiCache:CacheClusterProvisioningComplete"))
if got:
    eq(len(got), 1, "exactly one CacheClusterProvisioningComplete")
    headers, env, msg = got[0]
    eq(env["Type"], "Notification", "envelope Type")
    eq(env["TopicArn"], TOPIC, "envelope TopicArn")
    eq(env["Subject"], "ElastiCache:CacheClusterProvisioningComplete : ev-redis", "envelope Subject")
    eq(msg, {"ElastiCache:CacheClusterProvisioningComplete": "ev-redis"}, "Message (JSON)")
    check(bool(re.match(r"^[0-9a-f-]{36}$", env["MessageId"])), "MessageId is a UUID (%s)" % env["MessageId"])
    check(bool(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", env["Timestamp"])), "Timestamp %s" % env["Timestamp"])
    lower = {k.lower(): v for k, v in headers.items()}
    eq(lower.get("x-amz-sns-message-type"), "Notification", "header x-amz-sns-message-type")
    eq(lower.get("x-amz-sns-topic-arn"), TOPIC, "header x-amz-sns-topic-arn")
    eq(lower.get("x-amz-sns-message-id"), env["MessageId"], "header x-amz-sns-message-id")
eq(notifications("ev-mc") + notifications("ev-page"), [], "no notifications for clusters without a topic")

step("kill -9 ev-redis's node: recovery events and CacheNodeReplace notifications")


def redis_pid(host, port):
    s = socket.create_connection((host, port), timeout=5)
    s.sendall(b"*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n")
    buf = b""
    while b"process_id:" not in buf or not buf.endswith(b"\r\n"):
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    s.close()
    return int(re.search(rb"process_id:(\d+)", buf).group(1))


ep = (node["Endpoint"]["Address"], node["Endpoint"]["Port"])
pid = redis_pid(*ep)
os.kill(pid, signal.SIGKILL)
want_recovery = ["Finished recovery for cache nodes 0001", "Recovering cache nodes 0001",
                 "Added cache node 0001 in availability zone us-east-1c", "Cache cluster created"]
wait_for("recovery recorded", lambda: history("ev-redis") == want_recovery)
eq(history("ev-redis"), want_recovery, "ev-redis history after the node was replaced")
check(redis_pid(*ep) != pid, "a new redis-server answers at %s:%d" % ep)
for name in ("ElastiCache:CacheNodeReplaceStarted", "ElastiCache:CacheNodeReplaceComplete"):
    check(wait_for(name, lambda: notifications("ev-redis", name)) is not None, "webhook got %s" % name)

# ---------------------------------------------------------------- deletion
step("delete everything: Cache cluster deleted, DeleteCacheClusterComplete")
for cid in ("ev-redis", "ev-mc", "ev-page"):
    client.delete_cache_cluster(CacheClusterId=cid)
for cid in ("ev-redis", "ev-mc", "ev-page"):
    wait_deleted(cid)
eq(history("ev-redis")[0], "Cache cluster deleted", "ev-redis newest event after deletion")
eq(history("ev-mc")[0], "Cache cluster deleted", "ev-mc newest event after deletion")
check(wait_for("DeleteCacheClusterComplete", lambda: notifications("ev-redis", "ElastiCache:DeleteCacheClusterComplete"))
      is not None, "webhook got ElastiCache:DeleteCacheClusterComplete")

step("the JSON-lines file got the same notifications, and is 0600")
eq(oct(os.stat(NOTIFY_FILE).st_mode & 0o777), "0o600", "file mode")


def file_events():
    with open(NOTIFY_FILE) as f:
        return [next(iter(json.loads(json.loads(line)["Message"]))) for line in f if line.strip()]


want_names = ["ElastiCache:CacheClusterProvisioningComplete", "ElastiCache:CacheNodeReplaceStarted",
              "ElastiCache:CacheNodeReplaceComplete", "ElastiCache:DeleteCacheClusterComplete"]
wait_for("four lines in the file", lambda: len(file_events()) >= 4)
eq(file_events(), want_names, "file notifications, in order")
hook_ids = sorted(json.loads(b)["MessageId"] for _, b in hook_messages())
with open(NOTIFY_FILE) as f:
    file_ids = sorted(json.loads(line)["MessageId"] for line in f if line.strip())
eq(file_ids, hook_ids, "the same MessageIds went to both sinks")

hook.shutdown()
print("    (%.1fs)" % (time.time() - T0))
if FAILS:
    print("    %d check(s) failed" % len(FAILS))
    sys.exit(1)
