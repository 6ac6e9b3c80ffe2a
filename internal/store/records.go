package store

import (
	"encoding/json"
	"fmt"
)

// Generic records: each resource family keeps its own bucket of JSON-encoded
// domain records, keyed by the resource's (lowercase) name. Buckets are made on
// first write; reading a bucket that does not exist yet finds nothing.

// GetRecord decodes the record under key into v; found=false if there is none.
func (t *Tx) GetRecord(bucket, key string, v any) (found bool, err error) {
	b := t.tx.Bucket([]byte(bucket))
	if b == nil {
		return false, nil
	}
	raw := b.Get([]byte(key))
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("decode %s/%s: %w", bucket, key, err)
	}
	return true, nil
}

// PutRecord writes v under key.
func (t *Tx) PutRecord(bucket, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b, err := t.tx.CreateBucketIfNotExists([]byte(bucket))
	if err != nil {
		return err
	}
	return b.Put([]byte(key), raw)
}

// DeleteRecord removes the record under key (no error if absent).
func (t *Tx) DeleteRecord(bucket, key string) error {
	b := t.tx.Bucket([]byte(bucket))
	if b == nil {
		return nil
	}
	return b.Delete([]byte(key))
}

// Records calls fn with each record's key and raw JSON in key order, starting
// after the key `after` ("" = from the start), until fn returns false or an error.
func (t *Tx) Records(bucket, after string, fn func(key string, raw []byte) (bool, error)) error {
	b := t.tx.Bucket([]byte(bucket))
	if b == nil {
		return nil
	}
	cur := b.Cursor()
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
		more, err := fn(string(k), v)
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// CountRecords is the number of records in bucket.
func (t *Tx) CountRecords(bucket string) int {
	b := t.tx.Bucket([]byte(bucket))
	if b == nil {
		return 0
	}
	return b.Stats().KeyN
}
