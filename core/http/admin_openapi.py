"""The admin API's OpenAPI 3.1 description (``GET /api/openapi.json``), one entry per route."""

from __future__ import annotations

from typing import Any

from parley.core.schedule.campaigns import CampaignSpec

JSON = "application/json"
ROUTES: list[tuple[str, str, str, str | None]] = [
    # method, path, summary, request body schema
    ("get", "/api/campaigns", "List campaigns with their status and results", None),
    ("post", "/api/campaigns", "Create a campaign (draft); refused with 422 and a reason on bad input", "Campaign"),
    (
        "post",
        "/api/campaigns/preview",
        "Dry run: who receives it and each first send time, who is excluded and why, a sample per locale",
        "Campaign",
    ),
    ("get", "/api/campaigns/{id}", "A campaign and its results (planned, sent, delivered, skipped...)", None),
    ("get", "/api/campaigns/{id}/sends", "The campaign's waiting sends and when each is due (?after= pages)", None),
    ("post", "/api/campaigns/{id}/test", "Send it now to one person (yourself), marked as a test", "TestSend"),
    ("post", "/api/campaigns/{id}/start", "Start planning and sending (draft or paused -> running)", None),
    ("post", "/api/campaigns/{id}/pause", "Pause: waiting sends are held until resume", None),
    ("post", "/api/campaigns/{id}/resume", "Resume a paused campaign", None),
    ("post", "/api/campaigns/{id}/cancel", "Cancel: every waiting send is cancelled at once", None),
    ("get", "/api/sends/{id}", "Status of one scheduled send and when it is due", None),
    ("delete", "/api/sends/{id}", "Cancel one scheduled send (leaves a tombstone)", None),
    ("get", "/api/analytics", "Aggregates per day or week (?from&to&channel&locale&persona&by), totals, ROI", None),
    ("get", "/api/analytics.csv", "The same series as CSV", None),
    ("get", "/api/analytics/gaps", "Unanswered questions grouped by similarity, with counts and examples", None),
    (
        "get",
        "/api/people/{person}",
        "Export everything held about a person, every linked identity (one JSON download; ?reason= is audited)",
        None,
    ),
    (
        "delete",
        "/api/people/{person}",
        "Erase everything held about a person from every store (?reason= or a JSON body's reason is audited); "
        "404 when nothing is held, 409 while a conversation stays busy",
        None,
    ),
    (
        "get",
        "/api/audit",
        "The audit log, newest first (?actor&action&person&target&since&until&limit&offset)",
        None,
    ),
    ("get", "/api/people/{person}/identities", "The person's linked identities (channels)", None),
    ("post", "/api/people/{person}/identities", "Link an identity to the person, with a reason (audited)", "Link"),
    (
        "delete",
        "/api/people/{person}/identities/{identity}",
        "Unlink an identity from the person, with a reason (audited)",
        "Unlink",
    ),
    (
        "post",
        "/api/people/{person}/consent",
        "Opt the person in or out of marketing on one channel, with a reason (audited)",
        "Consent",
    ),
    ("post", "/api/people/{person}/conversions", "Record a conversion, attributed to the last campaign", "Conversion"),
    ("get", "/api/leads", "Leads, newest first (?outcome=open|won|lost, ?before= pages)", None),
    ("get", "/api/leads/{id}", "One lead: source, who, and its outcome", None),
    ("post", "/api/leads/{id}/outcome", "Record a lead's outcome (won with its value, lost, or open again)", "Outcome"),
    ("get", "/api/conversations/{id}", "A conversation's state (history, handoff, scheduled sends)", None),
    ("post", "/api/conversations/{id}/handoff", "Hand the conversation to a person (a card in the desk)", None),
]


def describe() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for method, path, summary, body in ROUTES:
        op: dict[str, Any] = {
            "summary": summary,
            "security": [{"bearer": []}],
            "responses": {
                "200": {"description": "OK", "content": {JSON: {"schema": {"type": "object"}}}},
                "401": {"description": "No bearer token"},
                "403": {"description": "Wrong token, or PARLEY_ADMIN_TOKEN unset (API disabled)"},
            },
        }
        params = [p.strip("{}") for p in path.split("/") if p.startswith("{")]
        if params:
            op["parameters"] = [
                {"name": p, "in": "path", "required": True, "schema": {"type": "string"}} for p in params
            ]
        if body:
            op["requestBody"] = {
                "required": True,
                "content": {JSON: {"schema": {"$ref": f"#/components/schemas/{body}"}}},
            }
            op["responses"]["422"] = {"description": "Refused: the reason is in `error`"}
        if path == "/api/campaigns" and method == "post":
            op["responses"]["201"] = op["responses"].pop("200") | {"description": "Created"}
        if path.startswith("/api/people/{person}") and method in ("get", "delete"):
            op["responses"]["400"] = {"description": "Not a person id"}
            op["responses"]["404"] = {"description": "No data held about this person"}
            op["responses"]["422"] = {"description": "A reason that cannot be recorded (too long, control characters)"}
            op["parameters"].append({"name": "reason", "in": "query", "required": False, "schema": {"type": "string"}})
        if "{id}/" in path or path.endswith("{id}"):
            op["responses"]["404"] = {"description": "Not found"}
        if path.endswith(("start", "pause", "resume", "cancel")):
            op["responses"]["409"] = {"description": "Not allowed from the campaign's current status"}
        if path.endswith(("identities", "{identity}")) and method != "get":
            op["responses"]["400"] = {"description": "A malformed identity or no reason"}
            op["responses"]["409"] = {"description": "Refused: same, linked_elsewhere, not_linked or busy"}
        if path.endswith("consent"):
            op["responses"]["400"] = {"description": "Not a person id, or a body that is not JSON"}
            op["responses"]["404"] = {"description": "No data held about this person"}
            op["responses"]["409"] = {"description": "The person's profile kept changing: try again"}
            op["responses"]["422"] = {"description": "A channel not theirs, a value not opt_in/opt_out, no reason"}
        paths.setdefault(path, {})[method] = op
    campaign = CampaignSpec.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas = campaign.pop("$defs", {})
    schemas["Campaign"] = campaign
    schemas["Link"] = {
        "type": "object",
        "required": ["identity", "reason"],
        "properties": {"identity": {"type": "string"}, "reason": {"type": "string", "maxLength": 500}},
    }
    schemas["Unlink"] = {"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string"}}}
    schemas["Consent"] = {
        "type": "object",
        "required": ["channel", "consent", "reason"],
        "properties": {
            "channel": {"type": "string", "description": "a channel name (sms), or one of the person's identities"},
            "consent": {"enum": ["opt_in", "opt_out"]},
            "reason": {"type": "string", "maxLength": 500},
        },
    }
    schemas["Conversion"] = {"type": "object", "properties": {"value": {"type": "number"}}}
    schemas["Outcome"] = {
        "type": "object",
        "required": ["outcome"],
        "properties": {
            "outcome": {"enum": ["open", "won", "lost"]},
            "value": {"type": "number", "minimum": 0},
            "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
        },
    }
    schemas["TestSend"] = {
        "type": "object",
        "properties": {
            "person": {"type": "string"},
            "address": {"type": "object", "properties": {"channel": {"type": "string"}, "chat": {"type": "string"}}},
            "locale": {"type": "string"},
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "Parley admin API", "version": "1"},
        "paths": {
            "/api/openapi.json": {
                "get": {"summary": "This description (no token)", "responses": {"200": {"description": "OK"}}}
            },
            **paths,
        },
        "components": {"schemas": schemas, "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }
