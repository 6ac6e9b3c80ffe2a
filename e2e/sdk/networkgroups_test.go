package sdk_test

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	"github.com/aws/aws-sdk-go-v2/service/elasticache/types"
	"github.com/aws/smithy-go"

	"github.com/cacheplane/cacheplane/internal/engine"
)

// blockNetworkGroups is this file's node address block (127.78.46.0/24), far
// from the blocks of the other files.
const blockNetworkGroups = 46

// wantFault checks that err is the SDK's typed exception target with the wire
// code, a client fault whose message contains msg.
func wantFault(t *testing.T, what string, err error, target any, code, msg string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: accepted, want %s", what, code)
		return
	}
	if target != nil && !errors.As(err, target) {
		t.Errorf("%s: %v (%T), want %T", what, err, err, target)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code || ae.ErrorFault() != smithy.FaultClient || !strings.Contains(ae.ErrorMessage(), msg) {
		t.Errorf("%s: %v, want client fault %s containing %q", what, err, code, msg)
	}
}

// TestSubnetGroupsRoundTrip: subnet groups through the Go SDK, and a real
// redis node placed in a zone of a custom group.
func TestSubnetGroupsRoundTrip(t *testing.T) {
	requireEngines(t, engine.Redis)
	t.Parallel()
	e := newEnv(t, blockNetworkGroups)
	s := e.start()
	ctx := testCtx(t)
	c := s.client

	def, err := c.DescribeCacheSubnetGroups(ctx, &elasticache.DescribeCacheSubnetGroupsInput{CacheSubnetGroupName: aws.String("default")})
	if err != nil {
		t.Fatalf("DescribeCacheSubnetGroups(default): %v", err)
	}
	dg := def.CacheSubnetGroups[0]
	if aws.ToString(dg.CacheSubnetGroupDescription) != "Default CacheSubnetGroup" || !regexp.MustCompile(`^vpc-[0-9a-f]{17}$`).MatchString(aws.ToString(dg.VpcId)) || len(dg.Subnets) != 6 {
		t.Fatalf("default group = %s %s with %d subnets", aws.ToString(dg.CacheSubnetGroupDescription), aws.ToString(dg.VpcId), len(dg.Subnets))
	}
	subnetIn := map[string]string{}
	for _, sn := range dg.Subnets {
		subnetIn[aws.ToString(sn.SubnetAvailabilityZone.Name)] = aws.ToString(sn.SubnetIdentifier)
		if !slices.Contains(sn.SupportedNetworkTypes, types.NetworkTypeIpv4) {
			t.Errorf("subnet %s supports %v", aws.ToString(sn.SubnetIdentifier), sn.SupportedNetworkTypes)
		}
	}

	created, err := c.CreateCacheSubnetGroup(ctx, &elasticache.CreateCacheSubnetGroupInput{
		CacheSubnetGroupName:        aws.String("SDK-Group"),
		CacheSubnetGroupDescription: aws.String("two zones"),
		SubnetIds:                   []string{subnetIn["us-east-1b"], subnetIn["us-east-1d"]},
		Tags:                        []types.Tag{{Key: aws.String("team"), Value: aws.String("cache")}},
	})
	if err != nil {
		t.Fatalf("CreateCacheSubnetGroup: %v", err)
	}
	g := created.CacheSubnetGroup
	if aws.ToString(g.CacheSubnetGroupName) != "sdk-group" || aws.ToString(g.VpcId) != aws.ToString(dg.VpcId) ||
		aws.ToString(g.ARN) != "arn:aws:elasticache:"+region+":"+accountID+":subnetgroup:sdk-group" || len(g.Subnets) != 2 {
		t.Errorf("created group = %+v", g)
	}
	tags, err := c.ListTagsForResource(ctx, &elasticache.ListTagsForResourceInput{ResourceName: g.ARN})
	if err != nil || len(tags.TagList) != 1 {
		t.Errorf("tags of the group: %v %v", tags, err)
	}

	_, err = c.CreateCacheSubnetGroup(ctx, &elasticache.CreateCacheSubnetGroupInput{
		CacheSubnetGroupName: aws.String("sdk-group"), CacheSubnetGroupDescription: aws.String("d"), SubnetIds: []string{subnetIn["us-east-1a"]},
	})
	wantFault(t, "duplicate", err, new(*types.CacheSubnetGroupAlreadyExistsFault), "CacheSubnetGroupAlreadyExists", "sdk-group already exists")
	_, err = c.CreateCacheSubnetGroup(ctx, &elasticache.CreateCacheSubnetGroupInput{
		CacheSubnetGroupName: aws.String("bad--name"), CacheSubnetGroupDescription: aws.String("d"), SubnetIds: []string{subnetIn["us-east-1a"]},
	})
	wantFault(t, "bad name", err, new(*types.InvalidParameterValueException), "InvalidParameterValue", "The parameter CacheSubnetGroupName is not a valid identifier.")
	_, err = c.CreateCacheSubnetGroup(ctx, &elasticache.CreateCacheSubnetGroupInput{
		CacheSubnetGroupName: aws.String("ghost"), CacheSubnetGroupDescription: aws.String("d"), SubnetIds: []string{"subnet-0123456789abcdef0"},
	})
	wantFault(t, "unknown subnet", err, new(*types.InvalidParameterValueException), "InvalidParameterValue", "Some input subnets in :[subnet-0123456789abcdef0] are invalid.")
	_, err = c.DescribeCacheSubnetGroups(ctx, &elasticache.DescribeCacheSubnetGroupsInput{CacheSubnetGroupName: aws.String("ghost")})
	wantFault(t, "describe missing", err, new(*types.CacheSubnetGroupNotFoundFault), "CacheSubnetGroupNotFoundFault", "Cache Subnet Group ghost does not exist.")

	// A zone of the region that the group has no subnet in.
	_, err = c.CreateCacheCluster(ctx, &elasticache.CreateCacheClusterInput{
		CacheClusterId: aws.String("sdk-net"), Engine: aws.String("redis"), CacheNodeType: aws.String("cache.t3.micro"),
		CacheSubnetGroupName: aws.String("sdk-group"), PreferredAvailabilityZone: aws.String("us-east-1a"),
	})
	wantFault(t, "zone outside the group", err, new(*types.InvalidVPCNetworkStateFault), "InvalidVPCNetworkStateFault", "No subnet is present in the cache subnet group for availability zone us-east-1a")

	_, err = c.CreateCacheCluster(ctx, &elasticache.CreateCacheClusterInput{
		CacheClusterId: aws.String("sdk-net"), Engine: aws.String("redis"), CacheNodeType: aws.String("cache.t3.micro"),
		Port: aws.Int32(freePort(t)), CacheSubnetGroupName: aws.String("SDK-GROUP"), PreferredAvailabilityZone: aws.String("us-east-1d"),
		SecurityGroupIds: []string{"sg-0123456789abcdef0"},
	})
	if err != nil {
		t.Fatalf("CreateCacheCluster in sdk-group: %v", err)
	}
	waitAvailable(t, ctx, c, "sdk-net")
	cl := describeOne(t, ctx, c, "sdk-net")
	if aws.ToString(cl.CacheSubnetGroupName) != "sdk-group" || aws.ToString(cl.PreferredAvailabilityZone) != "us-east-1d" {
		t.Errorf("cluster group %s zone %s", aws.ToString(cl.CacheSubnetGroupName), aws.ToString(cl.PreferredAvailabilityZone))
	}
	if len(cl.CacheNodes) != 1 || aws.ToString(cl.CacheNodes[0].CustomerAvailabilityZone) != "us-east-1d" {
		t.Fatalf("nodes = %+v, want one in us-east-1d", cl.CacheNodes)
	}
	if len(cl.SecurityGroups) != 1 || aws.ToString(cl.SecurityGroups[0].SecurityGroupId) != "sg-0123456789abcdef0" {
		t.Errorf("SecurityGroups = %+v", cl.SecurityGroups)
	}
	if pong, err := dialRESP(t, endpointOf(cl.CacheNodes[0].Endpoint)).do("PING"); err != nil || pong != "PONG" {
		t.Errorf("PING the node in us-east-1d: %v %v", pong, err)
	}

	// In use: the group cannot go, nor lose the node's zone.
	err = deleteSubnetGroup(t, c, "sdk-group")
	wantFault(t, "delete in use", err, new(*types.CacheSubnetGroupInUse), "CacheSubnetGroupInUse", "is currently in use by a cache cluster (sdk-net)")
	_, err = c.ModifyCacheSubnetGroup(ctx, &elasticache.ModifyCacheSubnetGroupInput{CacheSubnetGroupName: aws.String("sdk-group"), SubnetIds: []string{subnetIn["us-east-1b"]}})
	wantFault(t, "remove the node's zone", err, new(*types.SubnetInUse), "SubnetInUse", "node 0001 of cache cluster sdk-net runs in us-east-1d")
	mod, err := c.ModifyCacheSubnetGroup(ctx, &elasticache.ModifyCacheSubnetGroupInput{
		CacheSubnetGroupName: aws.String("sdk-group"), CacheSubnetGroupDescription: aws.String("d and f"),
		SubnetIds: []string{subnetIn["us-east-1d"], subnetIn["us-east-1f"]},
	})
	if err != nil {
		t.Fatalf("ModifyCacheSubnetGroup keeping us-east-1d: %v", err)
	}
	if aws.ToString(mod.CacheSubnetGroup.CacheSubnetGroupDescription) != "d and f" || aws.ToString(mod.CacheSubnetGroup.Subnets[1].SubnetAvailabilityZone.Name) != "us-east-1f" {
		t.Errorf("modified group = %+v", mod.CacheSubnetGroup)
	}
	err = deleteSubnetGroup(t, c, "default")
	wantFault(t, "delete default", err, new(*types.InvalidParameterValueException), "InvalidParameterValue", "default is reserved and cannot be modified.")

	// Paging with the SDK's paginator: the default group and ours.
	var names []string
	p := elasticache.NewDescribeCacheSubnetGroupsPaginator(c, &elasticache.DescribeCacheSubnetGroupsInput{MaxRecords: aws.Int32(20)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range page.CacheSubnetGroups {
			names = append(names, aws.ToString(g.CacheSubnetGroupName))
		}
	}
	if !slices.Equal(names, []string{"default", "sdk-group"}) {
		t.Errorf("paginated groups = %v", names)
	}

	deleteAndWait(t, ctx, e, s, "sdk-net")
	if err := deleteSubnetGroup(t, c, "SDK-Group"); err != nil {
		t.Fatalf("DeleteCacheSubnetGroup after the cluster went: %v", err)
	}
	_, err = c.DescribeCacheSubnetGroups(ctx, &elasticache.DescribeCacheSubnetGroupsInput{CacheSubnetGroupName: aws.String("sdk-group")})
	wantFault(t, "describe deleted", err, new(*types.CacheSubnetGroupNotFoundFault), "CacheSubnetGroupNotFoundFault", "sdk-group")
}

func deleteSubnetGroup(t *testing.T, c *elasticache.Client, name string) error {
	_, err := c.DeleteCacheSubnetGroup(testCtx(t), &elasticache.DeleteCacheSubnetGroupInput{CacheSubnetGroupName: aws.String(name)})
	return err
}

// TestSecurityGroupsRoundTrip: cache security groups through the Go SDK, one
// in use by a memcached cluster.
func TestSecurityGroupsRoundTrip(t *testing.T) {
	requireEngines(t, engine.Memcached)
	t.Parallel()
	e := newEnv(t, blockNetworkGroups+1)
	s := e.start()
	ctx := testCtx(t)
	c := s.client

	out, err := c.CreateCacheSecurityGroup(ctx, &elasticache.CreateCacheSecurityGroupInput{CacheSecurityGroupName: aws.String("My-Cache-Sec-Grp"), Description: aws.String("web tier")})
	if err != nil {
		t.Fatalf("CreateCacheSecurityGroup: %v", err)
	}
	if g := out.CacheSecurityGroup; aws.ToString(g.CacheSecurityGroupName) != "my-cache-sec-grp" || aws.ToString(g.OwnerId) != accountID ||
		aws.ToString(g.ARN) != "arn:aws:elasticache:"+region+":"+accountID+":securitygroup:my-cache-sec-grp" {
		t.Errorf("created = %+v", g)
	}
	_, err = c.CreateCacheSecurityGroup(ctx, &elasticache.CreateCacheSecurityGroupInput{CacheSecurityGroupName: aws.String("my-cache-sec-grp"), Description: aws.String("x")})
	wantFault(t, "duplicate", err, new(*types.CacheSecurityGroupAlreadyExistsFault), "CacheSecurityGroupAlreadyExists", "already exists")
	_, err = c.CreateCacheSecurityGroup(ctx, &elasticache.CreateCacheSecurityGroupInput{CacheSecurityGroupName: aws.String("Default"), Description: aws.String("x")})
	wantFault(t, "Default", err, new(*types.InvalidParameterValueException), "InvalidParameterValue", "cannot be the word Default")

	auth, err := c.AuthorizeCacheSecurityGroupIngress(ctx, &elasticache.AuthorizeCacheSecurityGroupIngressInput{
		CacheSecurityGroupName: aws.String("my-cache-sec-grp"), EC2SecurityGroupName: aws.String("my-ec2-sec-grp"), EC2SecurityGroupOwnerId: aws.String("123456789012"),
	})
	if err != nil {
		t.Fatalf("AuthorizeCacheSecurityGroupIngress: %v", err)
	}
	if e2 := auth.CacheSecurityGroup.EC2SecurityGroups; len(e2) != 1 || aws.ToString(e2[0].Status) != "authorized" || aws.ToString(e2[0].EC2SecurityGroupName) != "my-ec2-sec-grp" {
		t.Errorf("EC2SecurityGroups = %+v", e2)
	}
	_, err = c.AuthorizeCacheSecurityGroupIngress(ctx, &elasticache.AuthorizeCacheSecurityGroupIngressInput{
		CacheSecurityGroupName: aws.String("my-cache-sec-grp"), EC2SecurityGroupName: aws.String("my-ec2-sec-grp"), EC2SecurityGroupOwnerId: aws.String("123456789012"),
	})
	wantFault(t, "authorize twice", err, new(*types.AuthorizationAlreadyExistsFault), "AuthorizationAlreadyExists", "already authorized")
	_, err = c.RevokeCacheSecurityGroupIngress(ctx, &elasticache.RevokeCacheSecurityGroupIngressInput{
		CacheSecurityGroupName: aws.String("my-cache-sec-grp"), EC2SecurityGroupName: aws.String("other"), EC2SecurityGroupOwnerId: aws.String("123456789012"),
	})
	wantFault(t, "revoke unknown", err, new(*types.AuthorizationNotFoundFault), "AuthorizationNotFound", "is not authorized")

	// A cluster record naming the group keeps it from being deleted.
	if _, err := c.CreateCacheCluster(ctx, &elasticache.CreateCacheClusterInput{
		CacheClusterId: aws.String("sg-user"), Engine: aws.String("memcached"), CacheNodeType: aws.String("cache.t3.micro"),
		CacheSecurityGroupNames: []string{"MY-CACHE-SEC-GRP"}, Port: aws.Int32(freePort(t)),
	}); err != nil {
		t.Fatalf("CreateCacheCluster with the cache security group: %v", err)
	}
	waitAvailable(t, ctx, c, "sg-user")
	if cl := describeOne(t, ctx, c, "sg-user"); len(cl.CacheSecurityGroups) != 1 || aws.ToString(cl.CacheSecurityGroups[0].CacheSecurityGroupName) != "my-cache-sec-grp" {
		t.Errorf("CacheSecurityGroups = %+v", cl.CacheSecurityGroups)
	}
	_, err = c.DeleteCacheSecurityGroup(ctx, &elasticache.DeleteCacheSecurityGroupInput{CacheSecurityGroupName: aws.String("my-cache-sec-grp")})
	wantFault(t, "delete in use", err, new(*types.InvalidCacheSecurityGroupStateFault), "InvalidCacheSecurityGroupState", "in use by cache cluster sg-user")
	_, err = c.DeleteCacheSecurityGroup(ctx, &elasticache.DeleteCacheSecurityGroupInput{CacheSecurityGroupName: aws.String("default")})
	wantFault(t, "delete default", err, new(*types.InvalidCacheSecurityGroupStateFault), "InvalidCacheSecurityGroupState", "default cache security group cannot be deleted")
	_, err = c.CreateCacheCluster(ctx, &elasticache.CreateCacheClusterInput{
		CacheClusterId: aws.String("sg-bad"), Engine: aws.String("redis"), CacheNodeType: aws.String("cache.t3.micro"), CacheSecurityGroupNames: []string{"nope"},
	})
	wantFault(t, "unknown cache security group", err, new(*types.CacheSecurityGroupNotFoundFault), "CacheSecurityGroupNotFound", "CacheSecurityGroup nope not found.")

	var names []string
	p := elasticache.NewDescribeCacheSecurityGroupsPaginator(c, &elasticache.DescribeCacheSecurityGroupsInput{MaxRecords: aws.Int32(20)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range page.CacheSecurityGroups {
			names = append(names, aws.ToString(g.CacheSecurityGroupName)+":"+aws.ToString(g.Description))
		}
	}
	if !slices.Equal(names, []string{"default:default", "my-cache-sec-grp:web tier"}) {
		t.Errorf("security groups = %v", names)
	}

	deleteAndWait(t, ctx, e, s, "sg-user")
	if _, err := c.RevokeCacheSecurityGroupIngress(ctx, &elasticache.RevokeCacheSecurityGroupIngressInput{
		CacheSecurityGroupName: aws.String("my-cache-sec-grp"), EC2SecurityGroupName: aws.String("my-ec2-sec-grp"), EC2SecurityGroupOwnerId: aws.String("123456789012"),
	}); err != nil {
		t.Errorf("RevokeCacheSecurityGroupIngress: %v", err)
	}
	if _, err := c.DeleteCacheSecurityGroup(ctx, &elasticache.DeleteCacheSecurityGroupInput{CacheSecurityGroupName: aws.String("My-Cache-Sec-Grp")}); err != nil {
		t.Fatalf("DeleteCacheSecurityGroup: %v", err)
	}
	_, err = c.DescribeCacheSecurityGroups(ctx, &elasticache.DescribeCacheSecurityGroupsInput{CacheSecurityGroupName: aws.String("my-cache-sec-grp")})
	wantFault(t, "describe deleted", err, new(*types.CacheSecurityGroupNotFoundFault), "CacheSecurityGroupNotFound", "my-cache-sec-grp")
}
