package service

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/cacheplane/cacheplane/internal/api"
	"github.com/cacheplane/cacheplane/internal/engine"
	"github.com/cacheplane/cacheplane/internal/model"
	"github.com/cacheplane/cacheplane/internal/store"
)

// Cache parameter groups. The default groups (default.<family>, and
// default.<family>.cluster.on with cluster-enabled=yes) are the engine
// catalog's defaults: they have no record and cannot be changed. A custom
// group is a record holding the values it sets; every other parameter has
// its family's default, as a new group is a copy of the default group.
// Changing a group notifies the reconciler of every cluster using it, which
// applies the change to the running nodes.

const (
	// parameterGroupNameMaxLen is the model's limit on CacheParameterGroupName.
	parameterGroupNameMaxLen = 255
	// maxParameterGroups is AWS's quota of parameter groups per region; the
	// default groups, which are AWS's own, do not count.
	maxParameterGroups = 300
	// maxModifyParameters is the model's limit of name/value pairs per
	// ModifyCacheParameterGroup call.
	maxModifyParameters = 20
)

// Parameter sources as DescribeCacheParameters reports and filters them.
const (
	sourceUser          = "user"
	sourceSystem        = "system"
	sourceEngineDefault = "engine-default"
)

// paramGroup is a group a request can name: a default one or a custom one.
type paramGroup struct {
	name, family, description, arn string
	isDefault                      bool
	// values are the parameter values the group sets (nil: all defaults).
	values map[string]string
	custom *model.ParameterGroup // nil for a default group
}

func (s *Service) parameterGroupARN(name string) string {
	return model.ParameterGroupARN(s.cfg.Region, s.cfg.AccountID, name)
}

// defaultParamGroups are the built-in groups, by name.
func (s *Service) defaultParamGroup(name string) (*paramGroup, bool) {
	for _, fam := range engine.Families() {
		for _, clusterOn := range []bool{false, true} {
			if engine.DefaultParameterGroup(fam, clusterOn) != name || name == "" {
				continue
			}
			g := &paramGroup{name: name, family: fam, isDefault: true, arn: s.parameterGroupARN(name),
				description: "Default parameter group for " + fam}
			if clusterOn {
				g.description = "Customized default parameter group for " + fam + " with cluster mode on"
				g.values = map[string]string{"cluster-enabled": "yes"}
			}
			return g, true
		}
	}
	return nil, false
}

// lookupParameterGroup finds a group by name, without regard to case; nil
// when there is none.
func (s *Service) lookupParameterGroup(tx *store.Tx, name string) (*paramGroup, error) {
	lower := strings.ToLower(name)
	if g, ok := s.defaultParamGroup(lower); ok {
		return g, nil
	}
	var g model.ParameterGroup
	found, err := tx.GetRecord(store.BucketParameterGroups, lower, &g)
	if err != nil || !found {
		return nil, err
	}
	return customParamGroup(&g), nil
}

func customParamGroup(g *model.ParameterGroup) *paramGroup {
	return &paramGroup{name: g.Name, family: g.Family, description: g.Description, arn: g.ARN, values: g.Parameters, custom: g}
}

func parameterGroupNotFound(name string) *api.Error {
	return api.ErrCacheParameterGroupNotFound("CacheParameterGroup %s not found.", strings.ToLower(name))
}

// clusterEnabled reports whether the group puts redis in cluster mode.
func (g *paramGroup) clusterEnabled() bool {
	p, ok := engine.LookupParameter(g.family, "cluster-enabled")
	return ok && g.value(p) == "yes"
}

// value is the group's value of a parameter of its family.
func (g *paramGroup) value(p engine.Parameter) string {
	if v, ok := g.values[p.Name]; ok && p.Modifiable {
		return v
	}
	return p.Default
}

