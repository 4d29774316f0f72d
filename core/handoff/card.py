"""The desk's cards: what a rep needs to act on a handoff, a complaint or a lead, as a typed
``Card`` on the reply (Slack lays it out in Block Kit; ``Reply.text`` is the plain fallback).

A case keeps what its card shows (name, contact, summary, last messages...), so the card is
redrawn in place from the case alone as the case moves: claimed, resolved, CSAT received.
"""

from __future__ import annotations

from datetime import UTC, datetime

from parley.core.handoff.cases import Case
from parley.core.handoff.people import found_in, parse_contact
from parley.core.kernel.messages import Button, Card, Fact, Reply, Said
from parley.core.kernel.render import clip
from parley.core.kernel.turn import Turn
from parley.core.linking.channels import linked, seen_on

# Reasons that open an urgent case: the brains' complaint and frustration intents
# (parley.core.brains.escalation) and the negative feedback a thumbs-down escalates.
COMPLAINT = {"complaint", "frustration", "negative_feedback"}
WHY = {
    "complaint": "Complaint detected",
    "frustration": "Frustrated customer",
    "negative_feedback": "Negative feedback",
    "asked": "Asked for a person",
    "asked_human": "Asked for a person",
    "admin": "Handed over by the team",
    "low_confidence": "The bot was not sure",
}
SAID = 6  # last messages on the card
SAID_CHARS = 300
SUMMARY_CHARS = 400
WHO = {"user": "Customer", "bot": "Bot", "agent": "Agent"}


def describe(case: Case, turn: Turn, summary: str, link: str, hours: str) -> None:
    """Fill ``case`` with what its card shows, from the conversation so far."""
    history = [h for h in turn.state.get("history", []) if h.get("role") in WHO and h.get("text")]
    theirs = [h["text"] for h in history if h["role"] == "user"]
    found = found_in(theirs)
    case.name = found.name or (turn.inbound.user_name if turn.inbound else "")
    case.contact = found.reach
    case.persona = turn.persona.name
    if linked(turn.profile):
        identities = turn.profile["identities"]
        case.channels = sorted(identities, key=lambda i: -seen_on(turn.profile, i))
    case.summary = summary or extractive(theirs)
    case.said = [[WHO[h["role"]], clip(h["text"], SAID_CHARS)] for h in history[-SAID:]]
    case.urgent = case.reason in COMPLAINT
    if case.urgent and theirs:  # the message that made it a complaint, for the card's "why"
        case.trigger = clip(theirs[-1], SAID_CHARS)
    case.link = link
    case.hours = hours
    case.canned = [[name, reply.title] for name, reply in turn.persona.canned.items()]


