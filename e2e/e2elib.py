"""Shared helpers of the boto3 end-to-end scripts (e2e/test_*.py): the client
for a running cacheplane and the check/report functions. Not a test itself
(e2e/run.sh runs only e2e/test_*)."""

import boto3
import botocore.config

FAILS = []


def make_client(endpoint):
    """A boto3 ElastiCache client for cacheplane at endpoint (any key works on loopback)."""
    return boto3.client(
        "elasticache",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=botocore.config.Config(retries={"max_attempts": 2, "mode": "standard"}),
    )


def ok(msg):
    print("    ok   " + msg, flush=True)


def check(cond, msg, detail=None):
    if cond:
        ok(msg)
    else:
        FAILS.append(msg)
        print("    FAIL " + msg + ("" if detail is None else ": %r" % (detail,)), flush=True)
    return cond


def eq(got, want, what):
    return check(got == want, "%s == %r" % (what, want), "got %r" % (got,))


def require(cond, msg, detail=None):
    if not check(cond, msg, detail):
        raise SystemExit("    aborting: %s" % msg)


def step(title):
    print("  - " + title, flush=True)
