#!/usr/bin/env python3
"""One summary of a `tools/dev bench` run: for each side-by-side comparison
docs/PERFORMANCE.md states, our figure, the peer's figure and their ratio,
with the date and the machine, so README and PERFORMANCE tables come from
one run.

  bench/summarize.py RESULTS_DIR

Reads the Google Benchmark JSON (<binary>.json) and the peer scripts' JSON
that bench/run left in RESULTS_DIR, writes RESULTS_DIR/summary.json and
prints a short table. A comparison whose inputs are missing (a peer script
that did not run, a benchmark filtered out or skipped with an error, a peer
case that failed or timed out) is listed under "missing" with the reason,
never filled in. Exits 0 even then; 1 when a JSON file there cannot be
parsed (the summary is still written from the others); 2 on a wrong
command line. Standard library only: it runs with the sysroot's python3
as with the host's.
"""
import datetime
import json
import os
import sys

RATIO_MEANS = "above 1: lake-orm faster"
MIB = 1024 * 1024


def ours(binary, name, *args, metric="real_time"):
    """Our figure: the run of benchmark `name` (as registered, arguments
    excluded) whose arguments are exactly `args`, in <binary>.json. Args are
    the values only, so writer_threads:0 and 0 match alike; `metric` is
    real_time (with its time_unit) or a counter of COUNTERS."""
    return {"file": binary + ".json", "name": name, "args": tuple(args), "metric": metric}


def before(name, binary, benchmark, *args):
    """A figure of our own as the baseline: the way lake-orm did the same
    work before a change, run beside it (`name` says which way)."""
    return {"name": name, "file": binary + ".json", "ours": ours(binary, benchmark, *args)}


def peer(name, script_json, *keys, unit):
    """The peer's figure: the value at `keys` in <script_json>.json, in `unit`."""
    return {"name": name, "file": script_json + ".json", "keys": keys, "unit": unit}


