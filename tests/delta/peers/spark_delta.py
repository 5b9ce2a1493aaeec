"""Spark with Delta Lake as an interop peer (run through `tools/peers python`,
which provides the Delta jars as LAKE_PEER_JARS).

usage:
  spark_delta.py write-sample <table-dir> <expected-rows.jsonl> <spark-view.json>
      Spark writes a sample Delta table: partitioned by a string column (one
      partition value NULL), columns of every common type, commits that
      append, DELETE (a whole partition, then rows inside files) and
      UPDATE, a classic checkpoint at version 2 (delta.checkpointInterval
      = 2) and a multi-part one at 4 (spark.databricks.delta.checkpoint.
      partSize), then one more append,
      deletion vectors off so DML rewrites files. Saves the rows the table
      must hold (computed independently in Python, and checked against
      Spark's read) as JSON lines, and what Spark sees of the latest
      version: version, numFiles (DESCRIBE DETAIL), count(*), rows per live
      file, and the checkpoints written.
  spark_delta.py read <table-dir> <expected-rows.jsonl> [key...]
      Spark reads a Delta table someone else wrote and compares it with the
      expected rows (sorted by the key columns, default id); exits 1 with
      the differences on a mismatch.
  spark_delta.py row-ids <table-dir> <out.json>
      What Spark reads of a row-tracking table's stable row ids and row
      commit versions (n -> [row_id, row_commit_version]) and DESCRIBE
      HISTORY's timestamp of each version, as JSON.
  spark_delta.py write-feature-tables <root-dir> <spark-view.json>
      Spark writes tables with the features it turns on under <root-dir>:
      with deletion vectors, `deleted` (partitioned, 5,000 rows, then DELETE
      WHERE n % 10 = 1: each file gets a vector), `redeleted` (the same,
      then a second DELETE, so files get a new vector replacing the first),
      `checkpointed` (partitioned, 50 rows, 15 single-row DELETEs, a
      checkpoint every 5 commits), `updated` (5,000 rows, an UPDATE of
      every 7th: the old rows deleted by vectors, the new ones in new
      files) and `merged` (5,000 rows, a MERGE that updates, deletes and
      inserts); and `widened` (delta.enableTypeWidening: 40 rows with n
      INT, small BYTE, ratio FLOAT, price DECIMAL(5,2), then each column
      widened (BIGINT, INT, DOUBLE, DECIMAL(12,2)) and 40 rows beyond the
      old types); `mapped` and `idmapped` (column mapping in name and id
      mode: 30 rows, then a column, a struct field and the partition
      column renamed and a column dropped, and 30 rows more); `v2parquet`
      and `v2json` (delta.checkpointPolicy = v2, a checkpoint every 3
      commits: UUID-named V2 checkpoints, Parquet and JSON at the top
      level, file actions in sidecars); `clustered` (CLUSTER BY (n), 400
      rows in two inserts, then OPTIMIZE) and `tracked` (row tracking,
      in-commit timestamps and deletion vectors: 300 rows, an UPDATE of
      every 10th, its row ids saved as tracked-ids.json); `ntz` (a
      TIMESTAMP_NTZ column and partition column, 30 rows). Saves the
      row count Spark reads from each, and how many
      of its adds carry a vector, as JSON, and the rows Spark reads as
      <root-dir>/<table>.jsonl (canonical form, key n).

spark_session() and read_rows() are what other peer scripts import to use
Spark; one session (one JVM) per script run keeps a run to seconds.
"""
import atexit
import datetime
import decimal
import json
import os
import sys
import tempfile
import time
import urllib.parse

import pyarrow as pa

import table_rows

_session = None
_scratch = None


