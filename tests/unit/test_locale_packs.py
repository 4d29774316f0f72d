"""Every shipped pack and persona, checked as data: complete, consistent, loadable."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from parley.core.config.checks import check_locales, check_personas
from parley.core.config.settings import shipped
from parley.core.i18n.formatting import format_date, format_money, format_number
from parley.core.i18n.locales import (
    REQUIRED_MESSAGES,
    LocaleCatalog,
    PackError,
    in_quiet_hours,
    is_weekend,
    next_allowed,
)
from parley.core.i18n.personas import PersonaCatalog, PersonaError

from tests.paths import ROOT

LOCALES = shipped("locales")
PERSONAS = shipped("personas")
PACKS = sorted(p.stem for p in LOCALES.glob("*.toml"))
PERSONA_IDS = sorted(p.stem for p in PERSONAS.glob("*.toml"))
CATALOG = LocaleCatalog.load(LOCALES)
SHIPPED = ["en", "es", "fr", "de", "pt-BR", "ja", "ar", "zh-CN"]


def test_every_promised_locale_ships():
    assert set(SHIPPED) <= set(PACKS)


@pytest.mark.parametrize("code", PACKS)
def test_pack_is_complete_against_the_default(code):
    problems, _ = check_locales(LOCALES)
    mine = [str(p) for p in problems if p.path.stem == code]
    assert mine == []
    pack = CATALOG.get(code)
    head, default = pack.head, CATALOG.get("en").head
    assert set(default.messages) <= set(head.messages)
    assert set(default.intents) <= set(head.intents)
    for intent in ("greeting", "thanks", "goodbye", "bot", "human", "stop", "start", "language"):
        assert head.intents[intent], intent
    for key in REQUIRED_MESSAGES:
        assert pack.t(key, name="Mia", limit=10) != key


@pytest.mark.parametrize("code", [c for c in PACKS if c != "en"])
def test_pack_is_translated_not_copied(code):
    own, english = CATALOG.get(code).head.messages, CATALOG.get("en").head.messages
    same = [k for k in own if own[k] == english.get(k) and k != "source_label"]
    assert same == []


@pytest.mark.parametrize("code", PACKS)
def test_pack_carries_culture_notes(code):
    head = CATALOG.get(code).head
    assert head.formality and head.tone and head.greeting_style
    assert CATALOG.get(code).notes().startswith(f"Reply in {head.name}")


@pytest.mark.parametrize("persona_id", PERSONA_IDS)
def test_persona_is_valid_and_greets_in_every_locale(persona_id):
    assert check_personas(PERSONAS, "demo", set(PACKS)) == []
    persona = PersonaCatalog.load(PERSONAS, "demo").get(persona_id)
    for code in PACKS:
        pack = CATALOG.get(code)
        greeting = persona.greet(pack)
        assert persona.name in greeting and "{" not in greeting
        assert persona.name in persona.instructions(pack)


def test_sales_persona_qualifies_need_budget_timeline_contact_in_every_locale():
    sales = PersonaCatalog.load(PERSONAS, "demo").get("sales")
    assert [q.key for q in sales.qualification] == ["need", "budget", "timeline", "contact"]
    for code in PACKS:
        for key in ("need", "budget", "timeline", "contact"):
            assert sales.question(key, CATALOG.get(code)), (code, key)


def test_three_personas_ship():
    assert {"demo", "sales", "concierge"} <= set(PERSONA_IDS)


# -- broken packs are refused with the file (and line) named --------------------------------------


@pytest.fixture
def packs(tmp_path: Path) -> Path:
    folder = tmp_path / "locales"
    shutil.copytree(LOCALES, folder)
    return folder


def test_a_malformed_pack_is_refused_naming_the_file(packs):
    (packs / "es.toml").write_text('code = "es"\nname = "Español\n', encoding="utf-8")
    with pytest.raises(PackError, match=r"es\.toml:2: not valid TOML: "):
        LocaleCatalog.load(packs)


def test_a_pack_missing_a_required_message_is_refused(packs):
    path = packs / "xx.toml"
    path.write_text('code = "xx"\nname = "X"\n[messages]\ngreeting = "hi"\n', encoding="utf-8")
    # Falls back to en for everything else: accepted at start-up...
    LocaleCatalog.load(packs)
    path.write_text('code = "xx"\nname = "X"\nweekend = [7]\n', encoding="utf-8")
    with pytest.raises(PackError, match=r"xx\.toml:3: weekend"):
        LocaleCatalog.load(packs)


def test_check_lists_every_missing_key_with_file_and_line(packs):
    text = (packs / "de.toml").read_text(encoding="utf-8")
    text = text.replace('csat_thanks = "Vielen Dank für Ihr Feedback!"\n', "")
    text = text.replace("höchstens {limit} Zeichen", "höchstens {grenze} Zeichen")
    (packs / "de.toml").write_text(text, encoding="utf-8")
    problems, _ = check_locales(packs)
    lines = text.splitlines()
    shown = [str(p) for p in problems]
    header = lines.index("[messages]") + 1
    too_long = next(n for n, line in enumerate(lines, 1) if line.startswith("too_long"))
    assert any(
        s.endswith(f"de.toml:{header}: missing message 'csat_thanks' (the default pack en.toml has it)") for s in shown
    )
    assert any(s.endswith(f"de.toml:{too_long}: messages.too_long: unknown placeholder {{grenze}}") for s in shown)


def test_bot_check_exits_2_listing_problems(packs, tmp_path):
    (packs / "fr.toml").write_text(
        (packs / "fr.toml")
        .read_text(encoding="utf-8")
        .replace('direction = "ltr"\n', 'direction = "ltr"\nbogus = 1\n'),
        encoding="utf-8",
    )
    personas = tmp_path / "personas"
    shutil.copytree(PERSONAS, personas)
    (personas / "sales.toml").write_text(
        (personas / "sales.toml").read_text(encoding="utf-8").replace('disclosure = "first"', 'disclosure = "never"'),
        encoding="utf-8",
    )
    env = {"PARLEY_LOCALES_DIR": str(packs), "PARLEY_PERSONAS_DIR": str(personas), "PATH": "/usr/bin:/bin"}
    run = subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), "check"],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert run.returncode == 2
    assert "fr.toml:5: bogus: Extra inputs are not permitted" in run.stderr
    assert "sales.toml:" in run.stderr and "disclosure" in run.stderr
    assert "Traceback" not in run.stderr


def test_a_broken_persona_is_refused_naming_file_and_line(tmp_path):
    (tmp_path / "demo.toml").write_text(
        'id = "demo"\nname = "Mia"\nrole = "x"\nmin_confidence = "high"\n', encoding="utf-8"
    )
    with pytest.raises(PersonaError, match=r"demo\.toml:4: min_confidence"):
        PersonaCatalog.load(tmp_path, "demo")


# -- quiet hours and weekends by locale ----------------------------------------------------------


def at(day: int, hhmm: str) -> datetime:
    hours, minutes = map(int, hhmm.split(":"))
    return datetime(2026, 11, 16 + day, hours, minutes)  # 2026-11-16 is a Monday: day 0


@pytest.mark.parametrize(
    ("code", "moment", "quiet"),
    [
        ("en", at(0, "20:30"), False),
        ("en", at(0, "21:00"), True),
        ("en", at(1, "08:59"), True),
        ("en", at(1, "09:00"), False),
        ("de", at(0, "20:30"), True),  # Germany winds down earlier
        ("es", at(0, "21:30"), False),  # Spain later
        ("es", at(0, "22:15"), True),
        ("fr", at(0, "09:30"), True),
        ("ja", at(0, "12:00"), False),
    ],
)
def test_quiet_hours_by_locale(code, moment, quiet):
    assert in_quiet_hours(CATALOG.get(code), moment) is quiet


def test_weekends_by_locale_and_region():
    friday, sunday = at(4, "12:00"), at(6, "12:00")
    ar, en = CATALOG.get("ar"), CATALOG.get("en")
    assert is_weekend(ar, friday) and not is_weekend(ar, sunday)  # Friday-Saturday
    assert not is_weekend(en, friday) and is_weekend(en, sunday)
    assert not is_weekend(ar, friday, region="AE") and is_weekend(ar, sunday, region="ae")  # UAE: Sat-Sun
    assert in_quiet_hours(ar, friday, weekends=True) and not in_quiet_hours(ar, friday)
    assert not in_quiet_hours(ar, sunday, weekends=True)


def test_next_allowed_moment_respects_night_and_weekend():
    en, ar = CATALOG.get("en"), CATALOG.get("ar")
    assert next_allowed(en, at(0, "23:00")) == at(1, "09:00")
    assert next_allowed(en, at(0, "12:00")) == at(0, "12:00")
    assert next_allowed(en, at(4, "22:00"), weekends=True) == at(7, "09:00")  # Friday night -> Monday
    assert next_allowed(ar, at(3, "23:00"), weekends=True) == at(6, "09:00")  # Thursday night -> Sunday


# -- Babel formats -----------------------------------------------------------------------------


def spaced(text: str) -> str:
    return text.replace("\xa0", " ").replace("\u202f", " ")


def test_money_dates_and_numbers_in_local_conventions():
    day = datetime(2026, 11, 22)
    assert spaced(format_money(CATALOG.get("de"), 1234.5)) == "1.234,50 €"
    assert spaced(format_money(CATALOG.get("pt-BR"), 1234.5)) == "R$ 1.234,50"
    assert format_money(CATALOG.get("ja"), 1234) == "￥1,234"
    assert spaced(format_money(CATALOG.get("en"), 1234.5, "EUR")) == "€1,234.50"
    assert format_date(CATALOG.get("de"), day) == "22. November 2026"
    assert format_date(CATALOG.get("ja"), day) == "2026年11月22日"
    assert format_date(CATALOG.get("es"), day) == "22 de noviembre de 2026"
    assert spaced(format_number(CATALOG.get("fr"), 1234.5)) == "1 234,5"


def test_start_up_refuses_a_broken_pack_naming_the_file(packs, tmp_path):
    text = (packs / "ja.toml").read_text(encoding="utf-8")
    (packs / "ja.toml").write_text(text.replace('quiet_hours = ["21:00", "09:00"]', 'quiet_hours = ["25:00", "09:00"]'))
    env = {
        "PARLEY_LOCALES_DIR": str(packs),
        "PARLEY_STORE_URL": "memory://",
        "PARLEY_HTTP__PORT": "0",
        "PATH": "/usr/bin:/bin",
    }
    run = subprocess.run(
        [sys.executable, str(ROOT / "bot.py"), "run"], env=env, capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert run.returncode == 2
    line = 1 + text.splitlines().index('quiet_hours = ["21:00", "09:00"]')
    assert f"ja.toml:{line}: quiet_hours: '25:00' is not a 24-hour HH:MM time" in run.stderr
    assert "Traceback" not in run.stderr
