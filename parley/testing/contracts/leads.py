"""The contract every store keeps for leads and their outcomes (``LeadStore``). ``StoreContract``
includes it, so a store of your own runs it with the rest; it needs the ``store`` fixture."""

from __future__ import annotations

from parley.core.storage.leads import LeadRecord, Outcome


def lead(n: int, person: str = "web:p1", created: float = 0.0) -> LeadRecord:
    return LeadRecord(
        f"lead{n}", person, f"{person}:", "spring", "web", "es", "sales", "Ana Ruiz", created or 1000.0 + n
    )


class LeadStoreContract:
    async def test_a_lead_is_kept_found_by_id_and_its_outcome_replaced(self, store):
        assert await store.lead("lead1") is None
        await store.put_lead(lead(1))
        assert await store.lead("lead1") == lead(1)
        assert (await store.lead("lead1")).state is Outcome.OPEN
        won = lead(1).decided(Outcome.WON, 1200.5, "EUR", "ann", 5000.0)
        await store.put_lead(won)
        assert await store.lead("lead1") == won
        assert (won.value, won.currency, won.set_by, won.set_at) == (1200.5, "EUR", "ann", 5000.0)

    async def test_leads_are_listed_newest_first_by_outcome_and_paged_by_creation_time(self, store):
        for n in range(6):
            await store.put_lead(lead(n, person=f"web:p{n}"))
        await store.put_lead(lead(2, person="web:p2").decided(Outcome.WON, 10.0, "USD", "ann", 9.0))
        await store.put_lead(lead(4, person="web:p4").decided(Outcome.LOST, None, "", "ann", 9.0))
        await store.put_lead(lead(4, person="web:p4").decided(Outcome.WON, 30.0, "USD", "bob", 10.0))  # changed
        assert [x.id for x in await store.leads(None, 0, 10)] == [f"lead{n}" for n in (5, 4, 3, 2, 1, 0)]
        assert [x.id for x in await store.leads(Outcome.WON, 0, 10)] == ["lead4", "lead2"]
        assert await store.leads(Outcome.LOST, 0, 10) == []  # it left "lost" when it was won
        assert [x.id for x in await store.leads(Outcome.OPEN, 0, 10)] == ["lead5", "lead3", "lead1", "lead0"]
        page = await store.leads(None, 0, 2)
        assert [x.id for x in page] == ["lead5", "lead4"]
        assert [x.id for x in await store.leads(None, page[-1].created, 2)] == ["lead3", "lead2"]

    async def test_erasure_removes_a_persons_leads_only(self, store):
        await store.put_lead(lead(1, person="web:ana"))
        await store.put_lead(lead(2, person="web:ana").decided(Outcome.WON, 5.0, "USD", "ann", 9.0))
        await store.put_lead(lead(3, person="web:bob"))
        assert [x.id for x in await store.person_leads("web:ana")] == ["lead1", "lead2"]
        assert await store.forget_leads("web:ana") == 2
        assert await store.person_leads("web:ana") == []
        assert await store.lead("lead2") is None
        assert [x.id for x in await store.leads(None, 0, 10)] == ["lead3"]
        assert await store.leads(Outcome.WON, 0, 10) == []
        assert await store.forget_leads("web:ana") == 0
