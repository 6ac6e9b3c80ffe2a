package service_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/cacheplane/cacheplane/internal/api"
	"github.com/cacheplane/cacheplane/internal/service"
	"github.com/cacheplane/cacheplane/internal/store"
)

func TestCreateCacheSecurityGroupRules(t *testing.T) {
	req := func(name string, desc *string, tags ...api.Tag) *api.CreateCacheSecurityGroupMessage {
		return &api.CreateCacheSecurityGroupMessage{CacheSecurityGroupName: api.String(name), Description: desc, Tags: tags}
	}
	d := api.String("my group")
	for _, tc := range []struct {
		name   string
		in     *api.CreateCacheSecurityGroupMessage
		code   string
		status int
		msg    string
	}{
		{name: "name blank", in: req(" ", d), code: codeIPV, status: 400, msg: "The parameter CacheSecurityGroupName must be provided and must not be blank."},
		{name: "name missing", in: &api.CreateCacheSecurityGroupMessage{Description: d}, code: codeIPV, status: 400, msg: "CacheSecurityGroupName must be provided"},
		{name: "name Default", in: req("Default", d), code: codeIPV, status: 400, msg: "cannot be the word Default"},
		{name: "name default", in: req("default", d), code: codeIPV, status: 400, msg: "cannot be the word Default"},
		{name: "name with underscore", in: req("my_group", d), code: codeIPV, status: 400, msg: "use only ASCII letters, digits and hyphens"},
		{name: "name with space", in: req("my group", d), code: codeIPV, status: 400, msg: "Invalid CacheSecurityGroupName my group"},
		{name: "name of 256", in: req(strings.Repeat("a", 256), d), code: codeIPV, status: 400, msg: "longer than 255 characters"},
		{name: "name of 255", in: req(strings.Repeat("a", 255), d)},
		{name: "name as in the model's example", in: req("my-cache-sec-grp", d)},
		{name: "name of digits", in: req("12345", d)},
		{name: "description missing", in: req("web", nil), code: codeIPV, status: 400, msg: "The parameter Description must be provided and must not be blank."},
		{name: "description empty", in: req("web", api.String("")), code: codeIPV, status: 400, msg: "Description"},
		{name: "tag reserved", in: req("web", d, api.Tag{Key: api.String("aws:x")}), code: codeIPV, status: 400, msg: "reserved"},
		{name: "tag without key", in: req("web", d, api.Tag{Value: api.String("v")}), code: codeIPV, status: 400, msg: "no Key"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc, st := newService(t)
			out, err := svc.CreateCacheSecurityGroup(context.Background(), tc.in)
			if tc.code != "" {
				wantAPIError(t, err, tc.code, tc.status, tc.msg)
				_ = st.View(func(tx *store.Tx) error {
					if n, m := tx.CountRecords(store.BucketSecurityGroups), tx.CountRecords(store.BucketTags); n != 0 || m != 0 {
						t.Errorf("a refused create left %d security groups and %d tag records", n, m)
					}
					return nil
				})
				return
			}
			if err != nil {
				t.Fatalf("CreateCacheSecurityGroup: %v", err)
			}
			g := out.CacheSecurityGroup
			lower := strings.ToLower(api.Deref(tc.in.CacheSecurityGroupName))
			wantField(t, "CacheSecurityGroupName", api.Deref(g.CacheSecurityGroupName), lower)
			wantField(t, "Description", api.Deref(g.Description), "my group")
			wantField(t, "OwnerId", api.Deref(g.OwnerId), testAccount)
			wantField(t, "ARN", api.Deref(g.ARN), "arn:aws:elasticache:us-east-1:123456789012:securitygroup:"+lower)
			wantField(t, "EC2SecurityGroups empty, not absent", g.EC2SecurityGroups != nil && len(g.EC2SecurityGroups) == 0, true)
		})
	}
}

