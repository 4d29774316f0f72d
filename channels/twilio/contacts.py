"""WhatsApp contact cards: Twilio hands a shared contact over as vCard media
(``MediaContentType0=text/vcard``); it becomes a typed ``Contact`` on the turn.

The card is fetched with the account's credentials (Twilio's media URLs may require HTTP basic
auth), and only from the Twilio API origin Parley is configured with: a media URL pointing
anywhere else never receives the credentials. Twilio answers a media URL with a redirect to
its storage: that one is followed without credentials. A card that cannot be fetched in a few
seconds or parsed leaves the message as it was (the vCard stays an attachment).
"""

from __future__ import annotations

import logging
from urllib.parse import urljoin, urlsplit

import aiohttp
import vobject
from parley.core.kernel.messages import Attachment, Contact

log = logging.getLogger("parley.twilio")

VCARD_TYPES = ("text/vcard", "text/x-vcard", "text/directory")
MAX_CARD = 64 * 1024  # a contact card is a few hundred bytes; more is not one
TIMEOUT = aiohttp.ClientTimeout(total=3.0)  # inside the webhook, before Twilio's 15 s


def is_vcard(attachment: Attachment) -> bool:
    return attachment.mime.split(";", 1)[0].strip().lower() in VCARD_TYPES


def parse(text: str) -> tuple[Contact, ...]:
    """Every card in ``text`` with its name, phone numbers and e-mail addresses."""
    found: list[Contact] = []
    try:
        for card in vobject.readComponents(text):
            name = str(card.fn.value) if "fn" in card.contents else ""
            phones = tuple(str(t.value) for t in card.contents.get("tel", ()))[:10]
            emails = tuple(str(e.value) for e in card.contents.get("email", ()))[:10]
            found.append(Contact(name=name[:200], phones=phones, emails=emails))
    except Exception as exc:  # vobject raises several kinds on a broken card: keep what was read
        log.info("twilio contact card not readable: %s", type(exc).__name__)
    return tuple(found[:10])


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, parts.hostname or "", parts.port


async def fetch(attachments: tuple[Attachment, ...], api_base: str, auth: aiohttp.BasicAuth) -> tuple[Contact, ...]:
    """The contacts in the vCard attachments, fetched from the Twilio API origin only."""
    cards = [a for a in attachments if is_vcard(a) and _origin(a.url) == _origin(api_base)]
    contacts: list[Contact] = []
    if not cards:
        return ()
    async with aiohttp.ClientSession(timeout=TIMEOUT) as http:
        for card in cards:
            try:
                text = await _get(http, card.url, auth)
            except (aiohttp.ClientError, TimeoutError, UnicodeDecodeError, ValueError) as exc:
                log.info("twilio contact card not fetched: %s", type(exc).__name__)
                continue
            contacts.extend(parse(text))
    return tuple(contacts)


async def _get(http: aiohttp.ClientSession, url: str, auth: aiohttp.BasicAuth) -> str:
    async with http.get(url, headers={"Authorization": auth.encode()}, allow_redirects=False) as resp:
        if resp.status in (301, 302, 303, 307, 308) and resp.headers.get("Location"):
            target = urljoin(url, resp.headers["Location"])
            async with http.get(target, allow_redirects=False) as moved:  # storage: no credentials
                return await _body(moved)
        return await _body(resp)


async def _body(resp: aiohttp.ClientResponse) -> str:
    if resp.status != 200:
        raise ValueError(f"HTTP {resp.status}")
    raw = await resp.content.read(MAX_CARD + 1)
    if len(raw) > MAX_CARD:
        raise ValueError("card too large")
    return raw.decode("utf-8")
