"""One pydantic-settings object (``PARLEY_`` prefix, ``__`` for nesting), built once in bot.py.

Nothing below bot.py reads the environment: modules receive these values as arguments.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path
from typing import Literal

from parley.core.config.urls import url_field
from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def shipped(folder: str) -> Path:
    """A folder of package data shipped with Parley (``locales``, ``personas``, ``knowledge``),
    found through the import system so it works from a checkout and from an installed wheel."""
    return Path(str(resources.files(f"parley.{folder}")))


class HTTP(BaseModel):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    max_connections: int = Field(10_000, ge=1)  # past this (or the descriptor limit), new ones get 503
    idle_timeout: float = Field(15.0, gt=0)  # a connection silent this long (no request yet, or between) closes
    request_timeout: float = Field(30.0, gt=0)  # reading a request and answering it, websockets aside


class Greeting(BaseModel):
    """A proactive greeting of the embedded widget (docs/widget.md): shown once per visitor,
    ``after`` seconds on a page whose path matches ``url`` (a glob: ``/pricing*``, ``*``)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field("", pattern=r"^[A-Za-z0-9_-]{0,40}$")  # "once per visitor" is per id; empty: the url
    url: str = Field("*", min_length=1, max_length=200)
    after: float = Field(10.0, ge=0, le=3600)
    # The words per locale code; a language missing here gets the persona's greeting in it.
    text: dict[str, str] = {}


class WebChat(BaseModel):
    # Pages on these origins (scheme://host[:port]) may open the chat's websocket, besides the
    # chat's own origin and PARLEY_PUBLIC_URL's: an embedding site, a second domain.
    allowed_origins: list[str] = []
    rate: float = Field(2.0, gt=0)  # frames per second one socket may send, on average...
    burst: int = Field(20, ge=1)  # ...with bursts of this many (a resend of a queue after a reconnect)
    # Branding of /chat and the widget (a persona's own ``color``/``logo`` wins over these).
    title: str = Field("", max_length=80)  # empty: the pack's "Chat with {name}" in the visitor's language
    color: str = Field("#2f5bea", pattern=r"^#[0-9a-fA-F]{6}$")
    logo: str = Field("", max_length=500)  # an image URL (https://, or a path on this server)
    greetings: list[Greeting] = []

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            if not origin.startswith(("https://", "http://")):
                raise ValueError(f"{origin!r}: an origin is scheme://host[:port], e.g. https://shop.example.com")
        return [origin.rstrip("/") for origin in value]


class Telegram(BaseModel):
    token: SecretStr | None = None
    webhook_secret: SecretStr | None = None
    mode: Literal["webhook", "polling"] | None = None
    api_base: str = "https://api.telegram.org"
    bot_rate: float = Field(30.0, gt=0)  # messages per second per bot (Bots FAQ: ~30/s for broadcasts)

    _api_base = url_field("api_base")


class Slack(BaseModel):
    bot_token: SecretStr | None = None
    signing_secret: SecretStr | None = None
    app_token: SecretStr | None = None
    api_base: str = "https://slack.com/api/"
    desk_channel: str = ""

    _api_base = url_field("api_base")

    @model_validator(mode="after")
    def _needs_a_way_in(self) -> Slack:
        if self.bot_token and not (self.signing_secret or self.app_token):
            raise ValueError("PARLEY_SLACK__SIGNING_SECRET (or PARLEY_SLACK__APP_TOKEN for Socket Mode) is required")
        return self


class Twilio(BaseModel):
    account_sid: str = ""
    auth_token: SecretStr | None = None
    sms_from: str = ""
    whatsapp_from: str = ""
    api_base: str = "https://api.twilio.com"
    max_segments: int = Field(3, ge=1, le=10)
    sms_rate: float = 1.0
    whatsapp_rate: float = 80.0
    # Approved WhatsApp templates (ContentSid) for sends outside the 24-hour window, keyed
    # "kind:locale", "kind:language" or "kind" (docs/twilio.md), e.g. {"proactive:en": "HX..."}.
    whatsapp_templates: dict[str, str] = {}
    # Voice (docs/voice.md): the number callers dial turns the ``voice`` channel on; it is also
    # the caller id of proactive calls.
    voice_from: str = ""
    voice_mode: Literal["relay", "gather"] = "relay"  # ConversationRelay websocket, or <Gather> per turn
    # Where "a person, please" goes in business hours: "+15551234567", "sip:desk@pbx.example.com"
    # or "queue:support" (a Twilio <Queue>); empty: callers are offered a call back instead.
    voice_transfer: str = ""
    voice_max_words: int = Field(60, ge=10)  # longer answers are shortened for the ear
    voice_transcription_provider: str = ""  # ConversationRelay's transcriptionProvider; empty: Twilio's
    # Gather mode: how long a turn's webhook waits for the answer before it tells Twilio to pause
    # and come back for it (Twilio gives a webhook 15 s).
    voice_gather_wait: float = Field(10.0, gt=0, le=14)

    _api_base = url_field("api_base")

    @model_validator(mode="after")
    def _complete(self) -> Twilio:
        if self.account_sid and not self.auth_token:
            raise ValueError("PARLEY_TWILIO__AUTH_TOKEN is required with PARLEY_TWILIO__ACCOUNT_SID")
        return self