func TestCacheSecurityGroupDuplicateQuotaAndTags(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t, func(c *service.Config) { c.Quotas.MaxSecurityGroups = 3 })
	create := func(name string, tags ...api.Tag) error {
		_, err := svc.CreateCacheSecurityGroup(ctx, &api.CreateCacheSecurityGroupMessage{CacheSecurityGroupName: api.String(name), Description: api.String("d"), Tags: tags})
		return err
	}
	if err := create("Web", api.Tag{Key: api.String("tier"), Value: api.String("web")}); err != nil {
		t.Fatal(err)
	}
	wantAPIError(t, create("WEB"), "CacheSecurityGroupAlreadyExists", 400, "Cache security group web already exists.")
	if err := create("db"); err != nil {
		t.Fatal(err)
	}
	wantAPIError(t, create("cache"), "QuotaExceeded.CacheSecurityGroup", 400, "(3, the default group included)")
	// Authorizing on the default group gives it a record; it still counts once.
	if _, err := svc.AuthorizeCacheSecurityGroupIngress(ctx, ingress("default", "app", "111122223333")); err != nil {
		t.Fatal(err)
	}
	wantAPIError(t, create("cache"), "QuotaExceeded.CacheSecurityGroup", 400, "")
	if err := svc.DeleteCacheSecurityGroup(ctx, &api.DeleteCacheSecurityGroupMessage{CacheSecurityGroupName: api.String("db")}); err != nil {
		t.Fatal(err)
	}
	if err := create("cache"); err != nil {
		t.Errorf("create after a delete made room: %v", err)
	}
	tags, err := svc.ListTagsForResource(ctx, &api.ListTagsForResourceMessage{ResourceName: api.String("arn:aws:elasticache:us-east-1:123456789012:securitygroup:web")})
	if err != nil {
		t.Fatal(err)
	}
	if len(tags.TagList) != 1 || api.Deref(tags.TagList[0].Key) != "tier" {
		t.Errorf("tags = %+v, want tier=web", tags.TagList)
	}
}

func TestCacheSecurityGroupAWSDefaultQuota(t *testing.T) {
	svc, _ := newService(t)
	for i := 0; i < 49; i++ {
		netMakeSecurityGroup(t, svc, fmt.Sprintf("sg%02d", i))
	}
	_, err := svc.CreateCacheSecurityGroup(context.Background(), &api.CreateCacheSecurityGroupMessage{CacheSecurityGroupName: api.String("sg49"), Description: api.String("d")})
	wantAPIError(t, err, "QuotaExceeded.CacheSecurityGroup", 400, "(50, the default group included)")
}

func ingress(group, ec2, owner string) *api.AuthorizeCacheSecurityGroupIngressMessage {
	return &api.AuthorizeCacheSecurityGroupIngressMessage{CacheSecurityGroupName: api.String(group), EC2SecurityGroupName: api.String(ec2), EC2SecurityGroupOwnerId: api.String(owner)}
}

func revoke(group, ec2, owner string) *api.RevokeCacheSecurityGroupIngressMessage {
	return &api.RevokeCacheSecurityGroupIngressMessage{CacheSecurityGroupName: api.String(group), EC2SecurityGroupName: api.String(ec2), EC2SecurityGroupOwnerId: api.String(owner)}
}

func ec2List(g *api.CacheSecurityGroup) string {
	var out []string
	for _, e := range g.EC2SecurityGroups {
		out = append(out, api.Deref(e.EC2SecurityGroupName)+"@"+api.Deref(e.EC2SecurityGroupOwnerId)+"="+api.Deref(e.Status))
	}
	return strings.Join(out, ",")
}

