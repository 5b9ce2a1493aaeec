"""catalog_peer.py <catalog> <warehouse dir> <command> <table> [args]

pyiceberg's side of an Iceberg catalog shared with the lake-orm Client:
<catalog> is a SQLite catalog file (pyiceberg's SqlCatalog, catalog
"default"), or rest:<url> for a REST catalog service (pyiceberg's
RestCatalog, with OAuth2 client credentials when LAKE_PEER_REST_CREDENTIAL
is set). <table> is "name" (namespace "default") or "namespace.name".

  check <table> <expected.arrow> <key>   the table, loaded through the
      catalog, holds exactly the expected rows (in the expected file's
      columns), and pyiceberg lists it in the namespace
  append <table> <rows.arrow>            appends the rows as one snapshot,
      committed through the catalog (its check-and-put on the same row
      lake-orm moves)
  create <table> <rows.arrow> [version] creates the table from the rows'
      schema in the catalog (at pyiceberg's default location under the
      warehouse; Iceberg format version 2, or the one given) and appends
      them
  upgrade <table>                        upgrades the table to format
      version 2, as its owner would

Exit 1 with the differences when a check fails.
"""
import os
import sys

import pyarrow as pa
import pyarrow.ipc as ipc
from pyiceberg.catalog.rest import RestCatalog
from pyiceberg.catalog.sql import SqlCatalog

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from readers import exit, report, table_rows  # noqa: E402


def read_arrow(path):
    with ipc.open_file(path) as reader:
        return reader.read_all()


def open_catalog(spec, warehouse):
    if spec.startswith("rest:"):
        properties = {"uri": spec[len("rest:"):]}
        if os.environ.get("LAKE_PEER_REST_CREDENTIAL"):
            properties["credential"] = os.environ["LAKE_PEER_REST_CREDENTIAL"]
        return RestCatalog("rest", **properties)
    return SqlCatalog("default", uri=f"sqlite:///{spec}", warehouse=f"file://{warehouse}")


def main(catalog_spec, warehouse, command, table_name, *args):
    catalog = open_catalog(catalog_spec, warehouse)
    namespace, _, name = table_name.rpartition(".")
    identifier = (namespace or "default", name)
    if command == "check":
        expected_table = read_arrow(args[0])
        key = args[1]
        columns = expected_table.schema.names
        problems = []
        listed = catalog.list_tables(identifier[0])
        if identifier not in listed:
            problems.append(f"pyiceberg does not list {identifier}: {listed}")
        table = catalog.load_table(identifier)
        theirs = table.scan().to_arrow().select(columns)
        problems += table_rows.differences(table_rows.canonical_rows(theirs, [key]),
                                           table_rows.canonical_rows(expected_table, [key]))
        return report(problems, f"pyiceberg reads {table_name} through the catalog differently",
                      f"[catalog_peer] {expected_table.num_rows} rows of {table_name} identical in pyiceberg")
    if command == "upgrade":
        with catalog.load_table(identifier).transaction() as transaction:
            transaction.upgrade_table_version(2)
        print(f"[catalog_peer] upgraded {table_name} to format version 2", file=sys.stderr)
        return 0
    rows = read_arrow(args[0])
    if command == "create":
        version = args[1] if len(args) > 1 else "2"
        catalog.create_table(identifier, schema=rows.schema, properties={"format-version": version}).append(rows)
        print(f"[catalog_peer] created {table_name} (format version {version}) with {rows.num_rows} rows", file=sys.stderr)
        return 0
    if command == "append":
        table = catalog.load_table(identifier)
        # The file's columns are nullable; the table's key columns are
        # required, which pyiceberg checks: cast to the table's own schema.
        # The Client's _ingest_id (required: every row names the write
        # that brought it) names this one.
        target = table.schema().as_arrow()
        if "_ingest_id" in target.names and "_ingest_id" not in rows.schema.names:
            rows = rows.append_column("_ingest_id", pa.array(["pyiceberg-append"] * rows.num_rows, pa.string()))
        table.append(rows.select(target.names).cast(target))
        print(f"[catalog_peer] appended {rows.num_rows} rows to {table_name}", file=sys.stderr)
        return 0
    sys.exit(__doc__)


if __name__ == "__main__":
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    exit(main(*sys.argv[1:]))
