package engine

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the testdata/*.golden files")

const goldenDataDir = "/var/lib/cacheplane/nodes/my-cache/0001"

// testToken is a valid ElastiCache AUTH token using every special character
// AWS allows.
const testToken = "Sup3r-secret!&#$^<>-token"

func mustNodeType(t *testing.T, name string) NodeType {
	t.Helper()
	nt, ok := LookupNodeType(name)
	if !ok {
		t.Fatalf("no node type %s", name)
	}
	return nt
}

func baseConfig(t *testing.T, e Name) NodeConfig {
	return NodeConfig{
		Engine:        e,
		Version:       DefaultVersion(e),
		NodeType:      mustNodeType(t, "cache.t3.micro"),
		ListenAddress: "127.0.42.7",
		Port:          e.DefaultPort(),
		DataDir:       goldenDataDir,
	}
}

// dump is the golden form of a Rendered.
func dump(r Rendered) []byte {
	var b bytes.Buffer
	b.WriteString("args:\n")
	for _, a := range r.Args {
		fmt.Fprintf(&b, "  %s\n", a)
	}
	for _, f := range r.Files {
		fmt.Fprintf(&b, "file %s mode %04o:\n%s", f.Name, f.Mode, f.Content)
	}
	return b.Bytes()
}

func TestRenderGolden(t *testing.T) {
	tlsFiles := &TLSFiles{CertFile: "/etc/cacheplane/tls/node.crt", KeyFile: "/etc/cacheplane/tls/node.key", CAFile: "/etc/cacheplane/tls/ca.crt"}
	for _, tc := range []struct {
		name   string
		config func(c *NodeConfig)
	}{
		{"redis_noauth", func(c *NodeConfig) { c.Engine, c.Version, c.Port = Redis, DefaultVersion(Redis), 6379 }},
		{"redis_auth", func(c *NodeConfig) {
			c.Engine, c.Version, c.Port = Redis, DefaultVersion(Redis), 6379
			c.AuthToken = testToken
		}},
		{"redis_params_tls", func(c *NodeConfig) {
			c.Engine, c.Version, c.Port = Redis, DefaultVersion(Redis), 6380
			c.AuthToken = testToken
			c.TLS = tlsFiles
			c.DataDir = "/var/lib/cache plane/my node"
			c.Parameters = map[string]string{
				"maxmemory-policy":        "allkeys-lfu",
				"notify-keyspace-events":  "",
				"timeout":                 "300",
				"appendonly":              "yes",
				"reserved-memory-percent": "50",
				"client-output-buffer-limit-pubsub-hard-limit":  "67108864",
				"client-output-buffer-limit-replica-soft-limit": "1048576",
				"cluster-enabled": "no",       // rendered as the directive
				"save":            "900 1",    // not a parameter group key: ignored
				"unknown-param":   "whatever", // ignored
			}
		}},
		{"valkey_noauth", func(c *NodeConfig) {
			c.Engine, c.Version, c.Port = Valkey, DefaultVersion(Valkey), 6379
			c.NodeType = mustNodeType(t, "cache.r7g.large")
		}},
		{"memcached", func(c *NodeConfig) { c.Engine, c.Version, c.Port = Memcached, DefaultVersion(Memcached), 11211 }},
		{"memcached_params_tls", func(c *NodeConfig) {
			c.Engine, c.Version, c.Port = Memcached, DefaultVersion(Memcached), 11212
			c.NodeType = mustNodeType(t, "cache.m5.xlarge")
			c.TLS = tlsFiles
			c.RunAsUser = "memcache"
			c.Parameters = map[string]string{
				"max_item_size":                  "4194304",
				"chunk_size":                     "96",
				"chunk_size_growth_factor":       "1.5",
				"cas_disabled":                   "1",
				"memcached_connections_overhead": "200",
				"unknown_param":                  "1",
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := baseConfig(t, Redis)
			tc.config(&c)
			r, err := Render(c)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			for _, f := range r.Files {
				if f.Mode != 0o600 {
					t.Errorf("%s mode %o, want 0600", f.Name, f.Mode)
				}
			}
			got := dump(r)
			path := filepath.Join("testdata", tc.name+".golden")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Render differs from %s (run go test -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
			}
		})
	}
}

func TestRenderRedisEssentials(t *testing.T) {
	c := baseConfig(t, Redis)
	c.AuthToken = testToken
	r, err := Render(c)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Args) != 1 || r.Args[0] != goldenDataDir+"/redis.conf" {
		t.Errorf("Args = %q", r.Args)
	}
	f, ok := r.File("redis.conf")
	if !ok {
		t.Fatalf("no redis.conf in %+v", r.Files)
	}
	conf := string(f.Content)
	for _, line := range []string{
		"bind 127.0.42.7", "port 6379", "protected-mode no", "daemonize no", "supervised no",
		"dir " + goldenDataDir, "dbfilename dump.rdb", "appendonly no", `save ""`,
		"maxmemory 402653184", "maxmemory-policy volatile-lru", "logfile " + goldenDataDir + "/redis.log",
		`requirepass "` + testToken + `"`,
	} {
		if !strings.Contains(conf, "\n"+line+"\n") {
			t.Errorf("redis.conf lacks line %q:\n%s", line, conf)
		}
	}

	c.AuthToken = ""
	r, _ = Render(c)
	f, _ = r.File("redis.conf")
	if !bytes.Contains(f.Content, []byte("\nprotected-mode yes\n")) || bytes.Contains(f.Content, []byte("requirepass")) {
		t.Errorf("loopback without token should keep protected mode and have no requirepass:\n%s", f.Content)
	}
	c.ListenAddress = "10.1.2.3"
	r, _ = Render(c)
	f, _ = r.File("redis.conf")
	if !bytes.Contains(f.Content, []byte("\nprotected-mode no\n")) {
		t.Errorf("non-loopback address must not be protected:\n%s", f.Content)
	}
}

func TestRenderNoSecretInArgs(t *testing.T) {
	for _, e := range []Name{Redis, Valkey} {
		for _, withTLS := range []bool{false, true} {
			c := baseConfig(t, e)
			c.AuthToken = testToken
			if withTLS {
				c.TLS = &TLSFiles{CertFile: "/tls/c.pem", KeyFile: "/tls/k.pem"}
			}
			r, err := Render(c)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range r.Args {
				if strings.Contains(a, testToken) {
					t.Errorf("%s: auth token in argv %q", e, r.Args)
				}
			}
			f, ok := r.File(ConfigFileName(e))
			if !ok || f.Mode != 0o600 || !bytes.Contains(f.Content, []byte(testToken)) {
				t.Errorf("%s: token must be in the 0600 config file: %+v", e, f)
			}
		}
	}
	// memcached has no token: asking for one is an error, not a silent
	// open node, and certainly not an argument.
	c := baseConfig(t, Memcached)
	c.AuthToken = testToken
	if r, err := Render(c); err == nil {
		t.Errorf("memcached with a token rendered %q", r.Args)
	}
	// A data directory that happens to contain the token must not leak it.
	c = baseConfig(t, Redis)
	c.AuthToken = testToken
	c.DataDir = "/data/" + testToken
	if r, err := Render(c); err == nil {
		t.Errorf("token leaked into argv %q", r.Args)
	}
}

func TestRenderMemcachedArgs(t *testing.T) {
	c := baseConfig(t, Memcached)
	c.NodeType = mustNodeType(t, "cache.r7g.16xlarge")
	r, err := Render(c)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Files) != 0 {
		t.Errorf("memcached files: %+v", r.Files)
	}
	args := " " + strings.Join(r.Args, " ") + " "
	for _, want := range []string{" -l 127.0.42.7 ", " -p 11211 ", " -U 0 ", " -m 429054 ", " -t 4 ", " -c 4096 ", " -I 1048576 ", " -u root "} {
		if !strings.Contains(args, want) {
			t.Errorf("args %q lack %q", args, want)
		}
	}
	for _, bad := range []string{" -d ", " -Z "} {
		if strings.Contains(args, bad) {
			t.Errorf("args %q contain %q", args, bad)
		}
	}
}

func TestRenderValidation(t *testing.T) {
	for _, tc := range []struct {
		name   string
		engine Name
		mutate func(c *NodeConfig)
	}{
		{"unknown engine", Redis, func(c *NodeConfig) { c.Engine = "Redis" }},
		{"no version", Redis, func(c *NodeConfig) { c.Version = Version{} }},
		{"version of other engine", Redis, func(c *NodeConfig) { c.Version = DefaultVersion(Valkey) }},
		{"no node type", Redis, func(c *NodeConfig) { c.NodeType = NodeType{} }},
		{"empty address", Redis, func(c *NodeConfig) { c.ListenAddress = "" }},
		{"host name address", Redis, func(c *NodeConfig) { c.ListenAddress = "localhost" }},
		{"address injection", Redis, func(c *NodeConfig) { c.ListenAddress = "127.0.0.1\nrequirepass x" }},
		{"port 0", Redis, func(c *NodeConfig) { c.Port = 0 }},
		{"port too big", Memcached, func(c *NodeConfig) { c.Port = 65536 }},
		{"negative port", Memcached, func(c *NodeConfig) { c.Port = -1 }},
		{"empty data dir", Redis, func(c *NodeConfig) { c.DataDir = "" }},
		{"relative data dir", Redis, func(c *NodeConfig) { c.DataDir = "nodes/0001" }},
		{"data dir with newline", Redis, func(c *NodeConfig) { c.DataDir = "/x\ny" }},
		{"token with newline", Redis, func(c *NodeConfig) { c.AuthToken = "abc\ndef" }},
		{"tls without key", Redis, func(c *NodeConfig) { c.TLS = &TLSFiles{CertFile: "/c.pem"} }},
		{"tls relative", Redis, func(c *NodeConfig) { c.TLS = &TLSFiles{CertFile: "c.pem", KeyFile: "/k.pem"} }},
		{"memcached tls comma", Memcached, func(c *NodeConfig) { c.TLS = &TLSFiles{CertFile: "/a,b.pem", KeyFile: "/k.pem"} }},
		{"memcached on r6gd", Memcached, func(c *NodeConfig) { c.NodeType = mustNodeType(t, "cache.r6gd.xlarge") }},
		{"reserved 100%", Redis, func(c *NodeConfig) { c.Parameters = map[string]string{"reserved-memory-percent": "100"} }},
		{"bad item size", Memcached, func(c *NodeConfig) { c.Parameters = map[string]string{"max_item_size": "1k"} }},
		{"item size > half memory", Memcached, func(c *NodeConfig) { c.Parameters = map[string]string{"max_item_size": "536870912"} }},
		{"bad growth factor", Memcached, func(c *NodeConfig) { c.Parameters = map[string]string{"chunk_size_growth_factor": "1"} }},
		{"bad cas_disabled", Memcached, func(c *NodeConfig) { c.Parameters = map[string]string{"cas_disabled": "yes"} }},
		{"bad user", Memcached, func(c *NodeConfig) { c.RunAsUser = "a b" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := baseConfig(t, tc.engine)
			tc.mutate(&c)
			if r, err := Render(c); err == nil {
				t.Errorf("Render accepted %+v: %+v", c, r)
			}
		})
	}
	// The zero config must fail, not panic.
	if _, err := Render(NodeConfig{}); err == nil {
		t.Error("Render(NodeConfig{}) succeeded")
	}
	c := baseConfig(t, Redis)
	c.ListenAddress = "::1"
	if _, err := Render(c); err != nil {
		t.Errorf("IPv6 address: %v", err)
	}
}

func TestQuoteConfig(t *testing.T) {
	for in, want := range map[string]string{
		"volatile-lru":     "volatile-lru",
		"/var/lib/x/y.log": "/var/lib/x/y.log",
		"":                 `""`,
		"a b":              `"a b"`,
		`a"b\c`:            `"a\"b\\c"`,
		"tab\there":        `"tab\x09here"`,
		"#x":               `"#x"`,
		"'":                `"'"`,
	} {
		if got := quoteConfig(in); got != want {
			t.Errorf("quoteConfig(%q) = %s, want %s", in, got, want)
		}
	}
}
