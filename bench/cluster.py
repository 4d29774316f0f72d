"""Redis Cluster benchmark: turns/s and p50/p99 through real ``bot.py`` processes on a local
cluster of three primaries, beside one process on a single Redis measured in the same run:

  1. one process, one Redis (the baseline),
  2. one process, the cluster,
  3. two processes, the cluster, one deployment (one prefix: one slot, one primary),
  4. two processes, the cluster, two deployments (two prefixes whose slots are on two primaries),

with the CPU Parley's processes spent per turn (less blurred by the machine's other load than
turns/s), and, for each cluster run, how the Redis commands spread over the primaries (INFO commandstats
deltas per node): one deployment's keys share one hash tag, so its work lands on one node.

The cluster is started as the tests start it (tests/redis_servers.py: ports
PARLEY_TEST_CLUSTER_PORTS, default 7101-7103); the single Redis on a free port.

    .venv/bin/python bench/cluster.py [--clients 16] [--turns 10] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from redis.asyncio import Redis

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from parley.core.storage.redis_client import client_for  # noqa: E402

from bench.scale import drive, pct  # noqa: E402
from tests.integration.processes import Bot, RedisServer  # noqa: E402
from tests.redis_servers import LocalCluster  # noqa: E402


@dataclass
class Run:
    rate: float  # turns/s
    p50: float  # ms
    p99: float
    cpu: float  # microseconds of Parley's processes' CPU per turn
    spread: Counter[int]  # commands per cluster node (index)


async def calls(nodes: list[Redis]) -> list[int]:
    """Commands each node has run so far (scripts' inner calls included)."""
    out = []
    for r in nodes:
        stats = await r.info("commandstats")
        out.append(sum(int(v["calls"]) for v in stats.values()))
    return out


async def prefixes_on_two_nodes(url: str) -> tuple[str, str]:
    """Two deployment prefixes whose hash tags land on two different primaries."""
    rc = client_for(url)
    try:
        await rc.initialize()
        home = rc.get_node_from_key("{shop}:x").name
        other = next(f"tenant{n}" for n in range(1000) if rc.get_node_from_key(f"{{tenant{n}}}:x").name != home)
        return "shop", other
    finally:
        await rc.aclose()


def cpu_seconds(pid: int) -> float:
    """User + system CPU a process has used (/proc): a figure the machine's other load blurs less."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(urls: list[str], work: Path, args: argparse.Namespace, nodes: list[Redis]) -> Run:
    bots = [Bot(url, work) for url in urls]
    try:
        await asyncio.gather(*(bot.ready() for bot in bots))
        await drive([bot.base for bot in bots], 4, 3)  # warm up (imports, first connections)
        before, cpu = await calls(nodes), sum(cpu_seconds(bot.proc.pid) for bot in bots)
        elapsed, lat = await drive([bot.base for bot in bots], args.clients, args.turns)
        after, cpu = await calls(nodes), sum(cpu_seconds(bot.proc.pid) for bot in bots) - cpu
        spread = Counter({node: x - y for node, x, y in zip(range(len(nodes)), after, before, strict=True)})
        return Run(len(lat) / elapsed, pct(lat, 50), pct(lat, 99), cpu * 1e6 / len(lat), spread)
    finally:
        for bot in bots:
            bot.kill()


async def run(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="parley-bench-cluster-"))
    server = RedisServer(work / "redis", fsync="everysec")
    cluster = LocalCluster(work / "cluster")
    server.start()
    cluster.start()
    nodes = [Redis(port=p, decode_responses=True) for p in cluster.ports]
    runs: dict[str, list[Run]] = {}
    try:
        a, b = await prefixes_on_two_nodes(cluster.url)
        for n in range(args.rounds):  # interleaved, so a busy moment of the machine blurs every setup alike
            configs = {
                "1 process, Redis": [f"{server.url}?prefix=single{n}"],
                "1 process, cluster": [f"{cluster.url}?prefix=one{n}"],
                "2 processes, cluster, 1 prefix": [f"{cluster.url}?prefix=two{n}"] * 2,
                "2 processes, cluster, 2 prefixes": [f"{cluster.url}?prefix={a}", f"{cluster.url}?prefix={b}"],
            }
            for label, urls in configs.items():
                runs.setdefault(label, []).append(await measure(urls, work, args, nodes))
        rows = {label: sorted(found, key=lambda r: r.rate)[len(found) // 2] for label, found in runs.items()}
        base = rows["1 process, Redis"]
        print(
            f"\nRedis Cluster benchmark: {args.clients} web chat clients x {args.turns} turns, median of {args.rounds}"
        )
        print("(turns/s and latency depend on the machine's other load; CPU per turn much less)\n")
        print(f"{'setup':<34}{'turns/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'vs 1 Redis':>12}{'CPU us/turn':>13}")
        for label, r in rows.items():
            print(f"{label:<34}{r.rate:>9.0f}{r.p50:>9.1f}{r.p99:>9.1f}{r.rate / base.rate:>11.2f}x{r.cpu:>13.0f}")
        print("\nshare of the cluster's commands per primary (port):")
        for label, r in rows.items():
            total = sum(r.spread.values())
            if "cluster" in label and total:
                shares = (f"{cluster.ports[i]} {r.spread[i] / total:4.0%}" for i in range(len(nodes)))
                print(f"  {label:<34}" + "  ".join(shares))
    finally:
        for r in nodes:
            await r.aclose()
        cluster.stop()
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
