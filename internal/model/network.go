package model

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"time"
)

// The network that clusters live in. There is no EC2 here, so the VPCs and
// subnets are a local layout (configured, or derived from the account and
// region); cache subnet groups refer to its subnets, and a node's availability
// zone is the zone of a subnet of its cluster's group.

// DefaultGroupName is the name of the built-in subnet group and security group.
const DefaultGroupName = "default"

// DefaultSubnetGroupDescription is how AWS describes the built-in subnet group.
const DefaultSubnetGroupDescription = "Default CacheSubnetGroup"

// DefaultSecurityGroupDescription is how the built-in cache security group is described.
const DefaultSecurityGroupDescription = "default"

// NetworkTypes every local subnet supports: nodes listen on loopback, which
// has both an IPv4 range and ::1.
var allNetworkTypes = []string{"ipv4", "ipv6", "dual_stack"}

// VPC is one virtual private cloud of the local layout.
type VPC struct {
	ID      string   `json:"id"` // vpc- and 17 hex digits
	CIDR    string   `json:"cidr"`
	Default bool     `json:"default"` // the VPC of the built-in "default" subnet group
	Subnets []Subnet `json:"subnets"`
}

// Subnet is one subnet of a VPC; it lies in exactly one availability zone.
type Subnet struct {
	ID           string   `json:"id"` // subnet- and 17 hex digits
	VPCID        string   `json:"vpcId"`
	AZ           string   `json:"az"`
	CIDR         string   `json:"cidr"`
	NetworkTypes []string `json:"networkTypes"` // ipv4, ipv6, dual_stack
}

// maxDefaultSubnets is how many /20 subnets 172.31.0.0/16 holds.
const maxDefaultSubnets = 16

// DefaultVPC is the default VPC of an account in a region, laid out as AWS
// lays out default VPCs: 172.31.0.0/16 with one /20 subnet per availability
// zone. Its id and its subnets' ids are derived from the account, the region
// and the zone, so they are the same on every start and differ between
// accounts. At most 16 zones fit; further zones get no subnet.
func DefaultVPC(region, account string, zones []string) VPC {
	vpc := VPC{ID: "vpc-" + hexID("vpc", account, region), CIDR: "172.31.0.0/16", Default: true}
	for i, z := range zones {
		if i == maxDefaultSubnets {
			break
		}
		vpc.Subnets = append(vpc.Subnets, Subnet{
			ID:           "subnet-" + hexID("subnet", account, region, z),
			VPCID:        vpc.ID,
			AZ:           z,
			CIDR:         fmt.Sprintf("172.31.%d.0/20", 16*i),
			NetworkTypes: slices.Clone(allNetworkTypes),
		})
	}
	return vpc
}

// hexID is 17 hex digits derived from the parts (the length of current EC2 ids).
func hexID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:17]
}

// SubnetGroup is a cache subnet group. Subnets are copies of the layout's
// subnets, taken when the group was created or last modified, so a group still
// describes itself after the layout changes.
type SubnetGroup struct {
	Name        string    `json:"name"` // lowercase, as AWS stores it
	Description string    `json:"description"`
	VPCID       string    `json:"vpcId"`
	Subnets     []Subnet  `json:"subnets"`
	ARN         string    `json:"arn"`
	CreatedAt   time.Time `json:"createdAt"`
}

// Zones are the distinct availability zones of the group's subnets, in order.
func (g *SubnetGroup) Zones() []string {
	var zones []string
	for _, s := range g.Subnets {
		if !slices.Contains(zones, s.AZ) {
			zones = append(zones, s.AZ)
		}
	}
	slices.Sort(zones)
	return zones
}

// NetworkTypes are the network types every subnet of the group supports.
func (g *SubnetGroup) NetworkTypes() []string {
	var out []string
	for _, t := range allNetworkTypes {
		all := len(g.Subnets) > 0
		for _, s := range g.Subnets {
			if !slices.Contains(s.NetworkTypes, t) {
				all = false
				break
			}
		}
		if all {
			out = append(out, t)
		}
	}
	return out
}

// SecurityGroup is an EC2-Classic style cache security group: a named list of
// EC2 security groups allowed in.
type SecurityGroup struct {
	Name        string             `json:"name"` // lowercase, as AWS stores it
	Description string             `json:"description"`
	OwnerID     string             `json:"ownerId"`
	ARN         string             `json:"arn"`
	Ingress     []EC2SecurityGroup `json:"ingress,omitempty"`
	CreatedAt   time.Time          `json:"createdAt"`
}

// EC2SecurityGroup is one authorization of a cache security group.
type EC2SecurityGroup struct {
	Name    string `json:"name"`
	OwnerID string `json:"ownerId"`
	Status  string `json:"status"` // authorized
}

// SubnetGroupARN is the ARN of a cache subnet group.
func SubnetGroupARN(region, account, name string) string {
	return fmt.Sprintf("arn:aws:elasticache:%s:%s:subnetgroup:%s", region, account, name)
}

// SecurityGroupARN is the ARN of a cache security group.
func SecurityGroupARN(region, account, name string) string {
	return fmt.Sprintf("arn:aws:elasticache:%s:%s:securitygroup:%s", region, account, name)
}

// Same reports whether two authorizations name the same EC2 security group.
func (e EC2SecurityGroup) Same(o EC2SecurityGroup) bool {
	return e.Name == o.Name && e.OwnerID == o.OwnerID
}