// parameterGroupFor resolves CacheParameterGroupName for a new cluster of
// version v: the family's default group when it is omitted; a named group
// must exist, be of v's family and not enable cluster mode.
func (s *Service) parameterGroupFor(tx *store.Tx, name string, v engine.Version) (string, *api.Error) {
	if name == "" {
		return engine.DefaultParameterGroup(v.Family, false), nil
	}
	g, err := s.lookupParameterGroup(tx, name)
	if err != nil {
		return "", storeFailure(err)
	}
	if g == nil {
		return "", parameterGroupNotFound(name)
	}
	if g.clusterEnabled() {
		return "", api.ErrInvalidParameterCombinationMsg("Cluster mode should be disabled in parameter group, but found it is enabled.")
	}
	if g.family != v.Family {
		return "", api.ErrInvalidParameterCombination("Expected a parameter group of family %s but found one of family %s.", v.Family, g.family)
	}
	return g.name, nil
}

// clustersUsingGroup are the clusters (not being deleted) whose parameter
// group is name.
func clustersUsingGroup(tx *store.Tx, name string) ([]*model.Cluster, error) {
	return clustersUsing(tx, func(c *model.ClusterSpec) bool { return c.ParameterGroupName == name && !c.Deleted })
}

func clusterIDs(cs []*model.Cluster) []string {
	ids := make([]string, len(cs))
	for i, c := range cs {
		ids[i] = c.Spec.ID
	}
	return ids
}

func (g *paramGroup) toAPI() *api.CacheParameterGroup {
	return &api.CacheParameterGroup{
		CacheParameterGroupName:   api.String(g.name),
		CacheParameterGroupFamily: api.String(g.family),
		Description:               api.String(g.description),
		IsGlobal:                  api.Bool(false),
		ARN:                       api.String(g.arn),
	}
}

// CreateCacheParameterGroup records a new custom group of a family (a copy
// of the family's defaults), with its tags, in one transaction.
func (s *Service) CreateCacheParameterGroup(ctx context.Context, in *api.CreateCacheParameterGroupMessage) (*api.CreateCacheParameterGroupResult, error) {
	name := api.Deref(in.CacheParameterGroupName)
	if err := checkIdentifier("CacheParameterGroupName", "CacheParameterGroupName", name, parameterGroupNameMaxLen); err != nil {
		return nil, err
	}
	family := api.Deref(in.CacheParameterGroupFamily)
	if _, ok := engine.FamilyEngine(family); !ok {
		if family == "" {
			return nil, api.ErrInvalidParameterValue("The parameter CacheParameterGroupFamily must be provided and must not be blank. Valid values: %s.", strings.Join(engine.Families(), ", "))
		}
		return nil, api.ErrInvalidParameterValue("Invalid value for parameter CacheParameterGroupFamily: %s. Valid values: %s.", family, strings.Join(engine.Families(), ", "))
	}
	if in.Description == nil {
		return nil, api.ErrInvalidParameterValue("The parameter Description must be provided.")
	}
	tags, verr := checkTags(in.Tags, 0)
	if verr != nil {
		return nil, verr
	}
	lower := strings.ToLower(name)
	g := &model.ParameterGroup{
		Name: lower, Family: family, Description: *in.Description,
		ARN: s.parameterGroupARN(lower), CreatedAt: s.cfg.Now().UTC(), Generation: 1,
	}
	err := s.store.Update(func(tx *store.Tx) error {
		existing, err := s.lookupParameterGroup(tx, lower)
		if err != nil {
			return err
		}
		if existing != nil {
			return api.ErrCacheParameterGroupAlreadyExists("Parameter group %s already exists.", lower)
		}
		if n := tx.CountRecords(store.BucketParameterGroups); n >= maxParameterGroups {
			return api.ErrCacheParameterGroupQuotaExceeded("The request cannot be processed because it would exceed the allowed number of cache parameter groups (%d); delete a parameter group first.", maxParameterGroups)
		}
		if err := tx.SetTags(g.ARN, tags); err != nil {
			return err
		}
		return tx.PutRecord(store.BucketParameterGroups, g.Name, g)
	})
	if err != nil {
		return nil, err
	}
	return &api.CreateCacheParameterGroupResult{CacheParameterGroup: customParamGroup(g).toAPI()}, nil
}

