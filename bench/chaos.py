"""The chaos suite's scenarios (tests/chaos/), run longer: more messages per fault, and each
fault as many times as asked. The store faults are met by Telegram, the web chat and Twilio SMS
at once (``--updates`` Telegram updates, half as many on each of the others). Prints the suite's
figures per run and channel: acknowledged and lost, answered twice (Telegram and Twilio have no
idempotency key: reported; the web chat's reply ids make a re-send harmless), answered with an
error text, the longest stall after a restart, the sent-to-recorded window before each SIGKILL,
and beside them the baseline the issue measured before the fix.

    .venv/bin/python -m bench.chaos [--updates 600] [--runs 1] [--only sigkill_sqlite,disk_full]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.chaos.scenarios import SCENARIOS  # noqa: E402

# What issue 18 measured before the fix, for the same faults (none where it did not say).
BASELINES = {
    "sigkill_sqlite": "before: 16 of 1,000 Telegram updates answered after ~120 s; 2 of 1,000 sent twice",
    "sigkill_redis": "before: conversations frozen for the 120 s lock lease after a SIGKILL",
    "redis_paused": "before: 29 of 400 answered with the error text (Redis paused 6 s)",
    "disk_full": "before: 6 of 400 answered with the error text; /readyz stayed 200",
    "llm": "before: no fallback within 30 s of a model answering 500",
    "storms": "",
}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--updates", type=int, default=600, help="updates per scenario (the LLM one uses a tenth)")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--only", default="", help="comma-separated scenario names: " + ", ".join(SCENARIOS))
    args = parser.parse_args()
    names = [n for n in args.only.split(",") if n] or list(SCENARIOS)
    for run in range(args.runs):
        for name in names:
            updates = max(10, args.updates // 10) if name == "llm" else args.updates
            with tempfile.TemporaryDirectory() as work:
                results = await SCENARIOS[name](Path(work), updates)
            for out in results:
                print(f"[run {run + 1}] {out.line()}", flush=True)
            if BASELINES[name]:
                print(f"          {BASELINES[name]}", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
