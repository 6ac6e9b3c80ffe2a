package awsquery_test

import (
	"bytes"
	"encoding/xml"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cacheplane/cacheplane/internal/api"
	"github.com/cacheplane/cacheplane/internal/awsquery"
)

var update = flag.Bool("update", false, "rewrite the testdata/*.golden files with the current output")

// golden compares got with testdata/name, or rewrites the file under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the encoded output (run go test -update if the change is intended)\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// wellFormed checks doc is a complete XML document.
func wellFormed(t *testing.T, doc []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	depth := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, doc)
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
		case xml.EndElement:
			depth--
		}
	}
	if depth != 0 {
		t.Fatalf("unbalanced XML")
	}
}

var (
	created  = time.Date(2024, 3, 9, 17, 45, 1, 123000000, time.UTC)
	modified = time.Date(2025, 12, 31, 23, 59, 59, 0, time.UTC)
)

// sampleClusters is a DescribeCacheClusters result that exercises nested lists,
// nested structures, timestamps, enumerations, absent and empty lists, an empty
// structure and characters XML must escape.
func sampleClusters() *api.CacheClusterMessage {
	return &api.CacheClusterMessage{
		Marker: api.String("next-page"),
		CacheClusters: []api.CacheCluster{
			{
				CacheClusterId:             api.String("redis-one"),
				ConfigurationEndpoint:      &api.Endpoint{Address: api.String("redis-one.cfg.local"), Port: api.Int32(6379)},
				CacheNodeType:              api.String("cache.t4g.micro"),
				Engine:                     api.String("redis"),
				EngineVersion:              api.String("7.1.0"),
				CacheClusterStatus:         api.String("available"),
				NumCacheNodes:              api.Int32(2),
				PreferredAvailabilityZone:  api.String("us-east-1a"),
				CacheClusterCreateTime:     &created,
				PreferredMaintenanceWindow: api.String("sun:05:00-sun:06:00"),
				PendingModifiedValues: &api.PendingModifiedValues{
					NumCacheNodes:        api.Int32(3),
					CacheNodeIdsToRemove: []string{"0002", "0003"},
					AuthTokenStatus:      api.AuthTokenUpdateStatusRotating,
					LogDeliveryConfigurations: []api.PendingLogDeliveryConfiguration{{
						LogType: api.LogTypeSlowLog, DestinationType: api.DestinationTypeCloudwatchLogs, LogFormat: api.LogFormatJson,
						DestinationDetails: &api.DestinationDetails{CloudWatchLogsDetails: &api.CloudWatchLogsDestinationDetails{LogGroup: api.String("/aws/elasticache/slow")}},
					}},
					ScaleConfig: &api.ScaleConfig{ScalePercentage: api.Int32(50)},
				},
				NotificationConfiguration: &api.NotificationConfiguration{TopicArn: api.String("arn:aws:sns:us-east-1:123456789012:topic"), TopicStatus: api.String("active")},
				CacheSecurityGroups: []api.CacheSecurityGroupMembership{
					{CacheSecurityGroupName: api.String("default"), Status: api.String("active")},
					{CacheSecurityGroupName: api.String("second")},
				},
				CacheParameterGroup: &api.CacheParameterGroupStatus{
					CacheParameterGroupName: api.String("default.redis7"), ParameterApplyStatus: api.String("in-sync"),
					CacheNodeIdsToReboot: []string{"0001"},
				},
				CacheSubnetGroupName: api.String("subnets"),
				CacheNodes: []api.CacheNode{
					{
						CacheNodeId: api.String("0001"), CacheNodeStatus: api.String("available"), CacheNodeCreateTime: &created,
						Endpoint: &api.Endpoint{Address: api.String("10.0.0.1"), Port: api.Int32(6379)}, ParameterGroupStatus: api.String("in-sync"),
						CustomerAvailabilityZone: api.String("us-east-1a"),
					},
					{CacheNodeId: api.String("0002"), CacheNodeCreateTime: &modified},
				},
				AutoMinorVersionUpgrade:   api.Bool(true),
				SecurityGroups:            []api.SecurityGroupMembership{{SecurityGroupId: api.String("sg-1"), Status: api.String("active")}},
				SnapshotRetentionLimit:    api.Int32(0),
				SnapshotWindow:            api.String("03:00-04:00"),
				AuthTokenEnabled:          api.Bool(false),
				AuthTokenLastModifiedDate: &modified,
				TransitEncryptionEnabled:  api.Bool(true),
				AtRestEncryptionEnabled:   api.Bool(false),
				ARN:                       api.String("arn:aws:elasticache:us-east-1:123456789012:cluster:redis-one"),
				LogDeliveryConfigurations: []api.LogDeliveryConfiguration{{
					LogType: api.LogTypeEngineLog, DestinationType: api.DestinationTypeKinesisFirehose, LogFormat: api.LogFormatText,
					Status: api.LogDeliveryConfigurationStatusActive, Message: api.String("ok"),
					DestinationDetails: &api.DestinationDetails{KinesisFirehoseDetails: &api.KinesisFirehoseDestinationDetails{DeliveryStream: api.String("stream")}},
				}},
				NetworkType:           api.NetworkTypeDualStack,
				IpDiscovery:           api.IpDiscoveryIpv6,
				TransitEncryptionMode: api.TransitEncryptionModeRequired,
			},
			{
				// absent vs empty: CacheNodes nil (omitted), CacheSecurityGroups empty (an empty element),
				// PendingModifiedValues empty (an empty element), escaping in values.
				CacheClusterId:        api.String(`odd<>&'"name`),
				CacheClusterStatus:    api.String("creating"),
				Engine:                api.String("memcached"),
				CacheSecurityGroups:   []api.CacheSecurityGroupMembership{},
				SecurityGroups:        []api.SecurityGroupMembership{},
				PendingModifiedValues: &api.PendingModifiedValues{},
				ARN:                   api.String("tab\there\nnewline\r\ncrlf ]]> €😀"),
			},
		},
	}
}