func TestCacheSecurityGroupIngress(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	netMakeSecurityGroup(t, svc, "web")
	describeWeb := func() string {
		out, err := svc.DescribeCacheSecurityGroups(ctx, &api.DescribeCacheSecurityGroupsMessage{CacheSecurityGroupName: api.String("WEB")})
		if err != nil {
			t.Fatal(err)
		}
		return ec2List(&out.CacheSecurityGroups[0])
	}
	out, err := svc.AuthorizeCacheSecurityGroupIngress(ctx, ingress("Web", "app-servers", "111122223333"))
	if err != nil {
		t.Fatal(err)
	}
	wantField(t, "after authorize", ec2List(out.CacheSecurityGroup), "app-servers@111122223333=authorized")
	if _, err := svc.AuthorizeCacheSecurityGroupIngress(ctx, ingress("web", "app-servers", "444455556666")); err != nil {
		t.Fatal(err)
	}
	wantField(t, "described", describeWeb(), "app-servers@111122223333=authorized,app-servers@444455556666=authorized")

	for _, tc := range []struct {
		name   string
		call   func() error
		code   string
		status int
		msg    string
	}{
		{"authorize twice", func() error {
			_, err := svc.AuthorizeCacheSecurityGroupIngress(ctx, ingress("web", "app-servers", "111122223333"))
			return err
		}, "AuthorizationAlreadyExists", 400, "EC2 security group app-servers of account 111122223333 is already authorized for cache security group web."},
		{"authorize on unknown group", func() error {
			_, err := svc.AuthorizeCacheSecurityGroupIngress(ctx, ingress("nope", "app", "111122223333"))
			return err
		}, "CacheSecurityGroupNotFound", 404, "CacheSecurityGroup nope not found."},
		{"authorize blank EC2 name", func() error {
			_, err := svc.AuthorizeCacheSecurityGroupIngress(ctx, ingress("web", "", "111122223333"))
			return err
		}, codeIPV, 400, "EC2SecurityGroupName must be provided"},
		{"authorize access key as owner", func() error {
			_, err := svc.AuthorizeCacheSecurityGroupIngress(ctx, ingress("web", "app", "AKIAIOSFODNN7EXAMPLE"))
			return err
		}, codeIPV, 400, "not an access key id"},
		{"authorize owner of 13 digits", func() error {
			_, err := svc.AuthorizeCacheSecurityGroupIngress(ctx, ingress("web", "app", "1234567890123"))
			return err
		}, codeIPV, 400, "EC2SecurityGroupOwnerId"},
		{"authorize blank group", func() error {
			_, err := svc.AuthorizeCacheSecurityGroupIngress(ctx, ingress("", "app", "111122223333"))
			return err
		}, codeIPV, 400, "CacheSecurityGroupName must be provided"},
		{"revoke not authorized", func() error {
			_, err := svc.RevokeCacheSecurityGroupIngress(ctx, revoke("web", "db-servers", "111122223333"))
			return err
		}, "AuthorizationNotFound", 404, "EC2 security group db-servers of account 111122223333 is not authorized for cache security group web."},
		{"revoke other owner", func() error {
			_, err := svc.RevokeCacheSecurityGroupIngress(ctx, revoke("web", "app-servers", "999999999999"))
			return err
		}, "AuthorizationNotFound", 404, ""},
		{"revoke on unknown group", func() error {
			_, err := svc.RevokeCacheSecurityGroupIngress(ctx, revoke("nope", "app", "111122223333"))
			return err
		}, "CacheSecurityGroupNotFound", 404, ""},
		{"revoke bad owner", func() error {
			_, err := svc.RevokeCacheSecurityGroupIngress(ctx, revoke("web", "app-servers", ""))
			return err
		}, codeIPV, 400, "EC2SecurityGroupOwnerId"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantAPIError(t, tc.call(), tc.code, tc.status, tc.msg)
			wantField(t, "unchanged", describeWeb(), "app-servers@111122223333=authorized,app-servers@444455556666=authorized")
		})
	}

	rout, err := svc.RevokeCacheSecurityGroupIngress(ctx, revoke("web", "app-servers", "111122223333"))
	if err != nil {
		t.Fatal(err)
	}
	wantField(t, "after revoke", ec2List(rout.CacheSecurityGroup), "app-servers@444455556666=authorized")
	wantField(t, "described after revoke", describeWeb(), "app-servers@444455556666=authorized")

	// The default group takes authorizations too, and stays one group.
	if _, err := svc.AuthorizeCacheSecurityGroupIngress(ctx, ingress("default", "app", "111122223333")); err != nil {
		t.Fatal(err)
	}
	all, err := svc.DescribeCacheSecurityGroups(ctx, &api.DescribeCacheSecurityGroupsMessage{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range all.CacheSecurityGroups {
		names = append(names, api.Deref(g.CacheSecurityGroupName)+"["+ec2List(&g)+"]")
	}
	wantField(t, "groups", strings.Join(names, " "), "default[app@111122223333=authorized] web[app-servers@444455556666=authorized]")
}

func TestDescribeCacheSecurityGroups(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t)
	out, err := svc.DescribeCacheSecurityGroups(ctx, &api.DescribeCacheSecurityGroupsMessage{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.CacheSecurityGroups) != 1 || out.Marker != nil {
		t.Fatalf("a fresh account has %d cache security groups (marker %v), want only default", len(out.CacheSecurityGroups), out.Marker)
	}
	g := out.CacheSecurityGroups[0]
	wantField(t, "name", api.Deref(g.CacheSecurityGroupName), "default")
	wantField(t, "Description", api.Deref(g.Description), "default")
	wantField(t, "OwnerId", api.Deref(g.OwnerId), testAccount)
	wantField(t, "ARN", api.Deref(g.ARN), "arn:aws:elasticache:us-east-1:123456789012:securitygroup:default")

	want := []string{"default"}
	for i := 0; i < 44; i++ {
		name := fmt.Sprintf("web%02d", i)
		if i%3 == 0 {
			name = fmt.Sprintf("app%02d", i)
		}
		netMakeSecurityGroup(t, svc, name)
		want = append(want, name)
	}
	var got []string
	var marker *string
	for pages := 1; ; pages++ {
		out, err := svc.DescribeCacheSecurityGroups(ctx, &api.DescribeCacheSecurityGroupsMessage{MaxRecords: api.Int32(20), Marker: marker})
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range out.CacheSecurityGroups {
			got = append(got, api.Deref(g.CacheSecurityGroupName))
		}
		if out.Marker == nil {
			wantField(t, "pages", pages, 3)
			break
		}
		marker = out.Marker
	}
	slices.Sort(want)
	wantField(t, "groups", strings.Join(got, ","), strings.Join(want, ","))

	for _, tc := range []struct {
		in     *api.DescribeCacheSecurityGroupsMessage
		code   string
		status int
		msg    string
	}{
		{&api.DescribeCacheSecurityGroupsMessage{CacheSecurityGroupName: api.String("absent")}, "CacheSecurityGroupNotFound", 404, "CacheSecurityGroup absent not found."},
		{&api.DescribeCacheSecurityGroupsMessage{MaxRecords: api.Int32(10)}, codeIPV, 400, "MaxRecords"},
	} {
		_, err := svc.DescribeCacheSecurityGroups(ctx, tc.in)
		wantAPIError(t, err, tc.code, tc.status, tc.msg)
	}
}

func TestDeleteCacheSecurityGroup(t *testing.T) {
	ctx := context.Background()
	svc, st := newService(t)
	netMakeSecurityGroup(t, svc, "busy")
	_, err := svc.CreateCacheSecurityGroup(ctx, &api.CreateCacheSecurityGroupMessage{
		CacheSecurityGroupName: api.String("idle"), Description: api.String("d"), Tags: []api.Tag{{Key: api.String("k"), Value: api.String("v")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	mustCreate(t, svc, redis(withID("uses-busy"), withSecNames("BUSY")))
	del := func(name string) error {
		return svc.DeleteCacheSecurityGroup(ctx, &api.DeleteCacheSecurityGroupMessage{CacheSecurityGroupName: api.String(name)})
	}
	for _, tc := range []struct {
		name, code string
		status     int
		msg        string
	}{
		{"busy", "InvalidCacheSecurityGroupState", 400, "Cache security group busy is in use by cache cluster uses-busy; delete the cluster first."},
		{"default", "InvalidCacheSecurityGroupState", 400, "The default cache security group cannot be deleted."},
		{"Default", "InvalidCacheSecurityGroupState", 400, "default"},
		{"absent", "CacheSecurityGroupNotFound", 404, "CacheSecurityGroup absent not found."},
		{" ", codeIPV, 400, "CacheSecurityGroupName must be provided"},
	} {
		wantAPIError(t, del(tc.name), tc.code, tc.status, tc.msg)
	}
	if err := del("Idle"); err != nil {
		t.Fatalf("DeleteCacheSecurityGroup(Idle): %v", err)
	}
	wantAPIError(t, del("idle"), "CacheSecurityGroupNotFound", 404, "idle")
	_ = st.View(func(tx *store.Tx) error {
		if tags, _ := tx.Tags("arn:aws:elasticache:us-east-1:123456789012:securitygroup:idle"); len(tags) != 0 {
			t.Errorf("the deleted group's tags stayed: %v", tags)
		}
		return nil
	})
	if err := st.Update(func(tx *store.Tx) error { return tx.DeleteCluster("uses-busy") }); err != nil {
		t.Fatal(err)
	}
	if err := del("busy"); err != nil {
		t.Errorf("DeleteCacheSecurityGroup(busy) after its cluster went: %v", err)
	}
}