# Every comparison: (what is compared, our figure, the peer's figure). The
# benchmark names and peer keys are those of bench/*.cpp and bench/peers/*.py;
# where our benchmark takes a thread count, 0 (every core, the default) is the
# headline figure and 1 follows as "(1 thread)".
COMPARISONS = [
    # --- Delta (delta_benchmark.cpp; delta_rs_bench.py on the same events.arrow) ---
    # Appending 10M rows as ZSTD Parquet with stats in one commit; delta-rs with our codec.
    ("Delta append, 10M rows", ours("delta_benchmark", "BM_DeltaAppend", "0"),
     peer("delta-rs write_deltalake, ZSTD 3", "delta_rs", "append_zstd_s", unit="s")),
    # The same, our encoding on the appending thread only.
    ("Delta append, 10M rows (1 thread)", ours("delta_benchmark", "BM_DeltaAppend", "1"),
     peer("delta-rs write_deltalake, ZSTD 3", "delta_rs", "append_zstd_s", unit="s")),
    # The append against delta-rs's default (faster, larger) Snappy.
    ("Delta append, 10M rows", ours("delta_benchmark", "BM_DeltaAppend", "0"),
     peer("delta-rs write_deltalake, Snappy", "delta_rs", "append_s", unit="s")),
    ("Delta append, 10M rows (1 thread)", ours("delta_benchmark", "BM_DeltaAppend", "1"),
     peer("delta-rs write_deltalake, Snappy", "delta_rs", "append_s", unit="s")),
    # The append against pyarrow encoding the same rows as one ZSTD file: no stats, no table.
    ("Delta append, 10M rows", ours("delta_benchmark", "BM_DeltaAppend", "0"),
     peer("pyarrow write_table, ZSTD", "delta_rs", "pyarrow_write_table_zstd_s", unit="s")),
    ("Delta append, 10M rows (1 thread)", ours("delta_benchmark", "BM_DeltaAppend", "1"),
     peer("pyarrow write_table, ZSTD", "delta_rs", "pyarrow_write_table_zstd_s", unit="s")),
    # Deleting every 100th id with deletion vectors (merge-on-read); delta-rs rewrites (it has no vectors).
    ("Delta delete 1 %, deletion vectors", ours("delta_benchmark", "BM_DeltaDelete1Percent", "1"),
     peer("delta-rs delete (copy-on-write)", "delta_rs", "delete_1_percent_ms", unit="ms")),
    # The same delete, both sides copy-on-write.
    ("Delta delete 1 %, copy-on-write", ours("delta_benchmark", "BM_DeltaDelete1Percent", "0"),
     peer("delta-rs delete (copy-on-write)", "delta_rs", "delete_1_percent_ms", unit="ms")),
    # Opening the 10,000-commit table (a checkpoint every 100) lake-orm wrote.
    ("Delta open, 10,000 commits", ours("delta_benchmark", "BM_DeltaOpen10kCommits"),
     peer("delta-rs DeltaTable()", "delta_rs", "open_10k_commits_ms", unit="ms")),

    # --- Client on Delta (client_benchmark.cpp; client_peers.py on the same tables) ---
    # Full scan of readings (1M rows, 1,000 files): ours into typed records, the peers into Arrow.
    ("Client full scan, 1M rows / 1,000 files", ours("client_benchmark", "BM_FullScanTyped", "0"),
     peer("DuckDB delta_scan", "client_peers", "full_scan_ms", "duckdb", unit="ms")),
    # The same scan with the engine on one thread.
    ("Client full scan, 1M rows / 1,000 files (1 thread)", ours("client_benchmark", "BM_FullScanTyped", "1"),
     peer("DuckDB delta_scan", "client_peers", "full_scan_ms", "duckdb", unit="ms")),
    ("Client full scan, 1M rows / 1,000 files", ours("client_benchmark", "BM_FullScanTyped", "0"),
     peer("delta-rs to_pyarrow_table", "client_peers", "full_scan_ms", "delta-rs", unit="ms")),
    ("Client full scan, 1M rows / 1,000 files (1 thread)", ours("client_benchmark", "BM_FullScanTyped", "1"),
     peer("delta-rs to_pyarrow_table", "client_peers", "full_scan_ms", "delta-rs", unit="ms")),
    # Point lookup WHERE seq = ? on readings, the mean of 50 keys.
    ("Client point lookup, 1,000 files", ours("client_benchmark", "BM_PointLookup1000Files"),
     peer("DuckDB delta_scan", "client_peers", "point_lookup_ms", "duckdb", unit="ms")),
    ("Client point lookup, 1,000 files", ours("client_benchmark", "BM_PointLookup1000Files"),
     peer("delta-rs to_pyarrow_dataset", "client_peers", "point_lookup_ms", "delta-rs", unit="ms")),
    # Upsert of every 100th id of the 10M-row accounts (every file rewritten); DuckDB does not write.
    ("Client upsert 1 % of 10M rows", ours("client_benchmark", "BM_Upsert1PercentOf10M", "0"),
     peer("delta-rs merge", "client_peers", "upsert_1pct_ms", "delta-rs", unit="ms")),
    # The same upsert with the files rewritten on one writer thread.
    ("Client upsert 1 % of 10M rows (1 thread)", ours("client_benchmark", "BM_Upsert1PercentOf10M", "1"),
     peer("delta-rs merge", "client_peers", "upsert_1pct_ms", "delta-rs", unit="ms")),
    # 1,000 inserts of 10 rows, one commit each.
    ("Client 1,000 inserts of 10 rows", ours("client_benchmark", "BM_1000SmallInserts"),
     peer("delta-rs write_deltalake", "client_peers", "small_inserts_1000_ms", "delta-rs", unit="ms")),
    # A 10M-row insert on the object-storage path, streamed into the table's files,
    # against staging Parquet parts first and encoding them again (insert_raw + commit).
    ("Client staged insert, 10M rows", ours("client_benchmark", "BM_StagedInsert10M", "1"),
     before("lake-orm, parts staged then encoded again", "client_benchmark", "BM_StagedInsert10M", "0")),

    # --- Client on Iceberg (iceberg_benchmark.cpp; iceberg_peers.py on the same tables and rows);
    # these benchmarks take no thread count ---
    # Appending 10M rows in one commit: ours from typed records, pyiceberg from Arrow.
    ("Iceberg append, 10M rows", ours("iceberg_benchmark", "BM_Append10MRows"),
     peer("pyiceberg Table.append", "iceberg_peers", "append_10m_ms", "pyiceberg", unit="ms")),
    # Full scan of readings (1M rows, 1,000 files), by metadata file on the peers' side.
    ("Iceberg full scan, 1M rows / 1,000 files", ours("iceberg_benchmark", "BM_FullScanTyped"),
     peer("pyiceberg StaticTable scan", "iceberg_peers", "full_scan_ms", "pyiceberg", unit="ms")),
    ("Iceberg full scan, 1M rows / 1,000 files", ours("iceberg_benchmark", "BM_FullScanTyped"),
     peer("DuckDB iceberg_scan", "iceberg_peers", "full_scan_ms", "duckdb", unit="ms")),
    # Point lookup on readings, the mean of 50 keys.
    ("Iceberg point lookup, 1,000 files", ours("iceberg_benchmark", "BM_PointLookup1000Files"),
     peer("pyiceberg StaticTable scan", "iceberg_peers", "point_lookup_ms", "pyiceberg", unit="ms")),
    ("Iceberg point lookup, 1,000 files", ours("iceberg_benchmark", "BM_PointLookup1000Files"),
     peer("DuckDB iceberg_scan", "iceberg_peers", "point_lookup_ms", "duckdb", unit="ms")),
    # Upsert of every 100th id of the 10M-row accounts.
    ("Iceberg upsert 1 % of 10M rows", ours("iceberg_benchmark", "BM_Upsert1PercentOf10M"),
     peer("pyiceberg Table.upsert", "iceberg_peers", "upsert_1pct_ms", "pyiceberg", unit="ms")),
    # 1,000 appends of 10 rows, one commit each.
    ("Iceberg 1,000 appends of 10 rows", ours("iceberg_benchmark", "BM_1000SmallInserts"),
     peer("pyiceberg Table.append", "iceberg_peers", "small_inserts_1000_ms", "pyiceberg", unit="ms")),
    # Opening a table with 10,000 snapshots and counting its rows.
    ("Iceberg open 10,000 snapshots", ours("iceberg_benchmark", "BM_Open10000Snapshots"),
     peer("pyiceberg StaticTable", "iceberg_peers", "open_10000_snapshots_ms", "pyiceberg", unit="ms")),
    ("Iceberg open 10,000 snapshots", ours("iceberg_benchmark", "BM_Open10000Snapshots"),
     peer("DuckDB iceberg_scan", "iceberg_peers", "open_10000_snapshots_ms", "duckdb", unit="ms")),

    # --- Object storage on the run's MinIO (s3_benchmark.cpp; s3_peers.py) ---
    # 256 MiB written 1 MiB at a time, a multipart upload with 4 parts in flight (our default).
    ("S3 upload 256 MiB", ours("s3_benchmark", "BM_Upload", "1", "4", metric="bytes_per_second"),
     peer("pyarrow S3FileSystem", "s3_peers", "pyarrow_upload_mib_per_s", unit="MiB/s")),
    # The same upload one part at a time (in_flight is our parts in flight, the analogue of 1 thread).
    ("S3 upload 256 MiB (1 part in flight)", ours("s3_benchmark", "BM_Upload", "1", "1", metric="bytes_per_second"),
     peer("pyarrow S3FileSystem", "s3_peers", "pyarrow_upload_mib_per_s", unit="MiB/s")),
    # Random ranged reads from the 256 MiB object, the mean time of one read.
    ("S3 ranged read 64 KiB", ours("s3_benchmark", "BM_RangedRead", "1", "65536"),
     peer("pyarrow S3FileSystem", "s3_peers", "pyarrow_ranged_read_64k_ms", unit="ms")),
    ("S3 ranged read 8 MiB", ours("s3_benchmark", "BM_RangedRead", "1", "8388608"),
     peer("pyarrow S3FileSystem", "s3_peers", "pyarrow_ranged_read_8192k_ms", unit="ms")),
    # The Delta append of events.arrow into S3 (ours ZSTD, delta-rs its default Snappy).
    ("Delta append to S3, 10M rows", ours("s3_benchmark", "BM_DeltaAppendS3"),
     peer("delta-rs write_deltalake, Snappy", "s3_peers", "delta_rs_append_s3_s", unit="s")),

    # --- Spark Connect ingest on the run's server (spark_benchmark.cpp; pyspark_connect_peers.py) ---
    # Direct: the rows as an Arrow local relation, then one INSERT (PySpark: createDataFrame + insertInto).
    ("Spark ingest direct, 1M rows", ours("spark_benchmark", "BM_SparkIngest/direct", "1000000"),
     peer("PySpark Connect", "pyspark_connect_peers", "pyspark_connect", "direct/1000000", "seconds", unit="s")),
    # Fast path: ZSTD Parquet staged by the client, then INSERT ... SELECT (PySpark: pyarrow write_table).
    ("Spark ingest fast path, 1M rows", ours("spark_benchmark", "BM_SparkIngest/fast_path", "1000000"),
     peer("PySpark Connect", "pyspark_connect_peers", "pyspark_connect", "fast_path/1000000", "seconds", unit="s")),
    ("Spark ingest fast path, 10M rows", ours("spark_benchmark", "BM_SparkIngest/fast_path", "10000000"),
     peer("PySpark Connect", "pyspark_connect_peers", "pyspark_connect", "fast_path/10000000", "seconds", unit="s")),
    # Direct at 10M rows: the server's heap has run out for both clients so far (then missing).
    ("Spark ingest direct, 10M rows", ours("spark_benchmark", "BM_SparkIngest/direct", "10000000"),
     peer("PySpark Connect", "pyspark_connect_peers", "pyspark_connect", "direct/10000000", "seconds", unit="s")),

    # --- Concurrent keyed writers on one table (concurrent_writers_benchmark.cpp; concurrent_merge.py) ---
    # Successful commits per second of N processes each making 50 keyed inserts of 100 rows
    # (ours a key-checked insert, delta-rs a merge; its conflicting merges fail and do not count).
    ("Concurrent keyed inserts, 1 writer", ours("concurrent_writers_benchmark", "BM_ConcurrentKeyedWriters", "1",
                                                metric="commits_per_s"),
     peer("delta-rs merge", "concurrent_merge", "writers_1", "commits_per_s", unit="commits/s")),
    ("Concurrent keyed inserts, 2 writers", ours("concurrent_writers_benchmark", "BM_ConcurrentKeyedWriters", "2",
                                                 metric="commits_per_s"),
     peer("delta-rs merge", "concurrent_merge", "writers_2", "commits_per_s", unit="commits/s")),
    ("Concurrent keyed inserts, 4 writers", ours("concurrent_writers_benchmark", "BM_ConcurrentKeyedWriters", "4",
                                                 metric="commits_per_s"),
     peer("delta-rs merge", "concurrent_merge", "writers_4", "commits_per_s", unit="commits/s")),
    ("Concurrent keyed inserts, 8 writers", ours("concurrent_writers_benchmark", "BM_ConcurrentKeyedWriters", "8",
                                                 metric="commits_per_s"),
     peer("delta-rs merge", "concurrent_merge", "writers_8", "commits_per_s", unit="commits/s")),
]

