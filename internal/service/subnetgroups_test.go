package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/cacheplane/cacheplane/internal/api"
	"github.com/cacheplane/cacheplane/internal/model"
	"github.com/cacheplane/cacheplane/internal/service"
	"github.com/cacheplane/cacheplane/internal/store"
)

const msgSubnetGroupIdentifier = "The parameter CacheSubnetGroupName is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens."

// Subnets of the test layouts.
const (
	otherVPC = "vpc-0000000000000beef"
)

func layoutSubnet(i int) string { return fmt.Sprintf("subnet-%017x", 0xa000+i) }

// withLayout configures two VPCs: the default one (default zones) and
// otherVPC with 22 subnets spread over us-east-1a..c.
func withLayout(c *service.Config) {
	def := model.DefaultVPC(testRegion, testAccount, service.DefaultZones(testRegion))
	other := model.VPC{ID: otherVPC, CIDR: "10.0.0.0/16"}
	for i := 0; i < 22; i++ {
		other.Subnets = append(other.Subnets, model.Subnet{
			ID: layoutSubnet(i), VPCID: otherVPC, AZ: "us-east-1" + string(rune('a'+i%3)),
			CIDR: fmt.Sprintf("10.0.%d.0/24", i), NetworkTypes: []string{"ipv4"},
		})
	}
	c.VPCs = []model.VPC{def, other}
}

func layoutSubnets(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = layoutSubnet(i)
	}
	return ids
}

type sngCreate func(svc *service.Service) *api.CreateCacheSubnetGroupMessage

