"""Writes a Delta table with delta-rs: 12 appends, a checkpoint, one more
append, then deletes the JSON commits the checkpoint covers, so a reader
can only rebuild the table through the checkpoint. Prints what the table
holds as JSON for the C++ side to compare with.

usage: delta_rs_checkpointed.py <table-dir> <expected.json>
"""
import json
import os
import sys

import deltalake
import pyarrow as pa

import peer_exit

path, out = sys.argv[1], sys.argv[2]


def batch(i):
    return pa.table({
        "id": pa.array([i * 10 + j for j in range(10)], pa.int64()),
        "name": pa.array([f"n{i}-{j}" for j in range(10)], pa.string()),
    })


for i in range(12):
    deltalake.write_deltalake(path, batch(i), mode="append")
deltalake.DeltaTable(path).create_checkpoint()
checkpoint_version = deltalake.DeltaTable(path).version()
deltalake.write_deltalake(path, batch(12), mode="append")

log = os.path.join(path, "_delta_log")
for name in os.listdir(log):
    if name.endswith(".json") and int(name[:20]) <= checkpoint_version:
        os.remove(os.path.join(log, name))

def relative(uri):
    from urllib.parse import unquote, urlparse
    local = unquote(urlparse(uri).path) if uri.startswith("file:") else uri
    return os.path.relpath(local, os.path.abspath(path))


table = deltalake.DeltaTable(path)  # delta-rs must still read it
rows = table.to_pyarrow_table().num_rows
with open(out, "w") as expected:
    json.dump({
        "version": table.version(),
        "checkpoint_version": checkpoint_version,
        "files": sorted(relative(uri) for uri in table.file_uris()),
        "rows": rows,
    }, expected)
peer_exit.exit(0)