// DescribeCacheParameterGroups lists the default and custom groups in name
// order, or the one named (matched without regard to case).
func (s *Service) DescribeCacheParameterGroups(ctx context.Context, in *api.DescribeCacheParameterGroupsMessage) (*api.CacheParameterGroupsMessage, error) {
	limit, verr := maxRecords(in.MaxRecords)
	if verr != nil {
		return nil, verr
	}
	out := &api.CacheParameterGroupsMessage{CacheParameterGroups: []api.CacheParameterGroup{}}
	if in.CacheParameterGroupName != nil {
		var g *paramGroup
		if err := s.store.View(func(tx *store.Tx) (err error) {
			g, err = s.lookupParameterGroup(tx, *in.CacheParameterGroupName)
			return
		}); err != nil {
			return nil, err
		}
		if g == nil {
			return nil, parameterGroupNotFound(*in.CacheParameterGroupName)
		}
		out.CacheParameterGroups = append(out.CacheParameterGroups, *g.toAPI())
		return out, nil
	}
	var groups []*paramGroup
	for _, name := range engine.DefaultParameterGroups() {
		g, _ := s.defaultParamGroup(name)
		groups = append(groups, g)
	}
	err := s.store.View(func(tx *store.Tx) error {
		return tx.Records(store.BucketParameterGroups, "", func(_ string, raw []byte) (bool, error) {
			var g model.ParameterGroup
			if err := json.Unmarshal(raw, &g); err != nil {
				return false, err
			}
			groups = append(groups, customParamGroup(&g))
			return true, nil
		})
	})
	if err != nil {
		return nil, err
	}
	pageOf, next := page(groups, func(g *paramGroup) string { return g.name }, api.Deref(in.Marker), limit)
	for _, g := range pageOf {
		out.CacheParameterGroups = append(out.CacheParameterGroups, *g.toAPI())
	}
	if next != "" {
		out.Marker = api.String(next)
	}
	return out, nil
}

// DescribeCacheParameters lists a group's parameters with its values, in
// the order AWS lists them, optionally only those of one Source: "user"
// (modifiable ones of a custom group), "system" (the others) or
// "engine-default" (those at their family default). The node-type-specific
// parameters come with the first page.
func (s *Service) DescribeCacheParameters(ctx context.Context, in *api.DescribeCacheParametersMessage) (*api.CacheParameterGroupDetails, error) {
	limit, verr := maxRecords(in.MaxRecords)
	if verr != nil {
		return nil, verr
	}
	source := api.Deref(in.Source)
	if in.Source != nil && !slices.Contains([]string{sourceUser, sourceSystem, sourceEngineDefault}, source) {
		return nil, api.ErrInvalidParameterValue("Invalid value for parameter Source: %s. Valid values: user, system, engine-default.", source)
	}
	start, verr := markerOffset(in.Marker, "DescribeCacheParameters")
	if verr != nil {
		return nil, verr
	}
	var g *paramGroup
	var inUse bool
	err := s.store.View(func(tx *store.Tx) error {
		var err error
		if g, err = s.lookupParameterGroup(tx, api.Deref(in.CacheParameterGroupName)); err != nil || g == nil {
			return err
		}
		users, err := clustersUsingGroup(tx, g.name)
		inUse = len(users) > 0
		return err
	})
	if err != nil {
		return nil, err
	}
	if g == nil {
		return nil, parameterGroupNotFound(api.Deref(in.CacheParameterGroupName))
	}
	var matched []api.Parameter
	for _, p := range engine.FamilyParameters(g.family) {
		src, modifiable := sourceSystem, p.Modifiable && !p.Conditional
		if !g.isDefault && p.Modifiable {
			src, modifiable = sourceUser, !p.Conditional || !inUse
		}
		value := g.value(p)
		switch source {
		case sourceUser, sourceSystem:
			if src != source {
				continue
			}
		case sourceEngineDefault:
			if value != p.Default {
				continue
			}
		}
		matched = append(matched, parameterToAPI(p, value, src, modifiable))
	}
	out := &api.CacheParameterGroupDetails{Parameters: []api.Parameter{}, CacheNodeTypeSpecificParameters: []api.CacheNodeTypeSpecificParameter{}}
	out.Parameters, out.Marker = pageParameters(matched, start, limit)
	if start == 0 && source != sourceUser {
		out.CacheNodeTypeSpecificParameters = nodeTypeParametersToAPI(g.family)
	}
	return out, nil
}

