package sdk_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/elasticache/types"
	"github.com/aws/smithy-go"

	"github.com/cacheplane/cacheplane/internal/engine"
)

// Node address blocks of the parameter group tests.
const blockParamGroups = 71

// respConfigGet reads one parameter from a node with CONFIG GET over a raw
// RESP connection (the reply is an array of name and value).
func respConfigGet(t *testing.T, addr, name string) string {
	t.Helper()
	r := dialRESP(t, addr)
	cmd := fmt.Sprintf("*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$%d\r\n%s\r\n", len(name), name)
	if _, err := io.WriteString(r.c, cmd); err != nil {
		t.Fatal(err)
	}
	head, err := r.line()
	if err != nil || head != "*2" {
		t.Fatalf("CONFIG GET %s: reply %q, %v", name, head, err)
	}
	if k, err := r.reply(); err != nil || k != name {
		t.Fatalf("CONFIG GET %s: name %v, %v", name, k, err)
	}
	v, err := r.reply()
	if err != nil {
		t.Fatalf("CONFIG GET %s: %v", name, err)
	}
	s, _ := v.(string)
	return s
}

// memcachedSettings is a node's "stats settings".
func memcachedSettings(t *testing.T, addr string) map[string]string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "stats settings\r\n"); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	sc := bufio.NewScanner(c)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "END" {
			return out
		}
		if f := strings.SplitN(line, " ", 3); len(f) == 3 && f[0] == "STAT" {
			out[f[1]] = f[2]
		}
	}
	t.Fatalf("stats settings on %s: %v", addr, sc.Err())
	return nil
}

// wantCode checks the wire code of an SDK error.
func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code {
		t.Errorf("%s: %v, want %s", what, err, code)
	}
}

