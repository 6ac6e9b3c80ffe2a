package service

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/cacheplane/cacheplane/internal/api"
	"github.com/cacheplane/cacheplane/internal/engine"
	"github.com/cacheplane/cacheplane/internal/model"
	"github.com/cacheplane/cacheplane/internal/store"
)

// The local network: the VPC layout that subnet groups draw from, and how a
// new cluster's subnet group, security groups and node zones are resolved.

// AWS's network quotas (aws-behaviour.md §12), used when Quotas leaves them 0.
const (
	defaultMaxSubnetGroups    = 300
	defaultMaxSubnetsPerGroup = 20
	defaultMaxSecurityGroups  = 50
)

func orDefault(n, def int) int {
	if n > 0 {
		return n
	}
	return def
}

func (s *Service) maxSubnetGroups() int {
	return orDefault(s.cfg.Quotas.MaxSubnetGroups, defaultMaxSubnetGroups)
}

func (s *Service) maxSubnetsPerGroup() int {
	return orDefault(s.cfg.Quotas.MaxSubnetsPerGroup, defaultMaxSubnetsPerGroup)
}

func (s *Service) maxSecurityGroups() int {
	return orDefault(s.cfg.Quotas.MaxSecurityGroups, defaultMaxSecurityGroups)
}

// vpcs is the network layout: the configured VPCs, or the account's default
// VPC with one subnet per configured zone. Deriving it costs a few hashes, so
// it is derived when needed rather than kept.
func (s *Service) vpcs() []model.VPC {
	if len(s.cfg.VPCs) > 0 {
		return s.cfg.VPCs
	}
	return []model.VPC{model.DefaultVPC(s.cfg.Region, s.cfg.AccountID, s.cfg.AvailabilityZones)}
}

// defaultVPC is the VPC marked Default, else the first.
func (s *Service) defaultVPC() model.VPC {
	vpcs := s.vpcs()
	for _, v := range vpcs {
		if v.Default {
			return v
		}
	}
	return vpcs[0]
}

// subnet finds a subnet of the layout by id.
func (s *Service) subnet(id string) (model.Subnet, bool) {
	for _, v := range s.vpcs() {
		for _, sn := range v.Subnets {
			if sn.ID == id {
				if sn.VPCID == "" {
					sn.VPCID = v.ID
				}
				return sn, true
			}
		}
	}
	return model.Subnet{}, false
}

// regionZones are the availability zones this region has: the configured
// ones and those of any subnet of the layout.
func (s *Service) regionZones() []string {
	zones := slices.Clone(s.cfg.AvailabilityZones)
	for _, v := range s.vpcs() {
		for _, sn := range v.Subnets {
			if !slices.Contains(zones, sn.AZ) {
				zones = append(zones, sn.AZ)
			}
		}
	}
	return zones
}

// defaultSubnetGroup is the built-in group: every subnet of the default VPC.
func (s *Service) defaultSubnetGroup() *model.SubnetGroup {
	vpc := s.defaultVPC()
	g := &model.SubnetGroup{
		Name:        model.DefaultGroupName,
		Description: model.DefaultSubnetGroupDescription,
		VPCID:       vpc.ID,
		ARN:         model.SubnetGroupARN(s.cfg.Region, s.cfg.AccountID, model.DefaultGroupName),
	}
	for _, sn := range vpc.Subnets {
		if sn.VPCID == "" {
			sn.VPCID = vpc.ID
		}
		g.Subnets = append(g.Subnets, sn)
	}
	return g
}

// lookupSubnetGroup returns the subnet group of that name (matched without
// regard to case), the built-in default included, or nil.
func (s *Service) lookupSubnetGroup(tx *store.Tx, name string) (*model.SubnetGroup, error) {
	lower := strings.ToLower(name)
	if lower == model.DefaultGroupName {
		return s.defaultSubnetGroup(), nil
	}
	var g model.SubnetGroup
	found, err := tx.GetRecord(store.BucketSubnetGroups, lower, &g)
	if err != nil || !found {
		return nil, err
	}
	return &g, nil
}

func subnetGroupNotFound(name string) *api.Error {
	return api.ErrCacheSubnetGroupNotFound("Cache Subnet Group %s does not exist.", strings.ToLower(name))
}

