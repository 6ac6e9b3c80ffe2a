package service_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/cacheplane/cacheplane/internal/api"
	"github.com/cacheplane/cacheplane/internal/model"
	"github.com/cacheplane/cacheplane/internal/service"
	"github.com/cacheplane/cacheplane/internal/store"
)

// AWS's wording, as quoted in aws-behaviour.md §2.2.
const (
	msgBadIdentifier = "The parameter CacheClusterIdentifier is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens."
	msgRedisNodes    = "Cannot create a Redis cluster with a NumCacheNodes parameter greater than 1."
	msgRedisTLS      = "Encryption feature is not supported for engine REDIS."
	msgAuthNoTLS     = "The AUTH token is only supported when encryption-in-transit is enabled"
	msgClusterOn     = "Cluster mode should be disabled in parameter group, but found it is enabled."
	msgOverlap       = "The snapshot window and maintenance window must not overlap."
	msgSnapshotShort = "Snapshot window must be at least 60 minutes."
	msgBadAuthToken  = "Invalid AuthToken provided."
	msgAlreadyExists = "Cache cluster already exists"
)

const (
	codeIPV  = "InvalidParameterValue"
	codeIPC  = "InvalidParameterCombination"
	goodTok  = "abcdefghijklmnop1234!&#$^<>-"
	topicARN = "arn:aws:sns:us-east-1:123456789012:my-topic"
)

func withID(id string) msg {
	return func(m *api.CreateCacheClusterMessage) { m.CacheClusterId = api.String(id) }
}
func withNoID() msg { return func(m *api.CreateCacheClusterMessage) { m.CacheClusterId = nil } }
func withNodes(n int32) msg {
	return func(m *api.CreateCacheClusterMessage) { m.NumCacheNodes = api.Int32(n) }
}
func withType(t string) msg {
	return func(m *api.CreateCacheClusterMessage) { m.CacheNodeType = api.String(t) }
}
func withNoType() msg   { return func(m *api.CreateCacheClusterMessage) { m.CacheNodeType = nil } }
func withNoEngine() msg { return func(m *api.CreateCacheClusterMessage) { m.Engine = nil } }
func withEngine(e string) msg {
	return func(m *api.CreateCacheClusterMessage) { m.Engine = api.String(e) }
}
func withVersion(v string) msg {
	return func(m *api.CreateCacheClusterMessage) { m.EngineVersion = api.String(v) }
}
func withPort(p int32) msg { return func(m *api.CreateCacheClusterMessage) { m.Port = api.Int32(p) } }
func withAZ(z string) msg {
	return func(m *api.CreateCacheClusterMessage) { m.PreferredAvailabilityZone = api.String(z) }
}
func withAZs(z ...string) msg {
	return func(m *api.CreateCacheClusterMessage) { m.PreferredAvailabilityZones = z }
}
func withAZMode(a api.AZMode) msg { return func(m *api.CreateCacheClusterMessage) { m.AZMode = a } }
func withMaint(w string) msg {
	return func(m *api.CreateCacheClusterMessage) { m.PreferredMaintenanceWindow = api.String(w) }
}
func withSnapWin(w string) msg {
	return func(m *api.CreateCacheClusterMessage) { m.SnapshotWindow = api.String(w) }
}
func withRetention(n int32) msg {
	return func(m *api.CreateCacheClusterMessage) { m.SnapshotRetentionLimit = api.Int32(n) }
}
func withTLS() msg {
	return func(m *api.CreateCacheClusterMessage) { m.TransitEncryptionEnabled = api.Bool(true) }
}
func withToken(tok string) msg {
	return func(m *api.CreateCacheClusterMessage) { m.AuthToken = api.String(tok) }
}
func withPG(name string) msg {
	return func(m *api.CreateCacheClusterMessage) { m.CacheParameterGroupName = api.String(name) }
}
func withSubnet(name string) msg {
	return func(m *api.CreateCacheClusterMessage) { m.CacheSubnetGroupName = api.String(name) }
}
func withSecNames(n ...string) msg {
	return func(m *api.CreateCacheClusterMessage) { m.CacheSecurityGroupNames = n }
}
func withSGIDs(ids ...string) msg {
	return func(m *api.CreateCacheClusterMessage) { m.SecurityGroupIds = ids }
}
func withTopic(a string) msg {
	return func(m *api.CreateCacheClusterMessage) { m.NotificationTopicArn = api.String(a) }
}
func withNetwork(nt api.NetworkType, ipd api.IpDiscovery) msg {
	return func(m *api.CreateCacheClusterMessage) { m.NetworkType, m.IpDiscovery = nt, ipd }
}
func withTags(n int) msg {
	return func(m *api.CreateCacheClusterMessage) {
		for i := 0; i < n; i++ {
			m.Tags = append(m.Tags, api.Tag{Key: api.String(fmt.Sprintf("k%02d", i)), Value: api.String("v")})
		}
	}
}
func withTag(k string, v *string) msg {
	return func(m *api.CreateCacheClusterMessage) { m.Tags = append(m.Tags, api.Tag{Key: api.String(k), Value: v}) }
}
func withLog(lt api.LogType, group string) msg {
	return func(m *api.CreateCacheClusterMessage) {
		r := api.LogDeliveryConfigurationRequest{LogType: lt, DestinationType: api.DestinationTypeCloudwatchLogs, LogFormat: api.LogFormatJson}
		if group != "" {
			r.DestinationDetails = &api.DestinationDetails{CloudWatchLogsDetails: &api.CloudWatchLogsDestinationDetails{LogGroup: api.String(group)}}
		}
		m.LogDeliveryConfigurations = append(m.LogDeliveryConfigurations, r)
	}
}
func set(f func(*api.CreateCacheClusterMessage)) msg { return f }

type createCase struct {
	name string
	cfg  func(*service.Config)
	// before runs against the service first (e.g. to fill a quota).
	before func(t *testing.T, svc *service.Service)
	in     *api.CreateCacheClusterMessage
	// code empty: the request must succeed; check then inspects the result.
	code   string
	status int
	msg    string
	check  func(t *testing.T, c *api.CacheCluster)
}

func refuse(name string, in *api.CreateCacheClusterMessage, code string, status int, msg string) createCase {
	return createCase{name: name, in: in, code: code, status: status, msg: msg}
}

func accept(name string, in *api.CreateCacheClusterMessage, check func(*testing.T, *api.CacheCluster)) createCase {
	return createCase{name: name, in: in, check: check}
}

