package fake

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/cacheplane/cacheplane/internal/driver"
)

func spec(id string, args ...string) driver.NodeSpec {
	return driver.NodeSpec{ID: id, Binary: "/usr/bin/redis-server", Args: args, Dir: "/var/lib/cp/" + id}
}

func TestLifecycle(t *testing.T) {
	ctx := context.Background()
	d := New()
	s := spec("r/1", "--port", "7000")

	if _, err := d.Inspect(ctx, s.ID); !errors.Is(err, driver.ErrNotFound) {
		t.Fatalf("Inspect unknown = %v", err)
	}
	a, err := d.Ensure(ctx, s)
	if err != nil || !a.Running || a.PID == 0 || a.Adopted {
		t.Fatalf("Ensure = %+v, %v", a, err)
	}
	b, _ := d.Ensure(ctx, s)
	if b.PID != a.PID || d.Starts(s.ID) != 1 {
		t.Fatalf("second Ensure restarted: %+v", b)
	}
	s2 := spec("r/1", "--port", "7001")
	c, _ := d.Ensure(ctx, s2)
	if c.PID == a.PID || d.Starts(s.ID) != 2 {
		t.Fatalf("changed args did not restart: %+v", c)
	}
	if got, _ := d.Spec(s.ID); got.Args[1] != "7001" {
		t.Fatalf("Spec = %+v", got)
	}

	if !d.Kill(s.ID) {
		t.Fatal("Kill of running node returned false")
	}
	select {
	case id := <-d.Exited():
		if id != s.ID {
			t.Fatalf("Exited = %q", id)
		}
	case <-time.After(time.Second):
		t.Fatal("no Exited notification")
	}
	if d.Kill(s.ID) {
		t.Fatal("Kill of dead node returned true")
	}
	st, _ := d.Inspect(ctx, s.ID)
	if st.Running || st.ExitReason != ReasonKilled {
		t.Fatalf("after Kill: %+v", st)
	}
	e, _ := d.Ensure(ctx, s2)
	if !e.Running || e.PID == c.PID {
		t.Fatalf("Ensure after Kill = %+v", e)
	}

	if err := d.Stop(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	if err := d.Stop(ctx, s.ID); err != nil {
		t.Fatal(err)
	}
	if err := d.Stop(ctx, "unknown"); err != nil {
		t.Fatal(err)
	}
	st, _ = d.Inspect(ctx, s.ID)
	if st.Running {
		t.Fatalf("after Stop: %+v", st)
	}
	select {
	case id := <-d.Exited():
		t.Fatalf("Stop reported exit of %s", id)
	default:
	}
	if err := d.Remove(ctx, s); err != nil {
		t.Fatal(err)
	}
	if err := d.Remove(ctx, s); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Inspect(ctx, s.ID); !errors.Is(err, driver.ErrNotFound) {
		t.Fatalf("Inspect after Remove = %v", err)
	}

	if n := d.CallCount(OpEnsure, s.ID); n != 4 {
		t.Errorf("Ensure calls = %d", n)
	}
	if n := d.CallCount(OpStop, ""); n != 3 {
		t.Errorf("Stop calls = %d", n)
	}
	if calls := d.Calls(); calls[0].Op != OpInspect || calls[len(calls)-1].Op != OpInspect {
		t.Errorf("calls = %+v", calls)
	}
	d.ResetCalls()
	if len(d.Calls()) != 0 {
		t.Error("ResetCalls")
	}
}

func TestErrorInjection(t *testing.T) {
	ctx := context.Background()
	d := New()
	boom := errors.New("boom")
	d.FailEnsure("r/1", boom)
	d.FailEnsure("", boom)
	if _, err := d.Ensure(ctx, spec("r/1")); !errors.Is(err, boom) {
		t.Fatalf("first = %v", err)
	}
	if _, err := d.Ensure(ctx, spec("r/2")); !errors.Is(err, boom) {
		t.Fatalf("any-ID error = %v", err)
	}
	if _, err := d.Ensure(ctx, spec("r/1")); err != nil {
		t.Fatalf("queue not drained: %v", err)
	}
	d.SetEnsureHook(func(s driver.NodeSpec) error {
		if s.ID == "r/3" {
			return boom
		}
		return nil
	})
	if _, err := d.Ensure(ctx, spec("r/3")); !errors.Is(err, boom) {
		t.Fatalf("hook = %v", err)
	}
	if _, err := d.Ensure(ctx, spec("r/4")); err != nil {
		t.Fatal(err)
	}
	if calls := d.Calls(); !errors.Is(calls[0].Err, boom) {
		t.Errorf("recorded error = %v", calls[0].Err)
	}
	if _, err := d.Ensure(ctx, driver.NodeSpec{ID: "bad"}); err == nil {
		t.Fatal("invalid spec accepted")
	}
	if got := d.Running(); len(got) != 2 || got[0] != "r/1" || got[1] != "r/4" {
		t.Fatalf("Running = %v", got)
	}
}

func TestPreloadAdopted(t *testing.T) {
	ctx := context.Background()
	d := New()
	s := spec("r/1", "--port", "7000")
	pre := d.Preload(s)
	st, err := d.Ensure(ctx, s)
	if err != nil || !st.Adopted || st.PID != pre.PID || d.Starts(s.ID) != 0 {
		t.Fatalf("Ensure after Preload = %+v, %v", st, err)
	}
}

func TestExitedNeverBlocks(t *testing.T) {
	d := New()
	for i := range 1100 {
		s := spec("n/" + string(rune('a'+i%26)) + string(rune('a'+i/26)))
		if _, err := d.Ensure(context.Background(), s); err != nil {
			t.Fatal(err)
		}
		d.Kill(s.ID) // must not block when the buffer is full
	}
	if len(d.Exited()) != cap(d.Exited()) {
		t.Fatalf("buffer %d/%d", len(d.Exited()), cap(d.Exited()))
	}
}

var _ driver.Driver = New()