class Discord(BaseModel):
    token: SecretStr | None = None
    api_base: str = ""  # the versioned API root, like https://discord.com/api/v10
    gateway_url: str = ""  # like wss://gateway.discord.gg/

    _api_base = url_field("api_base", example="https://discord.com/api/v10", strip_slash=True)
    _gateway_url = url_field("gateway_url", "ws", example="wss://gateway.discord.gg/")


class LLM(BaseModel):
    base_url: str = ""
    api_key: SecretStr | None = None
    model: str = "gpt-4o-mini"
    timeout: float = 20.0  # one request
    deadline: float = 45.0  # all attempts of one answer, backoff included
    fail_fast: float = Field(2.0, ge=0)  # after a failed call, retries only this long: then the offline answer
    # From the start of an answer, the model must show it is answering (its first streamed chunk;
    # unstreamed, its whole reply) within this, retries included: else the offline answer.
    first_answer: float = Field(2.0, gt=0)
    breaker_failures: int = Field(3, ge=1)  # failed answers in a row that open the model's circuit
    breaker_cooldown: float = Field(30.0, gt=0)  # seconds the open circuit skips the model before a probe
    backoff: float = 0.5  # first retry delay (seconds), doubled each time, with jitter
    temperature: float = 0.3
    max_tokens: int = Field(600, ge=16)
    stream: bool = True
    history_tokens: int = Field(1500, ge=0)  # older turns beyond this are summarised
    passages: int = Field(4, ge=0)  # knowledge passages retrieved per question
    profile_fields: list[str] = ["name", "preferences", "orders"]
    daily_tokens: int = Field(50_000, ge=0)  # per person per day; then the retrieval brain answers
    tools_file: Path | None = None  # TOML or YAML declaring generic HTTP tools
    tool_timeout: float = 10.0
    secrets: dict[str, SecretStr] = {}  # PARLEY_LLM__SECRETS__<NAME>: auth for HTTP tools
    blocklist: list[str] = []  # an answer containing one of these is replaced by an apology
    moderation: bool = False  # also check answers with the endpoint's /moderations
    feedback: bool = True  # thumbs up/down buttons on LLM answers where the channel has buttons

    _base_url = url_field("base_url")


def _each(values: list[str], pattern: str, rule: str) -> list[str]:
    for value in values:
        if not re.fullmatch(pattern, value):
            raise ValueError(f"{value!r}: {rule}")
    return values


class LeadRoute(BaseModel):
    """Where a lead goes (PARLEY_HANDOFF__LEAD_ROUTES, a JSON list; the first match wins): leads
    in one of ``locales`` (pack codes) or from one of ``countries`` (ISO 3166), or any lead when
    both are empty, go round robin to the members of a Slack user ``group`` or to ``users``."""

    model_config = ConfigDict(extra="forbid")

    locales: list[str] = []
    countries: list[str] = []
    group: str = ""  # a Slack user group id (S0123ABC): its members are asked for each lead
    users: list[str] = []  # Slack user ids (U0123ABC), when there is no group

    @field_validator("locales")
    @classmethod
    def _locales(cls, value: list[str]) -> list[str]:
        return _each(value, r"[a-z]{2,3}(-[A-Za-z]{2,4})?", "a locale is a pack code such as en, es or pt-BR")

    @field_validator("countries")
    @classmethod
    def _countries(cls, value: list[str]) -> list[str]:
        codes = _each(value, r"[A-Za-z]{2}", "a country is a two-letter ISO 3166 code such as DE or BR")
        return [code.upper() for code in codes]

    @model_validator(mode="after")
    def _reps(self) -> LeadRoute:
        if bool(self.group) == bool(self.users):
            raise ValueError("a lead route names either a Slack user group (group) or Slack users (users)")
        if self.group and not re.fullmatch(r"S[A-Z0-9]{2,}", self.group):
            raise ValueError(f"{self.group!r}: a Slack user group id starts with S (S0123ABC)")
        for user in self.users:
            if not re.fullmatch(r"[UW][A-Z0-9]{2,}", user):
                raise ValueError(f"{user!r}: a Slack user id starts with U or W (U0123ABC)")
        return self


