// Command cacheplane is a self-hosted, ElastiCache-compatible control plane.
//
//	cacheplane serve [--listen HOST:PORT] [--data-dir DIR] [--region R] ...
//
// Every flag can also be set by an environment variable (CACHEPLANE_LISTEN,
// CACHEPLANE_DATA_DIR, CACHEPLANE_REGION, ...; see `cacheplane serve -h`).
// main constructs everything explicitly; there are no globals or registries.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cacheplane/cacheplane/internal/autodiscovery"
	"github.com/cacheplane/cacheplane/internal/driver/process"
	"github.com/cacheplane/cacheplane/internal/engine"
	"github.com/cacheplane/cacheplane/internal/hostinfo"
	"github.com/cacheplane/cacheplane/internal/httpapi"
	"github.com/cacheplane/cacheplane/internal/model"
	"github.com/cacheplane/cacheplane/internal/notify"
	"github.com/cacheplane/cacheplane/internal/reconcile"
	"github.com/cacheplane/cacheplane/internal/service"
	"github.com/cacheplane/cacheplane/internal/sigv4"
	"github.com/cacheplane/cacheplane/internal/store"
	"github.com/cacheplane/cacheplane/internal/tlsca"
)

func main() {
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help" {
		fmt.Fprintln(os.Stderr, "usage: cacheplane serve [flags]   (cacheplane serve -h lists the flags)")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "serve":
		cfg, err := parseServeFlags(os.Args[2:], os.Getenv)
		if err != nil {
			fmt.Fprintln(os.Stderr, "cacheplane:", err)
			os.Exit(2)
		}
		if err := serve(cfg); err != nil {
			fmt.Fprintln(os.Stderr, "cacheplane:", err)
			os.Exit(1)
		}
	default:
		fmt.Fprintf(os.Stderr, "cacheplane: unknown command %q; try `cacheplane serve`\n", os.Args[1])
		os.Exit(2)
	}
}

// serveConfig is everything `serve` is told.
type serveConfig struct {
	Listen, DataDir, Region, AccountID string
	CredentialsFile                    string
	AccessKeyID, SecretAccessKey       string
	Binaries                           map[engine.Name]string
	Quotas                             service.Quotas
	AllowMemoryOvercommit              bool
	NodeAddressRange                   string
	AvailabilityZones                  []string
	StopNodesOnExit                    bool
	LogFormat                          string
	ResyncInterval                     time.Duration
	NotifyWebhook, NotifyFile          string // notification sinks; "" = none
}

