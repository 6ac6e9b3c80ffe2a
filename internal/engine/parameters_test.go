package engine

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestParameterCatalogShape(t *testing.T) {
	for _, fam := range Families() {
		params := FamilyParameters(fam)
		if len(params) == 0 {
			t.Errorf("%s has no parameters", fam)
			continue
		}
		first := familyFirstVersion(fam)
		seen := map[string]bool{}
		for i, p := range params {
			if seen[p.Name] {
				t.Errorf("%s lists %s twice (overlapping spans in the catalog)", fam, p.Name)
			}
			seen[p.Name] = true
			if i > 0 && compareParameterNames(params[i-1].Name, p.Name) >= 0 {
				t.Errorf("%s: %s listed after %s", fam, p.Name, params[i-1].Name)
			}
			if p.Description == "" {
				t.Errorf("%s %s has no description", fam, p.Name)
			}
			if !slices.Contains([]string{TypeString, TypeInteger, TypeBoolean, TypeNumeric}, p.DataType) {
				t.Errorf("%s %s: data type %q", fam, p.Name, p.DataType)
			}
			if p.ChangeType != ChangeImmediate && p.ChangeType != ChangeRequiresReboot {
				t.Errorf("%s %s: change type %q", fam, p.Name, p.ChangeType)
			}
			if CompareVersions(p.MinimumEngineVersion, first) < 0 {
				t.Errorf("%s %s: minimum engine version %s before the family's first %s", fam, p.Name, p.MinimumEngineVersion, first)
			}
			if err := p.CheckValue(p.Default); err != nil {
				t.Errorf("%s %s: the default fails its own check: %v", fam, p.Name, err)
			}
			if p.Conditional && !p.Modifiable {
				t.Errorf("%s %s: conditional but not modifiable", fam, p.Name)
			}
			if got, ok := LookupParameter(fam, p.Name); !ok || got.Name != p.Name {
				t.Errorf("LookupParameter(%s, %s) = %v, %v", fam, p.Name, got, ok)
			}
		}
		if err := CheckParameterValues(fam, nil); err != nil {
			t.Errorf("%s: the defaults fail the group rules: %v", fam, err)
		}
		if len(FamilyNodeTypeParameters(fam)) == 0 || len(FamilyNodeTypes(fam)) == 0 {
			t.Errorf("%s has no node-type-specific parameters or node types", fam)
		}
	}
	if FamilyParameters("redis9") != nil {
		t.Error("an unknown family has parameters")
	}
	if _, ok := LookupParameter("redis7", "no-such-parameter"); ok {
		t.Error("LookupParameter found an unknown parameter")
	}
}

