package engine

import (
	"slices"
	"strings"
)

// NodeType is one cache node type with the engine memory figures AWS
// publishes for it (reference §5.2).
type NodeType struct {
	Name string
	// MaxMemoryBytes is the Redis OSS / Valkey maxmemory of the type, before
	// reserved memory is taken off.
	MaxMemoryBytes int64
	// MemcachedMB is memcached's max_cache_memory in MB; 0 where the type
	// does not run memcached (r6gd).
	MemcachedMB int
	// MemcachedThreads is memcached's num_threads; 0 where the type does not
	// run memcached.
	MemcachedThreads int
	// PreviousGeneration marks T1, M1, M2, M3, C1 and R3: existing clusters
	// only, new clusters are not allowed.
	PreviousGeneration bool
	// Graviton marks the ARM types (t4g, m6g, m7g, m8g, r6g, r6gd, r7g, r8g,
	// c7gn, c8gn); they need Redis OSS >= 5.0.6 or Memcached >= 1.5.16.
	Graviton bool
	// DataTiering marks r6gd, which is for replication groups with data
	// tiering enabled only.
	DataTiering bool
	// InValkeyTable and InRedisTable say whether the type appears in the
	// Valkey and Redis OSS node-type tables of the user guide.
	InValkeyTable bool
	InRedisTable  bool
}

// Family returns the type's family, e.g. "t3" for "cache.t3.micro".
func (t NodeType) Family() string {
	f, _, _ := strings.Cut(strings.TrimPrefix(t.Name, "cache."), ".")
	return f
}

// SupportsVersion reports whether a cache cluster of this node type may run
// the engine version v:
//   - the type must appear in the engine's table (M8g, R8g and C8gn are
//     Valkey only; T1, M1, M2, M3, C1 and R3 are not in the Valkey table;
//     memcached needs memcached figures);
//   - Graviton types need Redis OSS >= 5.0.6 or Memcached >= 1.5.16;
//   - r6gd is false: it is only for replication groups with data tiering.
//
// Previous-generation types are reported as supported; whether a new
// cluster may use one is a separate rule (see PreviousGeneration).
func (t NodeType) SupportsVersion(v Version) bool {
	if t.DataTiering {
		return false
	}
	switch v.Engine {
	case Redis:
		return t.InRedisTable && (!t.Graviton || v.AtLeast("5.0.6"))
	case Valkey:
		return t.InValkeyTable
	case Memcached:
		return t.MemcachedMB > 0 && (!t.Graviton || v.AtLeast("1.5.16"))
	}
	return false
}

// DefaultReservedMemoryPercent is the reserved-memory-percent of the default
// Redis OSS / Valkey parameter groups.
const DefaultReservedMemoryPercent = 25

// DefaultMemcachedConnectionsOverheadMB is memcached_connections_overhead in
// the default memcached parameter groups (13 MB on cache.t1.micro).
const DefaultMemcachedConnectionsOverheadMB = 100

// MinMemcachedMB is the least memory cacheplane gives a memcached node.
const MinMemcachedMB = 64

const mib = 1 << 20

// EngineMemoryBytes is the memory an engine of kind e gets on this node type
// with default parameters:
//   - redis / valkey: MaxMemoryBytes * (100 - 25) / 100, which is what AWS
//     reports as maxmemory (cache.t3.micro: 402653184);
//   - memcached: (MemcachedMB - 100 MB connection overhead) MiB, at least
//     64 MiB; 0 when the type has no memcached figures.
//
// It returns 0 for an unknown engine.
func (t NodeType) EngineMemoryBytes(e Name) int64 {
	n, err := t.EngineMemoryBytesWith(e, nil)
	if err != nil {
		return 0
	}
	return n
}

