"""Campaign templates: named fields only, sandboxed, bounded; refused at creation otherwise."""

from __future__ import annotations

import pytest
from parley.core.schedule.template import MAX_OUTPUT, TemplateError, fill, validate

VALUES = {"name": "Ana Silva", "first_name": "Ana"}


@pytest.mark.parametrize(
    ("text", "out"),
    [
        ("Hi {{ first_name }}!", "Hi Ana!"),
        ("Hi {first_name}, {name}", "Hi Ana, Ana Silva"),  # the older single-brace form
        ('Hi {{ first_name | default("there") | upper }}', "Hi ANA"),
        ("Prices {like} these and {0} stay as text", "Prices {like} these and {0} stay as text"),
        ("{{ '{' }}", "{"),
    ],
)
def test_named_fields_fill(text, out):
    validate(text)
    assert fill(text, VALUES) == out


def test_a_missing_name_is_empty_and_default_fills_it():
    assert fill('Hi {{ first_name | default("there") }}', {"first_name": ""}) == "Hi "
    assert fill("Hi {{ name }}", {}) == "Hi "


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("{{ name.__class__.__mro__[1] }}", "item access"),
        ("{{ name.__class__ }}", "attribute access"),
        ("{{ name.upper() }}", "calling a function"),
        ("{{ name[0] }}", "item access"),
        ("{{ secret }}", "unknown field 'secret'"),
        ("{% for x in name %}{{ x }}{% endfor %}", "a loop"),
        ("{{ name | format('%s') }}", "filter 'format'"),
        ("{{ name * 50000000 }}", "this expression"),
        ('{{ name | default("x" ~ name) }}', "only quoted text"),
        ("{{ name ", "line 1"),
        ("x" * 4001, "longer than 4000"),
    ],
)
def test_anything_but_fields_is_refused_with_a_message(text, says):
    with pytest.raises(TemplateError) as refused:
        validate(text)
    assert says in str(refused.value)
    assert "{{ name }}" in str(refused.value) or "line" in says or "longer" in says


def test_output_is_bounded_whatever_the_name():
    assert len(fill("{{ name }}{{ name }}", {"name": "n" * 10_000})) == MAX_OUTPUT
