// Command tta measures time to available: CreateCacheCluster until
// DescribeCacheClusters (polled every --poll) says "available", through the
// real cacheplane binary, for a 1-node redis cluster and a 40-node memcached
// cluster. Each run then deletes its cluster and waits until it is gone.
//
// Side by side, in the same run and alternating with it, it measures the floor:
// exec of bare engine processes with the same rendered configuration (from
// internal/engine, as the reconciler renders it) on loopback addresses of
// their own, polled with PING / version at the same period until they answer.
//
//	go run ./bench/cmd/tta --cacheplane /tmp/x/cacheplane --runs 50 --memcached-runs 20
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"

	"github.com/cacheplane/cacheplane/bench/internal/harness"
	"github.com/cacheplane/cacheplane/internal/engine"
)

type options struct {
	binary         string
	runs           int
	memcachedRuns  int
	memcachedNodes int
	warmup         int
	poll           time.Duration
	nodeType       string
	timeout        time.Duration
	keep           bool
	cases          string
}

func main() {
	var o options
	flag.StringVar(&o.binary, "cacheplane", "", "the cacheplane binary (required)")
	flag.IntVar(&o.runs, "runs", 50, "measured runs of the 1-node redis case")
	flag.IntVar(&o.memcachedRuns, "memcached-runs", 20, "measured runs of the memcached case")
	flag.IntVar(&o.memcachedNodes, "memcached-nodes", 40, "nodes of the memcached cluster")
	flag.IntVar(&o.warmup, "warmup", 1, "unmeasured warm-up runs per case")
	flag.DurationVar(&o.poll, "poll", 2*time.Millisecond, "poll period of DescribeCacheClusters and of the floor's PING/version")
	flag.StringVar(&o.nodeType, "node-type", "cache.t3.micro", "CacheNodeType")
	flag.DurationVar(&o.timeout, "timeout", 2*time.Minute, "limit of one wait")
	flag.BoolVar(&o.keep, "keep", false, "keep the work directory")
	flag.StringVar(&o.cases, "cases", "redis,memcached", "cases to run")
	flag.Parse()
	harness.Main(func(ctx context.Context) error { return run(ctx, o) })
}

type result struct {
	name                string
	runs                int
	api, floor, deleted []time.Duration
	target              float64 // 0: none
}

func run(ctx context.Context, o options) error {
	if o.binary == "" {
		return errors.New("--cacheplane is required")
	}
	if err := harness.RequireFree(harness.RangeTTA, harness.RangeTTAFloor); err != nil {
		return err
	}
	work, err := harness.TempDir("bench-tta-", o.keep)
	if err != nil {
		return err
	}
	dataDir := filepath.Join(work, "data")
	harness.CleanupNodes(dataDir, harness.RangeTTA)
	harness.AtExit(func() { harness.SweepEngines(harness.RangeTTAFloor) })
	srv, err := harness.StartServer(ctx, harness.ServerOptions{
		Binary: o.binary, DataDir: dataDir, NodeRange: harness.RangeTTA,
		LogPath: filepath.Join(work, "server.log"), StopOnExit: true,
	})
	if err != nil {
		return err
	}
	harness.Logf("cacheplane pid %d at %s (ready after %v)", srv.PID, srv.Endpoint, srv.Ready)
	client := harness.NewClient(srv.Endpoint, 4)

	var results []result
	for _, c := range strings.Split(o.cases, ",") {
		var r result
		switch strings.TrimSpace(c) {
		case "redis":
			r, err = measure(ctx, o, client, work, engine.Redis, 1, o.runs)
			r.target = 3
		case "memcached":
			r, err = measure(ctx, o, client, work, engine.Memcached, o.memcachedNodes, o.memcachedRuns)
		case "":
			continue
		default:
			return fmt.Errorf("unknown case %q", c)
		}
		if err != nil {
			return err
		}
		results = append(results, r)
	}
	fmt.Printf("### Time to available (CreateCacheCluster -> available)\n\n")
	fmt.Printf("`%s`\n\n", harness.CommandLine("bench/cmd/tta"))
	fmt.Printf("Polling every %v. Floor: exec of bare engine processes with the same rendered config on their own loopback addresses until every one answers PING / version (same poll period), started in parallel. p99 is nearest-rank (with 50 runs, the slowest). delete -> gone: DeleteCacheCluster until DescribeCacheClusters answers CacheClusterNotFound.\n\n", o.poll)
	fmt.Println("| case | runs | median | p99 | floor median | floor p99 | median / floor | target | delete -> gone median | delete -> gone p99 |")
	fmt.Println("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |")
	for _, r := range results {
		med, fmed := harness.Median(r.api), harness.Median(r.floor)
		target := "-"
		if r.target > 0 {
			target = fmt.Sprintf("<= %.0fx: %s", r.target, harness.Verdict(float64(med) <= r.target*float64(fmed)))
		}
		fmt.Printf("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.name, r.runs,
			harness.Ms(med), harness.Ms(harness.Percentile(r.api, 0.99)),
			harness.Ms(fmed), harness.Ms(harness.Percentile(r.floor, 0.99)),
			harness.Ratio(float64(med), float64(fmed)), target,
			harness.Ms(harness.Median(r.deleted)), harness.Ms(harness.Percentile(r.deleted, 0.99)))
	}
	fmt.Println()
	return nil
}

