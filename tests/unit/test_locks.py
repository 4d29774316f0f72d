"""The two locks: requirements.lock pins everything running needs, requirements-dev.lock adds the
test tools. Each is closed under dependencies (checked against the metadata of the packages
dev.py installed from them), and pyproject.toml names the same direct dependencies."""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.paths import ROOT

RUNTIME, DEV = ROOT / "requirements.lock", ROOT / "requirements-dev.lock"
PIN = re.compile(r"^([A-Za-z0-9._-]+)==(\S+)")


def pins(lock: Path) -> dict[str, str]:
    """name -> version of the lock's own pins (not the files it includes)."""
    found: dict[str, str] = {}
    for line in lock.read_text().splitlines():
        if pin := PIN.match(line):
            name = canonicalize_name(pin[1])
            assert name not in found, f"{lock.name} pins {name} twice"
            found[name] = pin[2]
    return found


def direct(requirements: list[str]) -> set[str]:
    return {canonicalize_name(Requirement(r).name) for r in requirements}


def listed(infile: Path) -> list[str]:
    lines = (line.split("#")[0].strip() for line in infile.read_text().splitlines())
    return [line for line in lines if line and not line.startswith("-")]


def test_the_dev_lock_includes_the_runtime_lock_and_repins_nothing():
    assert "-r requirements.lock" in DEV.read_text().splitlines()
    runtime, dev = pins(RUNTIME), pins(DEV)
    assert not runtime.keys() & dev.keys()
    assert {"pytest", "playwright", "ruff"} <= dev.keys()


def test_pyproject_and_the_in_files_name_the_same_direct_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert direct(project["dependencies"]) == direct(listed(ROOT / "requirements.in"))
    assert direct(project["optional-dependencies"]["test"]) == direct(listed(ROOT / "requirements-dev.in"))
    assert direct(project["dependencies"]) <= pins(RUNTIME).keys()
    assert direct(project["optional-dependencies"]["test"]) <= pins(DEV).keys()


def test_each_lock_pins_every_dependency_of_what_it_pins():
    """A lock installed with ``pip install --no-deps`` must lack nothing: every requirement of a
    pinned package (for this platform and Python) is pinned too, the runtime lock's within itself."""
    runtime = pins(RUNTIME)
    everything = {**runtime, **pins(DEV)}
    for lock, allowed in ((RUNTIME, runtime), (DEV, everything)):
        for name, version in pins(lock).items():
            try:
                dist = distribution(name)
            except PackageNotFoundError:
                raise AssertionError(f"{name} ({lock.name}) is not installed: run python3 dev.py test") from None
            assert dist.version == version, f"{name}: {lock.name} pins {version}, {dist.version} is installed"
            for spec in dist.requires or []:
                requirement = Requirement(spec)
                if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
                    continue  # another platform's, an older Python's, or an extra's
                needed = canonicalize_name(requirement.name)
                assert needed in allowed, f"{name} needs {needed}, which {lock.name} does not pin"
                assert requirement.specifier.contains(allowed[needed], prereleases=True), (
                    f"{name} needs {requirement}, {lock.name} pins {allowed[needed]}"
                )
