package engine

import (
	"slices"
	"strconv"
	"strings"
)

// Parameter change types, as the model's ChangeType enum spells them.
const (
	ChangeImmediate      = "immediate"
	ChangeRequiresReboot = "requires-reboot"
)

// Parameter data types as DescribeCacheParameters reports them.
const (
	TypeString  = "string"
	TypeInteger = "integer"
	TypeBoolean = "boolean"
	TypeNumeric = "numeric"
)

// Parameter is one engine parameter of a parameter group family, as
// DescribeEngineDefaultParameters describes it.
type Parameter struct {
	Name        string
	Description string
	DataType    string
	// AllowedValues is in AWS's notation: "yes,no", "0-", "1-100",
	// "0,20-", "-" (any integer); "" is any value.
	AllowedValues string
	// Default is the value of the family's default groups, which a new
	// custom group copies.
	Default string
	// Modifiable reports whether a custom group may change the parameter.
	Modifiable bool
	// Conditional parameters (databases, cluster-enabled, activerehashing
	// before Redis OSS 7) are modifiable only while no cluster uses the
	// group: they cannot change under a running node. The engine defaults
	// report them as not modifiable.
	Conditional bool
	ChangeType  string
	// MinimumEngineVersion is the first engine version of the family the
	// parameter applies to.
	MinimumEngineVersion string

	render paramRender
	check  func(string) error // a rule beyond AllowedValues; nil = none
}

// AppliesTo reports whether the parameter has an effect on engine version
// v (close-on-slave-write, for instance, needs Redis OSS 2.8.23 although
// every redis2.8 group lists it).
func (p Parameter) AppliesTo(v Version) bool { return v.AtLeast(p.MinimumEngineVersion) }

// NodeTypeParameter is a parameter whose value depends on the node type
// (maxmemory, max_cache_memory): a row of CacheNodeTypeSpecificParameters.
// None of them is modifiable.
type NodeTypeParameter struct {
	Name                 string
	Description          string
	DataType             string
	AllowedValues        string
	ChangeType           string
	MinimumEngineVersion string
	// Value gives the parameter's value on a node type.
	Value func(NodeType) int64
}

// renderKind says how a parameter reaches the engine.
type renderKind int

const (
	// renderNone: ElastiCache-only (close-on-replica-write), fixed by the
	// service and not passed on (maxclients), or without an engine
	// counterpart here (search-*).
	renderNone renderKind = iota
	// renderDirective: a redis.conf directive and CONFIG SET parameter of
	// the same name (or of render.key).
	renderDirective
	// renderOutputBuffer: one of the three numbers of a
	// client-output-buffer-limit class (render.key is the class, render.index
	// the position: hard limit, soft limit, soft seconds).
	renderOutputBuffer
	// renderMemory: reserved-memory, reserved-memory-percent and
	// memcached_connections_overhead, which shape maxmemory / -m.
	renderMemory
	// renderAppendOnly: appendonly and appendfsync, honoured before Redis
	// OSS 2.8.22 only (ElastiCache overwrites them from then on).
	renderAppendOnly
	// renderRenameCommands: rename-command lines; redis cannot rename a
	// command while it runs.
	renderRenameCommands
	// renderFlag: a memcached option taking the value (-I 1048576); with
	// render.when set, an option without value given when the parameter
	// equals render.when (-C when cas_disabled is 1).
	renderFlag
	// renderExtended: a memcached -o suboption: key=value, or for booleans
	// (render.boolean) key when 1 and no_key when 0 and render.negatable.
	renderExtended
)

type paramRender struct {
	kind      renderKind
	key       string // directive, output buffer class, flag or suboption; "" = the parameter's name
	index     int    // output buffer field
	when      string // renderFlag without a value: give the flag when the value is this
	boolean   bool   // renderExtended: 0/1 parameter
	negatable bool   // renderExtended boolean: "no_<key>" turns it off
	scale     int64  // renderExtended: the engine takes value/scale (bytes -> KB)
	// liveOnly: a value other than the default is not written into the
	// start-up config but applied with CONFIG SET once the node runs, so
	// that a build that cannot honour it still starts (activedefrag needs a
	// jemalloc built for it; redis refuses to load a config asking for it).
	liveOnly bool
}

// Helpers for the table below.
func asDirective() paramRender { return paramRender{kind: renderDirective} }
func notRendered() paramRender { return paramRender{kind: renderNone} }
func memory() paramRender      { return paramRender{kind: renderMemory} }
func outputBuffer(class string, i int) paramRender {
	return paramRender{kind: renderOutputBuffer, key: class, index: i}
}
func asFlag(f string) paramRender        { return paramRender{kind: renderFlag, key: f} }
func asFlagWhen(f, v string) paramRender { return paramRender{kind: renderFlag, key: f, when: v} }
func extended(k string) paramRender      { return paramRender{kind: renderExtended, key: k} }
func extendedBool(k string, neg bool) paramRender {
	return paramRender{kind: renderExtended, key: k, boolean: true, negatable: neg}
}

// paramDef is one row of the catalog: a parameter as it is in the
// families from (inclusive) to to (exclusive; "" = every later family of
// the lineage). A parameter whose default, range or modifiability changed
// between families has one row per span.
type paramDef struct {
	name, desc string
	typ        string
	allowed    string
	def        string
	mod        modifiability
	change     string
	from, to   string
	// since is the engine version that introduced the parameter within
	// its first family (close-on-slave-write: 2.8.23); for Valkey families
	// valkeySince plays that part.
	since, valkeySince string
	render             paramRender
	check              func(string) error
}

type modifiability int

const (
	fixed modifiability = iota
	modifiable
	conditional
)

// Family lineages: a family inherits the rows whose span covers it.
var lineages = [][]string{
	{"redis2.6", "redis2.8", "redis3.2", "redis4.0", "redis5.0", "redis6.x", "redis7", "valkey7", "valkey8"},
	{"memcached1.4", "memcached1.5", "memcached1.6"},
}

const (
	maxmemoryPolicies26 = "volatile-lru,allkeys-lru,volatile-random,allkeys-random,volatile-ttl,noeviction"
	maxmemoryPolicies40 = "volatile-lru,allkeys-lru,volatile-lfu,allkeys-lfu,volatile-random,allkeys-random,volatile-ttl,noeviction"
	yesNo               = "yes,no"
	zeroOne             = "0,1"
	imm                 = ChangeImmediate
	reboot              = ChangeRequiresReboot
)

