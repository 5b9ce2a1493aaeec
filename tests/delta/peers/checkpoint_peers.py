"""Peers for the checkpoint interop test (tests/delta/checkpoint_interop_test.cpp).

usage:
  checkpoint_peers.py write <table-dir> <expected-rows.jsonl>
      delta-rs writes a partitioned table in 12 commits and no checkpoint
      (its default interval is 100): appends with a NULL partition value,
      a delete that drops whole files and rewrites others, an overwrite of
      one partition, and an append carrying an application transaction
      (txn "lake-interop" at version 7). Saves the rows of the latest
      version, which every reader must return.
  checkpoint_peers.py read <table-dir> <expected-rows.jsonl> [--version N]
                          [--txn APP=VERSION] [--readers delta-rs,duckdb,spark]
      The readers (default: all three; DuckDB's is its delta extension,
      delta_scan) read the table, whose early commits are gone so they must
      start from the checkpoint lake-orm wrote. Each must return exactly the
      expected rows; delta-rs must also see the version and txn given.
      Exits 1 naming every reader that differs.
"""
import argparse
import datetime
import decimal
import os
import sys
import time

import deltalake
import pyarrow as pa

import peer_exit
import table_rows

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "tools"))
from peers_smoke import duckdb_connect  # noqa: E402

APP_ID = "lake-interop"
APP_VERSION = 7
SCHEMA = pa.schema([
    pa.field("id", pa.int64(), nullable=False),
    pa.field("region", pa.string()),
    pa.field("value", pa.float64()),
    pa.field("flag", pa.bool_()),
    pa.field("day", pa.date32()),
    pa.field("at", pa.timestamp("us", tz="UTC")),
    pa.field("amount", pa.decimal128(10, 2)),
    pa.field("label", pa.string()),
])
REGIONS = ["eu", "us", None]


def rows(ids, label):
    return pa.Table.from_pylist([{
        "id": i,
        "region": REGIONS[i % 3],
        "value": i / 4,
        "flag": i % 2 == 0,
        "day": datetime.date(2026, 3, 1) + datetime.timedelta(days=i),
        "at": datetime.datetime(2026, 3, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(minutes=i),
        "amount": decimal.Decimal(i * 37) / 100,
        "label": label,
    } for i in ids], schema=SCHEMA)


def write(path, expected_path):
    for commit in range(9):  # versions 0-8
        properties = None
        if commit == 5:
            properties = deltalake.CommitProperties(
                app_transactions=[deltalake.Transaction(APP_ID, APP_VERSION, int(time.time() * 1000))])
        deltalake.write_deltalake(path, rows(range(commit * 10, commit * 10 + 10), f"append-{commit}"),
                                  partition_by=["region"], mode="append", commit_properties=properties)
    table = deltalake.DeltaTable(path)
    table.delete("id < 15")  # 9: drops files of the first appends, rewrites some of the second's
    table = deltalake.DeltaTable(path)
    table.delete("region = 'us'")  # 10: whole files only
    deltalake.write_deltalake(path, rows([102, 105, 108], "overwrite-eu"), partition_by=["region"],
                              mode="overwrite", predicate="region = 'eu'")  # 11: replaces the eu partition
    table = deltalake.DeltaTable(path)
    log = os.listdir(os.path.join(path, "_delta_log"))
    if table.version() != 11 or any(".checkpoint." in name for name in log):
        sys.exit(f"expected 12 commits and no checkpoint, got version {table.version()} and {sorted(log)}")
    table_rows.save(expected_path, table_rows.canonical_rows(table.to_pyarrow_table(), ["id"]))


def read(path, expected_path, version, txn, readers):
    expected = table_rows.load(expected_path)
    failures = []

    def check(reader, actual):
        if diff := table_rows.differences(actual, expected):
            failures.append(f"{reader} reads the table differently:\n  " + "\n  ".join(diff))
        else:
            print(f"[checkpoint peers] {reader}: {len(actual)} rows as expected", file=sys.stderr)

    if "delta-rs" in readers:
        table = deltalake.DeltaTable(path)
        check("delta-rs", table_rows.canonical_rows(table.to_pyarrow_table(), ["id"]))
        if version is not None and table.version() != version:
            failures.append(f"delta-rs sees version {table.version()}, expected {version}")
        if txn and table.transaction_version(txn[0]) != txn[1]:
            failures.append(f"delta-rs sees txn {txn[0]} at {table.transaction_version(txn[0])}, expected {txn[1]}")

    if "duckdb" in readers:
        con = duckdb_connect("delta")
        con.execute("SET TimeZone = 'UTC'")
        scan = con.execute("SELECT * FROM delta_scan(?)", [path]).to_arrow_table()
        check("DuckDB delta_scan", table_rows.canonical_rows(scan, ["id"]))

    if "spark" in readers:
        import spark_delta

        started = time.monotonic()
        check("Spark", spark_delta.read_rows(spark_delta.spark_session(), path))
        print(f"[checkpoint peers] Spark took {time.monotonic() - started:.1f} s", file=sys.stderr)

    for failure in failures:
        print(failure, file=sys.stderr)
    return 1 if failures else 0


def main(argv):
    if len(argv) == 4 and argv[1] == "write":
        return write(argv[2], argv[3])
    if len(argv) < 4 or argv[1] != "read":
        sys.exit(__doc__)
    parser = argparse.ArgumentParser(prog="checkpoint_peers.py read")
    parser.add_argument("table")
    parser.add_argument("expected")
    parser.add_argument("--version", type=int)
    parser.add_argument("--txn", help="APP=VERSION")
    parser.add_argument("--readers", default="delta-rs,duckdb,spark")
    args = parser.parse_args(argv[2:])
    txn = None
    if args.txn:
        app, _, app_version = args.txn.partition("=")
        txn = (app, int(app_version))
    return read(args.table, args.expected, args.version, txn, args.readers.split(","))


if __name__ == "__main__":
    peer_exit.exit(main(sys.argv) or 0)
