"""Who the customer is, read from what they wrote: a name ("my name is Jana Novak", "me llamo
Ana"), an email and a phone number, and a lead's free contact answer ("ana@hotel.example, Ana
Ruiz from Hotel Sol") split into contact, name and company.

Patterns cover the eight shipped languages. A name in a script with capitals must start with
one ("I'm frustrated" is not a name); CJK and Arabic names end at the clause's end. What is found
is shown on the desk card only: log lines and prompts still go through the PII redactor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from parley.core.privacy.pii import EMAIL, PHONE

# One capitalised word of a Latin-script name (accents, apostrophes and hyphens inside).
_WORD = r"[A-ZÀ-ÖØ-ÞĀ-Ž][\w'’-]*"
_LATIN_NAME = rf"(?P<name>{_WORD}(?:\s+(?:{_WORD}|de|da|do|dos|van|von|del|la|le)){{0,3}})"
_INTRO = (
    r"my name is|my name's|i am|i'm|this is|call me"  # en
    r"|me llamo|mi nombre es|soy"  # es
    r"|je m'appelle|je m’appelle|mon nom est|je suis|moi c'est"  # fr
    r"|ich heiße|ich heisse|mein name ist|ich bin"  # de
    r"|meu nome é|me chamo|eu sou|sou"  # pt-BR
)
# The introduction in any case, the name itself capitalised ("I'm frustrated" is not a name).
_LATIN = re.compile(rf"(?:^|[\s,.;!¡¿])(?i:{_INTRO})\s+{_LATIN_NAME}")
_SCRIPT = [
    re.compile(
        r"(?:私の名前は|名前は|私は)\s*(?P<name>[^\s、。,.!?！？]{1,12}?)\s*(?:です|と申します|といいます)"
    ),  # ja
    re.compile(r"(?P<name>[^\s、。,.!?！？]{1,12}?)と申します"),  # ja
    re.compile(r"(?:我叫|我的名字是|我的名字叫|我是)\s*(?P<name>[^\s，。,.!?！？的]{1,8})"),  # zh-CN
    re.compile(r"(?:أنا اسمي|اسمي|أنا)\s+(?P<name>[^\s،.,!?؟]+(?:\s+(?!من|في)[^\s،.,!?؟]+)?)"),  # ar
]
# Words that join a person to their company: "Ana from Hotel Sol", "Ana de Hotel Sol".
_FROM = re.compile(
    r"\s+(?:from|at|with|of|de|en|chez|von|bei|da|do|na|no|من|في)\s+(?=\S)|\s*@\s+",
    re.IGNORECASE,
)
_CJK_FROM = re.compile(
    r"^(?P<company>.+?)(?:の|的)(?P<name>[^の的]+?)(?:です|と申します)?$"
)  # ホテルソルの田中, 太阳酒店的李明


@dataclass(frozen=True)
class Contact:
    name: str = ""
    company: str = ""
    email: str = ""
    phone: str = ""

    @property
    def reach(self) -> str:
        """How to reach them, as the card shows it."""
        return " · ".join(x for x in (self.email, self.phone) if x)


def name_in(text: str) -> str:
    """A name the person gave for themselves in ``text``, or ''."""
    match = _LATIN.search(text)
    if match:
        return _trim(match.group("name"))
    for pattern in _SCRIPT:
        found = pattern.search(text)
        if found:
            return found.group("name").strip()
    return ""


def _trim(name: str) -> str:
    # "Ana Ruiz from" never happens (lowercase stops the match), but "Ana Ruiz De" can: a
    # trailing particle belongs to a company that follows.
    words = name.split()
    while words and words[-1].lower() in ("de", "da", "do", "dos", "van", "von", "del", "la", "le"):
        words.pop()
    return " ".join(words)


def found_in(texts: list[str]) -> Contact:
    """The name, email and phone the customer gave anywhere in ``texts`` (the latest wins)."""
    name = email = phone = ""
    for text in texts:
        name = name_in(text) or name
        emails = EMAIL.findall(text)
        email = emails[-1] if emails else email
        phones = [p.strip() for p in PHONE.findall(text) if sum(c.isdigit() for c in p) >= 7]
        phone = phones[-1] if phones else phone
    return Contact(name=name, email=email, phone=phone)


def parse_contact(answer: str) -> Contact:
    """A free contact answer split into its parts: "ana@hotel.example, Ana Ruiz from Hotel Sol"
    -> email ana@hotel.example, name Ana Ruiz, company Hotel Sol. Unknown parts stay empty."""
    emails = EMAIL.findall(answer)
    rest = EMAIL.sub(" ", answer)
    phones = [p.strip() for p in PHONE.findall(rest) if sum(c.isdigit() for c in p) >= 7]
    rest = PHONE.sub(" ", rest)
    introduced = name_in(rest)
    if introduced:  # "I'm Ana Ruiz from Hotel Sol": the introduction goes, the rest is read below
        rest = rest[rest.find(introduced) :]
    name = ""
    parts = [p.strip(" .;:!?-–—()") for p in re.split(r"[,;\n、，،]", rest)]
    parts = [p for p in parts if p and any(c.isalpha() for c in p)]
    company = ""
    if parts:
        head = _FROM.split(parts[0], maxsplit=1)
        cjk = _CJK_FROM.match(parts[0]) if len(head) == 1 else None
        if len(head) == 2:
            name, company = head[0].strip(), head[1].strip(" .")
        elif cjk:
            name, company = cjk.group("name"), cjk.group("company")
        else:
            name = parts[0]
            company = parts[1] if len(parts) > 1 else ""
    return Contact(
        name=_trim(name)[:120],
        company=company[:120],
        email=emails[0] if emails else "",
        phone=phones[0] if phones else "",
    )
