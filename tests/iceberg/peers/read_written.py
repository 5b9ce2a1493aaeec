"""read_written.py <metadata.json> <expected.arrow>

Reads a table lake-orm wrote (data files, manifests, manifest lists,
metadata) with pyiceberg (StaticTable) and DuckDB's iceberg extension and
checks that:
- both return exactly the rows lake-orm wrote (the Arrow IPC file), and
  the first snapshot exactly the rows of the first append;
- pyiceberg's filters, which prune files by our partition values and
  column bounds before reading, find exactly the matching rows (truncated
  string bounds included) while planning fewer files than the table has.
Exit 1 with the differences otherwise.
"""
import math
import os
import sys

import pyarrow.ipc as ipc
from pyiceberg.expressions import EqualTo, GreaterThan
from pyiceberg.table import StaticTable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from readers import duckdb_scan, exit, report, table_rows  # noqa: E402


def canonical(table):
    return table_rows.canonical_rows(table, ["id"])


def main(metadata_path, expected_path):
    with ipc.open_file(expected_path) as reader:
        expected_table = reader.read_all()
    expected = canonical(expected_table)
    table = StaticTable.from_metadata(metadata_path)
    problems = []

    problems += [f"pyiceberg: {d}" for d in table_rows.differences(canonical(table.scan().to_arrow()), expected)]
    first = table.metadata.snapshots[0]
    first_rows = [r for r in expected if r["id"] < 300]
    problems += [
        f"pyiceberg, first snapshot: {d}"
        for d in table_rows.differences(canonical(table.scan(snapshot_id=first.snapshot_id).to_arrow()), first_rows)
    ]

    all_files = len(list(table.scan().plan_files()))
    by_name = {r["id"]: r["name"] for r in expected}
    checks = [
        ("id = 5", EqualTo("id", 5), [r for r in expected if r["id"] == 5]),
        ("name = ...", EqualTo("name", by_name[42]), [r for r in expected if r["name"] == by_name[42]]),
        (
            "score > 100",
            GreaterThan("score", 100.0),
            [r for r in expected if r["score"] is not None and not math.isnan(r["score"]) and r["score"] > 100],
        ),
    ]
    for what, expression, want in checks:
        scan = table.scan(row_filter=expression)
        planned = len(list(scan.plan_files()))
        got = canonical(scan.to_arrow())
        problems += [f"filter {what}: {d}" for d in table_rows.differences(got, want)]
        if not want:
            problems.append(f"filter {what}: the check expects rows")
        if planned >= all_files:
            problems.append(f"filter {what}: planned {planned} of {all_files} files (nothing pruned)")
        print(f"[read_written] {what}: {len(got)} rows from {planned} of {all_files} files", file=sys.stderr)

    duck = duckdb_scan(metadata_path)
    problems += [f"DuckDB: {d}" for d in table_rows.differences(canonical(duck), expected)]

    return report(problems, "the table we wrote reads differently",
                  f"[read_written] {len(expected)} rows identical in pyiceberg and DuckDB")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    exit(main(sys.argv[1], sys.argv[2]))
