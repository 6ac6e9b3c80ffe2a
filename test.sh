#!/usr/bin/env bash
# test.sh: the whole test suite, as CI runs it: formatting, vet, unit and
# integration tests with the race detector (real redis-server and memcached
# processes, the Go SDK as client, fuzz seed corpora), then the end-to-end
# scripts with boto3 and the aws CLI against the built binary.
set -euo pipefail
cd "$(dirname "$0")"
scripts/deps.sh test
export PATH=$PATH:/usr/local/go/bin

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change: $unformatted" >&2
  exit 1
fi
go vet ./...
go test -race -count=1 ./...
bash e2e/run.sh
