"""The kernel: messages, the turn, the pipeline and its standard middleware, the engine, the outbox."""
