package service

import (
	"context"
	"encoding/json"
	"slices"
	"strings"

	"github.com/cacheplane/cacheplane/internal/api"
	"github.com/cacheplane/cacheplane/internal/model"
	"github.com/cacheplane/cacheplane/internal/store"
)

// Cache subnet groups: named sets of subnets of one VPC of the local layout.
// The built-in "default" group (every subnet of the default VPC) has no
// record; it cannot be modified or deleted.

// subnetGroupNameMaxLen is the model's limit on CacheSubnetGroupName.
const subnetGroupNameMaxLen = 255

// msgDefaultSubnetGroupReserved is what AWS answers for a change to a built-in
// default subnet group (the same control plane serves DAX, which answers it in
// these words).
const msgDefaultSubnetGroupReserved = "default is reserved and cannot be modified."

// CreateCacheSubnetGroup records a new subnet group after checking its name,
// description and subnets; with its tags, in one transaction.
func (s *Service) CreateCacheSubnetGroup(ctx context.Context, in *api.CreateCacheSubnetGroupMessage) (*api.CreateCacheSubnetGroupResult, error) {
	name := api.Deref(in.CacheSubnetGroupName)
	if err := checkIdentifier("CacheSubnetGroupName", "CacheSubnetGroupName", name, subnetGroupNameMaxLen); err != nil {
		return nil, err
	}
	desc := api.Deref(in.CacheSubnetGroupDescription)
	if desc == "" {
		return nil, api.ErrInvalidParameterValue("The parameter CacheSubnetGroupDescription must be provided and must not be blank.")
	}
	vpcID, subnets, verr := s.resolveSubnets(in.SubnetIds)
	if verr != nil {
		return nil, verr
	}
	tags, verr := checkTags(in.Tags, 0)
	if verr != nil {
		return nil, verr
	}
	g := &model.SubnetGroup{
		Name:        strings.ToLower(name),
		Description: desc,
		VPCID:       vpcID,
		Subnets:     subnets,
		ARN:         model.SubnetGroupARN(s.cfg.Region, s.cfg.AccountID, strings.ToLower(name)),
		CreatedAt:   s.cfg.Now().UTC(),
	}
	err := s.store.Update(func(tx *store.Tx) error {
		existing, err := s.lookupSubnetGroup(tx, g.Name)
		if err != nil {
			return err
		}
		if existing != nil {
			return api.ErrCacheSubnetGroupAlreadyExists("Cache subnet group %s already exists.", g.Name)
		}
		// The default group counts: it is one of the region's groups.
		if n := tx.CountRecords(store.BucketSubnetGroups) + 1; n >= s.maxSubnetGroups() {
			return api.ErrCacheSubnetGroupQuotaExceeded("The request cannot be processed because it would exceed the allowed number of cache subnet groups (%d, the default group included); delete a subnet group first.", s.maxSubnetGroups())
		}
		if err := tx.SetTags(g.ARN, tags); err != nil {
			return err
		}
		return tx.PutRecord(store.BucketSubnetGroups, g.Name, g)
	})
	if err != nil {
		return nil, err
	}
	return &api.CreateCacheSubnetGroupResult{CacheSubnetGroup: subnetGroupToAPI(g)}, nil
}

// resolveSubnets checks SubnetIds against the layout and returns their VPC and
// the subnets (each once, in request order). AWS answers an unknown subnet with
// InvalidParameterValue, "Some input subnets in :[...] are invalid.", naming the
// request's subnets, and subnets of two VPCs with InvalidSubnet.
func (s *Service) resolveSubnets(ids []string) (string, []model.Subnet, *api.Error) {
	var unique []string
	for _, id := range ids {
		if !slices.Contains(unique, id) {
			unique = append(unique, id)
		}
	}
	if len(unique) == 0 {
		return "", nil, api.ErrInvalidParameterValue("The parameter SubnetIds must be provided.")
	}
	if max := s.maxSubnetsPerGroup(); len(unique) > max {
		return "", nil, api.ErrCacheSubnetQuotaExceeded("The request cannot be processed because it would exceed the allowed number of subnets in a cache subnet group: %d were given, at most %d are allowed.", len(unique), max)
	}
	var subnets []model.Subnet
	var unknown []string
	for _, id := range unique {
		sn, ok := s.subnet(id)
		if !ok {
			unknown = append(unknown, id)
			continue
		}
		subnets = append(subnets, sn)
	}
	if len(unknown) > 0 {
		return "", nil, api.ErrInvalidParameterValue("Some input subnets in :[%s] are invalid. Unknown: %s; the subnets here are %s.", strings.Join(unique, ", "), strings.Join(unknown, ", "), s.knownSubnets())
	}
	for _, sn := range subnets[1:] {
		if sn.VPCID != subnets[0].VPCID {
			return "", nil, api.ErrInvalidSubnet("Subnets %s and %s are not in the same VPC (%s and %s); all subnets of a cache subnet group must be in one VPC.", subnets[0].ID, sn.ID, subnets[0].VPCID, sn.VPCID)
		}
	}
	return subnets[0].VPCID, subnets, nil
}

