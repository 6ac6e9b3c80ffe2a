// Package reconcile turns desired clusters into running nodes. It is
// level-based: each pass re-reads the cluster from the store, compares it with
// what the driver and the engines' health probes report, acts, and writes the
// observed status. It never acts on event payloads, so a missed or repeated
// trigger (API write, node exit, periodic resync, restart) is harmless.
package reconcile

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/cacheplane/cacheplane/internal/driver"
	"github.com/cacheplane/cacheplane/internal/engine"
	"github.com/cacheplane/cacheplane/internal/model"
	"github.com/cacheplane/cacheplane/internal/store"
)

// BinaryResolver finds the binary that serves an engine.
type BinaryResolver func(engine.Name) (engine.Binary, error)

// TLSProvider gives a node its certificate files (written into the node's
// directory) and the client configuration its health probe uses.
type TLSProvider func(node model.NodeSpec, dir string) (files []driver.File, tlsFiles *engine.TLSFiles, client *tls.Config, err error)

// ProbeFunc checks that a node answers its engine's health probe (engine.Probe in production).
type ProbeFunc func(ctx context.Context, e engine.Name, address string, port int, authToken string, tlsConf *tls.Config) (string, error)

// Config wires a Reconciler.
type Config struct {
	Probe ProbeFunc // nil = engine.Probe
	// ConfigSet applies a parameter to a running redis/valkey node; nil = engine.ConfigSet.
	ConfigSet ConfigSetFunc
	// ConfigEndpoints serves memcached configuration endpoints; nil = none.
	ConfigEndpoints ConfigEndpoints
	// ConfigTLS gives a TLS cluster's configuration endpoint its certificate.
	ConfigTLS ServerTLSFor
	Store     *store.Store
	Driver    driver.Driver
	NodesDir  string // each node lives in NodesDir/<cluster-id>/<node-id>
	Binaries  BinaryResolver
	TLS       TLSProvider // nil: TLS clusters fail with a clear status message
	Logger    *slog.Logger
	Workers   int
	// Resync is how often every cluster is reconciled (and every node probed) even without a trigger.
	Resync time.Duration
	// StartTimeout bounds how long a started node may take to answer its probe.
	StartTimeout time.Duration
	// ProbeTimeout bounds one health probe of a running node.
	ProbeTimeout time.Duration
	// Notifier gets the notifications of committed changes (clusters with a
	// NotificationTopicArn); nil = none are sent.
	Notifier Notifier
}

// Reconciler runs the loop.
type Reconciler struct {
	cfg   Config
	queue *queue
	log   *slog.Logger

	full fullPasses // clusters whose next pass must be a full one

	mu      sync.Mutex
	serving map[string]int         // node key -> PID last announced in the "node serving" log line
	exits   map[string]exitHistory // node key -> recent unexpected exits, for restart backoff
}