// EngineMemoryBytesWith is EngineMemoryBytes with the memory parameters of
// a parameter group applied: reserved-memory-percent and reserved-memory
// (bytes; when above 0 it wins over the percentage) for redis and valkey,
// memcached_connections_overhead (MB) for memcached. It fails when a value
// is malformed or leaves the engine no memory.
func (t NodeType) EngineMemoryBytesWith(e Name, params map[string]string) (int64, error) {
	switch e {
	case Redis, Valkey:
		return redisMaxMemory(t, params)
	case Memcached:
		mb, err := memcachedMB(t, params)
		return int64(mb) * mib, err
	}
	return 0, errorf("unknown engine %q", e)
}

// nodeTypeRow is one line of the table below.
type nodeTypeRow struct {
	name        string
	maxMemory   int64
	memcachedMB int
	threads     int
	tables      engineTables
}

type engineTables int

const (
	inBoth engineTables = iota
	redisOnly
	valkeyOnly
)

var previousGenerationFamilies = []string{"t1", "m1", "m2", "m3", "c1", "r3"}

// nodeTypeRows is reference §5.2, in its order, as published (including the
// discrepancies the reference lists).
var nodeTypeRows = []nodeTypeRow{
	{"cache.t1.micro", 142606336, 213, 1, redisOnly},
	{"cache.t2.micro", 581959680, 555, 1, inBoth},
	{"cache.t2.small", 1665138688, 1588, 1, inBoth},
	{"cache.t2.medium", 3461349376, 3301, 2, inBoth},
	{"cache.t3.micro", 536870912, 512, 2, inBoth},
	{"cache.t3.small", 1471026299, 1402, 2, inBoth},
	{"cache.t3.medium", 3317862236, 3364, 2, inBoth},
	{"cache.t4g.micro", 536870912, 512, 2, inBoth},
	{"cache.t4g.small", 1471026299, 1402, 2, inBoth},
	{"cache.t4g.medium", 3317862236, 3164, 2, inBoth},
	{"cache.m1.small", 943718400, 1301, 1, redisOnly},
	{"cache.m1.medium", 3093299200, 3350, 1, redisOnly},
	{"cache.m1.large", 7025459200, 7100, 2, redisOnly},
	{"cache.m1.xlarge", 14889779200, 14600, 4, redisOnly},
	{"cache.m2.xlarge", 17091788800, 33800, 2, redisOnly},
	{"cache.m2.2xlarge", 35022438400, 30412, 4, redisOnly},
	{"cache.m2.4xlarge", 70883737600, 68000, 16, redisOnly},
	{"cache.m3.medium", 2988441600, 2850, 1, redisOnly},
	{"cache.m3.large", 6501171200, 6200, 2, redisOnly},
	{"cache.m3.xlarge", 14260633600, 13600, 4, redisOnly},
	{"cache.m3.2xlarge", 29989273600, 28600, 8, redisOnly},
	{"cache.m4.large", 6892593152, 6573, 2, inBoth},
	{"cache.m4.xlarge", 15328501760, 11496, 4, inBoth},
	{"cache.m4.2xlarge", 31889126359, 30412, 8, inBoth},
	{"cache.m4.4xlarge", 65257290629, 62234, 16, inBoth},
	{"cache.m4.10xlarge", 166047614239, 158355, 40, inBoth},
	{"cache.m5.large", 6854542746, 6537, 2, inBoth},
	{"cache.m5.xlarge", 13891921715, 13248, 4, inBoth},
	{"cache.m5.2xlarge", 27966669210, 26671, 8, inBoth},
	{"cache.m5.4xlarge", 56116178125, 53516, 16, inBoth},
	{"cache.m5.12xlarge", 168715971994, 160900, 48, inBoth},
	{"cache.m5.24xlarge", 337500562842, 321865, 96, inBoth},
	{"cache.m6g.large", 6854542746, 6537, 2, inBoth},
	{"cache.m6g.xlarge", 13891921715, 13248, 4, inBoth},
	{"cache.m6g.2xlarge", 27966669210, 26671, 8, inBoth},
	{"cache.m6g.4xlarge", 56116178125, 53516, 16, inBoth},
	{"cache.m6g.8xlarge", 111325552312, 107000, 32, inBoth},
	{"cache.m6g.12xlarge", 168715971994, 160900, 48, inBoth},
	{"cache.m6g.16xlarge", 225000375228, 214577, 64, inBoth},
	{"cache.m7g.large", 6854542746, 6537, 2, inBoth},
	{"cache.m7g.xlarge", 13891921715, 13248, 4, inBoth},
	{"cache.m7g.2xlarge", 27966669210, 26671, 8, inBoth},
	{"cache.m7g.4xlarge", 56116178125, 53516, 16, inBoth},
	{"cache.m7g.8xlarge", 111325552312, 107000, 32, inBoth},
	{"cache.m7g.12xlarge", 168715971994, 160900, 48, inBoth},
	{"cache.m7g.16xlarge", 225000375228, 214577, 64, inBoth},
	{"cache.m8g.large", 7294178820, 6956, 2, valkeyOnly},
	{"cache.m8g.xlarge", 15222495510, 14517, 4, valkeyOnly},
	{"cache.m8g.2xlarge", 31866224640, 30390, 8, valkeyOnly},
	{"cache.m8g.4xlarge", 65856864256, 62806, 16, valkeyOnly},
	{"cache.m8g.8xlarge", 133838143488, 127638, 32, valkeyOnly},
	{"cache.m8g.12xlarge", 201819422720, 192470, 48, valkeyOnly},
	{"cache.m8g.16xlarge", 269800701952, 257302, 64, valkeyOnly},
	{"cache.c1.xlarge", 6501171200, 6600, 8, redisOnly},
	{"cache.c7gn.large", 3317862236, 3164, 2, inBoth},
	{"cache.c7gn.xlarge", 6854542746, 6537, 4, inBoth},
	{"cache.c7gn.2xlarge", 13891921715, 13248, 8, inBoth},
	{"cache.c7gn.4xlarge", 27966669210, 26671, 16, inBoth},
	{"cache.c7gn.8xlarge", 56116178125, 53516, 32, inBoth},
	{"cache.c7gn.12xlarge", 84357985997, 325400, 48, inBoth},
	{"cache.c7gn.16xlarge", 113609865216, 108347, 64, inBoth},
	{"cache.c8gn.large", 3330020474, 3176, 2, valkeyOnly},
	{"cache.c8gn.xlarge", 7294178820, 6956, 4, valkeyOnly},
	{"cache.c8gn.2xlarge", 15222495510, 14517, 8, valkeyOnly},
	{"cache.c8gn.4xlarge", 31866224640, 30390, 16, valkeyOnly},
	{"cache.c8gn.8xlarge", 65856864256, 62806, 32, valkeyOnly},
	{"cache.c8gn.12xlarge", 99847503872, 95222, 48, valkeyOnly},
	{"cache.c8gn.16xlarge", 133838143488, 127638, 64, valkeyOnly},
	{"cache.r3.large", 14470348800, 13800, 2, redisOnly},
	{"cache.r3.xlarge", 30513561600, 29100, 4, redisOnly},
	{"cache.r3.2xlarge", 62495129600, 59600, 8, redisOnly},
	{"cache.r3.4xlarge", 126458265600, 120600, 16, redisOnly},
	{"cache.r3.8xlarge", 254384537600, 120600, 32, redisOnly},
	{"cache.r4.large", 13201781556, 12590, 2, inBoth},
	{"cache.r4.xlarge", 26898228839, 25652, 4, inBoth},
	{"cache.r4.2xlarge", 54197537997, 51686, 8, inBoth},
	{"cache.r4.4xlarge", 108858546586, 103815, 16, inBoth},
	{"cache.r4.8xlarge", 218255432090, 208144, 32, inBoth},
	{"cache.r4.16xlarge", 437021573120, 416776, 64, inBoth},
	{"cache.r5.large", 14037181030, 13387, 2, inBoth},
	{"cache.r5.xlarge", 28261849702, 26953, 4, inBoth},
	{"cache.r5.2xlarge", 56711183565, 54084, 8, inBoth},
	{"cache.r5.4xlarge", 113609865216, 108347, 16, inBoth},
	{"cache.r5.12xlarge", 341206346547, 325400, 48, inBoth},
	{"cache.r5.24xlarge", 682485973811, 650869, 96, inBoth},
	{"cache.r6g.large", 14037181030, 13387, 2, inBoth},
	{"cache.r6g.xlarge", 28261849702, 26953, 4, inBoth},
	{"cache.r6g.2xlarge", 56711183565, 54084, 8, inBoth},
	{"cache.r6g.4xlarge", 113609865216, 108347, 16, inBoth},
	{"cache.r6g.8xlarge", 225000375228, 214577, 32, inBoth},
	{"cache.r6g.12xlarge", 341206346547, 325400, 48, inBoth},
	{"cache.r6g.16xlarge", 450000750456, 429154, 64, inBoth},
	{"cache.r6gd.xlarge", 28261849702, 0, 0, inBoth},
	{"cache.r6gd.2xlarge", 56711183565, 0, 0, inBoth},
	{"cache.r6gd.4xlarge", 113609865216, 0, 0, inBoth},
	{"cache.r6gd.8xlarge", 225000375228, 0, 0, inBoth},
	{"cache.r6gd.12xlarge", 341206346547, 0, 0, inBoth},
	{"cache.r6gd.16xlarge", 450000750456, 0, 0, inBoth},
	{"cache.r7g.large", 14037181030, 13387, 2, inBoth},
	{"cache.r7g.xlarge", 28261849702, 26953, 4, inBoth},
	{"cache.r7g.2xlarge", 56711183565, 54084, 8, inBoth},
	{"cache.r7g.4xlarge", 113609865216, 108347, 16, inBoth},
	{"cache.r7g.8xlarge", 225000375228, 214577, 32, inBoth},
	{"cache.r7g.12xlarge", 341206346547, 325400, 48, inBoth},
	{"cache.r7g.16xlarge", 450000750456, 429154, 64, inBoth},
	{"cache.r8g.large", 15222495510, 14517, 2, valkeyOnly},
	{"cache.r8g.xlarge", 31866224640, 30390, 4, valkeyOnly},
	{"cache.r8g.2xlarge", 65856864256, 62806, 8, valkeyOnly},
	{"cache.r8g.4xlarge", 133838143488, 127638, 16, valkeyOnly},
	{"cache.r8g.8xlarge", 269800701952, 257302, 32, valkeyOnly},
	{"cache.r8g.12xlarge", 405763260416, 386966, 48, valkeyOnly},
	{"cache.r8g.16xlarge", 541725818880, 516630, 64, valkeyOnly},
}

