"""The one data-file loader (locale packs, personas, the HTTP tools file): every problem as
``file:line: where: what``, raised as the caller's own error class."""

from __future__ import annotations

from pathlib import Path

import pytest
from parley.core.config.datafile import DataFileError, Problem, dotted, load
from pydantic import BaseModel, ConfigDict


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    size: int = 0


class Shelf(BaseModel):
    id: str
    items: list[Item] = []


class ShelfError(DataFileError):
    pass


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_valid_file_loads_with_its_text(tmp_path):
    path = write(tmp_path, "a.toml", 'id = "a"\n[[items]]\nname = "x"\nsize = 2\n')
    loaded = load(path, Shelf)
    assert loaded.value.items[0].size == 2
    assert loaded.problem(["items", 0, "size"], "too big") == Problem(path, 4, "too big")


def test_bad_toml_names_its_line(tmp_path):
    path = write(tmp_path, "a.toml", 'id = "a"\nname = "unterminated\n')
    with pytest.raises(DataFileError) as caught:
        load(path, Shelf)
    [problem] = caught.value.problems
    assert problem.line == 2 and problem.message.startswith("not valid TOML: ")


def test_every_validation_problem_is_kept_and_the_message_counts_them(tmp_path):
    text = 'id = "a"\n[[items]]\nname = "x"\n[[items]]\nsize = "big"\ncolour = "red"\n'
    path = write(tmp_path, "a.toml", text)
    with pytest.raises(ShelfError) as caught:  # the caller's own class
        load(path, Shelf, ShelfError)
    shown = [(p.line, p.message.split(":")[0]) for p in caught.value.problems]
    assert shown == [(4, "items[1].name"), (5, "items[1].size"), (6, "items[1].colour")]
    assert str(caught.value).endswith("(and 2 more: run `parley check`)")
    assert str(caught.value).startswith(str(caught.value.problems[0]))


def test_a_field_that_must_match_the_file_name(tmp_path):
    path = write(tmp_path, "b.toml", '\n\nid = "a"\n')
    with pytest.raises(DataFileError) as caught:
        load(path, Shelf, stem="id")
    assert caught.value.problems == (Problem(path, 3, "id 'a' must match the file name"),)
    assert load(write(tmp_path, "a.toml", 'id = "a"\n'), Shelf, stem="id").value.id == "a"


def test_a_variable_that_named_the_file_leads_the_message(tmp_path):
    path = write(tmp_path, "tools.toml", "[[items]]\n")
    with pytest.raises(DataFileError, match=r"^PARLEY_X: .*tools\.toml:1: id: Field required"):
        load(path, Shelf, variable="PARLEY_X")


def test_yaml_files_load_and_report_their_parse_line(tmp_path):
    assert load(write(tmp_path, "a.yaml", "id: a\nitems:\n  - name: x\n"), Shelf).value.items[0].name == "x"
    with pytest.raises(DataFileError) as caught:
        load(write(tmp_path, "b.yaml", "id: a\nitems: [\n  name: x\n: :\n"), Shelf)
    [problem] = caught.value.problems
    assert problem.line > 1 and problem.message.startswith("not valid YAML: ")


def test_an_unreadable_file_is_a_problem_not_a_traceback(tmp_path):
    path = tmp_path / "a.toml"
    path.write_bytes(b"id = '\xff\xfe'\n")
    with pytest.raises(DataFileError, match="cannot read"):
        load(path, Shelf)
    with pytest.raises(DataFileError, match="cannot read"):
        load(tmp_path / "missing.toml", Shelf)


def test_locations_read_as_people_write_them():
    assert dotted(["qualification", 1, "ask"]) == "qualification[1].ask"
    assert dotted(["tools", 0]) == "tools[0]"
    assert dotted([]) == "file"


def test_prepared_data_is_validated_and_problems_point_at_this_file(tmp_path):
    path = write(tmp_path, "a.toml", '\n[[items]]\nsize = "big"\n')
    loaded = load(write(tmp_path, "b.toml", "items = []\n"), Shelf, prepare=lambda data: {"id": "b", **data})
    assert loaded.value.id == "b"
    with pytest.raises(DataFileError) as caught:
        load(path, Shelf, prepare=lambda data: {"id": "a", **data})
    shown = [(p.line, p.message.split(":")[0]) for p in caught.value.problems]
    assert shown == [(2, "items[0].name"), (3, "items[0].size")]  # a missing key: its table's line
