// Command apiload is an API load generator built on the AWS SDK for Go v2:
// DescribeCacheClusters by id, DescribeCacheClusters first page (MaxRecords
// 100), and CreateCacheCluster + wait available + DeleteCacheCluster cycles,
// each at several numbers of concurrent clients (one SDK client and HTTP
// connection each) for a fixed duration; it reports req/s, p50 and p99.
//
// --mode inproc (the default) runs cacheplane in this process, wired exactly
// as cmd/cacheplane wires it (store on disk, service, reconciler, SigV4, HTTP
// edge, request log) but with the fake driver (internal/driver/fake), so that
// stores of 1,000 and 10,000 clusters cost no processes; loopback responders
// answer the fake nodes' health probes, so the reconciler converges and resyncs
// them as it does real nodes. Sizes are seeded through the service API, in
// increasing order, each size adding to the last.
//
// --mode real starts the real binary (--cacheplane) with real redis-server
// nodes; keep --sizes small there.
//
//	go run ./bench/cmd/apiload --sizes 1000,10000 --clients 1,16 --duration 10s
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"

	"github.com/cacheplane/cacheplane/bench/internal/harness"
)

type options struct {
	mode       string
	binary     string
	sizes      []int
	clients    []int
	ops        []string
	duration   time.Duration
	warmup     time.Duration
	poll       time.Duration
	idle       time.Duration
	nodeType   string
	headroom   int
	keep       bool
	cpuProfile string
	probe      string
}

func main() {
	var o options
	var sizes, clients, ops string
	flag.StringVar(&o.mode, "mode", "inproc", "inproc (fake driver, in this process) or real (the cacheplane binary, real nodes)")
	flag.StringVar(&o.binary, "cacheplane", "", "the cacheplane binary (--mode real)")
	flag.StringVar(&sizes, "sizes", "1000,10000", "clusters existing during the measurements, comma-separated, ascending")
	flag.StringVar(&clients, "clients", "1,16", "concurrent clients, comma-separated")
	flag.StringVar(&ops, "ops", "describe-id,describe-page,create-delete", "operations, comma-separated")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "measured duration of each (size, operation, clients) case")
	flag.DurationVar(&o.warmup, "warmup", time.Second, "unmeasured warm-up before each case")
	flag.DurationVar(&o.poll, "poll", 2*time.Millisecond, "create-delete: DescribeCacheClusters poll period while waiting for available")
	flag.DurationVar(&o.idle, "idle", 10*time.Second, "inproc: window measuring idle CPU after seeding each size (0 = skip)")
	flag.StringVar(&o.nodeType, "node-type", "cache.t3.micro", "CacheNodeType of every cluster")
	flag.IntVar(&o.headroom, "headroom", 2000, "inproc: fake node addresses beyond the largest size (clusters being created and deleted)")
	flag.BoolVar(&o.keep, "keep", false, "keep the work directory")
	flag.StringVar(&o.probe, "probe", "responders", "inproc: how fake nodes answer health probes: responders (a loopback listener per node; the reconciler's real TCP probe) or inmemory (an injected probe, no sockets)")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run (inproc: server and clients) to this file")
	flag.Parse()
	var err error
	if o.sizes, err = ints(sizes); err == nil {
		o.clients, err = ints(clients)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	o.ops = strings.Split(ops, ",")
	harness.Main(func(ctx context.Context) error { return run(ctx, o) })
}

