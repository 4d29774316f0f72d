"""Speech-friendly replies (parley.channels.twilio.voice.speech) in every shipped language."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from babel.dates import format_date
from babel.numbers import get_currency_name
from parley.channels.twilio.voice.speech import Cleaner, choices, plain, shorten, spoken
from parley.core.i18n.locales import LocaleCatalog
from parley.core.kernel.messages import Button

ROOT = Path(__file__).resolve().parents[2]
CATALOG = LocaleCatalog.load(ROOT / "locales")
CODES = CATALOG.codes


def test_every_shipped_pack_names_its_voice_and_recognition_language():
    assert len(CODES) == 8
    for code in CODES:
        table = CATALOG.get(code).head.voice
        assert table is not None and table.language and table.voice and table.say_voice, code
    assert CATALOG.get("zh-CN").voice.listens == "zh-CN"  # Google speaks cmn-CN, hears zh-CN


def test_markdown_links_citations_urls_and_emoji_are_not_read_aloud():
    text = "**Returns** are free 🎉 within 30 days [1][2]. Start at [our returns page](https://shop.example/r) or www.shop.example/help, or mail help@shop.example.\n\n- Keep the label\n- Use the box"
    said = plain(text)
    for mark in ("**", "🎉", "[1]", "https://", "www.", "@", "](", "- "):
        assert mark not in said, (mark, said)
    assert "our returns page" in said
    assert "Keep the label. Use the box." in " ".join(said.split())  # list items become sentences


@pytest.mark.parametrize("code", CODES)
def test_prices_and_dates_are_written_the_way_the_language_says_them(code):
    pack = CATALOG.get(code)
    said = spoken("It costs $12.50 and arrives 2026-03-04.", pack)
    locale = pack.babel
    assert get_currency_name("USD", count=12.5, locale=locale) in said, said
    assert format_date(date(2026, 3, 4), "long", locale=locale) in said, said
    assert "$" not in said and "2026-03-04" not in said


def test_times_numbers_and_references_follow_the_locale():
    assert "2:30\u202fPM" in spoken("Open until 14:30.", CATALOG.get("en")) or "2:30 PM" in spoken(
        "Open until 14:30.", CATALOG.get("en")
    )
    assert "14:30" in spoken("Open until 14:30.", CATALOG.get("de"))
    assert "1.234,5" in spoken("We have 1,234.5 litres.", CATALOG.get("de"))  # German grouping and decimals
    assert "1 2 3 4 5" in spoken("Your order #12345 ships today.", CATALOG.get("en"))  # read digit by digit


def test_buttons_become_numbered_spoken_choices_in_the_callers_language():
    buttons = (Button(title="Shipping 🚚", payload="/ship"), Button(title="Returns", payload="/ret"))
    assert choices(buttons, CATALOG.get("en")) == "For Shipping, press 1. For Returns, press 2."
    assert choices(buttons, CATALOG.get("es")) == "Para Shipping, pulse 1. Para Returns, pulse 2."
    assert "1を押してください" in choices(buttons, CATALOG.get("ja"))
    assert (
        len(choices(tuple(Button(title=f"o{n}", payload=str(n)) for n in range(12)), CATALOG.get("en")).split("."))
        == 10
    )


def test_long_answers_are_shortened_for_the_ear_at_a_sentence_end():
    pack = CATALOG.get("en")
    text = " ".join(f"Sentence number {n} has exactly seven words." for n in range(20))
    short = shorten(text, 30, pack)
    assert short.endswith(pack.spoken("shortened"))
    assert short.count("Sentence number") == 4  # whole sentences, ~30 words
    assert shorten("One short answer.", 30, pack) == "One short answer."
    japanese = "配送は三日から五日かかります。" * 10
    assert len(shorten(japanese, 20, CATALOG.get("ja"))) < len(japanese)


def test_a_stream_is_cleaned_word_by_word_and_links_are_held_until_they_close():
    cleaner = Cleaner(CATALOG.get("en"))
    out = [cleaner.feed(t) for t in ["Ship", "ping costs $1", "2.50 ", "see [our", " page](htt", "ps://x.example) now"]]
    assert out[0] == ""  # half a word is not spoken yet
    assert out[1] == "Shipping costs"
    assert out[2] == " 12.50 US dollars"  # the space between pieces goes with the next one
    assert out[4] == ""  # inside a link: held
    assert out[5] == " our page"
    assert cleaner.flush() == " now"


def test_a_stream_never_cuts_inside_a_closed_link_nor_leaves_a_space_before_a_full_stop():
    text = "It takes two days [1]. See [our returns page](https://shop.example/r). Then [more info](http://x.y/z) here."
    for size in (1, 3, 6, 8, 13):
        cleaner = Cleaner(CATALOG.get("en"))
        said = [cleaner.feed(text[i : i + size]) for i in range(0, len(text), size)] + [cleaner.flush()]
        assert "".join(said) == "It takes two days. See our returns page. Then more info here.", size
        assert not any("[" in piece or "]" in piece for piece in said), said
