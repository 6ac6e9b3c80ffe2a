package awsquery_test

import (
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cacheplane/cacheplane/internal/api"
	"github.com/cacheplane/cacheplane/internal/awsquery"
)

var codec = awsquery.NewCodec()

// decodeRaw parses a raw form body the way the HTTP edge does and decodes it into out.
func decodeRaw(t testing.TB, raw string, out any) *awsquery.Error {
	t.Helper()
	values, err := url.ParseQuery(raw)
	if err != nil {
		t.Fatalf("url.ParseQuery(%q): %v", raw, err)
	}
	return decodeValues(values, out)
}

func decodeValues(values url.Values, out any) *awsquery.Error {
	p, qerr := awsquery.Parse(values)
	if qerr != nil {
		return qerr
	}
	return codec.Decode(p, out)
}

func ts(s string) *time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	t = t.UTC()
	return &t
}

// wantErr describes an expected decoding failure: its code and fragments of its message.
type wantErr struct {
	code string
	msg  []string
}

func checkErr(t *testing.T, got *awsquery.Error, want *wantErr) {
	t.Helper()
	if want == nil {
		if got != nil {
			t.Fatalf("unexpected error %v", got)
		}
		return
	}
	if got == nil {
		t.Fatalf("want %s error, got none", want.code)
	}
	if got.Code != want.code {
		t.Errorf("code = %q, want %q (message %q)", got.Code, want.code, got.Message)
	}
	wantStatus := 400
	if got.HTTPStatus != wantStatus {
		t.Errorf("HTTPStatus = %d, want %d", got.HTTPStatus, wantStatus)
	}
	for _, m := range want.msg {
		if !strings.Contains(got.Message, m) {
			t.Errorf("message %q does not mention %q", got.Message, m)
		}
	}
	if got.Error() != got.Code+": "+got.Message {
		t.Errorf("Error() = %q", got.Error())
	}
}

func invalid(msg ...string) *wantErr { return &wantErr{code: "InvalidParameterValue", msg: msg} }

const base = "Action=CreateCacheCluster&Version=2015-02-02&CacheClusterId=c1"

