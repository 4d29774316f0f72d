"""Start-up failures name their variable (or hook) and the real cause; names that mean nothing
(a mistyped variable, a tool no one provides) are warned of with the closest valid name; a bot's
own module runs and is checked through ``--app``."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from parley.core.config.settings import shipped

from parley import Bot, StartupError
from tests.integration.test_cli import ROOT, bot


def one_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.strip().splitlines() if line.startswith("parley:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_store_path_that_cannot_be_created_names_the_store_not_the_port():
    line = one_line(bot("run", env={"PARLEY_STORE_URL": "sqlite:////etc/hostname/sub/parley.db"}))
    assert "PARLEY_STORE_URL" in line and "Not a directory: /etc/hostname/sub" in line
    assert "HTTP" not in line


def test_a_port_in_use_names_the_port_and_says_why():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = one_line(bot("run", env={"PARLEY_HTTP__PORT": str(port), "PARLEY_STORE_URL": "memory://"}))
    assert "PARLEY_HTTP__HOST/PORT" in line and f"127.0.0.1:{port}" in line and "in use" in line


def test_a_mistyped_variable_is_warned_of_with_the_closest_name():
    result = bot("check", env={"PARLEY_TELEGRAM__TOKNE": "123:abc", "PARLEY_PERSONNA": "sales"})
    assert result.returncode == 0, result.stderr
    assert (
        "PARLEY_TELEGRAM__TOKNE (in the environment) is not a Parley setting; did you mean PARLEY_TELEGRAM__TOKEN?"
        in (result.stderr)
    )
    assert "PARLEY_PERSONNA (in the environment) is not a Parley setting; did you mean PARLEY_PERSONA?" in result.stderr
    assert "123:abc" not in result.stderr  # names only: a mistyped variable may hold a secret


def personas_with(tmp_path: Path, tools: str) -> Path:
    folder = tmp_path / "personas"
    folder.mkdir()
    for path in shipped("personas").glob("*.toml"):
        (folder / path.name).write_text(path.read_text())
    demo = folder / "demo.toml"
    demo.write_text(demo.read_text().replace('allowed_tools = ["handoff", "capture_lead", "schedule_followup"]', tools))
    return folder


def test_check_warns_of_a_tool_no_one_provides_at_its_line(tmp_path):
    folder = personas_with(tmp_path, 'allowed_tools = ["handof", "capture_lead"]')
    result = bot("check", env={"PARLEY_PERSONAS_DIR": str(folder)})
    assert result.returncode == 0, result.stderr
    line = next(
        n for n, text in enumerate((folder / "demo.toml").read_text().splitlines(), 1) if "allowed_tools" in text
    )
    assert f"demo.toml:{line}: warning: allowed_tools: no tool named 'handof'; did you mean handoff?" in result.stderr


async def test_start_up_warns_of_unknown_tools_when_a_model_is_configured(make_settings, tmp_path, caplog):
    folder = personas_with(tmp_path, 'allowed_tools = ["capture_leads"]')
    llm = {"api_key": "sk-test-0123456789", "base_url": "http://127.0.0.1:9/v1"}
    async with Bot(make_settings(personas_dir=str(folder), llm=llm)):
        pass
    assert "persona demo: allowed_tools: no tool named 'capture_leads'; did you mean capture_lead?" in caplog.text


async def test_a_failing_start_up_hook_is_named_and_what_started_is_closed(make_settings):
    async def open_shop() -> None:
        raise ConnectionRefusedError(111, "Connection refused")

    bot_ = Bot(make_settings(), on_startup=[open_shop])
    with pytest.raises(StartupError, match=r"^on_startup hook .*open_shop: failed \(ConnectionRefusedError: Conn"):
        async with bot_:
            pass
    with pytest.raises(Exception):  # noqa: B017 - closed: any use of the store now fails
        await bot_.store.get("x")


MY_BOT = """
from pathlib import Path

from parley import Bot, Router, Turn

router = Router()


@router.command("/order")
async def order(turn: Turn, number: int) -> None:
    turn.say(turn.t("order_status", number=number))


def build(settings, **options):
    return Bot(settings, routers=[router], locales=Path(__file__).parent / "locales", **options)
"""


def run_app(folder: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), "--app", "mybot:build", *args],
        cwd=folder,
        env={"PATH": "/usr/bin:/bin", "PARLEY_STORE_URL": "memory://"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_checks_a_bots_own_locale_files_like_the_shipped_ones(tmp_path):
    (tmp_path / "mybot.py").write_text(textwrap.dedent(MY_BOT))
    locales = tmp_path / "locales"
    locales.mkdir()
    (locales / "en.toml").write_text('[messages]\norder_status = "Order {number} is on its way."\n')
    (locales / "es.toml").write_text('[messages]\norder_status = "El pedido {number} está en camino."\n')
    result = run_app(tmp_path, "check")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: 8 locale packs")

    (locales / "es.toml").write_text('[messages]\norder_staus = "El pedido {numero}."\n')
    (locales / "fr.toml").write_text('[messages]\norder_status = "Commande {numero}."\n')
    result = run_app(tmp_path, "check")
    assert result.returncode == 2
    assert "locales/es.toml:2: messages.order_staus: not in the default language's en.toml" in result.stderr
    assert "locales/es.toml:1: missing message 'order_status' (the bot's en.toml has it)" in result.stderr
    assert "locales/fr.toml:2: messages.order_status: unknown placeholder {numero}" in result.stderr

    (locales / "fr.toml").write_text('colour = "blue"\n')
    line = one_line(run_app(tmp_path, "check"))
    assert "fr.toml:1: colour: Extra inputs are not permitted" in line


def test_an_app_that_does_not_import_is_one_line(tmp_path):
    (tmp_path / "mybot.py").write_text("import not_installed_anywhere\n")
    line = one_line(run_app(tmp_path, "check"))
    assert "--app mybot:build: cannot import it (ModuleNotFoundError" in line
