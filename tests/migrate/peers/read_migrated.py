"""read_migrated.py <delta|iceberg> <table-dir> <expected.json>

Reads a table that migrations changed (lake-orm's migrate_apply on the
embedded engine: columns renamed, widened, added and dropped, the table
repartitioned) with independent readers, and checks each returns the
expected rows in the expected columns: delta-rs and DuckDB's delta_scan
for Delta; pyiceberg and DuckDB's iceberg_scan for Iceberg (the newest
metadata file of the table's file-system catalog). expected.json is
{"key": column, "rows": [{column: value, ...}, ...], "refused": {reader:
text}} in table_rows.py's canonical form; "refused" names a reader that
must refuse the table with an error containing the text (a feature it
does not implement) rather than return rows. Exit 1 with the differences
otherwise.
"""
import json
import os
import re
import sys

import pyarrow as pa

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "delta", "peers"))
sys.path.insert(0, os.path.join(here, "..", "..", "..", "tools"))
import table_rows  # noqa: E402
from peer_exit import exit  # noqa: E402
from peers_smoke import duckdb_connect  # noqa: E402


def arrow_of(result):
    return result.read_all() if hasattr(result, "read_all") else result


def delta_readers(path):
    import deltalake

    # delta-rs's DataFusion-based reader: it reads through column mapping
    # (its to_pyarrow_table refuses any table with the feature).
    # (Its result is an arro3 stream: pyarrow takes it through the Arrow
    # C stream interface.)
    yield "delta-rs", lambda: pa.RecordBatchReader.from_stream(
        deltalake.QueryBuilder().register("t", deltalake.DeltaTable(path)).execute("SELECT * FROM t")).read_all()
    yield "DuckDB", lambda: arrow_of(duckdb_connect("delta").execute(f"SELECT * FROM delta_scan('{path}')").arrow())


def newest_metadata(path):
    folder = os.path.join(path, "metadata")
    versions = [int(m.group(1)) for m in (re.fullmatch(r"v(\d+)\.metadata\.json", f) for f in os.listdir(folder)) if m]
    return os.path.join(folder, f"v{max(versions)}.metadata.json")


def iceberg_readers(path):
    from pyiceberg.table import StaticTable

    metadata = newest_metadata(path)
    yield "pyiceberg", lambda: StaticTable.from_metadata(metadata).scan().to_arrow()
    yield "DuckDB", lambda: arrow_of(
        duckdb_connect("iceberg").execute(f"SELECT * FROM iceberg_scan('{metadata}')").arrow())


def main(format_name, path, expected_path):
    with open(expected_path) as f:
        expected = json.load(f)
    key = expected["key"]
    columns = list(expected["rows"][0].keys())
    want = sorted(expected["rows"], key=lambda row: row[key])
    problems = []
    readers = delta_readers(path) if format_name == "delta" else iceberg_readers(path)
    refused = expected.get("refused", {})
    for name, read in readers:
        try:
            table = read()
        except Exception as error:  # a peer that cannot read the table says why
            if name in refused and refused[name] in str(error):
                print(f"[read_migrated] {name} refuses the table, as expected: {error}")
            else:
                problems.append(f"{name}: cannot read the table: {type(error).__name__}: {error}")
            continue
        if name in refused:
            problems.append(f"{name}: read the table, expected it to refuse it ({refused[name]})")
            continue
        missing = [c for c in columns if c not in table.schema.names]
        if missing:
            problems.append(f"{name}: no column(s) {missing} (it sees {table.schema.names})")
            continue
        got = table_rows.canonical_rows(table.select(columns), [key])
        problems += [f"{name}: {d}" for d in table_rows.differences(got, want)]
        print(f"[read_migrated] {name}: {len(got)} rows, columns {table.schema.names}")
    if problems:
        print("the migrated table reads differently:\n" + "\n".join(problems), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    exit(main(*sys.argv[1:]))