var nodeTypes = buildNodeTypes()

func buildNodeTypes() []NodeType {
	out := make([]NodeType, 0, len(nodeTypeRows))
	for _, r := range nodeTypeRows {
		t := NodeType{
			Name:             r.name,
			MaxMemoryBytes:   r.maxMemory,
			MemcachedMB:      r.memcachedMB,
			MemcachedThreads: r.threads,
			InValkeyTable:    r.tables != redisOnly,
			InRedisTable:     r.tables != valkeyOnly,
		}
		f := t.Family()
		t.PreviousGeneration = slices.Contains(previousGenerationFamilies, f)
		t.Graviton = strings.HasSuffix(f, "g") || strings.HasSuffix(f, "gn") || strings.HasSuffix(f, "gd")
		t.DataTiering = strings.HasSuffix(f, "gd")
		out = append(out, t)
	}
	return out
}

// NodeTypes returns every node type of reference §5.2, in its order. The
// slice is a copy.
func NodeTypes() []NodeType { return slices.Clone(nodeTypes) }

// LookupNodeType finds a node type by its exact name, e.g. "cache.t3.micro".
func LookupNodeType(name string) (NodeType, bool) {
	for _, t := range nodeTypes {
		if t.Name == name {
			return t, true
		}
	}
	return NodeType{}, false
}