def extractive(theirs: list[str]) -> str:
    """Without an LLM: what the customer came with (their first substantial message) and where
    they are now (their last), each clipped; greetings and one-word answers say nothing."""
    useful = [t for t in theirs if len(t.split()) >= 3 or len(t) >= 12]
    if not useful:
        return ""
    picked = [useful[0]] if len(useful) == 1 else [useful[0], useful[-1]]
    return clip(" … ".join(clip(t, SUMMARY_CHARS // 2) for t in picked), SUMMARY_CHARS)


def lead_fields(lead: dict[str, str]) -> dict[str, str]:
    """A lead's free contact answer split into contact, name and company (what the rep sees)."""
    contact = parse_contact(lead.get("contact", ""))
    out = dict(lead)
    out["contact"] = contact.reach or lead.get("contact", "")
    out["name"] = lead.get("name") or contact.name
    out["company"] = lead.get("company") or contact.company
    return out


def _when(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _status(case: Case) -> tuple[str, ...]:
    lines = []
    if case.agent:
        lines.append(f"Claimed by {case.holder}")
    if case.outcome:
        lines.append(f"{'Resolved' if case.outcome == 'resolved' else 'Returned to the bot'} by {case.closed_by}")
    if case.csat:
        lines.append(f"CSAT {case.csat}/5")
    if case.notes:
        lines.append(f"{case.notes} internal note{'s' if case.notes > 1 else ''}")
    return tuple(lines)


def _title(case: Case) -> str:
    if case.kind == "lead":
        return "Lead"
    return "Complaint" if case.urgent else "Handoff"


def handoff_card(case: Case) -> Reply:
    who = case.customer
    facts = [
        Fact(label="Name", value=case.name or "unknown"),
        Fact(label="Contact", value=case.contact or "none given"),
        Fact(label="Channel", value=who.channel),
        *_channels(case),
        Fact(label="Language", value=case.locale),
        Fact(label="Persona", value=case.persona or "-"),
        Fact(label="Waiting since", value=_when(case.opened), at=case.opened),
        Fact(label="Business hours", value=case.hours or "-"),
        Fact(label="Why", value=WHY.get(case.reason, case.reason or "asked")),
    ]
    claim = () if case.agent else (("Claim", "claim"),)  # claimed: reassign with /parley assign
    buttons = () if case.outcome else _buttons(case, *claim, ("Resolve", "resolve"), ("Return to bot", "return"))
    return _reply(case, facts, buttons)


def _channels(case: Case) -> list[Fact]:
    """A linked customer's channels, the one they last wrote on first (replies go there)."""
    if len(case.channels) < 2:
        return []
    names = [i.split(":", 1)[0] for i in case.channels]
    return [Fact(label="All channels", value=f"{names[0]} (last used), " + ", ".join(names[1:]))]


def lead_card(case: Case) -> Reply:
    lead = case.lead
    labels = ("score", "name", "company", "contact", "need", "budget", "timeline", "source")
    facts = [Fact(label=k.capitalize(), value=_read(lead, k)) for k in labels if lead.get(k)]
    facts += [
        Fact(label="Channel", value=case.customer.channel),
        Fact(label="Language", value=case.locale),
        Fact(label="Waiting since", value=_when(case.opened), at=case.opened),
    ]
    claim = () if case.agent else (("Claim", "claim"),)
    buttons = () if case.outcome else _buttons(case, *claim, ("Follow up tomorrow", "followup"))
    return _reply(case, facts, buttons)


def _read(lead: dict, key: str) -> str:
    """A lead's answer, with what Parley read in it first: "5,000 EUR · “around 5k”"."""
    said, read = str(lead[key]), str(lead.get(f"{key}_read", ""))
    return f"{read} · “{said}”" if read and read != said else said


def _level(case: Case) -> str:
    score = str(case.lead.get("score", ""))
    if case.kind != "lead" or not score:
        return ""
    points = score.split("/", 1)[0]
    return f"{'hot' if '· hot' in score else 'score'} {points}/100"


def redraw(case: Case) -> Reply:
    """The case's card as it stands now, to replace the one posted (the desk channel edits it)."""
    reply = lead_card(case) if case.kind == "lead" else handoff_card(case)
    return reply.model_copy(update={"desk_card": case.ref, "meta": {}})


def _buttons(case: Case, *pairs: tuple[str, str]) -> tuple[Button, ...]:
    return tuple(Button(title=title, payload=f"{case.ref}:{action}") for title, action in pairs)


def _reply(case: Case, facts: list[Fact], buttons: tuple[Button, ...]) -> Reply:
    card = Card(
        title=_title(case),
        urgent=case.urgent,
        facts=tuple(facts),
        summary=case.summary,
        said=tuple(Said(who=w, text=t) for w, t in case.said),
        status=_status(case),
        link=case.link,
        level=_level(case),
        mention=case.routed if not case.agent else "",
        mention_why=case.routed_why,
        trigger=case.trigger,
        menu=() if case.outcome else _buttons(case, *((title, f"canned:{name}") for name, title in case.canned)),
        menu_title="Send a saved reply",
    )
    # The fallback (notifications, screen readers, clients without Block Kit): the same facts.
    level = f" ({card.level})" if card.level else " (urgent)" if card.urgent else ""
    lines = [f"{card.title}{level}", *(f"{f.label}: {f.value}" for f in facts)]
    if card.trigger:
        lines.append(f"Triggered by: “{card.trigger}”")
    if case.routed:
        lines.append(f"Routed to {case.routed} ({case.routed_why})")
    lines += [*([f"Summary: {card.summary}"] if card.summary else []), *card.status]
    if card.link:
        lines.append(f"Conversation: {card.link}")
    if not case.outcome:
        lines.append("Reply in this thread to answer the customer.")
    return Reply(text="\n".join(lines), buttons=buttons, card=card, kind="system", meta={"desk_ref": case.ref})