// knownSubnets lists the layout's subnets for messages: "subnet-… (us-east-1a, vpc-…), …".
func (s *Service) knownSubnets() string {
	var parts []string
	for _, v := range s.vpcs() {
		for _, sn := range v.Subnets {
			parts = append(parts, sn.ID+" ("+sn.AZ+", "+v.ID+")")
		}
	}
	return strings.Join(parts, ", ")
}

// DescribeCacheSubnetGroups lists the subnet groups in name order, the default
// group among them, or the one named (matched without regard to case).
func (s *Service) DescribeCacheSubnetGroups(ctx context.Context, in *api.DescribeCacheSubnetGroupsMessage) (*api.CacheSubnetGroupMessage, error) {
	limit, verr := maxRecords(in.MaxRecords)
	if verr != nil {
		return nil, verr
	}
	out := &api.CacheSubnetGroupMessage{CacheSubnetGroups: []api.CacheSubnetGroup{}}
	if in.CacheSubnetGroupName != nil {
		var g *model.SubnetGroup
		if err := s.store.View(func(tx *store.Tx) (err error) { g, err = s.lookupSubnetGroup(tx, *in.CacheSubnetGroupName); return }); err != nil {
			return nil, err
		}
		if g == nil {
			return nil, subnetGroupNotFound(*in.CacheSubnetGroupName)
		}
		out.CacheSubnetGroups = append(out.CacheSubnetGroups, *subnetGroupToAPI(g))
		return out, nil
	}
	groups := []*model.SubnetGroup{s.defaultSubnetGroup()}
	err := s.store.View(func(tx *store.Tx) error {
		return tx.Records(store.BucketSubnetGroups, "", func(key string, raw []byte) (bool, error) {
			var g model.SubnetGroup
			if err := json.Unmarshal(raw, &g); err != nil {
				return false, err
			}
			groups = append(groups, &g)
			return true, nil
		})
	})
	if err != nil {
		return nil, err
	}
	pageOf, next := page(groups, func(g *model.SubnetGroup) string { return g.Name }, api.Deref(in.Marker), limit)
	for _, g := range pageOf {
		out.CacheSubnetGroups = append(out.CacheSubnetGroups, *subnetGroupToAPI(g))
	}
	if next != "" {
		out.Marker = api.String(next)
	}
	return out, nil
}

// page sorts items by name and returns those after marker, at most limit, and
// the marker of the next page ("" on the last page). The marker is the last
// name returned, so a page is stable while groups are created or deleted.
func page[T any](items []T, name func(T) string, marker string, limit int) ([]T, string) {
	slices.SortFunc(items, func(a, b T) int { return strings.Compare(name(a), name(b)) })
	var out []T
	for _, it := range items {
		if marker != "" && name(it) <= marker {
			continue
		}
		if len(out) == limit {
			return out, name(out[limit-1])
		}
		out = append(out, it)
	}
	return out, ""
}

// ModifyCacheSubnetGroup changes a group's description and/or replaces its
// subnets. A zone where a node of a cluster in the group runs must keep a
// subnet (SubnetInUse), and such a group cannot move to another VPC.
func (s *Service) ModifyCacheSubnetGroup(ctx context.Context, in *api.ModifyCacheSubnetGroupMessage) (*api.ModifyCacheSubnetGroupResult, error) {
	name := api.Deref(in.CacheSubnetGroupName)
	if strings.TrimSpace(name) == "" {
		return nil, api.ErrInvalidParameterValue("The parameter CacheSubnetGroupName must be provided and must not be blank.")
	}
	if strings.EqualFold(name, model.DefaultGroupName) {
		return nil, api.ErrInvalidParameterValue("%s The built-in default cache subnet group always holds every subnet of the default VPC; create a group of your own to choose subnets.", msgDefaultSubnetGroupReserved)
	}
	if in.CacheSubnetGroupDescription != nil && *in.CacheSubnetGroupDescription == "" {
		return nil, api.ErrInvalidParameterValue("The parameter CacheSubnetGroupDescription must not be blank; omit it to keep the current description.")
	}
	var vpcID string
	var subnets []model.Subnet
	if in.SubnetIds != nil {
		var verr *api.Error
		if vpcID, subnets, verr = s.resolveSubnets(in.SubnetIds); verr != nil {
			return nil, verr
		}
	}
	var g *model.SubnetGroup
	err := s.store.Update(func(tx *store.Tx) error {
		var err error
		if g, err = s.lookupSubnetGroup(tx, name); err != nil {
			return err
		}
		if g == nil {
			return subnetGroupNotFound(name)
		}
		if in.CacheSubnetGroupDescription != nil {
			g.Description = *in.CacheSubnetGroupDescription
		}
		if subnets != nil {
			if err := s.checkSubnetsInUse(tx, g, vpcID, subnets); err != nil {
				return err
			}
			g.VPCID, g.Subnets = vpcID, subnets
		}
		return tx.PutRecord(store.BucketSubnetGroups, g.Name, g)
	})
	if err != nil {
		return nil, err
	}
	return &api.ModifyCacheSubnetGroupResult{CacheSubnetGroup: subnetGroupToAPI(g)}, nil
}

