package service_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/cacheplane/cacheplane/internal/api"
	"github.com/cacheplane/cacheplane/internal/model"
	"github.com/cacheplane/cacheplane/internal/service"
	"github.com/cacheplane/cacheplane/internal/store"
)

var (
	vpcIDRE    = regexp.MustCompile(`^vpc-[0-9a-f]{17}$`)
	subnetIDRE = regexp.MustCompile(`^subnet-[0-9a-f]{17}$`)
)

// netSubnetOf returns the id of the default VPC's subnet in zone az.
func netSubnetOf(t testing.TB, svc *service.Service, az string) string {
	t.Helper()
	out, err := svc.DescribeCacheSubnetGroups(context.Background(), &api.DescribeCacheSubnetGroupsMessage{CacheSubnetGroupName: api.String("default")})
	if err != nil {
		t.Fatalf("DescribeCacheSubnetGroups(default): %v", err)
	}
	for _, sn := range out.CacheSubnetGroups[0].Subnets {
		if api.Deref(sn.SubnetAvailabilityZone.Name) == az {
			return api.Deref(sn.SubnetIdentifier)
		}
	}
	t.Fatalf("the default VPC has no subnet in %s", az)
	return ""
}

// netMakeGroup creates a subnet group over the default VPC's subnets in the zones.
func netMakeGroup(t testing.TB, svc *service.Service, name string, zones ...string) *api.CacheSubnetGroup {
	t.Helper()
	var ids []string
	for _, z := range zones {
		ids = append(ids, netSubnetOf(t, svc, z))
	}
	out, err := svc.CreateCacheSubnetGroup(context.Background(), &api.CreateCacheSubnetGroupMessage{
		CacheSubnetGroupName: api.String(name), CacheSubnetGroupDescription: api.String("group " + name), SubnetIds: ids,
	})
	if err != nil {
		t.Fatalf("CreateCacheSubnetGroup(%s): %v", name, err)
	}
	return out.CacheSubnetGroup
}

func netMakeSecurityGroup(t testing.TB, svc *service.Service, name string) {
	t.Helper()
	_, err := svc.CreateCacheSecurityGroup(context.Background(), &api.CreateCacheSecurityGroupMessage{CacheSecurityGroupName: api.String(name), Description: api.String("sg " + name)})
	if err != nil {
		t.Fatalf("CreateCacheSecurityGroup(%s): %v", name, err)
	}
}

func TestDefaultVPCLayout(t *testing.T) {
	zones := service.DefaultZones("us-east-1")
	vpc := model.DefaultVPC("us-east-1", testAccount, zones)
	if !vpcIDRE.MatchString(vpc.ID) || !vpc.Default || vpc.CIDR != "172.31.0.0/16" {
		t.Fatalf("default VPC = %+v, want vpc-<17 hex>, default, 172.31.0.0/16", vpc)
	}
	if len(vpc.Subnets) != len(zones) {
		t.Fatalf("%d subnets for %d zones", len(vpc.Subnets), len(zones))
	}
	seen := map[string]bool{}
	for i, sn := range vpc.Subnets {
		if !subnetIDRE.MatchString(sn.ID) || seen[sn.ID] {
			t.Errorf("subnet id %q: want a distinct subnet-<17 hex>", sn.ID)
		}
		seen[sn.ID] = true
		wantField(t, "zone", sn.AZ, zones[i])
		wantField(t, "CIDR", sn.CIDR, fmt.Sprintf("172.31.%d.0/20", 16*i))
		wantField(t, "VPC", sn.VPCID, vpc.ID)
	}
	// Stable: the same account and region give the same ids on every start.
	again := model.DefaultVPC("us-east-1", testAccount, zones)
	if again.ID != vpc.ID || again.Subnets[3].ID != vpc.Subnets[3].ID {
		t.Errorf("the default VPC changed between two derivations")
	}
	// Another account or region has its own VPC.
	if model.DefaultVPC("us-east-1", "000000000000", zones).ID == vpc.ID || model.DefaultVPC("us-west-2", testAccount, zones).ID == vpc.ID {
		t.Errorf("two accounts or regions share VPC %s", vpc.ID)
	}
	// The /16 has room for 16 /20 subnets.
	many := make([]string, 20)
	for i := range many {
		many[i] = fmt.Sprintf("us-east-1-zone-%d", i)
	}
	if n := len(model.DefaultVPC("us-east-1", testAccount, many).Subnets); n != 16 {
		t.Errorf("%d subnets for 20 zones, want 16", n)
	}
}

