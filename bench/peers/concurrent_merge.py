"""delta-rs with N = 1, 2, 4, 8 concurrent keyed writers on one table, the
workload bench/concurrent_writers_benchmark.cpp runs on lake-orm in the
same run: each process makes 50 inserts of 100 records with keys of its
own, each a merge on the key that inserts when not matched (what a keyed
insert is). delta-rs checks a losing commit against the winners and
retries when they do not conflict; a merge read the whole key range, so
a concurrent merge's new rows conflict with it and the write fails. Those
failures are counted, not retried (the writer goes on with its next
insert), as a service would see them. Prints JSON; each N is the mean of
2 runs, like the Google Benchmark side.

usage: concurrent_merge.py <data-dir>
"""
import json
import multiprocessing
import os
import shutil
import sys
import time

import deltalake
import pyarrow as pa

INSERTS = 50
ROWS = 100
SCHEMA = pa.schema([
    pa.field("id", pa.string(), nullable=False),
    pa.field("writer", pa.int64(), nullable=False),
    pa.field("seq", pa.int64(), nullable=False),
    pa.field("amount", pa.float64(), nullable=False),
    pa.field("note", pa.string(), nullable=False),
])


def writer(path, w, ready, go, results):
    committed = failed = 0
    errors = {}
    table = deltalake.DeltaTable(path)
    # Interpreter start and imports are not the workload: wait until every
    # writer is ready, as the C++ side's forked writers are at once.
    ready.put(w)
    go.wait()
    for i in range(INSERTS):
        rows = pa.Table.from_pylist([
            {"id": f"w{w}-i{i:04}-r{r:03}", "writer": w, "seq": i * ROWS + r, "amount": r * 0.25,
             "note": "concurrent"} for r in range(ROWS)
        ], schema=SCHEMA)
        try:
            table.update_incremental()
            (table.merge(source=rows, predicate="t.id = s.id", source_alias="s", target_alias="t")
             .when_not_matched_insert_all().execute())
            committed += 1
        except Exception as error:  # delta-rs raises CommitFailedError and others
            failed += 1
            kind = type(error).__name__
            errors[kind] = errors.get(kind, 0) + 1
    results.put((committed, failed, errors, time.perf_counter()))


def run(data, writers, iteration):
    path = os.path.join(data, "concurrent-delta-rs", f"n{writers}-{iteration}")
    shutil.rmtree(path, ignore_errors=True)
    deltalake.write_deltalake(path, SCHEMA.empty_table())
    ready, results, go = multiprocessing.Queue(), multiprocessing.Queue(), multiprocessing.Event()
    processes = [multiprocessing.Process(target=writer, args=(path, w, ready, go, results)) for w in range(writers)]
    for p in processes:
        p.start()
    for _ in processes:
        ready.get(timeout=120)
    started = time.perf_counter()  # perf_counter is system-wide on Linux (CLOCK_MONOTONIC)
    go.set()
    for p in processes:
        p.join()
    outcomes = []
    for p in processes:
        if p.exitcode != 0:
            sys.exit(f"a delta-rs writer died (exit code {p.exitcode})")
        outcomes.append(results.get())
    seconds = max(o[3] for o in outcomes) - started
    committed = sum(o[0] for o in outcomes)
    failed = sum(o[1] for o in outcomes)
    errors = {}
    for o in outcomes:
        for kind, count in o[2].items():
            errors[kind] = errors.get(kind, 0) + count
    rows = deltalake.DeltaTable(path).to_pyarrow_table(columns=["id"]).num_rows
    assert rows == committed * ROWS, (rows, committed)
    return seconds, committed, failed, errors


def main(data):
    results = {"deltalake": deltalake.__version__, "inserts_per_writer": INSERTS, "rows_per_insert": ROWS}
    for writers in (1, 2, 4, 8):
        runs = [run(data, writers, i) for i in range(2)]
        seconds = sum(r[0] for r in runs) / len(runs)
        committed = sum(r[1] for r in runs) / len(runs)
        failed = sum(r[2] for r in runs) / len(runs)
        errors = {}
        for r in runs:
            for kind, count in r[3].items():
                errors[kind] = errors.get(kind, 0) + count / len(runs)
        results[f"writers_{writers}"] = {
            "seconds": seconds,
            "commits_per_s": committed / seconds,
            "rows_per_s": committed * ROWS / seconds,
            "failed": failed,
            "failed_share": failed / (writers * INSERTS),
            "errors": errors,
        }
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    # delta-rs runs a tokio runtime, which a forked child cannot use.
    multiprocessing.set_start_method("spawn")
    main(sys.argv[1])
