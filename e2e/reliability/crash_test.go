package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/elasticache/types"
)

// What the test knows about one cluster id.
type clusterState int

const (
	stCreateUnknown clusterState = iota // create sent, answer lost to a kill: may or may not exist
	stLive                              // create acknowledged (or observed): must exist
	stDeleteUnknown                     // delete sent, answer lost to a kill
	stDeleting                          // delete acknowledged: must be deleting, then gone
	stGone                              // observed gone, or never created: must not exist
)

func (s clusterState) String() string {
	return [...]string{"create-unknown", "live", "delete-unknown", "deleting", "gone"}[s]
}

type entry struct {
	id     string
	owner  int // worker that alone creates, deletes and describes it singly
	engine string
	nodes  int
	state  clusterState
	goneAt time.Time // when it was observed gone
}

// ledger is the test's record of every cluster id it ever used.
type ledger struct {
	mu      sync.Mutex
	entries map[string]*entry
}

func (l *ledger) get(id string) *entry {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.entries[id]
}

func (l *ledger) add(e *entry) {
	l.mu.Lock()
	l.entries[e.id] = e
	l.mu.Unlock()
}

func (l *ledger) set(id string, st clusterState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.entries[id]
	e.state = st
	if st == stGone {
		e.goneAt = time.Now()
	}
}

// ids returns the ids owned by owner (any owner if owner < 0) in one of states.
func (l *ledger) ids(owner int, states ...clusterState) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for id, e := range l.entries {
		if (owner < 0 || e.owner == owner) && slices.Contains(states, e.state) {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// failer reports at most a limited number of errors, from any goroutine.
type failer struct {
	t *testing.T
	n atomic.Int32
}

func (f *failer) errorf(format string, args ...any) {
	f.t.Helper()
	if f.n.Add(1) <= 25 {
		f.t.Errorf(format, args...)
	}
}

func TestCrashConsistency(t *testing.T) {
	e := newEnv(t, 1)
	killPoints := 5
	if long {
		killPoints = 24
	}
	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(os.Getenv("CACHEPLANE_SEED"), 10, 64); err == nil {
		seed = s
	}
	t.Logf("seed %d (set CACHEPLANE_SEED to repeat), %d kill points", seed, killPoints)
	rng := rand.New(rand.NewPCG(seed, 0))
	f := &failer{t: t}
	l := &ledger{entries: map[string]*entry{}}

	srv := e.startServer(nil)
	verifyAfterRestart(t, f, e, srv, l)
	kills, round := 0, 0
	var killedIn []string
	for kills < killPoints && !t.Failed() {
		round++
		// Kill early (the reconciler still busy with the round's first
		// writes), in the middle, or late in a busy workload.
		var d time.Duration
		switch rng.IntN(3) {
		case 0:
			d = time.Duration(rng.IntN(60)) * time.Millisecond
		case 1:
			d = time.Duration(60+rng.IntN(500)) * time.Millisecond
		default:
			d = time.Duration(500+rng.IntN(1500)) * time.Millisecond
		}
		runWorkload(t, f, srv, l, round, d, rng.Uint64())
		kills++
		killedIn = append(killedIn, "workload after "+d.String())
		srv = e.startServer(nil)
		if kills < killPoints && rng.IntN(4) == 0 {
			// Kill again while the new server re-adopts and resumes work.
			d := time.Duration(rng.IntN(40)) * time.Millisecond
			time.Sleep(d)
			srv.kill()
			kills++
			killedIn = append(killedIn, fmt.Sprintf("restart after %s", d))
			srv = e.startServer(nil)
		}
		verifyAfterRestart(t, f, e, srv, l)
	}
	t.Logf("%d kill points in %d rounds: %s", kills, round, strings.Join(killedIn, ", "))
	if t.Failed() {
		return
	}

	// Delete everything and check that nothing of the data dir is left running.
	c := srv.client()
	ctx := context.Background()
	live := l.ids(-1, stLive)
	for _, id := range live {
		waitAvailable(t, c, id, 10*time.Second)
		if _, err := c.DeleteCacheCluster(ctx, &elasticache.DeleteCacheClusterInput{CacheClusterId: aws.String(id)}); err != nil {
			t.Fatalf("delete %s: %v", id, err)
		}
	}
	for _, id := range append(live, l.ids(-1, stDeleting)...) {
		waitGone(t, c, id, 10*time.Second)
	}
	all, err := describeAll(ctx, c)
	if err != nil || len(all) != 0 {
		t.Fatalf("after deleting everything: %d clusters, %v", len(all), err)
	}
	if ps := engineProcsUnder(e.dataDir); len(ps) > 0 {
		t.Errorf("engine processes left after deleting every cluster: %v", ps)
	}
	if left, _ := os.ReadDir(e.nodesDir()); len(left) > 0 {
		t.Errorf("node directories left after deleting every cluster: %v", names(left))
	}
	srv.stop(t)
	if ps := procsUnder(e.dataDir); len(ps) > 0 {
		t.Errorf("processes of the data dir still running after the server stopped: %v", ps)
	}
	t.Logf("%d cluster ids used in all", len(l.entries))
	var temps []string
	_ = filepath.WalkDir(e.dataDir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(d.Name(), ".tmp-") {
			rel, _ := filepath.Rel(e.dataDir, path)
			temps = append(temps, rel)
		}
		return nil
	})
	if len(temps) > 0 {
		t.Logf("note: %d temporary files of atomic writes cut by a kill are left in the data dir, e.g. %s", len(temps), temps[0])
	}
}

func names(des []os.DirEntry) []string {
	var out []string
	for _, d := range des {
		out = append(out, d.Name())
	}
	return out
}

// runWorkload runs concurrent workers against srv for d, then kills srv with
// SIGKILL while their requests are in flight.
func runWorkload(t *testing.T, f *failer, srv *server, l *ledger, round int, d time.Duration, seed uint64) {
	const workers, perWorker = 4, 5
	var killedAt atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := srv.client()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wk := &worker{f: f, c: c, l: l, id: w, round: round, rng: rand.New(rand.NewPCG(seed, uint64(w))), killedAt: &killedAt}
			for ctx.Err() == nil && killedAt.Load() == 0 {
				wk.step(ctx, perWorker)
				time.Sleep(time.Duration(wk.rng.IntN(8)) * time.Millisecond)
			}
		}()
	}
	time.Sleep(d)
	killedAt.Store(time.Now().UnixNano())
	srv.kill()
	cancel()
	wg.Wait()
}

