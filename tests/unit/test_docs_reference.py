"""The API reference documents every public name: a name added to ``parley.__all__`` without a
page entry would be stable but undocumented."""

from __future__ import annotations

import re

import parley
from tests.paths import ROOT


def test_every_public_name_has_a_reference_entry():
    page = (ROOT / "docs" / "reference" / "public-api.md").read_text()
    documented = set(re.findall(r"^::: parley\.(\w+)$", page, re.MULTILINE))
    assert documented == set(parley.__all__)
