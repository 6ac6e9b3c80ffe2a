package service_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/cacheplane/cacheplane/internal/api"
	"github.com/cacheplane/cacheplane/internal/model"
	"github.com/cacheplane/cacheplane/internal/service"
	"github.com/cacheplane/cacheplane/internal/store"
)

const tagARNPrefix = "arn:aws:elasticache:" + testRegion + ":" + testAccount + ":"

func tagKV(k, v string) api.Tag { return api.Tag{Key: api.String(k), Value: api.String(v)} }

// tagNull is a tag whose value is null (no Value on the wire).
func tagNull(k string) api.Tag { return api.Tag{Key: api.String(k)} }

// numberedTagList is n tags prefix00=v .. prefix(n-1)=v.
func numberedTagList(prefix string, n int) []api.Tag {
	out := make([]api.Tag, n)
	for i := range out {
		out[i] = tagKV(fmt.Sprintf("%s%02d", prefix, i), "v")
	}
	return out
}

// renderTags shows a tag list as "k=v" (and "k" for a null value), in order.
func renderTags(tags []api.Tag) []string {
	out := []string{}
	for _, t := range tags {
		s := api.Deref(t.Key)
		if t.Value != nil {
			s += "=" + *t.Value
		}
		out = append(out, s)
	}
	return out
}

// tagOps calls one of the three tagging operations on an ARN with harmless arguments.
var tagOps = map[string]func(svc *service.Service, arn string) (*api.TagListMessage, error){
	"ListTagsForResource": func(svc *service.Service, arn string) (*api.TagListMessage, error) {
		return svc.ListTagsForResource(context.Background(), &api.ListTagsForResourceMessage{ResourceName: api.String(arn)})
	},
	"AddTagsToResource": func(svc *service.Service, arn string) (*api.TagListMessage, error) {
		return svc.AddTagsToResource(context.Background(), &api.AddTagsToResourceMessage{ResourceName: api.String(arn), Tags: []api.Tag{tagKV("k", "v")}})
	},
	"RemoveTagsFromResource": func(svc *service.Service, arn string) (*api.TagListMessage, error) {
		return svc.RemoveTagsFromResource(context.Background(), &api.RemoveTagsFromResourceMessage{ResourceName: api.String(arn), TagKeys: []string{"k"}})
	},
}

func listTagsOf(t *testing.T, svc *service.Service, arn string) []string {
	t.Helper()
	out, err := svc.ListTagsForResource(context.Background(), &api.ListTagsForResourceMessage{ResourceName: api.String(arn)})
	if err != nil {
		t.Fatalf("ListTagsForResource(%s): %v", arn, err)
	}
	if out.TagList == nil {
		t.Errorf("ListTagsForResource(%s): TagList is nil, want an empty list", arn)
	}
	return renderTags(out.TagList)
}

func addTagsTo(t *testing.T, svc *service.Service, arn string, tags ...api.Tag) []string {
	t.Helper()
	out, err := svc.AddTagsToResource(context.Background(), &api.AddTagsToResourceMessage{ResourceName: api.String(arn), Tags: tags})
	if err != nil {
		t.Fatalf("AddTagsToResource(%s): %v", arn, err)
	}
	return renderTags(out.TagList)
}

func removeTagsFrom(t *testing.T, svc *service.Service, arn string, keys ...string) []string {
	t.Helper()
	out, err := svc.RemoveTagsFromResource(context.Background(), &api.RemoveTagsFromResourceMessage{ResourceName: api.String(arn), TagKeys: keys})
	if err != nil {
		t.Fatalf("RemoveTagsFromResource(%s): %v", arn, err)
	}
	if out.TagList == nil {
		t.Errorf("RemoveTagsFromResource(%s): TagList is nil, want a list", arn)
	}
	return renderTags(out.TagList)
}

