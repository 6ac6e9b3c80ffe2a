package engine

import (
	"bytes"
	"net/netip"
	"path"
	"slices"
	"strconv"
	"strings"
)

// NodeConfig is what Render needs to know about one cache node: the
// cluster's settings plus the node's own address and directory.
type NodeConfig struct {
	Engine   Name
	Version  Version
	NodeType NodeType
	// ListenAddress is the IP literal the node listens on, e.g. 127.0.42.7.
	ListenAddress string
	Port          int
	// DataDir is the node's own absolute directory. Rendered files are
	// written there and the engine keeps its data and log there.
	DataDir string
	// AuthToken is the redis/valkey AUTH token; "" means none. It is only
	// ever put into a 0600 config file, never into argv. Memcached has no
	// AUTH token.
	AuthToken string
	// TLS enables in-transit encryption with these files; nil means
	// plaintext.
	TLS *TLSFiles
	// Parameters are parameter group values applied on top of the engine
	// defaults. Keys cacheplane does not know are ignored.
	Parameters map[string]string
	// RunAsUser is the account memcached switches to when it is started as
	// root (its -u option; it refuses to run as root without one and
	// ignores it otherwise). "" means "root", which keeps the privileges it
	// was started with, as redis-server does.
	RunAsUser string
}

// TLSFiles are absolute paths of PEM files for in-transit encryption.
// CAFile is optional.
type TLSFiles struct {
	CertFile, KeyFile, CAFile string
}

// ConfigFile is a file the driver must write before starting the node.
type ConfigFile struct {
	// Name is relative to the node's DataDir.
	Name    string
	Content []byte
	// Mode is the file's permission bits; always 0600.
	Mode uint32
}

// Rendered is a node's start-up configuration.
type Rendered struct {
	// Args is the argument vector after the binary. It never holds a
	// secret.
	Args []string
	// Files must be written into DataDir before the binary is started.
	Files []ConfigFile
}

// File returns the rendered file called name.
func (r Rendered) File(name string) (ConfigFile, bool) {
	for _, f := range r.Files {
		if f.Name == name {
			return f, true
		}
	}
	return ConfigFile{}, false
}

// Fixed engine settings.
const (
	// DefaultMaxMemoryPolicy is the maxmemory-policy of the default groups.
	DefaultMaxMemoryPolicy = "volatile-lru"
	// DefaultMemcachedMaxItemSize is max_item_size in the default groups.
	DefaultMemcachedMaxItemSize = 1048576
	// MemcachedMaxConnections caps -c. AWS uses 65000
	// (max_simultaneous_connections); a local host cannot give every node
	// that many descriptors.
	MemcachedMaxConnections = 4096
	// MemcachedMaxThreads caps -t; AWS's num_threads follows the vCPUs of
	// the node type, which a local host does not have per node.
	MemcachedMaxThreads = 4
	// memcachedBacklog and memcachedRequestsPerEvent are ElastiCache's
	// fixed backlog_queue_limit and requests_per_event.
	memcachedBacklog          = 1024
	memcachedRequestsPerEvent = 20
)

// Render validates c and returns the node's start-up configuration:
//   - redis / valkey: a 0600 redis.conf (valkey.conf) in DataDir; Args is
//     just its path, so the AUTH token never reaches argv;
//   - memcached: arguments only (memcached has no secret to hide).
//
// Render only computes: it touches no file and starts nothing.
func Render(c NodeConfig) (Rendered, error) {
	if err := validate(c); err != nil {
		return Rendered{}, err
	}
	var r Rendered
	var err error
	switch c.Engine {
	case Redis, Valkey:
		r, err = renderRedis(c)
	case Memcached:
		r, err = renderMemcached(c)
	}
	if err != nil {
		return Rendered{}, err
	}
	if c.AuthToken != "" {
		for _, a := range r.Args {
			if strings.Contains(a, c.AuthToken) {
				return Rendered{}, errorf("the auth token would appear in the command line")
			}
		}
	}
	return r, nil
}

