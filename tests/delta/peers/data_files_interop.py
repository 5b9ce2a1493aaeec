"""Data-file interop between lake-orm and independent Delta implementations.

usage:
  data_files_interop.py read-ours <table-dir> <expected.arrow>
      The table was written by lake-orm (data files and one commit). Reads it
      with delta-rs and with DuckDB's delta extension, compares the rows with
      <expected.arrow> (an Arrow IPC file of what was written), and checks
      that delta-rs parses our per-file stats to the values we wrote.
  data_files_interop.py write-delta-rs <table-dir> <expected.arrow>
      Writes a partitioned table with delta-rs (timestamps, dates, decimals,
      nested types, a NULL partition) and the rows it holds to
      <expected.arrow>, for lake-orm to read back.

Exits non-zero, printing the first difference, when anything disagrees.
"""
import datetime
import decimal
import json
import math
import os
import sys

import deltalake
import pyarrow as pa
import pyarrow.ipc

import peer_exit

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "tools"))
from peers_smoke import duckdb_connect  # noqa: E402

UTC = datetime.timezone.utc


def normalize(value):
    """A comparable form of one value, whatever engine produced it."""
    if isinstance(value, datetime.datetime):
        value = value if value.tzinfo else value.replace(tzinfo=UTC)
        return ("timestamp", value.astimezone(UTC).isoformat())
    if isinstance(value, decimal.Decimal):
        return ("decimal", str(value.normalize()) if value != 0 else "0")
    if isinstance(value, float) and math.isnan(value):
        return ("float", "NaN")
    if isinstance(value, dict):
        return tuple(sorted((k, normalize(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(normalize(v) for v in value)
    if isinstance(value, bytes):
        return ("bytes", value.hex())
    return value


def rows_of(table):
    rows = [{k: normalize(v) for k, v in row.items()} for row in table.to_pylist()]
    return sorted(rows, key=lambda r: r["id"])


def compare(what, actual, expected):
    if len(actual) != len(expected):
        sys.exit(f"{what}: {len(actual)} rows, expected {len(expected)}")
    for a, e in zip(actual, expected):
        if set(a) != set(e):
            sys.exit(f"{what}: columns {sorted(a)} != expected {sorted(e)}")
        for column in e:
            if a[column] != e[column]:
                sys.exit(f"{what}: row id={e['id']} column {column}: {a[column]!r} != expected {e[column]!r}")
    print(f"{what}: {len(actual)} rows match")


def read_expected(path):
    with pa.ipc.open_file(path) as reader:
        return reader.read_all()


def commit_adds(table_dir):
    adds = {}
    with open(os.path.join(table_dir, "_delta_log", "00000000000000000000.json")) as log:
        for line in log:
            action = json.loads(line)
            if "add" in action:
                adds[action["add"]["path"]] = action["add"]
    return adds


def stat_at(stats, path):
    node = stats
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def as_typed(value, like):
    """Our stats JSON value in the type delta-rs parsed its copy into."""
    if value is None:
        return None
    if isinstance(like, datetime.datetime):
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(like, datetime.date):
        return datetime.date.fromisoformat(value)
    if isinstance(like, float):
        return float(value)
    if isinstance(like, decimal.Decimal):
        return decimal.Decimal(value)
    return value


def check_stats(table_dir):
    """delta-rs must parse every bound we wrote to the same value."""
    ours = commit_adds(table_dir)
    actions = pa.table(deltalake.DeltaTable(table_dir).get_add_actions(flatten=True)).to_pylist()
    if len(actions) != len(ours):
        sys.exit(f"stats: delta-rs lists {len(actions)} files, our commit has {len(ours)}")
    checked = 0
    for action in actions:
        add = ours.get(action["path"])
        if add is None:
            sys.exit(f"stats: delta-rs lists {action['path']}, which our commit does not add")
        stats = json.loads(add["stats"], parse_float=decimal.Decimal)
        if action["num_records"] != stats["numRecords"]:
            sys.exit(f"stats: {action['path']}: numRecords {action['num_records']} != ours {stats['numRecords']}")
        for column, parsed in action.items():
            kind, _, dotted = column.partition(".")
            if kind not in ("min", "max", "null_count"):
                continue
            key = {"min": "minValues", "max": "maxValues", "null_count": "nullCount"}[kind]
            mine = stat_at(stats.get(key, {}), dotted.split("."))
            mine = as_typed(mine, parsed) if kind != "null_count" else mine
            if parsed is None and kind == "null_count" and mine is not None:
                continue  # delta-rs keeps no null counts for lists and maps
            if normalize(parsed) != normalize(mine):
                sys.exit(f"stats: {action['path']}: {column} parsed by delta-rs as {parsed!r}, ours is {mine!r}")
            checked += mine is not None
    if checked == 0:
        sys.exit("stats: delta-rs parsed none of our stats")
    print(f"stats: delta-rs parsed {checked} values, all equal to ours")


def read_ours(table_dir, expected_path):
    expected = rows_of(read_expected(expected_path))
    compare("delta-rs", rows_of(deltalake.DeltaTable(table_dir).to_pyarrow_table()), expected)
    con = duckdb_connect("delta")
    duck = con.execute("SELECT * FROM delta_scan(?)", [table_dir]).to_arrow_table()
    compare("duckdb delta_scan", rows_of(duck), expected)
    check_stats(table_dir)


def write_delta_rs(table_dir, expected_path):
    def batch(first, count):
        ids = list(range(first, first + count))
        regions = ["north", "a b/c=d%", None, "south"]
        return pa.table({
            "id": pa.array(ids, pa.int64()),
            "name": pa.array([None if i % 7 == 0 else f"name-{i}" + "x" * (i % 40) for i in ids]),
            "amount": pa.array([None if i % 5 == 0 else decimal.Decimal(i * 137 - 5000).scaleb(-2) for i in ids],
                               pa.decimal128(12, 2)),
            "at": pa.array([None if i % 6 == 0 else datetime.datetime(2024, 1, 1, tzinfo=UTC)
                            + datetime.timedelta(microseconds=i * 1_234_567) for i in ids],
                           pa.timestamp("us", tz="UTC")),
            "day": pa.array([datetime.date(2024, 1, 1) + datetime.timedelta(days=i % 3) for i in ids], pa.date32()),
            "region": pa.array([regions[i % 4] for i in ids]),
            "score": pa.array([float("nan") if i % 13 == 0 else None if i % 9 == 0 else i * 0.5 for i in ids],
                              pa.float64()),
            "flag": pa.array([None if i % 4 == 0 else i % 2 == 0 for i in ids]),
            "tags": pa.array([[f"t{t}" for t in range(i % 3)] for i in ids], pa.list_(pa.string())),
            "address": pa.array([None if i % 8 == 0 else {"city": f"city{i % 5}", "zip": i} for i in ids],
                                pa.struct([("city", pa.string()), ("zip", pa.int32())])),
        })

    first, second = batch(0, 300), batch(300, 200)
    deltalake.write_deltalake(table_dir, first, partition_by=["day", "region"])
    deltalake.write_deltalake(table_dir, second, partition_by=["day", "region"], mode="append")
    expected = pa.concat_tables([first, second])
    with pa.OSFile(expected_path, "wb") as sink, pa.ipc.new_file(sink, expected.schema) as writer:
        writer.write_table(expected)
    print(f"delta-rs wrote {expected.num_rows} rows in {len(deltalake.DeltaTable(table_dir).file_uris())} files")


if __name__ == "__main__":
    command, table_dir, expected_path = sys.argv[1:4]
    peer_exit.exit({"read-ours": read_ours, "write-delta-rs": write_delta_rs}[command](table_dir, expected_path) or 0)
