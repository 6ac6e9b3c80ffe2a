package service_test

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/cacheplane/cacheplane/internal/api"
	"github.com/cacheplane/cacheplane/internal/model"
	"github.com/cacheplane/cacheplane/internal/service"
	"github.com/cacheplane/cacheplane/internal/store"
)

// testNow is the fixed service clock of these tests.
var testNow = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

const (
	testRegion  = "us-east-1"
	testAccount = "123456789012"
)

// newService builds a service over a fresh store in t.TempDir(); the address
// allocator never binds (Free == nil), so no process or socket is involved.
func newService(t testing.TB, mods ...func(*service.Config)) (*service.Service, *store.Store) {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatalf("store.Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return newServiceOn(st, mods...), st
}

// newServiceOn builds another service over an existing store (e.g. with another seed).
func newServiceOn(st *store.Store, mods ...func(*service.Config)) *service.Service {
	cfg := service.Config{
		Region:    testRegion,
		AccountID: testAccount,
		Quotas:    service.DefaultQuotas(),
		NodeAddresses: &service.AddressAllocator{
			Base: netip.MustParseAddr("127.0.1.1"),
			Last: netip.MustParseAddr("127.0.3.254"),
		},
		Now:  func() time.Time { return testNow },
		Seed: 42,
	}
	for _, m := range mods {
		m(&cfg)
	}
	return service.New(cfg, st)
}

// counts is what the store holds: clusters and claimed node addresses.
func counts(t testing.TB, st *store.Store) (clusters, addresses int) {
	t.Helper()
	err := st.View(func(tx *store.Tx) error {
		clusters, addresses = len(tx.ClusterIDs()), tx.AddressesInUse()
		return nil
	})
	if err != nil {
		t.Fatalf("store.View: %v", err)
	}
	return
}

// msg is a request modifier.
type msg func(*api.CreateCacheClusterMessage)

func create(id, eng string, mods ...msg) *api.CreateCacheClusterMessage {
	in := &api.CreateCacheClusterMessage{
		CacheClusterId: api.String(id),
		Engine:         api.String(eng),
		CacheNodeType:  api.String("cache.t3.micro"),
	}
	for _, m := range mods {
		m(in)
	}
	return in
}

func redis(mods ...msg) *api.CreateCacheClusterMessage { return create("c1", "redis", mods...) }

func memcached(mods ...msg) *api.CreateCacheClusterMessage {
	return create("c1", "memcached", mods...)
}

// wantAPIError checks that err is an *api.Error with the code and status, a
// Sender fault, and (when msg is not empty) a message containing msg.
func wantAPIError(t testing.TB, err error, code string, status int, msg string) {
	t.Helper()
	var ae *api.Error
	if !errors.As(err, &ae) {
		t.Fatalf("error = %v (%T), want api.Error %s", err, err, code)
	}
	if ae.Code != code || ae.HTTPStatus != status {
		t.Fatalf("error = %s %d %q, want %s %d", ae.Code, ae.HTTPStatus, ae.Message, code, status)
	}
	if !ae.Sender {
		t.Errorf("error %s is not a Sender fault", ae.Code)
	}
	if msg != "" && !strings.Contains(ae.Message, msg) {
		t.Errorf("message = %q, want it to contain %q", ae.Message, msg)
	}
}

// setStatus plays the reconciler: it writes an observed status for a cluster.
func setStatus(t testing.TB, st *store.Store, id, status, message string) {
	t.Helper()
	err := st.Update(func(tx *store.Tx) error {
		c, err := tx.Cluster(id)
		if err != nil {
			return err
		}
		if c == nil {
			return errors.New("no cluster " + id)
		}
		c.Status.Status, c.Status.Message = status, message
		c.Status.Nodes = nil
		for i, n := range c.Spec.Nodes {
			ns := model.NodeStatus{ID: n.ID, Status: model.NodeCreating}
			if status == model.StatusAvailable {
				ns = model.NodeStatus{ID: n.ID, Status: model.NodeAvailable, PID: 1000 + i}
			}
			c.Status.Nodes = append(c.Status.Nodes, ns)
		}
		c.Status.ObservedGeneration = c.Spec.Generation
		return tx.PutCluster(c)
	})
	if err != nil {
		t.Fatalf("setStatus %s: %v", id, err)
	}
}

func mustCreate(t testing.TB, svc *service.Service, in *api.CreateCacheClusterMessage) *api.CacheCluster {
	t.Helper()
	out, err := svc.CreateCacheCluster(context.Background(), in)
	if err != nil {
		t.Fatalf("CreateCacheCluster(%s): %v", api.Deref(in.CacheClusterId), err)
	}
	return out.CacheCluster
}
