"""PII detection and redaction: emails, phone numbers, card numbers (Luhn), IBANs, and API keys
and tokens a person pastes.

Used on every log line, and by the LLM brain before text leaves for a model (it keeps the
mapping so a reply can restore what the customer said).
"""

from __future__ import annotations

import re

# Credentials people paste into a chat ("here is my key: sk-live-..."): they must never reach a
# model or a log. Shapes published by the issuers: OpenAI and Stripe ``sk-``/``sk_live_``/``rk_``,
# AWS access key ids (AKIA/ASIA + 16), GitHub tokens (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_),
# Slack (xoxb-, xoxp-, xapp-...), Google API keys (AIza + 35), JWTs and PEM private keys.
_SECRET = re.compile(
    r"(?<![A-Za-z0-9_-])(?:"
    r"(?:sk|rk|pk)[-_](?:live|test|proj|ant)?[-_]?[A-Za-z0-9_-]{16,}"
    r"|(?:AKIA|ASIA)[0-9A-Z]{16}"
    r"|gh[pousr]_[A-Za-z0-9]{30,}"
    r"|github_pat_[A-Za-z0-9_]{30,}"
    r"|xox[abposr]-[A-Za-z0-9-]{10,}"
    r"|xapp-[A-Za-z0-9-]{10,}"
    r"|AIza[0-9A-Za-z_-]{35}"
    r"|eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"
    r")"
    r"|-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)"
)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?\b")
_CARD = re.compile(r"(?<![\w-])(?:\d[ -]?){12,18}\d\b")
PHONE = re.compile(r"(?<![\w+-])\+?\(?\d[\d ().-]{6,}\d\b")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}[./]\d{1,2}[./]\d{2,4}")
_PLACEHOLDER_HEAD = re.compile(r"\[[A-Z_0-9]*$")


def luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _iban_ok(value: str) -> bool:
    s = value.replace(" ", "")
    moved = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


class Redactor:
    """Replace PII with numbered placeholders and remember them for ``restore``."""

    def __init__(self) -> None:
        self.found: dict[str, str] = {}

    def _sub(self, kind: str, value: str) -> str:
        for key, known in self.found.items():
            if known == value:
                return key
        key = f"[{kind}_{len(self.found) + 1}]"
        self.found[key] = value
        return key

    def redact(self, text: str) -> str:
        text = _SECRET.sub(lambda m: self._sub("SECRET", m.group()), text)
        text = EMAIL.sub(lambda m: self._sub("EMAIL", m.group()), text)
        text = _IBAN.sub(lambda m: self._sub("IBAN", m.group()) if _iban_ok(m.group()) else m.group(), text)

        def card(m: re.Match[str]) -> str:
            digits = re.sub(r"\D", "", m.group())
            return self._sub("CARD", m.group()) if 13 <= len(digits) <= 19 and luhn(digits) else m.group()

        text = _CARD.sub(card, text)

        def phone(m: re.Match[str]) -> str:
            value = m.group()
            digits = re.sub(r"\D", "", value)
            # A bare run of 7-8 digits is more often an order number than a phone, and dates
            # are never phones; grouped digits ("555-1234"), international (+) and 9+ digit
            # numbers are (E.164 allows 15).
            grouped = re.search(r"\d[ .-]\d", value) is not None
            likely = value.startswith(("+", "(")) or len(digits) >= 9 or grouped
            if _DATE.fullmatch(value.strip()) or not (7 <= len(digits) <= 15 and likely):
                return value
            return self._sub("PHONE", value)

        return PHONE.sub(phone, text)

    def restore(self, text: str) -> str:
        for key, value in self.found.items():
            text = text.replace(key, value)
        return text


class StreamRestorer:
    """Restore placeholders in a streamed reply: a chunk may end inside ``[EMAIL_`` and the rest
    arrive in the next one, so an unfinished placeholder is held back until it closes."""

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor
        self.pending = ""

    def feed(self, chunk: str) -> str:
        text = self.pending + chunk
        head = _PLACEHOLDER_HEAD.search(text)
        cut = head.start() if head and len(text) - head.start() <= 16 else len(text)
        self.pending = text[cut:]
        return self.redactor.restore(text[:cut])

    def flush(self) -> str:
        text, self.pending = self.pending, ""
        return self.redactor.restore(text)


def redact(text: str) -> str:
    return Redactor().redact(text)
