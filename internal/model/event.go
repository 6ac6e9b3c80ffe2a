package model

import (
	"fmt"
	"time"
)

// Event source types, spelled as the model's SourceType enum spells them.
const (
	SourceCacheCluster = "cache-cluster"
)

// EventRetention is how long events can be retrieved (AWS: "up to 14 days' worth").
const EventRetention = 14 * 24 * time.Hour

// Event is one entry of the DescribeEvents history: something that happened to
// a resource, in AWS's words.
type Event struct {
	SourceIdentifier string    `json:"sourceId"`
	SourceType       string    `json:"sourceType"`
	Message          string    `json:"message"`
	Date             time.Time `json:"date"`
}

// Event messages, worded as AWS words them (aws-behaviour.md §11.1; the
// ElastiCache SNS guide pairs each notification with its event message).
const (
	MsgCacheClusterCreated = "Cache cluster created"
	MsgCacheClusterDeleted = "Cache cluster deleted"
)

// MsgAddedCacheNode is the event of a node that has come into service.
func MsgAddedCacheNode(nodeID, zone string) string {
	return fmt.Sprintf("Added cache node %s in availability zone %s", nodeID, zone)
}

// MsgRecoveringCacheNodes is the event of a node being replaced because it
// died or stopped answering.
func MsgRecoveringCacheNodes(nodeIDs string) string {
	return "Recovering cache nodes " + nodeIDs
}

// MsgFinishedRecovery is the event of a replaced node answering again (the
// message of ElastiCache:CacheNodeReplaceComplete).
func MsgFinishedRecovery(nodeIDs string) string {
	return "Finished recovery for cache nodes " + nodeIDs
}

// ClusterEvent is an event about a cache cluster.
func ClusterEvent(clusterID, message string, at time.Time) Event {
	return Event{SourceIdentifier: clusterID, SourceType: SourceCacheCluster, Message: message, Date: at.UTC()}
}

// SNS event names of the notifications cacheplane sends (aws-behaviour.md §11.2).
const (
	NotifyCacheClusterProvisioningComplete = "ElastiCache:CacheClusterProvisioningComplete"
	NotifyDeleteCacheClusterComplete       = "ElastiCache:DeleteCacheClusterComplete"
	NotifyAddCacheNodeComplete             = "ElastiCache:AddCacheNodeComplete"
	NotifyCacheNodeReplaceStarted          = "ElastiCache:CacheNodeReplaceStarted"
	NotifyCacheNodeReplaceComplete         = "ElastiCache:CacheNodeReplaceComplete"
)

// Notification is one SNS-style notification about a cluster, sent to the
// cluster's NotificationTopicArn once the change it reports is committed.
type Notification struct {
	TopicARN string    // the cluster's NotificationTopicArn
	Event    string    // e.g. ElastiCache:CacheClusterProvisioningComplete
	SourceID string    // the cluster id
	Time     time.Time // when the change happened
}