// TestParameterCatalogFacts pins what the user guide's tables say.
func TestParameterCatalogFacts(t *testing.T) {
	for _, tc := range []struct {
		family, name     string
		def, allowed     string
		mod, conditional bool
		change, min      string
	}{
		{"redis7", "maxmemory-policy", "volatile-lru", maxmemoryPolicies40, true, false, imm, "7.0"},
		{"redis2.8", "maxmemory-policy", "volatile-lru", maxmemoryPolicies26, true, false, imm, "2.8.6"},
		{"redis5.0", "rename-commands", "", renameableCommands, true, false, imm, "5.0.3"},
		{"redis6.x", "rename-commands", "", renameableCommands, true, false, imm, "6.0"},
		{"redis2.8", "close-on-slave-write", "yes", yesNo, true, false, imm, "2.8.23"},
		{"redis5.0", "close-on-replica-write", "yes", yesNo, true, false, imm, "5.0.0"},
		{"redis6.x", "acl-pubsub-default", "allchannels", "resetchannels,allchannels", true, false, imm, "6.2"},
		{"redis5.0", "activerehashing", "yes", yesNo, true, true, reboot, "5.0.0"},
		{"redis7", "activerehashing", "yes", yesNo, false, false, reboot, "7.0"},
		{"redis7", "databases", "16", "1-1200000", true, true, reboot, "7.0"},
		{"redis3.2", "cluster-enabled", "no", yesNo, true, true, reboot, "3.2.4"},
		{"valkey8", "cluster-enabled", "no", yesNo, true, true, reboot, "8.0"},
		{"redis7", "lua-time-limit", "5000", "5000", false, false, imm, "7.0"},
		{"redis2.8", "appendonly", "no", yesNo, true, false, imm, "2.8.6"},
		{"redis3.2", "appendonly", "no", yesNo, false, false, imm, "3.2.4"},
		{"redis2.8", "tcp-keepalive", "0", "0-", true, false, imm, "2.8.6"},
		{"redis3.2", "tcp-keepalive", "300", "0-", true, false, imm, "3.2.4"},
		{"redis4.0", "active-defrag-cycle-min", "25", "1-75", true, false, imm, "4.0.10"},
		{"redis5.0", "active-defrag-cycle-min", "5", "1-75", true, false, imm, "5.0.0"},
		{"redis7", "reserved-memory-percent", "25", "0-100", true, false, imm, "7.0"},
		{"redis2.6", "reserved-memory", "0", "0-", true, false, imm, "2.6.13"},
		{"redis7", "timeout", "0", "0,20-", true, false, imm, "7.0"},
		{"redis7", "maxclients", "65000", "1-65000", false, false, reboot, "7.0"},
		{"valkey7", "hash-max-listpack-entries", "512", "0-", true, false, imm, "7.2"},
		{"valkey8", "repl-backlog-size", "10485760", "16384-", true, false, imm, "8.0"},
		{"valkey8", "maxmemory-samples", "3", "1-64", true, false, imm, "8.0"},
		{"valkey8", "commandlog-large-reply-max-len", "128", "0-1024", true, false, imm, "8.1"},
		{"memcached1.4", "max_item_size", "1048576", "1048576-1073741824", true, false, reboot, "1.4.5"},
		{"memcached1.4", "slab_reassign", "0", zeroOne, true, false, reboot, "1.4.14"},
		{"memcached1.6", "slab_reassign", "0", zeroOne, true, false, reboot, "1.6.6"},
		{"memcached1.6", "no_modern", "1", zeroOne, true, false, reboot, "1.6.6"},
		{"memcached1.6", "backlog_queue_limit", "1024", "1-10000", false, false, reboot, "1.6.6"},
		{"memcached1.6", "max_simultaneous_connections", "65000", "3-65000", false, false, reboot, "1.6.6"},
		{"memcached1.6", "chunk_size_growth_factor", "1.25", "1-2", true, false, reboot, "1.6.6"},
		{"memcached1.5", "memcached_connections_overhead", "100", "0-2147483647", true, false, reboot, "1.5.10"},
		{"memcached1.6", "watch", "1", zeroOne, true, false, imm, "1.6.6"},
	} {
		p, ok := LookupParameter(tc.family, tc.name)
		if !ok {
			t.Errorf("%s has no %s", tc.family, tc.name)
			continue
		}
		got := fmt.Sprint(p.Default, "|", p.AllowedValues, "|", p.Modifiable, "|", p.Conditional, "|", p.ChangeType, "|", p.MinimumEngineVersion)
		want := fmt.Sprint(tc.def, "|", tc.allowed, "|", tc.mod, "|", tc.conditional, "|", tc.change, "|", tc.min)
		if got != want {
			t.Errorf("%s %s = %s, want %s", tc.family, tc.name, got, want)
		}
	}
	for _, tc := range []struct{ family, name string }{
		{"redis7", "hash-max-ziplist-entries"}, // listpack from 7 on
		{"redis7", "list-max-ziplist-size"},
		{"redis2.8", "cluster-enabled"}, // 3.2.4 introduced it
		{"redis3.2", "list-max-ziplist-entries"},
		{"redis5.0", "repl-timeout"},
		{"redis5.0", "min-slaves-to-write"}, // renamed
		{"redis6.x", "lua-replicate-commands"},
		{"valkey8", "lazyfree-lazy-eviction"},
		{"valkey8", "replica-lazy-flush"},
		{"memcached1.5", "expirezero_does_not_evict"},
		{"memcached1.4", "no_modern"},
		{"memcached1.6", "inline_ascii_resp"},
	} {
		if _, ok := LookupParameter(tc.family, tc.name); ok {
			t.Errorf("%s has %s, which the user guide removed or has not added", tc.family, tc.name)
		}
	}
}

