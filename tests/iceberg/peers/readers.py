"""What the Iceberg peer scripts share: their imports' paths, DuckDB's
iceberg_scan of a metadata file, and the report at the end."""
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "delta", "peers"))
sys.path.insert(0, os.path.join(here, "..", "..", "..", "tools"))
import table_rows  # noqa: E402,F401  (re-exported for the scripts)
from peer_exit import exit  # noqa: E402,F401
from peers_smoke import duckdb_connect  # noqa: E402


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
