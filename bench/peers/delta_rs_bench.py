"""delta-rs on the same data as bench/delta_benchmark.cpp, in the same run:
appending the 8-column input (events.arrow, written by the C++ benchmark)
with delta-rs's default codec and with ZSTD (ours), pyarrow writing the
same rows as one ZSTD Parquet file (the encoding alone, no table format),
deleting 1 % of it (copy-on-write: delta-rs writes no deletion vectors)
and opening the 10,000-commit table lake-orm wrote. Prints JSON. Like
Google Benchmark on the C++ side, each figure is the mean of its runs.

usage: delta_rs_bench.py <data-dir> [append]
(`append`: the appends and pyarrow only, for a run of
`delta_benchmark --benchmark_filter=DeltaAppend`.)
"""
import json
import os
import shutil
import sys
import time

import deltalake
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

data = sys.argv[1]
append_only = sys.argv[2:] == ["append"]
rows = ipc.open_file(os.path.join(data, "events.arrow")).read_all()
results = {"rows": rows.num_rows}


def mean_seconds(run, rounds=2):
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return sum(times) / len(times)


def append(writer_properties=None):
    target = os.path.join(data, "append-delta-rs")
    shutil.rmtree(target, ignore_errors=True)
    deltalake.write_deltalake(target, rows, mode="append", writer_properties=writer_properties)


results["append_s"] = mean_seconds(append)
results["append_rows_per_s"] = rows.num_rows / results["append_s"]
results["append_zstd_s"] = mean_seconds(
    lambda: append(deltalake.WriterProperties(compression="ZSTD", compression_level=3)))
results["pyarrow_write_table_zstd_s"] = mean_seconds(
    lambda: pq.write_table(rows, os.path.join(data, "pyarrow.zstd.parquet"), compression="zstd"))
if append_only:
    print(json.dumps(results, indent=2))
    sys.exit(0)
append()  # the table the deletes below work on, in delta-rs's default codec

# The next 1 % each time (every 100th id), on the table just appended:
# delta-rs deletes copy-on-write.
times = []
target = os.path.join(data, "append-delta-rs")
for round in range(2):
    table = deltalake.DeltaTable(target)
    start = time.perf_counter()
    metrics = table.delete(f"id % 100 = {round}")
    times.append(time.perf_counter() - start)
    assert metrics["num_deleted_rows"] == rows.num_rows // 100, metrics
results["delete_1_percent_ms"] = 1000 * sum(times) / len(times)

times = []
for _ in range(5):
    start = time.perf_counter()
    table = deltalake.DeltaTable(os.path.join(data, "replay"))
    times.append(time.perf_counter() - start)
    assert table.version() == 10_000, table.version()
results["open_10k_commits_ms"] = 1000 * sum(times) / len(times)
results["deltalake"] = deltalake.__version__
print(json.dumps(results, indent=2))