// redisParams are the Valkey and Redis OSS parameters of the user guide's
// tables (ParameterGroups.Engine) and of DescribeCacheParameters output.
var redisParams = []paramDef{
	// Redis OSS 2.6.13, the first ElastiCache version.
	{name: "activerehashing", desc: "Apply rehashing or not.", typ: TypeString, allowed: yesNo, def: "yes", mod: conditional, change: reboot, from: "redis2.6", to: "redis7", render: asDirective()},
	{name: "activerehashing", desc: "Apply rehashing or not.", typ: TypeString, allowed: yesNo, def: "yes", mod: fixed, change: reboot, from: "redis7", render: asDirective()},
	{name: "appendonly", desc: "Enable Redis persistence.", typ: TypeString, allowed: yesNo, def: "no", mod: modifiable, change: imm, from: "redis2.6", to: "redis3.2", render: paramRender{kind: renderAppendOnly}},
	{name: "appendonly", desc: "Enable Redis persistence.", typ: TypeString, allowed: yesNo, def: "no", mod: fixed, change: imm, from: "redis3.2", render: paramRender{kind: renderAppendOnly}},
	{name: "appendfsync", desc: "fsync policy for AOF persistence", typ: TypeString, allowed: "always,everysec,no", def: "everysec", mod: modifiable, change: imm, from: "redis2.6", to: "redis3.2", render: paramRender{kind: renderAppendOnly}},
	{name: "appendfsync", desc: "fsync policy for AOF persistence", typ: TypeString, allowed: "always,everysec,no", def: "everysec", mod: fixed, change: imm, from: "redis3.2", render: paramRender{kind: renderAppendOnly}},
	{name: "client-output-buffer-limit-normal-hard-limit", desc: "Normal client output buffer hard limit in bytes.", typ: TypeInteger, allowed: "0-", def: "0", mod: modifiable, change: imm, from: "redis2.6", render: outputBuffer("normal", 0)},
	{name: "client-output-buffer-limit-normal-soft-limit", desc: "Normal client output buffer soft limit in bytes.", typ: TypeInteger, allowed: "0-", def: "0", mod: modifiable, change: imm, from: "redis2.6", render: outputBuffer("normal", 1)},
	{name: "client-output-buffer-limit-normal-soft-seconds", desc: "Normal client output buffer soft limit in seconds.", typ: TypeInteger, allowed: "0-", def: "0", mod: modifiable, change: imm, from: "redis2.6", render: outputBuffer("normal", 2)},
	{name: "client-output-buffer-limit-pubsub-hard-limit", desc: "Pubsub client output buffer hard limit in bytes.", typ: TypeInteger, allowed: "0-", def: "33554432", mod: modifiable, change: imm, from: "redis2.6", render: outputBuffer("pubsub", 0)},
	{name: "client-output-buffer-limit-pubsub-soft-limit", desc: "Pubsub client output buffer soft limit in bytes.", typ: TypeInteger, allowed: "0-", def: "8388608", mod: modifiable, change: imm, from: "redis2.6", render: outputBuffer("pubsub", 1)},
	{name: "client-output-buffer-limit-pubsub-soft-seconds", desc: "Pubsub client output buffer soft limit in seconds.", typ: TypeInteger, allowed: "0-", def: "60", mod: modifiable, change: imm, from: "redis2.6", render: outputBuffer("pubsub", 2)},
	{name: "client-output-buffer-limit-slave-soft-seconds", desc: "Slave client output buffer soft limit in seconds.", typ: TypeInteger, allowed: "0-", def: "60", mod: fixed, change: imm, from: "redis2.6", to: "redis5.0", render: outputBuffer("replica", 2)},
	{name: "client-output-buffer-limit-replica-soft-seconds", desc: "Replica client output buffer soft limit in seconds.", typ: TypeInteger, allowed: "0-", def: "60", mod: fixed, change: imm, from: "redis5.0", render: outputBuffer("replica", 2)},
	{name: "databases", desc: "Set the number of databases.", typ: TypeInteger, allowed: "1-1200000", def: "16", mod: conditional, change: reboot, from: "redis2.6", render: asDirective()},
	{name: "hash-max-ziplist-entries", desc: "The maximum number of hash entries in order for the dataset to be compressed.", typ: TypeInteger, allowed: "0-", def: "512", mod: modifiable, change: imm, from: "redis2.6", to: "redis7", render: asDirective()},
	{name: "hash-max-ziplist-value", desc: "The threshold of biggest hash entries in order for the dataset to be compressed.", typ: TypeInteger, allowed: "0-", def: "64", mod: modifiable, change: imm, from: "redis2.6", to: "redis7", render: asDirective()},
	{name: "list-max-ziplist-entries", desc: "The maximum number of list entries in order for the dataset to be compressed.", typ: TypeInteger, allowed: "0-", def: "512", mod: modifiable, change: imm, from: "redis2.6", to: "redis3.2", render: asDirective()},
	{name: "list-max-ziplist-value", desc: "The threshold of biggest list entries in order for the dataset to be compressed.", typ: TypeInteger, allowed: "0-", def: "64", mod: modifiable, change: imm, from: "redis2.6", to: "redis3.2", render: asDirective()},
	{name: "lua-time-limit", desc: "Max execution time of a Lua script in milliseconds. 0 for unlimited execution without warnings.", typ: TypeInteger, allowed: "5000", def: "5000", mod: fixed, change: imm, from: "redis2.6", render: asDirective()},
	// maxclients is fixed at 65000 by ElastiCache; a local host cannot give
	// every node that many descriptors, so the engine keeps its own limit.
	{name: "maxclients", desc: "The maximum number of Redis clients.", typ: TypeInteger, allowed: "1-65000", def: "65000", mod: fixed, change: reboot, from: "redis2.6", render: notRendered()},
	{name: "maxmemory-policy", desc: "Max memory policy.", typ: TypeString, allowed: maxmemoryPolicies26, def: "volatile-lru", mod: modifiable, change: imm, from: "redis2.6", to: "redis4.0", render: asDirective()},
	{name: "maxmemory-policy", desc: "Max memory policy.", typ: TypeString, allowed: maxmemoryPolicies40, def: "volatile-lru", mod: modifiable, change: imm, from: "redis4.0", render: asDirective()},
	{name: "maxmemory-samples", desc: "Max memory samples.", typ: TypeInteger, allowed: "1-", def: "3", mod: modifiable, change: imm, from: "redis2.6", to: "valkey8", render: asDirective()},
	{name: "maxmemory-samples", desc: "Max memory samples.", typ: TypeInteger, allowed: "1-64", def: "3", mod: modifiable, change: imm, from: "valkey8", render: asDirective()},
	{name: "reserved-memory", desc: "The amount of memory reserved for non-cache memory usage, in bytes. You may want to increase this parameter for nodes with read replicas, AOF enabled, etc, to reduce swap usage.", typ: TypeInteger, allowed: "0-", def: "0", mod: modifiable, change: imm, from: "redis2.6", to: "redis3.2", render: memory()},
	{name: "reserved-memory-percent", desc: "The percent of memory reserved for non-cache memory usage. You may want to increase this parameter for nodes with read replicas, AOF enabled, etc, to reduce swap usage.", typ: TypeInteger, allowed: "0-100", def: "25", mod: modifiable, change: imm, from: "redis2.6", render: memory()},
	{name: "set-max-intset-entries", desc: "The limit in the size of the set in order for the dataset to be compressed.", typ: TypeInteger, allowed: "0-", def: "512", mod: modifiable, change: imm, from: "redis2.6", render: asDirective()},
	{name: "slave-allow-chaining", desc: "Configures if chaining of slaves is allowed", typ: TypeString, allowed: "no", def: "no", mod: fixed, change: imm, from: "redis2.6", to: "redis5.0", render: notRendered()},
	{name: "replica-allow-chaining", desc: "Configures if chaining of replicas is allowed", typ: TypeString, allowed: yesNo, def: "no", mod: fixed, change: imm, from: "redis5.0", render: notRendered()},
	{name: "slowlog-log-slower-than", desc: "The execution time, in microseconds, to exceed in order for the command to get logged. Note that a negative number disables the slow log, while a value of zero forces the logging of every command.", typ: TypeInteger, allowed: "-", def: "10000", mod: modifiable, change: imm, from: "redis2.6", render: asDirective()},
	{name: "slowlog-max-len", desc: "The length of the slow log. There is no limit to this length. Just be aware that it will consume memory. You can reclaim memory used by the slow log with SLOWLOG RESET.", typ: TypeInteger, allowed: "0-", def: "128", mod: modifiable, change: imm, from: "redis2.6", render: asDirective()},
	{name: "tcp-keepalive", desc: "If non-zero, send ACKs every given number of seconds.", typ: TypeInteger, allowed: "0-", def: "0", mod: modifiable, change: imm, from: "redis2.6", to: "redis3.2", render: asDirective()},
	{name: "tcp-keepalive", desc: "If non-zero, send ACKs every given number of seconds.", typ: TypeInteger, allowed: "0-", def: "300", mod: modifiable, change: imm, from: "redis3.2", render: asDirective()},
	{name: "timeout", desc: "Close connection if client is idle for a given number of seconds, or never if 0.", typ: TypeInteger, allowed: "0,20-", def: "0", mod: modifiable, change: imm, from: "redis2.6", render: asDirective()},
	{name: "zset-max-ziplist-entries", desc: "The maximum number of sorted set entries in order for the dataset to be compressed.", typ: TypeInteger, allowed: "0-", def: "128", mod: modifiable, change: imm, from: "redis2.6", to: "redis7", render: asDirective()},
	{name: "zset-max-ziplist-value", desc: "The threshold of biggest sorted set entries in order for the dataset to be compressed.", typ: TypeInteger, allowed: "0-", def: "64", mod: modifiable, change: imm, from: "redis2.6", to: "redis7", render: asDirective()},

	// Redis OSS 2.8.
	{name: "min-slaves-max-lag", desc: "Maximum number of seconds within which the master must receive a ping from a slave to take writes. Use this parameter together with min-slaves-to-write to regulate when the master stops accepting writes. Setting this value to 0 means the master always takes writes.", typ: TypeInteger, allowed: "0-", def: "10", mod: modifiable, change: imm, from: "redis2.8", to: "redis5.0", render: asDirective()},
	{name: "min-replicas-max-lag", desc: "The maximum amount of replica lag in seconds beyond which the master would stop taking writes. A value of 0 means the master always takes writes.", typ: TypeInteger, allowed: "0-", def: "10", mod: modifiable, change: imm, from: "redis5.0", render: asDirective()},
	{name: "min-slaves-to-write", desc: "Number of slaves that must be connected in order for master to take writes. Use this parameter together with min-slaves-max-lag to regulate when the master stops accepting writes. Setting this to 0 means the master always takes writes.", typ: TypeInteger, allowed: "0-", def: "0", mod: modifiable, change: imm, from: "redis2.8", to: "redis5.0", render: asDirective()},
	{name: "min-replicas-to-write", desc: "The minimum number of replicas that must be present with lag no greater than min-replicas-max-lag for master to take writes. Setting this to 0 means the master always takes writes.", typ: TypeInteger, allowed: "0-", def: "0", mod: modifiable, change: imm, from: "redis5.0", render: asDirective()},
	{name: "notify-keyspace-events", desc: "The keyspace events for Redis to notify Pub/Sub clients about. By default all notifications are disabled", typ: TypeString, def: "", mod: modifiable, change: imm, from: "redis2.8", render: asDirective(), check: checkKeyspaceEvents},
	{name: "repl-backlog-size", desc: "The replication backlog size in bytes for PSYNC. This is the size of the buffer which accumulates slave data when slave is disconnected for some time, so that when slave reconnects again, only transfer the portion of data which the slave missed. Minimum value is 16K.", typ: TypeInteger, allowed: "16384-", def: "1048576", mod: modifiable, change: imm, from: "redis2.8", to: "valkey8", render: asDirective()},
	{name: "repl-backlog-size", desc: "The replication backlog size in bytes for PSYNC. This is the size of the buffer which accumulates replica data when a replica is disconnected for some time, so that when it reconnects, only the portion of data it missed is transferred. Minimum value is 16K.", typ: TypeInteger, allowed: "16384-", def: "10485760", mod: modifiable, change: imm, from: "valkey8", render: asDirective()},
	{name: "repl-backlog-ttl", desc: "The amount of time in seconds after the master no longer have any slaves connected for the master to free the replication backlog. A value of 0 means to never release the backlog.", typ: TypeInteger, allowed: "0-", def: "3600", mod: modifiable, change: imm, from: "redis2.8", render: asDirective()},
	{name: "repl-timeout", desc: "The timeout in seconds for bulk transfer I/O during sync and master timeout from the perspective of the slave, and slave timeout from the perspective of the master.", typ: TypeInteger, allowed: "30-", def: "60", mod: modifiable, change: imm, from: "redis2.8", to: "redis3.2", render: asDirective()},
	{name: "repl-timeout", desc: "The timeout in seconds for bulk transfer I/O during sync and master timeout from the perspective of the slave, and slave timeout from the perspective of the master.", typ: TypeInteger, allowed: "60", def: "60", mod: fixed, change: imm, from: "redis3.2", to: "redis5.0", render: asDirective()},
	{name: "close-on-slave-write", desc: "If enabled, clients who attempt to write to a read-only slave will be disconnected. Applicable to 2.8.23 and higher.", typ: TypeString, allowed: yesNo, def: "yes", mod: modifiable, change: imm, from: "redis2.8", to: "redis5.0", since: "2.8.23", render: notRendered()},
	{name: "close-on-replica-write", desc: "If enabled, clients who attempt to write to a read-only replica will be disconnected. Applicable to 2.8.23 and higher.", typ: TypeString, allowed: yesNo, def: "yes", mod: modifiable, change: imm, from: "redis5.0", render: notRendered()},

	// Redis OSS 3.2.4.
	{name: "cluster-enabled", desc: "Enable cluster mode", typ: TypeString, allowed: yesNo, def: "no", mod: conditional, change: reboot, from: "redis3.2", render: asDirective()},
	{name: "cluster-require-full-coverage", desc: "Whether cluster becomes unavailable if one or more slots are not covered", typ: TypeString, allowed: yesNo, def: "no", mod: modifiable, change: imm, from: "redis3.2", render: asDirective()},
	{name: "hll-sparse-max-bytes", desc: "HyperLogLog sparse representation bytes limit", typ: TypeInteger, allowed: "1-16000", def: "3000", mod: modifiable, change: imm, from: "redis3.2", render: asDirective()},
	{name: "list-compress-depth", desc: "Number of quicklist ziplist nodes from each side of the list to exclude from compression. The head and tail of the list are always uncompressed for fast push/pop operations", typ: TypeInteger, allowed: "0-", def: "0", mod: modifiable, change: imm, from: "redis3.2", render: asDirective()},
	{name: "list-max-ziplist-size", desc: "The number of entries allowed per internal list node can be specified as a fixed maximum size or a maximum number of elements", typ: TypeInteger, allowed: "-5,-4,-3,-2,-1,1-", def: "-2", mod: fixed, change: imm, from: "redis3.2", to: "redis7", render: asDirective()},

	// Redis OSS 4.0.10.
	{name: "activedefrag", desc: "Enabled active memory defragmentation", typ: TypeString, allowed: yesNo, def: "no", mod: modifiable, change: imm, from: "redis4.0", render: paramRender{kind: renderDirective, liveOnly: true}},
	{name: "active-defrag-cycle-max", desc: "Maximal effort for defrag in CPU percentage", typ: TypeInteger, allowed: "1-75", def: "75", mod: modifiable, change: imm, from: "redis4.0", render: asDirective()},
	{name: "active-defrag-cycle-min", desc: "Minimal effort for defrag in CPU percentage", typ: TypeInteger, allowed: "1-75", def: "25", mod: modifiable, change: imm, from: "redis4.0", to: "redis5.0", render: asDirective()},
	{name: "active-defrag-cycle-min", desc: "Minimal effort for defrag in CPU percentage", typ: TypeInteger, allowed: "1-75", def: "5", mod: modifiable, change: imm, from: "redis5.0", render: asDirective()},
	{name: "active-defrag-ignore-bytes", desc: "Minimum amount of fragmentation waste to start active defrag", typ: TypeInteger, allowed: "1048576-", def: "104857600", mod: modifiable, change: imm, from: "redis4.0", render: asDirective()},
	{name: "active-defrag-threshold-lower", desc: "Minimum percentage of fragmentation to start active defrag", typ: TypeInteger, allowed: "1-100", def: "10", mod: modifiable, change: imm, from: "redis4.0", render: asDirective()},
	{name: "active-defrag-threshold-upper", desc: "Maximum percentage of fragmentation at which we use maximum effort", typ: TypeInteger, allowed: "1-100", def: "100", mod: modifiable, change: imm, from: "redis4.0", render: asDirective()},
	{name: "client-query-buffer-limit", desc: "Max size of a single client query buffer", typ: TypeInteger, allowed: "1048576-1073741824", def: "1073741824", mod: modifiable, change: imm, from: "redis4.0", render: asDirective()},
	{name: "lazyfree-lazy-eviction", desc: "Perform an asynchronous delete on evictions", typ: TypeString, allowed: yesNo, def: "no", mod: modifiable, change: imm, from: "redis4.0", to: "valkey8", render: asDirective()},
	{name: "lazyfree-lazy-expire", desc: "Perform an asynchronous delete on expired keys", typ: TypeString, allowed: yesNo, def: "no", mod: modifiable, change: imm, from: "redis4.0", to: "valkey8", render: asDirective()},
	{name: "lazyfree-lazy-server-del", desc: "Perform an asynchronous delete on key updates", typ: TypeString, allowed: yesNo, def: "no", mod: modifiable, change: imm, from: "redis4.0", to: "valkey8", render: asDirective()},
	{name: "lfu-decay-time", desc: "The amount of time in minutes to decrement the key counter for LFU eviction policy", typ: TypeInteger, allowed: "0-", def: "1", mod: modifiable, change: imm, from: "redis4.0", render: asDirective()},
	{name: "lfu-log-factor", desc: "The log factor for incrementing key counter for LFU eviction policy", typ: TypeInteger, allowed: "1-", def: "10", mod: modifiable, change: imm, from: "redis4.0", render: asDirective()},
	{name: "proto-max-bulk-len", desc: "Max size of a single element request", typ: TypeInteger, allowed: "1048576-536870912", def: "536870912", mod: modifiable, change: imm, from: "redis4.0", render: asDirective()},
	{name: "slave-lazy-flush", desc: "Perform an asynchronous flushDB during slave sync", typ: TypeString, allowed: yesNo, def: "no", mod: fixed, change: imm, from: "redis4.0", to: "redis5.0", render: asDirective()},
	{name: "replica-lazy-flush", desc: "Perform an asynchronous flushDB during replica sync", typ: TypeString, allowed: yesNo, def: "no", mod: fixed, change: imm, from: "redis5.0", to: "valkey8", render: asDirective()},

	// Redis OSS 5.0.
	{name: "active-defrag-max-scan-fields", desc: "Maximum number of set/hash/zset/list fields that will be processed from the main dictionary scan", typ: TypeInteger, allowed: "1-1000000", def: "1000", mod: modifiable, change: imm, from: "redis5.0", render: asDirective()},
	// A no-op in the engines that serve it here (redis 7 always replicates effects).
	{name: "lua-replicate-commands", desc: "Always enable Lua effect replication or not", typ: TypeString, allowed: yesNo, def: "yes", mod: modifiable, change: imm, from: "redis5.0", to: "redis6.x", render: notRendered()},
	{name: "replica-ignore-maxmemory", desc: "Determines if replica ignores maxmemory setting by not evicting items independent from the master", typ: TypeString, allowed: yesNo, def: "yes", mod: fixed, change: imm, from: "redis5.0", render: asDirective()},
	{name: "stream-node-max-bytes", desc: "The maximum size of a single node in a stream in bytes", typ: TypeInteger, allowed: "0-", def: "4096", mod: modifiable, change: imm, from: "redis5.0", render: asDirective()},
	{name: "stream-node-max-entries", desc: "The maximum number of items a single node in a stream can contain", typ: TypeInteger, allowed: "0-", def: "100", mod: modifiable, change: imm, from: "redis5.0", render: asDirective()},
	{name: "rename-commands", desc: "Redis commands that can be dynamically renamed by the customer", typ: TypeString, allowed: renameableCommands, def: "", mod: modifiable, change: imm, from: "redis5.0", since: "5.0.3", render: paramRender{kind: renderRenameCommands}, check: checkRenameCommands},

	// Redis OSS 6.x.
	{name: "acllog-max-len", desc: "The max number of entries in the ACL log", typ: TypeInteger, allowed: "1-10000", def: "128", mod: modifiable, change: imm, from: "redis6.x", render: asDirective()},
	{name: "active-expire-effort", desc: "The amount of effort that redis uses to expire items in the active expiration job", typ: TypeInteger, allowed: "1-10", def: "1", mod: modifiable, change: imm, from: "redis6.x", render: asDirective()},
	{name: "cluster-allow-reads-when-down", desc: "Allows nodes to serve read data while the cluster is in a down state", typ: TypeString, allowed: yesNo, def: "no", mod: modifiable, change: imm, from: "redis6.x", render: asDirective()},
	{name: "lazyfree-lazy-user-del", desc: "Specifies whether the default behavior of DEL command acts the same as UNLINK", typ: TypeString, allowed: yesNo, def: "no", mod: modifiable, change: imm, from: "redis6.x", to: "valkey8", render: asDirective()},
	{name: "tracking-table-max-keys", desc: "The maximum number of keys allowed for the tracking table for client side caching", typ: TypeInteger, allowed: "1-100000000", def: "1000000", mod: modifiable, change: imm, from: "redis6.x", render: asDirective()},
	{name: "acl-pubsub-default", desc: "Default permissions for pubsub channels in the ACL users deployed to this cluster", typ: TypeString, allowed: "resetchannels,allchannels", def: "allchannels", mod: modifiable, change: imm, from: "redis6.x", since: "6.2", render: asDirective()},

	// Redis OSS 7 and Valkey 7.2.
	{name: "cluster-allow-pubsubshard-when-down", desc: "Allow nodes to serve pubsub shard traffic while the cluster is in a down state, as long as it believes it owns the slots", typ: TypeString, allowed: yesNo, def: "yes", mod: modifiable, change: imm, from: "redis7", render: asDirective()},
	{name: "cluster-preferred-endpoint-type", desc: "The endpoint type returned for MOVED/ASKING requests and in CLUSTER SLOTS and CLUSTER SHARDS", typ: TypeString, allowed: "ip,tls-dynamic", def: "tls-dynamic", mod: modifiable, change: imm, from: "redis7", render: notRendered()},
	{name: "hash-max-listpack-entries", desc: "The maximum number of hash entries in order for the dataset to be compressed.", typ: TypeInteger, allowed: "0-", def: "512", mod: modifiable, change: imm, from: "redis7", render: asDirective()},
	{name: "hash-max-listpack-value", desc: "The threshold of biggest hash entries in order for the dataset to be compressed.", typ: TypeInteger, allowed: "0-", def: "64", mod: modifiable, change: imm, from: "redis7", render: asDirective()},
	{name: "latency-tracking", desc: "Track the per command latencies and export the percentile distribution with INFO latencystats", typ: TypeString, allowed: yesNo, def: "no", mod: modifiable, change: imm, from: "redis7", render: asDirective()},
	{name: "zset-max-listpack-entries", desc: "The maximum number of sorted set entries in order for the dataset to be compressed.", typ: TypeInteger, allowed: "0-", def: "128", mod: modifiable, change: imm, from: "redis7", render: asDirective()},
	{name: "zset-max-listpack-value", desc: "The threshold of biggest sorted set entries in order for the dataset to be compressed.", typ: TypeInteger, allowed: "0-", def: "64", mod: modifiable, change: imm, from: "redis7", render: asDirective()},

	// Valkey 8.
	{name: "extended-redis-compatibility", desc: "Makes Valkey pretend to be Redis OSS 7.2 to tools and clients", typ: TypeString, allowed: yesNo, def: "yes", mod: modifiable, change: imm, from: "valkey8", render: asDirective()},
	{name: "commandlog-request-larger-than", desc: "The maximum size, in bytes, for requests to be logged by the Valkey Command Log feature.", typ: TypeInteger, allowed: "-1-", def: "1048576", mod: modifiable, change: imm, from: "valkey8", valkeySince: "8.1", render: asDirective()},
	{name: "commandlog-large-request-max-len", desc: "The maximum length of the Valkey Command Log for requests.", typ: TypeInteger, allowed: "0-1024", def: "128", mod: modifiable, change: imm, from: "valkey8", valkeySince: "8.1", render: asDirective()},
	{name: "commandlog-reply-larger-than", desc: "The maximum size, in bytes, for responses to be logged by the Valkey Command Log feature.", typ: TypeInteger, allowed: "-1-", def: "1048576", mod: modifiable, change: imm, from: "valkey8", valkeySince: "8.1", render: asDirective()},
	{name: "commandlog-large-reply-max-len", desc: "The maximum length of the Valkey Command Log for responses.", typ: TypeInteger, allowed: "0-1024", def: "128", mod: modifiable, change: imm, from: "valkey8", valkeySince: "8.1", render: asDirective()},
	// Valkey search is a module cacheplane's nodes do not load.
	{name: "search-default-timeout-ms", desc: "The default Valkey search query timeout (in milliseconds).", typ: TypeInteger, allowed: "1-60000", def: "50000", mod: modifiable, change: imm, from: "valkey8", valkeySince: "8.2", render: notRendered()},
	{name: "search-enable-partial-results", desc: "Return partial search results when one or more shards time out.", typ: TypeString, allowed: yesNo, def: "yes", mod: modifiable, change: imm, from: "valkey8", valkeySince: "8.2", render: notRendered()},
	{name: "search-fanout-target-mode", desc: "How search queries are distributed across the nodes of a cluster.", typ: TypeString, allowed: "client,throughput", def: "client", mod: modifiable, change: imm, from: "valkey8", valkeySince: "8.2", render: notRendered()},
}

