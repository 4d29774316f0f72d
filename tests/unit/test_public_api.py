"""The public API is exactly these names (docs/api.md): adding one is a decision, removing or
renaming one breaks bot authors. Pinned like httpx pins its ``__all__``."""

from __future__ import annotations

import subprocess
import sys

import pytest

import parley

# One line on purpose: a change to the API shows as a change to this line in review.
PUBLIC = sorted(
    "Address Answer Bot Brain Button Capabilities Channel ChannelContext Inbound Middleware Rejected Reply"
    " RetryAfter Router Settings StartupError StoreUnavailable Turn Unreachable".split()
)


def test_all_is_pinned():
    assert parley.__all__ == PUBLIC


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_name_resolves_to_a_parley_object(name):
    value = getattr(parley, name)
    if isinstance(value, type):  # Middleware is a type alias (a Callable), not a class
        assert value.__module__.startswith("parley."), value
    assert name in dir(parley)


def test_star_import_gives_exactly_the_public_names():
    namespace: dict = {}
    exec("from parley import *", namespace)
    assert sorted(k for k in namespace if not k.startswith("__")) == PUBLIC


def test_other_names_are_not_attributes_of_the_package():
    with pytest.raises(AttributeError, match="Engine"):
        parley.Engine  # noqa: B018


def test_importing_parley_loads_nothing_heavy():
    # The command line imports the package first: --help and check must not pay for aiohttp,
    # the platforms' SDKs or the stores.
    code = "import sys, parley; print(sorted(m for m in ('aiohttp', 'aiogram', 'redis', 'openai') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