func wantField[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func createCases() []createCase {
	long := "a" + strings.Repeat("b", 49)
	return []createCase{
		// Identifiers (§1.1, §2.2).
		refuse("id missing", redis(withNoID()), codeIPV, 400, "The parameter CacheClusterId must be provided and must not be blank."),
		refuse("id empty", redis(withID("")), codeIPV, 400, "The parameter CacheClusterId must be provided and must not be blank."),
		refuse("id blank", redis(withID("   ")), codeIPV, 400, "must not be blank"),
		refuse("id bad first char digit", redis(withID("1abc")), codeIPV, 400, msgBadIdentifier),
		refuse("id bad first char hyphen", redis(withID("-abc")), codeIPV, 400, msgBadIdentifier),
		refuse("id bad char underscore", redis(withID("ab_c")), codeIPV, 400, msgBadIdentifier),
		refuse("id bad char dot", redis(withID("ab.c")), codeIPV, 400, msgBadIdentifier),
		refuse("id non-ascii", redis(withID("abé")), codeIPV, 400, msgBadIdentifier),
		refuse("id trailing hyphen", redis(withID("abc-")), codeIPV, 400, msgBadIdentifier),
		refuse("id double hyphen", redis(withID("a--b")), codeIPV, 400, msgBadIdentifier),
		refuse("id 51 chars", redis(withID(long+"c")), codeIPV, 400, "The parameter CacheClusterIdentifier is not a valid identifier because it is longer than 50 characters."),
		accept("id 50 chars", redis(withID(long)), func(t *testing.T, c *api.CacheCluster) {
			wantField(t, "CacheClusterId", api.Deref(c.CacheClusterId), long)
		}),
		accept("id one letter", redis(withID("a")), nil),
		accept("id uppercase stored lowercase", redis(withID("My-Cluster-01")), func(t *testing.T, c *api.CacheCluster) {
			wantField(t, "CacheClusterId", api.Deref(c.CacheClusterId), "my-cluster-01")
			wantField(t, "ARN", api.Deref(c.ARN), "arn:aws:elasticache:us-east-1:123456789012:cluster:my-cluster-01")
		}),
		refuse("replication group unknown", redis(set(func(m *api.CreateCacheClusterMessage) { m.ReplicationGroupId = api.String("My-RG") })),
			"ReplicationGroupNotFoundFault", 404, "my-rg"),

		// Engine.
		refuse("engine missing", redis(withNoEngine()), codeIPV, 400, "Engine"),
		refuse("engine empty", redis(withEngine("")), codeIPV, 400, "Engine"),
		refuse("engine unknown", redis(withEngine("mysql")), codeIPV, 400, "mysql"),
		refuse("engine wrong case", redis(withEngine("Redis")), codeIPV, 400, "Redis"),
		refuse("engine valkey", redis(withEngine("valkey")), codeIPV, 400, "valkey"),

		// Node type.
		refuse("node type missing", redis(withNoType()), codeIPV, 400, "CacheNodeType"),
		refuse("node type empty", redis(withType("")), codeIPV, 400, "CacheNodeType"),
		refuse("node type unknown", redis(withType("cache.x1.huge")), codeIPV, 400, "cache.x1.huge"),
		refuse("node type without prefix", redis(withType("t3.micro")), codeIPV, 400, "t3.micro"),
		accept("previous generation r3.large accepted", redis(withType("cache.r3.large")), func(t *testing.T, c *api.CacheCluster) {
			wantField(t, "CacheNodeType", api.Deref(c.CacheNodeType), "cache.r3.large")
		}),
		accept("previous generation m3.large accepted", redis(withType("cache.m3.large")), nil),
		refuse("valkey-only node type with redis", redis(withType("cache.m8g.large")), codeIPC, 400, "cache.m8g.large"),
		refuse("data tiering node type", redis(withType("cache.r6gd.xlarge")), codeIPC, 400, "cache.r6gd.xlarge"),

		// Versions.
		refuse("version unknown", redis(withVersion("9.9")), codeIPC, 400, "Cannot find version 9.9 for redis"),
		refuse("version with patch on 7.x", redis(withVersion("7.1.0")), codeIPC, 400, "Cannot find version 7.1.0 for redis"),
		refuse("version empty", redis(withVersion("")), codeIPC, 400, "Cannot find version  for redis"),
		refuse("memcached version unknown", memcached(withVersion("1.7.0")), codeIPC, 400, "Cannot find version 1.7.0 for memcached"),
		accept("version 3.2.4", redis(withVersion("3.2.4")), func(t *testing.T, c *api.CacheCluster) {
			wantField(t, "EngineVersion", api.Deref(c.EngineVersion), "3.2.4")
			wantField(t, "CacheParameterGroupName", api.Deref(c.CacheParameterGroup.CacheParameterGroupName), "default.redis3.2")
		}),
		accept("version 6.2", redis(withVersion("6.2")), func(t *testing.T, c *api.CacheCluster) {
			wantField(t, "CacheParameterGroupName", api.Deref(c.CacheParameterGroup.CacheParameterGroupName), "default.redis6.x")
		}),
		refuse("graviton with redis 5.0.0", redis(withType("cache.r6g.large"), withVersion("5.0.0")), codeIPC, 400, "cache.r6g.large"),
		refuse("graviton t4g with redis 3.2.4", redis(withType("cache.t4g.micro"), withVersion("3.2.4")), codeIPC, 400, "cache.t4g.micro"),
		refuse("graviton with memcached 1.5.10", memcached(withType("cache.t4g.micro"), withVersion("1.5.10")), codeIPC, 400, "cache.t4g.micro"),
		accept("graviton with redis 5.0.6", redis(withType("cache.t4g.micro"), withVersion("5.0.6")), nil),
		accept("graviton with memcached 1.5.16", memcached(withType("cache.t4g.micro"), withVersion("1.5.16")), nil),

		// NumCacheNodes.
		refuse("nodes 0", memcached(withNodes(0)), codeIPV, 400, "NumCacheNodes"),
		refuse("nodes negative", redis(withNodes(-1)), codeIPV, 400, "NumCacheNodes"),
		refuse("redis 2 nodes", redis(withNodes(2)), codeIPV, 400, msgRedisNodes),
		accept("redis 1 node explicit", redis(withNodes(1)), nil),
		accept("memcached 40 nodes", memcached(withNodes(40)), func(t *testing.T, c *api.CacheCluster) {
			wantField(t, "NumCacheNodes", api.Deref(c.NumCacheNodes), 40)
		}),
		refuse("memcached 41 nodes", memcached(withNodes(41)), "NodeQuotaForClusterExceeded", 400, "41"),
		{name: "nodes per cluster quota configurable", cfg: func(c *service.Config) { c.Quotas.MaxNodesPerCluster = 3 },
			in: memcached(withNodes(4)), code: "NodeQuotaForClusterExceeded", status: 400},

		// Parameters of the other engine.
		refuse("memcached with SnapshotRetentionLimit", memcached(withRetention(1)), codeIPC, 400, "SnapshotRetentionLimit"),
		refuse("memcached with SnapshotRetentionLimit 0", memcached(withRetention(0)), codeIPC, 400, "SnapshotRetentionLimit"),
		refuse("memcached with SnapshotWindow", memcached(withSnapWin("05:00-06:00")), codeIPC, 400, "SnapshotWindow"),
		refuse("memcached with SnapshotName", memcached(set(func(m *api.CreateCacheClusterMessage) { m.SnapshotName = api.String("s") })), codeIPC, 400, "SnapshotName"),
		refuse("memcached with SnapshotArns", memcached(set(func(m *api.CreateCacheClusterMessage) { m.SnapshotArns = []string{"arn:aws:s3:::b/k.rdb"} })), codeIPC, 400, "SnapshotArns"),
		refuse("memcached with LogDeliveryConfigurations", memcached(withLog(api.LogTypeSlowLog, "g")), codeIPC, 400, "LogDeliveryConfigurations"),
		refuse("redis with AZMode single-az", redis(withAZMode(api.AZModeSingleAz)), codeIPC, 400, "AZMode"),
		refuse("redis with AZMode cross-az", redis(withAZMode(api.AZModeCrossAz)), codeIPC, 400, "AZMode"),
		refuse("redis with two PreferredAvailabilityZones", redis(withAZs("us-east-1a", "us-east-1b")), codeIPC, 400, "PreferredAvailabilityZones"),
		accept("redis with one PreferredAvailabilityZones", redis(withAZs("us-east-1c")), func(t *testing.T, c *api.CacheCluster) {
			wantField(t, "PreferredAvailabilityZone", api.Deref(c.PreferredAvailabilityZone), "us-east-1c")
		}),

		// Availability zones.
		refuse("zones list shorter than nodes", memcached(withNodes(3), withAZs("us-east-1a", "us-east-1b")), codeIPV, 400, "(2) must equal NumCacheNodes (3)"),
		refuse("zones list longer than nodes", memcached(withNodes(1), withAZs("us-east-1a", "us-east-1b")), codeIPV, 400, "must equal NumCacheNodes"),
		refuse("zone unknown single", redis(withAZ("us-east-1z")), codeIPV, 400, "us-east-1z"),
		refuse("zone of another region", redis(withAZ("eu-west-1a")), codeIPV, 400, "eu-west-1a"),
		refuse("zone unknown in list", memcached(withNodes(2), withAZs("us-east-1a", "us-west-2a")), codeIPV, 400, "us-west-2a"),
		refuse("zone single and list", memcached(withNodes(1), withAZ("us-east-1a"), withAZs("us-east-1a")), codeIPC, 400, "not both"),
		refuse("single-az with several zones", memcached(withNodes(2), withAZMode(api.AZModeSingleAz), withAZs("us-east-1a", "us-east-1b")), codeIPC, 400, "single-az"),
		refuse("cross-az with one zone for several nodes", memcached(withNodes(2), withAZMode(api.AZModeCrossAz), withAZ("us-east-1a")), codeIPC, 400, "cross-az"),
		accept("single-az with repeated zone", memcached(withNodes(2), withAZMode(api.AZModeSingleAz), withAZs("us-east-1b", "us-east-1b")), func(t *testing.T, c *api.CacheCluster) {
			wantField(t, "PreferredAvailabilityZone", api.Deref(c.PreferredAvailabilityZone), "us-east-1b")
		}),
		accept("zones list spanning zones is Multiple", memcached(withNodes(3), withAZs("us-east-1a", "us-east-1b", "us-east-1a")), func(t *testing.T, c *api.CacheCluster) {
			wantField(t, "PreferredAvailabilityZone", api.Deref(c.PreferredAvailabilityZone), "Multiple")
		}),
		accept("cross-az default spreads nodes", memcached(withNodes(3), withAZMode(api.AZModeCrossAz)), func(t *testing.T, c *api.CacheCluster) {
			wantField(t, "PreferredAvailabilityZone", api.Deref(c.PreferredAvailabilityZone), "Multiple")
		}),
		accept("cross-az with one node and one zone", memcached(withNodes(1), withAZMode(api.AZModeCrossAz), withAZ("us-east-1d")), nil),
		accept("default single-az puts nodes in one zone", memcached(withNodes(3)), func(t *testing.T, c *api.CacheCluster) {
			z := api.Deref(c.PreferredAvailabilityZone)
			if !strings.HasPrefix(z, "us-east-1") || len(z) != len("us-east-1a") {
				t.Errorf("PreferredAvailabilityZone = %q, want one us-east-1 zone", z)
			}
		}),

		// Port.
		refuse("port 0", redis(withPort(0)), codeIPV, 400, "Port"),
		refuse("port negative", redis(withPort(-5)), codeIPV, 400, "Port"),
		refuse("port 65536", redis(withPort(65536)), codeIPV, 400, "Port"),
		accept("port 1", redis(withPort(1)), nil),
		accept("port 65535", redis(withPort(65535)), nil),

		// Maintenance window (§2.1, §3.1).
		refuse("maintenance window garbage", redis(withMaint("whenever")), codeIPV, 400, "whenever"),
		refuse("maintenance window missing day", redis(withMaint("23:00-01:30")), codeIPV, 400, "23:00-01:30"),
		refuse("maintenance window bad day", redis(withMaint("sun:23:00-xyz:01:30")), codeIPV, 400, "xyz"),
		refuse("maintenance window bad hour", redis(withMaint("sun:24:00-mon:01:30")), codeIPV, 400, "sun:24:00"),
		refuse("maintenance window bad minute", redis(withMaint("sun:23:60-mon:01:30")), codeIPV, 400, "sun:23:60"),
		refuse("maintenance window single digit", redis(withMaint("sun:3:00-sun:4:00")), codeIPV, 400, ""),
		refuse("maintenance window 30 min", redis(withMaint("mon:01:00-mon:01:30")), codeIPV, 400, "at least 60 minutes"),
		refuse("maintenance window 59 min", redis(withMaint("mon:01:00-mon:01:59")), codeIPV, 400, "at least 60 minutes"),
		refuse("maintenance window empty range", redis(withMaint("mon:01:00-mon:01:00")), codeIPV, 400, "at least 60 minutes"),
		refuse("maintenance window over 24h", redis(withMaint("mon:01:00-tue:01:01")), codeIPV, 400, "at most 24 hours"),
		refuse("maintenance window backwards is almost a week", redis(withMaint("tue:01:00-mon:01:00")), codeIPV, 400, "at most 24 hours"),
		accept("maintenance window exactly 60 min", redis(withMaint("mon:01:00-mon:02:00")), nil),
		accept("maintenance window exactly 24h", memcached(withMaint("mon:01:00-tue:01:00")), nil),
		// Every daily snapshot window overlaps a 24-hour maintenance window, the default one too.
		refuse("maintenance window 24h leaves redis no snapshot window", redis(withMaint("mon:01:00-tue:01:00")), codeIPC, 400, msgOverlap),
		accept("maintenance window 23h off the hour leaves one snapshot window", redis(withMaint("mon:00:30-mon:23:30")), func(t *testing.T, c *api.CacheCluster) {
			wantField(t, "SnapshotWindow", api.Deref(c.SnapshotWindow), "23:30-00:30")
		}),
		accept("maintenance window 23h on the hour", redis(withMaint("thu:02:00-fri:01:00")), func(t *testing.T, c *api.CacheCluster) {
			wantField(t, "SnapshotWindow", api.Deref(c.SnapshotWindow), "01:00-02:00")
		}),
		accept("maintenance window wraps midnight", redis(withMaint("sun:23:00-mon:01:30")), func(t *testing.T, c *api.CacheCluster) {
			wantField(t, "PreferredMaintenanceWindow", api.Deref(c.PreferredMaintenanceWindow), "sun:23:00-mon:01:30")
		}),
		accept("maintenance window wraps the week", redis(withMaint("sat:23:30-sun:00:30")), nil),
		accept("maintenance window upper case is normalised", memcached(withMaint("SUN:23:00-MON:01:30")), func(t *testing.T, c *api.CacheCluster) {
			wantField(t, "PreferredMaintenanceWindow", api.Deref(c.PreferredMaintenanceWindow), "sun:23:00-mon:01:30")
		}),

		// Snapshot window and retention (§3.2).
		refuse("snapshot window garbage", redis(withSnapWin("5-9")), codeIPV, 400, "5-9"),
		refuse("snapshot window with day", redis(withSnapWin("mon:05:00-mon:06:00")), codeIPV, 400, ""),
		refuse("snapshot window bad hour", redis(withSnapWin("25:00-26:00")), codeIPV, 400, "25:00-26:00"),
		refuse("snapshot window 30 min", redis(withSnapWin("05:00-05:30")), codeIPV, 400, msgSnapshotShort),
		refuse("snapshot window empty", redis(withSnapWin("05:00-05:00")), codeIPV, 400, msgSnapshotShort),
		refuse("snapshot window overlaps maintenance", redis(withMaint("mon:05:00-mon:06:00"), withSnapWin("05:30-06:30")), codeIPC, 400, msgOverlap),
		refuse("snapshot window contains maintenance", redis(withMaint("wed:10:00-wed:11:00"), withSnapWin("09:00-12:00")), codeIPC, 400, msgOverlap),
		refuse("snapshot window wrapping midnight overlaps", redis(withMaint("tue:00:00-tue:01:00"), withSnapWin("23:30-00:30")), codeIPC, 400, msgOverlap),
		refuse("snapshot window wrapping the week overlaps", redis(withMaint("sun:00:00-sun:01:00"), withSnapWin("23:30-00:30")), codeIPC, 400, msgOverlap),
		refuse("snapshot window overlaps long maintenance", redis(withMaint("sun:23:00-mon:01:30"), withSnapWin("01:00-02:00")), codeIPC, 400, msgOverlap),
		accept("snapshot window adjacent to maintenance", redis(withMaint("mon:05:00-mon:06:00"), withSnapWin("04:00-05:00")), func(t *testing.T, c *api.CacheCluster) {
			wantField(t, "SnapshotWindow", api.Deref(c.SnapshotWindow), "04:00-05:00")
		}),
		accept("snapshot window wrapping midnight", redis(withMaint("wed:05:00-wed:06:00"), withSnapWin("23:30-00:30")), nil),
		refuse("retention 36", redis(withRetention(36)), codeIPV, 400, "SnapshotRetentionLimit"),
		refuse("retention negative", redis(withRetention(-1)), codeIPV, 400, "SnapshotRetentionLimit"),
		accept("retention 35", redis(withRetention(35)), func(t *testing.T, c *api.CacheCluster) {
			wantField(t, "SnapshotRetentionLimit", api.Deref(c.SnapshotRetentionLimit), 35)
		}),

		// In-transit encryption and AUTH (§2.2).
		refuse("redis with TLS", redis(withTLS()), codeIPC, 400, msgRedisTLS),
		refuse("redis with TLS and token", redis(withTLS(), withToken(goodTok)), codeIPC, 400, msgRedisTLS),
		refuse("redis token without TLS", redis(withToken(goodTok)), codeIPV, 400, msgAuthNoTLS),
		refuse("redis short token without TLS", redis(withToken("short")), codeIPV, 400, msgAuthNoTLS),
		refuse("redis token with TLS false", redis(withToken(goodTok), set(func(m *api.CreateCacheClusterMessage) { m.TransitEncryptionEnabled = api.Bool(false) })), codeIPV, 400, msgAuthNoTLS),
		refuse("memcached TLS below 1.6.12", memcached(withVersion("1.6.6"), withTLS()), codeIPC, 400, "1.6.12"),
		refuse("memcached TLS on 1.5.16", memcached(withVersion("1.5.16"), withTLS()), codeIPC, 400, "1.6.12"),
		accept("memcached TLS on 1.6.12", memcached(withVersion("1.6.12"), withTLS()), func(t *testing.T, c *api.CacheCluster) {
			wantField(t, "TransitEncryptionEnabled", api.Deref(c.TransitEncryptionEnabled), true)
			wantField(t, "TransitEncryptionMode", c.TransitEncryptionMode, api.TransitEncryptionModeRequired)
		}),
		refuse("token too short", memcached(withTLS(), withToken("abcdefghijklmno")), codeIPV, 400, msgBadAuthToken),
		refuse("token too long", memcached(withTLS(), withToken(strings.Repeat("a", 129))), codeIPV, 400, msgBadAuthToken),
		refuse("token with @", memcached(withTLS(), withToken("abcdefghijklmnop@")), codeIPV, 400, msgBadAuthToken),
		refuse("token with space", memcached(withTLS(), withToken("abcdefgh ijklmnop")), codeIPV, 400, msgBadAuthToken),
		refuse("token with quote", memcached(withTLS(), withToken(`abcdefghijklmnop"`)), codeIPV, 400, msgBadAuthToken),
		refuse("token on memcached", memcached(withTLS(), withToken(goodTok)), codeIPC, 400, "Memcached"),
		refuse("token 128 chars on memcached", memcached(withTLS(), withToken(strings.Repeat("a", 128))), codeIPC, 400, "Memcached"),

		// IPv6 (§2.1).
		refuse("ipv6 with redis 6.0", redis(withVersion("6.0"), withNetwork(api.NetworkTypeIpv6, "")), codeIPC, 400, "6.2"),
		refuse("dual stack with redis 5.0.6", redis(withVersion("5.0.6"), withNetwork(api.NetworkTypeDualStack, "")), codeIPC, 400, "6.2"),
		refuse("ipv6 with memcached 1.5.16", memcached(withVersion("1.5.16"), withNetwork(api.NetworkTypeIpv6, "")), codeIPC, 400, "1.6.6"),
		refuse("ipv6 on non-nitro t2", redis(withType("cache.t2.micro"), withNetwork(api.NetworkTypeIpv6, "")), codeIPC, 400, "Nitro"),
		refuse("ipv6 on non-nitro m4", memcached(withType("cache.m4.large"), withNetwork(api.NetworkTypeDualStack, "")), codeIPC, 400, "Nitro"),
		refuse("ipv6 on previous generation", redis(withType("cache.m3.large"), withNetwork(api.NetworkTypeIpv6, "")), codeIPC, 400, "Nitro"),
		refuse("ipv4 with ipv6 discovery", redis(withNetwork(api.NetworkTypeIpv4, api.IpDiscoveryIpv6)), codeIPC, 400, "IpDiscovery"),
		refuse("ipv6 with ipv4 discovery", redis(withNetwork(api.NetworkTypeIpv6, api.IpDiscoveryIpv4)), codeIPC, 400, "IpDiscovery"),
		accept("ipv6 on redis 7.1 t3", redis(withNetwork(api.NetworkTypeIpv6, "")), func(t *testing.T, c *api.CacheCluster) {
			wantField(t, "NetworkType", c.NetworkType, api.NetworkTypeIpv6)
			wantField(t, "IpDiscovery", c.IpDiscovery, api.IpDiscoveryIpv6)
		}),
		accept("dual stack on memcached 1.6.6", memcached(withVersion("1.6.6"), withNetwork(api.NetworkTypeDualStack, "")), func(t *testing.T, c *api.CacheCluster) {
			wantField(t, "NetworkType", c.NetworkType, api.NetworkTypeDualStack)
			wantField(t, "IpDiscovery", c.IpDiscovery, api.IpDiscoveryIpv4)
		}),

		// Outposts, snapshots.
		refuse("outpost mode", redis(set(func(m *api.CreateCacheClusterMessage) { m.OutpostMode = api.OutpostModeSingleOutpost })), codeIPC, 400, "Outposts"),
		refuse("preferred outpost arn", redis(set(func(m *api.CreateCacheClusterMessage) {
			m.PreferredOutpostArn = api.String("arn:aws:outposts:us-east-1:123456789012:outpost/op-1")
		})), codeIPC, 400, "Outposts"),
		refuse("preferred outpost arns", memcached(set(func(m *api.CreateCacheClusterMessage) {
			m.PreferredOutpostArns = []string{"arn:aws:outposts:us-east-1:123456789012:outpost/op-1"}
		})), codeIPC, 400, "Outposts"),
		refuse("snapshot arns", redis(set(func(m *api.CreateCacheClusterMessage) { m.SnapshotArns = []string{"arn:aws:s3:::bucket/dump.rdb"} })), codeIPV, 400, "SnapshotArns"),
		refuse("snapshot name", redis(set(func(m *api.CreateCacheClusterMessage) { m.SnapshotName = api.String("My-Snap") })), "SnapshotNotFoundFault", 404, "my-snap"),

		// Notification topic.
		refuse("topic not an arn", redis(withTopic("my-topic")), codeIPV, 400, "my-topic"),
		refuse("topic not sns", redis(withTopic("arn:aws:sqs:us-east-1:123456789012:q")), codeIPV, 400, "NotificationTopicArn"),
		refuse("topic of another account", redis(withTopic("arn:aws:sns:us-east-1:999999999999:t")), codeIPV, 400, "123456789012"),
		refuse("topic of another region", redis(withTopic("arn:aws:sns:eu-west-1:123456789012:t")), codeIPV, 400, "us-east-1"),
		accept("topic of this account", redis(withTopic(topicARN)), func(t *testing.T, c *api.CacheCluster) {
			if c.NotificationConfiguration == nil {
				t.Fatal("no NotificationConfiguration")
			}
			wantField(t, "TopicArn", api.Deref(c.NotificationConfiguration.TopicArn), topicARN)
			wantField(t, "TopicStatus", api.Deref(c.NotificationConfiguration.TopicStatus), "active")
		}),

		// Log delivery.
		refuse("log delivery missing fields", redis(set(func(m *api.CreateCacheClusterMessage) {
			m.LogDeliveryConfigurations = []api.LogDeliveryConfigurationRequest{{LogType: api.LogTypeSlowLog}}
		})), codeIPV, 400, "LogDeliveryConfigurations"),
		refuse("log delivery slow-log on 5.0.6", redis(withVersion("5.0.6"), withLog(api.LogTypeSlowLog, "g")), codeIPC, 400, "6.0"),
		refuse("log delivery engine-log on 6.0", redis(withVersion("6.0"), withLog(api.LogTypeEngineLog, "g")), codeIPC, 400, "6.2"),
		refuse("log delivery type twice", redis(withLog(api.LogTypeSlowLog, "g"), withLog(api.LogTypeSlowLog, "h")), codeIPC, 400, "twice"),
		refuse("log delivery cloudwatch without group", redis(withLog(api.LogTypeSlowLog, "")), codeIPV, 400, "LogGroup"),
		accept("log delivery slow-log on 6.0", redis(withVersion("6.0"), withLog(api.LogTypeSlowLog, "g")), func(t *testing.T, c *api.CacheCluster) {
			wantField(t, "len(LogDeliveryConfigurations)", len(c.LogDeliveryConfigurations), 1)
		}),

		// Tags (§1.1).
		refuse("51 tags", redis(withTags(51)), "TagQuotaPerResourceExceeded", 400, ""),
		accept("50 tags", redis(withTags(50)), nil),
		refuse("tag empty key", redis(withTag("", api.String("v"))), codeIPV, 400, "Key"),
		refuse("tag aws: prefix", redis(withTag("aws:owner", api.String("v"))), codeIPV, 400, "aws:"),
		refuse("tag AWS: prefix", redis(withTag("AWS:owner", api.String("v"))), codeIPV, 400, "aws:"),
		refuse("tag key 129 chars", redis(withTag(strings.Repeat("k", 129), nil)), codeIPV, 400, "128"),
		refuse("tag value 257 chars", redis(withTag("k", api.String(strings.Repeat("v", 257)))), codeIPV, 400, "256"),
		accept("tag with null value", redis(withTag("team", nil)), nil),

		// Parameter groups (§3.5).
		refuse("parameter group unknown", redis(withPG("my-params")), "CacheParameterGroupNotFound", 404, "CacheParameterGroup my-params not found."),
		refuse("parameter group cluster.on", redis(withPG("default.redis7.cluster.on")), codeIPC, 400, msgClusterOn),
		refuse("parameter group cluster.on of other family", redis(withVersion("3.2.4"), withPG("default.redis3.2.cluster.on")), codeIPC, 400, msgClusterOn),
		refuse("parameter group of wrong family", redis(withPG("default.redis6.x")), codeIPC, 400, "redis6.x"),
		refuse("parameter group of other engine", redis(withPG("default.memcached1.6")), codeIPC, 400, "memcached1.6"),
		refuse("memcached with redis parameter group", memcached(withPG("default.redis7")), codeIPC, 400, "redis7"),
		accept("parameter group named explicitly, any case", redis(withPG("Default.Redis7")), func(t *testing.T, c *api.CacheCluster) {
			wantField(t, "CacheParameterGroupName", api.Deref(c.CacheParameterGroup.CacheParameterGroupName), "default.redis7")
		}),

		// Subnet and security groups.
		refuse("subnet group unknown", redis(withSubnet("My-Subnets")), "CacheSubnetGroupNotFoundFault", 400, "my-subnets"),
		refuse("subnet group blank", redis(withSubnet("")), codeIPV, 400, "CacheSubnetGroupName"),
		accept("subnet group default any case", redis(withSubnet("Default")), func(t *testing.T, c *api.CacheCluster) {
			wantField(t, "CacheSubnetGroupName", api.Deref(c.CacheSubnetGroupName), "default")
		}),
		refuse("security group name unknown", redis(withSecNames("web")), "CacheSecurityGroupNotFound", 404, "web"),
		refuse("security group names one unknown", redis(withSecNames("default", "web")), "CacheSecurityGroupNotFound", 404, "web"),
		accept("security group name default", redis(withSecNames("default")), func(t *testing.T, c *api.CacheCluster) {
			wantField(t, "len(CacheSecurityGroups)", len(c.CacheSecurityGroups), 1)
		}),
		refuse("security group id malformed", redis(withSGIDs("sg-xyz")), codeIPV, 400, "sg-xyz"),
		refuse("security group id upper case", redis(withSGIDs("sg-0123456789ABCDEF0")), codeIPV, 400, "sg-0123456789ABCDEF0"),
		refuse("security group id without prefix", redis(withSGIDs("0123456789abcdef0")), codeIPV, 400, ""),
		accept("security group ids short and long", redis(withSGIDs("sg-12345678", "sg-0123456789abcdef0")), func(t *testing.T, c *api.CacheCluster) {
			wantField(t, "len(SecurityGroups)", len(c.SecurityGroups), 2)
		}),

		// Store-side rules.
		{name: "duplicate id", before: createOK(redis()), in: redis(), code: "CacheClusterAlreadyExists", status: 400, msg: msgAlreadyExists},
		{name: "duplicate id other case and engine", before: createOK(redis()), in: memcached(withID("C1")), code: "CacheClusterAlreadyExists", status: 400, msg: msgAlreadyExists},
		{name: "cluster quota", cfg: func(c *service.Config) { c.Quotas.MaxClusters = 2 },
			before: createOK(redis(withID("a1")), redis(withID("a2"))), in: redis(withID("a3")), code: "ClusterQuotaForCustomerExceeded", status: 400},
		{name: "node quota for customer", cfg: func(c *service.Config) { c.Quotas.MaxNodes = 5 },
			before: createOK(memcached(withID("m1"), withNodes(3))), in: memcached(withID("m2"), withNodes(3)), code: "NodeQuotaForCustomerExceeded", status: 400},
		{name: "node quota for customer exactly reached", cfg: func(c *service.Config) { c.Quotas.MaxNodes = 6 },
			before: createOK(memcached(withID("m1"), withNodes(3))), in: memcached(withID("m2"), withNodes(3))},
		{name: "memory capacity", cfg: func(c *service.Config) { c.HostMemoryBytes = 1 << 30 },
			in: redis(withType("cache.r6g.large")), code: "InsufficientCacheClusterCapacity", status: 400, msg: "cache.r6g.large"},
		{name: "memory capacity memcached", cfg: func(c *service.Config) { c.HostMemoryBytes = 1 << 30 },
			in: memcached(withType("cache.r6g.large")), code: "InsufficientCacheClusterCapacity", status: 400, msg: "--allow-memory-overcommit"},
		{name: "memory capacity small type fits", cfg: func(c *service.Config) { c.HostMemoryBytes = 1 << 30 },
			in: redis(withType("cache.t3.micro"))},
		{name: "memory overcommit allowed", cfg: func(c *service.Config) { c.HostMemoryBytes = 1 << 30; c.AllowMemoryOvercommit = true },
			in: redis(withType("cache.r6g.16xlarge"))},
		{name: "node addresses exhausted", cfg: func(c *service.Config) {
			c.NodeAddresses = &service.AddressAllocator{Base: c.NodeAddresses.Base, Last: c.NodeAddresses.Base.Next()}
		}, in: memcached(withNodes(3)), code: "InsufficientCacheClusterCapacity", status: 400},
	}
}

// createOK returns a before hook that creates the clusters.
func createOK(ins ...*api.CreateCacheClusterMessage) func(*testing.T, *service.Service) {
	return func(t *testing.T, svc *service.Service) {
		for _, in := range ins {
			mustCreate(t, svc, in)
		}
	}
}

func TestCreateCacheClusterValidation(t *testing.T) {
	seen := map[string]bool{}
	for _, tc := range createCases() {
		if seen[tc.name] {
			t.Fatalf("duplicate case name %q", tc.name)
		}
		seen[tc.name] = true
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var mods []func(*service.Config)
			if tc.cfg != nil {
				mods = append(mods, tc.cfg)
			}
			var notified []string
			mods = append(mods, func(c *service.Config) { c.Notify = func(id string) { notified = append(notified, id) } })
			svc, st := newService(t, mods...)
			if tc.before != nil {
				tc.before(t, svc)
			}
			clustersBefore, addrsBefore := counts(t, st)
			notifiedBefore := len(notified)
			out, err := svc.CreateCacheCluster(context.Background(), tc.in)
			clustersAfter, addrsAfter := counts(t, st)
			if tc.code != "" {
				if err == nil {
					t.Fatalf("request accepted, want %s", tc.code)
				}
				wantAPIError(t, err, tc.code, tc.status, tc.msg)
				if out != nil {
					t.Errorf("refused request returned a result: %+v", out)
				}
				if clustersAfter != clustersBefore || addrsAfter != addrsBefore {
					t.Errorf("refused request changed the store: clusters %d -> %d, addresses %d -> %d", clustersBefore, clustersAfter, addrsBefore, addrsAfter)
				}
				if len(notified) != notifiedBefore {
					t.Errorf("refused request notified the reconciler: %v", notified[notifiedBefore:])
				}
				return
			}
			if err != nil {
				t.Fatalf("CreateCacheCluster: %v", err)
			}
			c := out.CacheCluster
			if c == nil {
				t.Fatal("no CacheCluster in the result")
			}
			nodes := int(api.Deref(c.NumCacheNodes))
			if clustersAfter != clustersBefore+1 || addrsAfter != addrsBefore+nodes {
				t.Errorf("store after create: clusters %d -> %d, addresses %d -> %d (nodes %d)", clustersBefore, clustersAfter, addrsBefore, addrsAfter, nodes)
			}
			id := api.Deref(c.CacheClusterId)
			if id != strings.ToLower(api.Deref(tc.in.CacheClusterId)) {
				t.Errorf("CacheClusterId = %q, want the lowercase request id", id)
			}
			if len(notified) != notifiedBefore+1 || notified[len(notified)-1] != id {
				t.Errorf("notified %v, want one notification for %s", notified[notifiedBefore:], id)
			}
			wantField(t, "CacheClusterStatus", api.Deref(c.CacheClusterStatus), "creating")
			if c.CacheNodes != nil {
				t.Errorf("create response lists CacheNodes: %+v", c.CacheNodes)
			}
			if mw, sw := api.Deref(c.PreferredMaintenanceWindow), api.Deref(c.SnapshotWindow); sw != "" {
				ws, wl := parseWeekly(t, mw)
				ss, sl := parseDaily(t, sw)
				if overlapsWeek(ss, sl, ws, wl) {
					t.Errorf("accepted cluster has overlapping windows: maintenance %s, snapshot %s", mw, sw)
				}
			}
			if tc.check != nil {
				tc.check(t, c)
			}
		})
	}
}

