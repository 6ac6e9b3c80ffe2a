package service_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/cacheplane/cacheplane/internal/api"
)

// TestCreateCacheClusterConcurrentSameID: of 64 simultaneous creates of one id,
// exactly one wins and the others get CacheClusterAlreadyExists; the store ends
// with one cluster holding one node address. Run with -race.
func TestCreateCacheClusterConcurrentSameID(t *testing.T) {
	svc, st := newService(t)
	const n = 64
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			id := "same-id"
			if i%2 == 1 {
				id = "Same-ID" // the lowercase form is the identity
			}
			_, errs[i] = svc.CreateCacheCluster(context.Background(), redis(withID(id)))
		}()
	}
	close(start)
	wg.Wait()
	ok, exists := 0, 0
	for _, err := range errs {
		var ae *api.Error
		switch {
		case err == nil:
			ok++
		case errors.As(err, &ae) && ae.Code == "CacheClusterAlreadyExists" && ae.HTTPStatus == 400:
			exists++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 || exists != n-1 {
		t.Errorf("successes %d, CacheClusterAlreadyExists %d; want 1 and %d", ok, exists, n-1)
	}
	if c, a := counts(t, st); c != 1 || a != 1 {
		t.Errorf("store holds %d clusters and %d addresses, want 1 and 1", c, a)
	}
}

// TestCreateCacheClusterConcurrentDistinctIDs: concurrent creates of different
// ids never hand out the same node endpoint.
func TestCreateCacheClusterConcurrentDistinctIDs(t *testing.T) {
	svc, _ := newService(t)
	const n = 32
	var wg sync.WaitGroup
	var mu sync.Mutex
	endpoints := map[string]string{}
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			in := memcached(withID("m"+string(rune('a'+i%26))+string(rune('a'+i/26))), withNodes(2))
			if _, err := svc.CreateCacheCluster(context.Background(), in); err != nil {
				t.Error(err)
				return
			}
			out, err := svc.DescribeCacheClusters(context.Background(), &api.DescribeCacheClustersMessage{CacheClusterId: in.CacheClusterId})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			ep := api.Deref(out.CacheClusters[0].ConfigurationEndpoint.Address)
			if other, dup := endpoints[ep]; dup {
				t.Errorf("%s and %s share endpoint %s", other, *in.CacheClusterId, ep)
			}
			endpoints[ep] = *in.CacheClusterId
		}()
	}
	wg.Wait()
}
