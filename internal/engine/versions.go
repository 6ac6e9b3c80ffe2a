package engine

import (
	"slices"
	"strconv"
	"strings"
)

// Version is one row of DescribeCacheEngineVersions: an engine version that
// node-based clusters may be created with, and its parameter group family.
type Version struct {
	Engine Name
	// Version is the EngineVersion as AWS names it: three parts for
	// memcached and Redis OSS before 6 ("3.2.10"), major.minor for Redis OSS
	// 6 and later and for Valkey ("7.1", "8.0").
	Version string
	// Family is the CacheParameterGroupFamily, e.g. "redis7", "redis6.x",
	// "memcached1.6", "valkey8".
	Family string
	// Description is the CacheEngineDescription: "Redis", "memcached" or
	// "Valkey".
	Description string
	// VersionDescription is the CacheEngineVersionDescription, modelled on
	// the published examples: "memcached version 1.4.14".
	VersionDescription string
	// Default marks the version used when EngineVersion is omitted: the
	// latest one of its engine.
	Default bool
	// Deprecated marks versions AWS lists as deprecated (redis 5.0.3-5.0.5).
	Deprecated bool
	// EndOfLife marks versions AWS lists as end of life (redis 2.6, 2.8).
	EndOfLife bool
}

// ID returns "engine version", e.g. "redis 7.1", for messages and map keys.
func (v Version) ID() string { return string(v.Engine) + " " + v.Version }

// AtLeast reports whether v is the same as or newer than the dotted version
// min, compared with CompareVersions.
func (v Version) AtLeast(min string) bool { return CompareVersions(v.Version, min) >= 0 }

// SupportsTransitEncryption reports whether AWS offers in-transit encryption
// (TLS) for the version: Valkey, Redis OSS 3.2.6 and later (replication
// groups only), Memcached 1.6.12 and later.
func (v Version) SupportsTransitEncryption() bool {
	switch v.Engine {
	case Valkey:
		return true
	case Redis:
		return v.AtLeast("3.2.6")
	case Memcached:
		return v.AtLeast("1.6.12")
	}
	return false
}

// SupportsIPv6 reports whether the version may use the ipv6 and dual_stack
// network types: Valkey 7.2+, Redis OSS 6.2-7.1, Memcached 1.6.6+. (AWS also
// requires a Nitro-based node type.)
func (v Version) SupportsIPv6() bool {
	switch v.Engine {
	case Valkey:
		return true
	case Redis:
		return v.AtLeast("6.2")
	case Memcached:
		return v.AtLeast("1.6.6")
	}
	return false
}

// SupportsRBAC reports whether users and user groups may be used: Valkey
// 7.2+, Redis OSS 6.0-7.1.
func (v Version) SupportsRBAC() bool {
	return v.Engine == Valkey || (v.Engine == Redis && v.AtLeast("6.0"))
}

// SupportsLogDelivery reports whether the log type ("slow-log" or
// "engine-log") can be delivered: slow-log from Redis OSS 6.0, engine-log
// from Redis OSS 6.2, both on Valkey, neither on Memcached.
func (v Version) SupportsLogDelivery(logType string) bool {
	var min string
	switch logType {
	case "slow-log":
		min = "6.0"
	case "engine-log":
		min = "6.2"
	default:
		return false
	}
	return v.Engine == Valkey || (v.Engine == Redis && v.AtLeast(min))
}

// SupportsDataTiering reports whether the version can run data tiering
// (r6gd node types): Redis OSS 6.2+ and Valkey.
func (v Version) SupportsDataTiering() bool {
	return v.Engine == Valkey || (v.Engine == Redis && v.AtLeast("6.2"))
}

// SupportsAutoDiscovery reports whether a memcached version answers the Auto
// Discovery command "config get cluster" (1.4.14 and later).
func (v Version) SupportsAutoDiscovery() bool {
	return v.Engine == Memcached && v.AtLeast("1.4.14")
}

// versionRow is one line of the catalog source below.
type versionRow struct {
	version    string
	family     string
	deprecated bool
	endOfLife  bool
}

// catalogRows is reference §4.1, per engine, ascending. The last row of each
// engine is its default.
var catalogRows = map[Name][]versionRow{
	Memcached: {
		{version: "1.4.5", family: "memcached1.4"},
		{version: "1.4.14", family: "memcached1.4"},
		{version: "1.4.24", family: "memcached1.4"},
		{version: "1.4.33", family: "memcached1.4"},
		{version: "1.4.34", family: "memcached1.4"},
		{version: "1.5.10", family: "memcached1.5"},
		{version: "1.5.16", family: "memcached1.5"},
		{version: "1.6.6", family: "memcached1.6"},
		{version: "1.6.12", family: "memcached1.6"},
		{version: "1.6.17", family: "memcached1.6"},
		{version: "1.6.22", family: "memcached1.6"},
	},
	Redis: {
		{version: "2.6.13", family: "redis2.6", endOfLife: true},
		{version: "2.8.6", family: "redis2.8", endOfLife: true},
		{version: "2.8.19", family: "redis2.8", endOfLife: true},
		{version: "2.8.21", family: "redis2.8", endOfLife: true},
		{version: "2.8.22", family: "redis2.8", endOfLife: true},
		{version: "2.8.23", family: "redis2.8", endOfLife: true},
		{version: "2.8.24", family: "redis2.8", endOfLife: true},
		{version: "3.2.4", family: "redis3.2"},
		{version: "3.2.6", family: "redis3.2"},
		{version: "3.2.10", family: "redis3.2"},
		{version: "4.0.10", family: "redis4.0"},
		{version: "5.0.0", family: "redis5.0"},
		{version: "5.0.3", family: "redis5.0", deprecated: true},
		{version: "5.0.4", family: "redis5.0", deprecated: true},
		{version: "5.0.5", family: "redis5.0", deprecated: true},
		{version: "5.0.6", family: "redis5.0"},
		{version: "6.0", family: "redis6.x"},
		{version: "6.2", family: "redis6.x"},
		{version: "7.0", family: "redis7"},
		{version: "7.1", family: "redis7"},
	},
	Valkey: {
		{version: "7.2", family: "valkey7"},
		{version: "8.0", family: "valkey8"},
		{version: "8.1", family: "valkey8"},
		{version: "8.2", family: "valkey8"},
	},
}

