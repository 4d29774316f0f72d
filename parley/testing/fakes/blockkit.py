"""Slack's documented Block Kit limits, checked the way Slack checks them: the Slack fake answers
``invalid_blocks`` for a message or view that breaks one, as chat.postMessage, chat.update and
views.publish do, so every test that posts blocks checks them.

Limits from the Block Kit reference: 50 blocks a message (100 in a modal or Home tab); a
section's text 3,000 characters, its fields at most 10 of 2,000 each; a header's plain_text 150;
an actions block 25 elements; a context 10; a button's text 75, value 2,000, url 3,000,
action_id and block_id 255; a static select 100 options, each text 75 and value 150, its
placeholder 150; an input's label 2,000; a modal's title, submit and close 24, its
private_metadata 3,000; any text object at least one character.
"""

from __future__ import annotations

from typing import Any

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100


def _text(where: str, obj: Any, limit: int, kinds: tuple[str, ...] = ("plain_text", "mrkdwn")) -> list[str]:
    if not isinstance(obj, dict) or obj.get("type") not in kinds:
        return [f"{where}: not a text object of type {'/'.join(kinds)}"]
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        return [f"{where}: empty text"]
    return [f"{where}: {len(text)} characters over {limit}"] if len(text) > limit else []


def _element(where: str, element: Any) -> list[str]:
    if not isinstance(element, dict):
        return [f"{where}: not an object"]
    out = []
    if len(str(element.get("action_id", ""))) > 255:
        out.append(f"{where}: action_id over 255")
    if element.get("type") == "button":
        out += _text(f"{where}.text", element.get("text"), 75, ("plain_text",))
        if len(str(element.get("value", ""))) > 2000:
            out.append(f"{where}: value over 2000")
        if len(str(element.get("url", ""))) > 3000:
            out.append(f"{where}: url over 3000")
    if element.get("type") == "static_select":
        out += _text(f"{where}.placeholder", element.get("placeholder"), 150, ("plain_text",))
        options = element.get("options")
        if not isinstance(options, list) or not 1 <= len(options) <= 100:
            return [*out, f"{where}: a static_select holds 1 to 100 options"]
        for n, option in enumerate(options):
            option = option if isinstance(option, dict) else {}
            out += _text(f"{where}.options[{n}].text", option.get("text"), 75, ("plain_text",))
            if not 1 <= len(str(option.get("value", ""))) <= 150:
                out.append(f"{where}.options[{n}]: value of 1 to 150 characters")
    return out


def _context_element(where: str, element: Any) -> list[str]:
    if isinstance(element, dict) and element.get("type") in ("plain_text", "mrkdwn"):
        return _text(where, element, 3000)
    return []


def _elements(where: str, block: dict, most: int, check: Any) -> list[str]:
    elements = block.get("elements")
    if not isinstance(elements, list) or not 1 <= len(elements) <= most:
        return [f"{where}: a {block['type']} block holds 1 to {most} elements"]
    return [p for n, element in enumerate(elements) for p in check(f"{where}.elements[{n}]", element)]


def _block(where: str, block: Any) -> list[str]:
    if not isinstance(block, dict):
        return [f"{where}: not an object"]
    out = [f"{where}: block_id over 255"] if len(str(block.get("block_id", ""))) > 255 else []
    kind = block.get("type")
    if kind == "header":
        out += _text(f"{where}.text", block.get("text"), 150, ("plain_text",))
    elif kind == "section":
        fields = block.get("fields")
        if "text" not in block and not fields:
            out.append(f"{where}: a section needs text or fields")
        if "text" in block:
            out += _text(f"{where}.text", block["text"], 3000)
        if fields is not None:
            if not isinstance(fields, list) or len(fields) > 10:
                out.append(f"{where}: more than 10 fields")
            else:
                for n, field in enumerate(fields):
                    out += _text(f"{where}.fields[{n}]", field, 2000)
    elif kind == "context":
        out += _elements(where, block, 10, _context_element)
    elif kind == "actions":
        out += _elements(where, block, 25, _element)
    elif kind == "input":
        out += _text(f"{where}.label", block.get("label"), 2000, ("plain_text",))
        if not isinstance(block.get("element"), dict):
            out.append(f"{where}: an input needs an element")
    elif kind not in ("divider", "image", "rich_text", "file", "video"):
        out.append(f"{where}: unknown block type {kind!r}")
    return out


def view_problems(view: dict) -> list[str]:
    """A view's own limits: a modal's title (required), submit and close at most 24 characters."""
    out = []
    if view.get("type") == "modal":
        out += _text("view.title", view.get("title"), 24, ("plain_text",))
        for key in ("submit", "close"):
            if key in view:
                out += _text(f"view.{key}", view[key], 24, ("plain_text",))
    if len(str(view.get("private_metadata", ""))) > 3000:
        out.append("view.private_metadata over 3000")
    return out


def problems(blocks: Any, limit: int = MESSAGE_BLOCKS) -> list[str]:
    """Every way ``blocks`` breaks Slack's limits; empty when Slack would accept them."""
    if not isinstance(blocks, list):
        return ["blocks: not a list"]
    out = [f"blocks: {len(blocks)} over {limit}"] if len(blocks) > limit else []
    for n, block in enumerate(blocks):
        out += _block(f"blocks[{n}]", block)
    return out
