// Command density runs --nodes live memcached nodes (cache.t3.micro, in
// clusters of --per-cluster nodes) through the real cacheplane binary and
// measures the time to create them all, the control plane's RSS (VmRSS of
// /proc/<pid>/status) and its idle CPU over --idle (utime+stime of
// /proc/<pid>/stat) while they run.
//
// With --restart (the default) it then kills the control plane with SIGKILL,
// starts it again on the same data directory, and measures the time until it
// is ready, until every cluster is described available, and until every node
// is re-adopted (its "node serving ... adopted=true" log line), and counts node
// restarts by comparing the PID and start time of the process serving every
// endpoint before the kill and --post-restart after the new start.
//
//	go run ./bench/cmd/density --cacheplane /tmp/x/cacheplane --nodes 1000 --idle 30s
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"

	"github.com/cacheplane/cacheplane/bench/internal/harness"
)

type options struct {
	binary      string
	nodes       int
	perCluster  int
	idle        time.Duration
	settle      time.Duration
	restart     bool
	postRestart time.Duration
	concurrency int
	poll        time.Duration
	nodeType    string
	timeout     time.Duration
	keep        bool
}

func main() {
	var o options
	flag.StringVar(&o.binary, "cacheplane", "", "the cacheplane binary (required)")
	flag.IntVar(&o.nodes, "nodes", 1000, "live memcached nodes")
	flag.IntVar(&o.perCluster, "per-cluster", 40, "nodes per cluster (the last cluster takes the remainder)")
	flag.DurationVar(&o.idle, "idle", 30*time.Second, "window of the idle CPU measurement")
	flag.DurationVar(&o.settle, "settle", 5*time.Second, "wait after everything is available before measuring RSS and CPU")
	flag.BoolVar(&o.restart, "restart", true, "also measure a kill -9 restart of the control plane")
	flag.DurationVar(&o.postRestart, "post-restart", 12*time.Second, "after the restart, watch this long (more than one 10 s resync) for node restarts")
	flag.IntVar(&o.concurrency, "concurrency", 8, "concurrent CreateCacheCluster calls")
	flag.DurationVar(&o.poll, "poll", 10*time.Millisecond, "poll period of the paged DescribeCacheClusters (and of the log)")
	flag.StringVar(&o.nodeType, "node-type", "cache.t3.micro", "CacheNodeType")
	flag.DurationVar(&o.timeout, "timeout", 10*time.Minute, "limit of each wait")
	flag.BoolVar(&o.keep, "keep", false, "keep the work directory")
	flag.Parse()
	harness.Main(func(ctx context.Context) error { return run(ctx, o) })
}

type densityResult struct {
	clusters           int
	createAll          time.Duration
	createCalls        time.Duration
	baseRSS, rss, hwm  int64 // kB
	cpu                float64
	nodeRSS            int64 // kB, sum over nodes
	fds                int
	running            int
	restart            *restartResult
	restartRSS         int64
	restartCPU         float64
	restartIdleSkipped bool
}

type restartResult struct {
	ready, described, adopted time.Duration
	adoptedLines              int
	aliveAfterKill            int
	restarted, missing        int
	replacedLog               int
}