func TestParameterOrderIsAWSs(t *testing.T) {
	var names []string
	for _, p := range FamilyParameters("redis5.0")[:9] {
		names = append(names, p.Name)
	}
	want := "activedefrag active-defrag-cycle-max active-defrag-cycle-min active-defrag-ignore-bytes active-defrag-max-scan-fields active-defrag-threshold-lower active-defrag-threshold-upper activerehashing appendfsync"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("redis5.0 starts %s\nwant          %s", got, want)
	}
	names = nil
	for _, p := range FamilyParameters("memcached1.4") {
		names = append(names, p.Name)
	}
	if i, j := slices.Index(names, "max_item_size"), slices.Index(names, "maximize_core_file_limit"); i > j {
		t.Errorf("memcached order: %v", names)
	}
}

func TestParameterCheckValue(t *testing.T) {
	for _, tc := range []struct {
		family, name, value string
		ok                  bool
	}{
		{"redis7", "maxmemory-policy", "allkeys-lru", true},
		{"redis7", "maxmemory-policy", "allkeys-lfu", true},
		{"redis3.2", "maxmemory-policy", "allkeys-lfu", false}, // LFU came with 4.0
		{"redis7", "maxmemory-policy", "ALLKEYS-LRU", false},
		{"redis7", "maxmemory-policy", "", false},
		{"redis7", "maxmemory-samples", "0", false},
		{"redis7", "maxmemory-samples", "1000", true},
		{"valkey8", "maxmemory-samples", "65", false},
		{"redis7", "timeout", "0", true},
		{"redis7", "timeout", "19", false},
		{"redis7", "timeout", "20", true},
		{"redis7", "timeout", "1.5", false},
		{"redis7", "timeout", "-1", false},
		{"redis7", "timeout", "99999999999999999999", false},
		{"redis7", "slowlog-log-slower-than", "-1", true},
		{"redis7", "reserved-memory-percent", "100", true},
		{"redis7", "reserved-memory-percent", "101", false},
		{"redis7", "databases", "0", false},
		{"redis7", "databases", "32", true},
		{"redis7", "notify-keyspace-events", "", true},
		{"redis7", "notify-keyspace-events", "KEA", true},
		{"redis7", "notify-keyspace-events", "Ex", true},
		{"redis7", "notify-keyspace-events", "Kq", false},
		{"redis7", "notify-keyspace-events", "K\nrequirepass x", false},
		{"redis7", "tcp-keepalive", "60", true},
		{"redis7", "cluster-enabled", "yes", true},
		{"redis7", "cluster-enabled", "true", false},
		{"redis7", "rename-commands", "flushall blocked-flushall", true},
		{"redis7", "rename-commands", "flushall", false},
		{"redis7", "rename-commands", "config x", false}, // not renameable
		{"redis7", "rename-commands", "ping p", false},   // the health probe needs it
		{"redis7", "rename-commands", "get a get b", false},
		{"redis7", "rename-commands", "get a;b", false},
		{"valkey8", "commandlog-request-larger-than", "-1", true},
		{"memcached1.6", "max_item_size", "2097152", true},
		{"memcached1.6", "max_item_size", "1k", false},
		{"memcached1.6", "max_item_size", "1024", false},
		{"memcached1.6", "chunk_size_growth_factor", "1.5", true},
		{"memcached1.6", "chunk_size_growth_factor", "1", false},
		{"memcached1.6", "chunk_size_growth_factor", "2.5", false},
		{"memcached1.6", "chunk_size_growth_factor", "NaN", false},
		{"memcached1.6", "cas_disabled", "1", true},
		{"memcached1.6", "cas_disabled", "yes", false},
		{"memcached1.6", "binding_protocol", "ascii", true},
		{"memcached1.6", "binding_protocol", "udp", false},
		{"memcached1.6", "hash_algorithm", "murmur3", true},
		{"memcached1.6", "hash_algorithm", "xxh3", false},
		{"memcached1.6", "slab_chunk_max", "1048576", true},
		{"memcached1.6", "slab_chunk_max", "1000", false},
		{"memcached1.6", "idle_timeout", "86401", false},
	} {
		p, ok := LookupParameter(tc.family, tc.name)
		if !ok {
			t.Fatalf("%s has no %s", tc.family, tc.name)
		}
		err := p.CheckValue(tc.value)
		if (err == nil) != tc.ok {
			t.Errorf("%s %s=%q: err %v, want ok=%v", tc.family, tc.name, tc.value, err, tc.ok)
		}
		var ve *ValueError
		if err != nil && (!errors.As(err, &ve) || ve.Parameter != tc.name || !strings.Contains(err.Error(), tc.name)) {
			t.Errorf("%s=%q: error %v does not name the parameter", tc.name, tc.value, err)
		}
	}
}

