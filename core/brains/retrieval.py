"""The offline retrieval brain: answers from the knowledge base, honestly.

It names the passage it answered from, and below the persona's ``min_confidence`` (a calibrated
probability: parley.core.brains.search.calibration) it says it does not know and offers a person
instead of guessing. Small talk around a question is set aside and the question answered
(parley.core.brains.smalltalk); complaints and frustration go to a person
(parley.core.brains.escalation). The customer is answered from their language's knowledge, or
from the default language's with a one-line notice when theirs lacks the passage.
"""

from __future__ import annotations

from parley.core.brains.brain import Answer
from parley.core.brains.escalation import escalation
from parley.core.brains.knowledge import KnowledgeBase
from parley.core.brains.phrases import excerpt, human_button, intent_of, searchable
from parley.core.brains.smalltalk import set_aside
from parley.core.kernel.turn import Turn


class RetrievalBrain:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb

    async def answer(self, turn: Turn) -> Answer:
        pack, persona = turn.pack, turn.persona
        text = turn.text
        intent = intent_of(text, pack)
        if intent == "human":
            return Answer(pack.t("handoff_started"), handoff=True, intent="handoff")
        if intent == "bot":
            return Answer(
                pack.t("are_you_a_bot", name=persona.name), buttons=(human_button(pack),), intent="disclosure"
            )
        upset = escalation(turn)
        if upset is not None:
            return upset
        parts = set_aside(text, pack)
        question = searchable(parts.rest)
        if parts.small_talk and not self.kb.understands(question, pack.code):
            if parts.small_talk == "greeting":
                return Answer(persona.greet(pack), intent="greeting")
            return Answer(pack.t("thanks_reply"), intent=parts.small_talk)
        found = self.kb.find(question, pack.code, persona.min_confidence) if question.strip() else None
        if found is None or found.confidence < persona.min_confidence:
            confidence = found.confidence if found else 0.0
            return Answer(pack.t("fallback"), confidence=confidence, buttons=(human_button(pack),), intent="fallback")
        best = found.passage
        body = excerpt(best.text)
        if found.translated_from:
            body = f"{pack.t('knowledge_fallback')}\n\n{body}"
        cited = f"{body}\n\n{pack.t('source_label')}: {best.title}"
        return Answer(cited, sources=(best.source,), confidence=found.confidence, intent="answer")
