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
