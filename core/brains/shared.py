"""What a person shares without words: a location answered from the knowledge base, a contact
card acknowledged.

A person who sends only a pin is asking "what is near me?". A knowledge passage with a line of
its own holding a ``geo:LAT,LON`` URI (RFC 5870, the form Parley uses for places everywhere;
answers never show that line) is a place: the
nearest one is the answer, cited like any knowledge answer. With no places in the knowledge,
the bot thanks the person and asks what it can do. A contact card sent alone is acknowledged the
same way (the brain has no question to answer). With words, either goes to the brain as usual;
the routers (and any brain) see the typed ``turn.inbound.location`` and ``.contacts`` either way.
"""

from __future__ import annotations

from dataclasses import dataclass

from parley.core.brains.knowledge import KnowledgeBase, Passage
from parley.core.brains.phrases import GEO_LINE, excerpt
from parley.core.kernel.messages import Location
from parley.core.kernel.pipeline import Handler, Middleware
from parley.core.kernel.turn import Turn


@dataclass(frozen=True)
class Place:
    passage: Passage
    latitude: float
    longitude: float


def places_in(kb: KnowledgeBase, locale: str = "") -> list[Place]:
    """The places in ``locale``'s knowledge (the default language's when it has none)."""
    found = []
    for passage in kb.passages_in(locale):
        if match := GEO_LINE.search(passage.text):
            lat, lon = float(match.group(1)), float(match.group(2))
            if -90 <= lat <= 90 and -180 <= lon <= 180:
                found.append(Place(passage, lat, lon))
    return found


def nearest(kb: KnowledgeBase, here: Location, locale: str = "") -> tuple[Place, float] | None:
    """The place nearest to ``here`` and its great-circle distance in km, or None."""
    from haversine import haversine  # imports numpy when installed: with the first pin, not at start-up

    spot = (here.latitude, here.longitude)
    ranked = sorted(
        ((haversine(spot, (p.latitude, p.longitude)), p) for p in places_in(kb, locale)), key=lambda x: x[0]
    )
    return (ranked[0][1], ranked[0][0]) if ranked else None


def shared(kb: KnowledgeBase) -> Middleware:
    """Answer a location or a contact card sent alone (innermost: routers and the author's
    middleware come first)."""

    async def mw(turn: Turn, call_next: Handler) -> None:
        inbound = turn.inbound
        if inbound is None or inbound.text.strip() or not (inbound.location or inbound.contacts):
            return await call_next(turn)
        if inbound.location is None:
            turn.tags["intent"] = "contact"
            turn.system("contact_thanks")
            return
        turn.tags["intent"] = "location"
        found = nearest(kb, inbound.location, turn.pack.code)
        if found is None:
            turn.system("location_thanks")
            return
        place, km = found
        body = excerpt(place.passage.text)
        head = turn.t("nearest_place", km=f"{km:.0f}" if km >= 10 else f"{km:.1f}")
        text = f"{head}\n\n{body}\n\n{turn.t('source_label')}: {place.passage.title}"
        turn.say(text, sources=(place.passage.source,))

    return mw
