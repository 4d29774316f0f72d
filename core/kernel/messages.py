"""The platform-neutral messages every channel translates to and from.

They are frozen pydantic models so they serialise to the store (inbox, outbox) without a
hand-written codec, and carry no platform types: one word per concept ("address").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from parley.core.kernel.door import clean
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Address(Frozen):
    """Where a conversation happens: channel, chat, user and (optionally) a thread."""

    channel: str
    chat: str
    user: str = ""
    thread: str = ""

    @field_validator("chat", "user", "thread")
    @classmethod
    def _valid_text(cls, value: str) -> str:
        return clean(value)  # ids from outside are keys in the store: valid Unicode only

    @property
    def conversation(self) -> str:
        # A thread is its own conversation (Slack threads, Discord threads).
        return f"{self.channel}:{self.chat}:{self.thread}"

    @property
    def person(self) -> str:
        return f"{self.channel}:{self.user or self.chat}"


class Button(Frozen):
    title: str
    payload: str


class Attachment(Frozen):
    kind: Literal["image", "audio", "video", "file", "sticker", "location", "other"]
    url: str = ""
    mime: str = ""
    caption: str = ""


class Location(Frozen):
    """A place the person shared (a WhatsApp pin, a Telegram location or venue)."""

    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)
    name: str = ""  # a venue's or pin's label ("Blue Bottle Coffee")
    address: str = ""

    @field_validator("name", "address")
    @classmethod
    def _valid_text(cls, value: str) -> str:
        return clean(value)


class Contact(Frozen):
    """A contact card the person shared (a vCard on WhatsApp, a Telegram contact)."""

    name: str = ""
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()

    @field_validator("name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        return clean(value)

    @field_validator("phones", "emails")
    @classmethod
    def _valid_items(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(clean(v) for v in value)


class Referral(Frozen):
    """Where the person came from when the platform says so: a Click-to-WhatsApp ad's
    ``Referral*`` fields. Kept on the profile as the conversation's attribution."""

    source_type: str = ""  # "ad" or "post"
    source_id: str = ""
    source_url: str = ""
    headline: str = ""
    body: str = ""
    click_id: str = ""  # ReferralCtwaClid: what Meta's conversions API matches the ad click by

    @field_validator("*")
    @classmethod
    def _valid_text(cls, value: str) -> str:
        return clean(value)


class Inbound(Frozen):
    """One thing a person did: a message, a button press, a command."""

    address: Address
    event_id: str  # the platform's own id: Telegram update_id, Slack event_id, MessageSid...
    text: str = ""
    kind: Literal["message", "button", "edit"] = "message"
    payload: str = ""  # a button's payload when kind == "button"
    attachments: tuple[Attachment, ...] = ()
    locale_hint: str = ""  # Telegram language_code, Slack locale, browser language
    user_name: str = ""
    received_at: datetime | None = None
    # The platform's id of the message (for an edit: of the message edited), so an edit can find
    # the copy it corrects (parley.core.kernel.edits), and of the message this one answers.
    message_id: str = ""
    reply_to: str = ""
    location: Location | None = None
    contacts: tuple[Contact, ...] = ()
    referral: Referral | None = None
    meta: dict[str, str] = Field(default_factory=dict)

    # Whatever a channel read from outside, the inbox holds valid Unicode: a lone surrogate
    # would raise in the store's encoder, after the event was meant to be acknowledged.
    @field_validator("event_id", "text", "payload", "locale_hint", "user_name", "message_id", "reply_to")
    @classmethod
    def _valid_text(cls, value: str) -> str:
        return clean(value)

    @field_validator("meta")
    @classmethod
    def _valid_meta(cls, value: dict[str, str]) -> dict[str, str]:
        return {clean(k): clean(v) for k, v in value.items()}


class Fact(Frozen):
    """One labelled value on a card ("Name": "Jana Novak"). ``at`` (unix seconds) marks a moment:
    a channel that can may show it in each reader's own time zone; ``value`` is the fallback."""

    label: str
    value: str
    at: float = 0.0


class Said(Frozen):
    """One line of a conversation quoted on a card."""

    who: str
    text: str


class Card(Frozen):
    """A structured message for people who act on it (the desk's handoff, lead and complaint
    cards): channels with rich layouts (Slack Block Kit) lay it out, the rest show ``Reply.text``.
    Raw text throughout: each channel escapes it once, for its own markup."""

    title: str
    urgent: bool = False
    facts: tuple[Fact, ...] = ()
    summary: str = ""
    said: tuple[Said, ...] = ()
    status: tuple[str, ...] = ()  # how the case moved: "Claimed by Ana", "CSAT 4/5"
    link: str = ""  # the whole conversation (the console's transcript), a link button
    link_title: str = "Open conversation"
    level: str = ""  # the header's second word when not urgent/normal: "hot 80/100" for a lead
    mention: str = ""  # a rep to notify (a platform user id: Slack mentions them on the card)
    mention_why: str = ""  # why them: "locale es, group S0SALES"
    trigger: str = ""  # the customer's message that opened the case (a complaint), quoted
    menu: tuple[Button, ...] = ()  # further actions in a menu (a select): the desk's saved replies
    menu_title: str = ""


class HandoffMark(Frozen):
    """How a handoff goes, on the reply that tells the customer: for channels that act on it
    rather than just say it (a call is put through to a person, or offered a call back:
    parley.channels.twilio.voice). Set by the desk (parley.core.handoff.desk)."""

    status: Literal["wait", "closed"]  # "wait": a person takes over now; "closed": the team is away
    when: str = ""  # "closed": when the team is back, as the customer is told


class Reply(Frozen):
    """What Parley says. Channels without buttons get them rendered as text (parley.core.kernel.render)."""

    text: str
    buttons: tuple[Button, ...] = ()
    sources: tuple[str, ...] = ()
    kind: Literal["answer", "system", "proactive", "agent"] = "answer"
    # The platform id of a message this reply is the final form of (an answer streamed by edits,
    # parley.core.kernel.streaming): the channel edits that message instead of posting another.
    replaces: str = ""
    card: Card | None = None  # laid out by channels that can; ``text`` is its plain fallback
    # The ref of the desk card this reply is the new form of (parley.core.handoff.card.redraw):
    # the desk channel edits the card it posted instead of posting another.
    desk_card: str = ""
    handoff: HandoffMark | None = None
    meta: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _fields_once_in_meta(cls, data: Any) -> Any:
        """Outbox items stored before ``replaces``, ``desk_card`` and ``handoff`` were fields
        carried them in ``meta`` (``streamed``; ``desk_card``; ``handoff`` with ``when``)."""
        if not isinstance(data, dict) or not data.get("meta") or OLD_META.isdisjoint(data["meta"]):
            return data
        meta = dict(data["meta"])
        data = {**data, "meta": meta}
        if "streamed" in meta and not data.get("replaces"):
            data["replaces"] = meta.pop("streamed")
        if "desk_card" in meta and not data.get("desk_card"):
            data["desk_card"] = meta.pop("desk_card")
        if meta.get("handoff") in ("wait", "closed") and not data.get("handoff"):
            data["handoff"] = {"status": meta.pop("handoff"), "when": meta.pop("when", "")}
        return data


OLD_META = frozenset({"streamed", "desk_card", "handoff"})
