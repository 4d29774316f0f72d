"""Desk cards: what a rep sees, laid out in Block Kit within Slack's documented limits."""

from __future__ import annotations

from parley.channels.slack.cards import card_post, fitted
from parley.core.handoff.card import extractive, handoff_card, lead_card, redraw
from parley.core.handoff.cases import Case
from parley.core.kernel.messages import Address
from parley.core.kernel.render import clip

from parley.testing.fakes.blockkit import problems

WHO = Address(channel="web", chat="w1", user="w1").model_dump()


def case(**fields) -> Case:
    return Case(id="c1", kind="handoff", address=WHO, locale="en", opened=1_767_225_600.0, **fields)


def test_clip_cuts_at_a_word_with_an_ellipsis():
    assert clip("the parcel never arrived at my door", 20) == "the parcel never…"
    assert clip("short", 20) == "short"
    assert clip("x" * 30, 10) == "x" * 9 + "…"  # one word longer than the budget: a hard cut
    assert len(clip("word " * 100, 50)) <= 50


def test_text_is_escaped_once_and_still_fits_after_escaping():
    assert fitted("Fish & chips <3", 100) == "Fish &amp; chips &lt;3"
    dense = fitted("& " * 1000, 300)
    assert len(dense) <= 300 and dense.endswith("…") and "&amp;amp;" not in dense


def test_a_handoff_card_has_the_facts_a_rep_acts_on():
    c = case(reason="asked", name="Jana Novak", contact="jana@novak.example", persona="Mia", hours="open now")
    c.said = [["Customer", "where is my order?"], ["Bot", "Let me get a person."]]
    reply = handoff_card(c)
    post = card_post("CDESK", reply)
    header, facts, said, actions = post["blocks"]
    assert header["text"]["text"] == "Handoff · normal"
    labels = [f["text"].split("\n")[0] for f in facts["fields"]]
    assert labels == [
        f"*{x}*"
        for x in ("Name", "Contact", "Channel", "Language", "Persona", "Waiting since", "Business hours", "Why")
    ]
    assert "*Customer:* where is my order?" in said["text"]["text"]
    assert [e["text"]["text"] for e in actions["elements"]] == ["Claim", "Resolve", "Return to bot"]
    assert [e["value"] for e in actions["elements"]] == ["handoff:c1:claim", "handoff:c1:resolve", "handoff:c1:return"]
    assert post["text"].startswith("Handoff\nName: Jana Novak\nContact: jana@novak.example")  # the fallback
    assert problems(post["blocks"]) == []


def test_a_complaint_is_urgent_and_says_why():
    c = case(reason="complaint", urgent=True, link="https://bot.example/console/conversations/web%3Aw1%3A")
    c.trigger = "My order arrived damaged & late <again>"
    post = card_post("CDESK", handoff_card(c))
    blocks = post["blocks"]
    assert blocks[0]["text"]["text"] == "🔴 Complaint · urgent"
    assert blocks[1]["text"]["text"] == "*Why it is urgent*\n> My order arrived damaged &amp; late &lt;again&gt;"
    assert "*Why*\nComplaint detected" in [f["text"] for f in blocks[2]["fields"]]
    assert "Triggered by: “My order arrived damaged &amp; late &lt;again&gt;”" in post["text"]
    link = blocks[-1]["elements"][-1]
    assert link["text"]["text"] == "Open conversation" and link["url"].endswith("web%3Aw1%3A")


def test_an_enormous_conversation_still_fits_slacks_limits():
    c = case(name="N" * 5000, contact="<&>" * 2000, summary="& " * 5000, link="https://x.example/" + "a" * 2900)
    c.said = [["Customer", "<b>" * 3000] for _ in range(200)]
    c.agent, c.agent_name, c.csat = "U1", "A" * 4000, 5
    post = card_post("CDESK", handoff_card(c))
    assert problems(post["blocks"]) == []
    assert len(post["text"]) <= 3000


def test_a_redrawn_card_says_how_the_case_moved_and_keeps_only_the_link_once_closed():
    c = case(link="https://bot.example/c")
    c.agent, c.agent_name, c.outcome, c.closed_by, c.csat = "U1", "Ana", "resolved", "Ana", 4
    reply = redraw(c)
    assert reply.desk_card == "handoff:c1" and reply.meta == {} and reply.buttons == ()
    blocks = card_post("CDESK", reply)["blocks"]
    context = next(b for b in blocks if b["type"] == "context")
    assert [e["text"] for e in context["elements"]] == ["Claimed by Ana", "Resolved by Ana", "CSAT 4/5"]
    assert [e["text"]["text"] for e in blocks[-1]["elements"]] == ["Open conversation"]


