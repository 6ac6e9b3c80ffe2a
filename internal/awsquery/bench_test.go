package awsquery_test

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/cacheplane/cacheplane/internal/api"
	"github.com/cacheplane/cacheplane/internal/awsquery"
)

// createCacheClusterBody is a realistic CreateCacheCluster request as botocore sends it.
const createCacheClusterBody = "Action=CreateCacheCluster&Version=2015-02-02&CacheClusterId=bench-cluster-0001" +
	"&AZMode=cross-az&NumCacheNodes=3&CacheNodeType=cache.r7g.large&Engine=redis&EngineVersion=7.1" +
	"&CacheParameterGroupName=default.redis7&CacheSubnetGroupName=bench-subnets" +
	"&PreferredAvailabilityZones.PreferredAvailabilityZone.1=us-east-1a&PreferredAvailabilityZones.PreferredAvailabilityZone.2=us-east-1b" +
	"&PreferredAvailabilityZones.PreferredAvailabilityZone.3=us-east-1c" +
	"&SecurityGroupIds.SecurityGroupId.1=sg-0123456789abcdef0&SecurityGroupIds.SecurityGroupId.2=sg-0fedcba9876543210" +
	"&Tags.Tag.1.Key=env&Tags.Tag.1.Value=prod&Tags.Tag.2.Key=team&Tags.Tag.2.Value=cache&Tags.Tag.3.Key=cost-center&Tags.Tag.3.Value=1234" +
	"&PreferredMaintenanceWindow=sun%3A05%3A00-sun%3A06%3A00&Port=6379&AutoMinorVersionUpgrade=true" +
	"&SnapshotRetentionLimit=7&SnapshotWindow=03%3A00-04%3A00&TransitEncryptionEnabled=true&NetworkType=ipv4&IpDiscovery=ipv4" +
	"&LogDeliveryConfigurations.LogDeliveryConfigurationRequest.1.LogType=slow-log" +
	"&LogDeliveryConfigurations.LogDeliveryConfigurationRequest.1.DestinationType=cloudwatch-logs" +
	"&LogDeliveryConfigurations.LogDeliveryConfigurationRequest.1.DestinationDetails.CloudWatchLogsDetails.LogGroup=%2Faws%2Felasticache%2Fslow" +
	"&LogDeliveryConfigurations.LogDeliveryConfigurationRequest.1.LogFormat=json&LogDeliveryConfigurations.LogDeliveryConfigurationRequest.1.Enabled=true"

// BenchmarkDecodeCreateCacheCluster measures Parse+Decode of a parsed form (url.ParseQuery excluded).
func BenchmarkDecodeCreateCacheCluster(b *testing.B) {
	values, err := url.ParseQuery(createCacheClusterBody)
	if err != nil {
		b.Fatal(err)
	}
	c := awsquery.NewCodec()
	b.SetBytes(int64(len(createCacheClusterBody)))
	b.ReportAllocs()
	for b.Loop() {
		p, qerr := awsquery.Parse(values)
		if qerr != nil {
			b.Fatal(qerr)
		}
		var in api.CreateCacheClusterMessage
		if qerr := c.Decode(p, &in); qerr != nil {
			b.Fatal(qerr)
		}
	}
}

// BenchmarkEncodeDescribe100 measures encoding a DescribeCacheClusters result of 100 full clusters.
func BenchmarkEncodeDescribe100(b *testing.B) {
	template := sampleClusters().CacheClusters[0]
	result := &api.CacheClusterMessage{Marker: api.String("next"), CacheClusters: make([]api.CacheCluster, 100)}
	for i := range result.CacheClusters {
		cl := template
		cl.CacheClusterId = api.String(fmt.Sprintf("cluster-%03d", i))
		result.CacheClusters[i] = cl
	}
	c := awsquery.NewCodec()
	r := awsquery.Response{Operation: "DescribeCacheClusters", ResultWrapper: "DescribeCacheClustersResult", Namespace: api.XMLNamespace, RequestID: "bench", Result: result}
	b.SetBytes(int64(len(c.EncodeResponse(r))))
	b.ReportAllocs()
	for b.Loop() {
		_ = c.EncodeResponse(r)
	}
}
