// Command dataplane compares the data plane of a node that cacheplane runs
// with a hand-started engine of the same configuration: redis-benchmark
// against a redis endpoint returned by DescribeCacheClusters vs against a
// redis-server started by hand from a copy of that node's rendered
// redis.conf (bind and dir/logfile changed), and a small Go set/get load loop
// for memcached (memtier_benchmark is not assumed) against a memcached node vs
// one started by hand with the node's own arguments (-l changed). Runs
// alternate between the two; the result is the ratio of the medians.
//
//	go run ./bench/cmd/dataplane --cacheplane /tmp/x/cacheplane --runs 5
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"

	"github.com/cacheplane/cacheplane/bench/internal/harness"
)

type options struct {
	binary        string
	runs          int
	redisArgs     string
	redisBench    string
	mcRequests    int
	mcConns       int
	mcPipeline    int
	mcValueSize   int
	mcKeys        int
	nodeType      string
	engines       string
	keep          bool
	targetRatio   float64
	betweenRuns   time.Duration
	availTimeout  time.Duration
	minRunSeconds float64
}

func main() {
	var o options
	flag.StringVar(&o.binary, "cacheplane", "", "the cacheplane binary (required)")
	flag.IntVar(&o.runs, "runs", 7, "runs against each side, alternating")
	flag.StringVar(&o.redisArgs, "redis-args", "-n 200000 -c 50 -P 16 -t set,get -q", "redis-benchmark arguments (--csv, -h and -p are added)")
	flag.StringVar(&o.redisBench, "redis-benchmark", "redis-benchmark", "redis-benchmark binary")
	flag.IntVar(&o.mcRequests, "mc-requests", 200000, "memcached: requests per test (set, then get)")
	flag.IntVar(&o.mcConns, "mc-conns", 50, "memcached: connections")
	flag.IntVar(&o.mcPipeline, "mc-pipeline", 16, "memcached: requests in flight per connection")
	flag.IntVar(&o.mcValueSize, "mc-value-size", 3, "memcached: value size in bytes (redis-benchmark's default is 3)")
	flag.IntVar(&o.mcKeys, "mc-keys", 1000, "memcached: key space")
	flag.StringVar(&o.nodeType, "node-type", "cache.t3.micro", "CacheNodeType")
	flag.StringVar(&o.engines, "engines", "redis,memcached", "engines to compare")
	flag.Float64Var(&o.targetRatio, "target", 0.98, "target ratio cacheplane/hand-started")
	flag.DurationVar(&o.betweenRuns, "pause", 500*time.Millisecond, "pause between runs")
	flag.BoolVar(&o.keep, "keep", false, "keep the work directory")
	flag.Parse()
	o.availTimeout = time.Minute
	harness.Main(func(ctx context.Context) error { return run(ctx, o) })
}

// sample is one run's ops/s per test name.
type sample map[string]float64

type comparison struct {
	engine     string
	tests      []string
	cp, hand   []sample
	cpEndpoint string
	hEndpoint  string
}

func run(ctx context.Context, o options) error {
	if o.binary == "" {
		return errors.New("--cacheplane is required")
	}
	if err := harness.RequireFree(harness.RangeDataPlane, harness.RangeDataPlaneB); err != nil {
		return err
	}
	work, err := harness.TempDir("bench-dataplane-", o.keep)
	if err != nil {
		return err
	}
	dataDir := filepath.Join(work, "data")
	harness.CleanupNodes(dataDir, harness.RangeDataPlane)
	harness.AtExit(func() { harness.SweepEngines(harness.RangeDataPlaneB) })
	srv, err := harness.StartServer(ctx, harness.ServerOptions{
		Binary: o.binary, DataDir: dataDir, NodeRange: harness.RangeDataPlane,
		LogPath: filepath.Join(work, "server.log"), StopOnExit: true,
	})
	if err != nil {
		return err
	}
	client := harness.NewClient(srv.Endpoint, 2)
	base, _, err := harness.ParseRange(harness.RangeDataPlaneB)
	if err != nil {
		return err
	}
	var results []comparison
	for i, eng := range strings.Split(o.engines, ",") {
		eng = strings.TrimSpace(eng)
		handAddr := base
		for j := 0; j < i; j++ {
			handAddr = handAddr.Next()
		}
		c, err := compare(ctx, o, client, dataDir, work, eng, handAddr.String())
		if err != nil {
			return err
		}
		results = append(results, c)
	}
	printResults(o, results)
	return nil
}

