package reconcile

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"github.com/cacheplane/cacheplane/internal/driver"
	"github.com/cacheplane/cacheplane/internal/engine"
	"github.com/cacheplane/cacheplane/internal/model"
	"github.com/cacheplane/cacheplane/internal/store"
)

// Parameter groups reach the nodes here. A node is started with its group's
// values (rendered by the engine package); once it runs, each pass compares
// the values in effect in its process (NodeStatus.Parameters) with the
// group's and applies the difference as the engine allows: immediate
// parameters with CONFIG SET on redis/valkey, without a restart; the others
// wait for the process to restart (NodeStatus.PendingParameters, reported as
// pending-reboot with the node in CacheNodeIdsToReboot).

// ConfigSetFunc applies one parameter to a running redis/valkey node
// (engine.ConfigSet in production).
type ConfigSetFunc func(ctx context.Context, address string, port int, authToken string, tlsConf *tls.Config, name, value string) error

// desiredParameters are the values of the cluster's parameter group: nil for
// a default group (the family defaults), the group's own values for a custom
// one. A custom group that is gone (deleting one in use is refused) counts
// as the defaults.
func (r *Reconciler) desiredParameters(c *model.Cluster) (map[string]string, error) {
	name := c.Spec.ParameterGroupName
	if name == "" || strings.HasPrefix(name, "default.") {
		return nil, nil
	}
	var g model.ParameterGroup
	var found bool
	err := r.cfg.Store.View(func(tx *store.Tx) (err error) {
		found, err = tx.GetRecord(store.BucketParameterGroups, name, &g)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("reading parameter group %s: %w", name, err)
	}
	if !found {
		return nil, nil
	}
	return g.Parameters, nil
}

// renderParameters are the group values a node's start-up configuration is
// rendered with. That is the group's, except for a memcached process that
// is running: memcached takes its options on the command line, cannot change
// them while it runs, and the driver restarts a process whose command line
// changed, so it keeps the values it was started with until it restarts.
func (r *Reconciler) renderParameters(ctx context.Context, c *model.Cluster, n model.NodeSpec) (map[string]string, error) {
	desired, err := r.desiredParameters(c)
	if err != nil {
		return nil, err
	}
	if engine.Name(c.Spec.Engine) != engine.Memcached {
		// redis.conf is only read at start, so a running node is unaffected.
		return desired, nil
	}
	prev := c.Status.NodeStatusByID(n.ID)
	if prev == nil || prev.PID == 0 || prev.ParameterStatus == "" {
		return desired, nil
	}
	st, err := r.cfg.Driver.Inspect(ctx, model.NodeKey(c.Spec.ID, n.ID))
	if err != nil || !st.Running || st.PID != prev.PID {
		return desired, nil // it is (re)started now, with the group's values
	}
	return prev.Parameters, nil
}

// syncParameters brings the running node's parameters to its group's values
// and records the outcome in status. startedWith are the values the node was
// rendered with in this pass; they are what a process started in this pass
// runs with. A transient failure (the node did not take the connection) is
// returned, and the pass is retried.
func (r *Reconciler) syncParameters(ctx context.Context, c *model.Cluster, n model.NodeSpec, clientTLS *tls.Config, st driver.NodeState, startedWith map[string]string, prev *model.NodeStatus, status *model.NodeStatus) error {
	eng := engine.Name(c.Spec.Engine)
	version, ok := engine.LookupVersion(eng, c.Spec.EngineVersion)
	if !ok {
		return nil // nodeSpec has already refused it
	}
	nodeType, _ := engine.LookupNodeType(c.Spec.CacheNodeType)
	desired, err := r.desiredParameters(c)
	if err != nil {
		return err
	}
	// A process this control plane has not seen before runs with what it was
	// started with; one it knows with what was recorded for it.
	known := prev != nil && prev.PID == st.PID && prev.ParameterStatus != ""
	running := engine.StartupParameters(version, startedWith)
	var refused map[string]string
	if known {
		running, refused = maps.Clone(prev.Parameters), prev.PendingParameters
	}
	if running == nil {
		running = map[string]string{}
	}
	cfg := engine.NodeConfig{Engine: eng, Version: version, NodeType: nodeType, Parameters: desired}
	plan, err := engine.PlanParameterChange(cfg, running)
	if err != nil {
		// The group's values cannot be applied to this node (a reserved
		// memory that leaves this node type nothing, for instance).
		status.ParameterStatus, status.Parameters, status.PendingParameters = model.ParametersApplying, nilIfEmpty(running), nil
		return fmt.Errorf("parameter group %s: %w", c.Spec.ParameterGroupName, err)
	}
	want := engine.NormalizeParameters(version, desired)
	values := engine.EffectiveParameters(version, desired)
	apply := func(names []string) {
		for _, p := range names {
			if v, ok := want[p]; ok {
				running[p] = v
			} else {
				delete(running, p)
			}
		}
	}
	pending := map[string]string{}
	wait := func(names []string) {
		for _, p := range names {
			pending[p] = values[p]
		}
	}
	key := model.NodeKey(c.Spec.ID, n.ID)
	apply(plan.Silent)
	wait(plan.Reboot)
	var transient error
	var applied []string
	for _, change := range plan.Live {
		// A value the engine refused is not tried again until it changes.
		again := slices.ContainsFunc(change.Parameters, func(p string) bool {
			v, ok := refused[p]
			return !ok || v != values[p]
		})
		if !again {
			wait(change.Parameters)
			continue
		}
		err := r.cfg.ConfigSet(ctx, n.Address, n.Port, c.Spec.AuthToken, clientTLS, change.Name, change.Value)
		var refusal *engine.ServerError
		switch {
		case err == nil:
			apply(change.Parameters)
			applied = append(applied, change.Parameters...)
		case errors.As(err, &refusal) && !engine.IsAuthError(err):
			wait(change.Parameters)
			r.log.Warn("the engine refused a parameter; it waits for the node to restart",
				"node", key, "parameters", strings.Join(change.Parameters, ","), "config", change.Name, "value", change.Value, "reply", refusal.Message)
		default:
			transient = errors.Join(transient, fmt.Errorf("applying %s: %w", strings.Join(change.Parameters, ","), err))
		}
	}
	if len(applied) > 0 {
		r.log.Info("parameters applied", "node", key, "parameters", strings.Join(applied, ","), "group", c.Spec.ParameterGroupName)
	}
	status.Parameters, status.PendingParameters = nilIfEmpty(running), nilIfEmpty(pending)
	switch {
	case transient != nil:
		status.ParameterStatus = model.ParametersApplying
	case len(pending) > 0:
		status.ParameterStatus = model.ParametersPendingReboot
	default:
		status.ParameterStatus = model.ParametersInSync
	}
	return transient
}

func nilIfEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

// nodeStatusEqual compares two observed node statuses, maps by content.
func nodeStatusEqual(a, b model.NodeStatus) bool { return reflect.DeepEqual(a, b) }