// New builds a Reconciler; call Run to start it.
func New(cfg Config) *Reconciler {
	if cfg.Workers <= 0 {
		cfg.Workers = 8
	}
	if cfg.Resync <= 0 {
		cfg.Resync = 10 * time.Second
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = 15 * time.Second
	}
	if cfg.ProbeTimeout <= 0 {
		cfg.ProbeTimeout = 2 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Probe == nil {
		cfg.Probe = engine.Probe
	}
	if cfg.ConfigSet == nil {
		cfg.ConfigSet = engine.ConfigSet
	}
	return &Reconciler{cfg: cfg, queue: newQueue(), log: cfg.Logger, serving: map[string]int{}, exits: map[string]exitHistory{}}
}

// Enqueue asks for a pass over one cluster.
// A full pass follows, as for every trigger (an API write, a node exit, a retry).
func (r *Reconciler) Enqueue(clusterID string) {
	r.markFull(clusterID)
	r.queue.Add(clusterID)
}

// Run reconciles until ctx ends. It first removes nodes on disk that belong to
// no cluster (left by a crash between a delete's steps), then passes over every
// cluster, re-adopting the nodes that kept running while the control plane was down.
func (r *Reconciler) Run(ctx context.Context) {
	r.removeOrphans(ctx)
	r.enqueueAll(true) // the first pass after a start is a full one: it re-adopts nodes and reopens endpoints
	var wg sync.WaitGroup
	for i := 0; i < r.cfg.Workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				id, ok := r.queue.Get()
				if !ok {
					return
				}
				again := r.reconcile(ctx, id)
				r.queue.Done(id)
				if again > 0 && ctx.Err() == nil {
					r.markFull(id)
					r.queue.AddAfter(id, again)
				}
			}
		}()
	}
	ticker := time.NewTicker(r.cfg.Resync)
	defer ticker.Stop()
	exited := r.cfg.Driver.Exited()
	for {
		select {
		case <-ctx.Done():
			r.queue.ShutDown()
			wg.Wait()
			return
		case <-ticker.C:
			r.enqueueAll(false)
		case key, ok := <-exited:
			if !ok {
				exited = nil // the driver was closed; resync still runs
				continue
			}
			if clusterID, _, ok := strings.Cut(key, "/"); ok {
				delay := r.restartDelay(key, time.Now())
				r.log.Warn("node exited unexpectedly; replacing it", "node", key, "after", delay)
				r.markFull(clusterID)
				r.queue.AddAfter(clusterID, delay)
			}
		}
	}
}

func (r *Reconciler) enqueueAll(full bool) {
	var ids []string
	_ = r.cfg.Store.View(func(tx *store.Tx) error { ids = tx.ClusterIDs(); return nil })
	for _, id := range ids {
		if full {
			r.markFull(id)
		}
		r.queue.AddBackground(id)
	}
}

// removeOrphans stops and deletes node directories whose cluster is not in the store.
func (r *Reconciler) removeOrphans(ctx context.Context) {
	entries, err := os.ReadDir(r.cfg.NodesDir)
	if err != nil {
		return
	}
	known := map[string]bool{}
	_ = r.cfg.Store.View(func(tx *store.Tx) error {
		for _, id := range tx.ClusterIDs() {
			known[id] = true
		}
		return nil
	})
	for _, e := range entries {
		if !e.IsDir() || known[e.Name()] {
			continue
		}
		clusterDir := filepath.Join(r.cfg.NodesDir, e.Name())
		nodes, _ := os.ReadDir(clusterDir)
		for _, n := range nodes {
			spec := driver.NodeSpec{ID: model.NodeKey(e.Name(), n.Name()), Dir: filepath.Join(clusterDir, n.Name())}
			if err := r.cfg.Driver.Remove(ctx, spec); err != nil {
				r.log.Error("removing orphan node", "node", spec.ID, "err", err)
			}
		}
		if err := os.RemoveAll(clusterDir); err == nil {
			r.log.Info("removed orphan cluster directory", "cluster", e.Name())
		}
	}
}

// reconcile makes one pass; it returns how soon to look again (0 = only on the next trigger).
func (r *Reconciler) reconcile(ctx context.Context, id string) time.Duration {
	var c *model.Cluster
	if err := r.cfg.Store.View(func(tx *store.Tx) (err error) { c, err = tx.Cluster(id); return }); err != nil {
		r.log.Error("reading cluster", "cluster", id, "err", err)
		return time.Second
	}
	if c == nil {
		return 0
	}
	if c.Spec.Deleted {
		return r.delete(ctx, c)
	}
	if !r.takeFull(id) && r.healthy(ctx, c) {
		return 0 // a resync of a converged cluster whose nodes all answer: nothing to do
	}
	return r.converge(ctx, c)
}

func (r *Reconciler) nodeDir(clusterID, nodeID string) string {
	return filepath.Join(r.cfg.NodesDir, clusterID, nodeID)
}

