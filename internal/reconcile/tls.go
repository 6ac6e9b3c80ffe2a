package reconcile

import (
	"crypto/tls"
	"path/filepath"

	"github.com/cacheplane/cacheplane/internal/driver"
	"github.com/cacheplane/cacheplane/internal/engine"
	"github.com/cacheplane/cacheplane/internal/model"
	"github.com/cacheplane/cacheplane/internal/tlsca"
)

// TLSFromAuthority gives each TLS node a certificate for its address, issued by ca.
func TLSFromAuthority(ca *tlsca.Authority) TLSProvider {
	return func(n model.NodeSpec, dir string) ([]driver.File, *engine.TLSFiles, *tls.Config, error) {
		is, err := ca.Issue(n.Address)
		if err != nil {
			return nil, nil, nil, err
		}
		files := []driver.File{
			{Name: "tls/server.crt", Content: is.CertPEM, Mode: 0o600},
			{Name: "tls/server.key", Content: is.KeyPEM, Mode: 0o600},
			{Name: "tls/ca.crt", Content: is.CAPEM, Mode: 0o600},
		}
		paths := &engine.TLSFiles{
			CertFile: filepath.Join(dir, "tls/server.crt"),
			KeyFile:  filepath.Join(dir, "tls/server.key"),
			CAFile:   filepath.Join(dir, "tls/ca.crt"),
		}
		return files, paths, ca.ClientConfig(n.Address), nil
	}
}

// ConfigTLSFromAuthority issues configuration endpoints their server certificates from ca.
func ConfigTLSFromAuthority(ca *tlsca.Authority) ServerTLSFor {
	return func(address string) (*tls.Config, error) {
		is, err := ca.Issue(address)
		if err != nil {
			return nil, err
		}
		pair, err := tls.X509KeyPair(is.CertPEM, is.KeyPEM)
		if err != nil {
			return nil, err
		}
		return &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}, nil
	}
}
