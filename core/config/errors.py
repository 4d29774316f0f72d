"""The one error start-up raises when it cannot go on, naming what to fix and the real cause."""

from __future__ import annotations


class StartupError(ValueError):
    """``source`` is what to fix: a variable (``PARLEY_STORE_URL``), a hook, a plugin; the
    message says why, in the words of the error underneath (never a guess such as "the port")."""

    def __init__(self, source: str, cause: str) -> None:
        super().__init__(f"{source}: {cause}")
        self.source = source
        self.cause = cause


def cause_of(exc: BaseException) -> str:
    """The real cause in one line: an OSError's reason and the path it is about."""
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror}: {exc.filename}" if exc.filename else exc.strerror
    return str(exc) or type(exc).__name__