// DescribeEngineDefaultParameters lists a family's parameters with their
// defaults, as the family's default group has them.
func (s *Service) DescribeEngineDefaultParameters(ctx context.Context, in *api.DescribeEngineDefaultParametersMessage) (*api.DescribeEngineDefaultParametersResult, error) {
	limit, verr := maxRecords(in.MaxRecords)
	if verr != nil {
		return nil, verr
	}
	family := api.Deref(in.CacheParameterGroupFamily)
	if _, ok := engine.FamilyEngine(family); !ok {
		return nil, api.ErrInvalidParameterValue("Invalid value for parameter CacheParameterGroupFamily: %s. Valid values: %s.", family, strings.Join(engine.Families(), ", "))
	}
	start, verr := markerOffset(in.Marker, "DescribeEngineDefaultParameters")
	if verr != nil {
		return nil, verr
	}
	var all []api.Parameter
	for _, p := range engine.FamilyParameters(family) {
		all = append(all, parameterToAPI(p, p.Default, sourceSystem, p.Modifiable && !p.Conditional))
	}
	out := &api.EngineDefaults{CacheParameterGroupFamily: api.String(family), CacheNodeTypeSpecificParameters: []api.CacheNodeTypeSpecificParameter{}}
	out.Parameters, out.Marker = pageParameters(all, start, limit)
	if start == 0 {
		out.CacheNodeTypeSpecificParameters = nodeTypeParametersToAPI(family)
	}
	return &api.DescribeEngineDefaultParametersResult{EngineDefaults: out}, nil
}

// markerOffset reads a Marker this service returned: the offset of the next
// parameter.
func markerOffset(marker *string, op string) (int, *api.Error) {
	m := api.Deref(marker)
	if m == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(m)
	if err != nil || n < 0 {
		return 0, api.ErrInvalidParameterValue("The Marker %q was not returned by %s; pass the Marker of the previous page.", m, op)
	}
	return n, nil
}

func pageParameters(all []api.Parameter, start, limit int) ([]api.Parameter, *string) {
	out := []api.Parameter{}
	for i := start; i < len(all) && len(out) < limit; i++ {
		out = append(out, all[i])
	}
	if next := start + len(out); next < len(all) {
		return out, api.String(strconv.Itoa(next))
	}
	return out, nil
}

func parameterToAPI(p engine.Parameter, value, source string, modifiable bool) api.Parameter {
	out := api.Parameter{
		ParameterName:        api.String(p.Name),
		Description:          api.String(p.Description),
		Source:               api.String(source),
		DataType:             api.String(p.DataType),
		IsModifiable:         api.Bool(modifiable),
		MinimumEngineVersion: api.String(p.MinimumEngineVersion),
		ChangeType:           api.ChangeType(p.ChangeType),
	}
	// AWS leaves out an empty value (notify-keyspace-events) and an empty
	// list of allowed values.
	if value != "" {
		out.ParameterValue = api.String(value)
	}
	if p.AllowedValues != "" {
		out.AllowedValues = api.String(p.AllowedValues)
	}
	return out
}

