package sdk_test

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/elasticache/types"
	"github.com/aws/smithy-go"

	"github.com/cacheplane/cacheplane/internal/engine"
)

// Node address blocks 127.78.<block>.0/24, one per test.
const (
	blockRedis = 1 + iota
	blockMemcached
	blockErrors
	blockRestart
)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func endpointOf(e *types.Endpoint) string {
	return net.JoinHostPort(aws.ToString(e.Address), strconv.Itoa(int(aws.ToInt32(e.Port))))
}

// describeOne describes one cluster with node info.
func describeOne(t *testing.T, ctx context.Context, c *elasticache.Client, id string) types.CacheCluster {
	t.Helper()
	out, err := c.DescribeCacheClusters(ctx, &elasticache.DescribeCacheClustersInput{CacheClusterId: aws.String(id), ShowCacheNodeInfo: aws.Bool(true)})
	if err != nil {
		t.Fatalf("DescribeCacheClusters(%s): %v", id, err)
	}
	if len(out.CacheClusters) != 1 {
		t.Fatalf("DescribeCacheClusters(%s) returned %d clusters", id, len(out.CacheClusters))
	}
	return out.CacheClusters[0]
}

func waitAvailable(t *testing.T, ctx context.Context, c *elasticache.Client, id string) {
	t.Helper()
	w := elasticache.NewCacheClusterAvailableWaiter(c, availableOpts)
	if err := w.Wait(ctx, &elasticache.DescribeCacheClustersInput{CacheClusterId: aws.String(id)}, 60*time.Second); err != nil {
		t.Fatalf("CacheClusterAvailable waiter for %s: %v", id, err)
	}
}

// deleteAndWait deletes the cluster, waits with the SDK's CacheClusterDeleted
// waiter, and checks that its processes and node directories are gone.
func deleteAndWait(t *testing.T, ctx context.Context, e *env, s *server, id string) {
	t.Helper()
	pids := nodePIDs(t, s.st, id)
	out, err := s.client.DeleteCacheCluster(ctx, &elasticache.DeleteCacheClusterInput{CacheClusterId: aws.String(strings.ToUpper(id))})
	if err != nil {
		t.Fatalf("DeleteCacheCluster(%s): %v", id, err)
	}
	if got := aws.ToString(out.CacheCluster.CacheClusterStatus); got != "deleting" {
		t.Errorf("DeleteCacheCluster status = %q, want deleting", got)
	}
	w := elasticache.NewCacheClusterDeletedWaiter(s.client, deletedOpts)
	if err := w.Wait(ctx, &elasticache.DescribeCacheClustersInput{CacheClusterId: aws.String(id)}, 60*time.Second); err != nil {
		t.Fatalf("CacheClusterDeleted waiter for %s: %v", id, err)
	}
	if len(pids) == 0 {
		t.Errorf("no node PIDs were recorded for %s", id)
	}
	for node, pid := range pids {
		if pid == 0 {
			t.Errorf("node %s/%s has no PID", id, node)
		} else if alive(pid) {
			t.Errorf("node %s/%s (pid %d) still runs after the delete", id, node, pid)
		}
	}
	if _, err := os.Stat(filepath.Join(e.dataDir, "nodes", id)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("node directory of %s still exists (stat: %v)", id, err)
	}
	if left := enginePIDs(filepath.Join(e.dataDir, "nodes", id)); len(left) > 0 {
		t.Errorf("processes of %s survive: %v", id, left)
	}
}

