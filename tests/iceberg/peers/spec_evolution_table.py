"""spec_evolution_table.py <dir> <expected.json>

Writes an Iceberg table with pyiceberg (its SQLite catalog <dir>/catalog.db,
warehouse <dir>/warehouse) whose partition spec evolves: identity(region)
for the first append, then bucket[4](id) added, then the region field
removed, an append under each spec. Saves the metadata location, the spec
id of every live file, and the rows pyiceberg reads for a few filters
(<dir>/rows-<name>.jsonl, canonical form), for the test to read the same
files under the same filters and compare (compare_rows.py).
"""
import os
import sys

import pyarrow as pa
from pyiceberg.expressions import AlwaysTrue, EqualTo, GreaterThanOrEqual
from pyiceberg.partitioning import PartitionField, PartitionSpec
from pyiceberg.schema import Schema
from pyiceberg.transforms import BucketTransform, IdentityTransform
from pyiceberg.types import LongType, NestedField, StringType

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from readers import run_table_script, scratch_catalog, table_rows  # noqa: E402

FILTERS = {
    "all": AlwaysTrue(),
    "eu": EqualTo("region", "eu"),
    "id42": EqualTo("id", 42),
    "late": GreaterThanOrEqual("id", 55),
}


def rows(first, count):
    return pa.Table.from_pylist(
        [{"id": i, "region": ["eu", "us", "ap"][i % 3], "amount": i * 10} for i in range(first, first + count)],
        schema=pa.schema(
            [pa.field("id", pa.int64(), nullable=False), pa.field("region", pa.string()), pa.field("amount", pa.int64())]
        ),
    )


def main(directory):
    catalog = scratch_catalog(directory)
    schema = Schema(
        NestedField(1, "id", LongType(), required=True),
        NestedField(2, "region", StringType(), required=False),
        NestedField(3, "amount", LongType(), required=False),
    )
    spec = PartitionSpec(PartitionField(source_id=2, field_id=1000, transform=IdentityTransform(), name="region"))
    table = catalog.create_table("db.evolving", schema=schema, partition_spec=spec)
    table.append(rows(0, 30))
    with table.update_spec() as update:
        update.add_field("id", BucketTransform(4), "id_bucket")
    table.append(rows(30, 30))
    with table.update_spec() as update:
        update.remove_field("region")
    table.append(rows(60, 30))
    table = catalog.load_table("db.evolving")

    for name, row_filter in FILTERS.items():
        table_rows.save(
            os.path.join(directory, f"rows-{name}.jsonl"),
            table_rows.canonical_rows(table.scan(row_filter=row_filter).to_arrow(), ["id"]),
        )
    files = sorted((task.file.file_path, task.file.spec_id) for task in table.scan().plan_files())
    return {
        "metadata_location": table.metadata_location,
        "spec_ids": [spec.spec_id for spec in table.metadata.partition_specs],
        "files": [{"path": path, "spec_id": spec_id} for path, spec_id in files],
    }


if __name__ == "__main__":
    run_table_script(main, __doc__)
