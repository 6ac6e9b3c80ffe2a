package service_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/cacheplane/cacheplane/internal/api"
	"github.com/cacheplane/cacheplane/internal/engine"
	"github.com/cacheplane/cacheplane/internal/model"
	"github.com/cacheplane/cacheplane/internal/service"
	"github.com/cacheplane/cacheplane/internal/store"
)

const (
	codePGNotFound = "CacheParameterGroupNotFound"
	codePGExists   = "CacheParameterGroupAlreadyExists"
	codePGQuota    = "CacheParameterGroupQuotaExceeded"
	codePGState    = "InvalidCacheParameterGroupState"
	msgPGIdent     = "The parameter CacheParameterGroupName is not a valid identifier. Identifiers must begin with a letter; must contain only ASCII letters, digits, and hyphens; and must not end with a hyphen or contain two consecutive hyphens."
)

// notifications records the reconciler triggers of a service.
type notifications struct {
	mu  sync.Mutex
	ids []string
}

func (n *notifications) notify(id string) { n.mu.Lock(); n.ids = append(n.ids, id); n.mu.Unlock() }

func (n *notifications) take() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := n.ids
	n.ids = nil
	slices.Sort(out)
	return out
}

func newPGService(t *testing.T) (*service.Service, *store.Store, *notifications) {
	t.Helper()
	n := &notifications{}
	svc, st := newService(t, func(c *service.Config) { c.Notify = n.notify })
	return svc, st, n
}

func createPG(name, family string) *api.CreateCacheParameterGroupMessage {
	return &api.CreateCacheParameterGroupMessage{CacheParameterGroupName: api.String(name), CacheParameterGroupFamily: api.String(family), Description: api.String("my group")}
}

func mustCreatePG(t *testing.T, svc *service.Service, name, family string) {
	t.Helper()
	if _, err := svc.CreateCacheParameterGroup(context.Background(), createPG(name, family)); err != nil {
		t.Fatalf("CreateCacheParameterGroup(%s): %v", name, err)
	}
}

func nv(pairs ...string) []api.ParameterNameValue {
	var out []api.ParameterNameValue
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, api.ParameterNameValue{ParameterName: api.String(pairs[i]), ParameterValue: api.String(pairs[i+1])})
	}
	return out
}

func modifyPG(t *testing.T, svc *service.Service, name string, pairs ...string) error {
	t.Helper()
	_, err := svc.ModifyCacheParameterGroup(context.Background(), &api.ModifyCacheParameterGroupMessage{CacheParameterGroupName: api.String(name), ParameterNameValues: nv(pairs...)})
	return err
}

