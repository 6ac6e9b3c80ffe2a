package store

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cacheplane/cacheplane/internal/model"
)

var eventT0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func openStore(t *testing.T) *Store {
	t.Helper()
	st, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func addEvents(t *testing.T, st *Store, evs ...model.Event) {
	t.Helper()
	err := st.Update(func(tx *Tx) error {
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

// listEvents returns the messages of the events in [from, to] below before, newest first.
func listEvents(t *testing.T, st *Store, from, to time.Time, before string, limit int) (msgs, keys []string) {
	t.Helper()
	err := st.View(func(tx *Tx) error {
		return tx.Events(from, to, before, func(key string, e model.Event) (bool, error) {
			msgs, keys = append(msgs, e.Message), append(keys, key)
			return len(msgs) < limit, nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return
}

func TestEventsNewestFirstWithinTheWindow(t *testing.T) {
	st := openStore(t)
	var evs []model.Event
	for i := 0; i < 10; i++ {
		evs = append(evs, model.ClusterEvent("c1", fmt.Sprintf("e%d", i), eventT0.Add(time.Duration(i)*time.Minute)))
	}
	addEvents(t, st, evs...)
	got, _ := listEvents(t, st, eventT0.Add(2*time.Minute), eventT0.Add(5*time.Minute), "", 100)
	if fmt.Sprint(got) != "[e5 e4 e3 e2]" {
		t.Errorf("window [2m, 5m] = %v, want [e5 e4 e3 e2] (both ends inclusive, newest first)", got)
	}
	got, _ = listEvents(t, st, eventT0.Add(-time.Hour), eventT0.Add(time.Hour), "", 100)
	if len(got) != 10 || got[0] != "e9" || got[9] != "e0" {
		t.Errorf("everything = %v", got)
	}
	if got, _ := listEvents(t, st, eventT0.Add(5*time.Minute), eventT0.Add(2*time.Minute), "", 100); len(got) != 0 {
		t.Errorf("an inverted window found %v", got)
	}
}

func TestEventsOfOneInstantKeepTheirOrder(t *testing.T) {
	st := openStore(t)
	// One transaction, one instant: the later-added event is the newer one.
	addEvents(t, st,
		model.ClusterEvent("mc", "Added cache node 0001 in availability zone us-east-1a", eventT0),
		model.ClusterEvent("mc", "Added cache node 0002 in availability zone us-east-1b", eventT0),
		model.ClusterEvent("mc", "Added cache node 0003 in availability zone us-east-1c", eventT0))
	got, _ := listEvents(t, st, eventT0, eventT0, "", 100)
	want := "[Added cache node 0003 in availability zone us-east-1c Added cache node 0002 in availability zone us-east-1b Added cache node 0001 in availability zone us-east-1a]"
	if fmt.Sprint(got) != want {
		t.Errorf("same instant = %v", got)
	}
}

func TestEventsPageWithTheKeyAsMarker(t *testing.T) {
	st := openStore(t)
	for i := 0; i < 25; i++ {
		addEvents(t, st, model.ClusterEvent("c1", fmt.Sprintf("e%02d", i), eventT0.Add(time.Duration(i%5)*time.Second)))
	}
	var all []string
	before := ""
	for page := 0; page < 10; page++ {
		msgs, keys := listEvents(t, st, eventT0, eventT0.Add(time.Minute), before, 7)
		if len(msgs) == 0 {
			break
		}
		for _, k := range keys {
			if !IsEventKey(k) {
				t.Fatalf("key %q is not an event key", k)
			}
		}
		all = append(all, msgs...)
		before = keys[len(keys)-1]
	}
	if len(all) != 25 {
		t.Fatalf("paged %d events, want 25: %v", len(all), all)
	}
	seen := map[string]bool{}
	for _, m := range all {
		if seen[m] {
			t.Errorf("event %s returned twice", m)
		}
		seen[m] = true
	}
}

func TestAddEventPrunesPastRetentionBoundedly(t *testing.T) {
	st := openStore(t)
	old := eventT0.Add(-model.EventRetention - time.Hour)
	var evs []model.Event
	for i := 0; i < eventPrunePerWrite+10; i++ {
		evs = append(evs, model.ClusterEvent("c1", "old", old.Add(time.Duration(i)*time.Millisecond)))
	}
	addEvents(t, st, evs...)
	keep := model.ClusterEvent("c1", "kept", eventT0.Add(-model.EventRetention+time.Hour))
	addEvents(t, st, keep)
	count := func() int {
		var n int
		_ = st.View(func(tx *Tx) error { n = tx.CountRecords(BucketEvents); return nil })
		return n
	}
	before := count()
	addEvents(t, st, model.ClusterEvent("c1", "new", eventT0))
	if after := count(); after != before+1-eventPrunePerWrite {
		t.Fatalf("one write pruned %d events, want exactly %d (bounded)", before+1-after, eventPrunePerWrite)
	}
	addEvents(t, st, model.ClusterEvent("c1", "new", eventT0))
	got, _ := listEvents(t, st, time.Unix(0, 0), eventT0, "", 1000)
	if fmt.Sprint(got) != "[new new kept]" {
		t.Errorf("after pruning = %v, want [new new kept]", got)
	}
}

func TestAddEventRollsBackWithItsTransaction(t *testing.T) {
	st := openStore(t)
	boom := errors.New("boom")
	err := st.Update(func(tx *Tx) error {
		if err := tx.AddEvent(model.ClusterEvent("c1", model.MsgCacheClusterCreated, eventT0)); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if got, _ := listEvents(t, st, time.Unix(0, 0), eventT0.Add(time.Hour), "", 10); len(got) != 0 {
		t.Errorf("a rolled-back event survived: %v", got)
	}
}

func TestIsEventKey(t *testing.T) {
	for s, want := range map[string]bool{
		eventKey(eventT0, 1):    true,
		"":                      false,
		"abc":                   false,
		"1772600767000000000-1": false,
		"1772600767000000000-0000000000000000000x":  false,
		" 1772600767000000000-00000000000000000001": false,
	} {
		if IsEventKey(s) != want {
			t.Errorf("IsEventKey(%q) = %v, want %v", s, !want, want)
		}
	}
}
