#!/usr/bin/env bash
# The lakeorm CLI against the quickstart's tables: every command, its
# output, its progress lines and its exit status (0 ok, 1 failed, 2 usage);
# then against the Iceberg example's tables, opened through lakeorm.toml's
# [table] format = "iceberg".
#   cli_test.sh LAKEORM QUICKSTART ICEBERG_EXAMPLE
set -uo pipefail
lakeorm=${1:?lakeorm binary}
quickstart=${2:?quickstart binary}
iceberg_example=${3:?the Iceberg example binary}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
source "$(dirname "${BASH_SOURCE[0]}")/../support/expect.sh"

"$quickstart" "$dir/data" >/dev/null || { echo "FAIL the quickstart did not run"; exit 1; }
L=("$lakeorm" --data "$dir/data")

expect inspect 0 'partitioned by: country' -- "${L[@]}" inspect customers
expect inspect-history 0 'v0 +[0-9T:.Z-]+ +CREATE TABLE' -- "${L[@]}" inspect customers --history 50
expect inspect-stats 0 'rows +4$' -- "${L[@]}" inspect customers
expect inspect-missing 1 "not_found: no table 'nope'" -- "${L[@]}" inspect nope

# describe: keys, partitioning and the fingerprint, in text and as JSON.
expect describe 0 '^  id +string +not null primary key$' -- "${L[@]}" describe customers
expect describe-partitioning 0 '^partitioned  country$' -- "${L[@]}" describe customers
expect describe-fingerprint 0 '^fingerprint  [0-9a-f]{64}$' -- "${L[@]}" describe customers
expect describe-json 0 '"primary_key": \[\s*$' -- "${L[@]}" describe customers --format json
expect describe-json-global 0 '"fingerprint": "[0-9a-f]{64}"' -- "${L[@]}" --format json describe orders
expect describe-missing 1 "not_found: no table 'nope'" -- "${L[@]}" describe nope
expect history 0 '^  v0 +[0-9T:.Z-]+ +CREATE TABLE' -- "${L[@]}" history customers
expect history-limit 0 'the latest 1 commit\(s\)' -- "${L[@]}" history customers --limit 1
expect history-json 0 '"operation": "CREATE TABLE"' -- "${L[@]}" history customers --format json
expect inspect-json 0 '"rows": 4,' -- "${L[@]}" inspect customers --format json
expect bad-format 2 "--format: 'yaml' is not text or json" -- "${L[@]}" describe customers --format yaml
# Every JSON document parses as one.
for command in "describe customers" "history customers" "inspect customers" "verify" "cleanup --older-than 1000d"; do
  # shellcheck disable=SC2086
  if "${L[@]}" --format json $command | python3 -c 'import json, sys; json.load(sys.stdin)'; then
    echo "ok   json-parses: $command"
  else
    echo "FAIL json-parses: $command"; failures=$((failures + 1))
  fi
done
if [[ $("${L[@]}" sql --format json "SELECT id FROM customers ORDER BY id" |
        python3 -c 'import json, sys; print(",".join(r["id"] for r in json.load(sys.stdin)))') == c1,c2,c3,c4 ]]; then
  echo "ok   sql-json-array"
else
  echo "FAIL sql-json-array"; failures=$((failures + 1))
fi

