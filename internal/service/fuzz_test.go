package service

import (
	"context"
	"net/netip"
	"testing"

	"github.com/cacheplane/cacheplane/internal/api"
	"github.com/cacheplane/cacheplane/internal/store"
)

// FuzzCreateCacheClusterValidator feeds arbitrary parameter values through
// CreateCacheCluster: it must never panic, and every refusal must be a fault
// the model declares for the operation (or a generic Query error).
func FuzzCreateCacheClusterValidator(f *testing.F) {
	f.Add("my-redis", "redis", "cache.t3.micro", "", int32(1), int32(6379), "", "", "", "", false, "k", "v")
	f.Add("Mem-1", "memcached", "cache.r3.large", "1.6.22", int32(3), int32(11211), "sun:23:00-mon:01:30", "", "cross-az", "", true, "", "")
	f.Add("x--y", "valkey", "cache.nope", "9.9", int32(-1), int32(0), "mon:00:00-mon:00:30", "25:00-26:00", "single-az", "tokentokentoken!", true, "aws:x", "")
	f.Add("a", "redis", "cache.t4g.micro", "3.2.4", int32(41), int32(70000), "xxx", "10:00-10:30", "", "short", false, "", "")
	declared := map[string]bool{"MissingParameter": true}
	for _, c := range api.Operations()["CreateCacheCluster"].ErrorCodes {
		declared[c] = true
	}
	declared[api.CodeSnapshotNotFound] = true // SnapshotName refers to a snapshot that does not exist yet
	f.Fuzz(func(t *testing.T, id, eng, nodeType, version string, num, port int32, maint, snap, azMode, token string, tls bool, tagKey, tagValue string) {
		st, err := store.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		alloc := &AddressAllocator{Base: netip.MustParseAddr("127.0.0.1"), Last: netip.MustParseAddr("127.0.0.9")}
		s := New(Config{Region: "us-east-1", AccountID: "000000000000", Quotas: DefaultQuotas(), NodeAddresses: alloc, Seed: 1}, st)
		in := &api.CreateCacheClusterMessage{
			CacheClusterId: &id, Engine: &eng, CacheNodeType: &nodeType, NumCacheNodes: &num, Port: &port,
			AZMode: api.AZMode(azMode), TransitEncryptionEnabled: &tls,
			Tags: []api.Tag{{Key: &tagKey, Value: &tagValue}},
		}
		if version != "" {
			in.EngineVersion = &version
		}
		if maint != "" {
			in.PreferredMaintenanceWindow = &maint
		}
		if snap != "" {
			in.SnapshotWindow = &snap
		}
		if token != "" {
			in.AuthToken = &token
		}
		_, err = s.CreateCacheCluster(context.Background(), in)
		if err == nil {
			return
		}
		apiErr, ok := err.(*api.Error)
		if !ok {
			t.Fatalf("refusal is not an AWS fault: %T %v", err, err)
		}
		if !declared[apiErr.Code] {
			t.Fatalf("code %s is not declared for CreateCacheCluster (%s)", apiErr.Code, apiErr.Message)
		}
		if apiErr.HTTPStatus < 400 || apiErr.HTTPStatus >= 500 {
			t.Fatalf("refusal %s has status %d", apiErr.Code, apiErr.HTTPStatus)
		}
	})
}
