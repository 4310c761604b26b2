#!/usr/bin/env bash
# Builds what `hakube server --persistence postgres` runs, from the Go modules the Temporal CLI
# already embeds (so the cluster speaks the same server and UI versions as the dev server):
# temporal-server, temporal-sql-tool and its PostgreSQL schema, and the Web UI server.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
server_version=${TEMPORAL_SERVER_VERSION:-v1.29.1}
ui_version=${TEMPORAL_UI_SERVER_VERSION:-v2.42.1}
want="server $server_version ui $ui_version"
out="$root/.tools/bin"
stamp="$out/.temporal-server-version"
if [ -x "$out/temporal-server" ] && [ -x "$out/temporal-sql-tool" ] && [ -x "$out/temporal-ui-server" ] &&
   [ -d "$root/.tools/temporal-schema/postgresql" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi
mkdir -p "$out"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# `go install` names each binary after its package folder (server, sql, server): one GOBIN each.
build() { GOBIN="$tmp/$1" CGO_ENABLED=0 go install -trimpath -ldflags '-s -w' "$2"; mv "$tmp/$1/$(basename "${2%@*}")" "$out/$1"; }
build temporal-server "go.temporal.io/server/cmd/server@$server_version"
build temporal-sql-tool "go.temporal.io/server/cmd/tools/sql@$server_version"
build temporal-ui-server "github.com/temporalio/ui-server/v2/cmd/server@$ui_version"
# The versioned SQL schema temporal-sql-tool applies ships inside the server module.
dir=$(go mod download -json "go.temporal.io/server@$server_version" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')
rm -rf "$root/.tools/temporal-schema"; mkdir -p "$root/.tools/temporal-schema"
cp -r "$dir/schema/postgresql" "$root/.tools/temporal-schema/postgresql"
chmod -R u+w "$root/.tools/temporal-schema"
echo "$want" > "$stamp"