type worker struct {
	f        *failer
	c        *elasticache.Client
	l        *ledger
	id       int
	round    int
	seq      int
	rng      *rand.Rand
	killedAt *atomic.Int64
}

// lost tells whether err means the answer was lost to the kill: no answer,
// or one cut off in the middle. Such an error while the server was up is a
// failure.
func (w *worker) lost(op string, err error) bool {
	if err == nil || apiCode(err) != "" {
		return false // a whole answer
	}
	if w.killedAt.Load() == 0 {
		w.f.errorf("%s: no whole answer while the server was up: %v", op, err)
	}
	return true
}

func (w *worker) step(ctx context.Context, perWorker int) {
	live := w.l.ids(w.id, stLive)
	deleting := w.l.ids(w.id, stDeleting)
	r := w.rng.IntN(100)
	switch {
	case r < 40 && len(live) < perWorker:
		w.create(ctx)
	case r < 60 && len(live) > 0:
		w.delete(ctx, live[w.rng.IntN(len(live))])
	case r < 65 && len(live) > 0:
		w.createDuplicate(ctx, live[w.rng.IntN(len(live))])
	case r < 80 && len(live) > 0:
		w.describeOne(ctx, live[w.rng.IntN(len(live))], stLive)
	case r < 85 && len(deleting) > 0:
		w.describeOne(ctx, deleting[w.rng.IntN(len(deleting))], stDeleting)
	default:
		w.describeAll(ctx)
	}
}

