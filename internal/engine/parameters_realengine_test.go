package engine

// The parameter catalog against the real engine binaries: every family's
// defaults must make a configuration the installed engine starts with, and
// the values must be the ones the engine then reports.

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestRealRedisEveryFamilyDefault(t *testing.T) {
	bin := binaryOrSkip(t, Redis)
	seen := map[string]bool{}
	for _, v := range EngineVersions(Redis) {
		if seen[v.Family] {
			continue
		}
		seen[v.Family] = true
		t.Run(v.Family, func(t *testing.T) {
			c := realConfig(t, Redis)
			c.Version = v
			startNode(t, bin, c, nil)
			want := EffectiveParameters(v, nil)
			for _, name := range []string{"maxmemory-policy", "maxmemory-samples", "tcp-keepalive", "timeout", "databases", "slowlog-max-len"} {
				if got := configGet(t, c, nil, name); got != want[name] {
					t.Errorf("%s: CONFIG GET %s = %q, want the family default %q", v.ID(), name, got, want[name])
				}
			}
		})
	}
}

func TestRealRedisParametersLive(t *testing.T) {
	bin := binaryOrSkip(t, Redis)
	c := realConfig(t, Redis)
	c.AuthToken = testToken
	c.Parameters = map[string]string{"maxmemory-policy": "allkeys-lru", "databases": "32", "rename-commands": "flushall no-flushall"}
	startNode(t, bin, c, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	get := func(name string) string {
		t.Helper()
		v, found, err := ConfigGet(ctx, c.ListenAddress, c.Port, c.AuthToken, nil, name)
		if err != nil || !found {
			t.Fatalf("ConfigGet %s: %q %v %v", name, v, found, err)
		}
		return v
	}
	if got := get("maxmemory-policy"); got != "allkeys-lru" {
		t.Errorf("maxmemory-policy = %q", got)
	}
	if got := get("databases"); got != "32" {
		t.Errorf("databases = %q", got)
	}
	if _, err := redisCommand(t, c, nil, c.AuthToken, "FLUSHALL"); err == nil {
		t.Error("FLUSHALL was not renamed")
	}
	if _, found, err := ConfigGet(ctx, c.ListenAddress, c.Port, c.AuthToken, nil, "no-such-parameter"); found || err != nil {
		t.Errorf("ConfigGet of an unknown parameter: found=%v err=%v", found, err)
	}

	// Every live change of a plan is accepted by the engine.
	running := c.Parameters
	c.Parameters = map[string]string{
		"maxmemory-policy": "volatile-lru", "databases": "32", "rename-commands": "flushall no-flushall",
		"timeout": "60", "reserved-memory-percent": "50", "notify-keyspace-events": "Ex", "lfu-log-factor": "20",
		"client-output-buffer-limit-normal-hard-limit": "1048576", "latency-tracking": "yes",
	}
	plan, err := PlanParameterChange(c, running)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Reboot) != 0 || len(plan.Live) != 7 {
		t.Fatalf("plan %+v", plan)
	}
	for _, l := range plan.Live {
		if err := ConfigSet(ctx, c.ListenAddress, c.Port, c.AuthToken, nil, l.Name, l.Value); err != nil {
			t.Errorf("ConfigSet %s %q: %v", l.Name, l.Value, err)
		}
	}
	for name, want := range map[string]string{"maxmemory-policy": "volatile-lru", "timeout": "60", "maxmemory": "268435456", "lfu-log-factor": "20", "latency-tracking": "yes"} {
		if got := get(name); got != want {
			t.Errorf("after the plan, %s = %q, want %q", name, got, want)
		}
	}
	if got := get("client-output-buffer-limit"); !strings.Contains(got, "normal 1048576 0 0") {
		t.Errorf("client-output-buffer-limit = %q", got)
	}

	// A value the engine refuses is a ServerError, and the node lives on.
	err = ConfigSet(ctx, c.ListenAddress, c.Port, c.AuthToken, nil, "no-such-parameter", "1")
	var se *ServerError
	if !errors.As(err, &se) {
		t.Errorf("refused CONFIG SET: %v (%T), want a ServerError", err, err)
	}
	if err := ConfigSet(ctx, c.ListenAddress, c.Port, "wrong-token-1234567", nil, "timeout", "0"); !IsAuthError(err) {
		t.Errorf("wrong token: %v", err)
	}
	if got := get("timeout"); got != "60" {
		t.Errorf("timeout = %q after refused changes", got)
	}
}

func TestRealRedisActiveDefragIsLiveOnly(t *testing.T) {
	bin := binaryOrSkip(t, Redis)
	c := realConfig(t, Redis)
	c.Parameters = map[string]string{"activedefrag": "yes"}
	// The node starts whether or not this build can defragment.
	startNode(t, bin, c, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := ConfigSet(ctx, c.ListenAddress, c.Port, "", nil, "activedefrag", "yes")
	var se *ServerError
	if err != nil && !errors.As(err, &se) {
		t.Errorf("activedefrag: %v", err)
	}
}

func TestRealMemcachedEveryFamilyDefault(t *testing.T) {
	bin := binaryOrSkip(t, Memcached)
	for _, v := range EngineVersions(Memcached) {
		t.Run(v.Version, func(t *testing.T) {
			c := realConfig(t, Memcached)
			c.Version = v
			startNode(t, bin, c, nil)
			st := memcachedStats(t, c, nil, "settings")
			if st["item_size_max"] != "1048576" || st["chunk_size"] != "48" || st["growth_factor"] != "1.25" {
				t.Errorf("%s settings: item_size_max %s chunk_size %s growth_factor %s", v.ID(), st["item_size_max"], st["chunk_size"], st["growth_factor"])
			}
			if v.AtLeast("1.5.10") && (st["hash_algorithm"] != "jenkins" || st["slab_reassign"] != "no" || st["lru_maintainer_thread"] != "no") {
				t.Errorf("%s: no_modern is not in effect: hash %s slab_reassign %s lru_maintainer_thread %s", v.ID(), st["hash_algorithm"], st["slab_reassign"], st["lru_maintainer_thread"])
			}
		})
	}
}

func TestRealMemcachedParameters(t *testing.T) {
	bin := binaryOrSkip(t, Memcached)
	c := realConfig(t, Memcached)
	c.Parameters = map[string]string{
		"max_item_size": "2097152", "slab_reassign": "1", "slab_automove": "1", "lru_crawler": "1",
		"hash_algorithm": "murmur3", "idle_timeout": "600", "binding_protocol": "ascii", "disable_flush_all": "1",
		"error_on_memory_exhausted": "1", "watch": "0", "track_sizes": "1", "no_modern": "0",
	}
	startNode(t, bin, c, nil)
	st := memcachedStats(t, c, nil, "settings")
	for name, want := range map[string]string{
		"item_size_max": "2097152", "slab_reassign": "yes", "slab_automove": "1", "lru_crawler": "yes",
		"hash_algorithm": "murmur3", "idle_timeout": "600", "binding_protocol": "ascii", "flush_enabled": "no",
		"evictions": "off", "track_sizes": "yes",
	} {
		if st[name] != want {
			t.Errorf("stats settings %s = %q, want %q", name, st[name], want)
		}
	}
}
