package reconcile

import (
	"sync"
	"time"
)

// queue is a keyed work queue in the manner of controller-runtime: a key waits
// at most once, and a key being worked on is never handed to a second worker;
// if it is added meanwhile, it is queued again when the first worker is done.
type queue struct {
	mu         sync.Mutex
	cond       *sync.Cond
	order      []string
	waiting    map[string]bool
	processing map[string]bool
	dirty      map[string]bool
	closed     bool
}

func newQueue() *queue {
	q := &queue{waiting: map[string]bool{}, processing: map[string]bool{}, dirty: map[string]bool{}}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// Add queues key unless it already waits.
func (q *queue) Add(key string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	if q.processing[key] {
		q.dirty[key] = true
		return
	}
	if q.waiting[key] {
		return
	}
	q.waiting[key] = true
	q.order = append(q.order, key)
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
	for len(q.order) == 0 && !q.closed {
		q.cond.Wait()
	}
	if q.closed {
		return "", false
	}
	key := q.order[0]
	q.order = q.order[1:]
	delete(q.waiting, key)
	q.processing[key] = true
	return key, true
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
	return len(q.order)
}
