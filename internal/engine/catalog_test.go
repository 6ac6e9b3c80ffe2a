package engine

import (
	"bufio"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestParseName(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Name
		ok   bool
	}{
		{"redis", Redis, true},
		{"memcached", Memcached, true},
		{"valkey", Valkey, true},
		{"Redis", "", false},
		{"MEMCACHED", "", false},
		{" redis", "", false},
		{"", "", false},
		{"redis-oss", "", false},
	} {
		got, ok := ParseName(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseName(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestDefaultPort(t *testing.T) {
	for n, want := range map[Name]int{Redis: 6379, Valkey: 6379, Memcached: 11211, "nope": 0} {
		if got := n.DefaultPort(); got != want {
			t.Errorf("%s.DefaultPort() = %d, want %d", n, got, want)
		}
	}
}

func TestCompareVersions(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"3.2.10", "3.2.4", 1},
		{"3.2.4", "3.2.10", -1},
		{"1.6.22", "1.6.22", 0},
		{"6.2", "6.2.0", 0},
		{"7.0", "6.2", 1},
		{"2.8.6", "2.8.19", -1},
		{"5.0.6", "5.0.10", -1},
		{"10.0", "9.1", 1},
		{"6.x", "6.2", 1},
		{"6.2", "6.x", -1},
	} {
		if got := CompareVersions(tc.a, tc.b); got != tc.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

// wantVersions is reference §4.1 (node-based engine versions), ascending.
var wantVersions = map[Name][]string{
	Memcached: {"1.4.5", "1.4.14", "1.4.24", "1.4.33", "1.4.34", "1.5.10", "1.5.16", "1.6.6", "1.6.12", "1.6.17", "1.6.22"},
	Redis: {"2.6.13", "2.8.6", "2.8.19", "2.8.21", "2.8.22", "2.8.23", "2.8.24", "3.2.4", "3.2.6", "3.2.10",
		"4.0.10", "5.0.0", "5.0.3", "5.0.4", "5.0.5", "5.0.6", "6.0", "6.2", "7.0", "7.1"},
	Valkey: {"7.2", "8.0", "8.1", "8.2"},
}

func TestVersionCatalog(t *testing.T) {
	all := Versions()
	var got []string
	for _, v := range all {
		got = append(got, v.ID())
	}
	var want []string
	for _, e := range []Name{Memcached, Redis, Valkey} {
		for _, v := range wantVersions[e] {
			want = append(want, string(e)+" "+v)
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Versions() =\n%v\nwant\n%v", got, want)
	}
	defaults := map[Name]int{}
	for i, v := range all {
		if i > 0 {
			prev := all[i-1]
			if prev.Engine == v.Engine && CompareVersions(prev.Version, v.Version) >= 0 {
				t.Errorf("catalog not ascending: %s before %s", prev.ID(), v.ID())
			}
		}
		if g := DefaultParameterGroup(v.Family, false); g != "default."+v.Family {
			t.Errorf("%s: family %q has default group %q", v.ID(), v.Family, g)
		}
		if e, ok := FamilyEngine(v.Family); !ok || e != v.Engine {
			t.Errorf("%s: family %q belongs to %q", v.ID(), v.Family, e)
		}
		if v.Description == "" || !strings.Contains(v.VersionDescription, v.Version) {
			t.Errorf("%s: descriptions %q / %q", v.ID(), v.Description, v.VersionDescription)
		}
		if got, ok := LookupVersion(v.Engine, v.Version); !ok || got != v {
			t.Errorf("LookupVersion(%s) = %+v, %v", v.ID(), got, ok)
		}
		if v.Default {
			defaults[v.Engine]++
			if v != DefaultVersion(v.Engine) {
				t.Errorf("DefaultVersion(%s) = %+v, want %+v", v.Engine, DefaultVersion(v.Engine), v)
			}
		}
	}
	for _, e := range Names() {
		if defaults[e] != 1 {
			t.Errorf("%s has %d default versions, want 1", e, defaults[e])
		}
	}
	for e, want := range map[Name]string{Redis: "7.1", Memcached: "1.6.22", Valkey: "8.2"} {
		if got := DefaultVersion(e); got.Version != want || !got.Default {
			t.Errorf("DefaultVersion(%s) = %+v, want %s", e, got, want)
		}
	}
	if got := DefaultVersion("nope"); got != (Version{}) {
		t.Errorf("DefaultVersion(nope) = %+v", got)
	}
}

func TestVersionFamilies(t *testing.T) {
	for _, tc := range []struct {
		e      Name
		v      string
		family string
	}{
		{Redis, "2.6.13", "redis2.6"},
		{Redis, "2.8.24", "redis2.8"},
		{Redis, "3.2.10", "redis3.2"},
		{Redis, "4.0.10", "redis4.0"},
		{Redis, "5.0.6", "redis5.0"},
		{Redis, "6.0", "redis6.x"},
		{Redis, "6.2", "redis6.x"},
		{Redis, "7.0", "redis7"},
		{Redis, "7.1", "redis7"},
		{Valkey, "7.2", "valkey7"},
		{Valkey, "8.0", "valkey8"},
		{Valkey, "8.2", "valkey8"},
		{Memcached, "1.4.14", "memcached1.4"},
		{Memcached, "1.5.16", "memcached1.5"},
		{Memcached, "1.6.22", "memcached1.6"},
	} {
		v, ok := LookupVersion(tc.e, tc.v)
		if !ok || v.Family != tc.family {
			t.Errorf("LookupVersion(%s, %s) = %+v, %v; want family %s", tc.e, tc.v, v, ok, tc.family)
		}
	}
	for _, tc := range []struct {
		e Name
		v string
	}{
		{Redis, "6.2.6"}, {Redis, "7.1.0"}, {Redis, "6.x"}, {Redis, "7.2"}, {Valkey, "7.1"},
		{Memcached, "1.6"}, {"Redis", "7.1"}, {Redis, ""},
	} {
		if v, ok := LookupVersion(tc.e, tc.v); ok {
			t.Errorf("LookupVersion(%s, %q) = %+v, want not found", tc.e, tc.v, v)
		}
	}
	if v, _ := LookupVersion(Memcached, "1.4.14"); v.Description != "memcached" || v.VersionDescription != "memcached version 1.4.14" {
		t.Errorf("memcached 1.4.14 descriptions = %q, %q (the model's example)", v.Description, v.VersionDescription)
	}
	if v, _ := LookupVersion(Redis, "2.8.22"); v.Description != "Redis" {
		t.Errorf("redis description = %q", v.Description)
	}
}

func TestFamiliesAndDefaultGroups(t *testing.T) {
	// The CreateCacheParameterGroup enumeration of the model.
	want := []string{"memcached1.4", "memcached1.5", "memcached1.6", "redis2.6", "redis2.8", "redis3.2",
		"redis4.0", "redis5.0", "redis6.x", "redis7", "valkey7", "valkey8"}
	if got := Families(); !slices.Equal(got, want) {
		t.Errorf("Families() = %v, want %v", got, want)
	}
	for _, tc := range []struct {
		family  string
		cluster bool
		want    string
	}{
		{"redis7", false, "default.redis7"},
		{"redis7", true, "default.redis7.cluster.on"},
		{"redis6.x", true, "default.redis6.x.cluster.on"},
		{"redis3.2", true, "default.redis3.2.cluster.on"},
		{"redis2.8", false, "default.redis2.8"},
		{"redis2.8", true, ""},
		{"redis2.6", true, ""},
		{"memcached1.6", false, "default.memcached1.6"},
		{"memcached1.6", true, ""},
		{"valkey8", true, "default.valkey8.cluster.on"},
		{"valkey7", false, "default.valkey7"},
		{"redis6.2", false, ""},
		{"", false, ""},
	} {
		if got := DefaultParameterGroup(tc.family, tc.cluster); got != tc.want {
			t.Errorf("DefaultParameterGroup(%q, %v) = %q, want %q", tc.family, tc.cluster, got, tc.want)
		}
	}
	if n := len(DefaultParameterGroups()); n != 12+7 {
		t.Errorf("%d default groups, want 19: %v", n, DefaultParameterGroups())
	}
}

func TestVersionFeatures(t *testing.T) {
	v := func(e Name, s string) Version {
		x, ok := LookupVersion(e, s)
		if !ok {
			t.Fatalf("no %s %s", e, s)
		}
		return x
	}
	checks := []struct {
		name string
		got  bool
		want bool
	}{
		{"tls redis 3.2.4", v(Redis, "3.2.4").SupportsTransitEncryption(), false},
		{"tls redis 3.2.6", v(Redis, "3.2.6").SupportsTransitEncryption(), true},
		{"tls memcached 1.6.6", v(Memcached, "1.6.6").SupportsTransitEncryption(), false},
		{"tls memcached 1.6.12", v(Memcached, "1.6.12").SupportsTransitEncryption(), true},
		{"tls valkey 7.2", v(Valkey, "7.2").SupportsTransitEncryption(), true},
		{"ipv6 redis 6.0", v(Redis, "6.0").SupportsIPv6(), false},
		{"ipv6 redis 6.2", v(Redis, "6.2").SupportsIPv6(), true},
		{"ipv6 memcached 1.6.6", v(Memcached, "1.6.6").SupportsIPv6(), true},
		{"ipv6 memcached 1.5.16", v(Memcached, "1.5.16").SupportsIPv6(), false},
		{"rbac redis 5.0.6", v(Redis, "5.0.6").SupportsRBAC(), false},
		{"rbac redis 6.0", v(Redis, "6.0").SupportsRBAC(), true},
		{"rbac memcached", v(Memcached, "1.6.22").SupportsRBAC(), false},
		{"slow-log redis 6.0", v(Redis, "6.0").SupportsLogDelivery("slow-log"), true},
		{"engine-log redis 6.0", v(Redis, "6.0").SupportsLogDelivery("engine-log"), false},
		{"engine-log redis 6.2", v(Redis, "6.2").SupportsLogDelivery("engine-log"), true},
		{"slow-log memcached", v(Memcached, "1.6.22").SupportsLogDelivery("slow-log"), false},
		{"auto discovery 1.4.5", v(Memcached, "1.4.5").SupportsAutoDiscovery(), false},
		{"auto discovery 1.4.14", v(Memcached, "1.4.14").SupportsAutoDiscovery(), true},
		{"deprecated 5.0.4", v(Redis, "5.0.4").Deprecated, true},
		{"deprecated 5.0.6", v(Redis, "5.0.6").Deprecated, false},
		{"eol 2.8.24", v(Redis, "2.8.24").EndOfLife, true},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestNodeTypeSamples(t *testing.T) {
	for _, want := range []NodeType{
		{Name: "cache.t1.micro", MaxMemoryBytes: 142606336, MemcachedMB: 213, MemcachedThreads: 1, PreviousGeneration: true, InRedisTable: true},
		{Name: "cache.t3.micro", MaxMemoryBytes: 536870912, MemcachedMB: 512, MemcachedThreads: 2, InValkeyTable: true, InRedisTable: true},
		{Name: "cache.t4g.medium", MaxMemoryBytes: 3317862236, MemcachedMB: 3164, MemcachedThreads: 2, Graviton: true, InValkeyTable: true, InRedisTable: true},
		{Name: "cache.m4.xlarge", MaxMemoryBytes: 15328501760, MemcachedMB: 11496, MemcachedThreads: 4, InValkeyTable: true, InRedisTable: true},
		{Name: "cache.m5.large", MaxMemoryBytes: 6854542746, MemcachedMB: 6537, MemcachedThreads: 2, InValkeyTable: true, InRedisTable: true},
		{Name: "cache.m2.4xlarge", MaxMemoryBytes: 70883737600, MemcachedMB: 68000, MemcachedThreads: 16, PreviousGeneration: true, InRedisTable: true},
		{Name: "cache.c1.xlarge", MaxMemoryBytes: 6501171200, MemcachedMB: 6600, MemcachedThreads: 8, PreviousGeneration: true, InRedisTable: true},
		{Name: "cache.c7gn.12xlarge", MaxMemoryBytes: 84357985997, MemcachedMB: 325400, MemcachedThreads: 48, Graviton: true, InValkeyTable: true, InRedisTable: true},
		{Name: "cache.c8gn.large", MaxMemoryBytes: 3330020474, MemcachedMB: 3176, MemcachedThreads: 2, Graviton: true, InValkeyTable: true},
		{Name: "cache.r3.8xlarge", MaxMemoryBytes: 254384537600, MemcachedMB: 120600, MemcachedThreads: 32, PreviousGeneration: true, InRedisTable: true},
		{Name: "cache.r6gd.xlarge", MaxMemoryBytes: 28261849702, Graviton: true, DataTiering: true, InValkeyTable: true, InRedisTable: true},
		{Name: "cache.r8g.16xlarge", MaxMemoryBytes: 541725818880, MemcachedMB: 516630, MemcachedThreads: 64, Graviton: true, InValkeyTable: true},
	} {
		got, ok := LookupNodeType(want.Name)
		if !ok || got != want {
			t.Errorf("LookupNodeType(%s) =\n %+v, %v\nwant\n %+v", want.Name, got, ok, want)
		}
	}
	if _, ok := LookupNodeType("cache.t3.nano"); ok {
		t.Error("cache.t3.nano found")
	}
	if _, ok := LookupNodeType("CACHE.T3.MICRO"); ok {
		t.Error("lookup is not exact")
	}
	if n := len(NodeTypes()); n != 112 {
		t.Errorf("%d node types, want the 112 of reference §5.2", n)
	}
	seen := map[string]bool{}
	for _, nt := range NodeTypes() {
		if seen[nt.Name] {
			t.Errorf("duplicate node type %s", nt.Name)
		}
		seen[nt.Name] = true
		if !strings.HasPrefix(nt.Name, "cache.") || nt.MaxMemoryBytes <= 0 {
			t.Errorf("bad node type %+v", nt)
		}
	}
}

// TestNodeTypesMatchReference compares the whole table with reference §5.2
// when the reference is available.
func TestNodeTypesMatchReference(t *testing.T) {
	const ref = "/work/shared/reference/aws-behaviour.md"
	f, err := os.Open(ref)
	if err != nil {
		t.Skipf("reference not available: %v", err)
	}
	defer f.Close()
	rows := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "| `cache.") {
			continue
		}
		rows++
		c := strings.Split(strings.Trim(line, "|"), "|")
		for i := range c {
			c[i] = strings.TrimSpace(strings.ReplaceAll(c[i], "ᴬ", ""))
		}
		name := strings.Trim(c[0], "`")
		num := func(s string) int64 {
			if s == "–" {
				return 0
			}
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				t.Fatalf("%s: bad number %q", name, s)
			}
			return n
		}
		vr := strings.Split(strings.ReplaceAll(c[3], " ", ""), "/")
		nt, ok := LookupNodeType(name)
		if !ok {
			t.Errorf("%s missing", name)
			continue
		}
		if nt.MaxMemoryBytes != num(c[1]) || int64(nt.MemcachedMB) != num(c[4]) || int64(nt.MemcachedThreads) != num(c[5]) ||
			nt.InValkeyTable != (vr[0] == "V") || nt.InRedisTable != (vr[1] == "R") {
			t.Errorf("%s = %+v; reference row %q", name, nt, line)
		}
	}
	if rows != len(NodeTypes()) {
		t.Errorf("reference has %d node types, catalog %d", rows, len(NodeTypes()))
	}
}

func TestEngineMemory(t *testing.T) {
	t3, _ := LookupNodeType("cache.t3.micro")
	if got := t3.EngineMemoryBytes(Redis); got != 402653184 {
		t.Errorf("t3.micro redis memory = %d, want 402653184 (AWS INFO memory)", got)
	}
	if got := t3.EngineMemoryBytes(Valkey); got != 402653184 {
		t.Errorf("t3.micro valkey memory = %d", got)
	}
	if got := t3.EngineMemoryBytes(Memcached); got != 412*mib {
		t.Errorf("t3.micro memcached memory = %d, want (512-100) MiB", got)
	}
	m5, _ := LookupNodeType("cache.m5.large")
	if got := m5.EngineMemoryBytes(Memcached); got != 6437*mib {
		t.Errorf("m5.large memcached memory = %d, want 6437 MiB (reference example)", got)
	}
	if got := m5.EngineMemoryBytes(Redis); got != 6854542746*75/100 {
		t.Errorf("m5.large redis memory = %d", got)
	}
	t1, _ := LookupNodeType("cache.t1.micro")
	if got := t1.EngineMemoryBytes(Memcached); got != 200*mib {
		t.Errorf("t1.micro memcached memory = %d, want 213-13 MiB", got)
	}
	r6gd, _ := LookupNodeType("cache.r6gd.xlarge")
	if got := r6gd.EngineMemoryBytes(Memcached); got != 0 {
		t.Errorf("r6gd memcached memory = %d, want 0", got)
	}
	if got := t3.EngineMemoryBytes("nope"); got != 0 {
		t.Errorf("unknown engine memory = %d", got)
	}
	for _, tc := range []struct {
		e      Name
		params map[string]string
		want   int64
		err    bool
	}{
		{Redis, map[string]string{"reserved-memory-percent": "50"}, 268435456, false},
		{Redis, map[string]string{"reserved-memory-percent": "0"}, 536870912, false},
		{Redis, map[string]string{"reserved-memory-percent": "25", "reserved-memory": "0"}, 402653184, false},
		{Redis, map[string]string{"reserved-memory": "36870912"}, 500000000, false},
		{Redis, map[string]string{"reserved-memory-percent": "100"}, 0, true},
		{Redis, map[string]string{"reserved-memory-percent": "x"}, 0, true},
		{Redis, map[string]string{"reserved-memory": "-1"}, 0, true},
		{Memcached, map[string]string{"memcached_connections_overhead": "12"}, 500 * mib, false},
		{Memcached, map[string]string{"memcached_connections_overhead": "500"}, 64 * mib, false},
		{Memcached, map[string]string{"memcached_connections_overhead": "-5"}, 0, true},
	} {
		got, err := t3.EngineMemoryBytesWith(tc.e, tc.params)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("EngineMemoryBytesWith(%s, %v) = %d, %v; want %d, err %v", tc.e, tc.params, got, err, tc.want, tc.err)
		}
	}
}

func TestSupportsVersion(t *testing.T) {
	v := func(e Name, s string) Version { x, _ := LookupVersion(e, s); return x }
	nt := func(s string) NodeType { x, _ := LookupNodeType(s); return x }
	for _, tc := range []struct {
		nodeType string
		v        Version
		want     bool
	}{
		{"cache.t3.micro", v(Redis, "2.8.24"), true},
		{"cache.t3.micro", v(Memcached, "1.4.5"), true},
		{"cache.t3.micro", v(Valkey, "8.2"), true},
		{"cache.t4g.micro", v(Redis, "5.0.5"), false},
		{"cache.t4g.micro", v(Redis, "5.0.6"), true},
		{"cache.m6g.large", v(Memcached, "1.5.10"), false},
		{"cache.m6g.large", v(Memcached, "1.5.16"), true},
		{"cache.r7g.large", v(Valkey, "7.2"), true},
		{"cache.r6gd.xlarge", v(Redis, "7.1"), false},
		{"cache.r6gd.xlarge", v(Valkey, "8.0"), false},
		{"cache.r6gd.xlarge", v(Memcached, "1.6.22"), false},
		{"cache.m8g.large", v(Valkey, "8.0"), true},
		{"cache.m8g.large", v(Redis, "7.1"), false},
		{"cache.r8g.large", v(Memcached, "1.6.22"), true},
		{"cache.c8gn.large", v(Redis, "7.1"), false},
		{"cache.t1.micro", v(Valkey, "8.0"), false},
		{"cache.t1.micro", v(Redis, "2.8.24"), true},
		{"cache.r3.large", v(Memcached, "1.4.5"), true},
		{"cache.t3.micro", Version{}, false},
	} {
		if got := nt(tc.nodeType).SupportsVersion(tc.v); got != tc.want {
			t.Errorf("%s.SupportsVersion(%s) = %v, want %v", tc.nodeType, tc.v.ID(), got, tc.want)
		}
	}
	for _, n := range NodeTypes() {
		prev := slices.Contains([]string{"t1", "m1", "m2", "m3", "c1", "r3"}, n.Family())
		if n.PreviousGeneration != prev {
			t.Errorf("%s PreviousGeneration = %v", n.Name, n.PreviousGeneration)
		}
	}
}
