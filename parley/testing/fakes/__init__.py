"""Loopback fakes of the platforms Parley talks to, for tests that run the real clients.

Each fake is a small aiohttp server on 127.0.0.1 at a free port that behaves like the
platform's API where a real client would notice (auth, error shapes, rate-limit answers), keeps
what it was sent for assertions, and can be told to fail:

- `parley.testing.fakes.telegram.FakeTelegram`: the Bot API (``getUpdates`` with real offset
  semantics, ``sendMessage`` parsing HTML as Telegram does).
- `parley.testing.fakes.slack.fake_slack`: the Web API and a Socket Mode websocket; ``signed``
  signs an Events API request as Slack does; blocks that break Slack's documented limits are
  refused with ``invalid_blocks`` (`parley.testing.fakes.blockkit.problems`).
- `parley.testing.fakes.twilio.serve_fake_twilio`: ``Messages.json``; ``sign`` computes
  ``X-Twilio-Signature`` for inbound webhooks.
- `parley.testing.fakes.discord.FakeDiscord`: REST and the gateway (READY, RESUME, RECONNECT).
- `parley.testing.fakes.openai.FakeOpenAI`: an OpenAI-compatible ``/v1/chat/completions``
  (streaming, tool calls, failures) and ``/v1/moderations``.
- `parley.testing.fakes.webchat.ChatClient`: the web chat page's side of ``/chat/ws``.
- `parley.testing.fakes.recording.RecordingChannel`: a channel that keeps what it is asked to send.
- `parley.testing.fakes.loopback.start`: serve any aiohttp app of your own (a fake order API, a
  webhook receiver) the same way.

Point the channel at a fake through its settings' ``api_base`` (for example
``PARLEY_TELEGRAM__API_BASE=fake.url``) and assert on what the fake received.
"""
