package reconcile

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cacheplane/cacheplane/internal/driver/fake"
	"github.com/cacheplane/cacheplane/internal/engine"
	"github.com/cacheplane/cacheplane/internal/model"
	"github.com/cacheplane/cacheplane/internal/store"
)

// configSets records the CONFIG SETs of a reconciler and answers them as
// the test says.
type configSets struct {
	mu     sync.Mutex
	calls  []string // "address name=value"
	answer func(name, value string) error
}

func (c *configSets) set(_ context.Context, address string, _ int, _ string, _ *tls.Config, name, value string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls = append(c.calls, address+" "+name+"="+value)
	if c.answer != nil {
		return c.answer(name, value)
	}
	return nil
}

func (c *configSets) taken() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.calls
	c.calls = nil
	return out
}

func (c *configSets) setAnswer(fn func(name, value string) error) {
	c.mu.Lock()
	c.answer = fn
	c.mu.Unlock()
}

// probeSwitch makes node addresses stop answering their probe.
type probeSwitch struct {
	mu   sync.Mutex
	down map[string]bool
}

func (p *probeSwitch) set(addr string, down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down[addr] = down
}

func (p *probeSwitch) probe(_ context.Context, _ engine.Name, addr string, _ int, _ string, _ *tls.Config) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down[addr] {
		return "", errors.New("connection refused")
	}
	return "test", nil
}

// newParamsHarness is newHarness with a recorded ConfigSet; every node
// answers its probe.
func newParamsHarness(t *testing.T) (*harness, *configSets) {
	h, cs, _ := newParamsHarnessWithProbe(t)
	return h, cs
}

func newParamsHarnessWithProbe(t *testing.T) (*harness, *configSets, *probeSwitch) {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	cs := &configSets{}
	ps := &probeSwitch{down: map[string]bool{}}
	h := &harness{t: t, st: st, drv: fake.New(), healthy: map[string]bool{}, done: make(chan struct{})}
	h.rec = New(Config{
		Store: st, Driver: h.drv, NodesDir: filepath.Join(t.TempDir(), "nodes"),
		Binaries: func(e engine.Name) (engine.Binary, error) {
			return engine.Binary{Engine: e, Path: "/usr/bin/" + e.BinaryName(), Version: "test"}, nil
		},
		Probe:        ps.probe,
		ConfigSet:    cs.set,
		Logger:       slog.New(slog.NewTextHandler(io.Discard, nil)),
		Resync:       50 * time.Millisecond,
		StartTimeout: 100 * time.Millisecond,
		ProbeTimeout: 20 * time.Millisecond,
	})
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.rec.Run(ctx); close(h.done) }()
	t.Cleanup(func() { cancel(); <-h.done; st.Close() })
	return h, cs, ps
}

// putGroup writes a custom parameter group and triggers the clusters given.
func (h *harness) putGroup(name, family string, values map[string]string, notify ...string) {
	h.t.Helper()
	g := model.ParameterGroup{Name: name, Family: family, Parameters: values}
	if err := h.st.Update(func(tx *store.Tx) error { return tx.PutRecord(store.BucketParameterGroups, name, g) }); err != nil {
		h.t.Fatal(err)
	}
	for _, id := range notify {
		h.rec.Enqueue(id)
	}
}

func redisCluster(id, group string) *model.Cluster {
	return &model.Cluster{
		Spec: model.ClusterSpec{
			ID: id, Engine: "redis", EngineVersion: "7.1", ParameterGroupFamily: "redis7", CacheNodeType: "cache.t3.micro",
			NumCacheNodes: 1, Port: 6379, Generation: 1, NetworkType: "ipv4", ParameterGroupName: group,
			Nodes: []model.NodeSpec{{ID: "0001", Address: "127.0.8.1", Port: 6379}},
		},
		Status: model.ClusterStatus{Status: model.StatusCreating},
	}
}

func (h *harness) node(id string) model.NodeStatus {
	c := h.cluster(id)
	if c == nil || len(c.Status.Nodes) == 0 {
		return model.NodeStatus{}
	}
	return c.Status.Nodes[0]
}

// renderedConfig is the redis.conf the driver was last given for a node.
func (h *harness) renderedConfig(key string) string {
	spec, ok := h.drv.Spec(key)
	if !ok {
		return ""
	}
	for _, f := range spec.Files {
		if f.Name == "redis.conf" {
			return string(f.Content)
		}
	}
	return strings.Join(spec.Args, " ")
}