func (w *worker) create(ctx context.Context) {
	w.seq++
	e := &entry{id: fmt.Sprintf("k%d-w%d-%d", w.round, w.id, w.seq), owner: w.id, engine: "redis", nodes: 1, state: stCreateUnknown}
	if w.rng.IntN(2) == 0 {
		e.engine, e.nodes = "memcached", 1+w.rng.IntN(3)
	}
	w.l.add(e) // before sending: a describe may list it at once
	err := createCluster(ctx, w.c, e.id, e.engine, e.nodes)
	switch {
	case err == nil:
		w.l.set(e.id, stLive)
	case w.lost("create "+e.id, err):
		// stays create-unknown
	default:
		w.f.errorf("create %s (%s, %d nodes): %v", e.id, e.engine, e.nodes, err)
		w.l.set(e.id, stGone)
	}
}

func (w *worker) createDuplicate(ctx context.Context, id string) {
	e := w.l.get(id)
	err := createCluster(ctx, w.c, id, e.engine, e.nodes)
	switch {
	case err == nil:
		w.f.errorf("second create of live cluster %s succeeded: duplicate", id)
	case w.lost("duplicate create "+id, err):
	case apiCode(err) != "CacheClusterAlreadyExists":
		w.f.errorf("second create of live cluster %s: want CacheClusterAlreadyExists, got %v", id, err)
	}
}

func (w *worker) delete(ctx context.Context, id string) {
	_, err := w.c.DeleteCacheCluster(ctx, &elasticache.DeleteCacheClusterInput{CacheClusterId: aws.String(id)})
	switch {
	case err == nil:
		w.l.set(id, stDeleting)
	case w.lost("delete "+id, err):
		w.l.set(id, stDeleteUnknown)
	case apiCode(err) == "InvalidCacheClusterState":
		// not available yet
	case apiCode(err) == "CacheClusterNotFound":
		w.f.errorf("delete of acknowledged cluster %s: CacheClusterNotFound: cluster lost", id)
	default:
		w.f.errorf("delete %s: %v", id, err)
	}
}

func (w *worker) describeOne(ctx context.Context, id string, st clusterState) {
	res, err := w.c.DescribeCacheClusters(ctx, &elasticache.DescribeCacheClustersInput{CacheClusterId: aws.String(id), ShowCacheNodeInfo: aws.Bool(true)})
	switch {
	case err == nil:
		if len(res.CacheClusters) != 1 {
			w.f.errorf("describe %s: %d clusters", id, len(res.CacheClusters))
			return
		}
		status := aws.ToString(res.CacheClusters[0].CacheClusterStatus)
		if st == stLive && status != "creating" && status != "available" {
			w.f.errorf("live cluster %s is %s", id, status)
		}
		if st == stDeleting && status != "deleting" {
			w.f.errorf("cluster %s whose delete succeeded is %s", id, status)
		}
	case w.lost("describe "+id, err):
	case apiCode(err) == "CacheClusterNotFound" && st == stDeleting:
		w.l.set(id, stGone)
	case apiCode(err) == "CacheClusterNotFound":
		w.f.errorf("acknowledged cluster %s is not found: cluster lost", id)
	default:
		w.f.errorf("describe %s: %v", id, err)
	}
}

func (w *worker) describeAll(ctx context.Context) {
	start := time.Now()
	all, err := describeAll(ctx, w.c)
	if err != nil {
		if !w.lost("describe all", err) {
			w.f.errorf("describe all: %v", err)
		}
		return
	}
	checkListing(w.f, w.l, all, start)
}

