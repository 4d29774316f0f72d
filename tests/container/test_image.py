"""The Dockerfile, built and run: podman builds it on a Debian base made here (base_image.py),
then the container must get ready, run as the non-root user, stop cleanly on SIGTERM, and keep
its SQLite file on a mounted volume across a restart.

podman runs with runc (crun refuses some machines' cgroup setups) and the host's network. The
build reaches the package indexes the host's pip uses: their local folders are mounted
read-only and a pip.conf naming them (with the host's certificate bundle) is mounted at
/etc/pip.conf, so nothing about this machine goes into the Dockerfile."""

from __future__ import annotations

import asyncio
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
import pytest

from tests.conftest import require
from tests.container import base_image
from tests.paths import ROOT

pytestmark = pytest.mark.container

PODMAN = shutil.which("podman") or ""
CA_IN_BUILD = "/host-ca.crt"
_, NOFILE = resource.getrlimit(resource.RLIMIT_NOFILE)
RUN_OPTIONS = (
    "--network=host",
    "--env=PARLEY_HTTP__HOST=127.0.0.1",
    # podman as root raises the open-files and processes limits; a VM or a container host may
    # refuse that ("error setting rlimit"): stay within this process's own limits.
    f"--ulimit=nofile={min(NOFILE, 65536)}:{min(NOFILE, 65536)}",
    "--ulimit=nproc=4096:4096",
    # podman runs health checks from systemd timers, which a CI machine may not have.
    "--no-healthcheck",
)


