#!/usr/bin/env python3
"""Every relative link in the docs names a file or folder that exists, and
every #anchor a heading of the file it points into.

  check_links.py REPO_ROOT DOC...

Links outside the repository (http:, https:, mailto:) are not checked; a
link to ../shared/ (the project's shared notes, beside the repository) is
not either, since a clone does not have it.
"""
import os
import re
import sys

LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^\s*(`{3,}|~{3,})")


def headings(path):
    """GitHub's anchors for the headings of a Markdown file."""
    anchors, in_code = set(), False
    with open(path, encoding="utf-8") as f:
        for line in f:
            if FENCE.match(line):
                in_code = not in_code
            elif not in_code and line.startswith("#"):
                text = line.lstrip("#").strip().lower()
                text = re.sub(r"[^\w\- ]", "", text)
                anchors.add(text.replace(" ", "-"))
    return anchors


def links(path):
    in_code = False
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            if FENCE.match(line):
                in_code = not in_code
                continue
            if in_code:
                continue
            for target in LINK.findall(re.sub(r"`[^`]*`", "", line)):
                yield number, target


def main():
    root, docs = os.path.realpath(sys.argv[1]), sys.argv[2:]
    bad = 0
    for doc in docs:
        for number, target in links(doc):
            if re.match(r"^[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            resolved = os.path.realpath(os.path.join(os.path.dirname(doc), path)) if path else os.path.realpath(doc)
            if not resolved.startswith(root + os.sep) and resolved != root:
                continue  # outside the repository (../shared/)
            if not os.path.exists(resolved):
                print(f"{doc}:{number}: {target}: no such file")
                bad += 1
            elif anchor and resolved.endswith(".md") and anchor not in headings(resolved):
                print(f"{doc}:{number}: {target}: no heading '#{anchor}' there")
                bad += 1
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
