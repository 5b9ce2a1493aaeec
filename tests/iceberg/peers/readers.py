"""What the Iceberg peer scripts share: their imports' paths, a scratch
pyiceberg catalog, the rows at every snapshot, DuckDB's iceberg_scan of a
metadata file, and the report at the end."""
import json
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "delta", "peers"))
sys.path.insert(0, os.path.join(here, "..", "..", "..", "tools"))
import table_rows  # noqa: E402,F401  (re-exported for the scripts)
from peer_exit import exit  # noqa: E402,F401
from peers_smoke import duckdb_connect  # noqa: E402


def scratch_catalog(directory):
    """pyiceberg's SqlCatalog on <directory>/catalog.db (warehouse
    <directory>/warehouse) with the namespace "db", as the tests read it."""
    from pyiceberg.catalog.sql import SqlCatalog

    warehouse = os.path.join(directory, "warehouse")
    os.makedirs(warehouse, exist_ok=True)
    catalog = SqlCatalog("lake", uri=f"sqlite:///{directory}/catalog.db", warehouse=f"file://{warehouse}")
    catalog.create_namespace("db")
    return catalog


def save_snapshot_rows(table, directory):
    """<directory>/rows-<snapshot id>.jsonl for every snapshot of `table`: its
    rows as pyiceberg reads them (in that snapshot's schema), canonical form,
    for compare_rows.py."""
    for snapshot in table.metadata.snapshots:
        table_rows.save(
            os.path.join(directory, f"rows-{snapshot.snapshot_id}.jsonl"),
            table_rows.canonical_rows(table.scan(snapshot_id=snapshot.snapshot_id).to_arrow(), ["id"]),
        )


def run_table_script(write, usage):
    """The entry point of a script `<dir> <expected.json>`: write(dir) makes
    the table and returns what the test is to expect of it, saved as JSON."""
    if len(sys.argv) != 3:
        sys.exit(usage)
    expected = write(sys.argv[1])
    with open(sys.argv[2], "w") as out:
        json.dump(expected, out, indent=1)
    exit(0)


def duckdb_scan(metadata_path):
    """Every row of the table at `metadata_path`, as DuckDB's iceberg_scan reads it (Arrow)."""
    con = duckdb_connect("iceberg")
    rows = con.execute(f"SELECT * FROM iceberg_scan('{metadata_path}')").arrow()
    return rows.read_all() if hasattr(rows, "read_all") else rows


def report(problems, failure, success):
    """Prints the problems under `failure` and returns 1, or `success` and 0."""
    if problems:
        print(failure + ":\n" + "\n".join(problems), file=sys.stderr)
        return 1
    print(success, file=sys.stderr)
    return 0
