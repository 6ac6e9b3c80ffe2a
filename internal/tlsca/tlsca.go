// Package tlsca is cacheplane's private certificate authority for in-transit
// encryption: it keeps one CA in the data directory (key 0600) and issues each
// TLS node a certificate for its endpoint address. Clients trust the CA
// certificate (DATA_DIR/tls/ca.pem) or, like AWS's own examples, skip verification.
package tlsca

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Authority issues node certificates.
type Authority struct {
	cert   *x509.Certificate
	key    *ecdsa.PrivateKey
	caPEM  []byte
	pool   *x509.CertPool
	mu     sync.Mutex
	issued map[string]Issued // address -> certificate, so a node keeps its certificate within a process
}

// Issued is one node's certificate material, PEM encoded.
type Issued struct {
	CertPEM, KeyPEM, CAPEM []byte
}

// Open loads the CA from dir, creating it (dir 0700, key 0600) on first use.
func Open(dir string) (*Authority, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	certPath, keyPath := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "ca-key.pem")
	certPEM, err1 := os.ReadFile(certPath)
	keyPEM, err2 := os.ReadFile(keyPath)
	if errors.Is(err1, os.ErrNotExist) && errors.Is(err2, os.ErrNotExist) {
		certPEM, keyPEM, err1 = newCA()
		if err1 != nil {
			return nil, err1
		}
		if err := os.WriteFile(keyPath, keyPEM, 0o600); err != nil {
			return nil, err
		}
		if err := os.WriteFile(certPath, certPEM, 0o644); err != nil {
			return nil, err
		}
	} else if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("tls ca in %s: %v %v", dir, err1, err2)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("tls ca in %s: %w", dir, err)
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		return nil, err
	}
	key, ok := pair.PrivateKey.(*ecdsa.PrivateKey)
	if !ok {
		return nil, errors.New("tls ca key is not ECDSA")
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &Authority{cert: cert, key: key, caPEM: certPEM, pool: pool, issued: map[string]Issued{}}, nil
}

func newCA() ([]byte, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "cacheplane local CA", Organization: []string{"cacheplane"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().AddDate(10, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	return encode(der, key)
}

// Issue returns a certificate for a node listening on address.
func (a *Authority) Issue(address string) (Issued, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if is, ok := a.issued[address]; ok {
		return is, nil
	}
	ip := net.ParseIP(address)
	if ip == nil {
		return Issued{}, fmt.Errorf("node address %q is not an IP", address)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return Issued{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: address, Organization: []string{"cacheplane"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(2, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{ip},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, &key.PublicKey, a.key)
	if err != nil {
		return Issued{}, err
	}
	certPEM, keyPEM, err := encode(der, key)
	if err != nil {
		return Issued{}, err
	}
	is := Issued{CertPEM: certPEM, KeyPEM: keyPEM, CAPEM: a.caPEM}
	a.issued[address] = is
	return is, nil
}

// ClientConfig is a TLS client configuration that trusts this CA, for health probes.
func (a *Authority) ClientConfig(address string) *tls.Config {
	return &tls.Config{RootCAs: a.pool, ServerName: address, MinVersion: tls.VersionTLS12}
}

func encode(der []byte, key *ecdsa.PrivateKey) ([]byte, []byte, error) {
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	return n
}
