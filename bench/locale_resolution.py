"""Cost of locale resolution per turn: explicit request check, offline detection, hint, and the
reply stamping (``locale`` + ``locale_meta``), beside a no-op middleware baseline in the same run.

    .venv/bin/python bench/locale_resolution.py [turns]

Prints µs per turn (mean, p50, p99) for: the baseline fold, the two locale middlewares over a
realistic mix of messages, and detection alone on short and on longer messages.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from parley.core.config.settings import shipped  # noqa: E402
from parley.core.i18n.language import LanguageDetector  # noqa: E402
from parley.core.i18n.locales import LocaleCatalog  # noqa: E402
from parley.core.i18n.personas import PersonaCatalog  # noqa: E402
from parley.core.kernel.messages import Address, Inbound  # noqa: E402
from parley.core.kernel.middleware import locale, locale_meta  # noqa: E402
from parley.core.kernel.pipeline import Handler, fold  # noqa: E402
from parley.core.kernel.turn import Turn  # noqa: E402

from bench.common import pct  # noqa: E402

MIX = [
    "hola",
    "merci",
    "ok",
    "ありがとう",
    "How long does shipping take to Canada?",
    "¿Cuánto cuesta el envío a Madrid?",
    "Wie lange dauert der Versand?",
    "Quais são as formas de pagamento?",
    "配送にはどのくらいかかりますか？",
    "كم يستغرق الشحن؟",
    "Can I return a jacket I bought online in a store?",
    "can we speak Spanish?",
]
SHORT = ["hola", "merci", "danke", "obrigado", "ok", "thanks", "谢谢", "شكرا"]
LONG = [m for m in MIX if len(m.split()) >= 4]


async def noop(turn: Turn, call_next: Handler) -> None:
    await call_next(turn)


async def endpoint(turn: Turn) -> None:
    turn.say("ok")


def percentiles(samples: list[float]) -> str:
    p50, p99 = pct(samples, 50), pct(samples, 99)
    return f"mean {statistics.fmean(samples):7.1f} µs   p50 {p50:7.1f} µs   p99 {p99:7.1f} µs"


async def run_turns(handler: Handler, catalog: LocaleCatalog, turns: int) -> list[float]:
    persona = PersonaCatalog.load(shipped("personas"), "demo").get()
    samples: list[float] = []
    profiles: dict[str, dict] = {}
    for n in range(turns):
        text = MIX[n % len(MIX)]
        user = f"u{n % 500}"  # 500 people, each with a remembered profile
        address = Address(channel="web", chat=user, user=user)
        profile = profiles.setdefault(user, {})
        turn = Turn(address, datetime.now(UTC), persona, catalog.get(profile.get("locale") or "en"), profile=profile)
        turn.inbound = Inbound(address=address, event_id=str(n), text=text, locale_hint="en-US")
        start = time.perf_counter()
        await handler(turn)
        samples.append((time.perf_counter() - start) * 1e6)
    return samples


def detect_cost(detector: LanguageDetector, texts: list[str], rounds: int) -> list[float]:
    samples = []
    for n in range(rounds):
        text = texts[n % len(texts)]
        start = time.perf_counter()
        detector.detect(text)
        samples.append((time.perf_counter() - start) * 1e6)
    return samples


async def main(turns: int) -> None:
    catalog = LocaleCatalog.load(shipped("locales"))
    detector = LanguageDetector(catalog)
    detector.detect("warm up the model and tables")
    baseline = fold([noop, noop], endpoint)
    resolved = fold([locale_meta, locale(catalog)], endpoint)
    await run_turns(resolved, catalog, 2000)  # warm-up
    print(
        f"locale resolution, {turns} turns, mix of {len(MIX)} messages in 8 languages, Python {sys.version.split()[0]}"
    )
    print(f"  baseline (2 no-op middlewares)      {percentiles(await run_turns(baseline, catalog, turns))}")
    print(f"  locale + locale_meta                {percentiles(await run_turns(resolved, catalog, turns))}")
    print(f"  detect() alone, 1-2 word messages   {percentiles(detect_cost(detector, SHORT, turns))}")
    print(f"  detect() alone, 4+ word messages    {percentiles(detect_cost(detector, LONG, turns))}")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000))
