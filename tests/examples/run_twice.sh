#!/usr/bin/env bash
# Runs an example twice on one fresh data directory: examples must work on
# an empty directory and again on the tables they left (docs/OPERATIONS.md promises
# both). Prints the example's output; fails when either run does.
#   run_twice.sh EXAMPLE
set -euo pipefail
example=${1:?example binary}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
echo "== first run"
"$example" "$dir"
echo "== second run, same directory"
"$example" "$dir"