def podman(*args: str, check: bool = True, timeout: float = 900) -> str:
    done = subprocess.run(
        [PODMAN, "--runtime", "runc", *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and done.returncode != 0:
        raise AssertionError(
            f"podman {' '.join(args)} exited {done.returncode}:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        )
    return done.stdout.strip()


def host_pip_config() -> dict[str, str]:
    """What the host's pip is configured with (files and PIP_* variables): ``key -> value``."""
    out = subprocess.run(
        [sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True, check=True
    ).stdout
    found: dict[str, str] = {}
    for line in out.splitlines():  # global.extra-index-url='file:///opt/pypi/simple ...'
        key, _, value = line.partition("=")
        found[key.split(".", 1)[-1]] = value.strip("'\"")
    return found


def build_mounts(tmp: Path) -> list[str]:
    """-v options giving the build the host's package indexes and certificates, read-only."""
    config = host_pip_config()
    lines = ["[global]"]
    mounts: dict[str, str] = {}
    cert = config.get("cert") or os.environ.get("SSL_CERT_FILE") or "/etc/ssl/certs/ca-certificates.crt"
    if Path(cert).is_file():
        mounts[cert] = CA_IN_BUILD
        lines.append(f"cert = {CA_IN_BUILD}")
    for key in ("index-url", "extra-index-url", "find-links", "constraint", "trusted-host", "default-timeout"):
        if key not in config:
            continue
        lines.append(f"{key} = {config[key]}")
        for value in config[key].split():
            local = Path(urlsplit(value).path if value.startswith("file:") else value)
            if not local.is_absolute() or not local.exists() or value.startswith(("http:", "https:")):
                continue
            # a "simple" index links its files as ../../files/...: mount the folder holding both
            folder = local.parent if local.name == "simple" else local
            mounts[str(folder)] = str(folder)
    conf = tmp / "pip.conf"
    conf.write_text("\n".join(lines) + "\n")
    mounts[str(conf)] = "/etc/pip.conf"
    return [f"--volume={host}:{inside}:ro" for host, inside in mounts.items()]


@pytest.fixture(scope="module")
def image(tmp_path_factory) -> Iterator[str]:
    require(
        bool(PODMAN) and bool(shutil.which("runc")) and bool(shutil.which("debootstrap")),
        "podman, runc and debootstrap",
    )
    base = base_image.ensure(PODMAN)
    tmp = tmp_path_factory.mktemp("image")
    # A name of its own: runs on one machine at once must not run each other's builds.
    name = f"localhost/parley:ci-{uuid.uuid4().hex[:12]}"
    podman(
        "build", "--pull=never", "--network=host", "--format=docker", f"--build-arg=BASE={base}",
        *build_mounts(tmp), f"--tag={name}", str(ROOT),
    )  # fmt: skip
    yield name
    # Only this image's own last layers go; the layers it shares stay as the next build's cache.
    podman("rmi", name, check=False)


@pytest.fixture
def volume() -> Iterator[str]:
    name = f"parley-ci-{uuid.uuid4().hex[:12]}"
    podman("volume", "create", name)
    yield name
    podman("volume", "rm", "--force", name, check=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Container:
    """One ``podman run -d`` of the image, on the host's network at ``port``."""

    def __init__(self, image: str, volume: str) -> None:
        self.port = free_port()
        self.name = f"parley-ci-{uuid.uuid4().hex[:12]}"
        podman("run", "--detach", f"--name={self.name}", *RUN_OPTIONS, f"--env=PARLEY_HTTP__PORT={self.port}",
               f"--volume={volume}:/app/data", image)  # fmt: skip

    async def ready(self, session: aiohttp.ClientSession) -> None:
        async with asyncio.timeout(60):  # a generous bound on start-up, not a measurement
            while True:
                state = json.loads(podman("inspect", "--format={{json .State}}", self.name))
                if not state["Running"]:
                    raise AssertionError(f"container exited {state['ExitCode']}:\n{self.logs()}")
                try:
                    async with session.get(f"http://127.0.0.1:{self.port}/readyz") as resp:
                        if resp.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                await asyncio.sleep(0.2)

    def stop(self) -> int:
        """SIGTERM (podman stop), SIGKILL only past 30 s; the exit code."""
        podman("stop", "--time=30", self.name)
        return int(podman("inspect", "--format={{.State.ExitCode}}", self.name))

    def logs(self) -> str:
        done = subprocess.run([PODMAN, "logs", self.name], capture_output=True, text=True, check=False)
        return done.stdout + done.stderr

    def remove(self) -> None:
        podman("rm", "--force", self.name, check=False)


async def ask(session: aiohttp.ClientSession, port: int, page: dict[str, str], text: str) -> dict:
    """One web chat message from a page (browser in en-US); its reply frame. ``page`` keeps the
    client id and token the server issues in its welcome, presented again the next time (the
    key they are checked with is in the store, on the volume)."""
    async with session.ws_connect(f"http://127.0.0.1:{port}/chat/ws") as ws:
        await ws.send_json({"type": "hello", "locale": "en-US", **page})
        welcome = await ws.receive_json()
        page.update(cid=welcome["cid"], token=welcome["token"])
        await ws.send_json({"type": "message", "id": uuid.uuid4().hex, "text": text})
        async with asyncio.timeout(30):
            while (frame := await ws.receive_json())["type"] != "reply":
                pass
        return frame


async def test_the_image_runs_as_non_root_stops_cleanly_and_keeps_its_data(image, volume):
    page: dict[str, str] = {}
    containers: list[Container] = []
    try:
        async with aiohttp.ClientSession() as session:
            first = Container(image, volume)
            containers.append(first)
            await first.ready(session)
            uid = podman("exec", first.name, "python3", "-c", "import os; print(os.getuid(), os.getgid())")
            assert uid == "10001 10001"
            assert podman("top", first.name, "user", "args").splitlines()[1].split()[0] == "parley"
            # A choice the person made is stored in SQLite, in /app/data, on the volume.
            assert (await ask(session, first.port, page, "can we speak Spanish?"))["lang"] == "es"
            assert first.stop() == 0, first.logs()
            assert "Traceback" not in first.logs()
            where = Path(podman("volume", "inspect", "--format={{.Mountpoint}}", volume))
            assert (where / "parley.db").stat().st_size > 0

            second = Container(image, volume)  # a new container, the same volume
            containers.append(second)
            await second.ready(session)
            reply = await ask(session, second.port, page, "How long does shipping take?")
            assert reply["lang"] == "es", "the person's language did not survive the restart"
            assert second.stop() == 0, second.logs()
    finally:
        for container in containers:
            container.remove()