func compare(ctx context.Context, o options, client *elasticache.Client, dataDir, work, eng, handAddr string) (comparison, error) {
	c := comparison{engine: eng}
	id := "dp-" + eng
	if err := harness.Create(ctx, client, &elasticache.CreateCacheClusterInput{
		CacheClusterId: aws.String(id), Engine: aws.String(eng),
		CacheNodeType: aws.String(o.nodeType), NumCacheNodes: aws.Int32(1),
	}); err != nil {
		return c, err
	}
	cl, err := harness.WaitAvailable(ctx, client, id, 10*time.Millisecond, o.availTimeout)
	if err != nil {
		return c, err
	}
	if len(cl.CacheNodes) != 1 || cl.CacheNodes[0].Endpoint == nil {
		return c, fmt.Errorf("%s: no node endpoint in the description", id)
	}
	ep := cl.CacheNodes[0].Endpoint
	cpHost, port := aws.ToString(ep.Address), int(aws.ToInt32(ep.Port))
	c.cpEndpoint = net.JoinHostPort(cpHost, strconv.Itoa(port))
	c.hEndpoint = net.JoinHostPort(handAddr, strconv.Itoa(port))

	recs, err := harness.NodeRecords(dataDir)
	if err != nil {
		return c, err
	}
	var rec *harness.NodeRecord
	for i := range recs {
		if recs[i].ID == id+"/0001" {
			rec = &recs[i]
		}
	}
	if rec == nil {
		return c, fmt.Errorf("no node.json for %s/0001", id)
	}
	handDir := filepath.Join(work, "hand-"+eng)
	var args []string
	files := map[string][]byte{}
	probe := harness.PingRedis
	switch eng {
	case "redis":
		conf, err := os.ReadFile(filepath.Join(rec.Dir, "redis.conf"))
		if err != nil {
			return c, err
		}
		conf = rewriteRedisConf(conf, handAddr, handDir)
		files["redis.conf"] = conf
		args = []string{filepath.Join(handDir, "redis.conf")}
	case "memcached":
		args = append([]string(nil), rec.Args...)
		found := false
		for i := 0; i+1 < len(args); i++ {
			if args[i] == "-l" {
				args[i+1], found = handAddr, true
			}
		}
		if !found {
			return c, fmt.Errorf("memcached args %v have no -l", rec.Args)
		}
		probe = harness.MemcachedVersion
	default:
		return c, fmt.Errorf("unknown engine %q", eng)
	}
	hand, err := harness.StartEngine(rec.Binary, args, handDir, files)
	if err != nil {
		return c, err
	}
	defer hand.Stop()
	if err := harness.WaitAnswer(ctx, probe, c.hEndpoint, 2*time.Millisecond, 10*time.Second); err != nil {
		return c, err
	}
	harness.Logf("%s: cacheplane node %s (pid %d) vs hand-started %s (pid %d): %s %v", eng, c.cpEndpoint, rec.PID, c.hEndpoint, hand.PID, rec.Binary, args)

	bench := func(addr string) (sample, []string, error) {
		if eng == "redis" {
			return redisBenchmark(ctx, o, addr)
		}
		return memcachedLoad(ctx, o, addr)
	}
	for i := 0; i < o.runs; i++ {
		order := []bool{true, false} // true = cacheplane
		if i%2 == 1 {
			order = []bool{false, true}
		}
		for _, cp := range order {
			addr := c.hEndpoint
			if cp {
				addr = c.cpEndpoint
			}
			s, tests, err := bench(addr)
			if err != nil {
				return c, err
			}
			c.tests = tests
			if cp {
				c.cp = append(c.cp, s)
			} else {
				c.hand = append(c.hand, s)
			}
			harness.Logf("%s run %d %s: %v", eng, i+1, map[bool]string{true: "cacheplane", false: "hand-started"}[cp], s)
			if err := harness.Sleep(ctx, o.betweenRuns); err != nil {
				return c, err
			}
		}
	}
	if err := harness.Delete(ctx, client, id); err != nil {
		return c, err
	}
	return c, harness.WaitGone(ctx, client, id, 10*time.Millisecond, o.availTimeout)
}

