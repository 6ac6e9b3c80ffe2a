package notify

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cacheplane/cacheplane/internal/model"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func provisioned(id string) model.Notification {
	return model.Notification{
		TopicARN: "arn:aws:sns:us-east-1:123456789012:ops",
		Event:    model.NotifyCacheClusterProvisioningComplete,
		SourceID: id,
		Time:     time.Date(2026, 3, 4, 5, 6, 7, 89e6, time.UTC),
	}
}

func TestEnvelopeIsWhatSNSDelivers(t *testing.T) {
	m := Envelope(provisioned("my-cluster"), "0f9c7ad1-94d3-4a4e-9f4b-1a2b3c4d5e6f")
	want := Message{
		Type:      "Notification",
		MessageID: "0f9c7ad1-94d3-4a4e-9f4b-1a2b3c4d5e6f",
		TopicARN:  "arn:aws:sns:us-east-1:123456789012:ops",
		Subject:   "ElastiCache:CacheClusterProvisioningComplete : my-cluster",
		Message:   `{"ElastiCache:CacheClusterProvisioningComplete":"my-cluster"}`,
		Timestamp: "2026-03-04T05:06:07.089Z",
	}
	if m != want {
		t.Fatalf("envelope = %+v\nwant       %+v", m, want)
	}
	raw, _ := json.Marshal(m)
	var keys map[string]any
	_ = json.Unmarshal(raw, &keys)
	for _, k := range []string{"Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp"} {
		if _, ok := keys[k]; !ok {
			t.Errorf("JSON has no %s: %s", k, raw)
		}
	}
}

func TestMessageIDsAreRandomUUIDs(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		id := newMessageID()
		if !re.MatchString(id) || seen[id] {
			t.Fatalf("message id %q is not a fresh v4 UUID", id)
		}
		seen[id] = true
	}
}

func TestNewWebhookURLs(t *testing.T) {
	for raw, ok := range map[string]bool{
		"http://127.0.0.1:8080/hook": true,
		"https://example.com/sns":    true,
		"":                           false,
		"127.0.0.1:8080":             false,
		"ftp://example.com/x":        false,
		"http://":                    false,
		"/relative/path":             false,
	} {
		_, err := NewWebhook(raw, nil)
		if (err == nil) != ok {
			t.Errorf("NewWebhook(%q) error = %v, want ok=%v", raw, err, ok)
		}
	}
}

func TestWebhookPostsTheEnvelopeWithSNSHeaders(t *testing.T) {
	var got *http.Request
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, body = r, must(io.ReadAll(r.Body))
	}))
	defer srv.Close()
	w, err := NewWebhook(srv.URL+"/hook", srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	m := Envelope(provisioned("c1"), newMessageID())
	if err := w.Deliver(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if got.Method != http.MethodPost || got.URL.Path != "/hook" {
		t.Errorf("request = %s %s", got.Method, got.URL.Path)
	}
	for h, want := range map[string]string{
		"Content-Type":           "text/plain; charset=UTF-8",
		"x-amz-sns-message-type": "Notification",
		"x-amz-sns-message-id":   m.MessageID,
		"x-amz-sns-topic-arn":    m.TopicARN,
	} {
		if v := got.Header.Get(h); v != want {
			t.Errorf("header %s = %q, want %q", h, v, want)
		}
	}
	var back Message
	if err := json.Unmarshal(body, &back); err != nil || back != m {
		t.Errorf("body = %s (%v), want %+v", body, err, m)
	}
}

func TestWebhookNon2xxIsAnError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "nope", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	w, _ := NewWebhook(srv.URL, srv.Client())
	if err := w.Deliver(context.Background(), Envelope(provisioned("c1"), "id")); err == nil {
		t.Fatal("a 503 counted as delivered")
	}
}