var engineDescription = map[Name]string{
	Memcached: "memcached",
	Redis:     "Redis",
	Valkey:    "Valkey",
}

// familyInfo describes one parameter group family.
type familyInfo struct {
	engine      Name
	clusterMode bool // has a default.<family>.cluster.on group
}

// families is reference §3.5 for the versions in the catalog.
var families = map[string]familyInfo{
	"memcached1.4": {engine: Memcached},
	"memcached1.5": {engine: Memcached},
	"memcached1.6": {engine: Memcached},
	"redis2.6":     {engine: Redis},
	"redis2.8":     {engine: Redis},
	"redis3.2":     {engine: Redis, clusterMode: true},
	"redis4.0":     {engine: Redis, clusterMode: true},
	"redis5.0":     {engine: Redis, clusterMode: true},
	"redis6.x":     {engine: Redis, clusterMode: true},
	"redis7":       {engine: Redis, clusterMode: true},
	"valkey7":      {engine: Valkey, clusterMode: true},
	"valkey8":      {engine: Valkey, clusterMode: true},
}

var catalog = buildCatalog()

func buildCatalog() []Version {
	var out []Version
	for _, e := range Names() {
		rows := catalogRows[e]
		for i, r := range rows {
			out = append(out, Version{
				Engine:             e,
				Version:            r.version,
				Family:             r.family,
				Description:        engineDescription[e],
				VersionDescription: string(e) + " version " + r.version,
				Default:            i == len(rows)-1,
				Deprecated:         r.deprecated,
				EndOfLife:          r.endOfLife,
			})
		}
	}
	return out
}

// Versions returns the whole catalog, ordered by engine (memcached, redis,
// valkey) and then by ascending version. The slice is a copy.
func Versions() []Version { return slices.Clone(catalog) }

// EngineVersions returns the catalog rows of one engine, ascending.
func EngineVersions(e Name) []Version {
	var out []Version
	for _, v := range catalog {
		if v.Engine == e {
			out = append(out, v)
		}
	}
	return out
}

// LookupVersion finds the catalog row for engine e and version string v.
// The match is exact: "7.1" is a redis version, "7.1.0" and "7.x" are not.
func LookupVersion(e Name, v string) (Version, bool) {
	for _, row := range catalog {
		if row.Engine == e && row.Version == v {
			return row, true
		}
	}
	return Version{}, false
}

// DefaultVersion returns the version used when EngineVersion is omitted:
// redis 7.1, memcached 1.6.22, valkey 8.2. It returns the zero Version for
// an unknown engine.
func DefaultVersion(e Name) Version {
	for _, row := range catalog {
		if row.Engine == e && row.Default {
			return row
		}
	}
	return Version{}
}

// CompareVersions compares dotted version strings component by component,
// numerically where both components are numbers ("3.2.10" > "3.2.4") and
// as strings otherwise. A missing component counts as "0", so "6.2" equals
// "6.2.0". It returns -1, 0 or +1.
func CompareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(as), len(bs)); i++ {
		x, y := "0", "0"
		if i < len(as) {
			x = as[i]
		}
		if i < len(bs) {
			y = bs[i]
		}
		xn, xerr := strconv.ParseUint(x, 10, 64)
		yn, yerr := strconv.ParseUint(y, 10, 64)
		var c int
		switch {
		case xerr == nil && yerr == nil:
			c = cmpUint(xn, yn)
		case xerr == nil: // numbers sort before words
			c = -1
		case yerr == nil:
			c = 1
		default:
			c = strings.Compare(x, y)
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

func cmpUint(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Families returns every parameter group family of the catalog, sorted.
func Families() []string {
	out := make([]string, 0, len(families))
	for f := range families {
		out = append(out, f)
	}
	slices.Sort(out)
	return out
}

// FamilyEngine returns the engine a parameter group family belongs to.
func FamilyEngine(family string) (Name, bool) {
	f, ok := families[family]
	return f.engine, ok
}

// DefaultParameterGroup returns the name of the family's default parameter
// group: "default.redis7", or "default.redis7.cluster.on" when clusterMode
// is true. It returns "" when there is no such group: for an unknown family,
// and in cluster mode for memcached and Redis OSS 2.6/2.8.
func DefaultParameterGroup(family string, clusterMode bool) string {
	f, ok := families[family]
	switch {
	case !ok:
		return ""
	case !clusterMode:
		return "default." + family
	case f.clusterMode:
		return "default." + family + ".cluster.on"
	}
	return ""
}

// DefaultParameterGroups returns every default parameter group name, sorted.
func DefaultParameterGroups() []string {
	var out []string
	for _, f := range Families() {
		for _, cm := range []bool{false, true} {
			if g := DefaultParameterGroup(f, cm); g != "" {
				out = append(out, g)
			}
		}
	}
	return out
}