// memcachedParams are the Memcached parameters of the user guide's tables.
// Every modifiable one takes effect after a restart, as on AWS.
var memcachedParams = []paramDef{
	// Memcached 1.4.5.
	{name: "backlog_queue_limit", desc: "The backlog queue limit.", typ: TypeInteger, allowed: "1-10000", def: "1024", mod: fixed, change: reboot, from: "memcached1.4", render: asFlag("-b")},
	{name: "binding_protocol", desc: "Binding protocol.", typ: TypeString, allowed: "auto,binary,ascii", def: "auto", mod: modifiable, change: reboot, from: "memcached1.4", render: asFlag("-B")},
	{name: "cas_disabled", desc: "If 1 (true), check and set (CAS) operations will be disabled, and items stored will consume 8 bytes less than with CAS enabled.", typ: TypeBoolean, allowed: zeroOne, def: "0", mod: modifiable, change: reboot, from: "memcached1.4", render: asFlagWhen("-C", "1")},
	{name: "chunk_size", desc: "The minimum amount, in bytes, of space to allocate for the smallest item's key, value, and flags.", typ: TypeInteger, allowed: "1-", def: "48", mod: modifiable, change: reboot, from: "memcached1.4", render: asFlag("-n")},
	{name: "chunk_size_growth_factor", desc: "The growth factor that controls the size of each successive memcached chunk - each chunk will be chunk_size_growth_factor times larger than the previous chunk.", typ: TypeNumeric, allowed: "1-2", def: "1.25", mod: modifiable, change: reboot, from: "memcached1.4", render: asFlag("-f"), check: checkGrowthFactor},
	{name: "error_on_memory_exhausted", desc: "If 1 (true), when there is no more memory to store items, memcached will return an error rather than evicting items.", typ: TypeBoolean, allowed: zeroOne, def: "0", mod: modifiable, change: reboot, from: "memcached1.4", render: asFlagWhen("-M", "1")},
	{name: "large_memory_pages", desc: "If 1 (true), ElastiCache will try to use large memory pages.", typ: TypeBoolean, allowed: zeroOne, def: "0", mod: fixed, change: reboot, from: "memcached1.4", render: asFlagWhen("-L", "1")},
	{name: "lock_down_paged_memory", desc: "If 1 (true), ElastiCache will lock down all paged memory.", typ: TypeBoolean, allowed: zeroOne, def: "0", mod: fixed, change: reboot, from: "memcached1.4", render: asFlagWhen("-k", "1")},
	{name: "max_item_size", desc: "The size of the largest item storable in the cache, in bytes.", typ: TypeInteger, allowed: "1048576-1073741824", def: "1048576", mod: modifiable, change: reboot, from: "memcached1.4", render: asFlag("-I")},
	// 65000 on AWS; -c is capped at MemcachedMaxConnections here.
	{name: "max_simultaneous_connections", desc: "The maximum number of simultaneous connections.", typ: TypeInteger, allowed: "3-65000", def: "65000", mod: fixed, change: reboot, from: "memcached1.4", render: notRendered()},
	{name: "maximize_core_file_limit", desc: "If 1 (true), ElastiCache will maximize the core file limit.", typ: TypeBoolean, allowed: zeroOne, def: "0", mod: fixed, change: reboot, from: "memcached1.4", render: asFlagWhen("-r", "1")},
	{name: "memcached_connections_overhead", desc: "The amount of memory to be reserved for memcached connections and other miscellaneous overhead.", typ: TypeInteger, allowed: "0-2147483647", def: "100", mod: modifiable, change: reboot, from: "memcached1.4", render: memory()},
	{name: "requests_per_event", desc: "The maximum number of requests per event for a given connection. This limit is required to prevent resource starvation.", typ: TypeInteger, allowed: "1-1000", def: "20", mod: fixed, change: reboot, from: "memcached1.4", render: asFlag("-R")},

	// Memcached 1.4.14.
	{name: "config_max", desc: "The maximum number of ElastiCache configuration entries.", typ: TypeInteger, allowed: "16", def: "16", mod: fixed, change: reboot, from: "memcached1.4", since: "1.4.14", render: notRendered()},
	{name: "config_size_max", desc: "The maximum size of the configuration entries, in bytes.", typ: TypeInteger, allowed: "65536", def: "65536", mod: fixed, change: reboot, from: "memcached1.4", since: "1.4.14", render: notRendered()},
	{name: "hashpower_init", desc: "The initial size of the ElastiCache hash table, expressed as a power of two. The default is 16 (2^16), or 65536 keys.", typ: TypeInteger, allowed: "16", def: "16", mod: fixed, change: reboot, from: "memcached1.4", since: "1.4.14", render: extended("hashpower")},
	{name: "maxconns_fast", desc: "Changes the way in which new connections requests are handled when the maximum connection limit is reached. If 1, new connections beyond the limit are refused with an error at once; if 0, they wait in the backlog queue.", typ: TypeBoolean, allowed: zeroOne, def: "0", mod: modifiable, change: reboot, from: "memcached1.4", since: "1.4.14", render: extendedBool("maxconns_fast", true)},
	{name: "slab_automove", desc: "Adjusts the slab automove algorithm: 0 disables it, 1 moves slabs slowly and conservatively, 2 moves slabs aggressively whenever there is an eviction.", typ: TypeInteger, allowed: "0-2", def: "0", mod: modifiable, change: reboot, from: "memcached1.4", since: "1.4.14", render: extended("slab_automove")},
	{name: "slab_reassign", desc: "Enable or disable slab reassignment. If 1, the \"slabs reassign\" command can manually reassign memory.", typ: TypeBoolean, allowed: zeroOne, def: "0", mod: modifiable, change: reboot, from: "memcached1.4", since: "1.4.14", render: extendedBool("slab_reassign", true)},

	// Memcached 1.4.24.
	{name: "disable_flush_all", desc: "Disable the flush_all command.", typ: TypeBoolean, allowed: zeroOne, def: "0", mod: modifiable, change: reboot, from: "memcached1.4", since: "1.4.24", render: asFlagWhen("-F", "1")},
	// The memcached that serves these nodes no longer has the option.
	{name: "expirezero_does_not_evict", desc: "When used with lru_maintainer, makes items with an expiration time of 0 unevictable.", typ: TypeBoolean, allowed: zeroOne, def: "0", mod: modifiable, change: reboot, from: "memcached1.4", to: "memcached1.5", since: "1.4.24", render: notRendered()},
	{name: "hash_algorithm", desc: "The hash algorithm to be used.", typ: TypeString, allowed: "murmur3,jenkins", def: "jenkins", mod: modifiable, change: reboot, from: "memcached1.4", since: "1.4.24", render: extended("hash_algorithm")},
	{name: "lru_crawler", desc: "Cleans slab classes of items that have expired. This is a low impact process that runs in the background.", typ: TypeBoolean, allowed: zeroOne, def: "0", mod: modifiable, change: reboot, from: "memcached1.4", since: "1.4.24", render: extendedBool("lru_crawler", true)},
	{name: "lru_maintainer", desc: "A background thread that shuffles items between the LRUs as capacities are reached.", typ: TypeBoolean, allowed: zeroOne, def: "0", mod: modifiable, change: reboot, from: "memcached1.4", since: "1.4.24", render: extendedBool("lru_maintainer", true)},

	// Memcached 1.4.33.
	{name: "idle_timeout", desc: "The minimum number of seconds a client will be allowed to idle before being asked to close.", typ: TypeInteger, allowed: "0-86400", def: "0", mod: modifiable, change: reboot, from: "memcached1.4", since: "1.4.33", render: extended("idle_timeout")},
	{name: "modern", desc: "An alias to multiple features: slab_reassign, slab_automove, lru_crawler, lru_maintainer, maxconns_fast and hash_algorithm=murmur3.", typ: TypeBoolean, allowed: zeroOne, def: "1", mod: modifiable, change: reboot, from: "memcached1.4", to: "memcached1.5", since: "1.4.33", render: extendedBool("modern", false)},
	{name: "slab_chunk_max", desc: "The maximum size of a slab, in bytes. Items larger than slab_chunk_max are split over multiple slabs.", typ: TypeInteger, allowed: "1024-1073741824", def: "524288", mod: modifiable, change: reboot, from: "memcached1.4", since: "1.4.33", render: paramRender{kind: renderExtended, key: "slab_chunk_max", scale: 1024}, check: checkKilobytes},
	{name: "track_sizes", desc: "Shows the sizes each slab group has consumed.", typ: TypeBoolean, allowed: zeroOne, def: "0", mod: modifiable, change: reboot, from: "memcached1.4", since: "1.4.33", render: extendedBool("track_sizes", false)},
	// watch=0 starts memcached without the watch command (-W); a running
	// memcached cannot turn it on or off, so the change waits for a restart.
	{name: "watch", desc: "Logs fetches, evictions or mutations.", typ: TypeBoolean, allowed: zeroOne, def: "1", mod: modifiable, change: imm, from: "memcached1.4", since: "1.4.33", render: asFlagWhen("-W", "0")},
	{name: "watcher_logbuf_size", desc: "The size in kilobytes of the per-watcher write buffer of the watch command.", typ: TypeInteger, allowed: "1-", def: "256", mod: modifiable, change: reboot, from: "memcached1.4", since: "1.4.33", render: extended("watcher_logbuf_size")},
	// Not passed on: memcached 1.6 takes a worker_logbuf_size suboption for
	// a slab size (it refuses to start with "slab size 64 is out of valid
	// range"); its own default is ElastiCache's anyway.
	{name: "worker_logbuf_size", desc: "The size in kilobytes of the per-worker-thread buffer of the watch command.", typ: TypeInteger, allowed: "1-", def: "64", mod: modifiable, change: reboot, from: "memcached1.4", since: "1.4.33", render: notRendered()},

	// Memcached 1.5.10.
	{name: "inline_ascii_resp", desc: "Stores numbers from VALUE response, inside an item, using up to 24 bytes. Small slowdown for ASCII get, faster sets.", typ: TypeBoolean, allowed: zeroOne, def: "0", mod: modifiable, change: reboot, from: "memcached1.5", to: "memcached1.6", render: extendedBool("inline_ascii_resp", false)},
	{name: "no_modern", desc: "An alias for disabling slab_reassign, lru_maintainer_thread, lru_segmented and maxconns_fast, with the jenkins hash algorithm.", typ: TypeBoolean, allowed: zeroOne, def: "1", mod: modifiable, change: reboot, from: "memcached1.5", render: extendedBool("no_modern", false)},
}