func TestParseAvailabilityZones(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		err  string
	}{
		{"us-east-1a", []string{"us-east-1a"}, ""},
		{" us-east-1b , us-east-1d,", []string{"us-east-1b", "us-east-1d"}, ""},
		{"us-east-1-bos-1a", []string{"us-east-1-bos-1a"}, ""},
		{"", nil, "no availability zone"},
		{",,", nil, "no availability zone"},
		{"eu-west-1a", nil, "not a zone of region us-east-1"},
		{"us-east-1", nil, "not a zone of region"},
		{"us-east-1A", nil, "not a zone of region"},
		{"us-east-1a,us-east-1a", nil, "listed twice"},
		{strings.Repeat("us-east-1x,", 1) + "us-east-1a,us-east-1b,us-east-1c,us-east-1d,us-east-1e,us-east-1f,us-east-1g,us-east-1h,us-east-1i,us-east-1j,us-east-1k,us-east-1l,us-east-1m,us-east-1n,us-east-1o,us-east-1p", nil, "room for 16"},
	} {
		got, err := service.ParseAvailabilityZones("us-east-1", tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseAvailabilityZones(%q) = %v, %v; want error %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("ParseAvailabilityZones(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

// TestClusterZonesFromSubnetGroup: a cluster's nodes go in the zones of its
// subnet group's subnets; other zones are refused as AWS refuses them.
func TestClusterZonesFromSubnetGroup(t *testing.T) {
	inAB := func(t *testing.T, c *api.CacheCluster) {
		wantField(t, "CacheSubnetGroupName", api.Deref(c.CacheSubnetGroupName), "ab")
		if z := api.Deref(c.PreferredAvailabilityZone); z != "us-east-1a" && z != "us-east-1b" {
			t.Errorf("PreferredAvailabilityZone = %s, want a zone of group ab", z)
		}
	}
	for _, tc := range []createCase{
		accept("group any case", redis(withSubnet("AB")), inAB),
		accept("default zone choice is the group's", memcached(withSubnet("ab"), withNodes(4)), inAB),
		accept("zone of the group", redis(withSubnet("ab"), withAZ("us-east-1b")), func(t *testing.T, c *api.CacheCluster) {
			wantField(t, "PreferredAvailabilityZone", api.Deref(c.PreferredAvailabilityZone), "us-east-1b")
		}),
		accept("cross-az spreads over the group's zones only", memcached(withSubnet("ab"), withNodes(4), withAZMode(api.AZModeCrossAz)), func(t *testing.T, c *api.CacheCluster) {
			wantField(t, "PreferredAvailabilityZone", api.Deref(c.PreferredAvailabilityZone), "Multiple")
		}),
		accept("zones list within the group", memcached(withSubnet("ab"), withNodes(3), withAZs("us-east-1a", "us-east-1b", "us-east-1a")), nil),
		refuse("zone of the region outside the group", redis(withSubnet("ab"), withAZ("us-east-1c")), "InvalidVPCNetworkStateFault", 400, "No subnet is present in the cache subnet group for availability zone us-east-1c; its subnets are in us-east-1a, us-east-1b."),
		refuse("zones list with one outside the group", memcached(withSubnet("ab"), withNodes(2), withAZs("us-east-1a", "us-east-1f")), "InvalidVPCNetworkStateFault", 400, "us-east-1f"),
		refuse("single-zone group and another zone", redis(withSubnet("onlyd"), withAZ("us-east-1a")), "InvalidVPCNetworkStateFault", 400, "its subnets are in us-east-1d"),
		refuse("zone the region does not have", redis(withSubnet("ab"), withAZ("us-east-1z")), codeIPV, 400, "Invalid availability zone us-east-1z"),
		refuse("zone of another region", redis(withSubnet("ab"), withAZ("eu-west-1a")), codeIPV, 400, "eu-west-1a"),
		refuse("group unknown", redis(withSubnet("Nope")), "CacheSubnetGroupNotFoundFault", 400, "Cache Subnet Group nope does not exist."),
		refuse("group blank", redis(withSubnet(" ")), codeIPV, 400, "The parameter CacheSubnetGroupName must be provided and must not be blank."),
		accept("default group still has every zone", redis(withAZ("us-east-1f")), func(t *testing.T, c *api.CacheCluster) {
			wantField(t, "CacheSubnetGroupName", api.Deref(c.CacheSubnetGroupName), "default")
		}),
		// Security groups resolve against created groups too.
		accept("cache security group created", redis(withSecNames("Web", "default", "web")), func(t *testing.T, c *api.CacheCluster) {
			var names []string
			for _, m := range c.CacheSecurityGroups {
				names = append(names, api.Deref(m.CacheSecurityGroupName)+"/"+api.Deref(m.Status))
			}
			wantField(t, "CacheSecurityGroups", strings.Join(names, ","), "web/active,default/active")
		}),
		refuse("cache security group unknown", redis(withSecNames("web", "db")), "CacheSecurityGroupNotFound", 404, "CacheSecurityGroup db not found."),
		refuse("cache security group empty name", redis(withSecNames("")), codeIPV, 400, "empty name"),
		refuse("cache security groups and VPC security groups", redis(withSecNames("web"), withSGIDs("sg-12345678")), codeIPC, 400, "not both"),
		accept("VPC security group ids in a custom group", redis(withSubnet("ab"), withSGIDs("sg-0123456789abcdef0")), func(t *testing.T, c *api.CacheCluster) {
			wantField(t, "SecurityGroups", api.Deref(c.SecurityGroups[0].SecurityGroupId)+"/"+api.Deref(c.SecurityGroups[0].Status), "sg-0123456789abcdef0/active")
		}),
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc, st := newService(t)
			netMakeGroup(t, svc, "ab", "us-east-1a", "us-east-1b")
			netMakeGroup(t, svc, "onlyd", "us-east-1d")
			netMakeSecurityGroup(t, svc, "web")
			out, err := svc.CreateCacheCluster(context.Background(), tc.in)
			if tc.code != "" {
				wantAPIError(t, err, tc.code, tc.status, tc.msg)
				if c, a := counts(t, st); c != 0 || a != 0 {
					t.Errorf("a refused create left %d clusters and %d addresses", c, a)
				}
				return
			}
			if err != nil {
				t.Fatalf("CreateCacheCluster: %v", err)
			}
			if tc.check != nil {
				tc.check(t, out.CacheCluster)
			}
		})
	}
}

// TestNodesReportTheirZones: every node reports the zone it was placed in
// (CustomerAvailabilityZone), a zone of its cluster's subnet group.
func TestNodesReportTheirZones(t *testing.T) {
	svc, st := newService(t)
	netMakeGroup(t, svc, "bce", "us-east-1b", "us-east-1c", "us-east-1e")
	mustCreate(t, svc, memcached(withID("spread"), withSubnet("bce"), withNodes(6), withAZMode(api.AZModeCrossAz)))
	mustCreate(t, svc, memcached(withID("listed"), withSubnet("bce"), withNodes(3), withAZs("us-east-1e", "us-east-1c", "us-east-1e")))
	setStatus(t, st, "spread", model.StatusAvailable, "")
	setStatus(t, st, "listed", model.StatusAvailable, "")
	zonesOf := func(id string) []string {
		out, err := svc.DescribeCacheClusters(context.Background(), &api.DescribeCacheClustersMessage{CacheClusterId: api.String(id), ShowCacheNodeInfo: api.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		var zones []string
		for _, n := range out.CacheClusters[0].CacheNodes {
			zones = append(zones, api.Deref(n.CustomerAvailabilityZone))
		}
		return zones
	}
	spread := zonesOf("spread")
	if len(spread) != 6 {
		t.Fatalf("spread has %d nodes", len(spread))
	}
	for _, z := range spread {
		if z != "us-east-1b" && z != "us-east-1c" && z != "us-east-1e" {
			t.Errorf("node zone %s is not a zone of group bce", z)
		}
	}
	if distinct := len(slices.Compact(slices.Sorted(slices.Values(spread)))); distinct != 3 {
		t.Errorf("cross-az over 3 zones used %d zones: %v", distinct, spread)
	}
	wantField(t, "listed zones", strings.Join(zonesOf("listed"), ","), "us-east-1e,us-east-1c,us-east-1e")
}

// TestConfiguredAvailabilityZones: the zone layout comes from the
// configuration; the default group has one subnet per configured zone.
func TestConfiguredAvailabilityZones(t *testing.T) {
	svc, _ := newService(t, func(c *service.Config) { c.AvailabilityZones = []string{"us-east-1b", "us-east-1d"} })
	out, err := svc.DescribeCacheSubnetGroups(context.Background(), &api.DescribeCacheSubnetGroupsMessage{CacheSubnetGroupName: api.String("default")})
	if err != nil {
		t.Fatal(err)
	}
	var zones []string
	for _, sn := range out.CacheSubnetGroups[0].Subnets {
		zones = append(zones, api.Deref(sn.SubnetAvailabilityZone.Name))
	}
	wantField(t, "default group zones", strings.Join(zones, ","), "us-east-1b,us-east-1d")
	for i := 0; i < 10; i++ {
		c := mustCreate(t, svc, redis(withID(fmt.Sprintf("c%d", i))))
		if z := api.Deref(c.PreferredAvailabilityZone); z != "us-east-1b" && z != "us-east-1d" {
			t.Errorf("cluster placed in %s, not a configured zone", z)
		}
	}
	_, err = svc.CreateCacheCluster(context.Background(), redis(withID("x"), withAZ("us-east-1a")))
	wantAPIError(t, err, codeIPV, 400, "region us-east-1 has us-east-1b, us-east-1d")
}

// TestSubnetGroupDeleteRacesClusterCreate: a group is deleted, or a cluster
// is created in it, never both: no cluster is left naming a missing group.
func TestSubnetGroupDeleteRacesClusterCreate(t *testing.T) {
	svc, st := newService(t)
	ctx := context.Background()
	for round := 0; round < 20; round++ {
		name := fmt.Sprintf("race%d", round)
		netMakeGroup(t, svc, name, "us-east-1a")
		var wg sync.WaitGroup
		var createErr, deleteErr error
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, createErr = svc.CreateCacheCluster(ctx, redis(withID("c-"+name), withSubnet(name)))
		}()
		go func() {
			defer wg.Done()
			deleteErr = svc.DeleteCacheSubnetGroup(ctx, &api.DeleteCacheSubnetGroupMessage{CacheSubnetGroupName: api.String(name)})
		}()
		wg.Wait()
		switch {
		case createErr == nil && deleteErr == nil:
			t.Fatalf("round %d: the cluster was created and its subnet group deleted", round)
		case createErr == nil:
			wantAPIError(t, deleteErr, "CacheSubnetGroupInUse", 400, name)
		case deleteErr == nil:
			wantAPIError(t, createErr, "CacheSubnetGroupNotFoundFault", 400, name)
		default:
			t.Fatalf("round %d: both failed: %v; %v", round, createErr, deleteErr)
		}
	}
	// Every recorded cluster's group exists.
	groupOf := map[string]string{}
	err := st.View(func(tx *store.Tx) error {
		return tx.Clusters("", func(c *model.Cluster) bool {
			groupOf[c.Spec.ID] = c.Spec.SubnetGroupName
			return true
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	for id, group := range groupOf {
		if _, err := svc.DescribeCacheSubnetGroups(ctx, &api.DescribeCacheSubnetGroupsMessage{CacheSubnetGroupName: api.String(group)}); err != nil {
			t.Errorf("cluster %s names subnet group %s: %v", id, group, err)
		}
	}
}