def spark_session():
    """The script's local Spark session with Delta (started on first use),
    tuned for starting fast on small tables. Its scratch files (warehouse,
    Derby, Ivy, spill) live in a temporary directory removed at exit."""
    global _session, _scratch
    if _session is not None:
        return _session
    jars = os.environ.get("LAKE_PEER_JARS")
    if not jars:
        sys.exit("LAKE_PEER_JARS is not set: run this through `tools/peers python`, which fetches Delta's jars")
    # The build sysroot cannot resolve the machine's host name, which Spark
    # would otherwise look up to bind its driver.
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("SPARK_LOCAL_HOSTNAME", "localhost")
    # Spark hands timestamps to Python in the process's time zone.
    os.environ["TZ"] = "UTC"
    time.tzset()
    _scratch = tempfile.TemporaryDirectory(prefix="lake-spark-")
    scratch = _scratch.name

    from pyspark.sql import SparkSession

    java_options = " ".join([
        f"-Dderby.system.home={scratch}/derby",
        # Small tables and short runs: the client compiler and serial GC
        # start faster than C2 and G1 and are fast enough here.
        "-XX:TieredStopAtLevel=1",
        "-XX:+UseSerialGC",
    ])
    builder = (
        SparkSession.builder.master("local[2]")
        .appName("lake-orm interop")
        .config("spark.jars", jars)
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        .config("spark.driver.extraJavaOptions", java_options)
        .config("spark.sql.warehouse.dir", f"{scratch}/warehouse")
        .config("spark.jars.ivy", f"{scratch}/ivy")
        .config("spark.local.dir", f"{scratch}/local")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        # Delta rebuilds a snapshot's state with this many tasks (default 50).
        .config("spark.databricks.delta.snapshotPartitions", "2")
        # Compiling generated Java (Janino) costs more than it saves on a
        # few hundred rows; interpreted evaluation starts at once.
        .config("spark.sql.codegen.wholeStage", "false")
        .config("spark.sql.codegen.factoryMode", "NO_CODEGEN")
        .config("spark.sql.session.timeZone", "UTC")
    )
    _session = builder.getOrCreate()
    _session.sparkContext.setLogLevel("ERROR")
    # Stopped before the scratch directory goes (atexit runs last-in first).
    atexit.register(_session.stop)
    return _session


def read_rows(spark, path, key=("id",), version=None):
    """Spark's view of a Delta table's rows, canonical (see table_rows)."""
    reader = spark.read.format("delta")
    if version is not None:
        reader = reader.option("versionAsOf", version)
    return table_rows.canonical_rows(reader.load(path).toArrow(), key)


# --- write-sample -------------------------------------------------------------

COUNTRIES = ["US", "GB", None, "DE"]
SCHEMA = pa.schema([
    pa.field("id", pa.int64(), nullable=False),
    pa.field("n", pa.int32()),
    pa.field("name", pa.string()),
    pa.field("score", pa.float64()),
    pa.field("active", pa.bool_()),
    pa.field("day", pa.date32()),
    pa.field("at", pa.timestamp("us", tz="UTC")),
    pa.field("amount", pa.decimal128(10, 2)),
    pa.field("country", pa.string()),
])


def sample_row(i):
    return {
        "id": i,
        "n": i * 3 - 50,
        "name": None if i % 11 == 0 else f"name-{i}",
        "score": i * 1.25,
        "active": i % 3 != 0,
        "day": datetime.date(2026, 1, 1) + datetime.timedelta(days=i),
        "at": datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(hours=i, microseconds=i),
        "amount": decimal.Decimal(i * 101) / 100,
        "country": COUNTRIES[i % 4],
    }


def append(spark, path, model, ids):
    rows = [sample_row(i) for i in ids]
    model.update({row["id"]: row for row in rows})
    table = pa.Table.from_pylist(rows, schema=SCHEMA)
    spark.createDataFrame(table).write.format("delta").mode("append").save(path)


def checkpoints(path):
    """{version: number of parts} of the checkpoints in the table's log."""
    found = {}
    for name in os.listdir(os.path.join(path, "_delta_log")):
        if ".checkpoint." in name and name.endswith(".parquet"):
            parts = name.split(".")
            found[int(parts[0])] = int(parts[3]) if len(parts) == 5 else 1
    return found


