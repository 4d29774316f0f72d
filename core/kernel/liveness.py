"""Who holds a lock or a lease, and whether that holder is certainly gone.

A conversation lock or an outbox lease taken by a process that was then killed (SIGKILL, OOM,
a power cut) used to hold its conversation for the whole lease: 120 s of silence after a
restart. Each lock and lease now records its owner, ``host:pid:nonce``; at start-up a process
frees what is held by owners it can prove dead: a process of this host whose pid no longer runs,
or a previous incarnation of this very process (same host and pid, another nonce: a container
restarted gets pid 1 again). Anything else (another host, a live pid) is left to its lease.
Being wrong is safe: a freed lock gets a new fencing token, so a holder that was alive after
all can no longer commit or settle.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Owner:
    host: str
    pid: int
    nonce: str

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}:{self.nonce}"

    @classmethod
    def current(cls) -> Owner:
        """This process, with a nonce of its own (pids are reused, hosts restart)."""
        return cls(socket.gethostname(), os.getpid(), secrets.token_hex(3))

    @classmethod
    def parse(cls, text: str) -> Owner | None:
        host, _, rest = text.rpartition(":")
        host, _, pid = host.rpartition(":")
        if not host or not pid.isdigit() or not rest:
            return None
        return cls(host, int(pid), rest)


def pid_alive(pid: int) -> bool:
    """True if a process with this pid runs on this host (signal 0 checks without sending)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it runs, as someone else
        return True
    return True


class Liveness:
    """Answers "is this owner certainly dead?" for the store's start-up recovery."""

    def __init__(self, me: Owner, alive: Callable[[int], bool] = pid_alive) -> None:
        self.me = me
        self.alive = alive

    def dead(self, owner: str) -> bool:
        other = Owner.parse(owner)
        if other is None or other.host != self.me.host or other == self.me:
            return False  # unknown, another host, or us: only its lease can tell
        if other.pid == self.me.pid:
            return True  # our pid with another nonce: a previous incarnation of this process
        return not self.alive(other.pid)