// TestCreateStoresRequestedSettings checks that what Create answers is what the
// store holds, and what Describe reports.
func TestCreateStoresRequestedSettings(t *testing.T) {
	svc, st := newService(t)
	in := memcached(withID("Mem-1"), withNodes(3), withPort(11300), withAZs("us-east-1a", "us-east-1b", "us-east-1c"),
		withMaint("tue:04:00-tue:05:00"), withTag("team", api.String("cache")), withSGIDs("sg-12345678"),
		set(func(m *api.CreateCacheClusterMessage) { m.AutoMinorVersionUpgrade = api.Bool(false) }))
	c := mustCreate(t, svc, in)
	var stored *model.Cluster
	if err := st.View(func(tx *store.Tx) (err error) { stored, err = tx.Cluster("mem-1"); return }); err != nil || stored == nil {
		t.Fatalf("stored cluster: %v %v", stored, err)
	}
	sp := stored.Spec
	wantField(t, "Port", sp.Port, 11300)
	wantField(t, "AutoMinorVersionUpgrade", sp.AutoMinorVersionUpgrade, false)
	wantField(t, "response AutoMinorVersionUpgrade", api.Deref(c.AutoMinorVersionUpgrade), false)
	wantField(t, "MaintenanceWindow", sp.MaintenanceWindow, "tue:04:00-tue:05:00")
	wantField(t, "SnapshotWindow", sp.SnapshotWindow, "")
	var tags []model.Tag
	_ = st.View(func(tx *store.Tx) (err error) { tags, err = tx.Tags(sp.ARN); return })
	wantField(t, "len(Tags)", len(tags), 1)
	wantField(t, "CreatedAt", sp.CreatedAt, testNow)
	wantField(t, "Generation", sp.Generation, int64(1))
	if len(sp.Nodes) != 3 {
		t.Fatalf("nodes = %d", len(sp.Nodes))
	}
	addrs := map[string]bool{}
	for i, n := range sp.Nodes {
		wantField(t, "node id", n.ID, fmt.Sprintf("%04d", i+1))
		wantField(t, "node AZ", n.AZ, in.PreferredAvailabilityZones[i])
		wantField(t, "node port", n.Port, 11300)
		if addrs[n.Address] {
			t.Errorf("two nodes share address %s", n.Address)
		}
		addrs[n.Address] = true
	}
	// The configuration endpoint is an address of its own (served by the control plane), on the cluster's port.
	if c.ConfigurationEndpoint == nil || addrs[api.Deref(c.ConfigurationEndpoint.Address)] || api.Deref(c.ConfigurationEndpoint.Port) != 11300 ||
		sp.ConfigEndpoint == nil || sp.ConfigEndpoint.Address != api.Deref(c.ConfigurationEndpoint.Address) {
		t.Errorf("ConfigurationEndpoint = %+v, want an address apart from the nodes' on port 11300", c.ConfigurationEndpoint)
	}
	wantField(t, "SnapshotRetentionLimit is absent for memcached", c.SnapshotRetentionLimit == nil, true)
	wantField(t, "SnapshotWindow is absent for memcached", c.SnapshotWindow == nil, true)
}

