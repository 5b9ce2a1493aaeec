"""read_ours.py <our.metadata.json> <their.metadata.json>

Reads a table through a metadata file lake-orm wrote (its manifest list and
manifests too) with pyiceberg (StaticTable) and DuckDB's iceberg extension
(iceberg_scan), and checks both see exactly the rows of the table as
pyiceberg wrote it (read through pyiceberg's own metadata file): the same
rows, the same files, the same snapshot history. Exit 1 with the
differences otherwise.
"""
import os
import sys

from pyiceberg.table import StaticTable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from readers import duckdb_scan, exit, report, table_rows  # noqa: E402


def main(ours_path, theirs_path):
    ours = StaticTable.from_metadata(ours_path)
    theirs = StaticTable.from_metadata(theirs_path)
    problems = []

    expected = table_rows.canonical_rows(theirs.scan().to_arrow(), ["id"])
    actual = table_rows.canonical_rows(ours.scan().to_arrow(), ["id"])
    problems += [f"pyiceberg: {d}" for d in table_rows.differences(actual, expected)]

    our_files = sorted(task.file.file_path for task in ours.scan().plan_files())
    their_files = sorted(task.file.file_path for task in theirs.scan().plan_files())
    if our_files != their_files:
        problems.append(f"pyiceberg plans {len(our_files)} files from ours, {len(their_files)} from theirs")

    # Every older snapshot still reads as it did.
    for snapshot in theirs.metadata.snapshots:
        then = table_rows.canonical_rows(theirs.scan(snapshot_id=snapshot.snapshot_id).to_arrow(), ["id"])
        now = table_rows.canonical_rows(ours.scan(snapshot_id=snapshot.snapshot_id).to_arrow(), ["id"])
        problems += [f"snapshot {snapshot.snapshot_id}: {d}" for d in table_rows.differences(now, then)]

    duck = duckdb_scan(ours_path)
    problems += [f"DuckDB: {d}" for d in table_rows.differences(table_rows.canonical_rows(duck, ["id"]), expected)]

    return report(problems, "our metadata reads differently",
                  f"[read_ours] {len(actual)} rows, {len(our_files)} files identical in pyiceberg and DuckDB")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    exit(main(sys.argv[1], sys.argv[2]))
