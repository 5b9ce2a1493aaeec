"""pyiceberg_table.py <dir> <expected.json>

Writes an Iceberg table with pyiceberg through its SQLite catalog
(<dir>/catalog.db, warehouse <dir>/warehouse): partitioned by
bucket[4](id), truncate[2](region) and day(ts); three appends, a delete by
filter (pyiceberg rewrites the files it touches: copy-on-write), a column
added, one renamed, and a fourth append. Saves what pyiceberg itself says about the table, for the
test to compare with what lake-orm reads from the same files: the metadata
location, every snapshot (id, parent, sequence number, operation) and, per
snapshot, its live data files (path, record count, partition values) and
row count, and its rows (<dir>/rows-<snapshot id>.jsonl, canonical form).
"""
import datetime
import os
import sys

import pyarrow as pa
from pyiceberg.expressions import EqualTo
from pyiceberg.partitioning import PartitionField, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.transforms import BucketTransform, DayTransform, TruncateTransform
from pyiceberg.types import LongType, NestedField, StringType, TimestamptzType

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from readers import run_table_script, save_snapshot_rows, scratch_catalog  # noqa: E402


def rows(first, count):
    start = datetime.datetime(2026, 11, 1, tzinfo=datetime.timezone.utc)
    return pa.Table.from_pylist(
        [
            {
                "id": i,
                "region": ["eu-west", "us-east", "ap-south"][i % 3],
                "amount": i * 10,
                "ts": start + datetime.timedelta(hours=7 * i),
            }
            for i in range(first, first + count)
        ],
        schema=pa.schema(
            [
                pa.field("id", pa.int64(), nullable=False),
                pa.field("region", pa.string()),
                pa.field("amount", pa.int64()),
                pa.field("ts", pa.timestamp("us", tz="UTC")),
            ]
        ),
    )


def partition_text(value):
    if value is None:
        return None
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def main(directory):
    catalog = scratch_catalog(directory)
    schema = Schema(
        NestedField(1, "id", LongType(), required=True),
        NestedField(2, "region", StringType(), required=False),
        NestedField(3, "amount", LongType(), required=False),
        NestedField(4, "ts", TimestamptzType(), required=False),
        identifier_field_ids=[1],
    )
    spec = PartitionSpec(
        PartitionField(source_id=1, field_id=1000, transform=BucketTransform(4), name="id_bucket"),
        PartitionField(source_id=2, field_id=1001, transform=TruncateTransform(2), name="region_trunc"),
        PartitionField(source_id=4, field_id=1002, transform=DayTransform(), name="ts_day"),
    )
    table = catalog.create_table("db.events", schema=schema, partition_spec=spec)
    table.append(rows(0, 40))
    table.append(rows(40, 40))
    table.append(rows(80, 20))
    table.delete(EqualTo("region", "us-east"))
    with table.update_schema() as update:
        update.add_column("note", StringType())
    # A rename is metadata only: the files keep "amount", read by field id.
    with table.update_schema() as update:
        update.rename_column("amount", "total")
    table = catalog.load_table("db.events")
    table.append(
        rows(100, 10)
        .rename_columns(["id", "region", "total", "ts"])
        .append_column("note", pa.array([f"note {i}" for i in range(10)]))
    )
    table = catalog.load_table("db.events")

    snapshots = []
    for snapshot in table.metadata.snapshots:
        files = []
        for task in table.scan(snapshot_id=snapshot.snapshot_id).plan_files():
            data_file = task.file
            files.append(
                {
                    "path": data_file.file_path,
                    "records": data_file.record_count,
                    "partition": [partition_text(v) for v in data_file.partition.record_fields()]
                    if hasattr(data_file.partition, "record_fields")
                    else [partition_text(v) for v in data_file.partition],
                    "deletes": len(task.delete_files),
                }
            )
        files.sort(key=lambda f: f["path"])
        snapshots.append(
            {
                "id": snapshot.snapshot_id,
                "parent": snapshot.parent_snapshot_id,
                "sequence_number": snapshot.sequence_number,
                "operation": snapshot.summary.operation.value,
                "rows": table.scan(snapshot_id=snapshot.snapshot_id).to_arrow().num_rows,
                "files": files,
            }
        )
    save_snapshot_rows(table, directory)
    return {
        "metadata_location": table.metadata_location,
        "current_snapshot_id": table.metadata.current_snapshot_id,
        "schema_fields": [field.name for field in table.schema().fields],
        "snapshots": snapshots,
    }


if __name__ == "__main__":
    run_table_script(main, __doc__)