class Handoff(BaseModel):
    hours: str = "mon-fri 09:00-18:00"  # when people are at the desk, in ``timezone``
    timezone: str = "UTC"
    claim_timeout_minutes: int = Field(15, ge=1)
    typical_wait_minutes: int = Field(5, ge=1)
    show_agent_name: bool = True  # False: agents' replies appear under the persona's name
    # SLA reminders while a case is unclaimed: minutes after it opened (then every last step);
    # from the last step on, the escalation channel (a Slack channel id) hears of it too.
    remind_minutes: list[int] = [5, 15, 60]
    escalation_channel: str = ""
    lead_routes: list[LeadRoute] = []  # who gets a lead (parley.core.handoff.routing)
    lead_webhook_url: str = ""  # a CRM endpoint receiving leads as signed JSON
    lead_webhook_secret: SecretStr | None = None

    _lead_webhook_url = url_field("lead_webhook_url")

    @model_validator(mode="after")
    def _signed(self) -> Handoff:
        if self.lead_webhook_url and not self.lead_webhook_secret:
            raise ValueError("PARLEY_HANDOFF__LEAD_WEBHOOK_SECRET is required with PARLEY_HANDOFF__LEAD_WEBHOOK_URL")
        return self


class Scheduler(BaseModel):
    enabled: bool = True
    followup_hours: float = Field(24.0, ge=0)  # 0: no follow-ups when a lead goes quiet
    followup_leads_only: bool = True  # only conversations marked state["lead"]
    cancel_on_reply: list[str] = ["followup"]  # kinds cancelled when the person writes
    default_timezone: str = "UTC"  # for people whose time zone is unknown
    lease: float = Field(60.0, gt=0)
    store_url: str = ""  # empty: beside PARLEY_STORE_URL; or a redis:// URL for the schedule alone


class Console(BaseModel):
    enabled: bool = True  # /console; users are added with `bot.py users add`
    session_hours: float = Field(12.0, gt=0)  # a console session lasts this long after sign-in


class Analytics(BaseModel):
    """The ROI panel's prices (docs/console.md)."""

    human_cost: float = Field(4.0, ge=0)  # what one conversation handled by a person costs
    per_1k_tokens: float = Field(0.002, ge=0)  # the model's price per thousand tokens
    currency: str = Field("USD", max_length=8)


class Linking(BaseModel):
    """Verified linking of a customer's channels (docs/privacy.md, "Linking identities")."""

    enabled: bool = True  # /link and /unlink in every conversation
    # Signs deep-link tokens and keys stored codes; empty: one is made and kept in the store.
    secret: SecretStr | None = None
    code_minutes: float = Field(10.0, gt=0, le=60)  # how long a code (and its deep links) works
    telegram_bot: str = ""  # the bot's username, for https://t.me/<bot>?start=link-<token>
    whatsapp_number: str = ""  # for https://wa.me/<number>?text=LINK <code>; default PARLEY_TWILIO__WHATSAPP_FROM
    sms_number: str = ""  # for sms:<number>?&body=LINK <code>; default PARLEY_TWILIO__SMS_FROM

    @field_validator("telegram_bot")
    @classmethod
    def _bot_name(cls, value: str) -> str:
        value = value.removeprefix("@")
        if value and not value.replace("_", "").isalnum():
            raise ValueError("a Telegram bot's username: letters, digits and _, like ShopHelpBot")
        return value


