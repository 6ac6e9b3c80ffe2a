package reliability

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
)

// faultNode is one node under test.
type faultNode struct {
	cluster, node, engine string
	ep                    netip.AddrPort
}

func (n faultNode) String() string { return n.cluster + "/" + n.node + " (" + n.engine + ")" }

// nodePID finds the one live engine process of a node at its endpoint.
func nodePID(t *testing.T, e *testEnv, n faultNode) int {
	t.Helper()
	var pid int
	ok, _ := waitFor(5*time.Second, func() (bool, string) {
		pid = pidListeningOn(e.dataDir, n.ep)
		return pid != 0 && probeNode(n.engine, n.ep) == nil, ""
	})
	if !ok {
		t.Fatalf("no process answers for %v at %s", n, n.ep)
	}
	return pid
}

// waitReplaced waits until a process other than old answers at the node's
// endpoint, and returns it and how long that took.
func waitReplaced(t *testing.T, e *testEnv, n faultNode, old int, since time.Time, limit time.Duration) (int, time.Duration) {
	t.Helper()
	var pid int
	var took time.Duration
	ok, _ := waitFor(limit+5*time.Second, func() (bool, string) {
		// The cheap probe first: /proc is scanned only once something answers.
		if probeNode(n.engine, n.ep) != nil {
			return false, ""
		}
		took = time.Since(since)
		pid = pidListeningOn(e.dataDir, n.ep)
		return pid != 0 && pid != old, ""
	})
	if !ok {
		t.Fatalf("%v was not replaced within %s (process at %s now: %d)", n, limit+5*time.Second, n.ep, pidListeningOn(e.dataDir, n.ep))
	}
	if took > limit {
		t.Errorf("%v replaced after %s, want within %s", n, took.Round(time.Millisecond), limit)
	}
	if alive(old) {
		t.Errorf("%v: old process %d is still alive next to its replacement %d", n, old, pid)
	}
	return pid, took
}

// stopProcess SIGSTOPs pid and makes sure it is continued or gone when the test ends.
func stopProcess(t *testing.T, pid int) {
	t.Helper()
	start := procStartTime(pid)
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if start != "" && procStartTime(pid) == start { // still that process, not a reused PID
			_ = syscall.Kill(pid, syscall.SIGCONT)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})
}

// procStartTime is field 22 of /proc/PID/stat (0 if pid is gone).
func procStartTime(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return ""
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return ""
	}
	return f[22-3]
}

func TestNodeFaults(t *testing.T) {
	e := newEnv(t, 2)
	const resync = time.Second
	srv := e.startServer([]string{"--resync-interval", resync.String()})
	c := srv.client()
	ctx := context.Background()
	for _, cl := range []struct {
		id, engine string
		nodes      int
	}{{"fault-redis", "redis", 1}, {"fault-mem", "memcached", 2}} {
		if err := createCluster(ctx, c, cl.id, cl.engine, cl.nodes); err != nil {
			t.Fatal(err)
		}
	}
	var nodes []faultNode
	for _, id := range []string{"fault-redis", "fault-mem"} {
		cc := waitAvailable(t, c, id, 15*time.Second)
		for node, ep := range nodeEndpoints(cc) {
			nodes = append(nodes, faultNode{cluster: id, node: node, engine: aws.ToString(cc.Engine), ep: ep})
		}
	}
	rounds := 1
	if long {
		rounds = 3
	}

	killAll := func(t *testing.T, what string) {
		for range rounds {
			for _, n := range nodes {
				old := nodePID(t, e, n)
				at := time.Now()
				if err := syscall.Kill(old, syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				_, took := waitReplaced(t, e, n, old, at, time.Second)
				t.Logf("kill -9 of %s node %v (pid %d): replaced in %s", what, n, old, took.Round(time.Millisecond))
			}
		}
	}
	t.Run("kill9-started-node", func(t *testing.T) { killAll(t, "started") })

	t.Run("sigstop", func(t *testing.T) {
		// The probe runs on every resync; a node that does not answer within
		// the probe timeout (2s) is stopped and started again.
		limit := resync + 2*time.Second + 5*time.Second
		for range rounds {
			for _, n := range []faultNode{nodes[0], nodes[len(nodes)-1]} {
				old := nodePID(t, e, n)
				at := time.Now()
				stopProcess(t, old)
				_, took := waitReplaced(t, e, n, old, at, limit)
				t.Logf("SIGSTOP of node %v (pid %d): restarted in %s", n, old, took.Round(time.Millisecond))
			}
		}
		for _, id := range []string{"fault-redis", "fault-mem"} {
			waitAvailable(t, c, id, 5*time.Second)
		}
	})

	// After a crash of the server the nodes are no children of the new one:
	// their exits are seen through pidfds.
	srv.kill()
	srv = e.startServer([]string{"--resync-interval", resync.String()})
	c = srv.client()
	for _, id := range []string{"fault-redis", "fault-mem"} {
		waitAvailable(t, c, id, 5*time.Second)
	}
	t.Run("kill9-adopted-node", func(t *testing.T) { killAll(t, "adopted") })

	// A server killed between starting a node and recording it leaves the
	// process running without node.json; the next server must not start a
	// second process next to it (which cannot bind, while probes reach the
	// first) and must not leave it running.
	t.Run("unrecorded-node", func(t *testing.T) {
		n := nodes[0]
		old := nodePID(t, e, n)
		srv.kill()
		if err := os.Remove(filepath.Join(e.nodeDir(n.cluster, n.node), "node.json")); err != nil {
			t.Fatal(err)
		}
		srv = e.startServer([]string{"--resync-interval", resync.String()})
		c = srv.client()
		pid, took := waitReplaced(t, e, n, old, srv.readyAt, 5*time.Second)
		t.Logf("unrecorded process %d of %v replaced by %d %s after the restart", old, n, pid, took.Round(time.Millisecond))
		waitAvailable(t, c, n.cluster, 5*time.Second)
		time.Sleep(2 * resync)
		if now := pidListeningOn(e.dataDir, n.ep); now != pid {
			t.Errorf("%v: process at %s changed from %d to %d: the node is being restarted over and over", n, n.ep, pid, now)
		}
		prefix := "[server " + strconv.Itoa(srv.n) + " "
		exits := 0
		for _, l := range e.log.grep("node exited unexpectedly\" id=" + n.cluster + "/") {
			if strings.HasPrefix(l, prefix) {
				exits++
			}
		}
		if exits > 0 {
			t.Errorf("%v exited %d times after the restart: the replacement could not start next to the unrecorded process", n, exits)
		}
	})

	for _, id := range []string{"fault-redis", "fault-mem"} {
		if _, err := c.DeleteCacheCluster(ctx, &elasticache.DeleteCacheClusterInput{CacheClusterId: aws.String(id)}); err != nil {
			t.Fatalf("delete %s: %v", id, err)
		}
	}
	for _, id := range []string{"fault-redis", "fault-mem"} {
		waitGone(t, c, id, 15*time.Second)
	}
	if ps := engineProcsUnder(e.dataDir); len(ps) > 0 {
		t.Errorf("engine processes left after deleting every cluster: %v", ps)
	}
	srv.stop(t)
}
