"""compare_rows.py <dir>

For every <dir>/rows-<snapshot>.jsonl (the rows pyiceberg reads at that
snapshot, canonical form), compares <dir>/ours-<snapshot>.arrow (the rows
lake-orm read at the same snapshot). Exit 1 with the differences.
"""
import glob
import os
import sys

import pyarrow.ipc as ipc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from readers import exit, report, table_rows  # noqa: E402


def main(directory):
    problems = []
    expected_files = sorted(glob.glob(os.path.join(directory, "rows-*.jsonl")))
    for expected_path in expected_files:
        snapshot = os.path.basename(expected_path)[len("rows-") : -len(".jsonl")]
        ours = os.path.join(directory, f"ours-{snapshot}.arrow")
        if not os.path.exists(ours):
            problems.append(f"snapshot {snapshot}: lake-orm read nothing")
            continue
        with ipc.open_file(ours) as reader:
            actual = table_rows.canonical_rows(reader.read_all(), ["id"])
        problems += [f"snapshot {snapshot}: {d}" for d in table_rows.differences(actual, table_rows.load(expected_path))]
    if not expected_files:
        problems.append("no snapshots to compare")
    return report(problems, "lake-orm reads pyiceberg's table differently",
                  f"[compare_rows] {len(expected_files)} snapshots identical")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    exit(main(sys.argv[1]))