func TestCheckParameterValues(t *testing.T) {
	if err := CheckParameterValues("memcached1.6", map[string]string{"chunk_size": "600000"}); err == nil {
		t.Error("a chunk_size above half of max_item_size was accepted")
	}
	if err := CheckParameterValues("memcached1.6", map[string]string{"chunk_size": "600000", "max_item_size": "2097152"}); err != nil {
		t.Errorf("chunk_size within a larger max_item_size: %v", err)
	}
	if err := CheckParameterValues("memcached1.6", map[string]string{"slab_chunk_max": "2097152"}); err == nil {
		t.Error("a slab_chunk_max above max_item_size was accepted")
	}
	if err := CheckParameterValues("nope", nil); err == nil {
		t.Error("an unknown family was accepted")
	}
}

func TestDescribeRanges(t *testing.T) {
	for allowed, want := range map[string]string{
		"0-":                 "0 or more",
		"1-100":              "from 1 to 100",
		"0,20-":              "0, or 20 or more",
		"-":                  "any value",
		"-5,-4,-3,-2,-1,1-":  "-5, or -4, or -3, or -2, or -1, or 1 or more",
		"5000":               "5000",
		"-1-":                "-1 or more",
		"1048576-1073741824": "from 1048576 to 1073741824",
	} {
		if got := describeRanges(allowed); got != want {
			t.Errorf("describeRanges(%q) = %q, want %q", allowed, got, want)
		}
	}
	for _, tc := range []struct {
		allowed string
		f       float64
		want    bool
	}{
		{"-5,-4,-3,-2,-1,1-", 0, false},
		{"-5,-4,-3,-2,-1,1-", -3, true},
		{"-5,-4,-3,-2,-1,1-", 7, true},
		{"-5,-4,-3,-2,-1,1-", -6, false},
		{"-1-", -1, true},
		{"-1-", -2, false},
	} {
		if got := inRanges(tc.allowed, tc.f); got != tc.want {
			t.Errorf("inRanges(%q, %v) = %v", tc.allowed, tc.f, got)
		}
	}
}

func TestEffectiveAndNormalParameters(t *testing.T) {
	v, _ := LookupVersion(Redis, "7.1")
	eff := EffectiveParameters(v, map[string]string{"maxmemory-policy": "allkeys-lru", "lua-time-limit": "1", "bogus": "x"})
	if eff["maxmemory-policy"] != "allkeys-lru" || eff["lua-time-limit"] != "5000" || eff["tcp-keepalive"] != "300" {
		t.Errorf("effective: %v", eff)
	}
	if _, ok := eff["bogus"]; ok {
		t.Error("an unknown parameter became effective")
	}
	norm := NormalizeParameters(v, map[string]string{"maxmemory-policy": "allkeys-lru", "timeout": "0", "lua-time-limit": "1", "bogus": "x"})
	if fmt.Sprint(norm) != "map[maxmemory-policy:allkeys-lru]" {
		t.Errorf("normal form: %v", norm)
	}
	if NormalizeParameters(v, nil) != nil {
		t.Error("the defaults have a non-empty normal form")
	}
	// close-on-slave-write is in every redis2.8 group but only applies from 2.8.23.
	old, _ := LookupVersion(Redis, "2.8.6")
	if _, ok := EffectiveParameters(old, nil)["close-on-slave-write"]; ok {
		t.Error("close-on-slave-write applies to 2.8.6")
	}
	newer, _ := LookupVersion(Redis, "2.8.23")
	if _, ok := EffectiveParameters(newer, nil)["close-on-slave-write"]; !ok {
		t.Error("close-on-slave-write does not apply to 2.8.23")
	}
	// activedefrag is applied live, not in the start-up config.
	if got := StartupParameters(v, map[string]string{"activedefrag": "yes", "timeout": "60"}); fmt.Sprint(got) != "map[timeout:60]" {
		t.Errorf("startup parameters: %v", got)
	}
}

