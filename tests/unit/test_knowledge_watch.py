"""Knowledge reloads on a changed folder (mtime polling) or on SIGHUP; a bad reload keeps the old."""

from __future__ import annotations

import asyncio

from parley.core.brains.knowledge_watch import KnowledgeWatcher

from tests.conftest import eventually


def folder_with(tmp_path, **files):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return tmp_path


async def test_a_changed_file_reloads(tmp_path):
    folder = folder_with(tmp_path, **{"a.md": "# A\none\n"})
    loaded = []
    watcher = KnowledgeWatcher(folder, loaded.append, every=0)
    assert not await watcher.check()  # nothing changed yet
    (folder / "a.md").write_text("# A\none\n## B\ntwo, longer now\n")
    assert await watcher.check() and len(loaded[-1].passages) == 2
    assert not await watcher.check()


async def test_an_unreadable_file_keeps_the_old_knowledge(tmp_path):
    folder = folder_with(tmp_path, **{"a.md": "# A\none\n"})
    loaded = []
    watcher = KnowledgeWatcher(folder, loaded.append, every=0)
    (folder / "b.md").write_bytes(b"\xff\xfe not utf-8")
    assert not await watcher.check() and loaded == []


async def test_a_poke_forces_a_reload(tmp_path):
    folder = folder_with(tmp_path, **{"a.md": "# A\none\n"})
    loaded = []
    watcher = KnowledgeWatcher(folder, loaded.append, every=0)  # no polling: only pokes (SIGHUP)
    task = asyncio.create_task(watcher.run())
    try:
        watcher.poke()
        await eventually(lambda: watcher.reloads == 1)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_reload_builds_every_index_on_its_worker_thread(tmp_path):
    from parley.core.brains.knowledge_watch import KnowledgeWatcher

    (tmp_path / "en").mkdir()
    (tmp_path / "es").mkdir()
    (tmp_path / "en" / "a.md").write_text("# Shipping\nWe ship worldwide.\n")
    (tmp_path / "es" / "a.md").write_text("# Envíos\nEnviamos a todo el mundo.\n")
    loaded = []
    watcher = KnowledgeWatcher(tmp_path, loaded.append, every=0)
    assert await watcher.check(force=True)
    assert sorted(loaded[-1].indexes._built) == ["en", "es"]  # nothing left for a question to build