func ints(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("bad number %q", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// row is one line of the results table.
type row struct {
	size     int
	op       string
	clients  int
	n        int
	rate     string
	p50, p99 time.Duration
	errs     map[string]int
	server   []time.Duration // from the server's request log (duration_ms of status 200 lines)
}

type idleRow struct {
	size    int
	seed    time.Duration
	seeded  int
	cpu     float64
	rssMB   float64
	heapMB  float64
	skipped bool
}

func run(ctx context.Context, o options) error {
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	if err := harness.RequireFree(harness.RangeAPIReal); err != nil {
		return err
	}
	work, err := harness.TempDir("bench-api-", o.keep)
	if err != nil {
		return err
	}
	var (
		endpoint  string
		seed      func(ctx context.Context, from, to int) (time.Duration, error)
		serverPID = os.Getpid()
		server    string
	)
	maxSize := 0
	for _, s := range o.sizes {
		maxSize = max(maxSize, s)
	}
	switch o.mode {
	case "inproc":
		p, err := startInproc(ctx, work, maxSize+o.headroom, o.probe)
		if err != nil {
			return err
		}
		endpoint = p.endpoint
		seed = func(ctx context.Context, from, to int) (time.Duration, error) {
			return p.seed(ctx, from, to, o.nodeType)
		}
		server = "in-process, fake driver, probes: " + o.probe
	case "real":
		if o.binary == "" {
			return errors.New("--mode real needs --cacheplane")
		}
		dataDir := filepath.Join(work, "data")
		harness.CleanupNodes(dataDir, harness.RangeAPIReal)
		srv, err := harness.StartServer(ctx, harness.ServerOptions{
			Binary: o.binary, DataDir: dataDir, NodeRange: harness.RangeAPIReal,
			LogPath: filepath.Join(work, "server.log"), StopOnExit: true,
			Args: []string{"--max-clusters", strconv.Itoa(maxSize + 100), "--max-nodes", strconv.Itoa(maxSize + 100)},
		})
		if err != nil {
			return err
		}
		endpoint, serverPID = srv.Endpoint, srv.PID
		c := harness.NewClient(endpoint, 8)
		seed = func(ctx context.Context, from, to int) (time.Duration, error) { return seedReal(ctx, c, o, from, to) }
		server = "real binary, redis-server nodes"
	default:
		return fmt.Errorf("unknown --mode %q", o.mode)
	}
	harness.Logf("server (%s) at %s", server, endpoint)

	var rows []row
	var idles []idleRow
	seeded := 0
	caseNo := 0
	for _, size := range o.sizes {
		ir := idleRow{size: size}
		if size > seeded {
			harness.Logf("seeding clusters %d..%d", seeded, size-1)
			d, err := seed(ctx, seeded, size)
			if err != nil {
				return err
			}
			ir.seed, ir.seeded = d, size-seeded
			seeded = size
		}
		if o.idle > 0 {
			// Let the reconciler finish the passes the seeding queued.
			if err := harness.Sleep(ctx, 2*time.Second); err != nil {
				return err
			}
			t0, err := harness.CPUTicks(serverPID)
			if err != nil {
				return err
			}
			if err := harness.Sleep(ctx, o.idle); err != nil {
				return err
			}
			t1, _ := harness.CPUTicks(serverPID)
			ir.cpu = float64(t1-t0) / harness.ClockTicks / o.idle.Seconds() * 100
			rss, _ := harness.StatusKB(serverPID, "VmRSS")
			ir.rssMB = float64(rss) / 1024
			if o.mode == "inproc" {
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				ir.heapMB = float64(ms.HeapInuse) / (1 << 20)
			}
		} else {
			ir.skipped = true
		}
		idles = append(idles, ir)
		for _, op := range o.ops {
			for _, n := range o.clients {
				caseNo++
				harness.Logf("size %d: %s with %d client(s) for %v", size, op, n, o.duration)
				rs, err := runCase(ctx, o, endpoint, filepath.Join(work, "server.log"), strings.TrimSpace(op), n, size, caseNo)
				if err != nil {
					return err
				}
				rows = append(rows, rs...)
			}
		}
	}
	printResults(o, server, rows, idles)
	return nil
}

func seedReal(ctx context.Context, c *elasticache.Client, o options, from, to int) (time.Duration, error) {
	t0 := time.Now()
	for i := from; i < to; i++ {
		err := harness.Create(ctx, c, &elasticache.CreateCacheClusterInput{
			CacheClusterId: aws.String(seedID(i)), Engine: aws.String("redis"),
			CacheNodeType: aws.String(o.nodeType), NumCacheNodes: aws.Int32(1),
		})
		if err != nil {
			return 0, err
		}
	}
	for {
		counts, all, err := harness.DescribeAll(ctx, c)
		if err != nil {
			return 0, err
		}
		if len(all) >= to && counts["available"] == len(all) {
			return time.Since(t0), nil
		}
		if err := harness.Sleep(ctx, 20*time.Millisecond); err != nil {
			return 0, err
		}
	}
}

type workerOut struct {
	lat, create, del []time.Duration
	errs             map[string]int
}

func errCode(err error) string {
	if c := harness.ErrorCode(err); c != "" {
		return c
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timeout"
	}
	if errors.Is(err, net.ErrClosed) {
		// A client-side race of the SDK and net/http (aws/aws-sdk-go-v2#2737),
		// which the SDK's default retryer retries; not a server failure.
		return "client net.ErrClosed"
	}
	return "transport"
}

func runCase(ctx context.Context, o options, endpoint, logPath, op string, clients, size, caseNo int) ([]row, error) {
	switch op {
	case "describe-id", "describe-page", "create-delete":
	default:
		return nil, fmt.Errorf("unknown op %q", op)
	}
	if op == "describe-id" && size == 0 {
		return nil, errors.New("describe-id needs a size > 0")
	}
	start := time.Now()
	measureFrom := start.Add(o.warmup)
	end := measureFrom.Add(o.duration)
	outs := make([]workerOut, clients)
	var wg sync.WaitGroup
	logFrom := make(chan int64, 1)
	go func() {
		time.Sleep(time.Until(measureFrom))
		logFrom <- fileSize(logPath)
	}()
	for w := 0; w < clients; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := harness.NewMeasureClient(endpoint, 1)
			out := workerOut{errs: map[string]int{}}
			rng := rand.New(rand.NewPCG(uint64(w), uint64(caseNo)))
			for seq := 0; ; seq++ {
				t0 := time.Now()
				if !t0.Before(end) || ctx.Err() != nil {
					break
				}
				measured := !t0.Before(measureFrom)
				var err error
				switch op {
				case "describe-id":
					_, err = c.DescribeCacheClusters(ctx, &elasticache.DescribeCacheClustersInput{CacheClusterId: aws.String(seedID(rng.IntN(size)))})
				case "describe-page":
					var res *elasticache.DescribeCacheClustersOutput
					res, err = c.DescribeCacheClusters(ctx, &elasticache.DescribeCacheClustersInput{MaxRecords: aws.Int32(100)})
					if err == nil && len(res.CacheClusters) != min(size, 100) && size > 0 {
						err = fmt.Errorf("first page has %d clusters", len(res.CacheClusters))
					}
				case "create-delete":
					var dc, dd time.Duration
					dc, dd, err = cycle(ctx, c, o, fmt.Sprintf("cd%d-%02d-%06d", caseNo, w, seq))
					if err == nil && measured {
						out.create, out.del = append(out.create, dc), append(out.del, dd)
					}
				}
				d := time.Since(t0)
				if !measured {
					continue // warm-up
				}
				if err != nil {
					out.errs[errCode(err)]++
					if out.errs[errCode(err)] == 1 {
						harness.Logf("%s error: %v", op, err)
					}
					continue
				}
				out.lat = append(out.lat, d)
			}
			outs[w] = out
		}()
	}
	wg.Wait()
	// Operations that started in the window all count, the last ones finishing after it.
	elapsed := time.Since(measureFrom)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	server := serverDurations(logPath, <-logFrom, fileSize(logPath))
	var lat, cr, dl []time.Duration
	errs := map[string]int{}
	for _, out := range outs {
		lat, cr, dl = append(lat, out.lat...), append(cr, out.create...), append(dl, out.del...)
		for k, v := range out.errs {
			errs[k] += v
		}
	}
	rate := func(n int) string { return fmt.Sprintf("%.0f", float64(n)/elapsed.Seconds()) }
	name := map[string]string{
		"describe-id":   "DescribeCacheClusters by id",
		"describe-page": "DescribeCacheClusters, first page of 100",
		"create-delete": "create + wait available + delete (cycle)",
	}[op]
	rows := []row{{size: size, op: name, clients: clients, n: len(lat), rate: rate(len(lat)),
		p50: harness.Percentile(lat, 0.5), p99: harness.Percentile(lat, 0.99), errs: errs}}
	if op != "create-delete" {
		rows[0].server = server["DescribeCacheClusters"]
	} else {
		rows = append(rows,
			row{size: size, op: "  CreateCacheCluster call (in cycle)", clients: clients, n: len(cr), rate: "-",
				p50: harness.Percentile(cr, 0.5), p99: harness.Percentile(cr, 0.99), server: server["CreateCacheCluster"]},
			row{size: size, op: "  DeleteCacheCluster call (in cycle)", clients: clients, n: len(dl), rate: "-",
				p50: harness.Percentile(dl, 0.5), p99: harness.Percentile(dl, 0.99), server: server["DeleteCacheCluster"]})
		if err := drain(ctx, endpoint, fmt.Sprintf("cd%d-", caseNo)); err != nil {
			return nil, err
		}
	}
	return rows, nil
}