// checkListing checks a full listing: no duplicate ids or endpoints, no
// unknown id, nothing that was observed gone before the listing started.
func checkListing(f *failer, l *ledger, all []types.CacheCluster, start time.Time) {
	seen := map[string]bool{}
	endpoints := map[netip.AddrPort]string{}
	for _, cc := range all {
		id := aws.ToString(cc.CacheClusterId)
		if seen[id] {
			f.errorf("cluster %s listed twice", id)
		}
		seen[id] = true
		e := l.get(id)
		if e == nil {
			f.errorf("listing has cluster %s that was never created", id)
			continue
		}
		l.mu.Lock()
		goneAt := e.goneAt
		l.mu.Unlock()
		if !goneAt.IsZero() && goneAt.Before(start) {
			f.errorf("cluster %s is listed again after it was observed gone", id)
		}
		for node, ep := range nodeEndpoints(cc) {
			if other, dup := endpoints[ep]; dup {
				f.errorf("endpoint %s used by %s and %s/%s", ep, other, id, node)
			}
			endpoints[ep] = id + "/" + node
		}
	}
}

// verifyAfterRestart checks the state right after a restart: ambiguous
// outcomes are resolved by the first listing; then within 5s of the ready
// line every live cluster must be available with every node answering, and
// every deleted one gone; then no orphan process, node directory or driver
// index entry may remain.
func verifyAfterRestart(t *testing.T, f *failer, e *testEnv, srv *server, l *ledger) {
	t.Helper()
	ctx := context.Background()
	c := srv.client()
	start := time.Now()
	all, err := describeAll(ctx, c)
	if err != nil {
		t.Fatalf("describe after restart: %v", err)
	}
	checkListing(f, l, all, start)
	listed := map[string]types.CacheCluster{}
	for _, cc := range all {
		listed[aws.ToString(cc.CacheClusterId)] = cc
	}
	l.mu.Lock()
	for id, en := range l.entries {
		cc, present := listed[id]
		status := aws.ToString(cc.CacheClusterStatus)
		switch en.state {
		case stCreateUnknown:
			en.state = map[bool]clusterState{true: stLive, false: stGone}[present]
		case stDeleteUnknown:
			switch {
			case !present:
				en.state = stGone
			case status == "deleting":
				en.state = stDeleting
			default:
				en.state = stLive
			}
		case stLive:
			if !present {
				f.errorf("acknowledged cluster %s (%s) lost after the restart", id, en.engine)
				en.state = stGone
			}
		case stDeleting:
			if present && status != "deleting" {
				f.errorf("cluster %s whose delete succeeded is %s after the restart", id, status)
			}
		case stGone:
			if present {
				f.errorf("cluster %s that was gone (or never created) exists after the restart (%s)", id, status)
			}
		}
		if en.state == stGone && en.goneAt.IsZero() {
			en.goneAt = time.Now()
		}
	}
	l.mu.Unlock()

	// Convergence within 5s of the ready line.
	deadline := srv.readyAt.Add(5 * time.Second)
	var last []types.CacheCluster
	var why string
	for {
		last, err = describeAll(ctx, c)
		if err != nil {
			t.Fatalf("describe after restart: %v", err)
		}
		why = converged(l, last)
		if why == "" || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if why != "" {
		f.errorf("not converged %s after the restart: %s", time.Since(srv.readyAt).Round(time.Millisecond), why)
		return
	}
	for _, id := range l.ids(-1, stDeleting) {
		l.set(id, stGone)
	}
	checkProcessesAndDirs(f, e, l, last)
	t.Logf("restart %d: %d clusters converged %s after the ready line", srv.n, len(last), time.Since(srv.readyAt).Round(time.Millisecond))
}

// converged explains what is not converged yet ("" when everything is).
func converged(l *ledger, all []types.CacheCluster) string {
	listed := map[string]types.CacheCluster{}
	for _, cc := range all {
		listed[aws.ToString(cc.CacheClusterId)] = cc
	}
	var problems []string
	for _, id := range l.ids(-1, stLive) {
		cc := listed[id]
		en := l.get(id)
		if st := aws.ToString(cc.CacheClusterStatus); st != "available" {
			problems = append(problems, id+" is "+st)
			continue
		}
		eps := nodeEndpoints(cc)
		if len(eps) != en.nodes {
			problems = append(problems, fmt.Sprintf("%s has %d node endpoints, want %d", id, len(eps), en.nodes))
			continue
		}
		for node, ep := range eps {
			if err := probeNode(en.engine, ep); err != nil {
				problems = append(problems, fmt.Sprintf("%s/%s at %s: %v", id, node, ep, err))
			}
		}
	}
	for _, id := range l.ids(-1, stDeleting) {
		if cc, ok := listed[id]; ok {
			problems = append(problems, id+" (deleted) is still "+aws.ToString(cc.CacheClusterStatus))
		}
	}
	if len(problems) > 8 {
		problems = append(problems[:8], fmt.Sprintf("and %d more", len(problems)-8))
	}
	return strings.Join(problems, "; ")
}

// checkProcessesAndDirs checks, once converged, that every engine process of
// the data dir is the one node process of a listed cluster node, at its
// endpoint, and that node directories and driver index entries exist only for
// listed clusters' nodes.
func checkProcessesAndDirs(f *failer, e *testEnv, l *ledger, all []types.CacheCluster) {
	want := map[string]netip.AddrPort{} // node dir -> endpoint
	clusters := map[string]bool{}
	for _, cc := range all {
		id := aws.ToString(cc.CacheClusterId)
		clusters[id] = true
		for node, ep := range nodeEndpoints(cc) {
			want[e.nodeDir(id, node)] = ep
		}
	}
	socks := boundSockets()
	byDir := map[string][]int{}
	for _, p := range engineProcsUnder(e.dataDir) {
		ep, ok := want[p.cwd]
		if !ok || p.deleted {
			f.errorf("orphan engine process: %v", p)
			continue
		}
		byDir[p.cwd] = append(byDir[p.cwd], p.pid)
		var on []string
		found := false
		for _, s := range socketsOf(p.pid, socks) {
			on = append(on, s.addr.String())
			found = found || s.addr == ep
		}
		if !found {
			f.errorf("node process %v does not listen on its endpoint %s (listens on %v)", p, ep, on)
		}
	}
	for dir := range want {
		if n := len(byDir[dir]); n != 1 {
			f.errorf("node %s has %d processes (%v), want 1", dir, n, byDir[dir])
		}
	}
	cdirs, _ := os.ReadDir(e.nodesDir())
	for _, cd := range cdirs {
		if !clusters[cd.Name()] {
			f.errorf("leftover node directory of cluster %s (state %v)", cd.Name(), stateOf(l, cd.Name()))
			continue
		}
		nds, _ := os.ReadDir(filepath.Join(e.nodesDir(), cd.Name()))
		for _, nd := range nds {
			if _, ok := want[filepath.Join(e.nodesDir(), cd.Name(), nd.Name())]; !ok {
				f.errorf("leftover node directory %s/%s", cd.Name(), nd.Name())
			}
		}
	}
	idx, _ := os.ReadDir(filepath.Join(e.dataDir, "driver"))
	for _, ie := range idx {
		if strings.HasPrefix(ie.Name(), ".") {
			// A temporary file of an atomic write cut by a kill: litter
			// that nothing removes (see the note at the end), not an entry.
			continue
		}
		b, err := os.ReadFile(filepath.Join(e.dataDir, "driver", ie.Name()))
		if err != nil {
			continue
		}
		var rec struct{ ID, Dir string }
		if json.Unmarshal(b, &rec) != nil {
			continue
		}
		if _, ok := want[rec.Dir]; !ok {
			f.errorf("leftover driver index entry %s for %s (%s)", ie.Name(), rec.ID, rec.Dir)
		}
	}
}

func stateOf(l *ledger, id string) string {
	if e := l.get(id); e != nil {
		l.mu.Lock()
		defer l.mu.Unlock()
		return e.state.String()
	}
	return "unknown"
}
