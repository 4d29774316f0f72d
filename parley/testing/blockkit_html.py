"""A test-only HTML rendering of the Block Kit messages the Slack fake received, so a browser test
can screenshot what the desk sent (Slack's own client cannot run here). It draws the blocks Parley
uses (header, section text and fields, context, actions with buttons and a select, input) and the
mrkdwn in them (bold, quotes, mentions, dates, links), and says on the page what it is: a
rendering of the payload, not Slack's interface.
"""

from __future__ import annotations

import re
from typing import Any

from jinja2 import Environment
from markupsafe import Markup, escape

_DATE = re.compile(r"&lt;!date\^\d+\^[^|]*\|([^&]*)&gt;")
_MENTION = re.compile(r"&lt;@([UW][A-Z0-9]+)(?:\|[^&]*)?&gt;")
_LINK = re.compile(r"&lt;(https?://[^|&]+)\|([^&]*)&gt;")
_BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")


def mrkdwn(text: str, names: dict[str, str] | None = None) -> Markup:
    """Slack mrkdwn (already escaped by Parley: &amp; &lt; &gt;) as HTML."""
    # The text is escaped once for Slack; escaping it again for HTML shows "&amp;" as Slack would.
    html = str(escape(text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")))
    html = _DATE.sub(r"\1", html)
    html = _MENTION.sub(lambda m: f'<span class="mention">@{(names or {}).get(m[1], m[1])}</span>', html)
    html = _LINK.sub(r'<a href="\1">\2</a>', html)
    html = _BOLD.sub(r"<b>\1</b>", html)
    lines = [f"<blockquote>{line[5:]}</blockquote>" if line.startswith("&gt; ") else line for line in html.split("\n")]
    return Markup("<br>".join(lines).replace("</blockquote><br>", "</blockquote>"))


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif;
         color: #1d1c1d; background: #fff; }
  .note { background: #fff8e1; border-bottom: 1px solid #f0d78c; padding: 8px 16px; font-size: 13px; }
  main { max-width: 760px; margin: 0 auto; padding: 12px 16px 40px; }
  h1 { font-size: 18px; margin: 8px 0 12px; }
  .msg { display: grid; grid-template-columns: 36px 1fr; gap: 8px; padding: 10px 0;
         border-top: 1px solid #eee; }
  .avatar { width: 36px; height: 36px; border-radius: 6px; background: #1d2b3a; color: #fff;
            display: grid; place-items: center; font-weight: 700; }
  .avatar.rep { background: #8a4baf; }
  .who { font-weight: 700; } .who small { font-weight: 400; color: #616061; margin-left: 6px; }
  .body { min-width: 0; overflow-wrap: anywhere; }
  .header { font-size: 17px; font-weight: 800; margin: 2px 0 6px; }
  .fields { display: grid; grid-template-columns: 1fr 1fr; gap: 6px 16px; margin: 6px 0; }
  .section { margin: 6px 0; }
  .context { color: #616061; font-size: 13px; margin: 6px 0; }
  .context span + span::before { content: " · "; }
  .actions { display: flex; flex-wrap: wrap; gap: 8px; margin: 8px 0 2px; }
  .button, .select { border: 1px solid #bbb; border-radius: 4px; padding: 4px 12px; font-weight: 700;
                     font-size: 14px; background: #fff; color: #1d1c1d; text-decoration: none; }
  .button.primary { background: #007a5a; border-color: #007a5a; color: #fff; }
  .select { font-weight: 400; color: #616061; } .select::after { content: " ▾"; }
  blockquote { margin: 2px 0; padding-left: 10px; border-left: 4px solid #ddd; }
  .mention { background: #e8f5fa; color: #1264a3; border-radius: 3px; padding: 0 2px; }
  .thread { margin: 4px 0 0 44px; border-left: 2px solid #e8e8e8; padding-left: 10px; }
  .thread .msg { border-top: 0; padding: 6px 0; }
  .private { color: #616061; font-style: italic; }
  @media (max-width: 520px) { .fields { grid-template-columns: 1fr; } main { padding: 8px 10px 30px; } }
</style></head>
<body>
<p class="note" role="note">A rendering of the Block Kit payloads Parley sent to the Slack fake in a test
(<code>parley.testing.blockkit_html</code>), not Slack's own interface: Slack draws these blocks in its own style.</p>
<main>
<h1>{{ title }}</h1>
{% for m in messages %}{{ message(m) }}{% endfor %}
</main></body></html>
"""

MESSAGE = """{% macro message(m) %}
<div class="msg"><div class="avatar{{ ' rep' if m.rep else '' }}">{{ m.who[:1] }}</div><div class="body">
<div class="who">{{ m.who }}<small>{{ m.when }}</small></div>
{% if m.blocks %}{% for b in m.blocks %}{{ block(b) }}{% endfor %}{% else %}
<div class="section{{ ' private' if m.private else '' }}">{{ md(m.text) }}</div>{% endif %}
{% if m.thread %}<div class="thread">{% for r in m.thread %}{{ message(r) }}{% endfor %}</div>{% endif %}
</div></div>
{% endmacro %}
{% macro block(b) %}
{% if b.type == "header" %}<div class="header">{{ b.text.text }}</div>
{% elif b.type == "section" %}
  {% if b.text %}<div class="section">{{ md(b.text.text) }}</div>{% endif %}
  {% if b.fields %}<div class="fields">{% for f in b.fields %}<div>{{ md(f.text) }}</div>{% endfor %}</div>{% endif %}
{% elif b.type == "context" %}<div class="context">{% for e in b.elements %}<span>{{ md(e.text) }}</span>{% endfor %}</div>
{% elif b.type == "actions" %}<div class="actions">{% for e in b.elements %}
  {% if e.type == "button" and e.url %}<a class="button" href="{{ e.url }}">{{ e.text.text }}</a>
  {% elif e.type == "button" %}<span class="button{{ ' primary' if e.style == 'primary' else '' }}">{{ e.text.text }}</span>
  {% else %}<span class="select">{{ e.placeholder.text }}</span>{% endif %}{% endfor %}</div>
{% endif %}
{% endmacro %}"""


def page(title: str, messages: list[dict[str, Any]], names: dict[str, str] | None = None) -> str:
    """A page of messages: each ``{"who", "when", "blocks" or "text", "thread": [...], "rep"}``."""
    env = Environment(autoescape=True)
    env.globals["md"] = lambda text: mrkdwn(str(text), names)
    macros = env.from_string(MESSAGE).module
    env.globals.update(message=macros.message, block=macros.block)
    return env.from_string(PAGE).render(title=title, messages=messages)