def write_sample(path, expected_path, view_path):
    spark = spark_session()
    started = time.monotonic()
    target = f"delta.`{path}`"
    spark.sql(f"""
        CREATE TABLE {target} (
          id BIGINT NOT NULL, n INT, name STRING, score DOUBLE, active BOOLEAN,
          day DATE, at TIMESTAMP, amount DECIMAL(10,2), country STRING)
        USING delta PARTITIONED BY (country)
        TBLPROPERTIES ('delta.checkpointInterval' = '2', 'delta.enableDeletionVectors' = 'false')""")  # v0
    model = {}
    append(spark, path, model, range(1, 31))  # v1
    spark.sql(f"DELETE FROM {target} WHERE country = 'DE'")  # v2: whole files; classic checkpoint
    model = {i: r for i, r in model.items() if r["country"] != "DE"}
    # A few actions per part, so the next checkpoint has several parts.
    spark.conf.set("spark.databricks.delta.checkpoint.partSize", "8")
    spark.sql(f"DELETE FROM {target} WHERE id % 7 = 0")  # v3: rewrites files
    model = {i: r for i, r in model.items() if i % 7 != 0}
    spark.sql(f"UPDATE {target} SET score = score + 100, name = 'updated', amount = amount * 2 "
              "WHERE NOT active")  # v4: multi-part checkpoint
    for r in model.values():
        if not r["active"]:
            r["score"] += 100
            r["name"] = "updated"
            r["amount"] *= 2
    append(spark, path, model, range(31, 46))  # v5

    expected = table_rows.canonical_rows(pa.Table.from_pylist(list(model.values()), schema=SCHEMA), ["id"])
    seen = read_rows(spark, path)
    if diff := table_rows.differences(seen, expected):
        sys.exit("Spark does not read back the rows it wrote:\n" + "\n".join(diff))
    table_rows.save(expected_path, expected)

    detail = spark.sql(f"DESCRIBE DETAIL {target}").collect()[0]
    from pyspark.sql.functions import input_file_name

    per_file = spark.read.format("delta").load(path).groupBy(input_file_name().alias("file")).count().collect()
    root = os.path.abspath(path)

    def relative(uri):
        return os.path.relpath(urllib.parse.unquote(urllib.parse.urlparse(uri).path), root)

    history = spark.sql(f"DESCRIBE HISTORY {target}").select("version").collect()
    view = {
        "version": max(row.version for row in history),
        "num_files": detail.numFiles,
        "rows": len(seen),
        "files": {relative(row.file): row["count"] for row in per_file},
        "checkpoints": {str(v): parts for v, parts in sorted(checkpoints(path).items())},
    }
    with open(view_path, "w") as out:
        json.dump(view, out, indent=1, sort_keys=True)
    print(f"[spark] wrote {path} (version {view['version']}, checkpoints {view['checkpoints']}) "
          f"in {time.monotonic() - started:.1f} s after the session started", file=sys.stderr)
    if checkpoints(path).get(2) != 1 or checkpoints(path).get(4, 1) < 2:
        sys.exit(f"expected a classic checkpoint at 2 and a multi-part one at 4, found {checkpoints(path)}")


def log_actions(path, kind):
    """The `kind` actions ("add", "protocol", ...) of the table's JSON
    commits, oldest first."""
    log = os.path.join(path, "_delta_log")
    for name in sorted(os.listdir(log)):
        if name.endswith(".json") and name[:20].isdigit():
            with open(os.path.join(log, name)) as commit:
                for line in commit:
                    action = json.loads(line).get(kind) if line.strip() else None
                    if action:
                        yield action


def vector_adds(path):
    """How many add actions in the table's JSON commits carry a deletion
    vector: proof that Spark used them (it writes one per file a DELETE
    touches instead of rewriting the file)."""
    return sum(bool(add.get("deletionVector")) for add in log_actions(path, "add"))


def reader_features(path):
    """The reader features of the table's newest protocol action."""
    features = []
    for protocol in log_actions(path, "protocol"):
        features = protocol.get("readerFeatures", [])
    return features


def writer_features(path):
    """The writer features of the table's newest protocol action, sorted."""
    features = []
    for protocol in log_actions(path, "protocol"):
        features = protocol.get("writerFeatures", [])
    return sorted(features)


def domains(path):
    """The live domain metadata of the table (from its commits), by domain."""
    live = {}
    for domain in log_actions(path, "domainMetadata"):
        if domain.get("removed"):
            live.pop(domain["domain"], None)
        else:
            live[domain["domain"]] = json.loads(domain["configuration"])
    return live


