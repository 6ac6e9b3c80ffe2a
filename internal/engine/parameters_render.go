package engine

import (
	"slices"
	"strconv"
	"strings"
)

// How parameter groups reach the engines. Render writes every parameter of
// the node's family that applies to its version into the start-up
// configuration (redis.conf directives, memcached options), the group's
// values over the family defaults; PlanParameterChange says what a running
// node needs when the values change.

// applicableParameters are the parameters of v's family that apply to v.
func applicableParameters(v Version) []Parameter {
	var out []Parameter
	for _, p := range parameterCatalog[v.Family].params {
		if p.AppliesTo(v) {
			out = append(out, p)
		}
	}
	return out
}

// checkParameters validates the values c.Parameters gives to modifiable
// parameters of the node's family; values of unknown, fixed or
// inapplicable parameters are ignored (the default stands), as Render
// documents.
func checkParameters(c NodeConfig) error {
	for _, p := range applicableParameters(c.Version) {
		v, ok := c.Parameters[p.Name]
		if !ok || !p.Modifiable {
			continue
		}
		if err := p.CheckValue(v); err != nil {
			return errorf("parameter %s: %v", p.Name, err)
		}
	}
	if err := CheckParameterValues(c.Version.Family, c.Parameters); err != nil {
		return errorf("%v", err)
	}
	return nil
}

// memoryParameters are the group's values of the memory-shaping
// parameters that apply (memory.go applies their own defaults, such as
// the 13 MB connection overhead of cache.t1.micro).
func memoryParameters(c NodeConfig) map[string]string {
	out := map[string]string{}
	for _, p := range applicableParameters(c.Version) {
		if v, ok := c.Parameters[p.Name]; ok && p.Modifiable && p.render.kind == renderMemory {
			out[p.Name] = v
		}
	}
	return out
}

// startupValue is the value a parameter is started with: a live-only one
// starts at its default and is set once the node runs.
func startupValue(p Parameter, group map[string]string) string {
	v := effectiveValue(p, group)
	if p.render.liveOnly {
		return p.Default
	}
	return v
}

