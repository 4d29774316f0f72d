"""The LLM brain: grounded, personal, safe answers through any OpenAI-compatible model.

``build_llm`` returns ``None`` without a key, so the offline retrieval brain keeps serving.
Modules: client (the SDK, retries, deadline), prompt (composition, fences, history budget),
tools and http_tools (function calling), guardrails (secrets, output check, daily budget),
explain ("why did you say that?"), feedback (thumbs), brain (the answer loop).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from parley.core.brains.brain import Brain
from parley.core.brains.knowledge import KnowledgeBase
from parley.core.config.settings import Settings
from prometheus_client import CollectorRegistry

if TYPE_CHECKING:
    from parley.core.brains.llm.brain import LLMBrain
    from parley.core.brains.llm.tools import Tool

__all__ = ["build_llm", "secrets_of"]


def secrets_of(settings: Settings) -> list[str]:
    """Every secret Parley holds, so none can ride into a prompt (guardrails.scrub_secrets)."""
    found = [settings.llm_key, settings.admin_token, *settings.llm.secrets.values()]
    found += [settings.telegram.token, settings.telegram.webhook_secret, settings.slack.bot_token]
    found += [settings.slack.signing_secret, settings.slack.app_token, settings.twilio.auth_token]
    found += [settings.discord.token]
    return [s.get_secret_value() for s in found if s is not None and s.get_secret_value()]


def build_llm(
    settings: Settings,
    knowledge: KnowledgeBase,
    fallback: Brain,
    registry: CollectorRegistry | None = None,
    python_tools: dict[str, Tool] | None = None,
) -> LLMBrain | None:
    """The LLM brain, or None without a key. ``python_tools``: the bot's own (Bot(tools=...)),
    offered beside the built-in ones and the HTTP tools file's."""
    key = settings.llm_key
    if key is None or not key.get_secret_value():
        return None
    # Imported only with a key: without one, the openai SDK is never loaded (fast start-up).
    from parley.core.brains.llm.brain import LLMBrain
    from parley.core.brains.llm.breaker import Breaker
    from parley.core.brains.llm.client import ModelClient
    from parley.core.brains.llm.guardrails import OutputCheck
    from parley.core.brains.llm.http_tools import HttpTools
    from parley.core.brains.llm.metrics import LLMMetrics
    from parley.core.brains.llm.tools import Toolbox, builtin

    config = settings.llm
    client = ModelClient(
        base_url=settings.llm_base_url,
        api_key=key.get_secret_value(),
        model=config.model,
        timeout=config.timeout,
        deadline=config.deadline,
        fail_fast=config.fail_fast,
        backoff=config.backoff,
        temperature=config.temperature,
        max_tokens=config.max_tokens,
    )
    tools = builtin(config.tool_timeout)
    http: HttpTools | None = None
    if config.tools_file is not None:
        plain = {k: v.get_secret_value() for k, v in config.secrets.items()}
        http = HttpTools(config.tools_file, plain, config.tool_timeout)
        tools.update(http.tools)
    for name in python_tools or {}:
        if name in tools:
            raise ValueError(f"tools: a tool named {name!r} exists already (built in, or in PARLEY_LLM__TOOLS_FILE)")
    tools.update(python_tools or {})
    check = OutputCheck(config.blocklist, client.flagged if config.moderation else None)
    metrics = LLMMetrics(registry)
    breaker = Breaker(failures=config.breaker_failures, cooldown=config.breaker_cooldown)
    brain = LLMBrain(client, knowledge, fallback, Toolbox(tools), check, config, secrets_of(settings), metrics, breaker)
    brain.closers.append(client.close)
    if http is not None:
        brain.closers.append(http.close)
    return brain