func TestDecodeCreateCacheCluster(t *testing.T) {
	cc := func(m api.CreateCacheClusterMessage) *api.CreateCacheClusterMessage {
		if m.CacheClusterId == nil {
			m.CacheClusterId = api.String("c1")
		}
		return &m
	}
	tests := []struct {
		name string
		raw  string
		want *api.CreateCacheClusterMessage
		err  *wantErr
	}{
		{name: "minimal", raw: base, want: cc(api.CreateCacheClusterMessage{})},
		{name: "only required, no Action/Version", raw: "CacheClusterId=c1", want: cc(api.CreateCacheClusterMessage{})},
		{
			name: "scalars of every kind",
			raw: base + "&NumCacheNodes=3&Port=6379&SnapshotRetentionLimit=0&AutoMinorVersionUpgrade=true" +
				"&TransitEncryptionEnabled=false&Engine=redis&EngineVersion=7.1&AZMode=cross-az" +
				"&NetworkType=dual_stack&IpDiscovery=ipv6&OutpostMode=single-outpost&AuthToken=p%40ss+w%C3%B6rd%26%3D",
			want: cc(api.CreateCacheClusterMessage{
				NumCacheNodes: api.Int32(3), Port: api.Int32(6379), SnapshotRetentionLimit: api.Int32(0),
				AutoMinorVersionUpgrade: api.Bool(true), TransitEncryptionEnabled: api.Bool(false),
				Engine: api.String("redis"), EngineVersion: api.String("7.1"), AZMode: api.AZModeCrossAz,
				NetworkType: api.NetworkTypeDualStack, IpDiscovery: api.IpDiscoveryIpv6,
				OutpostMode: api.OutpostModeSingleOutpost, AuthToken: api.String("p@ss wörd&="),
			}),
		},
		{name: "empty string value is a present empty string", raw: base + "&Engine=", want: cc(api.CreateCacheClusterMessage{Engine: api.String("")})},
		{name: "empty id satisfies presence", raw: "CacheClusterId=", want: &api.CreateCacheClusterMessage{CacheClusterId: api.String("")}},
		{name: "int32 negative", raw: base + "&Port=-1", want: cc(api.CreateCacheClusterMessage{Port: api.Int32(-1)})},
		{name: "int32 max", raw: base + "&Port=2147483647", want: cc(api.CreateCacheClusterMessage{Port: api.Int32(2147483647)})},
		{name: "int32 min", raw: base + "&Port=-2147483648", want: cc(api.CreateCacheClusterMessage{Port: api.Int32(-2147483648)})},
		{name: "int32 surrounding spaces trimmed", raw: base + "&Port=+6379+", want: cc(api.CreateCacheClusterMessage{Port: api.Int32(6379)})},
		{name: "int32 overflow", raw: base + "&Port=2147483648", err: invalid("Port", "2147483648", "integer")},
		{name: "int32 not a number", raw: base + "&NumCacheNodes=three", err: invalid("NumCacheNodes", "three", "integer")},
		{name: "int32 fraction", raw: base + "&NumCacheNodes=1.5", err: invalid("NumCacheNodes", "integer")},
		{name: "int32 empty", raw: base + "&NumCacheNodes=", err: invalid("NumCacheNodes", "integer")},
		{name: "int32 hex", raw: base + "&NumCacheNodes=0x10", err: invalid("NumCacheNodes")},
		{name: "bool True", raw: base + "&AutoMinorVersionUpgrade=True", want: cc(api.CreateCacheClusterMessage{AutoMinorVersionUpgrade: api.Bool(true)})},
		{name: "bool TRUE", raw: base + "&AutoMinorVersionUpgrade=TRUE", want: cc(api.CreateCacheClusterMessage{AutoMinorVersionUpgrade: api.Bool(true)})},
		{name: "bool false", raw: base + "&AutoMinorVersionUpgrade=false", want: cc(api.CreateCacheClusterMessage{AutoMinorVersionUpgrade: api.Bool(false)})},
		{name: "bool False", raw: base + "&AutoMinorVersionUpgrade=False", want: cc(api.CreateCacheClusterMessage{AutoMinorVersionUpgrade: api.Bool(false)})},
		{name: "bool garbage", raw: base + "&AutoMinorVersionUpgrade=yes", err: invalid("AutoMinorVersionUpgrade", "'yes'", "true or false")},
		{name: "bool 1", raw: base + "&AutoMinorVersionUpgrade=1", err: invalid("AutoMinorVersionUpgrade", "true or false")},
		{name: "bool empty", raw: base + "&AutoMinorVersionUpgrade=", err: invalid("AutoMinorVersionUpgrade", "true or false")},
		{name: "enum valid", raw: base + "&AZMode=single-az", want: cc(api.CreateCacheClusterMessage{AZMode: api.AZModeSingleAz})},
		{name: "enum invalid names valid values", raw: base + "&AZMode=everywhere", err: invalid("AZMode", "'everywhere'", "single-az, cross-az")},
		{name: "enum is case sensitive", raw: base + "&AZMode=Single-AZ", err: invalid("AZMode", "single-az, cross-az")},
		{name: "enum empty", raw: base + "&NetworkType=", err: invalid("NetworkType", "ipv4, ipv6, dual_stack")},
		{name: "long bad value truncated", raw: base + "&AZMode=" + strings.Repeat("x", 500), err: invalid("AZMode", strings.Repeat("x", 64)+"...")},
		{
			name: "list of strings",
			raw:  base + "&PreferredAvailabilityZones.PreferredAvailabilityZone.1=us-east-1a&PreferredAvailabilityZones.PreferredAvailabilityZone.2=us-east-1b",
			want: cc(api.CreateCacheClusterMessage{PreferredAvailabilityZones: []string{"us-east-1a", "us-east-1b"}}),
		},
		{
			name: "list out of order",
			raw:  base + "&SecurityGroupIds.SecurityGroupId.3=c&SecurityGroupIds.SecurityGroupId.1=a&SecurityGroupIds.SecurityGroupId.2=b",
			want: cc(api.CreateCacheClusterMessage{SecurityGroupIds: []string{"a", "b", "c"}}),
		},
		{
			name: "sparse list compacted in order",
			raw:  base + "&SecurityGroupIds.SecurityGroupId.9=c&SecurityGroupIds.SecurityGroupId.2=a&SecurityGroupIds.SecurityGroupId.5=b",
			want: cc(api.CreateCacheClusterMessage{SecurityGroupIds: []string{"a", "b", "c"}}),
		},
		{
			name: "list numeric not lexical order",
			raw:  base + "&SecurityGroupIds.SecurityGroupId.10=j&SecurityGroupIds.SecurityGroupId.9=i&SecurityGroupIds.SecurityGroupId.1=a",
			want: cc(api.CreateCacheClusterMessage{SecurityGroupIds: []string{"a", "i", "j"}}),
		},
		{
			name: "list position 1000 is the last accepted",
			raw:  base + "&SecurityGroupIds.SecurityGroupId.1000=z",
			want: cc(api.CreateCacheClusterMessage{SecurityGroupIds: []string{"z"}}),
		},
		{name: "list index 0", raw: base + "&SecurityGroupIds.SecurityGroupId.0=a", err: invalid("SecurityGroupIds.SecurityGroupId.0", "not a valid list position", "1 to 1000")},
		{name: "list index -1", raw: base + "&SecurityGroupIds.SecurityGroupId.-1=a", err: invalid("SecurityGroupIds.SecurityGroupId.-1", "not a valid list position")},
		{name: "list index 01", raw: base + "&SecurityGroupIds.SecurityGroupId.01=a", err: invalid("SecurityGroupIds.SecurityGroupId.01", "not a valid list position")},
		{name: "list index +1", raw: base + "&SecurityGroupIds.SecurityGroupId.%2B1=a", err: invalid("not a valid list position")},
		{name: "list index 1001", raw: base + "&SecurityGroupIds.SecurityGroupId.1001=a", err: invalid("SecurityGroupIds.SecurityGroupId.1001", "not a valid list position")},
		{name: "list index 99999", raw: base + "&SecurityGroupIds.SecurityGroupId.99999=a", err: invalid("SecurityGroupIds.SecurityGroupId.99999", "not a valid list position")},
		{name: "list index huge", raw: base + "&SecurityGroupIds.SecurityGroupId.99999999999999999999999=a", err: invalid("not a valid list position")},
		{name: "list index non-numeric", raw: base + "&SecurityGroupIds.SecurityGroupId.first=a", err: invalid("SecurityGroupIds.SecurityGroupId.first", "not a valid list position")},
		{name: "list index empty", raw: base + "&SecurityGroupIds.SecurityGroupId.=a", err: invalid("SecurityGroupIds.SecurityGroupId.", "not a valid list position")},
		{name: "list index long name is truncated", raw: base + "&SecurityGroupIds.SecurityGroupId." + strings.Repeat("n", 300) + "=a", err: invalid("not a valid list position")},
		{name: "empty list", raw: base + "&SecurityGroupIds=", want: cc(api.CreateCacheClusterMessage{SecurityGroupIds: []string{}})},
		{name: "empty list of structures", raw: base + "&Tags=", want: cc(api.CreateCacheClusterMessage{Tags: []api.Tag{}})},
		{name: "list given a scalar value", raw: base + "&SecurityGroupIds=sg-1", err: invalid("SecurityGroupIds", "is a list", "SecurityGroupIds.SecurityGroupId.1")},
		{name: "list with wrong member name", raw: base + "&SecurityGroupIds.Id.1=sg-1", err: invalid("SecurityGroupIds", "is a list")},
		{
			name: "list member.N alternate spelling",
			raw:  base + "&SecurityGroupIds.member.2=sg-2&SecurityGroupIds.member.1=sg-1",
			want: cc(api.CreateCacheClusterMessage{SecurityGroupIds: []string{"sg-1", "sg-2"}}),
		},
		{
			name: "list element that is empty string",
			raw:  base + "&SecurityGroupIds.SecurityGroupId.1=",
			want: cc(api.CreateCacheClusterMessage{SecurityGroupIds: []string{""}}),
		},
		{
			name: "list element given nested children",
			raw:  base + "&SecurityGroupIds.SecurityGroupId.1.Id=x",
			err:  invalid("SecurityGroupIds.SecurityGroupId.1", "single value"),
		},
		{
			name: "list of structures",
			raw:  base + "&Tags.Tag.1.Key=env&Tags.Tag.1.Value=prod&Tags.Tag.2.Key=team&Tags.Tag.2.Value=",
			want: cc(api.CreateCacheClusterMessage{Tags: []api.Tag{
				{Key: api.String("env"), Value: api.String("prod")},
				{Key: api.String("team"), Value: api.String("")},
			}}),
		},
		{
			name: "list of structures out of order with partial members",
			raw:  base + "&Tags.Tag.2.Key=b&Tags.Tag.1.Value=only-value",
			want: cc(api.CreateCacheClusterMessage{Tags: []api.Tag{{Value: api.String("only-value")}, {Key: api.String("b")}}}),
		},
		{
			name: "list of structures member.N spelling",
			raw:  base + "&Tags.member.1.Key=env&Tags.member.1.Value=prod",
			want: cc(api.CreateCacheClusterMessage{Tags: []api.Tag{{Key: api.String("env"), Value: api.String("prod")}}}),
		},
		{
			name: "declared member name wins over member spelling",
			raw:  base + "&Tags.Tag.1.Key=a&Tags.member.1.Key=b",
			want: cc(api.CreateCacheClusterMessage{Tags: []api.Tag{{Key: api.String("a")}}}),
		},
		{name: "structure element given a scalar", raw: base + "&Tags.Tag.1=env", err: invalid("Tags.Tag.1", "is a structure", "Tags.Tag.1.<Member>")},
		{name: "structure element given empty value", raw: base + "&Tags.Tag.1=", want: cc(api.CreateCacheClusterMessage{Tags: []api.Tag{{}}})},
		{name: "structure member given nested children", raw: base + "&Tags.Tag.1.Key.Sub=x", err: invalid("Tags.Tag.1.Key", "single value")},
		{name: "bad index in list of structures", raw: base + "&Tags.Tag.0.Key=x", err: invalid("Tags.Tag.0", "not a valid list position")},
		{
			name: "nested structures in list",
			raw: base +
				"&LogDeliveryConfigurations.LogDeliveryConfigurationRequest.1.LogType=slow-log" +
				"&LogDeliveryConfigurations.LogDeliveryConfigurationRequest.1.DestinationType=cloudwatch-logs" +
				"&LogDeliveryConfigurations.LogDeliveryConfigurationRequest.1.DestinationDetails.CloudWatchLogsDetails.LogGroup=my-group" +
				"&LogDeliveryConfigurations.LogDeliveryConfigurationRequest.1.LogFormat=json" +
				"&LogDeliveryConfigurations.LogDeliveryConfigurationRequest.1.Enabled=true" +
				"&LogDeliveryConfigurations.LogDeliveryConfigurationRequest.2.LogType=engine-log" +
				"&LogDeliveryConfigurations.LogDeliveryConfigurationRequest.2.DestinationType=kinesis-firehose" +
				"&LogDeliveryConfigurations.LogDeliveryConfigurationRequest.2.DestinationDetails.KinesisFirehoseDetails.DeliveryStream=stream",
			want: cc(api.CreateCacheClusterMessage{LogDeliveryConfigurations: []api.LogDeliveryConfigurationRequest{
				{
					LogType: api.LogTypeSlowLog, DestinationType: api.DestinationTypeCloudwatchLogs, LogFormat: api.LogFormatJson, Enabled: api.Bool(true),
					DestinationDetails: &api.DestinationDetails{CloudWatchLogsDetails: &api.CloudWatchLogsDestinationDetails{LogGroup: api.String("my-group")}},
				},
				{
					LogType: api.LogTypeEngineLog, DestinationType: api.DestinationTypeKinesisFirehose,
					DestinationDetails: &api.DestinationDetails{KinesisFirehoseDetails: &api.KinesisFirehoseDestinationDetails{DeliveryStream: api.String("stream")}},
				},
			}}),
		},
		{
			name: "nested enum invalid names full path",
			raw:  base + "&LogDeliveryConfigurations.LogDeliveryConfigurationRequest.1.LogType=audit-log",
			err:  invalid("LogDeliveryConfigurations.LogDeliveryConfigurationRequest.1.LogType", "'audit-log'", "slow-log, engine-log"),
		},
		{
			name: "nested structure given a scalar",
			raw:  base + "&LogDeliveryConfigurations.LogDeliveryConfigurationRequest.1.DestinationDetails=cloudwatch",
			err:  invalid("LogDeliveryConfigurations.LogDeliveryConfigurationRequest.1.DestinationDetails", "is a structure"),
		},
		{
			name: "nested structure given empty value is empty structure",
			raw:  base + "&LogDeliveryConfigurations.LogDeliveryConfigurationRequest.1.DestinationDetails=",
			want: cc(api.CreateCacheClusterMessage{LogDeliveryConfigurations: []api.LogDeliveryConfigurationRequest{{DestinationDetails: &api.DestinationDetails{}}}}),
		},
		{
			name: "nested structure with only unknown members is empty",
			raw:  base + "&LogDeliveryConfigurations.LogDeliveryConfigurationRequest.1.DestinationDetails.S3=x",
			want: cc(api.CreateCacheClusterMessage{LogDeliveryConfigurations: []api.LogDeliveryConfigurationRequest{{DestinationDetails: &api.DestinationDetails{}}}}),
		},
		{name: "required missing", raw: "Action=CreateCacheCluster&Version=2015-02-02&NumCacheNodes=1", err: &wantErr{code: "MissingParameter", msg: []string{"CacheClusterId"}}},
		{name: "required missing, wrong case", raw: "cacheClusterId=c1", err: &wantErr{code: "MissingParameter", msg: []string{"CacheClusterId"}}},
		{name: "required given nested children", raw: "CacheClusterId.Value=c1", err: invalid("CacheClusterId", "single value")},
		{name: "scalar given nested children", raw: base + "&Engine.Name=redis", err: invalid("Engine", "single value")},
		{name: "scalar with a value and unknown children keeps the value", raw: base + "&Engine=redis&Engine.Name=x", want: cc(api.CreateCacheClusterMessage{Engine: api.String("redis")})},
		{name: "bool given nested children", raw: base + "&AutoMinorVersionUpgrade.x=true", err: invalid("AutoMinorVersionUpgrade", "single value")},
		{
			name: "unknown parameters ignored",
			raw:  base + "&Foo=bar&Foo.Bar.Baz=1&Tags.Tag.1.Colour=red&Tags.Tag.1.Key=k&X-Unknown.1=2&=empty-name&a..b=c",
			want: cc(api.CreateCacheClusterMessage{Tags: []api.Tag{{Key: api.String("k")}}}),
		},
		{name: "duplicate key", raw: base + "&Engine=redis&Engine=memcached", err: invalid("Engine", "2 times")},
		{name: "duplicate required key", raw: "CacheClusterId=a&CacheClusterId=b", err: invalid("CacheClusterId", "2 times")},
		{name: "duplicate unknown key", raw: base + "&Foo=1&Foo=1", err: invalid("Foo")},
		{name: "duplicate list element", raw: base + "&SecurityGroupIds.SecurityGroupId.1=a&SecurityGroupIds.SecurityGroupId.1=b", err: invalid("SecurityGroupIds.SecurityGroupId.1", "2 times")},
		{name: "invalid UTF-8 value", raw: base + "&Engine=%FF%FE", err: invalid("Engine", "UTF-8")},
		{name: "invalid UTF-8 in unknown value", raw: base + "&Foo=a%C3", err: invalid("Foo", "UTF-8")},
		{name: "invalid UTF-8 key", raw: base + "&En%FFgine=redis", err: &wantErr{code: "InvalidQueryParameter", msg: []string{"UTF-8"}}},
		{name: "invalid UTF-8 list index", raw: base + "&SecurityGroupIds.SecurityGroupId.%C0%80=a", err: &wantErr{code: "InvalidQueryParameter", msg: []string{"UTF-8"}}},
		{name: "valid multi-byte UTF-8", raw: base + "&Engine=%E2%82%AC%F0%9F%98%80", want: cc(api.CreateCacheClusterMessage{Engine: api.String("€😀")})},
		{name: "NUL byte value kept", raw: base + "&Engine=a%00b", want: cc(api.CreateCacheClusterMessage{Engine: api.String("a\x00b")})},
		{name: "key 12 components deep accepted", raw: base + "&A.B.C.D.E.F.G.H.I.J.K.L=1", want: cc(api.CreateCacheClusterMessage{})},
		{name: "key 13 components too deep", raw: base + "&A.B.C.D.E.F.G.H.I.J.K.L.M=1", err: &wantErr{code: "InvalidQueryParameter", msg: []string{"nested too deeply"}}},
		{name: "key of dots too deep", raw: base + "&" + strings.Repeat(".", 5000) + "=1", err: &wantErr{code: "InvalidQueryParameter", msg: []string{"nested too deeply"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got api.CreateCacheClusterMessage
			err := decodeRaw(t, tc.raw, &got)
			checkErr(t, err, tc.err)
			if tc.err == nil && !reflect.DeepEqual(&got, tc.want) {
				t.Errorf("decoded\n%s\nwant\n%s", dump(&got), dump(tc.want))
			}
		})
	}
}

func TestDecodeTimestamps(t *testing.T) {
	tests := []struct {
		in   string
		want *time.Time
	}{
		{"2024-01-02T03:04:05Z", ts("2024-01-02T03:04:05Z")},
		{"2024-01-02T03:04:05.123Z", ts("2024-01-02T03:04:05.123Z")},
		{"2024-01-02T03:04:05.123456Z", ts("2024-01-02T03:04:05.123456Z")}, // botocore with microseconds
		{"2024-01-02T03:04:05.123456789Z", ts("2024-01-02T03:04:05.123456789Z")},
		{"2024-01-02T03:04:05+02:00", ts("2024-01-02T01:04:05Z")},
		{"2024-01-02T03:04:05-0130", ts("2024-01-02T04:34:05Z")},
		{"2024-01-02T03:04:05", ts("2024-01-02T03:04:05Z")}, // no zone: UTC
		{"2024-01-02", ts("2024-01-02T00:00:00Z")},
		{"1704164645", ts("2024-01-02T03:04:05Z")}, // epoch seconds
		{"1704164645.5", ts("2024-01-02T03:04:05.5Z")},
		{"0", ts("1970-01-01T00:00:00Z")},
		{"-62135596800", ts("0001-01-01T00:00:00Z")},
		{"253402300799.5", ts("9999-12-31T23:59:59.5Z")},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			var got api.DescribeEventsMessage
			if err := decodeRaw(t, "StartTime="+url.QueryEscape(tc.in), &got); err != nil {
				t.Fatal(err)
			}
			if got.StartTime == nil || !got.StartTime.Equal(*tc.want) {
				t.Fatalf("StartTime = %v, want %v", got.StartTime, tc.want)
			}
			if got.StartTime.Location() != time.UTC {
				t.Errorf("location = %v, want UTC", got.StartTime.Location())
			}
		})
	}
	for _, bad := range []string{"", "yesterday", "2024-13-01T00:00:00Z", "2024-01-02T25:00:00Z", "2024/01/02", "02 Jan 2024", "NaN", "Inf", "-Inf", "1e300", "-1e300", "253402300800", "-62135596801", "0x10", "2024-01-02T03:04:05ZZ"} {
		t.Run("bad "+bad, func(t *testing.T) {
			var got api.DescribeEventsMessage
			err := decodeRaw(t, "EndTime="+url.QueryEscape(bad), &got)
			checkErr(t, err, invalid("EndTime", "ISO 8601"))
		})
	}
	t.Run("nested children", func(t *testing.T) {
		var got api.DescribeEventsMessage
		checkErr(t, decodeRaw(t, "EndTime.Seconds=1", &got), invalid("EndTime", "single value"))
	})
	t.Run("in nested structure", func(t *testing.T) {
		var got api.DescribeUpdateActionsMessage
		err := decodeRaw(t, "ServiceUpdateTimeRange.StartTime=2024-01-02T03%3A04%3A05Z&ServiceUpdateTimeRange.EndTime=2024-02-02", &got)
		if err != nil {
			t.Fatal(err)
		}
		want := &api.TimeRangeFilter{StartTime: ts("2024-01-02T03:04:05Z"), EndTime: ts("2024-02-02T00:00:00Z")}
		if !reflect.DeepEqual(got.ServiceUpdateTimeRange, want) {
			t.Fatalf("got %s", dump(got.ServiceUpdateTimeRange))
		}
		err = decodeRaw(t, "ServiceUpdateTimeRange.StartTime=soon", &got)
		checkErr(t, err, invalid("ServiceUpdateTimeRange.StartTime", "'soon'"))
	})
}