func TestCreateCacheSubnetGroupRules(t *testing.T) {
	sub := func(svc *service.Service, az string) string {
		return model.DefaultVPC(testRegion, testAccount, service.DefaultZones(testRegion)).Subnets[int(az[len(az)-1]-'a')].ID
	}
	req := func(name string, mods ...func(*api.CreateCacheSubnetGroupMessage, *service.Service)) sngCreate {
		return func(svc *service.Service) *api.CreateCacheSubnetGroupMessage {
			in := &api.CreateCacheSubnetGroupMessage{
				CacheSubnetGroupName:        api.String(name),
				CacheSubnetGroupDescription: api.String("my group"),
				SubnetIds:                   []string{sub(svc, "us-east-1a")},
			}
			for _, m := range mods {
				m(in, svc)
			}
			return in
		}
	}
	subnets := func(ids ...string) func(*api.CreateCacheSubnetGroupMessage, *service.Service) {
		return func(in *api.CreateCacheSubnetGroupMessage, _ *service.Service) { in.SubnetIds = ids }
	}
	zones := func(zs ...string) func(*api.CreateCacheSubnetGroupMessage, *service.Service) {
		return func(in *api.CreateCacheSubnetGroupMessage, svc *service.Service) {
			in.SubnetIds = nil
			for _, z := range zs {
				in.SubnetIds = append(in.SubnetIds, sub(svc, z))
			}
		}
	}
	noDesc := func(in *api.CreateCacheSubnetGroupMessage, _ *service.Service) { in.CacheSubnetGroupDescription = nil }
	desc := func(d string) func(*api.CreateCacheSubnetGroupMessage, *service.Service) {
		return func(in *api.CreateCacheSubnetGroupMessage, _ *service.Service) {
			in.CacheSubnetGroupDescription = api.String(d)
		}
	}
	noName := func(in *api.CreateCacheSubnetGroupMessage, _ *service.Service) { in.CacheSubnetGroupName = nil }
	tags := func(n int, key string) func(*api.CreateCacheSubnetGroupMessage, *service.Service) {
		return func(in *api.CreateCacheSubnetGroupMessage, _ *service.Service) {
			for i := 0; i < n; i++ {
				in.Tags = append(in.Tags, api.Tag{Key: api.String(fmt.Sprintf("%s%02d", key, i)), Value: api.String("v")})
			}
		}
	}
	for _, tc := range []struct {
		name   string
		in     sngCreate
		code   string
		status int
		msg    string
		check  func(t *testing.T, g *api.CacheSubnetGroup)
	}{
		// Names (aws-behaviour.md §1.1, §2.2).
		{name: "name missing", in: req("x", noName), code: codeIPV, status: 400, msg: "The parameter CacheSubnetGroupName must be provided and must not be blank."},
		{name: "name blank", in: req("  "), code: codeIPV, status: 400, msg: "The parameter CacheSubnetGroupName must be provided and must not be blank."},
		{name: "name starts with a digit", in: req("1group"), code: codeIPV, status: 400, msg: msgSubnetGroupIdentifier},
		{name: "name with underscore", in: req("my_group"), code: codeIPV, status: 400, msg: msgSubnetGroupIdentifier},
		{name: "name ends with a hyphen", in: req("group-"), code: codeIPV, status: 400, msg: msgSubnetGroupIdentifier},
		{name: "name with two hyphens", in: req("my--group"), code: codeIPV, status: 400, msg: msgSubnetGroupIdentifier},
		{name: "name of 256", in: req("g" + strings.Repeat("x", 255)), code: codeIPV, status: 400, msg: "The parameter CacheSubnetGroupName is not a valid identifier because it is longer than 255 characters."},
		{name: "name of 255", in: req("g" + strings.Repeat("x", 254))},
		{name: "name stored lowercase", in: req("My-Group"), check: func(t *testing.T, g *api.CacheSubnetGroup) {
			wantField(t, "CacheSubnetGroupName", api.Deref(g.CacheSubnetGroupName), "my-group")
			wantField(t, "ARN", api.Deref(g.ARN), "arn:aws:elasticache:us-east-1:123456789012:subnetgroup:my-group")
		}},
		{name: "name default", in: req("default"), code: "CacheSubnetGroupAlreadyExists", status: 400, msg: "Cache subnet group default already exists."},
		{name: "name Default", in: req("Default"), code: "CacheSubnetGroupAlreadyExists", status: 400, msg: "default"},
		// Description.
		{name: "description missing", in: req("g", noDesc), code: codeIPV, status: 400, msg: "The parameter CacheSubnetGroupDescription must be provided and must not be blank."},
		{name: "description empty", in: req("g", desc("")), code: codeIPV, status: 400, msg: "CacheSubnetGroupDescription"},
		{name: "description of a space", in: req("g", desc(" ")), check: func(t *testing.T, g *api.CacheSubnetGroup) {
			wantField(t, "CacheSubnetGroupDescription", api.Deref(g.CacheSubnetGroupDescription), " ")
		}},
		// Subnets.
		{name: "no subnets", in: req("g", subnets()), code: codeIPV, status: 400, msg: "The parameter SubnetIds must be provided."},
		{name: "unknown subnet", in: req("g", subnets("subnet-0123456789abcdef0")), code: codeIPV, status: 400, msg: "Some input subnets in :[subnet-0123456789abcdef0] are invalid. Unknown: subnet-0123456789abcdef0; the subnets here are subnet-"},
		{name: "malformed subnet", in: req("g", subnets("my-subnet")), code: codeIPV, status: 400, msg: "Some input subnets in :[my-subnet] are invalid."},
		{name: "one unknown among known", in: func(svc *service.Service) *api.CreateCacheSubnetGroupMessage {
			in := req("g")(svc)
			in.SubnetIds = append(in.SubnetIds, "subnet-00000000000000bad")
			return in
		}, code: codeIPV, status: 400, msg: "Unknown: subnet-00000000000000bad;"},
		{name: "subnets of two VPCs", in: req("g", func(in *api.CreateCacheSubnetGroupMessage, _ *service.Service) {
			in.SubnetIds = append(in.SubnetIds, layoutSubnet(0))
		}), code: "InvalidSubnet", status: 400, msg: "are not in the same VPC"},
		{name: "21 subnets", in: req("g", subnets(layoutSubnets(21)...)), code: "CacheSubnetQuotaExceededFault", status: 400, msg: "21 were given, at most 20"},
		{name: "20 subnets", in: req("g", subnets(layoutSubnets(20)...)), check: func(t *testing.T, g *api.CacheSubnetGroup) {
			wantField(t, "len(Subnets)", len(g.Subnets), 20)
			wantField(t, "VpcId", api.Deref(g.VpcId), otherVPC)
			wantField(t, "SupportedNetworkTypes", fmt.Sprint(g.SupportedNetworkTypes), "[ipv4]")
		}},
		{name: "21 ids of 20 subnets", in: req("g", subnets(append(layoutSubnets(20), layoutSubnet(0))...)), check: func(t *testing.T, g *api.CacheSubnetGroup) {
			wantField(t, "len(Subnets)", len(g.Subnets), 20)
		}},
		{name: "zones and subnets described", in: req("g", zones("us-east-1c", "us-east-1a", "us-east-1c")), check: func(t *testing.T, g *api.CacheSubnetGroup) {
			var got []string
			for _, sn := range g.Subnets {
				got = append(got, api.Deref(sn.SubnetAvailabilityZone.Name)+"="+api.Deref(sn.SubnetIdentifier)+fmt.Sprint(sn.SupportedNetworkTypes))
			}
			vpc := model.DefaultVPC(testRegion, testAccount, service.DefaultZones(testRegion))
			wantField(t, "Subnets", strings.Join(got, " "), "us-east-1c="+vpc.Subnets[2].ID+"[ipv4 ipv6 dual_stack] us-east-1a="+vpc.Subnets[0].ID+"[ipv4 ipv6 dual_stack]")
			wantField(t, "VpcId", api.Deref(g.VpcId), vpc.ID)
			wantField(t, "SupportedNetworkTypes", fmt.Sprint(g.SupportedNetworkTypes), "[ipv4 ipv6 dual_stack]")
			wantField(t, "CacheSubnetGroupDescription", api.Deref(g.CacheSubnetGroupDescription), "my group")
		}},
		// Tags.
		{name: "50 tags", in: req("g", tags(50, "k"))},
		{name: "51 tags", in: req("g", tags(51, "k")), code: "TagQuotaPerResourceExceeded", status: 400, msg: "at most 50 tags"},
		{name: "reserved tag key", in: req("g", tags(1, "aws:")), code: codeIPV, status: 400, msg: "reserved"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc, st := newService(t, withLayout)
			in := tc.in(svc)
			out, err := svc.CreateCacheSubnetGroup(context.Background(), in)
			if tc.code != "" {
				wantAPIError(t, err, tc.code, tc.status, tc.msg)
				// Nothing was recorded: neither the group nor its tags.
				_ = st.View(func(tx *store.Tx) error {
					if n, m := tx.CountRecords(store.BucketSubnetGroups), tx.CountRecords(store.BucketTags); n != 0 || m != 0 {
						t.Errorf("a refused create left %d subnet groups and %d tag records", n, m)
					}
					return nil
				})
				return
			}
			if err != nil {
				t.Fatalf("CreateCacheSubnetGroup: %v", err)
			}
			if tc.check != nil {
				tc.check(t, out.CacheSubnetGroup)
			}
			// What Create answered is what Describe answers.
			d, err := svc.DescribeCacheSubnetGroups(context.Background(), &api.DescribeCacheSubnetGroupsMessage{CacheSubnetGroupName: in.CacheSubnetGroupName})
			if err != nil {
				t.Fatal(err)
			}
			wantField(t, "described", asJSON(t, d.CacheSubnetGroups[0]), asJSON(t, *out.CacheSubnetGroup))
		})
	}
}