func measure(ctx context.Context, o options, client *elasticache.Client, work string, eng engine.Name, nodes, runs int) (result, error) {
	r := result{name: fmt.Sprintf("%s, %d node(s), %s", eng, nodes, o.nodeType), runs: runs}
	bin, err := engine.FindBinary(eng, "")
	if err != nil {
		return r, err
	}
	nodeType, ok := engine.LookupNodeType(o.nodeType)
	if !ok {
		return r, fmt.Errorf("unknown node type %s", o.nodeType)
	}
	for i := 0; i < o.warmup+runs; i++ {
		measured := i >= o.warmup
		// Alternate which of the two goes first.
		steps := []func() error{
			func() error {
				d, del, err := apiRun(ctx, o, client, eng, nodes, i)
				if measured {
					r.api, r.deleted = append(r.api, d), append(r.deleted, del)
				}
				return err
			},
			func() error {
				d, err := floorRun(ctx, o, work, bin, eng, nodeType, nodes, i)
				if measured {
					r.floor = append(r.floor, d)
				}
				return err
			},
		}
		if i%2 == 1 {
			steps[0], steps[1] = steps[1], steps[0]
		}
		for _, s := range steps {
			if err := s(); err != nil {
				return r, err
			}
		}
		if measured {
			harness.Logf("%s run %d/%d: api %v, floor %v, delete %v", eng, i-o.warmup+1, runs,
				r.api[len(r.api)-1], r.floor[len(r.floor)-1], r.deleted[len(r.deleted)-1])
		}
	}
	return r, nil
}

func apiRun(ctx context.Context, o options, client *elasticache.Client, eng engine.Name, nodes, i int) (avail, deleted time.Duration, err error) {
	id := fmt.Sprintf("tta-%s-%04d", eng, i)
	t0 := time.Now()
	err = harness.Create(ctx, client, &elasticache.CreateCacheClusterInput{
		CacheClusterId: aws.String(id), Engine: aws.String(string(eng)),
		CacheNodeType: aws.String(o.nodeType), NumCacheNodes: aws.Int32(int32(nodes)),
	})
	if err != nil {
		return 0, 0, fmt.Errorf("create %s: %w", id, err)
	}
	if _, err = harness.WaitAvailable(ctx, client, id, o.poll, o.timeout); err != nil {
		return 0, 0, err
	}
	avail = time.Since(t0)
	t1 := time.Now()
	if err = harness.Delete(ctx, client, id); err != nil {
		return 0, 0, fmt.Errorf("delete %s: %w", id, err)
	}
	if err = harness.WaitGone(ctx, client, id, o.poll, o.timeout); err != nil {
		return 0, 0, err
	}
	return avail, time.Since(t1), nil
}

// floorRun starts `nodes` bare engine processes in parallel, waits until all
// answer, and stops them (not timed).
func floorRun(ctx context.Context, o options, work string, bin engine.Binary, eng engine.Name, nt engine.NodeType, nodes, i int) (time.Duration, error) {
	first, _, _ := harness.ParseRange(harness.RangeTTAFloor)
	probe := harness.PingRedis
	if eng == engine.Memcached {
		probe = harness.MemcachedVersion
	}
	type prepared struct {
		args  []string
		files map[string][]byte
		dir   string
		addr  string
	}
	preps := make([]prepared, nodes)
	addr := first
	for j := range preps {
		dir := filepath.Join(work, "floor", fmt.Sprintf("%s-%04d-%04d", eng, i, j+1))
		rendered, err := engine.Render(engine.NodeConfig{
			Engine: eng, Version: engine.DefaultVersion(eng), NodeType: nt,
			ListenAddress: addr.String(), Port: eng.DefaultPort(), DataDir: dir,
		})
		if err != nil {
			return 0, err
		}
		files := map[string][]byte{}
		for _, f := range rendered.Files {
			files[f.Name] = f.Content
		}
		preps[j] = prepared{rendered.Args, files, dir, net.JoinHostPort(addr.String(), strconv.Itoa(eng.DefaultPort()))}
		addr = addr.Next()
	}
	procs := make([]*harness.EngineProcess, nodes)
	errs := make([]error, nodes)
	var wg sync.WaitGroup
	t0 := time.Now()
	for j := range preps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := harness.StartEngine(bin.Path, preps[j].args, preps[j].dir, preps[j].files)
			if err != nil {
				errs[j] = err
				return
			}
			procs[j] = p
			errs[j] = harness.WaitAnswer(ctx, probe, preps[j].addr, o.poll, o.timeout)
		}()
	}
	wg.Wait()
	d := time.Since(t0)
	for _, p := range procs {
		if p != nil {
			wg.Add(1)
			go func() { defer wg.Done(); p.Stop() }()
		}
	}
	wg.Wait()
	for _, p := range preps {
		_ = os.RemoveAll(p.dir)
	}
	return d, errors.Join(errs...)
}
