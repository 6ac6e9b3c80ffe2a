package engine

// Tests against the real engine binaries. They are skipped only when the
// binary is not installed. Every process a test starts is killed by PID in
// t.Cleanup.

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func binaryOrSkip(t *testing.T, e Name) Binary {
	t.Helper()
	b, err := FindBinary(e, "")
	if err != nil {
		t.Skipf("no %s binary: %v", e, err)
	}
	return b
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func realConfig(t *testing.T, e Name) NodeConfig {
	return NodeConfig{
		Engine:        e,
		Version:       DefaultVersion(e),
		NodeType:      mustNodeType(t, "cache.t3.micro"),
		ListenAddress: "127.0.0.1",
		Port:          freePort(t),
		DataDir:       t.TempDir(),
	}
}

// ipv6Config is realConfig on ::1, or a skip when the host has no IPv6
// loopback.
func ipv6Config(t *testing.T, e Name) NodeConfig {
	t.Helper()
	l, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	c := realConfig(t, e)
	c.ListenAddress, c.Port = "::1", port
	return c
}

// startNode renders c, writes its files, starts the engine and waits until
// Probe succeeds. It returns the rendering and the engine's PID.
func startNode(t *testing.T, bin Binary, c NodeConfig, tlsConf *tls.Config) (Rendered, int) {
	t.Helper()
	r, err := Render(c)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	for _, f := range r.Files {
		if err := os.WriteFile(filepath.Join(c.DataDir, f.Name), f.Content, os.FileMode(f.Mode)); err != nil {
			t.Fatal(err)
		}
	}
	stdio := filepath.Join(c.DataDir, "stdio.log")
	logf, err := os.Create(stdio)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin.Path, r.Args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	dieWithTest(cmd)
	err = cmd.Start()
	logf.Close()
	if err != nil {
		t.Fatalf("start %s: %v", bin.Path, err)
	}
	pid := cmd.Process.Pid
	done := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill() // SIGKILL to pid; an error only means it already exited
		<-done
	})
	logs := func() string {
		out, _ := os.ReadFile(stdio)
		if name := LogFileName(c.Engine); name != "" {
			l, _ := os.ReadFile(filepath.Join(c.DataDir, name))
			out = append(out, l...)
		}
		return string(out)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		v, err := Probe(ctx, c.Engine, c.ListenAddress, c.Port, c.AuthToken, tlsConf)
		cancel()
		if err == nil {
			if v != bin.Version {
				t.Errorf("Probe reports version %q, binary says %q", v, bin.Version)
			}
			return r, pid
		}
		select {
		case <-done:
			t.Fatalf("%s exited (%v) before answering: %s", bin.Path, waitErr, logs())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer: %v\n%s", bin.Path, err, logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// redisCommand runs one command on a node, after AUTH when auth is set.
func redisCommand(t *testing.T, c NodeConfig, tlsConf *tls.Config, auth string, args ...string) (any, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := dialNode(ctx, c.ListenAddress, c.Port, tlsConf)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if auth != "" {
		if _, err := conn.do("AUTH", auth); err != nil {
			return nil, err
		}
	}
	return conn.do(args...)
}

func configGet(t *testing.T, c NodeConfig, tlsConf *tls.Config, name string) string {
	t.Helper()
	reply, err := redisCommand(t, c, tlsConf, c.AuthToken, "CONFIG", "GET", name)
	if err != nil {
		t.Fatalf("CONFIG GET %s: %v", name, err)
	}
	arr, ok := reply.([]any)
	if !ok || len(arr) != 2 {
		t.Fatalf("CONFIG GET %s: reply %#v", name, reply)
	}
	v, _ := arr[1].([]byte)
	return string(v)
}

// renderedMaxMemory is the maxmemory line of a rendered config.
func renderedMaxMemory(t *testing.T, r Rendered, e Name) string {
	f, _ := r.File(ConfigFileName(e))
	for _, line := range strings.Split(string(f.Content), "\n") {
		if v, ok := strings.CutPrefix(line, "maxmemory "); ok {
			return v
		}
	}
	t.Fatalf("no maxmemory in\n%s", f.Content)
	return ""
}

func TestRealRedis(t *testing.T) {
	for _, e := range []Name{Redis, Valkey} {
		t.Run(string(e), func(t *testing.T) {
			bin := binaryOrSkip(t, e)

			t.Run("defaults and parameters", func(t *testing.T) {
				c := realConfig(t, e)
				c.Parameters = map[string]string{
					"maxmemory-policy":        "allkeys-lru",
					"notify-keyspace-events":  "Ex",
					"timeout":                 "300",
					"reserved-memory-percent": "50",
					"client-output-buffer-limit-pubsub-hard-limit": "67108864",
					"unknown-param": "ignored",
				}
				r, _ := startNode(t, bin, c, nil)
				if got, want := configGet(t, c, nil, "maxmemory"), renderedMaxMemory(t, r, e); got != want || got != "268435456" {
					t.Errorf("maxmemory = %s, rendered %s, want 268435456", got, want)
				}
				for name, want := range map[string]string{
					"maxmemory-policy": "allkeys-lru",
					"timeout":          "300",
					"save":             "",
					"appendonly":       "no",
					"protected-mode":   "yes",
					"bind":             "127.0.0.1",
					"dir":              c.DataDir,
					"dbfilename":       "dump.rdb",
				} {
					if got := configGet(t, c, nil, name); got != want {
						t.Errorf("CONFIG GET %s = %q, want %q", name, got, want)
					}
				}
				if got := configGet(t, c, nil, "notify-keyspace-events"); got != "xE" && got != "Ex" {
					t.Errorf("notify-keyspace-events = %q", got)
				}
				if got := configGet(t, c, nil, "client-output-buffer-limit"); !strings.Contains(got, "pubsub 67108864 8388608 60") {
					t.Errorf("client-output-buffer-limit = %q", got)
				}
				// the client connected over loopback although protected mode is on
				if reply, err := redisCommand(t, c, nil, "", "SET", "k", "v"); err != nil || reply != "OK" {
					t.Errorf("SET = %v, %v", reply, err)
				}
				if _, err := os.Stat(filepath.Join(c.DataDir, LogFileName(e))); err != nil {
					t.Errorf("log file not in DataDir: %v", err)
				}
			})

			t.Run("auth token", func(t *testing.T) {
				c := realConfig(t, e)
				c.AuthToken = testToken
				r, pid := startNode(t, bin, c, nil)
				if got, want := configGet(t, c, nil, "maxmemory"), renderedMaxMemory(t, r, e); got != want || got != "402653184" {
					t.Errorf("maxmemory = %s, rendered %s, want 402653184", got, want)
				}
				_, err := redisCommand(t, c, nil, "", "PING")
				if se, ok := err.(*ServerError); !ok || se.Code() != "NOAUTH" {
					t.Errorf("PING without AUTH: %v, want NOAUTH", err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				if _, err := Probe(ctx, e, c.ListenAddress, c.Port, "", nil); !IsAuthError(err) {
					t.Errorf("Probe without token: %v, want an auth error", err)
				}
				_, err = Probe(ctx, e, c.ListenAddress, c.Port, "wrong-token-wrong-token", nil)
				if !IsAuthError(err) {
					t.Errorf("Probe with wrong token: %v, want an auth error", err)
				}
				if err != nil && strings.Contains(err.Error(), "wrong-token") {
					t.Errorf("error message leaks the token: %v", err)
				}
				if v, err := Probe(ctx, e, c.ListenAddress, c.Port, testToken, nil); err != nil || v != bin.Version {
					t.Errorf("Probe with token = %q, %v", v, err)
				}
				cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
				if err == nil && bytes.Contains(cmdline, []byte(testToken)) {
					t.Errorf("token visible in /proc/%d/cmdline: %q", pid, cmdline)
				}
			})

			t.Run("own loopback address", func(t *testing.T) {
				// as nodes are deployed: one 127/8 address each, protected
				// mode on, clients connecting from another loopback address
				const addr = "127.0.213.7"
				l, err := net.Listen("tcp", addr+":0")
				if err != nil {
					t.Skipf("cannot listen on %s: %v", addr, err)
				}
				c := realConfig(t, e)
				c.ListenAddress, c.Port = addr, l.Addr().(*net.TCPAddr).Port
				l.Close()
				startNode(t, bin, c, nil)
				if reply, err := redisCommand(t, c, nil, "", "SET", "k", "v"); err != nil || reply != "OK" {
					t.Errorf("SET = %v, %v", reply, err)
				}
			})

			t.Run("ipv6", func(t *testing.T) {
				c := ipv6Config(t, e)
				startNode(t, bin, c, nil)
				if got := configGet(t, c, nil, "bind"); got != "::1" {
					t.Errorf("bind = %q", got)
				}
			})

			t.Run("tls", func(t *testing.T) {
				c := realConfig(t, e)
				c.AuthToken = testToken
				files, clientConf := makeTLS(t, c.DataDir)
				c.TLS = files
				startNode(t, bin, c, clientConf)
				if got := configGet(t, c, clientConf, "port"); got != "0" {
					t.Errorf("plaintext port = %s, want 0", got)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				defer cancel()
				if _, err := Probe(ctx, e, c.ListenAddress, c.Port, testToken, nil); err == nil {
					t.Error("plaintext probe of a TLS node succeeded")
				}
			})
		})
	}
}

// memcachedStats returns the "stats <what>" reply of a memcached node.
func memcachedStats(t *testing.T, c NodeConfig, tlsConf *tls.Config, what string) map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := dialNode(ctx, c.ListenAddress, c.Port, tlsConf)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "stats "+what+"\r\n"); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for {
		line, err := conn.readLine()
		if err != nil {
			t.Fatalf("stats %s: %v", what, err)
		}
		if line == "END" {
			return out
		}
		f := strings.SplitN(line, " ", 3)
		if len(f) != 3 || f[0] != "STAT" {
			t.Fatalf("stats %s: line %q", what, line)
		}
		out[f[1]] = f[2]
	}
}

// renderedArg is the value after flag in a memcached argument list.
func renderedArg(t *testing.T, r Rendered, flag string) string {
	for i, a := range r.Args {
		if a == flag && i+1 < len(r.Args) {
			return r.Args[i+1]
		}
	}
	t.Fatalf("no %s in %q", flag, r.Args)
	return ""
}

func TestRealMemcached(t *testing.T) {
	bin := binaryOrSkip(t, Memcached)

	t.Run("defaults", func(t *testing.T) {
		c := realConfig(t, Memcached)
		r, _ := startNode(t, bin, c, nil)
		mb, err := strconv.ParseInt(renderedArg(t, r, "-m"), 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		st := memcachedStats(t, c, nil, "settings")
		for name, want := range map[string]string{
			"maxbytes":      strconv.FormatInt(mb*mib, 10),
			"maxconns":      strconv.Itoa(MemcachedMaxConnections),
			"tcpport":       strconv.Itoa(c.Port),
			"udpport":       "0",
			"num_threads":   "2",
			"item_size_max": "1048576",
			"cas_enabled":   "yes",
		} {
			if st[name] != want {
				t.Errorf("stats settings %s = %q, want %q", name, st[name], want)
			}
		}
		if got := st["maxbytes"]; got != strconv.FormatInt(mustNodeType(t, "cache.t3.micro").EngineMemoryBytes(Memcached), 10) {
			t.Errorf("maxbytes %s differs from EngineMemoryBytes", got)
		}
	})

	t.Run("parameters", func(t *testing.T) {
		c := realConfig(t, Memcached)
		c.Parameters = map[string]string{
			"max_item_size":                  "2097152",
			"chunk_size":                     "96",
			"chunk_size_growth_factor":       "1.5",
			"cas_disabled":                   "1",
			"memcached_connections_overhead": "300",
		}
		startNode(t, bin, c, nil)
		st := memcachedStats(t, c, nil, "settings")
		for name, want := range map[string]string{
			"maxbytes":      strconv.Itoa(212 * mib),
			"item_size_max": "2097152",
			"chunk_size":    "96",
			"growth_factor": "1.50",
			"cas_enabled":   "no",
		} {
			if st[name] != want {
				t.Errorf("stats settings %s = %q, want %q", name, st[name], want)
			}
		}
	})

	t.Run("ipv6", func(t *testing.T) {
		c := ipv6Config(t, Memcached)
		startNode(t, bin, c, nil)
	})

	t.Run("tls", func(t *testing.T) {
		c := realConfig(t, Memcached)
		files, clientConf := makeTLS(t, c.DataDir)
		c.TLS = files
		startNode(t, bin, c, clientConf)
		if st := memcachedStats(t, c, clientConf, "settings"); st["ssl_enabled"] != "yes" {
			t.Errorf("ssl_enabled = %q", st["ssl_enabled"])
		}
	})
}

// makeTLS writes a self-signed certificate for 127.0.0.1 into dir and
// returns the files for Render and a client config that trusts it.
func makeTLS(t *testing.T, dir string) (*TLSFiles, *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "cacheplane test node"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	files := &TLSFiles{CertFile: filepath.Join(dir, "tls.crt"), KeyFile: filepath.Join(dir, "tls.key")}
	if err := os.WriteFile(files.CertFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(files.KeyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return files, &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}
