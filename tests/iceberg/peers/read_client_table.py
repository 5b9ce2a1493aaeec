"""read_client_table.py <metadata.json> <expected.arrow> <key>

Reads an Iceberg table the lake-orm Client wrote on the embedded engine
(after its upserts, updates, deletes and compaction) with pyiceberg
(StaticTable) and DuckDB's iceberg extension (iceberg_scan), and checks
both return exactly the expected rows in the expected file's columns
(the columns the test computed without reading the table). Exit 1 with
the differences otherwise.
"""
import os
import sys

import pyarrow.ipc as ipc
from pyiceberg.table import StaticTable

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from readers import duckdb_scan, exit, report, table_rows  # noqa: E402


def main(metadata_path, expected_path, key):
    with ipc.open_file(expected_path) as reader:
        expected_table = reader.read_all()
    columns = expected_table.schema.names
    expected = table_rows.canonical_rows(expected_table, [key])
    problems = []

    table = StaticTable.from_metadata(metadata_path)
    ours = table.scan().to_arrow().select(columns)
    problems += [f"pyiceberg: {d}" for d in table_rows.differences(table_rows.canonical_rows(ours, [key]), expected)]

    duck = duckdb_scan(metadata_path).select(columns)
    problems += [f"DuckDB: {d}" for d in table_rows.differences(table_rows.canonical_rows(duck, [key]), expected)]

    return report(problems, "the Client's Iceberg table reads differently",
                  f"[read_client_table] {len(expected)} rows identical in pyiceberg and DuckDB")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    exit(main(sys.argv[1], sys.argv[2], sys.argv[3]))
