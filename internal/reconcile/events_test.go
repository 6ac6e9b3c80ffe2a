package reconcile

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/cacheplane/cacheplane/internal/driver/fake"
	"github.com/cacheplane/cacheplane/internal/engine"
	"github.com/cacheplane/cacheplane/internal/model"
	"github.com/cacheplane/cacheplane/internal/store"
)

const testTopic = "arn:aws:sns:us-east-1:123456789012:ops"

// nodes builds node statuses from (id, status, pid) triples.
func nodes(triples ...string) []model.NodeStatus {
	var out []model.NodeStatus
	for i := 0; i+2 < len(triples); i += 3 {
		pid, _ := strconv.Atoi(triples[i+2])
		out = append(out, model.NodeStatus{ID: triples[i], Status: triples[i+1], PID: pid})
	}
	return out
}

func TestStatusEvents(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	type tc struct {
		name          string
		before, after string // cluster status
		changing      bool   // the spec's generation is not observed yet
		prev, next    []model.NodeStatus
		events        []string
		notes         []string
	}
	const (
		cr  = model.NodeCreating
		av  = model.NodeAvailable
		rb  = model.NodeRebooting
		CR  = model.StatusCreating
		AV  = model.StatusAvailable
		MOD = model.StatusModifying
	)
	for _, c := range []tc{
		{name: "first pass, node up, cluster available", before: CR, after: AV,
			next:   nodes("0001", av, "11"),
			events: []string{"Added cache node 0001 in availability zone us-east-1a"},
			notes:  []string{model.NotifyCacheClusterProvisioningComplete}},
		{name: "nodes come up one by one", before: CR, after: CR,
			prev:   nodes("0001", cr, "11", "0002", cr, "12", "0003", cr, "0"),
			next:   nodes("0001", av, "11", "0002", av, "12", "0003", cr, "13"),
			events: []string{"Added cache node 0001 in availability zone us-east-1a", "Added cache node 0002 in availability zone us-east-1b"}},
		{name: "the last node makes the cluster available", before: CR, after: AV,
			prev:   nodes("0001", av, "11", "0002", av, "12", "0003", cr, "13"),
			next:   nodes("0001", av, "11", "0002", av, "12", "0003", av, "13"),
			events: []string{"Added cache node 0003 in availability zone us-east-1c"},
			notes:  []string{model.NotifyCacheClusterProvisioningComplete}},
		{name: "a slow node restarted during creation is still added once", before: CR, after: AV,
			prev:   nodes("0001", rb, "11"),
			next:   nodes("0001", av, "12"),
			events: []string{"Added cache node 0001 in availability zone us-east-1a"},
			notes:  []string{model.NotifyCacheClusterProvisioningComplete}},
		{name: "no recovery before the cluster was ever available", before: CR, after: CR,
			prev: nodes("0001", av, "11", "0002", cr, "12"),
			next: nodes("0001", rb, "11", "0002", cr, "12")},
		{name: "nothing changed", before: AV, after: AV,
			prev: nodes("0001", av, "11"), next: nodes("0001", av, "11")},
		{name: "a hung node is being replaced", before: AV, after: AV,
			prev:   nodes("0001", av, "11"),
			next:   nodes("0001", rb, "11"),
			events: []string{"Recovering cache nodes 0001"},
			notes:  []string{model.NotifyCacheNodeReplaceStarted}},
		{name: "the replacement answers", before: AV, after: AV,
			prev:   nodes("0001", rb, "11"),
			next:   nodes("0001", av, "12"),
			events: []string{"Finished recovery for cache nodes 0001"},
			notes:  []string{model.NotifyCacheNodeReplaceComplete}},
		{name: "a dead node replaced within one pass", before: AV, after: AV,
			prev:   nodes("0001", av, "11", "0002", av, "12"),
			next:   nodes("0001", av, "11", "0002", av, "13"),
			events: []string{"Recovering cache nodes 0002", "Finished recovery for cache nodes 0002"},
			notes:  []string{model.NotifyCacheNodeReplaceStarted, model.NotifyCacheNodeReplaceComplete}},
		{name: "a node restarted for a spec change is not recovered", before: MOD, after: AV, changing: true,
			prev: nodes("0001", av, "11"),
			next: nodes("0001", av, "12")},
		{name: "nor one that does not answer yet after such a restart", before: MOD, after: MOD, changing: true,
			prev: nodes("0001", av, "11"),
			next: nodes("0001", rb, "12")},
		{name: "a node added to an available cluster", before: MOD, after: AV, changing: true,
			prev:   nodes("0001", av, "11"),
			next:   nodes("0001", av, "11", "0002", av, "12"),
			events: []string{"Added cache node 0002 in availability zone us-east-1b"},
			notes:  []string{model.NotifyAddCacheNodeComplete}},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, withTopic := range []bool{true, false} {
				cl := &model.Cluster{Spec: model.ClusterSpec{ID: "mc", Generation: 3}, Status: model.ClusterStatus{Status: c.before, Nodes: c.prev, ObservedGeneration: 3}}
				if c.changing {
					cl.Spec.Generation = 4
				}
				for i, z := range []string{"us-east-1a", "us-east-1b", "us-east-1c"} {
					cl.Spec.Nodes = append(cl.Spec.Nodes, model.NodeSpec{ID: model.NodeID(i + 1), AZ: z})
				}
				if withTopic {
					cl.Spec.NotificationTopicARN = testTopic
				}
				evs, ns := statusEvents(cl, model.ClusterStatus{Status: c.after, Nodes: c.next}, now)
				var msgs, names []string
				for _, e := range evs {
					if e.SourceIdentifier != "mc" || e.SourceType != "cache-cluster" || !e.Date.Equal(now) {
						t.Errorf("event %+v", e)
					}
					msgs = append(msgs, e.Message)
				}
				for _, n := range ns {
					if n.TopicARN != testTopic || n.SourceID != "mc" || !n.Time.Equal(now) {
						t.Errorf("notification %+v", n)
					}
					names = append(names, n.Event)
				}
				if !slices.Equal(msgs, c.events) {
					t.Errorf("events = %q, want %q", msgs, c.events)
				}
				want := c.notes
				if !withTopic {
					want = nil
				}
				if !slices.Equal(names, want) {
					t.Errorf("topic %v: notifications = %q, want %q", withTopic, names, want)
				}
			}
		})
	}
}