// renameableCommands are the commands rename-commands may rename: AWS's
// list less PING and INFO, which the node health probe relies on.
const renameableCommands = "APPEND,BITCOUNT,BITFIELD,BITOP,BITPOS,BLPOP,BRPOP,BRPOPLPUSH,BZPOPMIN,BZPOPMAX,CLIENT,COMMAND,DBSIZE,DECR,DECRBY,DEL,DISCARD,DUMP,ECHO,EVAL,EVALSHA,EXEC,EXISTS,EXPIRE,EXPIREAT,FLUSHALL,FLUSHDB,GEOADD,GEOHASH,GEOPOS,GEODIST,GEORADIUS,GEORADIUSBYMEMBER,GET,GETBIT,GETRANGE,GETSET,HDEL,HEXISTS,HGET,HGETALL,HINCRBY,HINCRBYFLOAT,HKEYS,HLEN,HMGET,HMSET,HSET,HSETNX,HSTRLEN,HVALS,INCR,INCRBY,INCRBYFLOAT,KEYS,LASTSAVE,LINDEX,LINSERT,LLEN,LPOP,LPUSH,LPUSHX,LRANGE,LREM,LSET,LTRIM,MEMORY,MGET,MONITOR,MOVE,MSET,MSETNX,MULTI,OBJECT,PERSIST,PEXPIRE,PEXPIREAT,PFADD,PFCOUNT,PFMERGE,PSETEX,PSUBSCRIBE,PUBSUB,PTTL,PUBLISH,PUNSUBSCRIBE,RANDOMKEY,READONLY,READWRITE,RENAME,RENAMENX,RESTORE,ROLE,RPOP,RPOPLPUSH,RPUSH,RPUSHX,SADD,SCARD,SCRIPT,SDIFF,SDIFFSTORE,SELECT,SET,SETBIT,SETEX,SETNX,SETRANGE,SINTER,SINTERSTORE,SISMEMBER,SLOWLOG,SMEMBERS,SMOVE,SORT,SPOP,SRANDMEMBER,SREM,STRLEN,SUBSCRIBE,SUNION,SUNIONSTORE,SWAPDB,TIME,TOUCH,TTL,TYPE,UNSUBSCRIBE,UNLINK,UNWATCH,WAIT,WATCH,ZADD,ZCARD,ZCOUNT,ZINCRBY,ZINTERSTORE,ZLEXCOUNT,ZPOPMAX,ZPOPMIN,ZRANGE,ZRANGEBYLEX,ZREVRANGEBYLEX,ZRANGEBYSCORE,ZRANK,ZREM,ZREMRANGEBYLEX,ZREMRANGEBYRANK,ZREMRANGEBYSCORE,ZREVRANGE,ZREVRANGEBYSCORE,ZREVRANK,ZSCORE,ZUNIONSTORE,SCAN,SSCAN,HSCAN,ZSCAN,XINFO,XADD,XTRIM,XDEL,XRANGE,XREVRANGE,XLEN,XREAD,XGROUP,XREADGROUP,XACK,XCLAIM,XPENDING,GEORADIUS_RO,GEORADIUSBYMEMBER_RO,LOLWUT,XSETID,SUBSTR"