func TestCreateCacheSubnetGroupDuplicateAndTags(t *testing.T) {
	svc, _ := newService(t)
	ctx := context.Background()
	in := &api.CreateCacheSubnetGroupMessage{
		CacheSubnetGroupName: api.String("Team-A"), CacheSubnetGroupDescription: api.String("team a"),
		SubnetIds: []string{netSubnetOf(t, svc, "us-east-1a")},
		Tags:      []api.Tag{{Key: api.String("team"), Value: api.String("a")}},
	}
	if _, err := svc.CreateCacheSubnetGroup(ctx, in); err != nil {
		t.Fatal(err)
	}
	in.CacheSubnetGroupName = api.String("TEAM-a")
	_, err := svc.CreateCacheSubnetGroup(ctx, in)
	wantAPIError(t, err, "CacheSubnetGroupAlreadyExists", 400, "Cache subnet group team-a already exists.")
	tags, err := svc.ListTagsForResource(ctx, &api.ListTagsForResourceMessage{ResourceName: api.String("arn:aws:elasticache:us-east-1:123456789012:subnetgroup:team-a")})
	if err != nil {
		t.Fatal(err)
	}
	if len(tags.TagList) != 1 || api.Deref(tags.TagList[0].Key) != "team" || api.Deref(tags.TagList[0].Value) != "a" {
		t.Errorf("tags = %+v, want team=a", tags.TagList)
	}
}

