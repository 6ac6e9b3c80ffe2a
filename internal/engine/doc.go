// Package engine is everything cacheplane knows about the cache engines it
// runs: Redis OSS, Valkey and Memcached.
//
// It holds the catalogs that ElastiCache exposes (engine versions, parameter
// group families with their parameters and default groups, node types with
// their memory figures), turns a node's settings and parameter group into the
// configuration an engine binary is started with (Render), says how a running
// node gets new parameter values (PlanParameterChange) and applies them over
// the network (ConfigSet), checks over the network that a node answers its
// engine's health check (Probe), and finds the engine binaries installed on
// the host and the version they report (FindBinary).
//
// The package knows nothing about processes: it never starts, stops or
// supervises an engine. Rendered configuration is handed to a driver, which
// writes the files and runs the binary. The only place that executes
// anything is binaries.go, which asks a binary for its version.
//
// The catalogs follow sections 3 to 5 (defaults, engine versions and
// families, node types and memory) of the project's AWS behaviour reference,
// aws-behaviour.md.
package engine