// rewriteRedisConf points bind, dir and logfile of a node's rendered redis.conf at the hand-started copy.
func rewriteRedisConf(conf []byte, addr, dir string) []byte {
	var out bytes.Buffer
	for _, line := range strings.Split(string(conf), "\n") {
		key, _, _ := strings.Cut(line, " ")
		switch key {
		case "bind":
			line = "bind " + addr
		case "dir":
			line = "dir " + dir
		case "logfile":
			line = "logfile " + filepath.Join(dir, "redis.log")
		}
		out.WriteString(line)
		out.WriteByte('\n')
	}
	return bytes.TrimSuffix(out.Bytes(), []byte("\n"))
}

func redisBenchmark(ctx context.Context, o options, addr string) (sample, []string, error) {
	host, port, _ := net.SplitHostPort(addr)
	args := append([]string{"-h", host, "-p", port}, strings.Fields(o.redisArgs)...)
	args = append(args, "--csv")
	cmd := exec.CommandContext(ctx, o.redisBench, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, nil, fmt.Errorf("redis-benchmark %v: %v: %s", args, err, stderr.String())
	}
	recs, err := csv.NewReader(bytes.NewReader(out)).ReadAll()
	if err != nil {
		return nil, nil, fmt.Errorf("redis-benchmark output %q: %w", out, err)
	}
	s := sample{}
	var tests []string
	for _, r := range recs {
		if len(r) < 2 || r[0] == "test" {
			continue
		}
		v, err := strconv.ParseFloat(r[1], 64)
		if err != nil {
			return nil, nil, fmt.Errorf("redis-benchmark line %v", r)
		}
		s[r[0]] = v
		tests = append(tests, r[0])
	}
	if len(tests) == 0 {
		return nil, nil, fmt.Errorf("redis-benchmark printed no results: %q", out)
	}
	return s, tests, nil
}

// memcachedLoad runs mcRequests sets, then mcRequests gets, over mcConns
// connections with mcPipeline requests in flight on each, and returns ops/s.
func memcachedLoad(ctx context.Context, o options, addr string) (sample, []string, error) {
	conns := make([]net.Conn, o.mcConns)
	for i := range conns {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			return nil, nil, err
		}
		defer c.Close()
		conns[i] = c
	}
	value := strings.Repeat("x", o.mcValueSize)
	s := sample{}
	for _, test := range []string{"SET", "GET"} {
		var wg sync.WaitGroup
		errs := make([]error, len(conns))
		per := o.mcRequests / len(conns)
		t0 := time.Now()
		for i, c := range conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = mcWorker(ctx, c, test, per, o.mcPipeline, o.mcKeys, i, value)
			}()
		}
		wg.Wait()
		d := time.Since(t0)
		if err := errors.Join(errs...); err != nil {
			return nil, nil, err
		}
		s[test] = float64(per*len(conns)) / d.Seconds()
	}
	return s, []string{"SET", "GET"}, nil
}