// StartupParameters is what a node of v started with the group values
// desired actually runs with, in NormalizeParameters form: desired less
// the live-only values, which PlanParameterChange then applies.
func StartupParameters(v Version, desired map[string]string) map[string]string {
	out := NormalizeParameters(v, desired)
	for _, p := range applicableParameters(v) {
		if p.render.liveOnly {
			delete(out, p.Name)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// aofHonoured reports whether the engine version keeps appendonly and
// appendfsync: ElastiCache stopped honouring them with Redis OSS 2.8.22.
func aofHonoured(v Version) bool {
	return v.Engine == Redis && !v.AtLeast("2.8.22")
}

// outputBufferClasses are the client-output-buffer-limit classes, in the
// order redis lists them.
var outputBufferClasses = []string{"normal", "replica", "pubsub"}

// outputBufferValues is the three numbers of a class: from the parameters
// where the family has them, from the node type for the replica limits
// (a tenth of maxmemory, as ElastiCache sizes them).
func outputBufferValues(c NodeConfig, class string, value func(Parameter) string) [3]string {
	var vals [3]string
	if class == "replica" {
		limit := formatInt(replicaBufferLimit(c.NodeType))
		vals = [3]string{limit, limit, "60"}
	} else {
		vals = [3]string{"0", "0", "0"}
	}
	for _, p := range applicableParameters(c.Version) {
		if p.render.kind == renderOutputBuffer && p.render.key == class {
			vals[p.render.index] = value(p)
		}
	}
	return vals
}

// redisParameterDirectives are the redis.conf directives of the node's
// parameters, in catalog order; client-output-buffer-limit and
// rename-command lines come last.
func redisParameterDirectives(c NodeConfig) []directive {
	value := func(p Parameter) string { return startupValue(p, c.Parameters) }
	var d []directive
	var renames []directive
	for _, p := range applicableParameters(c.Version) {
		switch p.render.kind {
		case renderDirective:
			key := p.render.key
			if key == "" {
				key = p.Name
			}
			d = append(d, directive{key, []string{value(p)}})
		case renderAppendOnly:
			v := value(p)
			if p.Name == "appendonly" && !aofHonoured(c.Version) {
				v = "no"
			}
			d = append(d, directive{p.Name, []string{v}})
		case renderRenameCommands:
			f := strings.Fields(value(p))
			for i := 0; i+1 < len(f); i += 2 {
				renames = append(renames, directive{"rename-command", []string{strings.ToUpper(f[i]), f[i+1]}})
			}
		}
	}
	for _, class := range outputBufferClasses {
		v := outputBufferValues(c, class, value)
		d = append(d, directive{"client-output-buffer-limit", []string{class, v[0], v[1], v[2]}})
	}
	return append(d, renames...)
}

// memcachedParameterArgs are the memcached options of the node's
// parameters: flags in catalog order, then one -o list of extended
// options (no_modern and modern first, as they reset the others).
func memcachedParameterArgs(c NodeConfig) []string {
	var args, ext, first []string
	for _, p := range applicableParameters(c.Version) {
		v := startupValue(p, c.Parameters)
		r := p.render
		switch r.kind {
		case renderFlag:
			switch {
			case r.when != "":
				if v == r.when {
					args = append(args, r.key)
				}
			case p.Name == "max_item_size" || !p.Modifiable || v != p.Default:
				// -I, -b and -R always: they are the ones ElastiCache fixes
				// or sizes; the others only when they differ from memcached's
				// own defaults, which are ElastiCache's.
				args = append(args, r.key, v)
			}
		case renderExtended:
			var opt string
			switch {
			case r.boolean && v == "1":
				opt = r.key
			case r.boolean && r.negatable:
				opt = "no_" + r.key
			case r.boolean:
			case r.scale > 0:
				n, _ := strconv.ParseInt(v, 10, 64)
				opt = r.key + "=" + formatInt(n/r.scale)
			default:
				opt = r.key + "=" + v
			}
			if opt == "" {
				continue
			}
			if p.Name == "no_modern" || p.Name == "modern" {
				first = append(first, opt)
			} else {
				ext = append(ext, opt)
			}
		}
	}
	if all := append(first, ext...); len(all) > 0 {
		args = append(args, "-o", strings.Join(all, ","))
	}
	return args
}

// LiveChange is one CONFIG SET that applies parameters to a running
// redis/valkey node.
type LiveChange struct {
	// Parameters are the parameter names the change applies.
	Parameters []string
	// Name and Value are the CONFIG SET arguments.
	Name, Value string
}

// ParameterPlan is how a running node gets from one set of parameter
// values to another.
type ParameterPlan struct {
	// Live changes apply immediate parameters with CONFIG SET.
	Live []LiveChange
	// Reboot are the changed parameters that take effect only when the
	// node restarts: requires-reboot ones, every memcached one (memcached
	// cannot change its options while it runs), and immediate ones the
	// engine cannot change live (rename-commands).
	Reboot []string
	// Silent are changed parameters with no engine effect (ElastiCache-only
	// ones such as close-on-replica-write): recording them applies them.
	Silent []string
}

// Empty reports whether nothing changes.
func (p ParameterPlan) Empty() bool {
	return len(p.Live) == 0 && len(p.Reboot) == 0 && len(p.Silent) == 0
}

// PlanParameterChange compares the group values a running node has
// (running, as NodeConfig.Parameters takes them) with the ones it should
// have (c.Parameters), and says which changes apply live, which wait for a
// restart and which need nothing. The desired values are validated as
// Render validates them.
func PlanParameterChange(c NodeConfig, running map[string]string) (ParameterPlan, error) {
	var plan ParameterPlan
	if err := checkParameters(c); err != nil {
		return plan, err
	}
	changedBuffers := map[string][]string{}
	var memoryChanged []string
	for _, p := range applicableParameters(c.Version) {
		if effectiveValue(p, running) == effectiveValue(p, c.Parameters) {
			continue
		}
		switch {
		case p.render.kind == renderNone:
			plan.Silent = append(plan.Silent, p.Name)
		case c.Engine == Memcached, p.ChangeType == ChangeRequiresReboot, p.render.kind == renderRenameCommands:
			plan.Reboot = append(plan.Reboot, p.Name)
		case p.render.kind == renderAppendOnly && !aofHonoured(c.Version):
			plan.Silent = append(plan.Silent, p.Name)
		case p.render.kind == renderOutputBuffer:
			changedBuffers[p.render.key] = append(changedBuffers[p.render.key], p.Name)
		case p.render.kind == renderMemory:
			memoryChanged = append(memoryChanged, p.Name)
		default:
			key := p.render.key
			if key == "" {
				key = p.Name
			}
			plan.Live = append(plan.Live, LiveChange{Parameters: []string{p.Name}, Name: key, Value: effectiveValue(p, c.Parameters)})
		}
	}
	for _, class := range outputBufferClasses {
		names := changedBuffers[class]
		if len(names) == 0 {
			continue
		}
		v := outputBufferValues(c, class, func(p Parameter) string { return effectiveValue(p, c.Parameters) })
		plan.Live = append(plan.Live, LiveChange{Parameters: names, Name: "client-output-buffer-limit", Value: strings.Join([]string{class, v[0], v[1], v[2]}, " ")})
	}
	if len(memoryChanged) > 0 {
		mem, err := redisMaxMemory(c.NodeType, memoryParameters(c))
		if err != nil {
			return ParameterPlan{}, err
		}
		plan.Live = append(plan.Live, LiveChange{Parameters: memoryChanged, Name: "maxmemory", Value: formatInt(mem)})
	}
	slices.Sort(plan.Reboot)
	slices.Sort(plan.Silent)
	return plan, nil
}
