"""A Debian base image made here, for building Parley's image where no registry is reachable.

``debootstrap --variant=minbase`` fetches bookworm from the Debian mirror apt is configured with,
with Debian's python3 (3.11), python3-venv and ca-certificates; ``podman import`` makes it an
image. The root filesystem is kept as a tarball in a cache folder outside the checkout, and the
image stays in podman's store, so only the first run on a machine pays for debootstrap.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path

SUITE = "bookworm"
PACKAGES = ("python3", "python3-venv", "ca-certificates")
DEFAULT_MIRROR = "http://deb.debian.org/debian"
# Nothing in the image needs these; they are a third of a minbase root filesystem.
PRUNED = ("var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc", "usr/share/man", "usr/share/locale")


def tag() -> str:
    """The image name; it changes with what goes into the image, so an old cache is not reused."""
    recipe = hashlib.sha256(f"{SUITE} {' '.join(PACKAGES)} {' '.join(PRUNED)}".encode()).hexdigest()[:12]
    return f"localhost/parley-ci-base:{SUITE}-{recipe}"


def cache_dir() -> Path:
    """PARLEY_CI_CACHE (.ci/run sets one shared by runs on the machine), else the user's cache."""
    if found := os.environ.get("PARLEY_CI_CACHE"):
        return Path(found)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "parley-ci"


def ensure(podman: str) -> str:
    """The base image's name, imported (and bootstrapped) first if this machine lacks it."""
    name = tag()
    cache = cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    with (cache / "base.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two runs at once build it once
        if subprocess.run([podman, "image", "exists", name], check=False).returncode == 0:
            return name
        tarball = cache / f"{name.rsplit(':', 1)[1]}.tar"
        if not tarball.exists():
            bootstrap(cache, tarball)
        changes = ["--change", "ENV LANG=C.UTF-8", "--change", 'CMD ["/bin/bash"]']
        subprocess.run([podman, "import", *changes, str(tarball), name], check=True, capture_output=True)
    return name


def bootstrap(cache: Path, tarball: Path) -> None:
    root = cache / "rootfs.partial"
    shutil.rmtree(root, ignore_errors=True)  # an interrupted run's leftovers
    command = ["debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}", SUITE, str(root), mirror()]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"debootstrap failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    for folder in PRUNED:
        shutil.rmtree(root / folder, ignore_errors=True)
        (root / folder).mkdir(parents=True)
    partial = tarball.with_suffix(".partial")
    subprocess.run(["tar", "-C", str(root), "--numeric-owner", "-cf", str(partial), "."], check=True)
    partial.rename(tarball)  # whole or absent: a killed run leaves no half tarball behind
    shutil.rmtree(root)


def mirror(sources: Path = Path("/etc/apt")) -> str:
    """The Debian mirror apt uses for the suite (deb822 .sources or one-line .list files)."""
    files = [sources / "sources.list", *sorted((sources / "sources.list.d").glob("*.list"))]
    for path in sorted((sources / "sources.list.d").glob("*.sources")):
        for stanza in re.split(r"\n\s*\n", path.read_text()):
            fields = dict(re.findall(r"^(\w[\w-]*):\s*(.*)$", stanza, re.M))
            if "deb" in fields.get("Types", "").split() and SUITE in fields.get("Suites", "").split():
                return fields["URIs"].split()[0]
    for path in files:
        if not path.exists():
            continue
        for line in path.read_text().splitlines():
            parts = re.sub(r"\[[^]]*\]", "", line).split()  # drop [signed-by=...] options
            if len(parts) >= 3 and parts[0] == "deb" and parts[2] == SUITE:
                return parts[1]
    return DEFAULT_MIRROR