func nodeTypeParametersToAPI(family string) []api.CacheNodeTypeSpecificParameter {
	out := []api.CacheNodeTypeSpecificParameter{}
	types := engine.FamilyNodeTypes(family)
	for _, p := range engine.FamilyNodeTypeParameters(family) {
		row := api.CacheNodeTypeSpecificParameter{
			ParameterName:        api.String(p.Name),
			Description:          api.String(p.Description),
			Source:               api.String(sourceSystem),
			DataType:             api.String(p.DataType),
			AllowedValues:        api.String(p.AllowedValues),
			IsModifiable:         api.Bool(false),
			MinimumEngineVersion: api.String(p.MinimumEngineVersion),
			ChangeType:           api.ChangeType(p.ChangeType),
		}
		for _, t := range types {
			row.CacheNodeTypeSpecificValues = append(row.CacheNodeTypeSpecificValues, api.CacheNodeTypeSpecificValue{
				CacheNodeType: api.String(t.Name), Value: api.String(strconv.FormatInt(p.Value(t), 10)),
			})
		}
		out = append(out, row)
	}
	return out
}

// changeableGroup looks up the group a Modify or Reset names: it must exist
// and be a custom one.
func (s *Service) changeableGroup(tx *store.Tx, name, verb, done string) (*paramGroup, error) {
	g, err := s.lookupParameterGroup(tx, name)
	if err != nil {
		return nil, err
	}
	if g == nil {
		return nil, parameterGroupNotFound(name)
	}
	if g.isDefault {
		return nil, api.ErrInvalidCacheParameterGroupState("%s is a default parameter group and cannot be %s. Create a parameter group of family %s with CreateCacheParameterGroup and %s that instead.", g.name, done, g.family, verb)
	}
	return g, nil
}

// changeable checks that a request may set a parameter of g.
func changeable(g *paramGroup, name string) (engine.Parameter, *api.Error) {
	if name == "" {
		return engine.Parameter{}, api.ErrInvalidParameterValue("Each ParameterNameValue needs a ParameterName.")
	}
	p, ok := engine.LookupParameter(g.family, name)
	if !ok {
		return p, api.ErrInvalidParameterValue("Could not find parameter with name: %s. Parameter group %s is of family %s; DescribeEngineDefaultParameters lists its parameters.", name, g.name, g.family)
	}
	if !p.Modifiable {
		return p, api.ErrInvalidParameterValue("The parameter %s is not modifiable: ElastiCache fixes it at %s in family %s.", name, p.Default, g.family)
	}
	return p, nil
}

// conditionalChange refuses a new value of a conditionally modifiable
// parameter (databases, cluster-enabled, ...) while clusters use the group:
// it cannot change under their nodes. Its current value is accepted.
func conditionalChange(g *paramGroup, p engine.Parameter, value string, users []*model.Cluster) *api.Error {
	if !p.Conditional || len(users) == 0 || g.value(p) == value {
		return nil
	}
	return api.ErrInvalidParameterValue("The parameter %s can be changed only in a parameter group that no cache cluster uses; %s is used by %s.", p.Name, g.name, clusterList(users))
}

// checkGroupRenders makes sure the group's new values can run on every
// cluster that uses it (a reserved memory or max_item_size that leaves a
// node type no memory would stop its nodes from starting).
func checkGroupRenders(family string, values map[string]string, users []*model.Cluster) *api.Error {
	if err := engine.CheckParameterValues(family, values); err != nil {
		return api.ErrInvalidParameterCombination("%v", err)
	}
	for _, c := range users {
		eng := engine.Name(c.Spec.Engine)
		v, ok1 := engine.LookupVersion(eng, c.Spec.EngineVersion)
		t, ok2 := engine.LookupNodeType(c.Spec.CacheNodeType)
		if !ok1 || !ok2 {
			continue
		}
		probe := engine.NodeConfig{Engine: eng, Version: v, NodeType: t, ListenAddress: "127.0.0.1", Port: 1, DataDir: "/", Parameters: values}
		if _, err := engine.Render(probe); err != nil {
			return api.ErrInvalidParameterCombination("These values cannot run on cache cluster %s (%s): %s.", c.Spec.ID, t.Name, strings.TrimPrefix(err.Error(), "engine: "))
		}
	}
	return nil
}