# Units a figure may come in -> (the unit it is compared in, factor). Times
# are compared in ms whatever each side wrote them in.
UNITS = {"ns": ("ms", 1e-6), "us": ("ms", 1e-3), "ms": ("ms", 1.0), "s": ("ms", 1000.0),
         "MiB/s": ("MiB/s", 1.0), "commits/s": ("commits/s", 1.0)}
# Google Benchmark counters we read -> (unit, factor). bytes_per_second is
# SetBytesProcessed's rate, over real time for a UseRealTime benchmark.
COUNTERS = {"bytes_per_second": ("MiB/s", 1.0 / MIB), "commits_per_s": ("commits/s", 1.0)}
# Name parts Google Benchmark appends after the arguments: not arguments.
RUN_OPTIONS = ("iterations:", "repeats:", "threads:", "min_time:", "min_warmup_time:")
TIMERS = ("real_time", "manual_time", "process_time")


class Unreadable(Exception):
    pass


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as error:
        raise Unreadable(f"{os.path.basename(path)}: {error}") from error
    if not isinstance(data, dict):
        raise Unreadable(f"{os.path.basename(path)}: not a JSON object")
    return data


def run_args(run_name, registered):
    """The argument values of `run_name` if it is a run of `registered`, else
    None: "BM_DeltaAppend/writer_threads:0/iterations:2/real_time" is a run of
    BM_DeltaAppend with ("0",)."""
    if run_name != registered and not run_name.startswith(registered + "/"):
        return None
    args = []
    for part in run_name[len(registered) + 1:].split("/"):
        if part and part not in TIMERS and not part.startswith(RUN_OPTIONS):
            args.append(part.rsplit(":", 1)[-1])
    return tuple(args)