class Retention(BaseModel):
    """How long data is kept (docs/privacy.md). Unset: kept until erased. 0 is refused: it would
    delete everything at the first run; say a number of days, or leave it unset."""

    conversations_days: int | None = Field(None, le=36500)  # people silent this long are erased whole
    leads_days: int | None = Field(None, le=36500)  # lead cases, by when captured
    sends_days: int | None = Field(None, le=36500)  # finished scheduled sends and outbox records
    audit_days: int | None = Field(None, le=36500)  # audit log entries
    every_minutes: float = Field(60.0, gt=0, le=10080)  # how often the job runs
    batch: int = Field(200, ge=1, le=10_000)  # records per step: short transactions beside live traffic

    @field_validator("conversations_days", "leads_days", "sends_days", "audit_days")
    @classmethod
    def _days(cls, value: int | None) -> int | None:
        if value is not None and value < 1:
            raise ValueError(
                "must be a number of days, 1 or more (0 would delete everything at the first run); "
                "leave it unset to keep forever"
            )
        return value

    @property
    def configured(self) -> bool:
        return any(d is not None for d in (self.conversations_days, self.leads_days, self.sends_days, self.audit_days))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PARLEY_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
    )

    store_url: str = "sqlite:///data/parley.db"
    # Seconds start-up waits for an unreachable store (Redis starting beside us) before it gives up.
    store_wait: float = Field(30.0, ge=0)
    http: HTTP = HTTP()
    public_url: str = ""
    admin_token: SecretStr | None = None
    analytics: Analytics = Analytics()
    metrics_token: SecretStr | None = None  # set: GET /metrics needs "Authorization: Bearer <it>"
    persona: str = "demo"
    default_locale: str = "en"
    knowledge_dir: Path = Field(default_factory=lambda: shipped("knowledge") / "demo")
    personas_dir: Path = Field(default_factory=lambda: shipped("personas"))
    locales_dir: Path = Field(default_factory=lambda: shipped("locales"))
    log_format: Literal["text", "json"] = "text"
    log_level: str = "INFO"
    max_message_chars: int = Field(4000, ge=1)
    flood_per_minute: int = Field(30, ge=1)  # messages one person may send per minute
    dedupe_ttl: float = 7 * 86400  # platforms retry for hours (Slack, Twilio); a week is safe
    knowledge_poll: float = 5.0  # seconds between checks of the knowledge folder (0: SIGHUP only)
    # Sentence embeddings beside BM25 (the `embeddings` extra; docs/knowledge.md): "" off, "use-m3".
    knowledge_embeddings: Literal["", "use-m3"] = ""
    singleton_lease: float = Field(15.0, gt=0)  # seconds before another process takes over a singleton
    webchat: WebChat = WebChat()
    telegram: Telegram = Telegram()
    slack: Slack = Slack()
    twilio: Twilio = Twilio()
    discord: Discord = Discord()
    llm: LLM = LLM()
    handoff: Handoff = Handoff()
    scheduler: Scheduler = Scheduler()
    console: Console = Console()
    linking: Linking = Linking()
    retention: Retention = Retention()
    # OpenAI's own variables are honoured too (docs/spec.md); explicit PARLEY_LLM__* wins.
    openai_api_key: SecretStr | None = Field(None, validation_alias=AliasChoices("OPENAI_API_KEY"))
    openai_base_url: str = Field("", validation_alias=AliasChoices("OPENAI_BASE_URL"))

    @field_validator("store_url")
    @classmethod
    def _store_scheme(cls, value: str) -> str:
        schemes = ("sqlite:", "redis:", "rediss:", "valkey:", "redis+cluster:", "rediss+cluster:", "valkey+cluster:")
        if not value.startswith((*schemes, "memory:")):
            raise ValueError("must start with sqlite:///, redis://, redis+cluster:// or memory://")
        return value

    _openai_base_url = url_field("openai_base_url")

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        if value.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
        return value.upper()

    _public_url = url_field("public_url", example="https://bot.example.com", strip_slash=True)

    @property
    def llm_key(self) -> SecretStr | None:
        return self.llm.api_key or self.openai_api_key

    @property
    def llm_base_url(self) -> str:
        return self.llm.base_url or self.openai_base_url


def describe_error(exc: Exception) -> str:
    """One readable line naming the variable, from a pydantic ValidationError."""
    errors = getattr(exc, "errors", None)
    if not callable(errors):
        return str(exc)
    first = errors()[0]
    loc = [str(p) for p in first.get("loc", ()) if not str(p).startswith("function-")]
    name = "PARLEY_" + "__".join(p.upper() for p in loc) if loc else "configuration"
    name = name.removeprefix("PARLEY_") if name.startswith("PARLEY_OPENAI_") else name  # OpenAI's own names
    msg = first.get("msg", "invalid").removeprefix("Value error, ")
    if msg.startswith("PARLEY_"):
        return msg
    return f"{name}: {msg}"