// cycle creates a cluster, polls until it is available, and deletes it
// (without waiting for it to be gone); it returns the two calls' latencies.
func cycle(ctx context.Context, c *elasticache.Client, o options, id string) (create, del time.Duration, err error) {
	t0 := time.Now()
	_, err = c.CreateCacheCluster(ctx, &elasticache.CreateCacheClusterInput{
		CacheClusterId: aws.String(id), Engine: aws.String("redis"),
		CacheNodeType: aws.String(o.nodeType), NumCacheNodes: aws.Int32(1),
	})
	create = time.Since(t0)
	if err != nil {
		return
	}
	if _, err = harness.WaitAvailable(ctx, c, id, o.poll, time.Minute); err != nil {
		return
	}
	t1 := time.Now()
	_, err = c.DeleteCacheCluster(ctx, &elasticache.DeleteCacheClusterInput{CacheClusterId: aws.String(id)})
	del = time.Since(t1)
	return
}

// drain deletes what a create-delete case left and waits until its clusters are gone.
func drain(ctx context.Context, endpoint, prefix string) error {
	c := harness.NewClient(endpoint, 1)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		_, all, err := harness.DescribeAll(ctx, c)
		if err != nil {
			return err
		}
		left := 0
		for _, cl := range all {
			id := aws.ToString(cl.CacheClusterId)
			if !strings.HasPrefix(id, prefix) {
				continue
			}
			left++
			if s := aws.ToString(cl.CacheClusterStatus); s == "available" || s == "creating" {
				_, _ = c.DeleteCacheCluster(ctx, &elasticache.DeleteCacheClusterInput{CacheClusterId: aws.String(id)})
			}
		}
		if left == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d clusters %s* still exist", left, prefix)
		}
		if err := harness.Sleep(ctx, 50*time.Millisecond); err != nil {
			return err
		}
	}
}

