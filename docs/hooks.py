"""MkDocs hook: lay out the source as an installed wheel has it, for the API reference.

``parley.core`` lives in ``core/`` and ``parley.channels`` in ``channels/`` (pyproject's
``package-dir``); griffe, which reads the source for mkdocstrings, only knows folders named after
their package. So before the build, ``build/api-src/parley/`` is laid out with links: the
``parley/`` folder's entries, plus each mapped package at its place (``core`` -> ``core/``...).
mkdocs.yml points the Python handler's ``paths`` there.
"""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

from mkdocs.plugins import event_priority

ROOT = Path(__file__).resolve().parent.parent
TREE = ROOT / "build" / "api-src"


@event_priority(100)  # before mkdocstrings reads its paths
def on_config(config):
    mapping = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"]
    shutil.rmtree(TREE, ignore_errors=True)
    top = TREE / "parley"
    top.mkdir(parents=True)
    for entry in (ROOT / mapping["parley"]).iterdir():
        if entry.name != "__pycache__":
            (top / entry.name).symlink_to(entry)
    for package, folder in mapping.items():
        if package != "parley" and (ROOT / folder / "__init__.py").exists():
            (TREE / package.replace(".", "/")).symlink_to(ROOT / folder)
    return config