def our_figure(spec, files):
    """(value, unit, source) or (None, reason, None)."""
    name = "/".join((spec["name"],) + spec["args"])
    data = files.get(spec["file"])
    if data is None:
        return None, f"{spec['file']} is absent (its benchmark binary was not built or not run)", None
    if isinstance(data, Unreadable):
        return None, f"{spec['file']} is unreadable", None
    runs = [b for b in data.get("benchmarks", [])
            if run_args(b.get("run_name", b.get("name", "")), spec["name"]) == spec["args"]]
    if not runs:
        return None, f"no {name} in {spec['file']} (filtered out?)", None
    for b in runs:
        if b.get("error_occurred") or b.get("skipped"):
            why = b.get("error_message") or b.get("skip_message") or "no message"
            return None, f"{b['name']} was skipped: {why}", None
    # With --benchmark_repetitions the file holds each repetition and the
    # aggregates: the mean is the figure, as a single run's mean is.
    means = [b for b in runs if b.get("run_type") == "aggregate" and b.get("aggregate_name") == "mean"]
    chosen = means or [b for b in runs if b.get("run_type", "iteration") == "iteration"]
    if not chosen:
        return None, f"no iteration or mean run of {name} in {spec['file']}", None
    values = []
    for b in chosen:
        if spec["metric"] == "real_time":
            unit, factor = UNITS.get(b.get("time_unit"), (None, None))
            raw = b.get("real_time")
        else:
            unit, factor = COUNTERS[spec["metric"]]
            raw = b.get(spec["metric"])
        if unit is None or not is_number(raw):
            return None, f"{b['name']} in {spec['file']} has no usable {spec['metric']}", None
        values.append(raw * factor)
    source = f"{spec['file']}: {chosen[0]['name']} ({spec['metric']}"
    source += f", mean of {len(values)} repetitions)" if len(values) > 1 else ")"
    return sum(values) / len(values), unit, source


