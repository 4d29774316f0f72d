"""The model client's streaming path read as JSON lines (parley.core.brains.llm.sse)."""

from __future__ import annotations

import json

import pytest
from parley.core.brains.llm.sse import StreamError, deltas, events


async def lines(*items: str):
    for item in items:
        yield item


async def collect(source) -> list:
    return [item async for item in source]


def data(chunk: dict) -> str:
    return "data: " + json.dumps(chunk)


async def test_events_join_data_lines_and_skip_comments_ids_and_event_names():
    found = await collect(
        events(lines(": keep-alive", "", "event: message", "id: 7", 'data: {"a":', "data: 1}", "", "data:[DONE]"))
    )
    assert found == ['{"a":\n1}', "[DONE]"]  # the last event needs no blank line after it


async def test_text_tool_call_fragments_and_usage_come_out_of_the_chunks():
    chunks = [
        {"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]},
        {"choices": [{"index": 0, "delta": {"content": "Hel"}}]},
        {"choices": [{"index": 0, "delta": {"content": "lo"}}]},
        {
            "choices": [
                {"delta": {"tool_calls": [{"index": 1, "id": "c1", "function": {"name": "book", "arguments": '{"d'}}]}}
            ]
        },
        {"choices": [{"delta": {"tool_calls": [{"index": 1, "function": {"arguments": 'ay": 2}'}}]}}]},
        {"choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12}},
    ]
    framed = [x for c in chunks for x in (data(c), "")] + ["data: [DONE]", ""]
    got = await collect(deltas(lines(*framed)))
    assert "".join(d.text for d in got) == "Hello"
    assert [p for d in got for p in d.tool_parts] == [(1, "c1", "book", '{"d'), (1, "", "", 'ay": 2}')]
    assert [d.tokens for d in got] == [0, 0, 0, 0, 0, 12]


@pytest.mark.parametrize(
    ("line", "said"),
    [
        (data({"error": {"message": "overloaded", "type": "server_error"}}), "overloaded"),
        (data({"error": "boom"}), "an error event"),
        ("data: {not json", "not JSON"),
        ("data: [1, 2]", "not an object"),
    ],
)
async def test_an_error_event_or_a_chunk_that_is_not_json_ends_the_stream_with_a_clear_error(line, said):
    good = data({"choices": [{"delta": {"content": "Hi"}}]})
    stream = deltas(lines(good, "", line, ""))
    assert (await anext(stream)).text == "Hi"  # what came before the error was streamed
    with pytest.raises(StreamError, match=said):
        await anext(stream)
