#!/usr/bin/env bash
# Builds the real kubeadm from its Go module into .tools/bin/kubeadm.
# k8s.io/kubernetes pins its staging repos with `replace => ./staging/...`, which `go install`
# refuses, so a throwaway wrapper module requires it and maps each staging repo to its v0.Y.Z tag.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=${KUBEADM_VERSION:-v1.34.1}
bin="$root/.tools/bin/kubeadm"
if [ -x "$bin" ] && "$bin" version -o short 2>/dev/null | grep -qx "$version"; then
  exit 0
fi
staging_version="v0.${version#v1.}"
work="$root/.tools/kubeadm-build"
mkdir -p "$work" "$root/.tools/bin"
modfile=$(go mod download -json "k8s.io/kubernetes@$version" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
{
  echo "module hakube.local/kubeadm-build"
  echo
  echo "go 1.24.0"
  echo
  echo "require k8s.io/kubernetes $version"
  echo
  echo "replace ("
  grep -E '^\s*k8s.io/[a-z0-9-]+ => ./staging/' "$modfile" | awk -v v="$staging_version" '{print "\t" $1 " => " $1 " " v}'
  echo ")"
} > "$work/go.mod"
cat > "$work/tools.go" <<'GO'
//go:build tools

package tools

import _ "k8s.io/kubernetes/cmd/kubeadm"
GO
cd "$work"
GOFLAGS=-mod=mod go mod tidy >/dev/null 2>&1 || true
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags="$ldflags -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$(echo "$version" | cut -d. -f2) -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done
GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$bin" k8s.io/kubernetes/cmd/kubeadm
"$bin" version -o short
