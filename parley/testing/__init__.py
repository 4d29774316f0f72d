"""The test kit for bots built on Parley: a pytest plugin, platform fakes and contract suites.

- `parley.testing.plugin`: pytest fixtures (``conversation``, ``customer``, ``parley_clock``...)
  that run your bot on the real pipeline with an in-memory store and a clock you move by hand.
  Installed with Parley, pytest loads it by itself (the ``pytest11`` entry point).
- `parley.testing.fakes`: loopback fakes of Telegram, Slack, Twilio, Discord and an
  OpenAI-compatible model.
- `parley.testing.contracts`: the suites every store and every channel must pass; subclass one
  and provide the fixture it asks for to run it against your own.

Its modules import pytest; nothing else in Parley imports this package, so a running bot
never needs pytest.
"""

from parley.core.kernel.clock import ManualClock

__all__ = ["ManualClock"]  # the clock the fixtures run a bot on, for a test that picks its start
