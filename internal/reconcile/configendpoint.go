package reconcile

import (
	"crypto/tls"

	"github.com/cacheplane/cacheplane/internal/autodiscovery"
	"github.com/cacheplane/cacheplane/internal/model"
)

// ConfigEndpoints serves memcached configuration endpoints (Auto Discovery).
type ConfigEndpoints interface {
	Ensure(c autodiscovery.Cluster) error
	Remove(clusterID string)
}

// syncConfigEndpoint points a memcached cluster's configuration endpoint at
// the nodes that answer their probe (a node being created is not listed, as on AWS).
func (r *Reconciler) syncConfigEndpoint(c *model.Cluster, results []nodeResult) {
	e := c.Spec.ConfigEndpoint
	if e == nil || r.cfg.ConfigEndpoints == nil {
		return
	}
	view := autodiscovery.Cluster{ID: c.Spec.ID, Address: e.Address, Port: e.Port, Version: c.Spec.ConfigVersion}
	for i, res := range results {
		if res.ready {
			n := c.Spec.Nodes[i]
			view.Nodes = append(view.Nodes, autodiscovery.Node{Host: n.Address, IP: n.Address, Port: n.Port})
		}
	}
	if c.Spec.TransitEncryptionEnabled {
		if r.cfg.ConfigTLS == nil {
			r.log.Warn("no certificate for the configuration endpoint of a TLS cluster", "cluster", c.Spec.ID)
			return
		}
		conf, err := r.cfg.ConfigTLS(e.Address)
		if err != nil {
			r.log.Warn("configuration endpoint certificate", "cluster", c.Spec.ID, "err", err)
			return
		}
		view.TLS = conf
	}
	if err := r.cfg.ConfigEndpoints.Ensure(view); err != nil {
		r.log.Warn("configuration endpoint", "cluster", c.Spec.ID, "err", err)
	}
}

// ServerTLSFor returns a TLS server configuration for an address, for configuration endpoints.
type ServerTLSFor func(address string) (*tls.Config, error)
