package sdk_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/elasticache/types"
	"github.com/aws/smithy-go"

	"github.com/cacheplane/cacheplane/internal/engine"
)

// blockEvents is this file's node address block (127.78.61.0/24).
const blockEvents = 61

// clusterHistory is the messages of a cluster's events, newest first.
func clusterHistory(t *testing.T, ctx context.Context, c *elasticache.Client, id string) []string {
	t.Helper()
	out, err := c.DescribeEvents(ctx, &elasticache.DescribeEventsInput{SourceType: types.SourceTypeCacheCluster, SourceIdentifier: aws.String(id)})
	if err != nil {
		t.Fatalf("DescribeEvents(%s): %v", id, err)
	}
	var msgs []string
	for _, ev := range out.Events {
		if ev.SourceType != types.SourceTypeCacheCluster || aws.ToString(ev.SourceIdentifier) != id || ev.Date == nil {
			t.Errorf("event %+v", ev)
		}
		msgs = append(msgs, aws.ToString(ev.Message))
	}
	return msgs
}

// TestDescribeEventsRoundTrip: the lifecycle of a redis and a memcached
// cluster, told by DescribeEvents through the Go SDK (its paginator too),
// survives a restart of the control plane without spurious entries.
func TestDescribeEventsRoundTrip(t *testing.T) {
	requireEngines(t, engine.Redis, engine.Memcached)
	t.Parallel()
	e := newEnv(t, blockEvents)
	s := e.start()
	ctx := testCtx(t)
	c := s.client

	before := time.Now().Add(-time.Second)
	redisPort, mcPort := freePort(t), freePort(t)
	_, err := c.CreateCacheCluster(ctx, &elasticache.CreateCacheClusterInput{
		CacheClusterId: aws.String("ev-redis"), Engine: aws.String("redis"), CacheNodeType: aws.String("cache.t3.micro"),
		PreferredAvailabilityZone: aws.String("us-east-1b"), Port: aws.Int32(redisPort),
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateCacheCluster(ctx, &elasticache.CreateCacheClusterInput{
		CacheClusterId: aws.String("ev-mc"), Engine: aws.String("memcached"), CacheNodeType: aws.String("cache.t3.micro"),
		NumCacheNodes: aws.Int32(19), Port: aws.Int32(mcPort),
	})
	if err != nil {
		t.Fatal(err)
	}
	waitAvailable(t, ctx, c, "ev-redis")
	waitAvailable(t, ctx, c, "ev-mc")

	wantRedis := []string{"Added cache node 0001 in availability zone us-east-1b", "Cache cluster created"}
	if got := clusterHistory(t, ctx, c, "ev-redis"); !slices.Equal(got, wantRedis) {
		t.Fatalf("ev-redis history = %q, want %q", got, wantRedis)
	}
	mc := describeOne(t, ctx, c, "ev-mc")
	var wantAdded []string
	for _, n := range mc.CacheNodes {
		wantAdded = append(wantAdded, fmt.Sprintf("Added cache node %s in availability zone %s", aws.ToString(n.CacheNodeId), aws.ToString(n.CustomerAvailabilityZone)))
	}
	got := clusterHistory(t, ctx, c, "ev-mc")
	if len(got) != 20 || got[19] != "Cache cluster created" {
		t.Fatalf("ev-mc history = %q", got)
	}
	added := slices.Clone(got[:19])
	slices.Sort(added)
	slices.Sort(wantAdded)
	if !slices.Equal(added, wantAdded) {
		t.Fatalf("ev-mc Added events = %q, want %q", added, wantAdded)
	}

	// 22 events in all: the SDK's paginator at 20 a page sees them all once, newest first.
	pageSizes, all := pageEvents(t, ctx, c, &elasticache.DescribeEventsInput{MaxRecords: aws.Int32(20), StartTime: aws.Time(before)})
	if fmt.Sprint(pageSizes) != "[20 2]" {
		t.Fatalf("page sizes %v, want [20 2]", pageSizes)
	}
	for i := 1; i < len(all); i++ {
		if all[i].Date.After(*all[i-1].Date) {
			t.Fatalf("event %d (%s) is newer than event %d (%s)", i, all[i].Date, i-1, all[i-1].Date)
		}
	}

	// A restart re-adopts the running nodes: nothing new happened, nothing new is told.
	e.shutdown(s)
	s = e.start()
	c = s.client
	waitAvailable(t, ctx, c, "ev-redis")
	time.Sleep(300 * time.Millisecond) // a pass over every cluster
	if got := clusterHistory(t, ctx, c, "ev-redis"); !slices.Equal(got, wantRedis) {
		t.Fatalf("ev-redis history after a restart = %q, want %q", got, wantRedis)
	}
	if _, again := pageEvents(t, ctx, c, &elasticache.DescribeEventsInput{StartTime: aws.Time(before)}); len(again) != 22 {
		t.Fatalf("%d events after a restart, want the same 22", len(again))
	}

	deleteAndWait(t, ctx, e, s, "ev-redis")
	deleteAndWait(t, ctx, e, s, "ev-mc")
	if got := clusterHistory(t, ctx, c, "ev-redis"); len(got) != 3 || got[0] != "Cache cluster deleted" {
		t.Fatalf("ev-redis history after delete = %q", got)
	}
	if got := clusterHistory(t, ctx, c, "ev-mc"); got[0] != "Cache cluster deleted" {
		t.Fatalf("ev-mc newest event after delete = %q", got[0])
	}
}

func pageEvents(t *testing.T, ctx context.Context, c *elasticache.Client, in *elasticache.DescribeEventsInput) ([]int, []types.Event) {
	t.Helper()
	var sizes []int
	var all []types.Event
	p := elasticache.NewDescribeEventsPaginator(c, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(page.Events))
		all = append(all, page.Events...)
	}
	return sizes, all
}

// TestDescribeEventsErrors: the refusals reach the SDK as its typed exceptions.
func TestDescribeEventsErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t, blockEvents+1)
	c := e.start().client
	ctx := testCtx(t)
	for _, tc := range []struct {
		name   string
		in     *elasticache.DescribeEventsInput
		target any
		code   string
		msg    string
	}{
		{"SourceIdentifier without SourceType", &elasticache.DescribeEventsInput{SourceIdentifier: aws.String("my-cluster")},
			new(*types.InvalidParameterCombinationException), "InvalidParameterCombination", "needs a SourceType"},
		{"SourceType not in the enum", &elasticache.DescribeEventsInput{SourceType: "bogus"},
			new(*types.InvalidParameterValueException), "InvalidParameterValue", "Invalid value 'bogus' for parameter SourceType"},
		{"MaxRecords 5", &elasticache.DescribeEventsInput{MaxRecords: aws.Int32(5)},
			new(*types.InvalidParameterValueException), "InvalidParameterValue", "MaxRecords"},
		{"StartTime after EndTime", &elasticache.DescribeEventsInput{StartTime: aws.Time(time.Now()), EndTime: aws.Time(time.Now().Add(-time.Hour))},
			new(*types.InvalidParameterValueException), "InvalidParameterValue", "after the EndTime"},
		{"Duration -1", &elasticache.DescribeEventsInput{Duration: aws.Int32(-1)},
			new(*types.InvalidParameterValueException), "InvalidParameterValue", "Duration"},
	} {
		_, err := c.DescribeEvents(ctx, tc.in)
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
			continue
		}
		if !errors.As(err, tc.target) {
			t.Errorf("%s: %v (%T), want %T", tc.name, err, err, tc.target)
		}
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != tc.code || ae.ErrorFault() != smithy.FaultClient || !strings.Contains(ae.ErrorMessage(), tc.msg) {
			t.Errorf("%s: API error %v, want client fault %s containing %q", tc.name, err, tc.code, tc.msg)
		}
	}
	out, err := c.DescribeEvents(ctx, &elasticache.DescribeEventsInput{})
	if err != nil || len(out.Events) != 0 || out.Marker != nil {
		t.Fatalf("an empty account: %+v, %v", out, err)
	}
}