def peer_figure(spec, files):
    """(value, unit, source) or (None, reason, None)."""
    path = "".join(f"[{json.dumps(k)}]" for k in spec["keys"])
    data = files.get(spec["file"])
    if data is None:
        return None, f"{spec['file']} is absent (bench/run did not run its peer script)", None
    if isinstance(data, PeerFailed):
        return None, f"{spec['file']} is absent: its peer script failed (its output: {data.name})", None
    if isinstance(data, Unreadable):
        return None, f"{spec['file']} is unreadable", None
    node = data
    for key in spec["keys"]:
        if isinstance(node, dict) and key not in node and "error" in node:
            # pyspark_connect_peers.py records a failed case as {"error": ...}.
            return None, f"{spec['file']}{path}: the peer failed: {node['error']}", None
        if not isinstance(node, dict) or key not in node:
            return None, f"{spec['file']}{path} is absent (a partial peer run?)", None
        node = node[key]
    if node is None:
        # iceberg_peers.py records a run past LAKE_BENCH_PEER_TIMEOUT as null.
        return None, f"{spec['file']}{path} is null (the peer timed out)", None
    if not is_number(node):
        return None, f"{spec['file']}{path} is not a number: {node!r}", None
    unit, factor = UNITS[spec["unit"]]
    return node * factor, unit, f"{spec['file']}: {path} ({spec['unit']})"


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


