package service

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/cacheplane/cacheplane/internal/api"
	"github.com/cacheplane/cacheplane/internal/engine"
	"github.com/cacheplane/cacheplane/internal/model"
	"github.com/cacheplane/cacheplane/internal/store"
)

// Tagging. Tags live in the store apart from the resources, keyed by the
// resource's canonical ARN (store.Tx.Tags), so one mechanism serves every
// taggable type; each type only has to say how to find its resource. A
// resource's own delete drops its tags in the same transaction.

// taggableType is one resource type of an ElastiCache ARN
// (arn:aws:elasticache:<region>:<account>:<type>:<name>, aws-behaviour.md §1.2).
type taggableType struct {
	// find looks the resource up inside the caller's transaction and returns the
	// name its tags are keyed under: the lowercase form where AWS folds names.
	find func(tx *store.Tx, name string) (canonical string, found bool, err error)
	// notFound is the type's own fault, as the tagging operations declare them.
	notFound func(name string) *api.Error
}

// taggableTypes maps the ARN resource type to its lookup. Types whose
// operations do not exist yet have no resources, so every name is not found.
var taggableTypes = map[string]taggableType{
	"cluster": {
		find: func(tx *store.Tx, name string) (string, bool, error) {
			id := strings.ToLower(name)
			c, err := tx.Cluster(id)
			return id, c != nil, err
		},
		notFound: func(name string) *api.Error {
			return api.ErrCacheClusterNotFound("CacheCluster not found: %s", strings.ToLower(name))
		},
	},
	"parametergroup": {
		find: func(tx *store.Tx, name string) (string, bool, error) {
			return builtInOrRecord(tx, store.BucketParameterGroups, name, engine.DefaultParameterGroups())
		},
		notFound: func(name string) *api.Error {
			return api.ErrCacheParameterGroupNotFound("CacheParameterGroup %s not found.", name)
		},
	},
	"subnetgroup": {
		find: func(tx *store.Tx, name string) (string, bool, error) {
			return builtInOrRecord(tx, store.BucketSubnetGroups, name, []string{"default"})
		},
		notFound: subnetGroupNotFound,
	},
	"securitygroup": {
		find: func(tx *store.Tx, name string) (string, bool, error) {
			return builtInOrRecord(tx, store.BucketSecurityGroups, name, []string{"default"})
		},
		notFound: func(name string) *api.Error {
			return api.ErrCacheSecurityGroupNotFound("CacheSecurityGroup %s not found.", name)
		},
	},
	"snapshot":           noResources(api.ErrSnapshotNotFound, "Snapshot %s not found."),
	"replicationgroup":   noResources(api.ErrReplicationGroupNotFound, "ReplicationGroup not found: %s"),
	"user":               noResources(api.ErrUserNotFound, "User %s not found."),
	"usergroup":          noResources(api.ErrUserGroupNotFound, "User group %s not found."),
	"reserved-instance":  noResources(api.ErrReservedCacheNodeNotFound, "ReservedCacheNode %s not found."),
	"serverlesscache":    noResources(api.ErrServerlessCacheNotFound, "ServerlessCache %s not found."),
	"serverlesssnapshot": noResources(api.ErrServerlessCacheSnapshotNotFound, "ServerlessCacheSnapshot %s not found."),
}

// builtInOrRecord finds a resource that is either built in (the default groups,
// which have no record) or a record of bucket under its lowercase name. Only
// the record's presence matters here, not its format.
func builtInOrRecord(tx *store.Tx, bucket, name string, builtIn []string) (string, bool, error) {
	lower := strings.ToLower(name)
	if slices.Contains(builtIn, lower) {
		return lower, true, nil
	}
	var raw json.RawMessage
	found, err := tx.GetRecord(bucket, lower, &raw)
	return lower, found, err
}

// noResources is the lookup of a type cacheplane cannot create yet.
func noResources(fault func(string, ...any) *api.Error, format string) taggableType {
	return taggableType{
		find:     func(_ *store.Tx, name string) (string, bool, error) { return name, false, nil },
		notFound: func(name string) *api.Error { return fault(format, name) },
	}
}