// recordingNotifier collects what the reconciler publishes.
type recordingNotifier struct {
	mu  sync.Mutex
	got []model.Notification
}

func (n *recordingNotifier) Publish(x model.Notification) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.got = append(n.got, x)
}

func (n *recordingNotifier) names() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []string
	for _, x := range n.got {
		out = append(out, x.Event)
	}
	return out
}

// newNotifyingHarness is newHarness with a Notifier.
func newNotifyingHarness(t *testing.T, notifier Notifier) *harness {
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
		Notifier:     notifier,
	})
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.rec.Run(ctx); close(h.done) }()
	t.Cleanup(func() { cancel(); <-h.done; st.Close() })
	return h
}

// events is the recorded history of a cluster, oldest first.
func (h *harness) events(id string) []string {
	var out []string
	_ = h.st.View(func(tx *store.Tx) error {
		return tx.Events(time.Unix(0, 0), time.Now().Add(time.Hour), "", func(_ string, e model.Event) (bool, error) {
			if e.SourceIdentifier == id {
				out = append(out, e.Message)
			}
			return true, nil
		})
	})
	slices.Reverse(out)
	return out
}

func zoned(c *model.Cluster) *model.Cluster {
	for i := range c.Spec.Nodes {
		c.Spec.Nodes[i].AZ = "us-east-1" + string(rune('a'+i))
	}
	c.Spec.NotificationTopicARN = testTopic
	return c
}

func TestReconcilerRecordsTheLifecycle(t *testing.T) {
	n := &recordingNotifier{}
	h := newNotifyingHarness(t, n)
	h.setHealthy("127.0.9.1", true)
	h.setHealthy("127.0.9.2", true)
	h.put(zoned(memcachedCluster("mc", 2)))
	h.waitFor("available", func() bool { return h.cluster("mc").Status.Status == model.StatusAvailable })
	got := h.events("mc")
	if len(got) != 2 || !slices.Contains(got, "Added cache node 0001 in availability zone us-east-1a") || !slices.Contains(got, "Added cache node 0002 in availability zone us-east-1b") {
		t.Fatalf("events after creation = %q", got)
	}
	h.waitFor("provisioning notification", func() bool { return len(n.names()) == 1 })
	if n.names()[0] != model.NotifyCacheClusterProvisioningComplete {
		t.Fatalf("notifications = %q", n.names())
	}

	// Passes over an unchanged cluster record nothing more.
	time.Sleep(200 * time.Millisecond)
	if got := h.events("mc"); len(got) != 2 || len(n.names()) != 1 {
		t.Fatalf("resyncs added events %q / notifications %q", got, n.names())
	}

	cur := h.cluster("mc")
	cur.Spec.Deleted = true
	cur.Spec.Generation++
	cur.Status.Status = model.StatusDeleting
	h.put(cur)
	h.waitFor("record gone", func() bool { return h.cluster("mc") == nil })
	if got := h.events("mc"); got[len(got)-1] != model.MsgCacheClusterDeleted {
		t.Fatalf("events after delete = %q", got)
	}
	h.waitFor("delete notification", func() bool { return len(n.names()) == 2 })
	if n.names()[1] != model.NotifyDeleteCacheClusterComplete {
		t.Fatalf("notifications = %q", n.names())
	}
}