func TestDecodeOtherMessages(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		out  any // pointer to a zero value of the target type
		want any
		err  *wantErr
	}{
		{
			name: "enum list",
			raw:  "ServiceUpdateStatus.member.1=available&ServiceUpdateStatus.member.2=expired&UpdateActionStatus.member.1=complete",
			out:  &api.DescribeUpdateActionsMessage{},
			want: &api.DescribeUpdateActionsMessage{
				ServiceUpdateStatus: []api.ServiceUpdateStatus{api.ServiceUpdateStatusAvailable, api.ServiceUpdateStatusExpired},
				UpdateActionStatus:  []api.UpdateActionStatus{api.UpdateActionStatusComplete},
			},
		},
		{
			name: "enum list invalid element",
			raw:  "ServiceUpdateStatus.member.1=available&ServiceUpdateStatus.member.2=gone",
			out:  &api.DescribeUpdateActionsMessage{},
			err:  invalid("ServiceUpdateStatus.member.2", "'gone'", "available, cancelled, expired"),
		},
		{
			name: "required list missing",
			raw:  "CacheSubnetGroupName=g&CacheSubnetGroupDescription=d",
			out:  &api.CreateCacheSubnetGroupMessage{},
			err:  &wantErr{code: "MissingParameter", msg: []string{"SubnetIds"}},
		},
		{
			name: "required list present",
			raw:  "CacheSubnetGroupName=g&CacheSubnetGroupDescription=d&SubnetIds.SubnetIdentifier.1=subnet-1",
			out:  &api.CreateCacheSubnetGroupMessage{},
			want: &api.CreateCacheSubnetGroupMessage{CacheSubnetGroupName: api.String("g"), CacheSubnetGroupDescription: api.String("d"), SubnetIds: []string{"subnet-1"}},
		},
		{
			name: "first missing required reported in declaration order",
			raw:  "Description=d",
			out:  &api.CreateCacheParameterGroupMessage{},
			err:  &wantErr{code: "MissingParameter", msg: []string{"CacheParameterGroupName"}},
		},
		{
			name: "required bool",
			raw:  "ReplicationGroupId=rg&NodeGroupCount=2",
			out:  &api.ModifyReplicationGroupShardConfigurationMessage{},
			err:  &wantErr{code: "MissingParameter", msg: []string{"ApplyImmediately"}},
		},
		{
			name: "required member of list element named with its full path",
			raw:  "ReplicationGroupId=rg&ApplyImmediately=true&ReplicaConfiguration.ConfigureShard.1.NodeGroupId=0001&ReplicaConfiguration.ConfigureShard.1.NewReplicaCount=2&ReplicaConfiguration.ConfigureShard.2.NodeGroupId=0002",
			out:  &api.IncreaseReplicaCountMessage{},
			err:  &wantErr{code: "MissingParameter", msg: []string{"ReplicaConfiguration.ConfigureShard.2.NewReplicaCount"}},
		},
		{
			name: "required members of an empty list element",
			raw:  "ReplicationGroupId=rg&ApplyImmediately=true&ReplicaConfiguration.ConfigureShard.1=",
			out:  &api.IncreaseReplicaCountMessage{},
			err:  &wantErr{code: "MissingParameter", msg: []string{"ReplicaConfiguration.ConfigureShard.1.NodeGroupId"}},
		},
		{
			name: "required member of an empty nested structure",
			raw:  "ServerlessCacheName=s&Engine=valkey&CacheUsageLimits.DataStorage=",
			out:  &api.CreateServerlessCacheRequest{},
			err:  &wantErr{code: "MissingParameter", msg: []string{"CacheUsageLimits.DataStorage.Unit"}},
		},
		{
			name: "nested list in list element",
			raw: "ReplicationGroupId=rg&ApplyImmediately=true" +
				"&ReplicaConfiguration.ConfigureShard.1.NodeGroupId=0001&ReplicaConfiguration.ConfigureShard.1.NewReplicaCount=2" +
				"&ReplicaConfiguration.ConfigureShard.1.PreferredAvailabilityZones.PreferredAvailabilityZone.2=b" +
				"&ReplicaConfiguration.ConfigureShard.1.PreferredAvailabilityZones.PreferredAvailabilityZone.1=a" +
				"&ReplicaConfiguration.ConfigureShard.1.PreferredOutpostArns=",
			out: &api.IncreaseReplicaCountMessage{},
			want: &api.IncreaseReplicaCountMessage{
				ReplicationGroupId: api.String("rg"), ApplyImmediately: api.Bool(true),
				ReplicaConfiguration: []api.ConfigureShard{{
					NodeGroupId: api.String("0001"), NewReplicaCount: api.Int32(2),
					PreferredAvailabilityZones: []string{"a", "b"}, PreferredOutpostArns: []string{},
				}},
			},
		},
		{
			name: "filters with member lists",
			raw:  "Filters.member.1.Name=user-id&Filters.member.1.Values.member.1=u1&Filters.member.1.Values.member.2=u2",
			out:  &api.DescribeUsersMessage{},
			want: &api.DescribeUsersMessage{Filters: []api.Filter{{Name: api.String("user-id"), Values: []string{"u1", "u2"}}}},
		},
		{
			name: "filter missing required values",
			raw:  "Filters.member.1.Name=user-id",
			out:  &api.DescribeUsersMessage{},
			err:  &wantErr{code: "MissingParameter", msg: []string{"Filters.member.1.Values"}},
		},
		{
			name: "top-level structure",
			raw:  "UserId=u&UserName=n&Engine=redis&AccessString=on&AuthenticationMode.Type=password&AuthenticationMode.Passwords.member.1=secretsecretsecret",
			out:  &api.CreateUserMessage{},
			want: &api.CreateUserMessage{
				UserId: api.String("u"), UserName: api.String("n"), Engine: api.String("redis"), AccessString: api.String("on"),
				AuthenticationMode: &api.AuthenticationMode{Type: api.InputAuthenticationTypePassword, Passwords: []string{"secretsecretsecret"}},
			},
		},
		{
			name: "top-level structure given a scalar",
			raw:  "UserId=u&UserName=n&Engine=redis&AccessString=on&AuthenticationMode=password",
			out:  &api.CreateUserMessage{},
			err:  invalid("AuthenticationMode", "is a structure"),
		},
		{
			name: "list with value and elements uses elements",
			raw:  "UserGroupId=g&UserIdsToAdd=&UserIdsToAdd.member.1=u1",
			out:  &api.ModifyUserGroupMessage{},
			want: &api.ModifyUserGroupMessage{UserGroupId: api.String("g"), UserIdsToAdd: []string{"u1"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := decodeRaw(t, tc.raw, tc.out)
			checkErr(t, err, tc.err)
			if tc.err == nil && !reflect.DeepEqual(tc.out, tc.want) {
				t.Errorf("decoded\n%s\nwant\n%s", dump(tc.out), dump(tc.want))
			}
		})
	}
}

