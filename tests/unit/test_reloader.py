"""The reloader: polls modification times, swaps catalogs in place, refuses broken files."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from parley.core.config.reloader import Reloader
from parley.core.config.settings import shipped
from parley.core.i18n.locales import LocaleCatalog
from parley.core.i18n.personas import PersonaCatalog

from tests.conftest import eventually


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    locales, personas = tmp_path / "locales", tmp_path / "personas"
    shutil.copytree(shipped("locales"), locales)
    shutil.copytree(shipped("personas"), personas)
    return locales, personas


def reloader_for(locales: Path, personas: Path, every: float = 3.0) -> Reloader:
    return Reloader(LocaleCatalog.load(locales), PersonaCatalog.load(personas, "demo"), locales, personas, every)


async def test_the_running_reloader_notices_edits_new_and_removed_files(folders):
    locales, personas = folders
    reloader = reloader_for(locales, personas, every=0.02)
    catalog, people = reloader.locales, reloader.personas  # the objects the engine holds
    task = asyncio.create_task(reloader.run())
    try:
        text = (personas / "sales.toml").read_text(encoding="utf-8")
        (personas / "sales.toml").write_text(text.replace('name = "Leo"', 'name = "Noa"'), encoding="utf-8")
        await eventually(lambda: people.get("sales").name == "Noa")

        shutil.copy(locales / "es.toml", locales / "es-MX.toml")
        text = (locales / "es-MX.toml").read_text(encoding="utf-8")
        (locales / "es-MX.toml").write_text(text.replace('code = "es"', 'code = "es-MX"'), encoding="utf-8")
        await eventually(lambda: "es-MX" in catalog.codes)
        assert catalog.match("es_MX") == "es-MX"

        (locales / "es-MX.toml").unlink()
        await eventually(lambda: "es-MX" not in catalog.codes)
        assert catalog.get("es-MX").code == "es"
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def test_nothing_changed_means_no_reload(folders):
    reloader = reloader_for(*folders)
    assert not reloader.poll() and reloader.reloads == 0


def test_a_broken_persona_keeps_the_previous_ones(folders):
    locales, personas = folders
    reloader = reloader_for(locales, personas)
    (personas / "concierge.toml").write_text('id = "concierge"\nname = 3\n', encoding="utf-8")
    assert not reloader.poll()
    assert "concierge.toml:2: name" in reloader.last_error
    assert reloader.personas.get("concierge").name == "Claire"
    (locales / "en.toml").unlink()  # the default pack gone: refused too
    (personas / "concierge.toml").write_text((shipped("personas") / "concierge.toml").read_text(encoding="utf-8"))
    assert not reloader.poll() and "default locale 'en' has no pack" in reloader.last_error
    assert reloader.locales.get("en").code == "en"


def test_request_forces_a_reload_like_sighup(folders):
    reloader = reloader_for(*folders)
    reloader.request()
    assert reloader.poll() and reloader.reloads == 1
