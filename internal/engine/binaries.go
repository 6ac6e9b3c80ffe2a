package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Binary is an engine server binary found on this host.
type Binary struct {
	Engine Name
	// Path is the absolute or PATH-resolved file name of the binary.
	Path string
	// Version is what the binary reports, e.g. "7.0.15".
	Version string
	// Banner is the first line of the binary's version output, e.g.
	// "Redis server v=7.0.15 sha=00000000:0 malloc=jemalloc-5.3.0 ...".
	Banner string
}

// versionTimeout bounds how long a binary may take to print its version.
const versionTimeout = 10 * time.Second

// installHint names the package that provides each engine's binary.
var installHint = map[Name]struct{ product, pkg string }{
	Redis:     {"redis", "redis-server"},
	Valkey:    {"valkey", "valkey-server"},
	Memcached: {"memcached", "memcached"},
}

// FindBinary locates the server binary of engine e and asks it for its
// version. override, when not empty, is used instead of a PATH lookup of
// "redis-server", "valkey-server" or "memcached". The version comes from
// "<bin> --version" ("... v=7.0.15 ...") for redis and valkey and from
// "<bin> -V" ("memcached 1.6.18") for memcached. This is the only function
// of the package that runs a program.
func FindBinary(e Name, override string) (Binary, error) {
	if !e.Valid() {
		return Binary{}, errorf("unknown engine %q", e)
	}
	bin, hint := e.BinaryName(), installHint[e]
	advice := fmt.Sprintf("install %s (apt-get install %s) or set --%s-binary", hint.product, hint.pkg, e)
	var path string
	if override == "" {
		p, err := exec.LookPath(bin)
		if err != nil {
			return Binary{}, fmt.Errorf("%s not found on PATH; %s", bin, advice)
		}
		path = p
	} else {
		p, err := exec.LookPath(override) // checks that the file is executable
		if err != nil {
			if errors.Is(err, os.ErrNotExist) || errors.Is(err, exec.ErrNotFound) {
				return Binary{}, fmt.Errorf("%s binary %s not found; %s", e, override, advice)
			}
			return Binary{}, fmt.Errorf("%s binary %s: %v; %s", e, override, err, advice)
		}
		path = p
	}
	flag := "--version"
	if e == Memcached {
		flag = "-V"
	}
	ctx, cancel := context.WithTimeout(context.Background(), versionTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, flag).CombinedOutput()
	if err != nil {
		return Binary{}, fmt.Errorf("%s %s: %v: %s", path, flag, err, firstLine(out))
	}
	version, err := parseVersionOutput(e, out)
	if err != nil {
		return Binary{}, fmt.Errorf("%s %s: %w", path, flag, err)
	}
	return Binary{Engine: e, Path: path, Version: version, Banner: firstLine(out)}, nil
}

var (
	redisVersionRe     = regexp.MustCompile(`^(Redis|Valkey|KeyDB) server v=([0-9]+(?:\.[0-9]+)*)\b`)
	memcachedVersionRe = regexp.MustCompile(`^memcached ([0-9]+(?:\.[0-9]+)*)\b`)
)

// parseVersionOutput extracts the version from a binary's version output
// and checks that the binary is the engine it was asked for: valkey must be
// valkey-server, while redis may be any RESP server that says it is a
// drop-in (redis-server, or valkey-server installed under that name).
func parseVersionOutput(e Name, out []byte) (string, error) {
	line := firstLine(out)
	switch e {
	case Redis, Valkey:
		m := redisVersionRe.FindStringSubmatch(line)
		if m == nil {
			return "", fmt.Errorf("not a %s server binary: version output %q", e, line)
		}
		if e == Valkey && m[1] != "Valkey" {
			return "", fmt.Errorf("not a valkey server binary: it reports %q", line)
		}
		return m[2], nil
	case Memcached:
		m := memcachedVersionRe.FindStringSubmatch(line)
		if m == nil {
			return "", fmt.Errorf("not a memcached binary: version output %q", line)
		}
		return m[1], nil
	}
	return "", errorf("unknown engine %q", e)
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	return strings.TrimSpace(s)
}

// BinaryCache finds each engine's binary once (FindBinary with the configured
// overrides) and remembers it; a missing binary is looked for again next time,
// so installing it later needs no restart.
type BinaryCache struct {
	overrides map[Name]string
	mu        sync.Mutex
	found     map[Name]Binary
}

// NewBinaryCache returns a cache over the per-engine path overrides (may be nil).
func NewBinaryCache(overrides map[Name]string) *BinaryCache {
	return &BinaryCache{overrides: overrides, found: map[Name]Binary{}}
}

// Find returns the binary serving engine e.
func (c *BinaryCache) Find(e Name) (Binary, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if b, ok := c.found[e]; ok {
		return b, nil
	}
	b, err := FindBinary(e, c.overrides[e])
	if err != nil {
		return Binary{}, err
	}
	c.found[e] = b
	return b, nil
}