func TestRedisRoundTrip(t *testing.T) {
	requireEngines(t, engine.Redis)
	t.Parallel()
	e := newEnv(t, blockRedis)
	s := e.start()
	ctx := testCtx(t)
	port := freePort(t)

	created, err := s.client.CreateCacheCluster(ctx, &elasticache.CreateCacheClusterInput{
		CacheClusterId: aws.String("SDK-Redis"),
		Engine:         aws.String("redis"),
		CacheNodeType:  aws.String("cache.t3.micro"),
		NumCacheNodes:  aws.Int32(1),
		Port:           aws.Int32(port),
		Tags:           []types.Tag{{Key: aws.String("suite"), Value: aws.String("e2e-sdk")}},
	})
	if err != nil {
		t.Fatalf("CreateCacheCluster: %v", err)
	}
	cc := created.CacheCluster
	if aws.ToString(cc.CacheClusterId) != "sdk-redis" || aws.ToString(cc.CacheClusterStatus) != "creating" {
		t.Errorf("create answered %s %s, want sdk-redis creating", aws.ToString(cc.CacheClusterId), aws.ToString(cc.CacheClusterStatus))
	}
	if aws.ToString(cc.EngineVersion) == "" || aws.ToString(cc.CacheParameterGroup.CacheParameterGroupName) != "default.redis7" {
		t.Errorf("create defaults: version %q, parameter group %q", aws.ToString(cc.EngineVersion), aws.ToString(cc.CacheParameterGroup.CacheParameterGroupName))
	}

	waitAvailable(t, ctx, s.client, "sdk-redis")

	// Creating it again is refused with the typed fault.
	_, err = s.client.CreateCacheCluster(ctx, &elasticache.CreateCacheClusterInput{
		CacheClusterId: aws.String("sdk-redis"), Engine: aws.String("redis"), CacheNodeType: aws.String("cache.t3.micro"),
	})
	var exists *types.CacheClusterAlreadyExistsFault
	if !errors.As(err, &exists) {
		t.Errorf("second create: %v, want CacheClusterAlreadyExistsFault", err)
	}

	c := describeOne(t, ctx, s.client, "SDK-REDIS")
	if aws.ToString(c.CacheClusterStatus) != "available" || len(c.CacheNodes) != 1 {
		t.Fatalf("describe: status %s, %d nodes", aws.ToString(c.CacheClusterStatus), len(c.CacheNodes))
	}
	n := c.CacheNodes[0]
	if aws.ToString(n.CacheNodeId) != "0001" || aws.ToString(n.CacheNodeStatus) != "available" || n.Endpoint == nil {
		t.Fatalf("node: %+v", n)
	}
	if aws.ToInt32(n.Endpoint.Port) != port {
		t.Errorf("node port %d, want %d", aws.ToInt32(n.Endpoint.Port), port)
	}
	addr, err := netip.ParseAddr(aws.ToString(n.Endpoint.Address))
	if err != nil || addr.Compare(e.first) < 0 || addr.Compare(e.last) > 0 {
		t.Errorf("node address %s is outside the test's range %s-%s", aws.ToString(n.Endpoint.Address), e.first, e.last)
	}
	if aws.ToString(n.CustomerAvailabilityZone) != aws.ToString(c.PreferredAvailabilityZone) {
		t.Errorf("node zone %s, cluster zone %s", aws.ToString(n.CustomerAvailabilityZone), aws.ToString(c.PreferredAvailabilityZone))
	}

	r := dialRESP(t, endpointOf(n.Endpoint))
	if got, err := r.do("PING"); err != nil || got != "PONG" {
		t.Fatalf("PING = %v, %v", got, err)
	}
	if got, err := r.do("SET", "greeting", "hello from the sdk"); err != nil || got != "OK" {
		t.Fatalf("SET = %v, %v", got, err)
	}
	if got, err := r.do("GET", "greeting"); err != nil || got != "hello from the sdk" {
		t.Fatalf("GET = %v, %v", got, err)
	}
	if got, err := r.do("GET", "absent"); err != nil || got != nil {
		t.Fatalf("GET absent = %v, %v", got, err)
	}

	tags, err := s.client.ListTagsForResource(ctx, &elasticache.ListTagsForResourceInput{ResourceName: c.ARN})
	if err != nil || len(tags.TagList) != 1 || aws.ToString(tags.TagList[0].Key) != "suite" {
		t.Errorf("ListTagsForResource = %+v, %v", tags, err)
	}

	deleteAndWait(t, ctx, e, s, "sdk-redis")
}

