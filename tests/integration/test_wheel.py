"""The wheel, as someone who does not clone Parley gets it: built from the checkout, installed
into a fresh venv with exactly the runtime lock, and run from a directory that is not the checkout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import ROOT

DATA = ("personas", "locales", "knowledge")
# What a wheel is built from; everything else in a checkout (the venv, tests, docs) stays out.
NOT_BUILT_FROM = (".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", "data", "tests", "bench", "docs")


def run(*command: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, f"{command} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path]:
    """(the fresh venv's python, its site-packages), with the wheel and the runtime lock only."""
    tmp = tmp_path_factory.mktemp("wheel")
    # Built from a copy: setuptools writes build/ and *.egg-info beside the sources.
    source = tmp / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_BUILT_FROM))
    run(sys.executable, "-m", "venv", "--without-pip", tmp / "venv", cwd=tmp)
    python = tmp / "venv" / "bin" / "python"
    # This venv's pip installs into the fresh one (--python), which saves seeding it with a pip.
    pip = (sys.executable, "-m", "pip", "--disable-pip-version-check", "--python", python)
    run(*pip, "wheel", "--no-deps", "-w", tmp / "dist", source, cwd=tmp)
    (wheel,) = (tmp / "dist").glob("parley-*.whl")
    # --no-deps: the runtime lock alone must hold every dependency (pip check proves it).
    run(*pip, "install", "--no-deps", "--no-compile", "-r", ROOT / "requirements.lock", wheel, cwd=tmp)
    run(*pip, "check", cwd=tmp)
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))", cwd=tmp).strip())
    return python, site


@pytest.fixture
def elsewhere(tmp_path) -> tuple[Path, dict[str, str]]:
    """An empty working directory and an environment with no PARLEY_* settings and no path into
    the checkout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PARLEY_", "PYTHON", "VIRTUAL_ENV"))}
    return tmp_path, env


def test_site_packages_gets_one_namespace(installed):
    _, site = installed
    assert (site / "parley" / "core").is_dir()
    assert (site / "parley" / "channels").is_dir()
    for bare in ("core", "channels", *DATA):
        assert not (site / bare).exists(), f"site-packages has a top-level {bare}"
        assert not (site / f"{bare}.py").exists()


def test_parley_check_runs_from_another_directory(installed, elsewhere):
    python, _ = installed
    cwd, env = elsewhere
    for command in ((python.parent / "parley", "check"), (python, "-m", "parley", "check")):
        out = run(*command, cwd=cwd, env=env)
        for pack in (ROOT / "locales").glob("*.toml"):
            assert pack.stem in out, f"{command}: locale pack {pack.stem} not reported:\n{out}"
    assert not list(cwd.iterdir()), "check wrote into the working directory"


def test_shipped_data_is_read_from_the_installed_package(installed, elsewhere):
    python, site = installed
    cwd, env = elsewhere
    script = (
        "import json, sys; from importlib import resources; "
        "print(json.dumps({f: sorted(str(p.relative_to(resources.files('parley.' + f))) "
        "for p in __import__('pathlib').Path(str(resources.files('parley.' + f))).rglob('*.*') "
        "if '__pycache__' not in p.parts) for f in sys.argv[1:]}))"
    )
    found = json.loads(run(python, "-c", script, *DATA, cwd=cwd, env=env))
    for folder in DATA:
        root = ROOT / folder
        shipped = sorted(str(p.relative_to(root)) for p in root.rglob("*.*") if "__pycache__" not in p.parts)
        assert found[folder] == shipped, folder
    where = run(python, "-c", "import parley.locales as m; print(m.__file__)", cwd=cwd, env=env)
    assert Path(where.strip()).is_relative_to(site)


def test_the_off_topic_corpus_is_read_from_the_installed_package(installed, elsewhere):
    from parley.core.brains.search.scope import shipped

    python, site = installed
    cwd, env = elsewhere
    script = (
        "import json; from parley.core.brains.search import scope; "
        "print(json.dumps([str(scope.FOLDER), {c: len(scope.shipped(c)) for c in ('en', 'pt-BR', 'zh-CN')}]))"
    )
    folder, counts = json.loads(run(python, "-c", script, cwd=cwd, env=env))
    assert Path(folder).is_relative_to(site)
    assert counts == {c: len(shipped(c)) for c in ("en", "pt-BR", "zh-CN")} and counts["en"] > 700
