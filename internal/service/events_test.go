package service_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cacheplane/cacheplane/internal/api"
	"github.com/cacheplane/cacheplane/internal/model"
	"github.com/cacheplane/cacheplane/internal/store"
)

// putEvents records events as the handlers and the reconciler do.
func putEvents(t *testing.T, st *store.Store, evs ...model.Event) {
	t.Helper()
	err := st.Update(func(tx *store.Tx) error {
		for _, e := range evs {
			if err := tx.AddEvent(e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func describeEvents(t *testing.T, svc interface {
	DescribeEvents(context.Context, *api.DescribeEventsMessage) (*api.EventsMessage, error)
}, in *api.DescribeEventsMessage) *api.EventsMessage {
	t.Helper()
	out, err := svc.DescribeEvents(context.Background(), in)
	if err != nil {
		t.Fatalf("DescribeEvents(%+v): %v", in, err)
	}
	return out
}

func messages(out *api.EventsMessage) []string {
	var m []string
	for _, e := range out.Events {
		m = append(m, api.Deref(e.SourceIdentifier)+": "+api.Deref(e.Message))
	}
	return m
}

func at(d time.Duration) *time.Time { t := testNow.Add(d); return &t }

func TestDescribeEventsValidation(t *testing.T) {
	svc, _ := newService(t)
	for _, c := range []struct {
		name   string
		in     *api.DescribeEventsMessage
		code   string
		status int
		msg    string
	}{
		{"SourceType not in the enum", &api.DescribeEventsMessage{SourceType: "cluster"},
			"InvalidParameterValue", 400, "Invalid value 'cluster' for parameter SourceType. Valid values: cache-cluster, cache-parameter-group"},
		{"SourceIdentifier without SourceType", &api.DescribeEventsMessage{SourceIdentifier: api.String("my-cluster")},
			"InvalidParameterCombination", 400, "SourceIdentifier my-cluster needs a SourceType"},
		{"MaxRecords below 20", &api.DescribeEventsMessage{MaxRecords: api.Int32(19)},
			"InvalidParameterValue", 400, "MaxRecords must be between 20 and 100"},
		{"MaxRecords above 100", &api.DescribeEventsMessage{MaxRecords: api.Int32(101)},
			"InvalidParameterValue", 400, "MaxRecords must be between 20 and 100"},
		{"Duration zero", &api.DescribeEventsMessage{Duration: api.Int32(0)},
			"InvalidParameterValue", 400, "Duration must be a positive number of minutes"},
		{"Duration negative", &api.DescribeEventsMessage{Duration: api.Int32(-60)},
			"InvalidParameterValue", 400, "Duration must be a positive number of minutes"},
		{"StartTime after EndTime", &api.DescribeEventsMessage{StartTime: at(time.Hour), EndTime: at(0)},
			"InvalidParameterValue", 400, "is after the EndTime"},
		{"StartTime, EndTime and Duration", &api.DescribeEventsMessage{StartTime: at(-time.Hour), EndTime: at(0), Duration: api.Int32(10)},
			"InvalidParameterCombination", 400, "not all three"},
		{"Marker not from a response", &api.DescribeEventsMessage{Marker: api.String("page-2")},
			"InvalidParameterValue", 400, "Invalid Marker"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := svc.DescribeEvents(context.Background(), c.in)
			wantAPIError(t, err, c.code, c.status, c.msg)
		})
	}
}

func TestDescribeEventsAcceptsEverySourceType(t *testing.T) {
	svc, _ := newService(t)
	for _, st := range api.SourceType("").Values() {
		out := describeEvents(t, svc, &api.DescribeEventsMessage{SourceType: st, SourceIdentifier: api.String("x")})
		if out.Events == nil || len(out.Events) != 0 || out.Marker != nil {
			t.Errorf("SourceType %s: %+v", st, out)
		}
	}
}

func TestCreateCacheClusterRecordsCacheClusterCreated(t *testing.T) {
	svc, _ := newService(t)
	mustCreate(t, svc, memcached(withID("My-Mem")))
	out := describeEvents(t, svc, &api.DescribeEventsMessage{})
	if len(out.Events) != 1 {
		t.Fatalf("events = %q", messages(out))
	}
	e := out.Events[0]
	if api.Deref(e.SourceIdentifier) != "my-mem" || e.SourceType != api.SourceTypeCacheCluster ||
		api.Deref(e.Message) != "Cache cluster created" || e.Date == nil || !e.Date.Equal(testNow) {
		t.Fatalf("event = %+v, want my-mem / cache-cluster / Cache cluster created / %s", e, testNow)
	}
}

func TestARefusedCreateRecordsNoEvent(t *testing.T) {
	svc, _ := newService(t)
	mustCreate(t, svc, redis())
	for _, in := range []*api.CreateCacheClusterMessage{
		redis(),                           // already exists
		redis(withID("c2"), withNodes(2)), // Redis with two nodes
		create("c3", "redis", func(m *api.CreateCacheClusterMessage) { m.CacheNodeType = api.String("cache.nope") }),
	} {
		if _, err := svc.CreateCacheCluster(context.Background(), in); err == nil {
			t.Fatalf("create %s succeeded", api.Deref(in.CacheClusterId))
		}
	}
	if got := messages(describeEvents(t, svc, &api.DescribeEventsMessage{})); len(got) != 1 {
		t.Fatalf("events after refused creates = %q, want only c1's", got)
	}
}

func TestDescribeEventsWindow(t *testing.T) {
	svc, st := newService(t)
	var evs []model.Event
	// One event every 30 minutes from 15 days ago to now: e000 (oldest) .. e720 (now).
	for m := 15 * 24 * 60; m >= 0; m -= 30 {
		evs = append(evs, model.ClusterEvent("c1", fmt.Sprintf("e%03d", m/30), testNow.Add(-time.Duration(m)*time.Minute)))
	}
	putEvents(t, st, evs...)
	count := func(in *api.DescribeEventsMessage) (int, string, string) {
		var all []string
		in.MaxRecords = api.Int32(100)
		for {
			out := describeEvents(t, svc, in)
			for _, e := range out.Events {
				all = append(all, api.Deref(e.Message))
			}
			if out.Marker == nil {
				break
			}
			in.Marker = out.Marker
		}
		if len(all) == 0 {
			return 0, "", ""
		}
		return len(all), all[0], all[len(all)-1]
	}
	for _, c := range []struct {
		name           string
		in             *api.DescribeEventsMessage
		n              int
		newest, oldest string
	}{
		{"default: the last 60 minutes", &api.DescribeEventsMessage{}, 3, "e000", "e002"},
		{"Duration 1440: 24 hours", &api.DescribeEventsMessage{Duration: api.Int32(1440)}, 49, "e000", "e048"},
		{"Duration beyond retention: 14 days", &api.DescribeEventsMessage{Duration: api.Int32(30 * 1440)}, 14*48 + 1, "e000", "e672"},
		{"StartTime alone runs to now", &api.DescribeEventsMessage{StartTime: at(-90 * time.Minute)}, 4, "e000", "e003"},
		{"StartTime + Duration counts forward", &api.DescribeEventsMessage{StartTime: at(-5 * time.Hour), Duration: api.Int32(60)}, 3, "e008", "e010"},
		{"EndTime alone: the hour before it", &api.DescribeEventsMessage{EndTime: at(-2 * time.Hour)}, 3, "e004", "e006"},
		{"EndTime + Duration counts back", &api.DescribeEventsMessage{EndTime: at(-2 * time.Hour), Duration: api.Int32(120)}, 5, "e004", "e008"},
		{"StartTime and EndTime", &api.DescribeEventsMessage{StartTime: at(-3 * time.Hour), EndTime: at(-time.Hour)}, 5, "e002", "e006"},
		{"older than 14 days is gone", &api.DescribeEventsMessage{StartTime: at(-15 * 24 * time.Hour), EndTime: at(-14*24*time.Hour - time.Minute)}, 0, "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			n, newest, oldest := count(c.in)
			if n != c.n || newest != c.newest || oldest != c.oldest {
				t.Errorf("got %d events %s..%s, want %d %s..%s", n, newest, oldest, c.n, c.newest, c.oldest)
			}
		})
	}
}

func TestDescribeEventsFiltersBySource(t *testing.T) {
	svc, st := newService(t)
	putEvents(t, st,
		model.ClusterEvent("c1", "Cache cluster created", testNow.Add(-3*time.Minute)),
		model.Event{SourceIdentifier: "default", SourceType: "cache-parameter-group", Message: "pg", Date: testNow.Add(-2 * time.Minute)},
		model.ClusterEvent("c2", "Cache cluster created", testNow.Add(-time.Minute)),
		model.ClusterEvent("c1", "Added cache node 0001 in availability zone us-east-1a", testNow))
	for _, c := range []struct {
		in   *api.DescribeEventsMessage
		want []string
	}{
		{&api.DescribeEventsMessage{}, []string{"c1: Added cache node 0001 in availability zone us-east-1a", "c2: Cache cluster created", "default: pg", "c1: Cache cluster created"}},
		{&api.DescribeEventsMessage{SourceType: api.SourceTypeCacheCluster}, []string{"c1: Added cache node 0001 in availability zone us-east-1a", "c2: Cache cluster created", "c1: Cache cluster created"}},
		{&api.DescribeEventsMessage{SourceType: api.SourceTypeCacheCluster, SourceIdentifier: api.String("C1")}, []string{"c1: Added cache node 0001 in availability zone us-east-1a", "c1: Cache cluster created"}},
		{&api.DescribeEventsMessage{SourceType: api.SourceTypeCacheParameterGroup}, []string{"default: pg"}},
		{&api.DescribeEventsMessage{SourceType: api.SourceTypeReplicationGroup, SourceIdentifier: api.String("c1")}, nil},
	} {
		if got := messages(describeEvents(t, svc, c.in)); !slices.Equal(got, c.want) {
			t.Errorf("%+v: %q, want %q", c.in, got, c.want)
		}
	}
}

func TestDescribeEventsPages(t *testing.T) {
	svc, st := newService(t)
	var evs []model.Event
	for i := 0; i < 45; i++ {
		evs = append(evs, model.ClusterEvent("c1", fmt.Sprintf("e%02d", i), testNow.Add(-time.Duration(45-i)*time.Second)))
	}
	// Events of other sources in between must not shorten a page.
	for i := 0; i < 30; i++ {
		evs = append(evs, model.Event{SourceIdentifier: "pg", SourceType: "cache-parameter-group", Message: "x", Date: testNow.Add(-time.Duration(i) * time.Second)})
	}
	putEvents(t, st, evs...)
	var sizes []int
	var got []string
	in := &api.DescribeEventsMessage{SourceType: api.SourceTypeCacheCluster, MaxRecords: api.Int32(20)}
	for {
		out := describeEvents(t, svc, in)
		sizes = append(sizes, len(out.Events))
		for _, e := range out.Events {
			got = append(got, api.Deref(e.Message))
		}
		if out.Marker == nil {
			break
		}
		in.Marker = out.Marker
	}
	if fmt.Sprint(sizes) != "[20 20 5]" {
		t.Fatalf("page sizes %v, want [20 20 5]", sizes)
	}
	for i, m := range got {
		if want := fmt.Sprintf("e%02d", 44-i); m != want {
			t.Fatalf("event %d = %s, want %s (newest first, no gaps)", i, m, want)
		}
	}
	// Exactly a page's worth: no Marker, as there is nothing more.
	out := describeEvents(t, svc, &api.DescribeEventsMessage{SourceType: api.SourceTypeCacheParameterGroup, MaxRecords: api.Int32(30)})
	if len(out.Events) != 30 || out.Marker != nil {
		t.Fatalf("exact page: %d events, marker %v", len(out.Events), out.Marker)
	}
}
