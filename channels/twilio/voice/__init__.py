"""Voice calls through Twilio: ConversationRelay (a websocket) or <Gather> (docs/voice.md)."""
