"""legacy_table.py <dir> <expected.json>

Writes a format-version 1 Iceberg table with pyiceberg (its SQLite catalog
<dir>/catalog.db, warehouse <dir>/warehouse), partitioned by identity(region)
and bucket[4](id), whose column types are then promoted as the spec allows:
  1. an append of 40 rows: count int (required), score float,
     price decimal(9,2);
  2. a delete by filter (copy-on-write: version 1 has no delete files);
  3. count int -> long and required -> optional, score float -> double,
     price decimal(9,2) -> decimal(18,2), and score renamed to rating;
  4. an append of 40 rows in the new types, some counts NULL, values beyond
     the old types' range.
Files written before step 3 keep their int32 / float / narrow-decimal
Parquet columns and bounds; a reader must widen them. Saves the metadata
location and format version, the rows pyiceberg reads at every snapshot
(<dir>/rows-<snapshot id>.jsonl) and for a few filters on the promoted
columns (<dir>/rows-<name>.jsonl), canonical form, for compare_rows.py.
"""
import decimal
import os
import sys

import pyarrow as pa
from pyiceberg.expressions import AlwaysTrue, And, EqualTo, GreaterThanOrEqual, LessThan
from pyiceberg.partitioning import PartitionField, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.transforms import BucketTransform, IdentityTransform
from pyiceberg.types import DecimalType, DoubleType, FloatType, IntegerType, LongType, NestedField, StringType

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from readers import run_table_script, save_snapshot_rows, scratch_catalog, table_rows  # noqa: E402

# Filters whose answer depends on reading old files' narrow bounds and
# values in the promoted types (named as in the final schema).
FILTERS = {
    "all": AlwaysTrue(),
    "big_count": GreaterThanOrEqual("count", 3_000_000_000),
    "count_range": And(GreaterThanOrEqual("count", 100), LessThan("count", 600)),
    "low_rating": LessThan("rating", 4.0),
    "price": EqualTo("price", decimal.Decimal("12.25")),
}


def old_rows(first, count):
    return pa.Table.from_pylist(
        [
            {
                "id": i,
                "region": ["eu", "us", "ap"][i % 3],
                "count": i * 10,
                "score": i * 0.25,  # exact in float32
                "price": decimal.Decimal(i) / 4 + decimal.Decimal("2.50"),
            }
            for i in range(first, first + count)
        ],
        schema=pa.schema(
            [
                pa.field("id", pa.int64(), nullable=False),
                pa.field("region", pa.string()),
                pa.field("count", pa.int32(), nullable=False),
                pa.field("score", pa.float32()),
                pa.field("price", pa.decimal128(9, 2)),
            ]
        ),
    )


def new_rows(first, count):
    return pa.Table.from_pylist(
        [
            {
                "id": i,
                "region": ["eu", "us", "ap"][i % 3],
                "count": None if i % 5 == 0 else i * 100_000_000,  # beyond int32 from i = 22
                "rating": i * 0.1,
                "price": decimal.Decimal(i) * 1_000_000_000 + decimal.Decimal("0.50"),  # beyond decimal(9,2)
            }
            for i in range(first, first + count)
        ],
        schema=pa.schema(
            [
                pa.field("id", pa.int64(), nullable=False),
                pa.field("region", pa.string()),
                pa.field("count", pa.int64()),
                pa.field("rating", pa.float64()),
                pa.field("price", pa.decimal128(18, 2)),
            ]
        ),
    )


def main(directory):
    catalog = scratch_catalog(directory)
    schema = Schema(
        NestedField(1, "id", LongType(), required=True),
        NestedField(2, "region", StringType(), required=False),
        NestedField(3, "count", IntegerType(), required=True),
        NestedField(4, "score", FloatType(), required=False),
        NestedField(5, "price", DecimalType(9, 2), required=False),
    )
    spec = PartitionSpec(
        PartitionField(source_id=2, field_id=1000, transform=IdentityTransform(), name="region"),
        PartitionField(source_id=1, field_id=1001, transform=BucketTransform(4), name="id_bucket"),
    )
    table = catalog.create_table("db.legacy", schema=schema, partition_spec=spec, properties={"format-version": "1"})
    table.append(old_rows(0, 40))
    table.delete(LessThan("id", 4))
    with table.update_schema() as update:
        update.update_column("count", field_type=LongType(), required=False)
        update.update_column("score", field_type=DoubleType())
        update.update_column("price", field_type=DecimalType(18, 2))
    with table.update_schema() as update:
        update.rename_column("score", "rating")
    table = catalog.load_table("db.legacy")
    table.append(new_rows(40, 40))
    table = catalog.load_table("db.legacy")

    save_snapshot_rows(table, directory)
    for name, row_filter in FILTERS.items():
        table_rows.save(
            os.path.join(directory, f"rows-{name}.jsonl"),
            table_rows.canonical_rows(table.scan(row_filter=row_filter).to_arrow(), ["id"]),
        )
    return {
        "metadata_location": table.metadata_location,
        "format_version": table.metadata.format_version,
        "snapshots": len(table.metadata.snapshots),
        "schemas": len(table.metadata.schemas),
    }


if __name__ == "__main__":
    run_table_script(main, __doc__)