func encodeDescribe(result *api.CacheClusterMessage) []byte {
	return awsquery.NewCodec().EncodeResponse(awsquery.Response{
		Operation: "DescribeCacheClusters", ResultWrapper: "DescribeCacheClustersResult",
		Namespace: api.XMLNamespace, RequestID: "8f5b6e1d-4e0c-4a43-9d64-9b6f4a4a8e01", Result: result,
	})
}

func TestEncodeDescribeCacheClustersGolden(t *testing.T) {
	doc := encodeDescribe(sampleClusters())
	wellFormed(t, doc)
	golden(t, "describe_cache_clusters.golden", doc)

	s := string(doc)
	for _, want := range []string{
		`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<DescribeCacheClustersResponse xmlns="http://elasticache.amazonaws.com/doc/2015-02-02/"><DescribeCacheClustersResult><Marker>next-page</Marker><CacheClusters><CacheCluster><CacheClusterId>redis-one</CacheClusterId>`,
		`<CacheClusterCreateTime>2024-03-09T17:45:01.123Z</CacheClusterCreateTime>`,
		`<AuthTokenLastModifiedDate>2025-12-31T23:59:59.000Z</AuthTokenLastModifiedDate>`,
		`<CacheSecurityGroups><CacheSecurityGroup><CacheSecurityGroupName>default</CacheSecurityGroupName><Status>active</Status></CacheSecurityGroup><CacheSecurityGroup><CacheSecurityGroupName>second</CacheSecurityGroupName></CacheSecurityGroup></CacheSecurityGroups>`,
		`<CacheNodeIdsToRemove><CacheNodeId>0002</CacheNodeId><CacheNodeId>0003</CacheNodeId></CacheNodeIdsToRemove>`,
		`<LogDeliveryConfigurations><member><LogType>slow-log</LogType>`, // PendingLogDeliveryConfigurationList has no member name
		`<SecurityGroups><member><SecurityGroupId>sg-1</SecurityGroupId>`,
		`<SnapshotRetentionLimit>0</SnapshotRetentionLimit>`,
		`<AuthTokenEnabled>false</AuthTokenEnabled>`,
		`<NetworkType>dual_stack</NetworkType>`,
		`<CacheClusterId>odd&lt;&gt;&amp;&#39;&#34;name</CacheClusterId>`,
		`<CacheSecurityGroups></CacheSecurityGroups>`,
		`<SecurityGroups></SecurityGroups>`,
		`<PendingModifiedValues></PendingModifiedValues>`,
		`<ARN>tab&#x9;here&#xA;newline&#xD;&#xA;crlf ]]&gt; €😀</ARN>`,
		`</DescribeCacheClustersResult><ResponseMetadata><RequestId>8f5b6e1d-4e0c-4a43-9d64-9b6f4a4a8e01</RequestId></ResponseMetadata></DescribeCacheClustersResponse>` + "\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("document lacks %s", want)
		}
	}
	second := s[strings.Index(s, "<CacheClusterId>odd"):]
	for _, absent := range []string{"<CacheNodes>", "<CacheNodes/>", "<NumCacheNodes>", "<NetworkType>", "<IpDiscovery>"} {
		if strings.Contains(second, absent) {
			t.Errorf("second cluster encodes absent member %s", absent)
		}
	}
}

