"""Delta tables across implementations, row for row.

  table_interop.py check <table-dir> <expected.arrow> <engine>...
      Reads the table with each engine (deltalake, duckdb, spark) and
      compares its rows with the Arrow IPC file the C++ side wrote (what
      lake-orm itself reads from the table). Exit 1 with a diff on mismatch.

  table_interop.py check-tables (<table-dir> <expected.arrow> <engine,engine...>)...
      (an engine given as "duckdb!col" compares without column col)
      The same for several tables in one process (one Spark session for
      all of them); every table is checked before the exit status says
      whether any differed.

  table_interop.py write-deltalake <table-dir> <expected.arrow>
      delta-rs writes a partitioned table through appends, a delete, an
      update, a merge, a compaction and a checkpoint; the rows delta-rs
      then reads go to expected.arrow for the C++ side to compare with.
"""
import os
import sys
from decimal import Decimal

import pyarrow as pa
import pyarrow.ipc as ipc

import peer_exit

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "tools"))


def normalise(table):
    """Comparable form: columns by name, plain string / microsecond UTC
    timestamp types, rows sorted by every primitive column."""
    columns = {}
    for name in sorted(table.column_names):
        column = table.column(name).combine_chunks() if table.num_rows else table.column(name)
        t = column.type
        if pa.types.is_large_string(t) or pa.types.is_string_view(t):
            column = column.cast(pa.string())
        elif pa.types.is_timestamp(t):
            # A zone-less timestamp from another engine holds UTC wall time.
            column = column.cast(pa.timestamp("us", "UTC"))
        elif pa.types.is_dictionary(t):
            column = column.cast(t.value_type)
        columns[name] = column
    result = pa.table(columns)
    # (Arrow sorts by primitive columns only; the tables compared have a key among them.)
    keys = [name for name in result.column_names if not pa.types.is_nested(result.schema.field(name).type)]
    return result.sort_by([(name, "ascending") for name in keys])


def read_deltalake(path):
    import deltalake
    return deltalake.DeltaTable(path).to_pyarrow_table()


def read_duckdb(path):
    from peers_smoke import duckdb_connect
    con = duckdb_connect("delta")
    con.execute("SET TimeZone = 'UTC'")
    return con.execute("SELECT * FROM delta_scan(?)", [os.path.abspath(path)]).to_arrow_table()


def read_spark(path):
    sys.path.insert(0, os.path.dirname(__file__))
    from spark_delta import spark_session
    spark = spark_session()
    return spark.read.format("delta").load(os.path.abspath(path)).toArrow()


READERS = {"deltalake": read_deltalake, "duckdb": read_duckdb, "spark": read_spark}


def diff(expected, actual, limit=5):
    lines = []
    if expected.schema.names != actual.schema.names:
        lines.append(f"columns: expected {expected.schema.names}, got {actual.schema.names}")
        return lines
    if expected.num_rows != actual.num_rows:
        lines.append(f"rows: expected {expected.num_rows}, got {actual.num_rows}")
    e, a = expected.to_pylist(), actual.to_pylist()
    for i, (x, y) in enumerate(zip(e, a)):
        if x != y:
            lines.append(f"row {i}: expected {x}\n        got      {y}")
            if len(lines) >= limit:
                break
    return lines


def check(path, expected_file, engines):
    everything = ipc.open_file(expected_file).read_all()
    failed = False
    for spec in engines:
        # "engine!a!b": the engine is known to misread columns a and b, which
        # are left out of its comparison (the caller says why).
        engine, *skipped = spec.split("!")
        expected = normalise(everything.select([n for n in everything.column_names if n not in skipped]))
        actual = READERS[engine](path)
        actual = normalise(actual.select([n for n in expected.column_names if n in actual.column_names]))
        actual = actual.cast(expected.schema) if actual.schema != expected.schema else actual
        problems = diff(expected, actual)
        if problems:
            failed = True
            print(f"{engine}: table differs from lake-orm's reading", file=sys.stderr)
            for p in problems:
                print("  " + p, file=sys.stderr)
        else:
            print(f"{engine}: {actual.num_rows} rows identical")
    return 1 if failed else 0


def sample(first, count):
    countries = ["NL", "DE", "FR", None]
    return pa.table({
        "id": pa.array(range(first, first + count), pa.int64()),
        "country": pa.array([countries[i % 4] for i in range(first, first + count)], pa.string()),
        "amount": pa.array([i % 100 for i in range(first, first + count)], pa.int32()),
        "price": pa.array([Decimal(i) / 100 for i in range(first, first + count)], pa.decimal128(10, 2)),
        "note": pa.array([None if i % 3 else f"note {i}" for i in range(first, first + count)], pa.string()),
        "day": pa.array([19000 + i % 30 for i in range(first, first + count)], pa.date32()),
        "at": pa.array([1_700_000_000_000_000 + i * 1_000_003 for i in range(first, first + count)],
                       pa.timestamp("us", "UTC")),
    })


def write_deltalake(path, expected_file):
    import deltalake
    for i in range(4):
        deltalake.write_deltalake(path, sample(i * 50, 50), mode="append", partition_by=["country"])
    table = deltalake.DeltaTable(path)
    table.delete("amount < 10")
    table.update(updates={"note": "'updated'"}, predicate="country = 'DE'")
    source = sample(190, 20)  # 190..199 exist, 200..209 are new
    (table.merge(source, predicate="t.id = s.id", source_alias="s", target_alias="t")
          .when_matched_update_all().when_not_matched_insert_all().execute())
    table.optimize.compact()
    table.create_checkpoint()
    deltalake.write_deltalake(path, sample(300, 5), mode="append", partition_by=["country"])
    rows = deltalake.DeltaTable(path).to_pyarrow_table()
    with ipc.new_file(expected_file, rows.schema) as out:
        out.write_table(rows)
    print(f"delta-rs wrote version {deltalake.DeltaTable(path).version()} with {rows.num_rows} rows")
    return 0


def main():
    command = sys.argv[1]
    if command == "check":
        return check(sys.argv[2], sys.argv[3], sys.argv[4:])
    if command == "check-tables" and len(sys.argv) >= 5 and (len(sys.argv) - 2) % 3 == 0:
        failed = 0
        for i in range(2, len(sys.argv), 3):
            print(f"{sys.argv[i]}:")
            failed |= check(sys.argv[i], sys.argv[i + 1], sys.argv[i + 2].split(","))
        return failed
    if command == "write-deltalake":
        return write_deltalake(sys.argv[2], sys.argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    peer_exit.exit(main() or 0)
