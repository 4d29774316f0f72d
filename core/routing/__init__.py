"""Routers for bot authors: command, text and button handlers at one place in the pipeline."""