def test_a_lead_card_shows_the_parsed_contact():
    lead = {"name": "Ana Ruiz", "company": "Hotel Sol", "contact": "ana@hotel.example", "need": "uniforms"}
    c = Case(id="l1", kind="lead", address=WHO, locale="es", opened=1.0, lead=lead)
    post = card_post("CDESK", lead_card(c))
    assert post["blocks"][0]["text"]["text"] == "Lead · normal"
    shown = [f["text"] for f in post["blocks"][1]["fields"]]
    assert shown[:4] == ["*Name*\nAna Ruiz", "*Company*\nHotel Sol", "*Contact*\nana@hotel.example", "*Need*\nuniforms"]
    assert [e["text"]["text"] for e in post["blocks"][-1]["elements"]] == ["Claim", "Follow up tomorrow"]


def test_the_extractive_summary_skips_small_talk():
    assert extractive(["hi", "My parcel 1234 never arrived", "ok", "I want to talk to a human"]) == (
        "My parcel 1234 never arrived … I want to talk to a human"
    )
    assert extractive(["hi", "ok"]) == ""


def test_sla_steps_then_every_last_step():
    from parley.core.handoff.hours import BusinessHours
    from parley.core.handoff.sla import Reminders

    async def later(*args):
        return ""

    hours = BusinessHours.parse("mon-sun 00:00-23:59", "UTC")
    reminders = Reminders(None, later, hours, Address(channel="slack", chat="CDESK"), (15, 5, 60))  # type: ignore[arg-type]
    assert [reminders.gap(n) / 60 for n in range(5)] == [5, 10, 45, 60, 60]


def test_a_routed_hot_lead_mentions_its_rep_and_shows_what_was_read():
    c = Case(id="l1", kind="lead", address=WHO, locale="es", opened=1_767_225_600.0, routed="U0ANA")
    c.routed_why = "locale es, group S0SALES"
    c.lead = {
        "name": "Ana",
        "budget": "entre 5 y 10 mil euros",
        "budget_read": "5,000–10,000 EUR",
        "score": "80/100 · hot (contact +20)",
    }
    post = card_post("CDESK", lead_card(c))
    header, mention, facts, _ = post["blocks"]
    assert header["text"]["text"] == "🔥 Lead · hot 80/100"
    assert mention["text"]["text"] == "For <@U0ANA> (locale es, group S0SALES)"
    assert "*Budget*\n5,000–10,000 EUR · “entre 5 y 10 mil euros”" in [f["text"] for f in facts["fields"]]
    assert post["text"].startswith("<@U0ANA> Lead (hot 80/100)")  # the notification pings the rep
    assert problems(post["blocks"]) == []
    c.agent = "U0ANA"  # claimed: no more pinging on each redraw
    assert "For <@" not in str(card_post("CDESK", redraw(c))["blocks"])
    c.routed = "<!channel>"  # only a user id is ever written as a mention
    assert "<!channel>" not in str(card_post("CDESK", lead_card(c)))


def test_a_claimed_card_drops_its_claim_button_and_offers_saved_replies():
    c = case(reason="asked", canned=[["tracking", "Tracking link on its way"]])
    post = card_post("CDESK", handoff_card(c))
    [select] = [e for e in post["blocks"][-1]["elements"] if e["type"] == "static_select"]
    assert select["options"] == [
        {"text": {"type": "plain_text", "text": "Tracking link on its way"}, "value": "handoff:c1:canned:tracking"}
    ]
    c.agent, c.agent_name, c.notes = "U1", "Ana", 2
    claimed = card_post("CDESK", redraw(c))
    assert [e["text"]["text"] for e in claimed["blocks"][-1]["elements"] if e["type"] == "button"] == [
        "Resolve",
        "Return to bot",
    ]
    assert "Claimed by Ana · 2 internal notes" in claimed["text"].replace("\n", " · ")
    c.canned = [[f"r{n}", "x" * 90] for n in range(130)]  # past Slack's select limits: cut to fit
    assert problems(card_post("CDESK", handoff_card(c))["blocks"]) == []
