// Package sdk holds end-to-end round trips through the real AWS SDK for Go v2
// (service/elasticache) against an in-process cacheplane wired exactly as
// `cacheplane serve` wires it (store, process driver, reconciler, service,
// SigV4 verifier and HTTP edge), with real redis-server and memcached nodes.
//
// Every test has its own data directory (t.TempDir()), its own loopback node
// range (127.78.N.1-127.78.N.254) and node ports picked free, so the tests run
// in parallel with each other and with other suites. Every test stops every
// engine process it started: it deletes its clusters through the API, and its
// cleanup removes any node still recorded in the store and then checks that no
// redis-server or memcached whose command line or working directory lies in
// the test's data directory survives (killing, by PID, and reporting any that
// does).
//
// Run with
//
//	go test -race ./e2e/sdk/
//
// The tests are skipped when redis-server or memcached is not on PATH.
package sdk
