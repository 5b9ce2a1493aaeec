#!/usr/bin/env python3
"""Turns the ```cpp blocks of the documentation into translation units.

The docs show real code, so the build compiles it: a snippet that no longer
matches the API fails the build, not a reader. tests/docs/README.md has the
rules; in short, for each Markdown file:

- a ```cpp block with an `#include` line is a complete translation unit,
  written as it is to <doc>_block<N>.cpp (a program if it has `main`);
- every other ```cpp block is a fragment: all of one file's fragments go
  into <doc>_fragments.cpp, each in a function of its own, after
  tests/docs/preamble.hpp (the headers, the structs the docs use, and the
  variables fragments take for granted);
- other fences (```cpp-fails for code shown failing, ```sh, ...) are skipped.

`#line` directives point compiler errors at the Markdown line.

  extract_snippets.py --root SRC --out DIR --list  DOC...   prints "object|program <file>" lines
  extract_snippets.py --root SRC --out DIR --write DOC...   writes the files
"""
import argparse
import os
import re
import sys

FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([^\s`]*)\s*$")
MAIN = re.compile(r"\bint\s+main\s*\(")


def blocks(path):
    """Yields (first code line number, info string, code) of each fenced block."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, info = m.group(1), m.group(2), m.group(3)
        start = i + 1
        j = start
        while j < len(lines):
            close = FENCE.match(lines[j])
            if close and close.group(2).startswith(fence[0] * len(fence)) and not close.group(3):
                break
            j += 1
        if j == len(lines):
            sys.exit(f"{path}:{i + 1}: unclosed code fence")
        code = [l[len(indent):] if l.startswith(indent) else l.lstrip() for l in lines[start:j]]
        yield start + 1, info, "\n".join(code) + "\n"
        i = j + 1


def doc_id(root, path):
    rel = os.path.relpath(path, root)
    return re.sub(r"[^A-Za-z0-9]+", "_", os.path.splitext(rel)[0]).lower(), rel


def units(root, path):
    """The translation units of one document: [(kind, file name, content)]."""
    name, rel = doc_id(root, path)
    header = f"// Generated from {rel} by tests/docs/extract_snippets.py; edit the Markdown, not this file.\n"
    out, fragments = [], []
    for line, info, code in blocks(path):
        if info != "cpp":
            continue
        if re.search(r"^\s*#\s*include\b", code, re.M):
            kind = "program" if MAIN.search(code) else "object"
            out.append((kind, f"{name}_block{len(out) + 1}.cpp", f'{header}#line {line} "{rel}"\n{code}'))
        else:
            fragments.append(
                f"namespace docs_fragment_{line} {{\n"
                f"using namespace docs_inputs;\n"
                f"[[maybe_unused]] void fragment() {{\n"
                f'#line {line} "{rel}"\n{code}}}\n'
                f"}}  // namespace docs_fragment_{line}\n")
    if fragments:
        out.append(("object", f"{name}_fragments.cpp", header + '#include "preamble.hpp"\n\n' + "\n".join(fragments)))
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--root", required=True)
    p.add_argument("--out", required=True)
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--list", action="store_true")
    mode.add_argument("--write", action="store_true")
    p.add_argument("docs", nargs="+")
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    written = set()
    for doc in args.docs:
        for kind, file, content in units(args.root, doc):
            target = os.path.join(args.out, file)
            written.add(file)
            if args.list:
                print(f"{kind} {target}")
            else:
                with open(target, "w", encoding="utf-8") as f:
                    f.write(content)
    if args.write:  # a block that is gone leaves no file behind
        for stale in set(os.listdir(args.out)) - written:
            if stale.endswith(".cpp"):
                os.remove(os.path.join(args.out, stale))


if __name__ == "__main__":
    main()
