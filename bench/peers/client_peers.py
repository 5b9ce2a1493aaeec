"""DuckDB (its delta extension) and delta-rs on the tables
bench/client_benchmark.cpp left under <data>/client, in the same run:
a full scan of `readings` (1M rows, 1,000 files) to Arrow, a point lookup
on it, an upsert of 1 % of `accounts` (on a copy, from ids the C++ side
has not changed) and 1,000 small appends. Prints JSON; each
figure is the mean of its runs, like Google Benchmark's.

usage: client_peers.py <data-dir>
"""
import json
import os
import shutil
import sys
import time

import deltalake
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
from peers_smoke import duckdb_connect  # noqa: E402

root = os.path.join(sys.argv[1], "client")
readings = os.path.join(root, "readings")
results = {"deltalake": deltalake.__version__}


def timed(runs, fn):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1000 * sum(times) / len(times)


# Full scan to Arrow (the Python peers' typed result).
def delta_rs_scan():
    table = deltalake.DeltaTable(readings).to_pyarrow_table()
    assert table.num_rows == 1_000_000, table.num_rows


con = duckdb_connect("delta")


def duckdb_scan():
    table = con.execute(f"SELECT * FROM delta_scan('{readings}')").to_arrow_table()
    assert table.num_rows == 1_000_000, table.num_rows


results["full_scan_ms"] = {"delta-rs": timed(5, delta_rs_scan), "duckdb": timed(5, duckdb_scan)}

# Point lookup: each engine prunes by the files' min/max stats.
keys = [(k * 7_919) % 1_000_000 for k in range(1, 51)]


def delta_rs_lookup():
    for key in keys:
        dataset = deltalake.DeltaTable(readings).to_pyarrow_dataset()
        rows = dataset.to_table(filter=ds.field("seq") == key)
        assert rows.num_rows == 1


def duckdb_lookup():
    for key in keys:
        rows = con.execute(f"SELECT * FROM delta_scan('{readings}') WHERE seq = ?", [key]).to_arrow_table()
        assert rows.num_rows == 1


results["point_lookup_ms"] = {
    "delta-rs": timed(1, delta_rs_lookup) / len(keys),
    "duckdb": timed(1, duckdb_lookup) / len(keys),
}

# Upsert 1 % of accounts (every 100th id), on a copy, with delta-rs (DuckDB's
# delta extension does not write). Each run from a new offset (50, 51: the
# C++ side took 0, 1, ...), so every run changes rows of every file.
copy = os.path.join(root, "accounts-delta-rs")
shutil.rmtree(copy, ignore_errors=True)
shutil.copytree(os.path.join(root, "accounts"), copy)
total = deltalake.DeltaTable(copy).to_pyarrow_dataset().count_rows()

def upsert_source(offset):
    ids = pa.array(range(offset, total, 100), pa.int64())
    return pa.table({"id": ids, "owner": pa.array(["changed"] * len(ids)), "balance": pc.negate(ids),
                     "_ingest_id": pa.array(["01900000-0000-7000-8000-000000000000"] * len(ids))})


sources = [upsert_source(offset) for offset in (50, 51)]


def delta_rs_upsert():
    (deltalake.DeltaTable(copy)
     .merge(source=sources.pop(0), predicate="t.id = s.id", source_alias="s", target_alias="t")
     .when_matched_update_all()
     .when_not_matched_insert_all()
     .execute())


results["upsert_1pct_ms"] = {"delta-rs": timed(2, delta_rs_upsert)}
results["upsert_rows"] = {"total": total, "changed": len(range(50, total, 100))}
shutil.rmtree(copy, ignore_errors=True)

# 1,000 appends of 10 rows.
small = os.path.join(root, "small-delta-rs")
shutil.rmtree(small, ignore_errors=True)
batch = pa.table({"seq": pa.array(range(10), pa.int64()), "name": pa.array(["small"] * 10),
                  "value": pa.array([1.0] * 10)})


def delta_rs_small_inserts():
    for _ in range(1000):
        deltalake.write_deltalake(small, batch, mode="append")


results["small_inserts_1000_ms"] = {"delta-rs": timed(1, delta_rs_small_inserts)}
shutil.rmtree(small, ignore_errors=True)
print(json.dumps(results, indent=2))
sys.stdout.flush()
os._exit(0)  # delta-rs threads can hang interpreter shutdown (see tests/delta/peers/peer_exit.py)