func validate(c NodeConfig) error {
	if !c.Engine.Valid() {
		return errorf("unknown engine %q", c.Engine)
	}
	if c.Version.Version == "" {
		return errorf("no engine version given")
	}
	if c.Version.Engine != c.Engine {
		return errorf("version %s is not a %s version", c.Version.ID(), c.Engine)
	}
	if c.NodeType.Name == "" {
		return errorf("no node type given")
	}
	if c.ListenAddress == "" {
		return errorf("no listen address given")
	}
	if _, err := netip.ParseAddr(c.ListenAddress); err != nil {
		return errorf("listen address %q is not an IP address", c.ListenAddress)
	}
	if c.Port < 1 || c.Port > 65535 {
		return errorf("port %d is out of range 1-65535", c.Port)
	}
	if err := checkPath("data directory", c.DataDir); err != nil {
		return err
	}
	if hasControl(c.AuthToken) {
		return errorf("the auth token contains a control character")
	}
	if c.Engine == Memcached && c.AuthToken != "" {
		return errorf("memcached does not support an auth token")
	}
	if hasControl(c.RunAsUser) || strings.ContainsAny(c.RunAsUser, " ") {
		return errorf("run-as user %q is not a user name", c.RunAsUser)
	}
	if t := c.TLS; t != nil {
		if t.CertFile == "" || t.KeyFile == "" {
			return errorf("TLS needs a certificate file and a key file")
		}
		for _, p := range []struct{ what, path string }{
			{"TLS certificate file", t.CertFile},
			{"TLS key file", t.KeyFile},
			{"TLS CA file", t.CAFile},
		} {
			if p.path == "" {
				continue
			}
			if err := checkPath(p.what, p.path); err != nil {
				return err
			}
			// memcached takes the paths inside a comma-separated -o list.
			if c.Engine == Memcached && strings.ContainsAny(p.path, ",=") {
				return errorf("%s %q: memcached cannot take a path containing ',' or '='", p.what, p.path)
			}
		}
	}
	return nil
}

