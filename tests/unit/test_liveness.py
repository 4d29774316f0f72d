"""Which lock owners a restarting process may treat as dead (core/kernel/liveness.py)."""

from __future__ import annotations

import os
import subprocess
import sys

from parley.core.kernel.liveness import Liveness, Owner, pid_alive

ME = Owner("box-1", 500, "aaaaaa")


def test_an_owner_reads_back_from_what_it_writes():
    assert Owner.parse(str(ME)) == ME
    assert Owner.parse("host:with:colons:12:beef") == Owner("host:with:colons", 12, "beef")
    assert Owner.parse("") is None and Owner.parse("nonsense") is None and Owner.parse("h:x:n") is None


def test_a_dead_pid_on_this_host_is_dead_and_a_live_one_is_not():
    live = Liveness(ME, alive=lambda pid: pid == 77)
    assert live.dead("box-1:78:bbbbbb")
    assert not live.dead("box-1:77:bbbbbb")


def test_our_own_pid_with_another_nonce_is_a_previous_incarnation():
    # A container restarted gets the same pid (1): the lock's holder was us, before the restart.
    live = Liveness(ME, alive=lambda pid: True)
    assert live.dead("box-1:500:bbbbbb")
    assert not live.dead(str(ME))  # ourselves, now


def test_another_host_or_an_unreadable_owner_is_left_to_its_lease():
    live = Liveness(ME, alive=lambda pid: False)
    assert not live.dead("box-2:78:bbbbbb")
    assert not live.dead("") and not live.dead("garbage")


def test_pid_alive_asks_the_system():
    assert pid_alive(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not pid_alive(child.pid)  # reaped: no such process