func TestMemcachedThreeNodes(t *testing.T) {
	requireEngines(t, engine.Memcached)
	t.Parallel()
	e := newEnv(t, blockMemcached)
	s := e.start()
	ctx := testCtx(t)
	port := freePort(t)

	_, err := s.client.CreateCacheCluster(ctx, &elasticache.CreateCacheClusterInput{
		CacheClusterId: aws.String("sdk-mem"),
		Engine:         aws.String("memcached"),
		CacheNodeType:  aws.String("cache.t3.micro"),
		NumCacheNodes:  aws.Int32(3),
		AZMode:         types.AZModeCrossAz,
		Port:           aws.Int32(port),
	})
	if err != nil {
		t.Fatalf("CreateCacheCluster: %v", err)
	}
	waitAvailable(t, ctx, s.client, "sdk-mem")

	c := describeOne(t, ctx, s.client, "sdk-mem")
	if len(c.CacheNodes) != 3 {
		t.Fatalf("%d nodes, want 3", len(c.CacheNodes))
	}
	if c.ConfigurationEndpoint == nil || aws.ToString(c.ConfigurationEndpoint.Address) == "" || aws.ToInt32(c.ConfigurationEndpoint.Port) != port {
		t.Fatalf("ConfigurationEndpoint = %+v", c.ConfigurationEndpoint)
	}
	if aws.ToString(c.PreferredAvailabilityZone) != "Multiple" {
		t.Errorf("cross-az cluster zone %q, want Multiple", aws.ToString(c.PreferredAvailabilityZone))
	}
	seen := map[string]bool{}
	for i, n := range c.CacheNodes {
		if want := "000" + strconv.Itoa(i+1); aws.ToString(n.CacheNodeId) != want {
			t.Errorf("node %d id %s, want %s", i, aws.ToString(n.CacheNodeId), want)
		}
		ep := endpointOf(n.Endpoint)
		if seen[ep] {
			t.Errorf("two nodes share endpoint %s", ep)
		}
		seen[ep] = true
		if v := memcachedCmd(t, ep, "version"); !strings.HasPrefix(v, "VERSION ") {
			t.Errorf("node %s answers %q to version", ep, v)
		}
	}
	// The configuration endpoint reaches a node too.
	cfgEP := endpointOf(c.ConfigurationEndpoint)
	if v := memcachedCmd(t, cfgEP, "version"); !strings.HasPrefix(v, "VERSION ") {
		t.Errorf("configuration endpoint %s answers %q", cfgEP, v)
	}
	// Each node is its own cache.
	first := endpointOf(c.CacheNodes[0].Endpoint)
	if got := memcachedCmd(t, first, "set k 0 0 2\r\nhi"); got != "STORED" {
		t.Errorf("set on %s: %q", first, got)
	}
	if got := memcachedCmd(t, endpointOf(c.CacheNodes[1].Endpoint), "get k"); got != "END" {
		t.Errorf("node 0002 sees node 0001's key: %q", got)
	}

	deleteAndWait(t, ctx, e, s, "sdk-mem")
}