// storeFailure turns a store error met while validating into a fault; the
// validators answer *api.Error, and a record that cannot be read is the
// service's fault, not the caller's.
func storeFailure(err error) *api.Error {
	return api.Errorf(api.CodeInternalFailure, 500, "The store could not be read: %v", err)
}

// subnetGroupFor resolves CacheSubnetGroupName (default: "default") and returns
// the zones its subnets are in, which are the zones the cluster's nodes may use.
func (s *Service) subnetGroupFor(tx *store.Tx, name *string) (string, []string, *api.Error) {
	if name == nil {
		return model.DefaultGroupName, s.defaultSubnetGroup().Zones(), nil
	}
	if strings.TrimSpace(*name) == "" {
		return "", nil, api.ErrInvalidParameterValue("The parameter CacheSubnetGroupName must be provided and must not be blank.")
	}
	g, err := s.lookupSubnetGroup(tx, *name)
	if err != nil {
		return "", nil, storeFailure(err)
	}
	if g == nil {
		return "", nil, subnetGroupNotFound(*name)
	}
	return g.Name, g.Zones(), nil
}

// lookupSecurityGroup returns the cache security group of that name (matched
// without regard to case), or nil. The built-in default group has a record
// only once ingress has been authorized on it.
func (s *Service) lookupSecurityGroup(tx *store.Tx, name string) (*model.SecurityGroup, error) {
	lower := strings.ToLower(name)
	var g model.SecurityGroup
	found, err := tx.GetRecord(store.BucketSecurityGroups, lower, &g)
	if err != nil {
		return nil, err
	}
	if found {
		return &g, nil
	}
	if lower == model.DefaultGroupName {
		return s.defaultSecurityGroup(), nil
	}
	return nil, nil
}

func (s *Service) defaultSecurityGroup() *model.SecurityGroup {
	return &model.SecurityGroup{
		Name:        model.DefaultGroupName,
		Description: model.DefaultSecurityGroupDescription,
		OwnerID:     s.cfg.AccountID,
		ARN:         model.SecurityGroupARN(s.cfg.Region, s.cfg.AccountID, model.DefaultGroupName),
	}
}

func securityGroupNotFound(name string) *api.Error {
	return api.ErrCacheSecurityGroupNotFound("CacheSecurityGroup %s not found.", strings.ToLower(name))
}

// securityGroupsFor resolves CacheSecurityGroupNames (the built-in default and
// created groups) and checks the form of the VPC SecurityGroupIds. The two
// are alternatives: cache security groups are for clusters outside a VPC,
// security group ids for clusters inside one.
func (s *Service) securityGroupsFor(tx *store.Tx, names, ids []string) ([]string, *api.Error) {
	if len(names) > 0 && len(ids) > 0 {
		return nil, api.ErrInvalidParameterCombinationMsg("Give either CacheSecurityGroupNames (cache security groups, for clusters outside a VPC) or SecurityGroupIds (VPC security groups), not both.")
	}
	var out []string
	for _, name := range names {
		if strings.TrimSpace(name) == "" {
			return nil, api.ErrInvalidParameterValue("CacheSecurityGroupNames has an empty name; give the name of each cache security group.")
		}
		g, err := s.lookupSecurityGroup(tx, name)
		if err != nil {
			return nil, storeFailure(err)
		}
		if g == nil {
			return nil, securityGroupNotFound(name)
		}
		if !slices.Contains(out, g.Name) {
			out = append(out, g.Name)
		}
	}
	for _, sg := range ids {
		if !securityGroupIDRE.MatchString(sg) {
			return nil, api.ErrInvalidParameterValue("Invalid security group id %s: a VPC security group id looks like sg-0123456789abcdef0.", sg)
		}
	}
	return out, nil
}