expect sql-table 0 '^c1 \| ada@example.com' -- "${L[@]}" sql "SELECT id, email FROM customers WHERE id = ?" c1
expect sql-count 0 '^\(1 row\)$' -- "${L[@]}" sql "SELECT id FROM customers WHERE id = ?" c1
# A parameter is a value, never SQL: the classic injection matches nothing.
expect sql-injection 0 '^\(0 rows\)$' -- "${L[@]}" sql "SELECT id FROM customers WHERE id = ?" "x' OR '1'='1"
expect sql-typed 0 '^\{"n":2\}$' -- "${L[@]}" sql --format jsonl "SELECT count(*)::BIGINT AS n FROM orders WHERE total > ?" float:10
expect sql-int 0 '^\{"answer":42,"flag":true,"nothing":null\}$' -- "${L[@]}" sql --format jsonl "SELECT ?::BIGINT + 1 AS answer, ? AS flag, ? AS nothing" int:41 bool:true null
expect sql-limit 0 'first 2 shown' -- "${L[@]}" sql --limit 2 "SELECT * FROM range(10)"
expect sql-jsonl-all 0 '"range":9999' -- "${L[@]}" sql --format jsonl "SELECT * FROM range(10000)"
expect sql-error 1 'syntax error' -- "${L[@]}" sql "SELEC 1"
expect sql-usage 2 '--limit applies to --format table' -- "${L[@]}" sql --format jsonl --limit 3 "SELECT 1"
expect sql-bad-int 2 "'int:x' is not an int" -- "${L[@]}" sql "SELECT ?" int:x

expect optimize 0 'customers: version [0-9]+: 2 files .* rewritten into 1' -- "${L[@]}" optimize customers
expect optimize-progress 0 'optimize customers: [0-9]+/[0-9]+ partitions processed' -- "${L[@]}" optimize customers
expect optimize-again 0 'customers: nothing to compact' -- "${L[@]}" optimize customers
expect optimize-bad-column 1 "column 'nope' is not in the table" -- "${L[@]}" optimize orders --zorder nope
expect vacuum-dry-run 0 'customers: would delete 3 files' -- "${L[@]}" vacuum customers --retain 0h --force --dry-run
expect vacuum-short 1 'retention' -- "${L[@]}" vacuum customers --retain 0h
expect vacuum 0 'customers: deleted 3 files' -- "${L[@]}" vacuum customers --retain 0h --force
expect vacuum-progress 0 'vacuum orders: |orders: deleted 0 files' -- "${L[@]}" vacuum orders --retain 0h --force

# Staging left by a crashed writer in 2020 (a UUIDv7 of that time), and a
# directory that is not an ingest id (kept).
mkdir -p "$dir/data/_staging/016f5e66-e800-7000-8000-000000000000" "$dir/data/_staging/keep-me"
echo x >"$dir/data/_staging/016f5e66-e800-7000-8000-000000000000/part-00000.parquet"
echo x >"$dir/data/_staging/keep-me/x"
expect cleanup 0 'staging: 2 prefixes scanned, 1 deleted, 0 failed' -- "${L[@]}" cleanup --older-than 1h
[[ -d $dir/data/_staging/keep-me && ! -e $dir/data/_staging/016f5e66-e800-7000-8000-000000000000 ]] \
  && echo "ok   cleanup-kept-the-rest" || { echo "FAIL cleanup removed the wrong prefixes"; failures=$((failures + 1)); }
expect verify 0 '^verify: ok' -- "${L[@]}" verify

printf '[storage]\nroot = "data"\n[client]\nmax_inflight_ingests = 2\n' >"$dir/lakeorm.toml"
expect config 0 '^c1$' -- "$lakeorm" --config "$dir/lakeorm.toml" sql --format table "SELECT id FROM customers WHERE id = 'c1'"
printf '[client]\nmax_inflight = 2\n' >"$dir/bad.toml"
expect config-bad 1 'bad.toml:2: \[client\] max_inflight: unknown key' -- "$lakeorm" --config "$dir/bad.toml" verify

