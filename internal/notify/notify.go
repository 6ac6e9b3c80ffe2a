// Package notify delivers the SNS-style notifications of cluster changes
// (ElastiCache:CacheClusterProvisioningComplete, ...) to local sinks: an HTTP
// webhook that receives what an SNS HTTP subscription would, and a JSON-lines
// file. The reconciler publishes a notification only after the change it
// reports has committed; a Dispatcher queues it (bounded) and delivers it
// with retries on a goroutine of its own, so a slow or dead sink never holds
// up reconciliation.
package notify

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"time"

	"github.com/cacheplane/cacheplane/internal/model"
)

// Message is the JSON document an SNS HTTP/HTTPS subscription receives for a
// notification, less the signature fields (nothing here holds SNS's signing key).
type Message struct {
	Type      string `json:"Type"`
	MessageID string `json:"MessageId"`
	TopicARN  string `json:"TopicArn"`
	Subject   string `json:"Subject"`
	// Message is what ElastiCache publishes: a JSON object naming the event and
	// the cluster, {"ElastiCache:CacheClusterProvisioningComplete":"my-cluster"},
	// which is how consumers of real ElastiCache notifications parse it.
	Message   string `json:"Message"`
	Timestamp string `json:"Timestamp"`
}

// Envelope renders a notification as SNS delivers it. The Subject is the
// form the ElastiCache guide lists, "ElastiCache:AddCacheNodeComplete : my-cluster".
func Envelope(n model.Notification, messageID string) Message {
	body, _ := json.Marshal(map[string]string{n.Event: n.SourceID}) // a map of strings always marshals
	return Message{
		Type:      "Notification",
		MessageID: messageID,
		TopicARN:  n.TopicARN,
		Subject:   n.Event + " : " + n.SourceID,
		Message:   string(body),
		Timestamp: n.Time.UTC().Format("2006-01-02T15:04:05.000Z"),
	}
}

// Sink is where notifications end up.
type Sink interface {
	// Deliver sends one message; an error means it may be retried.
	Deliver(ctx context.Context, m Message) error
	// String names the sink in logs.
	String() string
}

// Nop is the sink of a control plane configured without one: it drops everything.
type Nop struct{}

// Deliver drops m.
func (Nop) Deliver(context.Context, Message) error { return nil }

func (Nop) String() string { return "none" }

// newMessageID is a random UUID (version 4), the form of SNS message ids.
func newMessageID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// backoff is the wait before retry number attempt (1-based): doubling from base, at most limit.
func backoff(base, limit time.Duration, attempt int) time.Duration {
	d := base << min(attempt-1, 20)
	if d <= 0 || d > limit {
		return limit
	}
	return d
}
