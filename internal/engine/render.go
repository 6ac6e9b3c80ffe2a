package engine

import (
	"bytes"
	"net/netip"
	"path"
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
	// DefaultMaxMemoryPolicy is the maxmemory-policy of the default groups
	// (the catalog's default, see parameters.go).
	DefaultMaxMemoryPolicy = "volatile-lru"
	// DefaultMemcachedMaxItemSize is max_item_size in the default groups
	// (the catalog's default).
	DefaultMemcachedMaxItemSize = 1048576
	// MemcachedMaxConnections caps -c. AWS uses 65000
	// (max_simultaneous_connections); a local host cannot give every node
	// that many descriptors.
	MemcachedMaxConnections = 4096
	// MemcachedMaxThreads caps -t; AWS's num_threads follows the vCPUs of
	// the node type, which a local host does not have per node.
	MemcachedMaxThreads = 4
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
	if err := checkParameters(c); err != nil {
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

type directive struct {
	name string
	args []string
}

func renderRedis(c NodeConfig) (Rendered, error) {
	maxmem, err := redisMaxMemory(c.NodeType, memoryParameters(c))
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
		// The default groups have no RDB save points. The node process
		// outlives control-plane restarts, so in-memory data survives them.
		directive{"save", []string{""}},
		directive{"maxmemory", []string{strconv.FormatInt(maxmem, 10)}},
	)
	// The parameter group: every parameter of the family, the group's
	// values over the defaults (appendonly and maxmemory-policy among them).
	d = append(d, redisParameterDirectives(c)...)
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
	mb, err := memcachedMB(c.NodeType, memoryParameters(c))
	if err != nil {
		return Rendered{}, err
	}
	threads := min(max(c.NodeType.MemcachedThreads, 1), MemcachedMaxThreads)
	itemSize := int64(DefaultMemcachedMaxItemSize)
	if p, ok := LookupParameter(c.Version.Family, "max_item_size"); ok {
		itemSize, _ = strconv.ParseInt(effectiveValue(p, c.Parameters), 10, 64) // checked by checkParameters
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
	}
	// The parameter group: -I, -b, -R, the options that differ from
	// memcached's defaults, and the -o list.
	args = append(args, memcachedParameterArgs(c)...)
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