func run(ctx context.Context, o options) error {
	if o.binary == "" {
		return errors.New("--cacheplane is required")
	}
	if o.nodes < 1 || o.perCluster < 1 || o.perCluster > 40 {
		return errors.New("--nodes must be >= 1 and --per-cluster 1..40")
	}
	if err := harness.RequireFree(harness.RangeDensity); err != nil {
		return err
	}
	work, err := harness.TempDir("bench-density-", o.keep)
	if err != nil {
		return err
	}
	dataDir := filepath.Join(work, "data")
	harness.CleanupNodes(dataDir, harness.RangeDensity)
	clusters := (o.nodes + o.perCluster - 1) / o.perCluster
	sopts := harness.ServerOptions{
		Binary: o.binary, DataDir: dataDir, NodeRange: harness.RangeDensity, StopOnExit: true,
		LogPath: filepath.Join(work, "server.1.log"),
		Args:    []string{"--max-nodes", strconv.Itoa(o.nodes + 100), "--max-clusters", strconv.Itoa(clusters + 10)},
	}
	srv, err := harness.StartServer(ctx, sopts)
	if err != nil {
		return err
	}
	harness.Logf("cacheplane pid %d at %s", srv.PID, srv.Endpoint)
	client := harness.NewClient(srv.Endpoint, o.concurrency+2)
	res := densityResult{clusters: clusters}
	res.baseRSS, _ = harness.StatusKB(srv.PID, "VmRSS")

	// Create everything.
	t0 := time.Now()
	var wg sync.WaitGroup
	errs := make([]error, clusters)
	sem := make(chan struct{}, o.concurrency)
	for i := 0; i < clusters; i++ {
		n := min(o.perCluster, o.nodes-i*o.perCluster)
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			errs[i] = harness.Create(ctx, client, &elasticache.CreateCacheClusterInput{
				CacheClusterId: aws.String(fmt.Sprintf("dens-%04d", i)), Engine: aws.String("memcached"),
				CacheNodeType: aws.String(o.nodeType), NumCacheNodes: aws.Int32(int32(n)),
			})
		}()
	}
	wg.Wait()
	res.createCalls = time.Since(t0)
	if err := errors.Join(errs...); err != nil {
		return err
	}
	harness.Logf("%d CreateCacheCluster calls took %v; waiting for %d nodes", clusters, res.createCalls, o.nodes)
	if err := waitAllAvailable(ctx, client, clusters, o.poll, o.timeout, func(avail int) {
		harness.Logf("  %d/%d clusters available after %v", avail, clusters, time.Since(t0).Round(time.Millisecond))
	}); err != nil {
		return err
	}
	res.createAll = time.Since(t0)
	harness.Logf("all %d nodes available after %v", o.nodes, res.createAll)

	before, err := harness.FindEngineProcs(harness.RangeDensity)
	if err != nil {
		return err
	}
	res.running = len(before)
	if res.running != o.nodes {
		return fmt.Errorf("%d engine processes serve %s, want %d", res.running, harness.RangeDensity, o.nodes)
	}
	for _, p := range before {
		kb, _ := harness.StatusKB(p.PID, "VmRSS")
		res.nodeRSS += kb
	}

	if err := harness.Sleep(ctx, o.settle); err != nil {
		return err
	}
	if res.cpu, err = idleCPU(ctx, srv.PID, o.idle); err != nil {
		return err
	}
	res.rss, _ = harness.StatusKB(srv.PID, "VmRSS")
	res.hwm, _ = harness.StatusKB(srv.PID, "VmHWM")
	if ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", srv.PID)); err == nil {
		res.fds = len(ents)
	}
	harness.Logf("control plane: RSS %d kB (peak %d kB), idle CPU %.2f%%, %d fds", res.rss, res.hwm, res.cpu, res.fds)

	if o.restart {
		rr, srv2, err := restart(ctx, o, srv, sopts, work, clusters, before)
		if err != nil {
			return err
		}
		res.restart = rr
		res.restartRSS, _ = harness.StatusKB(srv2.PID, "VmRSS")
		srv = srv2
	}
	print(o, res)
	harness.Logf("stopping the control plane and %d nodes", o.nodes)
	srv.Stop()
	return nil
}

func idleCPU(ctx context.Context, pid int, window time.Duration) (float64, error) {
	c0, err := harness.CPUTicks(pid)
	if err != nil {
		return 0, err
	}
	t0 := time.Now()
	if err := harness.Sleep(ctx, window); err != nil {
		return 0, err
	}
	c1, err := harness.CPUTicks(pid)
	if err != nil {
		return 0, err
	}
	return float64(c1-c0) / harness.ClockTicks / time.Since(t0).Seconds() * 100, nil
}

// waitAllAvailable pages DescribeCacheClusters every poll until want clusters exist, all available.
func waitAllAvailable(ctx context.Context, c *elasticache.Client, want int, poll, timeout time.Duration, progress func(int)) error {
	deadline := time.Now().Add(timeout)
	lastReport := time.Now()
	for {
		counts, all, err := harness.DescribeAll(ctx, c)
		if err != nil {
			return err
		}
		if len(all) == want && counts["available"] == want {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("after %v: %v of %d clusters: %w", timeout, counts, want, harness.ErrTimeout)
		}
		if progress != nil && time.Since(lastReport) > 5*time.Second {
			progress(counts["available"])
			lastReport = time.Now()
		}
		if err := harness.Sleep(ctx, poll); err != nil {
			return err
		}
	}
}

