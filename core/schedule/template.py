"""Campaign message templates: Jinja2 in its sandbox, limited to named fields, bounded output.

A marketer writes ``Hi {{ first_name }}, spring is here``. Python's ``str.format`` (used before)
let ``{name.__class__.__mro__[1]}`` walk attributes and ``{name:>50000000}`` build 50 MB; here a
template may only print the fields below, optionally through a few text filters
(``{{ name | default("there") }}``, ``upper``, ``title``...). Anything else (attribute or item
access, calls, loops, other names) is refused when the campaign is created, with a message that
says what is allowed. ``{name}`` and ``{first_name}``, the older single-brace form, still work.
"""

from __future__ import annotations

import re
from functools import lru_cache

from jinja2 import Template, TemplateSyntaxError, nodes
from jinja2.sandbox import SandboxedEnvironment

FIELDS = ("name", "first_name")
FILTERS = frozenset({"default", "d", "upper", "lower", "title", "capitalize", "trim"})
MAX_TEMPLATE = 4000  # characters in one locale's template
MAX_OUTPUT = 4000  # characters a rendered message may have (no channel sends more in one go)
_LEGACY = re.compile(r"(?<!\{)\{(" + "|".join(FIELDS) + r")\}(?!\})")
_ENV = SandboxedEnvironment(autoescape=False, keep_trailing_newline=True)
ALLOWED = 'use {{ name }} or {{ first_name }}, optionally with a filter such as | default("there")'


_WORDS = {  # what a marketer reads instead of Jinja's node names
    "Getattr": "attribute access (.)",
    "Getitem": "item access ([])",
    "Call": "calling a function",
    "For": "a loop",
    "If": "a condition",
    "CondExpr": "a condition",
    "Assign": "setting a variable",
    "Macro": "a macro",
    "Include": "including a template",
    "Import": "importing a template",
    "Extends": "extending a template",
}


class TemplateError(ValueError):
    """A template that may not be used; the message says what is allowed."""


def _modern(text: str) -> str:
    return _LEGACY.sub(r"{{ \1 }}", text)


def _check(node: nodes.Node) -> None:
    """Only text, the named fields and the listed filters with constant arguments."""
    if isinstance(node, (nodes.Template, nodes.Output, nodes.TemplateData)):
        pass
    elif isinstance(node, nodes.Name):
        if node.name not in FIELDS or node.ctx != "load":
            raise TemplateError(f"unknown field {node.name!r}: {ALLOWED}")
    elif isinstance(node, nodes.Filter):
        if node.name not in FILTERS or node.kwargs or node.dyn_args or node.dyn_kwargs:
            raise TemplateError(f"filter {node.name!r} is not allowed: {ALLOWED}")
        if not all(isinstance(arg, nodes.Const) and isinstance(arg.value, str) for arg in node.args):
            raise TemplateError(f"filter {node.name!r} takes only quoted text: {ALLOWED}")
    elif isinstance(node, nodes.Const) and isinstance(node.value, str):
        pass
    else:
        what = _WORDS.get(type(node).__name__, "this expression")
        raise TemplateError(f"{what} is not allowed in a message: {ALLOWED}")
    for child in node.iter_child_nodes():
        _check(child)


def validate(text: str) -> None:
    """Raise TemplateError unless ``text`` is a template ``render`` accepts."""
    if len(text) > MAX_TEMPLATE:
        raise TemplateError(f"longer than {MAX_TEMPLATE} characters")
    try:
        tree = _ENV.parse(_modern(text))
    except TemplateSyntaxError as exc:
        raise TemplateError(f"line {exc.lineno}: {exc.message}") from None
    _check(tree)


@lru_cache(maxsize=256)
def _compiled(text: str) -> Template:
    validate(text)
    return _ENV.from_string(_modern(text))


def fill(text: str, values: dict[str, str]) -> str:
    """The message for one person. Validated again here (once per text), so a campaign stored
    before this rule, or written to the store by hand, can only ever print its fields."""
    return _compiled(text).render({k: values.get(k, "") for k in FIELDS})[:MAX_OUTPUT]
