#!/usr/bin/env bash
# Runs node's test runner over test/ (or the folders given). Files run one at a time: the e2e
# tests share this machine's lab hosts and Temporal dev servers.
set -euo pipefail
cd "$(dirname "$0")/.."
# test/long holds suites too long for every CI run (npm run test:long runs them).
dirs=("$@")
if [ ${#dirs[@]} -gt 0 ]; then
  mapfile -t files < <(find "${dirs[@]}" -name '*.test.ts' | sort)
else
  mapfile -t files < <(find test -path test/long -prune -o -name '*.test.ts' -print | sort)
fi
[ ${#files[@]} -gt 0 ] || { echo "no test files under ${dirs[*]}" >&2; exit 1; }
exec node --import tsx --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
