package engine

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestParseVersionOutput(t *testing.T) {
	for _, tc := range []struct {
		e    Name
		out  string
		want string
	}{
		{Redis, "Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=ae4d7c971a948f0\n", "7.0.15"},
		{Redis, "Valkey server v=8.0.1 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=1\n", "8.0.1"},
		{Valkey, "Valkey server v=8.1.1 sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=1\n", "8.1.1"},
		{Memcached, "memcached 1.6.18\n", "1.6.18"},
	} {
		got, err := parseVersionOutput(tc.e, []byte(tc.out))
		if err != nil || got != tc.want {
			t.Errorf("parseVersionOutput(%s, %q) = %q, %v; want %q", tc.e, tc.out, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		e   Name
		out string
	}{
		{Valkey, "Redis server v=7.0.15 sha=00000000:0\n"},
		{Redis, "memcached 1.6.18\n"},
		{Memcached, "Redis server v=7.0.15\n"},
		{Redis, ""},
		{"nope", "memcached 1.6.18"},
	} {
		if got, err := parseVersionOutput(tc.e, []byte(tc.out)); err == nil {
			t.Errorf("parseVersionOutput(%s, %q) = %q, want an error", tc.e, tc.out, got)
		}
	}
}

func TestFindBinaryInstalled(t *testing.T) {
	for _, e := range Names() {
		if _, err := exec.LookPath(e.BinaryName()); err != nil {
			continue
		}
		b, err := FindBinary(e, "")
		if err != nil {
			t.Errorf("FindBinary(%s): %v", e, err)
			continue
		}
		if b.Engine != e || !filepath.IsAbs(b.Path) || !regexp.MustCompile(`^\d+\.\d+\.\d+$`).MatchString(b.Version) || b.Banner == "" {
			t.Errorf("FindBinary(%s) = %+v", e, b)
		}
		// the same binary named explicitly
		if o, err := FindBinary(e, b.Path); err != nil || o != b {
			t.Errorf("FindBinary(%s, %s) = %+v, %v", e, b.Path, o, err)
		}
	}
}

func TestFindBinaryMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // nothing on PATH
	for e, want := range map[Name]string{
		Valkey:    "valkey-server not found on PATH; install valkey (apt-get install valkey-server) or set --valkey-binary",
		Redis:     "redis-server not found on PATH; install redis (apt-get install redis-server) or set --redis-binary",
		Memcached: "memcached not found on PATH; install memcached (apt-get install memcached) or set --memcached-binary",
	} {
		if _, err := FindBinary(e, ""); err == nil || err.Error() != want {
			t.Errorf("FindBinary(%s) error = %v, want %q", e, err, want)
		}
	}
	_, err := FindBinary(Redis, "/nonexistent/redis-server")
	if err == nil || !strings.Contains(err.Error(), "/nonexistent/redis-server") || !strings.Contains(err.Error(), "--redis-binary") {
		t.Errorf("FindBinary with a missing override: %v", err)
	}
	if _, err := FindBinary("nope", ""); err == nil {
		t.Error("unknown engine accepted")
	}
}

func TestFindBinaryScript(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if _, err := exec.LookPath("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	valkey := write("valkey-server", `[ "$1" = --version ] && echo "Valkey server v=8.1.1 sha=00000000:0 malloc=libc bits=64 build=0" || exit 2`)
	b, err := FindBinary(Valkey, valkey)
	if err != nil || b.Version != "8.1.1" || b.Path != valkey {
		t.Errorf("FindBinary(valkey script) = %+v, %v", b, err)
	}
	// found on PATH by name
	t.Setenv("PATH", dir)
	if b, err := FindBinary(Valkey, ""); err != nil || b.Version != "8.1.1" {
		t.Errorf("FindBinary(valkey on PATH) = %+v, %v", b, err)
	}
	// a redis binary named as valkey is refused
	fake := write("not-valkey", `echo "Redis server v=7.0.15 sha=00000000:0"`)
	if _, err := FindBinary(Valkey, fake); err == nil {
		t.Error("redis-server accepted as valkey")
	}
	// a binary that fails
	failing := write("broken", `echo boom >&2; exit 3`)
	if _, err := FindBinary(Memcached, failing); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("failing binary: %v", err)
	}
	// not executable
	plain := filepath.Join(dir, "plain")
	os.WriteFile(plain, []byte("x"), 0o644)
	if _, err := FindBinary(Memcached, plain); err == nil {
		t.Error("non-executable file accepted")
	}
}
