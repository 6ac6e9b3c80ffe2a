package reconcile

import (
	"time"

	"github.com/cacheplane/cacheplane/internal/model"
)

// Notifier takes the SNS-style notifications of changes the reconciler has
// committed. Publish must not block: a slow sink must never hold up a pass.
type Notifier interface {
	Publish(model.Notification)
}

// statusEvents is what a status change says, as AWS would say it: the events
// to record in the transaction that writes next over cur.Status, and the
// notifications to send once it commits. They are derived from the stored
// status before and after (level-based), never from how the pass got there:
//
//   - a node that comes into service (none, creating, or still being brought
//     up while the cluster has never been available -> available):
//     "Added cache node NNNN in availability zone Z"; on a cluster that was
//     already available also ElastiCache:AddCacheNodeComplete;
//   - a serving node that died or hung and is being replaced (available ->
//     rebooting): "Recovering cache nodes NNNN", CacheNodeReplaceStarted;
//   - the replacement answering (rebooting -> available):
//     "Finished recovery for cache nodes NNNN", CacheNodeReplaceComplete;
//     both at once when a new process took over within one pass (available,
//     another PID);
//   - the cluster's first time available: CacheClusterProvisioningComplete.
//
// A node restarted because its spec changed (the status has not yet observed
// the spec's generation) is not being recovered, and is not reported as such.
func statusEvents(cur *model.Cluster, next model.ClusterStatus, now time.Time) ([]model.Event, []model.Notification) {
	id := cur.Spec.ID
	topic := notificationTopic(cur)
	wasAvailable := cur.Status.Status != "" && cur.Status.Status != model.StatusCreating
	// Recovery is only what happens to a cluster at rest: converged on its current spec.
	atRest := wasAvailable && cur.Status.ObservedGeneration == cur.Spec.Generation
	var events []model.Event
	var notes []model.Notification
	event := func(msg string) { events = append(events, model.ClusterEvent(id, msg, now)) }
	notify := func(name string) {
		if topic != "" {
			notes = append(notes, model.Notification{TopicARN: topic, Event: name, SourceID: id, Time: now.UTC()})
		}
	}
	zones := map[string]string{}
	for _, n := range cur.Spec.Nodes {
		zones[n.ID] = n.AZ
	}
	for _, n := range next.Nodes {
		var before model.NodeStatus
		if old := cur.Status.NodeStatusByID(n.ID); old != nil {
			before = *old
		}
		switch {
		case n.Status == model.NodeAvailable && (before.Status == "" || before.Status == model.NodeCreating || !wasAvailable && before.Status != model.NodeAvailable):
			event(model.MsgAddedCacheNode(n.ID, zones[n.ID]))
			if wasAvailable {
				notify(model.NotifyAddCacheNodeComplete)
			}
		case !atRest:
			// Nothing is recovered before the cluster was ever in service, or while a change is applied.
		case n.Status == model.NodeRebooting && before.Status == model.NodeAvailable:
			event(model.MsgRecoveringCacheNodes(n.ID))
			notify(model.NotifyCacheNodeReplaceStarted)
		case n.Status == model.NodeAvailable && before.Status == model.NodeRebooting:
			event(model.MsgFinishedRecovery(n.ID))
			notify(model.NotifyCacheNodeReplaceComplete)
		case n.Status == model.NodeAvailable && before.Status == model.NodeAvailable && before.PID != 0 && n.PID != before.PID:
			event(model.MsgRecoveringCacheNodes(n.ID))
			notify(model.NotifyCacheNodeReplaceStarted)
			event(model.MsgFinishedRecovery(n.ID))
			notify(model.NotifyCacheNodeReplaceComplete)
		}
	}
	if !wasAvailable && next.Status == model.StatusAvailable {
		notify(model.NotifyCacheClusterProvisioningComplete)
	}
	return events, notes
}

// notificationTopic is the topic a cluster's notifications go to, "" for none.
// AWS sends them only while the topic's status is active, which a topic set
// here always is.
func notificationTopic(c *model.Cluster) string { return c.Spec.NotificationTopicARN }

// publish hands committed changes' notifications to the Notifier, if any.
func (r *Reconciler) publish(notes []model.Notification) {
	if r.cfg.Notifier == nil {
		return
	}
	for _, n := range notes {
		r.cfg.Notifier.Publish(n)
	}
}
