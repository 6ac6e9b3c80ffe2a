package model

import (
	"fmt"
	"time"
)

// ParameterGroup is a custom cache parameter group. The default groups
// (default.<family>) are not stored: they are the engine catalog's
// defaults and cannot change.
type ParameterGroup struct {
	Name        string `json:"name"` // lowercase, as AWS stores it
	Family      string `json:"family"`
	Description string `json:"description"`
	ARN         string `json:"arn"`
	// Parameters are the values the group sets, by parameter name. A new
	// group is a copy of its family's defaults, so it starts with none:
	// every parameter it does not name has the family default.
	Parameters map[string]string `json:"parameters,omitempty"`
	CreatedAt  time.Time         `json:"createdAt"`
	// Generation counts changes to the parameters.
	Generation int64 `json:"generation"`
}

// ParameterGroupARN is the ARN of a cache parameter group.
func ParameterGroupARN(region, account, name string) string {
	return fmt.Sprintf("arn:aws:elasticache:%s:%s:parametergroup:%s", region, account, name)
}

// Parameter apply statuses of a node (CacheNode.ParameterGroupStatus) and
// of a cluster (CacheParameterGroupStatus.ParameterApplyStatus).
const (
	ParametersInSync        = "in-sync"
	ParametersApplying      = "applying"
	ParametersPendingReboot = "pending-reboot"
)
