package service

import (
	"context"
	"fmt"
	"strings"

	"github.com/cacheplane/cacheplane/internal/api"
	"github.com/cacheplane/cacheplane/internal/model"
	"github.com/cacheplane/cacheplane/internal/store"
)

// ListTagsForResource lists the tags of a cluster ARN (other resource types arrive with their operations).
func (s *Service) ListTagsForResource(ctx context.Context, in *api.ListTagsForResourceMessage) (*api.TagListMessage, error) {
	arn := api.Deref(in.ResourceName)
	prefix := fmt.Sprintf("arn:aws:elasticache:%s:%s:", s.cfg.Region, s.cfg.AccountID)
	rest, ok := strings.CutPrefix(arn, prefix)
	kind, name, ok2 := strings.Cut(rest, ":")
	if !ok || !ok2 || name == "" {
		return nil, api.ErrInvalidARN("The ARN %s is not a valid ElastiCache resource ARN of this account and region (%s...).", arn, prefix)
	}
	if kind != "cluster" {
		return nil, api.ErrInvalidARN("Tags on %s resources are not supported by cacheplane yet: %s.", kind, arn)
	}
	var c *model.Cluster
	var tags []model.Tag
	err := s.store.View(func(tx *store.Tx) (err error) {
		if c, err = tx.Cluster(strings.ToLower(name)); err != nil || c == nil {
			return err
		}
		tags, err = tx.Tags(c.Spec.ARN)
		return err
	})
	if err != nil {
		return nil, err
	}
	if c == nil {
		return nil, api.ErrCacheClusterNotFound("CacheCluster not found: %s", name)
	}
	out := &api.TagListMessage{TagList: []api.Tag{}}
	for _, t := range tags {
		out.TagList = append(out.TagList, api.Tag{Key: api.String(t.Key), Value: t.Value})
	}
	return out, nil
}
