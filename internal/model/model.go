// Package model holds cacheplane's domain types: what a cache cluster is, apart
// from how it travels on the wire (internal/api) or how it is stored
// (internal/store). A Cluster carries the desired Spec, written only by the API
// service, and the observed Status, written only by the reconciler.
package model

import (
	"fmt"
	"time"
)

// Cluster statuses, spelled as AWS spells them.
const (
	StatusCreating  = "creating"
	StatusAvailable = "available"
	StatusDeleting  = "deleting"
	StatusModifying = "modifying"
)

// Node statuses.
const (
	NodeCreating  = "creating"
	NodeAvailable = "available"
	NodeDeleting  = "deleting"
	NodeRebooting = "rebooting"
)

// Cluster is one cache cluster.
type Cluster struct {
	Spec   ClusterSpec   `json:"spec"`
	Status ClusterStatus `json:"status"`
}

// Tag is a resource tag; a nil Value is allowed by AWS.
type Tag struct {
	Key   string  `json:"key"`
	Value *string `json:"value,omitempty"`
}

// LogDelivery is one requested log delivery configuration.
type LogDelivery struct {
	LogType         string `json:"logType"`
	DestinationType string `json:"destinationType"`
	LogGroup        string `json:"logGroup,omitempty"`
	DeliveryStream  string `json:"deliveryStream,omitempty"`
	LogFormat       string `json:"logFormat"`
	Enabled         bool   `json:"enabled"`
}

// ClusterSpec is the desired state of a cluster.
type ClusterSpec struct {
	ID                       string        `json:"id"` // lowercase, as AWS stores it
	ARN                      string        `json:"arn"`
	Engine                   string        `json:"engine"`
	EngineVersion            string        `json:"engineVersion"`
	ParameterGroupFamily     string        `json:"family"`
	CacheNodeType            string        `json:"cacheNodeType"`
	NumCacheNodes            int           `json:"numCacheNodes"`
	Port                     int           `json:"port"`
	AZMode                   string        `json:"azMode,omitempty"`
	PreferredAZ              string        `json:"preferredAz"` // a zone name, or "Multiple"
	ParameterGroupName       string        `json:"parameterGroup"`
	SubnetGroupName          string        `json:"subnetGroup,omitempty"`
	SecurityGroupNames       []string      `json:"securityGroupNames,omitempty"`
	SecurityGroupIDs         []string      `json:"securityGroupIds,omitempty"`
	MaintenanceWindow        string        `json:"maintenanceWindow"`
	SnapshotWindow           string        `json:"snapshotWindow,omitempty"`
	SnapshotRetentionLimit   int           `json:"snapshotRetentionLimit"`
	AutoMinorVersionUpgrade  bool          `json:"autoMinorVersionUpgrade"`
	NotificationTopicARN     string        `json:"notificationTopicArn,omitempty"`
	AuthToken                string        `json:"authToken,omitempty"` // secret: never in API output, logs or argv
	AuthTokenLastModified    *time.Time    `json:"authTokenLastModified,omitempty"`
	TransitEncryptionEnabled bool          `json:"transitEncryption"`
	NetworkType              string        `json:"networkType"`
	IPDiscovery              string        `json:"ipDiscovery"`
	LogDelivery              []LogDelivery `json:"logDelivery,omitempty"`
	ReplicationGroupID       string        `json:"replicationGroupId,omitempty"`
	PreferredOutpostARN      string        `json:"preferredOutpostArn,omitempty"`
	CreatedAt                time.Time     `json:"createdAt"`
	Nodes                    []NodeSpec    `json:"nodes"`
	// ConfigEndpoint is a memcached cluster's configuration endpoint (Auto
	// Discovery), an address of its own; nil for other engines.
	ConfigEndpoint *Endpoint `json:"configEndpoint,omitempty"`
	// ConfigVersion is the Auto Discovery configuration version.
	ConfigVersion int `json:"configVersion,omitempty"`
	// Deleted is the desired state "gone": the reconciler stops and removes the
	// nodes, then removes the cluster record.
	Deleted bool `json:"deleted,omitempty"`
	// Generation counts changes to the spec; Status.ObservedGeneration says how far the reconciler got.
	Generation int64 `json:"generation"`
}

// Endpoint is an address and port.
type Endpoint struct {
	Address string `json:"address"`
	Port    int    `json:"port"`
}

// NodeSpec is the desired state of one cache node.
type NodeSpec struct {
	ID        string    `json:"id"` // "0001", "0002", ...
	Address   string    `json:"address"`
	Port      int       `json:"port"`
	AZ        string    `json:"az"`
	CreatedAt time.Time `json:"createdAt"`
}

// ClusterStatus is what the reconciler observed.
type ClusterStatus struct {
	Status             string       `json:"status"`
	ObservedGeneration int64        `json:"observedGeneration"`
	Nodes              []NodeStatus `json:"nodes,omitempty"`
	Message            string       `json:"message,omitempty"` // last reconcile problem, for operators
}

// NodeStatus is the observed state of one cache node.
type NodeStatus struct {
	ID            string    `json:"id"`
	Status        string    `json:"status"`
	Binary        string    `json:"binary,omitempty"`        // engine binary actually serving the node
	BinaryVersion string    `json:"binaryVersion,omitempty"` // what that binary reports, e.g. 7.0.15
	PID           int       `json:"pid,omitempty"`
	StartedAt     time.Time `json:"startedAt,omitempty"`
	Restarts      int       `json:"restarts,omitempty"`
	// ParameterStatus says whether the running process has its parameter
	// group's values: ParametersInSync ("" before the node first ran),
	// ParametersApplying or ParametersPendingReboot.
	ParameterStatus string `json:"parameterStatus,omitempty"`
	// Parameters are the parameter group values in effect in the running
	// process (what it was started with plus what was applied live), in
	// engine.NormalizeParameters form (only values that differ from the
	// family defaults).
	Parameters map[string]string `json:"parameters,omitempty"`
	// PendingParameters are the values, by parameter name, that take effect
	// only when the process restarts (requires-reboot parameters, and
	// immediate ones the engine refused or cannot change while it runs).
	PendingParameters map[string]string `json:"pendingParameters,omitempty"`
}

// NodeKey is the driver-level identity of a node: unique across clusters.
func NodeKey(clusterID, nodeID string) string { return clusterID + "/" + nodeID }

// NodeID formats the n-th node id (1-based) as AWS does: 0001.
func NodeID(n int) string { return fmt.Sprintf("%04d", n) }

// ClusterARN is the ARN of a cache cluster.
func ClusterARN(region, account, id string) string {
	return fmt.Sprintf("arn:aws:elasticache:%s:%s:cluster:%s", region, account, id)
}

// NodeStatusByID returns the observed status of node id, or nil.
func (s *ClusterStatus) NodeStatusByID(id string) *NodeStatus {
	for i := range s.Nodes {
		if s.Nodes[i].ID == id {
			return &s.Nodes[i]
		}
	}
	return nil
}
