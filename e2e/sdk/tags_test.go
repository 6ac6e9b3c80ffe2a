package sdk_test

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/elasticache/types"
	"github.com/aws/smithy-go"

	"github.com/cacheplane/cacheplane/internal/engine"
)

// blockTags is this file's node address block (127.78.44.0/24), far from the
// blocks of sdk_test.go.
const blockTags = 44

// tagStrings renders tags as "k=v" ("k" for a null value), in order.
func tagStrings(tags []types.Tag) []string {
	out := []string{}
	for _, t := range tags {
		s := aws.ToString(t.Key)
		if t.Value != nil {
			s += "=" + *t.Value
		}
		out = append(out, s)
	}
	return out
}

// TestTagsRoundTrip: the three tagging operations through the Go SDK on a
// running redis cluster, the default parameter group and the default subnet
// group, and their modelled faults.
func TestTagsRoundTrip(t *testing.T) {
	requireEngines(t, engine.Redis)
	t.Parallel()
	e := newEnv(t, blockTags)
	s := e.start()
	ctx := testCtx(t)
	c := s.client

	created, err := c.CreateCacheCluster(ctx, &elasticache.CreateCacheClusterInput{
		CacheClusterId: aws.String("sdk-tags"),
		Engine:         aws.String("redis"),
		CacheNodeType:  aws.String("cache.t3.micro"),
		Port:           aws.Int32(freePort(t)),
		Tags:           []types.Tag{{Key: aws.String("env"), Value: aws.String("dev")}},
	})
	if err != nil {
		t.Fatalf("CreateCacheCluster: %v", err)
	}
	waitAvailable(t, ctx, c, "sdk-tags")
	clusterARN := aws.ToString(created.CacheCluster.ARN)
	prefix := "arn:aws:elasticache:" + region + ":" + accountID + ":"
	if clusterARN != prefix+"cluster:sdk-tags" {
		t.Fatalf("cluster ARN %q", clusterARN)
	}

	list := func(arn string) []string {
		t.Helper()
		out, err := c.ListTagsForResource(ctx, &elasticache.ListTagsForResourceInput{ResourceName: aws.String(arn)})
		if err != nil {
			t.Fatalf("ListTagsForResource(%s): %v", arn, err)
		}
		return tagStrings(out.TagList)
	}
	want := func(what string, got []string, want ...string) {
		t.Helper()
		if want == nil {
			want = []string{}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s = %q, want %q", what, got, want)
		}
	}

	for _, arn := range []string{clusterARN, prefix + "parametergroup:default.redis7", prefix + "subnetgroup:default"} {
		initial := []string{}
		if arn == clusterARN {
			initial = []string{"env=dev"}
		}
		want(arn+" initially", list(arn), initial...)
		added, err := c.AddTagsToResource(ctx, &elasticache.AddTagsToResourceInput{
			ResourceName: aws.String(arn),
			Tags: []types.Tag{
				{Key: aws.String("env"), Value: aws.String("prod")},
				{Key: aws.String("Team"), Value: aws.String("cache")},
				{Key: aws.String("scratch")},
			},
		})
		if err != nil {
			t.Fatalf("AddTagsToResource(%s): %v", arn, err)
		}
		want(arn+" after add", tagStrings(added.TagList), "env=prod", "Team=cache", "scratch")
		want(arn+" listed after add", list(arn), "env=prod", "Team=cache", "scratch")

		removed, err := c.RemoveTagsFromResource(ctx, &elasticache.RemoveTagsFromResourceInput{
			ResourceName: aws.String(arn), TagKeys: []string{"scratch", "env"},
		})
		if err != nil {
			t.Fatalf("RemoveTagsFromResource(%s): %v", arn, err)
		}
		want(arn+" after remove", tagStrings(removed.TagList), "Team=cache")
		want(arn+" listed after remove", list(arn), "Team=cache")
	}

	check := func(name string, err error, target any, code, msg string) {
		t.Helper()
		if err == nil {
			t.Errorf("%s: accepted", name)
			return
		}
		if !errors.As(err, target) {
			t.Errorf("%s: %v (%T), want %T", name, err, err, target)
		}
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != code || ae.ErrorFault() != smithy.FaultClient || !strings.Contains(ae.ErrorMessage(), msg) {
			t.Errorf("%s: API error %v, want client fault %s containing %q", name, err, code, msg)
		}
	}
	addOne := func(arn string) error {
		_, err := c.AddTagsToResource(ctx, &elasticache.AddTagsToResourceInput{ResourceName: aws.String(arn), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
		return err
	}
	_, err = c.ListTagsForResource(ctx, &elasticache.ListTagsForResourceInput{ResourceName: aws.String("sdk-tags")})
	check("bare id", err, new(*types.InvalidARNFault), "InvalidARN", "is not a valid ElastiCache ARN")
	check("other region", addOne("arn:aws:elasticache:eu-west-1:"+accountID+":cluster:sdk-tags"), new(*types.InvalidARNFault), "InvalidARN", "region")
	check("unknown type", addOne(prefix+"node:sdk-tags"), new(*types.InvalidARNFault), "InvalidARN", "cannot be tagged")
	check("missing cluster", addOne(prefix+"cluster:no-such"), new(*types.CacheClusterNotFoundFault), "CacheClusterNotFound", "CacheCluster not found: no-such")
	check("missing parameter group", addOne(prefix+"parametergroup:no-such"), new(*types.CacheParameterGroupNotFoundFault), "CacheParameterGroupNotFound", "no-such")
	check("missing subnet group", addOne(prefix+"subnetgroup:no-such"), new(*types.CacheSubnetGroupNotFoundFault), "CacheSubnetGroupNotFoundFault", "no-such")
	check("missing snapshot", addOne(prefix+"snapshot:no-such"), new(*types.SnapshotNotFoundFault), "SnapshotNotFoundFault", "no-such")
	check("missing replication group", addOne(prefix+"replicationgroup:no-such"), new(*types.ReplicationGroupNotFoundFault), "ReplicationGroupNotFoundFault", "no-such")
	check("reserved key prefix", func() error {
		_, err := c.AddTagsToResource(ctx, &elasticache.AddTagsToResourceInput{ResourceName: aws.String(clusterARN), Tags: []types.Tag{{Key: aws.String("aws:owner"), Value: aws.String("x")}}})
		return err
	}(), new(*types.InvalidParameterValueException), "InvalidParameterValue", "aws:")
	check("51 tags", func() error {
		var tags []types.Tag
		for i := range 50 { // with the Team tag already there: 51
			tags = append(tags, types.Tag{Key: aws.String("k" + strconv.Itoa(i)), Value: aws.String("v")})
		}
		_, err := c.AddTagsToResource(ctx, &elasticache.AddTagsToResourceInput{ResourceName: aws.String(clusterARN), Tags: tags})
		return err
	}(), new(*types.TagQuotaPerResourceExceeded), "TagQuotaPerResourceExceeded", "51")
	_, err = c.RemoveTagsFromResource(ctx, &elasticache.RemoveTagsFromResourceInput{ResourceName: aws.String(clusterARN), TagKeys: []string{"Team", "team"}})
	check("absent key", err, new(*types.TagNotFoundFault), "TagNotFound", "'team'")
	// The refusals changed nothing.
	want("cluster after refusals", list(clusterARN), "Team=cache")

	deleteAndWait(t, ctx, e, s, "sdk-tags")
	_, err = c.ListTagsForResource(ctx, &elasticache.ListTagsForResourceInput{ResourceName: aws.String(clusterARN)})
	check("deleted cluster", err, new(*types.CacheClusterNotFoundFault), "CacheClusterNotFound", "sdk-tags")
}
