"""Inbound Twilio webhooks: signature checks and the pure translation of a form to ``Inbound``.

Twilio signs ``X-Twilio-Signature`` = base64(HMAC-SHA1(auth token, URL + sorted params)) over the
URL *it* called: behind a proxy or a tunnel ``request.url`` is not that URL, so we rebuild it
from PARLEY_PUBLIC_URL plus the path and query, and sign over every parameter received (a
parameter we don't know yet must still be covered, or a forger could add one).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from multidict import MultiDictProxy
from parley.core.kernel.messages import Address, Attachment, Inbound, Location, Referral
from twilio.request_validator import RequestValidator

WHATSAPP_PREFIX = "whatsapp:"
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
MAX_MEDIA = 10  # Twilio sends at most 10 media items per message


class MalformedWebhook(ValueError):
    """A signed request that still cannot be understood: answer 400."""


def signed_url(public_url: str, path_qs: str, fallback: str) -> str:
    return public_url + path_qs if public_url else fallback


def verify(validator: RequestValidator, url: str, params: MultiDictProxy[str], signature: str) -> bool:
    if not signature:
        return False
    return validator.validate(url, params, signature)


def bare(number: str) -> str:
    return number.removeprefix(WHATSAPP_PREFIX)


def media_kind(mime: str) -> str:
    head = mime.split("/", 1)[0]
    return head if head in ("image", "audio", "video") else "file"


def attachments(form: Mapping[str, str]) -> tuple[Attachment, ...]:
    try:
        n = int(form.get("NumMedia", "0") or 0)
    except ValueError:
        raise MalformedWebhook("NumMedia is not a number") from None
    found = []
    for i in range(min(max(n, 0), MAX_MEDIA)):
        url = form.get(f"MediaUrl{i}", "")
        if url:
            mime = form.get(f"MediaContentType{i}", "")
            found.append(Attachment(kind=media_kind(mime), url=url, mime=mime))  # type: ignore[arg-type]
    return tuple(found)


def location(form: Mapping[str, str]) -> Location | None:
    """A WhatsApp location pin (``MessageType=location``): ``Latitude``/``Longitude``, with the
    place's ``Label`` and ``Address`` when the person picked a named place."""
    lat, lon = form.get("Latitude", ""), form.get("Longitude", "")
    if not lat or not lon:
        return None
    try:
        return Location(latitude=lat, longitude=lon, name=form.get("Label", ""), address=form.get("Address", ""))
    except ValueError:  # not numbers, or off the globe
        raise MalformedWebhook("Latitude and Longitude must be coordinates") from None


def referral(form: Mapping[str, str]) -> Referral | None:
    """A Click-to-WhatsApp ad's ``Referral*`` fields (first message after the ad click)."""
    fields = {
        "source_type": form.get("ReferralSourceType", ""),
        "source_id": form.get("ReferralSourceId", ""),
        "source_url": form.get("ReferralSourceUrl", ""),
        "headline": form.get("ReferralHeadline", ""),
        "body": form.get("ReferralBody", ""),
        "click_id": form.get("ReferralCtwaClid", ""),
    }
    return Referral(**{k: v[:1000] for k, v in fields.items()}) if any(fields.values()) else None


def to_inbound(channel: str, form: Mapping[str, str], received_at: datetime | None = None) -> Inbound:
    """A Twilio messaging webhook (SMS or WhatsApp) as an ``Inbound``; the person's number is the
    chat, without the ``whatsapp:`` prefix (the channel name says which network it is)."""
    sid = form.get("MessageSid", "") or form.get("SmsMessageSid", "")
    sender = bare(form.get("From", ""))
    if not sid or not sender:
        raise MalformedWebhook("MessageSid and From are required")
    address = Address(channel=channel, chat=sender, user=sender)
    meta = {"to": form.get("To", "")}
    if form.get("FromCountry"):
        meta["country"] = form["FromCountry"]
    payload = form.get("ButtonPayload", "")
    if payload:  # a WhatsApp quick-reply button of an approved template
        return Inbound(
            address=address,
            event_id=sid,
            kind="button",
            payload=payload[:256],
            text=form.get("ButtonText", "") or form.get("Body", ""),
            meta={**meta, "title": form.get("ButtonText", "")[:256]},
            user_name=form.get("ProfileName", ""),
            received_at=received_at,
        )
    place = location(form)
    media = attachments(form)
    if place is not None:
        media += (Attachment(kind="location", url=f"geo:{place.latitude},{place.longitude}", caption=place.name),)
    return Inbound(
        address=address,
        event_id=sid,
        text=form.get("Body", ""),
        attachments=media,
        user_name=form.get("ProfileName", ""),
        received_at=received_at,
        message_id=sid,
        reply_to=form.get("OriginalRepliedMessageSid", ""),
        location=place,
        referral=referral(form),
        meta=meta,
    )
