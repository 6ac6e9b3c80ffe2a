package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"sync"
)

// Webhook POSTs each message to a URL, with the headers and body an SNS
// HTTP/HTTPS subscription gets.
type Webhook struct {
	url    string
	client *http.Client
}

// NewWebhook checks that rawURL is an absolute http or https URL.
func NewWebhook(rawURL string, client *http.Client) (*Webhook, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("notification webhook %q: want an absolute http:// or https:// URL", rawURL)
	}
	if client == nil {
		client = &http.Client{}
	}
	return &Webhook{url: u.String(), client: client}, nil
}

func (w *Webhook) String() string { return "webhook " + w.url }

// Deliver POSTs m; any answer but 2xx is a failure to retry.
func (w *Webhook) Deliver(ctx context.Context, m Message) error {
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	// What SNS sends to HTTP endpoints: a JSON document as text/plain.
	req.Header.Set("Content-Type", "text/plain; charset=UTF-8")
	req.Header.Set("x-amz-sns-message-type", m.Type)
	req.Header.Set("x-amz-sns-message-id", m.MessageID)
	req.Header.Set("x-amz-sns-topic-arn", m.TopicARN)
	req.Header.Set("User-Agent", "cacheplane-notify")
	resp, err := w.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%s answered %s", w.url, resp.Status)
	}
	return nil
}

// File appends each message as one JSON line to a file (created 0600).
type File struct {
	path string
	mu   sync.Mutex
}

// NewFile creates the file if needed (0600), so that a path that cannot be
// written is reported at start-up rather than at the first notification.
func NewFile(path string) (*File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("notification file: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("notification file: %w", err)
	}
	return &File{path: path}, nil
}

func (f *File) String() string { return "file " + f.path }

// Deliver appends m and a newline in one write. The file is opened per
// message, so that it may be rotated or removed under a running server.
func (f *File) Deliver(_ context.Context, m Message) error {
	line, err := json.Marshal(m)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	out, err := os.OpenFile(f.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if _, err := out.Write(append(line, '\n')); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
