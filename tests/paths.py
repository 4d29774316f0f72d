"""Where the checkout is, for tests that run bot.py or read files beside it."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