func TestReconcilerRecordsTheReplacementOfADeadNode(t *testing.T) {
	n := &recordingNotifier{}
	h := newNotifyingHarness(t, n)
	h.setHealthy("127.0.9.1", true)
	h.put(zoned(memcachedCluster("mc", 1)))
	h.waitFor("available", func() bool { return h.cluster("mc").Status.Status == model.StatusAvailable })
	key := model.NodeKey("mc", "0001")
	starts := h.drv.Starts(key)
	h.drv.Kill(key)
	h.waitFor("node replaced", func() bool { return h.drv.Starts(key) > starts })
	h.waitFor("recovery recorded", func() bool { return len(h.events("mc")) == 3 })
	want := []string{"Added cache node 0001 in availability zone us-east-1a", "Recovering cache nodes 0001", "Finished recovery for cache nodes 0001"}
	if got := h.events("mc"); !slices.Equal(got, want) {
		t.Fatalf("events = %q, want %q", got, want)
	}
	h.waitFor("notifications", func() bool { return len(n.names()) == 3 })
	wantNotes := []string{model.NotifyCacheClusterProvisioningComplete, model.NotifyCacheNodeReplaceStarted, model.NotifyCacheNodeReplaceComplete}
	if got := n.names(); !slices.Equal(got, wantNotes) {
		t.Fatalf("notifications = %q, want %q", got, wantNotes)
	}
}

func TestReconcilerRecordsTheReplacementOfAHungNode(t *testing.T) {
	h := newNotifyingHarness(t, nil) // no Notifier: events are recorded all the same
	h.setHealthy("127.0.9.1", true)
	h.put(zoned(memcachedCluster("mc", 1)))
	h.waitFor("available", func() bool { return h.cluster("mc").Status.Status == model.StatusAvailable })
	h.setHealthy("127.0.9.1", false)
	h.waitFor("recovering", func() bool { return len(h.events("mc")) == 2 })
	if ns := h.cluster("mc").Status.Nodes[0].Status; ns != model.NodeRebooting {
		t.Fatalf("node status while replaced = %s, want rebooting", ns)
	}
	h.setHealthy("127.0.9.1", true)
	h.waitFor("recovered", func() bool { return len(h.events("mc")) == 3 })
	want := []string{"Added cache node 0001 in availability zone us-east-1a", "Recovering cache nodes 0001", "Finished recovery for cache nodes 0001"}
	if got := h.events("mc"); !slices.Equal(got, want) {
		t.Fatalf("events = %q, want %q", got, want)
	}
	if ns := h.cluster("mc").Status.Nodes[0].Status; ns != model.NodeAvailable {
		t.Fatalf("node status after recovery = %s", ns)
	}
}

func TestAReplacementThatDoesNotAnswerIsRebooting(t *testing.T) {
	h := newNotifyingHarness(t, nil)
	h.setHealthy("127.0.9.1", true)
	h.put(zoned(memcachedCluster("mc", 1)))
	h.waitFor("available", func() bool { return h.cluster("mc").Status.Status == model.StatusAvailable })
	h.setHealthy("127.0.9.1", false) // the replacement will not answer
	h.drv.Kill(model.NodeKey("mc", "0001"))
	h.waitFor("rebooting", func() bool {
		c := h.cluster("mc")
		return len(c.Status.Nodes) == 1 && c.Status.Nodes[0].Status == model.NodeRebooting
	})
	h.setHealthy("127.0.9.1", true)
	h.waitFor("available again", func() bool { return h.cluster("mc").Status.Nodes[0].Status == model.NodeAvailable })
	want := []string{"Added cache node 0001 in availability zone us-east-1a", "Recovering cache nodes 0001", "Finished recovery for cache nodes 0001"}
	if got := h.events("mc"); !slices.Equal(got, want) {
		t.Fatalf("events = %q, want %q", got, want)
	}
}
