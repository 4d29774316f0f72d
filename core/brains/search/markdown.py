"""Markdown -> passages: one per heading, with the example questions and aliases its author added.

    ## Delivery times {#delivery-times}
    Standard delivery takes 3 to 5 business days...

    Questions:
    - how long does delivery take
    - when will my order arrive

    Aliases: delivery time, lead time

A passage's id is ``file.md#anchor``: the explicit ``{#anchor}`` when there is one, else the
heading's slug. Translations of a passage share its file name and anchor, so the same id names it
in every language (coverage, citations, the benchmark). ``Questions:`` and ``Aliases:`` are
keywords in every language; their lines are searched but never shown to the customer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADING = re.compile(r"^(#{1,3})\s+(.*?)\s*(?:\{#([\w-]+)\})?\s*$")
_LABEL = re.compile(r"^(questions|aliases)\s*:\s*(.*)$", re.IGNORECASE)
_ITEM = re.compile(r"^\s*[-*]\s+(.*\S)\s*$")


@dataclass(frozen=True)
class Passage:
    source: str  # "shipping.md#delivery-times": the same in every language
    title: str  # "Shipping: Delivery times", in the passage's language
    text: str  # what the customer is shown
    locale: str = ""
    questions: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()


def slug(title: str) -> str:
    return re.sub(r"[^\w]+", "-", title.lower()).strip("-")


class _Section:
    def __init__(self, doc_title: str, title: str, anchor: str) -> None:
        self.doc_title, self.title, self.anchor = doc_title, title, anchor
        self.body: list[str] = []
        self.questions: list[str] = []
        self.aliases: list[str] = []
        self.label = ""  # the list being read: "questions", "aliases" or "" (body text)

    def feed(self, line: str) -> None:
        label = _LABEL.match(line.strip())
        if label:
            self.label = label.group(1).lower()
            self._add(label.group(2))
            return
        item = _ITEM.match(line)
        if self.label and item:
            self._add(item.group(1))
        elif self.label and not line.strip():
            return  # blank lines inside the lists
        else:
            self.label = ""
            self.body.append(line)

    def _add(self, value: str) -> None:
        if not value.strip():
            return
        if self.label == "aliases":
            self.aliases += [a.strip() for a in re.split(r"[,;、，،]", value) if a.strip()]
        else:
            self.questions.append(value.strip())

    def passage(self, name: str, locale: str) -> Passage | None:
        text = "\n".join(self.body).strip()
        if not text:
            return None
        full = f"{self.doc_title}: {self.title}" if self.doc_title and self.doc_title != self.title else self.title
        anchor = self.anchor or slug(self.title)
        return Passage(
            f"{name}#{anchor}" if anchor else name, full, text, locale, tuple(self.questions), tuple(self.aliases)
        )


def split_markdown(name: str, text: str, locale: str = "") -> list[Passage]:
    passages: list[Passage] = []
    section = _Section("", "", "")
    doc_title = ""
    for line in text.splitlines():
        heading = _HEADING.match(line)
        if heading:
            found = section.passage(name, locale)
            if found:
                passages.append(found)
            if heading.group(1) == "#":
                doc_title = heading.group(2).strip()
            section = _Section(doc_title, heading.group(2).strip(), heading.group(3) or "")
        else:
            section.feed(line)
    found = section.passage(name, locale)
    if found:
        passages.append(found)
    return passages
