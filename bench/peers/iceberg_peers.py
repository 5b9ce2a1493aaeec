"""pyiceberg and DuckDB's iceberg extension on the data
bench/iceberg_benchmark.cpp left under <data>/iceberg, in the same run: an
append of the same 10M rows (appended.arrow) into a new table, a full scan
of `readings` (1M rows, 1,000 files) to Arrow and a point lookup on it (by
metadata file: pyiceberg's StaticTable, DuckDB's iceberg_scan), an upsert
of the same 1 % of `accounts` (pyiceberg's Table.upsert, through a SQLite
catalog the table is registered in), 1,000 appends of 10 rows, and opening
`many_snapshots` (10,000 snapshots) to count its rows. Prints JSON; each
figure is the mean of its runs, like Google Benchmark's. A pyiceberg run
that has not finished after LAKE_BENCH_PEER_TIMEOUT seconds (default 900)
is stopped and reported as such.

usage: iceberg_peers.py <data-dir>
"""
import glob
import json
import os
import shutil
import signal
import sys
import time

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc
import pyiceberg
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.expressions import EqualTo
from pyiceberg.table import StaticTable

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
from peers_smoke import duckdb_connect  # noqa: E402

root = os.path.join(sys.argv[1], "iceberg")
work = os.path.join(root, "pyiceberg")
shutil.rmtree(work, ignore_errors=True)
os.makedirs(work)
timeout = int(os.environ.get("LAKE_BENCH_PEER_TIMEOUT") or 900)
results = {"pyiceberg": pyiceberg.__version__}


class TimedOut(Exception):
    pass


def timed(runs, fn):
    """Mean milliseconds of `runs` calls; None when one ran past the timeout."""
    def expire(*_):
        raise TimedOut()
    signal.signal(signal.SIGALRM, expire)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        signal.alarm(timeout)
        try:
            fn()
        except TimedOut:
            return None
        finally:
            signal.alarm(0)
        times.append(time.perf_counter() - start)
    return 1000 * sum(times) / len(times)


def metadata(table):
    files = glob.glob(os.path.join(root, table, "metadata", "v*.metadata.json"))
    return max(files, key=lambda f: int(os.path.basename(f)[1:].split(".")[0]))


catalog = SqlCatalog("bench", uri=f"sqlite:///{work}/catalog.db", warehouse=f"file://{work}")
catalog.create_namespace("bench")
con = duckdb_connect("iceberg")

# Append the same 10M rows as one commit.
with ipc.open_file(os.path.join(root, "appended.arrow")) as reader:
    rows = reader.read_all()
appended = catalog.create_table(("bench", "appended"), schema=rows.schema)
results["append_10m_ms"] = {"pyiceberg": timed(1, lambda: appended.append(rows))}
results["append_rows"] = rows.num_rows
del rows

# Full scan and point lookup of readings, by metadata file.
readings = metadata("readings")


def pyiceberg_scan():
    assert StaticTable.from_metadata(readings).scan().to_arrow().num_rows == 1_000_000


def duckdb_scan():
    assert con.execute(f"SELECT * FROM iceberg_scan('{readings}')").to_arrow_table().num_rows == 1_000_000


results["full_scan_ms"] = {"pyiceberg": timed(5, pyiceberg_scan), "duckdb": timed(5, duckdb_scan)}

keys = [(k * 7_919) % 1_000_000 for k in range(1, 51)]


def pyiceberg_lookup():
    for key in keys:
        assert StaticTable.from_metadata(readings).scan(row_filter=EqualTo("seq", key)).to_arrow().num_rows == 1


def duckdb_lookup():
    for key in keys:
        assert con.execute(f"SELECT * FROM iceberg_scan('{readings}') WHERE seq = ?", [key]).to_arrow_table().num_rows == 1


def per_key(total_ms):
    """The mean of one lookup; None stays None (the peer timed out)."""
    return None if total_ms is None else total_ms / len(keys)


results["point_lookup_ms"] = {"pyiceberg": per_key(timed(1, pyiceberg_lookup)),
                              "duckdb": per_key(timed(1, duckdb_lookup))}

# Upsert every 100th id of accounts: the table registered in the catalog
# (the C++ side is done with it), pyiceberg's upsert joining on id.
accounts = catalog.register_table(("bench", "accounts"), metadata("accounts"))
total = accounts.scan(selected_fields=("id",)).to_arrow().num_rows
# From offset 50 (the C++ side took 0, 1, ...): rows of every file change.
ids = pa.array(range(50, total, 100), pa.int64())
target = accounts.schema().as_arrow()
source = pa.table({"id": ids, "owner": pa.array(["changed"] * len(ids)), "balance": pc.negate(ids),
                   "_ingest_id": pa.array(["01900000-0000-7000-8000-000000000000"] * len(ids))})
source = source.select(target.names).cast(target)
results["upsert_1pct_ms"] = {"pyiceberg": timed(1, lambda: accounts.upsert(source, join_cols=["id"]))}
results["upsert_rows"] = {"total": total, "changed": len(ids)}

# 1,000 appends of 10 rows.
batch = pa.table({"seq": pa.array(range(10), pa.int64()), "name": pa.array(["small"] * 10),
                  "value": pa.array([1.0] * 10)})
small = catalog.create_table(("bench", "small"), schema=batch.schema)


def small_appends():
    for _ in range(1000):
        small.append(batch)


results["small_inserts_1000_ms"] = {"pyiceberg": timed(1, small_appends)}

# Open the table with 10,000 snapshots and count its rows.
many = metadata("many_snapshots")


def pyiceberg_open():
    assert StaticTable.from_metadata(many).scan().to_arrow().num_rows == 1


def duckdb_open():
    assert con.execute(f"SELECT count(*) FROM iceberg_scan('{many}')").fetchone()[0] == 1


results["open_10000_snapshots_ms"] = {"pyiceberg": timed(5, pyiceberg_open), "duckdb": timed(5, duckdb_open)}
print(json.dumps(results, indent=2))