func wantTagList(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

func TestTaggingInvalidARN(t *testing.T) {
	svc, _ := newService(t)
	mustCreate(t, svc, redis(withID("c1")))
	for _, tc := range []struct {
		name, arn, msg string
	}{
		{"empty", "", "must be provided"},
		{"blank", "   ", "must be provided"},
		{"not an ARN", "c1", "is not a valid ElastiCache ARN"},
		{"bare cluster id with colons", "cluster:c1", "is not a valid ElastiCache ARN"},
		{"too few parts", "arn:aws:elasticache:us-east-1:123456789012:cluster", "is not a valid ElastiCache ARN"},
		{"no arn: prefix", "urn:aws:elasticache:us-east-1:123456789012:cluster:c1", "is not a valid ElastiCache ARN"},
		{"other partition", "arn:aws-cn:elasticache:us-east-1:123456789012:cluster:c1", `partition "aws-cn"`},
		{"other service", "arn:aws:rds:us-east-1:123456789012:cluster:c1", `service "rds"`},
		{"other region", "arn:aws:elasticache:eu-west-1:123456789012:cluster:c1", `region "eu-west-1"; this endpoint serves region us-east-1`},
		{"other account", "arn:aws:elasticache:us-east-1:000000000000:cluster:c1", `account "000000000000"; this endpoint serves account 123456789012`},
		{"empty account", "arn:aws:elasticache:us-east-1::cluster:c1", `account ""`},
		{"unknown type", tagARNPrefix + "node:c1", `resource type "node", which cannot be tagged`},
		{"type is case-sensitive", tagARNPrefix + "Cluster:c1", `resource type "Cluster"`},
		{"empty type", tagARNPrefix + ":c1", `resource type ""`},
		{"global replication group", tagARNPrefix + "globalreplicationgroup:g1", "Global replication groups cannot be tagged"},
		{"global replication group, documented form", "arn:aws:elasticache:123456789012:globalreplicationgroup:g1", "Global replication groups cannot be tagged"},
		{"empty name", tagARNPrefix + "cluster:", "names no cluster"},
		{"empty parameter group name", tagARNPrefix + "parametergroup:", "names no parametergroup"},
	} {
		for op, call := range tagOps {
			t.Run(tc.name+"/"+op, func(t *testing.T) {
				_, err := call(svc, tc.arn)
				wantAPIError(t, err, "InvalidARN", 400, tc.msg)
			})
		}
	}
	// The unknown-type message lists what can be tagged.
	_, err := svc.ListTagsForResource(context.Background(), &api.ListTagsForResourceMessage{ResourceName: api.String(tagARNPrefix + "node:c1")})
	wantAPIError(t, err, "InvalidARN", 400, "cluster, parametergroup, replicationgroup, reserved-instance, securitygroup, serverlesscache, serverlesssnapshot, snapshot, subnetgroup, user, usergroup")
	// Nothing was tagged by the refused requests.
	wantTagList(t, "tags of c1", listTagsOf(t, svc, tagARNPrefix+"cluster:c1"))
}

func TestTaggingNotFoundPerType(t *testing.T) {
	svc, st := newService(t)
	mustCreate(t, svc, redis(withID("present")))
	// A record of another family never makes a name exist in this one.
	if err := st.Update(func(tx *store.Tx) error {
		return tx.PutRecord(store.BucketSubnetGroups, "only-a-subnet-group", map[string]string{"name": "only-a-subnet-group"})
	}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		arn, code string
		status    int
		msg       string
	}{
		{tagARNPrefix + "cluster:absent", "CacheClusterNotFound", 404, "CacheCluster not found: absent"},
		{tagARNPrefix + "cluster:Absent", "CacheClusterNotFound", 404, "CacheCluster not found: absent"},
		{tagARNPrefix + "cluster:present-2", "CacheClusterNotFound", 404, "CacheCluster not found: present-2"},
		{tagARNPrefix + "parametergroup:my-params", "CacheParameterGroupNotFound", 404, "CacheParameterGroup my-params not found."},
		{tagARNPrefix + "parametergroup:default.redis99", "CacheParameterGroupNotFound", 404, "default.redis99"},
		{tagARNPrefix + "parametergroup:only-a-subnet-group", "CacheParameterGroupNotFound", 404, ""},
		{tagARNPrefix + "subnetgroup:my-subnets", "CacheSubnetGroupNotFoundFault", 400, "Cache Subnet Group my-subnets does not exist."},
		{tagARNPrefix + "subnetgroup:default.redis7", "CacheSubnetGroupNotFoundFault", 400, ""},
		{tagARNPrefix + "securitygroup:my-sg", "CacheSecurityGroupNotFound", 404, "CacheSecurityGroup my-sg not found."},
		{tagARNPrefix + "securitygroup:only-a-subnet-group", "CacheSecurityGroupNotFound", 404, ""},
		{tagARNPrefix + "snapshot:snap1", "SnapshotNotFoundFault", 404, "Snapshot snap1 not found."},
		{tagARNPrefix + "replicationgroup:rg1", "ReplicationGroupNotFoundFault", 404, "ReplicationGroup not found: rg1"},
		{tagARNPrefix + "replicationgroup:present", "ReplicationGroupNotFoundFault", 404, ""},
		{tagARNPrefix + "user:u1", "UserNotFound", 404, "User u1 not found."},
		{tagARNPrefix + "usergroup:ug1", "UserGroupNotFound", 404, "User group ug1 not found."},
		{tagARNPrefix + "reserved-instance:ri1", "ReservedCacheNodeNotFound", 404, "ReservedCacheNode ri1 not found."},
		{tagARNPrefix + "serverlesscache:sc1", "ServerlessCacheNotFoundFault", 404, "ServerlessCache sc1 not found."},
		{tagARNPrefix + "serverlesssnapshot:ss1", "ServerlessCacheSnapshotNotFoundFault", 404, "ServerlessCacheSnapshot ss1 not found."},
	} {
		for op, call := range tagOps {
			t.Run(strings.TrimPrefix(tc.arn, tagARNPrefix)+"/"+op, func(t *testing.T) {
				_, err := call(svc, tc.arn)
				wantAPIError(t, err, tc.code, tc.status, tc.msg)
			})
		}
	}
	// Refused adds stored nothing.
	err := st.View(func(tx *store.Tx) error {
		if n := tx.CountRecords(store.BucketTags); n != 0 {
			t.Errorf("%d tag records after refused requests, want 0", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestTaggingEveryExistingType: add, list and remove on each kind of resource
// that can exist today, built in or recorded by its own operations.
func TestTaggingEveryExistingType(t *testing.T) {
	svc, st := newService(t)
	mustCreate(t, svc, redis(withID("My-Cluster")))
	// Records as the group operations write them; only the key matters to tagging.
	err := st.Update(func(tx *store.Tx) error {
		for _, b := range []string{store.BucketParameterGroups, store.BucketSubnetGroups, store.BucketSecurityGroups} {
			if err := tx.PutRecord(b, "custom-group", map[string]any{"name": "custom-group", "description": "made by a test"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		arn   string // as the caller writes it
		alias string // another spelling of the same resource
	}{
		{tagARNPrefix + "cluster:my-cluster", tagARNPrefix + "cluster:MY-CLUSTER"},
		{tagARNPrefix + "parametergroup:default.redis7", tagARNPrefix + "parametergroup:Default.Redis7"},
		{tagARNPrefix + "parametergroup:default.redis7.cluster.on", ""},
		{tagARNPrefix + "parametergroup:default.memcached1.6", ""},
		{tagARNPrefix + "parametergroup:default.valkey8", ""},
		{tagARNPrefix + "parametergroup:custom-group", tagARNPrefix + "parametergroup:Custom-Group"},
		{tagARNPrefix + "subnetgroup:default", tagARNPrefix + "subnetgroup:DEFAULT"},
		{tagARNPrefix + "subnetgroup:custom-group", ""},
		{tagARNPrefix + "securitygroup:default", ""},
		{tagARNPrefix + "securitygroup:custom-group", tagARNPrefix + "securitygroup:CUSTOM-group"},
	} {
		t.Run(strings.TrimPrefix(tc.arn, tagARNPrefix), func(t *testing.T) {
			wantTagList(t, "list before", listTagsOf(t, svc, tc.arn))
			wantTagList(t, "add", addTagsTo(t, svc, tc.arn, tagKV("team", "cache"), tagNull("scratch")), "team=cache", "scratch")
			wantTagList(t, "list after add", listTagsOf(t, svc, tc.arn), "team=cache", "scratch")
			if tc.alias != "" {
				wantTagList(t, "list by "+tc.alias, listTagsOf(t, svc, tc.alias), "team=cache", "scratch")
			}
			wantTagList(t, "remove", removeTagsFrom(t, svc, tc.arn, "scratch"), "team=cache")
			wantTagList(t, "remove last", removeTagsFrom(t, svc, tc.arn, "team"))
			wantTagList(t, "list after remove", listTagsOf(t, svc, tc.arn))
		})
	}
	// Every tag record went away with its last tag.
	_ = st.View(func(tx *store.Tx) error {
		if n := tx.CountRecords(store.BucketTags); n != 0 {
			t.Errorf("%d tag records left after removing every tag", n)
		}
		return nil
	})
}

func TestTagsOfOneResourceOnly(t *testing.T) {
	svc, _ := newService(t)
	mustCreate(t, svc, redis(withID("a")))
	mustCreate(t, svc, redis(withID("b")))
	addTagsTo(t, svc, tagARNPrefix+"cluster:a", tagKV("owner", "a"))
	addTagsTo(t, svc, tagARNPrefix+"parametergroup:default.redis7", tagKV("owner", "pg"))
	wantTagList(t, "b", listTagsOf(t, svc, tagARNPrefix+"cluster:b"))
	wantTagList(t, "a", listTagsOf(t, svc, tagARNPrefix+"cluster:a"), "owner=a")
	wantTagList(t, "default.redis7", listTagsOf(t, svc, tagARNPrefix+"parametergroup:default.redis7"), "owner=pg")
	wantTagList(t, "default.redis6.x", listTagsOf(t, svc, tagARNPrefix+"parametergroup:default.redis6.x"))
	wantTagList(t, "subnet group default", listTagsOf(t, svc, tagARNPrefix+"subnetgroup:default"))
}

func TestAddTagsToResourceRules(t *testing.T) {
	const codeIPV = "InvalidParameterValue"
	long := func(c string, n int) string { return strings.Repeat(c, n) }
	for _, tc := range []struct {
		name     string
		existing []api.Tag
		add      []api.Tag
		code     string // "" = accepted
		status   int
		msg      string
		want     []string // the resulting tags when accepted
	}{
		{name: "first tags", add: []api.Tag{tagKV("env", "prod"), tagKV("team", "cache")}, want: []string{"env=prod", "team=cache"}},
		{name: "null value allowed", add: []api.Tag{tagNull("flag")}, want: []string{"flag"}},
		{name: "empty value allowed", add: []api.Tag{tagKV("flag", "")}, want: []string{"flag="}},
		{name: "keys are case-sensitive", add: []api.Tag{tagKV("Env", "a"), tagKV("env", "b"), tagKV("ENV", "c")}, want: []string{"Env=a", "env=b", "ENV=c"}},
		{name: "merge replaces an existing value in place", existing: []api.Tag{tagKV("a", "1"), tagKV("b", "2")}, add: []api.Tag{tagKV("a", "9"), tagKV("c", "3")}, want: []string{"a=9", "b=2", "c=3"}},
		{name: "merge can null a value", existing: []api.Tag{tagKV("a", "1")}, add: []api.Tag{tagNull("a")}, want: []string{"a"}},
		{name: "merge can set a null value", existing: []api.Tag{tagNull("a")}, add: []api.Tag{tagKV("a", "x")}, want: []string{"a=x"}},
		{name: "same value again is a no-op", existing: []api.Tag{tagKV("a", "1")}, add: []api.Tag{tagKV("a", "1")}, want: []string{"a=1"}},
		{name: "repeated key in one request keeps the last value", add: []api.Tag{tagKV("a", "1"), tagKV("a", "2")}, want: []string{"a=2"}},
		{name: "no tags changes nothing", existing: []api.Tag{tagKV("a", "1")}, add: []api.Tag{}, want: []string{"a=1"}},
		{name: "key of 128 characters", add: []api.Tag{tagKV(long("k", 128), "v")}, want: []string{long("k", 128) + "=v"}},
		{name: "value of 256 characters", add: []api.Tag{tagKV("k", long("v", 256))}, want: []string{"k=" + long("v", 256)}},
		{name: "aws inside a key is fine", add: []api.Tag{tagKV("my-aws:key", "v")}, want: []string{"my-aws:key=v"}},
		{name: "50 tags", add: numberedTagList("k", 50), want: renderTags(numberedTagList("k", 50))},
		{name: "49 existing + 1 new", existing: numberedTagList("k", 49), add: []api.Tag{tagKV("new", "v")}, want: append(renderTags(numberedTagList("k", 49)), "new=v")},
		{name: "50 existing, all replaced", existing: numberedTagList("k", 50), add: numberedTagList("k", 50), want: renderTags(numberedTagList("k", 50))},
		{name: "50 existing, one replaced", existing: numberedTagList("k", 50), add: []api.Tag{tagKV("k07", "new")}, want: slices.Replace(renderTags(numberedTagList("k", 50)), 7, 8, "k07=new")},
		{name: "50 with a repeated key in the request", existing: numberedTagList("k", 49), add: []api.Tag{tagKV("x", "1"), tagKV("x", "2")}, want: append(renderTags(numberedTagList("k", 49)), "x=2")},

		{name: "51 tags", add: numberedTagList("k", 51), code: "TagQuotaPerResourceExceeded", status: 400, msg: "at most 50 tags; this request would give it 51"},
		{name: "50 existing + 1 new", existing: numberedTagList("k", 50), add: []api.Tag{tagKV("new", "v")}, code: "TagQuotaPerResourceExceeded", status: 400, msg: "would give it 51"},
		{name: "40 existing + 11 new", existing: numberedTagList("k", 40), add: numberedTagList("n", 11), code: "TagQuotaPerResourceExceeded", status: 400, msg: "would give it 51"},
		{name: "49 existing, 1 replaced + 2 new", existing: numberedTagList("k", 49), add: []api.Tag{tagKV("k00", "x"), tagKV("n1", "v"), tagKV("n2", "v")}, code: "TagQuotaPerResourceExceeded", status: 400, msg: "would give it 51"},
		{name: "no key", add: []api.Tag{{Value: api.String("v")}}, code: codeIPV, status: 400, msg: "Tag 1 has no Key"},
		{name: "empty key", existing: []api.Tag{tagKV("a", "1")}, add: []api.Tag{tagKV("b", "2"), tagKV("", "v")}, code: codeIPV, status: 400, msg: "Tag 2 has no Key"},
		{name: "key of 129 characters", add: []api.Tag{tagKV(long("k", 129), "v")}, code: codeIPV, status: 400, msg: "longer than 128 characters"},
		{name: "value of 257 characters", add: []api.Tag{tagKV("k", long("v", 257))}, code: codeIPV, status: 400, msg: "longer than 256 characters"},
		{name: "aws: prefix reserved", add: []api.Tag{tagKV("aws:cloudformation:stack-name", "s")}, code: codeIPV, status: 400, msg: "reserved for AWS use"},
		{name: "AWS: prefix reserved", add: []api.Tag{tagKV("AWS:owner", "s")}, code: codeIPV, status: 400, msg: "reserved for AWS use"},
		{name: "Aws: prefix reserved", existing: []api.Tag{tagKV("a", "1")}, add: []api.Tag{tagKV("a", "2"), tagKV("Aws:x", "s")}, code: codeIPV, status: 400, msg: "reserved for AWS use"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc, _ := newService(t)
			mustCreate(t, svc, redis(withID("c1")))
			arn := tagARNPrefix + "cluster:c1"
			if tc.existing != nil {
				addTagsTo(t, svc, arn, tc.existing...)
			}
			out, err := svc.AddTagsToResource(context.Background(), &api.AddTagsToResourceMessage{ResourceName: api.String(arn), Tags: tc.add})
			if tc.code != "" {
				wantAPIError(t, err, tc.code, tc.status, tc.msg)
				// A refused request changes nothing.
				wantTagList(t, "tags after the refusal", listTagsOf(t, svc, arn), renderTags(tc.existing)...)
				return
			}
			if err != nil {
				t.Fatalf("AddTagsToResource: %v", err)
			}
			wantTagList(t, "response TagList", renderTags(out.TagList), tc.want...)
			wantTagList(t, "ListTagsForResource", listTagsOf(t, svc, arn), tc.want...)
		})
	}
}

func TestRemoveTagsFromResourceRules(t *testing.T) {
	existing := []api.Tag{tagKV("env", "prod"), tagKV("Team", "cache"), tagNull("flag"), tagKV("aws-ish", "x")}
	for _, tc := range []struct {
		name   string
		keys   []string
		code   string // "" = accepted
		status int
		msg    string
		want   []string
	}{
		{name: "one key", keys: []string{"env"}, want: []string{"Team=cache", "flag", "aws-ish=x"}},
		{name: "several keys in any order", keys: []string{"flag", "env"}, want: []string{"Team=cache", "aws-ish=x"}},
		{name: "a key with a null value", keys: []string{"flag"}, want: []string{"env=prod", "Team=cache", "aws-ish=x"}},
		{name: "repeated key", keys: []string{"env", "env"}, want: []string{"Team=cache", "flag", "aws-ish=x"}},
		{name: "every key", keys: []string{"env", "Team", "flag", "aws-ish"}, want: nil},
		{name: "no keys changes nothing", keys: []string{}, want: renderTags(existing)},

		{name: "absent key", keys: []string{"owner"}, code: "TagNotFound", status: 404, msg: "has no tag with key 'owner' (tag keys are case-sensitive); no tag was removed"},
		{name: "keys are case-sensitive", keys: []string{"team"}, code: "TagNotFound", status: 404, msg: "key 'team'"},
		{name: "one absent key among present ones removes nothing", keys: []string{"env", "nope", "flag", "nada", "nope"}, code: "TagNotFound", status: 404, msg: "keys 'nope', 'nada'"},
		{name: "an aws: key cannot be there", keys: []string{"aws:owner"}, code: "TagNotFound", status: 404, msg: "'aws:owner'"},
		{name: "empty key", keys: []string{"env", ""}, code: "InvalidParameterValue", status: 400, msg: "TagKeys.member.2 is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc, _ := newService(t)
			mustCreate(t, svc, redis(withID("c1")))
			arn := tagARNPrefix + "cluster:c1"
			addTagsTo(t, svc, arn, existing...)
			out, err := svc.RemoveTagsFromResource(context.Background(), &api.RemoveTagsFromResourceMessage{ResourceName: api.String(arn), TagKeys: tc.keys})
			if tc.code != "" {
				wantAPIError(t, err, tc.code, tc.status, tc.msg)
				wantTagList(t, "tags after the refusal", listTagsOf(t, svc, arn), renderTags(existing)...)
				return
			}
			if err != nil {
				t.Fatalf("RemoveTagsFromResource: %v", err)
			}
			wantTagList(t, "response TagList", renderTags(out.TagList), tc.want...)
			wantTagList(t, "ListTagsForResource", listTagsOf(t, svc, arn), tc.want...)
		})
	}
}

// TestRemoveTagsFromUntaggedResource: a resource without tags has none to remove.
func TestRemoveTagsFromUntaggedResource(t *testing.T) {
	svc, _ := newService(t)
	_, err := svc.RemoveTagsFromResource(context.Background(), &api.RemoveTagsFromResourceMessage{
		ResourceName: api.String(tagARNPrefix + "subnetgroup:default"), TagKeys: []string{"env"},
	})
	wantAPIError(t, err, "TagNotFound", 404, "has no tag with key 'env'")
}

// TestClusterTagsGoWithTheCluster: tags from create are listed, merged with
// later adds, and vanish with the cluster record: a new cluster of the same
// id starts untagged.
func TestClusterTagsGoWithTheCluster(t *testing.T) {
	svc, st := newService(t)
	arn := tagARNPrefix + "cluster:c1"
	mustCreate(t, svc, redis(withID("C1"), withTag("created", api.String("yes")), withTag("env", api.String("dev"))))
	wantTagList(t, "tags from create", listTagsOf(t, svc, arn), "created=yes", "env=dev")
	wantTagList(t, "after add", addTagsTo(t, svc, arn, tagKV("env", "prod"), tagKV("owner", "me")), "created=yes", "env=prod", "owner=me")

	// Tags may still change while the cluster is being deleted.
	setStatus(t, st, "c1", model.StatusAvailable, "")
	if _, err := svc.DeleteCacheCluster(context.Background(), &api.DeleteCacheClusterMessage{CacheClusterId: api.String("c1")}); err != nil {
		t.Fatal(err)
	}
	wantTagList(t, "while deleting", removeTagsFrom(t, svc, arn, "owner"), "created=yes", "env=prod")

	// The reconciler removes the record when the nodes are gone.
	if err := st.Update(func(tx *store.Tx) error { return tx.DeleteCluster("c1") }); err != nil {
		t.Fatal(err)
	}
	for _, call := range tagOps {
		_, err := call(svc, arn)
		wantAPIError(t, err, "CacheClusterNotFound", 404, "CacheCluster not found: c1")
	}
	mustCreate(t, svc, redis(withID("c1")))
	wantTagList(t, "new cluster of the same id", listTagsOf(t, svc, arn))
}

// TestTaggingOtherRegionAndAccount: the service's own region and account are
// the ones its ARNs must carry.
func TestTaggingOtherRegionAndAccount(t *testing.T) {
	svc, _ := newService(t, func(c *service.Config) { c.Region, c.AccountID = "eu-west-1", "999999999999" })
	mustCreate(t, svc, redis(withID("c1"), withAZ("eu-west-1a")))
	wantTagList(t, "own region and account", addTagsTo(t, svc, "arn:aws:elasticache:eu-west-1:999999999999:cluster:c1", tagKV("a", "b")), "a=b")
	_, err := svc.ListTagsForResource(context.Background(), &api.ListTagsForResourceMessage{ResourceName: api.String(tagARNPrefix + "cluster:c1")})
	wantAPIError(t, err, "InvalidARN", 400, `region "us-east-1"; this endpoint serves region eu-west-1`)
}