func parseServeFlags(args []string, getenv func(string) string) (*serveConfig, error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	envInt := func(name string, def int) int {
		if v, err := strconv.Atoi(getenv(name)); err == nil {
			return v
		}
		return def
	}
	home, _ := os.UserHomeDir()
	cfg := &serveConfig{Binaries: map[engine.Name]string{}}
	q := service.DefaultQuotas()
	var redisBin, memcachedBin, valkeyBin string
	fs.StringVar(&cfg.Listen, "listen", env("CACHEPLANE_LISTEN", "127.0.0.1:9736"), "API listen address HOST:PORT (env CACHEPLANE_LISTEN); port 0 picks a free port")
	fs.StringVar(&cfg.DataDir, "data-dir", env("CACHEPLANE_DATA_DIR", filepath.Join(home, ".cacheplane")), "data directory: store and node directories (env CACHEPLANE_DATA_DIR)")
	fs.StringVar(&cfg.Region, "region", env("CACHEPLANE_REGION", "us-east-1"), "AWS region this control plane answers for (env CACHEPLANE_REGION)")
	fs.StringVar(&cfg.AccountID, "account-id", env("CACHEPLANE_ACCOUNT_ID", "000000000000"), "12-digit account id used in ARNs (env CACHEPLANE_ACCOUNT_ID)")
	fs.StringVar(&cfg.CredentialsFile, "credentials-file", env("CACHEPLANE_CREDENTIALS_FILE", ""), "file of ACCESS_KEY_ID:SECRET_ACCESS_KEY lines accepted off loopback; must not be readable by others (env CACHEPLANE_CREDENTIALS_FILE)")
	cfg.AccessKeyID = getenv("CACHEPLANE_ACCESS_KEY_ID")
	cfg.SecretAccessKey = getenv("CACHEPLANE_SECRET_ACCESS_KEY")
	fs.StringVar(&redisBin, "redis-binary", env("CACHEPLANE_REDIS_BINARY", ""), "redis-server to run (default: from PATH) (env CACHEPLANE_REDIS_BINARY)")
	fs.StringVar(&memcachedBin, "memcached-binary", env("CACHEPLANE_MEMCACHED_BINARY", ""), "memcached to run (default: from PATH) (env CACHEPLANE_MEMCACHED_BINARY)")
	fs.StringVar(&valkeyBin, "valkey-binary", env("CACHEPLANE_VALKEY_BINARY", ""), "valkey-server to run (default: from PATH) (env CACHEPLANE_VALKEY_BINARY)")
	fs.IntVar(&q.MaxClusters, "max-clusters", envInt("CACHEPLANE_MAX_CLUSTERS", q.MaxClusters), "cluster quota (ClusterQuotaForCustomerExceeded) (env CACHEPLANE_MAX_CLUSTERS)")
	fs.IntVar(&q.MaxNodes, "max-nodes", envInt("CACHEPLANE_MAX_NODES", q.MaxNodes), "node quota for all clusters (NodeQuotaForCustomerExceeded) (env CACHEPLANE_MAX_NODES)")
	fs.IntVar(&q.MaxNodesPerCluster, "max-nodes-per-cluster", envInt("CACHEPLANE_MAX_NODES_PER_CLUSTER", q.MaxNodesPerCluster), "nodes per cluster (NodeQuotaForClusterExceeded) (env CACHEPLANE_MAX_NODES_PER_CLUSTER)")
	fs.BoolVar(&cfg.AllowMemoryOvercommit, "allow-memory-overcommit", getenv("CACHEPLANE_ALLOW_MEMORY_OVERCOMMIT") == "true", "accept node types with more memory than this host has (env CACHEPLANE_ALLOW_MEMORY_OVERCOMMIT=true)")
	var zones string
	fs.StringVar(&zones, "availability-zones", env("CACHEPLANE_AVAILABILITY_ZONES", ""), "comma-separated availability zones of the region, one subnet of the default VPC each (default: REGIONa-f for us-east-1, REGIONa-c elsewhere) (env CACHEPLANE_AVAILABILITY_ZONES)")
	fs.StringVar(&cfg.NodeAddressRange, "node-addresses", env("CACHEPLANE_NODE_ADDRESSES", "127.77.0.1-127.77.255.254"), "loopback range FIRST-LAST that node endpoints are taken from (env CACHEPLANE_NODE_ADDRESSES)")
	fs.BoolVar(&cfg.StopNodesOnExit, "stop-nodes-on-exit", getenv("CACHEPLANE_STOP_NODES_ON_EXIT") == "true", "stop every node when cacheplane exits (default: nodes keep running and are re-adopted on restart)")
	fs.StringVar(&cfg.LogFormat, "log-format", env("CACHEPLANE_LOG_FORMAT", "text"), "log format: text or json")
	resync, err := time.ParseDuration(env("CACHEPLANE_RESYNC_INTERVAL", "10s"))
	if err != nil {
		return nil, fmt.Errorf("CACHEPLANE_RESYNC_INTERVAL: %w", err)
	}
	fs.StringVar(&cfg.NotifyWebhook, "notify-webhook", env("CACHEPLANE_NOTIFY_WEBHOOK", ""), "URL that gets an SNS-style POST for each notification of a cluster with a NotificationTopicArn (env CACHEPLANE_NOTIFY_WEBHOOK)")
	fs.StringVar(&cfg.NotifyFile, "notify-file", env("CACHEPLANE_NOTIFY_FILE", ""), "file (created 0600) that gets one JSON line per notification of a cluster with a NotificationTopicArn (env CACHEPLANE_NOTIFY_FILE)")
	fs.DurationVar(&cfg.ResyncInterval, "resync-interval", resync, "how often every cluster is reconciled and every node health-probed without a trigger; a hung node is restarted within about this long (env CACHEPLANE_RESYNC_INTERVAL)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	cfg.Binaries[engine.Redis], cfg.Binaries[engine.Memcached], cfg.Binaries[engine.Valkey] = redisBin, memcachedBin, valkeyBin
	cfg.Quotas = q
	if zones != "" {
		if cfg.AvailabilityZones, err = service.ParseAvailabilityZones(cfg.Region, zones); err != nil {
			return nil, fmt.Errorf("--availability-zones: %w", err)
		}
	}
	if cfg.ResyncInterval <= 0 {
		return nil, fmt.Errorf("--resync-interval must be positive, not %s", cfg.ResyncInterval)
	}
	if len(cfg.AccountID) != 12 || strings.Trim(cfg.AccountID, "0123456789") != "" {
		return nil, fmt.Errorf("--account-id must be 12 digits, not %q", cfg.AccountID)
	}
	return cfg, nil
}

func serve(cfg *serveConfig) error {
	var handler slog.Handler = slog.NewTextHandler(os.Stderr, nil)
	if cfg.LogFormat == "json" {
		handler = slog.NewJSONHandler(os.Stderr, nil)
	}
	log := slog.New(handler)

	host, _, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return fmt.Errorf("--listen %q: %w", cfg.Listen, err)
	}
	loopback := isLoopback(host)
	creds, err := loadCredentials(cfg)
	if err != nil {
		return err
	}
	if !loopback && len(creds) == 0 {
		return fmt.Errorf("listening on %s (not loopback) accepts only configured credentials, and none are configured: set --credentials-file or CACHEPLANE_ACCESS_KEY_ID and CACHEPLANE_SECRET_ACCESS_KEY", cfg.Listen)
	}
	first, last, err := parseRange(cfg.NodeAddressRange)
	if err != nil {
		return err
	}
	if cfg.DataDir, err = filepath.Abs(cfg.DataDir); err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return err
	}
	if err := os.Chmod(cfg.DataDir, 0o700); err != nil {
		return err
	}
	st, err := store.Open(cfg.DataDir)
	if err != nil {
		return err
	}
	defer st.Close()

	ca, err := tlsca.Open(filepath.Join(cfg.DataDir, "tls"))
	if err != nil {
		return err
	}
	notifications, err := newNotifications(cfg, log)
	if err != nil {
		return err
	}
	var notifier reconcile.Notifier // stays nil (no notifications) without a sink
	if notifications != nil {
		notifier = notifications
	}
	binaries := engine.NewBinaryCache(cfg.Binaries)
	drv := process.New(process.Options{Logger: log, StateDir: filepath.Join(cfg.DataDir, "driver")})
	ads := autodiscovery.New(log)
	rec := reconcile.New(reconcile.Config{
		Store: st, Driver: drv, NodesDir: filepath.Join(cfg.DataDir, "nodes"),
		Binaries: binaries.Find, Logger: log, TLS: reconcile.TLSFromAuthority(ca),
		ConfigEndpoints: ads, ConfigTLS: reconcile.ConfigTLSFromAuthority(ca),
		Resync: cfg.ResyncInterval, Notifier: notifier,
	})
	svc := service.New(service.Config{
		Region: cfg.Region, AccountID: cfg.AccountID, Quotas: cfg.Quotas,
		HostMemoryBytes: hostinfo.MemoryBytes(), AllowMemoryOvercommit: cfg.AllowMemoryOvercommit,
		NodeAddresses: service.NewAddressAllocator(first, last),
		Notify:        rec.Enqueue, AvailabilityZones: cfg.AvailabilityZones,
	}, st)
	verifier := &sigv4.Verifier{
		Region: cfg.Region, Service: "elasticache", AllowUnknownKeys: loopback,
		Secret: func(id string) (string, bool) { s, ok := creds[id]; return s, ok },
	}
	srv := &http.Server{
		Handler:           httpapi.New(svc, verifier, log),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	recDone := make(chan struct{})
	go func() { rec.Run(ctx); close(recDone) }()
	srvErr := make(chan error, 1)
	go func() { srvErr <- srv.Serve(ln) }()
	for _, e := range []engine.Name{engine.Redis, engine.Memcached, engine.Valkey} {
		if b, err := binaries.Find(e); err == nil {
			log.Info("engine binary", "engine", e, "path", b.Path, "version", b.Version)
		} else {
			log.Warn("engine binary missing", "engine", e, "err", err)
		}
	}
	log.Info("cacheplane ready", "listen", ln.Addr().String(), "endpoint", "http://"+ln.Addr().String(),
		"region", cfg.Region, "data_dir", cfg.DataDir, "auth", map[bool]string{true: "loopback: any access key", false: "configured credentials only"}[loopback])

	select {
	case <-ctx.Done():
	case err := <-srvErr:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutCtx)
	stop()
	<-recDone
	if notifications != nil {
		// The reconciler has stopped publishing; deliver what is queued, within the shutdown deadline.
		notifications.Close(shutCtx)
	}
	if cfg.StopNodesOnExit {
		stopAllNodes(shutCtx, st, drv, log)
	}
	ads.Close()
	drv.Close()
	log.Info("stopped")
	return nil
}

