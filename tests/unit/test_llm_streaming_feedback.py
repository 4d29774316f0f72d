"""parley.core.kernel.streaming.think (stream to an editing channel, fall back to a durable send) and the
feedback middleware (thumbs only where the channel has buttons)."""

from __future__ import annotations

from parley.core.brains.brain import Answer
from parley.core.brains.llm.feedback import feedback
from parley.core.kernel.channel import Capabilities
from parley.core.kernel.streaming import think

from tests.contract.llm_support import make_turn


class Chunks:
    def __init__(self, parts, answer):
        self.parts, self.answer_ready, self.answer = list(parts), answer, None

    def __aiter__(self):
        return self

    async def __anext__(self):
        if not self.parts:
            self.answer = self.answer_ready
            raise StopAsyncIteration
        return self.parts.pop(0)


class StreamingBrain:
    def __init__(self, parts, answer):
        self.parts, self.final = parts, answer

    async def answer(self, turn):
        return self.final

    def stream(self, turn):
        return Chunks(self.parts, self.final)


class Editor:
    def __init__(self, fail_after=None):
        self.got, self.fail_after = [], fail_after

    async def stream(self, address, chunks):
        async for chunk in chunks:
            self.got.append(chunk)
            if self.fail_after is not None and len(self.got) >= self.fail_after:
                raise ConnectionResetError("socket closed")
        return "m-1"


async def test_think_streams_then_returns_the_final_answer():
    final = Answer("Hello there [1]", sources=("a.md#x",))
    editor = Editor()
    answer, platform_id = await think(StreamingBrain(["Hel", "lo there", " [1]"], final), make_turn("hi"), editor)
    assert editor.got == ["Hel", "lo there", " [1]"] and platform_id == "m-1" and answer is final


async def test_a_broken_stream_falls_back_to_a_normal_send():
    final = Answer("Hello there")
    answer, platform_id = await think(StreamingBrain(["Hel", "lo", " there"], final), make_turn("hi"), Editor(1))
    assert platform_id == "" and answer is final  # the outbox will send it


async def test_nothing_visible_means_no_stream():
    final = Answer("done", handoff=True)
    editor = Editor()
    answer, platform_id = await think(StreamingBrain([], final), make_turn("hi"), editor)
    assert editor.got == [] and platform_id == "" and answer is final


async def answered(turn):
    turn.answer = Answer("An answer", brain="llm")
    turn.say("An answer")


async def test_thumbs_only_where_the_channel_has_buttons():
    turn = make_turn("hi")
    await feedback(lambda a: Capabilities(buttons=True))(turn, answered)
    assert [b.payload for b in turn.replies[0].buttons] == ["/feedback up e1", "/feedback down e1"]
    turn = make_turn("hi")
    await feedback(lambda a: Capabilities(buttons=False))(turn, answered)
    assert turn.replies[0].buttons == ()


async def test_thumbs_up_is_recorded_and_thanked():
    turn = make_turn("/feedback up e1")
    await feedback(lambda a: Capabilities(buttons=True))(turn, answered)
    assert turn.state["feedback"]["e1"]["vote"] == "up"
    assert turn.replies[0].text == "Thank you for your feedback!"