func planConfig(t *testing.T, e Name, version string, params map[string]string) NodeConfig {
	t.Helper()
	c := baseConfig(t, e)
	v, ok := LookupVersion(e, version)
	if !ok {
		t.Fatalf("no %s %s", e, version)
	}
	c.Version, c.Parameters = v, params
	return c
}

func TestPlanParameterChange(t *testing.T) {
	for _, tc := range []struct {
		name             string
		engine           Name
		version          string
		running, desired map[string]string
		live             string // "name=value;..." of the CONFIG SETs
		reboot, silent   string
	}{
		{name: "nothing", engine: Redis, version: "7.1", running: map[string]string{"timeout": "0"}},
		{name: "policy", engine: Redis, version: "7.1", desired: map[string]string{"maxmemory-policy": "allkeys-lru"}, live: "maxmemory-policy=allkeys-lru"},
		{name: "back to the default", engine: Redis, version: "7.1", running: map[string]string{"maxmemory-policy": "allkeys-lru"}, live: "maxmemory-policy=volatile-lru"},
		{name: "reserved memory sets maxmemory", engine: Redis, version: "7.1", desired: map[string]string{"reserved-memory-percent": "50"}, live: "maxmemory=268435456"},
		{name: "pubsub buffer", engine: Redis, version: "7.1", desired: map[string]string{"client-output-buffer-limit-pubsub-hard-limit": "67108864", "client-output-buffer-limit-pubsub-soft-seconds": "30"}, live: "client-output-buffer-limit=pubsub 67108864 8388608 30"},
		{name: "databases needs a reboot", engine: Redis, version: "7.1", desired: map[string]string{"databases": "32"}, reboot: "databases"},
		{name: "rename needs a reboot", engine: Redis, version: "7.1", desired: map[string]string{"rename-commands": "flushall nope"}, reboot: "rename-commands"},
		{name: "elasticache-only", engine: Redis, version: "7.1", desired: map[string]string{"close-on-replica-write": "no"}, silent: "close-on-replica-write"},
		{name: "aof ignored from 2.8.22", engine: Redis, version: "2.8.22", desired: map[string]string{"appendonly": "yes"}, silent: "appendonly"},
		{name: "aof before 2.8.22", engine: Redis, version: "2.8.6", desired: map[string]string{"appendonly": "yes"}, live: "appendonly=yes"},
		{name: "fixed values are not changes", engine: Redis, version: "7.1", desired: map[string]string{"lua-time-limit": "1"}},
		{name: "memcached waits for a restart", engine: Memcached, version: "1.6.22", desired: map[string]string{"max_item_size": "2097152", "watch": "0"}, reboot: "max_item_size,watch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan, err := PlanParameterChange(planConfig(t, tc.engine, tc.version, tc.desired), tc.running)
			if err != nil {
				t.Fatal(err)
			}
			var live []string
			for _, l := range plan.Live {
				live = append(live, l.Name+"="+l.Value)
			}
			got := strings.Join(live, ";") + "|" + strings.Join(plan.Reboot, ",") + "|" + strings.Join(plan.Silent, ",")
			if want := tc.live + "|" + tc.reboot + "|" + tc.silent; got != want {
				t.Errorf("plan %s, want %s", got, want)
			}
			if plan.Empty() != (got == "||") {
				t.Errorf("Empty() = %v for %s", plan.Empty(), got)
			}
		})
	}
	if _, err := PlanParameterChange(planConfig(t, Redis, "7.1", map[string]string{"maxmemory-policy": "bogus"}), nil); err == nil {
		t.Error("an invalid desired value was planned")
	}
	if _, err := PlanParameterChange(planConfig(t, Redis, "7.1", map[string]string{"reserved-memory-percent": "100"}), nil); err == nil {
		t.Error("a reserved memory that leaves no maxmemory was planned")
	}
}

