"""Middlewares that keep the schedule in step with conversations:

- ``people_index``: the audience index (channel, tags, locale, tz, last seen, consent), updated
  after each inbound turn (best effort: a store that refuses the write costs an audience entry
  until the next turn, never the customer's answer), and attribution of replies to the last
  campaign message;
- ``consent``: any channel's STOP opts out (START opts back in), stored as
  ``profile["consent"] = {"marketing": bool, "at": iso, "source": str, "history": [...]}`` (the Twilio channel
  stores SMS keywords the same way);
- ``followups``: "remind me tomorrow at 10", the follow-ups a handler or the LLM asked for
  (``Turn.followup``), a follow-up N hours after a lead goes quiet, and cancelling pending ones
  when the person replies (per kind).
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

from parley.core.kernel.outage import Outage
from parley.core.kernel.pipeline import Handler, Middleware
from parley.core.kernel.turn import Turn
from parley.core.linking.channels import consent_of, consent_record, linked, note_seen, record_consent
from parley.core.schedule.lifecycle import bump
from parley.core.schedule.reminders import parse_reminder
from parley.core.schedule.store import PersonEntry, ScheduleStore, Send, followup_id
from parley.core.schedule.timing import TimingError, zone
from parley.core.storage.store import KeyValueStore, StoreUnavailable

log = logging.getLogger("parley.scheduler")

STOP_WORDS = ("stop", "stopall", "unsubscribe")  # more come from each pack's "stop" intent
START_WORDS = ("start", "unstop", "subscribe")
REMIND_TRIGGERS = ("remind me", "please remind me")
INDEX_EVERY = 600.0  # seconds between people-index writes for an unchanged person
FOLLOWUP_TEXT = "Just checking in: is there anything else I can help you with?"


def people_index(sched: ScheduleStore, kv: KeyValueStore) -> Middleware:
    outage = Outage(log, "people index")

    async def mw(turn: Turn, call_next: Handler) -> None:
        if turn.inbound is None:
            return await call_next(turn)
        now = turn.now.timestamp()
        profile = turn.profile
        last = profile.get("last_campaign")
        attributed = bool(last) and now <= last.get("until", 0)
        if attributed and not last.get("replied"):
            last["replied"] = True  # attribution: the first reply inside the window counts
            await bump(sched, last["id"], "replied", now)
        await call_next(turn)
        if attributed and turn.tags.get("consent") == "opted_out" and not last.get("opted_out"):
            last["opted_out"] = True  # a STOP answering the campaign: its cost, in its results
            await bump(sched, last["id"], "opted_out", now)
        note_seen(profile, turn.address, now)
        if turn.inbound.user_name:
            profile.setdefault("name", turn.inbound.user_name)
        consent = consent_of(profile, turn.address.person).get("marketing")
        if turn.address.channel in ("sms", "whatsapp"):  # SMS keywords live in the channel's record
            record = await kv.get(f"consent:{turn.address.person}")
            if record:
                consent = json.loads(record).get("status") == "opted_in"
        # The index is for audiences ("seen in the last 30 days"): re-write it when something in
        # it changed or every ten minutes, not on every message (a write transaction each).
        seen = [
            turn.pack.code,
            profile.get("tz", ""),
            list(profile.get("tags", ())),
            consent,
            profile.get("name", ""),
            profile.get("fields") or {},
            turn.person if linked(profile) else "",  # the index's owner: rewritten on a link
        ]
        indexed = profile.get("indexed") or {}
        if indexed.get("as") == seen and now - indexed.get("at", 0) < INDEX_EVERY:
            return
        entry = PersonEntry(
            turn.address.person,
            turn.address,
            locale=turn.pack.code,
            tz=profile.get("tz", ""),
            tags=tuple(profile.get("tags", ())),
            last_seen=now,
            consent=consent,
            name=profile.get("name", ""),
            fields={str(k): str(v) for k, v in (profile.get("fields") or {}).items()},
            owner=turn.person if linked(profile) else "",
        )
        try:
            await sched.put_person(entry)
        except StoreUnavailable as exc:
            outage.failed(exc)  # not marked indexed: the next turn writes it again
            return
        outage.ok()
        profile["indexed"] = {"as": seen, "at": now}

    return mw


def _said(turn: Turn) -> str:
    return turn.text.strip().strip("!.").lower()


def consent(kv: KeyValueStore) -> Middleware:
    """STOP opts out on any channel (false opt-outs only cost marketing, so the pack's whole
    ``stop`` intent counts); opting in needs an explicit word ("yes" alone never opts in)."""

    async def mw(turn: Turn, call_next: Handler) -> None:
        if turn.inbound is None or turn.address.channel == "sms":  # SMS keywords: the Twilio channel's
            return await call_next(turn)
        said = _said(turn)
        stop = said in STOP_WORDS or said in turn.pack.words("stop")
        start = (said in START_WORDS or said in turn.pack.words("start")) and said not in ("yes", "ok")
        if not stop and not start:
            return await call_next(turn)
        opted_in = not stop
        source = f"{turn.address.channel}:{said}"
        at = turn.now.isoformat(timespec="seconds")
        # Per channel identity: consent on SMS is not consent on WhatsApp (core/linking/channels.py).
        record_consent(turn.profile, turn.address.person, opted_in, at, source)
        # The same record the Twilio channel keeps (channels/twilio/consent.py), checked at send.
        await kv.put(f"consent:{turn.address.person}", consent_record(opted_in, at, source))
        status = "opted_in" if opted_in else "opted_out"
        turn.tags["consent"] = status
        turn.system(status)

    return mw


def followups(
    sched: ScheduleStore,
    followup_hours: float = 24.0,
    leads_only: bool = True,
    cancel_on_reply: tuple[str, ...] = ("followup",),
    default_tz: str = "UTC",
) -> Middleware:
    async def mw(turn: Turn, call_next: Handler) -> None:
        if turn.inbound is None:
            return await call_next(turn)
        now = turn.now.timestamp()
        pending: dict[str, list] = turn.state.setdefault("scheduled", {})  # id -> [kind, due]
        for send_id, (kind, due) in list(pending.items()):
            if kind in cancel_on_reply and due > now:
                await sched.cancel(send_id)  # the person replied: the follow-up is moot
            if kind in cancel_on_reply or due <= now:
                del pending[send_id]
        try:
            tz = zone(turn.profile.get("tz") or default_tz)
        except TimingError:
            tz = zone(default_tz)
        asked = parse_reminder(turn.text, now, tz, [*REMIND_TRIGGERS, *turn.pack.phrases("remind")])
        if asked is not None:
            at, what = asked
            text = f"Reminder: {what}" if what else "Here is the reminder you asked for."
            await _schedule(sched, turn, pending, "reminder", at, text, str(tz))
            turn.say(_confirm(turn, at, tz))
            return
        await call_next(turn)
        # Asked for by a handler or the LLM's tool (Turn.followup); the anchor is the send id's
        # last part, so two requests in one turn are two sends.
        for n, request in enumerate(turn.followups):
            anchor = int(now) + n
            await _schedule(sched, turn, pending, request.kind, request.at.timestamp(), request.text, str(tz), anchor)
        if followup_hours > 0 and (turn.state.get("lead") or not leads_only):
            text = turn.pack.t("followup") if "followup" in turn.pack.head.messages else FOLLOWUP_TEXT
            await _schedule(sched, turn, pending, "followup", now + followup_hours * 3600, text, str(tz))

    return mw


async def _schedule(
    sched, turn: Turn, pending: dict[str, list], kind: str, at: float, text: str, tz: str, anchor: int | None = None
) -> None:
    anchor = int(turn.now.timestamp()) if anchor is None else anchor
    send_id = followup_id(turn.address.conversation, kind, anchor)
    data = {"address": turn.address.model_dump(), "text": text, "kind": kind, "tz": tz, "anchor": anchor}
    await sched.add([Send(send_id, at, json.dumps(data, separators=(",", ":")))])
    pending[send_id] = [kind, at]


def _confirm(turn: Turn, at: float, tz) -> str:
    when = datetime.fromtimestamp(at, tz).strftime("%A %H:%M")
    if "reminder_set" in turn.pack.head.messages:
        return turn.pack.t("reminder_set", when=when)
    return f"OK, I'll remind you on {when}."
