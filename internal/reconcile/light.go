package reconcile

import (
	"context"
	"crypto/tls"
	"sync"

	"github.com/cacheplane/cacheplane/internal/engine"
	"github.com/cacheplane/cacheplane/internal/model"
)

// fullPasses records the clusters whose next pass must be a full one. A
// periodic resync of a converged cluster only checks that each node's process
// runs and answers its probe; rendering configs, re-reading parameter groups
// and comparing parameters happen only after something changed. This keeps
// the idle cost of a thousand nodes to a probe each per resync.
type fullPasses struct {
	mu  sync.Mutex
	ids map[string]bool
}

func (r *Reconciler) markFull(id string) {
	r.full.mu.Lock()
	defer r.full.mu.Unlock()
	if r.full.ids == nil {
		r.full.ids = map[string]bool{}
	}
	r.full.ids[id] = true
}

// takeFull reports whether a full pass was asked for, and clears the request.
func (r *Reconciler) takeFull(id string) bool {
	r.full.mu.Lock()
	defer r.full.mu.Unlock()
	if r.full.ids[id] {
		delete(r.full.ids, id)
		return true
	}
	return false
}

// healthy is the light pass: the cluster is converged (available, its spec
// observed, every node available) and every node's process runs and answers
// its health probe now. Anything else makes the caller do a full pass.
func (r *Reconciler) healthy(ctx context.Context, c *model.Cluster) bool {
	st := c.Status
	if c.Spec.Deleted || st.Status != model.StatusAvailable || st.ObservedGeneration != c.Spec.Generation || st.Message != "" || len(st.Nodes) != len(c.Spec.Nodes) {
		return false
	}
	for _, n := range c.Spec.Nodes {
		ns := st.NodeStatusByID(n.ID)
		if ns == nil || ns.Status != model.NodeAvailable {
			return false
		}
		ds, err := r.cfg.Driver.Inspect(ctx, model.NodeKey(c.Spec.ID, n.ID))
		if err != nil || !ds.Running || ds.PID != ns.PID {
			return false
		}
		var clientTLS *tls.Config
		if c.Spec.TransitEncryptionEnabled {
			if r.cfg.TLS == nil {
				return false
			}
			_, _, client, err := r.cfg.TLS(n, r.nodeDir(c.Spec.ID, n.ID))
			if err != nil {
				return false
			}
			clientTLS = client
		}
		pctx, cancel := context.WithTimeout(ctx, r.cfg.ProbeTimeout)
		_, err = r.cfg.Probe(pctx, engineName(c), n.Address, n.Port, c.Spec.AuthToken, clientTLS)
		cancel()
		if err != nil {
			return false
		}
	}
	return true
}

func engineName(c *model.Cluster) engine.Name { return engine.Name(c.Spec.Engine) }
