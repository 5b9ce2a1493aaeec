#!/usr/bin/env bash
# tools/check-layering must fail on the violations it exists for: an upward
# include (the client including the Delta implementation), an engine
# including a format's implementation, and an engine branching on a
# format's name. Runs the check on a copy of the tree with each one added,
# and on the unmodified copy (which must pass).
set -euo pipefail
repo=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$repo/src" "$repo/include" "$work/"
mkdir -p "$work/tools" && cp "$repo/tools/check-layering" "$work/tools/"

"$work/tools/check-layering" "$work" >/dev/null || { echo "the unmodified tree fails the check" >&2; exit 1; }

expect_failure() {
  local what=$1 file=$2 line=$3 message=$4
  cp "$work/$file" "$work/$file.orig"
  printf '%s\n' "$line" >>"$work/$file"
  local out
  if out=$("$work/tools/check-layering" "$work" 2>&1); then
    echo "check-layering passed with $what added to $file" >&2
    exit 1
  fi
  grep -qF "$message" <<<"$out" || { echo "no '$message' for $what:" >&2; echo "$out" >&2; exit 1; }
  grep -qF "$file" <<<"$out" || { echo "the failure for $what does not name $file" >&2; exit 1; }
  mv "$work/$file.orig" "$work/$file"
  echo "caught: $what"
}

expect_failure "an upward include" src/client/client.cpp '#include "delta/table_writer.hpp"' \
  "the client includes a format's implementation"
expect_failure "a format include in an engine" src/drivers/duckdb/engine.cpp '#include "lake/delta/table.hpp"' \
  "an engine includes a format's implementation"
expect_failure "a format name in an engine" src/drivers/spark/spark_tables.cpp \
  'static bool iceberg(const lake::Dialect& d) { return d.name() == "iceberg"; }' "names a table format"
expect_failure "a format's exception class in an engine" src/drivers/spark/spark_errors.cpp \
  'static bool lost(std::string_view e) { return e.find("org.apache.iceberg.exceptions") == 0; }' "names a table format"
expect_failure "a contract including its implementation" src/formats/table_format.cpp '#include "delta/delta_format.hpp"' \
  "the format contract includes a layer above it"
expect_failure "one format including another" src/iceberg/manifest.cpp '#include "delta/table.hpp"' \
  "the Iceberg implementation includes a layer above it, or another format"
expect_failure "an engine including the Iceberg implementation" src/drivers/duckdb/engine.cpp \
  '#include "iceberg/table_metadata.hpp"' "an engine includes a format's implementation"
expect_failure "one engine including another" src/drivers/duckdb/engine.cpp '#include "drivers/spark/session.hpp"' \
  "an engine includes another engine"
