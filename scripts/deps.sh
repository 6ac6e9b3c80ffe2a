#!/usr/bin/env bash
# deps.sh: make sure what cacheplane needs is installed. On Debian/Ubuntu as root
# it installs missing packages with apt-get; elsewhere it says what is missing.
#   scripts/deps.sh run    engines for serving (redis-server, memcached) and Go
#   scripts/deps.sh test   the above plus redis-cli, python3 with boto3, the aws CLI
set -euo pipefail
mode=${1:-run}
missing_pkgs=()
missing_desc=()

need() { # need COMMAND DEBIAN_PACKAGE DESCRIPTION
  if ! command -v "$1" >/dev/null 2>&1; then
    missing_pkgs+=("$2"); missing_desc+=("$3 ($1)")
  fi
}

if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
  export PATH=$PATH:/usr/local/go/bin
fi
command -v go >/dev/null 2>&1 || { echo "deps: Go 1.26+ is required (https://go.dev/dl); not found on PATH" >&2; exit 1; }

need redis-server redis-server "Redis OSS server"
need memcached memcached "Memcached server"
if [ "$mode" = test ]; then
  need redis-cli redis-tools "redis-cli"
  python3 -c 'import boto3' >/dev/null 2>&1 || { missing_pkgs+=(python3-boto3); missing_desc+=("boto3 for python3"); }
  need aws awscli "the aws CLI"
fi

if [ ${#missing_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "deps: installing ${missing_pkgs[*]} with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing_pkgs[@]}" >/dev/null
  else
    echo "deps: missing: ${missing_desc[*]}" >&2
    echo "deps: on Debian/Ubuntu run: sudo apt-get install ${missing_pkgs[*]}" >&2
    exit 1
  fi
fi