// eventually polls cond for up to 20 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestParameterGroupConfiguresRedis(t *testing.T) {
	requireEngines(t, engine.Redis)
	t.Parallel()
	e := newEnv(t, blockParamGroups)
	s := e.start()
	ctx := testCtx(t)
	c := s.client

	created, err := c.CreateCacheParameterGroup(ctx, &elasticache.CreateCacheParameterGroupInput{
		CacheParameterGroupName: aws.String("SDK-Params"), CacheParameterGroupFamily: aws.String("redis7"),
		Description: aws.String("set by the sdk suite"), Tags: []types.Tag{{Key: aws.String("suite"), Value: aws.String("sdk")}},
	})
	if err != nil {
		t.Fatalf("CreateCacheParameterGroup: %v", err)
	}
	if g := created.CacheParameterGroup; aws.ToString(g.CacheParameterGroupName) != "sdk-params" || aws.ToString(g.ARN) != "arn:aws:elasticache:us-east-1:000000000000:parametergroup:sdk-params" {
		t.Errorf("created %+v", g)
	}
	if _, err := c.ModifyCacheParameterGroup(ctx, &elasticache.ModifyCacheParameterGroupInput{
		CacheParameterGroupName: aws.String("sdk-params"),
		ParameterNameValues:     []types.ParameterNameValue{{ParameterName: aws.String("maxmemory-policy"), ParameterValue: aws.String("allkeys-lru")}},
	}); err != nil {
		t.Fatalf("ModifyCacheParameterGroup: %v", err)
	}
	// The paginator walks every parameter; the changed one says so.
	pages := elasticache.NewDescribeCacheParametersPaginator(c, &elasticache.DescribeCacheParametersInput{CacheParameterGroupName: aws.String("sdk-params"), MaxRecords: aws.Int32(20)})
	var params []types.Parameter
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			t.Fatalf("DescribeCacheParameters: %v", err)
		}
		params = append(params, page.Parameters...)
	}
	if len(params) != len(engine.FamilyParameters("redis7")) {
		t.Errorf("%d parameters, the family has %d", len(params), len(engine.FamilyParameters("redis7")))
	}
	for _, p := range params {
		if aws.ToString(p.ParameterName) == "maxmemory-policy" && (aws.ToString(p.ParameterValue) != "allkeys-lru" || p.ChangeType != types.ChangeTypeImmediate) {
			t.Errorf("maxmemory-policy: %+v", p)
		}
	}

	port := freePort(t)
	if _, err := c.CreateCacheCluster(ctx, &elasticache.CreateCacheClusterInput{
		CacheClusterId: aws.String("pg-redis"), Engine: aws.String("redis"), CacheNodeType: aws.String("cache.t3.micro"),
		Port: aws.Int32(port), CacheParameterGroupName: aws.String("SDK-PARAMS"),
	}); err != nil {
		t.Fatalf("CreateCacheCluster: %v", err)
	}
	waitAvailable(t, ctx, c, "pg-redis")
	cl := describeOne(t, ctx, c, "pg-redis")
	if g := cl.CacheParameterGroup; aws.ToString(g.CacheParameterGroupName) != "sdk-params" || aws.ToString(g.ParameterApplyStatus) != "in-sync" {
		t.Errorf("cluster parameter group %+v", g)
	}
	addr := endpointOf(cl.CacheNodes[0].Endpoint)
	if got := respConfigGet(t, addr, "maxmemory-policy"); got != "allkeys-lru" {
		t.Fatalf("CONFIG GET maxmemory-policy = %q, want allkeys-lru", got)
	}
	if got := respConfigGet(t, addr, "maxmemory"); got != "402653184" {
		t.Errorf("maxmemory = %s, want the node type's 402653184", got)
	}
	pid := nodePIDs(t, s.st, "pg-redis")["0001"]

	// An immediate parameter changes on the running node, without a restart.
	if _, err := c.ModifyCacheParameterGroup(ctx, &elasticache.ModifyCacheParameterGroupInput{
		CacheParameterGroupName: aws.String("sdk-params"),
		ParameterNameValues: []types.ParameterNameValue{
			{ParameterName: aws.String("maxmemory-policy"), ParameterValue: aws.String("volatile-lru")},
			{ParameterName: aws.String("reserved-memory-percent"), ParameterValue: aws.String("50")},
		},
	}); err != nil {
		t.Fatalf("ModifyCacheParameterGroup: %v", err)
	}
	eventually(t, "the new policy on the node", func() bool { return respConfigGet(t, addr, "maxmemory-policy") == "volatile-lru" })
	eventually(t, "maxmemory following reserved-memory-percent", func() bool { return respConfigGet(t, addr, "maxmemory") == "268435456" })
	if now := nodePIDs(t, s.st, "pg-redis")["0001"]; now != pid || !alive(pid) {
		t.Errorf("the node restarted for an immediate change: pid %d -> %d", pid, now)
	}
	if g := describeOne(t, ctx, c, "pg-redis").CacheParameterGroup; aws.ToString(g.ParameterApplyStatus) != "in-sync" || len(g.CacheNodeIdsToReboot) != 0 {
		t.Errorf("after a live change: %+v", g)
	}

	// The AWS faults of the rules.
	_, err = c.ModifyCacheParameterGroup(ctx, &elasticache.ModifyCacheParameterGroupInput{
		CacheParameterGroupName: aws.String("sdk-params"),
		ParameterNameValues:     []types.ParameterNameValue{{ParameterName: aws.String("databases"), ParameterValue: aws.String("32")}},
	})
	wantCode(t, "databases in a group in use", err, "InvalidParameterValue")
	_, err = c.ModifyCacheParameterGroup(ctx, &elasticache.ModifyCacheParameterGroupInput{
		CacheParameterGroupName: aws.String("default.redis7"),
		ParameterNameValues:     []types.ParameterNameValue{{ParameterName: aws.String("timeout"), ParameterValue: aws.String("60")}},
	})
	wantCode(t, "modify of a default group", err, "InvalidCacheParameterGroupState")
	_, err = c.DeleteCacheParameterGroup(ctx, &elasticache.DeleteCacheParameterGroupInput{CacheParameterGroupName: aws.String("sdk-params")})
	wantCode(t, "delete of a group in use", err, "InvalidCacheParameterGroupState")
	_, err = c.DescribeCacheParameters(ctx, &elasticache.DescribeCacheParametersInput{CacheParameterGroupName: aws.String("nope")})
	var nf *types.CacheParameterGroupNotFoundFault
	if !errors.As(err, &nf) {
		t.Errorf("unknown group: %v, want CacheParameterGroupNotFoundFault", err)
	}
	_, err = c.CreateCacheParameterGroup(ctx, &elasticache.CreateCacheParameterGroupInput{
		CacheParameterGroupName: aws.String("sdk-params"), CacheParameterGroupFamily: aws.String("redis7"), Description: aws.String("again"),
	})
	var exists *types.CacheParameterGroupAlreadyExistsFault
	if !errors.As(err, &exists) {
		t.Errorf("second create: %v, want CacheParameterGroupAlreadyExistsFault", err)
	}
	_, err = c.CreateCacheCluster(ctx, &elasticache.CreateCacheClusterInput{
		CacheClusterId: aws.String("pg-wrong"), Engine: aws.String("redis"), EngineVersion: aws.String("6.2"),
		CacheNodeType: aws.String("cache.t3.micro"), CacheParameterGroupName: aws.String("sdk-params"),
	})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "InvalidParameterCombination" || !strings.Contains(ae.ErrorMessage(), "Expected a parameter group of family redis6.x but found one of family redis7") {
		t.Errorf("family mismatch: %v", err)
	}

	deleteAndWait(t, ctx, e, s, "pg-redis")
	if _, err := c.DeleteCacheParameterGroup(ctx, &elasticache.DeleteCacheParameterGroupInput{CacheParameterGroupName: aws.String("sdk-params")}); err != nil {
		t.Errorf("delete after the cluster is gone: %v", err)
	}
}