func (r *Reconciler) delete(ctx context.Context, c *model.Cluster) time.Duration {
	if r.cfg.ConfigEndpoints != nil {
		// Clients stop being pointed at the nodes before the nodes go.
		r.cfg.ConfigEndpoints.Remove(c.Spec.ID)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(c.Spec.Nodes))
	for i, n := range c.Spec.Nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = r.cfg.Driver.Remove(ctx, driver.NodeSpec{ID: model.NodeKey(c.Spec.ID, n.ID), Dir: r.nodeDir(c.Spec.ID, n.ID)})
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		r.log.Error("removing nodes", "cluster", c.Spec.ID, "err", err)
		return time.Second
	}
	_ = os.Remove(filepath.Join(r.cfg.NodesDir, c.Spec.ID))
	var notes []model.Notification
	err := r.cfg.Store.Update(func(tx *store.Tx) error {
		notes = nil
		cur, err := tx.Cluster(c.Spec.ID)
		if err != nil || cur == nil || !cur.Spec.Deleted {
			return err
		}
		now := time.Now().UTC()
		if err := tx.AddEvent(model.ClusterEvent(cur.Spec.ID, model.MsgCacheClusterDeleted, now)); err != nil {
			return err
		}
		if topic := notificationTopic(cur); topic != "" {
			notes = append(notes, model.Notification{TopicARN: topic, Event: model.NotifyDeleteCacheClusterComplete, SourceID: cur.Spec.ID, Time: now})
		}
		return tx.DeleteCluster(c.Spec.ID)
	})
	if err != nil {
		r.log.Error("deleting cluster record", "cluster", c.Spec.ID, "err", err)
		return time.Second
	}
	r.publish(notes)
	r.log.Info("cluster deleted", "cluster", c.Spec.ID)
	return 0
}

// nodeResult is what one node's pass found.
type nodeResult struct {
	status model.NodeStatus
	ready  bool
	err    error
}

func (r *Reconciler) converge(ctx context.Context, c *model.Cluster) time.Duration {
	eng := engine.Name(c.Spec.Engine)
	bin, err := r.cfg.Binaries(eng)
	if err != nil {
		return r.writeStatus(c, nil, err.Error(), 30*time.Second)
	}
	results := make([]nodeResult, len(c.Spec.Nodes))
	var wg sync.WaitGroup
	for i, n := range c.Spec.Nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = r.convergeNode(ctx, c, n, bin)
		}()
	}
	wg.Wait()
	var problems []string
	for _, res := range results {
		if res.err != nil {
			problems = append(problems, fmt.Sprintf("node %s: %v", res.status.ID, res.err))
		}
	}
	again := time.Duration(0)
	if len(problems) > 0 {
		again = time.Second
	}
	statuses := make([]model.NodeStatus, len(results))
	for i, res := range results {
		statuses[i] = res.status
	}
	r.syncConfigEndpoint(c, results)
	return r.writeStatus(c, statuses, strings.Join(problems, "; "), again)
}