// ModifyCacheParameterGroup sets up to 20 parameters of a custom group. The
// clusters that use the group get the change: immediate parameters at once,
// the others when their nodes restart.
func (s *Service) ModifyCacheParameterGroup(ctx context.Context, in *api.ModifyCacheParameterGroupMessage) (*api.CacheParameterGroupNameMessage, error) {
	name := api.Deref(in.CacheParameterGroupName)
	if strings.TrimSpace(name) == "" {
		return nil, api.ErrInvalidParameterValue("The parameter CacheParameterGroupName must be provided and must not be blank.")
	}
	if len(in.ParameterNameValues) == 0 {
		return nil, api.ErrInvalidParameterValue("The parameter ParameterNameValues must name at least one parameter.")
	}
	if len(in.ParameterNameValues) > maxModifyParameters {
		return nil, api.ErrInvalidParameterValue("ModifyCacheParameterGroup accepts at most %d parameters per call; %d were given. Split the change into several calls.", maxModifyParameters, len(in.ParameterNameValues))
	}
	var g *paramGroup
	var notify []string
	err := s.store.Update(func(tx *store.Tx) error {
		var err error
		if g, err = s.changeableGroup(tx, name, "modify", "modified"); err != nil {
			return err
		}
		users, err := clustersUsingGroup(tx, g.name)
		if err != nil {
			return err
		}
		values := maps.Clone(g.custom.Parameters)
		if values == nil {
			values = map[string]string{}
		}
		for _, nv := range in.ParameterNameValues {
			p, verr := changeable(g, api.Deref(nv.ParameterName))
			if verr != nil {
				return verr
			}
			if nv.ParameterValue == nil {
				return api.ErrInvalidParameterValue("The parameter %s needs a ParameterValue.", p.Name)
			}
			if err := p.CheckValue(*nv.ParameterValue); err != nil {
				return api.ErrInvalidParameterValue("%v", err)
			}
			if verr := conditionalChange(g, p, *nv.ParameterValue, users); verr != nil {
				return verr
			}
			values[p.Name] = *nv.ParameterValue
		}
		if verr := checkGroupRenders(g.family, values, users); verr != nil {
			return verr
		}
		notify = clusterIDs(users)
		return s.putParameters(tx, g.custom, values)
	})
	if err != nil {
		return nil, err
	}
	for _, id := range notify {
		s.cfg.Notify(id)
	}
	return &api.CacheParameterGroupNameMessage{CacheParameterGroupName: api.String(g.name)}, nil
}

// putParameters writes a custom group's new values.
func (s *Service) putParameters(tx *store.Tx, g *model.ParameterGroup, values map[string]string) error {
	g.Parameters = values
	if len(values) == 0 {
		g.Parameters = nil
	}
	g.Generation++
	return tx.PutRecord(store.BucketParameterGroups, g.Name, g)
}

