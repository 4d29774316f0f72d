"""Nothing in the repository points at a file outside it: a clone must stand on its own."""

from __future__ import annotations

import re
import subprocess

from tests.paths import ROOT

# Notes that live beside the project, not in it, and absolute paths of one machine.
OUTSIDE = re.compile(r"\b(DESIGN|SPEC|PLATFORMS)\.md\b|/work/|\.\./shared\b")


def test_no_file_refers_outside_the_repository():
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    hits: list[str] = []
    for name in filter(None, tracked.decode().split("\0")):
        path = ROOT / name
        if name == "tests/unit/test_self_contained.py" or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # binary
        hits += [f"{name}:{n}" for n, line in enumerate(text.splitlines(), 1) if OUTSIDE.search(line)]
    assert hits == []