func TestFileAppendsJSONLinesMode0600(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notifications.jsonl")
	f, err := NewFile(path)
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("file mode = %v (%v), want 0600", info.Mode().Perm(), err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f.Deliver(context.Background(), Envelope(provisioned("c1"), newMessageID())); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	lines := readLines(t, path)
	if len(lines) != 20 {
		t.Fatalf("%d lines, want 20", len(lines))
	}
	for _, l := range lines {
		if l.Type != "Notification" || l.Subject != "ElastiCache:CacheClusterProvisioningComplete : c1" {
			t.Errorf("line = %+v", l)
		}
	}
	// Removed under a running server (rotation): the next message recreates it, 0600.
	_ = os.Remove(path)
	if err := f.Deliver(context.Background(), Envelope(provisioned("c2"), "id")); err != nil {
		t.Fatal(err)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != 0o600 || len(readLines(t, path)) != 1 {
		t.Errorf("recreated file mode %v", info.Mode().Perm())
	}
}

func TestNewFileReportsAnUnwritablePath(t *testing.T) {
	if _, err := NewFile(filepath.Join(t.TempDir(), "no-such-dir", "n.jsonl")); err == nil {
		t.Fatal("a file in a missing directory was accepted")
	}
}

func readLines(t *testing.T, path string) []Message {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []Message
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m Message
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

// recordingSink records deliveries; fail says how many attempts fail first,
// block holds every delivery until closed.
type recordingSink struct {
	mu    sync.Mutex
	got   []Message
	calls int
	fail  int
	block chan struct{}
}

func (s *recordingSink) String() string { return "recording" }

func (s *recordingSink) Deliver(ctx context.Context, m Message) error {
	if s.block != nil {
		select {
		case <-s.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.calls <= s.fail {
		return errors.New("temporarily down")
	}
	s.got = append(s.got, m)
	return nil
}

func (s *recordingSink) delivered() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.got...)
}

func TestDispatcherRetriesUntilDelivered(t *testing.T) {
	s := &recordingSink{fail: 2}
	d := New(Options{RetryBase: time.Millisecond, Attempts: 3, Logger: quiet}, s)
	d.Publish(provisioned("c1"))
	d.Close(context.Background())
	if got := s.delivered(); len(got) != 1 || s.calls != 3 {
		t.Fatalf("delivered %d after %d calls, want 1 after 3", len(got), s.calls)
	}
}

func TestDispatcherGivesUpAfterAttempts(t *testing.T) {
	s := &recordingSink{fail: 100}
	d := New(Options{RetryBase: time.Millisecond, Attempts: 4, Logger: quiet}, s)
	d.Publish(provisioned("c1"))
	d.Publish(provisioned("c2"))
	d.Close(context.Background())
	if len(s.delivered()) != 0 || s.calls != 8 {
		t.Fatalf("calls = %d, want 4 per message", s.calls)
	}
}

func TestDispatcherNeverBlocksThePublisher(t *testing.T) {
	stuck := &recordingSink{block: make(chan struct{})}
	fine := &recordingSink{}
	d := New(Options{QueueSize: 4, Logger: quiet}, stuck, fine)
	start := time.Now()
	for i := 0; i < 100; i++ {
		d.Publish(provisioned("c1"))
	}
	if took := time.Since(start); took > time.Second {
		t.Fatalf("100 publishes to a stuck sink took %s", took)
	}
	// The healthy sink is not held up by the stuck one.
	deadline := time.Now().Add(5 * time.Second)
	for len(fine.delivered()) < 4 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if n := len(fine.delivered()); n < 4 {
		t.Fatalf("the healthy sink got %d, want at least its queue's worth", n)
	}
	// Close with a deadline abandons the stuck deliveries instead of hanging.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start = time.Now()
	d.Close(ctx)
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("Close took %s past its deadline", took)
	}
	d.Publish(provisioned("late")) // after Close: dropped, no panic
}

func TestDispatcherCloseDeliversWhatIsQueued(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { n.Add(1) }))
	defer srv.Close()
	w, _ := NewWebhook(srv.URL, srv.Client())
	d := New(Options{Logger: quiet}, w)
	for i := 0; i < 10; i++ {
		d.Publish(provisioned("c1"))
	}
	d.Close(context.Background())
	if n.Load() != 10 {
		t.Fatalf("webhook got %d of 10", n.Load())
	}
}

func TestNopDropsEverything(t *testing.T) {
	if err := (Nop{}).Deliver(context.Background(), Message{}); err != nil {
		t.Fatal(err)
	}
}

func TestBackoff(t *testing.T) {
	for attempt, want := range map[int]time.Duration{1: 250 * time.Millisecond, 2: 500 * time.Millisecond, 3: time.Second, 10: 10 * time.Second, 100: 10 * time.Second} {
		if got := backoff(250*time.Millisecond, 10*time.Second, attempt); got != want {
			t.Errorf("backoff(%d) = %s, want %s", attempt, got, want)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
