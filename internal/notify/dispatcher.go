package notify

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/cacheplane/cacheplane/internal/model"
)

// Options tune a Dispatcher; zero values take the defaults.
type Options struct {
	QueueSize int           // messages waiting per sink before new ones are dropped (256)
	Attempts  int           // deliveries tried per message and sink (5)
	RetryBase time.Duration // wait before the first retry, doubling after (250 ms)
	RetryMax  time.Duration // longest wait between retries (10 s)
	Timeout   time.Duration // bound on one delivery attempt (10 s)
	Logger    *slog.Logger
}

// Dispatcher delivers notifications to its sinks in the background. Each sink
// has its own bounded queue and goroutine, so one slow sink delays only itself.
type Dispatcher struct {
	opts    Options
	log     *slog.Logger
	workers []*worker
	ctx     context.Context // cancelled when Close gives up: aborts deliveries and retries
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	mu     sync.RWMutex
	closed bool
}

type worker struct {
	sink  Sink
	queue chan Message
}

// New starts a Dispatcher over sinks.
func New(opts Options, sinks ...Sink) *Dispatcher {
	if opts.QueueSize <= 0 {
		opts.QueueSize = 256
	}
	if opts.Attempts <= 0 {
		opts.Attempts = 5
	}
	if opts.RetryBase <= 0 {
		opts.RetryBase = 250 * time.Millisecond
	}
	if opts.RetryMax <= 0 {
		opts.RetryMax = 10 * time.Second
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	d := &Dispatcher{opts: opts, log: opts.Logger}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	for _, s := range sinks {
		w := &worker{sink: s, queue: make(chan Message, opts.QueueSize)}
		d.workers = append(d.workers, w)
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			for m := range w.queue {
				d.deliver(w.sink, m)
			}
		}()
	}
	return d
}

// Publish queues n for every sink and returns at once; when a sink's queue
// is full the message is dropped for that sink (and logged), never waited for.
func (d *Dispatcher) Publish(n model.Notification) {
	m := Envelope(n, newMessageID())
	d.mu.RLock()
	defer d.mu.RUnlock()
	if d.closed {
		d.log.Warn("notification after shutdown dropped", "event", n.Event, "cluster", n.SourceID)
		return
	}
	for _, w := range d.workers {
		select {
		case w.queue <- m:
		default:
			d.log.Warn("notification queue full; notification dropped", "sink", w.sink.String(), "event", n.Event, "cluster", n.SourceID, "queue", cap(w.queue))
		}
	}
}

// Close stops accepting notifications and delivers those queued until ctx
// ends; what is left then is dropped (and logged).
func (d *Dispatcher) Close(ctx context.Context) {
	d.mu.Lock()
	if !d.closed {
		d.closed = true
		for _, w := range d.workers {
			close(w.queue)
		}
	}
	d.mu.Unlock()
	done := make(chan struct{})
	go func() { d.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		d.cancel()
		<-done
	}
	d.cancel()
}

// deliver tries one message on one sink, with retries and backoff.
func (d *Dispatcher) deliver(s Sink, m Message) {
	for attempt := 1; ; attempt++ {
		actx, cancel := context.WithTimeout(d.ctx, d.opts.Timeout)
		err := s.Deliver(actx, m)
		cancel()
		if err == nil {
			d.log.Info("notification sent", "sink", s.String(), "subject", m.Subject, "message_id", m.MessageID, "attempts", attempt)
			return
		}
		if attempt >= d.opts.Attempts || d.ctx.Err() != nil {
			d.log.Warn("notification not delivered", "sink", s.String(), "subject", m.Subject, "attempts", attempt, "err", err)
			return
		}
		t := time.NewTimer(backoff(d.opts.RetryBase, d.opts.RetryMax, attempt))
		select {
		case <-t.C:
		case <-d.ctx.Done():
			t.Stop()
			d.log.Warn("notification not delivered: shutting down", "sink", s.String(), "subject", m.Subject, "attempts", attempt, "err", err)
			return
		}
	}
}
