"""delta-rs on the same data as bench/delta_benchmark.cpp, in the same run:
appending the 8-column input (events.arrow, written by the C++ benchmark)
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

times = []
for _ in range(5):
    start = time.perf_counter()
    table = deltalake.DeltaTable(os.path.join(data, "replay"))
    times.append(time.perf_counter() - start)
    assert table.version() == 10_000, table.version()
results["open_10k_commits_ms"] = 1000 * sum(times) / len(times)
results["deltalake"] = deltalake.__version__
print(json.dumps(results, indent=2))