// zonesFor places each node in a zone of the cluster's subnet group and returns
// the cluster's PreferredAvailabilityZone (the zone, or "Multiple" when the
// nodes span several). A zone the region does not have is an invalid value; a
// zone of the region that no subnet of the group is in is refused as AWS
// refuses it, with InvalidVPCNetworkStateFault.
func (s *Service) zonesFor(in *api.CreateCacheClusterMessage, eng engine.Name, num int, available []string) ([]string, string, *api.Error) {
	regionZones := s.regionZones()
	check := func(z string) *api.Error {
		switch {
		case slices.Contains(available, z):
			return nil
		case !slices.Contains(regionZones, z):
			return api.ErrInvalidParameterValue("Invalid availability zone %s: region %s has %s.", z, s.cfg.Region, strings.Join(regionZones, ", "))
		default:
			return api.ErrInvalidVPCNetworkState("No subnet is present in the cache subnet group for availability zone %s; its subnets are in %s. Choose one of those zones, or add a subnet of %s to the group.", z, strings.Join(available, ", "), z)
		}
	}
	single := api.Deref(in.PreferredAvailabilityZone)
	list := in.PreferredAvailabilityZones
	if in.PreferredAvailabilityZone != nil && len(list) > 0 {
		return nil, "", api.ErrInvalidParameterCombinationMsg("Specify either PreferredAvailabilityZone or PreferredAvailabilityZones, not both.")
	}
	zones := make([]string, num)
	switch {
	case len(list) > 0:
		if len(list) != num {
			return nil, "", api.ErrInvalidParameterValue("The number of PreferredAvailabilityZones (%d) must equal NumCacheNodes (%d).", len(list), num)
		}
		for i, z := range list {
			if err := check(z); err != nil {
				return nil, "", err
			}
			zones[i] = z
		}
		if in.AZMode == api.AZModeSingleAz && distinct(zones) > 1 {
			return nil, "", api.ErrInvalidParameterCombinationMsg("AZMode single-az places every node in one availability zone, but PreferredAvailabilityZones names several.")
		}
	case single != "":
		if err := check(single); err != nil {
			return nil, "", err
		}
		if in.AZMode == api.AZModeCrossAz && num > 1 {
			return nil, "", api.ErrInvalidParameterCombinationMsg("AZMode cross-az spreads nodes over zones; give PreferredAvailabilityZones (one per node) instead of a single PreferredAvailabilityZone.")
		}
		for i := range zones {
			zones[i] = single
		}
	default:
		var first int
		s.withRand(func(r *rand.Rand) { first = r.IntN(len(available)) })
		for i := range zones {
			if eng == engine.Memcached && in.AZMode == api.AZModeCrossAz {
				zones[i] = available[(first+i)%len(available)]
			} else {
				zones[i] = available[first]
			}
		}
	}
	if distinct(zones) > 1 {
		return zones, "Multiple", nil
	}
	return zones, zones[0], nil
}

func distinct(list []string) int {
	seen := map[string]bool{}
	for _, z := range list {
		seen[z] = true
	}
	return len(seen)
}

// clustersUsing returns the clusters (those being deleted included: their
// nodes still run) for which use reports true.
func clustersUsing(tx *store.Tx, use func(*model.ClusterSpec) bool) ([]*model.Cluster, error) {
	var out []*model.Cluster
	err := tx.Clusters("", func(c *model.Cluster) bool {
		if use(&c.Spec) {
			out = append(out, c)
		}
		return true
	})
	return out, err
}

// ParseAvailabilityZones reads a comma-separated zone list (the
// --availability-zones flag): names of the region's zones, such as us-east-1a,
// each once; the default VPC has room for 16.
func ParseAvailabilityZones(region, list string) ([]string, error) {
	var zones []string
	for _, z := range strings.Split(list, ",") {
		z = strings.TrimSpace(z)
		if z == "" {
			continue
		}
		suffix, ok := strings.CutPrefix(z, region)
		if !ok || suffix == "" || strings.Trim(suffix, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
			return nil, fmt.Errorf("availability zone %q is not a zone of region %s (zones look like %sa)", z, region, region)
		}
		if slices.Contains(zones, z) {
			return nil, fmt.Errorf("availability zone %q is listed twice", z)
		}
		zones = append(zones, z)
	}
	if len(zones) == 0 {
		return nil, fmt.Errorf("no availability zone given (e.g. %sa,%sb)", region, region)
	}
	if len(zones) > 16 {
		return nil, fmt.Errorf("%d availability zones given; the default VPC (172.31.0.0/16 in /20 subnets) has room for 16", len(zones))
	}
	return zones, nil
}
