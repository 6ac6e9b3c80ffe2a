package reconcile

import (
	"sync"
	"time"
)

// queue is a keyed work queue in the manner of controller-runtime: a key waits
// at most once, and a key being worked on is never handed to a second worker;
// if it is added meanwhile, it is queued again when the first worker is done.
// Keys added by a trigger (an API write, a node exit) go ahead of the keys of
// a periodic resync, so that with thousands of clusters a new cluster does not
// wait behind a whole resync.
type queue struct {
	mu         sync.Mutex
	cond       *sync.Cond
	order      []string        // triggered keys, served first
	background []string        // resync keys
	waiting    map[string]bool // key -> waits in order or background
	urgent     map[string]bool // key waits in order
	processing map[string]bool
	dirty      map[string]bool
	closed     bool
}

func newQueue() *queue {
	q := &queue{waiting: map[string]bool{}, urgent: map[string]bool{}, processing: map[string]bool{}, dirty: map[string]bool{}}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// Add queues key ahead of resync work, unless it already waits there.
func (q *queue) Add(key string) { q.add(key, true) }

// AddBackground queues key behind triggered work (the periodic resync).
func (q *queue) AddBackground(key string) { q.add(key, false) }

func (q *queue) add(key string, urgent bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	if q.processing[key] {
		q.dirty[key] = true
		return
	}
	if q.waiting[key] && (q.urgent[key] || !urgent) {
		return
	}
	if urgent {
		// A key already waiting in the background is served from the front
		// instead; Get skips its stale background entry.
		q.urgent[key] = true
		q.order = append(q.order, key)
	} else {
		q.background = append(q.background, key)
	}
	q.waiting[key] = true
	q.cond.Signal()
}

// AddAfter queues key once d has passed.
func (q *queue) AddAfter(key string, d time.Duration) {
	time.AfterFunc(d, func() { q.Add(key) })
}

// Get blocks until a key is ready; ok=false once the queue is shut down.
func (q *queue) Get() (string, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for {
		for len(q.order) == 0 && len(q.background) == 0 && !q.closed {
			q.cond.Wait()
		}
		if q.closed {
			return "", false
		}
		var key string
		if len(q.order) > 0 {
			key, q.order = q.order[0], q.order[1:]
			delete(q.urgent, key)
		} else {
			key, q.background = q.background[0], q.background[1:]
			if !q.waiting[key] || q.urgent[key] {
				continue // already served, or promoted to the front
			}
		}
		if !q.waiting[key] {
			continue
		}
		delete(q.waiting, key)
		q.processing[key] = true
		return key, true
	}
}

// Done releases key after work; a key added while it was worked on is queued again.
func (q *queue) Done(key string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.processing, key)
	if q.dirty[key] {
		delete(q.dirty, key)
		if !q.waiting[key] && !q.closed {
			q.waiting[key] = true
			q.urgent[key] = true
			q.order = append(q.order, key)
			q.cond.Signal()
		}
	}
}

// ShutDown wakes every waiting worker and refuses new keys.
func (q *queue) ShutDown() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closed = true
	q.cond.Broadcast()
}

// Len is the number of waiting keys.
func (q *queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.waiting)
}
