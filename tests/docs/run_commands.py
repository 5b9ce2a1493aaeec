#!/usr/bin/env python3
"""Every shell command the docs show runs, and prints what they say it prints.

  run_commands.py --build BUILD_DIR --quickstart EXE --program NAME=EXE... DOC...

Which lines are commands:
- in a plain fence (no language), a line starting with `$ ` is a command and
  the lines up to the next `$ ` are its output as the docs show it; when
  there are any, they must appear in its standard output, in order and
  contiguous (trailing blanks ignored);
- in a ```sh fence, every line that is not blank or a comment is a command
  (a trailing backslash continues it).
Other fences (cpp, cmake, toml, text) are not shell.

The documents' commands run in the order given, each document's in its
order, all in one fresh directory where the quickstart has written its
tables to ./lake-data (the docs' "after `tools/dev demo`"), so a later
document may use what an earlier one made (docs/OPERATIONS.md the
migrations/ of docs/MIGRATIONS.md). Each runs through bash with pipefail
and must exit 0, or N when its comment says `exit N`. In that directory:
- `lakeorm` and every --program NAME (e.g. `./migrate`, the program
  docs/MIGRATIONS.md itself defines, built from its snippet) are this
  build's, on PATH or at ./NAME;
- `lakeorm.toml` says `[storage] root = "lake-data"`, the demo's tables;
- `tools/dev run build/default/X ARGS` runs this build's X (the suite is
  already inside the toolchain that `tools/dev run` would enter).
Every other `tools/dev` command builds or provisions (demo, test, install,
package, bench): it is listed as not run here, never counted as passed.
CI itself runs `tools/dev test`, and tests/install the install it wraps.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

FENCE = re.compile(r"^(`{3,}|~{3,})\s*([\w+-]*)\s*$")
BUILDS = re.compile(r"^(\w+=\S*\s+)*tools/dev\s+(?!run\s)")
EXIT = re.compile(r"#.*\bexit (\d+)\b")
TIMEOUT = 300


def commands(path):
    """[(line number, command, expected output lines)] of one document."""
    out, fence, language = [], None, ""
    pending = None  # a plain fence's command still collecting its output
    with open(path, encoding="utf-8") as f:
        lines = f.read().splitlines()
    number = 0
    while number < len(lines):
        line = lines[number]
        number += 1
        match = FENCE.match(line)
        if match and fence is None:
            fence, language = match.group(1), match.group(2)
            continue
        if fence is not None and line.strip() == fence:
            fence, pending = None, None
            continue
        if fence is None:
            continue
        if language == "":
            if line.startswith("$ "):
                pending = (number, line[2:], [])
                out.append(pending)
            elif pending is not None:
                pending[2].append(line.rstrip())
        elif language == "sh" and line.strip() and not line.lstrip().startswith("#"):
            start, command = number, line
            while command.endswith("\\") and number < len(lines):
                command = command[:-1] + lines[number]
                number += 1
            out.append((start, command, []))
    return out


def contains_in_order(output, expected):
    got = [line.rstrip() for line in output.splitlines()]
    want = [line for line in expected]
    while want and not want[-1]:
        want.pop()
    if not want:
        return True
    return any(got[i:i + len(want)] == want for i in range(len(got) - len(want) + 1))


def sandbox(build, quickstart, programs):
    """A fresh directory as the docs assume it: the demo's tables, the tools."""
    root = tempfile.mkdtemp(prefix="lake-docs-")
    work = os.path.join(root, "work")
    bin_dir = os.path.join(root, "bin")
    os.makedirs(os.path.join(work, "tools"))
    os.makedirs(bin_dir)
    for name, exe in programs.items():
        os.symlink(exe, os.path.join(bin_dir, name))
        os.symlink(exe, os.path.join(work, name))
    with open(os.path.join(work, "tools", "dev"), "w", encoding="utf-8") as f:
        f.write("#!/usr/bin/env bash\n"
                "# tools/dev run build/default/X ...: this build's X (see run_commands.py).\n"
                f'[[ $1 == run && $2 == build/default/* ]] || {{ echo "tools/dev stand-in: only run build/default/..." >&2; exit 2; }}\n'
                f'exe={build}/${{2#build/default/}}; shift 2; exec "$exe" "$@"\n')
    os.chmod(os.path.join(work, "tools", "dev"), 0o755)
    with open(os.path.join(work, "lakeorm.toml"), "w", encoding="utf-8") as f:
        f.write('[storage]\nkind = "file"\nroot = "lake-data"\n')
    result = subprocess.run([quickstart, "lake-data"], cwd=work, capture_output=True, text=True, timeout=TIMEOUT)
    if result.returncode != 0:
        sys.exit(f"FAIL the quickstart did not run:\n{result.stdout}{result.stderr}")
    env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""))
    env.pop("LAKE_DATA_DIR", None)  # the CLI's default, ./lake-data, as the docs use it
    return root, work, env


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", required=True)
    parser.add_argument("--quickstart", required=True)
    parser.add_argument("--program", action="append", default=[], metavar="NAME=EXE")
    parser.add_argument("docs", nargs="+")
    args = parser.parse_args()
    programs = dict(entry.split("=", 1) for entry in args.program)

    failures = ran = 0
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    root, work, env = sandbox(os.path.abspath(args.build), args.quickstart, programs)
    try:
        for doc in args.docs:
            name = os.path.relpath(doc, repo)
            for number, command, expected in commands(doc):
                where = f"{name}:{number}"
                if BUILDS.match(command):
                    print(f"skip {where}: {command.split('#')[0].strip()} (builds; not run in the suite)")
                    continue
                ran += 1
                try:
                    result = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=work, env=env,
                                            capture_output=True, text=True, timeout=TIMEOUT)
                except subprocess.TimeoutExpired:
                    print(f"FAIL {where}: {command}\n     ran over {TIMEOUT} s")
                    failures += 1
                    continue
                status = EXIT.search(command)
                status = int(status.group(1)) if status else 0
                if result.returncode != status:
                    print(f"FAIL {where}: {command}\n     exit {result.returncode}, not {status}\n"
                          f"{result.stdout}{result.stderr}")
                    failures += 1
                elif not contains_in_order(result.stdout, expected):
                    print(f"FAIL {where}: {command}\n     the docs show:\n" + "\n".join(expected) +
                          f"\n     it printed:\n{result.stdout}")
                    failures += 1
                else:
                    print(f"ok   {where}: {command}")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"{ran - failures} of {ran} commands ran as the docs say")
    return 1 if failures or ran == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
