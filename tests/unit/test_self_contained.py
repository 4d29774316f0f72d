"""Nothing in the repository points at a file outside it: a clone must stand on its own."""

from __future__ import annotations

import re
import subprocess

from tests.paths import ROOT

# Notes that live beside the project, not in it, and absolute paths of one machine.
OUTSIDE = re.compile(r"\b(DESIGN|SPEC|PLATFORMS)\.md\b|/work/|\.\./shared\b")
# The two benchmarks still read their baselines from beside the project until bench/ carries its
# own (the bench/baselines change of issue 16, on its way). Once they no longer do, this test
# fails until they are taken off this list, so the exception cannot outlive the problem.
PENDING = {"bench/telegram.py", "bench/slack.py"}


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
        if any(OUTSIDE.search(line) for line in text.splitlines()):
            hits.append(name)
    assert sorted(hits) == sorted(PENDING)
