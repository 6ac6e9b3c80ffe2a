// Package service implements ElastiCache semantics behind the generated API:
// validation exactly as AWS answers it, defaults, references between resources
// and quotas. Handlers write only the desired state to the store, in one
// transaction each, and tell the reconciler; they never touch nodes (the
// reconciler owns them and writes the observed status).
package service

import (
	"math/rand/v2"
	"sync"
	"time"

	"github.com/cacheplane/cacheplane/internal/api"
	"github.com/cacheplane/cacheplane/internal/model"
	"github.com/cacheplane/cacheplane/internal/store"
)

// Quotas are the account limits; AWS's defaults where documented.
type Quotas struct {
	MaxClusters        int // ClusterQuotaForCustomerExceeded (undocumented on AWS; 300 here, configurable)
	MaxNodesPerCluster int // NodeQuotaForClusterExceeded (40 for memcached)
	MaxNodes           int // NodeQuotaForCustomerExceeded (300 per region)
	// Network quotas; 0 means AWS's default.
	MaxSubnetGroups    int // CacheSubnetGroupQuotaExceeded (300 per region, the default group included)
	MaxSubnetsPerGroup int // CacheSubnetQuotaExceededFault (20)
	MaxSecurityGroups  int // QuotaExceeded.CacheSecurityGroup (50 per region, the default group included)
}

// DefaultQuotas are the AWS defaults.
func DefaultQuotas() Quotas { return Quotas{MaxClusters: 300, MaxNodesPerCluster: 40, MaxNodes: 300} }

// Config is what the service needs from its surroundings.
type Config struct {
	Region    string
	AccountID string // 12 digits, used in ARNs
	Quotas    Quotas
	// HostMemoryBytes is what this host can give one node; node types needing more
	// are refused with InsufficientCacheClusterCapacity unless AllowMemoryOvercommit.
	HostMemoryBytes       int64
	AllowMemoryOvercommit bool
	// AvailabilityZones of the region (the default subnet group's zones).
	AvailabilityZones []string
	// VPCs is the local network layout that subnet groups draw their subnets
	// from; empty means the account's default VPC, one subnet per zone
	// (model.DefaultVPC).
	VPCs []model.VPC
	// NodeAddresses hands out node listen addresses.
	NodeAddresses *AddressAllocator
	// Notify tells the reconciler that a cluster's desired state changed.
	Notify func(clusterID string)
	Now    func() time.Time
	Seed   uint64 // seeds the default-window picker; 0 = from the clock
}

// Service is the ElastiCache API implementation.
type Service struct {
	api.UnimplementedService
	cfg   Config
	store *store.Store

	rngMu sync.Mutex
	rng   *rand.Rand
}

// New builds the service over st.
func New(cfg Config, st *store.Store) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Notify == nil {
		cfg.Notify = func(string) {}
	}
	if cfg.Seed == 0 {
		cfg.Seed = uint64(time.Now().UnixNano())
	}
	if len(cfg.AvailabilityZones) == 0 {
		cfg.AvailabilityZones = DefaultZones(cfg.Region)
	}
	return &Service{cfg: cfg, store: st, rng: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed>>1|1))}
}

// DefaultZones is the zone layout used when none is configured: six zones for
// us-east-1 (as AWS has), three elsewhere.
func DefaultZones(region string) []string {
	letters := "abc"
	if region == "us-east-1" {
		letters = "abcdef"
	}
	zones := make([]string, 0, len(letters))
	for _, l := range letters {
		zones = append(zones, region+string(l))
	}
	return zones
}

func (s *Service) withRand(fn func(*rand.Rand)) {
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	fn(s.rng)
}

var _ api.Service = (*Service)(nil)
