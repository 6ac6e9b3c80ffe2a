package engine

// Name is an engine name exactly as ElastiCache spells it on the wire.
type Name string

// The engines cacheplane runs.
const (
	Redis     Name = "redis"
	Memcached Name = "memcached"
	Valkey    Name = "valkey"
)

// Names returns every engine, in the order the catalogs list them.
func Names() []Name { return []Name{Memcached, Redis, Valkey} }

// ParseName returns the engine called s. Like AWS it accepts only the exact
// lowercase spelling: "Redis" is not an engine.
func ParseName(s string) (Name, bool) {
	switch n := Name(s); n {
	case Redis, Memcached, Valkey:
		return n, true
	}
	return "", false
}

// Valid reports whether n is one of the known engines.
func (n Name) Valid() bool {
	_, ok := ParseName(string(n))
	return ok
}

// String returns the wire spelling of n.
func (n Name) String() string { return string(n) }

// DefaultPort is the port a node of this engine listens on when the request
// does not name one: 6379 for redis and valkey, 11211 for memcached, 0 for an
// unknown engine.
func (n Name) DefaultPort() int {
	switch n {
	case Redis, Valkey:
		return 6379
	case Memcached:
		return 11211
	}
	return 0
}

// RedisProtocol reports whether the engine speaks RESP (redis and valkey).
func (n Name) RedisProtocol() bool { return n == Redis || n == Valkey }

// BinaryName is the name of the engine's server binary as it is looked up
// on PATH: "redis-server", "valkey-server" or "memcached".
func (n Name) BinaryName() string {
	switch n {
	case Redis:
		return "redis-server"
	case Valkey:
		return "valkey-server"
	case Memcached:
		return "memcached"
	}
	return ""
}
