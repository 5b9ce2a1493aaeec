"""Rows of a table in one canonical, engine-independent form, so what
delta-rs, DuckDB and Spark return can be compared with each other and with
expected rows saved as JSON lines.

A canonical row is a dict of column name to a JSON value: integers, floats
and booleans as themselves, strings, dates as "YYYY-MM-DD", timestamps as
UTC "YYYY-MM-DDTHH:MM:SS.ffffffZ", decimals as their text with the type's
scale ("12.30"), NULL as None. Rows are sorted by the given key columns.
"""
import collections
import datetime
import decimal
import json

import pyarrow as pa


def canonical_value(value, arrow_type):
    if value is None:
        return None
    if pa.types.is_timestamp(arrow_type):
        # Delta's timestamp is an instant; engines hand it back naive (UTC by
        # convention) or zoned.
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return value.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if pa.types.is_date(arrow_type):
        return value.isoformat()
    if pa.types.is_decimal(arrow_type):
        return str(value.quantize(decimal.Decimal(1).scaleb(-arrow_type.scale)))
    if pa.types.is_floating(arrow_type):
        return float(value)
    if pa.types.is_integer(arrow_type):
        return int(value)
    return value


def canonical_rows(table: pa.Table, key):
    """The rows of an Arrow table, canonical and sorted by the `key` columns."""
    columns = {
        field.name: [canonical_value(v, field.type) for v in table.column(field.name).to_pylist()]
        for field in table.schema
    }
    rows = [dict(zip(columns, values)) for values in zip(*columns.values())] if columns else []
    return sorted(rows, key=lambda row: tuple((row[k] is None, row[k]) for k in key))


def save(path, rows):
    with open(path, "w") as out:
        for row in rows:
            out.write(json.dumps(row, sort_keys=True) + "\n")


def load(path):
    with open(path) as lines:
        return [json.loads(line) for line in lines if line.strip()]


def differences(actual, expected, limit=10):
    """Human-readable differences between two canonical row lists ([] when
    they hold the same rows): rows only one side has, up to `limit` each."""
    got = collections.Counter(json.dumps(r, sort_keys=True) for r in actual)
    want = collections.Counter(json.dumps(r, sort_keys=True) for r in expected)
    if got == want:
        return []
    out = [f"{len(actual)} rows, expected {len(expected)}"]
    out += [f"unexpected: {row}" for row in list((got - want).elements())[:limit]]
    out += [f"missing:    {row}" for row in list((want - got).elements())[:limit]]
    return out


def main(argv):
    """table_rows.py compare <rows.arrow> <expected.jsonl> [key...]
    Compares the rows of an Arrow IPC file (what lake-orm read from a table)
    with expected rows saved by save(); exit 1 with the differences."""
    import sys

    import pyarrow.ipc as ipc

    if len(argv) < 4 or argv[1] != "compare":
        sys.exit(main.__doc__)
    with ipc.open_file(argv[2]) as reader:
        actual = canonical_rows(reader.read_all(), argv[4:] or ["id"])
    if diff := differences(actual, load(argv[3])):
        print(f"lake-orm reads the table differently from the expected rows:\n" + "\n".join(diff), file=sys.stderr)
        return 1
    print(f"[table_rows] {len(actual)} rows identical", file=sys.stderr)
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv))
