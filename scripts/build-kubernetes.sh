#!/usr/bin/env bash
# Builds the Kubernetes release binaries the lab runs for real from the k8s.io/kubernetes Go
# module into .tools/bin: kubeadm, kube-apiserver, kube-controller-manager, kube-scheduler and
# kubectl, all at one version. Skipped when every binary already reports that version.
# k8s.io/kubernetes pins its staging repos with `replace => ./staging/...`, which `go install`
# refuses, so a throwaway wrapper module requires it and maps each staging repo to its v0.Y.Z tag.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=${KUBERNETES_VERSION:-${KUBEADM_VERSION:-v1.34.1}}
bin="$root/.tools/bin"
cmds=(kubeadm kube-apiserver kube-controller-manager kube-scheduler kubectl)

reports() { # binary → the version it was built as
  case "$1" in
    kubeadm) "$bin/kubeadm" version -o short ;;
    kubectl) "$bin/kubectl" version --client -o json | sed -n 's/.*"gitVersion": "\(.*\)".*/\1/p' ;;
    *) "$bin/$1" --version | awk '{print $2}' ;;
  esac
}
missing=()
for c in "${cmds[@]}"; do
  if ! { [ -x "$bin/$c" ] && [ "$(reports "$c" 2>/dev/null)" = "$version" ]; }; then missing+=("$c"); fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

staging_version="v0.${version#v1.}"
work="$root/.tools/kubernetes-build"
mkdir -p "$work" "$bin"
modfile=$(go mod download -json "k8s.io/kubernetes@$version" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
{
  echo "module hakube.local/kubernetes-build"
  echo
  echo "go 1.24.0"
  echo
  echo "require k8s.io/kubernetes $version"
  echo
  echo "replace ("
  grep -E '^\s*k8s.io/[a-z0-9-]+ => ./staging/' "$modfile" | awk -v v="$staging_version" '{print "\t" $1 " => " $1 " " v}'
  echo ")"
} > "$work/go.mod"
{
  echo "//go:build tools"
  echo
  echo "package tools"
  echo
  for c in "${cmds[@]}"; do echo "import _ \"k8s.io/kubernetes/cmd/$c\""; done
} > "$work/tools.go"
cd "$work"
GOFLAGS=-mod=mod go mod tidy >/dev/null 2>&1 || true
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags="$ldflags -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$(echo "$version" | cut -d. -f2) -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done
pkgs=()
for c in "${missing[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
# One go build for all of them shares the compilation of their common packages.
GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$bin/" "${pkgs[@]}"
for c in "${missing[@]}"; do echo "$c $(reports "$c")"; done
