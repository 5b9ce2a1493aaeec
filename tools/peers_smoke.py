"""Interop peers diagnostic: `tools/peers python tools/peers_smoke.py`.

Imports every peer in tools/peers-requirements.txt, prints its version, and
loads DuckDB's delta and iceberg extensions from their pip packages. Exits 1
if any of that fails. Java (for pyspark) is reported, not required.

duckdb_extension_path() is the way to LOAD a DuckDB extension here: DuckDB's
extension server is out of reach, so INSTALL/autoload would fail.
"""
import importlib
import importlib.metadata
import importlib.resources
import shutil
import subprocess
import sys

PEERS = ["deltalake", "pyarrow", "polars", "duckdb", "pyiceberg", "pyiceberg_core", "pyspark", "delta"]
DISTRIBUTIONS = {"pyiceberg_core": "pyiceberg-core", "delta": "delta-spark"}


def duckdb_extension_path(name):
    """The .duckdb_extension file that pip package duckdb-extension-NAME ships."""
    import duckdb

    package = importlib.import_module(f"duckdb_extension_{name}")
    path = importlib.resources.files(package) / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if not path.is_file():
        raise FileNotFoundError(f"{path} (duckdb-extension-{name} does not match duckdb {duckdb.__version__})")
    return str(path)


def duckdb_connect(*extensions, **kwargs):
    """A DuckDB connection with EXTENSIONS loaded from their pip packages and
    never fetched (iceberg loads avro first, as it needs it)."""
    import duckdb

    con = duckdb.connect(config={"autoinstall_known_extensions": False}, **kwargs)
    for name in extensions:
        for dep in (["avro"] if name == "iceberg" else []) + [name]:
            con.execute(f"LOAD '{duckdb_extension_path(dep)}'")
    return con


def main():
    ok = True
    for module in PEERS:
        try:
            importlib.import_module(module)
            print(f"{module:16} {importlib.metadata.version(DISTRIBUTIONS.get(module, module))}")
        except Exception as e:  # report every peer, then fail
            ok = False
            print(f"{module:16} FAILED: {type(e).__name__}: {e}")
    for name in ("delta", "iceberg"):
        try:
            con = duckdb_connect(name)
            loaded = con.execute(
                "SELECT loaded, extension_version FROM duckdb_extensions() WHERE extension_name = ?", [name]
            ).fetchone()
            print(f"duckdb {name:9} loaded={loaded[0]} version={loaded[1]}")
            ok &= bool(loaded[0])
        except Exception as e:
            ok = False
            print(f"duckdb {name:9} FAILED: {type(e).__name__}: {e}")
    java = shutil.which("java")
    if java:
        v = subprocess.run([java, "-version"], capture_output=True, text=True).stderr.splitlines()
        print(f"java             {v[0] if v else java}")
    else:
        print("java             not found: pyspark/delta-spark cannot start a session")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
