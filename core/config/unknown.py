"""Names that look like configuration but mean nothing: a ``PARLEY_*`` variable no setting reads
(``PARLEY_TELEGRAM__TOKNE``), a tool in a persona's ``allowed_tools`` no tool provides. Both are
silently ignored at runtime, so ``parley check`` and start-up warn, with the closest valid name.
"""

from __future__ import annotations

import difflib
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path

from pydantic import BaseModel

PREFIX = "PARLEY_"


def closest(name: str, names: Iterable[str]) -> str:
    """ "; did you mean X?" for the nearest of ``names`` (difflib), or ""."""
    found = difflib.get_close_matches(name, list(names), n=1, cutoff=0.6)
    return f"; did you mean {found[0]}?" if found else ""


def setting_names(model: type[BaseModel], prefix: str = PREFIX) -> tuple[set[str], set[str]]:
    """The variables ``model`` reads: exact names, and prefixes under which any name is read
    (dict fields such as ``PARLEY_LLM__SECRETS__<NAME>``). A field read under an alias of its
    own (``OPENAI_API_KEY``) has no ``PARLEY_`` name."""
    exact: set[str] = set()
    open_prefixes: set[str] = set()
    for name, field in model.model_fields.items():
        if field.validation_alias is not None:
            continue
        variable = prefix + name.upper()
        exact.add(variable)  # a nested model may also come whole, as JSON
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            inner_exact, inner_open = setting_names(annotation, variable + "__")
            exact |= inner_exact
            open_prefixes |= inner_open
        elif typing.get_origin(annotation) is dict:
            open_prefixes.add(variable + "__")
    return exact, open_prefixes


def unknown_variables(
    environ: Mapping[str, str], model: type[BaseModel], plugins: Iterable[str] = (), dotenv: Path | None = None
) -> list[str]:
    """A warning for each ``PARLEY_*`` variable (in the environment or the ``.env`` file) that
    ``model`` does not read. ``PARLEY_<PLUGIN>__*`` belongs to a channel plugin of that name."""
    exact, open_prefixes = setting_names(model)
    open_prefixes |= {f"{PREFIX}{plugin.upper()}__" for plugin in plugins}
    given = {name.upper(): "the environment" for name in environ if name.upper().startswith(PREFIX)}
    if dotenv is not None and dotenv.is_file():
        from dotenv import dotenv_values  # pydantic-settings reads .env with it too

        given.update({name.upper(): str(dotenv) for name in dotenv_values(dotenv) if name.upper().startswith(PREFIX)})
    return [
        f"{name} (in {where}) is not a Parley setting{closest(name, exact)}"
        for name, where in sorted(given.items())
        if name not in exact and not name.startswith(tuple(open_prefixes))
    ]


def unknown_tools(allowed: Mapping[str, list[str]], tools: Iterable[str]) -> list[tuple[str, str, str]]:
    """(persona, tool, message) for each tool a persona allows that no tool provides."""
    known = sorted(tools)
    return [
        (persona, tool, f"allowed_tools: no tool named {tool!r}{closest(tool, known)}")
        for persona, names in allowed.items()
        for tool in names
        if tool not in known
    ]