def row_ids(spark, path):
    """What Spark reads of a row-tracking table's rows' stable ids: n ->
    [row_id, row_commit_version], and each version's history timestamp
    (in-commit timestamps when the table records them), in ms."""
    rows = spark.sql(f"SELECT n, _metadata.row_id AS id, _metadata.row_commit_version AS v "
                     f"FROM delta.`{path}`").collect()
    history = spark.sql(f"DESCRIBE HISTORY delta.`{path}`").collect()
    return {
        "rows": {str(r.n): [r.id, r.v] for r in rows},
        "history": {str(h.version): round(h.timestamp.replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)
                    for h in history},
    }


def write_feature_tables(root, view_path):
    spark = spark_session()
    started = time.monotonic()
    view = {}

    def create(name, interval=None):
        path = os.path.join(root, name)
        properties = "'delta.enableDeletionVectors' = 'true'"
        if interval:
            properties += f", 'delta.checkpointInterval' = '{interval}'"
        spark.sql(f"CREATE TABLE delta.`{path}` (n BIGINT, label STRING, part INT) USING delta "
                  f"PARTITIONED BY (part) TBLPROPERTIES ({properties})")
        return path, f"delta.`{path}`"

    def fill(target, rows, partitions):
        spark.sql(f"INSERT INTO {target} SELECT id AS n, concat('row-', id) AS label, "
                  f"CAST(id % {partitions} AS INT) AS part FROM range({rows})")

    def place(name):
        """The directory of table `name` and the name Spark SQL knows it by."""
        path = os.path.join(root, name)
        return path, f"delta.`{path}`"

    def describe(name, path, target, **facts):
        """The row count Spark reads and `facts` into the view, the rows
        into <name>.jsonl."""
        view[name] = {"rows": spark.sql(f"SELECT count(*) AS c FROM {target}").collect()[0].c, **facts}
        table_rows.save(os.path.join(root, f"{name}.jsonl"), read_rows(spark, path, key=("n",)))

    def record(name, path, target):
        describe(name, path, target, vector_adds=vector_adds(path), checkpoints=sorted(checkpoints(path)))

    path, target = create("deleted")
    fill(target, 5000, 4)
    spark.sql(f"DELETE FROM {target} WHERE n % 10 = 1")
    record("deleted", path, target)

    path, target = create("redeleted")
    fill(target, 5000, 4)
    spark.sql(f"DELETE FROM {target} WHERE n % 10 = 1")
    spark.sql(f"DELETE FROM {target} WHERE n % 10 = 2")
    record("redeleted", path, target)

    path, target = create("checkpointed", interval=5)
    fill(target, 50, 5)
    for n in range(0, 45, 3):
        spark.sql(f"DELETE FROM {target} WHERE n = {n}")
    record("checkpointed", path, target)

    path, target = create("updated")
    fill(target, 5000, 4)
    spark.sql(f"UPDATE {target} SET label = concat(label, '-updated') WHERE n % 7 = 0")
    record("updated", path, target)

    path, target = create("merged")
    fill(target, 5000, 4)
    # Matched: n % 5 = 0 updated, n % 5 = 1 deleted; not matched: 5000..5099 inserted.
    spark.sql(f"""MERGE INTO {target} AS t
                  USING (SELECT id AS n, CAST(id % 4 AS INT) AS part FROM range(0, 5100)
                         WHERE id % 5 IN (0, 1) OR id >= 5000) AS s
                  ON t.n = s.n
                  WHEN MATCHED AND t.n % 5 = 0 THEN UPDATE SET label = 'merged'
                  WHEN MATCHED AND t.n % 5 = 1 THEN DELETE
                  WHEN NOT MATCHED THEN INSERT (n, label, part) VALUES (s.n, 'inserted', s.part)""")
    record("merged", path, target)

    # Type widening: files written before each change keep the narrow
    # Parquet types (and their stats); the table reads them as the new ones.
    path, target = place("widened")
    spark.sql(f"CREATE TABLE {target} (n INT, small TINYINT, ratio FLOAT, price DECIMAL(5,2)) USING delta "
              f"TBLPROPERTIES ('delta.enableTypeWidening' = 'true')")
    spark.sql(f"INSERT INTO {target} SELECT CAST(id AS INT), CAST(id - 20 AS TINYINT), CAST(id AS FLOAT) / 4, "
              f"CAST(id AS DECIMAL(5,2)) / 4 FROM range(40)")
    for column, wide in (("n", "BIGINT"), ("small", "INT"), ("ratio", "DOUBLE"), ("price", "DECIMAL(12,2)")):
        spark.sql(f"ALTER TABLE {target} CHANGE COLUMN {column} TYPE {wide}")
    spark.sql(f"INSERT INTO {target} SELECT id * 100000000, CAST(id * 1000 AS INT), CAST(id AS DOUBLE) / 3, "
              f"CAST(id AS DECIMAL(12,2)) * 1000000 FROM range(40, 80)")
    describe("widened", path, target, reader_features=reader_features(path))

    # Column mapping: renames and drops change only the schema; files,
    # partition values and stats keep the physical names (name mode) or
    # ids (id mode) they were written with.
    for name, mode in (("mapped", "name"), ("idmapped", "id")):
        path, target = place(name)
        spark.sql(f"CREATE TABLE {target} (n BIGINT, label STRING, info STRUCT<a: INT, b: STRING>, "
                  f"tags ARRAY<STRUCT<k: STRING, v: INT>>, extra STRING, part INT) USING delta PARTITIONED BY (part) "
                  f"TBLPROPERTIES ('delta.columnMapping.mode' = '{mode}')")
        rows = ("SELECT id AS n, concat('row-', id) AS label, named_struct('a', CAST(id AS INT), 'b', concat('b', id)) "
                "AS info, array(named_struct('k', 'x', 'v', CAST(id AS INT))) AS tags, 'gone' AS extra, "
                "CAST(id % 3 AS INT) AS part FROM range({}, {})")
        spark.sql(f"INSERT INTO {target} " + rows.format(0, 30))
        spark.sql(f"ALTER TABLE {target} RENAME COLUMN label TO title")
        spark.sql(f"ALTER TABLE {target} RENAME COLUMN info.a TO alpha")
        spark.sql(f"ALTER TABLE {target} RENAME COLUMN part TO shard")
        spark.sql(f"ALTER TABLE {target} DROP COLUMN extra")
        spark.sql(f"INSERT INTO {target} SELECT id, concat('new-', id), named_struct('alpha', CAST(id AS INT), 'b', 'nb'), "
                  f"array(named_struct('k', 'y', 'v', CAST(-id AS INT))), CAST(id % 3 AS INT) FROM range(30, 60)")
        describe(name, path, target, reader_features=reader_features(path),
                 columns=spark.read.format("delta").load(path).columns)

    # V2 checkpoints (delta.checkpointPolicy = v2): UUID-named, the top
    # level in Parquet (the default) or JSON, the file actions in sidecars.
    for name, top_level in (("v2parquet", "parquet"), ("v2json", "json")):
        spark.conf.set("spark.databricks.delta.checkpointV2.topLevelFileFormat", top_level)
        path, target = place(name)
        spark.sql(f"CREATE TABLE {target} (n BIGINT, label STRING, part INT) USING delta PARTITIONED BY (part) "
                  f"TBLPROPERTIES ('delta.checkpointPolicy' = 'v2', 'delta.checkpointInterval' = '3')")
        for first in range(0, 400, 100):
            spark.sql(f"INSERT INTO {target} SELECT id AS n, concat('row-', id) AS label, CAST(id % 3 AS INT) AS part "
                      f"FROM range({first}, {first + 100})")
        spark.sql(f"DELETE FROM {target} WHERE n % 7 = 0")
        spark.sql(f"INSERT INTO {target} SELECT id, concat('late-', id), CAST(id % 3 AS INT) FROM range(400, 420)")
        log = os.path.join(path, "_delta_log")
        sidecars = os.path.join(log, "_sidecars")
        describe(name, path, target, reader_features=reader_features(path),
                 checkpoint_files=sorted(n for n in os.listdir(log) if ".checkpoint." in n),
                 sidecars=sorted(os.listdir(sidecars)) if os.path.isdir(sidecars) else [])
    spark.conf.unset("spark.databricks.delta.checkpointV2.topLevelFileFormat")

    # Liquid clustering: CLUSTER BY records the columns in the
    # delta.clustering domain; OPTIMIZE clusters the files (provider
    # "liquid").
    path, target = place("clustered")
    spark.sql(f"CREATE TABLE {target} (n BIGINT, label STRING, part INT) USING delta CLUSTER BY (n)")
    for first in (0, 200):
        spark.sql(f"INSERT INTO {target} SELECT id AS n, concat('row-', id) AS label, CAST(id % 3 AS INT) AS part "
                  f"FROM range({first}, {first + 200})")
    spark.sql(f"OPTIMIZE {target}")
    describe("clustered", path, target, writer_features=writer_features(path), domains=domains(path))

    # Row tracking with in-commit timestamps and deletion vectors: an
    # UPDATE moves rows to new files, their stable row ids materialized.
    path, target = place("tracked")
    spark.sql(f"CREATE TABLE {target} (n BIGINT, label STRING, part INT) USING delta "
              f"TBLPROPERTIES ('delta.enableRowTracking' = 'true', 'delta.enableInCommitTimestamps' = 'true', "
              f"'delta.enableDeletionVectors' = 'true')")
    spark.sql(f"INSERT INTO {target} SELECT id AS n, concat('row-', id) AS label, CAST(id % 3 AS INT) AS part "
              f"FROM range(300)")
    spark.sql(f"UPDATE {target} SET label = concat(label, '-updated') WHERE n % 10 = 0")
    describe("tracked", path, target, writer_features=writer_features(path), domains=domains(path))
    with open(os.path.join(root, "tracked-ids.json"), "w") as out:
        json.dump(row_ids(spark, path), out, sort_keys=True)

    # timestamp_ntz: wall-clock readings, a column and the partition column.
    path, target = place("ntz")
    spark.sql(f"CREATE TABLE {target} (n BIGINT, at TIMESTAMP_NTZ, label STRING, slot TIMESTAMP_NTZ) USING delta "
              f"PARTITIONED BY (slot)")
    spark.sql(f"INSERT INTO {target} SELECT id, timestampadd(MINUTE, id, TIMESTAMP_NTZ'2026-03-29 02:00:00.123456'), "
              f"concat('row-', id), timestampadd(HOUR, id % 3, TIMESTAMP_NTZ'2026-03-29 00:00:00') FROM range(30)")
    describe("ntz", path, target, reader_features=reader_features(path))

    with open(view_path, "w") as out:
        json.dump(view, out, indent=1, sort_keys=True)
    print(f"[spark] wrote the feature tables {view} in {time.monotonic() - started:.1f} s",
          file=sys.stderr)
    expected = {"deleted": 4500, "redeleted": 4000, "checkpointed": 35, "updated": 5000, "merged": 4100}
    for name, rows in expected.items():
        if view[name]["rows"] != rows or view[name]["vector_adds"] == 0:
            sys.exit(f"expected Spark to read {rows} rows of {name} with deletion vectors in use: {view[name]}")
    if not view["checkpointed"]["checkpoints"]:
        sys.exit("expected a checkpoint in the checkpointed table")


def read(path, expected_path, key=("id",)):
    spark = spark_session()
    diff = table_rows.differences(read_rows(spark, path, key), table_rows.load(expected_path))
    if diff:
        print(f"Spark reads {path} differently:\n" + "\n".join(diff), file=sys.stderr)
        return 1
    return 0


def main(argv):
    started = time.monotonic()
    if len(argv) == 5 and argv[1] == "write-sample":
        status = write_sample(argv[2], argv[3], argv[4])
    elif len(argv) >= 4 and argv[1] == "read":
        status = read(argv[2], argv[3], tuple(argv[4:]) or ("id",))
    elif len(argv) == 4 and argv[1] == "row-ids":
        with open(argv[3], "w") as out:
            json.dump(row_ids(spark_session(), argv[2]), out, sort_keys=True)
        status = 0
    elif len(argv) == 4 and argv[1] == "write-feature-tables":
        status = write_feature_tables(argv[2], argv[3])
    else:
        sys.exit(__doc__)
    print(f"[spark] {argv[1]} took {time.monotonic() - started:.1f} s", file=sys.stderr)
    return status or 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