func TestEncodeResponseShapes(t *testing.T) {
	c := awsquery.NewCodec()
	tests := []struct {
		name string
		r    awsquery.Response
		want string
	}{
		{
			name: "operation without output",
			r:    awsquery.Response{Operation: "DeleteCacheParameterGroup", Namespace: api.XMLNamespace, RequestID: "r1"},
			want: `<DeleteCacheParameterGroupResponse xmlns="http://elasticache.amazonaws.com/doc/2015-02-02/"><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></DeleteCacheParameterGroupResponse>`,
		},
		{
			name: "nil result",
			r:    awsquery.Response{Operation: "DescribeCacheClusters", ResultWrapper: "DescribeCacheClustersResult", Namespace: api.XMLNamespace, RequestID: "r2"},
			want: `<DescribeCacheClustersResponse xmlns="http://elasticache.amazonaws.com/doc/2015-02-02/"><DescribeCacheClustersResult></DescribeCacheClustersResult><ResponseMetadata><RequestId>r2</RequestId></ResponseMetadata></DescribeCacheClustersResponse>`,
		},
		{
			name: "typed nil result",
			r:    awsquery.Response{Operation: "DescribeCacheClusters", ResultWrapper: "DescribeCacheClustersResult", Result: (*api.CacheClusterMessage)(nil)},
			want: `<DescribeCacheClustersResponse xmlns=""><DescribeCacheClustersResult></DescribeCacheClustersResult><ResponseMetadata><RequestId></RequestId></ResponseMetadata></DescribeCacheClustersResponse>`,
		},
		{
			name: "empty list and absent marker",
			r:    awsquery.Response{Operation: "DescribeCacheClusters", ResultWrapper: "DescribeCacheClustersResult", Result: &api.CacheClusterMessage{CacheClusters: []api.CacheCluster{}}},
			want: `<DescribeCacheClustersResult><CacheClusters></CacheClusters></DescribeCacheClustersResult>`,
		},
		{
			name: "empty string is an empty element",
			r:    awsquery.Response{Operation: "DescribeCacheClusters", ResultWrapper: "DescribeCacheClustersResult", Result: &api.CacheClusterMessage{Marker: api.String("")}},
			want: `<DescribeCacheClustersResult><Marker></Marker></DescribeCacheClustersResult>`,
		},
		{
			name: "escaping in namespace and request id",
			r:    awsquery.Response{Operation: "X", Namespace: `a"b<`, RequestID: "<&>"},
			want: `<XResponse xmlns="a&#34;b&lt;"><ResponseMetadata><RequestId>&lt;&amp;&gt;</RequestId></ResponseMetadata></XResponse>`,
		},
		{
			name: "floats and enum lists",
			r: awsquery.Response{Operation: "DescribeReservedCacheNodes", ResultWrapper: "DescribeReservedCacheNodesResult", Result: &api.ReservedCacheNodeMessage{
				ReservedCacheNodes: []api.ReservedCacheNode{{FixedPrice: ptr(1234.5), UsagePrice: ptr(0.0001), RecurringCharges: []api.RecurringCharge{{RecurringChargeAmount: ptr(1e21)}}}},
			}},
			want: `<ReservedCacheNodes><ReservedCacheNode><FixedPrice>1234.5</FixedPrice><UsagePrice>0.0001</UsagePrice><RecurringCharges><RecurringCharge><RecurringChargeAmount>1000000000000000000000</RecurringChargeAmount></RecurringCharge></RecurringCharges></ReservedCacheNode></ReservedCacheNodes>`,
		},
		{
			name: "enum list",
			r: awsquery.Response{Operation: "DescribeCacheSubnetGroups", ResultWrapper: "DescribeCacheSubnetGroupsResult", Result: &api.CacheSubnetGroupMessage{
				CacheSubnetGroups: []api.CacheSubnetGroup{{SupportedNetworkTypes: []api.NetworkType{api.NetworkTypeIpv4, api.NetworkTypeDualStack}}},
			}},
			want: `<CacheSubnetGroups><CacheSubnetGroup><SupportedNetworkTypes><member>ipv4</member><member>dual_stack</member></SupportedNetworkTypes></CacheSubnetGroup></CacheSubnetGroups>`,
		},
		{
			name: "timestamps in UTC with milliseconds",
			r: awsquery.Response{Operation: "DescribeEvents", ResultWrapper: "DescribeEventsResult", Result: &api.EventsMessage{
				Events: []api.Event{{Date: ptr(time.Date(2024, 1, 2, 3, 4, 5, 999999999, time.FixedZone("x", 3600)))}},
			}},
			want: `<Events><Event><Date>2024-01-02T02:04:05.999Z</Date></Event></Events>`,
		},
		{
			name: "characters XML cannot carry are replaced",
			r:    awsquery.Response{Operation: "DescribeCacheClusters", ResultWrapper: "DescribeCacheClustersResult", Result: &api.CacheClusterMessage{Marker: api.String("a\x00b\x1bc\xffd\uFFFEe")}},
			want: "<Marker>a\uFFFDb\uFFFDc\uFFFDd\uFFFDe</Marker>",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := c.EncodeResponse(tc.r)
			wellFormed(t, doc)
			if !strings.Contains(string(doc), tc.want) {
				t.Errorf("document\n%s\nlacks\n%s", doc, tc.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestEncodeErrorGolden(t *testing.T) {
	doc := awsquery.EncodeError(api.XMLNamespace, "0b1c5e0e-8a3a-4f5b-a1a3-0123456789ab", "CacheClusterNotFound", `CacheCluster <c9> & "friends" not found.`, true)
	wellFormed(t, doc)
	golden(t, "error_sender.golden", doc)

	doc = awsquery.EncodeError(api.XMLNamespace, "r", "InternalFailure", "boom", false)
	wellFormed(t, doc)
	golden(t, "error_receiver.golden", doc)
	if !strings.Contains(string(doc), "<Type>Receiver</Type>") {
		t.Errorf("receiver fault: %s", doc)
	}
}
