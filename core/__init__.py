"""Parley's core: messages, the turn pipeline, stores, the outbox and the one HTTP server."""