def compare(benchmark, our_spec, peer_spec, files):
    """A comparison entry, or a "missing" entry with every reason."""
    our_value, our_unit, our_source = our_figure(our_spec, files)
    peer_value, peer_unit, peer_source = (our_figure(peer_spec["ours"], files) if "ours" in peer_spec
                                          else peer_figure(peer_spec, files))
    reasons = [why for value, why in ((our_value, our_unit), (peer_value, peer_unit)) if value is None]
    if not reasons and our_unit != peer_unit:
        reasons.append(f"units differ: {our_unit} against {peer_unit}")  # a mistake in COMPARISONS
    if not reasons and (our_value <= 0 or peer_value <= 0):
        reasons.append(f"a figure is not positive (ours {our_value}, the peer's {peer_value})")
    if reasons:
        return None, {"benchmark": benchmark, "peer": peer_spec["name"], "reason": "; ".join(reasons)}
    # Times: the peer's over ours; throughputs: ours over the peer's. Either
    # way above 1 means lake-orm did better.
    ratio = peer_value / our_value if our_unit == "ms" else our_value / peer_value
    # 6 significant digits: the unit conversions leave float noise (1.723 s -> 1723.0000000000002 ms).
    return {"benchmark": benchmark,
            "ours": {"value": float(f"{our_value:.6g}"), "unit": our_unit, "source": our_source},
            "peer": {"name": peer_spec["name"], "value": float(f"{peer_value:.6g}"), "unit": peer_unit,
                     "source": peer_source},
            "ratio": round(ratio, 3),
            "ratio_means": RATIO_MEANS}, None


def run_date(contexts):
    """The earliest context.date of the benchmark JSON, in UTC, with where it
    came from; now when none has one."""
    dates = []
    for file, context in contexts:
        raw = context.get("date")
        try:
            # Google Benchmark writes local time with its offset (RFC 3339);
            # a date without one is this machine's local time.
            parsed = datetime.datetime.fromisoformat(str(raw).replace("Z", "+00:00")).astimezone()
        except ValueError:
            continue
        dates.append((parsed.astimezone(datetime.timezone.utc), file))
    if dates:
        when, file = min(dates)
        source = f"context.date of {file}" + (" (the earliest of the benchmark JSON)" if len(dates) > 1 else "")
    else:
        when, source = datetime.datetime.now(datetime.timezone.utc), "now: no benchmark JSON has a context.date"
    return when.strftime("%Y-%m-%dT%H:%M:%SZ"), source


def proc_field(path, field):
    """The value of `field:` in a /proc file, or None."""
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == field:
                    return value.strip()
    except OSError:
        pass
    return None