func TestParameterGroupPendingRebootOnMemcached(t *testing.T) {
	requireEngines(t, engine.Memcached)
	t.Parallel()
	e := newEnv(t, blockParamGroups+1)
	s := e.start()
	ctx := testCtx(t)
	c := s.client

	if _, err := c.CreateCacheParameterGroup(ctx, &elasticache.CreateCacheParameterGroupInput{
		CacheParameterGroupName: aws.String("mem-params"), CacheParameterGroupFamily: aws.String("memcached1.6"), Description: aws.String("memcached"),
	}); err != nil {
		t.Fatal(err)
	}
	defaults, err := c.DescribeEngineDefaultParameters(ctx, &elasticache.DescribeEngineDefaultParametersInput{CacheParameterGroupFamily: aws.String("memcached1.6")})
	if err != nil || len(defaults.EngineDefaults.CacheNodeTypeSpecificParameters) == 0 {
		t.Fatalf("DescribeEngineDefaultParameters: %+v %v", defaults, err)
	}
	if _, err := c.CreateCacheCluster(ctx, &elasticache.CreateCacheClusterInput{
		CacheClusterId: aws.String("pg-mem"), Engine: aws.String("memcached"), CacheNodeType: aws.String("cache.t3.micro"),
		NumCacheNodes: aws.Int32(1), Port: aws.Int32(freePort(t)), CacheParameterGroupName: aws.String("mem-params"),
	}); err != nil {
		t.Fatal(err)
	}
	waitAvailable(t, ctx, c, "pg-mem")
	addr := endpointOf(describeOne(t, ctx, c, "pg-mem").CacheNodes[0].Endpoint)
	if st := memcachedSettings(t, addr); st["item_size_max"] != "1048576" || st["hash_algorithm"] != "jenkins" {
		t.Errorf("defaults: item_size_max %s hash_algorithm %s", st["item_size_max"], st["hash_algorithm"])
	}
	pid := nodePIDs(t, s.st, "pg-mem")["0001"]

	if _, err := c.ModifyCacheParameterGroup(ctx, &elasticache.ModifyCacheParameterGroupInput{
		CacheParameterGroupName: aws.String("mem-params"),
		ParameterNameValues:     []types.ParameterNameValue{{ParameterName: aws.String("max_item_size"), ParameterValue: aws.String("2097152")}},
	}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "pending-reboot", func() bool {
		return aws.ToString(describeOne(t, ctx, c, "pg-mem").CacheParameterGroup.ParameterApplyStatus) == "pending-reboot"
	})
	cl := describeOne(t, ctx, c, "pg-mem")
	if got := cl.CacheParameterGroup.CacheNodeIdsToReboot; len(got) != 1 || got[0] != "0001" || aws.ToString(cl.CacheNodes[0].ParameterGroupStatus) != "pending-reboot" {
		t.Errorf("pending: %+v, node %s", cl.CacheParameterGroup, aws.ToString(cl.CacheNodes[0].ParameterGroupStatus))
	}
	if st := memcachedSettings(t, addr); st["item_size_max"] != "1048576" || nodePIDs(t, s.st, "pg-mem")["0001"] != pid {
		t.Errorf("a requires-reboot change reached the running node: item_size_max %s", st["item_size_max"])
	}

	// A restart (the node dies and is replaced) applies it.
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	eventually(t, "in-sync after the restart", func() bool {
		cl := describeOne(t, ctx, c, "pg-mem")
		return aws.ToString(cl.CacheParameterGroup.ParameterApplyStatus) == "in-sync" && nodePIDs(t, s.st, "pg-mem")["0001"] != pid
	})
	waitAvailable(t, ctx, c, "pg-mem")
	if st := memcachedSettings(t, addr); st["item_size_max"] != "2097152" {
		t.Errorf("after the restart item_size_max = %s", st["item_size_max"])
	}

	deleteAndWait(t, ctx, e, s, "pg-mem")
	if _, err := c.DeleteCacheParameterGroup(context.Background(), &elasticache.DeleteCacheParameterGroupInput{CacheParameterGroupName: aws.String("mem-params")}); err != nil {
		t.Errorf("DeleteCacheParameterGroup: %v", err)
	}
}