func TestCacheSubnetGroupQuota(t *testing.T) {
	t.Run("configured", func(t *testing.T) {
		svc, _ := newService(t, func(c *service.Config) { c.Quotas.MaxSubnetGroups = 3 })
		netMakeGroup(t, svc, "one", "us-east-1a")
		netMakeGroup(t, svc, "two", "us-east-1a")
		_, err := svc.CreateCacheSubnetGroup(context.Background(), &api.CreateCacheSubnetGroupMessage{
			CacheSubnetGroupName: api.String("three"), CacheSubnetGroupDescription: api.String("d"), SubnetIds: []string{netSubnetOf(t, svc, "us-east-1a")},
		})
		wantAPIError(t, err, "CacheSubnetGroupQuotaExceeded", 400, "(3, the default group included)")
		// Deleting one makes room again.
		if err := svc.DeleteCacheSubnetGroup(context.Background(), &api.DeleteCacheSubnetGroupMessage{CacheSubnetGroupName: api.String("one")}); err != nil {
			t.Fatal(err)
		}
		netMakeGroup(t, svc, "three", "us-east-1a")
	})
	t.Run("AWS default 300", func(t *testing.T) {
		if testing.Short() {
			t.Skip("creates 300 groups")
		}
		svc, st := newService(t)
		// 298 groups written at once (one fsync), then the 299th and 300th through the API.
		err := st.Update(func(tx *store.Tx) error {
			for i := 0; i < 298; i++ {
				name := fmt.Sprintf("bulk%03d", i)
				if err := tx.PutRecord(store.BucketSubnetGroups, name, &model.SubnetGroup{Name: name}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		netMakeGroup(t, svc, "last", "us-east-1a")
		_, err = svc.CreateCacheSubnetGroup(context.Background(), &api.CreateCacheSubnetGroupMessage{
			CacheSubnetGroupName: api.String("one-too-many"), CacheSubnetGroupDescription: api.String("d"), SubnetIds: []string{netSubnetOf(t, svc, "us-east-1a")},
		})
		wantAPIError(t, err, "CacheSubnetGroupQuotaExceeded", 400, "(300, the default group included)")
	})
}

func TestDescribeCacheSubnetGroups(t *testing.T) {
	svc, _ := newService(t)
	ctx := context.Background()
	var want []string
	for i := 0; i < 45; i++ {
		name := fmt.Sprintf("g%02d", i)
		if i%2 == 0 {
			name = fmt.Sprintf("a%02d", i) // before "default"
		}
		netMakeGroup(t, svc, name, "us-east-1a")
		want = append(want, name)
	}
	want = append(want, "default")
	slices.Sort(want)

	t.Run("default group", func(t *testing.T) {
		out, err := svc.DescribeCacheSubnetGroups(ctx, &api.DescribeCacheSubnetGroupsMessage{CacheSubnetGroupName: api.String("DEFAULT")})
		if err != nil {
			t.Fatal(err)
		}
		g := out.CacheSubnetGroups[0]
		vpc := model.DefaultVPC(testRegion, testAccount, service.DefaultZones(testRegion))
		wantField(t, "CacheSubnetGroupName", api.Deref(g.CacheSubnetGroupName), "default")
		wantField(t, "CacheSubnetGroupDescription", api.Deref(g.CacheSubnetGroupDescription), "Default CacheSubnetGroup")
		wantField(t, "VpcId", api.Deref(g.VpcId), vpc.ID)
		wantField(t, "ARN", api.Deref(g.ARN), "arn:aws:elasticache:us-east-1:123456789012:subnetgroup:default")
		wantField(t, "len(Subnets)", len(g.Subnets), 6)
		for i, sn := range g.Subnets {
			wantField(t, "subnet", api.Deref(sn.SubnetIdentifier), vpc.Subnets[i].ID)
			wantField(t, "zone", api.Deref(sn.SubnetAvailabilityZone.Name), "us-east-1"+string(rune('a'+i)))
		}
		if out.Marker != nil {
			t.Errorf("Marker = %q for one group", *out.Marker)
		}
	})
	t.Run("paging", func(t *testing.T) {
		var got []string
		var marker *string
		pages := 0
		for {
			out, err := svc.DescribeCacheSubnetGroups(ctx, &api.DescribeCacheSubnetGroupsMessage{MaxRecords: api.Int32(20), Marker: marker})
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, g := range out.CacheSubnetGroups {
				got = append(got, api.Deref(g.CacheSubnetGroupName))
			}
			if out.Marker == nil {
				break
			}
			if len(out.CacheSubnetGroups) != 20 {
				t.Errorf("page %d has %d groups and a Marker", pages, len(out.CacheSubnetGroups))
			}
			marker = out.Marker
		}
		wantField(t, "pages", pages, 3)
		wantField(t, "groups", strings.Join(got, ","), strings.Join(want, ","))
	})
	t.Run("one page by default", func(t *testing.T) {
		out, err := svc.DescribeCacheSubnetGroups(ctx, &api.DescribeCacheSubnetGroupsMessage{})
		if err != nil {
			t.Fatal(err)
		}
		wantField(t, "len", len(out.CacheSubnetGroups), 46)
		if out.Marker != nil {
			t.Errorf("Marker = %q on the only page", *out.Marker)
		}
	})
	t.Run("refusals", func(t *testing.T) {
		for _, tc := range []struct {
			in     *api.DescribeCacheSubnetGroupsMessage
			code   string
			status int
			msg    string
		}{
			{&api.DescribeCacheSubnetGroupsMessage{CacheSubnetGroupName: api.String("Absent")}, "CacheSubnetGroupNotFoundFault", 400, "Cache Subnet Group absent does not exist."},
			{&api.DescribeCacheSubnetGroupsMessage{CacheSubnetGroupName: api.String("")}, "CacheSubnetGroupNotFoundFault", 400, ""},
			{&api.DescribeCacheSubnetGroupsMessage{MaxRecords: api.Int32(19)}, codeIPV, 400, "MaxRecords"},
			{&api.DescribeCacheSubnetGroupsMessage{MaxRecords: api.Int32(101)}, codeIPV, 400, "MaxRecords"},
		} {
			_, err := svc.DescribeCacheSubnetGroups(ctx, tc.in)
			wantAPIError(t, err, tc.code, tc.status, tc.msg)
		}
	})
}

// asJSON renders v for comparison (the wire structures are all pointers).
func asJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestModifyCacheSubnetGroup(t *testing.T) {
	ctx := context.Background()
	type modCase struct {
		name   string
		in     func(svc *service.Service) *api.ModifyCacheSubnetGroupMessage
		code   string
		status int
		msg    string
		want   string // zones of the group after the change
		desc   string
	}
	mod := func(name string, desc *string, zones ...string) func(svc *service.Service) *api.ModifyCacheSubnetGroupMessage {
		return func(svc *service.Service) *api.ModifyCacheSubnetGroupMessage {
			in := &api.ModifyCacheSubnetGroupMessage{CacheSubnetGroupName: api.String(name), CacheSubnetGroupDescription: desc}
			for _, z := range zones {
				in.SubnetIds = append(in.SubnetIds, netSubnetOf(t, svc, z))
			}
			return in
		}
	}
	withIDs := func(name string, ids ...string) func(svc *service.Service) *api.ModifyCacheSubnetGroupMessage {
		return func(*service.Service) *api.ModifyCacheSubnetGroupMessage {
			return &api.ModifyCacheSubnetGroupMessage{CacheSubnetGroupName: api.String(name), SubnetIds: ids}
		}
	}
	for _, tc := range []modCase{
		{name: "description only", in: mod("AB", api.String("new words")), want: "us-east-1a,us-east-1b", desc: "new words"},
		{name: "nothing to change", in: mod("ab", nil), want: "us-east-1a,us-east-1b", desc: "group ab"},
		{name: "subnets replaced", in: mod("ab", nil, "us-east-1c", "us-east-1d"), want: "us-east-1c,us-east-1d", desc: "group ab"},
		{name: "subnets and description", in: mod("ab", api.String("x"), "us-east-1f"), want: "us-east-1f", desc: "x"},
		{name: "group unknown", in: mod("absent", api.String("x")), code: "CacheSubnetGroupNotFoundFault", status: 400, msg: "Cache Subnet Group absent does not exist."},
		{name: "name blank", in: mod("", api.String("x")), code: codeIPV, status: 400, msg: "CacheSubnetGroupName must be provided"},
		{name: "default group", in: mod("Default", api.String("x")), code: codeIPV, status: 400, msg: "default is reserved and cannot be modified."},
		{name: "description blank", in: mod("ab", api.String("")), code: codeIPV, status: 400, msg: "CacheSubnetGroupDescription must not be blank"},
		{name: "subnet unknown", in: withIDs("ab", "subnet-0000000000000dead"), code: codeIPV, status: 400, msg: "Some input subnets in :[subnet-0000000000000dead] are invalid."},
		{name: "subnets empty", in: withIDs("ab", []string{}...), code: codeIPV, status: 400, msg: "SubnetIds must be provided"},
		{name: "subnets of two VPCs", in: func(svc *service.Service) *api.ModifyCacheSubnetGroupMessage {
			return &api.ModifyCacheSubnetGroupMessage{CacheSubnetGroupName: api.String("ab"), SubnetIds: []string{netSubnetOf(t, svc, "us-east-1a"), layoutSubnet(1)}}
		}, code: "InvalidSubnet", status: 400, msg: "not in the same VPC"},
		{name: "21 subnets", in: withIDs("ab", layoutSubnets(21)...), code: "CacheSubnetQuotaExceededFault", status: 400, msg: "at most 20"},
		{name: "another VPC while unused", in: withIDs("ab", layoutSubnets(2)...), want: "us-east-1a,us-east-1b", desc: "group ab"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc, _ := newService(t, withLayout)
			before := netMakeGroup(t, svc, "ab", "us-east-1a", "us-east-1b")
			out, err := svc.ModifyCacheSubnetGroup(ctx, tc.in(svc))
			after, derr := svc.DescribeCacheSubnetGroups(ctx, &api.DescribeCacheSubnetGroupsMessage{CacheSubnetGroupName: api.String("ab")})
			if derr != nil {
				t.Fatal(derr)
			}
			if tc.code != "" {
				wantAPIError(t, err, tc.code, tc.status, tc.msg)
				wantField(t, "group after a refused modify", asJSON(t, after.CacheSubnetGroups[0]), asJSON(t, *before))
				return
			}
			if err != nil {
				t.Fatalf("ModifyCacheSubnetGroup: %v", err)
			}
			g := out.CacheSubnetGroup
			var zones []string
			for _, sn := range g.Subnets {
				zones = append(zones, api.Deref(sn.SubnetAvailabilityZone.Name))
			}
			wantField(t, "zones", strings.Join(zones, ","), tc.want)
			wantField(t, "description", api.Deref(g.CacheSubnetGroupDescription), tc.desc)
			wantField(t, "described", asJSON(t, after.CacheSubnetGroups[0]), asJSON(t, *g))
		})
	}
}

// TestModifySubnetGroupInUse: a zone where a node of a cluster in the group
// runs keeps a subnet; zones without nodes may go.
func TestModifySubnetGroupInUse(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t, withLayout)
	netMakeGroup(t, svc, "abc", "us-east-1a", "us-east-1b", "us-east-1c")
	mustCreate(t, svc, memcached(withID("m"), withSubnet("abc"), withNodes(2), withAZs("us-east-1a", "us-east-1b")))
	modify := func(zones ...string) error {
		in := &api.ModifyCacheSubnetGroupMessage{CacheSubnetGroupName: api.String("abc")}
		for _, z := range zones {
			in.SubnetIds = append(in.SubnetIds, netSubnetOf(t, svc, z))
		}
		_, err := svc.ModifyCacheSubnetGroup(ctx, in)
		return err
	}
	wantAPIError(t, modify("us-east-1a", "us-east-1c"), "SubnetInUse", 400, "node 0002 of cache cluster m runs in us-east-1b")
	wantAPIError(t, modify("us-east-1d"), "SubnetInUse", 400, "(us-east-1a) is in use")
	if err := modify("us-east-1b", "us-east-1a", "us-east-1e"); err != nil {
		t.Errorf("dropping the node-less zone c and adding e: %v", err)
	}
	// Another VPC's subnets in the same zones: the cluster's nodes are in this VPC.
	_, err := svc.ModifyCacheSubnetGroup(ctx, &api.ModifyCacheSubnetGroupMessage{CacheSubnetGroupName: api.String("abc"), SubnetIds: layoutSubnets(3)})
	wantAPIError(t, err, "SubnetInUse", 400, "cannot move to "+otherVPC)
	// The description may always change.
	if _, err := svc.ModifyCacheSubnetGroup(ctx, &api.ModifyCacheSubnetGroupMessage{CacheSubnetGroupName: api.String("abc"), CacheSubnetGroupDescription: api.String("busy")}); err != nil {
		t.Errorf("changing the description of a group in use: %v", err)
	}
}

func TestDeleteCacheSubnetGroup(t *testing.T) {
	ctx := context.Background()
	svc, st := newService(t)
	netMakeGroup(t, svc, "busy", "us-east-1a")
	_, err := svc.CreateCacheSubnetGroup(ctx, &api.CreateCacheSubnetGroupMessage{
		CacheSubnetGroupName: api.String("idle"), CacheSubnetGroupDescription: api.String("d"),
		SubnetIds: []string{netSubnetOf(t, svc, "us-east-1b")}, Tags: []api.Tag{{Key: api.String("k"), Value: api.String("v")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	mustCreate(t, svc, redis(withID("user-1"), withSubnet("busy")))
	del := func(name string) error {
		return svc.DeleteCacheSubnetGroup(ctx, &api.DeleteCacheSubnetGroupMessage{CacheSubnetGroupName: api.String(name)})
	}
	for _, tc := range []struct {
		name, code string
		status     int
		msg        string
	}{
		{"Busy", "CacheSubnetGroupInUse", 400, "Cache subnet group busy is currently in use by a cache cluster (user-1); delete cache cluster user-1 first."},
		{"default", codeIPV, 400, "default is reserved and cannot be modified."},
		{"DEFAULT", codeIPV, 400, "cannot be deleted"},
		{"absent", "CacheSubnetGroupNotFoundFault", 400, "Cache Subnet Group absent does not exist."},
		{"", codeIPV, 400, "CacheSubnetGroupName must be provided"},
	} {
		wantAPIError(t, del(tc.name), tc.code, tc.status, tc.msg)
	}
	if err := del("IDLE"); err != nil {
		t.Fatalf("DeleteCacheSubnetGroup(IDLE): %v", err)
	}
	wantAPIError(t, del("idle"), "CacheSubnetGroupNotFoundFault", 400, "idle")
	_ = st.View(func(tx *store.Tx) error {
		if tags, _ := tx.Tags("arn:aws:elasticache:us-east-1:123456789012:subnetgroup:idle"); len(tags) != 0 {
			t.Errorf("the deleted group's tags stayed: %v", tags)
		}
		return nil
	})
	// Once the cluster is gone (the reconciler removes its record), the group can go.
	if err := st.Update(func(tx *store.Tx) error { return tx.DeleteCluster("user-1") }); err != nil {
		t.Fatal(err)
	}
	if err := del("busy"); err != nil {
		t.Errorf("DeleteCacheSubnetGroup(busy) after its cluster went: %v", err)
	}
}
