package reliability

import (
	"context"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
)

// tally counts outcomes by a short description.
type tally struct {
	mu sync.Mutex
	m  map[string]int
}

func (t *tally) add(k string) {
	t.mu.Lock()
	if t.m == nil {
		t.m = map[string]int{}
	}
	t.m[k]++
	t.mu.Unlock()
}

func (t *tally) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var parts []string
	for k, v := range t.m {
		parts = append(parts, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

// outcome names an answer: "ok", the AWS error code with its HTTP status, or "transport: ...".
func outcome(err error) string {
	switch {
	case err == nil:
		return "ok"
	case isTransport(err):
		return "transport: " + err.Error()
	default:
		return fmt.Sprintf("%s(%d)", apiCode(err), httpStatus(err))
	}
}

func TestConcurrency(t *testing.T) {
	e := newEnv(t, 3)
	srv := e.startServer(nil)
	c := srv.client()
	ctx := context.Background()
	iterations := 2
	if long {
		iterations = 8
	}

	for it := range iterations {
		id := fmt.Sprintf("same-%d", it)
		engine, nodes := "redis", 1
		if it%2 == 1 {
			engine, nodes = "memcached", 2
		}

		// 64 concurrent creates of one id: exactly one wins.
		const creators = 64
		var res tally
		var wg sync.WaitGroup
		start := make(chan struct{})
		for range creators {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				res.add(outcome(createCluster(ctx, c, id, engine, nodes)))
			}()
		}
		close(start)
		wg.Wait()
		if want := fmt.Sprintf("CacheClusterAlreadyExists(400)=%d ok=1", creators-1); res.String() != want {
			t.Fatalf("%d concurrent creates of %s: %s, want %s", creators, id, res.String(), want)
		}
		all, err := describeAll(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, cc := range all {
			if aws.ToString(cc.CacheClusterId) == id {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%s is listed %d times", id, n)
		}
		waitAvailable(t, c, id, 15*time.Second)

		// Concurrent deletes and describes: never a 5xx, one delete wins,
		// and the end is CacheClusterNotFound for good.
		var deletes, describes tally
		var statuses tally
		var gone atomic.Bool
		stopAt := time.Now().Add(15 * time.Second)
		start = make(chan struct{})
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				_, err := c.DeleteCacheCluster(ctx, &elasticache.DeleteCacheClusterInput{CacheClusterId: aws.String(id)})
				deletes.add(outcome(err))
			}()
		}
		for r := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				notFoundSeen := false
				for extra := 0; extra < 5 && time.Now().Before(stopAt); {
					if r%4 == 0 {
						// Lists: once the cluster was seen gone, no later list has it.
						wasGone := gone.Load()
						all, err := describeAll(ctx, c)
						if err != nil {
							describes.add("list " + outcome(err))
						}
						var list []string
						for _, cc := range all {
							list = append(list, aws.ToString(cc.CacheClusterId))
						}
						if wasGone && contains(list, id) {
							t.Errorf("%s listed again after CacheClusterNotFound", id)
						}
						if wasGone {
							notFoundSeen = true
							extra++
						}
						time.Sleep(2 * time.Millisecond)
						continue
					}
					out, err := c.DescribeCacheClusters(ctx, &elasticache.DescribeCacheClustersInput{CacheClusterId: aws.String(id), ShowCacheNodeInfo: aws.Bool(r%2 == 1)})
					if err == nil {
						st := aws.ToString(out.CacheClusters[0].CacheClusterStatus)
						statuses.add(st)
						if notFoundSeen {
							t.Errorf("%s described as %s after CacheClusterNotFound", id, st)
						}
					} else {
						describes.add(outcome(err))
						if apiCode(err) == "CacheClusterNotFound" {
							notFoundSeen = true
							gone.Store(true)
						}
					}
					if notFoundSeen {
						extra++
					}
					time.Sleep(time.Millisecond)
				}
				if !notFoundSeen {
					t.Errorf("describer %d never saw CacheClusterNotFound for %s within 15s", r, id)
				}
			}()
		}
		close(start)
		wg.Wait()
		t.Logf("%s (%s): deletes %s; describe errors %s; statuses seen %s", id, engine, deletes.String(), describes.String(), statuses.String())
		if deletes.m["ok"] != 1 {
			t.Errorf("concurrent deletes of %s: %s, want exactly one ok", id, deletes.String())
		}
		for k := range deletes.m {
			if k != "ok" && !strings.HasPrefix(k, "InvalidCacheClusterState(400)") && !strings.HasPrefix(k, "CacheClusterNotFound(404)") {
				t.Errorf("concurrent delete of %s answered %s", id, k)
			}
		}
		for k := range describes.m {
			if !strings.HasPrefix(k, "CacheClusterNotFound(404)") {
				t.Errorf("describe during delete of %s answered %s", id, k)
			}
		}
		for k := range statuses.m {
			if k != "available" && k != "deleting" {
				t.Errorf("%s described as %s during its delete", id, k)
			}
		}
		if !gone.Load() {
			t.Fatalf("%s never became CacheClusterNotFound", id)
		}
		waitGone(t, c, id, 5*time.Second)
	}

	// Concurrent creates of distinct ids each get their own endpoints.
	distinct := 16
	if long {
		distinct = 48
	}
	var res tally
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range distinct {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			engine, nodes := "redis", 1
			if i%2 == 1 {
				engine, nodes = "memcached", 2
			}
			res.add(outcome(createCluster(ctx, c, fmt.Sprintf("many-%d", i), engine, nodes)))
		}()
	}
	close(start)
	wg.Wait()
	if want := fmt.Sprintf("ok=%d", distinct); res.String() != want {
		t.Fatalf("%d concurrent creates of distinct ids: %s", distinct, res.String())
	}
	endpoints := map[netip.AddrPort]string{}
	for i := range distinct {
		id := fmt.Sprintf("many-%d", i)
		cc := waitAvailable(t, c, id, 20*time.Second)
		for node, ep := range nodeEndpoints(cc) {
			if other, dup := endpoints[ep]; dup {
				t.Errorf("endpoint %s given to %s and %s/%s", ep, other, id, node)
			}
			endpoints[ep] = id + "/" + node
			if err := probeNode(aws.ToString(cc.Engine), ep); err != nil {
				t.Errorf("%s/%s: %v", id, node, err)
			}
		}
	}
	var dres tally
	start = make(chan struct{})
	for i := range distinct {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := c.DeleteCacheCluster(ctx, &elasticache.DeleteCacheClusterInput{CacheClusterId: aws.String(fmt.Sprintf("many-%d", i))})
			dres.add(outcome(err))
		}()
	}
	close(start)
	wg.Wait()
	if want := fmt.Sprintf("ok=%d", distinct); dres.String() != want {
		t.Fatalf("%d concurrent deletes: %s", distinct, dres.String())
	}
	for i := range distinct {
		waitGone(t, c, fmt.Sprintf("many-%d", i), 15*time.Second)
	}
	if ps := engineProcsUnder(e.dataDir); len(ps) > 0 {
		t.Errorf("engine processes left after deleting every cluster: %v", ps)
	}
	srv.stop(t)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
