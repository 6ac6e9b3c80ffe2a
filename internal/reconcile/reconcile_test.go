package reconcile

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cacheplane/cacheplane/internal/driver/fake"
	"github.com/cacheplane/cacheplane/internal/engine"
	"github.com/cacheplane/cacheplane/internal/model"
	"github.com/cacheplane/cacheplane/internal/store"
)

// harness runs a Reconciler over a real store with the fake driver and a probe
// the test controls.
type harness struct {
	t      *testing.T
	st     *store.Store
	drv    *fake.Driver
	rec    *Reconciler
	cancel context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	healthy map[string]bool // address -> answers the probe
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, st: st, drv: fake.New(), healthy: map[string]bool{}, done: make(chan struct{})}
	h.rec = New(Config{
		Store: st, Driver: h.drv, NodesDir: filepath.Join(t.TempDir(), "nodes"),
		Binaries: func(e engine.Name) (engine.Binary, error) {
			return engine.Binary{Engine: e, Path: "/usr/bin/" + e.BinaryName(), Version: "test"}, nil
		},
		Probe: func(ctx context.Context, e engine.Name, address string, port int, _ string, _ *tls.Config) (string, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			if h.healthy[address] {
				return "test", nil
			}
			return "", errors.New("connection refused")
		},
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		Resync:       50 * time.Millisecond,
		StartTimeout: 100 * time.Millisecond,
		ProbeTimeout: 20 * time.Millisecond,
	})
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.rec.Run(ctx); close(h.done) }()
	t.Cleanup(func() { cancel(); <-h.done; st.Close() })
	return h
}

func (h *harness) setHealthy(addr string, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.healthy[addr] = ok
}

func (h *harness) put(c *model.Cluster) {
	h.t.Helper()
	if err := h.st.Update(func(tx *store.Tx) error { return tx.PutCluster(c) }); err != nil {
		h.t.Fatal(err)
	}
	h.rec.Enqueue(c.Spec.ID)
}

func (h *harness) cluster(id string) *model.Cluster {
	var c *model.Cluster
	_ = h.st.View(func(tx *store.Tx) (err error) { c, err = tx.Cluster(id); return })
	return c
}

func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func memcachedCluster(id string, nodes int) *model.Cluster {
	c := &model.Cluster{
		Spec: model.ClusterSpec{
			ID: id, Engine: "memcached", EngineVersion: "1.6.22", CacheNodeType: "cache.t3.micro",
			NumCacheNodes: nodes, Port: 11211, Generation: 1, NetworkType: "ipv4",
		},
		Status: model.ClusterStatus{Status: model.StatusCreating},
	}
	for i := 0; i < nodes; i++ {
		c.Spec.Nodes = append(c.Spec.Nodes, model.NodeSpec{ID: model.NodeID(i + 1), Address: "127.0.9." + string(rune('1'+i)), Port: 11211})
	}
	return c
}

func TestClusterBecomesAvailableOnlyWhenEveryNodeAnswers(t *testing.T) {
	h := newHarness(t)
	c := memcachedCluster("mc", 3)
	h.setHealthy("127.0.9.1", true)
	h.setHealthy("127.0.9.2", true)
	h.put(c)
	h.waitFor("three nodes started", func() bool { return len(h.drv.Running()) == 3 })
	time.Sleep(150 * time.Millisecond)
	if got := h.cluster("mc").Status.Status; got != model.StatusCreating {
		t.Fatalf("status with one silent node = %s, want creating", got)
	}
	h.setHealthy("127.0.9.3", true)
	h.waitFor("available", func() bool { return h.cluster("mc").Status.Status == model.StatusAvailable })
	st := h.cluster("mc").Status
	if len(st.Nodes) != 3 || st.ObservedGeneration != 1 {
		t.Fatalf("status %+v", st)
	}
	for _, n := range st.Nodes {
		if n.Status != model.NodeAvailable {
			t.Fatalf("node %s is %s", n.ID, n.Status)
		}
	}
}

func TestDeadNodeIsReplacedAndClusterStaysAvailable(t *testing.T) {
	h := newHarness(t)
	c := memcachedCluster("mc", 1)
	h.setHealthy("127.0.9.1", true)
	h.put(c)
	h.waitFor("available", func() bool { return h.cluster("mc").Status.Status == model.StatusAvailable })
	key := model.NodeKey("mc", "0001")
	starts := h.drv.Starts(key)
	h.drv.Kill(key)
	h.waitFor("node restarted", func() bool { return h.drv.Starts(key) > starts })
	if got := h.cluster("mc").Status.Status; got != model.StatusAvailable {
		t.Fatalf("status after replacement = %s", got)
	}
}

func TestHungNodeIsRestarted(t *testing.T) {
	h := newHarness(t)
	h.setHealthy("127.0.9.1", true)
	h.put(memcachedCluster("mc", 1))
	h.waitFor("available", func() bool { return h.cluster("mc").Status.Status == model.StatusAvailable })
	key := model.NodeKey("mc", "0001")
	h.setHealthy("127.0.9.1", false) // process alive, engine silent
	h.waitFor("stop of the hung node", func() bool { return h.drv.CallCount("Stop", key) > 0 })
	h.setHealthy("127.0.9.1", true)
	h.waitFor("node running again", func() bool { return len(h.drv.Running()) == 1 })
}