// convergeNode ensures one node runs and answers its probe.
func (r *Reconciler) convergeNode(ctx context.Context, c *model.Cluster, n model.NodeSpec, bin engine.Binary) nodeResult {
	key := model.NodeKey(c.Spec.ID, n.ID)
	res := nodeResult{status: model.NodeStatus{ID: n.ID, Status: model.NodeCreating, Binary: bin.Path, BinaryVersion: bin.Version}}
	if prev := c.Status.NodeStatusByID(n.ID); prev != nil {
		res.status.Status = prev.Status
		res.status.Restarts = prev.Restarts
		res.status.ParameterStatus, res.status.Parameters, res.status.PendingParameters = prev.ParameterStatus, prev.Parameters, prev.PendingParameters
	}
	params, err := r.renderParameters(ctx, c, n)
	if err != nil {
		res.err = err
		return res
	}
	spec, clientTLS, err := r.nodeSpec(c, n, bin, params)
	if err != nil {
		res.err = err
		return res
	}
	st, err := r.cfg.Driver.Ensure(ctx, spec)
	if err != nil {
		res.err = fmt.Errorf("start: %w", err)
		return res
	}
	res.status.PID, res.status.StartedAt = st.PID, st.StartedAt
	prev := c.Status.NodeStatusByID(n.ID)
	fresh := prev == nil || prev.PID != st.PID
	if fresh {
		// What was recorded of the old process's parameters is not the new one's.
		res.status.ParameterStatus, res.status.Parameters, res.status.PendingParameters = "", nil, nil
	}
	timeout := r.cfg.ProbeTimeout
	if fresh && !st.Adopted {
		timeout = r.cfg.StartTimeout
	}
	version, err := r.probeUntil(ctx, c, n, clientTLS, timeout)
	if err != nil {
		res.err = fmt.Errorf("health probe: %w", err)
		if !fresh {
			// A running node that stopped answering (hung, e.g. SIGSTOP) is replaced.
			r.log.Warn("node does not answer its health probe; restarting it", "node", key, "err", err)
			_ = r.cfg.Driver.Stop(ctx, key)
			res.status.Status = model.NodeRebooting
			res.status.Restarts++
		} else if prev != nil && prev.PID != 0 && !st.Adopted {
			// The replacement of a node that died does not answer yet: it is
			// not in service, and the status says so until it is.
			res.status.Status = model.NodeRebooting
		}
		return res
	}
	if fresh && prev != nil && prev.PID != 0 && !st.Adopted {
		res.status.Restarts++
	}
	if r.announce(key, st.PID) {
		r.log.Info("node serving",
			"node", key, "engine", c.Spec.Engine, "requested_version", c.Spec.EngineVersion,
			"binary", bin.Path, "binary_version", bin.Version, "reported_version", version,
			"endpoint", fmt.Sprintf("%s:%d", n.Address, n.Port), "pid", st.PID, "adopted", st.Adopted)
	}
	res.status.Status = model.NodeAvailable
	res.ready = true
	if err := r.syncParameters(ctx, c, n, clientTLS, st, params, prev, &res.status); err != nil {
		res.err = err
	}
	return res
}

// exitHistory is how often a node died lately.
type exitHistory struct {
	last  time.Time
	count int
}

// restartDelay is the backoff before replacing a node that exited: none for a
// node that had been up a while, then doubling from 100 ms to 10 s for a node
// that keeps dying (e.g. its binary cannot start), so it cannot spin.
func (r *Reconciler) restartDelay(key string, now time.Time) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	h := r.exits[key]
	if now.Sub(h.last) > 30*time.Second {
		h.count = 0
	}
	h.last = now
	h.count++
	r.exits[key] = h
	if h.count == 1 {
		return 0
	}
	d := 100 * time.Millisecond << min(h.count-2, 7)
	return min(d, 10*time.Second)
}

// announce reports whether this process has not yet logged that pid serves the node.
func (r *Reconciler) announce(key string, pid int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.serving[key] == pid {
		return false
	}
	r.serving[key] = pid
	return true
}

// probeUntil probes until the node answers or timeout passes, backing off from 2ms.
func (r *Reconciler) probeUntil(ctx context.Context, c *model.Cluster, n model.NodeSpec, clientTLS *tls.Config, timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	wait := 2 * time.Millisecond
	for {
		pctx, cancel := context.WithTimeout(ctx, minDuration(r.cfg.ProbeTimeout, time.Until(deadline)))
		v, err := r.cfg.Probe(pctx, engine.Name(c.Spec.Engine), n.Address, n.Port, c.Spec.AuthToken, clientTLS)
		cancel()
		if err == nil {
			return v, nil
		}
		if time.Now().Add(wait).After(deadline) || ctx.Err() != nil {
			return "", err
		}
		time.Sleep(wait)
		wait = minDuration(wait*2, 100*time.Millisecond)
	}
}

func minDuration(a, b time.Duration) time.Duration {
	if a < b {
		return a
	}
	return b
}