func TestParametersReachTheNodeAndChangeLive(t *testing.T) {
	h, cs := newParamsHarness(t)
	h.putGroup("mine", "redis7", map[string]string{"maxmemory-policy": "allkeys-lru"})
	h.put(redisCluster("r", "mine"))
	h.waitFor("in sync", func() bool { return h.node("r").ParameterStatus == model.ParametersInSync })
	if conf := h.renderedConfig("r/0001"); !strings.Contains(conf, "\nmaxmemory-policy allkeys-lru\n") {
		t.Fatalf("the group is not in redis.conf:\n%s", conf)
	}
	if got := fmt.Sprint(h.node("r").Parameters); got != "map[maxmemory-policy:allkeys-lru]" {
		t.Errorf("parameters in effect: %s", got)
	}
	if calls := cs.taken(); len(calls) != 0 {
		t.Errorf("a fresh node needed CONFIG SETs: %v", calls)
	}
	pid := h.node("r").PID

	// An immediate parameter changes on the running node.
	h.putGroup("mine", "redis7", map[string]string{"maxmemory-policy": "volatile-lru", "timeout": "60"}, "r")
	h.waitFor("the change applied", func() bool { return h.node("r").Parameters["timeout"] == "60" })
	calls := cs.taken()
	if fmt.Sprint(calls) != "[127.0.8.1 maxmemory-policy=volatile-lru 127.0.8.1 timeout=60]" {
		t.Errorf("CONFIG SETs: %v", calls)
	}
	n := h.node("r")
	if n.PID != pid || h.drv.Starts("r/0001") != 1 || n.ParameterStatus != model.ParametersInSync {
		t.Errorf("after a live change: pid %d (was %d), starts %d, status %s", n.PID, pid, h.drv.Starts("r/0001"), n.ParameterStatus)
	}
	if _, ok := n.Parameters["maxmemory-policy"]; ok {
		t.Errorf("the default policy is recorded as a difference: %v", n.Parameters)
	}

	// A requires-reboot parameter waits for the node to restart.
	h.putGroup("mine", "redis7", map[string]string{"timeout": "60", "databases": "32"}, "r")
	h.waitFor("pending reboot", func() bool { return h.node("r").ParameterStatus == model.ParametersPendingReboot })
	n = h.node("r")
	if fmt.Sprint(n.PendingParameters) != "map[databases:32]" || n.PID != pid {
		t.Errorf("pending %v, pid %d (was %d)", n.PendingParameters, n.PID, pid)
	}
	if calls := cs.taken(); len(calls) != 0 {
		t.Errorf("a requires-reboot change was set live: %v", calls)
	}
	// The node restarts (here: it dies and is replaced) with the new values.
	h.drv.Kill("r/0001")
	h.waitFor("in sync after the restart", func() bool {
		n := h.node("r")
		return n.PID != pid && n.ParameterStatus == model.ParametersInSync
	})
	if conf := h.renderedConfig("r/0001"); !strings.Contains(conf, "\ndatabases 32\n") || !strings.Contains(conf, "\ntimeout 60\n") {
		t.Errorf("the replacement was not started with the group's values:\n%s", conf)
	}
	if n := h.node("r"); n.PendingParameters != nil || fmt.Sprint(n.Parameters) != "map[databases:32 timeout:60]" {
		t.Errorf("after the restart: %+v", n)
	}
}

func TestRefusedParameterWaitsAndIsNotRetried(t *testing.T) {
	h, cs := newParamsHarness(t)
	h.put(redisCluster("r", "mine")) // the group does not exist yet: defaults
	h.waitFor("in sync", func() bool { return h.node("r").ParameterStatus == model.ParametersInSync })
	cs.setAnswer(func(name, _ string) error {
		if name == "activedefrag" {
			return &engine.ServerError{Message: "ERR Active defragmentation cannot be enabled"}
		}
		return nil
	})
	h.putGroup("mine", "redis7", map[string]string{"activedefrag": "yes", "slowlog-max-len": "256"}, "r")
	h.waitFor("pending reboot", func() bool { return h.node("r").ParameterStatus == model.ParametersPendingReboot })
	if n := h.node("r"); fmt.Sprint(n.PendingParameters) != "map[activedefrag:yes]" || fmt.Sprint(n.Parameters) != "map[slowlog-max-len:256]" {
		t.Errorf("status %+v", n)
	}
	cs.taken()
	time.Sleep(200 * time.Millisecond) // a few resyncs
	if calls := cs.taken(); len(calls) != 0 {
		t.Errorf("the refused value was tried again: %v", calls)
	}
	// A new value is tried.
	h.putGroup("mine", "redis7", map[string]string{"activedefrag": "no", "slowlog-max-len": "256"}, "r")
	h.waitFor("in sync", func() bool { return h.node("r").ParameterStatus == model.ParametersInSync })
	if n := h.node("r"); n.PendingParameters != nil {
		t.Errorf("pending %v", n.PendingParameters)
	}
}

func TestTransientConfigSetFailureIsRetried(t *testing.T) {
	h, cs := newParamsHarness(t)
	h.putGroup("mine", "redis7", nil)
	h.put(redisCluster("r", "mine"))
	h.waitFor("in sync", func() bool { return h.node("r").ParameterStatus == model.ParametersInSync })
	var fail sync.Mutex
	failing := true
	cs.setAnswer(func(string, string) error {
		fail.Lock()
		defer fail.Unlock()
		if failing {
			return errors.New("connect: connection refused")
		}
		return nil
	})
	h.putGroup("mine", "redis7", map[string]string{"reserved-memory-percent": "50"}, "r")
	h.waitFor("applying", func() bool { return h.node("r").ParameterStatus == model.ParametersApplying })
	if msg := h.cluster("r").Status.Message; !strings.Contains(msg, "reserved-memory-percent") {
		t.Errorf("status message %q does not say what is being applied", msg)
	}
	fail.Lock()
	failing = false
	fail.Unlock()
	h.waitFor("in sync", func() bool { return h.node("r").ParameterStatus == model.ParametersInSync })
	if calls := cs.taken(); len(calls) < 2 || calls[len(calls)-1] != "127.0.8.1 maxmemory=268435456" {
		t.Errorf("CONFIG SETs: %v", calls)
	}
	if h.cluster("r").Status.Message != "" {
		t.Errorf("message after success: %q", h.cluster("r").Status.Message)
	}
}

