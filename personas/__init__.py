"""The shipped personas (package data, read with importlib.resources)."""
