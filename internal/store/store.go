// Package store is cacheplane's embedded, crash-safe state: a bbolt database in
// the data directory. Every change is one transaction (fsynced by bbolt before
// Update returns), so after a crash the state is that of the last committed
// change, never a half-written one. Records are the domain types of
// internal/model encoded as JSON; wire types are never stored.
package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/cacheplane/cacheplane/internal/model"
)

var (
	bucketClusters  = []byte("clusters")
	bucketAddresses = []byte("addresses")
	bucketMeta      = []byte("meta")
)

// ErrConflict is returned by a transaction function to abort without being a failure of the store.
var ErrConflict = errors.New("store: conflict")

// Store is the embedded database.
type Store struct{ db *bolt.DB }

// Open opens (creating if needed) the database file under dir, which is created 0700.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "cacheplane.db")
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("store %s is locked by another cacheplane process", path)
		}
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketClusters, bucketAddresses, bucketMeta} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return &Store{db: db}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Update runs fn in a read-write transaction; fn's error rolls everything back.
func (s *Store) Update(fn func(*Tx) error) error {
	return s.db.Update(func(tx *bolt.Tx) error { return fn(&Tx{tx: tx}) })
}

// View runs fn in a read-only transaction that sees one consistent snapshot.
func (s *Store) View(fn func(*Tx) error) error {
	return s.db.View(func(tx *bolt.Tx) error { return fn(&Tx{tx: tx}) })
}

// Tx is a transaction over cacheplane's records.
type Tx struct{ tx *bolt.Tx }

// Cluster returns the cluster with that (lowercase) id, or nil.
func (t *Tx) Cluster(id string) (*model.Cluster, error) {
	v := t.tx.Bucket(bucketClusters).Get([]byte(id))
	if v == nil {
		return nil, nil
	}
	var c model.Cluster
	if err := json.Unmarshal(v, &c); err != nil {
		return nil, fmt.Errorf("decode cluster %q: %w", id, err)
	}
	return &c, nil
}

// PutCluster writes the cluster record and claims its node addresses.
func (t *Tx) PutCluster(c *model.Cluster) error {
	v, err := json.Marshal(c)
	if err != nil {
		return err
	}
	clusters := t.tx.Bucket(bucketClusters)
	if clusters.Get([]byte(c.Spec.ID)) == nil {
		if err := t.addCount(countClusters, 1); err != nil {
			return err
		}
	}
	if err := clusters.Put([]byte(c.Spec.ID), v); err != nil {
		return err
	}
	addrs := t.tx.Bucket(bucketAddresses)
	for _, n := range c.Spec.Nodes {
		key := []byte(AddressKey(n.Address, n.Port))
		if addrs.Get(key) == nil {
			if err := t.addCount(countNodes, 1); err != nil {
				return err
			}
		}
		if err := addrs.Put(key, []byte(model.NodeKey(c.Spec.ID, n.ID))); err != nil {
			return err
		}
	}
	if e := c.Spec.ConfigEndpoint; e != nil {
		// Claimed like a node's address, but not counted as a node.
		if err := addrs.Put([]byte(AddressKey(e.Address, e.Port)), []byte(model.NodeKey(c.Spec.ID, "cfg"))); err != nil {
			return err
		}
	}
	return nil
}

// Counters kept in the meta bucket, so that quota checks cost O(1) however
// many clusters exist (bbolt's own key count walks the whole bucket).
const (
	countClusters = "count/clusters"
	countNodes    = "count/nodes"
)

func (t *Tx) count(name string) int {
	v := t.tx.Bucket(bucketMeta).Get([]byte(name))
	if v == nil {
		// Not yet counted (a database from before the counters): count once.
		switch name {
		case countClusters:
			return t.tx.Bucket(bucketClusters).Stats().KeyN
		case countNodes:
			return t.tx.Bucket(bucketAddresses).Stats().KeyN
		}
		return 0
	}
	n, _ := strconv.Atoi(string(v))
	return n
}

func (t *Tx) addCount(name string, delta int) error {
	return t.tx.Bucket(bucketMeta).Put([]byte(name), []byte(strconv.Itoa(t.count(name)+delta)))
}

// ClusterCount is the number of clusters in the store.
func (t *Tx) ClusterCount() int { return t.count(countClusters) }

// DeleteCluster removes the cluster record and its tags, and frees its node addresses.
func (t *Tx) DeleteCluster(id string) error {
	c, err := t.Cluster(id)
	if err != nil || c == nil {
		return err
	}
	addrs := t.tx.Bucket(bucketAddresses)
	for _, n := range c.Spec.Nodes {
		key := []byte(AddressKey(n.Address, n.Port))
		if addrs.Get(key) == nil {
			continue
		}
		if err := addrs.Delete(key); err != nil {
			return err
		}
		if err := t.addCount(countNodes, -1); err != nil {
			return err
		}
	}
	if e := c.Spec.ConfigEndpoint; e != nil {
		if err := addrs.Delete([]byte(AddressKey(e.Address, e.Port))); err != nil {
			return err
		}
	}
	if err := t.SetTags(c.Spec.ARN, nil); err != nil {
		return err
	}
	if err := t.addCount(countClusters, -1); err != nil {
		return err
	}
	return t.tx.Bucket(bucketClusters).Delete([]byte(id))
}

// Clusters calls fn for every cluster in id order, starting after the id `after`
// ("" = from the start), until fn returns false.
func (t *Tx) Clusters(after string, fn func(*model.Cluster) bool) error {
	cur := t.tx.Bucket(bucketClusters).Cursor()
	var k, v []byte
	if after == "" {
		k, v = cur.First()
	} else {
		k, v = cur.Seek([]byte(after))
		if k != nil && string(k) == after {
			k, v = cur.Next()
		}
	}
	for ; k != nil; k, v = cur.Next() {
		var c model.Cluster
		if err := json.Unmarshal(v, &c); err != nil {
			return fmt.Errorf("decode cluster %q: %w", k, err)
		}
		if !fn(&c) {
			return nil
		}
	}
	return nil
}

// ClusterIDs returns every cluster id, in order.
func (t *Tx) ClusterIDs() []string {
	var ids []string
	_ = t.tx.Bucket(bucketClusters).ForEach(func(k, _ []byte) error {
		ids = append(ids, string(k))
		return nil
	})
	return ids
}

// AddressInUse reports whether a node already claims address:port.
func (t *Tx) AddressInUse(address string, port int) bool {
	return t.tx.Bucket(bucketAddresses).Get([]byte(AddressKey(address, port))) != nil
}

// AddressesInUse counts claimed node addresses (= nodes in the store).
func (t *Tx) AddressesInUse() int { return t.count(countNodes) }

// Meta returns a small persistent setting, "" if unset.
func (t *Tx) Meta(key string) string { return string(t.tx.Bucket(bucketMeta).Get([]byte(key))) }

// SetMeta stores a small persistent setting.
func (t *Tx) SetMeta(key, value string) error {
	return t.tx.Bucket(bucketMeta).Put([]byte(key), []byte(value))
}

// AddressKey is the key under which a node's address is claimed.
func AddressKey(address string, port int) string { return fmt.Sprintf("%s|%d", address, port) }