// Node-type-specific parameters.
var (
	redisMaxmemoryParam = NodeTypeParameter{
		Name: "maxmemory", Description: "The maximum configurable amount of memory to use to store items, in bytes.",
		DataType: TypeInteger, AllowedValues: "0-", ChangeType: ChangeImmediate,
		Value: func(t NodeType) int64 { return t.MaxMemoryBytes },
	}
	// ElastiCache sizes the replica output buffer limits to a tenth of
	// maxmemory.
	replicaBufferLimit  = func(t NodeType) int64 { return t.MaxMemoryBytes / 10 }
	redisNodeTypeParams = []struct {
		p        NodeTypeParameter
		from, to string
	}{
		{p: redisMaxmemoryParam, from: "redis2.6"},
		{p: NodeTypeParameter{Name: "client-output-buffer-limit-slave-hard-limit", Description: "Slave client output buffer hard limit in bytes.", DataType: TypeInteger, AllowedValues: "0-", ChangeType: ChangeImmediate, Value: replicaBufferLimit}, from: "redis2.6", to: "redis5.0"},
		{p: NodeTypeParameter{Name: "client-output-buffer-limit-slave-soft-limit", Description: "Slave client output buffer soft limit in bytes.", DataType: TypeInteger, AllowedValues: "0-", ChangeType: ChangeImmediate, Value: replicaBufferLimit}, from: "redis2.6", to: "redis5.0"},
		{p: NodeTypeParameter{Name: "client-output-buffer-limit-replica-hard-limit", Description: "Replica client output buffer hard limit in bytes.", DataType: TypeInteger, AllowedValues: "0-", ChangeType: ChangeImmediate, Value: replicaBufferLimit}, from: "redis5.0"},
		{p: NodeTypeParameter{Name: "client-output-buffer-limit-replica-soft-limit", Description: "Replica client output buffer soft limit in bytes.", DataType: TypeInteger, AllowedValues: "0-", ChangeType: ChangeImmediate, Value: replicaBufferLimit}, from: "redis5.0"},
	}
	memcachedNodeTypeParams = []NodeTypeParameter{
		{Name: "max_cache_memory", Description: "The maximum amount of memory that memcached can use for storing items, in megabytes.", DataType: TypeInteger, AllowedValues: "0-", ChangeType: ChangeRequiresReboot, Value: func(t NodeType) int64 { return int64(t.MemcachedMB) }},
		{Name: "num_threads", Description: "The number of memcached threads to use.", DataType: TypeInteger, AllowedValues: "1-", ChangeType: ChangeRequiresReboot, Value: func(t NodeType) int64 { return int64(t.MemcachedThreads) }},
	}
)

