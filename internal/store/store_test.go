package store

import (
	"fmt"
	"testing"

	"github.com/cacheplane/cacheplane/internal/model"
)

func cluster(id string, nodes int) *model.Cluster {
	c := &model.Cluster{Spec: model.ClusterSpec{ID: id, Engine: "redis"}}
	for i := 0; i < nodes; i++ {
		c.Spec.Nodes = append(c.Spec.Nodes, model.NodeSpec{ID: model.NodeID(i + 1), Address: fmt.Sprintf("127.0.%d.%d", len(id), i+1), Port: 6379})
	}
	return c
}

func TestPutGetDeleteAndAddresses(t *testing.T) {
	st, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.Update(func(tx *Tx) error { return tx.PutCluster(cluster("abc", 2)) }); err != nil {
		t.Fatal(err)
	}
	_ = st.View(func(tx *Tx) error {
		c, err := tx.Cluster("abc")
		if err != nil || c == nil || len(c.Spec.Nodes) != 2 {
			t.Fatalf("get: %v %+v", err, c)
		}
		if !tx.AddressInUse("127.0.3.1", 6379) || tx.AddressesInUse() != 2 {
			t.Fatal("node addresses are not claimed")
		}
		return nil
	})
	if err := st.Update(func(tx *Tx) error { return tx.DeleteCluster("abc") }); err != nil {
		t.Fatal(err)
	}
	_ = st.View(func(tx *Tx) error {
		if c, _ := tx.Cluster("abc"); c != nil {
			t.Fatal("cluster survived delete")
		}
		if tx.AddressInUse("127.0.3.1", 6379) || tx.AddressesInUse() != 0 {
			t.Fatal("addresses not freed")
		}
		return nil
	})
}

func TestFailedTransactionChangesNothing(t *testing.T) {
	st, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	err = st.Update(func(tx *Tx) error {
		if err := tx.PutCluster(cluster("x", 1)); err != nil {
			return err
		}
		return ErrConflict
	})
	if err != ErrConflict {
		t.Fatalf("err = %v", err)
	}
	_ = st.View(func(tx *Tx) error {
		if len(tx.ClusterIDs()) != 0 || tx.AddressesInUse() != 0 {
			t.Fatal("a rolled-back transaction left state behind")
		}
		return nil
	})
}

func TestPagingInIDOrderAndReopen(t *testing.T) {
	dir := t.TempDir()
	st, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	_ = st.Update(func(tx *Tx) error {
		for i := 25; i >= 1; i-- {
			if err := tx.PutCluster(cluster(fmt.Sprintf("c%02d", i), 0)); err != nil {
				return err
			}
		}
		return nil
	})
	st.Close()
	st, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var got []string
	after := ""
	for {
		var page []string
		_ = st.View(func(tx *Tx) error {
			return tx.Clusters(after, func(c *model.Cluster) bool {
				page = append(page, c.Spec.ID)
				return len(page) < 10
			})
		})
		got = append(got, page...)
		if len(page) < 10 {
			break
		}
		after = page[len(page)-1]
	}
	if len(got) != 25 || got[0] != "c01" || got[24] != "c25" {
		t.Fatalf("paging after reopen gave %v", got)
	}
}

func TestSecondOpenIsRefusedWhileLocked(t *testing.T) {
	dir := t.TempDir()
	st, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := Open(dir); err == nil {
		t.Fatal("a second cacheplane on the same data dir must be refused")
	}
}

func TestGenericRecords(t *testing.T) {
	st, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	type rec struct{ Name string }
	_ = st.View(func(tx *Tx) error {
		var r rec
		if found, err := tx.GetRecord("things", "a", &r); found || err != nil {
			t.Fatal("a bucket that was never written must read as empty")
		}
		return nil
	})
	_ = st.Update(func(tx *Tx) error {
		for _, n := range []string{"c", "a", "b"} {
			if err := tx.PutRecord("things", n, rec{Name: n}); err != nil {
				return err
			}
		}
		return tx.DeleteRecord("things", "c")
	})
	_ = st.View(func(tx *Tx) error {
		var keys []string
		_ = tx.Records("things", "", func(k string, raw []byte) (bool, error) { keys = append(keys, k); return true, nil })
		var r rec
		found, _ := tx.GetRecord("things", "b", &r)
		if fmt.Sprint(keys) != "[a b]" || !found || r.Name != "b" || tx.CountRecords("things") != 2 {
			t.Fatalf("keys %v found %v rec %+v", keys, found, r)
		}
		return nil
	})
}

func TestCountersFollowPutsAndDeletes(t *testing.T) {
	st, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	_ = st.Update(func(tx *Tx) error {
		_ = tx.PutCluster(cluster("aa", 2))
		_ = tx.PutCluster(cluster("aa", 2)) // rewrite: no double count
		_ = tx.PutCluster(cluster("bbb", 3))
		return nil
	})
	check := func(clusters, nodes int) {
		t.Helper()
		_ = st.View(func(tx *Tx) error {
			if tx.ClusterCount() != clusters || tx.AddressesInUse() != nodes {
				t.Fatalf("counts %d/%d, want %d/%d", tx.ClusterCount(), tx.AddressesInUse(), clusters, nodes)
			}
			return nil
		})
	}
	check(2, 5)
	_ = st.Update(func(tx *Tx) error { return tx.DeleteCluster("aa") })
	check(1, 3)
	_ = st.Update(func(tx *Tx) error { return tx.DeleteCluster("missing") })
	check(1, 3)
}