// TestCreateDefaults checks the defaults of §3 for both engines.
func TestCreateDefaults(t *testing.T) {
	svc, _ := newService(t)
	r := mustCreate(t, svc, redis(withID("r")))
	m := mustCreate(t, svc, memcached(withID("m")))
	for _, tc := range []struct {
		c                        *api.CacheCluster
		version, group           string
		port                     int32
		wantSnapshot, wantConfig bool
	}{
		{r, "7.1", "default.redis7", 6379, true, false},
		{m, "1.6.22", "default.memcached1.6", 11211, false, true},
	} {
		c := tc.c
		t.Run(api.Deref(c.Engine), func(t *testing.T) {
			wantField(t, "EngineVersion", api.Deref(c.EngineVersion), tc.version)
			wantField(t, "CacheParameterGroupName", api.Deref(c.CacheParameterGroup.CacheParameterGroupName), tc.group)
			wantField(t, "ParameterApplyStatus", api.Deref(c.CacheParameterGroup.ParameterApplyStatus), "in-sync")
			wantField(t, "CacheNodeIdsToReboot is empty, not absent", c.CacheParameterGroup.CacheNodeIdsToReboot != nil && len(c.CacheParameterGroup.CacheNodeIdsToReboot) == 0, true)
			wantField(t, "NumCacheNodes", api.Deref(c.NumCacheNodes), 1)
			wantField(t, "AutoMinorVersionUpgrade", api.Deref(c.AutoMinorVersionUpgrade), true)
			wantField(t, "AuthTokenEnabled", api.Deref(c.AuthTokenEnabled), false)
			wantField(t, "TransitEncryptionEnabled", api.Deref(c.TransitEncryptionEnabled), false)
			wantField(t, "AtRestEncryptionEnabled", api.Deref(c.AtRestEncryptionEnabled), false)
			wantField(t, "ClientDownloadLandingPage", api.Deref(c.ClientDownloadLandingPage), "https://console.aws.amazon.com/elasticache/home#client-download:")
			wantField(t, "CacheSubnetGroupName", api.Deref(c.CacheSubnetGroupName), "default")
			wantField(t, "NetworkType", c.NetworkType, api.NetworkTypeIpv4)
			wantField(t, "IpDiscovery", c.IpDiscovery, api.IpDiscoveryIpv4)
			wantField(t, "PendingModifiedValues present", c.PendingModifiedValues != nil, true)
			wantField(t, "CacheSecurityGroups empty, not absent", c.CacheSecurityGroups != nil && len(c.CacheSecurityGroups) == 0, true)
			wantField(t, "CacheClusterCreateTime", api.Deref(c.CacheClusterCreateTime), testNow)
			wantField(t, "SnapshotWindow present", c.SnapshotWindow != nil, tc.wantSnapshot)
			wantField(t, "ConfigurationEndpoint present", c.ConfigurationEndpoint != nil, tc.wantConfig)
			if tc.wantConfig {
				wantField(t, "ConfigurationEndpoint port", api.Deref(c.ConfigurationEndpoint.Port), tc.port)
			}
			if tc.wantSnapshot {
				wantField(t, "SnapshotRetentionLimit", api.Deref(c.SnapshotRetentionLimit), 0)
			}
		})
	}
}

