package service

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"

	"github.com/cacheplane/cacheplane/internal/api"
	"github.com/cacheplane/cacheplane/internal/model"
	"github.com/cacheplane/cacheplane/internal/store"
)

// Cache security groups, EC2-Classic style: a named list of EC2 security
// groups (name + owning account) allowed in. The built-in "default" group
// always exists; it gets a record once ingress is authorized on it.

// securityGroupNameRE: the model says "no more than 255 alphanumeric
// characters", and its own examples (my-cache-sec-grp) have hyphens.
var securityGroupNameRE = regexp.MustCompile(`^[A-Za-z0-9-]{1,255}$`)

// ec2OwnerIDRE: an AWS account number (the model's example has 10 digits).
var ec2OwnerIDRE = regexp.MustCompile(`^[0-9]{1,12}$`)

// Authorization statuses of EC2SecurityGroup.
const statusAuthorized = "authorized"

// CreateCacheSecurityGroup records a new cache security group with its tags.
func (s *Service) CreateCacheSecurityGroup(ctx context.Context, in *api.CreateCacheSecurityGroupMessage) (*api.CreateCacheSecurityGroupResult, error) {
	name := api.Deref(in.CacheSecurityGroupName)
	switch {
	case strings.TrimSpace(name) == "":
		return nil, api.ErrInvalidParameterValue("The parameter CacheSecurityGroupName must be provided and must not be blank.")
	case len(name) > 255:
		return nil, api.ErrInvalidParameterValue("The parameter CacheSecurityGroupName is longer than 255 characters.")
	case !securityGroupNameRE.MatchString(name):
		return nil, api.ErrInvalidParameterValue("Invalid CacheSecurityGroupName %s: use only ASCII letters, digits and hyphens.", name)
	case strings.EqualFold(name, model.DefaultGroupName):
		return nil, api.ErrInvalidParameterValue("The parameter CacheSecurityGroupName cannot be the word Default: the default cache security group always exists. Choose another name.")
	}
	desc := api.Deref(in.Description)
	if desc == "" {
		return nil, api.ErrInvalidParameterValue("The parameter Description must be provided and must not be blank.")
	}
	tags, verr := checkTags(in.Tags, 0)
	if verr != nil {
		return nil, verr
	}
	lower := strings.ToLower(name)
	g := &model.SecurityGroup{
		Name:        lower,
		Description: desc,
		OwnerID:     s.cfg.AccountID,
		ARN:         model.SecurityGroupARN(s.cfg.Region, s.cfg.AccountID, lower),
		CreatedAt:   s.cfg.Now().UTC(),
	}
	err := s.store.Update(func(tx *store.Tx) error {
		existing, err := s.lookupSecurityGroup(tx, lower)
		if err != nil {
			return err
		}
		if existing != nil {
			return api.ErrCacheSecurityGroupAlreadyExists("Cache security group %s already exists.", lower)
		}
		if n := s.securityGroupCount(tx); n >= s.maxSecurityGroups() {
			return api.ErrCacheSecurityGroupQuotaExceeded("The request cannot be processed because it would exceed the allowed number of cache security groups (%d, the default group included); delete a cache security group first.", s.maxSecurityGroups())
		}
		if err := tx.SetTags(g.ARN, tags); err != nil {
			return err
		}
		return tx.PutRecord(store.BucketSecurityGroups, lower, g)
	})
	if err != nil {
		return nil, err
	}
	return &api.CreateCacheSecurityGroupResult{CacheSecurityGroup: securityGroupToAPI(g)}, nil
}

// securityGroupCount counts the region's cache security groups, the default
// group included whether or not it has a record.
func (s *Service) securityGroupCount(tx *store.Tx) int {
	n := tx.CountRecords(store.BucketSecurityGroups)
	var raw json.RawMessage
	if found, _ := tx.GetRecord(store.BucketSecurityGroups, model.DefaultGroupName, &raw); !found {
		n++
	}
	return n
}