// TestTypedErrors: the SDK maps every fault to its typed exception.
func TestTypedErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, blockErrors)
	s := e.start()
	ctx := testCtx(t)
	c := s.client
	create := func(mod func(*elasticache.CreateCacheClusterInput)) error {
		in := &elasticache.CreateCacheClusterInput{CacheClusterId: aws.String("typed"), Engine: aws.String("redis"), CacheNodeType: aws.String("cache.t3.micro")}
		mod(in)
		_, err := c.CreateCacheCluster(ctx, in)
		return err
	}
	check := func(name string, err error, target any, code, msg string) {
		t.Helper()
		if err == nil {
			t.Errorf("%s: accepted", name)
			return
		}
		if !errors.As(err, target) {
			t.Errorf("%s: %v (%T), want %T", name, err, err, target)
		}
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != code || ae.ErrorFault() != smithy.FaultClient || !strings.Contains(ae.ErrorMessage(), msg) {
			t.Errorf("%s: API error %v, want client fault %s containing %q", name, err, code, msg)
		}
	}

	_, err := c.DescribeCacheClusters(ctx, &elasticache.DescribeCacheClustersInput{CacheClusterId: aws.String("No-Such")})
	check("describe missing", err, new(*types.CacheClusterNotFoundFault), "CacheClusterNotFound", "CacheCluster not found: no-such")
	_, err = c.DeleteCacheCluster(ctx, &elasticache.DeleteCacheClusterInput{CacheClusterId: aws.String("no-such")})
	check("delete missing", err, new(*types.CacheClusterNotFoundFault), "CacheClusterNotFound", "CacheCluster not found: no-such")

	check("redis with 2 nodes", create(func(in *elasticache.CreateCacheClusterInput) { in.NumCacheNodes = aws.Int32(2) }),
		new(*types.InvalidParameterValueException), "InvalidParameterValue", "Cannot create a Redis cluster with a NumCacheNodes parameter greater than 1.")
	check("bad identifier", create(func(in *elasticache.CreateCacheClusterInput) { in.CacheClusterId = aws.String("bad--id") }),
		new(*types.InvalidParameterValueException), "InvalidParameterValue", "is not a valid identifier")
	check("redis with TLS", create(func(in *elasticache.CreateCacheClusterInput) { in.TransitEncryptionEnabled = aws.Bool(true) }),
		new(*types.InvalidParameterCombinationException), "InvalidParameterCombination", "Encryption feature is not supported for engine REDIS.")
	check("unknown version", create(func(in *elasticache.CreateCacheClusterInput) { in.EngineVersion = aws.String("9.9") }),
		new(*types.InvalidParameterCombinationException), "InvalidParameterCombination", "Cannot find version 9.9 for redis")
	check("cluster-mode parameter group", create(func(in *elasticache.CreateCacheClusterInput) {
		in.CacheParameterGroupName = aws.String("default.redis7.cluster.on")
	}),
		new(*types.InvalidParameterCombinationException), "InvalidParameterCombination", "Cluster mode should be disabled in parameter group, but found it is enabled.")
	check("unknown parameter group", create(func(in *elasticache.CreateCacheClusterInput) { in.CacheParameterGroupName = aws.String("mine") }),
		new(*types.CacheParameterGroupNotFoundFault), "CacheParameterGroupNotFound", "mine")
	check("unknown subnet group", create(func(in *elasticache.CreateCacheClusterInput) { in.CacheSubnetGroupName = aws.String("mine") }),
		new(*types.CacheSubnetGroupNotFoundFault), "CacheSubnetGroupNotFoundFault", "mine")
	check("unknown security group", create(func(in *elasticache.CreateCacheClusterInput) { in.CacheSecurityGroupNames = []string{"web"} }),
		new(*types.CacheSecurityGroupNotFoundFault), "CacheSecurityGroupNotFound", "web")
	check("51 tags", create(func(in *elasticache.CreateCacheClusterInput) {
		for i := 0; i < 51; i++ {
			in.Tags = append(in.Tags, types.Tag{Key: aws.String("k" + strconv.Itoa(i)), Value: aws.String("v")})
		}
	}), new(*types.TagQuotaPerResourceExceeded), "TagQuotaPerResourceExceeded", "")
	check("41 memcached nodes", create(func(in *elasticache.CreateCacheClusterInput) {
		in.Engine, in.NumCacheNodes = aws.String("memcached"), aws.Int32(41)
	}), new(*types.NodeQuotaForClusterExceededFault), "NodeQuotaForClusterExceeded", "")
	_, err = c.DescribeCacheClusters(ctx, &elasticache.DescribeCacheClustersInput{MaxRecords: aws.Int32(19)})
	check("MaxRecords 19", err, new(*types.InvalidParameterValueException), "InvalidParameterValue", "MaxRecords")

	// Refused requests leave nothing behind, and the paginator sees an empty account.
	p := elasticache.NewDescribeCacheClustersPaginator(c, &elasticache.DescribeCacheClustersInput{MaxRecords: aws.Int32(20)})
	pages := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(page.CacheClusters) != 0 {
			t.Errorf("refused creates left clusters: %d", len(page.CacheClusters))
		}
	}
	if pages != 1 {
		t.Errorf("%d pages for an empty account", pages)
	}
	if left := enginePIDs(e.dataDir); len(left) > 0 {
		t.Errorf("refused creates started processes: %v", left)
	}
}

