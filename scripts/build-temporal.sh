#!/usr/bin/env bash
# Builds the official Temporal CLI (dev server with SQLite and the Web UI) from its Go module.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=${TEMPORAL_CLI_VERSION:-v1.5.1}
bin="$root/.tools/bin/temporal"
stamp="$root/.tools/bin/.temporal-version"
if [ -x "$bin" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$version" ]; then exit 0; fi
mkdir -p "$root/.tools/bin"
GOBIN="$root/.tools/bin" CGO_ENABLED=0 go install "github.com/temporalio/cli/cmd/temporal@$version"
echo "$version" > "$stamp"
