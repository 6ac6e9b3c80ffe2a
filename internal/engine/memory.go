package engine

import (
	"fmt"
	"strconv"
)

func errorf(format string, args ...any) error {
	return fmt.Errorf("engine: "+format, args...)
}

// minRedisMaxMemory is the least maxmemory cacheplane renders: maxmemory 0
// would mean "no limit" to the engine.
const minRedisMaxMemory = 1 * mib

// redisMaxMemory is the redis/valkey maxmemory for node type t after the
// ElastiCache reserved-memory parameters (which the engine itself does not
// know) are applied.
func redisMaxMemory(t NodeType, params map[string]string) (int64, error) {
	if t.MaxMemoryBytes <= 0 {
		return 0, errorf("node type %q has no maxmemory figure", t.Name)
	}
	pct := int64(DefaultReservedMemoryPercent)
	if s, ok := params["reserved-memory-percent"]; ok {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 || n > 100 {
			return 0, errorf("parameter reserved-memory-percent: %q is not an integer from 0 to 100", s)
		}
		pct = n
	}
	var reserved int64
	if s, ok := params["reserved-memory"]; ok {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return 0, errorf("parameter reserved-memory: %q is not a non-negative integer", s)
		}
		reserved = n
	}
	var mem int64
	if reserved > 0 {
		mem = t.MaxMemoryBytes - reserved
	} else {
		mem = t.MaxMemoryBytes * (100 - pct) / 100 // no overflow: maxmemory < 2^40
	}
	if mem < minRedisMaxMemory {
		return 0, errorf("reserved memory leaves node type %s only %d bytes of its maxmemory %d", t.Name, mem, t.MaxMemoryBytes)
	}
	return mem, nil
}

// memcachedMB is the -m value (MB) for node type t: max_cache_memory less
// memcached_connections_overhead, at least MinMemcachedMB.
func memcachedMB(t NodeType, params map[string]string) (int, error) {
	if t.MemcachedMB <= 0 {
		return 0, errorf("node type %q does not run memcached", t.Name)
	}
	overhead := DefaultMemcachedConnectionsOverheadMB
	if t.Name == "cache.t1.micro" {
		overhead = 13 // the exception reference §5.3 documents
	}
	if s, ok := params["memcached_connections_overhead"]; ok {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return 0, errorf("parameter memcached_connections_overhead: %q is not a non-negative integer", s)
		}
		overhead = n
	}
	return max(t.MemcachedMB-overhead, MinMemcachedMB), nil
}