func TestRenderEveryFamilyDefault(t *testing.T) {
	for _, v := range Versions() {
		c := baseConfig(t, v.Engine)
		c.Version, c.Port = v, v.Engine.DefaultPort()
		if v.Engine == Valkey {
			c.NodeType = mustNodeType(t, "cache.r7g.large")
		}
		r, err := Render(c)
		if err != nil {
			t.Errorf("%s: %v", v.ID(), err)
			continue
		}
		text := strings.Join(r.Args, " ")
		if f, ok := r.File(ConfigFileName(v.Engine)); ok {
			text = string(f.Content)
		}
		for _, p := range applicableParameters(v) {
			if p.render.kind == renderDirective && !strings.Contains(text, "\n"+p.Name+" ") {
				t.Errorf("%s: %s is not rendered", v.ID(), p.Name)
			}
		}
	}
}

func TestRenderParameterEffects(t *testing.T) {
	c := planConfig(t, Redis, "7.1", map[string]string{
		"maxmemory-policy": "allkeys-lru", "activedefrag": "yes", "rename-commands": "flushall no-flush keys nokeys",
		"lua-time-limit": "1", // fixed: the default stands
	})
	r, err := Render(c)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := r.File("redis.conf")
	conf := string(f.Content)
	for _, line := range []string{"maxmemory-policy allkeys-lru", "activedefrag no", "lua-time-limit 5000", "rename-command FLUSHALL no-flush", "rename-command KEYS nokeys", "client-output-buffer-limit replica 53687091 53687091 60"} {
		if !strings.Contains(conf, "\n"+line+"\n") {
			t.Errorf("redis.conf lacks %q:\n%s", line, conf)
		}
	}
	if _, err := Render(planConfig(t, Redis, "7.1", map[string]string{"timeout": "5"})); err == nil {
		t.Error("Render accepted timeout 5")
	}
	m, err := Render(planConfig(t, Memcached, "1.6.22", map[string]string{"binding_protocol": "ascii", "slab_reassign": "1", "disable_flush_all": "1", "watch": "0", "worker_logbuf_size": "128"}))
	if err != nil {
		t.Fatal(err)
	}
	args := " " + strings.Join(m.Args, " ") + " "
	for _, want := range []string{" -B ascii ", " -F ", " -W ", "-o no_modern,", ",slab_reassign,", ",slab_chunk_max=512,"} {
		if !strings.Contains(args, want) {
			t.Errorf("memcached args %q lack %q", args, want)
		}
	}
	if strings.Contains(args, "worker_logbuf_size") || strings.Contains(args, " -n ") {
		t.Errorf("memcached args %q pass what they should not", args)
	}
	old, err := Render(planConfig(t, Memcached, "1.4.5", nil))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.Join(old.Args, " "), "-o") {
		t.Errorf("memcached 1.4.5 has no extended options, got %q", old.Args)
	}
}

func TestRenderConstantsAreTheCatalogDefaults(t *testing.T) {
	for _, fam := range []string{"redis2.6", "redis7", "valkey8"} {
		if p, _ := LookupParameter(fam, "maxmemory-policy"); p.Default != DefaultMaxMemoryPolicy {
			t.Errorf("%s maxmemory-policy default %s, DefaultMaxMemoryPolicy %s", fam, p.Default, DefaultMaxMemoryPolicy)
		}
		if p, _ := LookupParameter(fam, "reserved-memory-percent"); p.Default != fmt.Sprint(DefaultReservedMemoryPercent) {
			t.Errorf("%s reserved-memory-percent default %s", fam, p.Default)
		}
	}
	for _, fam := range []string{"memcached1.4", "memcached1.6"} {
		if p, _ := LookupParameter(fam, "max_item_size"); p.Default != fmt.Sprint(DefaultMemcachedMaxItemSize) {
			t.Errorf("%s max_item_size default %s", fam, p.Default)
		}
		if p, _ := LookupParameter(fam, "memcached_connections_overhead"); p.Default != fmt.Sprint(DefaultMemcachedConnectionsOverheadMB) {
			t.Errorf("%s memcached_connections_overhead default %s", fam, p.Default)
		}
	}
}