// TestDefaultPorts checks the stored node ports per engine.
func TestDefaultPorts(t *testing.T) {
	svc, st := newService(t)
	mustCreate(t, svc, redis(withID("r")))
	mustCreate(t, svc, memcached(withID("m"), withNodes(2)))
	want := map[string]int{"r": 6379, "m": 11211}
	err := st.View(func(tx *store.Tx) error {
		return tx.Clusters("", func(c *model.Cluster) bool {
			wantField(t, c.Spec.ID+" Port", c.Spec.Port, want[c.Spec.ID])
			for _, n := range c.Spec.Nodes {
				wantField(t, c.Spec.ID+"/"+n.ID+" port", n.Port, want[c.Spec.ID])
			}
			return true
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// parseWeekly parses ddd:hh:mm-ddd:hh:mm into week minutes.
func parseWeekly(t *testing.T, w string) (start, length int) {
	t.Helper()
	days := map[string]int{"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6}
	var d1, d2 string
	var h1, m1, h2, m2 int
	parts := strings.Split(w, "-")
	if len(parts) != 2 {
		t.Fatalf("window %q", w)
	}
	p1, p2 := strings.Split(parts[0], ":"), strings.Split(parts[1], ":")
	if len(p1) != 3 || len(p2) != 3 {
		t.Fatalf("window %q", w)
	}
	d1, d2 = p1[0], p2[0]
	h1, _ = strconv.Atoi(p1[1])
	m1, _ = strconv.Atoi(p1[2])
	h2, _ = strconv.Atoi(p2[1])
	m2, _ = strconv.Atoi(p2[2])
	a, ok1 := days[d1]
	b, ok2 := days[d2]
	if !ok1 || !ok2 {
		t.Fatalf("window %q has a bad day", w)
	}
	start = a*1440 + h1*60 + m1
	end := b*1440 + h2*60 + m2
	return start, ((end-start)%10080 + 10080) % 10080
}

func parseDaily(t *testing.T, w string) (start, length int) {
	t.Helper()
	var h1, m1, h2, m2 int
	if _, err := fmt.Sscanf(w, "%02d:%02d-%02d:%02d", &h1, &m1, &h2, &m2); err != nil {
		t.Fatalf("snapshot window %q: %v", w, err)
	}
	start = h1*60 + m1
	return start, ((h2*60+m2-start)%1440 + 1440) % 1440
}

// overlapsWeek reports whether a daily window meets a weekly one, computed
// independently of the service: minute by minute over the week.
func overlapsWeek(dStart, dLen, wStart, wLen int) bool {
	inMaint := make([]bool, 10080)
	for i := 0; i < wLen; i++ {
		inMaint[(wStart+i)%10080] = true
	}
	for day := 0; day < 7; day++ {
		for i := 0; i < dLen; i++ {
			if inMaint[(day*1440+dStart+i)%10080] {
				return true
			}
		}
	}
	return false
}

// TestDefaultWindows checks the default maintenance window (60 minutes, starting
// on :00 or :30 inside us-east-1's 03:00-11:00 block) and the default snapshot
// window (60 minutes, not overlapping it) across many seeds.
func TestDefaultWindows(t *testing.T) {
	starts := map[int]bool{}
	daysSeen := map[int]bool{}
	_, st := newService(t)
	for seed := uint64(1); seed <= 20; seed++ {
		svc := newServiceOn(st, func(c *service.Config) { c.Seed = seed })
		for i := 0; i < 15; i++ {
			c := mustCreate(t, svc, redis(withID(fmt.Sprintf("s%d-c%d", seed, i))))
			mw := api.Deref(c.PreferredMaintenanceWindow)
			ws, wl := parseWeekly(t, mw)
			tod := ws % 1440
			if wl != 60 || tod < 3*60 || tod+wl > 11*60 || tod%30 != 0 {
				t.Errorf("seed %d: default maintenance window %q is not 60 minutes on :00/:30 inside 03:00-11:00", seed, mw)
			}
			starts[tod], daysSeen[ws/1440] = true, true
			sw := api.Deref(c.SnapshotWindow)
			ss, sl := parseDaily(t, sw)
			if sl != 60 || ss%60 != 0 {
				t.Errorf("seed %d: default snapshot window %q is not 60 minutes on the hour", seed, sw)
			}
			if overlapsWeek(ss, sl, ws, wl) {
				t.Errorf("seed %d: default snapshot window %q overlaps maintenance window %q", seed, sw, mw)
			}
		}
	}
	if len(daysSeen) != 7 {
		t.Errorf("300 default windows fell on %d weekdays, want all 7", len(daysSeen))
	}
	if len(starts) < 10 {
		t.Errorf("300 default windows have only %d distinct start times", len(starts))
	}
}

// TestDefaultWindowsDeterministic: the same Seed gives the same defaults.
func TestDefaultWindowsDeterministic(t *testing.T) {
	pick := func() []string {
		svc, _ := newService(t, func(c *service.Config) { c.Seed = 7 })
		var out []string
		for i := 0; i < 5; i++ {
			c := mustCreate(t, svc, memcached(withID(fmt.Sprintf("m%d", i)), withNodes(2)))
			out = append(out, api.Deref(c.PreferredMaintenanceWindow)+" "+api.Deref(c.PreferredAvailabilityZone))
		}
		return out
	}
	a, b := pick(), pick()
	if strings.Join(a, ",") != strings.Join(b, ",") {
		t.Errorf("same seed, different defaults:\n%v\n%v", a, b)
	}
}

// TestDefaultMaintenanceWindowAvoidsGivenSnapshotWindow: when only the snapshot
// window is given, the window the service picks for maintenance must not
// collide with it; a valid request must never be refused by the service's own
// random choice.
func TestDefaultMaintenanceWindowAvoidsGivenSnapshotWindow(t *testing.T) {
	_, st := newService(t)
	n := 0
	for _, sw := range []string{"05:00-06:00", "03:00-11:00", "02:30-04:00", "10:00-10:30x"} {
		for seed := uint64(1); seed <= 60; seed++ {
			svc := newServiceOn(st, func(c *service.Config) { c.Seed = seed })
			n++
			out, err := svc.CreateCacheCluster(context.Background(), redis(withID(fmt.Sprintf("c%d", n)), withSnapWin(sw)))
			if strings.HasSuffix(sw, "x") {
				wantAPIError(t, err, codeIPV, 400, "") // malformed: still refused for its format
				continue
			}
			if sw == "03:00-11:00" {
				// The whole default block is taken: no default window fits; refusing is acceptable.
				if err != nil {
					wantAPIError(t, err, codeIPC, 400, msgOverlap)
				}
				continue
			}
			if err != nil {
				t.Fatalf("seed %d: SnapshotWindow %s without a maintenance window refused: %v", seed, sw, err)
			}
			c := out.CacheCluster
			ws, wl := parseWeekly(t, api.Deref(c.PreferredMaintenanceWindow))
			ss, sl := parseDaily(t, api.Deref(c.SnapshotWindow))
			if overlapsWeek(ss, sl, ws, wl) {
				t.Fatalf("seed %d: windows overlap: %s / %s", seed, api.Deref(c.PreferredMaintenanceWindow), api.Deref(c.SnapshotWindow))
			}
			if tod := ws % 1440; wl != 60 || tod < 3*60 || tod+wl > 11*60 {
				t.Fatalf("seed %d: default maintenance window %s outside the block", seed, api.Deref(c.PreferredMaintenanceWindow))
			}
		}
	}
}
