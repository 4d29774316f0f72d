"""The test kit stays out of a running bot: nothing outside parley.testing imports it, and the
app starts its imports without pytest installed."""

from __future__ import annotations

import ast
import subprocess
import sys

from tests.paths import ROOT

RUNTIME_FOLDERS = ("parley", "core", "channels")


def imported_modules(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_nothing_outside_the_kit_imports_it():
    offenders = []
    for folder in RUNTIME_FOLDERS:
        for path in (ROOT / folder).rglob("*.py"):
            if (ROOT / "parley" / "testing") in path.parents:
                continue
            if any(
                m == "parley.testing" or m.startswith("parley.testing.") for m in imported_modules(path.read_text())
            ):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_the_app_imports_without_pytest():
    # A meta path entry that refuses pytest: an import of it anywhere in the app's graph fails.
    probe = (
        "import sys\n"
        "class NoPytest:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('pytest', '_pytest', 'pytest_asyncio'):\n"
        "            raise ImportError('pytest is a test-only dependency: ' + name)\n"
        "sys.meta_path.insert(0, NoPytest())\n"
        "import parley.app, parley.cli\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.stdout.strip() == "ok", done.stderr
