"""Peers on the same MinIO as bench/s3_benchmark.cpp, in the same run:
delta-rs appending the same 10M-row input (events.arrow, written by
delta_benchmark) as a Delta table on S3 with conditional puts, and
pyarrow's S3 filesystem (the AWS SDK for C++) doing the same streamed
upload and ranged reads as the S3 benchmark. Prints JSON; credentials are
read from the server's env file and never printed.

usage: s3_peers.py <data-dir> <minio-dir>
"""
import json
import os
import random
import sys
import time
import uuid

import deltalake
import pyarrow
import pyarrow.fs as pafs
import pyarrow.ipc as ipc

data, minio_dir = sys.argv[1], sys.argv[2]
env = dict(line.strip().split("=", 1) for line in open(os.path.join(minio_dir, "env")) if "=" in line)
endpoint = env["LAKE_S3_ENDPOINT"]
bucket = "lake-bench"
results = {"deltalake": deltalake.__version__, "pyarrow": pyarrow.__version__}
fs = pafs.S3FileSystem(access_key=env["LAKE_S3_ACCESS_KEY"], secret_key=env["LAKE_S3_SECRET_KEY"],
                       endpoint_override=endpoint, scheme="http", region="us-east-1",
                       allow_bucket_creation=True)
if fs.get_file_info(bucket).type == pafs.FileType.NotFound:
    fs.create_dir(bucket)

# delta-rs: the same rows, the same server, safe concurrent mode (MinIO
# honours If-None-Match, so no DynamoDB lock is needed).
rows = ipc.open_file(os.path.join(data, "events.arrow")).read_all()
storage_options = {
    "AWS_ENDPOINT_URL": endpoint,
    "AWS_ACCESS_KEY_ID": env["LAKE_S3_ACCESS_KEY"],
    "AWS_SECRET_ACCESS_KEY": env["LAKE_S3_SECRET_KEY"],
    "AWS_REGION": "us-east-1",
    "AWS_ALLOW_HTTP": "true",
    "aws_conditional_put": "etag",
}
times = []
for _ in range(2):
    target = f"s3://{bucket}/delta-rs-append-{uuid.uuid4()}"
    start = time.perf_counter()
    deltalake.write_deltalake(target, rows, mode="append", storage_options=storage_options)
    times.append(time.perf_counter() - start)
    assert deltalake.DeltaTable(target, storage_options=storage_options).version() == 0
results["rows"] = rows.num_rows
results["delta_rs_append_s3_s"] = sum(times) / len(times)
results["delta_rs_append_s3_rows_per_s"] = rows.num_rows / results["delta_rs_append_s3_s"]

# pyarrow's S3 filesystem: 256 MiB written 1 MiB at a time, then random
# ranged reads of 64 KiB and 8 MiB, as BM_Upload and BM_RangedRead do.
payload = random.Random(42).randbytes(256 * 1024 * 1024)
key = f"{bucket}/pyarrow-{uuid.uuid4()}"
times = []
for i in range(3):
    start = time.perf_counter()
    with fs.open_output_stream(f"{key}-{i}") as out:
        for at in range(0, len(payload), 1024 * 1024):
            out.write(payload[at:at + 1024 * 1024])
    times.append(time.perf_counter() - start)
results["pyarrow_upload_mib_per_s"] = 256 / (sum(times) / len(times))
rng = random.Random(7)
with fs.open_input_file(f"{key}-0") as f:
    for length, count in ((64 * 1024, 200), (8 * 1024 * 1024, 20)):
        start = time.perf_counter()
        for _ in range(count):
            f.seek(rng.randrange(0, len(payload) - length))
            assert len(f.read(length)) == length
        elapsed = time.perf_counter() - start
        results[f"pyarrow_ranged_read_{length // 1024}k_ms"] = 1000 * elapsed / count
        results[f"pyarrow_ranged_read_{length // 1024}k_mib_per_s"] = count * length / 1024 / 1024 / elapsed
print(json.dumps(results, indent=2))