// taggableTypeNames lists the accepted types for InvalidARN messages.
func taggableTypeNames() string {
	names := make([]string, 0, len(taggableTypes))
	for n := range taggableTypes {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// taggedResource is the resource a tagging request's ResourceName names.
type taggedResource struct {
	arn  string // as the caller wrote it
	kind string // ARN resource type
	name string // as written in the ARN
	typ  taggableType
}

// parseTaggedARN parses ResourceName. Anything that is not an ElastiCache ARN of
// this region and account is InvalidARN, with a message saying which part is wrong.
func (s *Service) parseTaggedARN(arn string) (taggedResource, *api.Error) {
	const form = "arn:aws:elasticache:<region>:<account>:<resource-type>:<name>"
	if strings.TrimSpace(arn) == "" {
		return taggedResource{}, api.ErrInvalidARN("The parameter ResourceName must be provided: give the ARN of the resource, %s.", form)
	}
	if strings.Contains(arn, ":globalreplicationgroup:") {
		return taggedResource{}, api.ErrInvalidARN("Global replication groups cannot be tagged: %s.", arn)
	}
	parts := strings.SplitN(arn, ":", 7)
	if len(parts) < 7 || parts[0] != "arn" {
		return taggedResource{}, api.ErrInvalidARN("%s is not a valid ElastiCache ARN; the form is %s.", arn, form)
	}
	partition, service, region, account, kind, name := parts[1], parts[2], parts[3], parts[4], parts[5], parts[6]
	switch {
	case partition != "aws":
		return taggedResource{}, api.ErrInvalidARN("The ARN %s is in partition %q; this endpoint serves partition \"aws\".", arn, partition)
	case service != "elasticache":
		return taggedResource{}, api.ErrInvalidARN("The ARN %s names a resource of service %q, not of \"elasticache\".", arn, service)
	case region != s.cfg.Region:
		return taggedResource{}, api.ErrInvalidARN("The ARN %s is in region %q; this endpoint serves region %s.", arn, region, s.cfg.Region)
	case account != s.cfg.AccountID:
		return taggedResource{}, api.ErrInvalidARN("The ARN %s belongs to account %q; this endpoint serves account %s.", arn, account, s.cfg.AccountID)
	}
	typ, ok := taggableTypes[kind]
	if !ok {
		return taggedResource{}, api.ErrInvalidARN("The ARN %s has resource type %q, which cannot be tagged; the taggable types are %s.", arn, kind, taggableTypeNames())
	}
	if strings.TrimSpace(name) == "" {
		return taggedResource{}, api.ErrInvalidARN("The ARN %s names no %s: the part after %q is empty.", arn, kind, kind+":")
	}
	return taggedResource{arn: arn, kind: kind, name: name, typ: typ}, nil
}

// tagsKey looks the resource up inside tx and returns the ARN its tags are
// stored under, or the type's NotFound fault.
func (s *Service) tagsKey(tx *store.Tx, r taggedResource) (string, error) {
	canonical, found, err := r.typ.find(tx, r.name)
	if err != nil {
		return "", err
	}
	if !found {
		return "", r.typ.notFound(r.name)
	}
	return s.arnOf(r.kind, canonical), nil
}

// arnOf is the canonical ARN of a resource of this region and account; for a
// cluster it equals model.ClusterARN.
func (s *Service) arnOf(kind, name string) string {
	return fmt.Sprintf("arn:aws:elasticache:%s:%s:%s:%s", s.cfg.Region, s.cfg.AccountID, kind, name)
}

// ListTagsForResource lists the tags of any taggable resource; a resource
// without tags has an empty list.
func (s *Service) ListTagsForResource(ctx context.Context, in *api.ListTagsForResourceMessage) (*api.TagListMessage, error) {
	r, aerr := s.parseTaggedARN(api.Deref(in.ResourceName))
	if aerr != nil {
		return nil, aerr
	}
	var tags []model.Tag
	err := s.store.View(func(tx *store.Tx) error {
		key, err := s.tagsKey(tx, r)
		if err != nil {
			return err
		}
		tags, err = tx.Tags(key)
		return err
	})
	if err != nil {
		return nil, err
	}
	return tagListMessage(tags), nil
}

// AddTagsToResource merges the tags into the resource's: a key it already has
// gets the new value. The result must stay within the 50-tag quota; a refused
// request changes nothing.
func (s *Service) AddTagsToResource(ctx context.Context, in *api.AddTagsToResourceMessage) (*api.TagListMessage, error) {
	r, aerr := s.parseTaggedARN(api.Deref(in.ResourceName))
	if aerr != nil {
		return nil, aerr
	}
	var result []model.Tag
	err := s.store.Update(func(tx *store.Tx) error {
		key, err := s.tagsKey(tx, r)
		if err != nil {
			return err
		}
		existing, err := tx.Tags(key)
		if err != nil {
			return err
		}
		// checkTags counts the quota as existing + new; tags this request
		// replaces are not counted twice.
		named := map[string]bool{}
		for _, t := range in.Tags {
			named[api.Deref(t.Key)] = true
		}
		kept := 0
		for _, t := range existing {
			if !named[t.Key] {
				kept++
			}
		}
		added, verr := checkTags(in.Tags, kept)
		if verr != nil {
			return verr
		}
		result = mergeTags(existing, added)
		return tx.SetTags(key, result)
	})
	if err != nil {
		return nil, err
	}
	return tagListMessage(result), nil
}

// RemoveTagsFromResource removes the tags with the given keys. The model
// declares TagNotFound (404) for this operation alone, for a key the resource
// does not have; the request is then refused as a whole, so that a typo in
// one key never leaves a partly changed resource.
func (s *Service) RemoveTagsFromResource(ctx context.Context, in *api.RemoveTagsFromResourceMessage) (*api.TagListMessage, error) {
	r, aerr := s.parseTaggedARN(api.Deref(in.ResourceName))
	if aerr != nil {
		return nil, aerr
	}
	remove := map[string]bool{}
	for i, k := range in.TagKeys {
		if k == "" {
			return nil, api.ErrInvalidParameterValue("TagKeys.member.%d is empty; give the key of each tag to remove.", i+1)
		}
		remove[k] = true
	}
	var result []model.Tag
	err := s.store.Update(func(tx *store.Tx) error {
		key, err := s.tagsKey(tx, r)
		if err != nil {
			return err
		}
		existing, err := tx.Tags(key)
		if err != nil {
			return err
		}
		has := map[string]bool{}
		for _, t := range existing {
			has[t.Key] = true
		}
		var missing []string
		for _, k := range in.TagKeys {
			if !has[k] && !slices.Contains(missing, k) {
				missing = append(missing, k)
			}
		}
		if len(missing) > 0 {
			noun := "key"
			if len(missing) > 1 {
				noun = "keys"
			}
			return api.ErrTagNotFound("The resource %s has no tag with %s %s (tag keys are case-sensitive); no tag was removed.", r.arn, noun, quoteList(missing))
		}
		result = slices.DeleteFunc(existing, func(t model.Tag) bool { return remove[t.Key] })
		return tx.SetTags(key, result)
	})
	if err != nil {
		return nil, err
	}
	return tagListMessage(result), nil
}

// mergeTags gives existing keys their new values in place and appends new keys
// in request order.
func mergeTags(existing, added []model.Tag) []model.Tag {
	out := slices.Clone(existing)
	at := map[string]int{}
	for i, t := range out {
		at[t.Key] = i
	}
	for _, t := range added {
		if i, ok := at[t.Key]; ok {
			out[i].Value = t.Value
			continue
		}
		out = append(out, t)
	}
	return out
}

func tagListMessage(tags []model.Tag) *api.TagListMessage {
	out := &api.TagListMessage{TagList: []api.Tag{}}
	for _, t := range tags {
		out.TagList = append(out.TagList, api.Tag{Key: api.String(t.Key), Value: t.Value})
	}
	return out
}

func quoteList(keys []string) string {
	q := make([]string, len(keys))
	for i, k := range keys {
		q[i] = "'" + k + "'"
	}
	return strings.Join(q, ", ")
}
