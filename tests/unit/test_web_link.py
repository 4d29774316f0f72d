"""The web chat's link (``/chat?link=<token>``): offered by /link on other channels when the
deployment has a public address, never on the web chat itself; the token it carries links once,
only a web chat identity when the customer asked for the web chat, and not after it expired."""

from __future__ import annotations

from parley.core.kernel.clock import ManualClock
from parley.core.linking.codes import Codes, Verdict
from parley.core.linking.flow import TOKEN, DeepLinks
from parley.core.storage.memory import MemoryStore

WA, WEB, OTHER_WEB, TG = "whatsapp:+4915100000001", "web:w3f2a", "web:w9c1d", "telegram:42"
DEEP = DeepLinks(telegram_bot="shopbot", web_chat="https://bot.example.com/chat")


async def codes(ttl: float = 600.0) -> tuple[Codes, ManualClock]:
    clock = ManualClock()
    store = MemoryStore(clock=clock)
    await store.open()
    return Codes(store, clock, ttl=ttl), clock


def test_the_link_is_offered_elsewhere_never_on_the_web_chat_itself():
    token = "A" * 32
    shown = DEEP.links("123456", token, "", "whatsapp")
    assert f"web chat: https://bot.example.com/chat?link={token}" in shown and len(shown) == 2
    assert DEEP.links("123456", token, "web", "whatsapp") == [f"web chat: https://bot.example.com/chat?link={token}"]
    assert not any("/chat?link=" in line for line in DEEP.links("123456", token, "", "web"))
    assert DEEP.links("123456", token, "telegram", "whatsapp") == [f"Telegram: https://t.me/shopbot?start=link-{token}"]
    assert DeepLinks().links("123456", token, "web", "whatsapp") == []  # no public address: no link


async def test_a_web_link_links_one_web_chat_once():
    c, _ = await codes()
    issued = await c.issue(WA, channel="web")
    assert TOKEN.fullmatch(issued.token)  # what the page and the channel accept
    assert (await c.redeem(TG, token=issued.token)).verdict is Verdict.INVALID  # not the web chat
    assert (await c.redeem(WA, token=issued.token)).verdict is Verdict.INVALID  # where it was asked for
    redeemed = await c.redeem(WEB, token=issued.token)
    assert (redeemed.verdict, redeemed.identity) == (Verdict.OK, WA)
    assert (await c.redeem(WEB, token=issued.token)).verdict is Verdict.INVALID  # replayed (a reload)
    assert (await c.redeem(OTHER_WEB, token=issued.token)).verdict is Verdict.INVALID  # a third identity
    assert (await c.redeem(OTHER_WEB, code=issued.code)).verdict is Verdict.INVALID  # its code is spent too


async def test_an_expired_web_link_links_nothing():
    c, clock = await codes(ttl=600)
    issued = await c.issue(WA, channel="web")
    clock.advance(601)
    assert (await c.redeem(WEB, token=issued.token)).verdict is Verdict.INVALID
