"""The customer's side of linking, as a middleware (docs/privacy.md, "Linking identities").

- ``/link`` (or the pack's ``link`` phrase, "link my whatsapp"): a six-digit code on this channel,
  to be typed on the other one within ten minutes, with deep links that carry it (a web chat
  ``/chat?link=`` link, a Telegram ``/start`` link, a prefilled WhatsApp or SMS text) for the
  channels this deployment runs. Naming a channel binds the code to it.
- ``/link 123456``, ``LINK 123456`` (what the prefilled texts send), ``/link <token>`` (what
  the web chat page sends when opened with ``?link=<token>``) or ``/start link-<token>`` on the
  other channel: checked by
  codes.Codes; on success both identities are one person (links.link) and both channels hear it.
- ``/link here``: follow-ups and agents' answers come to this channel, whichever the customer
  wrote on last (channels.reply_address).
- ``/unlink`` (or the pack's ``unlink`` phrase): this channel leaves the person (links.unlink).

Runs after ``locale`` (the answer is in the person's language) and before the desk and the
brain: a code typed mid-handoff links, it is not relayed to an agent.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import quote

from parley.core.kernel.messages import Address, Reply
from parley.core.kernel.pipeline import Handler, Middleware
from parley.core.kernel.turn import Turn
from parley.core.linking.channels import linked, note_seen
from parley.core.linking.codes import Codes, Verdict
from parley.core.linking.links import LinkRefused, Refusal, channel_of, link, unlink
from parley.core.storage.store import Store

NAMES = {
    "whatsapp": "WhatsApp",
    "sms": "SMS",
    "telegram": "Telegram",
    "web": "web chat",
    "slack": "Slack",
    "discord": "Discord",
}
ALIASES = {"webchat": "web", "web chat": "web", "chat": "web", "text": "sms"}
CODE = re.compile(r"\d{3}[ -]?\d{3}")
NUMBER = re.compile(r"\+\d[\d ()-]{6,20}\d")  # an international number, as typed
CODE_TO = ("whatsapp", "sms")  # where a code can be sent to a number the customer gives
SENT_PER_DAY = 3  # codes one number may be sent a day, whoever asks
TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")
REFUSALS = {
    Refusal.SAME: "link_same",
    Refusal.ELSEWHERE: "link_elsewhere",
    Refusal.NOT_LINKED: "link_not_linked",
    Refusal.BUSY: "link_busy",
}


@dataclass(frozen=True)
class DeepLinks:
    """Where this deployment can be reached, for links that carry a code (empty: no link)."""

    telegram_bot: str = ""  # the bot's username: https://t.me/<bot>?start=link-<token>
    whatsapp_number: str = ""  # +E.164: https://wa.me/<digits>?text=LINK <code>
    sms_number: str = ""  # sms:<number>?&body=LINK <code>
    web_chat: str = ""  # the web chat page's URL (PARLEY_PUBLIC_URL + /chat): <url>?link=<token>

    def links(self, code: str, token: str, channel: str, here: str) -> list[str]:
        out = []
        if self.web_chat:
            out.append(("web", f"{self.web_chat}?link={token}"))
        if self.telegram_bot:
            out.append(("telegram", f"https://t.me/{self.telegram_bot}?start=link-{token}"))
        if self.whatsapp_number:
            digits = re.sub(r"\D", "", self.whatsapp_number)
            out.append(("whatsapp", f"https://wa.me/{digits}?text={quote('LINK ' + code)}"))
        if self.sms_number:
            out.append(("sms", f"sms:{self.sms_number}?&body={quote('LINK ' + code)}"))
        return [f"{NAMES[c]}: {url}" for c, url in out if c != here and (not channel or c == channel)]


def parse(turn: Turn) -> tuple[str, str] | None:
    """("issue", channel) | ("send", number) | ("redeem", code or token) | ("pin", "") | ("unlink", "")
    | None."""
    text = turn.text.strip()
    lower = text.lower()
    if lower.startswith("/start link-"):
        return "redeem", text[len("/start link-") :].strip()
    words = turn.pack.words("link")
    head, _, rest = lower.partition(" ")
    rest = text[len(head) :].strip()
    if lower == "/unlink" or lower in turn.pack.words("unlink"):
        return "unlink", ""
    if head in ("/link", "link") and rest.lower() == "here":
        return "pin", ""
    if head in ("/link", "link") and NUMBER.fullmatch(rest):
        return "send", "+" + re.sub(r"\D", "", rest)
    if head in ("/link", "link") or head in words:
        if CODE.fullmatch(rest) or TOKEN.fullmatch(rest):
            return "redeem", rest
        named = channel_named(rest)
        if not rest or named or head == "/link":
            return "issue", named
    if lower in words:
        return "issue", ""
    # "link my whatsapp", "vincular mi whatsapp", "mein WhatsApp verknüpfen": a few words, one of
    # them the pack's link word, one a channel.
    said = lower.split()
    heads = {"link", *(phrase.split()[0] for phrase in words if phrase)}
    named = {channel_named(w) for w in said if channel_named(w)}  # "web chat": two words, one channel
    if len(said) <= 4 and heads & set(said) and len(named) == 1:
        return "issue", named.pop()
    return None


def channel_named(text: str) -> str:
    name = text.strip().lower()
    name = ALIASES.get(name, name)
    return name if name in NAMES else ""


def linking(store: Store, codes: Codes, deep: DeepLinks = DeepLinks()) -> Middleware:
    async def mw(turn: Turn, call_next: Handler) -> None:
        if turn.inbound is not None and linked(turn.profile):
            # Before the desk, which may take the message and end the turn: where the person
            # wrote last decides where a proactive reply (an agent's answer) goes.
            note_seen(turn.profile, turn.address, turn.now.timestamp())
        asked = parse(turn) if turn.inbound is not None else None
        if asked is None:
            await call_next(turn)
            if deep.whatsapp_number or deep.sms_number:  # a code can only go where we can send it
                suggest(turn)
            return
        action, value = asked
        turn.tags["linking"] = action
        identity = turn.address.person
        if action == "unlink":
            try:
                await unlink(store, identity)
            except LinkRefused as refused:
                turn.system(REFUSALS[refused.reason])
                return
            turn.relinked = True  # the store wrote both profiles; this turn writes none
            turn.system("link_unlinked")
            return
        if action == "pin":  # replies nobody is waiting for come here (channels.reply_address)
            if len(turn.profile.get("identities", ())) < 2:
                turn.system("link_not_linked")
                return
            turn.profile["reply_on"] = identity
            turn.system("link_here")
            return
        if action == "send":
            await send_code(store, codes, turn, value)
            return
        if action == "issue":
            issued = await codes.issue(identity, value)
            if issued is None:
                turn.system("link_throttled")
                return
            minutes = round(codes.ttl / 60)
            key = "link_code_channel" if value else "link_code"
            text = turn.t(key, code=f"{issued.code[:3]} {issued.code[3:]}", minutes=minutes, channel=NAMES.get(value))
            shown = deep.links(issued.code, issued.token, value, turn.address.channel)
            turn.say(text + ("\n" + "\n".join(shown) if shown else ""), kind="system")
            return
        redeemed = await codes.redeem(identity, token=value) if TOKEN.fullmatch(value) else None
        if redeemed is None:
            redeemed = await codes.redeem(identity, code=value)
        if redeemed.verdict is Verdict.THROTTLED:
            turn.system("link_throttled")
            return
        if redeemed.verdict is not Verdict.OK:
            turn.system("link_invalid")
            return
        try:
            joined = await link(store, redeemed.identity, identity)
        except LinkRefused as refused:
            turn.system(REFUSALS[refused.reason])
            return
        turn.relinked = True  # the store wrote the merged profile; this turn writes none
        others = [NAMES.get(channel_of(i), channel_of(i)) for i in joined.identities if i != identity]
        turn.system("link_done", channels=", ".join(sorted(set(others))))
        # The other side hears it too: a link they did not make can be undone from there.
        asker = redeemed.identity.split(":", 1)
        if len(asker) == 2:
            here = NAMES.get(turn.address.channel, turn.address.channel)
            told = Reply(text=turn.t("link_done", channels=here), kind="system")
            turn.forward(Address(channel=asker[0], chat=asker[1], user=asker[1]), told)

    return mw


async def send_code(store: Store, codes: Codes, turn: Turn, number: str) -> None:
    """``/link +4915100000001``: a code goes to that number on WhatsApp and SMS, where we know
    it, to be typed here (by this identity only). The answer here is the same whether or not we
    know the number: nothing says who our customers are."""
    identity = turn.address.person
    minutes = round(codes.ttl / 60)
    for channel in CODE_TO:
        target = f"{channel}:{number}"
        if target == identity or not await store.profile(await store.person_of(target)):
            continue  # never wrote to us there: nothing to link, and nothing is sent
        if await store.hits(f"link:sent:{target}", 86400) > SENT_PER_DAY:
            continue
        issued = await codes.issue(target, only=identity)
        if issued is None:
            continue
        here = NAMES.get(turn.address.channel, turn.address.channel)
        text = turn.t("link_code_sent", code=f"{issued.code[:3]} {issued.code[3:]}", minutes=minutes, channel=here)
        # A proactive message: outside WhatsApp's 24-hour window it goes as the approved template
        # of kind link_code (PARLEY_TWILIO__WHATSAPP_TEMPLATES), the code its variable {{1}}.
        meta = {"template": "link_code", "template_vars": json.dumps({"1": issued.code}), "lang": turn.pack.code}
        turn.forward(Address(channel=channel, chat=number, user=number), Reply(text=text, kind="proactive", meta=meta))
    turn.system("link_sent", number=number, minutes=minutes)


def suggest(turn: Turn) -> None:
    """A customer who gives a phone number in a chat not linked yet is offered, once per
    conversation, to link it: a suggestion, never a link, and the same whoever the number is.
    Only where WhatsApp or SMS runs, and never while a person has the conversation."""
    if turn.inbound is None or turn.state.get("link_suggested") or len(turn.profile.get("identities", ())) > 1:
        return
    if (turn.state.get("handoff") or {}).get("status") in ("requested", "queued", "active"):
        return  # a person is on it: no aside from the bot
    if turn.address.channel in CODE_TO:
        return  # the number they write from is the one we would offer
    found = NUMBER.search(turn.inbound.text)
    if found is None:
        return
    number = "+" + re.sub(r"\D", "", found.group())
    turn.state["link_suggested"] = True
    turn.system("link_suggest", number=number)
