package service_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/cacheplane/cacheplane/internal/api"
	"github.com/cacheplane/cacheplane/internal/model"
	"github.com/cacheplane/cacheplane/internal/service"
	"github.com/cacheplane/cacheplane/internal/store"
)

func describe(t *testing.T, svcDescribe func(context.Context, *api.DescribeCacheClustersMessage) (*api.CacheClusterMessage, error), in *api.DescribeCacheClustersMessage) *api.CacheClusterMessage {
	t.Helper()
	out, err := svcDescribe(context.Background(), in)
	if err != nil {
		t.Fatalf("DescribeCacheClusters: %v", err)
	}
	return out
}

func TestDescribeCacheClustersNotFound(t *testing.T) {
	svc, _ := newService(t)
	mustCreate(t, svc, redis(withID("present")))
	for _, id := range []string{"absent", "Absent", "present-2", ""} {
		_, err := svc.DescribeCacheClusters(context.Background(), &api.DescribeCacheClustersMessage{CacheClusterId: api.String(id)})
		if id == "" {
			// An empty id names no cluster either.
			wantAPIError(t, err, "CacheClusterNotFound", 404, "CacheCluster not found")
			continue
		}
		wantAPIError(t, err, "CacheClusterNotFound", 404, "CacheCluster not found: "+lower(id))
	}
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

func TestDescribeCacheClustersCaseInsensitive(t *testing.T) {
	svc, _ := newService(t)
	mustCreate(t, svc, redis(withID("MyCluster")))
	for _, id := range []string{"mycluster", "MyCluster", "MYCLUSTER"} {
		out := describe(t, svc.DescribeCacheClusters, &api.DescribeCacheClustersMessage{CacheClusterId: api.String(id)})
		if len(out.CacheClusters) != 1 || api.Deref(out.CacheClusters[0].CacheClusterId) != "mycluster" {
			t.Errorf("Describe(%s) = %+v, want mycluster", id, out.CacheClusters)
		}
		if out.Marker != nil {
			t.Errorf("Describe(%s) has a Marker", id)
		}
	}
}

func TestDescribeCacheClustersMaxRecords(t *testing.T) {
	svc, _ := newService(t)
	mustCreate(t, svc, redis())
	for _, tc := range []struct {
		n  int32
		ok bool
	}{{19, false}, {101, false}, {0, false}, {-1, false}, {20, true}, {100, true}, {57, true}} {
		_, err := svc.DescribeCacheClusters(context.Background(), &api.DescribeCacheClustersMessage{MaxRecords: api.Int32(tc.n)})
		if tc.ok {
			if err != nil {
				t.Errorf("MaxRecords %d: %v", tc.n, err)
			}
			continue
		}
		wantAPIError(t, err, "InvalidParameterValue", 400, "MaxRecords")
		// The rule holds with an id too.
		_, err = svc.DescribeCacheClusters(context.Background(), &api.DescribeCacheClustersMessage{CacheClusterId: api.String("c1"), MaxRecords: api.Int32(tc.n)})
		wantAPIError(t, err, "InvalidParameterValue", 400, "MaxRecords")
	}
}

func TestDescribeCacheClustersPaging(t *testing.T) {
	svc, _ := newService(t)
	var want []string
	for i := 0; i < 45; i++ {
		// Created out of order and in mixed case; listed in id order.
		id := fmt.Sprintf("Cluster-%02d", (i*17)%45)
		mustCreate(t, svc, redis(withID(id)))
		want = append(want, lower(id))
	}
	slices.Sort(want)

	var got []string
	var sizes []int
	var marker *string
	for page := 0; ; page++ {
		if page > 5 {
			t.Fatal("paging does not end")
		}
		out := describe(t, svc.DescribeCacheClusters, &api.DescribeCacheClustersMessage{MaxRecords: api.Int32(20), Marker: marker})
		sizes = append(sizes, len(out.CacheClusters))
		for _, c := range out.CacheClusters {
			got = append(got, api.Deref(c.CacheClusterId))
		}
		if out.Marker == nil {
			break
		}
		if *out.Marker == "" {
			t.Fatal("empty Marker on a page that is not the last")
		}
		marker = out.Marker
	}
	if !slices.Equal(sizes, []int{20, 20, 5}) {
		t.Errorf("page sizes = %v, want [20 20 5]", sizes)
	}
	if !slices.Equal(got, want) {
		t.Errorf("paged ids (%d) differ from the created ones (%d):\n got %v\nwant %v", len(got), len(want), got, want)
	}
	dup := map[string]bool{}
	for _, id := range got {
		if dup[id] {
			t.Errorf("id %s listed twice", id)
		}
		dup[id] = true
	}

	// Exactly MaxRecords clusters left: the page is full and no Marker follows.
	out := describe(t, svc.DescribeCacheClusters, &api.DescribeCacheClustersMessage{MaxRecords: api.Int32(25), Marker: api.String(want[19])})
	if len(out.CacheClusters) != 25 || out.Marker != nil {
		t.Errorf("last full page: %d clusters, marker %v; want 25 and none", len(out.CacheClusters), out.Marker)
	}
	// Default page size is 100: everything, no Marker.
	out = describe(t, svc.DescribeCacheClusters, &api.DescribeCacheClustersMessage{})
	if len(out.CacheClusters) != 45 || out.Marker != nil {
		t.Errorf("default page: %d clusters, marker %v", len(out.CacheClusters), out.Marker)
	}
}

func TestDescribeCacheClustersEmpty(t *testing.T) {
	svc, _ := newService(t)
	out := describe(t, svc.DescribeCacheClusters, &api.DescribeCacheClustersMessage{})
	if out.CacheClusters == nil || len(out.CacheClusters) != 0 || out.Marker != nil {
		t.Errorf("empty describe = %+v, want an empty (non-nil) list and no marker", out)
	}
}

func TestDescribeCacheClustersShowCacheNodeInfo(t *testing.T) {
	svc, st := newService(t)
	mustCreate(t, svc, memcached(withID("m"), withNodes(3), withAZs("us-east-1a", "us-east-1b", "us-east-1c")))
	mustCreate(t, svc, redis(withID("r")))

	get := func(id string, show *bool) *api.CacheCluster {
		out := describe(t, svc.DescribeCacheClusters, &api.DescribeCacheClustersMessage{CacheClusterId: api.String(id), ShowCacheNodeInfo: show})
		return &out.CacheClusters[0]
	}
	// While creating, node details are not shown even when asked for (§9.2).
	if c := get("m", api.Bool(true)); c.CacheNodes != nil {
		t.Errorf("creating cluster shows CacheNodes: %+v", c.CacheNodes)
	}
	setStatus(t, st, "m", model.StatusAvailable, "")
	setStatus(t, st, "r", model.StatusAvailable, "")

	for _, show := range []*bool{nil, api.Bool(false)} {
		if c := get("m", show); c.CacheNodes != nil {
			t.Errorf("ShowCacheNodeInfo=%v shows CacheNodes", show)
		}
	}
	var spec model.ClusterSpec
	_ = st.View(func(tx *store.Tx) error { c, _ := tx.Cluster("m"); spec = c.Spec; return nil })
	c := get("m", api.Bool(true))
	wantField(t, "status", api.Deref(c.CacheClusterStatus), "available")
	if len(c.CacheNodes) != 3 {
		t.Fatalf("CacheNodes = %d, want 3", len(c.CacheNodes))
	}
	for i, n := range c.CacheNodes {
		wantField(t, "CacheNodeId", api.Deref(n.CacheNodeId), fmt.Sprintf("%04d", i+1))
		wantField(t, "CacheNodeStatus", api.Deref(n.CacheNodeStatus), "available")
		wantField(t, "ParameterGroupStatus", api.Deref(n.ParameterGroupStatus), "in-sync")
		wantField(t, "CustomerAvailabilityZone", api.Deref(n.CustomerAvailabilityZone), spec.Nodes[i].AZ)
		wantField(t, "CacheNodeCreateTime", api.Deref(n.CacheNodeCreateTime), testNow)
		if n.Endpoint == nil {
			t.Fatalf("node %d has no Endpoint", i)
		}
		wantField(t, "Endpoint.Address", api.Deref(n.Endpoint.Address), spec.Nodes[i].Address)
		wantField(t, "Endpoint.Port", api.Deref(n.Endpoint.Port), int32(11211))
	}
	wantField(t, "PreferredAvailabilityZone", api.Deref(c.PreferredAvailabilityZone), "Multiple")
	wantField(t, "ConfigurationEndpoint.Address", api.Deref(c.ConfigurationEndpoint.Address), spec.ConfigEndpoint.Address)
	for _, n := range spec.Nodes {
		if n.Address == spec.ConfigEndpoint.Address {
			t.Fatalf("configuration endpoint shares node %s's address", n.ID)
		}
	}

	// Listing all clusters honours the flag too.
	out := describe(t, svc.DescribeCacheClusters, &api.DescribeCacheClustersMessage{ShowCacheNodeInfo: api.Bool(true)})
	for _, c := range out.CacheClusters {
		if len(c.CacheNodes) != int(api.Deref(c.NumCacheNodes)) {
			t.Errorf("%s lists %d nodes, has %d", api.Deref(c.CacheClusterId), len(c.CacheNodes), api.Deref(c.NumCacheNodes))
		}
	}
	r := get("r", api.Bool(true))
	wantField(t, "redis node port", api.Deref(r.CacheNodes[0].Endpoint.Port), int32(6379))
	wantField(t, "redis ConfigurationEndpoint absent", r.ConfigurationEndpoint == nil, true)
}

func TestDeleteCacheCluster(t *testing.T) {
	svc, st := newService(t)
	ctx := context.Background()

	_, err := svc.DeleteCacheCluster(ctx, &api.DeleteCacheClusterMessage{CacheClusterId: api.String("nope")})
	wantAPIError(t, err, "CacheClusterNotFound", 404, "CacheCluster not found: nope")

	mustCreate(t, svc, redis(withID("Del-Me")))
	// Still creating: refused.
	_, err = svc.DeleteCacheCluster(ctx, &api.DeleteCacheClusterMessage{CacheClusterId: api.String("del-me")})
	wantAPIError(t, err, "InvalidCacheClusterState", 400, "creating")

	setStatus(t, st, "del-me", model.StatusAvailable, "")
	_, err = svc.DeleteCacheCluster(ctx, &api.DeleteCacheClusterMessage{CacheClusterId: api.String("DEL-ME"), FinalSnapshotIdentifier: api.String("final")})
	wantAPIError(t, err, "InvalidParameterValue", 400, "FinalSnapshotIdentifier")

	// Case-insensitive lookup.
	out, err := svc.DeleteCacheCluster(ctx, &api.DeleteCacheClusterMessage{CacheClusterId: api.String("DEL-ME")})
	if err != nil {
		t.Fatalf("DeleteCacheCluster: %v", err)
	}
	wantField(t, "CacheClusterId", api.Deref(out.CacheCluster.CacheClusterId), "del-me")
	wantField(t, "CacheClusterStatus", api.Deref(out.CacheCluster.CacheClusterStatus), "deleting")
	if out.CacheCluster.CacheNodes != nil {
		t.Error("delete response lists nodes")
	}
	d := describe(t, svc.DescribeCacheClusters, &api.DescribeCacheClustersMessage{CacheClusterId: api.String("del-me"), ShowCacheNodeInfo: api.Bool(true)})
	wantField(t, "status after delete", api.Deref(d.CacheClusters[0].CacheClusterStatus), "deleting")
	if d.CacheClusters[0].CacheNodes != nil {
		t.Error("deleting cluster shows nodes")
	}
	var stored *model.Cluster
	_ = st.View(func(tx *store.Tx) (err error) { stored, err = tx.Cluster("del-me"); return })
	wantField(t, "Spec.Deleted", stored.Spec.Deleted, true)
	wantField(t, "Spec.Generation", stored.Spec.Generation, int64(2))

	// Deleting again is refused while the first delete runs.
	_, err = svc.DeleteCacheCluster(ctx, &api.DeleteCacheClusterMessage{CacheClusterId: api.String("del-me")})
	wantAPIError(t, err, "InvalidCacheClusterState", 400, "already being deleted")

	// Memcached has no snapshots.
	mustCreate(t, svc, memcached(withID("mem")))
	setStatus(t, st, "mem", model.StatusAvailable, "")
	_, err = svc.DeleteCacheCluster(ctx, &api.DeleteCacheClusterMessage{CacheClusterId: api.String("mem"), FinalSnapshotIdentifier: api.String("final")})
	wantAPIError(t, err, "SnapshotFeatureNotSupportedFault", 400, "")

	// A cluster that cannot come up (creating with a problem) may be deleted.
	mustCreate(t, svc, redis(withID("stuck")))
	setStatus(t, st, "stuck", model.StatusCreating, "node 0001: start: no binary")
	if _, err := svc.DeleteCacheCluster(ctx, &api.DeleteCacheClusterMessage{CacheClusterId: api.String("stuck")}); err != nil {
		t.Errorf("deleting a failed creation: %v", err)
	}
}

func TestDeleteNotifiesReconciler(t *testing.T) {
	var notified []string
	svc, st := newService(t, func(c *service.Config) { c.Notify = func(id string) { notified = append(notified, id) } })
	mustCreate(t, svc, redis(withID("n1")))
	setStatus(t, st, "n1", model.StatusAvailable, "")
	if _, err := svc.DeleteCacheCluster(context.Background(), &api.DeleteCacheClusterMessage{CacheClusterId: api.String("N1")}); err != nil {
		t.Fatal(err)
	}
	_, _ = svc.DeleteCacheCluster(context.Background(), &api.DeleteCacheClusterMessage{CacheClusterId: api.String("missing")})
	if !slices.Equal(notified, []string{"n1", "n1"}) {
		t.Errorf("notified = %v, want [n1 n1] (create, delete)", notified)
	}
}