// TestRestartAdoptsRunningNodes: a server shut down without stopping its nodes
// leaves them running; a fresh server over the same data directory describes
// the cluster as available, re-adopts the same redis process (no restart) and
// the data is still there.
func TestRestartAdoptsRunningNodes(t *testing.T) {
	requireEngines(t, engine.Redis)
	t.Parallel()
	e := newEnv(t, blockRestart)
	s1 := e.start()
	ctx := testCtx(t)

	_, err := s1.client.CreateCacheCluster(ctx, &elasticache.CreateCacheClusterInput{
		CacheClusterId: aws.String("survivor"), Engine: aws.String("redis"), CacheNodeType: aws.String("cache.t3.micro"),
		Port: aws.Int32(freePort(t)),
	})
	if err != nil {
		t.Fatalf("CreateCacheCluster: %v", err)
	}
	waitAvailable(t, ctx, s1.client, "survivor")
	c := describeOne(t, ctx, s1.client, "survivor")
	ep := endpointOf(c.CacheNodes[0].Endpoint)
	r := dialRESP(t, ep)
	if got, err := r.do("SET", "survives", "the restart"); err != nil || got != "OK" {
		t.Fatalf("SET = %v, %v", got, err)
	}
	pid := nodePIDs(t, s1.st, "survivor")["0001"]
	if pid == 0 || !alive(pid) {
		t.Fatalf("node pid %d is not running", pid)
	}

	e.shutdown(s1)
	if !alive(pid) {
		t.Fatalf("shutting the server down stopped node pid %d", pid)
	}
	if got, err := r.do("PING"); err != nil || got != "PONG" {
		t.Fatalf("PING while no control plane runs = %v, %v", got, err)
	}

	s2 := e.start()
	c = describeOne(t, ctx, s2.client, "survivor")
	if aws.ToString(c.CacheClusterStatus) != "available" {
		t.Errorf("after restart the cluster is %s, want available", aws.ToString(c.CacheClusterStatus))
	}
	if len(c.CacheNodes) != 1 || endpointOf(c.CacheNodes[0].Endpoint) != ep {
		t.Errorf("after restart nodes = %+v, want the endpoint %s", c.CacheNodes, ep)
	}

	// The new reconciler re-adopts the running process.
	deadline := time.Now().Add(20 * time.Second)
	for {
		var adopted bool
		for _, rec := range e.logLines("node serving") {
			if rec["node"] == "survivor/0001" && rec["adopted"] == true {
				if got, _ := rec["pid"].(float64); int(got) != pid {
					t.Fatalf("the new server serves pid %v, want the old %d", rec["pid"], pid)
				}
				adopted = true
			}
		}
		if adopted {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the restarted server never reported adopting survivor/0001 (pid %d)", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
	st, err := s2.drv.Inspect(ctx, "survivor/0001")
	if err != nil || !st.Running || st.PID != pid || !st.Adopted {
		t.Errorf("driver after restart: %+v, %v; want running, adopted pid %d", st, err, pid)
	}
	if got := nodePIDs(t, s2.st, "survivor")["0001"]; got != pid {
		t.Errorf("store records pid %d after restart, want %d", got, pid)
	}
	waitAvailable(t, ctx, s2.client, "survivor")
	if left := enginePIDs(e.dataDir); len(left) != 1 || left[0] != pid {
		t.Errorf("engine processes after restart: %v, want only %d", left, pid)
	}

	r2 := dialRESP(t, ep)
	if got, err := r2.do("GET", "survives"); err != nil || got != "the restart" {
		t.Errorf("GET after restart = %v, %v", got, err)
	}

	deleteAndWait(t, ctx, e, s2, "survivor")
}
