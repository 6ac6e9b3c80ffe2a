#!/usr/bin/env bash
# run.sh: install or check what cacheplane needs, build it, and serve the
# ElastiCache API on the embedded default (store and nodes under ~/.cacheplane).
# Flags are passed to `cacheplane serve`, e.g. ./run.sh --listen 127.0.0.1:9000
set -euo pipefail
cd "$(dirname "$0")"
scripts/deps.sh run
export PATH=$PATH:/usr/local/go/bin
go build -o bin/cacheplane ./cmd/cacheplane
exec bin/cacheplane serve "$@"
