"""delta-rs on the same data as bench/delta_benchmark.cpp, in the same run:
appending the 8-column input (events.arrow, written by the C++ benchmark),
deleting 1 % of it (copy-on-write: delta-rs writes no deletion vectors)
and opening the 10,000-commit table lake-orm wrote. Prints JSON. Like
Google Benchmark on the C++ side, each figure is the mean of its runs.

usage: delta_rs_bench.py <data-dir>
"""
import json
import os
import shutil
import sys
import time

import deltalake
import pyarrow.ipc as ipc

data = sys.argv[1]
rows = ipc.open_file(os.path.join(data, "events.arrow")).read_all()
results = {"rows": rows.num_rows}

times = []
for _ in range(2):
    target = os.path.join(data, "append-delta-rs")
    shutil.rmtree(target, ignore_errors=True)
    start = time.perf_counter()
    deltalake.write_deltalake(target, rows, mode="append")
    times.append(time.perf_counter() - start)
results["append_s"] = sum(times) / len(times)
results["append_rows_per_s"] = rows.num_rows / results["append_s"]

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
