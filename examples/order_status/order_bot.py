"""An order-status bot: ``/order 12345`` and "where is my order 12345?" answered from the shop's
order API, in the customer's language, with the bot's own messages (locales/en.toml, es.toml).

    ORDER_API_URL=https://shop.example.com/api python examples/order_status/order_bot.py

The web chat is at http://127.0.0.1:8080/chat; configured channels (PARLEY_TELEGRAM__TOKEN...)
start too. Anything the handlers do not answer goes on to the brain, as usual.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from parley import Bot, Router, Settings, Turn

LOCALES = Path(__file__).parent / "locales"
STATUSES = ("processing", "shipped", "delivered")  # each has a status_<name> message


@dataclass(frozen=True)
class Order:
    number: int
    status: str
    eta: str = ""


class OrderAPI:
    """The shop's API: ``GET {base}/orders/{number}`` answers ``{"status": ..., "eta": ...}``,
    or 404 for an order it does not know."""

    def __init__(self, base_url: str, timeout: float = 5.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._http: aiohttp.ClientSession | None = None

    async def open(self) -> None:  # one pooled session for the bot's life (on_startup)
        self._http = aiohttp.ClientSession(timeout=self.timeout, raise_for_status=False)

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()

    async def order(self, number: int) -> Order | None:
        assert self._http is not None, "OrderAPI.open() runs at start-up"
        async with self._http.get(f"{self.base_url}/orders/{number}") as resp:
            if resp.status == 404:
                return None
            resp.raise_for_status()
            body = await resp.json()
        return Order(number, str(body["status"]), str(body.get("eta", "")))


def orders(api: OrderAPI) -> Router:
    router = Router("orders")

    @router.command("/order")
    @router.text(r"(?:where is my order|d[oó]nde est[aá] mi pedido)\D*(?P<number>\d+)")
    async def order_status(turn: Turn, number: int) -> None:
        try:
            order = await api.order(number)
        except (aiohttp.ClientError, TimeoutError, KeyError, ValueError):
            turn.say(turn.t("order_unavailable"))  # the shop's API is down or answered nonsense
            return
        if order is None:
            turn.say(turn.t("order_not_found", number=number))
            return
        status = turn.t(f"status_{order.status}") if order.status in STATUSES else order.status
        key = "order_status_eta" if order.eta else "order_status"
        turn.say(turn.t(key, number=number, status=status, eta=order.eta))

    return router


def build(settings: Settings, api: OrderAPI, clock=time.time) -> Bot:
    return Bot(
        settings,
        clock=clock,
        routers=[orders(api)],
        locales=LOCALES,
        on_startup=[api.open],
        on_shutdown=[api.close],
    )


async def main() -> None:
    api = OrderAPI(os.environ.get("ORDER_API_URL", "http://127.0.0.1:9000"))
    async with build(Settings(), api) as bot:
        print(f"order bot: web chat at http://127.0.0.1:{bot.port}/chat", flush=True)
        await asyncio.Event().wait()  # until Ctrl-C


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: the bot has shut down cleanly
        asyncio.run(main())