func TestParseLimits(t *testing.T) {
	t.Run("too many parameters", func(t *testing.T) {
		v := url.Values{}
		for i := 0; i <= awsquery.MaxParameters; i++ {
			v.Set(fmt.Sprintf("P%d", i), "x")
		}
		_, err := awsquery.Parse(v)
		checkErr(t, err, invalid(fmt.Sprint(awsquery.MaxParameters+1), fmt.Sprint(awsquery.MaxParameters)))
	})
	t.Run("exactly MaxParameters", func(t *testing.T) {
		v := url.Values{"CacheClusterId": {"c1"}}
		for i := 1; i < awsquery.MaxParameters; i++ {
			v.Set(fmt.Sprintf("SecurityGroupIds.SecurityGroupId.%d", i), "x")
		}
		var out api.CreateCacheClusterMessage
		err := decodeValues(v, &out)
		// Every position past MaxListIndex is refused; the parameter count itself is fine.
		checkErr(t, err, invalid("not a valid list position"))
	})
	t.Run("largest list", func(t *testing.T) {
		v := url.Values{"CacheClusterId": {"c1"}}
		want := make([]string, awsquery.MaxListIndex)
		for i := 1; i <= awsquery.MaxListIndex; i++ {
			want[i-1] = fmt.Sprint("sg-", i)
			v.Set(fmt.Sprintf("SecurityGroupIds.SecurityGroupId.%d", i), want[i-1])
		}
		var out api.CreateCacheClusterMessage
		if err := decodeValues(v, &out); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(out.SecurityGroupIds, want) {
			t.Fatalf("got %d elements", len(out.SecurityGroupIds))
		}
	})
	t.Run("key with no values is ignored", func(t *testing.T) {
		var out api.CreateCacheClusterMessage
		err := decodeValues(url.Values{"CacheClusterId": {"c1"}, "Engine": {}}, &out)
		if err != nil {
			t.Fatal(err)
		}
		if out.Engine != nil {
			t.Fatalf("Engine = %q, want absent", *out.Engine)
		}
	})
	t.Run("smallest bad list position reported, whatever the map order", func(t *testing.T) {
		raw := base + "&SecurityGroupIds.SecurityGroupId.x=1&SecurityGroupIds.SecurityGroupId.y=1&SecurityGroupIds.SecurityGroupId.0=1" +
			"&SecurityGroupIds.SecurityGroupId.1=a&SecurityGroupIds.SecurityGroupId.1001=1&SecurityGroupIds.SecurityGroupId.z=1"
		for i := 0; i < 50; i++ {
			var out api.CreateCacheClusterMessage
			checkErr(t, decodeRaw(t, raw, &out), invalid("SecurityGroupIds.SecurityGroupId.0 is not"))
		}
	})
	t.Run("duplicate reported with count", func(t *testing.T) {
		_, err := awsquery.Parse(url.Values{"A": {"1", "2", "3"}})
		checkErr(t, err, invalid("A", "3 times"))
	})
	t.Run("error messages are valid UTF-8", func(t *testing.T) {
		var out api.CreateCacheClusterMessage
		err := decodeRaw(t, base+"&AZMode="+url.QueryEscape("a"+strings.Repeat("é", 40)), &out)
		checkErr(t, err, invalid("AZMode"))
		if !utf8Valid(err.Message) {
			t.Fatalf("message is not valid UTF-8: %q", err.Message)
		}
	})
}

