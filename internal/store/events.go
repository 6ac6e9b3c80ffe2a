package store

import (
	"encoding/json"
	"fmt"
	"regexp"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/cacheplane/cacheplane/internal/model"
)

// Events live in BucketEvents under keys that sort by the event's Date: 19
// digits of Unix nanoseconds, a hyphen, and 20 digits of the bucket's sequence
// (which keeps events of the same instant apart, in the order they were added).

// eventPrunePerWrite bounds the pruning one AddEvent does, so that a write
// never pays for a long backlog at once; steady writing still keeps up, since
// each write adds one event and may remove many.
const eventPrunePerWrite = 32

var eventKeyRE = regexp.MustCompile(`^[0-9]{19}-[0-9]{20}$`)

// IsEventKey reports whether s has the form of an event key (e.g. a paging marker).
func IsEventKey(s string) bool { return eventKeyRE.MatchString(s) }

func eventNanos(at time.Time) int64 { return max(at.UnixNano(), 0) }

func eventKey(at time.Time, seq uint64) string {
	return fmt.Sprintf("%019d-%020d", eventNanos(at), seq)
}

// AddEvent records e in this transaction, so that it commits, or vanishes,
// together with the change it describes. It also removes a bounded number of
// events older than model.EventRetention before e.Date.
func (t *Tx) AddEvent(e model.Event) error {
	b, err := t.tx.CreateBucketIfNotExists([]byte(BucketEvents))
	if err != nil {
		return err
	}
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	raw, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if err := b.Put([]byte(eventKey(e.Date, seq)), raw); err != nil {
		return err
	}
	return pruneEvents(b, e.Date.Add(-model.EventRetention))
}

// pruneEvents deletes up to eventPrunePerWrite of the oldest events dated before cutoff.
func pruneEvents(b *bolt.Bucket, cutoff time.Time) error {
	limit := fmt.Sprintf("%019d-", eventNanos(cutoff))
	var old [][]byte
	c := b.Cursor()
	for k, _ := c.First(); k != nil && string(k) < limit && len(old) < eventPrunePerWrite; k, _ = c.Next() {
		old = append(old, append([]byte(nil), k...))
	}
	// Deleting after the walk: deleting under a moving bbolt cursor skips keys.
	for _, k := range old {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// Events calls fn for every event dated within [from, to], newest first,
// starting below the key `before` ("" = from the newest), until fn returns
// false or an error. fn gets each event's key, which a later call can pass as
// `before` to continue.
func (t *Tx) Events(from, to time.Time, before string, fn func(key string, e model.Event) (bool, error)) error {
	b := t.tx.Bucket([]byte(BucketEvents))
	if b == nil || to.Before(from) {
		return nil
	}
	upper := fmt.Sprintf("%019d.", eventNanos(to)) // '.' sorts after '-': every key of that instant is below
	if before != "" && before < upper {
		upper = before
	}
	lower := fmt.Sprintf("%019d-", eventNanos(from))
	c := b.Cursor()
	// The newest key below upper: the one before the first key >= upper, or
	// the very last key when none is that large.
	k, v := c.Seek([]byte(upper))
	if k == nil {
		k, v = c.Last()
	} else {
		k, v = c.Prev()
	}
	for ; k != nil && string(k) >= lower; k, v = c.Prev() {
		var e model.Event
		if err := json.Unmarshal(v, &e); err != nil {
			return fmt.Errorf("decode event %s: %w", k, err)
		}
		more, err := fn(string(k), e)
		if err != nil || !more {
			return err
		}
	}
	return nil
}
