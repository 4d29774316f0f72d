"""Short first messages are recognised in every shipped language (tests/data/short_messages),
and a mixed one does not move a conversation settled in another language."""

from __future__ import annotations

import pytest
from parley.core.config.settings import shipped
from parley.core.i18n.language import LanguageDetector
from parley.core.i18n.locales import LocaleCatalog

from tests.paths import ROOT

DETECTOR = LanguageDetector(LocaleCatalog.load(shipped("locales")))
DATA = ROOT / "tests" / "data" / "short_messages"
CODES = sorted(p.stem for p in DATA.glob("*.txt"))
FLOOR = 0.9  # share of each language's 50 messages detected as that language


def messages(code: str) -> list[str]:
    return [line for line in (DATA / f"{code}.txt").read_text(encoding="utf-8").splitlines() if line.strip()]


def test_every_shipped_language_has_fifty_short_messages():
    assert CODES == sorted(LocaleCatalog.load(shipped("locales")).codes)
    assert all(len(messages(code)) >= 50 for code in CODES)


@pytest.mark.parametrize("code", CODES)
def test_short_messages_are_detected(code):
    said = messages(code)
    missed = [m for m in said if (found := DETECTOR.detect(m)) is None or found.code != code]
    assert len(missed) <= (1 - FLOOR) * len(said), missed


@pytest.mark.parametrize("text", ["ok merci", "ok danke", "vale", "merci"])
def test_a_mixed_or_one_word_message_is_weak(text):
    found = DETECTOR.detect(text)
    assert found is None or not found.strong  # it never moves a settled conversation