// groupValues reads a custom group's stored values.
func groupValues(t *testing.T, st *store.Store, name string) (map[string]string, bool) {
	t.Helper()
	var g model.ParameterGroup
	var found bool
	if err := st.View(func(tx *store.Tx) (err error) {
		found, err = tx.GetRecord(store.BucketParameterGroups, name, &g)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return g.Parameters, found
}

// describeParams returns a group's parameters by name.
func describeParams(t *testing.T, svc *service.Service, name string) map[string]api.Parameter {
	t.Helper()
	out, err := svc.DescribeCacheParameters(context.Background(), &api.DescribeCacheParametersMessage{CacheParameterGroupName: api.String(name)})
	if err != nil {
		t.Fatalf("DescribeCacheParameters(%s): %v", name, err)
	}
	m := map[string]api.Parameter{}
	for _, p := range out.Parameters {
		m[*p.ParameterName] = p
	}
	return m
}

func TestCreateCacheParameterGroupRules(t *testing.T) {
	long := "a" + strings.Repeat("b", 255)
	tags := func(n int) []api.Tag {
		var out []api.Tag
		for i := 0; i < n; i++ {
			out = append(out, api.Tag{Key: api.String(fmt.Sprintf("k%d", i)), Value: api.String("v")})
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		in     *api.CreateCacheParameterGroupMessage
		code   string
		status int
		msg    string
	}{
		{"blank name", createPG(" ", "redis7"), codeIPV, 400, "must be provided"},
		{"name with a dot", createPG("my.group", "redis7"), codeIPV, 400, msgPGIdent},
		{"name starting with a digit", createPG("1group", "redis7"), codeIPV, 400, msgPGIdent},
		{"name ending with a hyphen", createPG("group-", "redis7"), codeIPV, 400, msgPGIdent},
		{"name with two hyphens", createPG("my--group", "redis7"), codeIPV, 400, msgPGIdent},
		{"name too long", createPG(long, "redis7"), codeIPV, 400, "longer than 255 characters"},
		{"unknown family", createPG("g", "redis9"), codeIPV, 400, "Invalid value for parameter CacheParameterGroupFamily: redis9"},
		{"family of the engine-version filter only", createPG("g", "redis6.2"), codeIPV, 400, "redis6.x"},
		{"no family", createPG("g", ""), codeIPV, 400, "CacheParameterGroupFamily must be provided"},
		{"no description", &api.CreateCacheParameterGroupMessage{CacheParameterGroupName: api.String("g"), CacheParameterGroupFamily: api.String("redis7")}, codeIPV, 400, "Description"},
		{"reserved tag key", func() *api.CreateCacheParameterGroupMessage {
			in := createPG("g", "redis7")
			in.Tags = []api.Tag{{Key: api.String("aws:x"), Value: api.String("v")}}
			return in
		}(), codeIPV, 400, "reserved"},
		{"too many tags", func() *api.CreateCacheParameterGroupMessage {
			in := createPG("g", "redis7")
			in.Tags = tags(51)
			return in
		}(), "TagQuotaPerResourceExceeded", 400, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc, st, _ := newPGService(t)
			_, err := svc.CreateCacheParameterGroup(context.Background(), tc.in)
			wantAPIError(t, err, tc.code, tc.status, tc.msg)
			if err := st.View(func(tx *store.Tx) error {
				if n := tx.CountRecords(store.BucketParameterGroups); n != 0 {
					t.Errorf("a refused create left %d groups", n)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestCreateCacheParameterGroupRecordsAndTags(t *testing.T) {
	svc, st, _ := newPGService(t)
	ctx := context.Background()
	in := createPG("My-Group", "redis7")
	in.Tags = []api.Tag{{Key: api.String("team"), Value: api.String("cache")}}
	out, err := svc.CreateCacheParameterGroup(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	g := out.CacheParameterGroup
	arn := "arn:aws:elasticache:us-east-1:123456789012:parametergroup:my-group"
	wantField(t, "name", api.Deref(g.CacheParameterGroupName), "my-group")
	wantField(t, "family", api.Deref(g.CacheParameterGroupFamily), "redis7")
	wantField(t, "description", api.Deref(g.Description), "my group")
	wantField(t, "ARN", api.Deref(g.ARN), arn)
	wantField(t, "IsGlobal", api.Deref(g.IsGlobal), false)
	if _, found := groupValues(t, st, "my-group"); !found {
		t.Fatal("the group was not stored under its lowercase name")
	}
	tl, err := svc.ListTagsForResource(ctx, &api.ListTagsForResourceMessage{ResourceName: api.String(arn)})
	if err != nil || len(tl.TagList) != 1 || api.Deref(tl.TagList[0].Key) != "team" {
		t.Fatalf("tags: %+v %v", tl, err)
	}
	_, err = svc.CreateCacheParameterGroup(ctx, createPG("MY-GROUP", "redis6.x"))
	wantAPIError(t, err, codePGExists, 400, "my-group already exists")
	// A new group is a copy of its family's defaults.
	got := describeParams(t, svc, "my-group")
	if api.Deref(got["maxmemory-policy"].ParameterValue) != "volatile-lru" || api.Deref(got["tcp-keepalive"].ParameterValue) != "300" {
		t.Errorf("a new group differs from the defaults: %+v", got["maxmemory-policy"])
	}
}

func TestCreateCacheParameterGroupQuota(t *testing.T) {
	svc, st, _ := newPGService(t)
	err := st.Update(func(tx *store.Tx) error {
		for i := 0; i < 300; i++ {
			name := fmt.Sprintf("g%03d", i)
			if err := tx.PutRecord(store.BucketParameterGroups, name, model.ParameterGroup{Name: name, Family: "redis7"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.CreateCacheParameterGroup(context.Background(), createPG("one-more", "redis7"))
	wantAPIError(t, err, codePGQuota, 400, "300")
	if err := svc.DeleteCacheParameterGroup(context.Background(), &api.DeleteCacheParameterGroupMessage{CacheParameterGroupName: api.String("g000")}); err != nil {
		t.Fatal(err)
	}
	mustCreatePG(t, svc, "one-more", "redis7")
}

func TestDescribeCacheParameterGroups(t *testing.T) {
	svc, _, _ := newPGService(t)
	ctx := context.Background()
	for _, n := range []string{"zeta", "alpha", "mid-group", "beta", "omega"} {
		mustCreatePG(t, svc, n, "memcached1.6")
	}
	var names []string
	var marker *string
	pages := 0
	for {
		out, err := svc.DescribeCacheParameterGroups(ctx, &api.DescribeCacheParameterGroupsMessage{MaxRecords: api.Int32(20), Marker: marker})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, g := range out.CacheParameterGroups {
			names = append(names, *g.CacheParameterGroupName)
			if g.ARN == nil || g.IsGlobal == nil || *g.IsGlobal || g.Description == nil {
				t.Errorf("group %s lacks fields: %+v", *g.CacheParameterGroupName, g)
			}
		}
		if out.Marker == nil {
			break
		}
		marker = out.Marker
	}
	defaults := engine.DefaultParameterGroups()
	if pages != 2 || len(names) != len(defaults)+5 || !slices.IsSorted(names) {
		t.Fatalf("%d pages, names %v", pages, names)
	}
	for _, d := range defaults {
		if !slices.Contains(names, d) {
			t.Errorf("default group %s is not described", d)
		}
	}
	one, err := svc.DescribeCacheParameterGroups(ctx, &api.DescribeCacheParameterGroupsMessage{CacheParameterGroupName: api.String("Default.Redis7.Cluster.On")})
	if err != nil || len(one.CacheParameterGroups) != 1 {
		t.Fatalf("by name: %+v %v", one, err)
	}
	g := one.CacheParameterGroups[0]
	wantField(t, "family", api.Deref(g.CacheParameterGroupFamily), "redis7")
	wantField(t, "description", api.Deref(g.Description), "Customized default parameter group for redis7 with cluster mode on")
	wantField(t, "ARN", api.Deref(g.ARN), "arn:aws:elasticache:us-east-1:123456789012:parametergroup:default.redis7.cluster.on")
	one, _ = svc.DescribeCacheParameterGroups(ctx, &api.DescribeCacheParameterGroupsMessage{CacheParameterGroupName: api.String("default.memcached1.6")})
	wantField(t, "description", api.Deref(one.CacheParameterGroups[0].Description), "Default parameter group for memcached1.6")
	one, _ = svc.DescribeCacheParameterGroups(ctx, &api.DescribeCacheParameterGroupsMessage{CacheParameterGroupName: api.String("ALPHA")})
	wantField(t, "custom by name", api.Deref(one.CacheParameterGroups[0].CacheParameterGroupFamily), "memcached1.6")
	_, err = svc.DescribeCacheParameterGroups(ctx, &api.DescribeCacheParameterGroupsMessage{CacheParameterGroupName: api.String("nope")})
	wantAPIError(t, err, codePGNotFound, 404, "CacheParameterGroup nope not found.")
	_, err = svc.DescribeCacheParameterGroups(ctx, &api.DescribeCacheParameterGroupsMessage{MaxRecords: api.Int32(19)})
	wantAPIError(t, err, codeIPV, 400, "MaxRecords")
}

func TestDescribeCacheParameters(t *testing.T) {
	svc, _, _ := newPGService(t)
	ctx := context.Background()
	mustCreatePG(t, svc, "g", "redis7")
	if err := modifyPG(t, svc, "g", "maxmemory-policy", "allkeys-lru"); err != nil {
		t.Fatal(err)
	}
	all := describeParams(t, svc, "g")
	if len(all) != len(engine.FamilyParameters("redis7")) {
		t.Fatalf("%d parameters, the family has %d", len(all), len(engine.FamilyParameters("redis7")))
	}
	p := all["maxmemory-policy"]
	wantField(t, "value", api.Deref(p.ParameterValue), "allkeys-lru")
	wantField(t, "source", api.Deref(p.Source), "user")
	wantField(t, "modifiable", api.Deref(p.IsModifiable), true)
	wantField(t, "change type", string(p.ChangeType), "immediate")
	wantField(t, "data type", api.Deref(p.DataType), "string")
	wantField(t, "minimum engine version", api.Deref(p.MinimumEngineVersion), "7.0")
	wantField(t, "fixed source", api.Deref(all["lua-time-limit"].Source), "system")
	wantField(t, "fixed modifiable", api.Deref(all["lua-time-limit"].IsModifiable), false)
	wantField(t, "conditional, unused group", api.Deref(all["databases"].IsModifiable), true)
	if all["notify-keyspace-events"].ParameterValue != nil {
		t.Error("an empty value is reported")
	}
	def := describeParams(t, svc, "default.redis7")
	wantField(t, "default group source", api.Deref(def["maxmemory-policy"].Source), "system")
	wantField(t, "default group value", api.Deref(def["maxmemory-policy"].ParameterValue), "volatile-lru")
	wantField(t, "default group conditional", api.Deref(def["databases"].IsModifiable), false)
	on := describeParams(t, svc, "default.redis7.cluster.on")
	wantField(t, "cluster.on", api.Deref(on["cluster-enabled"].ParameterValue), "yes")

	count := func(source string) (int, []api.CacheNodeTypeSpecificParameter) {
		out, err := svc.DescribeCacheParameters(ctx, &api.DescribeCacheParametersMessage{CacheParameterGroupName: api.String("g"), Source: api.String(source)})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range out.Parameters {
			if source != "engine-default" && api.Deref(p.Source) != source {
				t.Errorf("Source=%s returned %s (%s)", source, *p.ParameterName, *p.Source)
			}
			if source == "engine-default" && *p.ParameterName == "maxmemory-policy" {
				t.Error("engine-default returned a changed parameter")
			}
		}
		return len(out.Parameters), out.CacheNodeTypeSpecificParameters
	}
	user, _ := count("user")
	system, nts := count("system")
	defaults, _ := count("engine-default")
	if user+system != len(all) || user == 0 || system == 0 || defaults != len(all)-1 {
		t.Errorf("user %d + system %d != %d, engine-default %d", user, system, len(all), defaults)
	}
	if len(nts) == 0 || *nts[0].ParameterName != "maxmemory" {
		t.Fatalf("node-type-specific parameters: %+v", nts)
	}
	var t3 string
	for _, v := range nts[0].CacheNodeTypeSpecificValues {
		if *v.CacheNodeType == "cache.t3.micro" {
			t3 = *v.Value
		}
	}
	wantField(t, "t3.micro maxmemory", t3, "536870912")

	// Paging: 20 at a time, node-type parameters with the first page only.
	var seen []string
	var marker *string
	for {
		out, err := svc.DescribeCacheParameters(ctx, &api.DescribeCacheParametersMessage{CacheParameterGroupName: api.String("g"), MaxRecords: api.Int32(20), Marker: marker})
		if err != nil {
			t.Fatal(err)
		}
		if marker != nil && len(out.CacheNodeTypeSpecificParameters) != 0 {
			t.Error("node-type-specific parameters repeated on a later page")
		}
		for _, p := range out.Parameters {
			seen = append(seen, *p.ParameterName)
		}
		if out.Marker == nil {
			break
		}
		if len(out.Parameters) != 20 {
			t.Errorf("a full page has %d parameters", len(out.Parameters))
		}
		marker = out.Marker
	}
	if len(seen) != len(all) {
		t.Errorf("paging returned %d of %d", len(seen), len(all))
	}

	for _, tc := range []struct {
		name   string
		in     *api.DescribeCacheParametersMessage
		code   string
		status int
		msg    string
	}{
		{"unknown group", &api.DescribeCacheParametersMessage{CacheParameterGroupName: api.String("nope")}, codePGNotFound, 404, "CacheParameterGroup nope not found."},
		{"unknown source", &api.DescribeCacheParametersMessage{CacheParameterGroupName: api.String("g"), Source: api.String("customer")}, codeIPV, 400, "Valid values: user, system, engine-default"},
		{"bad marker", &api.DescribeCacheParametersMessage{CacheParameterGroupName: api.String("g"), Marker: api.String("x")}, codeIPV, 400, "Marker"},
		{"MaxRecords too big", &api.DescribeCacheParametersMessage{CacheParameterGroupName: api.String("g"), MaxRecords: api.Int32(101)}, codeIPV, 400, "MaxRecords"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.DescribeCacheParameters(ctx, tc.in)
			wantAPIError(t, err, tc.code, tc.status, tc.msg)
		})
	}
}

func TestDescribeEngineDefaultParameters(t *testing.T) {
	svc, _, _ := newPGService(t)
	ctx := context.Background()
	for _, fam := range engine.Families() {
		out, err := svc.DescribeEngineDefaultParameters(ctx, &api.DescribeEngineDefaultParametersMessage{CacheParameterGroupFamily: api.String(fam)})
		if err != nil {
			t.Fatal(err)
		}
		d := out.EngineDefaults
		if api.Deref(d.CacheParameterGroupFamily) != fam || len(d.Parameters) == 0 || len(d.CacheNodeTypeSpecificParameters) == 0 {
			t.Errorf("%s: %+v", fam, d)
		}
		for _, p := range d.Parameters {
			if api.Deref(p.Source) != "system" {
				t.Errorf("%s %s source %s", fam, *p.ParameterName, *p.Source)
			}
		}
	}
	out, _ := svc.DescribeEngineDefaultParameters(ctx, &api.DescribeEngineDefaultParametersMessage{CacheParameterGroupFamily: api.String("memcached1.6"), MaxRecords: api.Int32(20)})
	if len(out.EngineDefaults.Parameters) != 20 || out.EngineDefaults.Marker == nil {
		t.Fatalf("first page: %d parameters, marker %v", len(out.EngineDefaults.Parameters), out.EngineDefaults.Marker)
	}
	next, _ := svc.DescribeEngineDefaultParameters(ctx, &api.DescribeEngineDefaultParametersMessage{CacheParameterGroupFamily: api.String("memcached1.6"), MaxRecords: api.Int32(20), Marker: out.EngineDefaults.Marker})
	if got := len(out.EngineDefaults.Parameters) + len(next.EngineDefaults.Parameters); got != len(engine.FamilyParameters("memcached1.6")) || next.EngineDefaults.Marker != nil {
		t.Errorf("two pages gave %d parameters", got)
	}
	var names []string
	for _, p := range next.EngineDefaults.CacheNodeTypeSpecificParameters {
		names = append(names, *p.ParameterName)
	}
	if len(names) != 0 {
		t.Errorf("node-type parameters on the second page: %v", names)
	}
	_, err := svc.DescribeEngineDefaultParameters(ctx, &api.DescribeEngineDefaultParametersMessage{CacheParameterGroupFamily: api.String("redis9")})
	wantAPIError(t, err, codeIPV, 400, "redis9")
}

func TestModifyCacheParameterGroupRules(t *testing.T) {
	many := make([]string, 0, 42)
	for i := 0; i < 21; i++ {
		many = append(many, "timeout", "0")
	}
	for _, tc := range []struct {
		name   string
		group  string
		pairs  []string
		code   string
		status int
		msg    string
	}{
		{"default group", "default.redis7", []string{"timeout", "60"}, codePGState, 400, "default.redis7 is a default parameter group and cannot be modified"},
		{"unknown group", "nope", []string{"timeout", "60"}, codePGNotFound, 404, "CacheParameterGroup nope not found."},
		{"no parameters", "g", nil, codeIPV, 400, "at least one"},
		{"21 parameters", "g", many, codeIPV, 400, "at most 20"},
		{"unknown parameter", "g", []string{"hash-max-ziplist-entries", "1"}, codeIPV, 400, "Could not find parameter with name: hash-max-ziplist-entries"},
		{"not modifiable", "g", []string{"lua-time-limit", "100"}, codeIPV, 400, "not modifiable"},
		{"memcached parameter in a redis group", "g", []string{"max_item_size", "2097152"}, codeIPV, 400, "Could not find parameter"},
		{"bad policy", "g", []string{"maxmemory-policy", "lru"}, codeIPV, 400, "allowed values are volatile-lru"},
		{"timeout in the hole", "g", []string{"timeout", "10"}, codeIPV, 400, "0, or 20 or more"},
		{"not a number", "g", []string{"maxmemory-samples", "ten"}, codeIPV, 400, "integer"},
		{"good then bad", "g", []string{"timeout", "60", "maxmemory-policy", "bogus"}, codeIPV, 400, "bogus"},
		{"memcached chunk above half the item", "m", []string{"chunk_size", "600000"}, codeIPC, 400, "half of max_item_size"},
		{"memcached growth factor 1", "m", []string{"chunk_size_growth_factor", "1"}, codeIPV, 400, "above 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc, st, n := newPGService(t)
			mustCreatePG(t, svc, "g", "redis7")
			mustCreatePG(t, svc, "m", "memcached1.6")
			err := modifyPG(t, svc, tc.group, tc.pairs...)
			wantAPIError(t, err, tc.code, tc.status, tc.msg)
			for _, g := range []string{"g", "m"} {
				if v, _ := groupValues(t, st, g); len(v) != 0 {
					t.Errorf("a refused modify changed %s: %v", g, v)
				}
			}
			if ids := n.take(); len(ids) != 0 {
				t.Errorf("a refused modify notified %v", ids)
			}
		})
	}
	t.Run("missing value", func(t *testing.T) {
		svc, _, _ := newPGService(t)
		mustCreatePG(t, svc, "g", "redis7")
		_, err := svc.ModifyCacheParameterGroup(context.Background(), &api.ModifyCacheParameterGroupMessage{CacheParameterGroupName: api.String("g"), ParameterNameValues: []api.ParameterNameValue{{ParameterName: api.String("timeout")}}})
		wantAPIError(t, err, codeIPV, 400, "needs a ParameterValue")
	})
}

func TestModifyCacheParameterGroupInUse(t *testing.T) {
	svc, st, n := newPGService(t)
	ctx := context.Background()
	mustCreatePG(t, svc, "Shared", "redis7")
	mustCreate(t, svc, create("c1", "redis", withPG("SHARED")))
	mustCreate(t, svc, create("c2", "redis", withPG("shared")))
	mustCreate(t, svc, create("other", "redis"))
	n.take()
	if err := modifyPG(t, svc, "shared", "maxmemory-policy", "allkeys-lru", "notify-keyspace-events", "Ex"); err != nil {
		t.Fatal(err)
	}
	if got := n.take(); fmt.Sprint(got) != "[c1 c2]" {
		t.Errorf("notified %v, want the clusters using the group", got)
	}
	if v, _ := groupValues(t, st, "shared"); v["maxmemory-policy"] != "allkeys-lru" || v["notify-keyspace-events"] != "Ex" {
		t.Errorf("stored %v", v)
	}
	// databases cannot change under running nodes; its current value can be set.
	err := modifyPG(t, svc, "shared", "databases", "32")
	wantAPIError(t, err, codeIPV, 400, "used by cache clusters c1, c2")
	if err := modifyPG(t, svc, "shared", "databases", "16"); err != nil {
		t.Errorf("setting databases to its current value: %v", err)
	}
	if p := describeParams(t, svc, "shared")["databases"]; api.Deref(p.IsModifiable) {
		t.Error("databases reported modifiable in a group in use")
	}
	// A reserved memory that leaves the clusters' node type no memory.
	err = modifyPG(t, svc, "shared", "reserved-memory-percent", "100")
	wantAPIError(t, err, codeIPC, 400, "cannot run on cache cluster c1 (cache.t3.micro)")
	// A cluster being deleted does not hold the group.
	for _, id := range []string{"c1", "c2"} {
		setStatus(t, st, id, model.StatusAvailable, "")
		if _, err := svc.DeleteCacheCluster(ctx, &api.DeleteCacheClusterMessage{CacheClusterId: api.String(id)}); err != nil {
			t.Fatal(err)
		}
	}
	n.take()
	if err := modifyPG(t, svc, "shared", "databases", "32"); err != nil {
		t.Errorf("databases in a group no live cluster uses: %v", err)
	}
	if got := n.take(); len(got) != 0 {
		t.Errorf("deleted clusters were notified: %v", got)
	}
}

func TestResetCacheParameterGroup(t *testing.T) {
	svc, st, n := newPGService(t)
	ctx := context.Background()
	mustCreatePG(t, svc, "g", "redis7")
	if err := modifyPG(t, svc, "g", "timeout", "60", "maxmemory-policy", "allkeys-lru", "databases", "32"); err != nil {
		t.Fatal(err)
	}
	reset := func(all *bool, names ...string) error {
		in := &api.ResetCacheParameterGroupMessage{CacheParameterGroupName: api.String("g"), ResetAllParameters: all}
		for _, name := range names {
			in.ParameterNameValues = append(in.ParameterNameValues, api.ParameterNameValue{ParameterName: api.String(name)})
		}
		_, err := svc.ResetCacheParameterGroup(ctx, in)
		return err
	}
	wantAPIError(t, reset(api.Bool(true), "timeout"), codeIPC, 400, "not both")
	wantAPIError(t, reset(nil), codeIPV, 400, "ResetAllParameters=true")
	wantAPIError(t, reset(api.Bool(false)), codeIPV, 400, "ResetAllParameters=true")
	wantAPIError(t, reset(nil, "nope"), codeIPV, 400, "Could not find parameter")
	wantAPIError(t, reset(nil, "lua-time-limit"), codeIPV, 400, "not modifiable")
	_, err := svc.ResetCacheParameterGroup(ctx, &api.ResetCacheParameterGroupMessage{CacheParameterGroupName: api.String("default.redis7"), ResetAllParameters: api.Bool(true)})
	wantAPIError(t, err, codePGState, 400, "cannot be reset")
	_, err = svc.ResetCacheParameterGroup(ctx, &api.ResetCacheParameterGroupMessage{CacheParameterGroupName: api.String("nope"), ResetAllParameters: api.Bool(true)})
	wantAPIError(t, err, codePGNotFound, 404, "")

	if err := reset(nil, "timeout"); err != nil {
		t.Fatal(err)
	}
	if v, _ := groupValues(t, st, "g"); fmt.Sprint(v) != "map[databases:32 maxmemory-policy:allkeys-lru]" {
		t.Errorf("after resetting timeout: %v", v)
	}
	// databases cannot go back to 16 under a cluster's nodes.
	mustCreate(t, svc, create("c1", "redis", withPG("g")))
	n.take()
	wantAPIError(t, reset(api.Bool(true)), codeIPV, 400, "databases can be changed only")
	if err := reset(nil, "maxmemory-policy"); err != nil {
		t.Fatal(err)
	}
	if got := n.take(); fmt.Sprint(got) != "[c1]" {
		t.Errorf("notified %v", got)
	}
	if v, _ := groupValues(t, st, "g"); fmt.Sprint(v) != "map[databases:32]" {
		t.Errorf("after resetting the policy: %v", v)
	}
}

func TestDeleteCacheParameterGroup(t *testing.T) {
	svc, st, _ := newPGService(t)
	ctx := context.Background()
	del := func(name string) error {
		return svc.DeleteCacheParameterGroup(ctx, &api.DeleteCacheParameterGroupMessage{CacheParameterGroupName: api.String(name)})
	}
	in := createPG("g", "redis7")
	in.Tags = []api.Tag{{Key: api.String("k"), Value: api.String("v")}}
	if _, err := svc.CreateCacheParameterGroup(ctx, in); err != nil {
		t.Fatal(err)
	}
	wantAPIError(t, del("default.redis7"), codePGState, 400, "default.redis7 is a default parameter group and cannot be deleted.")
	wantAPIError(t, del("nope"), codePGNotFound, 404, "CacheParameterGroup nope not found.")
	wantAPIError(t, del(" "), codeIPV, 400, "must be provided")
	mustCreate(t, svc, create("c1", "redis", withPG("g")))
	wantAPIError(t, del("G"), codePGState, 400, "in use by cache cluster c1")
	setStatus(t, st, "c1", model.StatusAvailable, "")
	if _, err := svc.DeleteCacheCluster(ctx, &api.DeleteCacheClusterMessage{CacheClusterId: api.String("c1")}); err != nil {
		t.Fatal(err)
	}
	if err := del("G"); err != nil {
		t.Fatal(err)
	}
	if _, found := groupValues(t, st, "g"); found {
		t.Error("the group survived its delete")
	}
	_ = st.View(func(tx *store.Tx) error {
		if tags, _ := tx.Tags("arn:aws:elasticache:us-east-1:123456789012:parametergroup:g"); len(tags) != 0 {
			t.Errorf("tags survived the group: %v", tags)
		}
		return nil
	})
	wantAPIError(t, del("g"), codePGNotFound, 404, "")
}

func TestCreateCacheClusterWithCustomGroup(t *testing.T) {
	for _, tc := range []struct {
		name    string
		family  string
		values  []string
		cluster *api.CreateCacheClusterMessage
		code    string
		status  int
		msg     string
	}{
		{"wrong family", "redis6.x", nil, redis(withPG("g")), codeIPC, 400, "Expected a parameter group of family redis7 but found one of family redis6.x."},
		{"memcached group for redis", "memcached1.6", nil, redis(withPG("g")), codeIPC, 400, "Expected a parameter group of family redis7 but found one of family memcached1.6."},
		{"cluster mode enabled", "redis7", []string{"cluster-enabled", "yes"}, redis(withPG("g")), codeIPC, 400, msgClusterOn},
		{"unknown group", "redis7", nil, redis(withPG("h")), codePGNotFound, 404, "CacheParameterGroup h not found."},
		{"good redis", "redis7", []string{"maxmemory-policy", "allkeys-lru"}, redis(withPG("G")), "", 0, ""},
		{"good memcached", "memcached1.6", []string{"max_item_size", "2097152"}, memcached(withPG("g")), "", 0, ""},
		{"older version", "redis6.x", nil, redis(withPG("g"), withVersion("6.2")), "", 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			svc, st, _ := newPGService(t)
			mustCreatePG(t, svc, "g", tc.family)
			if len(tc.values) > 0 {
				if err := modifyPG(t, svc, "g", tc.values...); err != nil {
					t.Fatal(err)
				}
			}
			out, err := svc.CreateCacheCluster(context.Background(), tc.cluster)
			if tc.code != "" {
				wantAPIError(t, err, tc.code, tc.status, tc.msg)
				if c, _ := counts(t, st); c != 0 {
					t.Error("a refused create left a cluster")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			wantField(t, "group", api.Deref(out.CacheCluster.CacheParameterGroup.CacheParameterGroupName), "g")
		})
	}
}

func TestClusterParameterApplyStatus(t *testing.T) {
	svc, st, _ := newPGService(t)
	ctx := context.Background()
	mustCreate(t, svc, create("mc", "memcached", withNodes(3)))
	setStatus(t, st, "mc", model.StatusAvailable, "")
	setParams := func(statuses ...string) {
		t.Helper()
		err := st.Update(func(tx *store.Tx) error {
			c, err := tx.Cluster("mc")
			if err != nil {
				return err
			}
			for i := range c.Status.Nodes {
				c.Status.Nodes[i].ParameterStatus = statuses[i]
			}
			return tx.PutCluster(c)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	describe := func() *api.CacheCluster {
		out, err := svc.DescribeCacheClusters(ctx, &api.DescribeCacheClustersMessage{CacheClusterId: api.String("mc"), ShowCacheNodeInfo: api.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		return &out.CacheClusters[0]
	}
	for _, tc := range []struct {
		nodes          []string
		status, reboot string
	}{
		{[]string{"", "", ""}, "in-sync", "[]"},
		{[]string{"in-sync", "pending-reboot", "pending-reboot"}, "pending-reboot", "[0002 0003]"},
		{[]string{"applying", "pending-reboot", "in-sync"}, "applying", "[0002]"},
	} {
		setParams(tc.nodes...)
		c := describe()
		got := fmt.Sprint(api.Deref(c.CacheParameterGroup.ParameterApplyStatus), " ", c.CacheParameterGroup.CacheNodeIdsToReboot)
		if want := tc.status + " " + tc.reboot; got != want {
			t.Errorf("nodes %v: %s, want %s", tc.nodes, got, want)
		}
		for i, n := range c.CacheNodes {
			want := tc.nodes[i]
			if want == "" {
				want = "in-sync"
			}
			if api.Deref(n.ParameterGroupStatus) != want {
				t.Errorf("node %s ParameterGroupStatus %s, want %s", *n.CacheNodeId, *n.ParameterGroupStatus, want)
			}
		}
	}
}
