"""``parley check`` of a bot's own locale files: loaded like start-up loads them (merged over
the shipped pack of their name), each problem at its file and line."""

from __future__ import annotations

from pathlib import Path

from parley.core.config.overlay_checks import check_overlay
from parley.core.config.settings import shipped
from parley.core.i18n.locales import LocaleCatalog

PACKS = {code: pack for code, (pack, _) in LocaleCatalog.load(shipped("locales")).files.items()}


def write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def shown(problems) -> list[tuple[str, int, str]]:
    # The parser's own wording after "not valid TOML:" is tomllib's, not ours.
    return sorted((p.path.name, p.line, p.message.split(": Expected")[0]) for p in problems)


def test_a_consistent_folder_has_no_problems(tmp_path):
    write(tmp_path, "en.toml", '[messages]\norder_status = "Order {order} is {status}."\n')
    write(tmp_path, "es.toml", '[messages]\norder_status = "El pedido {order} está {status}."\n')
    assert check_overlay(tmp_path, PACKS, "en") == []


def test_each_problem_names_its_file_and_line(tmp_path):
    write(tmp_path, "en.toml", '[messages]\norder_status = "Order {order}."\nthanks = "Thanks!"\n')
    write(tmp_path, "es.toml", '[messages]\norder_status = "Pedido {pedido}."\nonly_here = "solo"\n')
    write(tmp_path, "fr.toml", 'code = "de"\n')
    write(tmp_path, "de.toml", "[messages\n")
    assert shown(check_overlay(tmp_path, PACKS, "en")) == [
        ("de.toml", 1, "not valid TOML"),
        ("es.toml", 1, "missing message 'thanks' (the bot's en.toml has it)"),
        ("es.toml", 2, "messages.order_status: unknown placeholder {pedido}"),
        ("es.toml", 3, "messages.only_here: not in the default language's en.toml"),
        ("fr.toml", 1, "code 'de' must match the file name"),
    ]


def test_a_merged_pack_that_does_not_validate_is_reported_at_the_bots_line(tmp_path):
    write(tmp_path, "en.toml", '[messages]\nhi = "Hi"\n')
    write(tmp_path, "es.toml", "\n\nweekend = [9]\n")
    [problem] = check_overlay(tmp_path, PACKS, "en")
    assert (problem.path.name, problem.line) == ("es.toml", 3) and problem.message.startswith("weekend: ")