func restart(ctx context.Context, o options, old *harness.Server, sopts harness.ServerOptions, work string, clusters int, before map[string]harness.EngineProc) (*restartResult, *harness.Server, error) {
	rr := &restartResult{}
	harness.Logf("kill -9 of cacheplane pid %d", old.PID)
	old.Kill9()
	for _, p := range before {
		if p.Alive() {
			rr.aliveAfterKill++
		}
	}
	sopts.LogPath = filepath.Join(work, "server.2.log")
	t0 := time.Now()
	srv, err := harness.StartServer(ctx, sopts)
	if err != nil {
		return nil, nil, err
	}
	rr.ready = time.Since(t0)
	client := harness.NewClient(srv.Endpoint, 2)
	nodes := len(before)
	deadline := time.Now().Add(o.timeout)
	for rr.described == 0 || rr.adopted == 0 {
		if rr.described == 0 {
			counts, all, err := harness.DescribeAll(ctx, client)
			if err != nil {
				return nil, nil, err
			}
			if len(all) == clusters && counts["available"] == clusters {
				rr.described = time.Since(t0)
			}
		}
		if rr.adopted == 0 {
			rr.adoptedLines = harness.CountLogLines(srv.Log(), `msg="node serving"`, "adopted=true")
			if rr.adoptedLines >= nodes {
				rr.adopted = time.Since(t0)
			}
		}
		if time.Now().After(deadline) {
			return nil, nil, fmt.Errorf("after restart: described %v, adopted %d/%d nodes: %w", rr.described, rr.adoptedLines, nodes, harness.ErrTimeout)
		}
		if err := harness.Sleep(ctx, o.poll); err != nil {
			return nil, nil, err
		}
	}
	harness.Logf("restart: ready %v, all described available %v, all %d nodes re-adopted %v", rr.ready, rr.described, nodes, rr.adopted)
	if err := harness.Sleep(ctx, o.postRestart); err != nil {
		return nil, nil, err
	}
	after, err := harness.FindEngineProcs(harness.RangeDensity)
	if err != nil {
		return nil, nil, err
	}
	for ep, p := range before {
		q, ok := after[ep]
		switch {
		case !ok:
			rr.missing++
		case q.PID != p.PID || q.StartTime != p.StartTime:
			rr.restarted++
		}
	}
	log := srv.Log()
	rr.replacedLog = harness.CountLogLines(log, "replacing it") + harness.CountLogLines(log, "restarting it") +
		harness.CountLogLines(log, `msg="node serving"`, "adopted=false")
	return rr, srv, nil
}

func print(o options, r densityResult) {
	mb := func(kb int64) string { return fmt.Sprintf("%.1f MB", float64(kb)/1024) }
	fmt.Printf("### Density: %d live memcached %s nodes (%d clusters of up to %d)\n\n", o.nodes, o.nodeType, r.clusters, o.perCluster)
	fmt.Printf("`%s`\n\n", harness.CommandLine("bench/cmd/density"))
	fmt.Println("| nodes | clusters | time to create all (first Create -> all available) | Create calls | control-plane RSS (target < 100 MB) | peak RSS | idle CPU (target < 2%) | RSS with 0 nodes | control-plane fds | nodes' RSS (sum) |")
	fmt.Println("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
	fmt.Printf("| %d | %d | %s | %s | %s: %s | %s | %.2f%% over %v: %s | %s | %d | %s |\n\n",
		o.nodes, r.clusters, harness.Secs(r.createAll), harness.Secs(r.createCalls),
		mb(r.rss), harness.Verdict(r.rss < 100*1024), mb(r.hwm),
		r.cpu, o.idle, harness.Verdict(r.cpu < 2), mb(r.baseRSS), r.fds, mb(r.nodeRSS))
	if rr := r.restart; rr != nil {
		fmt.Printf("### Restart: kill -9 of the control plane with %d live nodes\n\n", o.nodes)
		fmt.Printf("Times from the exec of the new process. Node restarts: endpoints whose serving process (PID + start time, from /proc) changed or vanished, checked %v after the new start; target 0.\n\n", o.postRestart)
		fmt.Println("| nodes | alive after kill -9 | ready (API answers) | every cluster described available | every node re-adopted (log) | node restarts (target 0) | log: replaced / restarted / started fresh | RSS after restart |")
		fmt.Println("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
		fmt.Printf("| %d | %d | %s | %s | %s | %d (%d changed, %d gone): %s | %d | %s |\n\n",
			o.nodes, rr.aliveAfterKill, harness.Ms(rr.ready), harness.Ms(rr.described), harness.Ms(rr.adopted),
			rr.restarted+rr.missing, rr.restarted, rr.missing, harness.Verdict(rr.restarted+rr.missing == 0),
			rr.replacedLog, mb(r.restartRSS))
	}
}