// nodeSpec renders the engine config of one node into a driver spec.
func (r *Reconciler) nodeSpec(c *model.Cluster, n model.NodeSpec, bin engine.Binary, params map[string]string) (driver.NodeSpec, *tls.Config, error) {
	eng := engine.Name(c.Spec.Engine)
	version, ok := engine.LookupVersion(eng, c.Spec.EngineVersion)
	if !ok {
		return driver.NodeSpec{}, nil, fmt.Errorf("engine version %s %s is not in the catalog", eng, c.Spec.EngineVersion)
	}
	nodeType, ok := engine.LookupNodeType(c.Spec.CacheNodeType)
	if !ok {
		return driver.NodeSpec{}, nil, fmt.Errorf("node type %s is not in the catalog", c.Spec.CacheNodeType)
	}
	dir := r.nodeDir(c.Spec.ID, n.ID)
	cfg := engine.NodeConfig{
		Engine: eng, Version: version, NodeType: nodeType,
		ListenAddress: n.Address, Port: n.Port, DataDir: dir,
		AuthToken: c.Spec.AuthToken, Parameters: params,
	}
	var files []driver.File
	var clientTLS *tls.Config
	if c.Spec.TransitEncryptionEnabled {
		if r.cfg.TLS == nil {
			return driver.NodeSpec{}, nil, errors.New("in-transit encryption is requested but no certificate authority is configured")
		}
		certFiles, tlsFiles, client, err := r.cfg.TLS(n, dir)
		if err != nil {
			return driver.NodeSpec{}, nil, fmt.Errorf("node certificate: %w", err)
		}
		files, cfg.TLS, clientTLS = append(files, certFiles...), tlsFiles, client
	}
	rendered, err := engine.Render(cfg)
	if err != nil {
		return driver.NodeSpec{}, nil, fmt.Errorf("render config: %w", err)
	}
	for _, f := range rendered.Files {
		files = append(files, driver.File{Name: f.Name, Content: f.Content, Mode: os.FileMode(f.Mode)})
	}
	return driver.NodeSpec{
		ID: model.NodeKey(c.Spec.ID, n.ID), Binary: bin.Path, Args: rendered.Args, Files: files,
		Dir: dir, Address: n.Address, Port: n.Port,
	}, clientTLS, nil
}

// writeStatus records what the pass observed, unless the spec changed meanwhile.
func (r *Reconciler) writeStatus(seen *model.Cluster, nodes []model.NodeStatus, problem string, again time.Duration) time.Duration {
	var notes []model.Notification
	err := r.cfg.Store.Update(func(tx *store.Tx) error {
		notes = nil
		cur, err := tx.Cluster(seen.Spec.ID)
		if err != nil || cur == nil || cur.Spec.Generation != seen.Spec.Generation {
			return err // gone or changed: the next pass sees the new spec
		}
		next := cur.Status
		next.Message = problem
		if nodes != nil {
			next.Nodes = nodes
			allReady := len(nodes) == len(cur.Spec.Nodes)
			for _, n := range nodes {
				allReady = allReady && n.Status == model.NodeAvailable
			}
			if allReady {
				if next.Status != model.StatusAvailable {
					r.log.Info("cluster available", "cluster", cur.Spec.ID, "nodes", len(nodes))
				}
				next.Status = model.StatusAvailable
				next.ObservedGeneration = cur.Spec.Generation
			}
		}
		if statusEqual(cur.Status, next) {
			return nil
		}
		// The events of this change commit with it; its notifications go out after.
		events, ns := statusEvents(cur, next, time.Now())
		for _, e := range events {
			if err := tx.AddEvent(e); err != nil {
				return err
			}
		}
		notes = ns
		cur.Status = next
		return tx.PutCluster(cur)
	})
	if err != nil {
		r.log.Error("writing status", "cluster", seen.Spec.ID, "err", err)
		return time.Second
	}
	r.publish(notes)
	if problem != "" {
		r.log.Warn("cluster not converged", "cluster", seen.Spec.ID, "problem", problem)
	}
	return again
}

func statusEqual(a, b model.ClusterStatus) bool {
	if a.Status != b.Status || a.Message != b.Message || a.ObservedGeneration != b.ObservedGeneration || len(a.Nodes) != len(b.Nodes) {
		return false
	}
	for i := range a.Nodes {
		if !nodeStatusEqual(a.Nodes[i], b.Nodes[i]) {
			return false
		}
	}
	return true
}