func TestDeleteRemovesNodesThenRecord(t *testing.T) {
	h := newHarness(t)
	h.setHealthy("127.0.9.1", true)
	h.setHealthy("127.0.9.2", true)
	c := memcachedCluster("mc", 2)
	h.put(c)
	h.waitFor("available", func() bool { return h.cluster("mc").Status.Status == model.StatusAvailable })
	cur := h.cluster("mc")
	cur.Spec.Deleted = true
	cur.Spec.Generation++
	cur.Status.Status = model.StatusDeleting
	h.put(cur)
	h.waitFor("cluster record gone", func() bool { return h.cluster("mc") == nil })
	if n := len(h.drv.Running()); n != 0 {
		t.Fatalf("%d nodes still running after delete", n)
	}
	for _, id := range []string{"0001", "0002"} {
		if h.drv.CallCount("Remove", model.NodeKey("mc", id)) == 0 {
			t.Fatalf("node %s was not removed", id)
		}
	}
	var claimed int
	_ = h.st.View(func(tx *store.Tx) error { claimed = tx.AddressesInUse(); return nil })
	if claimed != 0 {
		t.Fatalf("%d node addresses still claimed", claimed)
	}
}

func TestStartFailureIsReportedAndRetried(t *testing.T) {
	h := newHarness(t)
	h.setHealthy("127.0.9.1", true)
	key := model.NodeKey("mc", "0001")
	h.drv.FailEnsure(key, errors.New("exec: no such file"))
	h.put(memcachedCluster("mc", 1))
	h.waitFor("available after the retry", func() bool { return h.cluster("mc").Status.Status == model.StatusAvailable })
	if h.cluster("mc").Status.Message != "" {
		t.Fatalf("problem message not cleared: %q", h.cluster("mc").Status.Message)
	}
}

func TestQueueNeverRunsAKeyTwiceAtOnce(t *testing.T) {
	q := newQueue()
	var mu sync.Mutex
	running := map[string]int{}
	maxSeen := 0
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				k, ok := q.Get()
				if !ok {
					return
				}
				mu.Lock()
				running[k]++
				if running[k] > maxSeen {
					maxSeen = running[k]
				}
				mu.Unlock()
				time.Sleep(time.Millisecond)
				mu.Lock()
				running[k]--
				mu.Unlock()
				q.Done(k)
			}
		}()
	}
	for i := 0; i < 200; i++ {
		q.Add([]string{"a", "b", "c"}[i%3])
	}
	time.Sleep(100 * time.Millisecond)
	q.ShutDown()
	wg.Wait()
	if maxSeen != 1 {
		t.Fatalf("a key ran %d times at once", maxSeen)
	}
}

func TestRestartDelayBacksOffForANodeThatKeepsDying(t *testing.T) {
	r := New(Config{})
	now := time.Now()
	var got []time.Duration
	for i := 0; i < 10; i++ {
		got = append(got, r.restartDelay("c/0001", now.Add(time.Duration(i)*time.Millisecond)))
	}
	if got[0] != 0 || got[1] != 100*time.Millisecond || got[2] != 200*time.Millisecond || got[9] != 10*time.Second {
		t.Fatalf("delays %v", got)
	}
	if d := r.restartDelay("c/0001", now.Add(time.Minute)); d != 0 {
		t.Fatalf("a node that stayed up a minute should be replaced at once, got %v", d)
	}
}

func TestTriggeredKeysGoAheadOfResync(t *testing.T) {
	q := newQueue()
	for _, k := range []string{"a", "b", "c"} {
		q.AddBackground(k)
	}
	q.Add("new")
	q.Add("c") // promoted: served once, from the front
	var got []string
	for q.Len() > 0 {
		k, _ := q.Get()
		got = append(got, k)
		q.Done(k)
	}
	if fmt.Sprint(got) != "[new c a b]" {
		t.Fatalf("order %v, want [new c a b]", got)
	}
}

func TestResyncOfAHealthyClusterOnlyProbes(t *testing.T) {
	h := newHarness(t)
	h.setHealthy("127.0.9.1", true)
	h.put(memcachedCluster("mc", 1))
	h.waitFor("available", func() bool { return h.cluster("mc").Status.Status == model.StatusAvailable })
	key := model.NodeKey("mc", "0001")
	time.Sleep(60 * time.Millisecond) // let the pass that made it available finish
	before := h.drv.CallCount("Ensure", key)
	time.Sleep(300 * time.Millisecond) // several resyncs (every 50 ms)
	if after := h.drv.CallCount("Ensure", key); after != before {
		t.Fatalf("resyncs of a healthy cluster called Ensure %d times; they should only inspect and probe", after-before)
	}
	if h.drv.CallCount("Inspect", key) == 0 {
		t.Fatal("resyncs did not look at the node at all")
	}
	h.rec.Enqueue("mc") // a trigger still gets a full pass
	h.waitFor("full pass on trigger", func() bool { return h.drv.CallCount("Ensure", key) > before })
}
