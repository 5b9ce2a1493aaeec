#!/usr/bin/env bash
# A user's migration tool (lake::migrate_main) run as CI and a developer
# run it: generate, check, evolve the structs (the second build of the
# tool), check again, generate again, status, apply, down, squash, JSON
# output and exit statuses.
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
# Applying (the tool opens the configured engine: the embedded one on --data).
expect status-pending 0 '^version 0, 2 pending' -- "$v2" "${D[@]}" status "$M"
expect apply-to-1 0 '^applied 00001_create_orders_users.sql' -- "$v1" "${D[@]}" apply "$M" --to 1
expect apply 0 '^\{"files":\["00002_alter_orders_users.sql"\],"version":2\}' -- "$v2" "${D[@]}" apply "$M" --json
expect apply-again 0 '^nothing to do: version 2' -- "$v2" "${D[@]}" apply "$M"
expect live-applied 0 '^ok: ' -- "$v2" "${D[@]}" check "$M" --live
expect status-json 0 '"ok":true,"current_version":2,"pending":0' -- "$v2" "${D[@]}" status "$M" --json
expect down-irreversible 1 '00002_alter_orders_users.sql has no Down section' -- "$v2" "${D[@]}" down "$M"
expect squash 0 "^wrote $M/00002_squashed.sql" -- "$v2" "${D[@]}" squash "$M"
expect status-squashed 0 'applied +00002_squashed.sql' -- "$v2" "${D[@]}" status "$M"
expect check-squashed 0 '^ok: ' -- "$v2" "${D[@]}" check "$M"
printf '%s\n' '-- +goose Up' 'ALTER TABLE `users` ADD COLUMNS (`nickname` STRING);' >"$M/00003_hand_written.sql"
expect status-unsummed 1 'sum: 00003_hand_written.sql' -- "$v2" "${D[@]}" status "$M"
expect apply-unsummed 1 'disagrees with itself' -- "$v2" "${D[@]}" apply "$M"
expect usage-to 2 "--to: 'x' is not a migration version" -- "$v2" "${D[@]}" apply "$M" --to x
printf '[table]\nformat = "iceberg"\n' >"$dir/iceberg.toml"
expect other-format 1 'the migrations are for delta tables, and this client.s dialect is iceberg' \
  -- "$v2" --config "$dir/iceberg.toml" check "$M"
expect usage 2 "unknown option '--frob'" -- "$v2" "${D[@]}" check "$M" --frob
expect help 0 'generate DIR \[--sequential\]' -- "$v2" --help

finish
