#!/usr/bin/env bash
# Idempotent set-up for a fresh machine of the project's kind: npm packages, Debian packages for
# the lab and PostgreSQL, the Temporal CLI, server and Web UI and kubeadm built from their Go
# modules, and the lab's simulators.
# Each step checks before it acts, so a second run takes a second or two.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
say() { [ -n "${HAKUBE_SETUP_QUIET:-}" ] || echo "setup: $*" >&2; }
export PATH="/usr/local/go/bin:$PATH"
command -v go >/dev/null || { echo "setup: Go is missing (expected at /usr/local/go/bin/go)" >&2; exit 1; }

lock_hash=$(sha256sum package-lock.json | cut -c1-16)
if [ ! -d node_modules ] || [ "$(cat node_modules/.hakube-lock 2>/dev/null)" != "$lock_hash" ]; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > node_modules/.hakube-lock
fi
say "Debian packages"; bash scripts/install-debian.sh
say "Temporal CLI"; bash scripts/build-temporal.sh
say "Temporal server, SQL tool and Web UI"; bash scripts/build-temporal-server.sh
say "Kubernetes binaries"; bash scripts/build-kubernetes.sh >/dev/null
if [ -f scripts/build-labsim.sh ]; then say "lab simulators"; bash scripts/build-labsim.sh; fi
# The CLI's bundle (dist/hakube-<fingerprint>.js): bin/hakube.js would build it on first use too.
say "CLI bundle"; node scripts/build-cli.js >/dev/null