func printResults(o options, server string, rows []row, idles []idleRow) {
	fmt.Printf("### API throughput and latency (%s)\n\n", server)
	fmt.Printf("`%s`\n\n", harness.CommandLine("bench/cmd/apiload"))
	fmt.Printf("AWS SDK for Go v2 clients (one client and HTTP connection each, no retries, request bodies buffered to avoid the client-side race aws/aws-sdk-go-v2#2737) over loopback HTTP, SigV4-signed; %v measured per case after %v warm-up; node type %s. A create+delete cycle is CreateCacheCluster, DescribeCacheClusters every %v until available, DeleteCacheCluster; its rate is cycles/s. Every operation started in the window counts (the last ones end after it); req/s is over the time until the last one ended. p50/p99 are what the client sees (SDK signing and XML decoding included, sharing the CPUs with the server); server p50/p99 are duration_ms of the server's own request log lines for that operation in the window.\n\n",
		o.duration, o.warmup, o.nodeType, o.poll)
	fmt.Println("| clusters | operation | clients | requests | req/s | p50 | p99 | server p50 | server p99 | errors |")
	fmt.Println("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
	for _, r := range rows {
		sp50, sp99 := "-", "-"
		if len(r.server) > 0 {
			sp50, sp99 = harness.Ms(harness.Percentile(r.server, 0.5)), harness.Ms(harness.Percentile(r.server, 0.99))
		}
		fmt.Printf("| %d | %s | %d | %d | %s | %s | %s | %s | %s | %s |\n", r.size, r.op, r.clients, r.n, r.rate,
			harness.Ms(r.p50), harness.Ms(r.p99), sp50, sp99, fmtErrs(r.errs))
	}
	fmt.Println()
	fmt.Println("| clusters | seeding (added) | seed rate | idle CPU of server | server RSS | Go heap in use |")
	fmt.Println("| ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, ir := range idles {
		seed, rate := "-", "-"
		if ir.seeded > 0 {
			seed = fmt.Sprintf("%s (%d)", harness.Secs(ir.seed), ir.seeded)
			rate = fmt.Sprintf("%.0f /s", float64(ir.seeded)/ir.seed.Seconds())
		}
		cpu, rss, heap := "-", "-", "-"
		if !ir.skipped {
			cpu = fmt.Sprintf("%.1f%% over %v", ir.cpu, o.idle)
			rss = fmt.Sprintf("%.0f MB", ir.rssMB)
			if ir.heapMB > 0 {
				heap = fmt.Sprintf("%.0f MB", ir.heapMB)
			}
		}
		fmt.Printf("| %d | %s | %s | %s | %s | %s |\n", ir.size, seed, rate, cpu, rss, heap)
	}
	fmt.Println()
	if o.mode == "inproc" {
		fmt.Println("In-process: CPU and RSS are of the whole benchmark process (server, fake-node probe responders, idle clients); the reconciler resyncs (probes) every cluster every 10 s.")
		fmt.Println()
	}
}

func fmtErrs(m map[string]int) string {
	if len(m) == 0 {
		return "0"
	}
	var ks []string
	for k, v := range m {
		ks = append(ks, fmt.Sprintf("%s: %d", k, v))
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// serverDurations reads the request log lines in [from, to) of the server's
// log and returns duration_ms of the successful ones by action.
func serverDurations(path string, from, to int64) map[string][]time.Duration {
	out := map[string][]time.Duration{}
	f, err := os.Open(path)
	if err != nil || to <= from {
		return out
	}
	defer f.Close()
	buf := make([]byte, to-from)
	n, _ := f.ReadAt(buf, from)
	for _, line := range strings.Split(string(buf[:n]), "\n") {
		if !strings.Contains(line, "msg=request ") || !strings.Contains(line, " status=200 ") {
			continue
		}
		var action string
		var ms float64 = -1
		for _, f := range strings.Fields(line) {
			if v, ok := strings.CutPrefix(f, "action="); ok {
				action = v
			} else if v, ok := strings.CutPrefix(f, "duration_ms="); ok {
				ms, _ = strconv.ParseFloat(v, 64)
			}
		}
		if action != "" && ms >= 0 {
			out[action] = append(out[action], time.Duration(ms*float64(time.Millisecond)))
		}
	}
	return out
}