// newNotifications builds the dispatcher over the configured sinks; nil when none is configured.
func newNotifications(cfg *serveConfig, log *slog.Logger) (*notify.Dispatcher, error) {
	var sinks []notify.Sink
	if cfg.NotifyWebhook != "" {
		w, err := notify.NewWebhook(cfg.NotifyWebhook, &http.Client{Timeout: 10 * time.Second})
		if err != nil {
			return nil, fmt.Errorf("--notify-webhook: %w", err)
		}
		sinks = append(sinks, w)
	}
	if cfg.NotifyFile != "" {
		f, err := notify.NewFile(cfg.NotifyFile)
		if err != nil {
			return nil, fmt.Errorf("--notify-file: %w", err)
		}
		sinks = append(sinks, f)
	}
	if len(sinks) == 0 {
		return nil, nil
	}
	for _, s := range sinks {
		log.Info("notifications", "sink", s.String())
	}
	return notify.New(notify.Options{Logger: log}, sinks...), nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

func parseRange(s string) (netip.Addr, netip.Addr, error) {
	a, b, ok := strings.Cut(s, "-")
	first, err1 := netip.ParseAddr(strings.TrimSpace(a))
	last, err2 := netip.ParseAddr(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || !first.Is4() || !last.Is4() || first.Compare(last) > 0 {
		return netip.Addr{}, netip.Addr{}, fmt.Errorf("--node-addresses %q: want FIRST-LAST IPv4 addresses, e.g. 127.77.0.1-127.77.255.254", s)
	}
	if !first.IsLoopback() || !last.IsLoopback() {
		return netip.Addr{}, netip.Addr{}, fmt.Errorf("--node-addresses %q: nodes bind only to loopback addresses (127.0.0.0/8)", s)
	}
	return first, last, nil
}

// loadCredentials reads the access keys accepted off loopback. The file must
// not be readable by group or others, since it holds secrets.
func loadCredentials(cfg *serveConfig) (map[string]string, error) {
	creds := map[string]string{}
	if cfg.AccessKeyID != "" || cfg.SecretAccessKey != "" {
		if cfg.AccessKeyID == "" || cfg.SecretAccessKey == "" {
			return nil, errors.New("set both CACHEPLANE_ACCESS_KEY_ID and CACHEPLANE_SECRET_ACCESS_KEY, or neither")
		}
		creds[cfg.AccessKeyID] = cfg.SecretAccessKey
	}
	if cfg.CredentialsFile == "" {
		return creds, nil
	}
	info, err := os.Stat(cfg.CredentialsFile)
	if err != nil {
		return nil, err
	}
	if info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("credentials file %s is readable by others (mode %o); chmod 600 it", cfg.CredentialsFile, info.Mode().Perm())
	}
	f, err := os.Open(cfg.CredentialsFile)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, secret, ok := strings.Cut(line, ":")
		if !ok || id == "" || secret == "" {
			return nil, fmt.Errorf("credentials file %s line %d: want ACCESS_KEY_ID:SECRET_ACCESS_KEY", cfg.CredentialsFile, n)
		}
		creds[strings.TrimSpace(id)] = strings.TrimSpace(secret)
	}
	return creds, sc.Err()
}

// stopAllNodes stops every node of every cluster (for --stop-nodes-on-exit).
func stopAllNodes(ctx context.Context, st *store.Store, drv *process.Driver, log *slog.Logger) {
	var keys []string
	_ = st.View(func(tx *store.Tx) error {
		return tx.Clusters("", func(c *model.Cluster) bool {
			for _, n := range c.Spec.Nodes {
				keys = append(keys, model.NodeKey(c.Spec.ID, n.ID))
			}
			return true
		})
	})
	var wg sync.WaitGroup
	for _, k := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := drv.Stop(ctx, k); err != nil {
				log.Warn("stopping node", "node", k, "err", err)
			}
		}()
	}
	wg.Wait()
	log.Info("stopped all nodes", "count", len(keys))
}
