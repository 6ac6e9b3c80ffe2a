// Package reliability holds black-box reliability tests of the built
// cacheplane binary. TestMain builds ./cmd/cacheplane into a temporary
// directory (with -race when the tests run with -race); every test starts
// that binary as a subprocess on its own data directory, its own loopback
// node range (127.81.N.1-127.81.N.254) and an API port picked by the kernel
// (--listen 127.0.0.1:0, read back from the "cacheplane ready" log line), and
// talks to it with the AWS SDK for Go v2 (service/elasticache) or with
// hand-signed SigV4 requests:
//
//   - crash consistency: a concurrent create/delete/describe workload of redis
//     and memcached clusters while the server is kill -9'd at random points;
//     after every restart on the same data directory no acknowledged cluster
//     is lost, nothing is duplicated, everything converges within 5 s, and no
//     orphan engine process or node directory is left;
//   - node faults: a kill -9'd node is replaced within 1 s (both a node the
//     server started and one it re-adopted after a restart), a SIGSTOPped node
//     fails its health probe and is restarted (the server runs with
//     --resync-interval 1s);
//   - concurrency: 64 concurrent creates of one id give one success and 63
//     CacheClusterAlreadyExists; concurrent deletes and describes of one
//     cluster never answer 5xx and end with CacheClusterNotFound;
//   - security: a non-loopback listen address needs configured credentials
//     and then verifies every signature (missing, wrong secret, unknown key,
//     expired, other region or service); AUTH tokens are never echoed, logged
//     or written where others can read them; file modes of the data directory;
//     nodes listen on loopback only and do not inherit the server's secrets.
//
// Every test stops what it started in t.Cleanup, even on failure: the server
// by PID, and every redis-server or memcached whose command line or working
// directory is inside the test's data directory.
//
// The default (short) form takes well under a minute and runs in CI with
//
//	go test -race -count=1 ./e2e/reliability/
//
// CACHEPLANE_LONG=1 selects the long form: at least 20 kill points in the
// crash test, more fault rounds and concurrency iterations (one to two minutes).
// The tests need redis-server and memcached on PATH; they are skipped when
// either is missing.
package reliability
