"""LLM settings from the environment, and the brain only with a key."""

from __future__ import annotations

from parley.core.brains.knowledge import KnowledgeBase
from parley.core.brains.llm import build_llm, secrets_of
from parley.core.brains.retrieval import RetrievalBrain
from parley.core.config.settings import Settings, shipped

KB = KnowledgeBase.load(shipped("knowledge") / "demo")


def test_env_names(monkeypatch):
    monkeypatch.setenv("PARLEY_LLM__SECRETS__SHOP_API", "shop-secret-1")
    monkeypatch.setenv("PARLEY_LLM__BLOCKLIST", '["guaranteed refund"]')
    monkeypatch.setenv("PARLEY_LLM__PROFILE_FIELDS", '["name"]')
    monkeypatch.setenv("PARLEY_LLM__DAILY_TOKENS", "1000")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-openai-env")
    settings = Settings(_env_file=None)
    assert settings.llm.secrets["shop_api"].get_secret_value() == "shop-secret-1"
    assert settings.llm.blocklist == ["guaranteed refund"] and settings.llm.profile_fields == ["name"]
    assert "sk-from-openai-env" in secrets_of(settings) and "shop-secret-1" in secrets_of(settings)
    assert build_llm(settings, KB, RetrievalBrain(KB)) is not None


def test_no_key_no_llm(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("PARLEY_LLM__API_KEY", raising=False)
    assert build_llm(Settings(_env_file=None), KB, RetrievalBrain(KB)) is None