func TestParametersGet(t *testing.T) {
	p, err := awsquery.Parse(url.Values{"Action": {"DescribeCacheClusters"}, "Version": {""}, "Tags.Tag.1.Key": {"k"}})
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := p.Get("Action"); !ok || v != "DescribeCacheClusters" {
		t.Errorf("Get(Action) = %q, %v", v, ok)
	}
	if v, ok := p.Get("Version"); !ok || v != "" {
		t.Errorf("Get(Version) = %q, %v; want present and empty", v, ok)
	}
	for _, name := range []string{"Missing", "Tags", "Tags.Tag.1.Key"} {
		if v, ok := p.Get(name); ok {
			t.Errorf("Get(%s) = %q, true; want absent", name, v)
		}
	}
}

func TestDecodeTargetMustBeStructPointer(t *testing.T) {
	p, _ := awsquery.Parse(url.Values{})
	for _, out := range []any{nil, api.CreateCacheClusterMessage{}, new(string), new(*api.CreateCacheClusterMessage)} {
		err := codec.Decode(p, out)
		if err == nil || err.Code != "InternalFailure" || err.HTTPStatus != 500 {
			t.Errorf("Decode(%T) = %v, want InternalFailure", out, err)
		}
	}
}

// TestDecodeConcurrent exercises the layout cache from many goroutines (run with -race).
func TestDecodeConcurrent(t *testing.T) {
	c := awsquery.NewCodec()
	raw := base + "&Tags.Tag.1.Key=k&LogDeliveryConfigurations.LogDeliveryConfigurationRequest.1.DestinationDetails.CloudWatchLogsDetails.LogGroup=g"
	values, _ := url.ParseQuery(raw)
	done := make(chan error)
	for i := 0; i < 8; i++ {
		go func() {
			for j := 0; j < 50; j++ {
				p, err := awsquery.Parse(values)
				if err != nil {
					done <- err
					return
				}
				var out api.CreateCacheClusterMessage
				if err := c.Decode(p, &out); err != nil {
					done <- err
					return
				}
				_ = c.EncodeResponse(awsquery.Response{Operation: "X", ResultWrapper: "XResult", Result: &api.CreateCacheClusterResult{CacheCluster: &api.CacheCluster{CacheClusterId: out.CacheClusterId}}})
			}
			done <- nil
		}()
	}
	for i := 0; i < 8; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}
