"""The shipped locale packs (package data, read with importlib.resources)."""