// checkSubnetsInUse refuses new subnets that leave a node of a cluster in the
// group without a subnet in its zone, or move such a group to another VPC.
func (s *Service) checkSubnetsInUse(tx *store.Tx, g *model.SubnetGroup, vpcID string, subnets []model.Subnet) error {
	users, err := clustersUsing(tx, func(c *model.ClusterSpec) bool { return c.SubnetGroupName == g.Name })
	if err != nil || len(users) == 0 {
		return err
	}
	if vpcID != g.VPCID {
		return api.ErrSubnetInUse("Cache subnet group %s is used by cache cluster %s in %s; its subnets cannot move to %s.", g.Name, users[0].Spec.ID, g.VPCID, vpcID)
	}
	kept := map[string]bool{}
	for _, sn := range subnets {
		kept[sn.AZ] = true
	}
	for _, c := range users {
		for _, n := range c.Spec.Nodes {
			if kept[n.AZ] {
				continue
			}
			var removed []string
			for _, sn := range g.Subnets {
				if sn.AZ == n.AZ {
					removed = append(removed, sn.ID)
				}
			}
			return api.ErrSubnetInUse("The subnet %s (%s) is in use: node %s of cache cluster %s runs in %s. Keep a subnet of %s in the group, or delete the cluster first.", strings.Join(removed, ", "), n.AZ, n.ID, c.Spec.ID, n.AZ, n.AZ)
		}
	}
	return nil
}

// DeleteCacheSubnetGroup removes a group that no cluster uses, with its tags.
func (s *Service) DeleteCacheSubnetGroup(ctx context.Context, in *api.DeleteCacheSubnetGroupMessage) error {
	name := api.Deref(in.CacheSubnetGroupName)
	if strings.TrimSpace(name) == "" {
		return api.ErrInvalidParameterValue("The parameter CacheSubnetGroupName must be provided and must not be blank.")
	}
	if strings.EqualFold(name, model.DefaultGroupName) {
		return api.ErrInvalidParameterValue("%s The built-in default cache subnet group cannot be deleted.", msgDefaultSubnetGroupReserved)
	}
	return s.store.Update(func(tx *store.Tx) error {
		g, err := s.lookupSubnetGroup(tx, name)
		if err != nil {
			return err
		}
		if g == nil {
			return subnetGroupNotFound(name)
		}
		users, err := clustersUsing(tx, func(c *model.ClusterSpec) bool { return c.SubnetGroupName == g.Name })
		if err != nil {
			return err
		}
		if len(users) > 0 {
			return api.ErrCacheSubnetGroupInUse("Cache subnet group %s is currently in use by a cache cluster (%s); delete %s first.", g.Name, users[0].Spec.ID, clusterList(users))
		}
		if err := tx.SetTags(g.ARN, nil); err != nil {
			return err
		}
		return tx.DeleteRecord(store.BucketSubnetGroups, g.Name)
	})
}

// clusterList names clusters for messages: "cache cluster a" or "cache clusters a, b".
func clusterList(cs []*model.Cluster) string {
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.Spec.ID
	}
	if len(ids) == 1 {
		return "cache cluster " + ids[0]
	}
	return "cache clusters " + strings.Join(ids, ", ")
}

// subnetGroupToAPI renders a group as AWS describes it.
func subnetGroupToAPI(g *model.SubnetGroup) *api.CacheSubnetGroup {
	out := &api.CacheSubnetGroup{
		CacheSubnetGroupName:        api.String(g.Name),
		CacheSubnetGroupDescription: api.String(g.Description),
		VpcId:                       api.String(g.VPCID),
		ARN:                         api.String(g.ARN),
		Subnets:                     []api.Subnet{},
		SupportedNetworkTypes:       networkTypes(g.NetworkTypes()),
	}
	for _, sn := range g.Subnets {
		out.Subnets = append(out.Subnets, api.Subnet{
			SubnetIdentifier:       api.String(sn.ID),
			SubnetAvailabilityZone: &api.AvailabilityZone{Name: api.String(sn.AZ)},
			SupportedNetworkTypes:  networkTypes(sn.NetworkTypes),
		})
	}
	return out
}

func networkTypes(types []string) []api.NetworkType {
	out := make([]api.NetworkType, len(types))
	for i, t := range types {
		out[i] = api.NetworkType(t)
	}
	return out
}