func mcWorker(ctx context.Context, c net.Conn, test string, n, pipeline, keys, seed int, value string) error {
	_ = c.SetDeadline(time.Now().Add(2 * time.Minute))
	w := bufio.NewWriterSize(c, 64<<10)
	r := bufio.NewReaderSize(c, 64<<10)
	k := seed * 7919
	var buf []byte
	for done := 0; done < n; {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		batch := min(pipeline, n-done)
		buf = buf[:0]
		for i := 0; i < batch; i++ {
			if test == "SET" {
				buf = append(buf, "set key:"...)
				buf = strconv.AppendInt(buf, int64((k+done+i)%keys), 10)
				buf = append(buf, " 0 0 "...)
				buf = strconv.AppendInt(buf, int64(len(value)), 10)
				buf = append(buf, "\r\n"...)
				buf = append(buf, value...)
				buf = append(buf, "\r\n"...)
			} else {
				buf = append(buf, "get key:"...)
				buf = strconv.AppendInt(buf, int64((k+done+i)%keys), 10)
				buf = append(buf, "\r\n"...)
			}
		}
		if _, err := w.Write(buf); err != nil {
			return err
		}
		if err := w.Flush(); err != nil {
			return err
		}
		for i := 0; i < batch; i++ {
			if err := readMcReply(r, test); err != nil {
				return err
			}
		}
		done += batch
	}
	return nil
}

var (
	mcStored = []byte("STORED\r\n")
	mcEnd    = []byte("END\r\n")
	mcValue  = []byte("VALUE ")
)

// readMcReply reads one reply: STORED for a set; VALUE ... data END, or END, for a get.
func readMcReply(r *bufio.Reader, test string) error {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return err
	}
	if test == "SET" {
		if !bytes.Equal(line, mcStored) {
			return fmt.Errorf("set: %q", line)
		}
		return nil
	}
	for !bytes.Equal(line, mcEnd) {
		if !bytes.HasPrefix(line, mcValue) {
			return fmt.Errorf("get: %q", line)
		}
		t := bytes.TrimRight(line, "\r\n")
		size, err := strconv.Atoi(string(t[bytes.LastIndexByte(t, ' ')+1:]))
		if err != nil {
			return fmt.Errorf("get: %q", line)
		}
		if _, err := r.Discard(size + 2); err != nil {
			return err
		}
		if line, err = r.ReadSlice('\n'); err != nil {
			return err
		}
	}
	return nil
}

func printResults(o options, cs []comparison) {
	fmt.Printf("### Data plane: cacheplane node vs hand-started engine with the same config\n\n")
	fmt.Printf("`%s`\n\n", harness.CommandLine("bench/cmd/dataplane"))
	fmt.Printf("redis: `redis-benchmark %s --csv` against each; memcached: Go load loop (%d sets then %d gets, %d connections, %d in flight each, %d-byte values, %d keys). %d runs per side, alternating. Node type %s.\n\n",
		o.redisArgs, o.mcRequests, o.mcRequests, o.mcConns, o.mcPipeline, o.mcValueSize, o.mcKeys, o.runs, o.nodeType)
	fmt.Printf("| engine | test | cacheplane node median (ops/s) | hand-started median (ops/s) | ratio (target >= %.2f) | cacheplane runs | hand-started runs |\n", o.targetRatio)
	fmt.Println("| --- | --- | ---: | ---: | ---: | --- | --- |")
	for _, c := range cs {
		for _, t := range c.tests {
			var a, b []float64
			for _, s := range c.cp {
				a = append(a, s[t])
			}
			for _, s := range c.hand {
				b = append(b, s[t])
			}
			ma, mb := harness.MedianFloat(a), harness.MedianFloat(b)
			ratio := 0.0
			if mb > 0 {
				ratio = ma / mb
			}
			fmt.Printf("| %s | %s | %.0f | %.0f | %.3f: %s | %s | %s |\n", c.engine, t, ma, mb, ratio,
				harness.Verdict(ratio >= o.targetRatio), kops(a), kops(b))
		}
	}
	fmt.Println()
}

func kops(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf("%.0fk", x/1000)
	}
	return strings.Join(parts, " ")
}
