package service

import (
	"math/rand/v2"
	"strings"

	"github.com/cacheplane/cacheplane/internal/api"
	"github.com/cacheplane/cacheplane/internal/engine"
	"github.com/cacheplane/cacheplane/internal/store"
)

// subnetGroupFor resolves CacheSubnetGroupName (default: "default") and returns
// the zones its subnets are in. Only the built-in default group exists until
// the subnet group operations are implemented.
func (s *Service) subnetGroupFor(tx *store.Tx, name *string) (string, []string, *api.Error) {
	if name == nil {
		return "default", s.cfg.AvailabilityZones, nil
	}
	lower := strings.ToLower(*name)
	if strings.TrimSpace(lower) == "" {
		return "", nil, api.ErrInvalidParameterValue("The parameter CacheSubnetGroupName must be provided and must not be blank.")
	}
	if lower != "default" {
		return "", nil, api.ErrCacheSubnetGroupNotFound("CacheSubnetGroup %s not found.", lower)
	}
	return lower, s.cfg.AvailabilityZones, nil
}

// securityGroupsFor resolves CacheSecurityGroupNames (only the built-in
// "default" group exists so far) and checks the form of VPC SecurityGroupIds.
func (s *Service) securityGroupsFor(tx *store.Tx, names, ids []string) ([]string, *api.Error) {
	var out []string
	for _, name := range names {
		if strings.ToLower(name) != "default" {
			return nil, api.ErrCacheSecurityGroupNotFound("CacheSecurityGroup %s not found.", name)
		}
		out = append(out, "default")
	}
	for _, sg := range ids {
		if !securityGroupIDRE.MatchString(sg) {
			return nil, api.ErrInvalidParameterValue("Invalid security group id %s: a VPC security group id looks like sg-0123456789abcdef0.", sg)
		}
	}
	return out, nil
}

// zonesFor places each node in a zone and returns the cluster's PreferredAvailabilityZone
// (the zone, or "Multiple" when the nodes span several).
func (s *Service) zonesFor(in *api.CreateCacheClusterMessage, eng engine.Name, num int, available []string) ([]string, string, *api.Error) {
	known := map[string]bool{}
	for _, z := range available {
		known[z] = true
	}
	check := func(z string) *api.Error {
		if !known[z] {
			return api.ErrInvalidParameterValue("Availability zone %s is not available to this cluster: its subnet group has %s.", z, strings.Join(available, ", "))
		}
		return nil
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