def machine(contexts):
    # bench/run calls this right after the benchmarks, on their machine, so
    # /proc describes the machine they ran on.
    file, context = contexts[0] if contexts else (None, {})
    out = {key: context.get(key) for key in ("host_name", "num_cpus", "mhz_per_cpu", "caches", "library_build_type")}
    out["cpu_model"] = proc_field("/proc/cpuinfo", "model name")
    mem = proc_field("/proc/meminfo", "MemTotal")  # "16314112 kB"
    kib = int(mem.split()[0]) if mem and mem.split()[0].isdigit() else None
    out["memory_total_kib"] = kib
    out["memory_total_gib"] = round(kib / MIB, 1) if kib else None
    out["sources"] = {"context": f"{file} (Google Benchmark)" if file else None,
                      "cpu_model, memory": "/proc/cpuinfo and /proc/meminfo when summarize.py ran"}
    return out


def show(value, unit):
    if value >= 100:
        text = f"{value:,.0f}"
    elif value >= 1:
        text = f"{value:.3g}" if value < 10 else f"{value:.1f}"
    else:
        text = f"{value:.3g}"
    return f"{text} {unit}"


def print_table(summary):
    m = summary["machine"]
    print(f"lake-orm benchmarks, {summary['date']}: {m['host_name'] or '?'}, {m['cpu_model'] or '?'}, "
          f"{m['num_cpus'] or '?'} CPUs, {m['memory_total_gib'] or '?'} GiB, benchmark library "
          f"{m['library_build_type'] or '?'}")
    rows = [("benchmark", "peer", "lake-orm", "peer", "ratio")]
    for c in summary["comparisons"]:
        rows.append((c["benchmark"], c["peer"]["name"], show(c["ours"]["value"], c["ours"]["unit"]),
                     show(c["peer"]["value"], c["peer"]["unit"]), f"{c['ratio']:.2f}"))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    for r in rows:
        print(f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:>{widths[2]}}  {r[3]:>{widths[3]}}  "
              f"{r[4]:>{widths[4]}}")
    print(f"ratio {RATIO_MEANS}")
    if summary["missing"]:
        print(f"missing ({len(summary['missing'])}):")
        for m in summary["missing"]:
            print(f"  {m['benchmark']} vs {m['peer']}: {m['reason']}")
    for error in summary["unreadable"]:
        print(f"unreadable: {error}")


class PeerFailed:
    """A peer script that failed: bench/run keeps its partial output as
    <name>.failed instead of <name>.json."""

    def __init__(self, name):
        self.name = name


def main(argv):
    if len(argv) != 2 or not os.path.isdir(argv[1]):
        print("usage: bench/summarize.py RESULTS_DIR", file=sys.stderr)
        return 2
    results = argv[1]
    wanted = {spec["file"] for _, o, p in COMPARISONS for spec in (o, p)}
    wanted |= {n for n in os.listdir(results) if n.endswith("_benchmark.json")}  # for their context
    files, unreadable = {}, []
    for name in sorted(wanted):
        path = os.path.join(results, name)
        if not os.path.exists(path):
            continue
        try:
            files[name] = load(path)
        except Unreadable as error:
            files[name] = error
            unreadable.append(str(error))
    for name in os.listdir(results):
        if name.endswith(".failed"):
            files[name[:-len(".failed")] + ".json"] = PeerFailed(name)
    contexts = [(name, data["context"]) for name, data in sorted(files.items())
                if name.endswith("_benchmark.json") and isinstance(data, dict)
                and isinstance(data.get("context"), dict)]
    comparisons, missing = [], []
    for benchmark, our_spec, peer_spec in COMPARISONS:
        entry, gap = compare(benchmark, our_spec, peer_spec, files)
        (comparisons if entry else missing).append(entry or gap)
    date, date_source = run_date(contexts)
    summary = {"date": date, "date_source": date_source, "machine": machine(contexts),
               "comparisons": comparisons, "missing": missing, "unreadable": unreadable}
    with open(os.path.join(results, "summary.json"), "w", encoding="utf-8") as f:
        json.dump(summary, f, indent=2)
        f.write("\n")
    print_table(summary)
    return 1 if unreadable else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
