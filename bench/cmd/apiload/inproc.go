package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cacheplane/cacheplane/bench/internal/harness"
	"github.com/cacheplane/cacheplane/internal/api"
	"github.com/cacheplane/cacheplane/internal/driver/fake"
	"github.com/cacheplane/cacheplane/internal/engine"
	"github.com/cacheplane/cacheplane/internal/hostinfo"
	"github.com/cacheplane/cacheplane/internal/httpapi"
	"github.com/cacheplane/cacheplane/internal/model"
	"github.com/cacheplane/cacheplane/internal/reconcile"
	"github.com/cacheplane/cacheplane/internal/service"
	"github.com/cacheplane/cacheplane/internal/sigv4"
	"github.com/cacheplane/cacheplane/internal/store"
	"github.com/cacheplane/cacheplane/internal/tlsca"
)

// inproc is cacheplane wired as cmd/cacheplane wires it (store, service,
// reconciler, SigV4 verifier, HTTP edge, request log to a file), but with
// the fake driver, an address allocator that does not bind, quotas raised,
// and responders answering the health probes of the fake nodes.
type inproc struct {
	store    *store.Store
	svc      *service.Service
	drv      *fake.Driver
	endpoint string
	resp     *responders
}

func startInproc(ctx context.Context, work string, maxNodes int, probeMode string) (*inproc, error) {
	dataDir := filepath.Join(work, "data")
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	logf, err := os.OpenFile(filepath.Join(work, "server.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	harness.AtExit(func() { logf.Close() })
	log := slog.New(slog.NewTextHandler(logf, nil)) // as the binary logs to its stderr, unbuffered

	first, last, err := harness.ParseRange(harness.RangeAPIFake)
	if err != nil {
		return nil, err
	}
	// Every address the allocator may hand out has a responder.
	rangeLast := last
	last = first
	for i := 1; i < maxNodes; i++ {
		last = last.Next()
	}
	if last.Compare(rangeLast) > 0 {
		return nil, fmt.Errorf("range %s is too small for %d nodes", harness.RangeAPIFake, maxNodes)
	}
	var probe reconcile.ProbeFunc // nil: engine.Probe, as cmd/cacheplane
	var resp *responders
	switch probeMode {
	case "responders":
		t0 := time.Now()
		var err error
		if resp, err = listenResponders(first, maxNodes, engine.Redis.DefaultPort()); err != nil {
			return nil, err
		}
		harness.AtExit(resp.close)
		harness.Logf("%d probe responders on %s-%s:6379 (%v)", maxNodes, first, last, time.Since(t0).Round(time.Millisecond))
	case "inmemory":
		probe = func(ctx context.Context, e engine.Name, _ string, _ int, _ string, _ *tls.Config) (string, error) {
			if e == engine.Memcached {
				return "1.6.18", ctx.Err()
			}
			return "7.0.15", ctx.Err()
		}
	default:
		return nil, fmt.Errorf("unknown --probe %q", probeMode)
	}

	st, err := store.Open(dataDir)
	if err != nil {
		return nil, err
	}
	ca, err := tlsca.Open(filepath.Join(dataDir, "tls"))
	if err != nil {
		st.Close()
		return nil, err
	}
	binaries := engine.NewBinaryCache(nil)
	drv := fake.New()
	rec := reconcile.New(reconcile.Config{
		Probe: probe, Store: st, Driver: drv, NodesDir: filepath.Join(dataDir, "nodes"),
		Binaries: binaries.Find, Logger: log, TLS: reconcile.TLSFromAuthority(ca),
	})
	svc := service.New(service.Config{
		Region: "us-east-1", AccountID: "000000000000",
		Quotas:          service.Quotas{MaxClusters: 10_000_000, MaxNodesPerCluster: 40, MaxNodes: 10_000_000},
		HostMemoryBytes: hostinfo.MemoryBytes(),
		NodeAddresses:   &service.AddressAllocator{Base: first, Last: last, Free: nil},
		Notify:          rec.Enqueue,
	}, st)
	verifier := &sigv4.Verifier{
		Region: "us-east-1", Service: "elasticache", AllowUnknownKeys: true,
		Secret: func(string) (string, bool) { return "", false },
	}
	srv := &http.Server{
		Handler:           httpapi.New(svc, verifier, log),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		st.Close()
		return nil, err
	}
	rctx, stop := context.WithCancel(context.Background())
	recDone := make(chan struct{})
	go func() { rec.Run(rctx); close(recDone) }()
	go func() { _ = srv.Serve(ln) }()
	// The fake driver records every call; forget them so memory stays flat.
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-rctx.Done():
				return
			case <-t.C:
				drv.ResetCalls()
			}
		}
	}()
	harness.AtExit(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		stop()
		<-recDone
		st.Close()
	})
	log.Info("cacheplane ready", "listen", ln.Addr().String())
	return &inproc{store: st, svc: svc, drv: drv, endpoint: "http://" + ln.Addr().String(), resp: resp}, nil
}

// seed creates redis clusters seed-NNNNN from..to-1 through the service
// (in-process calls, concurrency 8) and waits until all are available.
func (p *inproc) seed(ctx context.Context, from, to int, nodeType string) (time.Duration, error) {
	t0 := time.Now()
	var next atomic.Int64
	next.Store(int64(from))
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for w := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= to || ctx.Err() != nil {
					return
				}
				_, err := p.svc.CreateCacheCluster(ctx, &api.CreateCacheClusterMessage{
					CacheClusterId: api.String(seedID(i)), Engine: api.String("redis"),
					CacheNodeType: api.String(nodeType), NumCacheNodes: api.Int32(1),
				})
				if err != nil {
					errs[w] = fmt.Errorf("seed %s: %w", seedID(i), err)
					return
				}
				if (i+1)%1000 == 0 {
					harness.Logf("seeded %d clusters", i+1)
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return 0, err
	}
	for {
		total, avail := p.count()
		if total >= to && avail == total {
			break
		}
		if err := harness.Sleep(ctx, 500*time.Millisecond); err != nil {
			return 0, err
		}
	}
	return time.Since(t0), nil
}

// count counts clusters and available ones in the store.
func (p *inproc) count() (total, available int) {
	_ = p.store.View(func(tx *store.Tx) error {
		return tx.Clusters("", func(c *model.Cluster) bool {
			total++
			if c.Status.Status == model.StatusAvailable {
				available++
			}
			return true
		})
	})
	return
}

func seedID(i int) string { return fmt.Sprintf("seed-%05d", i) }
