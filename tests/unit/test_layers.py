"""The layers hold: ``core`` never imports ``channels`` nor the composition (``parley.app``,
``parley.cli``). Channels plug into core through seams handed to them; core never reaches up."""

from __future__ import annotations

import ast

from tests.paths import ROOT

ABOVE_CORE = ("parley.channels", "parley.app", "parley.cli")


def upward_imports(source: str) -> list[str]:
    """The modules above core that ``source`` imports (absolute imports: the project uses no
    relative ones, and core's relative parents could not reach parley.channels anyway)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if _above(alias.name)]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if _above(node.module):
                found.append(node.module)
            else:  # ``from parley import channels`` names the subpackage as an imported name
                found += [f"{node.module}.{a.name}" for a in node.names if _above(f"{node.module}.{a.name}")]
    return found


def _above(module: str) -> bool:
    return any(module == top or module.startswith(top + ".") for top in ABOVE_CORE)


def test_the_check_sees_every_form_of_import():
    source = "import parley.channels.slack\nfrom parley import app\nfrom parley.cli import main\nimport os\n"
    assert upward_imports(source) == ["parley.channels.slack", "parley.app", "parley.cli"]
    assert upward_imports("from parley.core.kernel import turn\nimport parley.core\n") == []


def test_core_never_imports_channels_or_the_app():
    offenders = {
        str(path.relative_to(ROOT)): found
        for path in sorted((ROOT / "core").rglob("*.py"))
        if (found := upward_imports(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}