# Iceberg tables, embedded.
"$iceberg_example" "$dir/ice" >/dev/null || { echo "FAIL the Iceberg example did not run"; exit 1; }
printf '[storage]\nroot = "ice/iceberg"\n[table]\nformat = "iceberg"\n' >"$dir/iceberg.toml"
I=("$lakeorm" --config "$dir/iceberg.toml")
expect iceberg-inspect 0 'format +iceberg' -- "${I[@]}" inspect users
expect iceberg-inspect-stats 0 'rows +6$' -- "${I[@]}" inspect users
expect iceberg-history 0 'append' -- "${I[@]}" inspect users --history 10
expect iceberg-sql 0 '^\{"n":6\}$' -- "${I[@]}" sql --format jsonl "SELECT count(*)::BIGINT AS n FROM users"
expect iceberg-optimize 0 'users: nothing to compact' -- "${I[@]}" optimize users
expect iceberg-zorder 0 'users: version [0-9]+: [0-9]+ files .* rewritten into' -- "${I[@]}" optimize users --zorder email
expect iceberg-zorder-again 0 'users: nothing to compact' -- "${I[@]}" optimize users --zorder email
expect iceberg-vacuum 0 'users: deleted [0-9]+ files' -- "${I[@]}" vacuum users --retain 0h --force
expect iceberg-sql-after 0 '^\{"n":6\}$' -- "${I[@]}" sql --format jsonl "SELECT count(*)::BIGINT AS n FROM users"
expect iceberg-verify 0 '^verify: ok' -- "${I[@]}" verify

# Migration files (docs/MIGRATIONS.md): lakeorm checks them and their sum;
# generating needs the structs (a tool built with lake::migrate_main).
mkdir -p "$dir/migrations"
printf -- '-- +goose Up\nALTER TABLE `customers` ADD COLUMNS (`age` BIGINT);\n' >"$dir/migrations/00001_add_age.sql"
expect migrate-no-sum 1 '^sum: atlas.sum: atlas.sum is missing' -- "${L[@]}" migrate check "$dir/migrations"
expect migrate-hash 0 "^wrote $dir/migrations/atlas.sum" -- "${L[@]}" migrate hash "$dir/migrations"
expect migrate-check 0 '^ok: ' -- "${L[@]}" migrate check "$dir/migrations"
expect migrate-format-json 0 '^\{"ok":true' -- "${L[@]}" --format json migrate check "$dir/migrations"
printf -- '-- edited\n' >>"$dir/migrations/00001_add_age.sql"
expect migrate-edited 1 '"kind":"sum","file":"00001_add_age.sql","message":"00001_add_age.sql differs from atlas.sum' \
  -- "${L[@]}" migrate check "$dir/migrations" --json
expect migrate-generate 1 'generate needs the structs' -- "${L[@]}" migrate generate "$dir/migrations"
expect migrate-usage 2 "unknown migrate subcommand 'frob'" -- "${L[@]}" migrate frob

expect usage-command 2 "unknown command 'frob'" -- "${L[@]}" frob
expect usage-both 2 'give --data or --config, not both' -- "$lakeorm" --data x --config y verify
expect no-data-dir 1 "no data directory at '$dir/absent'" -- "$lakeorm" --data "$dir/absent" verify
[[ ! -e $dir/absent ]] && echo "ok   no-data-dir-not-created" || { echo "FAIL --data created a directory"; failures=$((failures + 1)); }
expect help 0 'usage: lakeorm' -- "$lakeorm" --help
# The help docs/OPERATIONS.md shows is the program's.
operations="$(dirname "${BASH_SOURCE[0]}")/../../docs/OPERATIONS.md"
if diff <("$lakeorm" --help) <(awk '/^<!-- lakeorm --help -->$/ {on = 1; next} on && /^```text$/ {next} on && /^```$/ {exit} on' "$operations"); then
  echo "ok   help-matches-docs"
else
  echo "FAIL help-matches-docs: lakeorm --help differs from docs/OPERATIONS.md (above)"; failures=$((failures + 1))
fi
# Completion: a script bash accepts, completing commands and options.
"$lakeorm" completion bash >"$dir/completion.bash"
if bash -c 'source "$1"; COMP_WORDS=(lakeorm des); COMP_CWORD=1; _lakeorm; [[ ${COMPREPLY[*]} == describe ]] &&
            COMP_WORDS=(lakeorm history t --li); COMP_CWORD=3; _lakeorm; [[ ${COMPREPLY[*]} == --limit ]]' _ "$dir/completion.bash"; then
  echo "ok   completion-bash"
else
  echo "FAIL completion-bash"; failures=$((failures + 1))
fi
expect completion-usage 2 "completion: 'fish' is not bash or zsh" -- "$lakeorm" completion fish

finish