func checkPath(what, p string) error {
	switch {
	case p == "":
		return errorf("no %s given", what)
	case !path.IsAbs(p):
		return errorf("%s %q is not an absolute path", what, p)
	case hasControl(p):
		return errorf("%s %q contains a control character", what, p)
	}
	return nil
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// ConfigFileName is the name of the config file Render writes for an engine
// ("redis.conf", "valkey.conf"; "" for memcached, which has none).
func ConfigFileName(e Name) string {
	switch e {
	case Redis, Valkey:
		return string(e) + ".conf"
	}
	return ""
}

// LogFileName is the name of the log file the engine writes in its DataDir
// ("redis.log", "valkey.log"; "" for memcached, which logs to stderr).
func LogFileName(e Name) string {
	switch e {
	case Redis, Valkey:
		return string(e) + ".log"
	}
	return ""
}

// redisPassThrough are parameter group keys rendered verbatim as directives
// of the same name. All of them are understood by redis-server 7.0 and by
// valkey-server.
var redisPassThrough = map[string]bool{
	"acllog-max-len":                true,
	"activedefrag":                  true,
	"active-defrag-cycle-max":       true,
	"active-defrag-cycle-min":       true,
	"active-defrag-ignore-bytes":    true,
	"active-defrag-max-scan-fields": true,
	"active-defrag-threshold-lower": true,
	"active-defrag-threshold-upper": true,
	"activerehashing":               true,
	"appendfsync":                   true,
	"appendonly":                    true,
	"busy-reply-threshold":          true,
	"client-query-buffer-limit":     true,
	"cluster-allow-reads-when-down": true,
	"cluster-require-full-coverage": true,
	"databases":                     true,
	"hash-max-listpack-entries":     true,
	"hash-max-listpack-value":       true,
	"hash-max-ziplist-entries":      true,
	"hash-max-ziplist-value":        true,
	"hll-sparse-max-bytes":          true,
	"lazyfree-lazy-eviction":        true,
	"lazyfree-lazy-expire":          true,
	"lazyfree-lazy-server-del":      true,
	"lazyfree-lazy-user-del":        true,
	"lazyfree-lazy-user-flush":      true,
	"lfu-decay-time":                true,
	"lfu-log-factor":                true,
	"list-compress-depth":           true,
	"list-max-listpack-size":        true,
	"list-max-ziplist-size":         true,
	"lua-time-limit":                true,
	"maxmemory-eviction-tenacity":   true,
	"maxmemory-policy":              true,
	"maxmemory-samples":             true,
	"min-replicas-max-lag":          true,
	"min-replicas-to-write":         true,
	"min-slaves-max-lag":            true,
	"min-slaves-to-write":           true,
	"notify-keyspace-events":        true,
	"proto-max-bulk-len":            true,
	"repl-backlog-size":             true,
	"repl-backlog-ttl":              true,
	"repl-timeout":                  true,
	"set-max-intset-entries":        true,
	"slowlog-log-slower-than":       true,
	"slowlog-max-len":               true,
	"stream-node-max-bytes":         true,
	"stream-node-max-entries":       true,
	"tcp-keepalive":                 true,
	"timeout":                       true,
	"zset-max-listpack-entries":     true,
	"zset-max-listpack-value":       true,
	"zset-max-ziplist-entries":      true,
	"zset-max-ziplist-value":        true,
}

// Output buffer limits: ElastiCache splits redis' three-argument
// client-output-buffer-limit into one parameter per number.
var outputBufferClasses = []struct {
	class    string   // redis class name
	prefixes []string // ElastiCache parameter prefixes
	defaults [3]string
}{
	{"normal", []string{"client-output-buffer-limit-normal-"}, [3]string{"0", "0", "0"}},
	{"replica", []string{"client-output-buffer-limit-replica-", "client-output-buffer-limit-slave-"}, [3]string{"256mb", "64mb", "60"}},
	{"pubsub", []string{"client-output-buffer-limit-pubsub-"}, [3]string{"32mb", "8mb", "60"}},
}

var outputBufferFields = [3]string{"hard-limit", "soft-limit", "soft-seconds"}

type directive struct {
	name string
	args []string
}

func renderRedis(c NodeConfig) (Rendered, error) {
	maxmem, err := redisMaxMemory(c.NodeType, c.Parameters)
	if err != nil {
		return Rendered{}, err
	}
	d := []directive{{"bind", []string{c.ListenAddress}}}
	port := strconv.Itoa(c.Port)
	if c.TLS == nil {
		d = append(d, directive{"port", []string{port}})
	} else {
		d = append(d,
			directive{"port", []string{"0"}},
			directive{"tls-port", []string{port}},
			directive{"tls-cert-file", []string{c.TLS.CertFile}},
			directive{"tls-key-file", []string{c.TLS.KeyFile}})
		if c.TLS.CAFile != "" {
			d = append(d, directive{"tls-ca-cert-file", []string{c.TLS.CAFile}})
		}
		// ElastiCache encrypts but does not ask clients for certificates.
		d = append(d, directive{"tls-auth-clients", []string{"no"}})
	}
	// Protected mode refuses clients from outside 127.0.0.0/8 and ::1 while
	// the default user has no password. Keep it on a loopback address with
	// no token (it changes nothing there); elsewhere the operator chose the
	// address on purpose, as an AWS cluster without a token is open to its
	// VPC.
	protected := "no"
	if addr, _ := netip.ParseAddr(c.ListenAddress); c.AuthToken == "" && addr.IsLoopback() {
		protected = "yes"
	}
	d = append(d,
		directive{"protected-mode", []string{protected}},
		directive{"daemonize", []string{"no"}},
		directive{"supervised", []string{"no"}},
		directive{"dir", []string{c.DataDir}},
		directive{"dbfilename", []string{"dump.rdb"}},
		directive{"logfile", []string{path.Join(c.DataDir, LogFileName(c.Engine))}},
		directive{"appendonly", []string{"no"}},
		// The default groups have no RDB save points. The node process
		// outlives control-plane restarts, so in-memory data survives them.
		directive{"save", []string{""}},
		directive{"maxmemory", []string{strconv.FormatInt(maxmem, 10)}},
		directive{"maxmemory-policy", []string{DefaultMaxMemoryPolicy}},
	)
	d = applyRedisParameters(d, c.Parameters)
	if c.AuthToken != "" {
		d = append(d, directive{"requirepass", []string{c.AuthToken}})
	}

	var b bytes.Buffer
	b.WriteString("# Rendered by cacheplane for " + c.Version.ID() + " on " + c.NodeType.Name + ". Do not edit.\n")
	for _, x := range d {
		b.WriteString(x.name)
		for _, a := range x.args {
			b.WriteByte(' ')
			b.WriteString(quoteConfig(a))
		}
		b.WriteByte('\n')
	}
	name := ConfigFileName(c.Engine)
	return Rendered{
		Args:  []string{path.Join(c.DataDir, name)},
		Files: []ConfigFile{{Name: name, Content: b.Bytes(), Mode: 0o600}},
	}, nil
}

// applyRedisParameters overrides or appends the parameter group values cacheplane
// knows, in sorted key order so that the output is stable.
func applyRedisParameters(d []directive, params map[string]string) []directive {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	set := func(name string, args ...string) {
		for i := range d {
			if d[i].name == name {
				d[i].args = args
				return
			}
		}
		d = append(d, directive{name, args})
	}
	for _, k := range keys {
		if redisPassThrough[k] {
			set(k, params[k])
		}
	}
	for _, cl := range outputBufferClasses {
		vals, found := cl.defaults, false
		for _, prefix := range cl.prefixes {
			for i, f := range outputBufferFields {
				if v, ok := params[prefix+f]; ok {
					vals[i], found = v, true
				}
			}
		}
		if found { // one directive per class, so append rather than set
			d = append(d, directive{"client-output-buffer-limit", []string{cl.class, vals[0], vals[1], vals[2]}})
		}
	}
	return d
}

// quoteConfig renders s as one argument of a redis config line: bare when
// that is unambiguous, otherwise double-quoted with escapes.
func quoteConfig(s string) string {
	if s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.:/+@%", r))
	}) {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case ch == '"' || ch == '\\':
			b.WriteByte('\\')
			b.WriteByte(ch)
		case ch < 0x20 || ch >= 0x7f:
			b.WriteString(`\x`)
			b.WriteString(strconv.FormatUint(uint64(ch)>>4, 16))
			b.WriteString(strconv.FormatUint(uint64(ch)&0xf, 16))
		default:
			b.WriteByte(ch)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func renderMemcached(c NodeConfig) (Rendered, error) {
	mb, err := memcachedMB(c.NodeType, c.Parameters)
	if err != nil {
		return Rendered{}, err
	}
	threads := min(max(c.NodeType.MemcachedThreads, 1), MemcachedMaxThreads)
	itemSize := int64(DefaultMemcachedMaxItemSize)
	if s, ok := c.Parameters["max_item_size"]; ok {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1024 || n > 1<<30 {
			return Rendered{}, errorf("parameter max_item_size: %q is not a size from 1024 to 1073741824 bytes", s)
		}
		itemSize = n
	}
	if itemSize > int64(mb)*mib/2 {
		return Rendered{}, errorf("parameter max_item_size: %d is more than half of the node's %d MB", itemSize, mb)
	}
	user := c.RunAsUser
	if user == "" {
		user = "root"
	}
	args := []string{
		"-l", c.ListenAddress,
		"-p", strconv.Itoa(c.Port),
		"-U", "0",
		"-m", strconv.Itoa(mb),
		"-t", strconv.Itoa(threads),
		"-c", strconv.Itoa(MemcachedMaxConnections),
		"-I", strconv.FormatInt(itemSize, 10),
		"-b", strconv.Itoa(memcachedBacklog),
		"-R", strconv.Itoa(memcachedRequestsPerEvent),
	}
	if s, ok := c.Parameters["chunk_size"]; ok {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || int64(n) > itemSize/2 {
			return Rendered{}, errorf("parameter chunk_size: %q is not a size from 1 to half of max_item_size", s)
		}
		args = append(args, "-n", strconv.Itoa(n))
	}
	if s, ok := c.Parameters["chunk_size_growth_factor"]; ok {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || !(f > 1 && f <= 100) {
			return Rendered{}, errorf("parameter chunk_size_growth_factor: %q is not a number above 1", s)
		}
		args = append(args, "-f", strconv.FormatFloat(f, 'f', -1, 64))
	}
	if s, ok := c.Parameters["cas_disabled"]; ok {
		switch s {
		case "1":
			args = append(args, "-C")
		case "0":
		default:
			return Rendered{}, errorf("parameter cas_disabled: %q is not 0 or 1", s)
		}
	}
	args = append(args, "-u", user)
	if t := c.TLS; t != nil {
		opts := "ssl_chain_cert=" + t.CertFile + ",ssl_key=" + t.KeyFile
		if t.CAFile != "" {
			opts += ",ssl_ca_cert=" + t.CAFile
		}
		args = append(args, "-Z", "-o", opts)
	}
	return Rendered{Args: args}, nil
}