func TestMemcachedParametersWaitForARestart(t *testing.T) {
	h, cs := newParamsHarness(t)
	c := memcachedCluster("mc", 2)
	c.Spec.ParameterGroupName, c.Spec.ParameterGroupFamily = "mem", "memcached1.6"
	h.putGroup("mem", "memcached1.6", nil)
	h.put(c)
	h.waitFor("in sync", func() bool {
		c := h.cluster("mc")
		return len(c.Status.Nodes) == 2 && c.Status.Nodes[0].ParameterStatus == model.ParametersInSync && c.Status.Nodes[1].ParameterStatus == model.ParametersInSync
	})
	h.putGroup("mem", "memcached1.6", map[string]string{"max_item_size": "2097152"}, "mc")
	h.waitFor("pending reboot", func() bool {
		c := h.cluster("mc")
		return c.Status.Nodes[0].ParameterStatus == model.ParametersPendingReboot && c.Status.Nodes[1].ParameterStatus == model.ParametersPendingReboot
	})
	time.Sleep(150 * time.Millisecond) // a few resyncs: still no restart
	for _, key := range []string{"mc/0001", "mc/0002"} {
		if h.drv.Starts(key) != 1 {
			t.Errorf("%s restarted %d times for a requires-reboot change", key, h.drv.Starts(key)-1)
		}
		if args := h.renderedConfig(key); !strings.Contains(args, "-I 1048576") {
			t.Errorf("%s: args changed while it runs: %s", key, args)
		}
	}
	h.drv.Kill("mc/0002")
	h.waitFor("node 2 in sync", func() bool { return h.cluster("mc").Status.Nodes[1].ParameterStatus == model.ParametersInSync })
	if args := h.renderedConfig("mc/0002"); !strings.Contains(args, "-I 2097152") {
		t.Errorf("the restarted node lacks the new item size: %s", args)
	}
	if n := h.cluster("mc").Status.Nodes[0]; n.ParameterStatus != model.ParametersPendingReboot || n.PendingParameters["max_item_size"] != "2097152" {
		t.Errorf("node 1: %+v", n)
	}
	if calls := cs.taken(); len(calls) != 0 {
		t.Errorf("CONFIG SET on memcached: %v", calls)
	}
}

func TestNodeStatusEqual(t *testing.T) {
	a := model.NodeStatus{ID: "0001", Parameters: map[string]string{"timeout": "60"}}
	b := model.NodeStatus{ID: "0001", Parameters: map[string]string{"timeout": "60"}}
	if !nodeStatusEqual(a, b) {
		t.Error("equal statuses differ")
	}
	b.Parameters["timeout"] = "70"
	if nodeStatusEqual(a, b) {
		t.Error("different parameters compare equal")
	}
	if nodeStatusEqual(model.NodeStatus{ID: "0001"}, model.NodeStatus{ID: "0001", ParameterStatus: model.ParametersInSync}) {
		t.Error("different parameter statuses compare equal")
	}
}

func TestSlowReplacementStartsWithTheNewValues(t *testing.T) {
	h, _, ps := newParamsHarnessWithProbe(t)
	c := memcachedCluster("mc", 1)
	c.Spec.ParameterGroupName, c.Spec.ParameterGroupFamily = "mem", "memcached1.6"
	h.putGroup("mem", "memcached1.6", nil)
	h.put(c)
	h.waitFor("in sync", func() bool { return h.node("mc").ParameterStatus == model.ParametersInSync })
	h.putGroup("mem", "memcached1.6", map[string]string{"max_item_size": "2097152"}, "mc")
	h.waitFor("pending reboot", func() bool { return h.node("mc").ParameterStatus == model.ParametersPendingReboot })
	// The replacement of a dead node is slow to answer: passes see it
	// started but not ready. What was known of the old process must not be
	// taken for the new one's.
	ps.set("127.0.9.1", true)
	pid := h.node("mc").PID
	h.drv.Kill("mc/0001")
	h.waitFor("a new process", func() bool { return h.node("mc").PID != pid && h.node("mc").PID != 0 })
	time.Sleep(150 * time.Millisecond)
	ps.set("127.0.9.1", false)
	h.waitFor("in sync", func() bool { return h.node("mc").ParameterStatus == model.ParametersInSync })
	if args := h.renderedConfig("mc/0001"); !strings.Contains(args, "-I 2097152") {
		t.Errorf("the replacement runs with %s", args)
	}
}
