"""Which PARLEY_* names a setting reads, and what the warnings for the others say."""

from __future__ import annotations

from parley.core.config.settings import Settings
from parley.core.config.unknown import setting_names, unknown_tools, unknown_variables


def test_setting_names_follow_the_models_nesting_and_open_tables():
    exact, open_prefixes = setting_names(Settings)
    assert {"PARLEY_STORE_URL", "PARLEY_HTTP", "PARLEY_HTTP__PORT", "PARLEY_LLM__TOOLS_FILE"} <= exact
    assert "PARLEY_LLM__SECRETS__" in open_prefixes and "PARLEY_TWILIO__WHATSAPP_TEMPLATES__" in open_prefixes
    assert not any("OPENAI" in name for name in exact)  # read as OPENAI_API_KEY, not PARLEY_...


def test_unknown_variables_from_the_environment_and_the_env_file(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("PARLEY_HTTP__PROT=8081\nPARLEY_LOG_FORMAT=json\nOTHER=1\n")
    environ = {
        "parley_store_url": "memory://",  # names are case-insensitive, as pydantic-settings reads them
        "PARLEY_LLM__SECRETS__SHOP_API": "x",  # any name under an open table
        "PARLEY_ECHO__TOKEN": "x",  # a channel plugin's own
        "PARLEY_SLACK__DESK": "C1",
        "HOME": "/root",
    }
    warnings = unknown_variables(environ, Settings, plugins=["echo"], dotenv=dotenv)
    assert warnings == [
        "PARLEY_HTTP__PROT (in " + str(dotenv) + ") is not a Parley setting; did you mean PARLEY_HTTP__PORT?",
        "PARLEY_SLACK__DESK (in the environment) is not a Parley setting; did you mean PARLEY_SLACK__DESK_CHANNEL?",
    ]
    assert unknown_variables({"PARLEY_ZZZZZZZZZZZZ": "1"}, Settings) == [
        "PARLEY_ZZZZZZZZZZZZ (in the environment) is not a Parley setting"
    ]


def test_unknown_tools_name_the_persona_and_the_closest_tool():
    found = unknown_tools({"sales": ["capture_lead", "captur_lead"], "demo": ["lookup"]}, ["capture_lead", "handoff"])
    assert found == [
        ("sales", "captur_lead", "allowed_tools: no tool named 'captur_lead'; did you mean capture_lead?"),
        ("demo", "lookup", "allowed_tools: no tool named 'lookup'"),
    ]
