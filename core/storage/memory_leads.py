"""``LeadStore`` in memory (tests, ``memory://``): MemoryStore mixes it in."""

from __future__ import annotations

from parley.core.storage.leads import LeadRecord, Outcome


class MemoryLeads:
    def _init_leads(self) -> None:
        self._leads: dict[str, LeadRecord] = {}

    async def put_lead(self, lead: LeadRecord) -> None:
        self._leads[lead.id] = lead

    async def lead(self, lead_id: str) -> LeadRecord | None:
        return self._leads.get(lead_id)

    async def leads(self, outcome: Outcome | None, before: float, limit: int) -> list[LeadRecord]:
        rows = (
            x
            for x in self._leads.values()
            if (outcome is None or x.outcome == outcome.value) and (not before or x.created < before)
        )
        return sorted(rows, key=lambda x: (-x.created, x.id))[:limit]

    async def person_leads(self, person: str) -> list[LeadRecord]:
        return sorted((x for x in self._leads.values() if x.person == person), key=lambda x: (x.created, x.id))

    async def forget_leads(self, person: str) -> int:
        doomed = [i for i, x in self._leads.items() if x.person == person]
        for i in doomed:
            del self._leads[i]
        return len(doomed)

    async def expire_leads(self, before: float, limit: int) -> int:
        old = sorted((x for x in self._leads.values() if x.created < before), key=lambda x: (x.created, x.id))
        for lead in old[:limit]:
            del self._leads[lead.id]
        return len(old[:limit])
