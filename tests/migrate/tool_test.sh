#!/usr/bin/env bash
# A user's migration tool (lake::migrate_main) run as CI and a developer
# run it: generate, check, evolve the structs (the second build of the
# tool), check again, generate again, JSON output and exit statuses.
#   tool_test.sh TOOL_V1 TOOL_V2
set -uo pipefail
v1=${1:?the tool built on the first structs}
v2=${2:?the tool built on the evolved structs}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/../support/expect.sh"

M=$dir/migrations
D=(--data "$dir/lake")
expect check-empty 1 '^missing: orders: create table' -- "$v1" "${D[@]}" check "$M"
expect generate 0 "^wrote $M/00001_create_orders_users.sql" -- "$v1" "${D[@]}" generate "$M" --sequential
expect generate-again 0 '^no changes' -- "$v1" "${D[@]}" generate "$M" --sequential
expect check 0 '^ok: ' -- "$v1" "${D[@]}" check "$M"
[[ ! -e $dir/lake ]] && echo "ok   no-data-dir-created" || { echo "FAIL generate or check created $dir/lake"; failures=$((failures + 1)); }
expect evolved 1 'missing: users: rename column email to mail' -- "$v2" "${D[@]}" check "$M"
expect evolved-json 1 '"kind":"missing","file":"","message":"orders: widen column total from decimal\(12,2\) to decimal\(16,2\)"' \
  -- "$v2" "${D[@]}" check "$M" --json
expect generate-evolved 0 '^\{"ok":true,"written":".*/00002_alter_orders_users.sql","version":"00002","destructive":\[' \
  -- "$v2" "${D[@]}" generate "$M" --sequential --json
expect check-evolved 0 '^ok: ' -- "$v2" "${D[@]}" check "$M"
expect live 1 "live: table 'orders' of .* does not exist" -- "$v2" "${D[@]}" check "$M" --live
printf '[table]\nformat = "iceberg"\n' >"$dir/iceberg.toml"
expect other-format 1 'the migrations are for delta tables, and this client.s dialect is iceberg' \
  -- "$v2" --config "$dir/iceberg.toml" check "$M"
expect usage 2 "unknown option '--frob'" -- "$v2" "${D[@]}" check "$M" --frob
expect help 0 'generate DIR \[--sequential\]' -- "$v2" --help

finish