// familyCatalog is the parameters of one family, in the order AWS lists
// them.
type familyCatalog struct {
	params   []Parameter
	byName   map[string]int
	nodeType []NodeTypeParameter
}

var parameterCatalog = buildParameterCatalog()

func buildParameterCatalog() map[string]*familyCatalog {
	out := map[string]*familyCatalog{}
	for _, lineage := range lineages {
		defs := redisParams
		if strings.HasPrefix(lineage[0], "memcached") {
			defs = memcachedParams
		}
		for i, fam := range lineage {
			fc := &familyCatalog{byName: map[string]int{}}
			first := familyFirstVersion(fam)
			for _, d := range defs {
				if !inSpan(lineage, i, d.from, d.to) {
					continue
				}
				// A parameter introduced by a later version of its first
				// family applies from that version on; in later families
				// from their first version.
				minVersion := first
				since := d.since
				if strings.HasPrefix(fam, "valkey") {
					since = d.valkeySince
				} else if d.from != fam {
					since = ""
				}
				if since != "" && CompareVersions(since, minVersion) > 0 {
					minVersion = since
				}
				fc.params = append(fc.params, Parameter{
					Name: d.name, Description: d.desc, DataType: d.typ, AllowedValues: d.allowed, Default: d.def,
					Modifiable: d.mod != fixed, Conditional: d.mod == conditional, ChangeType: d.change,
					MinimumEngineVersion: minVersion, render: d.render, check: d.check,
				})
			}
			slices.SortFunc(fc.params, func(a, b Parameter) int { return compareParameterNames(a.Name, b.Name) })
			for j, p := range fc.params {
				fc.byName[p.Name] = j
			}
			if strings.HasPrefix(fam, "memcached") {
				for _, p := range memcachedNodeTypeParams {
					p.MinimumEngineVersion = first
					fc.nodeType = append(fc.nodeType, p)
				}
			} else {
				for _, r := range redisNodeTypeParams {
					if inSpan(lineage, i, r.from, r.to) {
						p := r.p
						p.MinimumEngineVersion = first
						fc.nodeType = append(fc.nodeType, p)
					}
				}
			}
			out[fam] = fc
		}
	}
	return out
}

