"""The demo shop's knowledge base (package data, read with importlib.resources)."""
