"""Invalid settings are refused with one line naming the variable (docs/spec.md: never a traceback,
never a setting that only fails on first use)."""

from __future__ import annotations

import pytest
from parley.core.config.settings import Settings, describe_error
from pydantic import ValidationError


@pytest.mark.parametrize(
    "variable, value",
    [
        ("PARLEY_LOG_LEVEL", "LOUD"),
        ("PARLEY_LLM__BASE_URL", "localhost:11434/v1"),
        ("OPENAI_BASE_URL", "api.openai.com/v1"),
        ("PARLEY_SLACK__API_BASE", "slack.com/api"),
        ("PARLEY_HANDOFF__LEAD_WEBHOOK_URL", "crm.example.com/leads"),
        ("PARLEY_TELEGRAM__API_BASE", "api.telegram.org"),
        ("PARLEY_TWILIO__API_BASE", "https://"),
        ("PARLEY_DISCORD__API_BASE", "ftp://discord.com/api/v10"),
        ("PARLEY_DISCORD__GATEWAY_URL", "https://gateway.discord.gg/"),
        ("PARLEY_PUBLIC_URL", "bot.example.com"),
    ],
)
def test_a_bad_value_names_its_variable(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    monkeypatch.setenv("PARLEY_HANDOFF__LEAD_WEBHOOK_SECRET", "s")
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None)
    assert describe_error(caught.value).startswith(f"{variable}: ")


def test_log_level_is_case_insensitive(monkeypatch):
    monkeypatch.setenv("PARLEY_LOG_LEVEL", "debug")
    assert Settings(_env_file=None).log_level == "DEBUG"


def test_urls_that_are_urls_pass(monkeypatch):
    monkeypatch.setenv("PARLEY_LLM__BASE_URL", "http://127.0.0.1:11434/v1")
    monkeypatch.setenv("PARLEY_SLACK__API_BASE", "https://slack.com/api/")
    assert Settings(_env_file=None).llm.base_url == "http://127.0.0.1:11434/v1"


def test_bases_that_paths_are_appended_to_lose_their_trailing_slash(monkeypatch):
    monkeypatch.setenv("PARLEY_PUBLIC_URL", "https://bot.example.com/")
    monkeypatch.setenv("PARLEY_DISCORD__API_BASE", "https://discord.com/api/v10/")
    monkeypatch.setenv("PARLEY_DISCORD__GATEWAY_URL", "wss://gateway.discord.gg/")
    settings = Settings(_env_file=None)
    assert settings.public_url == "https://bot.example.com"
    assert settings.discord.api_base == "https://discord.com/api/v10"
    assert settings.discord.gateway_url == "wss://gateway.discord.gg/"


def test_the_message_says_which_scheme_and_shows_an_example(monkeypatch):
    monkeypatch.setenv("PARLEY_DISCORD__GATEWAY_URL", "gateway.discord.gg")
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None)
    assert describe_error(caught.value) == (
        "PARLEY_DISCORD__GATEWAY_URL: must be an absolute ws(s) URL, e.g. wss://gateway.discord.gg/"
    )
