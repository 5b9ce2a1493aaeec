"""PySpark Connect doing what bench/spark_benchmark.cpp does, on the same
Spark Connect server in the same run (bench/run): the same 8-column rows
(plus an _ingest_id column, as lake-orm's tables have), 1M and 10M of them,
inserted into a new Delta table two ways:

  - direct: spark.createDataFrame(<pyarrow table>) (a local relation, sent
    as a cached artifact at these sizes) and one INSERT (insertInto);
  - staged: the rows written as ZSTD Parquet files with pyarrow on the disk
    the server reads, then one INSERT ... SELECT FROM parquet.`<dir>`.

Each figure is timed from the rows in memory to the commit, as the C++ side
is, after the same untimed warm-up. Prints one JSON object with the mean seconds per case.

  pyspark_connect_peers.py DATA_DIR SPARK_CONNECT_DIR

LAKE_BENCH_SPARK_ROWS replaces the row counts with one smaller count.
"""
import json
import os
import shutil
import statistics
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pyspark.sql import SparkSession

COUNTRIES = ["UK", "FR", "DE", "ES", "IT", "NL", "SE", "PL"]
PART_ROWS = 2_000_000  # ~ lake-orm's 128 MiB staged parts for this record


def events(rows: int) -> pa.Table:
    """The rows bench/spark_benchmark.cpp builds, as Arrow (built outside the timing)."""
    i = np.arange(rows, dtype=np.int64)
    return pa.table(
        {
            "id": pa.array(i),
            "user": pa.array(np.char.add("user-", (i % 100_000).astype(str))),
            "country": pc.take(pa.array(COUNTRIES), pa.array(i % 8)),
            "amount": pa.array((i % 10_000) / 100.0),
            "quantity": pa.array((i % 50).astype(np.int32)),
            "flagged": pa.array(i % 97 == 0),
            "at": pa.array((1_700_000_000 + i) * 1_000_000, pa.timestamp("us", tz="UTC")),
            "note": pc.if_else(pa.array(i % 3 == 0), pa.scalar(None, pa.string()), pa.scalar("ok")),
            "_ingest_id": pa.repeat(pa.scalar(str(uuid.uuid4())), rows),
        }
    )


def server_settings(server_dir: Path) -> dict:
    values = {}
    for line in (server_dir / "env").read_text().splitlines():
        key, _, value = line.partition("=")
        values[key] = value
    return values


def main() -> None:
    data, server_dir = Path(sys.argv[1]), Path(sys.argv[2])
    settings = server_settings(server_dir)
    port = settings["LAKE_SPARK_CONNECT_URL"].split(":")[2].split("/")[0]
    # PySpark 4.0 sends a `token` only over TLS, and the local server is
    # plaintext: the bearer token goes as the authorization header itself.
    token = settings["LAKE_SPARK_CONNECT_TOKEN"]
    spark = SparkSession.builder.remote(f"sc://127.0.0.1:{port}/;authorization=Bearer {token}").getOrCreate()

    quick = int(os.environ.get("LAKE_BENCH_SPARK_ROWS") or 0)
    counts = [quick] if quick > 0 else [1_000_000, 10_000_000]
    root = data / "spark-pyspark"
    location = root / "events"
    staging = root / "_staging"
    spark.sql("CREATE DATABASE IF NOT EXISTS pyspark_bench")

    def fresh_table() -> None:
        spark.sql("DROP TABLE IF EXISTS pyspark_bench.events")
        shutil.rmtree(location, ignore_errors=True)
        spark.sql(
            "CREATE TABLE pyspark_bench.events (id BIGINT NOT NULL, user STRING NOT NULL, country STRING NOT NULL, "
            "amount DOUBLE NOT NULL, quantity INT NOT NULL, flagged BOOLEAN NOT NULL, at TIMESTAMP NOT NULL, "
            f"note STRING, _ingest_id STRING NOT NULL) USING delta LOCATION '{location}'"
        )

    def direct(table: pa.Table) -> None:
        spark.createDataFrame(table).write.insertInto("pyspark_bench.events")

    def staged(table: pa.Table) -> None:
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir(parents=True)
        for part, start in enumerate(range(0, table.num_rows, PART_ROWS)):
            pq.write_table(table.slice(start, PART_ROWS), staging / f"part-{part:05}.parquet", compression="zstd")
        spark.sql(f"INSERT INTO pyspark_bench.events SELECT * FROM parquet.`{staging}`")
        shutil.rmtree(staging)

    # Untimed, as on the C++ side: the server's JIT compiles the write path.
    warm = events(min(counts[0], 1_000_000))
    for write in (direct, staged):
        fresh_table()
        write(warm)

    results = {}
    for rows in counts:
        table = events(rows)
        iterations = 1 if rows >= 10_000_000 else 2
        # As on the C++ side, the fast path first at 10M rows.
        cases = [("direct", direct), ("fast_path", staged)]
        for name, write in reversed(cases) if rows >= 10_000_000 else cases:
            seconds = []
            try:
                for _ in range(iterations):
                    fresh_table()
                    started = time.perf_counter()
                    write(table)
                    seconds.append(time.perf_counter() - started)
                    landed = spark.table("pyspark_bench.events").count()
                    if landed != rows:
                        raise RuntimeError(f"{landed} rows landed, not {rows}")
            except Exception as error:  # one case failing (the server's heap) must not hide the others
                results[f"{name}/{rows}"] = {"error": str(error).splitlines()[0][:300]}
                print(f"pyspark {name} {rows} rows: failed: {results[f'{name}/{rows}']['error']}", file=sys.stderr)
                continue
            results[f"{name}/{rows}"] = {"seconds": statistics.mean(seconds), "iterations": iterations,
                                         "rows_per_s": rows / statistics.mean(seconds)}
            print(f"pyspark {name} {rows} rows: {statistics.mean(seconds):.2f} s", file=sys.stderr)
    spark.stop()
    print(json.dumps({"pyspark_connect": results, "pyspark": __import__("pyspark").__version__}, indent=2))


if __name__ == "__main__":
    main()