// DescribeCacheSecurityGroups lists the cache security groups in name order,
// the default group among them, or the one named.
func (s *Service) DescribeCacheSecurityGroups(ctx context.Context, in *api.DescribeCacheSecurityGroupsMessage) (*api.CacheSecurityGroupMessage, error) {
	limit, verr := maxRecords(in.MaxRecords)
	if verr != nil {
		return nil, verr
	}
	out := &api.CacheSecurityGroupMessage{CacheSecurityGroups: []api.CacheSecurityGroup{}}
	if in.CacheSecurityGroupName != nil {
		var g *model.SecurityGroup
		if err := s.store.View(func(tx *store.Tx) (err error) { g, err = s.lookupSecurityGroup(tx, *in.CacheSecurityGroupName); return }); err != nil {
			return nil, err
		}
		if g == nil {
			return nil, securityGroupNotFound(*in.CacheSecurityGroupName)
		}
		out.CacheSecurityGroups = append(out.CacheSecurityGroups, *securityGroupToAPI(g))
		return out, nil
	}
	var groups []*model.SecurityGroup
	err := s.store.View(func(tx *store.Tx) error {
		return tx.Records(store.BucketSecurityGroups, "", func(key string, raw []byte) (bool, error) {
			var g model.SecurityGroup
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
	if !slices.ContainsFunc(groups, func(g *model.SecurityGroup) bool { return g.Name == model.DefaultGroupName }) {
		groups = append(groups, s.defaultSecurityGroup())
	}
	pageOf, next := page(groups, func(g *model.SecurityGroup) string { return g.Name }, api.Deref(in.Marker), limit)
	for _, g := range pageOf {
		out.CacheSecurityGroups = append(out.CacheSecurityGroups, *securityGroupToAPI(g))
	}
	if next != "" {
		out.Marker = api.String(next)
	}
	return out, nil
}

// DeleteCacheSecurityGroup removes a group that no cluster uses, with its tags.
// The default group cannot be deleted.
func (s *Service) DeleteCacheSecurityGroup(ctx context.Context, in *api.DeleteCacheSecurityGroupMessage) error {
	name := api.Deref(in.CacheSecurityGroupName)
	if strings.TrimSpace(name) == "" {
		return api.ErrInvalidParameterValue("The parameter CacheSecurityGroupName must be provided and must not be blank.")
	}
	if strings.EqualFold(name, model.DefaultGroupName) {
		return api.ErrInvalidCacheSecurityGroupState("The default cache security group cannot be deleted.")
	}
	return s.store.Update(func(tx *store.Tx) error {
		g, err := s.lookupSecurityGroup(tx, name)
		if err != nil {
			return err
		}
		if g == nil {
			return securityGroupNotFound(name)
		}
		users, err := clustersUsing(tx, func(c *model.ClusterSpec) bool { return slices.Contains(c.SecurityGroupNames, g.Name) })
		if err != nil {
			return err
		}
		if len(users) > 0 {
			return api.ErrInvalidCacheSecurityGroupState("Cache security group %s is in use by %s; delete the cluster first.", g.Name, clusterList(users))
		}
		if err := tx.SetTags(g.ARN, nil); err != nil {
			return err
		}
		return tx.DeleteRecord(store.BucketSecurityGroups, g.Name)
	})
}

// AuthorizeCacheSecurityGroupIngress lets an EC2 security group in.
func (s *Service) AuthorizeCacheSecurityGroupIngress(ctx context.Context, in *api.AuthorizeCacheSecurityGroupIngressMessage) (*api.AuthorizeCacheSecurityGroupIngressResult, error) {
	g, err := s.changeIngress(in.CacheSecurityGroupName, in.EC2SecurityGroupName, in.EC2SecurityGroupOwnerId, func(g *model.SecurityGroup, ec2 model.EC2SecurityGroup) error {
		if slices.ContainsFunc(g.Ingress, ec2.Same) {
			return api.ErrAuthorizationAlreadyExists("EC2 security group %s of account %s is already authorized for cache security group %s.", ec2.Name, ec2.OwnerID, g.Name)
		}
		ec2.Status = statusAuthorized
		g.Ingress = append(g.Ingress, ec2)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &api.AuthorizeCacheSecurityGroupIngressResult{CacheSecurityGroup: securityGroupToAPI(g)}, nil
}

// RevokeCacheSecurityGroupIngress withdraws an authorization.
func (s *Service) RevokeCacheSecurityGroupIngress(ctx context.Context, in *api.RevokeCacheSecurityGroupIngressMessage) (*api.RevokeCacheSecurityGroupIngressResult, error) {
	g, err := s.changeIngress(in.CacheSecurityGroupName, in.EC2SecurityGroupName, in.EC2SecurityGroupOwnerId, func(g *model.SecurityGroup, ec2 model.EC2SecurityGroup) error {
		i := slices.IndexFunc(g.Ingress, ec2.Same)
		if i < 0 {
			return api.ErrAuthorizationNotFound("EC2 security group %s of account %s is not authorized for cache security group %s.", ec2.Name, ec2.OwnerID, g.Name)
		}
		g.Ingress = slices.Delete(g.Ingress, i, i+1)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &api.RevokeCacheSecurityGroupIngressResult{CacheSecurityGroup: securityGroupToAPI(g)}, nil
}

// changeIngress validates an ingress request, applies change to the group and
// writes it back, in one transaction.
func (s *Service) changeIngress(groupName, ec2Name, ec2Owner *string, change func(*model.SecurityGroup, model.EC2SecurityGroup) error) (*model.SecurityGroup, error) {
	name := api.Deref(groupName)
	if strings.TrimSpace(name) == "" {
		return nil, api.ErrInvalidParameterValue("The parameter CacheSecurityGroupName must be provided and must not be blank.")
	}
	ec2 := model.EC2SecurityGroup{Name: api.Deref(ec2Name), OwnerID: api.Deref(ec2Owner)}
	if strings.TrimSpace(ec2.Name) == "" {
		return nil, api.ErrInvalidParameterValue("The parameter EC2SecurityGroupName must be provided and must not be blank.")
	}
	if len(ec2.Name) > 255 {
		return nil, api.ErrInvalidParameterValue("The parameter EC2SecurityGroupName is longer than 255 characters.")
	}
	if !ec2OwnerIDRE.MatchString(ec2.OwnerID) {
		return nil, api.ErrInvalidParameterValue("Invalid EC2SecurityGroupOwnerId %q: give the AWS account number that owns the EC2 security group (digits, e.g. %s), not an access key id.", ec2.OwnerID, s.cfg.AccountID)
	}
	var g *model.SecurityGroup
	err := s.store.Update(func(tx *store.Tx) error {
		var err error
		if g, err = s.lookupSecurityGroup(tx, name); err != nil {
			return err
		}
		if g == nil {
			return securityGroupNotFound(name)
		}
		if err := change(g, ec2); err != nil {
			return err
		}
		return tx.PutRecord(store.BucketSecurityGroups, g.Name, g)
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// securityGroupToAPI renders a group as AWS describes it.
func securityGroupToAPI(g *model.SecurityGroup) *api.CacheSecurityGroup {
	out := &api.CacheSecurityGroup{
		OwnerId:                api.String(g.OwnerID),
		CacheSecurityGroupName: api.String(g.Name),
		Description:            api.String(g.Description),
		ARN:                    api.String(g.ARN),
		EC2SecurityGroups:      []api.EC2SecurityGroup{},
	}
	for _, e := range g.Ingress {
		out.EC2SecurityGroups = append(out.EC2SecurityGroups, api.EC2SecurityGroup{
			Status:                  api.String(e.Status),
			EC2SecurityGroupName:    api.String(e.Name),
			EC2SecurityGroupOwnerId: api.String(e.OwnerID),
		})
	}
	return out
}