// ResetCacheParameterGroup returns parameters of a custom group (all, or
// those named) to their family defaults.
func (s *Service) ResetCacheParameterGroup(ctx context.Context, in *api.ResetCacheParameterGroupMessage) (*api.CacheParameterGroupNameMessage, error) {
	name := api.Deref(in.CacheParameterGroupName)
	if strings.TrimSpace(name) == "" {
		return nil, api.ErrInvalidParameterValue("The parameter CacheParameterGroupName must be provided and must not be blank.")
	}
	all := api.Deref(in.ResetAllParameters)
	if all && len(in.ParameterNameValues) > 0 {
		return nil, api.ErrInvalidParameterCombinationMsg("Specify either ResetAllParameters=true or ParameterNameValues, not both.")
	}
	if !all && len(in.ParameterNameValues) == 0 {
		return nil, api.ErrInvalidParameterValue("Give ResetAllParameters=true, or ParameterNameValues naming the parameters to reset.")
	}
	var g *paramGroup
	var notify []string
	err := s.store.Update(func(tx *store.Tx) error {
		var err error
		if g, err = s.changeableGroup(tx, name, "reset", "reset"); err != nil {
			return err
		}
		users, err := clustersUsingGroup(tx, g.name)
		if err != nil {
			return err
		}
		values := maps.Clone(g.custom.Parameters)
		var names []string
		for _, nv := range in.ParameterNameValues {
			names = append(names, api.Deref(nv.ParameterName))
		}
		if all {
			names = slices.Sorted(maps.Keys(values))
		}
		for _, n := range names {
			p, ok := engine.LookupParameter(g.family, n)
			if all && (!ok || !p.Modifiable) {
				delete(values, n) // a value the group cannot hold: drop it
				continue
			}
			if _, verr := changeable(g, n); verr != nil {
				return verr
			}
			if verr := conditionalChange(g, p, p.Default, users); verr != nil {
				return verr
			}
			delete(values, n)
		}
		if verr := checkGroupRenders(g.family, values, users); verr != nil {
			return verr
		}
		notify = clusterIDs(users)
		return s.putParameters(tx, g.custom, values)
	})
	if err != nil {
		return nil, err
	}
	for _, id := range notify {
		s.cfg.Notify(id)
	}
	return &api.CacheParameterGroupNameMessage{CacheParameterGroupName: api.String(g.name)}, nil
}

// DeleteCacheParameterGroup removes a custom group that no cluster uses,
// with its tags.
func (s *Service) DeleteCacheParameterGroup(ctx context.Context, in *api.DeleteCacheParameterGroupMessage) error {
	name := api.Deref(in.CacheParameterGroupName)
	if strings.TrimSpace(name) == "" {
		return api.ErrInvalidParameterValue("The parameter CacheParameterGroupName must be provided and must not be blank.")
	}
	return s.store.Update(func(tx *store.Tx) error {
		g, err := s.lookupParameterGroup(tx, name)
		if err != nil {
			return err
		}
		if g == nil {
			return parameterGroupNotFound(name)
		}
		if g.isDefault {
			return api.ErrInvalidCacheParameterGroupState("%s is a default parameter group and cannot be deleted.", g.name)
		}
		users, err := clustersUsingGroup(tx, g.name)
		if err != nil {
			return err
		}
		if len(users) > 0 {
			return api.ErrInvalidCacheParameterGroupState("Parameter group %s is in use by %s; delete them or move them to another parameter group first.", g.name, clusterList(users))
		}
		if err := tx.SetTags(g.arn, nil); err != nil {
			return err
		}
		return tx.DeleteRecord(store.BucketParameterGroups, g.name)
	})
}

// parameterApplyStatus is a cluster's CacheParameterGroup.ParameterApplyStatus:
// applying while a change is being applied to a node, pending-reboot while
// one waits for a node to restart, in-sync otherwise.
func parameterApplyStatus(c *model.Cluster) string {
	status := model.ParametersInSync
	for _, n := range c.Status.Nodes {
		switch n.ParameterStatus {
		case model.ParametersApplying:
			return model.ParametersApplying
		case model.ParametersPendingReboot:
			status = model.ParametersPendingReboot
		}
	}
	return status
}

// cacheNodeIDsToReboot are the nodes whose parameter changes wait for a
// restart (RebootCacheCluster or a replacement applies them).
func cacheNodeIDsToReboot(c *model.Cluster) []string {
	ids := []string{}
	for _, n := range c.Status.Nodes {
		if n.ParameterStatus == model.ParametersPendingReboot {
			ids = append(ids, n.ID)
		}
	}
	return ids
}

// nodeParameterStatus is a node's CacheNode.ParameterGroupStatus.
func nodeParameterStatus(c *model.Cluster, nodeID string) string {
	if ns := c.Status.NodeStatusByID(nodeID); ns != nil && ns.ParameterStatus != "" {
		return ns.ParameterStatus
	}
	return model.ParametersInSync
}
