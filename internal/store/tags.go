package store

import "github.com/cacheplane/cacheplane/internal/model"

// Bucket names of the resource families kept as generic records.
const (
	BucketTags            = "tags"            // ARN -> []model.Tag, for every taggable resource
	BucketParameterGroups = "parametergroups" // lowercase name -> custom parameter group
	BucketSubnetGroups    = "subnetgroups"    // lowercase name -> subnet group
	BucketSecurityGroups  = "securitygroups"  // lowercase name -> cache security group
	BucketEvents          = "events"          // time-ordered key -> event
)

// Tags returns the tags of the resource with that ARN (nil when it has none).
// Tags live apart from the resources so that one mechanism serves every type.
func (t *Tx) Tags(arn string) ([]model.Tag, error) {
	var tags []model.Tag
	_, err := t.GetRecord(BucketTags, arn, &tags)
	return tags, err
}

// SetTags replaces the tags of a resource; no tags removes the entry.
func (t *Tx) SetTags(arn string, tags []model.Tag) error {
	if len(tags) == 0 {
		return t.DeleteRecord(BucketTags, arn)
	}
	return t.PutRecord(BucketTags, arn, tags)
}