// inSpan reports whether lineage[i] is within [from, to).
func inSpan(lineage []string, i int, from, to string) bool {
	start := slices.Index(lineage, from)
	end := len(lineage)
	if to != "" {
		end = slices.Index(lineage, to)
	}
	return start >= 0 && end >= 0 && i >= start && i < end
}

// familyFirstVersion is the oldest catalogued engine version of a family.
func familyFirstVersion(family string) string {
	for _, v := range catalog {
		if v.Family == family {
			return v.Version
		}
	}
	return ""
}

// compareParameterNames orders parameters as DescribeCacheParameters does:
// ignoring hyphens first ("activedefrag" before "active-defrag-cycle-max"
// before "activerehashing"), then byte-wise.
func compareParameterNames(a, b string) int {
	if c := strings.Compare(strings.ReplaceAll(a, "-", ""), strings.ReplaceAll(b, "-", "")); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

// FamilyParameters returns the parameters of a parameter group family in
// the order AWS lists them (nil for an unknown family). Node-type-specific
// parameters are apart, in FamilyNodeTypeParameters. The slice is a copy.
func FamilyParameters(family string) []Parameter {
	fc, ok := parameterCatalog[family]
	if !ok {
		return nil
	}
	return slices.Clone(fc.params)
}

// LookupParameter finds a parameter of a family by its exact name.
func LookupParameter(family, name string) (Parameter, bool) {
	fc, ok := parameterCatalog[family]
	if !ok {
		return Parameter{}, false
	}
	i, ok := fc.byName[name]
	if !ok {
		return Parameter{}, false
	}
	return fc.params[i], true
}

// FamilyNodeTypeParameters returns the node-type-specific parameters of a
// family (maxmemory; max_cache_memory and num_threads).
func FamilyNodeTypeParameters(family string) []NodeTypeParameter {
	fc, ok := parameterCatalog[family]
	if !ok {
		return nil
	}
	return slices.Clone(fc.nodeType)
}

// FamilyNodeTypes are the node types a family's engine runs on, with the
// figures CacheNodeTypeSpecificValues lists.
func FamilyNodeTypes(family string) []NodeType {
	e, ok := FamilyEngine(family)
	if !ok {
		return nil
	}
	var out []NodeType
	for _, t := range nodeTypes {
		switch {
		case e == Memcached && t.MemcachedMB > 0,
			e == Redis && t.InRedisTable,
			e == Valkey && t.InValkeyTable:
			out = append(out, t)
		}
	}
	return out
}

// effectiveValue is a parameter's value given a group's values: the
// group's own when it sets a modifiable parameter, the default otherwise.
func effectiveValue(p Parameter, group map[string]string) string {
	if v, ok := group[p.Name]; ok && p.Modifiable {
		return v
	}
	return p.Default
}

// EffectiveParameters returns every parameter of v's family that applies
// to v, with the value a node of v gets from the group values given.
func EffectiveParameters(v Version, group map[string]string) map[string]string {
	out := map[string]string{}
	for _, p := range parameterCatalog[v.Family].params {
		if p.AppliesTo(v) {
			out[p.Name] = effectiveValue(p, group)
		}
	}
	return out
}

// NormalizeParameters keeps of group the values that matter to a node of
// v: known, modifiable, applicable parameters whose value differs from the
// default. Two groups with the same normal form configure a node alike.
func NormalizeParameters(v Version, group map[string]string) map[string]string {
	var out map[string]string
	for _, p := range parameterCatalog[v.Family].params {
		if !p.AppliesTo(v) {
			continue
		}
		if val := effectiveValue(p, group); val != p.Default {
			if out == nil {
				out = map[string]string{}
			}
			out[p.Name] = val
		}
	}
	return out
}

// formatInt is strconv.FormatInt in base 10.
func formatInt(n int64) string { return strconv.FormatInt(n, 10) }
